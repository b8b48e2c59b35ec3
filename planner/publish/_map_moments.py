"""Coverage at each moment of the study on the planner's map, next to "any time".

One layer per moment (``周一 05:00 …``, the study's ``[network] moments``) and one for any
time: per tier, the area of the demand cells covered with the existing markets (filled in
the tier's colour) and the area the plan's sites add (outlined, dashed). At a moment a
market counts only while its hours say open and the bus only while it runs; new sites
count at their proposed hours (:mod:`planner.analysis.moments`). The areas are the union
of the covered cells' squares, built on the cells' own grid so neighbouring squares share
their edges exactly (a coverage union: ~0.2 s for 15,000 squares where a general union
takes ~2 s).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from planner.analysis.coverage import Coverage

if TYPE_CHECKING:
    import folium

    from planner.run import StudyRun

__all__ = ["ANY_TIME", "add_moment_layers", "covered_area"]

#: Name of the "any time" layer (all markets, the study window's buses).
ANY_TIME = "任意时段"

_NAME = "时段覆盖：{label}（现状／规划后）"


def _common_side(area: NDArray[np.float64]) -> float:
    """The side of the most common cell area (full cells; the larger on a tie), m."""
    ok = area[np.isfinite(area) & (area > 0)]
    if not ok.size:
        return 250.0
    vals, counts = np.unique(np.round(ok, 3), return_counts=True)
    return float(np.sqrt(vals[np.flatnonzero(counts == counts.max())[-1]]))


class _Squares:
    """The cells as squares on their own grid, or as squares of their own area.

    Points of one size (a raster) are their grid's squares. Points of a census spread by
    area (``cell ∩ unit`` pieces: full cells inside a unit, smaller pieces at its edges,
    each at a point on the piece) are drawn as the squares of the grid the full cells lie
    on: a piece is the square that holds it, so an edge piece is drawn whole (at most one
    cell's width past the unit's edge, on a map layer drawn at half a cell's tolerance);
    the union of one square per grid place is a coverage union (no overlaps), fast where
    the overlapping union of boxes of each piece's own area took seconds per layer.
    Other point sets: squares of their own area.
    """

    def __init__(self, cells: gpd.GeoDataFrame) -> None:
        geoms = np.asarray(cells.geometry.values)
        area = (
            cells["cell_area_m2"].to_numpy(dtype=float)
            if "cell_area_m2" in cells
            else np.full(len(cells), 250.0**2)
        )
        self.side = _common_side(area)
        self.grid: tuple[NDArray[np.int64], NDArray[np.int64], float, float] | None = None
        self.polygons: NDArray[Any] = geoms
        if not len(geoms) or not (shapely.get_type_id(geoms) == 0).all():
            return
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
        s = self.side
        full = np.isclose(area, s * s, rtol=1e-6) if s > 0 else np.zeros(len(x), bool)
        if full.any():
            ref = int(np.argmax(full))
            x0, y0 = float(x[ref]) - s / 2, float(y[ref]) - s / 2
            fx, fy = (x[full] - x0) / s - 0.5, (y[full] - y0) / s - 0.5
            if max(np.abs(fx - np.rint(fx)).max(), np.abs(fy - np.rint(fy)).max()) < 1e-3:
                ix = np.floor((x - x0) / s + 1e-9).astype(np.int64)
                iy = np.floor((y - y0) / s + 1e-9).astype(np.int64)
                self.grid = (ix, iy, x0, y0)
                return
        half = np.sqrt(np.where(np.isfinite(area), area, s * s)) / 2
        self.polygons = shapely.box(x - half, y - half, x + half, y + half)

    def union(self, mask: NDArray[np.bool_]) -> shapely.Geometry:
        """The area of the cells in ``mask`` (study CRS)."""
        if not mask.any():
            return shapely.Polygon()
        if self.grid is None:
            return shapely.union_all(self.polygons[mask])
        ix, iy, x0, y0 = self.grid
        places = np.unique(np.stack([ix[mask], iy[mask]], axis=1), axis=0)
        a, b, s = places[:, 0], places[:, 1], self.side
        return shapely.coverage_union_all(
            shapely.box(x0 + a * s, y0 + b * s, x0 + (a + 1) * s, y0 + (b + 1) * s)
        )


def covered_area(cov: Coverage, tier: str) -> shapely.Geometry:
    """The area of the cells ``cov`` counts as covered for ``tier`` (study CRS)."""
    return _Squares(cov.cells).union(cov.cells[f"{tier}_covered"].to_numpy(dtype=bool))


def add_moment_layers(
    m: folium.Map,
    run: StudyRun,
    display: Callable[[gpd.GeoSeries], gpd.GeoSeries],
    *,
    colours: Mapping[str, str],
    labels: Mapping[str, str],
) -> list[str]:
    """Add one layer for any time and one per moment (hidden at first); return their names."""
    import folium as fm

    if not run.moments:
        return []
    plan = run.plan
    squares = _Squares(plan.before.cells)
    tol = 0.5 * squares.side
    stages: list[tuple[str, Coverage, Coverage]] = [(ANY_TIME, plan.before, plan.after)]
    stages += [(mc.moment.label_zh, mc.before, mc.after) for mc in run.moments]
    tiers = [t for t in plan.before.rules if t in labels]
    names = []
    for text, before, after in stages:
        b_sum = before.summary().set_index("tier")["share"]
        a_sum = after.summary().set_index("tier")["share"]
        feats = []
        for tier in tiers:
            col = f"{tier}_covered"
            if col not in before.cells or col not in after.cells:
                continue
            was = before.cells[col].to_numpy(dtype=bool)
            new = after.cells[col].to_numpy(dtype=bool) & ~was
            tip = (
                f"{text} {labels[tier]}：现状覆盖 {b_sum[tier]:.1%}，"
                f"规划后 {a_sum[tier]:.1%}（新增站点按建议开放时间计）"
            )
            for kind, mask in (("now", was), ("new", new)):
                area = squares.union(mask)
                if area.is_empty:
                    continue
                shown = display(gpd.GeoSeries([area.simplify(tol)], crs=before.cells.crs))
                feats.append(
                    {
                        "type": "Feature",
                        "geometry": shapely.geometry.mapping(shown.iloc[0]),
                        "properties": {
                            "tip": tip + ("" if kind == "now" else "；虚线为规划新增"),
                            "c": colours.get(tier, "#444"),
                            "k": kind,
                        },
                    }
                )
        name = _NAME.format(label=text)
        fm.GeoJson(
            {"type": "FeatureCollection", "features": feats},
            name=name,
            style_function=lambda f: {
                "color": f["properties"]["c"],
                "weight": 1 if f["properties"]["k"] == "now" else 1.5,
                "dashArray": None if f["properties"]["k"] == "now" else "5 4",
                "fillColor": f["properties"]["c"],
                "fillOpacity": 0.22 if f["properties"]["k"] == "now" else 0.06,
            },
            tooltip=fm.GeoJsonTooltip(fields=["tip"], labels=False),
            show=False,
        ).add_to(m)
        names.append(name)
    return names

"""The proposal's maps, drawn by planner (no basemap tiles): an overview and one per site.

Both show what a reader needs to find a place without a web map: roads from the inputs
(main classes on the overview; every class around a site, with the names of the main
ones), unit boundaries and names, the existing markets with their names, and the proposed
sites with their section numbers. Site maps also show the demand cells, shaded by demand,
with the cells the plan newly covers for the site's tier outlined in green.

Every coordinate is read from the run once (:func:`map_data`): reading ``GeoSeries.x`` per
site rebuilt whole coordinate arrays and took ~65 s for 31 sites; from plain arrays the
31 site maps take well under a second.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from planner.publish._drawing import Circle, Drawing, Lines, Rect, Text, symbol_points

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = ["SVG_RADIUS_M", "TIER_COLOURS", "MapData", "map_data", "overview_map", "site_map"]

#: Half-width of the map around a site, metres, per tier.
SVG_RADIUS_M: Mapping[str, float] = {"comprehensive": 5000.0, "sector": 3000.0, "station": 2000.0}

#: Colour of each tier (existing markets and proposed sites alike), as on the planner's map.
TIER_COLOURS: Mapping[str, str] = {
    "comprehensive": "#d7301f",
    "sector": "#6a51a3",
    "station": "#2171b5",
}
_SYMBOL = {"comprehensive": "star", "sector": "triangle", "station": "square"}

#: OSM highway classes by drawing rank: 2 main roads, 1 other through roads, 0 the rest.
_RANK = {
    **dict.fromkeys(
        [
            "motorway",
            "trunk",
            "primary",
            "secondary",
            "motorway_link",
            "trunk_link",
            "primary_link",
            "secondary_link",
        ],
        2,
    ),
    **dict.fromkeys(["tertiary", "tertiary_link", "unclassified"], 1),
}
_ROAD_STYLE = {2: ("#e8a33d", 2.4), 1: ("#b0b0b0", 1.3), 0: ("#cfcfcf", 0.6)}
_WORDS = {
    "zh": {"km": "公里", "m": "米", "north": "北"},
    "en": {"km": " km", "m": " m", "north": "N"},
}


@dataclass(frozen=True)
class MapData:
    """What the maps draw, as plain arrays read once per run (study CRS, metres)."""

    cell_x: NDArray[np.float64]
    cell_y: NDArray[np.float64]
    demand: NDArray[np.float64]
    cell_side_m: float
    covered_before: dict[str, NDArray[np.bool_]]
    covered_after: dict[str, NDArray[np.bool_]]
    #: Road vertices, the first vertex of each road (and the end), rank, name, bounding boxes.
    road_xy: NDArray[np.float64]
    road_start: NDArray[np.int64]
    road_rank: NDArray[np.int64]
    road_name: NDArray[np.str_]
    road_box: NDArray[np.float64]
    #: Unit boundaries (shapely lines), names and label points.
    unit_lines: NDArray[Any]
    unit_names: list[str]
    unit_label_xy: NDArray[np.float64]
    bounds: tuple[float, float, float, float]
    #: Bus stops (x, y) and names: drawn on site maps when there are no roads.
    stop_xy: NDArray[np.float64]
    stop_names: list[str]
    #: Existing markets: x, y, tier, name, id (markets without a geometry left out).
    markets: list[tuple[float, float, str, str, str]]
    #: Proposed sites in plan order: x, y, tier, site id.
    sites: list[tuple[float, float, str, str]]


def _text(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def map_data(run: StudyRun, units: Any = None) -> MapData:
    """Read the cells, roads, units, markets and sites of a run once, for the maps."""
    crs = run.plan.after.cells.crs
    cells = run.plan.after.cells
    cc = shapely.centroid(np.asarray(cells.geometry.values))
    side = float(np.sqrt(np.median(cells["cell_area_m2"]))) if "cell_area_m2" in cells else 250.0
    sites = run.plan.sites
    tiers = sorted({str(t) for t in sites["tier"]}) if len(sites) else []
    # roads
    streets = run.inputs.roads.streets if run.inputs.roads is not None else None
    if streets is not None and len(streets):
        s = streets.to_crs(crs)
        g = np.asarray(s.geometry.values)
        xy, idx = shapely.get_coordinates(g, return_index=True)
        counts = np.bincount(idx, minlength=len(g))
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        hw = s["highway"].astype(str).to_numpy() if "highway" in s else np.full(len(s), "")
        rank = np.array([_RANK.get(h, 0) for h in hw], dtype=np.int64)
        name = (
            s["name"].map(_text).to_numpy(dtype=str)
            if "name" in s
            else np.full(len(s), "", dtype=str)
        )
        box = shapely.bounds(g)
    else:
        xy, start = np.empty((0, 2)), np.zeros(1, dtype=np.int64)
        rank, name, box = np.empty(0, np.int64), np.empty(0, str), np.empty((0, 4))
    u = (units if units is not None else run.inputs.area.units).to_crs(crs).reset_index(drop=True)
    ug = np.asarray(u.geometry.values)
    label = u["name"] if "name" in u else u.get("code", pd.Series([""] * len(u)))
    lp = shapely.point_on_surface(ug)
    mk = run.markets.to_crs(crs) if len(run.markets) else run.markets
    mgeom = np.asarray(mk.geometry.values)
    keep = ~(shapely.is_missing(mgeom) | shapely.is_empty(mgeom)) if len(mk) else np.zeros(0, bool)
    mc = shapely.centroid(mgeom) if len(mk) else mgeom
    mtier = mk["tier"].map(_text).tolist() if "tier" in mk else [""] * len(mk)
    mname = (mk["name"] if "name" in mk else mk["market_id"]).map(_text).tolist() if len(mk) else []
    mid = mk["market_id"].map(_text).tolist() if len(mk) else []
    sc = shapely.centroid(np.asarray(sites.geometry.values)) if len(sites) else np.empty(0)
    transit = run.inputs.transit
    if len(rank) == 0 and transit is not None and len(transit.stops):
        st = transit.stops.to_crs(crs)
        sg = np.asarray(st.geometry.values)
        stop_xy = np.column_stack([shapely.get_x(sg), shapely.get_y(sg)])
        stop_names = st["name"].map(_text).tolist() if "name" in st else [""] * len(st)
    else:
        stop_xy, stop_names = np.empty((0, 2)), []
    b = shapely.total_bounds(ug) if len(ug) else shapely.total_bounds(cc)
    return MapData(
        cell_x=shapely.get_x(cc),
        cell_y=shapely.get_y(cc),
        demand=cells["demand"].to_numpy(dtype=float),
        cell_side_m=side,
        covered_before={
            t: run.plan.before.cells[f"{t}_covered"].to_numpy(dtype=bool)
            for t in tiers
            if f"{t}_covered" in run.plan.before.cells
        },
        covered_after={
            t: cells[f"{t}_covered"].to_numpy(dtype=bool) for t in tiers if f"{t}_covered" in cells
        },
        road_xy=xy,
        road_start=start,
        road_rank=rank,
        road_name=name,
        road_box=box,
        unit_lines=shapely.boundary(ug) if len(ug) else ug,
        unit_names=[_text(v) for v in label],
        unit_label_xy=np.column_stack([shapely.get_x(lp), shapely.get_y(lp)])
        if len(ug)
        else np.empty((0, 2)),
        bounds=(float(b[0]), float(b[1]), float(b[2]), float(b[3])),
        stop_xy=stop_xy,
        stop_names=stop_names,
        markets=[
            (float(x), float(y), t, n, i)
            for x, y, t, n, i, ok in zip(
                shapely.get_x(mc).tolist() if len(mk) else [],
                shapely.get_y(mc).tolist() if len(mk) else [],
                mtier,
                mname,
                mid,
                keep.tolist(),
                strict=True,
            )
            if ok
        ],
        sites=list(
            zip(
                shapely.get_x(sc).tolist() if len(sites) else [],
                shapely.get_y(sc).tolist() if len(sites) else [],
                sites["tier"].astype(str).tolist(),
                sites["site_id"].astype(str).tolist(),
                strict=True,
            )
        ),
    )


class _Frame:
    """Metres → pixels for a window (north up)."""

    def __init__(self, x0: float, y0: float, k: float, height: int) -> None:
        self.x0, self.y0, self.k, self.h = x0, y0, k, height

    def px(self, x: float, y: float) -> tuple[float, float]:
        return round((x - self.x0) * self.k, 1), round(self.h - (y - self.y0) * self.k, 1)

    def arr(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.empty_like(xy)
        out[:, 0] = (xy[:, 0] - self.x0) * self.k
        out[:, 1] = self.h - (xy[:, 1] - self.y0) * self.k
        return np.round(out, 1)


def _roads(
    d: Drawing, data: MapData, f: _Frame, box: tuple[float, float, float, float], min_rank: int
) -> list[tuple[float, str, float, float]]:
    """Draw the roads in ``box``; return (length px, name, x, y) of named pieces for labels."""
    if len(data.road_rank) == 0:
        return []
    rb = data.road_box
    sel = np.flatnonzero(
        (rb[:, 2] >= box[0])
        & (rb[:, 0] <= box[2])
        & (rb[:, 3] >= box[1])
        & (rb[:, 1] <= box[3])
        & (data.road_rank >= min_rank)
    )
    named: list[tuple[float, str, float, float]] = []
    for rank in (0, 1, 2):
        lines = []
        for e in sel[data.road_rank[sel] == rank]:
            pts = f.arr(data.road_xy[data.road_start[e] : data.road_start[e + 1]])
            lines.append(pts)
            if data.road_name[e] and rank >= 1:
                seg = float(np.hypot(*np.diff(pts, axis=0).T).sum()) if len(pts) > 1 else 0.0
                mid = pts[len(pts) // 2] if len(pts) > 2 else pts.mean(axis=0)
                named.append((seg, str(data.road_name[e]), float(mid[0]), float(mid[1])))
        if lines:
            colour, width = _ROAD_STYLE[rank]
            d.add(Lines(lines, stroke=colour, width=width))
    return named


def _road_labels(
    d: Drawing,
    named: list[tuple[float, str, float, float]],
    taken: list[tuple[float, float]],
    n: int,
) -> None:
    """Label the ``n`` longest named roads once each, away from other labels."""
    by: dict[str, tuple[float, float, float]] = {}
    total: dict[str, float] = {}
    for seg, name, x, y in named:
        total[name] = total.get(name, 0.0) + seg
        if (
            seg > by.get(name, (-1.0, 0.0, 0.0))[0]
            and 20 < x < d.width - 20
            and 20 < y < d.height - 20
        ):
            by[name] = (seg, x, y)
    placed = 0
    for name in sorted(by, key=lambda k: (-total[k], k)):
        _, x, y = by[name]
        if any(abs(x - a) < 60 and abs(y - b) < 16 for a, b in taken):
            continue
        d.add(Text(x, y + 4, name, size=10, fill="#7a4b00", anchor="middle"))
        taken.append((x, y))
        placed += 1
        if placed >= n:
            break


def _units(
    d: Drawing,
    data: MapData,
    f: _Frame,
    box: tuple[float, float, float, float],
    tol_m: float,
    taken: list[tuple[float, float]],
) -> None:
    lines = []
    for g in data.unit_lines:
        part = shapely.clip_by_rect(shapely.simplify(g, tol_m), *box)
        for ln in shapely.get_parts(part):
            c = shapely.get_coordinates(ln)
            if len(c) >= 2:
                lines.append(f.arr(c))
    if lines:
        d.add(Lines(lines, stroke="#555", width=1.2, dash="6 4"))
    for name, (x, y) in zip(data.unit_names, data.unit_label_xy.tolist(), strict=True):
        if box[0] <= x <= box[2] and box[1] <= y <= box[3] and name:
            px, py = f.px(x, y)
            d.add(Text(px, py, name, size=13, fill="#444", anchor="middle", bold=True))
            taken.append((px, py))


def _stops(
    d: Drawing,
    data: MapData,
    f: _Frame,
    box: tuple[float, float, float, float],
    centre: tuple[float, float],
    taken: list[tuple[float, float]],
    n_labels: int = 4,
) -> None:
    """Bus stops as grey dots (site maps without roads), the nearest few named."""
    if len(data.stop_xy) == 0:
        return
    xy = data.stop_xy
    inside = np.flatnonzero(
        (xy[:, 0] >= box[0]) & (xy[:, 0] <= box[2]) & (xy[:, 1] >= box[1]) & (xy[:, 1] <= box[3])
    )
    for i in inside:
        x, y = f.px(float(xy[i, 0]), float(xy[i, 1]))
        d.add(Circle(x, y, 1.8, "#777", stroke="#fff", stroke_width=0.5))
    order = inside[
        np.argsort(np.hypot(xy[inside, 0] - centre[0], xy[inside, 1] - centre[1]), kind="stable")
    ]
    seen: set[str] = set()
    for i in order:
        name = data.stop_names[i]
        if not name or name in seen:
            continue
        x, y = f.px(float(xy[i, 0]), float(xy[i, 1]))
        if any(abs(x - a) < 60 and abs(y - b) < 14 for a, b in taken) or not (
            30 < x < d.width - 30 and 20 < y < d.height - 20
        ):
            continue
        d.add(Text(x + 4, y - 3, name, size=9, fill="#555"))
        taken.append((x + 25, y))
        seen.add(name)
        if len(seen) >= n_labels:
            break


def _scale_bar(d: Drawing, k: float, language: str) -> None:
    w = _WORDS[language]
    target = d.width / 5 / k  # metres for a fifth of the width
    nice = (
        min(
            (1, 2, 5),
            key=lambda m: abs(math.log(target / (m * 10 ** math.floor(math.log10(target))))),
        )
        if target > 0
        else 1
    )
    length = nice * 10 ** math.floor(math.log10(target)) if target > 0 else 1000.0
    bar = length * k
    y = d.height - 12
    d.add(Lines([[(10, y), (10 + bar, y)]], stroke="#000", width=2))
    label = f"{length / 1000:g}{w['km']}" if length >= 1000 else f"{length:g}{w['m']}"
    d.add(Text(10, y - 5, label, size=11, anchor="start"))
    d.add(Text(d.width - 24, 20, f"↑{w['north']}", size=13, anchor="middle"))


def _markets(
    d: Drawing, data: MapData, f: _Frame, *, names: bool, taken: list[tuple[float, float]]
) -> None:
    for mx, my, tier, name, mid in data.markets:
        x, y = f.px(mx, my)
        if not (0 <= x <= d.width and 0 <= y <= d.height):
            continue
        d.add(Circle(x, y, 5, TIER_COLOURS.get(tier, "#444"), title=f"{name} ({mid})"))
        if names and name:
            d.add(Text(x + 7, y + 4, name, size=10, fill="#222"))
            taken.append((x + 30, y))


def _sites(
    d: Drawing, data: MapData, f: _Frame, *, this: str | None, numbers: Mapping[str, int]
) -> None:
    order = [s for s in data.sites if s[3] != this] + [s for s in data.sites if s[3] == this]
    for qx, qy, tier, sid in order:
        x, y = f.px(qx, qy)
        if not (0 <= x <= d.width and 0 <= y <= d.height):
            continue
        big = sid == this
        r = 11.0 if big else 6.5
        d.add(
            Lines(
                [symbol_points(_SYMBOL.get(tier, "square"), x, y, r)],
                stroke="#fff" if not big else "#000",
                width=1.0,
                closed=True,
                fill=TIER_COLOURS.get(tier, "#444"),
                title=sid,
            )
        )
        n = numbers.get(sid)
        if n is not None:
            d.add(Text(x + r + 2, y - r + 4, str(n), size=12 if big else 10, fill="#000", bold=big))


def site_map(
    data: MapData,
    site_id: str,
    *,
    radius_m: float | None = None,
    size_px: int = 320,
    language: str = "zh",
    numbers: Mapping[str, int] | None = None,
    landmark: tuple[float, float, str] | None = None,
) -> Drawing:
    """The map of one proposed site (see the module docstring).

    ``landmark`` (x, y, label) is the place the site's name is measured from; it is marked
    and labelled first.
    """
    i_site = next(i for i, s in enumerate(data.sites) if s[3] == site_id)
    sx, sy, tier, _ = data.sites[i_site]
    r = float(radius_m if radius_m is not None else SVG_RADIUS_M.get(tier, 3000.0))
    x0, y0 = sx - r, sy - r
    k = size_px / (2 * r)
    f = _Frame(x0, y0, k, size_px)
    label = f"{site_id} 周边示意图" if language == "zh" else f"Map around {site_id}"
    d = Drawing(size_px, size_px, label)
    cx, cy = data.cell_x, data.cell_y
    inside = np.flatnonzero((cx > x0) & (cx < x0 + 2 * r) & (cy > y0) & (cy < y0 + 2 * r))
    if len(inside):
        w = data.demand[inside]
        wmax = float(w.max()) or 1.0
        before = data.covered_before.get(tier)
        after = data.covered_after.get(tier)
        new = (
            after[inside] & ~before[inside]
            if before is not None and after is not None
            else np.zeros(len(inside), dtype=bool)
        )
        s = max(data.cell_side_m * k, 1.0)
        for xi, yi, wi, ni in zip(
            cx[inside].tolist(), cy[inside].tolist(), w.tolist(), new.tolist(), strict=True
        ):
            x, y = f.px(xi, yi)
            alpha = 0.1 + 0.7 * min(wi / wmax, 1.0)
            d.add(
                Rect(
                    x - s / 2,
                    y - s / 2,
                    s,
                    s,
                    "#f03b20",
                    opacity=float(f"{alpha:.2f}"),
                    stroke="#1a9641" if ni else None,
                    stroke_width=0.8 if ni else 0.0,
                )
            )
    box = (x0, y0, x0 + 2 * r, y0 + 2 * r)
    here = f.px(sx, sy)
    taken: list[tuple[float, float]] = [here, (here[0], here[1] - 12), (here[0], here[1] + 12)]
    named = _roads(d, data, f, box, min_rank=0)
    _units(d, data, f, box, tol_m=1.0 / k, taken=taken)
    if landmark is not None:
        lx, ly = f.px(landmark[0], landmark[1])
        if 0 <= lx <= size_px and 0 <= ly <= size_px:
            d.add(
                Lines(
                    [[(lx - 4, ly), (lx, ly - 4), (lx + 4, ly), (lx, ly + 4)]],
                    stroke="#fff",
                    width=0.8,
                    closed=True,
                    fill="#333",
                )
            )
            d.add(Text(lx + 6, ly + 4, landmark[2], size=10, fill="#111", bold=True))
            taken.append((lx + 30, ly))
    _stops(d, data, f, box, (sx, sy), taken)
    _markets(d, data, f, names=True, taken=taken)
    _road_labels(d, named, taken, n=5)
    _sites(d, data, f, this=site_id, numbers=numbers or {})
    _scale_bar(d, k, language)
    return d


def overview_map(
    data: MapData,
    *,
    width_px: int = 640,
    language: str = "zh",
    numbers: Mapping[str, int] | None = None,
    market_names: bool | None = None,
) -> Drawing:
    """The map of the whole study area: demand, main roads, units, markets and sites."""
    bx0, by0, bx1, by1 = data.bounds
    pad = 0.03 * max(bx1 - bx0, by1 - by0, 1.0)
    bx0, by0, bx1, by1 = bx0 - pad, by0 - pad, bx1 + pad, by1 + pad
    k = width_px / (bx1 - bx0)
    height = round(min((by1 - by0) * k, 1.4 * width_px))
    k = min(k, height / (by1 - by0))
    f = _Frame(bx0, by0, k, height)
    label = "规划总体示意图" if language == "zh" else "Overview map"
    d = Drawing(width_px, height, label, background="#fbfbf8")
    # demand on a coarse grid: at most ~80 squares across
    b = max(data.cell_side_m, (bx1 - bx0) / 80.0)
    if len(data.demand):
        ix = np.floor((data.cell_x - bx0) / b).astype(np.int64)
        iy = np.floor((data.cell_y - by0) / b).astype(np.int64)
        nx = int(ix.max()) + 1
        key = iy * nx + ix
        uk, inv = np.unique(key, return_inverse=True)
        tot = np.bincount(inv, weights=data.demand)
        top = float(np.quantile(tot[tot > 0], 0.98)) if (tot > 0).any() else 1.0
        s = b * k
        for kk, v in zip(uk.tolist(), tot.tolist(), strict=True):
            if v <= 0:
                continue
            x, y = f.px(bx0 + (kk % nx + 0.5) * b, by0 + (kk // nx + 0.5) * b)
            alpha = 0.08 + 0.6 * min(v / top, 1.0) ** 0.5
            d.add(Rect(x - s / 2, y - s / 2, s, s, "#f03b20", opacity=float(f"{alpha:.2f}")))
    box = (bx0, by0, bx1, by1)
    taken: list[tuple[float, float]] = []
    named = _roads(d, data, f, box, min_rank=1)
    _units(d, data, f, box, tol_m=1.0 / k, taken=taken)
    show = market_names if market_names is not None else len(data.markets) <= 12
    _markets(d, data, f, names=show, taken=taken)
    _road_labels(d, named, taken, n=6)
    _sites(d, data, f, this=None, numbers=numbers or {})
    _scale_bar(d, k, language)
    return d

"""Census units → demand cells: spreading unit counts where people live.

:func:`census_to_cells` spreads each unit's count over a square grid, by area or by a
weight layer, keeping every unit's total exactly.

A census gives one number per county or township. Spread evenly over the polygon, a
county's people land in its hills and reservoirs as much as in its town, and a siting
model then proposes markets there. With whatever the study has, :func:`spread_weights`
builds a weight per grid cell of each unit — the "dasymetric" method of population
geography — for :func:`census_to_cells`:

``grid``
    a population raster (WorldPop, GHS-POP): its counts are the weights;
``roads``
    road density: each street edge's length, smoothed with a Gaussian kernel of
    :data:`~planner.settings.SPREAD_ROADS_BANDWIDTH_M` (settlements are where roads are
    dense; motorways and trunk roads, which pass through empty land, are left out);
``stops``
    bus-stop density, kernel :data:`~planner.settings.SPREAD_STOPS_BANDWIDTH_M` (stops are
    placed where riders live);
``even``
    the area split (no weights).

With ``roads`` and ``stops``, :data:`~planner.settings.SPREAD_EVEN_SHARE` of each unit's
people are spread evenly over it, so villages off the mapped roads and bus lines are not
left empty. Each unit's total is kept exactly whatever the method.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from scipy.spatial import cKDTree

from planner import settings
from planner.errors import ColumnError, CRSError, GeometryError, InvalidValueError
from planner.io._tables import check_unique
from planner.io.census import CensusResult, _codes
from planner.io.population import _grid_ids

__all__ = [
    "SPREAD_METHODS",
    "Spread",
    "census_to_cells",
    "grid_centres",
    "kernel_weights",
    "spread_weights",
]

log = logging.getLogger(__name__)

#: Methods in the order ``"auto"`` tries them.
SPREAD_METHODS: tuple[str, ...] = ("grid", "roads", "stops", "even")

#: Refuse to build more candidate grid cells than this.
_MAX_CELLS = 20_000_000
#: Pieces of a grid cell smaller than this share of the cell are rounding noise.
_SLIVER = 1e-9

#: Road classes left out of the road-density weights (they cross empty land).
_THROUGH_ROADS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})


@dataclass(frozen=True)
class Spread:
    """How census counts are placed inside their units.

    Attributes
    ----------
    method
        ``"grid"``, ``"roads"``, ``"stops"`` or ``"even"``.
    weights
        Weight points for :func:`census_to_cells` (``cell_id``,
        ``weight``, ``cell_area_m2``), ``None`` for the even split.
    description
        One sentence for reports (what was used, with its numbers).
    """

    method: str
    weights: gpd.GeoDataFrame | None
    description: str


def grid_centres(units: gpd.GeoDataFrame, cell_size_m: float) -> gpd.GeoDataFrame:
    """Centres of the grid cells (anchored at multiples of ``cell_size_m``) inside ``units``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell_id`` (``r{row}c{col}``), ``unit`` (position of the unit holding the centre),
        ``cell_area_m2``; point geometry in the units' CRS.

    Examples
    --------
    >>> u = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1000, 500)], crs=32651)
    >>> grid_centres(u, 500)["cell_id"].tolist()
    ['r0c0', 'r0c1']
    """
    geoms = np.asarray(units.geometry.values, dtype=object)
    west, south, east, north = units.total_bounds
    c0, c1 = int(np.floor(west / cell_size_m)), int(np.floor(east / cell_size_m))
    r0, r1 = int(np.floor(south / cell_size_m)), int(np.floor(north / cell_size_m))
    n = (c1 - c0 + 1) * (r1 - r0 + 1)
    if n > _MAX_CELLS:
        raise InvalidValueError(
            f"the study area spans {n:,} grid cells of {cell_size_m:g} m",
            fix="use a larger cell_size_m",
        )
    gc, gr = np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1))
    cc, rr = gc.ravel(), gr.ravel()
    pts = shapely.points((cc + 0.5) * cell_size_m, (rr + 0.5) * cell_size_m)
    tree = shapely.STRtree(geoms)
    pi, ui = tree.query(pts, predicate="within")
    first = np.ones(pi.size, dtype=bool)  # a centre on a shared border goes to one unit
    order = np.lexsort((ui, pi))
    pi, ui = pi[order], ui[order]
    first[1:] = pi[1:] != pi[:-1]
    pi, ui = pi[first], ui[first]
    return gpd.GeoDataFrame(
        {
            "cell_id": _grid_ids(rr[pi], cc[pi]),
            "unit": ui.astype(np.int64),
            "cell_area_m2": np.full(pi.size, cell_size_m * cell_size_m),
        },
        geometry=pts[pi],
        crs=units.crs,
    )


def kernel_weights(
    targets_xy: NDArray[np.float64],
    points_xy: NDArray[np.float64],
    point_weights: NDArray[np.float64],
    bandwidth_m: float,
) -> NDArray[np.float64]:
    """Gaussian kernel density of weighted points at each target (truncated at 3 bandwidths).

    Examples
    --------
    >>> w = kernel_weights(np.array([[0.0, 0.0], [5000.0, 0.0]]), np.array([[0.0, 0.0]]),
    ...                    np.array([2.0]), 1000.0)
    >>> w.tolist()   # exp(0) × 2 at the point, nothing 5 bandwidths away
    [2.0, 0.0]
    """
    out = np.zeros(len(targets_xy), dtype=np.float64)
    if len(points_xy) == 0 or len(targets_xy) == 0:
        return out
    pairs = cKDTree(targets_xy).sparse_distance_matrix(
        cKDTree(points_xy), 3.0 * bandwidth_m, output_type="ndarray"
    )
    k = np.exp(-0.5 * (pairs["v"] / bandwidth_m) ** 2) * point_weights[pairs["j"]]
    np.add.at(out, pairs["i"], k)
    return out


def _mix_even(
    cells: gpd.GeoDataFrame, density: NDArray[np.float64], even_share: float
) -> NDArray[np.float64]:
    """Per unit: (1 - even_share) by density + even_share evenly (each unit's weights sum to 1)."""
    unit = cells["unit"].to_numpy()
    n_units = int(unit.max()) + 1 if unit.size else 0
    dens_sum = np.bincount(unit, weights=density, minlength=n_units)
    count = np.bincount(unit, minlength=n_units).astype(float)
    has = dens_sum[unit] > 0
    share_dens = np.where(has, 1.0 - even_share, 0.0)
    by_density = np.divide(density, dens_sum[unit], out=np.zeros_like(density), where=has)
    return share_dens * by_density + (1.0 - share_dens) / count[unit]


def _road_cover(units: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, cell_size_m: float) -> float:
    """Share of the units' grid cells within MAX_SNAP_DEMAND_M of a street."""
    cells = grid_centres(units, cell_size_m)
    if len(cells) == 0:
        return 0.0
    mid = shapely.line_interpolate_point(streets.geometry.values, 0.5, normalized=True)
    tree = cKDTree(np.column_stack([shapely.get_x(mid), shapely.get_y(mid)]))
    d, _ = tree.query(
        np.column_stack([cells.geometry.x, cells.geometry.y]),
        distance_upper_bound=settings.MAX_SNAP_DEMAND_M,
    )
    return float(np.isfinite(d).mean())


def spread_weights(
    units: gpd.GeoDataFrame,
    *,
    method: str = "auto",
    cell_size_m: float = settings.CENSUS_CELL_SIZE_M,
    grid: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
    even_share: float = settings.SPREAD_EVEN_SHARE,
) -> Spread:
    """Choose how to spread census counts inside units and build the weights.

    Parameters
    ----------
    units
        Census units (projected CRS).
    method
        ``"auto"`` (the first of grid, roads, stops the arguments provide, else even; roads
        only when they reach :data:`~planner.settings.SPREAD_ROADS_MIN_COVER` of the area's
        cells, so a partial network does not pull everyone into its corner), or one of
        :data:`SPREAD_METHODS`; a method whose layer is missing is an error.
    cell_size_m
        Grid of the demand cells (the weights are on the same grid).
    grid
        Population raster points (:func:`~planner.io.population.read_population_grid`,
        ideally aggregated to ``cell_size_m``) with ``population``.
    streets
        Street edges (:attr:`planner.io.osm.OsmData.streets`) with ``length_m``,
        ``highway`` and line geometry.
    stops
        Bus stops (:attr:`planner.io.transit.TransitFeed.stops`), points.
    even_share
        Share of each unit spread evenly with ``roads`` and ``stops``.

    Examples
    --------
    >>> u = gpd.GeoDataFrame({"code": ["a"]}, geometry=[shapely.box(0, 0, 2000, 500)],
    ...                      crs=32651)
    >>> stops = gpd.GeoDataFrame(geometry=[shapely.Point(250, 250)] * 3, crs=32651)
    >>> s = spread_weights(u, cell_size_m=500, stops=stops, even_share=0.2)
    >>> s.method, [round(w, 3) for w in s.weights["weight"]]   # 0.8 × kernel share + 0.2 / 4
    ('stops', [0.376, 0.318, 0.199, 0.106])
    """
    available = {
        "grid": grid is not None and len(grid) > 0,
        "roads": streets is not None and len(streets) > 0,
        "stops": stops is not None and len(stops) > 0,
        "even": True,
    }
    skipped = ""
    if method == "auto":
        if available["roads"]:
            assert streets is not None
            cover = _road_cover(units, streets, cell_size_m)
            if cover < settings.SPREAD_ROADS_MIN_COVER:
                available["roads"] = False
                skipped = (
                    f"; roads not used: they reach only {cover:.0%} of the area (a partial"
                    " network would pull everyone into its corner)"
                )
        method = next(m for m in SPREAD_METHODS if available[m])
    elif method not in SPREAD_METHODS:
        raise InvalidValueError(
            f"unknown spread method {method!r}", fix=f"use auto or {', '.join(SPREAD_METHODS)}"
        )
    elif not available[method]:
        layer = {"grid": "spread_grid", "roads": "[inputs.roads]", "stops": "[inputs.transit]"}
        raise InvalidValueError(
            f"spread = {method!r} but the study has no such layer",
            fix=f"add {layer[method]} to the study file, or use spread = 'auto'",
        )
    if method == "even":
        text = "人口按面积均匀分布于各统计单元 (no population grid, roads or bus stops"
        return Spread("even", None, f"{text}{skipped})")
    cells = grid_centres(units, cell_size_m)
    xy = np.column_stack(
        [shapely.get_x(cells.geometry.values), shapely.get_y(cells.geometry.values)]
    )
    if method == "grid":
        assert grid is not None
        g = grid.to_crs(units.crs)
        gxy = np.column_stack([shapely.get_x(g.geometry.values), shapely.get_y(g.geometry.values)])
        # the raster's people, summed onto the demand grid (nearest centre)
        _, near = cKDTree(xy).query(gxy, distance_upper_bound=cell_size_m)
        ok = near < len(cells)
        density = np.bincount(
            near[ok], weights=g["population"].to_numpy(dtype=float)[ok], minlength=len(cells)
        ).astype(np.float64)
        weights = _mix_even(cells, density, 0.0)
        text = f"人口按人口格网分布 (population grid, {len(g):,} cells)"
    elif method == "roads":
        assert streets is not None
        s = streets
        if "highway" in s:
            s = s[~s["highway"].astype(str).isin(_THROUGH_ROADS)]
        mid = shapely.line_interpolate_point(s.geometry.values, 0.5, normalized=True)
        pxy = np.column_stack([shapely.get_x(mid), shapely.get_y(mid)])
        h = settings.SPREAD_ROADS_BANDWIDTH_M
        density = kernel_weights(xy, pxy, s["length_m"].to_numpy(dtype=float), h)
        weights = _mix_even(cells, density, even_share)
        text = (
            f"人口按道路密度分布 (road density of {len(s):,} street edges, kernel {h:,.0f} m;"
            f" {even_share:.0%} spread evenly)"
        )
    else:
        assert stops is not None
        pts = stops.geometry.values
        pxy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
        h = settings.SPREAD_STOPS_BANDWIDTH_M
        density = kernel_weights(xy, pxy, np.ones(len(pxy)), h)
        weights = _mix_even(cells, density, even_share)
        text = (
            f"人口按公交站点密度分布 (bus-stop density of {len(pxy):,} stops, kernel {h:,.0f} m;"
            f" {even_share:.0%} spread evenly)"
        )
    text += skipped
    out = cells.assign(weight=weights).drop(columns="unit")
    out = out[out["weight"] > 0].reset_index(drop=True)
    log.info("census spread: %s", text)
    return Spread(method, gpd.GeoDataFrame(out, geometry="geometry", crs=units.crs), text)


# --- census units → demand cells -------------------------------------------------------


def census_to_cells(
    units: gpd.GeoDataFrame | CensusResult,
    *,
    cell_size_m: float = settings.CENSUS_CELL_SIZE_M,
    weights: gpd.GeoDataFrame | None = None,
    weight_column: str | None = "population",
    groups: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Spread each unit's population over cells, keeping every unit's total exactly.

    Parameters
    ----------
    units
        Polygons in a projected CRS with ``code`` and ``population`` (e.g.
        ``read_census(...).units``), or a :class:`CensusResult`.
    cell_size_m
        Side of the square grid (metres), anchored at multiples of ``cell_size_m`` in the
        units' CRS (the same grid as ``read_population_grid(..., aggregate_m=...)``).
    weights
        Optional weight layer: points (raster cells from :func:`read_population_grid`,
        building points …); other geometries are represented by a point on their surface.
        Each unit's count is split in proportion to the weights of the features inside it
        (a feature on a shared border goes to the first unit). A unit with no weight
        inside falls back to the area split (logged). Reprojected to the units' CRS when
        needed (logged).
    weight_column
        Column of ``weights`` holding the weight; ``None`` counts every feature as 1.
    groups
        Priority-group share columns of ``units`` to carry. Default: the groups of the
        :class:`CensusResult` (``units.attrs["groups"]``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per populated piece, ordered by unit then cell:

        - ``cell_id``: area split: ``"{unit_code}_r{row}c{col}"`` with ``row =
          floor(y / cell_size_m)``, ``col = floor(x / cell_size_m)`` (a grid cell cut by
          a unit border gives one piece per unit); weight split: the weight feature's
          ``cell_id`` when it has one, else ``"w{position}"``.
        - ``unit_code``, ``population``;
        - ``cell_area_m2``: area of the piece (cell ∩ unit) for the area split, the
          weight feature's ``cell_area_m2`` (else NaN) for the weight split;
        - per group: ``<group>`` (the unit's share) and ``<group>_population``;
        - geometry: the cell centre when the cell lies wholly inside the unit, else the
          centroid of the piece (or a point on it when the centroid falls outside);
          for the weight split, the weight feature's point.

    Raises
    ------
    CRSError
        Units without CRS or in lon/lat degrees.
    ColumnError, DuplicateIdError, InvalidValueError, GeometryError
        Missing ``code``/``population``/group/weight column, repeated codes, negative or
        NaN counts or weights, a non-positive cell size, empty unit polygons.

    Examples
    --------
    >>> units = gpd.GeoDataFrame({"code": ["a"], "population": [1000.0]},
    ...     geometry=[shapely.box(0, 0, 1000, 1000)], crs=32651)
    >>> cells = census_to_cells(units, cell_size_m=500)
    >>> cells["population"].tolist()
    [250.0, 250.0, 250.0, 250.0]
    """
    if isinstance(units, CensusResult):
        if groups is None:
            groups = units.groups
        units = units.units
    if groups is None:
        groups = tuple(units.attrs.get("groups", ()))
    groups = tuple(groups)
    where = "units"
    if not (math.isfinite(cell_size_m) and cell_size_m > 0):
        raise InvalidValueError(
            f"cell_size_m must be a positive number of metres, got {cell_size_m!r}",
            path=where,
            fix="give e.g. cell_size_m=500",
        )
    if units.crs is None:
        raise CRSError("the units have no CRS", path=where, fix="set the CRS of the polygons")
    if not CRS(units.crs).is_projected:
        raise CRSError(
            f"the units are in {CRS(units.crs).name}, not a projected CRS (cells would be in"
            " degrees)",
            path=where,
            fix="use read_census(...).units, or units.to_crs(a UTM zone)",
        )
    for col in ("code", "population", *groups):
        if col not in units.columns:
            raise ColumnError(
                f"the units have no '{col}' column",
                path=where,
                column=col,
                fix="use read_census(...).units or add the column",
            )
    frame = units.reset_index(drop=True)
    codes = _codes(frame["code"], path=where, column="code")
    frame = frame.assign(code=codes.to_numpy())
    check_unique(frame, "code", path=where)
    pop = pd.to_numeric(frame["population"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(pop) | (pop < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"unit {frame['code'].iloc[i]} has population {frame['population'].iloc[i]}"
            f" ({int(bad.sum())} such unit(s))",
            path=where,
            column="population",
            fix="give every unit a count of 0 or more",
        )
    geoms = np.asarray(frame.geometry.values, dtype=object)
    empty = np.asarray(shapely.is_missing(geoms) | shapely.is_empty(geoms)) | (
        np.asarray(shapely.area(geoms), dtype=float) <= 0
    )
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise GeometryError(
            f"unit {frame['code'].iloc[i]} has no area ({int(empty.sum())} such unit(s))",
            path=where,
            fix="give every unit a polygon, or drop it",
        )
    share_cols = {}
    for g in groups:
        s = pd.to_numeric(frame[g], errors="coerce").to_numpy(dtype=np.float64)
        badg = ~np.isfinite(s) | (s < 0) | (s > 1)
        if badg.any():
            i = int(np.flatnonzero(badg)[0])
            raise InvalidValueError(
                f"unit {frame['code'].iloc[i]} has share {frame[g].iloc[i]}, not in [0, 1]",
                path=where,
                column=g,
                fix="give shares as fractions between 0 and 1",
            )
        share_cols[g] = s

    parts: list[pd.DataFrame] = []
    geoms_out: list[NDArray[np.object_]] = []
    area_units = np.arange(len(frame))
    if weights is not None:
        w_part, w_geoms, fallback = _weighted_pieces(
            frame, geoms, pop, weights, weight_column, where=where
        )
        parts.append(w_part)
        geoms_out.append(w_geoms)
        area_units = fallback
    if area_units.size:
        a_part, a_geoms = _area_pieces(frame, geoms, pop, area_units, cell_size_m)
        parts.append(a_part)
        geoms_out.append(a_geoms)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    all_geoms = np.concatenate(geoms_out) if geoms_out else np.zeros(0, dtype=object)
    # order by unit (input order), then as produced
    order = np.lexsort((np.arange(len(table)), table["_unit"].to_numpy()))
    table = table.iloc[order].reset_index(drop=True)
    all_geoms = all_geoms[order]
    unit_idx = table["_unit"].to_numpy()
    out = pd.DataFrame(
        {
            "cell_id": table["cell_id"].to_numpy(dtype=object),
            "unit_code": frame["code"].to_numpy(dtype=object)[unit_idx],
            "population": table["population"].to_numpy(dtype=np.float64),
            "cell_area_m2": table["cell_area_m2"].to_numpy(dtype=np.float64),
        }
    )
    for g, s in share_cols.items():
        out[g] = s[unit_idx]
        out[f"{g}_population"] = out["population"] * out[g]
    keep = out["population"].to_numpy() > 0
    if not keep.all():
        log.debug("%d piece(s) with zero population left out", int((~keep).sum()))
        out = out.loc[keep].reset_index(drop=True)
        all_geoms = all_geoms[keep]
    gdf = gpd.GeoDataFrame(out, geometry=list(all_geoms), crs=units.crs)
    gdf.attrs["groups"] = groups
    log.info(
        "%d unit(s), population %.0f, spread over %d cell piece(s)",
        len(frame),
        float(pop.sum()),
        len(gdf),
    )
    return gdf


def _area_pieces(
    frame: gpd.GeoDataFrame,
    geoms: NDArray[np.object_],
    pop: NDArray[np.float64],
    which: NDArray[np.int64],
    size_m: float,
) -> tuple[pd.DataFrame, NDArray[np.object_]]:
    """Split the units ``which`` over grid cells by intersection area."""
    bounds = np.asarray(shapely.bounds(geoms[which]), dtype=float)
    c0 = np.floor(bounds[:, 0] / size_m).astype(np.int64)
    r0 = np.floor(bounds[:, 1] / size_m).astype(np.int64)
    c1 = np.floor(bounds[:, 2] / size_m).astype(np.int64)  # inclusive
    r1 = np.floor(bounds[:, 3] / size_m).astype(np.int64)
    ncol = c1 - c0 + 1
    nrow = r1 - r0 + 1
    counts = ncol * nrow
    n = int(counts.sum())
    if n > _MAX_CELLS:
        raise InvalidValueError(
            f"the units span {n:,} candidate cells of {size_m:g} m (limit {_MAX_CELLS:,})",
            path="units",
            fix="use a larger cell_size_m, or fewer units at a time",
        )
    # Candidate (unit, cell) pairs: every cell of each unit's bounding box.
    unit_of = np.repeat(np.arange(which.size), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(n, dtype=np.int64) - start
    rr = r0[unit_of] + k // ncol[unit_of]
    cc = c0[unit_of] + k % ncol[unit_of]
    boxes = shapely.box(cc * size_m, rr * size_m, (cc + 1) * size_m, (rr + 1) * size_m)
    polys = geoms[which]
    shapely.prepare(polys)
    poly_of = polys[unit_of]
    hit = np.asarray(shapely.intersects(poly_of, boxes))
    unit_of, rr, cc, boxes, poly_of = (
        unit_of[hit],
        rr[hit],
        cc[hit],
        boxes[hit],
        poly_of[hit],
    )
    inside = np.asarray(shapely.contains_properly(poly_of, boxes))
    piece_area = np.full(unit_of.size, size_m * size_m, dtype=np.float64)
    points = shapely.points((cc + 0.5) * size_m, (rr + 0.5) * size_m)
    edge = np.flatnonzero(~inside)
    if edge.size:
        pieces = shapely.intersection(poly_of[edge], boxes[edge])
        piece_area[edge] = shapely.area(pieces)
        cen = shapely.centroid(pieces)
        ok = np.asarray(shapely.intersects(pieces, cen))
        cen[~ok] = shapely.point_on_surface(pieces[~ok])
        points[edge] = cen
    # A cell that only touches a unit (its border on a grid line) leaves a piece whose area
    # is rounding noise (1e-7 m² and less): no piece, or it would hold 1e-11 people.
    real = piece_area > _SLIVER * size_m * size_m
    real |= np.bincount(unit_of[real], minlength=which.size)[unit_of] == 0  # a unit keeps one
    unit_of, rr, cc, piece_area, points = (
        unit_of[real],
        rr[real],
        cc[real],
        piece_area[real],
        points[real],
    )
    # Exact totals: each unit's count in proportion to its pieces' areas.
    unit_area = np.bincount(unit_of, weights=piece_area, minlength=which.size)
    units_global = which[unit_of]
    share = np.divide(
        piece_area, unit_area[unit_of], out=np.zeros_like(piece_area), where=unit_area[unit_of] > 0
    )
    population = pop[units_global] * share
    code = frame["code"].to_numpy(dtype=object)[units_global]
    ids = pd.Series(code).astype(str) + "_" + pd.Series(_grid_ids(rr, cc)).astype(str)
    table = pd.DataFrame(
        {
            "_unit": units_global,
            "cell_id": ids.to_numpy(dtype=object),
            "population": population,
            "cell_area_m2": piece_area,
        }
    )
    return table, np.asarray(points, dtype=object)


def _weighted_pieces(
    frame: gpd.GeoDataFrame,
    geoms: NDArray[np.object_],
    pop: NDArray[np.float64],
    weights: gpd.GeoDataFrame,
    weight_column: str | None,
    *,
    where: str,
) -> tuple[pd.DataFrame, NDArray[np.object_], NDArray[np.int64]]:
    """Split units by weight features; return the pieces and the units left for area split."""
    wpath = "weights"
    if weights.crs is None:
        raise CRSError("the weight layer has no CRS", path=wpath, fix="set its CRS")
    w = weights.reset_index(drop=True)
    if CRS(w.crs) != CRS(frame.crs):
        log.info("reprojecting %d weight feature(s) to %s", len(w), CRS(frame.crs).name)
        w = w.to_crs(frame.crs)
    if weight_column is None:
        wv = np.ones(len(w), dtype=np.float64)
    else:
        if weight_column not in w.columns:
            raise ColumnError(
                f"the weight layer has no '{weight_column}' column",
                path=wpath,
                column=weight_column,
                fix="name the weight column with weight_column=, or None to count features",
            )
        wv = pd.to_numeric(w[weight_column], errors="coerce").to_numpy(dtype=np.float64)
        badw = ~np.isfinite(wv) | (wv < 0)
        if badw.any():
            i = int(np.flatnonzero(badw)[0])
            raise InvalidValueError(
                f"feature {i + 1} has weight {w[weight_column].iloc[i]}"
                f" ({int(badw.sum())} such feature(s))",
                path=wpath,
                column=weight_column,
                fix="weights must be numbers of 0 or more",
            )
    wg = np.asarray(w.geometry.values, dtype=object)
    missing = np.asarray(shapely.is_missing(wg) | shapely.is_empty(wg))
    if missing.any():
        log.warning("weights: %d feature(s) without geometry not used", int(missing.sum()))
    not_point = ~missing & (np.asarray(shapely.get_type_id(wg)) != 0)
    if not_point.any():
        log.info("weights: %d non-point feature(s) placed at a point on them", not_point.sum())
        wg = wg.copy()
        wg[not_point] = shapely.point_on_surface(wg[not_point])
    tree = shapely.STRtree(geoms)
    usable = np.flatnonzero(~missing)
    pt_idx, unit_idx = tree.query(wg[usable], predicate="intersects")
    pt_idx = usable[pt_idx]
    # a point on a shared border: keep the first unit (lowest position), deterministic
    order = np.lexsort((unit_idx, pt_idx))
    pt_idx, unit_idx = pt_idx[order], unit_idx[order]
    first = np.ones(pt_idx.size, dtype=bool)
    first[1:] = pt_idx[1:] != pt_idx[:-1]
    pt_idx, unit_idx = pt_idx[first], unit_idx[first]
    outside = int(usable.size - pt_idx.size)
    if outside:
        log.info("weights: %d feature(s) fall outside every unit and are not used", outside)
    unit_w = np.bincount(unit_idx, weights=wv[pt_idx], minlength=len(frame))
    fallback = np.flatnonzero(unit_w <= 0)
    if fallback.size:
        log.warning(
            "%d unit(s) have no weight inside (%s); their population (%.0f) is spread by area",
            fallback.size,
            ", ".join(frame["code"].iloc[fallback[:10]]),
            float(pop[fallback].sum()),
        )
    use = unit_w[unit_idx] > 0
    pt_idx, unit_idx = pt_idx[use], unit_idx[use]
    population = pop[unit_idx] * wv[pt_idx] / unit_w[unit_idx]
    if "cell_id" in w.columns:
        ids = w["cell_id"].astype(str).to_numpy(dtype=object)[pt_idx]
    else:
        ids = ("w" + pd.Series(pt_idx).astype(str)).to_numpy(dtype=object)
    cell_area = (
        pd.to_numeric(w["cell_area_m2"], errors="coerce").to_numpy(dtype=np.float64)[pt_idx]
        if "cell_area_m2" in w.columns
        else np.full(pt_idx.size, np.nan)
    )
    table = pd.DataFrame(
        {
            "_unit": unit_idx,
            "cell_id": ids,
            "population": population,
            "cell_area_m2": cell_area,
        }
    )
    return table, np.asarray(wg[pt_idx], dtype=object), fallback


def describe_units(units: pd.DataFrame) -> str:
    """``芝罘区 (370602), 莱山区 (370613)`` for notes."""
    return ", ".join(f"{n} ({c})" for c, n in zip(units["code"], units["name"], strict=True))

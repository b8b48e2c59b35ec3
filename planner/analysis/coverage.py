"""Who can reach a market in time: nearest-market times by tier and mode, coverage, gaps.

For every demand cell and tier, the travel time to the nearest open market that serves
that tier is computed per mode by one multi-source search per (tier, mode) on the mode's
graph (worker → market direction), plus the walk from the cell to its node. The best mode
is the fastest; a cell is *covered* for a tier when its best time is within the tier's
threshold (:data:`planner.settings.TIER_RULES`). Stations also count as covering a rural
cell within the straight-line rural radius (the 5 km rural reference).

Which markets serve a tier follows :data:`planner.settings.TIER_SERVED_BY`: a worker who
needs a market within a 15-minute walk is served by a station or by any larger market
that close; the comprehensive and sector needs are met only by markets of those tiers.

Gaps are the connected groups of uncovered cells, as polygons with their demand.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from planner import settings
from planner._repr import html_table, one_line
from planner.errors import ColumnError, CRSError, InvalidValueError, ModeError
from planner.network.cache import cached_nearest, cached_travel_times_to
from planner.network.fallback import FALLBACK_SPEEDS_KMH, straight_line_times
from planner.network.graph import TravelGraph
from planner.network.snapping import snap_points
from planner.network.transit import BusLayer

__all__ = [
    "AccessMatrix",
    "Coverage",
    "TierRule",
    "access_matrix",
    "coverage",
    "coverage_gaps",
    "default_rules",
    "open_markets",
]

log = logging.getLogger(__name__)

Graphs = Mapping[str, TravelGraph | BusLayer]


@dataclass(frozen=True)
class TierRule:
    """When a cell counts as covered for a tier.

    Attributes
    ----------
    tier
        ``comprehensive``, ``sector`` or ``station``.
    threshold_min
        Largest travel time, minutes.
    modes
        Modes that count (the best of them is used).
    rural_radius_m
        Optional: a rural cell within this straight-line distance of a serving market is
        covered too (stations: the 5 km rural reference).
    """

    tier: str
    threshold_min: float
    modes: tuple[str, ...]
    rural_radius_m: float | None = None

    @property
    def threshold_s(self) -> float:
        return self.threshold_min * 60.0


def default_rules() -> dict[str, TierRule]:
    """The tier rules of :data:`planner.settings.TIER_RULES` as :class:`TierRule` objects."""
    return {
        tier: TierRule(
            tier=tier,
            threshold_min=float(r["threshold_min"]),
            modes=tuple(r["modes"]),
            rural_radius_m=r.get("rural_radius_m"),
        )
        for tier, r in settings.TIER_RULES.items()
    }


def open_markets(
    markets: gpd.GeoDataFrame, *, at: dt.datetime | None = None, holidays: Any = None
) -> gpd.GeoDataFrame:
    """Markets that can serve: not closed or suspended, with a location, open at ``at``.

    Parameters
    ----------
    markets
        From :func:`planner.io.markets.read_markets`.
    at
        Optional moment; markets whose parsed opening hours say closed then are left out
        (markets without parsed hours are kept and counted in a log message).
    """
    keep = markets.geometry.notna() & ~markets.geometry.is_empty
    n_nogeom = int((~keep).sum())
    if "status" in markets:
        keep &= ~markets["status"].isin(["closed", "suspended"])
    if at is not None and "opening_hours" in markets:
        hours = markets["opening_hours"]
        known = hours.notna()
        is_open = hours.map(lambda h: h.is_open(at, holidays=holidays) if h is not None else True)
        keep &= is_open.astype(bool) | ~known
        if (~known & keep).any():
            log.info(
                "%d market(s) without readable hours are assumed open", int((~known & keep).sum())
            )
    if n_nogeom:
        log.warning("%d market(s) without coordinates cannot be placed and are left out", n_nogeom)
    return markets[keep]


@dataclass(repr=False)
class Coverage:
    """Coverage of demand cells by existing (or planned) markets.

    Attributes
    ----------
    cells
        The demand cells with, per tier ``t`` and mode ``m``: ``t_m_time_s`` (``inf`` when
        beyond the threshold or unreachable), ``t_time_s`` (best mode), ``t_mode`` (the
        best mode, empty when none), ``t_market`` (id of the nearest serving market, empty
        when none), ``t_covered``; and ``covered_all`` (covered for every tier).
    rules
        The rules used.
    weight
        The demand column summaries are weighted by.
    notes
        How the times were obtained (network or straight-line fallback …), and which
        markets no mode's network reaches, named (existing markets apart from proposed
        sites, ``status = "proposed"``).
    """

    cells: gpd.GeoDataFrame
    rules: dict[str, TierRule]
    weight: str
    notes: list[str] = field(default_factory=list)

    def _facts(self) -> list[tuple[str, object]]:
        s = self.summary()
        facts: list[tuple[str, object]] = [("cells", f"{len(self.cells):,}")]
        facts += [(str(r.tier), f"{r.share:.1%} of {r.demand:,.0f}") for r in s.itertuples()]
        return facts

    def __repr__(self) -> str:
        return one_line("Coverage", self._facts())

    def _repr_html_(self) -> str:
        return html_table("Coverage", [*self._facts(), ("notes", "; ".join(self.notes))])

    def summary(self) -> pd.DataFrame:
        """Per tier: total demand, covered demand, share covered, and share by each mode."""
        w = self.cells[self.weight].to_numpy(dtype=float)
        total = float(w.sum())
        rows = []
        for tier, rule in self.rules.items():
            cov = self.cells[f"{tier}_covered"].to_numpy(dtype=bool)
            row: dict[str, Any] = {
                "tier": tier,
                "threshold_min": rule.threshold_min,
                "modes": "/".join(rule.modes),
                "demand": total,
                "covered": float(w[cov].sum()),
                "share": float(w[cov].sum() / total) if total else float("nan"),
            }
            for m in rule.modes:
                col = f"{tier}_{m}_time_s"
                if col in self.cells:
                    ok = np.isfinite(self.cells[col].to_numpy()) & (
                        self.cells[col].to_numpy() <= rule.threshold_s
                    )
                    row[f"share_{m}"] = float(w[ok].sum() / total) if total else float("nan")
            rows.append(row)
        return pd.DataFrame(rows)

    def by_area(self, column: str) -> pd.DataFrame:
        """Demand and share covered per tier, grouped by a cell column (e.g. ``unit_code``)."""
        if column not in self.cells:
            raise ColumnError(f"cells have no column '{column}'", column=column)
        df = pd.DataFrame({column: self.cells[column], "demand": self.cells[self.weight]})
        for tier in self.rules:
            df[tier] = np.where(self.cells[f"{tier}_covered"], df["demand"], 0.0)
        g = df.groupby(column, sort=True).sum()
        for tier in self.rules:
            g[f"{tier}_share"] = g[tier] / g["demand"].where(g["demand"] > 0)
        return g.reset_index()

    def by_group(self, groups: Sequence[str]) -> pd.DataFrame:
        """Share covered per tier for each priority group (columns ``<group>_demand``)."""
        rows = []
        for grp in groups:
            col = grp if grp in self.cells else f"{grp}_demand"
            if col not in self.cells:
                raise ColumnError(f"cells have no column '{grp}' or '{grp}_demand'", column=grp)
            w = self.cells[col].to_numpy(dtype=float)
            row: dict[str, Any] = {"group": grp, "demand": float(w.sum())}
            for tier in self.rules:
                cov = self.cells[f"{tier}_covered"].to_numpy(dtype=bool)
                row[f"{tier}_share"] = float(w[cov].sum() / w.sum()) if w.sum() else float("nan")
            rows.append(row)
        return pd.DataFrame(rows)


def _check_inputs(cells: gpd.GeoDataFrame, markets: gpd.GeoDataFrame, weight: str) -> None:
    if cells.crs is None or markets.crs is None:
        raise CRSError("demand cells and markets need a CRS", fix="read them with the study area")
    if cells.crs != markets.crs:
        raise CRSError(
            f"demand cells are in {cells.crs.name} but markets in {markets.crs.name}",
            fix="read both with the same study area (area=...)",
        )
    if not cells.crs.is_projected:
        raise CRSError("demand cells must be in a projected CRS (metres)", fix="use area.crs")
    if weight not in cells:
        raise ColumnError(
            f"demand cells have no '{weight}' column",
            column=weight,
            fix="compute demand first (planner.analysis.demand.worker_demand)",
        )
    w = pd.to_numeric(cells[weight], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(w).all() or (w < 0).any():
        i = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
        raise InvalidValueError(
            f"demand cell {i} has weight {w[i]}", column=weight, fix="weights must be >= 0"
        )
    if "tier" not in markets:
        raise ColumnError("markets have no 'tier' column", column="tier")


def _graph_of(graphs: Graphs, mode: str) -> tuple[TravelGraph, int | None]:
    if mode not in graphs:
        raise ModeError(
            f"no graph for mode '{mode}' (have: {', '.join(graphs) or 'none'})",
            fix="build it (planner.network) or drop the mode from the tier's rule",
        )
    g = graphs[mode]
    if isinstance(g, BusLayer):
        return g.graph, g.n_walk_nodes
    return g, None


def _nearest_times(
    cells: gpd.GeoDataFrame,
    markets: gpd.GeoDataFrame,
    graph: TravelGraph,
    first_nodes: int | None,
    cutoff_s: float,
    snapped_cells: Any,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    if len(markets) == 0:
        return np.full(len(cells), np.inf), np.full(len(cells), -1, dtype=np.int64)
    # quiet: coverage() reports the markets off the network once, by name (_off_network)
    sm = snap_points(markets, graph, what="markets", first_nodes=first_nodes, quiet=True)
    res = cached_nearest(
        graph,
        sm.position,
        cutoff_s=cutoff_s,
        facility_offsets_s=sm.offset_s,
        direction="to",
    )
    return res.for_points(snapped_cells.position, snapped_cells.offset_s)


def coverage(
    cells: gpd.GeoDataFrame,
    markets: gpd.GeoDataFrame,
    graphs: Graphs,
    *,
    rules: Mapping[str, TierRule] | None = None,
    weight: str = "demand",
    served_by: Mapping[str, Sequence[str]] | None = None,
    fallback: bool = False,
    progress: bool = False,
) -> Coverage:
    """Nearest-market times and coverage of every demand cell, by tier and mode.

    Parameters
    ----------
    cells
        Demand cells (points or polygons) in the study's projected CRS, with ``weight``.
    markets
        Markets that can serve (see :func:`open_markets`), with ``tier`` and ``market_id``.
    graphs
        Mode graphs: ``walk``, ``ebike``, ``drive`` (TravelGraph) and ``bus`` (BusLayer).
    rules
        Tier rules; default :func:`default_rules`.
    weight
        Demand column for summaries.
    served_by
        Which market tiers serve each tier; default :data:`planner.settings.TIER_SERVED_BY`.
    fallback
        For a mode without a graph, estimate times from straight lines × the circuity
        factor (:mod:`planner.network.fallback`) instead of raising; bus, which needs a
        network, is then left out. ``notes`` says so.
    """
    rules = dict(rules) if rules is not None else default_rules()
    served_by = served_by or settings.TIER_SERVED_BY
    _check_inputs(cells, markets, weight)
    out = cells.copy()
    ids = (
        markets["market_id"].astype(str).to_numpy()
        if "market_id" in markets
        else np.asarray([str(i) for i in range(len(markets))])
    )
    snaps: dict[str, Any] = {}
    notes: list[str] = []
    modes = sorted({m for r in rules.values() for m in r.modes})
    for m in modes:
        if fallback and m not in graphs:
            snaps[m] = None
            notes.append(_fallback_note(m))
            continue
        g, first = _graph_of(graphs, m)
        snaps[m] = snap_points(
            out,
            g,
            what="demand cells",
            first_nodes=first,
            max_snap_m=settings.MAX_SNAP_DEMAND_M,
            quiet=True,
        )
        if snaps[m].n_unreachable:
            lost = float(out[weight].to_numpy(dtype=float)[~snaps[m].reachable].sum())
            notes.append(
                f"{m}: {snaps[m].n_unreachable:,} of {len(out):,} demand cells (demand "
                f"{lost:,.0f}) are more than {settings.MAX_SNAP_DEMAND_M:,.0f} m from the "
                "network: unreachable by this mode"
            )
    steps = [(t, m) for t, r in rules.items() for m in r.modes]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(steps), desc="coverage", unit="search")
    for tier, rule in rules.items():
        serving = markets["tier"].isin(list(served_by.get(tier, (tier,)))).to_numpy()
        mk = markets[serving]
        mk_ids = ids[serving]
        best_t = np.full(len(out), np.inf)
        best_mode = np.full(len(out), "", dtype=object)
        best_mk = np.full(len(out), "", dtype=object)
        for m in rule.modes:
            if snaps[m] is None:
                if m not in FALLBACK_SPEEDS_KMH:
                    continue
                t, fac = _straight_line_nearest(out, mk, m, rule.threshold_s)
            else:
                g, first = _graph_of(graphs, m)
                t, fac = _nearest_times(out, mk, g, first, rule.threshold_s, snaps[m])
            out[f"{tier}_{m}_time_s"] = t
            better = t < best_t
            best_t[better] = t[better]
            best_mode[better] = m
            best_mk[better] = mk_ids[fac[better]]
            if bar is not None:
                bar.update(1)
        covered = np.isfinite(best_t) & (best_t <= rule.threshold_s)
        if rule.rural_radius_m and len(mk) and "urban" in out:
            rural = ~out["urban"].to_numpy(dtype=bool)
            d, k = cKDTree(np.column_stack([mk.geometry.x, mk.geometry.y])).query(
                np.column_stack([out.geometry.centroid.x, out.geometry.centroid.y]),
                distance_upper_bound=rule.rural_radius_m,
            )
            near = rural & np.isfinite(d) & ~covered
            best_mode[near] = "rural_radius"
            best_mk[near] = mk_ids[k[near]]
            covered |= near
        out[f"{tier}_time_s"] = best_t
        out[f"{tier}_mode"] = best_mode
        out[f"{tier}_market"] = best_mk
        out[f"{tier}_covered"] = covered
    if bar is not None:
        bar.close()
    out["covered_all"] = np.logical_and.reduce([out[f"{t}_covered"] for t in rules])
    notes += _off_network(markets, graphs, rules, served_by, snaps)
    notes += [n for g in graphs.values() for n in _notes(g)]
    return Coverage(cells=out, rules=rules, weight=weight, notes=notes)


def _off_network(
    markets: gpd.GeoDataFrame,
    graphs: Graphs,
    rules: Mapping[str, TierRule],
    served_by: Mapping[str, Sequence[str]],
    snaps: Mapping[str, Any],
) -> list[str]:
    """Notes naming the markets a mode's network does not reach (too far, or no geometry).

    Only markets serving a tier that counts the mode are checked; existing markets and
    proposed sites (``status = "proposed"``) get a note each, and modes missing the same
    markets share one, so a note names what it counts: ``walk, ebike: 1 existing
    market(s) more than 500 m from the network …: 竹岛社区零工服务站 (HC02)``.
    """
    if len(markets) == 0:
        return []
    ids = (
        markets["market_id"].astype(str).to_numpy()
        if "market_id" in markets
        else np.asarray([str(i) for i in range(len(markets))])
    )
    names = (
        markets["name"].astype("string").fillna("").to_numpy(dtype=str)
        if "name" in markets
        else None
    )
    proposed = (
        (markets["status"].astype("string") == "proposed").fillna(False).to_numpy(dtype=bool)
        if "status" in markets
        else np.zeros(len(markets), dtype=bool)
    )
    tiers = markets["tier"].to_numpy()
    found: dict[tuple[bool, tuple[int, ...], float], list[str]] = {}
    order = ("walk", "ebike", "drive", "bus")
    used = {m for r in rules.values() for m in r.modes}
    for m in sorted(used, key=lambda m: (order.index(m) if m in order else len(order), m)):
        if snaps.get(m) is None:
            continue  # straight lines reach everything
        serving = np.zeros(len(markets), dtype=bool)
        for tier, rule in rules.items():
            if m in rule.modes:
                serving |= np.isin(tiers, list(served_by.get(tier, (tier,))))
        if not serving.any():
            continue
        g, first = _graph_of(graphs, m)
        sn = snap_points(markets, g, what="markets", first_nodes=first, quiet=True)
        off = serving & ~sn.reachable
        for is_new in (False, True):
            pos = tuple(int(i) for i in np.flatnonzero(off & (proposed == is_new)))
            if pos:
                found.setdefault((is_new, pos, sn.max_snap_m), []).append(m)
    notes = []
    for (is_new, pos, max_m), modes in found.items():
        what = "proposed site(s)" if is_new else "existing market(s)"
        listed = ", ".join(
            f"{names[i]} ({ids[i]})"
            if names is not None and names[i] and names[i] != ids[i]
            else ids[i]
            for i in pos
        )
        notes.append(
            f"{', '.join(modes)}: {len(pos)} {what} more than {max_m:,.0f} m from the network"
            f" (or without coordinates), unreachable by this mode: {listed}"
        )
    return notes


def _fallback_note(mode: str) -> str:
    if mode not in FALLBACK_SPEEDS_KMH:
        return f"{mode}: no network, left out (it cannot be estimated from straight lines)"
    return (
        f"{mode}: no road network — times estimated from straight lines × "
        f"{settings.CIRCUITY_FACTOR} at {FALLBACK_SPEEDS_KMH[mode]:g} km/h (fallback)"
    )


def _straight_line_nearest(
    cells: gpd.GeoDataFrame, markets: gpd.GeoDataFrame, mode: str, cutoff_s: float
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    t = np.full(len(cells), np.inf)
    fac = np.full(len(cells), -1, dtype=np.int64)
    if len(markets) == 0:
        return t, fac
    ms = FALLBACK_SPEEDS_KMH[mode] / 3.6
    c = cells.geometry.centroid
    d, k = cKDTree(np.column_stack([markets.geometry.x, markets.geometry.y])).query(
        np.column_stack([c.x, c.y]), distance_upper_bound=cutoff_s * ms / settings.CIRCUITY_FACTOR
    )
    ok = np.isfinite(d)
    t[ok] = d[ok] * settings.CIRCUITY_FACTOR / ms
    fac[ok] = k[ok]
    return t, fac


def _notes(g: TravelGraph | BusLayer) -> tuple[str, ...]:
    return g.graph.notes if isinstance(g, BusLayer) else g.notes


def coverage_gaps(
    result: Coverage,
    tier: str,
    *,
    cell_size_m: float | None = None,
    min_demand: float = 0.0,
) -> gpd.GeoDataFrame:
    """Connected groups of cells not covered for ``tier``, as polygons with their demand.

    Each uncovered cell becomes a square of ``cell_size_m`` (default: the square root of
    the median ``cell_area_m2``, or the median spacing of cell points) around its point;
    touching squares form one gap.

    Returns
    -------
    geopandas.GeoDataFrame
        ``gap_id``, ``n_cells``, ``demand``, polygon geometry; largest demand first.
    """
    cells = result.cells
    col = f"{tier}_covered"
    if col not in cells:
        raise ColumnError(f"no coverage for tier '{tier}'", column=col)
    un = cells[~cells[col].to_numpy(dtype=bool)]
    un = un[un[result.weight] > 0]
    empty = gpd.GeoDataFrame(
        {
            "gap_id": pd.Series([], dtype=int),
            "n_cells": pd.Series([], dtype=int),
            "demand": pd.Series([], dtype=float),
        },
        geometry=gpd.GeoSeries([], crs=cells.crs),
    )
    if len(un) == 0:
        return empty
    if cell_size_m is None:
        if "cell_area_m2" in cells:
            cell_size_m = float(np.sqrt(np.median(cells["cell_area_m2"].to_numpy(dtype=float))))
        else:
            pts = np.column_stack([cells.geometry.centroid.x, cells.geometry.centroid.y])
            d, _ = cKDTree(pts).query(pts, k=2)
            cell_size_m = float(np.median(d[:, 1]))
    c = shapely.centroid(np.asarray(un.geometry.values))
    merged = _union_squares(shapely.get_x(c), shapely.get_y(c), cell_size_m)
    parts = np.asarray(shapely.get_parts(merged))
    # each part holds its cells (the tree holds the points, so the parts get prepared)
    which = shapely.STRtree(c).query(parts, predicate="contains")
    label = np.full(len(un), -1)
    label[which[1]] = which[0]
    w = un[result.weight].to_numpy(dtype=float)
    demand = np.bincount(label[label >= 0], weights=w[label >= 0], minlength=len(parts))
    n_cells = np.bincount(label[label >= 0], minlength=len(parts))
    gaps = gpd.GeoDataFrame(
        {"n_cells": n_cells, "demand": demand}, geometry=list(parts), crs=cells.crs
    )
    gaps = gaps[gaps["demand"] > min_demand].sort_values("demand", ascending=False)
    gaps.insert(0, "gap_id", np.arange(1, len(gaps) + 1))
    return gaps.reset_index(drop=True)


def _snap_pieces(
    x: NDArray[np.float64], y: NDArray[np.float64], size_m: float
) -> tuple[float, float, NDArray[np.float64], NDArray[np.float64]] | None:
    """Census pieces (``cell ∩ unit``) on the grid their full cells lie on, or None.

    Full cells sit at the grid's centres (the most common position modulo the cell size,
    at least half the points); an edge piece, at a point of its own, is placed in the grid
    square that holds it. Returns the grid origin (a centre) and each point's column and
    row (unique places only).

    >>> x0, y0, ix, iy = _snap_pieces(np.array([50.0, 150, 220]), np.array([50.0, 50, 30]), 100)
    >>> (x0, y0), sorted(zip(ix.tolist(), iy.tolist()))
    ((50.0, 50.0), [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)])
    """
    rx, ry = np.round(np.mod(x, size_m), 3), np.round(np.mod(y, size_m), 3)
    vx, cx = np.unique(rx, return_counts=True)
    vy, cy = np.unique(ry, return_counts=True)
    ox, oy = float(vx[np.argmax(cx)]), float(vy[np.argmax(cy)])
    if np.mean((rx == ox) & (ry == oy)) < 0.5:
        return None
    x0, y0 = ox, oy  # a centre of the grid
    ix = np.floor((x - x0) / size_m + 0.5)
    iy = np.floor((y - y0) / size_m + 0.5)
    cells = np.unique(np.column_stack([ix, iy]), axis=0)
    return x0, y0, cells[:, 0], cells[:, 1]


def _union_squares(x: NDArray[np.float64], y: NDArray[np.float64], size_m: float) -> Any:
    """Union of squares of side ``1.02 * size_m`` centred on the points.

    A hair over the cell size, so neighbouring squares (diagonal ones too) overlap and
    join. When the points lie on a regular grid of ``size_m`` (a raster in the study
    CRS), the squares of exactly ``size_m`` tile it: their coverage union, grown by
    ``0.01 * size_m`` with mitred corners, is the same polygon (growing by a square
    distributes over the union) and takes ~0.05 s where the overlapping union takes ~1 s
    for 18,000 cells. Census pieces (full cells on a grid, edge pieces off it) are drawn
    as their grid's squares (:func:`_snap_pieces`); other point sets take the overlapping
    union.
    """
    half = size_m * 0.51
    if len(x) == 0:
        return shapely.Polygon()
    x0, y0 = float(x.min()), float(y.min())
    ix, iy = np.rint((x - x0) / size_m), np.rint((y - y0) / size_m)
    on_grid = (
        np.abs(x - (x0 + ix * size_m)).max() < 1e-6 * size_m
        and np.abs(y - (y0 + iy * size_m)).max() < 1e-6 * size_m
        and len(np.unique(ix * (iy.max() + 1) + iy)) == len(x)
    )
    if not on_grid:
        snapped = _snap_pieces(x, y, size_m)
        if snapped is None:
            return shapely.union_all(shapely.box(x - half, y - half, x + half, y + half))
        x0, y0, ix, iy = snapped
    # shared edges computed by the same expression, so neighbours share them exactly
    tiles = shapely.box(
        x0 + (ix - 0.5) * size_m,
        y0 + (iy - 0.5) * size_m,
        x0 + (ix + 0.5) * size_m,
        y0 + (iy + 0.5) * size_m,
    )
    return shapely.buffer(shapely.coverage_union_all(tiles), half - size_m / 2, join_style="mitre")


@dataclass(frozen=True)
class AccessMatrix:
    """Best travel time from each demand cell (rows) to each site (columns), sparse.

    Attributes
    ----------
    matrix
        ``csr_array`` of seconds over the fastest of ``modes``; stored entries (explicit
        zeros included) are pairs within ``cutoff_s``, absent ones are out of reach.
    by_mode
        The same per mode.
    modes
        Modes used.
    cutoff_s
        The cutoff.
    """

    matrix: sp.csr_array
    by_mode: dict[str, sp.csr_array]
    modes: tuple[str, ...]
    cutoff_s: float

    def reaching_modes(self, row: int, col: int) -> tuple[str, ...]:
        """Modes by which cell ``row`` reaches site ``col`` within the cutoff."""
        out = []
        for m, mat in self.by_mode.items():
            lo, hi = mat.indptr[row], mat.indptr[row + 1]
            if col in mat.indices[lo:hi]:
                out.append(m)
        return tuple(out)


def _sparse_min(mats: Sequence[sp.csr_array], shape: tuple[int, int]) -> sp.csr_array:
    """Elementwise minimum over stored entries (explicit zeros kept)."""
    coos = [m.tocoo() for m in mats if m.nnz]
    if not coos:
        return sp.csr_array(shape)
    r = np.concatenate([c.row for c in coos]).astype(np.int64)
    c_ = np.concatenate([c.col for c in coos]).astype(np.int64)
    d = np.concatenate([c.data for c in coos])
    order = np.lexsort((d, c_, r))
    r, c_, d = r[order], c_[order], d[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c_[1:] != c_[:-1])
    r, c_, d = r[first], c_[first], d[first]
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=shape[0]), out=indptr[1:])
    return sp.csr_array((d, c_, indptr), shape=shape)


def access_matrix(
    cells: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    graphs: Graphs,
    *,
    modes: Sequence[str],
    cutoff_s: float,
    fallback: bool = False,
    progress: bool = False,
) -> AccessMatrix:
    """Travel times from every demand cell to every site within ``cutoff_s``, best mode.

    Searches run backwards from each site (sites are fewer than cells), worker → site,
    including the walks from a cell to its node and from its node to the site.
    """
    if cells.crs != sites.crs:
        raise CRSError(
            f"cells are in {cells.crs.name if cells.crs else None} but sites in "
            f"{sites.crs.name if sites.crs else None}",
            fix="use the study area's CRS for both",
        )
    shape = (len(cells), len(sites))
    by_mode: dict[str, sp.csr_array] = {}
    for m in modes:
        if fallback and m not in graphs:
            if m in FALLBACK_SPEEDS_KMH:
                cc, sc_ = cells.geometry.centroid, sites.geometry.centroid
                by_mode[m] = straight_line_times(
                    np.column_stack([cc.x, cc.y]),
                    np.column_stack([sc_.x, sc_.y]),
                    mode=m,
                    cutoff_s=cutoff_s,
                ).matrix
            continue
        g, first = _graph_of(graphs, m)
        sc = snap_points(
            cells,
            g,
            what="demand cells",
            first_nodes=first,
            max_snap_m=settings.MAX_SNAP_DEMAND_M,
            quiet=True,
        )
        ss = snap_points(sites, g, what="sites", first_nodes=first, quiet=True)
        if not ss.reachable.any() or not sc.reachable.any():
            by_mode[m] = sp.csr_array(shape)
            continue
        tt = cached_travel_times_to(
            g,
            ss.position,
            sc.position,
            cutoff_s=cutoff_s,
            source_offsets_s=sc.offset_s,
            target_offsets_s=ss.offset_s,
            progress=progress,
        )
        by_mode[m] = tt.matrix
    return AccessMatrix(
        matrix=_sparse_min(list(by_mode.values()), shape),
        by_mode=by_mode,
        modes=tuple(modes),
        cutoff_s=cutoff_s,
    )

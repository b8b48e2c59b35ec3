"""The bus layer: a walk graph joined to bus patterns, with headway-based waits.

Nodes of the combined graph, in this order:

1. the walk graph's nodes (same positions, so points snapped to the walk graph keep
   their positions in the bus graph);
2. one *stop* node per bus stop served in the window, joined to both ends of its nearest
   walk-graph street segment (across to the street at walking speed, then along it); a
   stop farther than ``max_access_m`` from every street is left out and counted;
3. one *ride* node per (pattern, stop index): riding along a pattern.

Edges: stop → ride = boarding, weighted by the mean wait, half the pattern's mean
headway in the time window (riders arrive at random; gig workers do not time their
trips to a timetable); ride → next ride = in-vehicle time; ride → stop = alighting
(free). Transfers happen on foot, through stops and the walk graph. Patterns with no
departure in the window are absent, so a route that starts at 06:30 does not serve a
05:00-06:00 window.

In-vehicle time between consecutive stops is the median over the pattern's trips of
(arrival at the next stop − departure from this one) when the feed has a timetable, else
the straight-line distance × :data:`planner.settings.CIRCUITY_FACTOR` at
:data:`planner.settings.BUS_SPEED_KMH` plus a dwell of
:data:`planner.settings.BUS_DWELL_S` (route tables of Chinese operators give no run
times). Without a walk graph (``walk=None``), stops are joined to each other by
straight-line walking transfers within ``transfer_m`` (the no-road fallback).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from planner import settings
from planner._repr import html_table, one_line
from planner.errors import CRSError
from planner.io.transit import TransitFeed, parse_time_s
from planner.network.graph import TravelGraph

__all__ = ["BusLayer", "build_bus_graph"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, repr=False)
class BusLayer:
    """A walk + bus graph and what it was built from.

    Attributes
    ----------
    graph
        The combined graph (mode ``"bus"``); its first ``n_walk_nodes`` nodes are the walk
        graph's (or none without a walk graph).
    n_walk_nodes
        Number of walk nodes at the start of the graph.
    stop_nodes
        ``stop_id`` → node position of each stop in the graph.
    headways
        The per-pattern service used (``pattern_id``, ``n_departures``, ``mean_headway_s``,
        ``headway_source`` …).
    window
        ``(date, start_s, end_s)`` the service was measured in.
    unreachable_stops
        Stops left out because they are too far from the walk network.
    walk
        The walk graph the layer was built on (to rebuild it for another window).
    """

    graph: TravelGraph
    n_walk_nodes: int
    stop_nodes: dict[str, int]
    headways: pd.DataFrame
    window: tuple[dt.date, int, int]
    unreachable_stops: tuple[str, ...]
    run_time_source: str
    walk: TravelGraph | None = None

    def _facts(self) -> list[tuple[str, object]]:
        day, start, end = self.window
        return [
            ("stops", f"{len(self.stop_nodes):,}"),
            ("patterns", f"{len(self.headways):,}"),
            (
                "window",
                f"{day.isoformat()} {start // 3600:02d}:{start % 3600 // 60:02d}"
                f"-{end // 3600:02d}:{end % 3600 // 60:02d}",
            ),
            ("nodes", f"{len(self.graph.node_ids):,}"),
            ("run times", self.run_time_source),
        ]

    def __repr__(self) -> str:
        return one_line("BusLayer", self._facts())

    def _repr_html_(self) -> str:
        return html_table("BusLayer", self._facts())


def _run_times(
    feed: TransitFeed,
    patterns: pd.DataFrame,
    xy: dict[str, tuple[float, float]],
    bus_speed_kmh: float,
    dwell_s: float,
) -> tuple[list[NDArray[np.float64]], str]:
    """In-vehicle seconds between consecutive stops of each pattern."""
    st = feed.stop_times
    timetable: dict[str, NDArray[np.float64]] = {}
    if len(st):
        s = st.sort_values(["trip_id", "stop_index"])
        nxt_arr = s.groupby("trip_id")["arrival_s"].shift(-1)
        hop = pd.DataFrame(
            {
                "pattern_id": s["pattern_id"],
                "stop_index": s["stop_index"],
                "hop_s": nxt_arr - s["departure_s"],
            }
        ).dropna()
        med = hop.groupby(["pattern_id", "stop_index"])["hop_s"].median()
        for pid, grp in med.groupby(level=0):
            timetable[str(pid)] = grp.droplevel(0).sort_index().to_numpy(dtype=float)
    speed_ms = bus_speed_kmh / 3.6
    out: list[NDArray[np.float64]] = []
    used_timetable = False
    for pid, stops in zip(patterns["pattern_id"], patterns["stop_ids"], strict=True):
        n_hops = len(stops) - 1
        t = timetable.get(str(pid))
        if t is not None and len(t) == n_hops:
            out.append(np.maximum(t, 0.0))
            used_timetable = True
            continue
        p = np.array([xy[s] for s in stops], dtype=float)
        d = np.hypot(*(p[1:] - p[:-1]).T) * settings.CIRCUITY_FACTOR
        out.append(d / speed_ms + dwell_s)
    return out, ("timetable" if used_timetable else "distance at bus speed")


@dataclass(frozen=True)
class _Access:
    """Where each stop joins the walk graph: the two ends of its nearest street segment."""

    a: NDArray[np.int64]
    b: NDArray[np.int64]
    leg_a: NDArray[np.float64]
    leg_b: NDArray[np.float64]

    @property
    def reachable(self) -> NDArray[np.bool_]:
        return self.a >= 0


def _stop_access(
    walk: TravelGraph,
    sx: NDArray[np.float64],
    sy: NDArray[np.float64],
    max_access_m: float,
    walk_ms: float,
) -> _Access:
    """Join each stop to the nearest walk *segment* within ``max_access_m``.

    A stop on a long street is usually far from a junction but a few metres from the
    street: it joins both ends of the nearest segment, walking across to it and along it
    (the segment's time split at the foot of the perpendicular). Stops beyond
    ``max_access_m`` of every segment are not joined (``a = -1``).
    """
    n = len(sx)
    a = np.full(n, -1, dtype=np.int64)
    b = np.full(n, -1, dtype=np.int64)
    leg_a = np.full(n, np.inf)
    leg_b = np.full(n, np.inf)
    if n == 0 or walk.n_nodes == 0:
        return _Access(a, b, leg_a, leg_b)
    # the nearest node (a node may have no street of its own to reach it by)
    d_node, near = cKDTree(np.column_stack([walk.x, walk.y])).query(
        np.column_stack([sx, sy]), distance_upper_bound=max_access_m
    )
    on_node = np.isfinite(d_node)
    a[on_node] = b[on_node] = near[on_node]
    leg_a[on_node] = leg_b[on_node] = d_node[on_node] / walk_ms
    u, v, t = walk.edges()
    if len(u) == 0:
        return _Access(a, b, leg_a, leg_b)
    key = np.minimum(u, v) * walk.n_nodes + np.maximum(u, v)
    _, first = np.unique(key, return_index=True)
    u, v, t = u[first], v[first], t[first]
    seg = shapely.linestrings(
        np.stack(
            [np.column_stack([walk.x[u], walk.y[u]]), np.column_stack([walk.x[v], walk.y[v]])],
            axis=1,
        )
    )
    pts = shapely.points(sx, sy)
    tree = shapely.STRtree(seg)
    (pi, si), dist = tree.query_nearest(
        pts, max_distance=max_access_m, return_distance=True, all_matches=False
    )
    closer = dist < np.where(on_node[pi], d_node[pi], np.inf)
    pi, si, dist = pi[closer], si[closer], dist[closer]
    frac = shapely.line_locate_point(seg[si], pts[pi], normalized=True)
    a[pi], b[pi] = u[si], v[si]
    leg_a[pi] = dist / walk_ms + frac * t[si]
    leg_b[pi] = dist / walk_ms + (1.0 - frac) * t[si]
    return _Access(a, b, leg_a, leg_b)


def build_bus_graph(
    feed: TransitFeed,
    walk: TravelGraph | None = None,
    *,
    date: dt.date | str,
    start: str | int = settings.TRANSIT_WINDOW[0],
    end: str | int = settings.TRANSIT_WINDOW[1],
    walk_speed_kmh: float = settings.WALK_SPEED_KMH,
    bus_speed_kmh: float = settings.BUS_SPEED_KMH,
    dwell_s: float = settings.BUS_DWELL_S,
    max_access_m: float = settings.MAX_SNAP_M,
    transfer_m: float = settings.TRANSFER_M,
    floor_waits_s: Mapping[str, float] | None = None,
) -> BusLayer:
    """Join a bus feed to a walk graph for one service day and time window.

    Parameters
    ----------
    feed
        From :func:`planner.io.transit.read_gtfs` or :func:`~planner.io.transit.read_route_tables`.
    walk
        The walk graph in the same projected CRS; ``None`` for the straight-line fallback.
    date
        Service day (calendar and calendar_dates are honoured).
    start, end
        Time window (``"05:00"``, ``"09:00"`` by default: gig markets' busiest hours).
    floor_waits_s
        Per pattern, the least wait to use (a moment's layer takes its waits from the
        study window's, so that narrowing the window never speeds a pattern up).

    Raises
    ------
    TransitError
        No bus runs in the window on that day (see ``TransitFeed.require_service``).
    """
    if walk is not None and walk.crs is not None and feed.crs != walk.crs:
        raise CRSError(
            f"bus stops are in {feed.crs.name} but the walk graph is in {walk.crs.name}",
            fix="read the feed with the study area (area=...) so both share its CRS",
        )
    lo, hi = parse_time_s(start), parse_time_s(end)
    heads = feed.require_service(date, lo, hi)
    running = feed.patterns[feed.patterns["pattern_id"].isin(heads["pattern_id"])]
    running = running[running["stop_ids"].map(len) >= 2].reset_index(drop=True)
    wait_s = dict(zip(heads["pattern_id"], heads["mean_headway_s"] / 2.0, strict=True))
    if floor_waits_s:
        wait_s = {p: max(w, floor_waits_s.get(p, 0.0)) for p, w in wait_s.items()}

    stops = feed.stops.set_index("stop_id")
    served = sorted({s for ids in running["stop_ids"] for s in ids})
    sx = stops.loc[served].geometry.x.to_numpy()
    sy = stops.loc[served].geometry.y.to_numpy()
    walk_ms = walk_speed_kmh / 3.6

    us: list[NDArray[np.int64]] = []
    vs: list[NDArray[np.int64]] = []
    ts: list[NDArray[np.float64]] = []
    if walk is not None:
        n_walk = walk.n_nodes
        wu, wv, wt = walk.edges()
        us.append(wu)
        vs.append(wv)
        ts.append(wt)
        access = _stop_access(walk, sx, sy, max_access_m, walk_speed_kmh / 3.6)
        reachable = access.reachable
    else:
        n_walk = 0
        reachable = np.ones(len(served), dtype=bool)
    unreachable = tuple(np.asarray(served, dtype=object)[~reachable].tolist())
    if unreachable:
        log.warning(
            "%d bus stop(s) are more than %.0f m from the walk network and are left out",
            len(unreachable),
            max_access_m,
        )
    kept = [s for s, ok in zip(served, reachable, strict=True) if ok]
    stop_pos = {s: n_walk + i for i, s in enumerate(kept)}
    kx, ky = sx[reachable], sy[reachable]
    kpos = np.arange(n_walk, n_walk + len(kept), dtype=np.int64)
    if walk is not None:
        for joined, leg in ((access.a, access.leg_a), (access.b, access.leg_b)):
            node = joined[reachable]
            us += [kpos, node]
            vs += [node, kpos]
            ts += [leg[reachable], leg[reachable]]
    else:
        pairs = cKDTree(np.column_stack([kx, ky])).query_pairs(transfer_m, output_type="ndarray")
        if len(pairs):
            a, b = pairs[:, 0], pairs[:, 1]
            leg = np.hypot(kx[a] - kx[b], ky[a] - ky[b]) * settings.CIRCUITY_FACTOR / walk_ms
            us += [kpos[a], kpos[b]]
            vs += [kpos[b], kpos[a]]
            ts += [leg, leg]

    xy = dict(zip(served, zip(sx, sy, strict=True), strict=True))
    hops, source = _run_times(feed, running, xy, bus_speed_kmh, dwell_s)
    ride_x: list[NDArray[np.float64]] = []
    ride_y: list[NDArray[np.float64]] = []
    ride_ids: list[tuple[str, str, int]] = []
    next_pos = n_walk + len(kept)
    for pid, ids, hop in zip(running["pattern_id"], running["stop_ids"], hops, strict=True):
        n = len(ids)
        ride = np.arange(next_pos, next_pos + n, dtype=np.int64)
        next_pos += n
        ride_ids += [("ride", str(pid), i) for i in range(n)]
        ride_x.append(np.array([xy[s][0] for s in ids]))
        ride_y.append(np.array([xy[s][1] for s in ids]))
        sp_ = np.array([stop_pos.get(s, -1) for s in ids], dtype=np.int64)
        ok = sp_ >= 0
        board = ok.copy()
        board[-1] = False
        alight = ok.copy()
        alight[0] = False
        us += [sp_[board], ride[:-1], ride[alight]]
        vs += [ride[board], ride[1:], sp_[alight]]
        ts += [np.full(int(board.sum()), wait_s[pid]), hop, np.zeros(int(alight.sum()))]

    node_ids = np.empty(next_pos, dtype=object)
    if walk is not None:
        node_ids[:n_walk] = walk.node_ids.tolist()
    node_ids[n_walk : n_walk + len(kept)] = [("stop", s) for s in kept]
    node_ids[n_walk + len(kept) :] = ride_ids
    x = np.concatenate([walk.x if walk is not None else np.empty(0), kx, *ride_x])
    y = np.concatenate([walk.y if walk is not None else np.empty(0), ky, *ride_y])
    notes = (
        f"bus: {len(running)} pattern(s) running {date} {start}-{end}; waits = half the mean "
        f"headway; in-vehicle times from {source}",
    )
    graph = TravelGraph.from_edges(
        "bus",
        node_ids,
        x,
        y,
        np.concatenate(us),
        np.concatenate(vs),
        np.concatenate(ts),
        crs=feed.crs,
        notes=(walk.notes if walk is not None else ()) + notes,
        access_circuity=walk.access_circuity if walk is not None else 1.0,
        max_snap_m=walk.max_snap_m if walk is not None else None,
    )
    return BusLayer(
        graph=graph,
        n_walk_nodes=n_walk,
        stop_nodes=stop_pos,
        headways=heads,
        window=(pd.Timestamp(date).date(), lo, hi),
        unreachable_stops=unreachable,
        run_time_source=source,
        walk=walk,
    )

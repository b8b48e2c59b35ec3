"""A walking graph without roads: straight lines between nearby points.

When a study has bus tables but no road network, riders still walk to a stop, ride and
walk on. :func:`straight_line_graph` joins the stops (or any points) by the edges of their
Delaunay triangulation — a planar graph whose shortest paths stay within a few per cent of
the straight line — each walked at :data:`~planner.settings.WALK_SPEED_KMH` over the
straight-line distance × :data:`~planner.settings.CIRCUITY_FACTOR`. A point joins the
graph at its nearest node, walking the same circuity; the graph's
:attr:`~planner.network.graph.TravelGraph.max_snap_m` lets points up to
:data:`~planner.settings.MAX_SNAP_DEMAND_M` from a stop reach it. The bus layer is then
built on it exactly as on a street graph (:func:`planner.network.transit.build_bus_graph`).
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import Delaunay, QhullError

from planner import settings
from planner.errors import InvalidValueError
from planner.network.graph import TravelGraph

__all__ = ["straight_line_graph"]

log = logging.getLogger(__name__)


def straight_line_graph(
    node_ids: ArrayLike,
    xy: ArrayLike,
    *,
    crs: object = None,
    mode: str = "walk",
    speed_kmh: float = settings.WALK_SPEED_KMH,
    circuity: float = settings.CIRCUITY_FACTOR,
    max_edge_m: float = settings.MAX_SNAP_DEMAND_M,
    max_snap_m: float = settings.MAX_SNAP_DEMAND_M,
    notes: tuple[str, ...] | None = None,
) -> TravelGraph:
    """A graph over points joined by their Delaunay edges (both ways), timed as straight walks.

    Parameters
    ----------
    node_ids
        One id per point.
    xy
        (n, 2) projected coordinates (metres).
    crs
        Their CRS.
    speed_kmh, circuity
        Walking speed and the network/straight-line distance factor.
    max_edge_m
        Longer Delaunay edges are left out (they cross bays, hills or empty land a walker
        would not cross; 2 km is beyond any tier's walk anyway).
    max_snap_m
        Snapping limit for points joining the graph (see ``TravelGraph.max_snap_m``).
    notes
        The graph's notes (default: one saying how walks were estimated).

    Examples
    --------
    >>> g = straight_line_graph(["a", "b", "c"], [[0, 0], [1000, 0], [0, 1000]], speed_kmh=3.6,
    ...                         circuity=1.5)
    >>> g.n_edges, float(g.matrix[[0], [1]][0])   # 3 edges both ways; 1000 m × 1.5 at 1 m/s
    (6, 1500.0)
    """
    pts = np.asarray(xy, dtype=float)
    ids = np.asarray(node_ids, dtype=object)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) != len(ids):
        raise InvalidValueError("xy must be an (n, 2) array with one row per node id")
    if not speed_kmh > 0 or circuity < 1:
        raise InvalidValueError(
            f"need speed_kmh > 0 and circuity >= 1, got {speed_kmh}, {circuity}"
        )
    n = len(pts)
    if n < 2:
        u = v = np.zeros(0, dtype=np.int64)
    elif n < 4:
        a, b = np.triu_indices(n, k=1)
        u, v = a.astype(np.int64), b.astype(np.int64)
    else:
        try:
            tri = Delaunay(pts)
            s = tri.simplices
            e = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
        except QhullError:  # all points on a line: join them in order along it
            order = np.lexsort((pts[:, 1], pts[:, 0]))
            e = np.column_stack([order[:-1], order[1:]])
        e.sort(axis=1)
        e = np.unique(e, axis=0)
        u, v = e[:, 0].astype(np.int64), e[:, 1].astype(np.int64)
    d = np.hypot(*(pts[u] - pts[v]).T)
    keep = d <= max_edge_m
    u, v, d = u[keep], v[keep], d[keep]
    t = d * circuity / (speed_kmh / 3.6)
    note = (
        f"{mode}: no road network; walks between {n:,} points estimated as straight lines ×"
        f" {circuity:g} at {speed_kmh:g} km/h"
    )
    return TravelGraph.from_edges(
        mode,
        ids,
        pts[:, 0],
        pts[:, 1],
        np.concatenate([u, v]),
        np.concatenate([v, u]),
        np.concatenate([t, t]),
        crs=crs,
        notes=(note,) if notes is None else notes,
        access_circuity=circuity,
        max_snap_m=max_snap_m,
    )

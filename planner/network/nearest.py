"""Nearest facility on a :class:`~planner.network.graph.TravelGraph`.

:func:`nearest` gives, for every graph node, the time to the nearest facility and which
facility it is, by one multi-source search from all facilities at once, bounded by a
cutoff. Nodes are addressed by *position* and facility offsets (seconds between a node
and the facility's door) are added as in :mod:`planner.network.traveltime`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import dijkstra

from planner.errors import InvalidValueError
from planner.network._validate import (
    _check_cutoff,
    _check_graph,
    _check_unreachable,
    _offsets,
    _positions,
)
from planner.network.graph import TravelGraph

__all__ = ["Nearest", "nearest"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Nearest:
    """Time from every graph node to its nearest facility.

    Attributes
    ----------
    time_s
        Seconds from each node to the nearest facility (its offset included); ``inf``
        when no facility is within ``cutoff_s``.
    facility
        Index (into ``facilities``) of that facility; ``-1`` when none. When two
        facilities are equally near, one of them (deterministically).
    cutoff_s
        The cutoff in seconds.
    facilities
        Node positions of the facilities.
    facility_offsets_s
        Offsets used (zeros when none were given).
    """

    time_s: NDArray[np.float64]
    facility: NDArray[np.int64]
    cutoff_s: float
    facilities: NDArray[np.int64]
    facility_offsets_s: NDArray[np.float64]

    def for_points(
        self, positions: ArrayLike, offsets_s: ArrayLike | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Time to the nearest facility and its index for snapped points.

        Parameters
        ----------
        positions
            Node position of each point (``-1`` when the point is unreachable).
        offsets_s
            Seconds from each point to its node (e.g. ``Snapped.offset_s``).

        Returns
        -------
        (time_s, facility)
            ``inf`` / ``-1`` where the total exceeds ``cutoff_s`` or the point is
            unreachable.
        """
        n = len(self.time_s)
        pos = _positions(positions, n, what="point")
        off = _offsets(offsets_s, len(pos), what="point")
        _check_unreachable(pos, off, what="point")
        ok = pos >= 0
        t = np.full(len(pos), np.inf)
        t[ok] = off[ok] + self.time_s[pos[ok]]
        keep = t <= self.cutoff_s
        t[~keep] = np.inf
        fac = np.full(len(pos), -1, dtype=np.int64)
        fac[keep] = self.facility[pos[keep]]
        return t, fac


def _nearest_on(
    m: sp.csr_array, fac: NDArray[np.int64], off: NDArray[np.float64], cutoff: float
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Multi-source search on ``m`` from ``fac`` started at times ``off``.

    A virtual node ``n`` gets an edge of weight ``off[i]`` to each facility node (explicit
    zeros are edges for csgraph); one Dijkstra from it gives, for every node, the least
    ``off[i] + time(fac[i] -> node)``. The facility is found by following predecessors
    back to the node entered from the virtual node (pointer jumping).
    """
    n = m.shape[0]
    ok = (fac >= 0) & np.isfinite(off) & (off <= cutoff)
    idx = np.flatnonzero(ok)
    time_s = np.full(n, np.inf)
    label = np.full(n, -1, dtype=np.int64)
    if len(idx) == 0:
        return time_s, label
    # Per node, the facility with the smallest offset (ties: lowest index).
    order = np.lexsort((idx, off[idx], fac[idx]))
    idx = idx[order]
    first = np.ones(len(idx), dtype=bool)
    first[1:] = fac[idx][1:] != fac[idx][:-1]
    idx = idx[first]
    nodes = fac[idx]
    node_fac = np.full(n, -1, dtype=np.int64)
    node_fac[nodes] = idx
    indptr = np.concatenate([m.indptr.astype(np.int64), [m.nnz + len(nodes)]])
    indices = np.concatenate([m.indices.astype(np.int64), nodes])
    data = np.concatenate([m.data.astype(np.float64), off[idx]])
    aug = sp.csr_array((data, indices, indptr), shape=(n + 1, n + 1))
    dist, pred = dijkstra(aug, directed=True, indices=n, return_predecessors=True, limit=cutoff)
    dist = dist[:n]
    pred = pred[:n].astype(np.int64)
    reached = np.isfinite(dist)
    # Root of each node's shortest-path tree branch: the node entered from the virtual node.
    root = np.where(pred == n, np.arange(n), pred)
    root = np.where(reached, root, -1)
    while True:
        r = np.flatnonzero(root >= 0)
        nxt = root.copy()
        nxt[r] = root[root[r]]
        if np.array_equal(nxt, root):
            break
        root = nxt
    label[reached] = node_fac[root[reached]]
    time_s[reached] = dist[reached]
    return time_s, label


def nearest(
    graph: TravelGraph,
    facilities: ArrayLike,
    *,
    cutoff_s: float,
    facility_offsets_s: ArrayLike | None = None,
    direction: Literal["to", "from"] = "to",
) -> Nearest:
    """Time from every node to its nearest facility, by one multi-source search.

    Parameters
    ----------
    graph
        The mode graph.
    facilities
        Node positions of the facilities (markets); ``-1`` (with an infinite offset) for
        a facility off the network, which then reaches nothing.
    cutoff_s
        Largest time kept; nodes farther than this from every facility get ``inf``.
    facility_offsets_s
        Seconds between each facility's node and the facility itself (e.g. its door),
        added to every time through it.
    direction
        ``"to"`` (default): node → facility along edge direction (a worker going to a
        market); the search runs on the reversed graph. ``"from"``: facility → node.

    Returns
    -------
    Nearest
        ``time_s`` and ``facility`` per node.

    Raises
    ------
    InvalidValueError
        Empty graph, bad edge times, positions outside the graph, NaN or negative offsets,
        a negative cutoff.

    Examples
    --------
    >>> from planner.network.graph import TravelGraph
    >>> g = TravelGraph.from_edges("walk", [1, 2, 3, 4], [0, 1, 2, 3], [0, 0, 0, 0],
    ...                            [0, 1, 2, 1, 2, 3], [1, 2, 3, 0, 1, 2], [10.0] * 6)
    >>> r = nearest(g, [0, 3], cutoff_s=100, facility_offsets_s=[0.0, 15.0])
    >>> r.time_s.tolist(), r.facility.tolist()
    ([0.0, 10.0, 20.0, 15.0], [0, 0, 0, 1])
    """
    m = _check_graph(graph)
    n = graph.n_nodes
    cutoff = _check_cutoff(cutoff_s)
    fac = _positions(facilities, n, what="facility")
    off = _offsets(facility_offsets_s, len(fac), what="facility")
    _check_unreachable(fac, off, what="facility")
    if direction not in ("to", "from"):
        raise InvalidValueError(f"unknown direction {direction!r}", fix="use 'to' or 'from'")
    search_m = sp.csr_array(m.T) if direction == "to" else m
    time_s, label = _nearest_on(search_m, fac, off, cutoff)
    log.info(
        "nearest of %d facilities (%s): %d of %d nodes within %.0f s",
        len(fac),
        graph.mode,
        int(np.isfinite(time_s).sum()),
        n,
        cutoff,
    )
    return Nearest(
        time_s=time_s, facility=label, cutoff_s=cutoff, facilities=fac, facility_offsets_s=off
    )

"""Checks at the door of the network searches (travel times, nearest, isochrones).

Each check validates one argument and raises :class:`~planner.errors.InvalidValueError`
naming what was found and the fix; the searches call them before any work.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner.errors import InvalidValueError
from planner.network.graph import TravelGraph


def _check_graph(graph: TravelGraph) -> sp.csr_array:
    if not isinstance(graph, TravelGraph):
        raise InvalidValueError(
            f"expected a TravelGraph, got {type(graph).__name__}",
            fix="build one with planner.network.streets.build_mode_graph or "
            "TravelGraph.from_networkx",
        )
    if graph.n_nodes == 0:
        raise InvalidValueError(
            f"the {graph.mode} graph has no nodes",
            fix="check the road input covers the study area and the mode can use its roads",
        )
    m = graph.matrix
    if not isinstance(m, sp.csr_array | sp.csr_matrix) or m.shape[0] != m.shape[1]:
        raise InvalidValueError(
            f"the {graph.mode} graph's matrix must be a square CSR array, got "
            f"{type(m).__name__} of shape {m.shape}",
            fix="build the graph with TravelGraph.from_edges",
        )
    data = m.data
    bad = ~np.isfinite(data) | (data < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        u = int(np.searchsorted(m.indptr, k, side="right") - 1)
        v = int(m.indices[k])
        ids = graph.node_ids
        raise InvalidValueError(
            f"the {graph.mode} graph's edge {ids[u]} -> {ids[v]} has travel time {data[k]} "
            f"({int(bad.sum())} such edge(s))",
            column="time_s",
            fix="edge lengths and speeds must be finite and non-negative; rebuild the graph "
            "with TravelGraph.from_edges, which checks them",
        )
    return sp.csr_array(m)


def _check_cutoff(cutoff_s: float, *, name: str = "cutoff_s") -> float:
    try:
        c = float(cutoff_s)
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"{name} must be a number of seconds, got {cutoff_s!r}", fix="pass e.g. 900 for 15 min"
        ) from None
    if not math.isfinite(c) or c < 0:
        raise InvalidValueError(
            f"{name} must be a finite number of seconds >= 0, got {cutoff_s!r}",
            fix="pass the largest travel time a tier needs (e.g. 1800 for 30 min); "
            "unbounded searches are not offered (they would build a dense all-pairs matrix)",
        )
    return c


def _positions(values: ArrayLike, n_nodes: int, *, what: str) -> NDArray[np.int64]:
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InvalidValueError(
            f"{what} positions must be a 1-D array, got shape {arr.shape}",
            fix="pass a flat array of node positions",
        )
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise InvalidValueError(
                f"{what} positions must be integers (node positions 0..{n_nodes - 1}), "
                f"got dtype {arr.dtype}",
                fix="use snap_points(...).position or TravelGraph.position(node_ids)",
            )
    arr = arr.astype(np.int64)
    bad = (arr < -1) | (arr >= n_nodes)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"{what} {i} has node position {int(arr[i])}, outside 0..{n_nodes - 1} "
            f"({int(bad.sum())} such {what}(s))",
            fix="pass node positions of this graph (snap_points(...).position, or "
            "TravelGraph.position(node_ids) for original node ids)",
        )
    return arr


def _offsets(values: ArrayLike | None, n: int, *, what: str) -> NDArray[np.float64]:
    if values is None:
        return np.zeros(n)
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise InvalidValueError(
            f"{what} offsets have {arr.size} value(s) for {n} {what}(s)",
            fix=f"pass one offset in seconds per {what}",
        )
    bad = np.isnan(arr) | (arr < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"{what} {i} has offset {arr[i]} s ({int(bad.sum())} such {what}(s))",
            fix="offsets are seconds >= 0; use inf (with position -1) for an unreachable point",
        )
    return arr


def _check_unreachable(pos: NDArray[np.int64], off: NDArray[np.float64], *, what: str) -> None:
    bad = (pos < 0) & np.isfinite(off)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"{what} {i} has node position -1 (unreachable) but a finite offset {off[i]} s",
            fix="position -1 is only for points the snapping could not reach; give them an "
            "infinite offset (snap_points does), or snap them to a node",
        )

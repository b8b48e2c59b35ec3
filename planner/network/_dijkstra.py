"""The bounded many-source Dijkstra kernel behind :func:`planner.network.traveltime.travel_times`.

This module imports numba (an optional dependency), so :mod:`planner.network.traveltime`
imports it only when the numba engine runs. :data:`bounded_dijkstra` is compiled on its
first call (``njit(nogil=True, cache=True)``: threads run chunks of sources in parallel,
and later processes load the machine code from numba's on-disk cache).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros
from numpy.typing import NDArray

__all__ = ["bounded_dijkstra"]


def _bounded_dijkstra_py(
    indptr: NDArray[np.integer[Any]],
    indices: NDArray[np.integer[Any]],
    weights: NDArray[np.float64],
    sources: NDArray[np.int64],
    source_off: NDArray[np.float64],
    limits: NDArray[np.float64],
    cutoff: float,
    tgt_ptr: NDArray[np.integer[Any]],
    tgt_cols: NDArray[np.integer[Any]],
    tgt_off: NDArray[np.float64],
    out_c: NDArray[np.integer[Any]],
    out_t: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.integer[Any]], NDArray[np.float64]]:  # pragma: no cover
    """Bounded Dijkstra from each source on the CSR graph ``(indptr, indices, weights)``.

    For source ``i`` the search settles nodes in time order up to ``limits[i]`` and, at
    each settled node ``u``, keeps every target column ``c`` in
    ``tgt_cols[tgt_ptr[u]:tgt_ptr[u + 1]]`` whose total ``source_off[i] + time + tgt_off[c]``
    is ``<= cutoff``. A source ``< 0`` or with a negative / NaN limit gets no entries.

    Returns the count of entries per source and the concatenated (column, seconds)
    entries, sorted by column within each source, in the first ``counts.sum()`` slots of
    ``out_c`` / ``out_t``: the buffers passed in, or larger copies of them when they were
    too small (grown by doubling). Callers pass the returned buffers to the next call, so
    memory is touched once, not per call.

    The priority queue is an 8-ary min-heap with decrease-key: ``pos[v]`` is ``v``'s heap
    slot, so each node sits in the heap at most once and the heap never holds more than
    the nodes touched. Node arrays are reset only where a search touched them, so a search
    costs what it reaches, not ``n_nodes``. Columns are sorted without a comparison sort:
    each kept column sets a bit in a bitset of ``n_tgt`` bits (and its time in a scratch
    row), and the bitset's words between the smallest and largest kept column are read
    back in order, one trailing-zero count per entry.
    """
    n = len(indptr) - 1
    n_src = len(sources)
    n_tgt = len(tgt_off)
    node_t = indices.dtype
    col_t = out_c.dtype
    dist = np.full(n, np.inf)
    pos = np.full(n, -1, dtype=node_t)  # heap slot; -1 = not in the heap
    touched = np.empty(n, dtype=node_t)
    heap_d = np.empty(n, dtype=np.float64)
    heap_v = np.empty(n, dtype=node_t)
    bits = np.zeros((n_tgt + 63) // 64, dtype=np.uint64)
    row_t = np.empty(n_tgt, dtype=np.float64)
    counts = np.zeros(n_src, dtype=np.int64)
    cap = min(len(out_c), len(out_t))
    n_out = 0
    one = np.uint64(1)
    for i in range(n_src):
        s = sources[i]
        so = source_off[i]
        limit = limits[i]
        if s < 0 or not (limit >= 0.0):
            continue
        n_touched = 1
        touched[0] = s
        dist[s] = 0.0
        heap_d[0] = 0.0
        heap_v[0] = s
        pos[s] = 0
        size = 1
        m = 0
        lo = n_tgt
        hi = -1
        while size > 0:
            d = heap_d[0]
            u = heap_v[0]
            pos[u] = -1  # settled: nd < dist[u] can no longer hold (weights are >= 0)
            size -= 1
            if size > 0:  # move the last entry to the root and sift it down
                ld = heap_d[size]
                lv = heap_v[size]
                j = 0
                while True:
                    c = 8 * j + 1
                    if c >= size:
                        break
                    best = c
                    bd = heap_d[c]
                    end = min(c + 8, size)
                    for cc in range(c + 1, end):
                        if heap_d[cc] < bd:
                            bd = heap_d[cc]
                            best = cc
                    if bd < ld:
                        heap_d[j] = bd
                        w = heap_v[best]
                        heap_v[j] = w
                        pos[w] = j
                        j = best
                    else:
                        break
                heap_d[j] = ld
                heap_v[j] = lv
                pos[lv] = j
            for k in range(tgt_ptr[u], tgt_ptr[u + 1]):
                col = tgt_cols[k]
                tot = so + d + tgt_off[col]
                if tot <= cutoff:
                    bits[col >> 6] |= one << np.uint64(col & 63)
                    row_t[col] = tot
                    m += 1
                    if col < lo:
                        lo = col
                    if col > hi:
                        hi = col
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                nd = d + weights[e]
                if nd <= limit and nd < dist[v]:
                    j = pos[v]
                    if j < 0:  # first time reached (settled nodes fail nd < dist[v])
                        touched[n_touched] = v
                        n_touched += 1
                        j = size
                        size += 1
                    dist[v] = nd
                    while j > 0:  # sift up
                        p = (j - 1) >> 3
                        if heap_d[p] > nd:
                            w = heap_v[p]
                            heap_d[j] = heap_d[p]
                            heap_v[j] = w
                            pos[w] = j
                            j = p
                        else:
                            break
                    heap_d[j] = nd
                    heap_v[j] = v
                    pos[v] = j
        for k in range(n_touched):
            dist[touched[k]] = np.inf
        counts[i] = m
        if m == 0:
            continue
        if n_out + m > cap:
            cap = max(cap, 1024)
            while n_out + m > cap:
                cap *= 2
            new_c = np.empty(cap, dtype=col_t)
            new_t = np.empty(cap, dtype=np.float64)
            new_c[:n_out] = out_c[:n_out]
            new_t[:n_out] = out_t[:n_out]
            out_c = new_c
            out_t = new_t
        for wi in range(lo >> 6, (hi >> 6) + 1):
            word = bits[wi]
            if word == 0:
                continue
            bits[wi] = 0
            base = wi * 64
            while word != 0:
                col = base + trailing_zeros(word)  # type: ignore[call-arg]
                out_c[n_out] = col
                out_t[n_out] = row_t[col]
                n_out += 1
                word &= word - one
    return counts, out_c, out_t


#: The compiled kernel (compiled on first call, for each combination of index dtypes).
bounded_dijkstra: Callable[..., Any] = numba.njit(nogil=True, cache=True)(_bounded_dijkstra_py)

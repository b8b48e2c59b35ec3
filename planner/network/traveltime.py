"""Bounded travel times on a :class:`~planner.network.graph.TravelGraph`.

Every search here is *bounded* by a cutoff, and every result is *sparse*: only pairs
within the cutoff are stored, so memory follows the result, never sources × nodes and
never a dense all-pairs matrix.

Functions
---------
:func:`travel_times`
    Many-to-many (or one-to-many) times from sources to targets, a sparse
    ``n_sources × n_targets`` matrix of seconds.
:func:`travel_times_to`
    The same matrix, computed by searching backwards from the targets (cheaper when there
    are fewer targets than sources, e.g. 20,000 demand cells → 30 markets).

Beside it, not inside it: :func:`planner.network.nearest.nearest` (time from every node
to its nearest facility, one multi-source search) and
:func:`planner.network.isochrones.isochrones` (polygons reached within given cutoffs, for
maps). Both share this module's conventions below; the checks at the door of all three
live in :mod:`planner.network._validate`.

Direction
---------
Times run along edge direction from a *source* to a *target*: a worker (source) going to
a market (target), honouring one-way streets. Nodes are addressed by *position*
(``0 .. n_nodes - 1``), as returned by :func:`planner.network.snapping.snap_points`.

Offsets
-------
The off-network legs (from a point to its snapped node and from a node to a market's
door) arrive as offsets in seconds: the total time of a pair is
``source_offset + network time + target_offset`` and the pair is kept only when that total
is ``<= cutoff_s``. An unreachable point (position ``-1`` with an infinite offset, as the
snapping gives) simply has no entries.

Engines
-------
``"numba"`` runs a bounded Dijkstra compiled with numba (:mod:`planner.network._dijkstra`:
an 8-ary heap with decrease-key, 32-bit indices, touches only the nodes it reaches,
releases the GIL so chunks of sources run on all cores; each chunk's entries are copied,
in row order, straight into the final CSR arrays). ``"scipy"``
runs :func:`scipy.sparse.csgraph.dijkstra` on chunks of sources with ``limit=cutoff``;
each chunk's dense ``chunk × n_nodes`` block is kept under ``memory_budget_bytes`` and
turned sparse at once. ``"auto"`` uses numba when it is installed (an optional
dependency; the kernel compiles on first use and is cached on disk). Both give the same
times (tested against each other and against networkx). numba touches only what a search
reaches, so short cutoffs on big graphs stay cheap; scipy pays ``n_nodes`` per source.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import dijkstra

from planner.errors import DependencyError, InvalidValueError
from planner.network._validate import (
    _check_cutoff,
    _check_graph,
    _check_unreachable,
    _offsets,
    _positions,
)
from planner.network.graph import TravelGraph

__all__ = [
    "MEMORY_BUDGET_BYTES",
    "TravelTimes",
    "travel_times",
    "travel_times_to",
]

log = logging.getLogger(__name__)

Engine = Literal["auto", "numba", "scipy"]

#: Largest dense block (bytes) the scipy engine holds at once: ``chunk × n_nodes`` float64
#: distances from :func:`scipy.sparse.csgraph.dijkstra`. 256 MB is ~1,700 sources on a
#: 20,000-node county walk graph, ~200 on a 150,000-node city graph.
MEMORY_BUDGET_BYTES: int = 256 * 2**20

# Relative slack on the search bound so that rounding in ``offset + time + offset`` never
# prunes a pair the final ``<= cutoff`` test keeps (the final test is exact).
_BOUND_SLACK = 1e-12


@dataclass(frozen=True, eq=False)
class TravelTimes:
    """A sparse sources × targets matrix of travel times.

    Attributes
    ----------
    matrix
        ``scipy.sparse.csr_array`` of shape ``(n_sources, n_targets)``, float64 seconds
        (offsets included). Only pairs with a total time ``<= cutoff_s`` are stored. A
        stored entry may be an **explicit zero** (a source on the same node as a target,
        both offsets zero): it is kept in ``matrix.data``, so "stored" means reachable and
        "not stored" means beyond the cutoff. Do not call ``eliminate_zeros()`` on it, and
        use :meth:`to_dense` (``inf`` = unreachable) rather than ``toarray()`` (which shows
        an unreachable pair as 0).
    cutoff_s
        The cutoff in seconds.
    sources, targets
        Node positions of the rows and columns (``-1`` for an unreachable point).
    source_offsets_s, target_offsets_s
        Offsets used (zeros when none were given).
    engine
        ``"numba"`` or ``"scipy"``.
    elapsed_s
        Wall-clock seconds of the computation.
    """

    matrix: sp.csr_array
    cutoff_s: float
    sources: NDArray[np.int64]
    targets: NDArray[np.int64]
    source_offsets_s: NDArray[np.float64]
    target_offsets_s: NDArray[np.float64]
    engine: str
    elapsed_s: float

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.sources), len(self.targets))

    @property
    def nnz(self) -> int:
        """Number of reachable (source, target) pairs."""
        return int(self.matrix.nnz)

    def pairs(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """Row index, column index and seconds of every reachable pair (row-major order)."""
        m = self.matrix
        rows = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
        return rows, m.indices.astype(np.int64), m.data.astype(np.float64)

    def to_dense(self) -> NDArray[np.float64]:
        """Dense array with ``inf`` where a pair is beyond the cutoff (small results only)."""
        out = np.full(self.shape, np.inf)
        rows, cols, vals = self.pairs()
        out[rows, cols] = vals
        return out

    def to_frame(
        self, source_ids: ArrayLike | None = None, target_ids: ArrayLike | None = None
    ) -> pd.DataFrame:
        """The reachable pairs as a long table: ``source``, ``target``, ``time_s``.

        ``source_ids``/``target_ids`` label the rows and columns (e.g. cell ids, market ids;
        default their positions). Pairs beyond the cutoff are absent, as in the matrix.

        Examples
        --------
        >>> m = sp.csr_array(([0.0, 90.0], ([0, 1], [1, 0])), shape=(2, 2))
        >>> z = np.zeros(2)
        >>> t = TravelTimes(m, 120.0, np.arange(2), np.arange(2), z, z, "scipy", 0.0)
        >>> t.to_frame(["a", "b"], ["M1", "M2"]).values.tolist()
        [['a', 'M2', 0.0], ['b', 'M1', 90.0]]
        """
        rows, cols, vals = self.pairs()
        src = np.arange(self.shape[0]) if source_ids is None else np.asarray(source_ids)
        tgt = np.arange(self.shape[1]) if target_ids is None else np.asarray(target_ids)
        if len(src) != self.shape[0] or len(tgt) != self.shape[1]:
            raise InvalidValueError(
                f"{len(src)} source and {len(tgt)} target ids for a {self.shape} matrix",
                fix="give one id per row and per column",
            )
        return pd.DataFrame({"source": src[rows], "target": tgt[cols], "time_s": vals})


# --------------------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------------------


def _resolve_engine(engine: str) -> str:
    if engine not in ("auto", "numba", "scipy"):
        raise InvalidValueError(f"unknown engine {engine!r}", fix="use 'auto', 'numba' or 'scipy'")
    if engine == "scipy":
        return "scipy"
    try:
        import numba  # noqa: F401
    except ImportError:
        if engine == "numba":
            raise DependencyError(
                "engine 'numba' needs the numba package",
                fix="pip install numba, or use engine='scipy'",
            ) from None
        return "scipy"
    return "numba"


# --------------------------------------------------------------------------------------
# The numba kernel (planner.network._dijkstra; numba is imported only when it runs)
# --------------------------------------------------------------------------------------


def _kernel() -> Callable[..., Any]:
    """The compiled bounded Dijkstra (see :func:`planner.network._dijkstra`)."""
    from planner.network._dijkstra import bounded_dijkstra

    return bounded_dijkstra


# --------------------------------------------------------------------------------------
# Travel times
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Targets:
    """Target columns grouped by node: ``cols[ptr[v]:ptr[v+1]]`` are the columns at node v."""

    ptr: NDArray[np.int64]
    cols: NDArray[np.int64]
    nodes: NDArray[np.int64]  # node position per column (valid columns only)
    valid: NDArray[np.bool_]  # column has a node and a finite offset
    min_off: float


def _group_targets(targets: NDArray[np.int64], target_off: NDArray[np.float64], n: int) -> _Targets:
    valid = (targets >= 0) & np.isfinite(target_off)
    cols = np.flatnonzero(valid).astype(np.int64)
    nodes = targets[cols]
    order = np.argsort(nodes, kind="stable")
    cols = cols[order]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(nodes, minlength=n), out=ptr[1:])
    min_off = float(target_off[valid].min()) if valid.any() else math.inf
    return _Targets(ptr=ptr, cols=cols, nodes=targets, valid=valid, min_off=min_off)


def _limits(
    source_off: NDArray[np.float64], cutoff: float, min_target_off: float
) -> NDArray[np.float64]:
    with np.errstate(invalid="ignore"):
        lim = cutoff - source_off - min_target_off
    lim = np.where(np.isfinite(lim), lim, -1.0)
    return lim + np.abs(lim) * _BOUND_SLACK + _BOUND_SLACK * max(cutoff, 1.0)


def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _run_scipy(
    m: sp.csr_array,
    sources: NDArray[np.int64],
    source_off: NDArray[np.float64],
    tg: _Targets,
    target_off: NDArray[np.float64],
    cutoff: float,
    chunk: slice,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    src = sources[chunk]
    so = source_off[chunk]
    k = len(src)
    counts = np.zeros(k, dtype=np.int64)
    live = (src >= 0) & np.isfinite(so)
    lim = _limits(so, cutoff, tg.min_off)
    live &= lim >= 0
    cols_valid = np.flatnonzero(tg.valid)
    if not live.any() or len(cols_valid) == 0:
        return counts, np.zeros(0, dtype=np.int64), np.zeros(0)
    rows_live = np.flatnonzero(live)
    dist = dijkstra(m, directed=True, indices=src[rows_live], limit=float(lim[rows_live].max()))
    sub = dist[:, tg.nodes[cols_valid]]
    del dist
    tot = so[rows_live, None] + sub + target_off[None, cols_valid]
    keep = tot <= cutoff
    r, c = np.nonzero(keep)  # row-major: sorted by row, then column
    counts[rows_live] = np.bincount(r, minlength=len(rows_live))
    return counts, cols_valid[c].astype(np.int64), tot[r, c]


def travel_times(
    graph: TravelGraph,
    sources: ArrayLike,
    targets: ArrayLike | None = None,
    *,
    cutoff_s: float,
    source_offsets_s: ArrayLike | None = None,
    target_offsets_s: ArrayLike | None = None,
    search: Literal["auto", "forward", "backward"] = "forward",
    engine: Engine = "auto",
    chunk_size: int | None = None,
    workers: int | None = None,
    memory_budget_bytes: int = MEMORY_BUDGET_BYTES,
    progress: bool = False,
) -> TravelTimes:
    """Shortest travel times from sources to targets, bounded by ``cutoff_s``.

    Parameters
    ----------
    graph
        The mode graph; edge weights are seconds.
    sources
        Node positions of the sources (rows). ``-1`` marks an unreachable point (its
        offset must then be ``inf``); its row stays empty.
    targets
        Node positions of the targets (columns); ``None`` means every node, in order.
    cutoff_s
        Largest total time kept, in seconds (finite, >= 0).
    source_offsets_s, target_offsets_s
        Seconds added before / after the network leg (e.g. the walk from a point to its
        node), one per source / target; ``inf`` for an unreachable point.
    search
        ``"forward"`` searches from each source along edge direction; ``"backward"``
        searches from each target on the reversed graph; ``"auto"`` searches from the
        smaller side. The matrix is the same (sources × targets) either way.
    engine
        ``"auto"`` (numba when installed), ``"numba"`` or ``"scipy"``.
    chunk_size
        Searches per chunk. Default: numba, enough chunks for every worker and the
        progress bar; scipy, as many as fit ``memory_budget_bytes`` of dense distances.
    workers
        Threads running chunks (numba releases the GIL); default: CPU count.
    memory_budget_bytes
        Bound on the scipy engine's dense block per chunk.
    progress
        Show a tqdm progress bar over chunks.

    Returns
    -------
    TravelTimes
        ``matrix`` is a ``csr_array`` (sources × targets) of seconds holding only pairs
        within the cutoff; explicit zeros are real zero times (see :class:`TravelTimes`).

    Raises
    ------
    InvalidValueError
        Empty graph, negative or NaN edge times, positions outside the graph, a negative
        or non-finite cutoff, NaN or negative offsets, an unknown engine.
    DependencyError
        ``engine="numba"`` without numba installed.

    Examples
    --------
    >>> from planner.network.graph import TravelGraph
    >>> g = TravelGraph.from_edges("walk", [10, 11, 12], [0, 1, 2], [0, 0, 0],
    ...                            [0, 1], [1, 2], [60.0, 60.0])
    >>> tt = travel_times(g, [0, 2], cutoff_s=100)
    >>> tt.to_dense().tolist()
    [[0.0, 60.0, inf], [inf, inf, 0.0]]
    """
    t0 = time.perf_counter()
    m = _check_graph(graph)
    n = graph.n_nodes
    cutoff = _check_cutoff(cutoff_s)
    src = _positions(sources, n, what="source")
    tgt = np.arange(n, dtype=np.int64) if targets is None else _positions(targets, n, what="target")
    so = _offsets(source_offsets_s, len(src), what="source")
    to = _offsets(target_offsets_s, len(tgt), what="target")
    _check_unreachable(src, so, what="source")
    _check_unreachable(tgt, to, what="target")
    if search not in ("auto", "forward", "backward"):
        raise InvalidValueError(
            f"unknown search direction {search!r}", fix="use 'forward', 'backward' or 'auto'"
        )
    eng = _resolve_engine(engine)
    if chunk_size is not None and (not isinstance(chunk_size, int | np.integer) or chunk_size < 1):
        raise InvalidValueError(
            f"chunk_size must be a positive integer, got {chunk_size!r}",
            fix="leave it out to choose automatically",
        )
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    if n_workers < 1:
        raise InvalidValueError(f"workers must be >= 1, got {workers}", fix="leave it out")
    backward = search == "backward" or (search == "auto" and len(tgt) < len(src))
    if backward:
        mat = _search(
            sp.csr_array(m.T),
            tgt,
            to,
            src,
            so,
            cutoff,
            eng,
            chunk_size,
            n_workers,
            memory_budget_bytes,
            progress,
        )
        mat = sp.csr_array(mat.T)  # keeps explicit zeros (no elimination on conversion)
        mat.sort_indices()
    else:
        mat = _search(
            m, src, so, tgt, to, cutoff, eng, chunk_size, n_workers, memory_budget_bytes, progress
        )
    elapsed = time.perf_counter() - t0
    log.info(
        "travel times (%s, %s search, %s engine): %d × %d within %.0f s, %d pairs, %.2f s",
        graph.mode,
        "backward" if backward else "forward",
        eng,
        len(src),
        len(tgt),
        cutoff,
        mat.nnz,
        elapsed,
    )
    return TravelTimes(
        matrix=mat,
        cutoff_s=cutoff,
        sources=src,
        targets=tgt,
        source_offsets_s=so,
        target_offsets_s=to,
        engine=eng,
        elapsed_s=elapsed,
    )


#: One chunk's result: entries per source, then every entry's column and seconds (the
#: entries are the first ``counts.sum()`` slots; the arrays may be longer buffers).
_Part = tuple[NDArray[np.int64], NDArray[Any], NDArray[np.float64]]

#: Output buffers handed to a chunk (column, seconds) and handed back with its result.
_Buffers = tuple[NDArray[Any], NDArray[np.float64]]


def _index_dtype(largest: int) -> type[np.signedinteger[Any]]:
    """int32 when every index up to ``largest`` fits (half the memory traffic), else int64."""
    return np.int32 if largest < np.iinfo(np.int32).max else np.int64


def _search(
    m: sp.csr_array,
    src: NDArray[np.int64],
    so: NDArray[np.float64],
    tgt: NDArray[np.int64],
    to: NDArray[np.float64],
    cutoff: float,
    eng: str,
    chunk_size: int | None,
    n_workers: int,
    memory_budget_bytes: int,
    progress: bool,
) -> sp.csr_array:
    """Rows = ``src`` searched along ``m``; columns = ``tgt``."""
    n = m.shape[0]
    n_src = len(src)
    tg = _group_targets(tgt, to, n)
    idx_t = _index_dtype(max(n, m.nnz, len(tgt)))
    run: Callable[[slice, _Buffers], _Part]
    if eng == "numba":
        kern = _kernel()
        indptr = m.indptr.astype(idx_t)
        indices = m.indices.astype(idx_t)
        weights = m.data.astype(np.float64, copy=False)
        tptr = tg.ptr.astype(idx_t)
        tcols = tg.cols.astype(idx_t)
        size = chunk_size or int(min(64, max(1, math.ceil(n_src / (8 * n_workers)))))

        def run(ch: slice, buf: _Buffers) -> _Part:
            lim = _limits(so[ch], cutoff, tg.min_off)
            out: _Part = kern(
                indptr, indices, weights, src[ch], so[ch], lim, cutoff, tptr, tcols, to, *buf
            )
            return out

    else:
        width = n + int(tg.valid.sum())
        size = chunk_size or int(max(1, memory_budget_bytes // (16 * max(width, 1))))

        def run(ch: slice, buf: _Buffers) -> _Part:
            return _run_scipy(m, src, so, tg, to, cutoff, ch)

    chunks = list(_chunks(n_src, size))
    bar: Any = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_src, unit="source", desc="travel times")
    # The scipy engine keeps one chunk at a time (its dense block is the memory budget).
    threads = min(n_workers if eng == "numba" else 1, len(chunks))
    try:
        if threads > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                parts = _in_order(run, chunks, idx_t, 2 * threads, pool.submit)
                return _assemble(parts, n_src, len(tgt), idx_t, bar)
        return _assemble(_in_order(run, chunks, idx_t, 1, None), n_src, len(tgt), idx_t, bar)
    finally:
        if bar is not None:
            bar.close()


def _in_order(
    run: Callable[[slice, _Buffers], _Part],
    chunks: list[slice],
    idx_t: type[np.signedinteger[Any]],
    window: int,
    submit: Callable[..., Future[_Part]] | None,
) -> Iterator[tuple[slice, _Part]]:
    """Run ``chunks`` (on ``submit``'s threads, or here when ``None``), yielding in order.

    At most ``window`` chunks are in flight, each with its own output buffers; when the
    consumer asks for the next result, the previous one has been copied out and its
    buffers go to the next chunk. Reusing buffers matters: writing to freshly mapped
    memory (page faults) costs as much as a short search.
    """
    todo = iter(chunks)
    pending: deque[tuple[slice, Future[_Part] | _Part]] = deque()

    def start(buf: _Buffers) -> None:
        ch = next(todo, None)
        if ch is not None:
            pending.append((ch, submit(run, ch, buf) if submit is not None else run(ch, buf)))

    for _ in range(window):
        start((np.empty(0, dtype=idx_t), np.empty(0)))
    while pending:
        ch, job = pending.popleft()
        part = job.result() if isinstance(job, Future) else job
        yield ch, part
        start((part[1], part[2]))


def _assemble(
    parts: Iterator[tuple[slice, _Part]],
    n_src: int,
    n_cols: int,
    idx_t: type[np.signedinteger[Any]],
    bar: Any,
) -> sp.csr_array:
    """Copy chunk results, in row order, into one CSR array as they arrive.

    The column and value arrays grow in place (``ndarray.resize`` reallocates, which the
    C library does for large blocks by remapping pages, not copying) to the entries so
    far extrapolated to all sources, and are trimmed at the end. Peak memory is about
    the result plus the output buffers of the chunks in flight, not twice the result.
    """
    indptr = np.zeros(n_src + 1, dtype=np.int64)
    cols = np.empty(0, dtype=idx_t)
    vals = np.empty(0, dtype=np.float64)
    n_out = 0
    for ch, (counts, c, v) in parts:
        k = int(counts.sum())
        if n_out + k > len(vals):
            need = n_out + k
            cap = max(need, math.ceil(need / ch.stop * n_src * 1.05), len(vals) * 5 // 4)
            cols.resize(cap, refcheck=False)
            vals.resize(cap, refcheck=False)
        cols[n_out : n_out + k] = c[:k]
        vals[n_out : n_out + k] = v[:k]
        n_out += k
        indptr[ch.start + 1 : ch.stop + 1] = counts
        del counts, c, v
        if bar is not None:
            bar.update(ch.stop - ch.start)
    cols.resize(n_out, refcheck=False)
    vals.resize(n_out, refcheck=False)
    np.cumsum(indptr, out=indptr)
    ptr_t = _index_dtype(max(n_out, n_cols))
    mat = sp.csr_array(
        (vals, cols.astype(ptr_t, copy=False), indptr.astype(ptr_t)), shape=(n_src, n_cols)
    )
    mat.has_sorted_indices = True  # every part is sorted by column within each row
    return mat


def travel_times_to(
    graph: TravelGraph,
    targets: ArrayLike,
    sources: ArrayLike | None = None,
    *,
    cutoff_s: float,
    source_offsets_s: ArrayLike | None = None,
    target_offsets_s: ArrayLike | None = None,
    engine: Engine = "auto",
    chunk_size: int | None = None,
    workers: int | None = None,
    memory_budget_bytes: int = MEMORY_BUDGET_BYTES,
    progress: bool = False,
) -> TravelTimes:
    """Times from sources to targets, searched backwards from each target.

    The same result as :func:`travel_times` (rows = sources, columns = targets, times
    along edge direction source → target), but each search runs on the reversed graph
    from a target: cheaper when targets (markets) are fewer than sources (demand cells).

    Parameters
    ----------
    graph
        The mode graph.
    targets
        Node positions of the targets (columns).
    sources
        Node positions of the sources (rows); ``None`` means every node.
    cutoff_s, source_offsets_s, target_offsets_s, engine, chunk_size, workers, memory_budget_bytes, progress
        As in :func:`travel_times`.

    Examples
    --------
    >>> from planner.network.graph import TravelGraph
    >>> g = TravelGraph.from_edges("drive", [1, 2, 3], [0, 1, 2], [0, 0, 0],
    ...                            [0, 1], [1, 2], [30.0, 30.0])  # one-way 0 -> 1 -> 2
    >>> travel_times_to(g, [2], cutoff_s=60).to_dense().ravel().tolist()
    [60.0, 30.0, 0.0]
    """
    n = _check_graph(graph).shape[0]
    src: ArrayLike = np.arange(n, dtype=np.int64) if sources is None else sources
    return travel_times(
        graph,
        src,
        targets,
        cutoff_s=cutoff_s,
        source_offsets_s=source_offsets_s,
        target_offsets_s=target_offsets_s,
        search="backward",
        engine=engine,
        chunk_size=chunk_size,
        workers=workers,
        memory_budget_bytes=memory_budget_bytes,
        progress=progress,
    )

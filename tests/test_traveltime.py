"""Tests for planner.network.traveltime, .nearest and .isochrones: hand-worked graphs,
networkx, brute force."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from planner.errors import InvalidValueError, PlannerError
from planner.network.graph import TravelGraph
from planner.network.isochrones import isochrones
from planner.network.nearest import nearest
from planner.network.traveltime import (
    TravelTimes,
    travel_times,
    travel_times_to,
)

try:
    import numba  # noqa: F401

    ENGINES = ["numba", "scipy"]
except ImportError:  # pragma: no cover - numba is optional
    ENGINES = ["scipy"]

INF = math.inf


# --------------------------------------------------------------------------------------
# Graph builders
# --------------------------------------------------------------------------------------


def six_node_graph() -> TravelGraph:
    """Six nodes, ids 100..105, with one-way streets.

    Edges (seconds)::

        0 -> 1  60   one-way
        1 <-> 2 30
        2 -> 3  30   one-way
        3 -> 0  50   one-way
        1 <-> 4 100
        4 -> 3  20   one-way
        5           isolated

    Hand-worked times (row = from, column = to), cutoff 200 s:

        from 0: 0:0, 1:60, 2:90, 3:120, 4:160
        from 1: 1:0, 2:30, 3:60 (1-2-3), 0:110 (1-2-3-0), 4:100
        from 2: 2:0, 1:30 (direct), 3:30, 0:80 (2-3-0), 4:130 (2-1-4)
        from 3: 3:0, 0:50, 1:110 (3-0-1), 2:140, 4:210 (> 200: out)
        from 4: 4:0, 3:20, 0:70 (4-3-0), 1:100 (direct; 4-3-0-1 is 130), 2:130 (4-1-2)
        from 5: 5:0 only
    """
    u = [0, 1, 2, 2, 3, 1, 4, 4]
    v = [1, 2, 1, 3, 0, 4, 1, 3]
    t = [60, 30, 30, 30, 50, 100, 100, 20]
    x = [0, 100, 200, 200, 0, 300]
    y = [0, 0, 0, 100, 100, 300]
    return TravelGraph.from_edges("drive", np.arange(100, 106), x, y, u, v, t, crs="EPSG:32651")


SIX_EXPECTED = np.array(
    [
        [0, 60, 90, 120, 160, INF],
        [110, 0, 30, 60, 100, INF],
        [80, 30, 0, 30, 130, INF],
        [50, 110, 140, 0, INF, INF],
        [70, 100, 130, 20, 0, INF],
        [INF, INF, INF, INF, INF, 0],
    ]
)


def random_graph(seed: int, n: int = 120, m: int = 360) -> TravelGraph:
    """Random sparse directed graph: a few two-way streets, many one-way and asymmetric
    edges, and a separate part (nodes n-10.. n-1 only linked among themselves)."""
    rng = np.random.default_rng(seed)
    main = n - 10
    u = rng.integers(0, main, m)
    v = rng.integers(0, main, m)
    t = rng.uniform(1.0, 120.0, m).round(3)
    # two-way streets with different times each way (asymmetric)
    k = m // 4
    u2, v2 = v[:k], u[:k]
    t2 = t[:k] * rng.uniform(0.8, 1.5, k)
    # the separate part
    pu = rng.integers(main, n, 20)
    pv = rng.integers(main, n, 20)
    pt = rng.uniform(1.0, 60.0, 20)
    return TravelGraph.from_edges(
        "walk",
        np.arange(n),
        rng.uniform(0, 5000, n),
        rng.uniform(0, 5000, n),
        np.concatenate([u, u2, pu]),
        np.concatenate([v, v2, pv]),
        np.concatenate([t, t2, pt]),
    )


def nx_times(g: TravelGraph, sources: np.ndarray, cutoff: float) -> np.ndarray:
    """Dense (sources × nodes) times from networkx, inf where beyond the cutoff."""
    G = g.to_networkx()
    ids = g.node_ids.tolist()
    pos = {k: i for i, k in enumerate(ids)}
    out = np.full((len(sources), g.n_nodes), INF)
    for r, s in enumerate(sources):
        lengths = nx.single_source_dijkstra_path_length(G, ids[s], cutoff=cutoff, weight="time_s")
        for k, d in lengths.items():
            out[r, pos[k]] = d
    return out


def assert_times_equal(got: np.ndarray, want: np.ndarray, atol: float = 1e-6) -> None:
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=0, atol=atol)


# --------------------------------------------------------------------------------------
# Hand-made graph
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("search", ["forward", "backward"])
def test_six_node_graph_by_hand(engine: str, search: str) -> None:
    g = six_node_graph()
    tt = travel_times(g, np.arange(6), cutoff_s=200, engine=engine, search=search)
    assert isinstance(tt.matrix, sp.csr_array)
    assert tt.matrix.shape == (6, 6)
    assert_times_equal(tt.to_dense(), SIX_EXPECTED, atol=1e-9)
    # stored entries = pairs within the cutoff, the six zeros on the diagonal included
    assert tt.nnz == int(np.isfinite(SIX_EXPECTED).sum()) == 25


@pytest.mark.parametrize("engine", ENGINES)
def test_six_node_subset_of_targets_and_cutoff(engine: str) -> None:
    g = six_node_graph()
    tt = travel_times(g, [3, 2], [4, 0, 1], cutoff_s=100, engine=engine)
    want = SIX_EXPECTED[np.ix_([3, 2], [4, 0, 1])]
    want[want > 100] = INF
    assert_times_equal(tt.to_dense(), want, atol=1e-9)
    np.testing.assert_array_equal(tt.sources, [3, 2])
    np.testing.assert_array_equal(tt.targets, [4, 0, 1])
    assert tt.cutoff_s == 100


def test_oneway_direction_worker_to_market() -> None:
    # 0 -> 1 is one-way: a worker at 0 reaches a market at 1, not the other way round
    g = six_node_graph()
    worker_to_market = travel_times(g, [0], [1], cutoff_s=100).to_dense()[0, 0]
    market_to_worker = travel_times(g, [1], [0], cutoff_s=100).to_dense()[0, 0]
    assert worker_to_market == 60
    assert market_to_worker == INF  # 110 s the long way round, beyond 100


# --------------------------------------------------------------------------------------
# networkx on random graphs
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_graphs_equal_networkx(engine: str, seed: int) -> None:
    g = random_graph(seed)
    rng = np.random.default_rng(100 + seed)
    sources = rng.integers(0, g.n_nodes, 25)
    sources[-1] = g.n_nodes - 1  # a source in the separate part
    cutoff = 150.0
    want = nx_times(g, sources, cutoff)
    for search in ("forward", "backward"):
        tt = travel_times(g, sources, cutoff_s=cutoff, engine=engine, search=search)
        assert_times_equal(tt.to_dense(), want)
    # the separate part reaches nothing of the main part
    assert np.isinf(want[-1, : g.n_nodes - 10]).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_chunking_does_not_change_result(engine: str) -> None:
    g = random_graph(7)
    sources = np.arange(g.n_nodes)
    whole = travel_times(g, sources, cutoff_s=200, engine=engine, chunk_size=10_000, workers=1)
    chunked = travel_times(g, sources, cutoff_s=200, engine=engine, chunk_size=7, workers=2)
    assert whole.nnz == chunked.nnz > 0
    np.testing.assert_array_equal(whole.matrix.indptr, chunked.matrix.indptr)
    np.testing.assert_array_equal(whole.matrix.indices, chunked.matrix.indices)
    np.testing.assert_array_equal(whole.matrix.data, chunked.matrix.data)


def test_scipy_memory_budget_chunks_and_engines_agree() -> None:
    g = random_graph(8)
    sources = np.arange(0, g.n_nodes, 2)
    tiny = travel_times(g, sources, cutoff_s=180, engine="scipy", memory_budget_bytes=1)
    assert_times_equal(tiny.to_dense(), nx_times(g, sources, 180))
    if "numba" in ENGINES:
        nb = travel_times(g, sources, cutoff_s=180, engine="numba")
        np.testing.assert_array_equal(nb.matrix.indptr, tiny.matrix.indptr)
        np.testing.assert_array_equal(nb.matrix.indices, tiny.matrix.indices)
        np.testing.assert_allclose(nb.matrix.data, tiny.matrix.data, atol=1e-9, rtol=0)


def test_from_networkx_round_trip_equals_networkx() -> None:
    # a user's undirected osmnx-like graph: both directions of every street
    G = nx.grid_2d_graph(6, 6)
    rng = np.random.default_rng(5)
    H = nx.Graph()
    for a, b in G.edges:
        ia, ib = a[0] * 6 + a[1], b[0] * 6 + b[1]
        H.add_edge(ia, ib, time_s=float(rng.uniform(10, 60)))
    for k in H.nodes:
        H.nodes[k]["x"] = float(k % 6) * 100
        H.nodes[k]["y"] = float(k // 6) * 100
    g = TravelGraph.from_networkx(H)
    tt = travel_times(g, g.position([0, 35, 14]), cutoff_s=150)
    want = np.full((3, 36), INF)
    for r, s in enumerate([0, 35, 14]):
        for k, d in nx.single_source_dijkstra_path_length(
            H, s, cutoff=150, weight="time_s"
        ).items():
            want[r, g.position([k])[0]] = d
    assert_times_equal(tt.to_dense(), want)


# --------------------------------------------------------------------------------------
# Offsets, explicit zeros, direction
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_offsets_equal_brute_force(engine: str) -> None:
    g = random_graph(11)
    rng = np.random.default_rng(11)
    n = g.n_nodes
    sources = rng.integers(0, n, 30)
    targets = rng.integers(0, n, 40)
    targets[5] = targets[6]  # two markets on the same node, different door offsets
    so = rng.uniform(0, 80, 30)
    to = rng.uniform(0, 80, 40)
    sources[3], so[3] = -1, INF  # an unreachable worker
    targets[7], to[7] = -1, INF  # an unreachable market
    so[4] = INF  # snapped, but marked unreachable
    cutoff = 200.0
    full = nx_times(g, np.where(sources >= 0, sources, 0), cutoff)
    want = np.full((30, 40), INF)
    for i in range(30):
        for j in range(40):
            if sources[i] < 0 or targets[j] < 0:
                continue
            total = so[i] + full[i, targets[j]] + to[j]
            if total <= cutoff:
                want[i, j] = total
    assert np.isfinite(want).sum() > 50  # the test exercises real pairs
    for search in ("forward", "backward"):
        tt = travel_times(
            g,
            sources,
            targets,
            cutoff_s=cutoff,
            source_offsets_s=so,
            target_offsets_s=to,
            engine=engine,
            search=search,
        )
        assert_times_equal(tt.to_dense(), want)
        assert tt.matrix.indptr[4] == tt.matrix.indptr[3]  # row 3 (unreachable) empty
        assert not (tt.matrix.indices == 7).any()  # column 7 (unreachable) empty


@pytest.mark.parametrize("engine", ENGINES)
def test_explicit_zero_is_kept_and_distinguishable(engine: str) -> None:
    g = six_node_graph()
    # source 0 and target 0 on the same node: time 0, stored; source 5 cannot reach 0
    for search in ("forward", "backward"):
        tt = travel_times(g, [0, 5], [0, 1], cutoff_s=100, engine=engine, search=search)
        m = tt.matrix
        assert m.nnz == 2  # (0,0) = 0 s and (0,1) = 60 s
        row0 = m.data[m.indptr[0] : m.indptr[1]]
        cols0 = m.indices[m.indptr[0] : m.indptr[1]]
        assert cols0.tolist() == [0, 1]
        assert row0.tolist() == [0.0, 60.0]
        assert m.indptr[2] - m.indptr[1] == 0  # row of source 5 is empty
        dense = tt.to_dense()
        assert dense[0, 0] == 0.0 and dense[1, 0] == INF
        rows, cols, vals = tt.pairs()
        assert list(zip(rows.tolist(), cols.tolist(), vals.tolist(), strict=True)) == [
            (0, 0, 0.0),
            (0, 1, 60.0),
        ]


def test_zero_cutoff_keeps_only_same_node_pairs() -> None:
    g = six_node_graph()
    tt = travel_times(g, [0, 1, 2], cutoff_s=0)
    assert tt.nnz == 3
    np.testing.assert_array_equal(tt.matrix.indices, [0, 1, 2])
    np.testing.assert_array_equal(tt.matrix.data, [0.0, 0.0, 0.0])


def test_travel_times_to_equals_forward_search() -> None:
    g = random_graph(21)
    rng = np.random.default_rng(21)
    markets = rng.integers(0, g.n_nodes, 5)
    door = rng.uniform(0, 30, 5)
    back = travel_times_to(g, markets, cutoff_s=160, target_offsets_s=door)
    fwd = travel_times(g, np.arange(g.n_nodes), markets, cutoff_s=160, target_offsets_s=door)
    assert back.shape == (g.n_nodes, 5)
    assert_times_equal(back.to_dense(), fwd.to_dense(), atol=1e-9)
    np.testing.assert_array_equal(back.sources, np.arange(g.n_nodes))
    # "auto" picks the backward search here (5 targets < 110 sources): same answer
    auto = travel_times(
        g, np.arange(g.n_nodes), markets, cutoff_s=160, target_offsets_s=door, search="auto"
    )
    assert_times_equal(auto.to_dense(), fwd.to_dense(), atol=1e-9)


def test_empty_sources_give_empty_matrix() -> None:
    g = six_node_graph()
    tt = travel_times(g, np.array([], dtype=np.int64), cutoff_s=60)
    assert tt.matrix.shape == (0, 6)
    assert tt.nnz == 0


def test_progress_bar_runs() -> None:
    g = six_node_graph()
    tt = travel_times(g, np.arange(6), cutoff_s=200, progress=True, chunk_size=2)
    assert_times_equal(tt.to_dense(), SIX_EXPECTED, atol=1e-9)


# --------------------------------------------------------------------------------------
# Result layout and the numba kernel's buffers
# --------------------------------------------------------------------------------------


def grid_graph(side: int, seed: int) -> TravelGraph:
    """A ``side × side`` street grid with random two-way times (a large reach per search)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    t = rng.uniform(5.0, 60.0, len(a)).round(2)
    return TravelGraph.from_edges(
        "walk",
        np.arange(side * side),
        (idx % side).ravel() * 100.0,
        (idx // side).ravel() * 100.0,
        np.concatenate([a, b]),
        np.concatenate([b, a]),
        np.concatenate([t, t * rng.uniform(0.9, 1.2, len(t))]),
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_sorted_by_column_for_shuffled_duplicate_targets(engine: str) -> None:
    # 150 target columns (several 64-bit words), in shuffled node order, with repeats
    g = grid_graph(12, seed=3)
    rng = np.random.default_rng(3)
    targets = rng.permutation(np.concatenate([np.arange(g.n_nodes), rng.integers(0, 144, 6)]))
    to = rng.uniform(0, 20, len(targets))
    sources = rng.integers(0, g.n_nodes, 9)
    cutoff = 300.0
    full = nx_times(g, sources, cutoff)
    want = full[:, targets] + to[None, :]
    want[want > cutoff] = INF
    tt = travel_times(g, sources, targets, cutoff_s=cutoff, target_offsets_s=to, engine=engine)
    assert_times_equal(tt.to_dense(), want)
    m = tt.matrix
    assert m.has_sorted_indices
    for r in range(m.shape[0]):
        cols = m.indices[m.indptr[r] : m.indptr[r + 1]]
        assert (np.diff(cols) > 0).all()  # strictly increasing: sorted, no duplicates
    # the flag set by travel_times agrees with scipy's own check on a fresh copy
    fresh = sp.csr_array((m.data.copy(), m.indices.copy(), m.indptr.copy()), shape=m.shape)
    assert fresh.has_sorted_indices
    assert m.indices.dtype == np.int32 and m.indptr.dtype == np.int32


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_chunks_of_growing_reach_equal_networkx(workers: int) -> None:
    # Sources from a corner (small reach) to the centre (large reach), one per chunk: the
    # output buffers handed from chunk to chunk must grow, and results stay in row order.
    g = grid_graph(40, seed=4)
    sources = np.array([0, 41, 82, 123, 164, 205, 246, 287, 328, 369, 410, 615, 820, 0, 820])
    cutoff = 600.0
    want = nx_times(g, sources, cutoff)
    tt = travel_times(g, sources, cutoff_s=cutoff, chunk_size=1, workers=workers)
    assert_times_equal(tt.to_dense(), want)
    counts = np.diff(tt.matrix.indptr)
    # the reach grows past the kernel's first buffer (1,024 entries), so reused buffers grow
    assert 0 < counts[0] < 1024 < counts[-1]
    np.testing.assert_array_equal(tt.to_dense()[13], tt.to_dense()[0])  # same source again


def test_kernel_reuses_and_grows_its_buffers() -> None:
    pytest.importorskip("numba")
    from planner.network._dijkstra import bounded_dijkstra

    g = grid_graph(10, seed=5)
    m = g.matrix
    n = g.n_nodes
    cutoff = 250.0
    sources = np.array([0, 55, 99], dtype=np.int64)
    so = np.zeros(3)
    lim = np.full(3, cutoff)
    ptr = np.arange(n + 1)
    want = nx_times(g, sources, cutoff)

    def run(idx_t: type, out_c: np.ndarray, out_t: np.ndarray) -> tuple:
        return bounded_dijkstra(
            m.indptr.astype(idx_t),
            m.indices.astype(idx_t),
            m.data.astype(np.float64),
            sources,
            so,
            lim,
            cutoff,
            ptr.astype(idx_t),
            np.arange(n).astype(idx_t),
            np.zeros(n),
            out_c,
            out_t,
        )

    for idx_t in (np.int32, np.int64):
        # too small: new, larger buffers come back holding the entries
        counts, c, t = run(idx_t, np.empty(1, dtype=idx_t), np.empty(1))
        k = int(counts.sum())
        assert len(c) >= k > 100 and c.dtype == idx_t
        got = np.full((3, n), INF)
        got[np.repeat(np.arange(3), counts), c[:k]] = t[:k]
        assert_times_equal(got, want)
        # large enough: the same buffers are filled and returned (no new memory)
        big_c, big_t = np.empty(4 * k, dtype=idx_t), np.empty(4 * k)
        counts2, c2, t2 = run(idx_t, big_c, big_t)
        assert c2 is big_c and t2 is big_t
        np.testing.assert_array_equal(counts2, counts)
        np.testing.assert_array_equal(c2[:k], c[:k])
        np.testing.assert_array_equal(t2[:k], t[:k])


# --------------------------------------------------------------------------------------
# Property: raising the cutoff
# --------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    low=st.floats(0, 150),
    extra=st.floats(0, 150),
    offsets=st.booleans(),
)
def test_raising_cutoff_never_removes_or_changes_pairs(
    seed: int, low: float, extra: float, offsets: bool
) -> None:
    g = random_graph(seed, n=40, m=100)
    rng = np.random.default_rng(seed)
    sources = rng.integers(0, g.n_nodes, 8)
    so = rng.uniform(0, 40, 8) if offsets else None
    a = travel_times(g, sources, cutoff_s=low, source_offsets_s=so).to_dense()
    b = travel_times(g, sources, cutoff_s=low + extra, source_offsets_s=so).to_dense()
    kept = np.isfinite(a)
    assert np.isfinite(b[kept]).all()  # nothing reachable is lost
    np.testing.assert_array_equal(a[kept], b[kept])  # and its time is unchanged
    assert (b[np.isfinite(b)] <= low + extra).all()


# --------------------------------------------------------------------------------------
# Nearest facility
# --------------------------------------------------------------------------------------


def brute_nearest(
    g: TravelGraph, facilities: np.ndarray, offsets: np.ndarray, cutoff: float, to: bool = True
) -> np.ndarray:
    """min over facilities of offset + time(node -> facility), one networkx run each."""
    G = g.to_networkx()
    if to:
        G = G.reverse(copy=True)
    ids = g.node_ids.tolist()
    best = np.full((len(facilities), g.n_nodes), INF)
    for f, (node, off) in enumerate(zip(facilities, offsets, strict=True)):
        if node < 0 or not np.isfinite(off):
            continue
        for k, d in nx.single_source_dijkstra_path_length(G, ids[node], weight="time_s").items():
            if off + d <= cutoff:
                best[f, ids.index(k)] = off + d
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("direction", ["to", "from"])
def test_nearest_equals_brute_force(seed: int, direction: str) -> None:
    g = random_graph(seed)
    rng = np.random.default_rng(seed + 50)
    fac = rng.integers(0, g.n_nodes, 6)
    fac[1] = fac[0]  # two facilities on one node: the smaller offset wins
    off = rng.uniform(0, 60, 6)
    fac[5], off[5] = -1, INF  # a facility off the network
    cutoff = 140.0
    per_fac = brute_nearest(g, fac, off, cutoff, to=direction == "to")
    want = per_fac.min(axis=0)
    r = nearest(g, fac, cutoff_s=cutoff, facility_offsets_s=off, direction=direction)  # type: ignore[arg-type]
    assert_times_equal(r.time_s, want)
    reached = np.isfinite(want)
    assert reached.sum() > 10
    np.testing.assert_array_equal(r.facility[~reached], -1)
    # the named facility really is at that time
    labelled = per_fac[r.facility[reached], np.flatnonzero(reached)]
    np.testing.assert_allclose(labelled, want[reached], atol=1e-6, rtol=0)
    assert not (r.facility == 5).any()


def test_nearest_by_hand_with_offset_overriding_distance() -> None:
    g = six_node_graph()
    # market A at node 3 with a 100 s walk to its door; market B at node 0, door at the node.
    r = nearest(g, [3, 0], cutoff_s=130, facility_offsets_s=[100.0, 0.0])
    # to B (node 0): 0:0, 1:110, 2:80, 3:50, 4:70; to A: 3:100, 2:130, 4:120, 1:160, 0:220
    assert r.time_s.tolist() == [0.0, 110.0, 80.0, 50.0, 70.0, INF]
    assert r.facility.tolist() == [1, 1, 1, 1, 1, -1]
    r2 = nearest(g, [3, 0], cutoff_s=130, facility_offsets_s=[0.0, 0.0])
    # now A is at the node: 3:0, 2:30, 4:20, 1:60, 0: min(0, 120) = 0 via B
    assert r2.time_s.tolist() == [0.0, 60.0, 30.0, 0.0, 20.0, INF]
    assert r2.facility.tolist() == [1, 0, 0, 0, 0, -1]
    # for points: a point on node 1 with a 10 s walk, one unreachable, one beyond the cutoff
    t, f = r2.for_points([1, -1, 4], [10.0, INF, 115.0])
    assert t.tolist() == [70.0, INF, INF]
    assert f.tolist() == [0, -1, -1]


def test_nearest_no_facility() -> None:
    g = six_node_graph()
    r = nearest(g, np.array([], dtype=np.int64), cutoff_s=100)
    assert np.isinf(r.time_s).all() and (r.facility == -1).all()


# --------------------------------------------------------------------------------------
# Isochrones
# --------------------------------------------------------------------------------------


def line_graph(oneway: bool = False) -> TravelGraph:
    """Nodes every 100 m along x, 100 s per edge (1 m/s)."""
    n = 6
    u = list(range(n - 1))
    v = list(range(1, n))
    if not oneway:
        u, v = u + v, v + u
    return TravelGraph.from_edges(
        "walk",
        np.arange(n),
        np.arange(n) * 100.0,
        np.zeros(n),
        u,
        v,
        [100.0] * len(u),
        crs="EPSG:32651",
    )


def test_isochrone_area_on_a_line() -> None:
    g = line_graph()
    iso = isochrones(g, [2], cutoffs_s=[150, 250], buffer_m=10, quad_segs=64)
    assert list(iso.columns) == ["origin", "node", "cutoff_s", "geometry"]
    assert iso.crs == g.crs
    # 150 s at 1 m/s from x=200 either way: segment x in [50, 350], 300 m long
    # area of a 10 m buffer = 2 * 10 * 300 + pi * 10^2
    a150 = iso.geometry.iloc[0].area
    assert a150 == pytest.approx(2 * 10 * 300 + math.pi * 100, rel=1e-3)
    assert iso.geometry.iloc[0].bounds == pytest.approx((40, -10, 360, 10))
    # 250 s: x in [0, 450] (the line ends at 0)
    assert iso.geometry.iloc[1].bounds == pytest.approx((-10, -10, 460, 10))


def test_isochrone_direction_on_oneway_line() -> None:
    g = line_graph(oneway=True)  # 0 -> 1 -> ... -> 5 only
    to = isochrones(g, [2], cutoffs_s=[150], buffer_m=10, direction="to").geometry.iloc[0]
    frm = isochrones(g, [2], cutoffs_s=[150], buffer_m=10, direction="from").geometry.iloc[0]
    # workers reach node 2 from up-line (x from 50 to 200); from node 2 one goes down-line
    assert to.bounds == pytest.approx((40, -10, 210, 10))
    assert frm.bounds == pytest.approx((190, -10, 360, 10))
    assert to.contains(shapely.Point(60, 0)) and not frm.contains(shapely.Point(60, 0))


def _naive_isochrone(g: TravelGraph, origins: list[int], cutoff: float, buffer_m: float):
    """Every reached directed edge part and every reached node buffered, then unioned.

    Times to the nearest origin come from networkx on the reversed graph (direction "to").
    """
    rev = g.to_networkx().reverse()
    ids = g.node_ids.tolist()
    t = nx.multi_source_dijkstra_path_length(rev, [ids[o] for o in origins], weight="time_s")
    parts = []
    for a, b, w in rev.edges(data="time_s"):
        ta = t.get(a, INF)
        if ta > cutoff:
            continue
        f = min(max((cutoff - ta) / w, 0.0), 1.0) if w > 0 else 1.0
        xa, ya, xb, yb = rev.nodes[a]["x"], rev.nodes[a]["y"], rev.nodes[b]["x"], rev.nodes[b]["y"]
        parts.append(shapely.LineString([(xa, ya), (xa + f * (xb - xa), ya + f * (yb - ya))]))
    for k, tk in t.items():
        if tk <= cutoff:
            parts.append(shapely.Point(rev.nodes[k]["x"], rev.nodes[k]["y"]))
    return shapely.union_all(shapely.buffer(parts, buffer_m, quad_segs=8))


def test_isochrone_equals_the_union_of_every_reached_edge_and_node() -> None:
    # A street walked both ways is drawn once and a node's disc only where no band holds it
    # (isochrones' shortcut); the polygon must still be the union of all of them.
    rng = np.random.default_rng(7)
    side = 7
    k = np.arange(side * side).reshape(side, side)
    pairs = [(a, b) for a, b in zip(k[:, :-1].ravel(), k[:, 1:].ravel(), strict=True)]
    pairs += [(a, b) for a, b in zip(k[:-1].ravel(), k[1:].ravel(), strict=True)]
    u, v, t = [], [], []
    for a, b in pairs:
        w = float(rng.uniform(40, 160))
        oneway = rng.random() < 0.2
        u, v, t = [*u, int(a)], [*v, int(b)], [*t, w]
        if not oneway:  # the way back may take a little longer or shorter
            u, v, t = [*u, int(b)], [*v, int(a)], [*t, w * float(rng.uniform(0.8, 1.2))]
    # plus node 49 on its own: an origin there is a lone disc
    x = np.append((k % side).ravel() * 100.0 + rng.uniform(-20, 20, side * side), 900.0)
    y = np.append((k // side).ravel() * 100.0 + rng.uniform(-20, 20, side * side), 900.0)
    g = TravelGraph.from_edges("walk", np.arange(side * side + 1), x, y, u, v, t, crs="EPSG:32651")
    for origins, cutoff in (([24], 150.0), ([0, 48, 49], 260.0), ([10, 30, 44], 400.0)):
        got = isochrones(g, origins, cutoffs_s=[cutoff], buffer_m=25, merge=True)
        geom = got.geometry.iloc[0]
        ref = _naive_isochrone(g, origins, cutoff, 25.0)
        assert geom.area == pytest.approx(ref.area, rel=1e-3)
        assert geom.symmetric_difference(ref).area < 1e-3 * ref.area


def test_isochrone_merge_and_unreachable_origin() -> None:
    g = line_graph()
    merged = isochrones(g, [0, 5], cutoffs_s=[50], buffer_m=10, merge=True)
    assert list(merged.columns) == ["cutoff_s", "geometry"]
    geom = merged.geometry.iloc[0]
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2
    each = isochrones(g, [0, -1], cutoffs_s=[50], origin_offsets_s=[0, INF], buffer_m=10)
    assert each.geometry.iloc[1].is_empty
    assert each["node"].tolist() == [0, -1]


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


def _bad_graph(value: float) -> TravelGraph:
    g = six_node_graph()
    m = g.matrix.copy()
    m.data[2] = value
    return TravelGraph(g.mode, g.node_ids, g.x, g.y, g.crs, m)


def test_empty_graph_raises() -> None:
    g = TravelGraph.from_edges("walk", [], [], [], [], [], [])
    with pytest.raises(InvalidValueError, match="walk graph has no nodes"):
        travel_times(g, [], cutoff_s=60)
    with pytest.raises(InvalidValueError, match="has no nodes"):
        nearest(g, [], cutoff_s=60)
    with pytest.raises(InvalidValueError, match="has no nodes"):
        isochrones(g, [], cutoffs_s=[60])


@pytest.mark.parametrize("value", [-5.0, float("nan"), float("inf")])
def test_bad_edge_time_raises_naming_the_edge(value: float) -> None:
    g = _bad_graph(value)
    # CSR order: 0->1, 1->2, 1->4, ...: data[2] is the edge 1 -> 4 (ids 101 -> 104)
    with pytest.raises(InvalidValueError, match=r"edge 101 -> 104 has travel time"):
        travel_times(g, [0], cutoff_s=60)
    with pytest.raises(InvalidValueError, match="finite and non-negative"):
        nearest(g, [0], cutoff_s=60)


def test_positions_out_of_range_name_the_first() -> None:
    g = six_node_graph()
    with pytest.raises(InvalidValueError, match=r"source 2 has node position 6, outside 0..5"):
        travel_times(g, [0, 1, 6, 9], cutoff_s=60)
    with pytest.raises(InvalidValueError, match=r"target 1 has node position -3"):
        travel_times(g, [0], [0, -3], cutoff_s=60)
    with pytest.raises(InvalidValueError, match=r"facility 0 has node position 99"):
        nearest(g, [99], cutoff_s=60)
    with pytest.raises(InvalidValueError, match="must be integers"):
        travel_times(g, [0.5], cutoff_s=60)


def test_unreachable_position_needs_infinite_offset() -> None:
    g = six_node_graph()
    with pytest.raises(InvalidValueError, match=r"source 1 has node position -1 .* finite offset"):
        travel_times(g, [0, -1], cutoff_s=60)


@pytest.mark.parametrize("cutoff", [-1.0, float("nan"), float("inf")])
def test_bad_cutoff_raises(cutoff: float) -> None:
    g = six_node_graph()
    with pytest.raises(InvalidValueError, match="cutoff_s must be a finite number"):
        travel_times(g, [0], cutoff_s=cutoff)
    with pytest.raises(InvalidValueError, match="cutoff_s must be a finite number"):
        nearest(g, [0], cutoff_s=cutoff)
    with pytest.raises(InvalidValueError, match="cutoffs_s must be a finite number"):
        isochrones(g, [0], cutoffs_s=[60, cutoff])


def test_bad_offsets_raise() -> None:
    g = six_node_graph()
    with pytest.raises(InvalidValueError, match=r"source 1 has offset nan"):
        travel_times(g, [0, 1], cutoff_s=60, source_offsets_s=[0.0, float("nan")])
    with pytest.raises(InvalidValueError, match=r"target 0 has offset -2.0"):
        travel_times(g, [0], [1], cutoff_s=60, target_offsets_s=[-2.0])
    with pytest.raises(InvalidValueError, match=r"target offsets have 1 value\(s\) for 2"):
        travel_times(g, [0], [1, 2], cutoff_s=60, target_offsets_s=[1.0])
    with pytest.raises(InvalidValueError, match=r"facility 0 has offset nan"):
        nearest(g, [0], cutoff_s=60, facility_offsets_s=[float("nan")])


def test_bad_options_raise() -> None:
    g = six_node_graph()
    with pytest.raises(InvalidValueError, match="unknown engine 'gpu'"):
        travel_times(g, [0], cutoff_s=60, engine="gpu")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="chunk_size must be a positive integer"):
        travel_times(g, [0], cutoff_s=60, chunk_size=0)
    with pytest.raises(InvalidValueError, match="unknown search direction"):
        travel_times(g, [0], cutoff_s=60, search="sideways")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="unknown direction"):
        nearest(g, [0], cutoff_s=60, direction="up")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="buffer_m must be a positive"):
        isochrones(g, [0], cutoffs_s=[60], buffer_m=0)
    with pytest.raises(InvalidValueError, match="expected a TravelGraph"):
        travel_times(sp.csr_array(np.eye(2)), [0], cutoff_s=60)  # type: ignore[arg-type]
    # every error is also a ValueError for callers that catch built-ins
    with pytest.raises(ValueError):
        travel_times(g, [0], cutoff_s=-1)
    assert issubclass(InvalidValueError, PlannerError)


def test_result_type() -> None:
    tt = travel_times(six_node_graph(), [0], cutoff_s=10)
    assert isinstance(tt, TravelTimes)
    assert tt.engine in ENGINES and tt.elapsed_s >= 0
    assert tt.source_offsets_s.tolist() == [0.0]


# --------------------------------------------------------------------------------------
# Real road graph: Weihai (HIT campus area), OSM
# --------------------------------------------------------------------------------------


def weihai_walk_graph(folder: Path) -> TravelGraph:
    nodes = pd.read_csv(folder / "nodes.csv")
    edges = pd.read_csv(folder / "edges.csv")
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32651", always_xy=True)
    x, y = to_utm.transform(nodes["lon"].to_numpy(), nodes["lat"].to_numpy())
    pos = {k: i for i, k in enumerate(nodes["node_id"].tolist())}
    u = edges["u"].map(pos).to_numpy()
    v = edges["v"].map(pos).to_numpy()
    t = edges["length_m"].to_numpy() / (5.0 / 3.6)  # 5 km/h
    return TravelGraph.from_edges(
        "walk",
        nodes["node_id"].to_numpy(),
        x,
        y,
        np.concatenate([u, v]),
        np.concatenate([v, u]),
        np.concatenate([t, t]),
        crs="EPSG:32651",
    )


@pytest.mark.realdata
@pytest.mark.parametrize("engine", ENGINES)
def test_weihai_roads_equal_networkx(shared_data: Path, engine: str) -> None:
    g = weihai_walk_graph(shared_data / "weihai-hit-roads")
    assert g.n_nodes == 1438
    rng = np.random.default_rng(2024)
    sources = rng.choice(g.n_nodes, 50, replace=False)
    cutoff = 15 * 60.0
    want = nx_times(g, sources, cutoff)
    tt = travel_times(g, sources, cutoff_s=cutoff, engine=engine)
    assert_times_equal(tt.to_dense(), want)
    assert tt.nnz == int(np.isfinite(want).sum()) > 5_000
    # nearest of three "markets" equals brute force on the real graph too
    fac = sources[:3]
    r = nearest(g, fac, cutoff_s=cutoff)
    np.testing.assert_allclose(
        np.where(np.isfinite(r.time_s), r.time_s, -1),
        np.where(np.isfinite(want[:3].min(axis=0)), want[:3].min(axis=0), -1),
        atol=1e-6,
    )  # the graph is two-way, so node -> market equals market -> node


@pytest.mark.parametrize("engine", ENGINES)
def test_a_pair_exactly_at_the_cutoff_is_kept(engine: str) -> None:
    """Boundary: a time equal to the cutoff is within it (0 -> 1 is 60 s, 1 -> 3 is 30 + 30)."""
    g = six_node_graph()
    tt = travel_times(g, [0, 1], [1, 3], cutoff_s=60, engine=engine).to_dense()
    assert tt[0, 0] == 60.0 and tt[1, 1] == 60.0  # both exactly at the cutoff: kept
    assert np.isinf(tt[0, 1])  # 0 -> 3 takes 120 s
    below = travel_times(g, [0, 1], [1, 3], cutoff_s=59.999, engine=engine).to_dense()
    assert np.isinf(below[0, 0]) and np.isinf(below[1, 1])

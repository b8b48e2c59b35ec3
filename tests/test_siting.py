"""Tests of planner.analysis.siting: brute-force optima, spopt's objectives, properties, errors."""

from __future__ import annotations

import io
import itertools
import math
import os
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from planner.analysis.siting import Regions, coverage_matrix, lscp, mclp, p_median
from planner.errors import InvalidValueError, PlannerError, SitingError

SOLVERS = ["highs", "cbc"]


def random_instance(seed: int, n: int = 30, m: int = 8, radius: float = 0.3):
    rng = np.random.default_rng(seed)
    dem = rng.random((n, 2))
    cand = rng.random((m, 2))
    d = np.linalg.norm(dem[:, None, :] - cand[None, :, :], axis=2)
    w = rng.integers(1, 10, n).astype(float)
    return d, w, d <= radius


def brute_mclp(cover, w, p, *, allowed=None, must=None, ok=None):
    m = cover.shape[1]
    best = -1.0
    for S in itertools.combinations(range(m), p):
        if allowed is not None and not all(allowed[j] for j in S):
            continue
        if must is not None and not set(must) <= set(S):
            continue
        if ok is not None and not ok(S):
            continue
        best = max(best, float(w[cover[:, list(S)].any(axis=1)].sum()))
    return best


def brute_pmedian(d, w, p):
    m = d.shape[1]
    return min(float(w @ d[:, list(S)].min(axis=1)) for S in itertools.combinations(range(m), p))


def brute_lscp(cover):
    m = cover.shape[1]
    need = cover.any(axis=1)
    for k in range(1, m + 1):
        for S in itertools.combinations(range(m), k):
            if np.all(cover[need][:, list(S)].any(axis=1)):
                return k
    raise AssertionError


# ----------------------------------------------------------------------------- coverage_matrix


def test_coverage_matrix_keeps_stored_zero_and_drops_absent():
    t = sp.csr_matrix(
        (np.array([0.0, 899.0, 900.0, 901.0]), ([0, 0, 1, 1], [0, 1, 0, 1])), shape=(3, 2)
    )
    got = coverage_matrix(t, 900).toarray()
    assert got.tolist() == [[True, True], [True, False], [False, False]]


def test_coverage_matrix_rejects_negative_times():
    t = sp.csr_matrix((np.array([-1.0]), ([2], [0])), shape=(3, 2))
    with pytest.raises(InvalidValueError, match=r"negative or NaN.*demand rows 2"):
        coverage_matrix(t, 900)


# ----------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("solver", [*SOLVERS, "heuristic"])
@pytest.mark.parametrize("seed", range(4))
def test_mclp_equals_brute_force(seed, solver):
    _, w, cover = random_instance(seed)
    for p in (1, 2, 3):
        r = mclp(sp.csr_matrix(cover), w, p, solver=solver)
        best = brute_mclp(cover, w, p)
        if solver == "heuristic":
            assert r.status == "heuristic"
            assert r.objective <= best + 1e-9
            assert r.objective >= 0.9 * best  # greedy + swap on a tiny instance
        else:
            assert r.status == "optimal"
            assert r.objective == pytest.approx(best)
            assert r.gap == 0.0
            assert r.bound == pytest.approx(best)
        # the reported objective is the weight the reported sites cover
        assert float(w[cover[:, r.selected].any(axis=1)].sum()) == pytest.approx(r.objective)
        assert r.covered.tolist() == cover[:, r.selected].any(axis=1).tolist()


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(4))
def test_pmedian_equals_brute_force(seed, solver):
    d, w, _ = random_instance(seed, n=20, m=7)
    for p in (1, 2, 4):
        r = p_median(d, w, p, solver=solver)
        assert r.status == "optimal"
        assert r.objective == pytest.approx(brute_pmedian(d, w, p))
        assert len(r.selected) == p
        # assignment is to the nearest selected site
        near = r.selected[np.argmin(d[:, r.selected], axis=1)]
        assert np.allclose(d[np.arange(len(w)), r.assignment], d[np.arange(len(w)), near])


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(4))
def test_lscp_equals_brute_force(seed, solver):
    _, _, cover = random_instance(seed, radius=0.35)
    r = lscp(sp.csr_matrix(cover), solver=solver)
    assert r.status == "optimal"
    assert r.objective == brute_lscp(cover)
    assert np.all(cover[:, r.selected].any(axis=1) == cover.any(axis=1))


def test_lscp_by_hand_partial_target():
    # rows weights 5,1,1,4; site 0 covers rows 0,1; site 1 rows 1,2; site 2 rows 2,3
    cover = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))
    w = np.array([5.0, 1.0, 1.0, 4.0])
    # 6/11 of demand: site 0 alone covers 6 -> 1 site
    r = lscp(cover, target=6 / 11, weights=w)
    assert r.objective == 1 and r.selected.tolist() == [0]
    # 7/11: no single site covers 7 (6, 2, 5) -> 2 sites
    assert lscp(cover, target=7 / 11, weights=w).objective == 2


def test_lscp_target_of_coverable_ignores_uncoverable_rows(caplog):
    cover = sp.csr_matrix(np.array([[1, 0], [0, 1], [0, 0]], dtype=bool))
    r = lscp(cover)
    assert r.objective == 2
    assert r.covered.tolist() == [True, True, False]
    assert "1 demand rows" in caplog.text


# ----------------------------------------------------------------------------- spopt


def _spopt():
    spopt = pytest.importorskip("spopt.locate")
    pulp = pytest.importorskip("pulp")
    return spopt, pulp


@pytest.mark.parametrize("seed", range(5))
def test_objectives_equal_spopt(seed):
    locate, pulp = _spopt()
    rng = np.random.default_rng(100 + seed)
    n, m = 60, 15
    dem, cand = rng.random((n, 2)) * 10, rng.random((m, 2)) * 10
    d = np.linalg.norm(dem[:, None] - cand[None], axis=2)
    w = rng.integers(1, 20, n).astype(float)
    radius = 3.0
    # spopt's LSCP must cover every row: keep rows some candidate covers
    rows = (d <= radius).any(axis=1)
    cbc = pulp.PULP_CBC_CMD(msg=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ls = locate.LSCP.from_cost_matrix(d[rows], radius).solve(cbc)
        mc = locate.MCLP.from_cost_matrix(d, w, radius, p_facilities=4).solve(cbc)
        pm = locate.PMedian.from_cost_matrix(d, w, p_facilities=4).solve(cbc)
    cover = coverage_matrix(sp.csr_matrix(d), radius)
    assert lscp(cover).objective == pytest.approx(pulp.value(ls.problem.objective))
    assert mclp(cover, w, 4).objective == pytest.approx(pulp.value(mc.problem.objective))
    assert p_median(d, w, 4).objective == pytest.approx(pulp.value(pm.problem.objective))


def test_sparse_pmedian_with_penalty_equals_spopt_dense():
    """Absent pairs at unassigned_cost_s = a dense matrix holding that cost (spopt)."""
    locate, pulp = _spopt()
    rng = np.random.default_rng(7)
    d = rng.random((40, 12)) * 100
    far = d > 40
    sparse = sp.csr_matrix(np.where(far, 0, d))
    sparse = sp.csr_matrix((d[~far], np.nonzero(~far)), shape=d.shape)
    w = rng.integers(1, 5, 40).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm = locate.PMedian.from_cost_matrix(np.where(far, 60.0, d), w, p_facilities=3)
        pm.solve(pulp.PULP_CBC_CMD(msg=False))
    r = p_median(sparse, w, 3, unassigned_cost_s=60.0)
    assert r.objective == pytest.approx(pulp.value(pm.problem.objective))


# ----------------------------------------------------------------------------- properties


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_optimum_never_worsens_as_p_grows(seed):
    d, w, cover = random_instance(seed, n=25, m=7)
    cov = sp.csr_matrix(cover)
    covered = [mclp(cov, w, p).objective for p in range(1, 6)]
    costs = [p_median(d, w, p).objective for p in range(1, 6)]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(covered))
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(costs))


# ----------------------------------------------------------------------------- side rules


def test_fixed_and_excluded():
    _, w, cover = random_instance(3)
    cov = sp.csr_matrix(cover)
    free = mclp(cov, w, 3)
    out = int(free.selected[0])
    other = next(j for j in range(8) if j not in free.selected)
    r = mclp(cov, w, 3, fixed=[other], excluded=[out])
    assert other in r.selected and out not in r.selected
    allowed = [j != out for j in range(8)]
    assert r.objective == pytest.approx(brute_mclp(cover, w, 3, allowed=allowed, must=[other]))
    d, w2, _ = random_instance(3, n=20, m=7)
    rp = p_median(d, w2, 2, fixed=[6], excluded=[0])
    assert 6 in rp.selected and 0 not in rp.selected
    best = min(
        float(w2 @ d[:, list(S)].min(axis=1))
        for S in itertools.combinations(range(7), 2)
        if 6 in S and 0 not in S
    )
    assert rp.objective == pytest.approx(best)


def test_floors_met():
    _, w, cover = random_instance(5, n=30, m=8)
    rng = np.random.default_rng(5)
    groups = (rng.random((30, 1)) < 0.3) * w[:, None]
    cov = sp.csr_matrix(cover)
    gtot = groups[:, 0].sum()
    # the best floor any 2 sites can reach for the group, then ask for it
    reach = max(
        groups[cover[:, list(S)].any(axis=1), 0].sum() for S in itertools.combinations(range(8), 2)
    )
    floor = reach / gtot
    r = mclp(cov, w, 2, groups=groups, floors=[floor])
    got = groups[cover[:, r.selected].any(axis=1), 0].sum()
    assert got >= reach - 1e-9
    expect = brute_mclp(
        cover, w, 2, ok=lambda S: groups[cover[:, list(S)].any(axis=1), 0].sum() >= reach - 1e-9
    )
    assert r.objective == pytest.approx(expect)


def test_min_per_region_met():
    _, w, cover = random_instance(2, n=30, m=8)
    labels = ["A", "A", "A", "A", "A", "A", "B", "C"]
    r = mclp(sp.csr_matrix(cover), w, 3, regions=Regions(labels))
    assert {labels[j] for j in r.selected} == {"A", "B", "C"}
    assert r.objective == pytest.approx(brute_mclp(cover, w, 3, must=[6, 7]))
    rl = lscp(sp.csr_matrix(cover), regions=Regions(labels))
    assert {"B", "C"} <= {labels[j] for j in rl.selected}


def _transport_cost(d, w, cap, S):
    """Splittable capacitated assignment cost of sites S by scipy's linprog (HiGHS LP)."""
    n, k = len(w), len(S)
    c = (w[:, None] * d[:, S]).ravel()
    A_eq = np.kron(np.eye(n), np.ones(k))
    A_ub = np.zeros((k, n * k))
    for i in range(n):
        A_ub[:, i * k : (i + 1) * k] += np.diag(np.full(k, w[i]))
    res = linprog(c, A_ub=A_ub, b_ub=cap[S], A_eq=A_eq, b_eq=np.ones(n), bounds=(0, 1))
    return res.fun if res.status == 0 else np.inf


@pytest.mark.parametrize("solver", SOLVERS)
def test_capacitated_pmedian_equals_brute_force(solver):
    d, w, _ = random_instance(11, n=15, m=6)
    cap = np.full(6, w.sum() * 0.4)
    r = p_median(d, w, 3, capacity=cap, solver=solver)
    best = min(_transport_cost(d, w, cap, list(S)) for S in itertools.combinations(range(6), 3))
    assert r.status == "optimal"
    assert r.objective == pytest.approx(best, rel=1e-6)
    load = w @ r.shares.toarray()
    assert np.all(load <= cap + 1e-6)
    assert set(np.flatnonzero(load > 1e-9)) <= set(r.selected.tolist())
    assert r.served.sum() == pytest.approx(len(w))
    # the assignment cost of the shares is the objective
    assert float((r.shares.multiply(w[:, None] * d)).sum()) == pytest.approx(r.objective)


def test_capacitated_mclp_respects_capacity():
    _, w, cover = random_instance(12, n=30, m=8, radius=0.45)
    cap = np.full(8, 25.0)
    r = mclp(sp.csr_matrix(cover), w, 2, capacity=cap)
    # best: two sites can each serve at most 25 and at most what they cover
    best = 0.0
    for S in itertools.combinations(range(8), 2):
        # max flow via LP: z_ij over covered pairs
        pairs = [(i, j) for j in S for i in range(30) if cover[i, j]]
        c = -np.array([w[i] for i, _ in pairs])
        A = np.zeros((30 + 2, len(pairs)))
        for e, (i, j) in enumerate(pairs):
            A[i, e] = 1
            A[30 + S.index(j), e] = w[i]
        res = linprog(c, A_ub=A, b_ub=np.r_[np.ones(30), cap[list(S)]], bounds=(0, 1))
        best = max(best, -res.fun)
    assert r.objective == pytest.approx(best, rel=1e-6)
    assert r.objective <= 50.0 + 1e-9
    assert float((r.served * w).sum()) == pytest.approx(r.objective, rel=1e-6)
    load = w @ r.shares.toarray()
    assert np.all(load <= cap + 1e-6)
    assert np.all(r.shares.toarray()[~cover] == 0)  # only within coverage


# ----------------------------------------------------------------------------- bad input


def test_p_larger_than_candidates():
    with pytest.raises(SitingError, match=r"p = 5 is larger than the 3 candidates.*Fix"):
        mclp(sp.eye(3, format="csr", dtype=bool), [1, 1, 1], 5)
    with pytest.raises(SitingError, match=r"p = 3 is larger than the 2 candidates.*1 excluded"):
        p_median(np.ones((3, 3)), [1, 1, 1], 3, excluded=[0])


def test_target_out_of_reach_names_uncovered_rows():
    cover = sp.csr_matrix(np.array([[1, 0], [0, 0], [0, 1], [0, 0]], dtype=bool))
    with pytest.raises(SitingError, match=r"covers 2 demand rows.*rows 1, 3.*at most 50"):
        lscp(cover, target=0.9, target_of="total")
    assert isinstance(SitingError("x"), ValueError)


def test_floor_out_of_reach():
    cover = sp.csr_matrix(np.array([[1, 0], [0, 0]], dtype=bool))
    with pytest.raises(SitingError, match=r"group 0 .* 1 of its demand rows \(1\)"):
        mclp(cover, [1, 1], 1, groups=[[1.0], [1.0]], floors=[0.8])


def test_capacity_below_demand():
    with pytest.raises(SitingError, match=r"total capacity below demand.*at most 4"):
        p_median(np.ones((3, 3)), [2.0, 2.0, 2.0], 2, capacity=[2, 2, 1])


def test_region_without_candidate():
    cover = sp.csr_matrix(np.ones((3, 2), dtype=bool))
    regions = Regions(["A", "A"], demand=["A", "B", "B"])
    with pytest.raises(SitingError, match=r"1 regions must get 1 site.*: B"):
        mclp(cover, [1, 1, 1], 1, regions=regions)


def test_unreachable_demand_in_pmedian():
    cost = sp.csr_matrix((np.array([5.0, 7.0]), ([0, 2], [0, 1])), shape=(4, 2))
    with pytest.raises(SitingError, match=r"2 demand rows .* no allowed candidate.*rows 1, 3"):
        p_median(cost, [1, 1, 1, 1], 1)
    r = p_median(cost, [1, 1, 1, 1], 2, unassigned_cost_s=100.0)
    assert r.objective == pytest.approx(5 + 7 + 200)
    assert r.covered.tolist() == [True, False, True, False]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": [1, -1]}, r"weights holds 1 negative.*rows 1"),
        ({"weights": [1]}, r"weights has 1 values but the matrix has 2"),
        ({"fixed": [0], "excluded": [0]}, r"both fixed open and excluded"),
        ({"fixed": [7]}, r"fixed holds positions outside 0..1"),
        ({"time_limit_s": 0}, r"time_limit_s"),
        ({"solver": "gurobi"}, r"solver is 'gurobi'"),
    ],
)
def test_invalid_values(kwargs, match):
    cover = sp.csr_matrix(np.ones((2, 2), dtype=bool))
    args = {"weights": [1, 1], **kwargs}
    with pytest.raises(PlannerError, match=match):
        mclp(cover, args.pop("weights"), 1, **args)


def test_time_limit_is_never_optimal():
    rng = np.random.default_rng(0)
    pts, cand = rng.random((3000, 2)), rng.random((300, 2))
    d = np.linalg.norm(pts[:, None] - cand[None], axis=2)
    cover = coverage_matrix(sp.csr_matrix(np.where(d < 0.08, d + 1e-9, 0)), 0.08)
    w = rng.integers(1, 50, 3000).astype(float)
    for solver in SOLVERS:
        r = mclp(cover, w, 25, time_limit_s=0.05, solver=solver)
        assert r.status in ("time_limit", "optimal")
        if r.status == "time_limit":
            assert r.gap > 0 or np.isnan(r.gap)
        assert r.objective >= r.heuristic_objective - 1e-9


# ----------------------------------------------------------------------------- set-cover reductions

from planner.analysis.siting import _cover_heuristics as cover_heur  # noqa: E402
from planner.analysis.siting import _set_cover as setcover  # noqa: E402
from planner.analysis.siting._median_bound import lagrangian, sorted_rows  # noqa: E402
from planner.analysis.siting._mip import (  # noqa: E402
    MipModel,
    _quiet_stdout,
    dual_bound,
    lp_bound,
    solve_mip,
)
from planner.analysis.siting._rules import Rules  # noqa: E402


def _no_rules(m):
    return Rules(np.zeros(m, dtype=bool), np.full(m, -1, dtype=np.int64), np.zeros(0, np.int64))


def test_reductions_by_hand():
    # row 0 = {0}: column 0 is essential and opens (rows 0 and 1 are covered). Column 3
    # then covers {4} and column 1 {2}, both inside column 2's {2, 3, 4}: dropped. Row 3 =
    # {2} is then essential: column 2 opens and every row is covered.
    cover = np.array(
        [
            [1, 0, 0, 0],
            [1, 0, 0, 1],
            [0, 1, 1, 0],
            [0, 0, 1, 0],
            [0, 0, 1, 1],
        ],
        dtype=bool,
    )
    alive, state = setcover.reduce_set_cover(sp.csr_matrix(cover), _no_rules(4))
    assert state.tolist() == [1, -1, 1, -1]
    assert alive.tolist() == [False] * 5


@pytest.mark.parametrize("seed", range(12))
def test_reductions_keep_the_optimum(seed):
    _, _, cover = random_instance(seed, n=40, m=10, radius=0.3)
    cover = cover[cover.any(axis=1)]
    alive, state = setcover.reduce_set_cover(sp.csr_matrix(cover), _no_rules(10))
    core = cover[alive][:, state == 0]
    core_opt = brute_lscp(core) if core.shape[0] else 0
    assert int((state == 1).sum()) + core_opt == brute_lscp(cover)
    # a lower bound: core rows no two of which share a column
    assert int((state == 1).sum()) + setcover.disjoint_rows(sp.csr_matrix(core)) <= brute_lscp(
        cover
    )


@pytest.mark.parametrize("seed", range(8))
def test_local_search_cover_is_valid_and_optimal_on_small_instances(seed):
    _, _, cover = random_instance(seed, n=60, m=14, radius=0.25)
    cover = cover[cover.any(axis=1)]
    rules = _no_rules(14)
    csr = sp.csr_matrix(cover, dtype=float)
    g = cover_heur.lscp_greedy(
        sp.csc_matrix(csr), np.ones(len(cover)), len(cover), rules, full=True
    )
    best, done = setcover.lscp_local_search(csr, g, rules, iterations=3000, seed=1)
    assert done
    assert cover[:, best].any(axis=1).all()
    assert best.sum() <= g.sum()
    assert best.sum() == brute_lscp(cover)
    again, _ = setcover.lscp_local_search(csr, g, rules, iterations=3000, seed=1)
    assert again.tolist() == best.tolist()  # deterministic


@pytest.mark.parametrize("seed", range(6))
def test_lscp_heuristic_and_regions_equal_brute_force(seed):
    _, _, cover = random_instance(seed, n=50, m=10, radius=0.3)
    r = lscp(sp.csr_matrix(cover), solver="heuristic")
    assert r.status == "heuristic"
    assert r.objective == brute_lscp(cover)
    labels = ["A"] * 7 + ["B", "B", "C"]
    rr = lscp(sp.csr_matrix(cover), regions=Regions(labels), min_per_region=1)
    need = cover.any(axis=1)
    best = min(
        k
        for k in range(1, 11)
        for S in itertools.combinations(range(10), k)
        if cover[need][:, list(S)].any(axis=1).all() and {labels[j] for j in S} == {"A", "B", "C"}
    )
    assert rr.status == "optimal" and rr.objective == best
    assert {labels[j] for j in rr.selected} == {"A", "B", "C"}
    assert cover[need][:, rr.selected].any(axis=1).all()


def test_lscp_bound_and_status_are_honest():
    rng = np.random.default_rng(3)
    pts, cand = rng.random((4000, 2)), rng.random((600, 2))
    d = np.linalg.norm(pts[:, None] - cand[None], axis=2)
    cover = sp.csr_matrix(d < 0.07)
    r = lscp(cover, time_limit_s=0.5)
    assert r.bound <= r.objective
    if r.status == "optimal":
        assert r.gap == 0.0
    else:
        assert r.status == "time_limit" and r.gap > 0
    assert r.objective <= r.heuristic_objective
    assert cover[:, r.selected].toarray().any(axis=1)[np.diff(cover.indptr) > 0].all()


def test_lp_bound_is_the_lp_optimum():
    # min x0 + x1 s.t. x0 + x1 >= 1, x0 + 2 x1 >= 1.5 -> LP optimum 1 (x1 = 0.5..1 ...)
    A = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 2.0]]))
    lp = MipModel(
        np.array([1.0, 1.0]),
        A,
        np.array([1.0, 1.5]),
        np.array([np.inf, np.inf]),
        np.zeros(2),
        np.ones(2),
        np.zeros(2, dtype=bool),
    )
    out = solve_mip(lp, solver="highs", time_limit_s=5)
    assert out.status == "optimal"
    assert out.objective == pytest.approx(1.0) and out.bound == pytest.approx(1.0)


def _random_lp(seed: int) -> tuple[MipModel, float, np.ndarray]:
    """A covering LP with >=, <= and = rows; its optimum and duals by scipy's linprog."""
    rng = np.random.default_rng(seed)
    n, m = 30, 12
    A = (rng.random((n, m)) < 0.3).astype(float) * rng.integers(1, 4, (n, m))
    A[np.arange(n), rng.integers(0, m, n)] = 1.0  # every row coverable
    c = rng.integers(1, 6, m).astype(float)
    lo = np.ones(n)
    hi = np.full(n, np.inf)
    hi[:4] = 5.0  # a few rows bounded on both sides
    eq = np.ones((1, m))  # and an equality: exactly 6 units in all
    model = MipModel(
        c, sp.csr_matrix(np.vstack([A, eq])), np.concatenate([lo, [6.0]]),
        np.concatenate([hi, [6.0]]), np.zeros(m), np.ones(m), np.zeros(m, dtype=bool),
    )  # fmt: skip
    res = linprog(
        c, A_ub=np.vstack([-A, A[:4]]), b_ub=np.concatenate([-lo, hi[:4]]), A_eq=eq,
        b_eq=[6.0], bounds=[(0, 1)] * m, method="highs",
    )  # fmt: skip
    assert res.status == 0
    mu = res.ineqlin.marginals  # <= 0: d objective / d b_ub
    y = -mu[:n]
    y[:4] += mu[n:]
    return model, float(res.fun), np.concatenate([y, res.eqlin.marginals])


@pytest.mark.parametrize("seed", range(6))
def test_the_dual_bound_is_below_the_lp_optimum_and_meets_it_at_its_duals(seed):
    model, opt, y_opt = _random_lp(seed)
    assert dual_bound(model, y_opt) == pytest.approx(opt, abs=1e-7)
    rng = np.random.default_rng(100 + seed)
    for _ in range(50):  # weak duality: any multipliers give at most the optimum
        y = y_opt + rng.normal(0, 0.5, y_opt.size)
        assert dual_bound(model, y) <= opt + 1e-9
    # the interior point: the optimum when it converges, a valid bound when cut short
    full = lp_bound(model, iterations=200, time_limit_s=10)
    assert not full.clock and full.value == pytest.approx(opt, abs=1e-6)
    assert full.x is not None and full.x @ model.c == pytest.approx(opt, abs=1e-5)
    for it in (1, 2, 3):
        assert lp_bound(model, iterations=it, time_limit_s=10).value <= opt + 1e-9


def test_a_county_sized_target_cover_is_proven_by_its_lp_without_a_mip(monkeypatch):
    # 80 % of a county's weighted cells within 6 km: an LP-bound proof, no MIP (the
    # MIP's root took 4-20 s on such county models); the optimum by scipy's milp
    rng = np.random.default_rng(7)
    cells = rng.random((1000, 2)) * 60_000
    w = rng.gamma(0.6, 40.0, 1000)
    gx, gy = np.meshgrid(np.arange(2500, 60_000, 3000), np.arange(2500, 60_000, 3000))
    cand = np.column_stack([gx.ravel(), gy.ravel()])
    cover = (np.linalg.norm(cells[:, None] - cand[None], axis=2) <= 6000).astype(float)
    calls = []
    import planner.analysis.siting._result as result_mod

    real = result_mod.solve_mip
    monkeypatch.setattr(result_mod, "solve_mip", lambda *a, **k: calls.append(1) or real(*a, **k))
    r = lscp(sp.csr_matrix(cover), weights=w, target=0.8, target_of="total", time_limit_s=10)
    k = cand.shape[0]
    n = cells.shape[0]
    from scipy.optimize import Bounds, LinearConstraint, milp

    link = LinearConstraint(np.hstack([-cover, np.eye(n)]), -np.inf, 0)
    share = LinearConstraint(np.concatenate([np.zeros(k), w])[None], 0.8 * w.sum(), np.inf)
    ref = milp(
        np.concatenate([np.ones(k), np.zeros(n)]), constraints=[link, share],
        integrality=np.concatenate([np.ones(k), np.zeros(n)]), bounds=Bounds(0, 1),
    )  # fmt: skip
    assert ref.status == 0
    assert r.status == "optimal" and r.objective == round(ref.fun) and r.gap == 0
    assert w[cover[:, r.selected].any(axis=1)].sum() >= 0.8 * w.sum() * (1 - 1e-9)
    assert calls == []


@pytest.mark.parametrize("seed", range(5))
def test_median_lagrangian_bound_is_below_the_optimum(seed):
    d, w, _ = random_instance(seed, n=25, m=7)
    near = d < 0.5
    cost = sp.csr_matrix((d[near] + 1e-9, np.nonzero(near)), shape=d.shape)
    dense = np.where(near, d + 1e-9, 0.8)  # absent pairs pay the unassigned cost
    pen = np.full(25, 0.8)
    for p in (2, 3):
        opt = min(
            float(w @ dense[:, list(S)].min(axis=1)) for S in itertools.combinations(range(7), p)
        )
        lb = lagrangian(
            sorted_rows(cost),
            w,
            p,
            fixed=np.zeros(7, dtype=bool),
            region=np.full(7, -1, dtype=np.int64),
            need=np.zeros(0, dtype=np.int64),
            penalty=pen,
            upper=opt * 1.05,
            start=w * 0.8,
            work=10**7,
        ).bound
        assert lb <= opt * (1 + 1e-9)
        assert lb >= 0.7 * opt  # near the LP bound on these small instances
        r = p_median(cost, w, p, unassigned_cost_s=0.8)
        assert r.objective == pytest.approx(opt, rel=1e-6)
        assert r.bound <= r.objective * (1 + 1e-9)


def _probe_case(seed: int, has_pen: bool):
    """Costs (rows x candidates), weights, penalties and every 3-site solution's cost."""
    rng = np.random.default_rng(seed)
    n, m = 24, 9
    d = np.round(rng.random((n, m)) * 40).astype(float)
    w = rng.integers(1, 6, n).astype(float)
    near = d < 25 if has_pen else np.ones_like(d, dtype=bool)
    cost = sp.csr_matrix((d[near] + 1.0, np.nonzero(near)), shape=d.shape)
    pen = np.full(n, 26.0)
    full = np.where(near, d + 1.0, 26.0)
    costs = {
        S: float(w @ full[:, list(S)].min(axis=1)) for S in itertools.combinations(range(m), 3)
    }
    return cost, w, pen, costs


@pytest.mark.parametrize("has_pen", [False, True])
def test_probing_closes_and_opens_only_what_brute_force_allows(has_pen):
    """Probing (each candidate forced open, or closed, and the Lagrangian bound re-raised)
    closes a candidate only when no 3-site solution costing at most the target opens it,
    opens one only when every such solution does, and reports no solution only when there
    is none: checked against all 84 solutions of 30 random instances, at targets from one
    under the optimum to the fifth-best cost."""
    from planner.analysis.siting._median_bound import fix_by_reduced_cost, probe

    m = 9
    none = np.zeros(0, dtype=np.int64)
    region = np.full(m, -1, dtype=np.int64)
    closed_by_probe = proven_empty = 0
    for seed in range(30):
        cost, w, pen, costs = _probe_case(seed, has_pen)
        ranked = sorted(set(costs.values()))
        opt = ranked[0]
        rows = sorted_rows(cost)
        lag = lagrangian(
            rows, w, 3, fixed=np.zeros(m, dtype=bool), region=region, need=none,
            penalty=pen if has_pen else None, upper=ranked[4], start=w * 26.0, work=10**7,
        )  # fmt: skip
        for target in (opt - 1.0, opt, ranked[2], ranked[4]):
            closed, opened = fix_by_reduced_cost(lag, 3, np.zeros(m, dtype=bool), target)
            state = np.where(closed, -1, np.where(opened, 1, 0)).astype(np.int8)
            pr = probe(
                rows, w, 3, state=state, region=region, need=none,
                penalty=pen if has_pen else None, lam=lag.lam, rho=lag.rho,
                target=target, upper=target + 1.0, work=10**8,
            )  # fmt: skip
            within = [set(S) for S, c in costs.items() if c <= target]
            if pr.empty:  # "no solution" only when there is none
                assert not within, (seed, target)
                proven_empty += 1
                continue
            for j in np.flatnonzero(pr.state == -1):
                assert not any(j in S for S in within), (seed, target, j)
            for j in np.flatnonzero(pr.state == 1):
                assert all(j in S for S in within), (seed, target, j)
            closed_by_probe += int(((pr.state == -1) & (state != -1)).sum())
    # the probes do more than the reduced-cost fixing they start from
    assert closed_by_probe > 0 and proven_empty > 0


@pytest.mark.parametrize("has_pen", [False, True])
def test_probing_tree_finds_and_proves_the_brute_force_optimum(has_pen):
    """The probing tree, started from the worst 3-site solution or from the optimum, ends
    with the brute-force optimum, a bound within one unit under it, and the chosen sites
    costing what it reports (30 random instances, 84 solutions each)."""
    from planner.analysis.siting._median_tree import probe_tree

    m = 9
    for seed in range(30):
        cost, w, pen, costs = _probe_case(seed, has_pen)
        opt = min(costs.values())
        rows = sorted_rows(cost)
        full = np.where(cost.toarray() > 0, cost.toarray(), 26.0)
        for S in (max(costs, key=costs.get), min(costs, key=costs.get)):
            start = np.zeros(m, dtype=bool)
            start[list(S)] = True
            t = probe_tree(
                rows, w, 3, state=np.zeros(m, dtype=np.int8),
                penalty=pen if has_pen else None, incumbent=start, upper=costs[S],
                lam=w * 26.0, delta=1.0 - 1e-3, work=10**9,
            )  # fmt: skip
            assert t.finished and not t.cut, seed
            assert t.objective == opt, (seed, S)
            assert t.open_mask.sum() == 3
            assert float(w @ full[:, t.open_mask].min(axis=1)) == opt
            assert opt - 1.0 < t.bound <= opt + 1e-9


def test_work_a_phase_leaves_goes_to_the_last_phase():
    """Shares of the limit are counted in work: a phase that stops at a quarter of its
    work limit leaves three quarters of its share (by hand: 1 - 0.4 - 0.2 / 4 = 0.55)."""
    from planner.analysis.siting._budget import Budget
    from planner.analysis.siting._median_exact import _Shares

    shares = _Shares(Budget(10.0), scale=0.5)
    limit = shares.work(0.4, 3.0e8)
    assert limit == Budget(10.0).work(0.2, 3.0e8)  # the scale applies to the work
    shares.spent(limit * 2)  # more than its limit counts as its whole share
    limit = shares.work(0.2, 1.5e8)
    shares.spent(limit // 4)
    assert shares.rest() == pytest.approx(1 - 0.4 - 0.2 / 4, abs=1e-6)


def _rule_cover(cover, S, rules) -> bool:
    """Do columns ``S`` cover every row, hold the fixed ones and meet the region minimums?"""
    on = np.zeros(cover.shape[1], dtype=bool)
    on[list(S)] = True
    counts = np.bincount(rules.region[on & (rules.region >= 0)], minlength=rules.need.size)
    return bool(
        cover[:, on].any(axis=1).all() and on[rules.fixed].all() and (counts >= rules.need).all()
    )


@pytest.mark.parametrize("variant", ["plain", "fixed", "regions"])
def test_row_weighting_search_reaches_the_brute_force_smallest_cover(variant):
    """From every column open, the row-weighting search (RWLS) ends with a cover of every
    row as small as the smallest one brute force finds among all 4,096 column sets, the
    fixed columns open and each region at its minimum (25 random instances per variant)."""
    from planner.analysis.siting._cover_rwls import rwls_cover
    from planner.analysis.siting._rules import Rules

    m = 12
    for seed in range(25):
        _, _, cover = random_instance(seed, n=40, m=m, radius=0.35)
        cover = cover[cover.any(axis=1)]
        fixed = np.zeros(m, dtype=bool)
        region = np.full(m, -1, dtype=np.int64)
        need = np.zeros(0, dtype=np.int64)
        if variant == "fixed":
            fixed[[0, 5]] = True
        if variant == "regions":
            region[:4], region[4:7], need = 0, 1, np.array([2, 1], dtype=np.int64)
        rules = Rules(fixed, region, need)
        least = next(
            k
            for k in range(m + 1)
            if any(_rule_cover(cover, S, rules) for S in itertools.combinations(range(m), k))
        )
        got, done = rwls_cover(
            sp.csr_matrix(cover), np.ones(m, dtype=bool), rules, work=10**6, seed=seed
        )
        assert done and _rule_cover(cover, np.flatnonzero(got), rules), seed
        assert int(got.sum()) == least, (seed, int(got.sum()), least)


# ----------------------------------------------------------------------------- layout


def test_siting_modules_stay_small():
    """One subject per module: every module of the siting package stays under 900 lines."""
    from pathlib import Path

    import planner.analysis.siting as pkg

    sizes = {
        p.name: len(p.read_text().splitlines()) for p in Path(pkg.__file__).parent.glob("*.py")
    }
    assert len(sizes) >= 5
    assert {k: v for k, v in sizes.items() if v >= 900} == {}


def test_quiet_stdout_silences_descriptor_1_in_a_kernel(capfd, monkeypatch) -> None:
    # In a Jupyter kernel sys.stdout.fileno() is a copy of the original stdout, and
    # descriptor 1 is the pipe into the cell's output: the solver banner written from C++
    # to descriptor 1 must not get through.
    class KernelStream(io.StringIO):
        def __init__(self, fd: int) -> None:
            super().__init__()
            self.fd = fd

        def fileno(self) -> int:
            return self.fd

    copy = os.dup(1)
    try:
        monkeypatch.setattr(sys, "stdout", KernelStream(copy))
        with _quiet_stdout():
            os.write(1, b"Running HiGHS 1.x: banner\n")
        os.write(1, b"after the block\n")
    finally:
        os.close(copy)
    out = capfd.readouterr().out
    assert "banner" not in out
    assert "after the block" in out


def test_a_cutoff_with_region_minimums_is_proven_out_of_reach_by_the_mip(monkeypatch):
    # The exact p-median with region minimums skips the tree search and settles a cutoff
    # with the radius MIP (the LSCP-with-target proof of one site fewer runs it in every
    # county with the one-market-per-county rule); brute force says when it is reachable.
    from planner.analysis.siting import _median_exact as me
    from planner.analysis.siting._budget import Budget

    real = me.solve_mip
    calls: list[int] = []
    monkeypatch.setattr(me, "solve_mip", lambda *a, **k: calls.append(1) or real(*a, **k))
    for seed in range(10):
        d, w, _ = random_instance(seed, n=150, m=14, radius=0.25)
        near = d < 0.25
        cost = sp.csr_matrix((d[near] + 1e-9, np.nonzero(near)), shape=d.shape)
        pen = np.full(150, 0.375)
        region = np.full(14, -1, dtype=np.int64)
        region[:3], region[3:6] = 0, 1
        rules = Rules(np.zeros(14, dtype=bool), region, np.array([1, 1], dtype=np.int64))
        dense = np.where(near, d + 1e-9, 0.375)
        opt = min(
            float(w @ dense[:, list(S)].min(axis=1))
            for S in itertools.combinations(range(14), 4)
            if {0, 1, 2} & set(S) and {3, 4, 5} & set(S)
        )
        for cutoff in (opt * (1 - 1e-4), opt * (1 + 1e-9)):
            run = me.solve_median(
                cost, w, pen, True, 4, rules, solver="highs", budget=Budget(30.0),
                cutoff=cutoff,
            )  # fmt: skip
            if cutoff < opt:
                assert run.impossible, seed
            else:
                assert not run.impossible and run.objective <= cutoff, seed
    assert calls, "no instance reached the MIP: the test does not cover it"


def test_lscp_without_its_mip_reports_the_lp_bound_rounded_up():
    # at a 2 s limit the core MIP is not started (its share is under MIN_MIP_SECONDS):
    # the bound is then the LP relaxation's, rounded up, here computed by scipy's simplex on
    # the whole cover (the reductions keep the LP's value: forced columns are forced in the
    # LP too, dominated columns and rows change nothing). Seed 2: LP 193.06, so 194, where
    # the Lagrangian alone proved 193
    from scipy.optimize import linprog

    for seed in (0, 2):
        rng = np.random.default_rng(seed)
        pts, cand = rng.random((6000, 2)), rng.random((800, 2))
        d = np.linalg.norm(pts[:, None] - cand[None], axis=2)
        cover = sp.csr_matrix(d < 0.05)
        rows = np.diff(cover.indptr) > 0
        lp = linprog(
            np.ones(800),
            A_ub=-cover[rows].astype(float),
            b_ub=-np.ones(int(rows.sum())),
            bounds=(0, 1),
            method="highs-ds",
        )
        assert lp.status == 0
        r = lscp(cover, time_limit_s=2)
        assert any("too large" in n for n in r.notes)
        assert r.bound == math.ceil(lp.fun - 1e-6) < r.objective
        assert r.status == "time_limit" and r.gap == pytest.approx(1 - r.bound / r.objective)

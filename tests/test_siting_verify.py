"""No false "optimal": every siting result agrees with its own sites (planner.analysis.siting._verify).

The reference answers are computed another way: brute force over every set of candidates
on small random instances, or by hand.
"""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
import time
from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import shortest_path

from planner.analysis.siting import SitingResult, lscp, mclp, p_median
from planner.analysis.siting import _budget as siting_budget
from planner.analysis.siting import _cover_heuristics as cover_heur
from planner.analysis.siting import _median_heuristics as median_heur
from planner.analysis.siting._budget import MOVE_RATE, SAFETY, Budget, mip_plan
from planner.analysis.siting._median_exact import SHARE_DESCENT
from planner.analysis.siting._median_search import MedianSearch
from planner.analysis.siting._mip import MipModel, solution_problem, solve_mip
from planner.analysis.siting._rules import Rules
from planner.analysis.siting._verify import Spec, settle
from planner.errors import SitingError, SitingWarning

SOLVERS = ["highs", "cbc"]


def small_instance(seed: int, n: int = 30, m: int = 10, radius: float = 0.2):
    """The report's instances: n demand points and m candidates in the unit square.

    Returns the distance matrix, integer weights 1..9 and the coverage within ``radius``.
    """
    rng = np.random.default_rng(seed)
    dem = rng.random((n, 2))
    cand = rng.random((m, 2))
    d = np.linalg.norm(dem[:, None, :] - cand[None, :, :], axis=2)
    w = rng.integers(1, 10, n).astype(float)
    return d, w, d <= radius


def covered_weight(cover, w, S):
    return float(w[cover[:, list(S)].any(axis=1)].sum())


def brute_lscp(cover, w, target):
    """Fewest sites covering ``target`` of the coverable weight (enumeration)."""
    m = cover.shape[1]
    want = target * w[cover.any(axis=1)].sum()
    for k in range(1, m + 1):
        for S in itertools.combinations(range(m), k):
            if covered_weight(cover, w, S) >= want - 1e-9:
                return k
    raise AssertionError("unreachable target")


def brute_mclp(cover, w, p):
    return max(
        covered_weight(cover, w, S) for S in itertools.combinations(range(cover.shape[1]), p)
    )


def brute_pmedian(d, w, p):
    """``d`` dense with ``inf`` for pairs not allowed."""
    m = d.shape[1]
    return min(float(w @ d[:, list(S)].min(axis=1)) for S in itertools.combinations(range(m), p))


def pmedian_cost_of(d, w, S):
    return float(w @ d[:, list(S)].min(axis=1))


def assert_honest(r: SitingResult) -> None:
    """The invariants every result keeps whatever its path (and nothing needed correcting)."""
    assert r.notes == []
    if r.status == "optimal":
        assert r.gap <= 1e-6
        assert abs(r.objective - r.bound) <= 1e-6 * max(1.0, abs(r.objective))
    if np.isfinite(r.bound) and np.isfinite(r.gap):
        expect = abs(r.objective - r.bound) / abs(r.objective) if r.objective else 0.0
        assert r.gap == pytest.approx(expect, abs=1e-9)


# ----------------------------------------------------------------------------- the report


# (seed, target) of the generator above on which HiGHS returned "optimal" with a gap before
# the fix: 6 sites against a bound of 5 (gap 0.167) at seed 28, the report's signature.
REPORTED = [(28, 0.9), (39, 0.7)]


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("seed", "target"), REPORTED)
def test_reported_partial_lscp_is_optimal_and_honest(seed, target, solver):
    _, w, cover = small_instance(seed)
    r = lscp(sp.csr_matrix(cover), target=target, weights=w, solver=solver)
    best = brute_lscp(cover, w, target)
    assert r.objective == best == len(r.selected)
    assert r.status == "optimal" and r.gap == 0.0 and r.bound == best
    assert covered_weight(cover, w, r.selected) >= target * w[cover.any(axis=1)].sum() - 1e-9


def test_lscp_partial_targets_equal_brute_force_on_40_seeds():
    """The report's sweep: 40 seeds × targets 0.5/0.7/0.9 × HiGHS and CBC."""
    wrong = []
    for seed in range(40):
        _, w, cover = small_instance(seed)
        coverable = w[cover.any(axis=1)].sum()
        for target in (0.5, 0.7, 0.9):
            best = brute_lscp(cover, w, target)
            for solver in SOLVERS:
                r = lscp(sp.csr_matrix(cover), target=target, weights=w, solver=solver)
                assert_honest(r)
                ok = (
                    r.objective == best == len(r.selected)
                    and r.status == "optimal"
                    and covered_weight(cover, w, r.selected) >= target * coverable - 1e-9
                )
                if not ok:
                    wrong.append((seed, target, solver, best, r.objective, r.status, r.gap))
    assert wrong == []


def test_highs_mip_start_inconsistency_is_caught():
    """HiGHS with the heuristic's start once said optimal at 1 site for a 2-site vector."""
    _, w, cover = small_instance(5, n=30, m=12, radius=0.25)
    for target in (0.5, 0.7):
        r = lscp(sp.csr_matrix(cover), target=target, weights=w, solver="highs")
        assert r.objective == brute_lscp(cover, w, target) == len(r.selected)
        assert r.status == "optimal" and r.gap == 0.0


# ----------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 100_000),
    target=st.sampled_from([0.3, 0.5, 0.7, 0.9, 1.0]),
    solver=st.sampled_from(SOLVERS),
    unit=st.booleans(),
)
def test_lscp_exact_equals_brute_force(seed, target, solver, unit):
    _, w, cover = small_instance(seed, n=25, m=9, radius=0.25)
    weights = None if unit else w
    ref_w = np.ones(25) if unit else w
    r = lscp(sp.csr_matrix(cover), target=target, weights=weights, solver=solver)
    assert_honest(r)
    assert r.status == "optimal"
    assert r.objective == brute_lscp(cover, ref_w, target) == len(r.selected)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 100_000),
    target=st.sampled_from([0.3, 0.5, 0.7, 0.9, 1.0]),
    unit=st.booleans(),
)
def test_lscp_heuristic_reports_what_its_sites_give(seed, target, unit):
    _, w, cover = small_instance(seed, n=25, m=9, radius=0.25)
    ref_w = np.ones(25) if unit else w
    r = lscp(sp.csr_matrix(cover), target=target, weights=None if unit else w, solver="heuristic")
    assert_honest(r)
    assert r.status == "heuristic"
    assert r.objective == len(r.selected) >= brute_lscp(cover, ref_w, target)
    assert (
        covered_weight(cover, ref_w, r.selected) >= target * ref_w[cover.any(axis=1)].sum() - 1e-9
    )


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 100_000),
    p=st.integers(1, 4),
    solver=st.sampled_from([*SOLVERS, "heuristic"]),
    unit=st.booleans(),
)
def test_mclp_equals_brute_force_and_its_sites(seed, p, solver, unit):
    _, w, cover = small_instance(seed, n=25, m=8, radius=0.25)
    ref_w = np.ones(25) if unit else w
    r = mclp(sp.csr_matrix(cover), None if unit else w, p, solver=solver)
    assert_honest(r)
    assert len(r.selected) == p
    assert r.objective == pytest.approx(covered_weight(cover, ref_w, r.selected))
    best = brute_mclp(cover, ref_w, p)
    if solver == "heuristic":
        assert r.status == "heuristic" and r.objective <= best + 1e-9
    else:
        assert r.status == "optimal" and r.objective == pytest.approx(best)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 100_000),
    p=st.integers(1, 4),
    solver=st.sampled_from([*SOLVERS, "heuristic"]),
    sparse=st.booleans(),
)
def test_pmedian_equals_brute_force_and_its_sites(seed, p, solver, sparse):
    """Dense costs (all pairs), or sparse within 0.5 with unassigned demand at 0.6."""
    d, w, _ = small_instance(seed, n=20, m=7)
    if sparse:
        near = d <= 0.5
        cost = sp.csr_matrix((d[near], np.nonzero(near)), shape=d.shape)
        ref = np.where(near, d, 0.6)  # absent pairs pay the unassigned cost (0.6 > 0.5)
        r = p_median(cost, w, p, unassigned_cost_s=0.6, solver=solver)
    else:
        ref = d
        r = p_median(d, w, p, solver=solver)
    assert_honest(r)
    assert len(r.selected) == p
    assert r.objective == pytest.approx(pmedian_cost_of(ref, w, r.selected), rel=1e-9)
    best = brute_pmedian(ref, w, p)
    if solver == "heuristic":
        assert r.status == "heuristic" and r.objective >= best * (1 - 1e-9)
    else:
        assert r.status == "optimal" and r.objective == pytest.approx(best, rel=1e-6)


# ----------------------------------------------------------------------------- greedy ranking


def test_partial_target_greedy_ranks_by_weight_not_row_count():
    """Worked by hand: weight ranking needs 1 site, row-count ranking 2.

    Site 0 covers rows 1-3 (weight 2 each: 6), site 1 covers row 0 (weight 10), site 2
    covers rows 4-5 (weight 2 each: 4). Total 20, target 45 % = 9. By weight, site 1 (10)
    alone reaches 9. By row count, site 0 (3 rows, 6) goes first, then site 2 (2 rows, 10
    in all), and neither can then be dropped (6 < 9, 4 < 9): 2 sites.
    """
    cover = np.zeros((6, 3), dtype=bool)
    cover[[1, 2, 3], 0] = True
    cover[0, 1] = True
    cover[[4, 5], 2] = True
    w = np.array([10.0, 2, 2, 2, 2, 2])
    csc = sp.csc_matrix(cover.astype(float))
    rules = Rules(np.zeros(3, dtype=bool), np.full(3, -1, dtype=np.int64), np.zeros(0, np.int64))
    got = cover_heur.lscp_greedy(csc, w, 9.0, rules, full=False)
    assert np.flatnonzero(got).tolist() == [1]
    r = lscp(sp.csr_matrix(cover), target=0.45, weights=w, solver="heuristic")
    assert r.selected.tolist() == [1] and r.objective == 1 == brute_lscp(cover, w, 0.45)


# ----------------------------------------------------------------------------- settle


def _spec_cover(cover, w, *, p=None, target_w=None, model="lscp"):
    m = cover.shape[1]
    return Spec(
        model,
        1 if model == "lscp" else -1,
        np.ones(m, dtype=bool),
        np.zeros(0, dtype=np.int64),
        np.full(m, -1, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        p,
        w,
        coverage=sp.csr_matrix(cover),
        target_w=target_w,
        coverable=cover.any(axis=1),
    )


def _result(model, selected, objective, bound, status, n):
    sel = np.asarray(selected, dtype=np.int64)
    return SitingResult(
        model, sel, objective, bound, 0.0, status, "highs", 0.0, objective,
        np.zeros(n, dtype=bool), np.zeros(n), np.full(n, -1, dtype=np.int64),
    )  # fmt: skip


def test_settle_reports_what_the_sites_give(caplog):
    # 3 rows, each covered by its own site: covering all needs 3 sites
    cover = np.eye(3, dtype=bool)
    w = np.ones(3)
    claimed = _result("lscp", [0, 1, 2], 2.0, 2.0, "optimal", 3)  # solver said 2
    with caplog.at_level(logging.WARNING):
        r = settle(_spec_cover(cover, w), claimed)
    assert r.objective == 3.0  # what the sites give
    assert r.status == "feasible"  # a gap to the bound: not proven
    assert r.gap == pytest.approx(1 / 3)
    assert len(r.notes) == 2 and "give 3" in r.notes[0] and "said optimal" in r.notes[1]
    assert "give 3" in caplog.text


def test_settle_drops_a_bound_on_the_wrong_side():
    cover = np.eye(3, dtype=bool)
    r = settle(_spec_cover(cover, np.ones(3)), _result("lscp", [0, 1, 2], 3.0, 4.0, "optimal", 3))
    assert np.isnan(r.bound) and np.isnan(r.gap) and r.status == "feasible"
    assert "wrong side" in r.notes[0]


def test_settle_replaces_sites_that_break_the_model():
    cover = np.eye(3, dtype=bool)
    spec = _spec_cover(cover, np.ones(3), p=2, model="mclp")
    broken = _result("mclp", [0, 1, 2], 3.0, 3.0, "optimal", 3)  # 3 sites, p = 2
    good = _result("mclp", [0, 2], 2.0, float("nan"), "heuristic", 3)
    r = settle(spec, broken, fallback=lambda: good)
    assert r.selected.tolist() == [0, 2] and r.objective == 2.0
    assert r.status == "feasible" and "3 sites are open but p = 2" in r.notes[0]
    r = settle(spec, broken)  # nothing to fall back on: said so
    assert r.status == "infeasible" and "p = 2" in r.notes[0]


def test_settle_keeps_a_true_optimum_untouched():
    cover = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    spec = _spec_cover(cover, np.array([1.0, 2.0, 3.0]), target_w=None)
    r = settle(spec, _result("lscp", [0, 1], 2.0, 2.0, "optimal", 3))
    assert (r.objective, r.status, r.gap, r.notes) == (2.0, "optimal", 0.0, [])


def test_solution_problem_names_the_failed_check():
    # min x0 + x1, x0 + x1 >= 1, binary
    model = MipModel(
        np.ones(2),
        sp.csr_matrix(np.ones((1, 2))),
        np.array([1.0]),
        np.array([np.inf]),
        np.zeros(2),
        np.ones(2),
        np.ones(2, dtype=bool),
    )
    assert solution_problem(model, np.array([1.0, 0.0]), 1.0) is None
    assert "gives 2" in solution_problem(model, np.array([1.0, 1.0]), 1.0)
    assert "rows are violated" in solution_problem(model, np.array([0.0, 0.0]), 0.0)
    assert "fractional" in solution_problem(model, np.array([0.5, 0.5]), 1.0)
    out = solve_mip(model, solver="highs", time_limit_s=5, start=np.array([1.0, 1.0]))
    assert out.objective == 1.0 and solution_problem(model, out.x, out.objective) is None


# ----------------------------------------------------------------------------- zeros in costs


def test_dense_cost_zeros_are_allowed_and_sparse_conversion_warns():
    rng = np.random.default_rng(4)
    pts = rng.random((12, 2))
    d = np.linalg.norm(pts[:, None] - pts[None], axis=2)  # zero diagonal: a site's own cell
    w = rng.integers(1, 10, 12).astype(float)
    r = p_median(d, w, 3)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(brute_pmedian(d, w, 3))
    assert r.objective == pytest.approx(pmedian_cost_of(d, w, r.selected))
    # csr_matrix(d) drops the diagonal: absent now means "not allowed", and it warns
    with pytest.warns(SitingWarning, match=r"92% of its cells stored.*csr_matrix\(dense\)"):
        rs = p_median(sp.csr_matrix(d), w, 3)
    no_diag = np.where(np.eye(12, dtype=bool), np.inf, d)
    assert rs.objective == pytest.approx(brute_pmedian(no_diag, w, 3))
    assert rs.objective > r.objective  # the trap: a worse "optimum"
    # stored zeros are kept: the same matrix built from its pairs gives the dense answer
    rows, cols = np.nonzero(np.ones_like(d, dtype=bool))
    exact = sp.csr_matrix((d[rows, cols], (rows, cols)), shape=d.shape)
    assert p_median(exact, w, 3).objective == pytest.approx(r.objective)


def test_sparse_cost_row_without_allowed_entry_names_the_conversion_trap():
    d = np.array([[0.0, 4.0], [3.0, 0.0], [0.0, 0.0]])
    with pytest.raises(SitingError, match=r"rows 2.*csr_matrix\(dense\).*dense array"):
        p_median(sp.csr_matrix(d), [1.0, 1.0, 1.0], 1)
    assert p_median(d, None, 1).objective == pytest.approx(3.0)  # dense: zeros allowed


# ----------------------------------------------------------------------------- determinism


_BUSY = "import time\nt = time.time()\nwhile time.time() - t < 60: pass\n"


def graph_costs(n: int, seed: int) -> np.ndarray:
    """All-pairs shortest paths of a path through n nodes plus random edges (lengths 1-100)."""
    rng = np.random.default_rng(seed)
    e = n * n // 50
    a = np.concatenate([np.arange(n - 1), rng.integers(0, n, e - n + 1)])
    b = np.concatenate([np.arange(1, n), rng.integers(0, n, e - n + 1)])
    g = sp.coo_matrix((rng.integers(1, 101, e).astype(float), (a, b)), shape=(n, n)).tocsr()
    return shortest_path(g, directed=False)


def _clock_cut(r: SitingResult) -> bool:
    return any("was stopped by the" in note for note in r.notes)


def _runs():
    """Every model and path: solved within the default limit, or stopped by a work limit.

    The p-median of 400 nodes with p = 10 and the 4,000 × 600 set cover cannot be proven in
    5 s and 1 s: they stop on their work limits (probing and the trees; the MIP is not
    started), and those stops must not depend on the load either. Their work limits are
    sized for a machine 12 times slower than measured (not 3), so that a shared test
    machine under load never reaches the clock: what is tested is that work limits,
    whatever their size, give the same answer.
    """
    rng = np.random.default_rng(11)
    pts, cand = rng.random((1500, 2)), rng.random((150, 2))
    d = np.linalg.norm(pts[:, None] - cand[None], axis=2)
    w = rng.integers(1, 50, 1500).astype(float)
    cover = sp.csr_matrix(d <= 0.08)
    near = d <= 0.12
    cost = sp.csr_matrix((d[near] + 1e-6, np.nonzero(near)), shape=d.shape)
    out = []
    for r in (
        mclp(cover, w, 15),
        mclp(cover, w, 15, solver="heuristic"),
        lscp(cover),
        lscp(cover, target=0.9, weights=w),
        p_median(cost, w, 15, unassigned_cost_s=0.2),
        p_median(cost, w, 15, unassigned_cost_s=0.2, solver="heuristic"),
    ):
        assert_honest(r)
        assert r.status != "time_limit"
        out.append((r.selected.tolist(), repr(r.objective), r.status, repr(r.bound), r.notes))
    pts, cand = rng.random((4000, 2)), rng.random((600, 2))
    big = sp.csr_matrix(np.linalg.norm(pts[:, None] - cand[None], axis=2) < 0.07)
    with mock.patch.object(siting_budget, "SAFETY", 12.0):
        limited = (
            p_median(graph_costs(400, 0), None, 10, time_limit_s=5),
            lscp(big, time_limit_s=1),
        )
    for r in limited:
        assert r.status == "time_limit" and r.gap > 0  # stopped by work limits ...
        assert not _clock_cut(r)  # ... not by the clock
        out.append((r.selected.tolist(), repr(r.objective), r.status, repr(r.bound), r.notes))
    return out


def test_same_answer_with_the_other_core_busy():
    quiet = _runs()
    busy = subprocess.Popen([sys.executable, "-c", _BUSY])
    try:
        loaded = _runs()
    finally:
        busy.kill()
        busy.wait()
    assert loaded == quiet


def test_heuristic_clock_is_a_reported_safety_net():
    """Swaps stop on their work limit; a stop by the clock is reported to the caller."""
    _, w, cover = small_instance(3, n=60, m=12, radius=0.25)
    csc = sp.csc_matrix(cover.astype(float))
    rules = Rules(np.zeros(12, dtype=bool), np.full(12, -1, dtype=np.int64), np.zeros(0, np.int64))
    start, _ = cover_heur.greedy_cover(csc, w, 3, rules)
    same, done = cover_heur.swap_cover(csc, w, start, rules, max_swaps=0)
    assert same.tolist() == start.tolist() and done  # work limit: silent, exact
    _, done = cover_heur.swap_cover(csc, w, start, rules, budget=Budget(1e-9))
    assert not done  # the clock was past: the caller drops the search's result


def test_a_phase_the_clock_stops_is_dropped_and_noted(monkeypatch):
    """The clock as a safety net: the search it cuts is dropped for the previous phase's."""
    d = graph_costs(120, 2)
    free = p_median(d, None, 8, solver="heuristic")
    assert free.notes == []
    rules = Rules(
        np.zeros(120, dtype=bool), np.full(120, -1, dtype=np.int64), np.zeros(0, np.int64)
    )
    r_, c_ = np.nonzero(np.isfinite(d))
    csr = sp.csr_matrix((d[r_, c_], (r_, c_)), shape=d.shape)  # zeros kept: a dense matrix
    greedy, _ = median_heur.greedy_median(
        sp.csc_matrix(csr), csr, np.ones(120), np.full(120, 1e9), 8, rules
    )
    search = MedianSearch(csr, np.ones(120), np.full(120, 1e9), greedy, rules)
    # the local search alone, with the work limit a 0.05 s call gives it
    assert search.descend(Budget(0.05).work(SHARE_DESCENT, MOVE_RATE))
    monkeypatch.setattr(Budget, "expired", lambda self: True)  # a machine far too slow
    cut = p_median(d, None, 8, solver="heuristic", time_limit_s=0.05)
    # the descent stops on its work limit within its first stretch of work (the clock is
    # looked at between stretches); the neighbourhood search, cut at its first look, is
    # dropped: the local search's sites are returned
    assert cut.selected.tolist() == np.flatnonzero(search.open_mask).tolist()
    assert cut.objective == pytest.approx(pmedian_cost_of(d, np.ones(120), cut.selected))
    assert len(cut.notes) == 1 and "stopped by the 0.05 s time limit" in cut.notes[0]
    assert "neighbourhood search" in cut.notes[0] and "local search's solution" in cut.notes[0]
    assert free.objective <= cut.objective


def test_work_limits_follow_the_time_limit_only():
    """Work limits are sized from time_limit_s, never from the clock."""
    a, b = Budget(10.0), Budget(10.0)
    time.sleep(0.01)
    assert a.work(0.3, 1e6) == b.work(0.3, 1e6) == int(0.3 * 10 * 1e6 / SAFETY)
    assert Budget(20.0).work(0.3, 1e6) == 2 * a.work(0.3, 1e6)
    assert mip_plan(a, 0.5, 100, 100, 1000) == mip_plan(b, 0.5, 100, 100, 1000)
    assert mip_plan(Budget(1.0), 0.5, 10**6, 10**6, 10**7, "set_cover") is None

"""Every siting model and variant against brute force (planner.analysis.siting).

On many small random instances (hypothesis), each model is solved with its rules — full
and partial targets, weights, fixed and excluded sites, region minimums, group floors,
capacities, unassigned demand — by the exact path (HiGHS, CBC) and by the heuristic alone,
and compared with an enumeration of every set of candidates written here, independently of
planner: the exact path must reach the enumerated optimum and say "optimal" with gap 0;
every path must report the objective its own sites give, recomputed here, and keep every
rule.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from planner.analysis.siting import Regions, SitingResult, lscp, mclp, p_median
from planner.errors import SitingError

SOLVERS = ["highs", "cbc", "heuristic"]


@dataclass
class Inst:
    """A random instance: distances, weights, coverage and side rules."""

    d: np.ndarray  # demand × candidates distances
    w: np.ndarray
    cover: np.ndarray  # bool, within the radius
    fixed: list[int]
    excluded: list[int]
    labels: list[str] | None  # region label per candidate ("" none), each needs a site
    groups: np.ndarray | None  # demand × 1 group weights
    floor: float | None


def make(seed: int, *, n: int, m: int, weights: bool, fixed: bool, excluded: bool,
         regions: bool, floors: bool) -> Inst:  # fmt: skip
    rng = np.random.default_rng(seed)
    dem, cand = rng.random((n, 2)), rng.random((m, 2))
    d = np.round(np.linalg.norm(dem[:, None] - cand[None], axis=2), 3)
    w = rng.integers(1, 10, n).astype(float) if weights else np.ones(n)
    cover = d <= 0.35
    order = rng.permutation(m).tolist()
    fx = [order.pop()] if fixed else []
    ex = [order.pop()] if excluded else []
    labels = None
    if regions:  # two regions over the remaining candidates, each with at least one
        labels = [""] * m
        for k, j in enumerate(order[:4]):
            labels[j] = "AB"[k % 2]
    groups = floor = None
    if floors:
        groups = (rng.random((n, 1)) < 0.4) * w[:, None]
        groups[0, 0] = w[0]  # never an empty group
        floor = 0.5
    return Inst(d, w, cover, fx, ex, labels, groups, floor)


def subsets(inst: Inst, size: int | None, min_per_region: int = 1):
    """Every candidate set that keeps the side rules (of ``size`` sites, or any size)."""
    m = inst.d.shape[1]
    sizes = [size] if size is not None else range(1, m + 1)
    for k in sizes:
        for S in itertools.combinations(range(m), k):
            if not set(inst.fixed) <= set(S) or set(inst.excluded) & set(S):
                continue
            if inst.labels is not None:
                need = {lab for lab in inst.labels if lab}
                if any(sum(inst.labels[j] == lab for j in S) < min_per_region for lab in need):
                    continue
            yield list(S)


def covered(inst: Inst, S: list[int]) -> np.ndarray:
    return inst.cover[:, S].any(axis=1)


def floors_ok(inst: Inst, S: list[int]) -> bool:
    if inst.groups is None or inst.floor is None:
        return True
    g = inst.groups[:, 0]
    return bool(g[covered(inst, S)].sum() >= inst.floor * g.sum() - 1e-9)


def kwargs(inst: Inst) -> dict:
    kw: dict = {"fixed": inst.fixed, "excluded": inst.excluded}
    if inst.labels is not None:
        kw["regions"] = Regions([lab or None for lab in inst.labels])
    if inst.groups is not None:
        kw["groups"] = inst.groups
        kw["floors"] = [inst.floor]
    return kw


def assert_rules(inst: Inst, r: SitingResult, p: int | None) -> None:
    S = r.selected.tolist()
    assert set(inst.fixed) <= set(S) and not set(inst.excluded) & set(S)
    if p is not None:
        assert len(S) == p
    if inst.labels is not None:
        for lab in {lab for lab in inst.labels if lab}:
            assert any(inst.labels[j] == lab for j in S)


def assert_status(r: SitingResult, best: float, solver: str, *, minimise: bool) -> None:
    """Exact path: proven optimal at the enumerated optimum; heuristic: on the right side."""
    assert r.notes == []
    if solver == "heuristic":
        assert r.status == "heuristic" and np.isnan(r.bound)
        assert r.objective >= best - 1e-9 if minimise else r.objective <= best + 1e-9
    else:
        assert r.status == "optimal", (r.status, r.objective, best, r.bound)
        assert r.gap == 0.0
        assert r.objective == pytest.approx(best, rel=1e-9, abs=1e-9)


VARIANT = {
    "weights": st.booleans(),
    "fixed": st.booleans(),
    "excluded": st.booleans(),
    "regions": st.booleans(),
    "floors": st.booleans(),
}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    target=st.sampled_from([1.0, 0.8, 0.5]),
    solver=st.sampled_from(SOLVERS),
    **VARIANT,
)
def test_lscp_every_variant_equals_brute_force(seed, target, solver, **variant):
    inst = make(seed, n=14, m=7, **variant)
    coverable = inst.cover[:, [j for j in range(7) if j not in inst.excluded]].any(axis=1)
    want = target * inst.w[coverable].sum()
    feasible = [
        S for S in subsets(inst, None)
        if inst.w[covered(inst, S)].sum() >= want - 1e-9 and floors_ok(inst, S)
    ]  # fmt: skip
    if not feasible:  # floors out of reach: the model says so
        with pytest.raises(SitingError, match=r"group 0 needs"):
            lscp(sp.csr_matrix(inst.cover), target=target, weights=inst.w, solver=solver,
                 **kwargs(inst))  # fmt: skip
        return
    best = min(len(S) for S in feasible)
    r = lscp(sp.csr_matrix(inst.cover), target=target, weights=inst.w, solver=solver,
             **kwargs(inst))  # fmt: skip
    S = r.selected.tolist()
    assert_rules(inst, r, None)
    assert r.objective == len(S)  # the objective is what the sites give
    assert inst.w[covered(inst, S)].sum() >= want - 1e-9 and floors_ok(inst, S)
    assert_status(r, best, solver, minimise=True)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    p=st.integers(2, 4),
    solver=st.sampled_from(SOLVERS),
    **VARIANT,
)
def test_mclp_every_variant_equals_brute_force(seed, p, solver, **variant):
    inst = make(seed, n=14, m=7, **variant)
    values = [inst.w[covered(inst, S)].sum() for S in subsets(inst, p) if floors_ok(inst, S)]
    if not values:
        return  # no p sites meet the floors and rules together
    r = mclp(sp.csr_matrix(inst.cover), inst.w, p, solver=solver, **kwargs(inst))
    S = r.selected.tolist()
    assert_rules(inst, r, p)
    assert r.objective == pytest.approx(inst.w[covered(inst, S)].sum())
    assert floors_ok(inst, S)
    assert r.covered.tolist() == covered(inst, S).tolist()
    assert_status(r, max(values), solver, minimise=False)


def transport(inst: Inst, S: list[int], cap: np.ndarray, cost: np.ndarray | None,
              penalty: float | None) -> float:  # fmt: skip
    """Splittable assignment of the weights to the sites S by linprog.

    ``cost`` None: the most weight served within coverage and capacity (returned positive);
    else the least cost of serving every row (unserved weight pays ``penalty``).
    """
    n, k = inst.w.size, len(S)
    allowed = inst.cover[:, S] if cost is None else np.isfinite(cost[:, S])
    pairs = [(i, t) for i in range(n) for t in range(k) if allowed[i, t]]
    nv = len(pairs) + (n if penalty is not None else 0)
    c = np.zeros(nv)
    a_row = np.zeros((n, nv))
    a_cap = np.zeros((k, nv))
    for e, (i, t) in enumerate(pairs):
        c[e] = -inst.w[i] if cost is None else inst.w[i] * cost[i, S[t]]
        a_row[i, e] = 1.0
        a_cap[t, e] = inst.w[i]
    if penalty is not None:
        for i in range(n):
            c[len(pairs) + i] = inst.w[i] * penalty
            a_row[i, len(pairs) + i] = 1.0
    if cost is None:
        res = linprog(c, A_ub=np.vstack([a_row, a_cap]), b_ub=np.r_[np.ones(n), cap[S]],
                      bounds=(0, 1))  # fmt: skip
        return -float(res.fun)
    res = linprog(c, A_ub=a_cap, b_ub=cap[S], A_eq=a_row, b_eq=np.ones(n), bounds=(0, 1))
    return float(res.fun) if res.status == 0 else np.inf


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    p=st.integers(2, 3),
    solver=st.sampled_from(SOLVERS),
    fixed=st.booleans(),
    regions=st.booleans(),
)
def test_capacitated_mclp_equals_brute_force(seed, p, solver, fixed, regions):
    inst = make(seed, n=10, m=6, weights=True, fixed=fixed, excluded=False,
                regions=regions, floors=False)  # fmt: skip
    p = max(p, len(inst.fixed) + (2 if inst.labels else 0))
    cap = np.full(6, inst.w.sum() / 4)
    best = max(transport(inst, S, cap, None, None) for S in subsets(inst, p))
    r = mclp(sp.csr_matrix(inst.cover), inst.w, p, capacity=cap, solver=solver, **kwargs(inst))
    assert_rules(inst, r, p)
    shares = r.shares.toarray()
    assert np.all(shares[~inst.cover] <= 1e-9)  # only covered pairs
    assert np.all(inst.w @ shares <= cap + 1e-6)  # within capacity
    assert np.all(shares[:, np.setdiff1d(np.arange(6), r.selected)] <= 1e-9)  # open sites
    assert r.objective == pytest.approx(float(inst.w @ shares.sum(axis=1)), rel=1e-6)
    if solver == "heuristic":
        assert r.status == "heuristic" and r.objective <= best + 1e-6
    else:
        assert r.status == "optimal" and r.gap == 0.0
        assert r.objective == pytest.approx(best, rel=1e-6)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    p=st.integers(1, 3),
    solver=st.sampled_from(SOLVERS),
    sparse=st.booleans(),
    weights=st.booleans(),
    fixed=st.booleans(),
    excluded=st.booleans(),
    regions=st.booleans(),
)
def test_pmedian_every_variant_equals_brute_force(seed, p, solver, sparse, **variant):
    inst = make(seed, n=12, m=7, floors=False, **variant)
    p = max(p, len(inst.fixed) + (2 if inst.labels else 0))
    if sparse:  # pairs beyond 0.5 are not allowed; unassigned demand costs 0.6
        near = inst.d <= 0.5
        cost = sp.csr_matrix((inst.d[near], np.nonzero(near)), shape=inst.d.shape)
        ref = np.where(near, inst.d, 0.6)
        kw = {"unassigned_cost_s": 0.6}
    else:
        cost, ref, kw = inst.d, inst.d, {}
    best = min(float(inst.w @ ref[:, S].min(axis=1)) for S in subsets(inst, p))
    r = p_median(cost, inst.w, p, solver=solver, **kw, **kwargs(inst))
    S = r.selected.tolist()
    assert_rules(inst, r, p)
    assert r.objective == pytest.approx(float(inst.w @ ref[:, S].min(axis=1)), rel=1e-9)
    assert_status(r, best, solver, minimise=True)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), p=st.integers(2, 3), solver=st.sampled_from(SOLVERS))
def test_capacitated_pmedian_equals_brute_force(seed, p, solver):
    inst = make(seed, n=10, m=6, weights=True, fixed=False, excluded=False, regions=False,
                floors=False)  # fmt: skip
    cap = np.full(6, inst.w.sum() * 0.55)
    best = min(transport(inst, S, cap, inst.d, None) for S in subsets(inst, p))
    r = p_median(inst.d, inst.w, p, capacity=cap, solver=solver)
    assert_rules(inst, r, p)
    shares = r.shares.toarray() if r.shares is not None else None
    if shares is not None:
        assert np.all(inst.w @ shares <= cap + 1e-6)
        assert np.allclose(shares.sum(axis=1), 1.0)
        assert r.objective == pytest.approx(float((shares * inst.w[:, None] * inst.d).sum()))
    if solver == "heuristic":
        assert r.status == "heuristic" and r.objective >= best * (1 - 1e-6)
    else:
        assert r.status == "optimal" and r.gap == 0.0
        assert r.objective == pytest.approx(best, rel=1e-6)

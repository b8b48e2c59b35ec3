"""The LSCP drivers: cover every row, reach a weighted target, or meet group floors.

* :func:`lscp_full` (every coverable row, no floors): exact set-cover reductions
  (:func:`~planner.analysis.siting._set_cover.reduce_set_cover`), greedy and
  destroy-and-repair local search on the core (then row-weighting local search,
  :func:`~planner.analysis.siting._cover_rwls.rwls_cover`, when the core is too large for
  a MIP), the bound of the reductions, disjoint rows and the Lagrangian
  (:func:`~planner.analysis.siting._cover_reduce.cover_lagrangian`), then the core MIP
  when it fits the limit, else the LP bound (interior point, rounded up).
* :func:`lscp_target` (a weighted target, no floors): the fewest sites reaching the target
  is the least ``p`` whose maximal cover reaches it, so the greedy cover is shrunk one site
  at a time by MCLP searches (:func:`~planner.analysis.siting._median_exact.solve_median` on
  the coverage, an MCLP being a p-median whose rows cost 0 when covered and their weight
  when not). The LP relaxation (interior point, its bound from the duals) then gives a
  floor, and MCLP searches started from the LP's largest columns try one site fewer;
  while a gap remains, the MCLP of one site fewer is solved exactly with the target as
  its cutoff (Lagrangian bound, tree search, radius MIP), proving that it cannot reach
  the target or finding a cover that does. Dominated candidates are dropped first. (A
  MIP of the target model itself is not used: its root took 4-20 s on county models
  whose LP took 1 s.)
* :func:`lscp_floors` (group floors): greedy, then the MIP with coverage variables.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.analysis.siting import _cover_heuristics as heur
from planner.analysis.siting import _set_cover as setcover
from planner.analysis.siting._budget import IPM_RATE, LAGRANGE_RATE, Budget, mip_plan
from planner.analysis.siting._cover_reduce import cover_lagrangian, dominated_columns
from planner.analysis.siting._cover_rwls import RWLS_RATE, rwls_cover
from planner.analysis.siting._inputs import _Cover, _Setup
from planner.analysis.siting._median_bound import lagrangian, sorted_rows
from planner.analysis.siting._median_exact import solve_median
from planner.analysis.siting._mip import MipModel, MipOutcome, lp_bound
from planner.analysis.siting._result import Run, _run, _side_rows
from planner.analysis.siting._rules import Rules

__all__ = ["droppable_columns", "lscp_floors", "lscp_full", "lscp_target"]

log = logging.getLogger(__name__)

#: Most interior-point iterations of the LP bound (HiGHS's IPX reaches the optimum of the
#: county coverage models in 30-41).
LP_ITERATIONS = 100


def droppable_columns(setup: _Setup) -> NDArray[np.bool_]:
    """Candidates a dominance reduction may drop: not fixed, in no region with a minimum."""
    return np.asarray(~setup.fixed & (setup.region < 0), dtype=bool)


def lscp_full(A: sp.csr_matrix, setup: _Setup, name: str, budget: Budget) -> Run:
    """Cover every row of ``A`` (coverable rows × allowed candidates) with the fewest sites."""
    rules = setup.rules()
    alive, state = setcover.reduce_set_cover(A, rules, droppable=setup.region < 0)
    forced = state == 1
    cols = np.flatnonzero(state == 0)
    core = sp.csr_matrix(A[np.flatnonzero(alive)][:, cols])
    have = rules.region_counts(forced)
    rc = Rules(
        np.zeros(cols.size, dtype=bool), setup.region[cols], np.maximum(setup.need - have, 0)
    )
    nr = core.shape[0]
    log.info(
        "lscp: reductions left %d of %d rows and %d of %d candidates (%d opened, %d dropped)",
        nr, A.shape[0], cols.size, setup.keep.size, int(forced.sum()),
        int((state == -1).sum()),
    )  # fmt: skip
    g = np.zeros(cols.size, dtype=bool)
    if nr:
        g = heur.lscp_greedy(sp.csc_matrix(core), np.ones(nr), float(nr), rc, full=True)
    elif rc.need.any():
        g = heur.lscp_greedy(sp.csc_matrix(core), np.ones(0), 0.0, rc, full=True)
    # shares of the limit: destroy-and-repair 0.25, Lagrangian 0.2, MIP 0.5; when the core
    # is too large for the MIP, destroy-and-repair 0.3, row weighting from its cover 0.4,
    # Lagrangian 0.1 and the LP bound 0.2 (its interior point converges in 16-20
    # iterations on the 2,000 x 20,000 benchmark core, 13 reach 129.2 of its 129.3)
    mip_ok = mip_plan(budget, 0.5, nr, cols.size, int(core.nnz), "set_cover") is not None
    share_lag = 0.2 if mip_ok else 0.1
    moves = budget.work(0.25 if mip_ok else 0.3, setcover.LS_MOVE_RATE)
    if nr:
        better, done = setcover.lscp_local_search(core, g, rc, iterations=moves, budget=budget)
        if not done:
            budget.cut("the LSCP local search", "the greedy cover")
            open_g = forced.copy()
            open_g[cols[g]] = True
            late = "heuristic" if name == "heuristic" else "time_limit"
            used = "heuristic" if name == "heuristic" else name
            c = float(open_g.sum())
            return Run(open_g, c, open_g, c, math.nan, late, used, 0.0, budget.elapsed())
        g = better
        if not mip_ok:
            better, done = rwls_cover(core, g, rc, work=budget.work(0.4, RWLS_RATE), budget=budget)
            if done:
                g = better
            else:
                budget.cut("the LSCP row-weighting search", "the destroy-and-repair cover")
    open_h = forced.copy()
    open_h[cols[g]] = True
    h_obj = float(open_h.sum())
    t_h = budget.elapsed()
    if name == "heuristic":
        return Run(open_h, h_obj, open_h, h_obj, math.nan, "heuristic", "heuristic", 0.0, t_h)
    low = float(rc.need.sum())
    if nr:
        low = max(low, float(setcover.disjoint_rows(core)))
        lag = cover_lagrangian(
            core,
            rc,
            upper=float(g.sum()),
            work=budget.work(share_lag, LAGRANGE_RATE),
            budget=budget,
        )
        if lag is None:  # the clock stopped it: no MIP either
            budget.cut("the set-cover Lagrangian bound", "the heuristic cover")
            low += float(forced.sum())
            return Run(open_h, h_obj, open_h, h_obj, low, "time_limit", name, 0.0, t_h)
        if np.isfinite(lag):
            low = max(low, math.ceil(lag - 1e-6))
    low += float(forced.sum())
    if h_obj <= low or cols.size == 0:
        return Run(open_h, h_obj, open_h, h_obj, h_obj, "optimal", name, 0.0, t_h)
    core_setup = _Setup(cols, rc.fixed, rc.region, rc.need, setup.labels)
    mats, lo, hi = _side_rows(core_setup, cols.size, None)
    mip = MipModel(
        c=np.ones(cols.size),
        A=sp.vstack([core, *mats], format="csr"),
        row_lo=np.concatenate([np.ones(nr), *lo]),
        row_hi=np.concatenate([np.full(nr, np.inf), *hi]),
        col_lo=np.zeros(cols.size),
        col_hi=np.ones(cols.size),
        integer=np.ones(cols.size, dtype=bool),
        offset=float(forced.sum()),
    )
    if not mip_ok:
        # the MIP is not started (too large): the LP bound, above the Lagrangian's (which
        # only nears it: 128 vs 129.3 on the 2,000 x 20,000 benchmark core)
        floor, _ = _lp_floor(mip, budget, 0.2)
        low = max(low, floor)
        if h_obj <= low:
            return Run(open_h, h_obj, open_h, h_obj, h_obj, "optimal", name, 0.0, t_h)
    out = _run(mip, solver=name, budget=budget, share=0.5, start=g.astype(np.float64), what="lscp",
               kind="set_cover")  # fmt: skip
    assert out is not None
    best = open_h
    if out.x is not None and out.objective < h_obj - 0.5:
        best = forced.copy()
        best[cols[out.x > 0.5]] = True
    bound = low
    if out.status == "optimal" and out.x is not None:
        bound = max(bound, math.ceil(out.objective - 1e-6))
    elif np.isfinite(out.bound):
        bound = max(bound, math.ceil(out.bound - 1e-6))
    obj = float(best.sum())
    status = "optimal" if obj <= bound else ("feasible" if out.status == "error" else "time_limit")
    return Run(open_h, h_obj, best, obj, float(bound), status, name, out.seconds, t_h)


def _drop_one(
    A: sp.csr_matrix, W: NDArray[np.float64], open_mask: NDArray[np.bool_], rules: Rules
) -> NDArray[np.bool_] | None:
    """``open_mask`` less the site whose closing uncovers the least weight (rules kept)."""
    sel = np.flatnonzero(open_mask)
    ok = ~rules.fixed[sel]
    if rules.need.size:
        counts = rules.region_counts(open_mask)
        reg = rules.region[sel]
        r0 = np.maximum(reg, 0)
        ok &= ~((reg >= 0) & (counts[r0] <= rules.need[r0]))
    if not ok.any():
        return None
    sub = sp.csr_matrix(A[:, sel])
    once = np.diff(sub.indptr) == 1
    owner = sub.indices[sub.indptr[:-1][once]]
    loss = np.bincount(owner, weights=W[once], minlength=sel.size)
    loss[~ok] = np.inf
    out = open_mask.copy()
    out[sel[int(np.argmin(loss))]] = False
    return out


def lscp_target(
    A: sp.csr_matrix, W: NDArray[np.float64], target_w: float, setup: _Setup, name: str,
    budget: Budget,
) -> Run:  # fmt: skip
    """The fewest sites covering ``target_w`` of the weight ``W`` of ``A``'s rows."""
    rules = setup.rules()
    mk = setup.keep.size
    drop = dominated_columns(A, droppable_columns(setup))
    cols = np.flatnonzero(~drop)
    Ar = sp.csr_matrix(A[:, cols])
    rr = Rules(rules.fixed[cols], rules.region[cols], rules.need)
    log.info("lscp: %d of %d candidates are dominated and dropped", int(drop.sum()), mk)
    total = float(W.sum())
    cut = total - target_w * (1 - 1e-12)  # the uncovered weight allowed
    Z = sp.csr_matrix((np.zeros(Ar.nnz), Ar.indices, Ar.indptr), shape=Ar.shape)
    one = np.ones(Ar.shape[0])
    best = heur.lscp_greedy(sp.csc_matrix(Ar), W, target_w, rr, full=False)
    count = int(best.sum())
    lo = max(1, int(rr.fixed.sum()) + int(rr.deficits(rr.fixed).sum()))

    def full_mask(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
        out = np.zeros(mk, dtype=bool)
        out[cols[mask]] = True
        return out

    def reaches(run: Run) -> bool:
        return run.objective <= cut + 1e-9 * max(1.0, abs(cut))

    def fewer(start: NDArray[np.bool_], solver: str, scale: float) -> Run:
        """An MCLP search from ``start`` (one site fewer than the best cover) for the target."""
        return solve_median(
            Z, W, one, True, int(start.sum()), rr, solver=solver, budget=budget, start=start,
            cutoff=cut, scale=scale,
        )  # fmt: skip

    # heuristic: shrink by one site while an MCLP search still reaches the target
    while count - 1 >= lo:
        start = _drop_one(Ar, W, best, rr)
        if start is None or budget.expired():
            break
        run = fewer(start, "heuristic", 0.25)
        if not reaches(run):
            break
        best, count = run.open_best, count - 1
    open_h = full_mask(best)
    h_obj = float(count)
    t_h = budget.elapsed()
    if name == "heuristic":
        return Run(open_h, h_obj, open_h, h_obj, math.nan, "heuristic", "heuristic", 0.0, t_h)
    # exact: the LP bound, an LP-guided search, then prove that one site fewer cannot reach
    # the target (the MCLP of count - 1 sites solved exactly, with the target as cutoff)
    bound = float(lo)
    if count > lo:
        model = _target_model(Ar, W, target_w, False, None, None, rr)
        floor, lp_x = _lp_floor(model, budget)
        bound = max(bound, floor)
        # LP-guided: one site fewer, started from the LP's largest columns
        while lp_x is not None and count - 1 >= bound and not budget.expired():
            start = _lp_start(lp_x[: cols.size], count - 1, rr)
            if start is None:
                break
            run = fewer(start, "heuristic", 0.25)
            if not reaches(run):
                break
            best, count = run.open_best, count - 1
    used, secs = name, 0.0
    while count - 1 >= bound and not budget.expired():
        start = _drop_one(Ar, W, best, rr)
        if start is None:
            break
        run = fewer(start, name, 0.5)
        secs += run.solve_seconds
        if reaches(run):
            best, count = run.open_best, count - 1
            continue
        if run.impossible:
            bound = float(count)
        else:
            bound = max(bound, _lagrangian_floor(Ar, W, rr, cut, count, budget))
        break
    status = "optimal" if count <= bound else "time_limit"
    return Run(open_h, h_obj, full_mask(best), float(count), bound, status, used, secs, t_h)


def _lagrangian_floor(
    Ar: sp.csr_matrix, W: NDArray[np.float64], rr: Rules, cut: float, count: int, budget: Budget
) -> float:
    """A lower bound on the count: one more than the largest ``p`` proven to fall short."""
    rows = sorted_rows(sp.csr_matrix((np.zeros(Ar.nnz), Ar.indices, Ar.indptr), shape=Ar.shape))
    for q in range(count - 2, max(int(rr.fixed.sum()), 1) - 1, -1):
        if rr.need.size and q < int(rr.fixed.sum()) + int(rr.deficits(rr.fixed).sum()):
            break
        lag = lagrangian(
            rows, W, q, fixed=rr.fixed, region=rr.region, need=rr.need,
            penalty=np.ones(W.size), upper=float(W.sum()), start=W.copy(),
            work=budget.work(0.02, LAGRANGE_RATE),
        )  # fmt: skip
        if lag.bound > cut + 1e-9 * max(1.0, abs(cut)):
            return float(q + 1)
        if count - 2 - q >= 4:
            break
    return 1.0


def _target_model(
    A: sp.csr_matrix,
    W: NDArray[np.float64],
    target_w: float,
    full: bool,
    G: NDArray[np.float64] | None,
    floor_w: NDArray[np.float64] | None,
    rr: Rules,
) -> MipModel:
    """min Σ y s.t. x_r <= Σ_{j∈N_r} y_j, Σ W x >= target, floors, regions (y first)."""
    k = A.shape[1]
    nr = A.shape[0]
    sub = _Setup(np.arange(k), rr.fixed, rr.region, rr.need, [])
    mats, lo, hi = _side_rows(sub, k + nr, None)
    link = sp.hstack([-A, sp.identity(nr, format="csr")], format="csr")
    extra = [sp.csr_matrix(np.concatenate([np.zeros(k), W])[None, :])]
    elo = [np.array([target_w * (1 - 1e-12)])]
    ehi = [np.array([np.inf])]
    if G is not None and floor_w is not None:
        extra.append(sp.hstack([sp.csr_matrix((G.shape[1], k)), sp.csr_matrix(G.T)], format="csr"))
        elo.append(floor_w * (1 - 1e-12))
        ehi.append(np.full(floor_w.size, np.inf))
    return MipModel(
        c=np.concatenate([np.ones(k), np.zeros(nr)]),
        A=sp.vstack([link, *extra, *mats], format="csr"),
        row_lo=np.concatenate([np.full(nr, -np.inf), *elo, *lo]),
        row_hi=np.concatenate([np.zeros(nr), *ehi, *hi]),
        col_lo=np.concatenate([rr.fixed.astype(np.float64), np.ones(nr) if full else np.zeros(nr)]),
        col_hi=np.ones(k + nr),
        integer=np.concatenate([np.ones(k, dtype=bool), np.zeros(nr, dtype=bool)]),
    )


def _lp_floor(
    model: MipModel, budget: Budget, share: float = 0.5
) -> tuple[float, NDArray[np.float64] | None]:
    """The least site count the LP relaxation allows (its bound rounded up, or 0), and the
    LP's column values (None without them).

    The MIP's root is costly on wide partial covers (HiGHS spent 10-60 s of cut rounds
    and heuristics on county models of 5,000 rows whose LP, 1.3 s by interior point,
    already proved the greedy's count; dual simplex took 5 s), so the LP alone is tried
    first, within a share of the budget counted in interior-point iterations. Its bound
    comes from the duals (:func:`~planner.analysis.siting._mip.lp_bound`), valid even
    when the iterations run out first.
    """
    nnz = max(int(model.A.nnz), 1)
    iterations = min(LP_ITERATIONS, budget.work(share, IPM_RATE) // nnz)
    if iterations < 8:  # too few to get near the optimum: do not start
        return 0.0, None
    lp = lp_bound(model, iterations=iterations, time_limit_s=budget.left())
    if lp.clock:
        budget.cut("the LP bound of lscp", "the bound without it")
        return 0.0, None
    floor = float(math.ceil(lp.value - 1e-6)) if np.isfinite(lp.value) else 0.0
    return floor, lp.x


def _lp_start(lp_y: NDArray[np.float64], p: int, rules: Rules) -> NDArray[np.bool_] | None:
    """``p`` sites: the fixed ones, then the largest LP values (None if the rules fail)."""
    start = rules.fixed.copy()
    free = p - int(start.sum())
    if free < 0:
        return None
    order = np.argsort(-lp_y, kind="stable")
    order = order[~start[order]]
    start[order[:free]] = True
    if rules.need.size and rules.deficits(start).any():
        return None
    return start


def _solve_target(model: MipModel, name: str, budget: Budget, **kw: Any) -> MipOutcome:
    """The target model within 0.6 of the budget (``start``, ``cutoff`` passed on)."""
    out = _run(model, solver=name, budget=budget, share=0.6, what="lscp", kind="target", **kw)
    assert out is not None
    return out


def lscp_floors(
    red: _Cover,
    setup: _Setup,
    target_w: float,
    full: bool,
    floor_w: NDArray[np.float64] | None,
    name: str,
    budget: Budget,
) -> Run:
    """A weight target and group floors: greedy, then the MIP with coverage variables."""
    mk = setup.keep.size
    drop = dominated_columns(red.A, droppable_columns(setup))
    cols = np.flatnonzero(~drop)
    A = sp.csr_matrix(red.A[:, cols])
    k = cols.size
    rules = setup.rules()
    rr = Rules(rules.fixed[cols], rules.region[cols], rules.need)
    g = heur.lscp_greedy(
        sp.csc_matrix(A), red.W, target_w, rr, full=full, groups=red.G, floor_w=floor_w
    )
    h_cov = np.diff(A[:, np.flatnonzero(g)].indptr) > 0
    open_h = np.zeros(mk, dtype=bool)
    open_h[cols[g]] = True
    h_obj = float(g.sum())
    t_h = budget.elapsed()
    if name == "heuristic":
        return Run(open_h, h_obj, open_h, h_obj, math.nan, "heuristic", "heuristic", 0.0, t_h)
    model = _target_model(A, red.W, target_w, full, red.G, floor_w, rr)
    lp, _ = _lp_floor(model, budget)
    if lp >= h_obj:  # the LP proves the greedy's count
        return Run(open_h, h_obj, open_h, h_obj, lp, "optimal", name, 0.0, t_h)
    start = np.concatenate([g.astype(np.float64), h_cov.astype(np.float64)])
    out = _solve_target(model, name, budget, start=start)
    best = open_h
    if out.x is not None and float((out.x[:k] > 0.5).sum()) <= h_obj:
        best = np.zeros(mk, dtype=bool)
        best[cols[out.x[:k] > 0.5]] = True
    bound = math.nan
    if out.status == "optimal" and out.x is not None:
        bound = float(math.ceil(out.objective - 1e-6))
    elif np.isfinite(out.bound):
        bound = float(math.ceil(out.bound - 1e-6))
    obj = float(best.sum())
    if out.status == "infeasible":
        status = "infeasible"
    elif np.isfinite(bound) and obj <= bound:
        status = "optimal"
    else:
        status = "feasible" if out.status == "error" else "time_limit"
    return Run(open_h, h_obj, best, obj, bound, status, name, out.seconds, t_h)

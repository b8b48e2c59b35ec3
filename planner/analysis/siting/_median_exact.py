"""The uncapacitated p-median, end to end: heuristics, Lagrangian bound, reductions, MIP.

1. Greedy (always completes), then the fast interchange
   (:class:`~planner.analysis.siting._median_search.MedianSearch`).
2. The Lagrangian bound (:func:`~planner.analysis.siting._median_bound.lagrangian`).
3. Variable neighbourhood search, stopped early when it meets the bound.
4. The bound again from the improved solution, reduced-cost fixing of candidates, then
   probing (:func:`~planner.analysis.siting._median_bound.probe`: each candidate forced
   open, or closed, and the bound re-raised), which alone proves many small-``p``
   instances whose LP gap the tree closes slowly.
5. Lagrangian branch and bound (:func:`~planner.analysis.siting._median_tree.median_tree`),
   then the radius model (:func:`~planner.analysis.siting._median_bound.radius_model`) of
   what is left, solved by HiGHS or CBC with the best solution as its start; when that
   model is too large for its share, the probing tree
   (:func:`~planner.analysis.siting._median_tree.probe_tree`) gets the share instead,
   with the work the earlier phases left unused.

Each phase has a work limit sized from ``time_limit_s`` (:mod:`._budget`); a phase the
clock stops is dropped and the previous phase's solution stands.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.analysis.siting import _median_heuristics as heur
from planner.analysis.siting._budget import LAGRANGE_RATE, MOVE_RATE, Budget, mip_plan
from planner.analysis.siting._median_bound import (
    fix_by_reduced_cost,
    lagrangian,
    probe,
    radius_model,
    sorted_rows,
)
from planner.analysis.siting._median_search import MedianSearch
from planner.analysis.siting._median_tree import median_tree, probe_tree
from planner.analysis.siting._mip import MIP_REL_GAP, solve_mip
from planner.analysis.siting._result import Run
from planner.analysis.siting._rules import Rules

__all__ = ["MedianRun", "solve_median"]

log = logging.getLogger(__name__)

#: Shares of ``time_limit_s`` each phase's work limit is sized for.
SHARE_DESCENT = 0.10
SHARE_BOUND = 0.08
SHARE_VNS = 0.25
SHARE_PROBE = 0.15  # probing each candidate after the reduced-cost fixing
SHARE_TREE = 0.10  # the tree first: it settles the easy instances in a fraction of this
SHARE_MIP = 0.30  # the MIP next; when it is too large, the probing tree gets this share
#: Neighbourhood-search iterations without improvement after which it stops.
PATIENCE = 400


MedianRun = Run


class _Shares:
    """The shares of the limit a call's phases were given and used (work, not time).

    A phase that ends before its work limit (converged, or met its bound) leaves the rest
    of its share to the last phase: counted in work units, so the same on any machine.
    """

    def __init__(self, budget: Budget, scale: float) -> None:
        self.budget = budget
        self.scale = scale
        self.used = 0.0
        self._share = 0.0
        self._limit = 1

    def work(self, share: float, rate: float) -> int:
        """Work limit of the next phase, given ``share`` of the (scaled) limit."""
        self._share = share
        self._limit = self.budget.work(share * self.scale, rate)
        return self._limit

    def spent(self, units: int) -> None:
        """The phase given the last :meth:`work` did ``units`` of it."""
        self.used += self._share * min(1.0, units / self._limit)

    def rest(self) -> float:
        """The share of the limit no phase has used."""
        return max(0.0, 1.0 - self.used)


def _cost(
    csr: sp.csr_matrix, w: NDArray[np.float64], pen: NDArray[np.float64], o: NDArray[np.bool_]
) -> float:
    _, d1, _ = heur.median_state(csr, w, pen, o)
    return float(w @ d1)


def solve_median(
    csr: sp.csr_matrix,
    w: NDArray[np.float64],
    pen: NDArray[np.float64],
    has_pen: bool,
    p: int,
    rules: Rules,
    *,
    solver: str,
    budget: Budget,
    seed: int = 0,
    start: NDArray[np.bool_] | None = None,
    cutoff: float | None = None,
    scale: float = 1.0,
) -> MedianRun:
    """Solve the uncapacitated p-median on active rows × allowed candidates.

    Parameters
    ----------
    csr
        Cost (rows with weight × allowed candidates), stored entries allowed.
    w, pen
        Weights and unassigned cost per row (the internal big value when ``has_pen`` is
        False: every row is then assigned).
    has_pen
        True when rows may stay unassigned at ``pen``.
    p
        Number of sites.
    rules
        Fixed sites and region minimums.
    solver
        ``"highs"``, ``"cbc"`` or ``"heuristic"``.
    budget
        The call's time budget.
    seed
        Seed of the neighbourhood search.
    start
        A solution of ``p`` sites meeting the rules to start from, instead of the greedy.
    cutoff
        Only solutions costing at most this matter (a decision problem): the call returns
        as soon as it has one, and a bound above it ends the call (then ``bound`` proves
        that none exists).
    scale
        Factor on every phase's share of the limit (for callers running several solves).

    Returns
    -------
    MedianRun
        The heuristic and the best solution, bound and status.
    """
    t0 = time.perf_counter()
    integral = _integral(csr, w, pen, has_pen)
    cut = math.inf if cutoff is None else float(cutoff)
    if integral and cutoff is not None:
        cut = math.floor(cut + 1e-9 * max(1.0, abs(cut)))
    tol = 1e-9 * max(1.0, abs(cut)) if cutoff is not None else 0.0

    def reached(value: float) -> bool:
        return cutoff is not None and value <= cut + tol

    if start is None:
        start, _ = heur.greedy_median(sp.csc_matrix(csr), csr, w, pen, p, rules)
    rows = sorted_rows(csr)
    search = MedianSearch(csr, w, pen, start, rules, seed=seed, rows=rows)
    open_h = start
    shares = _Shares(budget, scale)
    w0 = search.work
    descended = search.descend(shares.work(SHARE_DESCENT, MOVE_RATE), budget)
    shares.spent(search.work - w0)
    if descended:
        open_h = search.open_mask
    else:
        budget.cut("the p-median local search", "the starting solution")
    h_obj = _cost(csr, w, pen, open_h)
    late = "heuristic" if solver == "heuristic" else "time_limit"  # the status after a cut
    penalty = pen if has_pen else None
    bound = -math.inf
    lag = None

    def run(
        status: str,
        best: NDArray[np.bool_],
        obj: float,
        used: str,
        secs: float = 0.0,
        impossible: bool = False,
    ) -> MedianRun:
        return MedianRun(
            open_h, h_obj, best, obj, bound if np.isfinite(bound) else math.nan, status, used,
            secs, time.perf_counter() - t0,
            impossible or bound > cut + tol,
        )  # fmt: skip

    if reached(h_obj):
        return run("heuristic" if solver == "heuristic" else "feasible", open_h, h_obj, solver)
    if not descended:
        return run(late, open_h, h_obj, "heuristic" if solver == "heuristic" else solver)
    if solver != "heuristic":
        _, d1, _ = heur.median_state(csr, w, pen, open_h)
        lag = lagrangian(
            rows, w, p, fixed=rules.fixed, region=rules.region, need=rules.need,
            penalty=penalty, upper=min(h_obj, cut), start=w * d1,
            work=shares.work(SHARE_BOUND, LAGRANGE_RATE), budget=budget,
        )  # fmt: skip
        shares.spent(lag.work)
        if lag.cut:
            budget.cut("the p-median Lagrangian bound", "the local search's solution")
            return run(late, open_h, h_obj, solver)
        bound = _round_up(lag.bound, integral)
        if bound > cut + tol:
            return run("feasible", open_h, h_obj, solver)
    if not _closed(h_obj, bound):
        w0 = search.work
        done = search.vns(
            shares.work(SHARE_VNS, MOVE_RATE),
            patience=PATIENCE,
            lower=bound if cutoff is None else max(bound, cut - tol),
            budget=budget,
        )
        shares.spent(search.work - w0)
        if not done:
            budget.cut("the p-median neighbourhood search", "the local search's solution")
            return run(late, open_h, h_obj, "heuristic" if solver == "heuristic" else solver)
        open_h = search.open_mask
        h_obj = _cost(csr, w, pen, open_h)
    if solver == "heuristic" or lag is None:
        return run("heuristic", open_h, h_obj, "heuristic")
    if _closed(h_obj, bound) or reached(h_obj):
        return run("optimal" if _closed(h_obj, bound) else "feasible", open_h, h_obj, solver)
    # the bound once more from the better solution, then fix candidates by reduced cost
    lag2 = lagrangian(
        rows, w, p, fixed=rules.fixed, region=rules.region, need=rules.need,
        penalty=penalty, upper=min(h_obj, cut), start=lag.lam,
        work=shares.work(SHARE_BOUND / 2, LAGRANGE_RATE), budget=budget,
    )  # fmt: skip
    shares.spent(lag2.work)
    if lag2.cut:
        budget.cut("the second p-median Lagrangian bound", "the best solution found before it")
        return run(late, open_h, h_obj, solver)
    if lag2.bound > lag.bound:
        lag = lag2
        bound = max(bound, _round_up(lag.bound, integral))
    if _closed(h_obj, bound):
        return run("optimal", open_h, h_obj, solver)
    if bound > cut + tol:
        return run("feasible", open_h, h_obj, solver)
    delta = 1.0 - 1e-3 if integral else 0.5 * MIP_REL_GAP * max(1.0, abs(h_obj))
    target = min(h_obj - delta, cut)
    state = np.where(rules.fixed, 1, 0).astype(np.int8)
    if rules.need.size == 0:
        closed, opened = fix_by_reduced_cost(lag, p, rules.fixed, target)
        state[closed] = -1
        state[opened & ~rules.fixed] = 1
        log.info(
            "p-median: reduced costs close %d and open %d of %d candidates",
            int(closed.sum()), int((opened & ~rules.fixed).sum()), state.size,
        )  # fmt: skip
        pr = probe(
            rows, w, p, state=state, region=rules.region, need=rules.need, penalty=penalty,
            lam=lag.lam, rho=lag.rho, target=target, upper=target + delta,
            work=shares.work(SHARE_PROBE, LAGRANGE_RATE), budget=budget,
        )  # fmt: skip
        shares.spent(pr.work)
        if pr.cut:
            budget.cut("the p-median probing", "the best solution found before it")
            return run(late, open_h, h_obj, solver)
        log.info(
            "p-median: %d probes close %d and open %d more; %s",
            pr.probes, int(((pr.state == -1) & (state != -1)).sum()),
            int(((pr.state == 1) & (state != 1)).sum()),
            "no solution is better" if pr.empty else f"{int((pr.state == 0).sum())} left free",
        )  # fmt: skip
        state = pr.state
        if pr.empty:  # every solution costs more than the target
            bound = max(bound, _round_up(target, integral))
            status = "optimal" if _closed(h_obj, bound) else "feasible"
            return run(status, open_h, h_obj, "lagrangian", impossible=target >= cut - tol)
    nfree = int((state == 0).sum())
    rm = None
    nr, nc = w.size, nfree  # the least the model can be: one row per demand row
    nodes = mip_plan(budget, SHARE_MIP * scale, nr, nc, nr + nfree, "radius")
    if nodes is not None:
        rm = radius_model(
            rows, w, p, state=state, region=rules.region, need=rules.need,
            penalty=penalty, start_open=open_h,
        )  # fmt: skip
        nr, nc = rm.model.shape
        nodes = mip_plan(budget, SHARE_MIP * scale, nr, nc, int(rm.model.A.nnz), "radius")
    best, best_obj = open_h, h_obj
    none = False  # proven that no solution reaches the cutoff
    if rules.need.size == 0:
        # Beasley's tree, then (when the MIP is skipped) the probing tree with the MIP's
        # share and the work the phases left
        for what, searcher in (("tree search", median_tree), ("probing tree", probe_tree)):
            if searcher is probe_tree and nodes is not None:
                break
            share = SHARE_TREE if searcher is median_tree else max(SHARE_MIP, shares.rest())
            tree = searcher(
                rows, w, p, state=state, penalty=penalty, incumbent=best,
                upper=min(best_obj, target + delta), lam=lag.lam, delta=delta,
                work=shares.work(share, LAGRANGE_RATE), budget=budget,
            )  # fmt: skip
            shares.spent(tree.work)
            if tree.cut:
                budget.cut(f"the p-median {what}", "the best solution found before it")
                return run(late, best, best_obj, solver)
            log.info(
                "p-median %s: %d nodes, %s, cost %.10g, bound %.10g", what, tree.nodes,
                "finished" if tree.finished else "stopped", tree.objective, tree.bound,
            )  # fmt: skip
            if tree.objective < best_obj - 1e-9 * max(1.0, abs(best_obj)):
                best = tree.open_mask
                best_obj = _cost(csr, w, pen, best)
            # solutions the fixing removed cost more than the target
            bound = max(bound, _round_up(min(tree.bound, target), integral))
            none = tree.finished and not reached(best_obj)
            if _closed(best_obj, bound) or reached(best_obj) or none:
                status = "optimal" if _closed(best_obj, bound) else "feasible"
                return run(status, best, best_obj, "lagrangian", impossible=none)
    if nodes is None:
        msg = (
            f"p-median: the exact model ({'' if rm is not None else 'at least '}{nr} rows, "
            f"{nc} columns after reductions) is too "
            f"large to solve within the {budget.time_limit_s:g} s limit; the best solution "
            "found and the Lagrangian bound are returned"
        )
        log.info(msg)
        budget.notes.append(msg)
        return run("time_limit", best, best_obj, solver)
    if rm is None or best is not open_h:  # start the MIP from the tree's better solution
        rm = radius_model(
            rows, w, p, state=state, region=rules.region, need=rules.need,
            penalty=penalty, start_open=best,
        )  # fmt: skip
    out = solve_mip(
        rm.model, solver=solver, time_limit_s=budget.left(), start=rm.start, node_limit=nodes
    )
    if out.clock:
        budget.cut(f"the exact solve ({solver})", "the best solution found before it")
        return run("time_limit", best, best_obj, solver, out.seconds)
    if out.x is not None:
        cand = state == 1
        cand[rm.free[out.x[: rm.free.size] > 0.5]] = True
        obj = _cost(csr, w, pen, cand)
        if obj < best_obj - 1e-9 * max(1.0, abs(best_obj)):
            best, best_obj = cand, obj
    if out.status == "optimal" and out.x is not None:
        mip_bound = min(out.objective, out.bound) if np.isfinite(out.bound) else out.objective
    elif out.status == "infeasible":
        mip_bound = math.inf
    else:
        mip_bound = out.bound if np.isfinite(out.bound) else -math.inf
    bound = max(bound, _round_up(min(mip_bound, target), integral))  # fixing removed > target
    # the MIP proved every solution above the cutoff (the fixing removed only such ones)
    none = none or (target >= cut - tol and mip_bound > cut + tol)
    if _closed(best_obj, bound):
        status = "optimal"
    elif out.status in ("optimal", "infeasible", "time_limit"):
        status = "time_limit"
    else:
        status = "feasible"
    return run(status, best, best_obj, solver, out.seconds, impossible=none)


def _integral(
    csr: sp.csr_matrix, w: NDArray[np.float64], pen: NDArray[np.float64], has_pen: bool
) -> bool:
    """True when every cost is a whole number (weights and costs whole, and penalties)."""
    whole = bool(np.all(w == np.round(w))) and bool(np.all(csr.data == np.round(csr.data)))
    if has_pen:
        whole = whole and bool(np.all(pen == np.round(pen)))
    return whole and float(w.sum()) * float(csr.data.max(initial=0.0)) < 2.0**50


def _round_up(bound: float, integral: bool) -> float:
    if not integral or not np.isfinite(bound):
        return bound
    return float(math.ceil(bound - 1e-9 * max(1.0, abs(bound))))


def _closed(objective: float, bound: float) -> bool:
    """Is the gap within the MIP tolerance?"""
    if not np.isfinite(bound):
        return False
    return objective - bound <= max(1e-6, MIP_REL_GAP * max(1.0, abs(objective)))

"""The cover models: LSCP (fewest sites for a coverage target), MCLP and capacitated MCLP.

Formulations and the solver choice are in :mod:`planner.analysis.siting`. Rows with the same
coverage are merged first. MCLP without floors or capacities is solved as the p-median it
is (a row costs 0 when covered, its weight when not;
:func:`~planner.analysis.siting._median_exact.solve_median`): greedy, fast interchange,
variable neighbourhood search, Lagrangian bound, reduced-cost fixing, tree search and the
MIP, after rows covered by fixed sites go and dominated candidates are dropped. MCLP with
group floors runs greedy + swap and the MIP; capacitated MCLP is in
:mod:`planner.analysis.siting._mclp_capacitated`; the LSCP drivers are in
:mod:`planner.analysis.siting._lscp`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner.analysis.siting import _cover_heuristics as heur
from planner.analysis.siting._budget import MOVE_RATE, Budget
from planner.analysis.siting._cover_reduce import dominated_columns
from planner.analysis.siting._inputs import (
    Regions,
    _as_csr,
    _capacity,
    _check_floors,
    _check_time,
    _Cover,
    _first,
    _groups,
    _reduce_cover,
    _Setup,
    _setup,
    _warn_uncoverable,
    _weights,
)
from planner.analysis.siting._lscp import droppable_columns, lscp_floors, lscp_full, lscp_target
from planner.analysis.siting._mclp_capacitated import mclp_capacitated
from planner.analysis.siting._median_exact import solve_median
from planner.analysis.siting._mip import MipModel
from planner.analysis.siting._result import (
    Run,
    SitingResult,
    SolverName,
    Status,
    _gap,
    _raise_if_infeasible,
    _run,
    _side_rows,
    _solver_name,
)
from planner.analysis.siting._rules import Rules
from planner.analysis.siting._verify import Spec, settle
from planner.analysis.siting._warm import warm_up
from planner.errors import InvalidValueError, SitingError

__all__ = ["lscp", "mclp"]

log = logging.getLogger(__name__)


def _cover_outputs(
    cov: sp.csr_matrix, open_orig: NDArray[np.bool_], w: NDArray[np.float64]
) -> tuple[NDArray[np.bool_], NDArray[np.int64], dict[int, float]]:
    sub = cov[:, np.flatnonzero(open_orig)]
    count = np.diff(sub.indptr)
    covered = count > 0
    sel = np.flatnonzero(open_orig)
    assignment = np.full(cov.shape[0], -1, dtype=np.int64)
    assignment[covered] = sel[sub.indices[sub.indptr[:-1][covered]]]
    once = count == 1
    why = {int(j): 0.0 for j in sel}
    owners = sel[sub.indices[sub.indptr[:-1][once]]]
    for j, v in zip(owners.tolist(), w[once].tolist(), strict=True):
        why[j] += v
    return covered, assignment, why


def _cover_result(
    model: str,
    cov: Any,
    w: NDArray[np.float64],
    open_cols: NDArray[np.int64],
    objective: float,
    bound: float,
    status: Status,
    solver_used: str,
    solve_s: float,
    h_obj: float,
    t_h: float,
    seconds: float,
) -> SitingResult:
    """The result of an uncapacitated cover model whose open columns are ``open_cols``."""
    open_orig = np.zeros(cov.shape[1], dtype=bool)
    open_orig[open_cols] = True
    covered, assignment, why = _cover_outputs(cov, open_orig, w)
    return SitingResult(
        model,
        np.flatnonzero(open_orig).astype(np.int64),
        objective,
        bound,
        _gap(objective, bound),
        status,
        solver_used,
        solve_s,
        h_obj,
        covered,
        covered.astype(np.float64),
        assignment,
        why,
        t_h,
        seconds,
    )


def mclp(
    coverage: Any,
    weights: ArrayLike | None,
    p: int,
    *,
    fixed: Sequence[int] | ArrayLike = (),
    excluded: Sequence[int] | ArrayLike = (),
    capacity: ArrayLike | None = None,
    groups: ArrayLike | None = None,
    floors: ArrayLike | None = None,
    regions: Regions | None = None,
    min_per_region: int = 1,
    time_limit_s: float = 60.0,
    solver: SolverName = "auto",
) -> SitingResult:
    """Maximal covering: open ``p`` sites covering the most demand weight.

    Parameters
    ----------
    coverage
        Demand × candidates boolean sparse matrix (:func:`coverage_matrix`).
    weights
        Demand weight per row (population); None: 1 each.
    p
        Number of sites to open, fixed sites included.
    fixed
        Candidate positions forced open (existing markets; append them as extra columns).
    excluded
        Candidate positions that must not open.
    capacity
        Weight each candidate can serve; demand is then assigned (splittably) within
        coverage and capacity, and ``served`` holds each row's served fraction.
    groups
        Demand × k weights of priority groups (older workers, hard-to-employ …).
    floors
        Per group, the fraction of its total weight that must be covered.
    regions
        Region labels; each required region gets at least ``min_per_region`` sites.
    min_per_region
        Sites per region.
    time_limit_s
        Seconds the whole call may take (heuristics, bounds and the MIP); each phase stops
        on a work limit sized from it, so the answer is the same on any machine
        (:mod:`planner.analysis.siting._budget`).
    solver
        ``"auto"``, ``"highs"``, ``"cbc"`` or ``"heuristic"`` (no bound, no MIP).

    Returns
    -------
    SitingResult
        ``objective`` is the covered weight.

    Raises
    ------
    SitingError
        ``p`` larger than the allowed candidates, a region without candidates, floors no
        choice of sites can reach, or no choice of ``p`` sites meeting all the rules.
    InvalidValueError
        Malformed matrices or parameters.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> cover = sp.csr_matrix(np.eye(3, dtype=bool))
    >>> mclp(cover, [1.0, 3.0, 2.0], 2).selected.tolist()
    [1, 2]
    """
    warm_up()  # kernels loaded before the clock starts
    budget = Budget(time_limit_s)
    cov = _as_csr(coverage, "coverage").astype(bool)
    n, m = cov.shape
    w = _weights(weights, n)
    g, floor_w = _groups(groups, floors, n)
    setup = _setup(
        m, n, w, fixed=fixed, excluded=excluded, regions=regions, min_per_region=min_per_region, p=p
    )
    cap = _capacity(capacity, m)
    key = "mclp" if cap is None else "mclp_capacitated"
    name = _solver_name(solver, key)
    _check_time(time_limit_s)
    red = _reduce_cover(cov, w, g, setup.keep)
    if g is not None and floor_w is not None:
        _check_floors(g, floor_w, red.coverable)
    _warn_uncoverable(red.coverable, w, "mclp")
    spec = Spec.from_setup(
        "mclp", -1, m, setup, p=p, weights=w, coverage=cov, groups=g, floor_w=floor_w,
        capacity=cap,
    )  # fmt: skip
    if cap is not None:
        return mclp_capacitated(cov, w, red, setup, cap, floor_w, p, name, budget, spec)
    if red.G is not None and floor_w is not None:
        run = _mclp_floors(red, setup, p, floor_w, name, budget)
    else:
        run = _mclp_median(red, setup, p, name, budget)
    _raise_if_infeasible_run(run, "mclp", p)

    def result(mask: NDArray[np.bool_], obj: float, bound: float, status: str, used: str,
               secs: float) -> SitingResult:  # fmt: skip
        return _cover_result(
            "mclp", cov, w, setup.keep[mask], obj, bound, status,  # type: ignore[arg-type]
            used, secs, run.h_obj, run.heuristic_seconds, budget.elapsed(),
        )  # fmt: skip

    res = result(run.open_best, run.objective, run.bound, run.status, run.solver,
                 run.solve_seconds)  # fmt: skip

    def fallback() -> SitingResult:
        return result(run.open_h, run.h_obj, math.nan, "heuristic", "heuristic", 0.0)

    return settle(spec, res, fallback=fallback, notes=budget.notes)


def _raise_if_infeasible_run(run: Run, model: str, p: int | None) -> None:
    if run.status == "infeasible" and not np.isfinite(run.h_obj):
        what = f"p = {p} sites" if p is not None else "sites"
        raise SitingError(
            f"{model}: no choice of {what} meets all the rules (fixed sites, region "
            "minimums, floors, capacities)",
            fix="raise p, lower floors or min_per_region, or add candidates",
        )


def _mclp_median(red: _Cover, setup: _Setup, p: int, name: str, budget: Budget) -> Run:
    """MCLP as a p-median on the rows fixed sites leave uncovered (see the module)."""
    A, W = red.A, red.W
    mk = setup.keep.size
    total = float(W.sum())
    by_fixed = np.diff(A[:, np.flatnonzero(setup.fixed)].indptr) > 0
    rows = np.flatnonzero(~by_fixed)
    sub = sp.csr_matrix(A[rows])
    drop = dominated_columns(sub, droppable_columns(setup))
    if int((~drop).sum()) < p:  # keep enough candidates to open p
        back = np.flatnonzero(drop)[: p - int((~drop).sum())]
        drop[back] = False
    cols = np.flatnonzero(~drop)
    sub = sp.csr_matrix(sub[:, cols])
    log.info(
        "mclp: %d rows covered by fixed sites, %d of %d candidates dominated",
        int(by_fixed.sum()), int(drop.sum()), mk,
    )  # fmt: skip
    rr = Rules(setup.fixed[cols], setup.region[cols], setup.need)
    Z = sp.csr_matrix((np.zeros(sub.nnz), sub.indices, sub.indptr), shape=sub.shape)
    Wr = W[rows]
    run = solve_median(Z, Wr, np.ones(rows.size), True, p, rr, solver=name, budget=budget)

    def full(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
        out = np.zeros(mk, dtype=bool)
        out[cols[mask]] = True
        return out

    covered = total - float(Wr.sum())  # rows the fixed sites cover
    bound = covered + float(Wr.sum()) - run.bound if np.isfinite(run.bound) else math.nan
    return Run(
        full(run.open_h), covered + float(Wr.sum()) - run.h_obj, full(run.open_best),
        covered + float(Wr.sum()) - run.objective, bound, run.status, run.solver,
        run.solve_seconds, run.heuristic_seconds,
    )  # fmt: skip


def _mclp_floors(
    red: _Cover, setup: _Setup, p: int, floor_w: NDArray[np.float64], name: str, budget: Budget
) -> Run:
    """MCLP with group floors: greedy, floor repair, swaps, then the MIP."""
    assert red.G is not None
    mk = setup.keep.size
    rules = setup.rules()
    csc = sp.csc_matrix(red.A)
    open_h, _ = heur.greedy_cover(csc, red.W, p, rules)
    open_h = heur.repair_floors(csc, red.W, open_h, rules, red.G, floor_w)
    swapped, done = heur.swap_cover(
        csc, red.W, open_h, rules, groups=red.G, floor_w=floor_w, budget=budget,
        max_swaps=max(1, budget.work(0.2, MOVE_RATE) // max(1, red.A.nnz + mk * p)),
    )  # fmt: skip
    if done:
        open_h = swapped
    else:
        budget.cut("the MCLP swap search", "the greedy solution")
    h_cov = np.diff(red.A[:, np.flatnonzero(open_h)].indptr) > 0
    h_ok = bool(np.all(red.G.T @ h_cov >= floor_w - 1e-9))
    h_obj = float(red.W[h_cov].sum()) if h_ok else math.nan
    t_h = budget.elapsed()
    if name == "heuristic":
        return Run(open_h, h_obj, open_h, h_obj, math.nan, "heuristic", "heuristic", 0.0, t_h)
    nr = red.A.shape[0]
    # columns: y (mk), x (nr); rows: x_r - Σ y ≤ 0, Σ y = p, regions, floors
    link = sp.hstack([-red.A, sp.identity(nr, format="csr")], format="csr")
    mats, lo, hi = _side_rows(setup, mk + nr, p)
    mats.append(
        sp.hstack([sp.csr_matrix((red.G.shape[1], mk)), sp.csr_matrix(red.G.T)], format="csr")
    )
    lo.append(floor_w)
    hi.append(np.full(floor_w.size, np.inf))
    mip = MipModel(
        c=np.concatenate([np.zeros(mk), -red.W]),
        A=sp.vstack([link, *mats], format="csr"),
        row_lo=np.concatenate([np.full(nr, -np.inf), *lo]),
        row_hi=np.concatenate([np.zeros(nr), *hi]),
        col_lo=np.concatenate([setup.fixed.astype(np.float64), np.zeros(nr)]),
        col_hi=np.ones(mk + nr),
        integer=np.concatenate([np.ones(mk, dtype=bool), np.zeros(nr, dtype=bool)]),
    )
    start = np.concatenate([open_h.astype(np.float64), h_cov.astype(np.float64)])
    out = _run(mip, solver=name, budget=budget, share=0.6, start=start if h_ok else None,
               what="mclp")  # fmt: skip
    assert out is not None
    _raise_if_infeasible(out, h_ok, "mclp", p)
    best, obj = open_h, h_obj
    if out.x is not None:
        cand = out.x[:mk] > 0.5
        got = float(red.W[np.diff(red.A[:, np.flatnonzero(cand)].indptr) > 0].sum())
        if not h_ok or got >= h_obj - 1e-9:
            best, obj = cand, got
    bound = -out.bound if np.isfinite(out.bound) else math.nan
    if out.status == "optimal" and out.x is not None:
        status = "optimal"
    elif out.status == "infeasible":
        status = "infeasible"
    else:
        status = "feasible" if out.status == "error" else "time_limit"
    return Run(open_h, h_obj, best, obj, bound, status, name, out.seconds, t_h)


def lscp(
    coverage: Any,
    *,
    target: float = 1.0,
    target_of: Literal["coverable", "total"] = "coverable",
    weights: ArrayLike | None = None,
    fixed: Sequence[int] | ArrayLike = (),
    excluded: Sequence[int] | ArrayLike = (),
    groups: ArrayLike | None = None,
    floors: ArrayLike | None = None,
    regions: Regions | None = None,
    min_per_region: int = 1,
    time_limit_s: float = 60.0,
    solver: SolverName = "auto",
) -> SitingResult:
    """Location set covering: the fewest sites covering a target share of demand.

    Parameters
    ----------
    coverage
        Demand × candidates boolean sparse matrix (:func:`coverage_matrix`).
    target
        Fraction of weighted demand to cover; 1.0 with ``target_of="coverable"`` covers
        every demand row that some allowed candidate covers.
    target_of
        ``"coverable"``: ``target`` is a fraction of the demand some allowed candidate
        covers (uncovered rows are counted and logged); ``"total"``: of all demand, and a
        target above the coverable share is an error naming the uncoverable rows.
    weights
        Demand weight per row (default 1 each).
    fixed, excluded, groups, floors, regions, min_per_region
        As in :func:`mclp`.
    time_limit_s
        Seconds the whole call may take, as in :func:`mclp`.
    solver
        ``"auto"``, ``"highs"``, ``"cbc"`` or ``"heuristic"``.

    Returns
    -------
    SitingResult
        ``objective`` is the number of sites.

    Raises
    ------
    SitingError
        A target or floor no set of candidates can reach (naming the demand rows no
        candidate covers), a region without candidates.
    InvalidValueError
        Malformed matrices or parameters.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> cover = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0], [0, 1, 1]], dtype=bool))
    >>> lscp(cover).selected.tolist()
    [1]
    """
    warm_up()  # kernels loaded before the clock starts
    budget = Budget(time_limit_s)
    cov = _as_csr(coverage, "coverage").astype(bool)
    n, m = cov.shape
    w = _weights(weights, n)
    g, floor_w = _groups(groups, floors, n)
    if not (0 < target <= 1):
        raise InvalidValueError(
            f"target is {target}; it must be a fraction in (0, 1]",
            fix="pass e.g. target=0.95 to cover 95 % of demand",
        )
    if target_of not in ("coverable", "total"):
        raise InvalidValueError(f"target_of is {target_of!r}", fix="pass 'coverable' or 'total'")
    setup = _setup(
        m, n, w, fixed=fixed, excluded=excluded, regions=regions, min_per_region=min_per_region,
        p=None,
    )  # fmt: skip
    name = _solver_name(solver, "lscp")
    _check_time(time_limit_s)
    red = _reduce_cover(cov, w, g, setup.keep)
    if g is not None and floor_w is not None:
        _check_floors(g, floor_w, red.coverable)
    reach = float(w[red.coverable].sum())
    total = float(w.sum())
    if target_of == "total":
        target_w = target * total
        if target_w > reach * (1 + 1e-12):
            rows = np.flatnonzero(~red.coverable & (w > 0))
            raise SitingError(
                f"target {target:.2%} of demand cannot be reached: no allowed candidate "
                f"covers {rows.size} demand rows (weight {w[rows].sum():.6g}; rows "
                f"{_first(rows)}), so at most {reach / total:.2%} can be covered",
                fix=f"lower target to <= {reach / total:.4f}, pass target_of='coverable', "
                "or add candidates near those rows",
            )
    else:
        target_w = target * reach
        _warn_uncoverable(red.coverable, w, "lscp")
    full = target_w >= reach * (1 - 1e-12)
    if red.G is not None:
        run = lscp_floors(red, setup, target_w, full, floor_w, name, budget)
    elif full:
        run = lscp_full(red.A, setup, name, budget)
    else:
        run = lscp_target(red.A, red.W, target_w, setup, name, budget)
    # a solver's vector may open sites the target does not need: close them
    csc = sp.csc_matrix(red.A)

    def trim(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
        return heur.drop_redundant(
            csc, red.W, mask, setup.rules(), target_w=None if full else target_w,
            groups=red.G, floor_w=floor_w,
        )  # fmt: skip

    best = trim(run.open_best)
    open_h = trim(run.open_h)
    h_obj = float(open_h.sum())
    objective = float(best.sum())
    bound = run.bound
    if np.isfinite(bound):
        bound = float(np.ceil(bound - 1e-6))  # a count of sites
    status = run.status
    if status in ("time_limit", "feasible") and np.isfinite(bound) and objective <= bound:
        status = "optimal"
    spec = Spec.from_setup(
        "lscp", 1, m, setup, p=None, weights=w, coverage=cov,
        target_w=None if full else target_w, coverable=red.coverable, groups=g,
        floor_w=floor_w,
    )  # fmt: skip
    res = _cover_result(
        "lscp", cov, w, setup.keep[best], objective, bound, status,  # type: ignore[arg-type]
        run.solver, run.solve_seconds, h_obj, run.heuristic_seconds, budget.elapsed(),
    )  # fmt: skip

    def fallback() -> SitingResult:
        return _cover_result(
            "lscp", cov, w, setup.keep[open_h], h_obj, np.nan, "heuristic", "heuristic", 0.0,
            h_obj, run.heuristic_seconds, budget.elapsed(),
        )  # fmt: skip

    return settle(spec, res, fallback=fallback, notes=budget.notes)

"""The cover models: LSCP (fewest sites for a coverage target), MCLP and capacitated MCLP.

Formulations and the solver choice are in :mod:`planner.analysis.siting`. Each model runs
its greedy heuristics first (:mod:`planner.analysis.siting._cover_heuristics`; for LSCP
covering every row also the exact reductions and local search of
:mod:`planner.analysis.siting._set_cover`), then the MIP on the reduced problem.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner.analysis.siting import _cover_heuristics as heur
from planner.analysis.siting import _set_cover as setcover
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
from planner.analysis.siting._mip import MipModel, MipOutcome, solve_mip
from planner.analysis.siting._result import (
    SitingResult,
    SolverName,
    Status,
    _finish,
    _gap,
    _raise_if_infeasible,
    _run,
    _side_rows,
    _solver_name,
)
from planner.analysis.siting._rules import Rules, lazy_pick, safety_cap
from planner.analysis.siting._verify import Spec, settle
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
    t0: float,
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
        time.perf_counter() - t0,
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
        Limit of the exact solve, seconds.
    solver
        ``"auto"``, ``"highs"``, ``"cbc"`` or ``"heuristic"`` (greedy + swap only).

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
    t0 = time.perf_counter()
    notes: list[str] = []
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
    mk = setup.keep.size
    rules = setup.rules()
    csc = sp.csc_matrix(red.A)
    if cap is None:
        open_h, _ = heur.greedy_cover(csc, red.W, p, rules)
        if red.G is not None and floor_w is not None:
            open_h = heur.repair_floors(csc, red.W, open_h, rules, red.G, floor_w)
        open_h = heur.swap_cover(
            csc,
            red.W,
            open_h,
            rules,
            groups=red.G,
            floor_w=floor_w,
            time_limit_s=safety_cap(time_limit_s),
            notes=notes,
        )
        h_cov = np.diff(red.A[:, np.flatnonzero(open_h)].indptr) > 0
        h_ok = red.G is None or floor_w is None or bool(np.all(red.G.T @ h_cov >= floor_w - 1e-9))
        h_obj = float(red.W[h_cov].sum())
        t_h = time.perf_counter() - t0
        nr = red.A.shape[0]
        # columns: y (mk), x (nr); rows: x_r - Σ y ≤ 0, Σ y = p, regions, floors
        link = sp.hstack([-red.A, sp.identity(nr, format="csr")], format="csr")
        mats, lo, hi = _side_rows(setup, mk + nr, p)
        if red.G is not None and floor_w is not None:
            mats.append(
                sp.hstack(
                    [sp.csr_matrix((red.G.shape[1], mk)), sp.csr_matrix(red.G.T)], format="csr"
                )
            )
            lo.append(floor_w)
            hi.append(np.full(floor_w.size, np.inf))
        A = sp.vstack([link, *mats], format="csr")
        mip = MipModel(
            c=np.concatenate([np.zeros(mk), -red.W]),
            A=A,
            row_lo=np.concatenate([np.full(nr, -np.inf), *lo]),
            row_hi=np.concatenate([np.zeros(nr), *hi]),
            col_lo=np.concatenate([setup.fixed.astype(np.float64), np.zeros(nr)]),
            col_hi=np.ones(mk + nr),
            integer=np.concatenate([np.ones(mk, dtype=bool), np.zeros(nr, dtype=bool)]),
        )
        start = np.concatenate([open_h.astype(np.float64), h_cov.astype(np.float64)])
        out = _run(mip, solver=name, time_limit_s=time_limit_s, start=start if h_ok else None)
        open_red = open_h
        mip_obj = float("nan")
        if out is not None and out.x is not None:
            open_red = out.x[:mk] > 0.5
            mip_obj = float(red.W[np.diff(red.A[:, np.flatnonzero(open_red)].indptr) > 0].sum())
        use_mip = out is not None and out.x is not None and (not h_ok or mip_obj >= h_obj - 1e-9)
        if not use_mip:
            open_red = open_h
        _raise_if_infeasible(out, h_ok, "mclp", p)
        objective, bound, status, solver_used, solve_s = _finish(
            model="mclp",
            sense=-1,
            outcome=out,
            mip_objective=mip_obj,
            heuristic_objective=h_obj,
            use_mip=use_mip,
            solver=name,
        )
        spec = Spec.from_setup(
            "mclp", -1, m, setup, p=p, weights=w, coverage=cov, groups=g, floor_w=floor_w
        )
        res = _cover_result(
            "mclp",
            cov,
            w,
            setup.keep[open_red],
            objective,
            bound,
            status,
            solver_used,
            solve_s,
            h_obj,
            t_h,
            t0,
        )
        keep_h = setup.keep[open_h]

        def heuristic_result() -> SitingResult:
            return _cover_result(
                "mclp", cov, w, keep_h, h_obj, np.nan, "heuristic", "heuristic", 0.0,
                h_obj, t_h, t0,
            )  # fmt: skip

        return settle(
            spec, res, fallback=heuristic_result if use_mip and h_ok else None, notes=notes
        )
    spec = Spec.from_setup(
        "mclp", -1, m, setup, p=p, weights=w, coverage=cov, groups=g, floor_w=floor_w,
        capacity=cap,
    )  # fmt: skip
    return _mclp_capacitated(cov, w, red, setup, cap, floor_w, p, name, time_limit_s, t0, spec)


def _mclp_capacitated(
    cov: sp.csr_matrix,
    w: NDArray[np.float64],
    red: _Cover,
    setup: _Setup,
    cap_all: NDArray[np.float64],
    floor_w: NDArray[np.float64] | None,
    p: int,
    name: str,
    time_limit_s: float,
    t0: float,
    spec: Spec,
) -> SitingResult:
    mk = setup.keep.size
    cap = cap_all[setup.keep]
    A = red.A
    nr = A.shape[0]
    rows = np.repeat(np.arange(nr), np.diff(A.indptr))
    cols = A.indices.astype(np.int64)
    ne = rows.size
    # heuristic: lazy greedy on min(C_k, residual weight covered by k), then an exact LP
    csc = sp.csc_matrix(A)
    resid = red.W.copy()
    open_h = setup.fixed.copy()

    def gain(j: int) -> float:
        rr = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        return float(min(cap[j], resid[rr].sum()))

    def take(j: int) -> None:
        rr = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        left = cap[j]
        for r in rr[np.argsort(np.diff(A.indptr)[rr], kind="stable")].tolist():
            if left <= 0:
                break
            d = min(left, resid[r])
            resid[r] -= d
            left -= d
        open_h[j] = True

    for j in np.flatnonzero(open_h):
        take(int(j))
    rules = setup.rules()
    for r in np.flatnonzero(rules.deficits(open_h)):
        pool = np.flatnonzero((setup.region == r) & ~open_h)
        lazy_pick(
            gain, pool, np.array([gain(int(j)) for j in pool]), int(rules.deficits(open_h)[r]), take
        )
    rest = np.flatnonzero(~open_h)
    lazy_pick(gain, rest, np.array([gain(int(j)) for j in rest]), p - int(open_h.sum()), take)

    def build(fix_open: NDArray[np.bool_] | None) -> MipModel:
        # columns: y (mk), z (ne); rows: Σ_j z ≤ 1, Σ_i W z - C y ≤ 0, z - y ≤ 0, p, regions,
        # floors
        e = np.arange(ne)
        R1 = sp.csr_matrix((np.ones(ne), (rows, mk + e)), shape=(nr, mk + ne))
        R2 = sp.csr_matrix(
            (
                np.concatenate([red.W[rows], -cap]),
                (np.concatenate([cols, np.arange(mk)]), np.concatenate([mk + e, np.arange(mk)])),
            ),
            shape=(mk, mk + ne),
        )
        R3 = sp.csr_matrix(
            (
                np.concatenate([np.ones(ne), -np.ones(ne)]),
                (np.concatenate([e, e]), np.concatenate([mk + e, cols])),
            ),
            shape=(ne, mk + ne),
        )
        mats, lo, hi = _side_rows(setup, mk + ne, p)
        if red.G is not None and floor_w is not None:
            k = red.G.shape[1]
            gz = red.G[rows]  # ne × k
            mats.append(
                sp.csr_matrix(
                    (gz.T.ravel(), (np.repeat(np.arange(k), ne), np.tile(mk + e, k))),
                    shape=(k, mk + ne),
                )
            )
            lo.append(floor_w)
            hi.append(np.full(k, np.inf))
        col_lo = np.concatenate([setup.fixed.astype(np.float64), np.zeros(ne)])
        col_hi = np.ones(mk + ne)
        if fix_open is not None:
            col_lo[:mk] = fix_open
            col_hi[:mk] = fix_open
        return MipModel(
            c=np.concatenate([np.zeros(mk), -red.W[rows]]),
            A=sp.vstack([R1, R2, R3, *mats], format="csr"),
            row_lo=np.concatenate([np.full(nr + mk + ne, -np.inf), *lo]),
            row_hi=np.concatenate([np.ones(nr), np.zeros(mk + ne), *hi]),
            col_lo=col_lo,
            col_hi=col_hi,
            integer=np.concatenate([np.ones(mk, dtype=bool), np.zeros(ne, dtype=bool)]),
        )

    lp = solve_mip(build(open_h.astype(np.float64)), solver="highs", time_limit_s=time_limit_s)
    h_ok = lp.x is not None and lp.status == "optimal"
    h_obj = -lp.objective if h_ok else float("nan")
    t_h = time.perf_counter() - t0
    out = _run(build(None), solver=name, time_limit_s=time_limit_s, start=lp.x if h_ok else None)
    use_mip = out is not None and out.x is not None and (not h_ok or -out.objective >= h_obj - 1e-9)
    x = out.x if (use_mip and out is not None) else (lp.x if h_ok else None)
    _raise_if_infeasible(out, h_ok, "mclp", p)
    mip_obj = -out.objective if use_mip and out is not None else float("nan")
    objective, bound, status, solver_used, solve_s = _finish(
        model="mclp",
        sense=-1,
        outcome=out,
        mip_objective=mip_obj,
        heuristic_objective=h_obj,
        use_mip=use_mip,
        solver=name,
    )
    m = cov.shape[1]

    def result_of(
        x: NDArray[np.float64] | None,
        objective: float,
        bound: float,
        status: Status,
        solver_used: str,
        solve_s: float,
    ) -> SitingResult:
        open_red = x[:mk] > 0.5 if x is not None else open_h
        open_orig = np.zeros(m, dtype=bool)
        open_orig[setup.keep[open_red]] = True
        served_red = np.zeros(nr)
        main = np.zeros(nr, dtype=np.int64) - 1
        if x is not None:
            z = x[mk:]
            np.add.at(served_red, rows, z)
            order = np.lexsort((-z, rows))
            first = order[np.r_[0, np.flatnonzero(np.diff(rows[order])) + 1]] if ne else order
            main[rows[first]] = np.where(z[first] > 1e-9, setup.keep[cols[first]], -1)
        served = np.where(red.inverse >= 0, served_red[np.maximum(red.inverse, 0)], 0.0)
        served = np.clip(served, 0.0, 1.0)
        assignment = np.where(red.inverse >= 0, main[np.maximum(red.inverse, 0)], -1)
        _, _, why = _cover_outputs(cov, open_orig, w)
        shares = None
        if x is not None:
            Zr = sp.csr_matrix((x[mk:], (rows, cols)), shape=(nr, mk))
            idx = np.flatnonzero(red.inverse >= 0)
            P = sp.csr_matrix(
                (np.ones(idx.size), (idx, red.inverse[idx])), shape=(cov.shape[0], nr)
            )
            K = sp.csr_matrix((np.ones(mk), (np.arange(mk), setup.keep)), shape=(mk, m))
            shares = sp.csr_matrix(P @ Zr @ K)
            shares.eliminate_zeros()
        return SitingResult(
            "mclp",
            np.flatnonzero(open_orig).astype(np.int64),
            objective,
            bound,
            _gap(objective, bound),
            status,
            solver_used,
            solve_s,
            h_obj,
            served > 1e-9,
            served,
            assignment.astype(np.int64),
            why,
            t_h,
            time.perf_counter() - t0,
            shares,
        )

    res = result_of(x, objective, bound, status, solver_used, solve_s)

    def heuristic_result() -> SitingResult:
        return result_of(lp.x, h_obj, np.nan, "heuristic", "heuristic", 0.0)

    return settle(spec, res, fallback=heuristic_result if use_mip and h_ok else None)


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
        Limit of the exact solve, seconds.
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
    t0 = time.perf_counter()
    notes: list[str] = []
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
        m,
        n,
        w,
        fixed=fixed,
        excluded=excluded,
        regions=regions,
        min_per_region=min_per_region,
        p=None,
    )
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
    if full and red.G is None:
        open_red, open_h, h_obj, out, t_h, low = _lscp_full(
            red.A, setup, name, time_limit_s, t0, notes
        )
        use_mip = out is not None and out.x is not None
    else:
        low = 0.0
        open_red, open_h, h_obj, out, t_h, use_mip = _lscp_partial(
            red, setup, target_w, full, floor_w, name, time_limit_s, t0
        )
    # a solver's vector may open sites the target does not need: close them
    open_red = heur.drop_redundant(
        sp.csc_matrix(red.A),
        red.W,
        open_red,
        setup.rules(),
        target_w=None if full else target_w,
        groups=red.G,
        floor_w=floor_w,
    )
    mip_obj = float(open_red.sum())
    if not use_mip:  # the heuristic's own cover, now without redundant sites
        open_h, h_obj = open_red, mip_obj
    objective, bound, status, solver_used, solve_s = _finish(
        model="lscp",
        sense=1,
        outcome=out,
        mip_objective=mip_obj,
        heuristic_objective=h_obj,
        use_mip=use_mip,
        solver=name,
    )
    if out is not None or (name != "heuristic" and low >= objective):
        bound = max(bound, low) if np.isfinite(bound) else low
        solver_used = name
        if objective <= bound + 1e-9:  # proven by the reductions or the bound
            status = "optimal"
    if np.isfinite(bound):
        bound = float(np.ceil(bound - 1e-6))  # a count of sites
    spec = Spec.from_setup(
        "lscp",
        1,
        m,
        setup,
        p=None,
        weights=w,
        coverage=cov,
        target_w=None if full else target_w,
        coverable=red.coverable,
        groups=g,
        floor_w=floor_w,
    )
    res = _cover_result(
        "lscp",
        cov,
        w,
        setup.keep[open_red],
        objective,
        bound,
        status,
        solver_used,
        solve_s,
        h_obj,
        t_h,
        t0,
    )
    keep_h = setup.keep[open_h]

    def fallback() -> SitingResult:
        return _cover_result(
            "lscp", cov, w, keep_h, h_obj, np.nan, "heuristic", "heuristic", 0.0, h_obj, t_h, t0
        )

    return settle(spec, res, fallback=fallback if use_mip else None, notes=notes)


def _lscp_full(
    A: sp.csr_matrix,
    setup: _Setup,
    name: str,
    time_limit_s: float,
    t0: float,
    notes: list[str],
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], float, MipOutcome | None, float, float]:
    """Cover every row: reductions, greedy + local search on the core, then the core MIP.

    Returns the open mask (allowed candidates), the heuristic's mask and count, the MIP outcome
    (None when skipped), the heuristic seconds and a lower bound from the reductions
    (opened columns + rows of the core no two of which share a column).
    """
    mk = setup.keep.size
    rules = setup.rules()
    droppable = setup.region < 0  # region minimums may need dominated columns
    alive, state = setcover.reduce_set_cover(A, rules, droppable=droppable)
    forced = state == 1
    cols = np.flatnonzero(state == 0)
    core = sp.csr_matrix(A[np.flatnonzero(alive)][:, cols])
    have = rules.region_counts(forced)
    rc = Rules(
        np.zeros(cols.size, dtype=bool), setup.region[cols], np.maximum(setup.need - have, 0)
    )
    log.info(
        "lscp: reductions left %d of %d rows and %d of %d candidates (%d opened, %d dropped)",
        core.shape[0],
        A.shape[0],
        cols.size,
        mk,
        int(forced.sum()),
        int((state == -1).sum()),
    )
    nr = core.shape[0]
    g = heur.lscp_greedy(sp.csc_matrix(core), np.ones(nr), float(nr), rc, full=True)
    g = setcover.lscp_local_search(core, g, rc, time_limit_s=safety_cap(time_limit_s), notes=notes)
    open_h = forced.copy()
    open_h[cols[g]] = True
    h_obj = float(open_h.sum())
    low = float(forced.sum()) + float(setcover.disjoint_rows(core))
    low = max(low, float(forced.sum() + rc.need.sum()))
    t_h = time.perf_counter() - t0
    if name == "heuristic" or h_obj <= low or cols.size == 0:
        return open_h, open_h, h_obj, None, t_h, low
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
    out = _run(mip, solver=name, time_limit_s=time_limit_s, start=g.astype(np.float64))
    if out is not None and out.x is not None and out.objective < h_obj - 0.5:
        open_m = forced.copy()
        open_m[cols[out.x > 0.5]] = True
        return open_m, open_h, h_obj, out, t_h, low
    if out is not None:  # keep the heuristic cover; the outcome still gives the bound
        out = MipOutcome(None, out.objective, out.bound, out.status, out.solver, out.seconds)
    return open_h, open_h, h_obj, out, t_h, low


def _lscp_partial(
    red: _Cover,
    setup: _Setup,
    target_w: float,
    full: bool,
    floor_w: NDArray[np.float64] | None,
    name: str,
    time_limit_s: float,
    t0: float,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], float, MipOutcome | None, float, bool]:
    """A weight target or group floors: greedy, then the MIP with coverage variables."""
    mk = setup.keep.size
    nr = red.A.shape[0]
    rules = setup.rules()
    csc = sp.csc_matrix(red.A)
    open_h = heur.lscp_greedy(csc, red.W, target_w, rules, full=full, groups=red.G, floor_w=floor_w)
    h_cov = np.diff(red.A[:, np.flatnonzero(open_h)].indptr) > 0
    h_obj = float(open_h.sum())
    t_h = time.perf_counter() - t0
    mats, lo, hi = _side_rows(setup, mk + nr, None)
    link = sp.hstack([-red.A, sp.identity(nr, format="csr")], format="csr")
    tgt = sp.csr_matrix(np.concatenate([np.zeros(mk), red.W])[None, :])
    extra = [tgt]
    elo = [np.array([target_w * (1 - 1e-12)])]
    ehi = [np.array([np.inf])]
    if red.G is not None and floor_w is not None:
        extra.append(
            sp.hstack([sp.csr_matrix((red.G.shape[1], mk)), sp.csr_matrix(red.G.T)], format="csr")
        )
        elo.append(floor_w * (1 - 1e-12))
        ehi.append(np.full(floor_w.size, np.inf))
    A = sp.vstack([link, *extra, *mats], format="csr")
    mip = MipModel(
        c=np.concatenate([np.ones(mk), np.zeros(nr)]),
        A=A,
        row_lo=np.concatenate([np.full(nr, -np.inf), *elo, *lo]),
        row_hi=np.concatenate([np.zeros(nr), *ehi, *hi]),
        col_lo=np.concatenate(
            [setup.fixed.astype(np.float64), np.ones(nr) if full else np.zeros(nr)]
        ),
        col_hi=np.ones(mk + nr),
        integer=np.concatenate([np.ones(mk, dtype=bool), np.zeros(nr, dtype=bool)]),
    )
    start = np.concatenate([open_h.astype(np.float64), h_cov.astype(np.float64)])
    out = _run(mip, solver=name, time_limit_s=time_limit_s, start=start)
    use_mip = out is not None and out.x is not None and float((out.x[:mk] > 0.5).sum()) <= h_obj
    open_red = out.x[:mk] > 0.5 if (use_mip and out is not None and out.x is not None) else open_h
    return open_red, open_h, h_obj, out, t_h, use_mip

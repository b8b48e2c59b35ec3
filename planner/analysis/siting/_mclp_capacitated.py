"""The capacitated MCLP: demand assigned (splittably) within coverage and capacities.

The heuristic opens sites by lazy greedy on ``min(C_k, weight k still covers)`` and assigns
demand by the LP over them (sites fixed); the MIP (``z_ij`` on the covered pairs,
``Σ_i w_i z_ij <= C_j y_j``) starts from that solution, with a node limit sized from
``time_limit_s`` (:mod:`._budget`). Dominated candidates are not removed: with capacities a
subset column is not worse.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.analysis.siting._budget import Budget
from planner.analysis.siting._inputs import _Cover, _Setup
from planner.analysis.siting._mip import MipModel, solve_mip
from planner.analysis.siting._result import (
    SitingResult,
    Status,
    _finish,
    _gap,
    _raise_if_infeasible,
    _run,
    _side_rows,
)
from planner.analysis.siting._rules import lazy_pick
from planner.analysis.siting._verify import Spec, settle

__all__ = ["mclp_capacitated"]


def _cover_why(
    cov: sp.csr_matrix, open_orig: NDArray[np.bool_], w: NDArray[np.float64]
) -> dict[int, float]:
    """Per open site, the weight only it covers."""
    sub = cov[:, np.flatnonzero(open_orig)]
    count = np.diff(sub.indptr)
    sel = np.flatnonzero(open_orig)
    once = count == 1
    why = {int(j): 0.0 for j in sel}
    owners = sel[sub.indices[sub.indptr[:-1][once]]]
    for j, v in zip(owners.tolist(), w[once].tolist(), strict=True):
        why[j] += v
    return why


def mclp_capacitated(
    cov: sp.csr_matrix,
    w: NDArray[np.float64],
    red: _Cover,
    setup: _Setup,
    cap_all: NDArray[np.float64],
    floor_w: NDArray[np.float64] | None,
    p: int,
    name: str,
    budget: Budget,
    spec: Spec,
) -> SitingResult:
    """Capacitated MCLP on the reduced cover problem ``red`` (see the module)."""
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

    lp = solve_mip(
        build(open_h.astype(np.float64)), solver="highs", time_limit_s=max(budget.left(), 1.0)
    )
    h_ok = lp.x is not None and lp.status == "optimal" and not lp.clock
    h_obj = -lp.objective if h_ok else float("nan")
    t_h = budget.elapsed()
    out = _run(
        build(None),
        solver=name,
        budget=budget,
        share=0.6,
        start=lp.x if h_ok else None,
        what="capacitated mclp",
    )
    # the solver's answer unless it is worse than the heuristic's (beyond the MIP tolerance)
    slack = 1e-6 * max(1.0, abs(h_obj)) if h_ok else 0.0
    use_mip = (
        out is not None and out.x is not None and (not h_ok or -out.objective >= h_obj - slack)
    )
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
        why = _cover_why(cov, open_orig, w)
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
            budget.elapsed(),
            shares,
        )

    res = result_of(x, objective, bound, status, solver_used, solve_s)

    def heuristic_result() -> SitingResult:
        return result_of(lp.x, h_obj, np.nan, "heuristic", "heuristic", 0.0)

    return settle(
        spec, res, fallback=heuristic_result if use_mip and h_ok else None, notes=budget.notes
    )

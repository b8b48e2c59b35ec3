"""The capacitated p-median: splittable assignment within capacities (classic formulation).

The heuristic opens the uncapacitated greedy + fast-interchange sites and assigns demand by
the transport LP over them; the MIP is the classic formulation (``x_ij`` on the stored
pairs, ``Σ_i w_i x_ij <= C_j y_j``) started from that solution, with a node limit sized from
``time_limit_s``. The Lagrangian bound of the uncapacitated problem (capacities relaxed) is
a valid bound too.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.analysis.siting import _median_heuristics as heur
from planner.analysis.siting._budget import LAGRANGE_RATE, MOVE_RATE, Budget, mip_plan
from planner.analysis.siting._inputs import _Setup
from planner.analysis.siting._median_bound import lagrangian, sorted_rows
from planner.analysis.siting._median_search import MedianSearch
from planner.analysis.siting._mip import MipModel, MipOutcome, solve_mip
from planner.analysis.siting._result import SitingResult, Status, _finish, _gap, _side_rows
from planner.analysis.siting._verify import Spec, settle
from planner.errors import SitingError

__all__ = ["solve_capacitated"]


def solve_capacitated(
    A: sp.csr_matrix,
    w: NDArray[np.float64],
    pen: NDArray[np.float64],
    use_u: bool,
    cap: NDArray[np.float64],
    setup: _Setup,
    p: int,
    *,
    name: str,
    budget: Budget,
    spec: Spec,
) -> SitingResult:
    """The capacitated p-median on all rows × allowed candidates (``A``); see the module."""
    n, mk = A.shape
    m = spec.allowed.size
    keep = setup.keep
    rules = setup.rules()
    active = w > 0
    act = np.flatnonzero(active)
    open_g, _ = heur.greedy_median(sp.csc_matrix(A), A, w, pen, p, rules)
    search = MedianSearch(sp.csr_matrix(A[act]), w[act], pen[act], open_g, rules)
    open_h = search.open_mask if search.descend(budget.work(0.1, MOVE_RATE), budget) else open_g
    if not np.array_equal(open_h, search.open_mask):
        budget.cut("the p-median local search", "the greedy solution")
    rows_all = np.repeat(np.arange(n), np.diff(A.indptr))
    sel_nz = active[rows_all]
    er = rows_all[sel_nz]
    ec = A.indices[sel_nz].astype(np.int64)
    ed = A.data[sel_nz]
    ne = er.size
    ri = np.full(n, -1, dtype=np.int64)
    ri[act] = np.arange(act.size)
    na = act.size
    nu = na if use_u else 0

    def build(fix_open: NDArray[np.float64] | None) -> MipModel:
        e = np.arange(ne)
        ncol = mk + ne + nu
        assign = sp.csr_matrix(
            (
                np.ones(ne + nu),
                (
                    np.concatenate([ri[er], np.arange(nu)]),
                    np.concatenate([mk + e, mk + ne + np.arange(nu)]),
                ),
            ),
            shape=(na, ncol),
        )
        link = sp.csr_matrix(
            (
                np.concatenate([np.ones(ne), -np.ones(ne)]),
                (np.concatenate([e, e]), np.concatenate([mk + e, ec])),
            ),
            shape=(ne, ncol),
        )
        load = sp.csr_matrix(
            (
                np.concatenate([w[er], -cap]),
                (np.concatenate([ec, np.arange(mk)]), np.concatenate([mk + e, np.arange(mk)])),
            ),
            shape=(mk, ncol),
        )
        mats, slo, shi = _side_rows(setup, ncol, p)
        col_lo = np.concatenate([setup.fixed.astype(np.float64), np.zeros(ne + nu)])
        col_hi = np.ones(ncol)
        if fix_open is not None:
            col_lo[:mk] = fix_open
            col_hi[:mk] = fix_open
        return MipModel(
            c=np.concatenate(
                [np.zeros(mk), w[er] * ed, w[act] * pen[act] if use_u else np.zeros(0)]
            ),
            A=sp.vstack([assign, link, load, *mats], format="csr"),
            row_lo=np.concatenate([np.ones(na), np.full(ne + mk, -np.inf), *slo]),
            row_hi=np.concatenate([np.ones(na), np.zeros(ne + mk), *shi]),
            col_lo=col_lo,
            col_hi=col_hi,
            integer=np.concatenate([np.ones(mk, dtype=bool), np.zeros(ne + nu, dtype=bool)]),
        )

    lp = solve_mip(
        build(open_h.astype(np.float64)), solver="highs", time_limit_s=max(budget.left(), 1.0)
    )
    h_ok = lp.x is not None and lp.status == "optimal" and not lp.clock
    h_obj = lp.objective if h_ok else float("nan")
    h_x = lp.x if h_ok else None
    low = -math.inf
    if name != "heuristic" and h_ok:
        _, d1, _ = heur.median_state(A, w, pen, open_h)
        low = lagrangian(
            sorted_rows(sp.csr_matrix(A[act])), w[act], p, fixed=setup.fixed,
            region=setup.region, need=setup.need, penalty=pen[act] if use_u else None,
            upper=h_obj, start=(w * d1)[act], work=budget.work(0.08, LAGRANGE_RATE),
        ).bound  # fmt: skip
    t_h = budget.elapsed()
    out: MipOutcome | None = None
    if name != "heuristic":
        model = build(None)
        nodes = mip_plan(budget, 0.5, *model.shape, int(model.A.nnz))
        if nodes is None:
            budget.notes.append(
                f"p_median: the capacitated model ({model.shape[0]} rows) is too large to "
                f"solve within the {budget.time_limit_s:g} s limit; the heuristic is returned"
            )
            out = MipOutcome(None, math.nan, -math.inf, "time_limit", name, 0.0)
        else:
            out = solve_mip(
                model, solver=name, time_limit_s=budget.left(),
                start=h_x if h_ok else None, node_limit=nodes,
            )  # fmt: skip
            if out.clock:
                budget.cut(f"the exact solve ({name})", "the heuristic solution")
                out = MipOutcome(None, math.nan, -math.inf, "time_limit", name, out.seconds)
    if out is not None and out.status == "infeasible" and not h_ok:
        raise SitingError(
            f"p_median: no choice of p = {p} sites can serve all demand within the cost "
            "matrix (and capacities)",
            fix="raise p, pass unassigned_cost_s, or add candidates",
        )
    use_mip = (
        out is not None
        and out.x is not None
        and (not h_ok or out.objective <= h_obj + 1e-6 * max(1.0, abs(h_obj)))
    )
    x = out.x if (use_mip and out is not None) else h_x
    mip_obj = out.objective if (use_mip and out is not None) else float("nan")
    objective, bound, status, solver_used, solve_s = _finish(
        model="p_median",
        sense=1,
        outcome=out,
        mip_objective=mip_obj,
        heuristic_objective=h_obj,
        use_mip=use_mip,
        solver=name,
    )
    if out is not None and np.isfinite(low) and status != "infeasible":
        bound = max(bound, low) if np.isfinite(bound) else low
        if objective - bound <= 1e-6 * max(1.0, abs(objective)):
            status = "optimal"  # proven by the Lagrangian bound

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
        open_orig[keep[open_red]] = True
        a_f, d1_f, d2_f = heur.median_state(A, w, pen, open_red)
        shares: sp.csr_matrix | None = None
        if x is None:
            assignment = np.where(a_f >= 0, keep[np.maximum(a_f, 0)], -1)
            served = (a_f >= 0).astype(np.float64)
        else:
            z = x[mk : mk + ne]
            served = np.zeros(n)
            np.add.at(served, er, z)
            order = np.lexsort((-z, er))
            first = order[np.r_[0, np.flatnonzero(np.diff(er[order])) + 1]] if ne else order
            assignment = np.full(n, -1, dtype=np.int64)
            assignment[er[first]] = np.where(z[first] > 1e-9, keep[ec[first]], -1)
            served = np.clip(served, 0.0, 1.0)
            shares = sp.csr_matrix((z, (er, keep[ec])), shape=(n, m))
            shares.eliminate_zeros()
        why: dict[int, float] = {int(keep[j]): 0.0 for j in np.flatnonzero(open_red)}
        hit = a_f >= 0
        for j, v in zip(keep[a_f[hit]].tolist(), (w * (d2_f - d1_f))[hit].tolist(), strict=True):
            why[j] += v
        return SitingResult(
            "p_median",
            np.flatnonzero(open_orig).astype(np.int64),
            float(objective),
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
        return result_of(h_x, h_obj, np.nan, "heuristic", "heuristic", 0.0)

    return settle(
        spec, res, fallback=heuristic_result if use_mip and h_ok else None, notes=budget.notes
    )

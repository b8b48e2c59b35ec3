"""The p-median model (optionally capacitated, optionally with unassigned demand).

Formulation and solver choice are in :mod:`planner.analysis.siting`; the greedy and
interchange heuristics are in :mod:`planner.analysis.siting._median_heuristics`, and the
Lagrangian bound in :mod:`planner.analysis.siting._mip`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner.analysis.siting import _median_heuristics as heur
from planner.analysis.siting._budget import Budget
from planner.analysis.siting._inputs import (
    Regions,
    _as_csr,
    _capacity,
    _check_time,
    _first,
    _setup,
    _warn_dropped_zeros,
    _weights,
)
from planner.analysis.siting._median_capacitated import solve_capacitated
from planner.analysis.siting._median_exact import solve_median
from planner.analysis.siting._result import SitingResult, SolverName, Status, _gap, _solver_name
from planner.analysis.siting._verify import Spec, settle
from planner.analysis.siting._warm import warm_up
from planner.errors import InvalidValueError, SitingError

__all__ = ["p_median"]


def p_median(
    cost: Any,
    weights: ArrayLike | None,
    p: int,
    *,
    capacity: ArrayLike | None = None,
    unassigned_cost_s: float | None = None,
    fixed: Sequence[int] | ArrayLike = (),
    excluded: Sequence[int] | ArrayLike = (),
    regions: Regions | None = None,
    min_per_region: int = 1,
    time_limit_s: float = 60.0,
    solver: SolverName = "auto",
) -> SitingResult:
    """p-median: open ``p`` sites minimising the weighted travel time to the assigned site.

    Parameters
    ----------
    cost
        Demand × candidates cost in seconds, dense or sparse, read differently:

        * a dense array (numpy): every finite entry is an allowed pair, zeros included
          (a site's own cell at 0 s); ``inf``/``nan`` mean not allowed;
        * a ``scipy.sparse`` matrix: stored entries are allowed pairs (a stored zero is
          0 s), *absent* entries are not allowed (beyond the cutoff, unreachable).

        Beware ``scipy.sparse.csr_matrix(dense)``: it drops the zeros, which then read as
        "not allowed" (a site can no longer serve its own cell, and the "optimum" is that
        of another problem). Pass the dense array itself, or build the sparse matrix from the allowed pairs
        (``csr_matrix((data, (rows, cols)))`` keeps stored zeros). A sparse matrix with at
        least 90 % of its cells stored, some absent and no stored zero looks like such a
        conversion and raises a :class:`~planner.errors.SitingWarning`; a row with no
        allowed entry is an error unless ``unassigned_cost_s`` is given.
    weights
        Demand weight per row; None: 1 each.
    p
        Number of sites, fixed sites included.
    capacity
        Weight each candidate can serve (splittable assignment).
    unassigned_cost_s
        Cost per unit weight of leaving a row unassigned. None: every row with weight must
        be assigned (a row without any allowed candidate is an error).
    fixed, excluded, regions, min_per_region
        As in :func:`mclp`.
    time_limit_s
        Seconds the whole call may take, as in :func:`mclp`.
    solver
        ``"auto"``, ``"highs"``, ``"cbc"`` or ``"heuristic"``.

    Returns
    -------
    SitingResult
        ``objective`` is Σ weight × seconds (plus unassigned costs).

    Raises
    ------
    SitingError
        ``p`` too large, demand no allowed candidate reaches (without
        ``unassigned_cost_s``), total capacity below demand, a region without candidates,
        or no choice of ``p`` sites that can serve all demand.
    InvalidValueError
        Malformed matrices or parameters.

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[0.0, 5.0, 9.0], [4.0, 1.0, 6.0], [9.0, 4.0, 0.0]])
    >>> r = p_median(cost, [1.0, 1.0, 1.0], 2)
    >>> r.selected.tolist(), r.objective
    ([0, 2], 4.0)
    """
    warm_up()  # kernels loaded before the clock starts
    budget = Budget(time_limit_s)
    if sp.issparse(cost):
        C = _as_csr(cost, "cost").astype(np.float64)
        _warn_dropped_zeros(C, "cost")
    else:
        dense = np.asarray(cost, dtype=np.float64)
        C = _as_csr(np.ones_like(dense), "cost")
        if dense.ndim == 2:
            ok = np.isfinite(dense)
            r_, c_ = np.nonzero(ok)
            C = sp.csr_matrix((dense[ok], (r_, c_)), shape=dense.shape)
    bad = np.isnan(C.data) | (C.data < 0) | np.isinf(C.data)
    if bad.any():
        rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))[bad]
        raise InvalidValueError(
            f"cost holds {int(bad.sum())} negative, NaN or infinite values (demand rows "
            f"{_first(np.unique(rows))})",
            fix="store not-allowed pairs as absent entries and costs as seconds >= 0",
        )
    n, m = C.shape
    w = _weights(weights, n)
    setup = _setup(
        m, n, w, fixed=fixed, excluded=excluded, regions=regions, min_per_region=min_per_region, p=p
    )
    cap_all = _capacity(capacity, m)
    name = _solver_name(solver, "p_median" if cap_all is None else "p_median_capacitated")
    _check_time(time_limit_s)
    if unassigned_cost_s is not None and not (
        np.isfinite(unassigned_cost_s) and unassigned_cost_s >= 0
    ):
        raise InvalidValueError(
            f"unassigned_cost_s is {unassigned_cost_s}", fix="pass seconds >= 0 or None"
        )
    keep = setup.keep
    A = C[:, keep]
    A.sort_indices()
    reach = np.diff(A.indptr) > 0
    lost = np.flatnonzero(~reach & (w > 0))
    if lost.size and unassigned_cost_s is None:
        raise SitingError(
            f"{lost.size} demand rows with weight have no allowed candidate in the cost "
            f"matrix (rows {_first(lost)})",
            fix="pass unassigned_cost_s (the cost of leaving a row unassigned), raise the "
            "cutoff, or add candidates near those rows; if cost came from "
            "scipy.sparse.csr_matrix(dense), its zeros were dropped and read as not allowed: "
            "pass the dense array instead",
        )
    cap = cap_all[keep] if cap_all is not None else None
    if cap is not None and unassigned_cost_s is None:
        fixed_cap = float(cap[setup.fixed].sum())
        free = np.sort(cap[~setup.fixed])[::-1][: p - int(setup.fixed.sum())]
        best = fixed_cap + float(free.sum())
        if best < w.sum() * (1 - 1e-12):
            raise SitingError(
                f"total capacity below demand: the {p} largest allowed sites (fixed ones "
                f"included) serve at most {best:.6g} but demand is {w.sum():.6g}",
                fix="raise p or capacities, or pass unassigned_cost_s to allow unserved demand",
            )
    # internal penalty: above any achievable objective so the heuristics assign first
    big = (
        (float(A.data.max()) + 1.0) * (float(w.sum()) / float(w[w > 0].min()) + 1.0)
        if A.nnz
        else 1.0
    )
    pen = np.full(n, float(unassigned_cost_s) if unassigned_cost_s is not None else big)
    rules = setup.rules()
    act = np.flatnonzero(w > 0)
    use_u = unassigned_cost_s is not None
    spec = Spec.from_setup(
        "p_median", 1, m, setup, p=p, weights=w, cost=C,
        penalty=pen if use_u else None, capacity=cap_all,
    )  # fmt: skip
    if cap is not None:
        return solve_capacitated(
            A, w, pen, use_u, cap, setup, p, name=name, budget=budget, spec=spec
        )
    Aa = sp.csr_matrix(A[act])
    run = solve_median(Aa, w[act], pen[act], use_u, p, rules, solver=name, budget=budget)

    def result_of(
        open_red: NDArray[np.bool_],
        objective: float,
        bound: float,
        status: Status,
        solver_used: str,
        solve_s: float,
    ) -> SitingResult:
        open_orig = np.zeros(m, dtype=bool)
        open_orig[keep[open_red]] = True
        a_f, d1_f, d2_f = heur.median_state(A, w, pen, open_red)
        assignment = np.where(a_f >= 0, keep[np.maximum(a_f, 0)], -1)
        served = (a_f >= 0).astype(np.float64)
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
            run.h_obj,
            served > 1e-9,
            served,
            assignment.astype(np.int64),
            why,
            run.heuristic_seconds,
            budget.elapsed(),
        )

    status: Status = run.status  # type: ignore[assignment]
    res = result_of(run.open_best, run.objective, run.bound, status, run.solver, run.solve_seconds)

    def heuristic_result() -> SitingResult:
        return result_of(run.open_h, run.h_obj, np.nan, "heuristic", "heuristic", 0.0)

    return settle(spec, res, fallback=heuristic_result, notes=budget.notes)

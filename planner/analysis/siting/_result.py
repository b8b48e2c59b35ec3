"""The result of a siting model and the code every model finishes with.

:class:`SitingResult` is what :func:`~planner.analysis.siting.lscp`,
:func:`~planner.analysis.siting.mclp` and :func:`~planner.analysis.siting.p_median` return;
the helpers here turn a solver's outcome and the heuristic's solution into its objective,
bound, gap and status, and build the side rows (``Σ y = p``, region minimums) the models share.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.analysis.siting._budget import Budget, mip_plan
from planner.analysis.siting._inputs import _Setup
from planner.analysis.siting._mip import MipModel, MipOutcome, solve_mip
from planner.errors import InvalidValueError, SitingError

__all__ = ["AUTO_SOLVER", "Run", "SitingResult", "SolverName", "Status"]

log = logging.getLogger(__name__)

Status = Literal["optimal", "feasible", "time_limit", "infeasible", "heuristic"]
SolverName = Literal["auto", "highs", "cbc", "heuristic"]

#: Solver used by ``solver="auto"``, per model (measured, see the module docstring).
AUTO_SOLVER: dict[str, str] = {
    "lscp": "highs",
    "mclp": "highs",
    "mclp_capacitated": "highs",
    "p_median": "highs",
    "p_median_capacitated": "highs",
}


@dataclass
class SitingResult:
    """The outcome of a siting model.

    Parameters
    ----------
    model
        ``"lscp"``, ``"mclp"`` or ``"p_median"``.
    selected
        Positions (columns of the input matrix) of the open candidates, ascending.
    objective
        Sites (LSCP), covered weight (MCLP) or weighted seconds (p-median).
    bound
        Best proven bound on the objective (``nan`` when only heuristics ran).
    gap
        ``|objective - bound| / |objective|`` (0 when proven optimal, ``nan`` if unknown).
    status
        ``"optimal"`` (proven: ``objective`` is what ``selected`` gives and ``gap`` is 0
        within the MIP tolerance), ``"time_limit"`` (not proven within ``time_limit_s``: a
        phase reached its work limit, the MIP was too large to start, or the clock stopped a
        phase, which ``notes`` then says; see ``gap``), ``"heuristic"`` (no exact solve), ``"feasible"`` (verified sites, optimality
        not proven, e.g. a solver answer that failed its checks; see ``notes``) or
        ``"infeasible"`` (the sites break a rule of the model; see ``notes``).
    solver
        ``"highs"``, ``"cbc"`` or ``"heuristic"``; ``"lagrangian"`` when the optimum was
        proven by planner's Lagrangian tree search, without a MIP solver.
    solve_seconds
        Wall time of the exact solve (0 without one).
    heuristic_objective
        Objective of the greedy + swap solution.
    covered
        Per demand row: covered (cover models), or assigned to an open site (p-median).
    served
        Per demand row: fraction of its weight covered / assigned (capacitated models;
        equals ``covered`` otherwise).
    assignment
        p-median: the open candidate each demand row is (mostly) assigned to, -1 if none;
        cover models: the first open candidate covering it, -1 if none.
    why
        Per selected site, its marginal value: the objective lost if it alone were closed
        (covered weight only it covers; extra weighted seconds without it). Fixed sites
        included.
    heuristic_seconds
        Wall time of build checks and heuristics.
    seconds
        Total wall time.
    shares
        Capacitated models: demand × candidates fraction of each row's weight assigned to
        each site (load of site j = ``weights @ shares[:, j]``); None otherwise.
    notes
        What the check of the result against its own sites corrected (a solver's objective
        the sites do not give, a bound on the wrong side, "optimal" with a gap, a solution
        replaced by the heuristic's), or the rules the sites break (status
        ``"infeasible"``). Empty when the result was returned as built.
    """

    model: str
    selected: NDArray[np.int64]
    objective: float
    bound: float
    gap: float
    status: Status
    solver: str
    solve_seconds: float
    heuristic_objective: float
    covered: NDArray[np.bool_]
    served: NDArray[np.float64]
    assignment: NDArray[np.int64]
    why: dict[int, float] = field(default_factory=dict)
    heuristic_seconds: float = 0.0
    seconds: float = 0.0
    shares: sp.csr_matrix | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Run:
    """What one model's solve found, before it becomes a :class:`SitingResult`.

    Masks are over the candidates the solve saw (allowed ones, or a reduced set). Objective
    and bound are in the solve's own sense (minimised cost, or the model's own for the
    cover drivers); ``impossible`` is set by decision solves (a cutoff) that proved that no
    solution reaches it.
    """

    open_h: NDArray[np.bool_]
    h_obj: float
    open_best: NDArray[np.bool_]
    objective: float
    bound: float
    status: str
    solver: str
    solve_seconds: float
    heuristic_seconds: float
    impossible: bool = False


def _solver_name(solver: str, key: str) -> str:
    if solver not in ("auto", "highs", "cbc", "heuristic"):
        raise InvalidValueError(
            f"solver is {solver!r}", fix="pass 'auto', 'highs', 'cbc' or 'heuristic'"
        )
    return AUTO_SOLVER[key] if solver == "auto" else solver


def _gap(objective: float, bound: float) -> float:
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("nan")
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(objective) if objective != 0 else float("inf")


def _finish(
    *,
    model: str,
    sense: int,
    outcome: MipOutcome | None,
    mip_objective: float,
    heuristic_objective: float,
    use_mip: bool,
    solver: str,
) -> tuple[float, float, Status, str, float]:
    """objective, bound, status, solver, solve seconds (objective in the user's sense)."""
    if outcome is None:
        return heuristic_objective, float("nan"), "heuristic", "heuristic", 0.0
    bound = sense * outcome.bound if np.isfinite(outcome.bound) else float("nan")
    status: Status
    if outcome.status == "optimal":
        status = "optimal"
    elif outcome.status == "infeasible":
        status = "infeasible"
    elif outcome.status == "time_limit":
        status = "time_limit"
    else:  # "error": the solver's answer failed its checks
        status = "feasible"
    objective = mip_objective if use_mip else heuristic_objective
    if status == "optimal" and not use_mip:  # cannot happen unless the solver misreported
        status = "feasible"
    return objective, bound, status, outcome.solver, outcome.seconds


def _side_rows(
    setup: _Setup, n_cols: int, p: int | None
) -> tuple[list[sp.csr_matrix], list[NDArray[np.float64]], list[NDArray[np.float64]]]:
    """Σ y = p and region rows over the first ``setup.keep.size`` columns."""
    m = setup.keep.size
    mats: list[sp.csr_matrix] = []
    lo: list[NDArray[np.float64]] = []
    hi: list[NDArray[np.float64]] = []
    if p is not None:
        mats.append(sp.csr_matrix((np.ones(m), (np.zeros(m), np.arange(m))), shape=(1, n_cols)))
        lo.append(np.array([float(p)]))
        hi.append(np.array([float(p)]))
    if setup.need.size:
        j = np.flatnonzero(setup.region >= 0)
        mats.append(
            sp.csr_matrix((np.ones(j.size), (setup.region[j], j)), shape=(setup.need.size, n_cols))
        )
        lo.append(setup.need.astype(np.float64))
        hi.append(np.full(setup.need.size, np.inf))
    return mats, lo, hi


def _run(
    model: MipModel,
    *,
    solver: str,
    budget: Budget,
    share: float,
    start: NDArray[np.float64] | None,
    what: str,
    cutoff: float | None = None,
    kind: str = "cover",
) -> MipOutcome | None:
    """The MIP within ``share`` of the budget (a node limit), or None without a solver.

    A model too large for its share is not started, and a solve the clock stopped is
    dropped (both noted): the outcome then has no solution and status ``"time_limit"``.
    """
    if solver == "heuristic":
        return None
    nodes = mip_plan(budget, share, *model.shape, int(model.A.nnz), kind)
    if nodes is None:
        msg = (
            f"{what}: the exact model ({model.shape[0]} rows, {model.shape[1]} columns after "
            f"reductions) is too large to solve within the {budget.time_limit_s:g} s limit; "
            "the heuristic solution is returned"
        )
        log.info(msg)
        budget.notes.append(msg)
        return MipOutcome(None, float("nan"), float("-inf"), "time_limit", solver, 0.0)
    out = solve_mip(
        model,
        solver=solver,
        time_limit_s=budget.left(),
        start=start,
        node_limit=nodes,
        cutoff=cutoff,
    )
    if out.clock:
        budget.cut(f"the exact solve of {what} ({solver})", "the heuristic solution")
        return MipOutcome(None, float("nan"), float("-inf"), "time_limit", solver, out.seconds)
    return out


def _raise_if_infeasible(out: MipOutcome | None, h_ok: bool, model: str, p: int | None) -> None:
    if out is not None and out.status == "infeasible" and not h_ok:
        what = f"p = {p} sites" if p is not None else "sites"
        raise SitingError(
            f"{model}: no choice of {what} meets all the rules (fixed sites, region "
            "minimums, floors, capacities)",
            fix="raise p, lower floors or min_per_region, or add candidates",
        )

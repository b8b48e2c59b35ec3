"""Where to open markets: LSCP, MCLP and p-median on sparse coverage and cost matrices.

Inputs are matrices, as in spopt's ``from_cost_matrix``, so this module is pure
numpy/scipy: ``coverage`` is a demand × candidate boolean ``scipy.sparse`` matrix (build it
from travel times with :func:`coverage_matrix`), ``cost`` a demand × candidate sparse matrix
of seconds in which *absent* means "not allowed" (beyond the cutoff, unreachable) and a
*stored zero* means 0 s.

Models (``y_j`` = 1 when candidate ``j`` opens; ``N_i`` = candidates covering demand ``i``;
``w_i`` demand weight; continuous ``x_i``/``z_ij`` in [0, 1], exact because ``y`` is
integer)::

    LSCP      min Σ y_j            s.t. Σ_{j∈N_i} y_j ≥ 1 for every coverable i (target 1), or
                                        x_i ≤ Σ_{j∈N_i} y_j, Σ w_i x_i ≥ target · W
    MCLP      max Σ w_i x_i        s.t. x_i ≤ Σ_{j∈N_i} y_j, Σ y_j = p
    cap. MCLP max Σ w_i z_ij       s.t. Σ_j z_ij ≤ 1, Σ_i w_i z_ij ≤ C_j y_j, z_ij ≤ y_j, Σ y = p
    p-median  min Σ w_i c_ij x_ij (+ Σ w_i P u_i)
                                   s.t. Σ_j x_ij (+ u_i) = 1, x_ij ≤ y_j, Σ y_j = p
                                        (capacitated: Σ_i w_i x_ij ≤ C_j y_j)

``z``/``x`` exist only on the stored entries of the sparse matrix. Demand rows with the same
coverage set are merged (weights summed) before the cover models are built. Every model
takes ``fixed`` candidates (forced open; they count towards ``p``), ``excluded`` candidates
(never open; removed before building), ``regions`` with ``min_per_region`` (e.g. at least one
comprehensive market per county, 鲁人社字〔2022〕3号) and, for the cover models, equity
``floors``: each priority group's covered weight ≥ floor × the group's total weight.
Capacitated demand is splittable (a cell's workers may go to several markets); spopt's
capacitated p-median assigns each client to one facility, so its objective can be higher.

Unreachable demand in p-median: by default every demand row with weight must have at least
one allowed candidate (else :class:`~planner.errors.SitingError`) and is assigned; with
``unassigned_cost_s`` a row may stay unassigned at that cost per unit weight (a penalty
equal to the cost of a market that far away).

Greedy + swap heuristics always run first (:mod:`planner.analysis._heuristics`); their
solution is the MIP start and the fallback. LSCP with every coverable row to cover is first reduced
exactly (rows covered by fixed or essential candidates, dominated rows and dominated
candidates go; :func:`~planner.analysis._heuristics.reduce_set_cover`), and the greedy cover
of what is left is improved by a seeded destroy-and-repair local search; the MIP is built on
the reduced core, and the bound reported is the larger of the MIP's and a combinatorial one
(opened candidates + core rows no two of which share a candidate). p-median's bound is the
larger of the MIP's and a Lagrangian (subgradient) bound, so a run stopped by the time limit
still reports a useful gap. The exact solve uses HiGHS (highspy) or CBC
(the binary in PuLP's wheel, fed an MPS file), see :mod:`planner.analysis._mip`. A run that
hits the time limit reports ``"time_limit"`` with its bound and gap, never ``"optimal"``.

Solver choice (``solver="auto"``, :data:`AUTO_SOLVER`) was measured with
``benchmarks/siting.py --both-solvers --time-limit-s 60`` on seeded random instances in a
35 × 35 km square (2 cores; each demand cell covered by 0.95 % of candidates; p =
candidates / 10; seconds are end to end: build + heuristics + MIP)::

    model     candidates × demand   HiGHS                      CBC
    MCLP        200 × 20,000        0.08 s optimal             0.08 s optimal
    MCLP      2,000 × 20,000        3.5 s optimal              2.6 s optimal
    LSCP        200 × 20,000        0.02 s optimal (160)       0.03 s optimal
    LSCP      2,000 × 20,000        60 s limit: 155, gap 16 %  65 s limit: 194, gap 33 %
    p-median    200 × 20,000        5.4 s optimal              8.6 s optimal
    p-median  2,000 × 20,000        (> 60 s)                   ignored its time limit

So MCLP uses CBC, LSCP and p-median HiGHS; the capacitated variants use HiGHS (not
measured separately). CBC does not check its clock inside the root LP; it is stopped 30 s
after its limit.

Examples
--------
>>> import numpy as np, scipy.sparse as sp
>>> cover = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))
>>> r = mclp(cover, np.array([5.0, 1.0, 1.0, 4.0]), 2)
>>> r.selected.tolist(), r.objective, r.status
([0, 2], 11.0, 'optimal')
>>> lscp(cover).objective
2.0
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner.analysis import _heuristics as heur
from planner.analysis._mip import (
    MIP_REL_GAP,
    MipModel,
    MipOutcome,
    median_lagrangian_bound,
    solve_mip,
)
from planner.analysis._siting_inputs import (
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
from planner.errors import InvalidValueError, SitingError

__all__ = [
    "AUTO_SOLVER",
    "Regions",
    "SitingResult",
    "coverage_matrix",
    "lscp",
    "mclp",
    "p_median",
]

log = logging.getLogger(__name__)

Status = Literal["optimal", "feasible", "time_limit", "infeasible", "heuristic"]
SolverName = Literal["auto", "highs", "cbc", "heuristic"]

#: Solver used by ``solver="auto"``, per model (measured, see the module docstring).
AUTO_SOLVER: dict[str, str] = {
    "lscp": "highs",
    "mclp": "cbc",
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
        ``"optimal"`` (proven), ``"time_limit"`` (stopped by the time limit; see ``gap``),
        ``"infeasible"``, ``"heuristic"`` (no exact solve) or ``"feasible"``.
    solver
        ``"highs"``, ``"cbc"`` or ``"heuristic"``.
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


# ----------------------------------------------------------------------------- inputs


def coverage_matrix(times: Any, cutoff_s: float) -> sp.csr_matrix:
    """Which candidates cover which demand: stored times ``<= cutoff_s``.

    Parameters
    ----------
    times
        Sparse (demand × candidates) travel times in seconds; a stored zero is 0 s, an
        absent entry unreachable. A dense array is accepted (``inf``/``nan`` unreachable).
    cutoff_s
        Largest travel time that counts as covered, seconds.

    Returns
    -------
    scipy.sparse.csr_matrix
        Boolean, same shape.

    Raises
    ------
    InvalidValueError
        Negative or NaN stored times, or a negative or NaN cutoff.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> t = sp.csr_matrix((np.array([0.0, 500.0, 1200.0]), ([0, 0, 1], [0, 1, 1])), shape=(2, 2))
    >>> coverage_matrix(t, 900).toarray().tolist()
    [[True, True], [False, False]]
    """
    if not np.isfinite(cutoff_s) or cutoff_s < 0:
        raise InvalidValueError(
            f"cutoff_s is {cutoff_s}; it must be a finite number of seconds >= 0",
            fix="pass the threshold in seconds, e.g. cutoff_s=15 * 60",
        )
    if sp.issparse(times):
        csr = sp.csr_matrix(times)
        data = np.asarray(csr.data, dtype=np.float64)
        bad = np.isnan(data) | (data < 0)
        if bad.any():
            rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))[bad]
            raise InvalidValueError(
                f"times holds {int(bad.sum())} negative or NaN travel times "
                f"(demand rows {_first(np.unique(rows))})",
                fix="store unreachable pairs as absent entries and times as seconds >= 0",
            )
        keep = data <= cutoff_s
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))[keep]
        return sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=bool), (rows, csr.indices[keep])), shape=csr.shape
        )
    dense = np.asarray(times, dtype=np.float64)
    if dense.ndim != 2:
        raise InvalidValueError(
            f"times has {dense.ndim} dimensions; it must be a demand × candidates matrix",
            fix="pass a 2-D array or scipy.sparse matrix",
        )
    if (dense < 0).any():
        raise InvalidValueError(
            "times holds negative travel times", fix="pass travel times as seconds >= 0"
        )
    with np.errstate(invalid="ignore"):
        return sp.csr_matrix(dense <= cutoff_s)


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
    else:
        status = "time_limit"
    objective = mip_objective if use_mip else heuristic_objective
    if status == "optimal" and not use_mip:  # cannot happen unless the solver misreported
        status = "time_limit"
    return objective, bound, status, outcome.solver, outcome.seconds


# ----------------------------------------------------------------------------- cover models


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


def _run(
    model: MipModel,
    *,
    solver: str,
    time_limit_s: float,
    start: NDArray[np.float64] | None,
) -> MipOutcome | None:
    if solver == "heuristic":
        return None
    return solve_mip(model, solver=solver, time_limit_s=time_limit_s, start=start)


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
    weights: ArrayLike,
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
        Demand weight per row (population).
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
            time_limit_s=max(1.0, 0.25 * time_limit_s),
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
        return _cover_result(
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
    return _mclp_capacitated(cov, w, red, setup, cap, floor_w, p, name, time_limit_s, t0)


def _raise_if_infeasible(out: MipOutcome | None, h_ok: bool, model: str, p: int | None) -> None:
    if out is not None and out.status == "infeasible" and not h_ok:
        what = f"p = {p} sites" if p is not None else "sites"
        raise SitingError(
            f"{model}: no choice of {what} meets all the rules (fixed sites, region "
            "minimums, floors, capacities)",
            fix="raise p, lower floors or min_per_region, or add candidates",
        )


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
        heur._lazy_pick(
            gain, pool, np.array([gain(int(j)) for j in pool]), int(rules.deficits(open_h)[r]), take
        )
    rest = np.flatnonzero(~open_h)
    heur._lazy_pick(gain, rest, np.array([gain(int(j)) for j in rest]), p - int(open_h.sum()), take)

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
    open_red = x[:mk] > 0.5 if x is not None else open_h
    open_orig = np.zeros(m := cov.shape[1], dtype=bool)
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
        P = sp.csr_matrix((np.ones(idx.size), (idx, red.inverse[idx])), shape=(cov.shape[0], nr))
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
        open_red, h_obj, out, t_h, low = _lscp_full(red.A, setup, name, time_limit_s, t0)
        use_mip = out is not None and out.x is not None
        mip_obj = float(open_red.sum())
    else:
        low = 0.0
        open_red, h_obj, out, t_h, use_mip = _lscp_partial(
            red, setup, target_w, full, floor_w, name, time_limit_s, t0
        )
        mip_obj = float(open_red.sum())
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
    return _cover_result(
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


def _lscp_full(
    A: sp.csr_matrix, setup: _Setup, name: str, time_limit_s: float, t0: float
) -> tuple[NDArray[np.bool_], float, MipOutcome | None, float, float]:
    """Cover every row: reductions, greedy + local search on the core, then the core MIP.

    Returns the open mask (allowed candidates), the heuristic's count, the MIP outcome
    (None when skipped), the heuristic seconds and a lower bound from the reductions
    (opened columns + rows of the core no two of which share a column).
    """
    mk = setup.keep.size
    rules = setup.rules()
    droppable = setup.region < 0  # region minimums may need dominated columns
    alive, state = heur.reduce_set_cover(A, rules, droppable=droppable)
    forced = state == 1
    cols = np.flatnonzero(state == 0)
    core = sp.csr_matrix(A[np.flatnonzero(alive)][:, cols])
    have = rules.region_counts(forced)
    rc = heur.Rules(
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
    g = heur.lscp_local_search(core, g, rc, time_limit_s=max(1.0, 0.25 * time_limit_s))
    open_h = forced.copy()
    open_h[cols[g]] = True
    h_obj = float(open_h.sum())
    low = float(forced.sum()) + float(heur.disjoint_rows(core))
    low = max(low, float(forced.sum() + rc.need.sum()))
    t_h = time.perf_counter() - t0
    if name == "heuristic" or h_obj <= low or cols.size == 0:
        return open_h, h_obj, None, t_h, low
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
        return open_m, h_obj, out, t_h, low
    if out is not None:  # keep the heuristic cover; the outcome still gives the bound
        out = MipOutcome(None, out.objective, out.bound, out.status, out.solver, out.seconds)
    return open_h, h_obj, out, t_h, low


def _lscp_partial(
    red: _Cover,
    setup: _Setup,
    target_w: float,
    full: bool,
    floor_w: NDArray[np.float64] | None,
    name: str,
    time_limit_s: float,
    t0: float,
) -> tuple[NDArray[np.bool_], float, MipOutcome | None, float, bool]:
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
    return open_red, h_obj, out, t_h, use_mip


# ----------------------------------------------------------------------------- p-median


def p_median(
    cost: Any,
    weights: ArrayLike,
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
        Demand × candidates sparse matrix of seconds; absent entries are not allowed
        (beyond the cutoff), stored zeros are 0 s. A dense array is taken as it is (every
        pair allowed; ``inf``/``nan`` not allowed).
    weights
        Demand weight per row.
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
        Limit of the exact solve, seconds.
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
    t0 = time.perf_counter()
    if sp.issparse(cost):
        C = _as_csr(cost, "cost").astype(np.float64)
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
    mk = keep.size
    A = C[:, keep]
    A.sort_indices()
    reach = np.diff(A.indptr) > 0
    lost = np.flatnonzero(~reach & (w > 0))
    if lost.size and unassigned_cost_s is None:
        raise SitingError(
            f"{lost.size} demand rows with weight have no allowed candidate in the cost "
            f"matrix (rows {_first(lost)})",
            fix="pass unassigned_cost_s (the cost of leaving a row unassigned), raise the "
            "cutoff, or add candidates near those rows",
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
    csc = sp.csc_matrix(A)
    open_h, _ = heur.greedy_median(csc, A, w, pen, p, rules)
    open_h = heur.swap_median(A, w, pen, open_h, rules, time_limit_s=max(1.0, 0.25 * time_limit_s))
    a_h, d1_h, _ = heur.median_state(A, w, pen, open_h)
    rows_all = np.repeat(np.arange(n), np.diff(A.indptr))
    active = w > 0
    # model over active rows
    sel_nz = active[rows_all]
    er = rows_all[sel_nz]
    ec = A.indices[sel_nz].astype(np.int64)
    ed = A.data[sel_nz]
    ne = er.size
    act = np.flatnonzero(active)
    ri = np.full(n, -1, dtype=np.int64)
    ri[act] = np.arange(act.size)
    na = act.size
    use_u = unassigned_cost_s is not None
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
        blocks = [assign]
        lo = [np.ones(na)]
        hi = [np.ones(na)]
        blocks.append(
            sp.csr_matrix(
                (
                    np.concatenate([np.ones(ne), -np.ones(ne)]),
                    (np.concatenate([e, e]), np.concatenate([mk + e, ec])),
                ),
                shape=(ne, ncol),
            )
        )
        lo.append(np.full(ne, -np.inf))
        hi.append(np.zeros(ne))
        if cap is not None:
            blocks.append(
                sp.csr_matrix(
                    (
                        np.concatenate([w[er], -cap]),
                        (
                            np.concatenate([ec, np.arange(mk)]),
                            np.concatenate([mk + e, np.arange(mk)]),
                        ),
                    ),
                    shape=(mk, ncol),
                )
            )
            lo.append(np.full(mk, -np.inf))
            hi.append(np.zeros(mk))
        mats, slo, shi = _side_rows(setup, ncol, p)
        col_lo = np.concatenate([setup.fixed.astype(np.float64), np.zeros(ne + nu)])
        col_hi = np.ones(ncol)
        if fix_open is not None:
            col_lo[:mk] = fix_open
            col_hi[:mk] = fix_open
        return MipModel(
            c=np.concatenate(
                [
                    np.zeros(mk),
                    w[er] * ed,
                    w[act] * pen[act] if use_u else np.zeros(0),
                ]
            ),
            A=sp.vstack([*blocks, *mats], format="csr"),
            row_lo=np.concatenate([*lo, *slo]),
            row_hi=np.concatenate([*hi, *shi]),
            col_lo=col_lo,
            col_hi=col_hi,
            integer=np.concatenate([np.ones(mk, dtype=bool), np.zeros(ne + nu, dtype=bool)]),
        )

    h_x: NDArray[np.float64] | None
    if cap is None:
        h_ok = bool(np.all((a_h >= 0) | ~active)) or use_u
        h_obj = float(w @ d1_h) if h_ok else float("nan")
        h_x = np.zeros(mk + ne + nu)
        h_x[:mk] = open_h
        hit = (a_h[er] == ec) & (a_h[er] >= 0)
        # one entry per row: the first stored entry equal to the assigned site
        h_x[mk + np.flatnonzero(hit)] = 1.0
        if use_u:
            h_x[mk + ne + np.flatnonzero(a_h[act] < 0)] = 1.0
    else:
        lp = solve_mip(build(open_h.astype(np.float64)), solver="highs", time_limit_s=time_limit_s)
        h_ok = lp.x is not None and lp.status == "optimal"
        h_obj = lp.objective if h_ok else float("nan")
        h_x = lp.x if h_ok else None
    low = float("-inf")
    if name != "heuristic" and h_ok:
        low = median_lagrangian_bound(
            A[act],
            w[act],
            p,
            fixed=setup.fixed,
            region=setup.region,
            need=setup.need,
            penalty=pen[act] if use_u else None,
            upper=h_obj,
            start=(w * d1_h)[act],
            time_limit_s=max(1.0, 0.25 * time_limit_s),
        )
    t_h = time.perf_counter() - t0
    out = _run(build(None), solver=name, time_limit_s=time_limit_s, start=h_x if h_ok else None)
    if out is not None and out.status == "infeasible" and not h_ok:
        raise SitingError(
            f"p_median: no choice of p = {p} sites can serve all demand within the cost "
            "matrix (and capacities)",
            fix="raise p, pass unassigned_cost_s, or add candidates",
        )
    use_mip = (
        out is not None
        and out.x is not None
        and (not h_ok or out.objective <= h_obj + 1e-9 * max(1.0, abs(h_obj)))
    )
    x = out.x if (use_mip and out is not None) else (h_x if h_ok else None)
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
        if objective - bound <= MIP_REL_GAP * max(1.0, abs(objective)):
            status = "optimal"  # proven by the Lagrangian bound
    open_red = x[:mk] > 0.5 if x is not None else open_h
    open_orig = np.zeros(m, dtype=bool)
    open_orig[keep[open_red]] = True
    a_f, d1_f, d2_f = heur.median_state(A, w, pen, open_red)
    shares: sp.csr_matrix | None = None
    if cap is None or x is None:
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
        time.perf_counter() - t0,
        shares,
    )

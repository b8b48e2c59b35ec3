"""Bounds and the compact exact model of the p-median (numba kernels).

* :func:`lagrangian` — the Lagrangian relaxation of the assignment rows (Beasley 1993):
  with multipliers ``λ_i`` the problem splits into ``L(λ) = Σ λ_i + Σ_i min(0, w_i P_i - λ_i)
  + min_S Σ_{j∈S} ρ_j``, ``ρ_j = Σ_i min(0, w_i c_ij - λ_i)``, ``S`` any ``p`` candidates
  holding the fixed ones and each region's minimum (the cheapest per region, then the
  cheapest overall: exact for disjoint regions). Every ``L(λ)`` is a lower bound; the
  multipliers follow subgradient steps. Rows are scanned in cost order, so a step visits
  only the entries with ``w_i c_ij < λ_i``.
* :func:`fix_by_reduced_cost` — Lagrangian reduced-cost fixing: a candidate whose opening
  (closing) pushes the bound past the incumbent is closed (opened) for good.
* :func:`radius_model` — the radius formulation (Elloumi 2010; García, Labbé & Marín 2011)
  written as a chain: per demand row the distinct costs ``D_1 < … < D_K`` of its candidates,
  ``z_k`` = 1 when no open site lies within ``D_k``,
  cost ``w (D_1 + Σ_k (D_{k+1} - D_k) z_k)``, rows ``z_{k-1} - z_k - Σ_{c_ij = D_k} y_j <= 0``
  (``z_0 = 1``). It has the LP bound of the classic formulation with one row per distinct
  cost instead of one per pair, and is cut short where a row is surely served: at a
  candidate forced open, at the unassigned cost, and once more than ``free - p_free``
  free candidates lie within reach (one of them must be open).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import NDArray

from planner.analysis.siting._budget import Budget
from planner.analysis.siting._mip import MipModel

__all__ = [
    "Probe",
    "RadiusModel",
    "fix_by_reduced_cost",
    "lagrangian",
    "probe",
    "radius_model",
    "sorted_rows",
]

#: Subgradient steps between two looks at the clock.
STEPS_PER_LOOK = 25


@njit(cache=True)
def _sort_segments(ptr, col, cost):  # type: ignore[no-untyped-def]
    """Sort each row's (cost, column) pairs by cost, ties in column order (stable)."""
    out_c = np.empty_like(col)
    out_v = np.empty_like(cost)
    for i in range(ptr.size - 1):
        a, b = ptr[i], ptr[i + 1]
        order = np.argsort(cost[a:b], kind="mergesort")
        for t in range(b - a):
            out_c[a + t] = col[a + order[t]]
            out_v[a + t] = cost[a + order[t]]
    return out_c, out_v


def sorted_rows(
    csr: sp.csr_matrix,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """CSR arrays of ``csr`` with each row's entries in increasing cost (then column)."""
    A = sp.csr_matrix(csr)
    A.sort_indices()
    ptr = A.indptr.astype(np.int64)
    col, cost = _sort_segments(
        ptr, A.indices.astype(np.int64), np.asarray(A.data, dtype=np.float64)
    )
    return ptr, col, cost


@njit(cache=True)
def _pick(rho, p, opened, closed, region, need):  # type: ignore[no-untyped-def]
    """The ``p`` candidates of least ``rho`` holding the open ones and region minimums.

    Closed candidates are never picked. Returns the mask and False when no choice exists.
    """
    m = rho.size
    order = np.argsort(rho, kind="mergesort")
    pick = opened.copy()
    cnt = 0
    short = need.copy()
    for j in range(m):
        if opened[j]:
            cnt += 1
            if region[j] >= 0:
                short[region[j]] -= 1
    for t in range(m):
        j = order[t]
        if not pick[j] and not closed[j] and region[j] >= 0 and short[region[j]] > 0:
            pick[j] = True
            short[region[j]] -= 1
            cnt += 1
    for t in range(m):
        if cnt >= p:
            break
        j = order[t]
        if not pick[j] and not closed[j]:
            pick[j] = True
            cnt += 1
    ok = cnt == p
    for r in range(short.size):
        if short[r] > 0:
            ok = False
    return pick, ok


@njit(cache=True)
def _subgradient(  # type: ignore[no-untyped-def]
    rptr,
    rcol,
    rcost,
    w,
    pen,
    has_pen,
    p,
    opened,
    closed,
    region,
    need,
    upper,
    lam,
    fst,
    ist,
    max_iter,
    work_limit,
    halve_after,
    best_lam,
    best_rho,
    best_pick,
    ctl,
):
    """Subgradient steps from ``lam``; the best bound, with its multipliers, ρ and choice.

    The search state lives in ``fst`` (best bound, step factor) and ``ist`` (steps since
    the best improved, done flag), so a search run in pieces of ``max_iter`` steps takes the
    same steps as one run; ``ist[1]`` is set when it has converged or reached
    ``work_limit``. ``ctl[0]`` counts work (entries visited), ``ctl[1]`` steps. Returns
    ``inf`` when no choice of ``p`` candidates exists (too many closed).
    """
    n = w.size
    m = opened.size
    best = fst[0]
    theta = fst[1]
    stale = ist[0]
    rho = np.zeros(m)
    g = np.empty(n)
    tol = 1e-9 * max(1.0, abs(upper))
    it = 0
    ist[1] = 0
    while it < max_iter:
        if ctl[0] >= work_limit:
            ist[1] = 1
            break
        it += 1
        rho[:] = 0.0
        for i in range(n):
            li = lam[i]
            wi = w[i]
            q = rptr[i]
            end = rptr[i + 1]
            while q < end:
                v = wi * rcost[q] - li
                if v >= 0.0:
                    break
                rho[rcol[q]] += v
                q += 1
            ctl[0] += q - rptr[i] + 1
        pick, ok = _pick(rho, p, opened, closed, region, need)
        ctl[0] += 4 * m
        if not ok:
            ctl[1] += it
            ist[1] = 1
            fst[0] = np.inf
            return np.inf
        value = 0.0
        for i in range(n):
            value += lam[i]
            if has_pen and w[i] * pen[i] < lam[i]:
                value += w[i] * pen[i] - lam[i]
        for j in range(m):
            if pick[j]:
                value += rho[j]
        if value > best + tol:
            best = value
            best_lam[:] = lam
            best_rho[:] = rho
            best_pick[:] = pick
            stale = 0
        else:
            stale += 1
            if stale >= halve_after:
                theta /= 2.0
                stale = 0
        if theta < 1e-4 or upper - best <= tol:
            ist[1] = 1
            break
        norm = 0.0
        for i in range(n):
            gi = 1.0
            if has_pen and w[i] * pen[i] < lam[i]:
                gi -= 1.0
            li = lam[i]
            wi = w[i]
            q = rptr[i]
            end = rptr[i + 1]
            while q < end and wi * rcost[q] - li < 0.0:
                if pick[rcol[q]]:
                    gi -= 1.0
                q += 1
            ctl[0] += q - rptr[i] + 1
            g[i] = gi
            norm += gi * gi
        if norm == 0.0:
            ist[1] = 1
            break
        step = theta * (upper - value) / norm
        for i in range(n):
            lam[i] += step * g[i]
    fst[0] = best
    fst[1] = theta
    ist[0] = stale
    ctl[1] += it
    return best


@dataclass
class Lagrange:
    """The best Lagrangian bound found and what reduced-cost fixing needs."""

    bound: float
    rho: NDArray[np.float64]
    lam: NDArray[np.float64]
    steps: int
    work: int
    cut: bool = False  # stopped by the clock: the caller drops it


def lagrangian(
    rows: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]],
    w: NDArray[np.float64],
    p: int,
    *,
    fixed: NDArray[np.bool_],
    region: NDArray[np.int64],
    need: NDArray[np.int64],
    penalty: NDArray[np.float64] | None,
    upper: float,
    start: NDArray[np.float64],
    work: int,
    budget: Budget | None = None,
) -> Lagrange:
    """Lagrangian lower bound of the p-median by subgradient steps within ``work`` units.

    Parameters
    ----------
    rows
        Cost-sorted CSR arrays (:func:`sorted_rows`) of active rows × allowed candidates.
    w
        Demand weights (rows).
    p
        Number of sites.
    fixed, region, need
        Candidates forced open, region per candidate (-1 none), minimum per region.
    penalty
        Unassigned cost per row, or None when every row must be assigned.
    upper
        Cost of a known solution (scales the steps).
    start
        Initial multipliers (e.g. each row's weighted cost in that solution).
    work
        Work limit (entries visited): the same bound on any machine.
    budget
        The call's budget: the clock is looked at every :data:`STEPS_PER_LOOK` steps, and a
        search it stops is returned with ``cut`` set (the caller drops it).

    Returns
    -------
    Lagrange
        The best bound (``-inf`` if no step ran), its ``ρ`` and multipliers.
    """
    m = fixed.size
    rptr, rcol, rcost = rows
    pen = penalty if penalty is not None else np.zeros(w.size)
    best_lam = np.asarray(start, dtype=np.float64).copy()
    best_rho = np.zeros(m)
    ctl = np.zeros(2, dtype=np.int64)
    fst = np.array([-np.inf, 2.0])
    ist = np.zeros(2, dtype=np.int64)
    lam = np.asarray(start, dtype=np.float64).copy()
    pick = np.zeros(m, dtype=np.bool_)
    while True:
        bound = _subgradient(
            rptr, rcol, rcost, w, pen, penalty is not None, int(p), fixed.astype(np.bool_),
            np.zeros(m, dtype=np.bool_), region.astype(np.int64), need.astype(np.int64),
            float(upper), lam, fst, ist, STEPS_PER_LOOK, int(work), 30, best_lam, best_rho,
            pick, ctl,
        )  # fmt: skip
        if ist[1]:
            return Lagrange(float(bound), best_rho, best_lam, int(ctl[1]), int(ctl[0]))
        if budget is not None and budget.expired():
            return Lagrange(float(bound), best_rho, best_lam, int(ctl[1]), int(ctl[0]), True)


def fix_by_reduced_cost(
    lag: Lagrange, p: int, fixed: NDArray[np.bool_], target: float
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Candidates that no solution costing at most ``target`` opens, or closes.

    With the bound ``L`` and the ``ρ`` of its multipliers, opening a candidate ``j`` outside
    the relaxation's choice gives at least ``L + ρ_j - ρ_last`` (it replaces the dearest
    chosen one), and closing a chosen one at least ``L - ρ_j + ρ_next``. Valid without
    region minimums (the caller skips fixing when there are some).

    Returns
    -------
    tuple
        ``(closed, opened)`` masks over the candidates (fixed candidates are never closed).
    """
    m = fixed.size
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    free = np.flatnonzero(~fixed)
    k = p - int(fixed.sum())
    if not np.isfinite(lag.bound) or k <= 0 or k >= free.size:
        return closed, opened
    order = free[np.argsort(lag.rho[free], kind="stable")]
    chosen, rest = order[:k], order[k:]
    last = float(lag.rho[chosen[-1]])
    nxt = float(lag.rho[rest[0]])
    over = target + 1e-9 * max(1.0, abs(target))  # a sum's rounding is not a proof
    closed[rest] = lag.bound + lag.rho[rest] - last > over
    opened[chosen] = lag.bound - lag.rho[chosen] + nxt > over
    return closed, opened


#: Subgradient steps of one probe (a candidate forced open or closed), from the root's
#: multipliers with a fresh step factor.
PROBE_STEPS = 60


@dataclass
class Probe:
    """What :func:`probe` proved."""

    state: NDArray[np.int8]  # per candidate: 1 open, -1 closed, 0 free
    empty: bool  # no solution costs at most the target
    probes: int
    work: int
    #: The bound found with each candidate forced open / closed (-inf: not probed).
    open_bound: NDArray[np.float64]
    close_bound: NDArray[np.float64]
    cut: bool = False  # stopped by the clock: the caller drops it


def probe(
    rows: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]],
    w: NDArray[np.float64],
    p: int,
    *,
    state: NDArray[np.int8],
    region: NDArray[np.int64],
    need: NDArray[np.int64],
    penalty: NDArray[np.float64] | None,
    lam: NDArray[np.float64],
    rho: NDArray[np.float64],
    target: float,
    upper: float,
    work: int,
    budget: Budget | None = None,
) -> Probe:
    """Close (open) the candidates that no solution costing at most ``target`` opens (closes).

    Each free candidate is forced open in turn and the Lagrangian bound of that restricted
    problem is raised by :data:`PROBE_STEPS` subgradient steps from ``lam``: a bound above
    ``target`` closes it, and the later probes see it closed. Then each free candidate of
    the relaxation's choice is forced closed: a bound above ``target`` opens it. Rounds
    repeat while they decide anything. This is reduced-cost fixing with the multipliers
    re-optimised per candidate (one level of strong branching), and it is often what
    proves small-``p`` instances, whose LP gap the tree search closes only slowly.

    Parameters
    ----------
    rows, w, p, region, need, penalty
        As for :func:`lagrangian`.
    state
        Per candidate: 1 forced open, -1 closed, 0 free (not modified).
    lam, rho
        Multipliers of a good bound and their ``ρ`` (the order of the probes).
    target
        Only solutions costing at most this matter.
    upper
        Cost of a known solution, above ``target`` (scales the steps).
    work
        Work limit (entries visited) of all probes: the same result on any machine.
    budget
        The call's budget; a probe the clock stops ends the search with ``cut`` set.

    Returns
    -------
    Probe
        The new states; ``empty`` when no solution costs at most ``target``.
    """
    rptr, rcol, rcost = rows
    m = state.size
    st = state.astype(np.int8).copy()
    pen = penalty if penalty is not None else np.zeros(w.size)
    ctl = np.zeros(2, dtype=np.int64)
    count = 0
    best_lam = np.empty(w.size)
    best_rho = np.empty(m)
    pick = np.zeros(m, dtype=np.bool_)
    reg, nd, lam0 = region.astype(np.int64), need.astype(np.int64), np.asarray(lam, np.float64)

    def bound(opened: NDArray[np.bool_], closed: NDArray[np.bool_]) -> float:
        nonlocal count
        count += 1
        return float(
            _subgradient(
                rptr, rcol, rcost, w, pen, penalty is not None, int(p), opened, closed,
                reg, nd, float(upper), lam0.copy(), np.array([-np.inf, 2.0]),
                np.zeros(2, dtype=np.int64), PROBE_STEPS, int(work), 10, best_lam, best_rho,
                pick, ctl,
            )
        )  # fmt: skip

    open_b = np.full(m, -np.inf)
    close_b = np.full(m, -np.inf)

    def result(empty: bool, cut: bool = False) -> Probe:
        return Probe(st, empty, count, int(ctl[0]), open_b, close_b, cut)

    over = target + 1e-9 * max(1.0, abs(target))  # a sum's rounding is not a proof
    order = np.argsort(-rho, kind="stable")  # the dearest first: likeliest to close
    changed = True
    while changed:
        changed = False
        for force_open in (True, False):
            if force_open:
                todo = order[st[order] == 0]
            else:  # the free candidates the relaxation picks, cheapest first
                free = np.flatnonzero(st == 0)
                k = p - int((st == 1).sum())
                todo = free[np.argsort(rho[free], kind="stable")][: max(k, 0)]
            for j in todo.tolist():
                if ctl[0] >= work:
                    return result(False)
                if budget is not None and budget.expired():
                    return result(False, cut=True)
                opened = st == 1
                closed = st == -1
                if force_open:
                    opened[j] = True
                else:
                    closed[j] = True
                b = bound(opened, closed)
                (open_b if force_open else close_b)[j] = b
                if b > over:
                    st[j] = -1 if force_open else 1
                    changed = True
                if int((st >= 0).sum()) < p or int((st == 1).sum()) > p:
                    return result(True)
    return result(False)


@njit(cache=True)
def _radius(rptr, rcol, rcost, w, pen, has_pen, state, fpos, thresh, start_open, out):  # type: ignore[no-untyped-def]
    """Fill the chain model; returns counts (rows, z columns, entries) and the offset.

    z columns are written as ``-1 - z`` in the column array (placed after the ``y``).
    """
    ri, ci, vv, rhs, zc, zub, s0 = out
    n = w.size
    nrow = 0
    nz = 0
    ne = 0
    offset = 0.0
    for i in range(n):
        q = rptr[i]
        end = rptr[i + 1]
        nfree = 0
        prev_z = -1  # -1: the constant z_0 = 1; -2: the row is served, chain closed
        first = True
        last_d = 0.0
        served_h = False  # the start solution serves the row within the current level
        while q < end:
            c = rcost[q]
            if has_pen and c >= pen[i]:
                break
            forced = False
            row_start = ne
            while q < end and rcost[q] == c:
                j = rcol[q]
                if state[j] == 1:
                    forced = True
                elif state[j] == 0:
                    ri[ne] = nrow
                    ci[ne] = fpos[j]
                    vv[ne] = -1.0
                    ne += 1
                    nfree += 1
                    if start_open[j]:
                        served_h = True
                q += 1
            if ne == row_start and not forced:
                continue  # every candidate at this cost is closed: no level
            if first:
                offset += w[i] * c
                first = False
            else:
                zc[prev_z] = w[i] * (c - last_d)  # the step from the previous level
            last_d = c
            if forced:  # a site forced open serves the row at this level
                ne = row_start
                prev_z = -2
                break
            if prev_z >= 0:
                ri[ne] = nrow
                ci[ne] = -1 - prev_z
                vv[ne] = 1.0
                ne += 1
                rhs[nrow] = 0.0
            else:
                rhs[nrow] = -1.0
            if nfree >= thresh:  # one of these free candidates must be open
                prev_z = -2
                nrow += 1
                break
            ri[ne] = nrow
            ci[ne] = -1 - nz
            vv[ne] = -1.0
            ne += 1
            zc[nz] = 0.0
            zub[nz] = 1.0
            s0[nz] = 0.0 if served_h else 1.0
            prev_z = nz
            nz += 1
            nrow += 1
        if prev_z >= 0:  # not served within the last level: the unassigned cost, or never
            if has_pen:
                zc[prev_z] = w[i] * (pen[i] - last_d)
            else:
                zub[prev_z] = 0.0
        if first:
            if has_pen:
                offset += w[i] * pen[i]
            else:  # no candidate left and no unassigned cost: no solution
                rhs[nrow] = -1.0
                nrow += 1
    return nrow, nz, ne, offset


@dataclass
class RadiusModel:
    """The chain (radius) model over the free candidates and the start it was given."""

    model: MipModel
    free: NDArray[np.int64]
    start: NDArray[np.float64] | None


def radius_model(
    rows: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]],
    w: NDArray[np.float64],
    p: int,
    *,
    state: NDArray[np.int8],
    region: NDArray[np.int64],
    need: NDArray[np.int64],
    penalty: NDArray[np.float64] | None,
    start_open: NDArray[np.bool_] | None,
) -> RadiusModel:
    """The chain model of the p-median with candidates ``state`` 0 free, 1 open, -1 closed.

    Parameters
    ----------
    rows
        Cost-sorted CSR arrays of active rows × allowed candidates.
    w
        Demand weights.
    p
        Number of sites (open candidates count towards it).
    state
        Per candidate: 0 free, 1 forced open (fixed, or by reduced cost), -1 closed.
    region, need
        Region per candidate and minimum per region.
    penalty
        Unassigned cost per row, or None.
    start_open
        A solution to start from (used only when it agrees with ``state``).

    Returns
    -------
    RadiusModel
        Columns: ``y`` of the free candidates, then the ``z``; the offset holds the
        constant part of the cost.
    """
    rptr, rcol, rcost = rows
    m = state.size
    free = np.flatnonzero(state == 0).astype(np.int64)
    fpos = np.full(m, -1, dtype=np.int64)
    fpos[free] = np.arange(free.size)
    p_free = p - int((state == 1).sum())
    thresh = free.size - p_free + 1
    cap = int(rcol.size) * 3 + w.size + 1  # per entry: its y, and per level two z
    out = (
        np.zeros(cap, dtype=np.int64),
        np.zeros(cap, dtype=np.int64),
        np.zeros(cap),
        np.zeros(w.size + rcol.size + 1),
        np.zeros(rcol.size + 1),
        np.zeros(rcol.size + 1),
        np.zeros(rcol.size + 1),
    )
    so = start_open if start_open is not None else np.zeros(m, dtype=bool)
    ok = start_open is not None and not (so & (state == -1)).any() and so[state == 1].all()
    pen = penalty if penalty is not None else np.zeros(w.size)
    nrow, nz, ne, offset = _radius(
        rptr, rcol, rcost, w, pen, penalty is not None, state.astype(np.int8), fpos,
        int(thresh), so.astype(np.bool_), out,
    )  # fmt: skip
    ri, ci, vv, rhs, zc, zub, s0 = out
    ri, ci, vv = ri[:ne], ci[:ne], vv[:ne]
    nf = free.size
    col = np.where(ci >= 0, ci, nf + (-1 - ci))
    ncol = nf + nz
    chain = sp.csr_matrix((vv, (ri, col)), shape=(nrow, ncol))
    mats = [chain]
    lo = [np.full(nrow, -np.inf)]
    hi = [rhs[:nrow]]
    mats.append(sp.csr_matrix((np.ones(nf), (np.zeros(nf), np.arange(nf))), shape=(1, ncol)))
    lo.append(np.array([float(p_free)]))
    hi.append(np.array([float(p_free)]))
    if need.size:
        have = np.bincount(region[(state == 1) & (region >= 0)], minlength=need.size)
        left = np.maximum(need - have, 0)
        j = np.flatnonzero(region[free] >= 0)
        if left.any():
            mats.append(
                sp.csr_matrix((np.ones(j.size), (region[free][j], j)), shape=(need.size, ncol))
            )
            lo.append(left.astype(np.float64))
            hi.append(np.full(need.size, np.inf))
    model = MipModel(
        c=np.concatenate([np.zeros(nf), zc[:nz]]),
        A=sp.vstack(mats, format="csr"),
        row_lo=np.concatenate(lo),
        row_hi=np.concatenate(hi),
        col_lo=np.zeros(ncol),
        col_hi=np.concatenate([np.ones(nf), zub[:nz]]),
        integer=np.concatenate([np.ones(nf, dtype=bool), np.zeros(nz, dtype=bool)]),
        offset=float(offset),
    )
    start = None
    if ok:
        start = np.concatenate([so[free].astype(np.float64), s0[:nz]])
    return RadiusModel(model, free, start)

"""Greedy and interchange heuristics for the siting models, on scipy.sparse matrices.

They run before every exact solve (as its MIP start) and are the fallback when the solver
stops without a solution. All work on positions of *allowed* candidates; the caller has
already removed excluded candidates and checked the inputs.

* cover models (MCLP, LSCP): lazy greedy with a heap (the covered weight is submodular, so a
  stale gain is an upper bound and only the top of the heap is re-evaluated), then for MCLP a
  best-improvement swap (Teitz & Bart) whose whole (add k, drop j) profit table is one sparse
  product per iteration; for LSCP redundancy removal.
* LSCP (cover every row): exact set-cover reductions (essential columns, dominated rows and
  columns), then iterated destroy-and-repair local search compiled with numba.
* p-median: lazy greedy on the saving ``Σ w_i max(0, d_i - c_ik)``, then the fast
  interchange of Whitaker / Resende & Werneck: profit(k, j) = gain(k) - loss(j) + extra(k, j)
  with ``extra`` a sparse matrix built from the nearest and second-nearest open sites.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import NDArray

__all__ = [
    "Rules",
    "disjoint_rows",
    "greedy_cover",
    "greedy_median",
    "lscp_greedy",
    "lscp_local_search",
    "reduce_set_cover",
    "swap_cover",
    "swap_median",
]

log = logging.getLogger(__name__)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass
class Rules:
    """Side constraints every heuristic respects.

    Parameters
    ----------
    fixed
        Bool per candidate: must be open.
    region
        Region code per candidate (-1: none).
    need
        Minimum open sites per region code.
    """

    fixed: NDArray[np.bool_]
    region: IntArray
    need: IntArray

    def region_counts(self, open_mask: NDArray[np.bool_]) -> IntArray:
        """Open sites per region code."""
        r = self.region[open_mask]
        return np.bincount(r[r >= 0], minlength=self.need.size).astype(np.int64)

    def deficits(self, open_mask: NDArray[np.bool_]) -> IntArray:
        """Missing sites per region code (0 when met)."""
        return np.maximum(self.need - self.region_counts(open_mask), 0)


def _lazy_pick(
    gain_of: Callable[[int], float],
    candidates: IntArray,
    initial: FloatArray,
    count: int,
    on_pick: Callable[[int], None],
    stop_when: Callable[[], bool] | None = None,
) -> list[tuple[int, float]]:
    """Pick up to ``count`` candidates by lazy greedy; gains never increase between picks."""
    heap = [(-float(g), int(j)) for g, j in zip(initial.tolist(), candidates.tolist(), strict=True)]
    heapq.heapify(heap)
    picked: list[tuple[int, float]] = []
    while heap and len(picked) < count:
        if stop_when is not None and stop_when():
            break
        _, j = heapq.heappop(heap)
        g = gain_of(j)
        if heap and g < -heap[0][0] - 1e-12 * max(1.0, abs(g)):
            heapq.heappush(heap, (-g, j))
            continue
        picked.append((j, g))
        on_pick(j)
    return picked


# ----------------------------------------------------------------------------- cover models


class _CoverState:
    """Coverage counts for a set of open candidates (A is demand × candidates, csc and csr)."""

    def __init__(self, csc: sp.csc_matrix, w: FloatArray, open_mask: NDArray[np.bool_]) -> None:
        self.csc = csc
        self.w = w
        self.count = (
            np.asarray(csc[:, np.flatnonzero(open_mask)].sum(axis=1)).ravel().astype(np.int64)
        )
        self.open = open_mask.copy()

    def column(self, j: int) -> IntArray:
        return self.csc.indices[self.csc.indptr[j] : self.csc.indptr[j + 1]].astype(np.int64)

    def gain(self, j: int) -> float:
        rows = self.column(j)
        return float(self.w[rows][self.count[rows] == 0].sum())

    def add(self, j: int) -> None:
        self.count[self.column(j)] += 1
        self.open[j] = True

    def drop(self, j: int) -> None:
        self.count[self.column(j)] -= 1
        self.open[j] = False

    def covered_weight(self) -> float:
        return float(self.w[self.count > 0].sum())


def greedy_cover(
    csc: sp.csc_matrix,
    w: FloatArray,
    p: int,
    rules: Rules,
) -> tuple[NDArray[np.bool_], dict[int, float]]:
    """Lazy-greedy MCLP: fixed sites, then each region's minimum, then the best gains.

    Parameters
    ----------
    csc
        Coverage (demand × candidates), CSC.
    w
        Demand weights.
    p
        Number of sites.
    rules
        Fixed sites and region minimums.

    Returns
    -------
    tuple
        Open mask and the marginal gain at which each site was picked.
    """
    m = csc.shape[1]
    state = _CoverState(csc, w, rules.fixed)
    gains: dict[int, float] = {int(j): 0.0 for j in np.flatnonzero(rules.fixed)}
    for r in np.flatnonzero(rules.deficits(state.open)):
        pool = np.flatnonzero((rules.region == r) & ~state.open)
        short = int(rules.deficits(state.open)[r])
        init = np.array([state.gain(int(j)) for j in pool])
        for j, g in _lazy_pick(state.gain, pool, init, short, state.add):
            gains[j] = g
    rest = np.flatnonzero(~state.open)
    uncovered = w * (state.count == 0)
    init = np.asarray(csc[:, rest].T @ uncovered).ravel() if rest.size else np.zeros(0)
    for j, g in _lazy_pick(state.gain, rest, init, p - int(state.open.sum()), state.add):
        gains[j] = g
    assert int(state.open.sum()) == min(p, m)
    return state.open, gains


def _group_cover(groups: FloatArray | None, covered: NDArray[np.bool_]) -> FloatArray:
    if groups is None:
        return np.zeros(0)
    return np.asarray(groups.T @ covered.astype(np.float64)).ravel()


def _mask_swaps(delta: FloatArray, S: IntArray, rules: Rules, open_mask: NDArray[np.bool_]) -> None:
    """Forbid swap moves (rows: site to open, columns: open site to close) that break a rule.

    Sites already open cannot open again; fixed sites never close; a site whose region is
    at its minimum may only be swapped for a site of the same region.
    """
    delta[S, :] = -np.inf
    delta[:, rules.fixed[S]] = -np.inf
    counts = rules.region_counts(open_mask)
    reg_S = rules.region[S]
    if rules.need.size:
        r0 = np.maximum(reg_S, 0)
        tight = (reg_S >= 0) & (counts[r0] <= rules.need[r0])
    else:
        tight = np.zeros(S.size, dtype=bool)
    if tight.any():
        same = rules.region[:, None] == reg_S[None, :]
        delta[:, tight] = np.where(same[:, tight], delta[:, tight], -np.inf)


def swap_cover(
    csc: sp.csc_matrix,
    w: FloatArray,
    open_mask: NDArray[np.bool_],
    rules: Rules,
    *,
    groups: FloatArray | None = None,
    floor_w: FloatArray | None = None,
    time_limit_s: float = 30.0,
    max_tries: int = 50,
) -> NDArray[np.bool_]:
    """Best-improvement swaps for MCLP until no swap raises the covered weight.

    Parameters
    ----------
    csc
        Coverage (demand × candidates), CSC.
    w
        Demand weights.
    open_mask
        Starting solution.
    rules
        Fixed sites and region minimums (kept by every swap).
    groups, floor_w
        Group weights (demand × k) and the covered weight each group must keep.
    time_limit_s
        Stop after this long.
    max_tries
        Profitable swaps tested per iteration when floors must be checked.

    Returns
    -------
    NDArray
        Open mask.
    """
    t0 = time.perf_counter()
    csr = csc.tocsr()
    state = _CoverState(csc, w, open_mask)
    m = csc.shape[1]
    scale = max(float(w.sum()), 1.0)
    while time.perf_counter() - t0 < time_limit_s:
        S = np.flatnonzero(state.open)
        if S.size == 0 or S.size == m:
            break
        pos = np.full(m, -1, dtype=np.int64)
        pos[S] = np.arange(S.size)
        g0 = np.asarray(csc.T @ (w * (state.count == 0))).ravel()
        one = np.flatnonzero(state.count == 1)
        sub = csr[one]
        # the single open site covering each once-covered row
        open_nz = state.open[sub.indices]
        owner_nz = np.flatnonzero(open_nz)
        row_of_nz = np.repeat(np.arange(one.size), np.diff(sub.indptr))
        owner = np.empty(one.size, dtype=np.int64)
        owner[row_of_nz[owner_nz]] = pos[sub.indices[owner_nz]]
        loss = np.bincount(owner, weights=w[one], minlength=S.size)
        E = sp.csr_matrix((w[one], (np.arange(one.size), owner)), shape=(one.size, S.size))
        B = (sub.T @ E).toarray()
        delta = g0[:, None] - loss[None, :] + B
        _mask_swaps(delta, S, rules, state.open)
        tol = 1e-9 * scale
        if groups is None:
            best = np.array([int(np.argmax(delta))])
        else:
            flat_delta = delta.ravel()
            top = min(max_tries, flat_delta.size)
            best = np.argpartition(flat_delta, -top)[-top:]
            best = best[np.argsort(flat_delta[best])[::-1]]
        done = True
        for flat in best.tolist():
            k, jj = divmod(flat, S.size)
            if not delta[k, jj] > tol:
                break
            j = int(S[jj])
            if groups is not None and floor_w is not None:
                state.drop(j)
                state.add(k)
                ok = bool(np.all(_group_cover(groups, state.count > 0) >= floor_w - 1e-9))
                if ok:
                    done = False
                    break
                state.drop(k)
                state.add(j)
            else:
                state.drop(j)
                state.add(k)
                done = False
                break
        if done:
            break
    return state.open


def repair_floors(
    csc: sp.csc_matrix,
    w: FloatArray,
    open_mask: NDArray[np.bool_],
    rules: Rules,
    groups: FloatArray,
    floor_w: FloatArray,
) -> NDArray[np.bool_]:
    """Swap sites until every group's covered weight reaches its floor (or give up).

    Each step drops the open site whose removal loses least weight (keeping fixed sites and
    region minimums) and adds the site that most reduces the total floor shortfall.

    Parameters
    ----------
    csc
        Coverage (demand × candidates), CSC.
    w
        Demand weights.
    open_mask
        Starting solution.
    rules
        Fixed sites and region minimums.
    groups, floor_w
        Group weights (demand × k) and required covered weight per group.

    Returns
    -------
    NDArray
        Open mask; floors may still be unmet when no such swap helps.
    """
    state = _CoverState(csc, w, open_mask)
    for _ in range(int(open_mask.sum()) + 1):
        short = floor_w - _group_cover(groups, state.count > 0)
        if np.all(short <= 1e-9):
            break
        S = np.flatnonzero(state.open)
        counts = rules.region_counts(state.open)
        removable = [
            int(j)
            for j in S
            if not rules.fixed[j]
            and (rules.region[j] < 0 or counts[rules.region[j]] > rules.need[rules.region[j]])
        ]
        if not removable:
            break
        losses = []
        for j in removable:
            rows = state.column(j)
            losses.append(float(w[rows][state.count[rows] == 1].sum()))
        j_out = removable[int(np.argmin(losses))]
        state.drop(j_out)
        unc = (state.count == 0).astype(np.float64)
        need = np.maximum(floor_w - _group_cover(groups, state.count > 0), 0.0)
        per_group = np.asarray(csc.T @ (groups * unc[:, None]))  # m × k
        score = np.minimum(per_group, need[None, :]).sum(axis=1)
        score[state.open] = -np.inf
        score[j_out] = -np.inf if need.sum() > 0 else score[j_out]
        state.add(int(np.argmax(score)))
    return state.open


def lscp_greedy(
    csc: sp.csc_matrix,
    w: FloatArray,
    target_w: float,
    rules: Rules,
    *,
    full: bool,
    groups: FloatArray | None = None,
    floor_w: FloatArray | None = None,
) -> NDArray[np.bool_]:
    """Greedy set cover, then drop redundant sites.

    Parameters
    ----------
    csc
        Coverage (demand × candidates), CSC; rows are coverable demand only.
    w
        Demand weights.
    target_w
        Weight to cover.
    rules
        Fixed sites and region minimums.
    full
        True when every row must be covered (gains count rows, as classic greedy does).
    groups, floor_w
        Group weights and floors, or None.

    Returns
    -------
    NDArray
        Open mask meeting the target, floors and region minimums.
    """
    gain_w = np.ones_like(w) if full else w
    state = _CoverState(csc, gain_w, rules.fixed)
    for r in np.flatnonzero(rules.deficits(state.open)):
        pool = np.flatnonzero((rules.region == r) & ~state.open)
        init = np.array([state.gain(int(j)) for j in pool])
        _lazy_pick(state.gain, pool, init, int(rules.deficits(state.open)[r]), state.add)

    def covered_w() -> float:
        return float(w[state.count > 0].sum())

    def floors_ok() -> bool:
        if groups is None or floor_w is None:
            return True
        return bool(np.all(_group_cover(groups, state.count > 0) >= floor_w - 1e-9))

    def met() -> bool:
        if full:
            return bool(np.all(state.count > 0)) and floors_ok()
        return covered_w() >= target_w - 1e-9 * max(target_w, 1.0) and floors_ok()

    if not met():
        rest = np.flatnonzero(~state.open)
        init = np.asarray(csc[:, rest].T @ (gain_w * (state.count == 0))).ravel()
        _lazy_pick(state.gain, rest, init, rest.size, state.add, stop_when=met)
    if not floors_ok() and groups is not None and floor_w is not None:
        while not floors_ok():  # add the site closing most of the shortfall
            need = np.maximum(floor_w - _group_cover(groups, state.count > 0), 0.0)
            unc = (state.count == 0).astype(np.float64)
            score = np.minimum(np.asarray(csc.T @ (groups * unc[:, None])), need).sum(axis=1)
            score[state.open] = -np.inf
            if not np.isfinite(score.max()) or score.max() <= 0:
                break
            state.add(int(np.argmax(score)))
    # redundancy removal: least unique contribution first
    S = [int(j) for j in np.flatnonzero(state.open & ~rules.fixed)]
    unique = []
    for j in S:
        rows = state.column(j)
        unique.append(float(w[rows][state.count[rows] == 1].sum()))
    for j in [S[i] for i in np.argsort(unique, kind="stable")]:
        r = rules.region[j]
        if r >= 0 and rules.region_counts(state.open)[r] <= rules.need[r]:
            continue
        state.drop(j)
        if not met():
            state.add(j)
    return state.open


# ----------------------------------------------------------------------------- p-median


class _MedianState:
    """Nearest and second-nearest open site per demand row (with an unassigned cost)."""

    def __init__(
        self, csr: sp.csr_matrix, w: FloatArray, penalty: FloatArray, open_mask: NDArray[np.bool_]
    ) -> None:
        self.csr = csr
        self.w = w
        self.penalty = penalty
        self.open = open_mask.copy()
        self.row_of_nz = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        self.refresh()

    def refresh(self) -> None:
        csr = self.csr
        n = csr.shape[0]
        data = np.where(self.open[csr.indices], csr.data, np.inf)
        padded = np.append(data, np.inf)
        lens = np.diff(csr.indptr)
        starts = np.minimum(csr.indptr[:-1], data.size)
        d1 = np.minimum.reduceat(padded, starts)[:n] if n else np.zeros(0)
        d1 = np.where(lens > 0, d1, np.inf)
        is_min = (data == d1[self.row_of_nz]) & np.isfinite(data)
        pos = np.where(is_min, np.arange(data.size), data.size)
        first = np.minimum.reduceat(np.append(pos, data.size), starts)[:n]
        first = np.where(lens > 0, first, data.size)
        has = first < data.size
        a = np.full(n, -1, dtype=np.int64)
        a[has] = csr.indices[first[has]]
        data2 = data.copy()
        data2[first[has]] = np.inf
        d2 = np.minimum.reduceat(np.append(data2, np.inf), starts)[:n]
        d2 = np.where(lens > 0, d2, np.inf)
        # the unassigned cost acts as an always-open site
        unassigned = d1 >= self.penalty
        a[unassigned] = -1
        self.d1 = np.minimum(d1, self.penalty)
        self.d2 = np.minimum(d2, self.penalty)
        self.a = a

    def gains(self) -> FloatArray:
        csr = self.csr
        save = self.w[self.row_of_nz] * np.maximum(self.d1[self.row_of_nz] - csr.data, 0.0)
        return np.bincount(csr.indices, weights=save, minlength=csr.shape[1]).astype(np.float64)

    def objective(self) -> float:
        return float(self.w @ self.d1)


def greedy_median(
    csc: sp.csc_matrix,
    csr: sp.csr_matrix,
    w: FloatArray,
    penalty: FloatArray,
    p: int,
    rules: Rules,
) -> tuple[NDArray[np.bool_], dict[int, float]]:
    """Lazy-greedy p-median: fixed sites, region minimums, then the largest savings.

    Parameters
    ----------
    csc, csr
        Cost (demand × candidates, seconds) in both layouts.
    w
        Demand weights.
    penalty
        Cost of leaving each demand row unassigned.
    p
        Number of sites.
    rules
        Fixed sites and region minimums.

    Returns
    -------
    tuple
        Open mask and the saving at which each site was picked.
    """
    state = _MedianState(csr, w, penalty, rules.fixed)
    d = state.d1.copy()

    def gain(j: int) -> float:
        lo, hi = csc.indptr[j], csc.indptr[j + 1]
        rows = csc.indices[lo:hi]
        return float((w[rows] * np.maximum(d[rows] - csc.data[lo:hi], 0.0)).sum())

    def add(j: int) -> None:
        lo, hi = csc.indptr[j], csc.indptr[j + 1]
        rows = csc.indices[lo:hi]
        d[rows] = np.minimum(d[rows], csc.data[lo:hi])
        state.open[j] = True

    gains: dict[int, float] = {int(j): 0.0 for j in np.flatnonzero(rules.fixed)}
    for r in np.flatnonzero(rules.deficits(state.open)):
        pool = np.flatnonzero((rules.region == r) & ~state.open)
        init = np.array([gain(int(j)) for j in pool])
        for j, g in _lazy_pick(gain, pool, init, int(rules.deficits(state.open)[r]), add):
            gains[j] = g
    rest = np.flatnonzero(~state.open)
    state.d1 = d
    init = state.gains()[rest]
    for j, g in _lazy_pick(gain, rest, init, p - int(state.open.sum()), add):
        gains[j] = g
    return state.open, gains


def swap_median(
    csr: sp.csr_matrix,
    w: FloatArray,
    penalty: FloatArray,
    open_mask: NDArray[np.bool_],
    rules: Rules,
    *,
    time_limit_s: float = 30.0,
) -> NDArray[np.bool_]:
    """Best-improvement interchange for p-median (Resende & Werneck's profit table).

    Parameters
    ----------
    csr
        Cost (demand × candidates, seconds), CSR.
    w
        Demand weights.
    penalty
        Cost of leaving each demand row unassigned.
    open_mask
        Starting solution.
    rules
        Fixed sites and region minimums (kept by every swap).
    time_limit_s
        Stop after this long.

    Returns
    -------
    NDArray
        Open mask.
    """
    t0 = time.perf_counter()
    state = _MedianState(csr, w, penalty, open_mask)
    m = csr.shape[1]
    scale = max(abs(state.objective()), 1.0)
    while time.perf_counter() - t0 < time_limit_s:
        S = np.flatnonzero(state.open)
        if S.size == 0 or S.size == m:
            break
        pos = np.full(m, -1, dtype=np.int64)
        pos[S] = np.arange(S.size)
        gain = state.gains()
        assigned = state.a >= 0
        loss = np.bincount(
            pos[state.a[assigned]],
            weights=(w * (state.d2 - state.d1))[assigned],
            minlength=S.size,
        )
        rows = state.row_of_nz
        c = csr.data
        sel = assigned[rows] & (c < state.d2[rows])
        r_sel = rows[sel]
        extra_val = w[r_sel] * (state.d2[r_sel] - np.maximum(c[sel], state.d1[r_sel]))
        extra = sp.csr_matrix(
            (extra_val, (csr.indices[sel], pos[state.a[r_sel]])), shape=(m, S.size)
        ).toarray()
        delta = gain[:, None] - loss[None, :] + extra
        _mask_swaps(delta, S, rules, state.open)
        k, jj = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if not delta[k, jj] > 1e-9 * scale:
            break
        state.open[S[jj]] = False
        state.open[k] = True
        state.refresh()
    return state.open


def median_state(
    csr: sp.csr_matrix, w: FloatArray, penalty: FloatArray, open_mask: NDArray[np.bool_]
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Nearest open site (-1 unassigned), its cost and the second-nearest cost per row.

    Parameters
    ----------
    csr
        Cost (demand × candidates), CSR.
    w
        Demand weights.
    penalty
        Unassigned cost per row.
    open_mask
        Open candidates.

    Returns
    -------
    tuple
        ``(assignment, d1, d2)``.
    """
    s = _MedianState(csr, w, penalty, open_mask)
    return s.a, s.d1, s.d2


# ----------------------------------------------------------------------------- set cover (LSCP)

#: Moves per round of :func:`lscp_local_search`.
LS_ROUND = 25_000
#: Rounds without a smaller cover after which the local search stops.
LS_PATIENCE = 4
#
# Compiled with numba on first use (cached on disk). Rows and columns are those of a
# demand × candidates coverage matrix with sorted indices, given as CSR and CSC arrays.


@njit(cache=True)
def _subset_of(ptr, ind, a, b, alive):  # type: ignore[no-untyped-def]
    """True when line ``a``'s alive entries are all among line ``b``'s (sorted indices)."""
    q = ptr[b]
    qe = ptr[b + 1]
    for p in range(ptr[a], ptr[a + 1]):
        x = ind[p]
        if not alive[x]:
            continue
        while q < qe and ind[q] < x:
            q += 1
        if q == qe or ind[q] != x:
            return False
        q += 1
    return True


@njit(cache=True)
def _reduce_kernel(rptr, rind, cptr, cind, state, droppable, region):  # type: ignore[no-untyped-def]
    """Set-cover reductions to a fixed point; ``state`` per column: 0 free, 1 open, -1 dropped.

    Returns the alive mask of rows. Rules: rows covered by an open column go; a row with
    one free column opens it (essential); a droppable free column whose rows are a subset of
    another free column's (same region or none) is dropped (dominated; of identical columns
    the lower position stays); a row whose free columns include all of another row's free
    columns goes (covering the smaller row covers it; of identical rows the lower stays).
    """
    n = rptr.size - 1
    m = cptr.size - 1
    row_alive = np.ones(n, dtype=np.bool_)
    col_free = state == 0
    deg_r = np.zeros(n, dtype=np.int64)
    deg_c = np.zeros(m, dtype=np.int64)
    for i in range(n):
        for p in range(rptr[i], rptr[i + 1]):
            if col_free[rind[p]]:
                deg_r[i] += 1
    for j in range(m):
        deg_c[j] = cptr[j + 1] - cptr[j]
    outer = True
    while outer:
        outer = False
        changed = True
        while changed:
            changed = False
            # rows covered by open columns
            for j in range(m):
                if state[j] != 1 or deg_c[j] == 0:
                    continue
                for p in range(cptr[j], cptr[j + 1]):
                    r = cind[p]
                    if row_alive[r]:
                        row_alive[r] = False
                        for q in range(rptr[r], rptr[r + 1]):
                            deg_c[rind[q]] -= 1
            # essential columns
            for i in range(n):
                if row_alive[i] and deg_r[i] == 1:
                    for p in range(rptr[i], rptr[i + 1]):
                        j = rind[p]
                        if col_free[j]:
                            state[j] = 1
                            col_free[j] = False
                            for q in range(cptr[j], cptr[j + 1]):
                                r = cind[q]
                                deg_r[r] -= 1
                                if row_alive[r]:  # covered now
                                    row_alive[r] = False
                                    for t in range(rptr[r], rptr[r + 1]):
                                        deg_c[rind[t]] -= 1
                            changed = True
                            break
            if changed:
                continue
            # dominated (or empty) columns
            for j in range(m):
                if not col_free[j] or not droppable[j]:
                    continue
                if deg_c[j] == 0:
                    state[j] = -1
                    col_free[j] = False
                    changed = True
                    continue
                best = -1
                for p in range(cptr[j], cptr[j + 1]):
                    r = cind[p]
                    if row_alive[r] and (best < 0 or deg_r[r] < deg_r[best]):
                        best = r
                for p in range(rptr[best], rptr[best + 1]):
                    k = rind[p]
                    if k == j or not col_free[k] or deg_c[k] < deg_c[j]:
                        continue
                    if deg_c[k] == deg_c[j] and k > j:
                        continue
                    if region[j] >= 0 and region[k] != region[j]:
                        continue
                    if _subset_of(cptr, cind, j, k, row_alive):
                        state[j] = -1
                        col_free[j] = False
                        for q in range(cptr[j], cptr[j + 1]):
                            if row_alive[cind[q]]:
                                deg_r[cind[q]] -= 1
                        changed = True
                        break
        # dominated rows
        for k in range(n):
            if not row_alive[k]:
                continue
            best = -1
            for p in range(rptr[k], rptr[k + 1]):
                j = rind[p]
                if col_free[j] and (best < 0 or deg_c[j] < deg_c[best]):
                    best = j
            if best < 0:
                continue
            for p in range(cptr[best], cptr[best + 1]):
                i = cind[p]
                if i == k or not row_alive[i] or deg_r[i] < deg_r[k]:
                    continue
                if deg_r[i] == deg_r[k] and i < k:
                    continue
                if _subset_of(rptr, rind, k, i, col_free):
                    row_alive[i] = False
                    for q in range(rptr[i], rptr[i + 1]):
                        deg_c[rind[q]] -= 1
                    outer = True
    return row_alive


def reduce_set_cover(
    csr: sp.csr_matrix,
    rules: Rules,
    *,
    droppable: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.bool_], NDArray[np.int8]]:
    """Exact reductions of "cover every row with the fewest columns".

    Every optimal cover of the reduced problem plus the opened columns is an optimal cover
    of the whole: rows already covered by an open (fixed or essential) column go, a row
    covered by one column opens it, a column whose rows are a subset of another's (in the
    same region, or the dominated column in none) is dropped, and a row whose covering set
    contains another row's goes.

    Parameters
    ----------
    csr
        Coverage (rows to cover × candidates), CSR.
    rules
        Fixed columns (start open) and regions (a column is only dominated by one of its own
        region, so region minimums stay reachable).
    droppable
        Columns that may be dropped when dominated (default all).

    Returns
    -------
    tuple
        Alive rows (bool per row) and the state per column: 1 open, 0 free, -1 dropped.
    """
    A = sp.csr_matrix(csr, dtype=np.float64)
    A.sort_indices()
    C = A.tocsc()
    C.sort_indices()
    state = np.where(rules.fixed, 1, 0).astype(np.int8)
    drop = np.ones(A.shape[1], dtype=np.bool_) if droppable is None else droppable.copy()
    alive = _reduce_kernel(
        A.indptr.astype(np.int64),
        A.indices.astype(np.int64),
        C.indptr.astype(np.int64),
        C.indices.astype(np.int64),
        state,
        drop & ~rules.fixed,
        rules.region.astype(np.int64),
    )
    return np.asarray(alive, dtype=np.bool_), state


@njit(cache=True)
def _closable(j, region, rcount, need):  # type: ignore[no-untyped-def]
    return region[j] < 0 or rcount[region[j]] > need[region[j]]


@njit(cache=True)
def _ils_kernel(rptr, rind, cptr, cind, start, locked, region, need, iterations, seed):  # type: ignore[no-untyped-def]
    """Destroy-and-repair local search for unicost set cover; returns the best open mask.

    Each move closes a random open column and one or two open neighbours (columns sharing
    a row with it), re-covers the uncovered rows greedily (most uncovered rows first, random
    ties), drops redundant columns, and is kept when the cover is no larger (plateaus are
    walked), else undone. Locked columns never close; a region keeps ``need`` open columns.
    """
    np.random.seed(seed)
    n = rptr.size - 1
    m = cptr.size - 1
    op = start.copy()
    count = np.zeros(n, dtype=np.int64)
    for j in range(m):
        if op[j]:
            for p in range(cptr[j], cptr[j + 1]):
                count[cind[p]] += 1
    nreg = need.size
    rcount = np.zeros(max(nreg, 1), dtype=np.int64)
    for j in range(m):
        if op[j] and region[j] >= 0:
            rcount[region[j]] += 1
    size = 0
    for j in range(m):
        if op[j]:
            size += 1
    best = op.copy()
    best_size = size
    gain = np.zeros(m, dtype=np.int64)
    closed = np.empty(m, dtype=np.int64)
    added = np.empty(m, dtype=np.int64)
    cand = np.empty(m, dtype=np.int64)
    in_cand = np.zeros(m, dtype=np.bool_)
    open_list = np.empty(m, dtype=np.int64)
    for _it in range(iterations):
        no = 0
        for j in range(m):
            if op[j] and not locked[j]:
                open_list[no] = j
                no += 1
        if no == 0:
            break
        j0 = open_list[np.random.randint(no)]
        nclosed = 0

        if not _closable(j0, region, rcount, need):
            continue
        want = 2 if np.random.random() < 0.7 else 3
        closed[0] = j0
        nclosed = 1
        op[j0] = False
        if region[j0] >= 0:
            rcount[region[j0]] -= 1
        for p in range(cptr[j0], cptr[j0 + 1]):
            count[cind[p]] -= 1
        # neighbours: open columns covering a random row of j0
        tries = 0
        while nclosed < want and tries < 8 and cptr[j0 + 1] > cptr[j0]:
            tries += 1
            r = cind[cptr[j0] + np.random.randint(cptr[j0 + 1] - cptr[j0])]
            deg = rptr[r + 1] - rptr[r]
            k = rind[rptr[r] + np.random.randint(deg)]
            if not op[k] or locked[k] or not _closable(k, region, rcount, need):
                continue
            op[k] = False
            if region[k] >= 0:
                rcount[region[k]] -= 1
            for p in range(cptr[k], cptr[k + 1]):
                count[cind[p]] -= 1
            closed[nclosed] = k
            nclosed += 1
        # repair: greedy on the uncovered rows
        nc = 0
        for t in range(nclosed):
            j = closed[t]
            for p in range(cptr[j], cptr[j + 1]):
                r = cind[p]
                if count[r] == 0:
                    for q in range(rptr[r], rptr[r + 1]):
                        k = rind[q]
                        if not in_cand[k]:
                            in_cand[k] = True
                            cand[nc] = k
                            nc += 1
                            gain[k] = 0
        seen_rows = 0
        for t in range(nclosed):
            j = closed[t]
            for p in range(cptr[j], cptr[j + 1]):
                r = cind[p]
                if count[r] == 0:
                    count[r] = -1  # mark: counted once
                    seen_rows += 1
                    for q in range(rptr[r], rptr[r + 1]):
                        gain[rind[q]] += 1
        for t in range(nclosed):
            j = closed[t]
            for p in range(cptr[j], cptr[j + 1]):
                if count[cind[p]] == -1:
                    count[cind[p]] = 0
        nadded = 0
        left = seen_rows
        while left > 0:
            bk = -1
            bg = 0
            ties = 0
            for t in range(nc):
                k = cand[t]
                g = gain[k]
                if op[k] or g <= 0:
                    continue
                if g > bg:
                    bg = g
                    bk = k
                    ties = 1
                elif g == bg:
                    ties += 1
                    if np.random.randint(ties) == 0:
                        bk = k
            op[bk] = True
            if region[bk] >= 0:
                rcount[region[bk]] += 1
            added[nadded] = bk
            nadded += 1
            for p in range(cptr[bk], cptr[bk + 1]):
                r = cind[p]
                if count[r] == 0:
                    left -= 1
                    for q in range(rptr[r], rptr[r + 1]):
                        gain[rind[q]] -= 1
                count[r] += 1
        for t in range(nc):
            in_cand[cand[t]] = False
        # redundancy: added columns (random order) and the closed columns' open neighbours
        for t in range(nadded - 1, 0, -1):
            s = np.random.randint(t + 1)
            added[t], added[s] = added[s], added[t]
        removed = 0
        for t in range(nadded):
            j = added[t]
            red = _closable(j, region, rcount, need)
            for p in range(cptr[j], cptr[j + 1]):
                if count[cind[p]] < 2:
                    red = False
                    break
            if red:
                op[j] = False
                if region[j] >= 0:
                    rcount[region[j]] -= 1
                for p in range(cptr[j], cptr[j + 1]):
                    count[cind[p]] -= 1
                added[t] = -1
                removed += 1
        new_size = size - nclosed + nadded - removed
        if new_size <= size:
            size = new_size
            if size < best_size:
                best_size = size
                best[:] = op
        else:  # undo
            for t in range(nadded):
                j = added[t]
                if j < 0:
                    continue
                op[j] = False
                if region[j] >= 0:
                    rcount[region[j]] -= 1
                for p in range(cptr[j], cptr[j + 1]):
                    count[cind[p]] -= 1
            for t in range(nclosed):
                j = closed[t]
                op[j] = True
                if region[j] >= 0:
                    rcount[region[j]] += 1
                for p in range(cptr[j], cptr[j + 1]):
                    count[cind[p]] += 1
    return best


def lscp_local_search(
    csr: sp.csr_matrix,
    open_mask: NDArray[np.bool_],
    rules: Rules,
    *,
    iterations: int | None = None,
    seed: int = 0,
    time_limit_s: float = 30.0,
) -> NDArray[np.bool_]:
    """Improve a full set cover by destroy-and-repair moves (deterministic for a seed).

    Moves run in rounds of :data:`LS_ROUND` from the best cover so far (round ``k`` seeded
    ``seed + k``); the search stops after ``iterations`` moves, after
    :data:`LS_PATIENCE` rounds without a smaller cover, or (logged, the only
    non-deterministic stop) when ``time_limit_s`` has passed.

    Parameters
    ----------
    csr
        Coverage (rows that must be covered × candidates), CSR.
    open_mask
        A cover of every row meeting the region minimums.
    rules
        Fixed columns never close; region minimums are kept.
    iterations
        Most moves to try (default ``max(50_000, 1_000 × open columns)``).
    seed
        Seed of the move choice.
    time_limit_s
        Wall-clock cap, seconds.

    Returns
    -------
    NDArray
        The smallest cover met (never larger than ``open_mask``).
    """
    t0 = time.perf_counter()
    A = sp.csr_matrix(csr, dtype=np.float64)
    A.sort_indices()
    C = A.tocsc()
    C.sort_indices()
    if iterations is None:
        iterations = max(50_000, 1_000 * int(open_mask.sum()))
    arrays = (
        A.indptr.astype(np.int64),
        A.indices.astype(np.int64),
        C.indptr.astype(np.int64),
        C.indices.astype(np.int64),
    )
    best = open_mask.astype(np.bool_)
    size = int(best.sum())
    done = 0
    stale = 0
    k = 0
    while done < iterations and stale < LS_PATIENCE:
        if time.perf_counter() - t0 > time_limit_s:
            log.info("lscp local search stopped by its %g s cap after %d moves", time_limit_s, done)
            break
        step = min(LS_ROUND, iterations - done)
        out = _ils_kernel(
            *arrays,
            best,
            rules.fixed.astype(np.bool_),
            rules.region.astype(np.int64),
            rules.need.astype(np.int64),
            int(step),
            int(seed + k),
        )
        out = np.asarray(out, dtype=np.bool_)
        done += step
        k += 1
        if int(out.sum()) < size:
            best, size, stale = out, int(out.sum()), 0
        else:
            stale += 1
    return best


def disjoint_rows(csr: sp.csr_matrix) -> int:
    """Rows no two of which share a column (fewest columns first): a set-cover lower bound.

    Parameters
    ----------
    csr
        Coverage (rows that must be covered × candidates), CSR.

    Returns
    -------
    int
        Their number; every cover needs a distinct column for each.
    """
    deg = np.diff(csr.indptr)
    used = np.zeros(csr.shape[1], dtype=bool)
    count = 0
    for i in np.argsort(deg, kind="stable").tolist():
        cols = csr.indices[csr.indptr[i] : csr.indptr[i + 1]]
        if cols.size and not used[cols].any():
            used[cols] = True
            count += 1
    return count

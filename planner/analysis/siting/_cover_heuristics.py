"""Greedy and interchange heuristics of the cover models (MCLP, LSCP), on scipy.sparse.

They run before every exact solve (as its MIP start) and are the fallback when the solver
stops without a solution: lazy greedy with a heap (the covered weight is submodular, so a
stale gain is an upper bound and only the top of the heap is re-evaluated), then for MCLP a
best-improvement swap (Teitz & Bart) whose whole (add k, drop j) profit table is one sparse
product per iteration; for LSCP redundancy removal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.analysis.siting._budget import Budget
from planner.analysis.siting._rules import Rules, lazy_pick, mask_swaps

log = logging.getLogger(__name__)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

__all__ = ["drop_redundant", "greedy_cover", "lscp_greedy", "repair_floors", "swap_cover"]


class _CoverState:
    """Coverage counts for a set of open candidates (A is demand × candidates, csc and csr)."""

    def __init__(
        self,
        csc: sp.csc_matrix,
        w: FloatArray,
        open_mask: NDArray[np.bool_],
        track: FloatArray | None = None,
    ) -> None:
        self.csc = csc
        self.w = w
        self.count = (
            np.asarray(csc[:, np.flatnonzero(open_mask)].sum(axis=1)).ravel().astype(np.int64)
        )
        self.open = open_mask.copy()
        # running totals (checked exactly before they are trusted): uncovered rows, and the
        # covered weight of ``track``
        self.track = track if track is not None else w
        self.zero = int((self.count == 0).sum())
        self.cov = float(self.track[self.count > 0].sum())

    def column(self, j: int) -> IntArray:
        return self.csc.indices[self.csc.indptr[j] : self.csc.indptr[j + 1]].astype(np.int64)

    def gain(self, j: int) -> float:
        rows = self.column(j)
        return float(self.w[rows][self.count[rows] == 0].sum())

    def add(self, j: int) -> None:
        rows = self.column(j)
        new = rows[self.count[rows] == 0]
        self.count[rows] += 1
        self.open[j] = True
        self.zero -= new.size
        self.cov += float(self.track[new].sum())

    def drop(self, j: int) -> None:
        rows = self.column(j)
        self.count[rows] -= 1
        self.open[j] = False
        lost = rows[self.count[rows] == 0]
        self.zero += lost.size
        self.cov -= float(self.track[lost].sum())

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
        for j, g in lazy_pick(state.gain, pool, init, short, state.add):
            gains[j] = g
    rest = np.flatnonzero(~state.open)
    uncovered = w * (state.count == 0)
    init = np.asarray(csc[:, rest].T @ uncovered).ravel() if rest.size else np.zeros(0)
    for j, g in lazy_pick(state.gain, rest, init, p - int(state.open.sum()), state.add):
        gains[j] = g
    assert int(state.open.sum()) == min(p, m)
    return state.open, gains


def _group_cover(groups: FloatArray | None, covered: NDArray[np.bool_]) -> FloatArray:
    if groups is None:
        return np.zeros(0)
    return np.asarray(groups.T @ covered.astype(np.float64)).ravel()


def swap_cover(
    csc: sp.csc_matrix,
    w: FloatArray,
    open_mask: NDArray[np.bool_],
    rules: Rules,
    *,
    groups: FloatArray | None = None,
    floor_w: FloatArray | None = None,
    budget: Budget | None = None,
    max_tries: int = 50,
    max_swaps: int | None = None,
) -> tuple[NDArray[np.bool_], bool]:
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
    budget
        The call's budget; its clock is a safety net (the caller drops a result it cut).
    max_tries
        Profitable swaps tested per iteration when floors must be checked.
    max_swaps
        Work limit: most swaps made (default ``4 × open sites + 50``), so the answer is the
        same on any machine.

    Returns
    -------
    tuple
        Open mask, and False when the clock stopped the search.
    """
    csr = csc.tocsr()
    state = _CoverState(csc, w, open_mask)
    m = csc.shape[1]
    scale = max(float(w.sum()), 1.0)
    limit = 4 * int(open_mask.sum()) + 50 if max_swaps is None else max_swaps
    swaps = 0
    while True:
        if swaps >= limit:
            log.info("MCLP swap search stopped by its work limit of %d swaps", limit)
            break
        if budget is not None and budget.expired():
            return state.open, False
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
        mask_swaps(delta, S, rules, state.open)
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
        swaps += 1
    return state.open, True


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
    state = _CoverState(csc, gain_w, rules.fixed, track=w)
    for r in np.flatnonzero(rules.deficits(state.open)):
        pool = np.flatnonzero((rules.region == r) & ~state.open)
        init = np.array([state.gain(int(j)) for j in pool])
        lazy_pick(state.gain, pool, init, int(rules.deficits(state.open)[r]), state.add)

    def covered_w() -> float:
        return float(w[state.count > 0].sum())

    def floors_ok() -> bool:
        if groups is None or floor_w is None:
            return True
        return bool(np.all(_group_cover(groups, state.count > 0) >= floor_w - 1e-9))

    def met() -> bool:
        if full:
            return state.zero == 0 and bool(np.all(state.count > 0)) and floors_ok()
        tol = 1e-9 * max(target_w, 1.0)
        if state.cov < target_w - tol - 1e-9 * max(1.0, abs(state.cov)):  # surely not yet
            return False
        return covered_w() >= target_w - tol and floors_ok()

    if not met():
        rest = np.flatnonzero(~state.open)
        init = np.asarray(csc[:, rest].T @ (gain_w * (state.count == 0))).ravel()
        lazy_pick(state.gain, rest, init, rest.size, state.add, stop_when=met)
    if not floors_ok() and groups is not None and floor_w is not None:
        while not floors_ok():  # add the site closing most of the shortfall
            need = np.maximum(floor_w - _group_cover(groups, state.count > 0), 0.0)
            unc = (state.count == 0).astype(np.float64)
            score = np.minimum(np.asarray(csc.T @ (groups * unc[:, None])), need).sum(axis=1)
            score[state.open] = -np.inf
            if not np.isfinite(score.max()) or score.max() <= 0:
                break
            state.add(int(np.argmax(score)))
    _drop_loop(state, rules, w, met)
    return state.open


def _drop_loop(state: _CoverState, rules: Rules, w: FloatArray, met: Callable[[], bool]) -> None:
    """Close open sites, least unique covered weight first, while ``met()`` stays true."""
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


def drop_redundant(
    csc: sp.csc_matrix,
    w: FloatArray,
    open_mask: NDArray[np.bool_],
    rules: Rules,
    *,
    target_w: float | None,
    groups: FloatArray | None = None,
    floor_w: FloatArray | None = None,
) -> NDArray[np.bool_]:
    """Close sites a cover does not need (least unique covered weight first).

    Used on every LSCP answer, the solver's included: a site whose closing keeps the
    target, the floors and the region minimums is redundant.

    Parameters
    ----------
    csc
        Coverage (demand × candidates), CSC; rows are coverable demand only.
    w
        Demand weights.
    open_mask
        A cover meeting the target, floors and region minimums.
    rules
        Fixed sites (never closed) and region minimums.
    target_w
        Weight to cover, or None when every row must stay covered.
    groups, floor_w
        Group weights and floors, or None.

    Returns
    -------
    NDArray
        Open mask, a subset of ``open_mask``.
    """
    state = _CoverState(csc, w, open_mask)

    def met() -> bool:
        if groups is not None and floor_w is not None:
            got = _group_cover(groups, state.count > 0)
            if not np.all(got >= floor_w - 1e-9):
                return False
        if target_w is None:
            return bool(np.all(state.count > 0))
        return state.covered_weight() >= target_w - 1e-9 * max(target_w, 1.0)

    if met():  # else not a cover: leave it to the caller's checks
        _drop_loop(state, rules, w, met)
    return state.open

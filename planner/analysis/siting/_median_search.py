"""Fast interchange and variable neighbourhood search for the p-median (numba kernels).

The local search is the fast interchange of Whitaker (1983) with the data structures of
Resende & Werneck (2007, "A fast swap-based local search procedure for location
problems"): for each demand row its nearest and second-nearest open site, and the tables

* ``gain[k]``  = Σ_i w_i max(0, d1_i - c_ik): what opening ``k`` saves;
* ``loss[j]``  = Σ_{i: φ1(i)=j} w_i (d2_i - d1_i): what closing open ``j`` costs;
* ``extra[k, j]`` = Σ_{i: φ1(i)=j, c_ik < d2_i} w_i (d2_i - max(c_ik, d1_i)),

so that swapping ``k`` in for ``j`` changes the cost by ``-(gain[k] - loss[j] + extra[k, j])``.
After a swap only the rows whose nearest or second-nearest site changed are updated (their
contributions removed, then added again), each over the prefix of its cost-sorted row below
its second-nearest cost. When ``extra`` would not fit in memory
(:data:`DENSE_CELLS`), each move is found by scanning every closed candidate's column
instead (Whitaker's original evaluation).

Around it, variable neighbourhood search (Hansen & Mladenović 1997, "Variable
neighborhood search for the p-median"): shake the best solution by ``k`` random swaps,
descend, keep the result if it is better (and go back to ``k = 1``), else undo the swaps and
try ``k + 1``. The random swaps come from a seeded splitmix64 generator held in an array,
so a search split into chunks (to look at the clock between them) makes the same moves as
one run. Unassigned demand is a virtual site at the row's unassigned cost that never
closes. Every kernel counts its work (entries and profit cells visited) and stops at a
work limit: the same moves on every machine.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import NDArray

from planner.analysis.siting._budget import MOVE_RATE, Budget
from planner.analysis.siting._rules import Rules

__all__ = ["DENSE_CELLS", "MedianSearch"]

log = logging.getLogger(__name__)

#: Largest candidates × open sites table ``extra`` kept in memory (8 bytes a cell).
DENSE_CELLS = 6_000_000
#: Largest shake (random swaps) of the neighbourhood search.
KMAX = 10

# ctl (int64): 0 work, 1 stamp, 2 rng state, 3 vns k, 4 stale, 5 iterations, 6 swaps made
# fctl (float64): 0 cost, 1 best cost


@njit(cache=True)
def _rand(ctl, n):  # type: ignore[no-untyped-def]
    """Uniform integer in [0, n) from splitmix64 (state in ctl[2])."""
    s = np.uint64(ctl[2]) + np.uint64(0x9E3779B97F4A7C15)
    ctl[2] = np.int64(s)
    z = s
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.int64(z % np.uint64(n))


@njit(cache=True)
def _row_state(i, rptr, rcol, rcost, pen, isopen, a1, d1, a2, d2):  # type: ignore[no-untyped-def]
    """Nearest and second-nearest open site of row ``i`` (-1: the virtual unassigned site)."""
    b1 = -1
    b2 = -1
    e1 = pen[i]
    e2 = pen[i]
    found = 0
    q = rptr[i]
    end = rptr[i + 1]
    while q < end:
        c = rcost[q]
        if c >= pen[i]:
            break
        j = rcol[q]
        if isopen[j]:
            if found == 0:
                b1 = j
                e1 = c
                found = 1
            else:
                b2 = j
                e2 = c
                break
        q += 1
    a1[i] = b1
    d1[i] = e1
    a2[i] = b2
    d2[i] = e2
    return q - rptr[i] + 1


@njit(cache=True)
def _contrib(i, sgn, rptr, rcol, rcost, w, a1, d1, d2, slot, gain, loss, extra):  # type: ignore[no-untyped-def]
    """Add (``sgn`` 1) or remove (-1) row ``i``'s share of gain, loss and extra."""
    wi = w[i] * sgn
    s = slot[a1[i]] if a1[i] >= 0 else -1
    e1 = d1[i]
    e2 = d2[i]
    if s >= 0:
        loss[s] += wi * (e2 - e1)
    q = rptr[i]
    end = rptr[i + 1]
    while q < end and rcost[q] < e2:
        k = rcol[q]
        c = rcost[q]
        if c < e1:
            gain[k] += wi * (e1 - c)
        if s >= 0:
            extra[k, s] += wi * (e2 - max(c, e1))
        q += 1
    return q - rptr[i] + 1


@njit(cache=True)
def _init(D, S, dense, ctl, fctl):  # type: ignore[no-untyped-def]
    """Row states, tables and cost from scratch for the open mask in S."""
    rptr = D[0]
    rcol = D[1]
    rcost = D[2]
    w = D[6]
    pen = D[7]
    region = D[9]
    isopen = S[0]
    slot = S[1]
    site = S[2]
    a1 = S[3]
    d1 = S[4]
    a2 = S[5]
    d2 = S[6]
    gain = S[7]
    loss = S[8]
    extra = S[9]
    rcount = S[10]
    m = isopen.size
    n = w.size
    npos = 0
    slot[:] = -1
    rcount[:] = 0
    for j in range(m):
        if isopen[j]:
            slot[j] = npos
            site[npos] = j
            npos += 1
            if region[j] >= 0:
                rcount[region[j]] += 1
    gain[:] = 0.0
    loss[:] = 0.0
    if dense:
        extra[:, :] = 0.0
    cost = 0.0
    work = 0
    for i in range(n):
        work += _row_state(i, rptr, rcol, rcost, pen, isopen, a1, d1, a2, d2)
        cost += w[i] * d1[i]
        if dense:
            work += _contrib(i, 1.0, rptr, rcol, rcost, w, a1, d1, d2, slot, gain, loss, extra)
    if dense:
        work += m * site.size
    fctl[0] = cost
    ctl[0] += work


@njit(cache=True)
def _swap(k, j, D, S, dense, ctl, fctl):  # type: ignore[no-untyped-def]
    """Open ``k`` and close ``j``, updating the affected rows only."""
    rptr = D[0]
    rcol = D[1]
    rcost = D[2]
    cptr = D[3]
    crow = D[4]
    ccost = D[5]
    w = D[6]
    pen = D[7]
    region = D[9]
    isopen = S[0]
    slot = S[1]
    site = S[2]
    a1 = S[3]
    d1 = S[4]
    a2 = S[5]
    d2 = S[6]
    gain = S[7]
    loss = S[8]
    extra = S[9]
    rcount = S[10]
    mark = S[11]
    aff = S[12]
    ctl[1] += 1
    stamp = ctl[1]
    na = 0
    work = 0
    for q in range(cptr[k], cptr[k + 1]):
        i = crow[q]
        if ccost[q] < d2[i] and mark[i] != stamp:
            mark[i] = stamp
            aff[na] = i
            na += 1
    for q in range(cptr[j], cptr[j + 1]):
        i = crow[q]
        if (a1[i] == j or a2[i] == j) and mark[i] != stamp:
            mark[i] = stamp
            aff[na] = i
            na += 1
    work += cptr[k + 1] - cptr[k] + cptr[j + 1] - cptr[j]
    if dense:
        for t in range(na):
            work += _contrib(
                aff[t], -1.0, rptr, rcol, rcost, w, a1, d1, d2, slot, gain, loss, extra
            )
    s = slot[j]
    isopen[j] = False
    isopen[k] = True
    slot[k] = s
    slot[j] = -1
    site[s] = k
    if region[j] >= 0:
        rcount[region[j]] -= 1
    if region[k] >= 0:
        rcount[region[k]] += 1
    if dense:
        extra[:, s] = 0.0  # only rows served by j fed this column, and all were removed
        loss[s] = 0.0
        work += isopen.size
    cost = fctl[0]
    for t in range(na):
        i = aff[t]
        cost -= w[i] * d1[i]
        work += _row_state(i, rptr, rcol, rcost, pen, isopen, a1, d1, a2, d2)
        cost += w[i] * d1[i]
        if dense:
            work += _contrib(i, 1.0, rptr, rcol, rcost, w, a1, d1, d2, slot, gain, loss, extra)
    fctl[0] = cost
    ctl[0] += work
    ctl[6] += 1


@njit(cache=True)
def _swappable(j, k, fixed, region, need, rcount):  # type: ignore[no-untyped-def]
    """May open ``k`` replace open ``j`` (fixed sites stay, region minimums hold)?"""
    if fixed[j]:
        return False
    r = region[j]
    return not (r >= 0 and rcount[r] <= need[r] and region[k] != r)


@njit(cache=True)
def _best_dense(D, S, ctl):  # type: ignore[no-untyped-def]
    """Best swap from the tables: (k, slot, profit)."""
    fixed = D[8]
    region = D[9]
    need = D[10]
    isopen = S[0]
    site = S[2]
    gain = S[7]
    loss = S[8]
    extra = S[9]
    rcount = S[10]
    m = isopen.size
    P = site.size
    ok = np.empty(P, dtype=np.bool_)
    tight = np.full(P, -1, dtype=np.int64)
    any_rule = False
    for s in range(P):
        j = site[s]
        ok[s] = not fixed[j]
        r = region[j]
        if r >= 0 and rcount[r] <= need[r]:
            tight[s] = r
            any_rule = True
        if fixed[j]:
            any_rule = True
    best = -np.inf
    bk = -1
    bs = -1
    for k in range(m):
        if isopen[k]:
            continue
        g = gain[k]
        row = extra[k]
        if any_rule:
            rk = region[k]
            for s in range(P):
                if ok[s] and (tight[s] < 0 or tight[s] == rk):
                    v = g - loss[s] + row[s]
                    if v > best:
                        best = v
                        bk = k
                        bs = s
        else:
            for s in range(P):
                v = g - loss[s] + row[s]
                if v > best:
                    best = v
                    bk = k
                    bs = s
    ctl[0] += m * P
    return bk, bs, best


@njit(cache=True)
def _best_scan(D, S, ctl):  # type: ignore[no-untyped-def]
    """Best swap by scanning each closed candidate's column (no ``extra`` table)."""
    cptr = D[3]
    crow = D[4]
    ccost = D[5]
    w = D[6]
    fixed = D[8]
    region = D[9]
    need = D[10]
    isopen = S[0]
    slot = S[1]
    site = S[2]
    a1 = S[3]
    d1 = S[4]
    d2 = S[6]
    loss = S[8]
    rcount = S[10]
    m = isopen.size
    n = w.size
    P = site.size
    loss[:] = 0.0
    for i in range(n):
        if a1[i] >= 0:
            loss[slot[a1[i]]] += w[i] * (d2[i] - d1[i])
    order = np.argsort(loss, kind="mergesort")
    ex = np.zeros(P)
    seen = np.zeros(P, dtype=np.bool_)
    touched = np.empty(P, dtype=np.int64)
    best = -np.inf
    bk = -1
    bs = -1
    work = n + P
    for k in range(m):
        if isopen[k]:
            continue
        g = 0.0
        nt = 0
        for q in range(cptr[k], cptr[k + 1]):
            i = crow[q]
            c = ccost[q]
            if c < d2[i]:
                if c < d1[i]:
                    g += w[i] * (d1[i] - c)
                if a1[i] >= 0:
                    s = slot[a1[i]]
                    if not seen[s]:
                        seen[s] = True
                        touched[nt] = s
                        nt += 1
                    ex[s] += w[i] * (d2[i] - max(c, d1[i]))
        work += cptr[k + 1] - cptr[k]
        for t in range(nt):
            s = touched[t]
            if _swappable(site[s], k, fixed, region, need, rcount):
                v = g - loss[s] + ex[s]
                if v > best or (v == best and (k < bk or (k == bk and s < bs))):
                    best = v
                    bk = k
                    bs = s
        for t in range(P):
            s = order[t]
            work += 1
            if not seen[s] and _swappable(site[s], k, fixed, region, need, rcount):
                v = g - loss[s]
                if v > best or (v == best and (k < bk or (k == bk and s < bs))):
                    best = v
                    bk = k
                    bs = s
                break
        for t in range(nt):
            ex[touched[t]] = 0.0
            seen[touched[t]] = False
    ctl[0] += work
    return bk, bs, best


@njit(cache=True)
def _descend(D, S, dense, ctl, fctl, tol, work_limit, rec, nrec):  # type: ignore[no-untyped-def]
    """Best-improvement swaps until none saves more than ``tol`` (or the work limit).

    Swaps are appended to ``rec`` (k opened, j closed) from position ``nrec``; returns the
    new count, or -1 - count when stopped by the work limit or a full record.
    """
    site = S[2]
    while True:
        if ctl[0] >= work_limit or nrec >= rec.shape[0]:
            return -1 - nrec
        if dense:
            k, s, v = _best_dense(D, S, ctl)
        else:
            k, s, v = _best_scan(D, S, ctl)
        if k < 0 or not v > tol:
            return nrec
        j = site[s]
        _swap(k, j, D, S, dense, ctl, fctl)
        rec[nrec, 0] = k
        rec[nrec, 1] = j
        nrec += 1


@njit(cache=True)
def _shake_pick(D, S, ctl):  # type: ignore[no-untyped-def]
    """A random allowed swap (k to open, j to close), or (-1, -1) when none is found."""
    fixed = D[8]
    region = D[9]
    need = D[10]
    isopen = S[0]
    site = S[2]
    rcount = S[10]
    m = isopen.size
    P = site.size
    for _ in range(50):
        j = site[_rand(ctl, P)]
        if fixed[j]:
            continue
        r = region[j]
        tight = r >= 0 and rcount[r] <= need[r]
        for _ in range(50):
            k = _rand(ctl, m)
            if isopen[k]:
                continue
            if tight and region[k] != r:
                continue
            return k, j
    return -1, -1


@njit(cache=True)
def _vns(D, S, dense, ctl, fctl, tol, pause, work_limit, kmax, patience, lower, rec):  # type: ignore[no-untyped-def]
    """Variable neighbourhood search from the current (locally optimal) solution.

    Leaves the best solution found in S and its cost in fctl[1]. Returns 0 when stopped by
    ``patience`` iterations without improvement or by reaching ``lower``, 1 by the work
    limit, 2 at ``pause`` (checked between iterations only, so a search paused and resumed
    makes the same moves as one run).
    """
    while True:
        if fctl[1] <= lower + tol or ctl[4] >= patience:
            return 0
        if ctl[0] >= work_limit:
            return 1
        if ctl[0] >= pause:
            return 2
        k = ctl[3]
        nrec = 0
        for _ in range(k):
            kin, jout = _shake_pick(D, S, ctl)
            if kin < 0:
                break
            _swap(kin, jout, D, S, dense, ctl, fctl)
            rec[nrec, 0] = kin
            rec[nrec, 1] = jout
            nrec += 1
        got = _descend(D, S, dense, ctl, fctl, tol, work_limit, rec, nrec)
        nrec = got if got >= 0 else -1 - got
        cut = got < 0 and ctl[0] >= work_limit  # else the record was full: go on from here
        ctl[5] += 1
        if fctl[0] < fctl[1] - tol:
            fctl[1] = fctl[0]
            ctl[3] = 1
            ctl[4] = 0
        else:
            for t in range(nrec - 1, -1, -1):
                _swap(rec[t, 1], rec[t, 0], D, S, dense, ctl, fctl)
            fctl[0] = fctl[1]
            ctl[3] = k + 1 if k < kmax else 1
            ctl[4] += 1
            if ctl[5] % 64 == 0:  # bound the drift of the tables
                _init(D, S, dense, ctl, fctl)
                fctl[1] = fctl[0]
        if cut:
            return 1


class MedianSearch:
    """The search state of one p-median instance (uncapacitated).

    Parameters
    ----------
    csr
        Cost (active demand rows × allowed candidates, seconds), stored entries allowed.
    w
        Demand weights (rows).
    penalty
        Unassigned cost per row (the internal big value when every row must be assigned).
    open_mask
        Starting solution (meets the rules).
    rules
        Fixed sites, regions and their minimums.
    seed
        Seed of the shakes.
    rows
        The cost-sorted rows of ``csr`` (:func:`~._median_bound.sorted_rows`), if at hand.
    """

    def __init__(
        self,
        csr: sp.csr_matrix,
        w: NDArray[np.float64],
        penalty: NDArray[np.float64],
        open_mask: NDArray[np.bool_],
        rules: Rules,
        *,
        seed: int = 0,
        rows: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]] | None = None,
    ) -> None:
        n, m = csr.shape
        if rows is None:
            from planner.analysis.siting._median_bound import sorted_rows

            rows = sorted_rows(csr)
        _, rcol, rcost = rows
        csc = sp.csc_matrix(csr)
        csc.sort_indices()
        P = int(open_mask.sum())
        self.dense = m * P <= DENSE_CELLS
        self.data = (
            csr.indptr.astype(np.int64),
            rcol,
            rcost,
            csc.indptr.astype(np.int64),
            csc.indices.astype(np.int64),
            np.asarray(csc.data, dtype=np.float64),
            np.asarray(w, dtype=np.float64),
            np.asarray(penalty, dtype=np.float64),
            rules.fixed.astype(np.bool_),
            rules.region.astype(np.int64),
            rules.need.astype(np.int64),
        )
        self.state = (
            open_mask.astype(np.bool_).copy(),
            np.full(m, -1, dtype=np.int64),
            np.zeros(P, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
            np.zeros(n),
            np.zeros(n, dtype=np.int64),
            np.zeros(n),
            np.zeros(m),
            np.zeros(P),
            np.zeros((m, P) if self.dense else (1, 1)),
            np.zeros(max(rules.need.size, 1), dtype=np.int64),
            np.zeros(n, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
        )
        self.ctl = np.zeros(7, dtype=np.int64)
        self.ctl[2] = np.int64(seed) * 7919 + 12345
        self.ctl[3] = 1
        self.fctl = np.zeros(2)
        self.kmax = max(1, min(KMAX, P - int(rules.fixed.sum())))
        self.rec = np.zeros((4 * P + 64 + self.kmax, 2), dtype=np.int64)
        _init(self.data, self.state, self.dense, self.ctl, self.fctl)
        self.fctl[1] = self.fctl[0]
        self.tol = 1e-9 * max(1.0, abs(float(self.fctl[0])))

    @property
    def open_mask(self) -> NDArray[np.bool_]:
        """The current solution."""
        return self.state[0].copy()

    @property
    def cost(self) -> float:
        """Cost of the current solution as tracked by the search (recompute to report)."""
        return float(self.fctl[0])

    @property
    def work(self) -> int:
        """Work units spent so far."""
        return int(self.ctl[0])

    def descend(self, work: int, budget: Budget | None = None) -> bool:
        """Fast interchange to a local optimum within ``work`` more units.

        Returns True when it ended by itself or by its work limit, False when the clock of
        ``budget`` stopped it first (the caller then drops its result).
        """
        limit = int(self.ctl[0]) + int(work)
        chunk = _chunk(work, budget)
        while True:
            step = min(limit, int(self.ctl[0]) + chunk)
            got = _descend(
                self.data, self.state, self.dense, self.ctl, self.fctl, self.tol, step,
                self.rec, 0,
            )  # fmt: skip
            if got >= 0 or int(self.ctl[0]) >= limit:
                if got < 0:
                    log.info("p-median local search stopped by its work limit of %d", work)
                self.fctl[1] = self.fctl[0]
                return True
            if int(self.ctl[0]) >= step and budget is not None and budget.expired():
                return False

    def vns(
        self, work: int, *, patience: int, lower: float = -np.inf, budget: Budget | None = None
    ) -> bool:
        """Variable neighbourhood search within ``work`` more units (see :func:`descend`)."""
        limit = int(self.ctl[0]) + int(work)
        chunk = _chunk(work, budget)
        while True:
            pause = int(self.ctl[0]) + chunk
            why = _vns(
                self.data, self.state, self.dense, self.ctl, self.fctl, self.tol, pause,
                limit, self.kmax, patience, lower, self.rec,
            )  # fmt: skip
            if why < 2:
                log.info(
                    "p-median VNS: %d iterations, %d swaps, %s",
                    int(self.ctl[5]),
                    int(self.ctl[6]),
                    "work limit" if why == 1 else "converged",
                )
                return True
            if budget is not None and budget.expired():
                return False


def _chunk(work: int, budget: Budget | None) -> int:
    """Work between two looks at the clock (about 2 % of the limit at the slow rate)."""
    if budget is None:
        return int(work)
    return max(100_000, budget.work(0.02, MOVE_RATE))

"""Row-weighting local search for unicost set cover (RWLS, Gao, Weise and Li 2015).

The search walks through covers one column short: while the current set covers every row,
it is recorded and its column of least loss is removed; then one more column is removed
(not the one just added) and a column covering a random uncovered row is added, the one of
highest score among those whose neighbourhood changed since they were removed
("configuration checking"), the oldest on ties. Each uncovered row's weight grows by one
per step, so rows that stay uncovered pull columns towards them. A column's score is the
weight it would cover (outside the set) or lose (inside it).

Fixed columns never leave the set, and a column leaves only while its region keeps its
minimum. Every step counts its work (entries visited): a search stopped on its work limit
is the same on any machine.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import NDArray

from planner.analysis.siting._budget import Budget
from planner.analysis.siting._rules import Rules
from planner.analysis.siting._set_cover import cover_arrays

__all__ = ["RWLS_RATE", "rwls_cover"]

#: Work units (matrix entries visited) per second: 4.1-4.8e8 measured on the core of the
#: 2,000 × 20,000 benchmark instance (one core, idle), taken lower for smaller machines.
RWLS_RATE = 3.0e8
#: Work of one call of the kernel, between two looks at the clock.
CHUNK = 20_000_000


@njit(cache=True)
def _leave(j, ins, slist, spos, ns, cnt, score, w, rptr, rind, cptr, cind, unc, upos, nu):  # type: ignore[no-untyped-def]
    """Take column ``j`` out of the set; returns (set size, uncovered count, work)."""
    ins[j] = False
    p = spos[j]
    ns -= 1
    last = slist[ns]
    slist[p] = last
    spos[last] = p
    spos[j] = -1
    work = 0
    for q in range(cptr[j], cptr[j + 1]):
        r = cind[q]
        cnt[r] -= 1
        if cnt[r] == 0:
            upos[r] = nu
            unc[nu] = r
            nu += 1
            for t in range(rptr[r], rptr[r + 1]):
                c = rind[t]
                if c != j:
                    score[c] += w[r]
            work += rptr[r + 1] - rptr[r]
        elif cnt[r] == 1:
            for t in range(rptr[r], rptr[r + 1]):
                c = rind[t]
                if ins[c]:
                    score[c] -= w[r]
                    break
            work += rptr[r + 1] - rptr[r]
    s = 0
    for q in range(cptr[j], cptr[j + 1]):
        if cnt[cind[q]] == 0:
            s += w[cind[q]]
    score[j] = s
    work += 2 * (cptr[j + 1] - cptr[j])
    return ns, nu, work


@njit(cache=True)
def _enter(j, ins, slist, spos, ns, cnt, score, w, rptr, rind, cptr, cind, unc, upos, nu):  # type: ignore[no-untyped-def]
    """Put column ``j`` into the set; returns (set size, uncovered count, work)."""
    ins[j] = True
    spos[j] = ns
    slist[ns] = j
    ns += 1
    work = 0
    for q in range(cptr[j], cptr[j + 1]):
        r = cind[q]
        cnt[r] += 1
        if cnt[r] == 1:
            p = upos[r]
            nu -= 1
            last = unc[nu]
            unc[p] = last
            upos[last] = p
            upos[r] = -1
            for t in range(rptr[r], rptr[r + 1]):
                c = rind[t]
                if c != j:
                    score[c] -= w[r]
            work += rptr[r + 1] - rptr[r]
        elif cnt[r] == 2:
            for t in range(rptr[r], rptr[r + 1]):
                c = rind[t]
                if ins[c] and c != j:
                    score[c] += w[r]
                    break
            work += rptr[r + 1] - rptr[r]
    s = 0
    for q in range(cptr[j], cptr[j + 1]):
        if cnt[cind[q]] == 1:
            s -= w[cind[q]]
    score[j] = s
    work += 2 * (cptr[j + 1] - cptr[j])
    return ns, nu, work


@njit(cache=True)
def _touch(j, can, rptr, rind, cptr, cind):  # type: ignore[no-untyped-def]
    """Columns sharing a row with ``j`` may enter again (their neighbourhood changed)."""
    work = 0
    for q in range(cptr[j], cptr[j + 1]):
        r = cind[q]
        for t in range(rptr[r], rptr[r + 1]):
            can[rind[t]] = True
        work += rptr[r + 1] - rptr[r]
    return work


@njit(cache=True)
def _least_loss(slist, ns, locked, region, rcount, need, score, stamp, skip):  # type: ignore[no-untyped-def]
    """The set's column whose removal loses least (oldest on ties), or -1."""
    bj = -1
    for k in range(ns):
        j = slist[k]
        if locked[j] or j == skip:
            continue
        if region[j] >= 0 and rcount[region[j]] <= need[region[j]]:
            continue
        if bj < 0 or score[j] > score[bj] or (score[j] == score[bj] and stamp[j] < stamp[bj]):
            bj = j
    return bj


@njit(cache=True)
def _rwls_init(  # type: ignore[no-untyped-def]
    rptr, cptr, cind, start, region, ins, slist, spos, cnt, w, score, unc, upos, rcount, best, ctl
):
    """Set the search's state from the cover ``start`` (ctl: set size, uncovered, best size,
    last added, step, work)."""
    n = rptr.size - 1
    m = cptr.size - 1
    ns = 0
    for j in range(m):
        if start[j]:
            ins[j] = True
            spos[j] = ns
            slist[ns] = j
            ns += 1
            if region[j] >= 0:
                rcount[region[j]] += 1
            for q in range(cptr[j], cptr[j + 1]):
                cnt[cind[q]] += 1
    nu = 0
    for r in range(n):
        w[r] = 1
        if cnt[r] == 0:
            upos[r] = nu
            unc[nu] = r
            nu += 1
    for j in range(m):
        s = 0
        for q in range(cptr[j], cptr[j + 1]):
            r = cind[q]
            if ins[j] and cnt[r] == 1:
                s -= w[r]
            elif not ins[j] and cnt[r] == 0:
                s += w[r]
        score[j] = s
    best[:] = ins
    ctl[0] = ns
    ctl[1] = nu
    ctl[2] = ns if nu == 0 else m + 1
    ctl[3] = -1
    ctl[4] = 0
    ctl[5] = int(cptr[m]) * 2 + n + m


@njit(cache=True)
def _rwls_run(  # type: ignore[no-untyped-def]
    rptr,
    rind,
    cptr,
    cind,
    locked,
    region,
    need,
    ins,
    slist,
    spos,
    cnt,
    w,
    score,
    stamp,
    can,
    unc,
    upos,
    rcount,
    best,
    ctl,
    work_limit,
    seed,
):
    """RWLS steps until the work count reaches ``work_limit`` (resumable: all state is in
    the arrays); returns False when no column may leave the best cover (it is final)."""
    np.random.seed(seed)
    ns, nu, best_size, last_added, it, work = ctl[0], ctl[1], ctl[2], ctl[3], ctl[4], ctl[5]
    final = False
    while work < work_limit:
        it += 1
        # while a cover: record it and drop its column of least loss; then one more
        while True:
            if nu == 0 and ns < best_size:
                best_size = ns
                best[:] = ins
            bj = _least_loss(slist, ns, locked, region, rcount, need, score, stamp,
                             last_added if nu > 0 else -1)  # fmt: skip
            work += ns
            if bj < 0:
                final = nu == 0
                break
            was_cover = nu == 0
            ns, nu, wk = _leave(
                bj, ins, slist, spos, ns, cnt, score, w, rptr, rind, cptr, cind, unc, upos, nu
            )
            work += wk + _touch(bj, can, rptr, rind, cptr, cind)
            if region[bj] >= 0:
                rcount[region[bj]] -= 1
            stamp[bj] = it
            can[bj] = False
            if not was_cover:
                break
        if final:
            break
        # add the best column of a random uncovered row
        r0 = unc[np.random.randint(nu)]
        bk = -1
        for t in range(rptr[r0], rptr[r0 + 1]):
            c = rind[t]
            if not can[c]:
                continue
            if bk < 0 or score[c] > score[bk] or (score[c] == score[bk] and stamp[c] < stamp[bk]):
                bk = c
        if bk < 0:
            bk = rind[rptr[r0] + np.random.randint(rptr[r0 + 1] - rptr[r0])]
        ns, nu, wk = _enter(
            bk, ins, slist, spos, ns, cnt, score, w, rptr, rind, cptr, cind, unc, upos, nu
        )
        work += wk + rptr[r0 + 1] - rptr[r0]
        if region[bk] >= 0:
            rcount[region[bk]] += 1
        stamp[bk] = it
        last_added = bk
        work += _touch(bk, can, rptr, rind, cptr, cind)
        # the rows left uncovered weigh more
        for u in range(nu):
            r = unc[u]
            w[r] += 1
            for t in range(rptr[r], rptr[r + 1]):
                score[rind[t]] += 1
            work += rptr[r + 1] - rptr[r]
    if nu == 0 and ns < best_size:
        best_size = ns
        best[:] = ins
    ctl[0], ctl[1], ctl[2], ctl[3], ctl[4], ctl[5] = ns, nu, best_size, last_added, it, work
    return not final


def rwls_cover(
    csr: sp.csr_matrix,
    open_mask: NDArray[np.bool_],
    rules: Rules,
    *,
    work: int,
    seed: int = 0,
    budget: Budget | None = None,
) -> tuple[NDArray[np.bool_], bool]:
    """Improve a full set cover by row-weighting local search within ``work`` units.

    The search runs in pieces of :data:`CHUNK` work (piece ``k`` seeded ``seed + k``), its
    state kept between them; between two pieces the clock of ``budget`` is looked at, and a
    search it stops returns False (the caller drops it).

    Parameters
    ----------
    csr
        Coverage (rows that must be covered × candidates), CSR.
    open_mask
        A cover of every row meeting the region minimums.
    rules
        Fixed columns never leave; region minimums are kept.
    work
        Work limit (entries visited): the same answer on any machine.
    seed
        Seed of the random choices.
    budget
        The call's time budget (its clock is the safety net), or None.

    Returns
    -------
    tuple
        The smallest cover met (never larger than ``open_mask``), and False when the clock
        stopped the search.
    """
    arrays = cover_arrays(csr)
    n, m = csr.shape
    start = open_mask.astype(np.bool_)
    ins = np.zeros(m, dtype=np.bool_)
    slist = np.empty(m, dtype=np.int64)
    spos = np.full(m, -1, dtype=np.int64)
    cnt = np.zeros(n, dtype=np.int64)
    w = np.ones(n, dtype=np.int64)
    score = np.zeros(m, dtype=np.int64)
    stamp = np.zeros(m, dtype=np.int64)
    can = np.ones(m, dtype=np.bool_)
    unc = np.empty(n, dtype=np.int64)
    upos = np.full(n, -1, dtype=np.int64)
    rcount = np.zeros(max(rules.need.size, 1), dtype=np.int64)
    best = np.zeros(m, dtype=np.bool_)
    ctl = np.zeros(6, dtype=np.int64)
    region = rules.region.astype(np.int64)
    _rwls_init(
        arrays[0], arrays[2], arrays[3], start, region, ins, slist, spos, cnt, w, score, unc,
        upos, rcount, best, ctl,
    )  # fmt: skip
    k = 0
    while ctl[5] < work:
        if budget is not None and budget.expired():
            return start.copy(), False
        more = _rwls_run(
            *arrays, rules.fixed.astype(np.bool_), region, rules.need.astype(np.int64), ins,
            slist, spos, cnt, w, score, stamp, can, unc, upos, rcount, best, ctl,
            int(min(work, ctl[5] + CHUNK)), int(seed + k),
        )  # fmt: skip
        k += 1
        if not more:
            break
    if int(best.sum()) >= int(start.sum()):
        return start.copy(), True
    return best.copy(), True

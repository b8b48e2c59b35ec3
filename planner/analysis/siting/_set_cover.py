"""Set cover (LSCP covering every row): exact reductions, local search and a lower bound.

Exact set-cover reductions (essential columns, dominated rows and columns), then iterated
destroy-and-repair local search compiled with numba, and the disjoint-rows lower bound.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import NDArray

from planner.analysis.siting._budget import Budget
from planner.analysis.siting._rules import Rules

log = logging.getLogger(__name__)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

__all__ = ["cover_arrays", "disjoint_rows", "lscp_local_search", "reduce_set_cover"]

#: Moves per round of :func:`lscp_local_search`.
LS_ROUND = 25_000
#: Rounds without a smaller cover after which the local search stops.
LS_PATIENCE = 8
#: Moves per second on the 2,000 × 20,000 benchmark core (one core), for work limits.
LS_MOVE_RATE = 2.5e4
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


def cover_arrays(
    csr: sp.csr_matrix,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Row pointers, row columns, column pointers and column rows (sorted) of a cover."""
    A = sp.csr_matrix(csr, dtype=np.float64)
    A.sort_indices()
    C = A.tocsc()
    C.sort_indices()
    return (
        A.indptr.astype(np.int64),
        A.indices.astype(np.int64),
        C.indptr.astype(np.int64),
        C.indices.astype(np.int64),
    )


def lscp_local_search(
    csr: sp.csr_matrix,
    open_mask: NDArray[np.bool_],
    rules: Rules,
    *,
    iterations: int | None = None,
    seed: int = 0,
    budget: Budget | None = None,
) -> tuple[NDArray[np.bool_], bool]:
    """Improve a full set cover by destroy-and-repair moves (deterministic for a seed).

    Moves run in rounds of :data:`LS_ROUND` from the best cover so far (round ``k`` seeded
    ``seed + k``); the search stops after ``iterations`` moves, after
    :data:`LS_PATIENCE` rounds without a smaller cover (work limits: the same answer on any
    machine), or, as a safety net, when the clock of ``budget`` runs out between two rounds
    (the caller then drops the result: it depends on the machine's speed and load).

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
    budget
        The call's time budget (its clock is the safety net), or None.

    Returns
    -------
    tuple
        The smallest cover met (never larger than ``open_mask``), and False when the clock
        stopped the search.
    """
    arrays = cover_arrays(csr)
    if iterations is None:
        iterations = max(50_000, 1_000 * int(open_mask.sum()))
    best = open_mask.astype(np.bool_)
    size = int(best.sum())
    done = 0
    stale = 0
    k = 0
    while done < iterations and stale < LS_PATIENCE:
        if budget is not None and budget.expired():
            return best, False
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
    return best, True


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

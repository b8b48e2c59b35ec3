"""Reductions and a Lagrangian bound shared by the cover models (numba kernels).

* :func:`dominated_columns` — a candidate whose covered rows are a subset of another's
  (identical ones: all but the first) can be dropped: swapping it for its dominator never
  uncovers a row, so some optimal solution avoids it. Exact for LSCP and MCLP with full or
  partial targets and with group floors (coverage only grows), when the dropped candidate is
  neither fixed nor needed for a region minimum (the caller passes ``droppable``); not for
  capacities (the caller does not call it then).
* :func:`cover_lagrangian` — the Lagrangian bound of set covering (every row covered, fewest
  sites, region minimums): ``L(u) = Σ u_i + min_y Σ_j (1 - Σ_{i∈N_j} u_i) y_j`` over ``y``
  meeting the region minimums, by subgradient steps; its best value equals the LP bound in
  the limit and costs one pass over the matrix per step.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import NDArray

from planner.analysis.siting._budget import Budget
from planner.analysis.siting._rules import Rules

__all__ = ["cover_lagrangian", "dominated_columns"]

#: Subgradient steps without a better bound after which the step factor halves (slower
#: halving reaches nearer the LP bound: 126.3 at 30, 128.3 at 120 on the 2,000 × 20,000
#: benchmark core whose LP bound is 129.3).
HALVE_AFTER = 100


@njit(cache=True)
def _contains(ptr, ind, a, b):  # type: ignore[no-untyped-def]
    """True when line ``a``'s entries are all among line ``b``'s (sorted indices)."""
    q = ptr[b]
    qe = ptr[b + 1]
    for t in range(ptr[a], ptr[a + 1]):
        x = ind[t]
        while q < qe and ind[q] < x:
            q += 1
        if q == qe or ind[q] != x:
            return False
        q += 1
    return True


@njit(cache=True)
def _dominated(rptr, rind, cptr, cind, droppable):  # type: ignore[no-untyped-def]
    m = cptr.size - 1
    drop = np.zeros(m, dtype=np.bool_)
    for j in range(m):
        if not droppable[j]:
            continue
        dj = cptr[j + 1] - cptr[j]
        if dj == 0:
            drop[j] = True
            continue
        # the row of j with the fewest candidates: every dominator covers it
        best = cind[cptr[j]]
        for t in range(cptr[j], cptr[j + 1]):
            r = cind[t]
            if rptr[r + 1] - rptr[r] < rptr[best + 1] - rptr[best]:
                best = r
        for t in range(rptr[best], rptr[best + 1]):
            k = rind[t]
            if k == j:
                continue
            dk = cptr[k + 1] - cptr[k]
            if dk < dj or (dk == dj and (k > j or drop[k])):
                continue  # identical columns: the first one not dropped stays
            if _contains(cptr, cind, j, k):
                drop[j] = True
                break
    return drop


def dominated_columns(csr: sp.csr_matrix, droppable: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Columns whose rows are a subset of another column's (see the module).

    Parameters
    ----------
    csr
        Coverage (rows × candidates).
    droppable
        Columns that may be dropped (not fixed, in no region with a minimum).

    Returns
    -------
    NDArray
        True for the columns to drop; every dropped column has a kept superset.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1], [0, 1, 0]], dtype=float))
    >>> dominated_columns(A, np.ones(3, dtype=bool)).tolist()
    [True, False, True]
    """
    A = sp.csr_matrix(csr, dtype=np.float64)
    A.sort_indices()
    C = A.tocsc()
    C.sort_indices()
    return np.asarray(
        _dominated(
            A.indptr.astype(np.int64),
            A.indices.astype(np.int64),
            C.indptr.astype(np.int64),
            C.indices.astype(np.int64),
            droppable.astype(np.bool_),
        ),
        dtype=bool,
    )


@njit(cache=True)
def _cover_lagrangian(  # type: ignore[no-untyped-def]
    rptr, rind, cptr, cind, fixed, region, need, upper, u, work_limit, max_iter, fst, ist, ctl
):
    """Subgradient steps; state in ``fst`` (best, step factor) and ``ist`` (stale, done)."""
    n = rptr.size - 1
    m = cptr.size - 1
    best = fst[0]
    theta = fst[1]
    stale = ist[0]
    ist[1] = 0
    it = 0
    rc = np.zeros(m)
    pick = np.zeros(m, dtype=np.bool_)
    g = np.zeros(n)
    nreg = need.size
    short = np.zeros(max(nreg, 1), dtype=np.int64)
    while it < max_iter:
        if ctl[0] >= work_limit:
            ist[1] = 1
            break
        it += 1
        ctl[1] += 1
        for j in range(m):
            s = 0.0
            for t in range(cptr[j], cptr[j + 1]):
                s += u[cind[t]]
            rc[j] = 1.0 - s
        ctl[0] += cind.size + m
        value = 0.0
        for i in range(n):
            value += u[i]
        for r in range(nreg):
            short[r] = need[r]
        for j in range(m):
            pick[j] = fixed[j] or rc[j] < 0.0
            if pick[j]:
                value += rc[j]
                if region[j] >= 0:
                    short[region[j]] -= 1
        for r in range(nreg):
            while short[r] > 0:  # the region's cheapest sites not yet chosen
                bj = -1
                for j in range(m):
                    if region[j] == r and not pick[j] and (bj < 0 or rc[j] < rc[bj]):
                        bj = j
                if bj < 0:
                    break
                pick[bj] = True
                value += rc[bj]
                short[r] -= 1
        if value > best + 1e-9:
            best = value
            stale = 0
        else:
            stale += 1
            if stale >= HALVE_AFTER:
                theta /= 2.0
                stale = 0
        if theta < 1e-4 or upper - best <= 1e-9 * max(1.0, upper):
            ist[1] = 1
            break
        norm = 0.0
        for i in range(n):
            gi = 1.0
            for t in range(rptr[i], rptr[i + 1]):
                if pick[rind[t]]:
                    gi -= 1.0
            if u[i] <= 0.0 and gi < 0.0:
                gi = 0.0  # u stays >= 0
            g[i] = gi
            norm += gi * gi
        ctl[0] += rind.size
        if norm == 0.0:
            ist[1] = 1
            break
        step = theta * (upper - value) / norm
        for i in range(n):
            u[i] = max(0.0, u[i] + step * g[i])
    fst[0] = best
    fst[1] = theta
    ist[0] = stale
    return best


def cover_lagrangian(
    csr: sp.csr_matrix, rules: Rules, *, upper: float, work: int, budget: Budget | None = None
) -> float | None:
    """Lower bound on the fewest columns covering every row (see the module).

    Parameters
    ----------
    csr
        Rows to cover × candidates (every row has a candidate).
    rules
        Fixed columns (always counted) and region minimums.
    upper
        Size of a known cover (scales the steps).
    work
        Work limit (entries visited).
    budget
        The call's budget: the clock is looked at every 25 steps.

    Returns
    -------
    float or None
        The best bound found (``-inf`` if no step ran), or None when the clock stopped the
        steps (the caller drops them).
    """
    A = sp.csr_matrix(csr, dtype=np.float64)
    C = A.tocsc()
    u = np.full(A.shape[0], 1.0 / max(1, int(np.diff(A.indptr).max(initial=1))))
    ctl = np.zeros(2, dtype=np.int64)
    fst = np.array([-np.inf, 2.0])
    ist = np.zeros(2, dtype=np.int64)
    arrays = (
        A.indptr.astype(np.int64),
        A.indices.astype(np.int64),
        C.indptr.astype(np.int64),
        C.indices.astype(np.int64),
        rules.fixed.astype(np.bool_),
        rules.region.astype(np.int64),
        rules.need.astype(np.int64),
    )
    while True:
        best = float(_cover_lagrangian(*arrays, float(upper), u, int(work), 25, fst, ist, ctl))
        if ist[1]:
            return best
        if budget is not None and budget.expired():
            return None

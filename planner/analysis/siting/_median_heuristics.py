"""Greedy and interchange heuristics of the p-median, on scipy.sparse matrices.

Lazy greedy on the saving ``Σ w_i max(0, d_i - c_ik)`` and the nearest / second-nearest
open site of every row; the interchange and neighbourhood search that follow the greedy are
in :mod:`planner.analysis.siting._median_search`.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.analysis.siting._rules import Rules, lazy_pick

log = logging.getLogger(__name__)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

__all__ = ["greedy_median", "median_state"]


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
        for j, g in lazy_pick(gain, pool, init, int(rules.deficits(state.open)[r]), add):
            gains[j] = g
    rest = np.flatnonzero(~state.open)
    state.d1 = d
    init = state.gains()[rest]
    for j, g in lazy_pick(gain, rest, init, p - int(state.open.sum()), add):
        gains[j] = g
    return state.open, gains


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

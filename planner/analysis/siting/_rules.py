"""Side rules every siting heuristic keeps, and the pieces the greedy and swap moves share.

All heuristics work on positions of *allowed* candidates; the caller has already removed
excluded candidates and checked the inputs.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Rules", "lazy_pick", "mask_swaps"]

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


def lazy_pick(
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


def mask_swaps(delta: FloatArray, S: IntArray, rules: Rules, open_mask: NDArray[np.bool_]) -> None:
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

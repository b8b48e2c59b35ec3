"""Travel times without road data: straight-line distance × a circuity factor at mode speed.

A study with only population and markets still runs: travel time is estimated as
``distance_m × circuity / speed``, with :data:`planner.settings.CIRCUITY_FACTOR` (1.3,
Ballou et al. 2002) by default. Results say the fallback was used (``method``), so maps
and reports can label them as estimates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from planner import settings
from planner.errors import InvalidValueError, ModeError

__all__ = ["FALLBACK_SPEEDS_KMH", "StraightLineTimes", "straight_line_times"]

log = logging.getLogger(__name__)

#: Mode speeds for the fallback (km/h). Drive uses the 'unclassified' road speed: without a
#: road network no road class is known. Bus is not estimated without a network.
FALLBACK_SPEEDS_KMH: dict[str, float] = {
    "walk": settings.WALK_SPEED_KMH,
    "ebike": settings.EBIKE_SPEED_KMH,
    "drive": settings.DRIVE_SPEEDS_KMH["unclassified"],
}


@dataclass(frozen=True)
class StraightLineTimes:
    """Estimated travel times (seconds) as a sparse origins × targets matrix.

    Stored entries are pairs within the cutoff; a stored 0 is a real zero (same place);
    absent means beyond the cutoff.
    """

    matrix: sp.csr_array
    cutoff_s: float
    mode: str
    speed_kmh: float
    circuity: float
    method: str = "straight-line fallback"


def _xy(points: ArrayLike, name: str) -> NDArray[np.float64]:
    a = np.asarray(points, dtype=float)
    if a.ndim != 2 or a.shape[1] != 2:
        raise InvalidValueError(f"{name} must be an (n, 2) array of projected x, y metres")
    if not np.isfinite(a).all():
        i = int(np.flatnonzero(~np.isfinite(a).all(axis=1))[0])
        raise InvalidValueError(f"{name} row {i} has a missing coordinate", fix="drop or fix it")
    return a


def straight_line_times(
    origins_xy: ArrayLike,
    targets_xy: ArrayLike,
    *,
    mode: str,
    cutoff_s: float,
    speed_kmh: float | None = None,
    circuity: float = settings.CIRCUITY_FACTOR,
) -> StraightLineTimes:
    """Estimate travel times between projected points within ``cutoff_s``.

    Parameters
    ----------
    origins_xy, targets_xy
        (n, 2) arrays of x, y in metres (a projected CRS).
    mode
        ``"walk"``, ``"ebike"`` or ``"drive"``.
    cutoff_s
        Largest time kept.
    speed_kmh
        Overrides the mode's default speed.
    circuity
        Network distance / straight-line distance (≥ 1).

    Examples
    --------
    >>> r = straight_line_times([[0, 0]], [[0, 0], [1000, 0], [9000, 0]], mode="walk",
    ...                         cutoff_s=1800, speed_kmh=4.5, circuity=1.3)
    >>> [round(float(t)) for t in r.matrix.toarray()[0]]   # 1000 m × 1.3 / 1.25 m/s = 1040 s
    [0, 1040, 0]
    >>> int(r.matrix.nnz)   # the first zero is stored (same place), the third is absent
    2
    """
    if mode not in FALLBACK_SPEEDS_KMH:
        raise ModeError(
            f"no straight-line fallback for mode {mode!r}",
            fix=f"use one of {', '.join(FALLBACK_SPEEDS_KMH)}; bus needs a network",
        )
    if not cutoff_s > 0:
        raise InvalidValueError(f"cutoff_s must be positive, got {cutoff_s}")
    if circuity < 1:
        raise InvalidValueError(f"circuity must be at least 1, got {circuity}")
    speed = speed_kmh if speed_kmh is not None else FALLBACK_SPEEDS_KMH[mode]
    if not speed > 0:
        raise InvalidValueError(f"speed_kmh must be positive, got {speed}")
    o = _xy(origins_xy, "origins_xy")
    t = _xy(targets_xy, "targets_xy")
    ms = speed / 3.6
    radius_m = cutoff_s * ms / circuity
    pairs = cKDTree(o).sparse_distance_matrix(cKDTree(t), radius_m, output_type="ndarray")
    seconds = pairs["v"] * circuity / ms
    matrix = sp.csr_array((seconds, (pairs["i"], pairs["j"])), shape=(len(o), len(t)))
    log.info(
        "travel times for %s estimated from straight lines × %.2f at %.1f km/h (no road network)",
        mode,
        circuity,
        speed,
    )
    return StraightLineTimes(
        matrix=matrix, cutoff_s=cutoff_s, mode=mode, speed_kmh=speed, circuity=circuity
    )

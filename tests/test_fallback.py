"""Straight-line fallback travel times (planner/network/fallback.py)."""

from __future__ import annotations

import numpy as np
import pytest

from planner.errors import InvalidValueError, ModeError
from planner.network.fallback import straight_line_times


def test_against_brute_force() -> None:
    rng = np.random.default_rng(3)
    o = rng.uniform(0, 5000, (40, 2))
    t = rng.uniform(0, 5000, (30, 2))
    r = straight_line_times(o, t, mode="ebike", cutoff_s=600, speed_kmh=15, circuity=1.3)
    # brute force: every pair, distance × 1.3 / (15 / 3.6) m/s, keep <= 600 s
    d = np.hypot(o[:, None, 0] - t[None, :, 0], o[:, None, 1] - t[None, :, 1])
    secs = d * 1.3 / (15 / 3.6)
    within = secs <= 600
    got = r.matrix.toarray()
    assert r.matrix.nnz == within.sum()
    np.testing.assert_allclose(got[within], secs[within], rtol=1e-12)
    assert (got[~within] == 0).all()
    assert r.method == "straight-line fallback"


def test_bad_inputs() -> None:
    with pytest.raises(ModeError, match="no straight-line fallback for mode 'bus'"):
        straight_line_times([[0, 0]], [[1, 1]], mode="bus", cutoff_s=60)
    with pytest.raises(InvalidValueError, match="cutoff_s must be positive"):
        straight_line_times([[0, 0]], [[1, 1]], mode="walk", cutoff_s=0)
    with pytest.raises(InvalidValueError, match="origins_xy row 1 has a missing coordinate"):
        straight_line_times([[0, 0], [np.nan, 1]], [[1, 1]], mode="walk", cutoff_s=60)
    with pytest.raises(InvalidValueError, match="circuity must be at least 1"):
        straight_line_times([[0, 0]], [[1, 1]], mode="walk", cutoff_s=60, circuity=0.5)

"""What each new site buys (planner/analysis/curve.py): the curve against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from planner.analysis.curve import site_curve


def _brute_mclp(cover: np.ndarray, w: np.ndarray, k: int) -> float:
    best = 0.0
    for sites in itertools.combinations(range(cover.shape[1]), k):
        best = max(best, float(w[cover[:, list(sites)].any(axis=1)].sum()))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_points_equal_separate_brute_force_solves(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cover = rng.random((14, 7)) < 0.25
    w = rng.integers(1, 20, size=14).astype(float)
    c = site_curve(sp.csr_array(cover), w, 5)
    expected = [_brute_mclp(cover, w, k) for k in range(1, 6)]
    assert c.points["covered"].tolist() == pytest.approx(expected)
    assert (np.diff(c.points["covered"].to_numpy()) >= -1e-9).all()  # never decreases
    assert (c.points["status"] == "optimal").all() and (c.points["gap"] <= 1e-6).all()
    total = float(w[cover.any(axis=1)].sum())
    assert c.total == pytest.approx(total)
    assert c.points["share"].iloc[-1] == pytest.approx(expected[-1] / total)


def test_knee_by_hand() -> None:
    # one big cluster (100), then three of 10: covered 100, 110, 120, 130 → the knee is k=1
    cover = np.zeros((4, 4), dtype=bool)
    np.fill_diagonal(cover, True)
    c = site_curve(sp.csr_array(cover), np.array([100.0, 10.0, 10.0, 10.0]), 4)
    assert c.points["covered"].tolist() == [100.0, 110.0, 120.0, 130.0]
    assert c.knee == 1

"""What each new site buys (planner/analysis/curve.py): the curve against brute force."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from planner.analysis.curve import site_curve, tier_curve


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


def test_the_curve_shares_the_tier_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """k points share the tier's limit: each exact solve gets limit / k (a work limit)."""
    import planner.analysis.curve as curve_mod

    seen: list[float] = []
    real = curve_mod.siting.mclp

    def spy(*args: object, **kw: object) -> object:
        seen.append(float(kw["time_limit_s"]))  # type: ignore[arg-type]
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(curve_mod.siting, "mclp", spy)
    rng = np.random.default_rng(3)
    cover = rng.random((14, 7)) < 0.25
    w = rng.integers(1, 20, size=14).astype(float)
    site_curve(sp.csr_array(cover), w, 4, options={"time_limit_s": 10.0, "fmt": "x"})
    assert seen == [2.5] * 4
    seen.clear()
    site_curve(sp.csr_array(cover), w, 5, options={"time_limit_s": 0.5})
    assert seen == [curve_mod.POINT_MIN_S] * 5  # 0.1 s each would be below the floor


def test_knee_by_hand() -> None:
    # one big cluster (100), then three of 10: covered 100, 110, 120, 130 → the knee is k=1
    cover = np.zeros((4, 4), dtype=bool)
    np.fill_diagonal(cover, True)
    c = site_curve(sp.csr_array(cover), np.array([100.0, 10.0, 10.0, 10.0]), 4)
    assert c.points["covered"].tolist() == [100.0, 110.0, 120.0, 130.0]
    assert c.knee == 1


@pytest.mark.parametrize("seed", range(6))
def test_greedy_points_are_bounded_by_the_brute_force_optimum(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Larger problems take the greedy sequence; its points may fall short of the optimum,
    # but never above it, and every bound it reports must hold.
    from planner import settings

    monkeypatch.setattr(settings, "CURVE_EXACT_MAX_NNZ", 0)
    rng = np.random.default_rng(100 + seed)
    cover = rng.random((14, 7)) < 0.3
    w = rng.integers(1, 20, size=14).astype(float)
    c = site_curve(sp.csr_array(cover), w, 5)
    covered = c.points["covered"].to_numpy()
    assert (np.diff(covered) >= -1e-9).all()
    for k, got, gap in zip(c.points["k"], covered, c.points["gap"], strict=True):
        opt = _brute_mclp(cover, w, int(k))
        assert got <= opt + 1e-9
        bound = got / (1 - gap) if gap < 1 else np.inf
        assert bound >= opt - 1e-9, (k, got, opt, bound)
    assert set(c.points["status"]) <= {"heuristic", "optimal"}


def test_greedy_sequence_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    from planner import settings

    monkeypatch.setattr(settings, "CURVE_EXACT_MAX_NNZ", 0)
    cover = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)
    c = site_curve(sp.csr_array(cover), np.array([5.0, 1.0, 1.0, 4.0]), 3)
    # greedy: column 0 (6), then column 2 (+5), then nothing is left
    assert c.points["sites"].tolist() == [[0], [0, 2], [0, 2]]
    assert c.points["covered"].tolist() == [6.0, 11.0, 11.0]
    # k=1: over {0} the best gain is 5 (column 2): bound 11, gap 1 - 6/11
    assert c.points["gap"].iloc[0] == pytest.approx(1 - 6 / 11)
    assert c.points["gap"].iloc[1] == 0.0 and c.points["status"].iloc[1] == "optimal"


def test_tier_curve_marks_the_sites_the_plan_proposes() -> None:
    # the model chose three sites, one was pruned as too small: the plan proposes two, and
    # the curve marks two
    cover = sp.csr_array(np.eye(4, dtype=bool))
    tp = SimpleNamespace(
        cover=cover,
        weights=np.array([4.0, 3.0, 2.0, 1.0]),
        options={},
        result=SimpleNamespace(selected=[0, 1, 3]),
        chosen=np.array([0, 1]),
    )
    c = tier_curve(tp)
    assert c is not None and c.chosen == 2
    assert c.points["covered"].tolist()[:4] == [4.0, 7.0, 9.0, 10.0]

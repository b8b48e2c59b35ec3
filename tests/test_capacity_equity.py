"""Capacity (planner/analysis/capacity.py) and equity floors (planner/analysis/equity.py)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner import settings
from planner.analysis.capacity import market_load, site_load
from planner.analysis.coverage import TierRule, coverage
from planner.analysis.equity import floors_met
from planner.analysis.plan import make_plan
from planner.network.graph import TravelGraph

UTM = 32651
N = 8


def _walk() -> TravelGraph:
    x = np.arange(N) * 1000.0
    u = list(range(N - 1)) + list(range(1, N))
    v = list(range(1, N)) + list(range(N - 1))
    return TravelGraph.from_edges(
        "walk", np.arange(N), x, np.zeros(N), u, v, [600.0] * len(u), crs=UTM
    )


def _cells() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "demand": [500.0, 300.0, 200.0, 0.0, 0.0, 100.0, 400.0, 50.0],
            "old_demand": [100.0, 0.0, 0.0, 0.0, 0.0, 80.0, 10.0, 40.0],
        },
        geometry=gpd.points_from_xy(np.arange(N) * 1000.0, [0.0] * N),
        crs=UTM,
    )


RULE = {"station": TierRule("station", 10.0, ("walk",))}  # reaches the next node only


def test_capacity_flags_match_a_hand_count() -> None:
    # M0 at node 0 and M1 at node 6: each cell goes to the nearest within 10 min.
    # M0: nodes 0, 1 → 800 workers → 80 a day against capacity 60: over-full.
    # M1: nodes 5, 6, 7 → 550 → 55 a day against 100: fine. Node 2 is served by neither.
    mk = gpd.GeoDataFrame(
        {
            "market_id": ["M0", "M1"],
            "name": ["甲", "乙"],
            "tier": ["station"] * 2,
            "capacity": [60, 100],
        },
        geometry=[shapely.Point(0, 0), shapely.Point(6000, 0)],
        crs=UTM,
    )
    cov = coverage(_cells(), mk, {"walk": _walk()}, rules=RULE)
    load = market_load(cov, mk, attendance_share=0.1)
    assert load["catchment"].tolist() == [800.0, 550.0]
    assert load["expected_daily"].tolist() == pytest.approx([80.0, 55.0])
    assert load["over_full"].tolist() == [True, False]


def test_site_load_uses_the_tier_capacity() -> None:
    sites = gpd.GeoDataFrame(
        {"site_id": ["A", "B"], "tier": ["station", "comprehensive"], "new_demand": [900.0, 900.0]},
        geometry=[shapely.Point(0, 0)] * 2,
        crs=UTM,
    )
    t = site_load(sites, {"station": 50.0})
    share = settings.DAILY_ATTENDANCE_SHARE
    assert t["expected_daily"].tolist() == pytest.approx([900 * share, 900 * share])
    assert t["over_full"].tolist() == [900 * share > 50, False]


def test_floors_met_by_hand() -> None:
    # no market; candidates at nodes 0 and 6. With target 50 % of 1,550 coverable workers
    # the fewest sites is node 0 (covers nodes 0, 1 = 800). Older workers: 100 of the 230
    # coverable (nodes 0, 5, 6, 7) are at node 0 → 43 %: a floor of 40 % is met, 50 % not.
    cells = _cells()
    cands = gpd.GeoDataFrame(
        {
            "candidate_id": ["C0", "C6"],
            "anchor_kind": ["street_point"] * 2,
            "anchor_name": ["a", "b"],
        },
        geometry=[shapely.Point(0, 0), shapely.Point(6000, 0)],
        crs=UTM,
    )
    empty = gpd.GeoDataFrame({"market_id": [], "tier": []}, geometry=[], crs=UTM)
    plan = make_plan(
        cells, empty, {"walk": _walk()}, {"station": cands}, rules=RULE,
        target_share={"station": 0.5}, min_new_demand={"station": 0.0}, groups=["old"],
    )  # fmt: skip
    assert plan.sites["site_id"].tolist() == ["C0"]
    f = floors_met(plan, {"station": {"old": 0.4}}, ["old"])
    assert f["achieved"].iloc[0] == pytest.approx(100 / 230)
    assert bool(f["met"].iloc[0])
    assert not bool(floors_met(plan, {"station": {"old": 0.5}}, ["old"])["met"].iloc[0])

"""The three-tier plan (planner/analysis/plan.py) on hand-worked instances."""

from __future__ import annotations

import itertools
import logging

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.analysis.coverage import TierRule, coverage
from planner.analysis.plan import make_plan
from planner.network.graph import TravelGraph

UTM = 32651
N = 11  # nodes 0..10 on a line, 1 km apart, walked at 600 s per km


def _walk() -> TravelGraph:
    x = np.arange(N) * 1000.0
    u = list(range(N - 1)) + list(range(1, N))
    v = list(range(1, N)) + list(range(N - 1))
    return TravelGraph.from_edges(
        "walk", np.arange(N), x, np.zeros(N), u, v, np.full(len(u), 600.0), crs=UTM
    )


def _pts(xs: list[float], **cols: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xs, [0.0] * len(xs)), crs=UTM)


RULE = {"station": TierRule("station", 10.0, ("walk",))}  # 10 min = 1 km either side


def _cells() -> gpd.GeoDataFrame:
    demand = [50.0, 10, 0, 0, 200, 10, 0, 0, 0, 40, 30]
    return _pts([1000.0 * i for i in range(N)], demand=demand, urban=[True] * N)


def _cands(nodes: list[int]) -> gpd.GeoDataFrame:
    return _pts(
        [1000.0 * i for i in nodes],
        candidate_id=[f"C{i}" for i in nodes],
        anchor_kind=["street_point"] * len(nodes),
        anchor_name=[f"n{i}" for i in nodes],
    )


def test_fewest_stations_equal_brute_force() -> None:
    cells = _cells()
    markets = _pts([0.0], market_id=["M0"], tier=["station"])  # covers nodes 0, 1
    cand_nodes = [2, 3, 4, 5, 8, 9, 10]
    plan = make_plan(
        cells,
        markets,
        {"walk": _walk()},
        {"station": _cands(cand_nodes)},
        rules=RULE,
        target_share={"station": 1.0},
        min_new_demand={"station": 0.0},
    )
    # brute force: uncovered demand at nodes 4, 5, 9, 10; a site at node k covers k-1..k+1
    need = {4, 5, 9, 10}
    best = None
    for r in range(1, len(cand_nodes) + 1):
        for combo in itertools.combinations(cand_nodes, r):
            if need <= {j for k in combo for j in (k - 1, k, k + 1)}:
                best = r
                break
        if best:
            break
    assert best == 2
    assert len(plan.sites) == best
    assert set(plan.sites["site_id"]) <= {"C4", "C5", "C9", "C10"}
    # every newly covered worker is attributed to exactly one site
    assert plan.sites["new_demand"].sum() == pytest.approx(200 + 10 + 40 + 30)
    # after = coverage recomputed independently with the sites as markets
    s = plan.summary().set_index("tier").loc["station"]
    assert s["share_before"] == pytest.approx(60 / 340)
    assert s["share_after"] == pytest.approx(1.0)
    assert s["new_sites"] == 2
    # the reasons, in Chinese sentences: where, what each site newly covers, how, nearest
    for r in plan.sites.itertuples():
        assert r.reason.startswith(f"该零工服务站点依托街道位置“n{r.site_id[1:]}”设置。")
        assert f"设置后可新增覆盖灵活就业人员约{r.new_demand:,.0f}人。" in r.reason
        assert "新增覆盖人员可通过步行在10分钟内到达。" in r.reason
        tail = (
            f"最近的现有零工市场为“M0”，约{r.nearest_market_min:.1f}分钟。"
            if r.nearest_market
            else "一小时内无现有零工市场。"
        )
        assert r.reason.endswith(tail)
    # nearest existing market by walking, within an hour: node k is k × 10 minutes from M0
    for site, market, minutes in zip(
        plan.sites["site_id"],
        plan.sites["nearest_market"],
        plan.sites["nearest_market_min"],
        strict=True,
    ):
        k = int(site[1:])
        if k * 10 <= 60:
            assert market == "M0" and minutes == pytest.approx(k * 10.0)
        else:
            assert market == "" and np.isnan(minutes)


def test_small_sites_are_pruned() -> None:
    cells = _cells()
    markets = _pts([0.0], market_id=["M0"], tier=["station"])
    plan = make_plan(
        cells,
        markets,
        {"walk": _walk()},
        {"station": _cands([4, 9])},
        rules=RULE,
        target_share={"station": 1.0},
        min_new_demand={"station": 100.0},
    )
    # C9 would newly cover 40 + 30 = 70 < 100: dropped; C4 covers 200 + 10
    assert plan.sites["site_id"].tolist() == ["C4"]
    assert plan.tiers["station"].pruned == 1
    direct = coverage(cells, markets, {"walk": _walk()}, rules=RULE)
    assert plan.before.cells["station_covered"].equals(direct.cells["station_covered"])


def test_demand_no_candidate_reaches_is_counted_not_warned(caplog) -> None:
    # Candidates at nodes 4 and 5 reach nodes 3..6 only: of the uncovered demand (nodes 4,
    # 5, 9, 10: 200 + 10 + 40 + 30), 70 is out of every candidate's reach. The plan
    # expects that (LSCP covers a share of what candidates reach), so it logs no warning.
    caplog.set_level(logging.INFO)
    plan = make_plan(
        _cells(),
        _pts([0.0], market_id=["M0"], tier=["station"]),
        {"walk": _walk()},
        {"station": _cands([4, 5])},
        rules=RULE,
        target_share={"station": 1.0},
        min_new_demand={"station": 0.0},
    )
    tp = plan.tiers["station"]
    assert tp.uncovered_demand == pytest.approx(280.0)
    assert tp.coverable_demand == pytest.approx(210.0)
    assert plan.sites["site_id"].tolist() in (["C4"], ["C5"])
    assert tp.result.covered.tolist() == [True, True]  # the two coverable rows
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "station: 70 of 280 uncovered workers are within reach of no candidate" in caplog.text


def _units() -> gpd.GeoDataFrame:
    west = shapely.box(-500, -500, 5500, 500)
    east = shapely.box(5500, -500, 10500, 500)
    return gpd.GeoDataFrame(
        {"code": ["A", "B"], "name": ["西县", "东县"]}, geometry=[west, east], crs=UTM
    )


def test_every_county_gets_a_comprehensive_market() -> None:
    cells = _cells()
    markets = _pts([0.0], market_id=["M0"], tier=["comprehensive"])  # county A has one
    rule = {"comprehensive": TierRule("comprehensive", 10.0, ("walk",))}
    plan = make_plan(
        cells,
        markets,
        {"walk": _walk()},
        {"comprehensive": _cands([4, 8])},
        units=_units(),
        rules=rule,
        target_share={"comprehensive": 0.5},
        min_new_demand={"comprehensive": 1000.0},
    )
    # by hand: uncovered demand 200 + 10 (nodes 4, 5) + 40 + 30 (nodes 9, 10) = 280; C4
    # covers 210, C8 covers 40. County B (east of x = 5.5 km) has no comprehensive market,
    # so C8 must open; 40 < 50 % of 280, so C4 opens too: the model picks {C4, C8}.
    assert plan.tiers["comprehensive"].result.selected.tolist() == [0, 1]
    # then C4 (210 < 1,000 workers) is pruned; C8 is kept because county B needs it
    assert plan.sites["site_id"].tolist() == ["C8"]
    assert plan.sites["new_demand"].tolist() == [40.0]


def test_county_without_candidate_is_warned_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    # Degrade, never crash: a county with no market and no candidate cannot get a site; the
    # plan goes on for the rest and the warning names the county and the fix.
    cells = _cells()
    markets = _pts([0.0], market_id=["M0"], tier=["comprehensive"])
    rule = {"comprehensive": TierRule("comprehensive", 10.0, ("walk",))}
    with caplog.at_level("WARNING", logger="planner.analysis.plan"):
        plan = make_plan(
            cells,
            markets,
            {"walk": _walk()},
            {"comprehensive": _cands([2, 4])},
            units=_units(),
            rules=rule,
        )
    assert "county 东县 (B) has no comprehensive market and no candidate" in caplog.text
    assert "[candidates] add" in caplog.text
    # the only candidates (nodes 2 and 4) lie in county A; the plan still sites there
    assert set(plan.sites["site_id"]) <= {"C2", "C4"}
    assert (plan.sites.geometry.x < 5500).all()


def test_nearest_existing_market_uses_the_fastest_mode() -> None:
    cells = _cells()
    markets = _pts([0.0], market_id=["M0"], tier=["station"])
    walk = _walk()
    x = np.arange(N) * 1000.0
    u = list(range(N - 1)) + list(range(1, N))
    v = list(range(1, N)) + list(range(N - 1))
    ebike = TravelGraph.from_edges(
        "ebike", np.arange(N), x, np.zeros(N), u, v, np.full(len(u), 240.0), crs=UTM
    )
    rule = {"station": TierRule("station", 4.0, ("walk", "ebike"))}  # 1 km by e-bike
    plan = make_plan(
        cells,
        markets,
        {"walk": walk, "ebike": ebike},
        {"station": _cands([9])},
        rules=rule,
        target_share={"station": 0.1},
        min_new_demand={"station": 0.0},
    )
    # C9 is 9 km from M0: 90 min on foot (beyond the hour), 36 min by e-bike (240 s/km)
    assert plan.sites["nearest_market"].tolist() == ["M0"]
    assert plan.sites["nearest_market_min"].tolist() == [pytest.approx(36.0)]


def test_sector_candidate_without_a_sector_serves_every_sector() -> None:
    # An existing market's site is a sector candidate with no sector (NA): it used to crash
    # the plan ("boolean value of NA is ambiguous"); it may serve every sector's demand.
    import pandas as pd

    cells = _cells()
    places = _pts([4000.0, 9000.0], demand=[300.0, 200.0], sector=["construction", "commerce"])
    cands = _pts(
        [4000.0, 9000.0],
        candidate_id=["S-any", "S-con"],
        anchor_kind=["existing_market", "industrial_park"],
        anchor_name=["旧市场", "园区"],
        sector=pd.array([pd.NA, "construction"], dtype="string"),
    )
    rule = {"sector": TierRule("sector", 10.0, ("walk",))}
    plan = make_plan(
        cells,
        _pts([], market_id=[], tier=[]),
        {"walk": _walk()},
        {"sector": cands},
        places=places,
        rules=rule,
        min_new_demand={"sector": 0.0},
    )
    # the commerce place at 9 km is 5 km from S-any and has no commerce candidate near it;
    # the construction place at 4 km is reached by S-any (same node, sector NA): by hand
    # the fewest sites covering all coverable sector demand (300) is {S-any}.
    assert plan.sites["site_id"].tolist() == ["S-any"]
    assert plan.sites["new_demand"].tolist() == [300.0]

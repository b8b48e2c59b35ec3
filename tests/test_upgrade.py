"""Tests of planner.analysis.upgrade: upgrading an existing market instead of a new site."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from planner.analysis.coverage import coverage
from planner.analysis.plan import _nearest_existing
from planner.analysis.upgrade import LOWER_TIERS, plan_markets, upgrade_options
from planner.demo import write_demo_inputs
from planner.inputs import load_inputs
from planner.pipeline import run_study
from planner.run import StudyRun
from planner.study import load_study


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> StudyRun:
    files = write_demo_inputs(tmp_path_factory.mktemp("demo"), scale=0.3)
    return run_study(load_inputs(load_study(files.study)))


def _options(run: StudyRun, within_min: float) -> list:
    return upgrade_options(
        run.plan,
        run.markets,
        run.cells,
        run.graphs,
        rules=run.plan.before.rules,
        within_min=within_min,
    )


def test_plan_markets_reproduce_the_plan(run: StudyRun) -> None:
    cov = coverage(
        run.cells, plan_markets(run.markets, run.plan), run.graphs, rules=run.plan.before.rules
    )
    got = cov.summary().set_index("tier")["covered"]
    exp = run.plan.after.summary().set_index("tier")["covered"]
    assert np.allclose(got.to_numpy(), exp.loc[got.index].to_numpy())


def test_options_by_hand(run: StudyRun) -> None:
    opts = _options(run, within_min=60.0)
    sites = run.plan.sites
    eligible = sites[sites["tier"].isin(list(LOWER_TIERS))]
    assert opts, "the demo has comprehensive and sector sites with lower-tier markets in reach"
    assert {o.site_id for o in opts} <= set(eligible["site_id"])
    rules = run.plan.before.rules
    summary = run.plan.summary().set_index("tier")
    for o in opts:
        i = int(np.flatnonzero(sites["site_id"].to_numpy() == o.site_id)[0])
        lower = run.markets[run.markets["tier"].isin(LOWER_TIERS[o.tier])]
        # the market is the nearest lower-tier one: times to each market on its own
        times = np.array(
            [
                _nearest_existing(
                    sites.iloc[[i]], lower.iloc[[k]], run.graphs, rules[o.tier].modes, False
                )[1][0]
                for k in range(len(lower))
            ]
        )
        k = int(np.nanargmin(times))
        assert o.market_id == lower["market_id"].iloc[k]
        assert o.minutes == pytest.approx(times[k]) and o.minutes <= 60.0
        assert o.market_tier in LOWER_TIERS[o.tier]
        # the alternative by hand: existing markets, the other proposed sites, and the market
        # serving the proposed tier as well as its own
        others = sites[sites["site_id"] != o.site_id]
        alt = gpd.GeoDataFrame(
            pd.concat(
                [
                    run.markets[["market_id", "tier", "geometry"]],
                    gpd.GeoDataFrame(
                        {
                            "market_id": others["site_id"].to_numpy(),
                            "tier": others["tier"].to_numpy(),
                        },
                        geometry=others.geometry.to_numpy(),
                        crs=sites.crs,
                    ),
                    lower.iloc[[k]][["geometry"]].assign(market_id="up", tier=o.tier),
                ],
                ignore_index=True,
            ),
            crs=sites.crs,
        )
        cov = coverage(run.cells, alt, run.graphs, rules=rules).summary().set_index("tier")
        for t in rules:
            if t == "sector" and run.plan.sector_after is not None:
                pts = run.plan.sector_after.cells
                sc = coverage(pts, alt, run.graphs, rules={"sector": rules["sector"]})
                exp = float(sc.summary()["covered"].iloc[0])
            else:
                exp = float(cov.loc[t, "covered"])
            assert o.covered_alt[t] == pytest.approx(exp)
            assert o.covered_plan[t] == pytest.approx(summary.loc[t, "covered_after"])
            assert o.demand[t] == pytest.approx(summary.loc[t, "demand"])
            assert o.share_alt(t) == pytest.approx(exp / summary.loc[t, "demand"])


def test_threshold_bounds_the_options(run: StudyRun) -> None:
    many = _options(run, within_min=60.0)
    assert _options(run, within_min=0.0) == []
    few = _options(run, within_min=min(o.minutes for o in many))
    assert [o.site_id for o in few] == [o.site_id for o in many if o.minutes <= few[0].minutes]


def test_no_markets_no_options(run: StudyRun) -> None:
    empty = run.markets.iloc[0:0]
    assert (
        upgrade_options(run.plan, empty, run.cells, run.graphs, rules=run.plan.before.rules) == []
    )

"""Searches shared between runs (planner/network/cache.py): the cache answers exactly what a
fresh search answers, and scenarios that change only a threshold run no new search."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.inputs import load_inputs
from planner.network.cache import SearchCache
from planner.network.graph import TravelGraph
from planner.network.nearest import nearest
from planner.network.traveltime import travel_times_to
from planner.pipeline import run_scenarios, run_study
from planner.study import load_study

sys.path.insert(0, str(Path(__file__).parent))
from test_pipeline import _tiny_study

runner = CliRunner()


def _random_graph(seed: int, n: int = 60) -> TravelGraph:
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n, 300)
    v = rng.integers(0, n, 300)
    t = rng.uniform(10, 200, 300)
    return TravelGraph.from_edges(
        "walk", np.arange(n), rng.uniform(0, 1e4, n), rng.uniform(0, 1e4, n), u, v, t, crs=32651
    )


@pytest.mark.parametrize("seed", range(6))
def test_cached_answers_equal_fresh_searches(seed: int) -> None:
    rng = np.random.default_rng(seed)
    g = _random_graph(seed)
    targets = rng.choice(g.n_nodes, 5, replace=False)
    t_off = rng.uniform(0, 30, 5)
    cache = SearchCache(cutoff_floor_s={"walk": 900.0})
    for cutoff in (600.0, 300.0, 900.0):
        sources = rng.integers(-1, g.n_nodes, 25)
        s_off = np.where(sources >= 0, rng.uniform(0, 60, 25), np.inf)
        got = cache.travel_times_to(
            g, targets, sources, cutoff_s=cutoff, source_offsets_s=s_off, target_offsets_s=t_off
        )
        want = travel_times_to(
            g, targets, sources, cutoff_s=cutoff, source_offsets_s=s_off, target_offsets_s=t_off
        )
        assert np.array_equal(got.to_dense(), want.to_dense())
        assert got.nnz == want.nnz  # stored pairs (explicit zeros included) agree
        near_got = cache.nearest(g, targets, cutoff_s=cutoff, facility_offsets_s=t_off)
        near_want = nearest(g, targets, cutoff_s=cutoff, facility_offsets_s=t_off)
        assert np.array_equal(near_got.time_s, near_want.time_s)
        assert np.array_equal(near_got.facility, near_want.facility)
    assert cache.searches == 2  # one of each kind, at the 900 s floor


def test_a_scenario_changing_only_a_threshold_runs_no_new_search(tmp_path: Path) -> None:
    extra = (
        "[tiers.station]\nthreshold_min = 20\n"
        "[scenarios.shorter]\ntiers.station.threshold_min = 10\n"
    )
    study = load_study(_tiny_study(tmp_path, extra=extra))
    inputs = load_inputs(study)
    runs, cache = run_scenarios(inputs)
    # the same study alone, with a cache of its own, runs as many searches
    from planner.network.cache import use_cache

    alone = SearchCache(cutoff_floor_s=cache.cutoff_floor_s)
    with use_cache(alone):
        run_study(inputs)
    assert cache.searches == alone.searches > 0
    # and the scenario's plan is the plan of a fresh run of the scenario's study
    fresh = run_study(load_inputs(study.scenarios["shorter"]))
    got = runs["shorter"].plan
    assert got.sites["site_id"].tolist() == fresh.plan.sites["site_id"].tolist()
    assert got.summary()["share_after"].tolist() == pytest.approx(
        fresh.plan.summary()["share_after"].tolist()
    )
    assert runs["shorter"].plan.after.rules["station"].threshold_min == 10.0


def test_run_with_scenarios_publishes_the_comparison(tmp_path: Path) -> None:
    extra = "[scenarios.longer_walks]\ntiers.station.threshold_min = 25\n"
    study = _tiny_study(tmp_path, extra=extra)
    r = runner.invoke(app, ["run", str(study), "--scenarios", "--no-progress"])
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert set(s["scenarios"]) == {"base", "longer_walks"}
    assert s["scenarios"]["longer_walks"]["tiers"]["station"]["threshold_min"] == 25.0
    assert s["scenarios"]["base"]["tiers"]["station"]["threshold_min"] == 15.0
    assert (tmp_path / "out" / "scenarios.csv").is_file()
    html = (tmp_path / "out" / "scenarios.html").read_text("utf-8")
    assert html.count("<svg") == 2 and "longer_walks" in html
    # coverage at moments and the curves are in the summary too
    assert set(s["coverage_at"]) == {"Mo 05:00", "Mo 07:00", "Mo 09:00", "Su 06:00"}
    for tier, c in s["curve"].items():
        covered = [p["covered"] for p in c["points"]]
        assert covered == sorted(covered), tier


def test_scenario_errors_name_the_scenario_key(tmp_path: Path) -> None:
    from planner.errors import StudyFileError

    study = _tiny_study(tmp_path, extra="[scenarios.bad]\ntiers.station.threshold_min = -1\n")
    with pytest.raises(StudyFileError, match=r"key 'scenarios.bad.tiers.station.threshold_min'"):
        load_study(study)
    r = runner.invoke(app, ["run", str(_tiny_study(tmp_path)), "--scenarios", "--no-progress"])
    assert r.exit_code == 2 and "no [scenarios.NAME] section" in r.output

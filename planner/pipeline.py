"""Run a study end to end: networks → demand → coverage → three-tier plan.

Each stage is an ordinary function of :mod:`planner.network` and
:mod:`planner.analysis`; this module only wires them in order for the command line
and for notebooks that want the whole run in one call (then look at any stage's
result on the returned :class:`StudyRun`).
"""

from __future__ import annotations

import datetime as dt
import logging
from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner import settings
from planner.analysis.candidates import candidate_sites
from planner.analysis.coverage import TierRule, coverage, default_rules, open_markets
from planner.analysis.demand import sector_demand, worker_demand
from planner.analysis.plan import make_plan
from planner.errors import PlannerError
from planner.inputs import StudyInputs
from planner.io.transit import TransitFeed
from planner.network.graph import TravelGraph
from planner.network.streets import build_mode_graphs
from planner.network.transit import BusLayer, build_bus_graph
from planner.run import StudyRun

__all__ = ["StudyRun", "build_networks", "default_service_date", "publish_run", "run_study"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]


def default_service_date(feed: TransitFeed | None) -> dt.date:
    """A typical weekday to measure bus service on.

    GTFS: the first Tuesday on which the most services run within the feed's calendar.
    Route tables (which run daily) or no feed: the coming Tuesday.
    """
    today = dt.date.today()
    tuesday = today + dt.timedelta(days=(1 - today.weekday()) % 7)
    if feed is None or feed.source != "gtfs" or len(feed.calendar) == 0:
        return tuesday
    start = pd.Timestamp(feed.calendar["start_date"].min()).date()
    end = pd.Timestamp(feed.calendar["end_date"].max()).date()
    first = start + dt.timedelta(days=(1 - start.weekday()) % 7)
    best, best_n = first, -1
    d = first
    for _ in range(8):  # eight weeks of Tuesdays is enough to find a regular one
        if d > end:
            break
        n = len(feed.services_on(d))
        if n > best_n:
            best, best_n = d, n
        d += dt.timedelta(days=7)
    return best


def build_networks(
    inputs: StudyInputs,
    *,
    date: dt.date,
    window: tuple[str, str] = settings.TRANSIT_WINDOW,
    progress: bool = False,
) -> tuple[dict[str, TravelGraph | BusLayer], list[str]]:
    """Mode graphs of a study: walk, e-bike, drive from the roads, bus from the feed.

    Without roads, returns no graphs (coverage then uses the straight-line fallback) and
    says so in the notes.
    """
    graphs: dict[str, TravelGraph | BusLayer] = {}
    notes: list[str] = []
    if inputs.roads is not None:
        graphs.update(build_mode_graphs(inputs.roads.streets, inputs.roads.nodes))
    else:
        notes.append("no road network: travel times are straight-line estimates (fallback)")
    if inputs.transit is not None:
        walk = graphs.get("walk")
        if isinstance(walk, TravelGraph):
            graphs["bus"] = build_bus_graph(
                inputs.transit, walk, date=date, start=window[0], end=window[1]
            )
        else:
            notes.append("bus left out: it needs a walk network to reach the stops")
    return graphs, notes


def run_study(
    inputs: StudyInputs,
    *,
    date: dt.date | None = None,
    window: tuple[str, str] = settings.TRANSIT_WINDOW,
    priority_weights: dict[str, float] | None = None,
    progress: bool = False,
) -> StudyRun:
    """Networks, demand, coverage of the existing markets and the three-tier plan.

    Parameters
    ----------
    inputs
        From :func:`planner.inputs.load_inputs`.
    date
        Service day for bus times (default :func:`default_service_date`).
    window
        Time window of bus service (default the early morning).
    priority_weights
        Extra weight per priority group (see :func:`~planner.analysis.demand.worker_demand`).
    """
    if inputs.population is None or inputs.markets is None:
        raise PlannerError(
            "a run needs population and the market directory",
            fix="add [inputs.population] and [inputs.markets] to the study file",
        )
    date = date or default_service_date(inputs.transit)
    graphs, notes = build_networks(inputs, date=date, window=window, progress=progress)
    fallback = inputs.roads is None
    cells = worker_demand(inputs.population, priority_weights=priority_weights)
    groups = list(cells.attrs.get("groups", []))
    markets = open_markets(inputs.markets)
    rules = _rules_from_study(inputs)
    walk = graphs.get("walk")
    cands: dict[str, gpd.GeoDataFrame] = {}
    for tier in rules:
        try:
            cands[tier] = candidate_sites(
                tier,
                area=inputs.area,
                osm_places=inputs.roads.places if inputs.roads is not None else None,
                feed=inputs.transit,
                places=inputs.places,
                markets=inputs.markets,
                walk=walk if isinstance(walk, TravelGraph) else None,
                date=date,
                window=window,
            )
        except PlannerError as exc:
            notes.append(f"{tier}: no candidates ({exc.message})")
    places = sector_demand(inputs.places) if inputs.places is not None else None
    cov = coverage(cells, markets, graphs, rules=rules, fallback=fallback, progress=progress)
    plan = make_plan(
        cells,
        markets,
        graphs,
        cands,
        places=places,
        units=inputs.area.units,
        rules=rules,
        max_new={t: s.max_new for t, s in inputs.study.tiers.items() if s.max_new},
        groups=groups,
        fallback=fallback,
        progress=progress,
    )
    return StudyRun(
        inputs=inputs,
        graphs=graphs,
        date=date,
        cells=cells,
        markets=markets,
        candidates=cands,
        coverage=cov,
        plan=plan,
        notes=notes + cov.notes,
    )


def _rules_from_study(inputs: StudyInputs) -> dict[str, TierRule]:
    rules = default_rules()
    for tier, spec in inputs.study.tiers.items():
        r = rules[tier]
        rules[tier] = TierRule(
            tier=tier,
            threshold_min=spec.threshold_min or r.threshold_min,
            modes=spec.modes or r.modes,
            rural_radius_m=spec.rural_radius_m if spec.rural_radius_m else r.rural_radius_m,
        )
    return rules


def publish_run(
    run: StudyRun, out_dir: PathArg | None = None, *, progress: bool = False
) -> dict[str, Path]:
    """Write what a run publishes under ``out_dir`` (default: the study's output folder).

    The public map and directory (``public/``), the directory exports and job-to-applicant
    ratio tables (``data/``), and — where :mod:`planner.publish.maps` and
    :mod:`planner.publish.proposals` are available — the planner's map and the siting
    proposal. Returns what was written, by label.
    """
    from planner.publish.directory import export_directory
    from planner.publish.site import build_public_site

    out = (Path(out_dir) if out_dir is not None else run.inputs.study.output_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    inputs = [p for spec in run.inputs.study.inputs.values() for p in spec.paths.values()]
    markets = run.inputs.markets
    assert markets is not None  # run_study checked it
    written: dict[str, Path] = {}
    written["public map"] = build_public_site(
        markets,
        out / "public",
        boundaries=run.inputs.area.units,
        work_logs=run.inputs.work_logs,
        title=f"{run.inputs.study.name} 零工市场地图与名录",
        inputs=inputs,
    )
    files = export_directory(markets, out / "data", work_logs=run.inputs.work_logs, inputs=inputs)
    written["directory (CSV)"] = files["csv"]
    written["directory (GeoJSON)"] = files["geojson"]
    if "job_ratio_csv" in files:
        written["求人倍率 (CSV)"] = files["job_ratio_csv"]
    written.update(_planner_outputs(run, out))
    return written


def _planner_outputs(run: StudyRun, out: Path) -> dict[str, Path]:
    """The planner's map and the siting proposal, when those modules are installed."""
    written: dict[str, Path] = {}
    try:
        from planner.publish import maps, proposals
    except ImportError:  # pragma: no cover - both ship with planner once published
        return written
    m = maps.planner_map(run)
    written["planner map"] = maps.save_map(m, out / "planner_map.html")
    for p in proposals.write_proposal(run, out / "proposal"):
        written[f"proposal ({p.suffix[1:]})"] = p
    return written

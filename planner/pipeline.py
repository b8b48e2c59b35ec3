"""Run a study end to end: networks → demand → coverage → three-tier plan → publish.

Each stage is an ordinary function of :mod:`planner.network` and :mod:`planner.analysis`;
this module wires them in order for the command line and for notebooks that want the
whole run in one call (then look at any stage's result on the returned
:class:`~planner.run.StudyRun`).

- :func:`prepare_study` does everything up to the solve: networks, demand, the tier rules
  the data can support, coverage of the existing markets and the candidate sites.
  ``planner check`` runs it, so whatever ``planner run`` would refuse, ``check`` refuses
  first.
- :func:`run_study` prepares and then sites the three tiers.
- :func:`publish_run` writes the maps, the proposal, the public site and ``summary.json``.

Degrade, never crash: a layer the study lacks drops what needs it, with a note the user
sees (no roads: straight-line times, and bus rides reached by straight-line walks to the
stops; no bus data: the tiers lose the bus mode; a tier left with no mode is skipped).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import settings
from planner.analysis.candidates import candidate_sites
from planner.analysis.capacity import market_load, site_load
from planner.analysis.coverage import TierRule, coverage, default_rules, open_markets
from planner.analysis.curve import tier_curve
from planner.analysis.demand import sector_demand, worker_demand
from planner.analysis.equity import floors_met, group_shares
from planner.analysis.moments import (
    MomentCoverage,
    coverage_at,
    dawn_flags,
    moments_of,
    proposed_markets,
)
from planner.analysis.plan import Plan, make_plan
from planner.errors import OutputError, PlannerError
from planner.inputs import StudyInputs, collect_warnings, load_inputs
from planner.io.planned import PlannedSites
from planner.io.transit import TransitFeed
from planner.network.access import straight_line_graph
from planner.network.cache import SearchCache, use_cache
from planner.network.graph import TravelGraph
from planner.network.snapping import snap_points
from planner.network.streets import build_mode_graphs
from planner.network.transit import BusLayer, build_bus_graph
from planner.run import PreparedStudy, StudyRun
from planner.study import Study

__all__ = [
    "build_networks",
    "check_output_dir",
    "default_service_date",
    "network_reach",
    "prepare_study",
    "publish_run",
    "resolve_rules",
    "run_scenarios",
    "run_study",
]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]
Report = Callable[[str, str], None]  # (stage, line): stages networks, demand, coverage, plan


def default_service_date(feed: TransitFeed | None) -> dt.date:
    """A typical weekday to measure bus service on.

    GTFS: the first Tuesday on which the most services run within the feed's calendar.
    Route tables (which run daily) or no feed: :data:`planner.settings.DEFAULT_SERVICE_DATE`,
    a fixed Tuesday (not one counted from today: the tables' first and last buses change
    with the season, so the same study would give another answer in another month).
    """
    if feed is None or feed.source != "gtfs" or len(feed.calendar) == 0:
        return settings.DEFAULT_SERVICE_DATE
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

    Without roads there are no street graphs (coverage then uses straight-line estimates)
    and the bus layer is built on a straight-line walking graph between the stops
    (:func:`planner.network.access.straight_line_graph`). The notes say both.
    """
    graphs: dict[str, TravelGraph | BusLayer] = {}
    notes: list[str] = []
    if inputs.roads is not None:
        graphs.update(build_mode_graphs(inputs.roads.streets, inputs.roads.nodes))
    if inputs.transit is not None:
        walk = graphs.get("walk")
        if not isinstance(walk, TravelGraph):
            stops = inputs.transit.stops
            walk = straight_line_graph(
                stops["stop_id"].astype(str).to_numpy(),
                np.column_stack([stops.geometry.x, stops.geometry.y]),
                crs=inputs.area.crs,
                notes=(),
            )
            notes.append(
                "bus without roads: walks to, from and between stops are straight lines × "
                f"{settings.CIRCUITY_FACTOR:g}; in-vehicle times from the route tables"
            )
        graphs["bus"] = build_bus_graph(
            inputs.transit, walk, date=date, start=window[0], end=window[1]
        )
    return graphs, notes


def resolve_rules(
    inputs: StudyInputs, graphs: dict[str, TravelGraph | BusLayer]
) -> tuple[dict[str, TierRule], list[str]]:
    """Tier rules from the study file, keeping only modes the data can support.

    Walk, e-bike and drive can always be estimated (from straight lines without roads);
    bus needs bus data. A tier left with no mode, or switched off (``enabled = false``),
    is left out. Every change is a note.
    """
    rules = default_rules()
    notes: list[str] = []
    for tier, spec in inputs.study.tiers.items():
        r = rules[tier]
        rules[tier] = TierRule(
            tier=tier,
            threshold_min=spec.threshold_min or r.threshold_min,
            modes=spec.modes or r.modes,
            rural_radius_m=spec.rural_radius_m if spec.rural_radius_m else r.rural_radius_m,
        )
    out: dict[str, TierRule] = {}
    for tier, rule in rules.items():
        given = inputs.study.tiers.get(tier)
        if given is not None and not given.enabled:
            notes.append(f"{tier}: switched off in the study file (enabled = false)")
            continue
        if tier == "sector" and inputs.places is None:
            notes.append(
                "sector: no places (parks, building-material markets, malls): no sector demand,"
                " tier left out (add [inputs.places])"
            )
            continue
        modes = tuple(m for m in rule.modes if m != "bus" or "bus" in graphs)
        if len(modes) < len(rule.modes):
            notes.append(f"{tier}: bus left out of the modes (no bus data: add [inputs.transit])")
        if not modes:
            notes.append(f"{tier}: no mode left, tier left out")
            continue
        out[tier] = TierRule(tier, rule.threshold_min, modes, rule.rural_radius_m)
    return out, notes


def network_reach(
    cells: gpd.GeoDataFrame,
    graphs: dict[str, TravelGraph | BusLayer],
    *,
    weight: str = "demand",
) -> list[str]:
    """Warnings for a road network that covers only part of the demand.

    A demand cell more than :data:`~planner.settings.MAX_SNAP_DEMAND_M` from every node of
    the walk graph cannot be reached by walk, e-bike or drive; when that holds for more
    than :data:`~planner.settings.PARTIAL_NETWORK_SHARE` of the demand, the network is
    partial and every result by those modes is an undercount.
    """
    walk = graphs.get("walk")
    if not isinstance(walk, TravelGraph) or len(cells) == 0:
        return []
    snapped = snap_points(cells, walk, max_snap_m=settings.MAX_SNAP_DEMAND_M, quiet=True)
    w = cells[weight].to_numpy(dtype=float)
    total = float(w.sum())
    lost = float(w[~snapped.reachable].sum())
    if total <= 0 or lost / total <= settings.PARTIAL_NETWORK_SHARE:
        return []
    return [
        f"PARTIAL ROAD NETWORK: {lost / total:.0%} of the demand ({snapped.n_unreachable:,} of "
        f"{len(cells):,} cells, {lost:,.0f} workers) is more than "
        f"{settings.MAX_SNAP_DEMAND_M:,.0f} m from every road of the network, so walk, e-bike "
        "and drive cannot reach it and coverage there is undercounted. Use a road extract "
        "that covers the whole study area, or leave [inputs.roads] out to use straight-line "
        "estimates everywhere"
    ]


def _markets_or_empty(inputs: StudyInputs) -> gpd.GeoDataFrame:
    if inputs.markets is not None:
        return open_markets(inputs.markets)
    return gpd.GeoDataFrame(
        {"market_id": pd.Series([], dtype=object), "tier": pd.Series([], dtype=object)},
        geometry=gpd.GeoSeries([], crs=inputs.area.crs),
    )


def _with_planned(markets: gpd.GeoDataFrame, planned: PlannedSites) -> gpd.GeoDataFrame:
    """The existing markets and the planned sites (in the markets' CRS) in one frame."""
    extra = planned.markets.to_crs(markets.crs)
    if len(extra) == 0:
        return markets
    return gpd.GeoDataFrame(pd.concat([markets, extra], ignore_index=True), crs=markets.crs)


def _user_sites(inputs: StudyInputs) -> gpd.GeoDataFrame | None:
    spec = inputs.study.candidates
    if spec.add is None:
        return None
    from planner.io.sites import read_candidate_sites

    return read_candidate_sites(spec.add, coords=spec.add_coords, area=inputs.area)


def prepare_study(
    inputs: StudyInputs,
    *,
    date: dt.date | None = None,
    window: tuple[str, str] | None = None,
    planned: PlannedSites | None = None,
    progress: bool = False,
    report: Report | None = None,
    graphs: dict[str, TravelGraph | BusLayer] | None = None,
) -> PreparedStudy:
    """Everything up to the solve: networks, demand, tier rules, coverage, candidates.

    Parameters
    ----------
    inputs
        From :func:`planner.inputs.load_inputs`.
    date
        Service day for bus times (default the study's ``[network] date``, else
        :func:`default_service_date`).
    window
        Time window of bus service (default the study's, else the early morning).
    planned
        Sites kept from an earlier round (:func:`planner.io.planned.read_planned_sites`,
        ``planner run --sites edited.gpkg``): they join the existing markets (status
        ``planned``), so coverage counts them and the plan sites only what they leave.
    progress
        Show progress bars.
    report
        Called with a line per finished stage (the command line prints it).
    graphs
        Networks already built for the same inputs, date and window (scenarios share them).
    """
    study = inputs.study
    say = report or (lambda _stage, _line: None)
    if inputs.population is None:
        raise PlannerError(
            "a run needs the population",
            path=study.source,
            key="inputs.population",
            fix="add [inputs.population] (a census table with boundaries, or a grid)",
        )
    notes = list(inputs.notes)
    warnings: list[str] = []
    with collect_warnings(notes):
        date = date or study.network.date or default_service_date(inputs.transit)
        window = window or study.network.window
        t0 = time.perf_counter()
        if graphs is None:
            graphs, net_notes = build_networks(inputs, date=date, window=window, progress=progress)
            notes += net_notes
        say("networks", f"networks: {', '.join(graphs) or 'none (straight lines)'} ({_since(t0)})")

        t0 = time.perf_counter()
        d = study.demand
        cells = worker_demand(
            inputs.population,
            rate_urban=d.participation_rate_urban,
            rate_rural=d.participation_rate_rural,
            urban_density_per_km2=d.urban_density_per_km2,
            priority_weights=dict(d.priority_weights) or None,
        )
        markets = _markets_or_empty(inputs)
        if planned is not None:
            markets = _with_planned(markets, planned)
            notes += planned.notes
        rules, rule_notes = resolve_rules(inputs, graphs)
        notes += rule_notes
        warnings += network_reach(cells, graphs)
        fallback = inputs.roads is None
        places = None
        if inputs.places is not None:
            places = sector_demand(
                inputs.places,
                gig_share={**settings.SECTOR_GIG_SHARE, **d.sector_gig_share},
                default_workforce=d.default_workforce,
            )
        say(
            "demand",
            f"demand: {float(cells['demand'].sum()):,.0f} workers in {len(cells):,} cells; "
            f"{len(markets)} existing market(s) ({_since(t0)})",
        )

        t0 = time.perf_counter()
        cov = coverage(cells, markets, graphs, rules=rules, fallback=fallback, progress=progress)
        notes += [n for n in cov.notes if n not in notes]
        cands = _candidates(inputs, rules, graphs, cells, cov, date, window, notes)
        counts = ", ".join(f"{t} {len(c)}" for t, c in cands.items())
        say(
            "coverage",
            f"coverage of the existing markets; candidate sites: {counts} ({_since(t0)})",
        )
    return PreparedStudy(
        inputs=inputs,
        graphs=graphs,
        date=date,
        window=window,
        cells=cells,
        markets=markets,
        rules=rules,
        candidates=cands,
        places=places,
        coverage=cov,
        fallback=fallback,
        notes=notes,
        warnings=warnings,
    )


def _since(t0: float) -> str:
    return f"{time.perf_counter() - t0:.1f} s"


def _candidates(
    inputs: StudyInputs,
    rules: dict[str, TierRule],
    graphs: dict[str, TravelGraph | BusLayer],
    cells: gpd.GeoDataFrame,
    cov: Any,
    date: dt.date,
    window: tuple[str, str],
    notes: list[str],
) -> dict[str, gpd.GeoDataFrame]:
    spec = inputs.study.candidates
    walk = graphs.get("walk")
    add = _user_sites(inputs)
    units = inputs.area.units[["code", "name", "geometry"]]
    if inputs.census is not None:  # townships of a county study, or the same counties
        extra = inputs.census.units[~inputs.census.units["code"].isin(units["code"])]
        units = pd.concat([units, extra[["code", "name", "geometry"]]], ignore_index=True)
    out: dict[str, gpd.GeoDataFrame] = {}
    for tier, rule in rules.items():
        tier_add = None
        if add is not None:
            mine = add["tier"].isna() | (add["tier"] == tier) if "tier" in add else None
            tier_add = add[mine].drop(columns="tier") if mine is not None else add
        try:
            out[tier] = candidate_sites(
                tier,
                area=inputs.area,
                osm_places=inputs.roads.places if inputs.roads is not None else None,
                feed=inputs.transit,
                places=inputs.places,
                markets=inputs.markets,
                walk=walk if isinstance(walk, TravelGraph) else None,
                date=date,
                window=window,
                hub_min_routes=spec.hub_min_routes,
                street_spacing_m=spec.street_spacing_m,
                merge_m=spec.merge_m,
                add=tier_add if tier_add is not None and len(tier_add) else None,
                exclude=spec.exclude,
                units=units,
                demand=cov.cells,
                demand_covered=f"{tier}_covered",
                cluster_m=_reach_m(rule) / 2.0,
            )
        except PlannerError as exc:
            notes.append(f"{tier}: no candidates ({exc.message})")
    return out


#: Door-to-door straight-line speeds (km/h) by mode, to size demand-cluster candidates: the
#: mode speeds of settings, and for bus 12 km/h (a 25 km/h ride with the walk to and from
#: the stop and the wait: a typical urban door-to-door bus speed).
_REACH_SPEED_KMH = {
    "walk": settings.WALK_SPEED_KMH,
    "ebike": settings.EBIKE_SPEED_KMH,
    "drive": settings.DRIVE_SPEEDS_KMH["unclassified"],
    "bus": 12.0,
}


def _reach_m(rule: TierRule) -> float:
    """Straight-line radius a site of this tier reaches by its fastest mode (for clusters)."""
    speed = max(_REACH_SPEED_KMH.get(m, settings.WALK_SPEED_KMH) for m in rule.modes)
    return rule.threshold_s * speed / 3.6 / settings.CIRCUITY_FACTOR


def run_study(
    inputs: StudyInputs,
    *,
    date: dt.date | None = None,
    window: tuple[str, str] | None = None,
    priority_weights: dict[str, float] | None = None,
    planned: PlannedSites | None = None,
    progress: bool = False,
    report: Report | None = None,
) -> StudyRun:
    """Networks, demand, coverage of the existing markets and the three-tier plan.

    Parameters
    ----------
    inputs
        From :func:`planner.inputs.load_inputs`.
    date, window
        Service day and window for bus times (see :func:`prepare_study`).
    priority_weights
        Overrides the study's ``[demand] priority_weights``.
    planned
        Sites kept from an earlier round, counted as existing markets (see
        :func:`prepare_study`).
    progress, report
        Progress bars; a callback for a line per stage.
    """
    if priority_weights is not None:
        study = replace(
            inputs.study, demand=replace(inputs.study.demand, priority_weights=priority_weights)
        )
        inputs = replace(inputs, study=study)
    prep = prepare_study(
        inputs, date=date, window=window, planned=planned, progress=progress, report=report
    )
    return plan_study(prep, progress=progress, report=report)


def plan_study(
    prep: PreparedStudy,
    *,
    progress: bool = False,
    report: Report | None = None,
    curves: bool = True,
) -> StudyRun:
    """Site the three tiers on a prepared study (:func:`prepare_study`), then answer the
    bureau's questions (:func:`answer_questions`; ``curves=False`` skips the curves)."""
    study = prep.inputs.study
    tiers = study.tiers
    notes = list(prep.notes)
    t0 = time.perf_counter()
    with collect_warnings(notes):
        plan = make_plan(
            prep.cells,
            prep.markets,
            prep.graphs,
            prep.candidates,
            places=prep.places,
            units=prep.inputs.area.units if study.plan.county_rule else None,
            rules=prep.rules,
            max_new={t: s.max_new for t, s in tiers.items() if s.max_new},
            target_share={t: s.target_share for t, s in tiers.items() if s.target_share},
            min_new_demand={
                t: s.min_new_demand for t, s in tiers.items() if s.min_new_demand is not None
            },
            capacity={t: s.capacity for t, s in tiers.items() if s.capacity},
            floors={t: dict(s.floors) for t, s in tiers.items() if s.floors},
            groups=list(prep.cells.attrs.get("groups", [])),
            fallback=prep.fallback,
            time_limit_s=study.plan.time_limit_s,
            solver=study.plan.solver,
            before=prep.coverage,
            progress=progress,
        )
    notes += [n for n in plan.after.notes if n not in notes]  # e.g. new sites off the network
    if report is not None:
        report("plan", f"plan: {len(plan.sites)} new site(s) ({_since(t0)})")
    t0 = time.perf_counter()
    with collect_warnings(notes):
        answers = answer_questions(prep, plan, curves=curves)
    if report is not None:
        report("plan", f"coverage at {len(answers['moments'])} moment(s), curves ({_since(t0)})")
    return StudyRun(
        inputs=prep.inputs,
        graphs=prep.graphs,
        date=prep.date,
        cells=prep.cells,
        markets=prep.markets,
        candidates=prep.candidates,
        coverage=prep.coverage,
        plan=plan,
        notes=notes,
        warnings=list(prep.warnings),
        **answers,
    )


def answer_questions(prep: PreparedStudy, plan: Plan, *, curves: bool = True) -> dict[str, Any]:
    """The questions a bureau asks of a plan (issue: coverage at dawn, what each site buys,
    capacity, equity), as :class:`~planner.run.StudyRun` fields.

    - ``moments``: coverage at each of the study's moments, before and after the plan (new
      sites open at :data:`~planner.settings.PROPOSED_HOURS`);
    - ``dawn``: existing markets closed at dawn, and what opening two hours earlier buys;
    - ``curves``: per tier, covered demand by number of new sites (skipped with
      ``curves=False``);
    - ``capacity``/``site_capacity``: expected daily attendance against capacity;
    - ``equity``/``floors``: priority groups' coverage and the study's floors.
    """
    study = prep.inputs.study
    feed = prep.inputs.transit
    moments = moments_of(study.network.moments)
    after_markets = pd.concat([prep.markets, proposed_markets(plan.sites)], ignore_index=True)
    after_markets = gpd.GeoDataFrame(after_markets, geometry="geometry", crs=prep.markets.crs)
    at: list[MomentCoverage] = []
    for m in moments:
        when = m.on(prep.date)
        before, after = (
            coverage_at(
                prep.cells, mk, prep.graphs, when, feed=feed, rules=prep.rules,
                fallback=prep.fallback,
            )
            for mk in (prep.markets, after_markets)
        )  # fmt: skip
        at.append(MomentCoverage(m, when, before, after))
    dawn = dawn_flags(
        prep.cells,
        prep.markets,
        prep.graphs,
        {mc.moment: mc.before for mc in at},
        prep.date,
        feed=feed,
        rules=prep.rules,
        fallback=prep.fallback,
    )
    groups = list(prep.cells.attrs.get("groups", []))
    capacity = {t: s.capacity for t, s in study.tiers.items() if s.capacity}
    floors = {t: dict(s.floors) for t, s in study.tiers.items() if s.floors}
    return {
        "moments": at,
        "dawn": dawn,
        "curves": {t: c for t, tp in plan.tiers.items() if (c := tier_curve(tp))} if curves else {},
        "capacity": market_load(prep.coverage, prep.markets),
        "site_capacity": site_load(plan.sites, capacity),
        "equity": group_shares(plan, groups),
        "floors": floors_met(plan, floors, groups),
    }


def check_output_dir(path: PathArg, *, inputs: list[Path] | None = None) -> Path:
    """Create the output folder if needed and make sure it can be written.

    Raises
    ------
    OutputError
        The path is a file, cannot be created, is not writable, or is an input's folder
        named as output (``outputs.dir = "."`` next to the inputs is allowed: planner never
        overwrites a file it did not write).
    """
    out = Path(path).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise OutputError(
            "the output folder is a file",
            path=out,
            fix="set [outputs] dir (or --out) to a folder",
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the output folder ({exc.strerror or exc})",
            path=out,
            fix="choose a folder you can write to ([outputs] dir or --out)",
        ) from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(
            "the output folder is not writable",
            path=out,
            fix="choose a folder you can write to ([outputs] dir or --out)",
        )
    for p in inputs or []:
        if p.resolve() == out:
            raise OutputError(
                "the output folder is an input file", path=out, fix="choose another folder"
            )
    return out


def publish_run(
    run: StudyRun,
    out_dir: PathArg | None = None,
    *,
    progress: bool = False,
    scenarios: Mapping[str, StudyRun] | None = None,
    extra_inputs: Sequence[PathArg] = (),
) -> dict[str, Path]:
    """Write what a run publishes under ``out_dir`` (default: the study's output folder).

    ``summary.json`` (the run's figures, :mod:`planner.publish.summary`), the public map
    and directory (``public/``), the directory exports and job-to-applicant ratio tables
    (``data/``), the planner's map, the run's GeoPackage for QGIS (``<study>.gpkg``,
    label ``"GeoPackage (QGIS)"``, :mod:`planner.publish.gpkg`) and the siting proposal.
    ``extra_inputs`` are files the run read besides the study's (``--sites``), never
    written over. With ``scenarios`` (from :func:`run_scenarios`), also the comparison
    (:mod:`planner.publish.scenarios`), ``summary.json``'s ``scenarios`` and a section of
    the proposal. Returns what was written, by label.

    Everything is first written to a hidden folder inside the output folder, then moved
    into place only when every publisher has finished, after checking that no file in the
    way was written by someone else (:func:`planner.publish._output.move_tree`): a failure
    leaves the output folder as it was, never a new summary beside old maps.
    """
    import tempfile

    from planner.publish._output import move_tree

    study = run.inputs.study
    out = check_output_dir(out_dir if out_dir is not None else study.output_dir, inputs=study.files)
    inputs = [*study.files, *(Path(p) for p in extra_inputs)]
    with tempfile.TemporaryDirectory(prefix=".planner-publishing-", dir=out) as tmp:
        stage = Path(tmp)
        written = _publish_into(stage, run, inputs, scenarios)
        # the planner's map was written without a manifest before 2026-12
        move_tree(stage, out, inputs=inputs, adopt=["planner_map.html"])
    return {label: out / p.relative_to(stage) for label, p in written.items()}


def _publish_into(
    out: Path, run: StudyRun, inputs: list[Path], scenarios: Mapping[str, StudyRun] | None
) -> dict[str, Path]:
    """Every publisher of :func:`publish_run`, writing under ``out``."""
    from planner.io.runfile import gpkg_filename
    from planner.publish import maps, proposals
    from planner.publish._tiles import tile_source
    from planner.publish.directory import export_directory
    from planner.publish.gpkg import write_run_gpkg
    from planner.publish.site import build_public_site
    from planner.publish.summary import write_summary

    study = run.inputs.study
    extra = {}
    if scenarios:
        from planner.publish.scenarios import scenario_summary, write_scenarios

        extra["scenarios"] = scenario_summary(scenarios)
    # One basemap for both maps: the study file's [outputs] tiles and tianditu_key, checked
    # before anything is written (a missing key must not leave a new summary by old maps)
    tiles = study.outputs.tiles if study.outputs is not None else "none"
    tianditu_key = study.outputs.tianditu_key if study.outputs is not None else None
    tile_source(tiles, tianditu_key)
    written: dict[str, Path] = {
        "summary": write_summary(run, out / "summary.json", inputs=inputs, extra=extra)
    }
    if scenarios:
        written.update(write_scenarios(scenarios, out, inputs=inputs))
    markets = run.inputs.markets
    if markets is not None and len(markets):
        written["public map"] = build_public_site(
            markets,
            out / "public",
            boundaries=run.inputs.area.units,
            work_logs=run.inputs.work_logs,
            title=f"{study.name} 零工市场地图与名录",
            tiles=tiles,
            tianditu_key=tianditu_key,
            inputs=inputs,
        )
        files = export_directory(
            markets, out / "data", work_logs=run.inputs.work_logs, inputs=inputs
        )
        written["directory (CSV)"] = files["csv"]
        written["directory (GeoJSON)"] = files["geojson"]
        if "job_ratio_csv" in files:
            written["求人倍率 (CSV)"] = files["job_ratio_csv"]
    m = maps.planner_map(run, tiles=tiles, tianditu_key=tianditu_key)
    written["planner map"] = maps.save_map(m, out / "planner_map.html")
    gpkg_crs = study.outputs.gpkg_crs if study.outputs is not None else "wgs84"
    written["GeoPackage (QGIS)"] = write_run_gpkg(
        run, out / gpkg_filename(study.name), crs=gpkg_crs, inputs=inputs
    )
    for p in proposals.write_proposal(run, out / "proposal", scenarios=scenarios):
        written[f"proposal ({p.suffix[1:]})"] = p
    return written


def _same_network(a: Study, b: Study) -> bool:
    """Whether two studies build the same networks (same area, inputs, day and window)."""
    return (
        a.area == b.area
        and dict(a.inputs) == dict(b.inputs)
        and a.network.date == b.network.date
        and a.network.window == b.network.window
        and a.projection == b.projection
    )


def _longest_cutoffs(studies: list[Study]) -> dict[str, float]:
    """Per mode, the longest threshold (seconds) any of the studies' tiers asks for."""
    out: dict[str, float] = {}
    for st in studies:
        rules = default_rules()
        for tier, spec in st.tiers.items():
            r = rules[tier]
            rules[tier] = TierRule(
                tier, spec.threshold_min or r.threshold_min, spec.modes or r.modes
            )
        for r in rules.values():
            for m in r.modes:
                out[m] = max(out.get(m, 0.0), r.threshold_s)
    return out


def run_scenarios(
    inputs: StudyInputs,
    *,
    planned: PlannedSites | None = None,
    progress: bool = False,
    report: Report | None = None,
) -> tuple[dict[str, StudyRun], SearchCache]:
    """The study and each of its ``[scenarios.NAME]``, sharing networks and searches.

    A scenario with the same inputs, day and window as the study reuses its networks; every
    run answers its travel-time searches from one :class:`~planner.network.cache.SearchCache`
    whose cutoffs are the longest any scenario asks for, so a scenario that changes only a
    threshold or a target runs no new search. Returns the runs by name (the study's as
    ``"base"``) and the cache (its ``searches`` counts the searches run).
    """
    study = inputs.study
    runs: dict[str, StudyRun] = {}
    cache = SearchCache(cutoff_floor_s=_longest_cutoffs([study, *study.scenarios.values()]))
    with use_cache(cache):
        base = prepare_study(inputs, planned=planned, progress=progress, report=report)
        runs["base"] = plan_study(base, progress=progress, report=report)
        for name, st in study.scenarios.items():
            t0 = time.perf_counter()
            if _same_network(st, study):
                sub = replace(inputs, study=st)
                prep = prepare_study(sub, planned=planned, progress=progress, graphs=base.graphs)
            else:
                prep = prepare_study(
                    load_inputs(st, progress=progress), planned=planned, progress=progress
                )
            runs[name] = plan_study(prep, progress=progress, curves=False)
            if report is not None:
                report(
                    "plan",
                    f"scenario {name}: {len(runs[name].plan.sites)} new site(s) ({_since(t0)})",
                )
    return runs, cache

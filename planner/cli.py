"""The ``planner`` command line.

Commands
--------
planner template study STUDY.toml | markets OUT.csv|OUT.xlsx
    Write a documented study file, or the market directory template (Chinese headers).
planner check STUDY.toml [--sites EDITED.gpkg]
    Read every input, build the networks, demand, coverage and candidates: everything a
    run does before siting, so that whatever ``run`` would refuse, ``check`` refuses first.
planner run STUDY.toml [--out DIR] [--sites EDITED.gpkg] [--scenarios]
            [--workers N] [--scheduler tcp://host:8786]
    The whole study: inputs → networks → demand → coverage → plan → publish, with a line
    per stage; writes ``summary.json``, the maps, the run's GeoPackage for QGIS
    (``<study>.gpkg``), the proposal and the public site. ``--sites`` reads proposed sites
    edited in QGIS (the ``sites`` layer of a run's GeoPackage) as planned markets: coverage
    counts them and only what they leave uncovered is sited. ``--scenarios`` also runs every
    ``[scenarios.NAME]`` on the same networks and compares them. A study over many counties
    runs one Dask task per county (:mod:`planner.province`).
planner demo [--out DIR] [--seed N] [--counties N [--scale S] [--workers N]]
    Write the synthetic demo county's inputs (real formats) and run it end to end; with
    ``--counties N`` a synthetic province of N counties side by side, run by county.

Exit codes: 0 done; 2 a problem with the inputs or the study file, printed as one line
naming the file, row, column or key and the fix (``--debug`` shows the traceback); 1 a
bug in planner (the traceback is printed; please report it); 3 a run by county in which
some counties failed (each named with its error; the others are published).
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from planner import __version__
from planner.errors import PlannerError

if TYPE_CHECKING:
    from planner.inputs import StudyInputs
    from planner.io.planned import PlannedSites
    from planner.province import CountyOutcome
    from planner.run import PreparedStudy, StudyRun

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Plan public gig-labour markets (零工市场): coverage, gaps, siting, public directory.",
)

_state = {"debug": False}

_CONSOLE = logging.StreamHandler()
_CONSOLE.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

T = TypeVar("T")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"planner {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks for input errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """planner command line."""
    # Warnings reach the user as notes after each stage (the library collects them); the
    # console log shows them live only with --verbose. Handlers others installed (a test
    # runner, an application embedding planner) are left as they are.
    root = logging.getLogger()
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    _CONSOLE.setLevel(logging.INFO if verbose else logging.ERROR)
    if _CONSOLE not in root.handlers:
        root.addHandler(_CONSOLE)
    _state["debug"] = debug


def _guard(step: Callable[[], T]) -> T:
    """Run a step: an input problem is one line and exit 2; a bug a traceback and exit 1."""
    try:
        return step()
    except PlannerError as exc:
        if _state["debug"]:
            raise
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from None
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception:  # a bug: say so plainly, with what a report needs
        traceback.print_exc(file=sys.stderr)
        typer.secho(
            "internal error: this is a bug in planner, not in your data. Please report it "
            "with the traceback above and your study file.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(code=1) from None


def _print_summary(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        typer.echo(f"  {k:<{width}}  {v}")


_STAGES = {"inputs": 1, "networks": 2, "demand": 3, "coverage": 3, "plan": 4, "publish": 5}


def _report(stage: str, line: str) -> None:
    """A progress line per stage: ``[2/5] networks: walk, ebike, drive, bus (3.1 s)``."""
    typer.echo(f"[{_STAGES[stage]}/5] {line}")


def _print_notes(notes: list[str], warnings: list[str]) -> None:
    for w in warnings:
        typer.secho(f"  WARNING: {w}", fg=typer.colors.YELLOW, bold=True)
    for note in notes:
        typer.echo(f"  note: {note}")


def _load(study_file: Path, progress: bool) -> StudyInputs:
    from planner.inputs import load_inputs
    from planner.study import load_study

    t0 = time.perf_counter()
    study = _guard(lambda: load_study(study_file))
    inputs = _guard(lambda: load_inputs(study, progress=progress))
    typer.echo(f"[1/5] inputs of '{study.name}' read ({time.perf_counter() - t0:.1f} s)")
    _print_summary(inputs.summary())
    return inputs


def _prepare(
    inputs: StudyInputs, progress: bool, planned: PlannedSites | None = None
) -> PreparedStudy:
    from planner.pipeline import prepare_study

    return _guard(lambda: prepare_study(inputs, planned=planned, progress=progress, report=_report))


_SITES_HELP = (
    "Proposed sites edited in QGIS: a run's GeoPackage (layer 'sites'). They count as "
    "existing markets (status planned); only what they leave uncovered is sited."
)


def _planned(sites: Path | None, inputs: StudyInputs, out_dir: Path) -> PlannedSites | None:
    """Read ``--sites``, refusing the file this run is about to write its GeoPackage to."""
    if sites is None:
        return None
    from planner.errors import OutputError
    from planner.io.planned import read_planned_sites
    from planner.io.runfile import gpkg_filename

    target = out_dir / gpkg_filename(inputs.study.name)
    if sites.exists() and target.exists() and sites.resolve() == target.resolve():
        raise OutputError(
            "the edited sites file is the GeoPackage this run writes",
            path=sites,
            fix="save the edited file under another name (e.g. edited.gpkg) or give --out "
            "another folder",
        )
    planned = read_planned_sites(sites, area=inputs.area)
    typer.echo(f"  planned sites: {len(planned.markets)} from {sites}")
    return planned


@app.command()
def check(
    study_file: Annotated[Path, typer.Argument(help="The study file (study.toml).")],
    sites: Annotated[Path | None, typer.Option(help=_SITES_HELP)] = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Read every input and prepare the run (networks, demand, coverage, candidates)."""
    from planner.pipeline import check_output_dir

    inputs = _load(study_file, progress)
    study = inputs.study
    if _splits(inputs):  # a run by county: check the split and prepare the first county
        from planner.province import county_buffer_m, list_counties
        from planner.province.split import split_inputs

        _by_county_refuses(sites=sites)
        n = len(list_counties(inputs.area))
        buffer = _guard(lambda: county_buffer_m(study))
        piece = _guard(lambda: next(split_inputs(inputs, buffer_m=buffer)))
        typer.echo(
            f"[2/5] {n} counties, one task each in `planner run` (buffer {buffer / 1000:.1f} km);"
            f" preparing the first, {piece.county.name} ({piece.county.code})"
        )
        inputs = piece.inputs
    planned = _guard(lambda: _planned(sites, inputs, study.output_dir))
    prep = _prepare(inputs, progress, planned)
    _guard(lambda: check_output_dir(study.output_dir, inputs=study.files))
    _print_notes(prep.notes, prep.warnings)
    typer.echo(
        f"Study '{study.name}' is ready to run: tiers {', '.join(prep.rules) or 'none'}; "
        f"outputs go to {study.output_dir}"
    )


@app.command()
def run(
    study_file: Annotated[Path, typer.Argument(help="The study file (study.toml).")],
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: [outputs] dir of the study).")
    ] = None,
    sites: Annotated[Path | None, typer.Option(help=_SITES_HELP)] = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
    scenarios: Annotated[
        bool, typer.Option("--scenarios", help="Also run every [scenarios.NAME] and compare.")
    ] = False,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes of a run by county ([run] workers).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler of a run by county, e.g. tcp://host:8786."),
    ] = None,
) -> None:
    """Run a study end to end and publish it: summary.json, maps, GeoPackage, proposal, site.

    A study across cities (or with [run] split = "county") runs one task per county on Dask.
    """
    from planner.pipeline import check_output_dir, plan_study, publish_run, run_scenarios

    t_all = time.perf_counter()
    inputs = _load(study_file, progress)
    study = inputs.study
    out_dir = _guard(lambda: check_output_dir(out or study.output_dir, inputs=study.files))
    if _splits(inputs):
        _by_county_refuses(sites=sites, scenarios=scenarios)
        _run_by_county(inputs, out_dir, workers, scheduler, progress, t_all)
        return
    planned = _guard(lambda: _planned(sites, inputs, out_dir))
    runs = None
    if scenarios:
        if not study.scenarios:
            typer.secho(
                "error: --scenarios but the study file has no [scenarios.NAME] section. Fix: add"
                " one, e.g. [scenarios.longer_walks] with [scenarios.longer_walks.tiers.station]"
                " threshold_min = 20",
                fg="red",
                err=True,
            )
            raise typer.Exit(code=2)
        runs, cache = _guard(
            lambda: run_scenarios(inputs, planned=planned, progress=progress, report=_report)
        )
        result = runs["base"]
        typer.echo(f"  {len(runs)} runs shared the networks; {cache.searches} searches in all")
    else:
        prep = _prepare(inputs, progress, planned)
        result = _guard(lambda: plan_study(prep, progress=progress, report=_report))
    _print_run(result)
    if runs is not None:
        _print_scenarios(runs)
    t0 = time.perf_counter()
    extra = [sites] if sites is not None else []
    written = _guard(
        lambda: publish_run(result, out_dir, progress=progress, extra_inputs=extra, scenarios=runs)
    )
    typer.echo(f"[5/5] published ({time.perf_counter() - t0:.1f} s):")
    for label, path in written.items():
        typer.echo(f"  {label:<22}{path}")
    typer.echo(f"Done in {time.perf_counter() - t_all:.1f} s.")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo inputs.")] = Path("demo-output"),
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic region.")] = 20240601,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
    counties: Annotated[
        int | None,
        typer.Option(help="Write a synthetic province of this many counties side by side."),
    ] = None,
    scale: Annotated[
        float, typer.Option(help="Area of each county of a province (1 = 1,200 km²).")
    ] = 0.25,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes of the province run.")
    ] = None,
) -> None:
    """Write the synthetic demo county (real file formats) and run it end to end.

    With --counties N: a synthetic province of N counties, run one task per county.
    """
    from planner.demo import write_demo_inputs
    from planner.pipeline import check_output_dir, plan_study, publish_run

    t0 = time.perf_counter()
    if counties is not None:
        from planner.demo import write_province_demo

        prov = _guard(
            lambda: write_province_demo(
                out, counties=counties, seed=seed, scale=scale, progress=progress
            )
        )
        typer.echo(
            f"Wrote a SYNTHETIC province of {counties} counties to {out}/: "
            f"{prov.population_total:,.0f} people, {prov.street_nodes:,} OSM nodes, "
            f"{prov.links} roads between neighbouring counties ({time.perf_counter() - t0:.1f} s)"
        )
        inputs = _load(prov.study, progress)
        study = inputs.study
        out_dir = _guard(lambda: check_output_dir(study.output_dir, inputs=study.files))
        _run_by_county(inputs, out_dir, workers, None, progress, t0)
        return
    files = _guard(lambda: write_demo_inputs(out, seed=seed, progress=progress))
    typer.echo(
        f"Wrote the SYNTHETIC demo county's inputs to {out}/ ({time.perf_counter() - t0:.1f} s)"
    )
    d = files.summary
    typer.echo(
        f"  {d.area_km2:,.0f} km², {d.townships} townships, {d.towns} towns, {d.villages} villages;"
        f" OSM: {d.street_nodes:,} street nodes in {d.street_ways:,} ways, {d.bus_routes} bus"
        f" routes; {d.population_total:,.0f} people in {d.population_cells:,} grid cells"
    )
    inputs = _load(files.study, progress)
    prep = _prepare(inputs, progress)
    result = _guard(lambda: plan_study(prep, progress=progress, report=_report))
    _print_run(result)
    written = _guard(lambda: publish_run(result, progress=progress))
    typer.echo("[5/5] published:")
    for label, path in written.items():
        typer.echo(f"  {label:<22}{path}")
    typer.echo(f"Done in {time.perf_counter() - t0:.1f} s. All of this is synthetic demo data.")


def _by_county_refuses(*, sites: Path | None = None, scenarios: bool = False) -> None:
    """Options a run by county does not take: one error line with the fix (exit 2)."""
    used = [o for o, on in (("--sites", sites is not None), ("--scenarios", scenarios)) if on]
    if used:
        typer.secho(
            f"error: {' and '.join(used)} work on one county's run, but this study runs by"
            " county. Fix: run the county on its own ([area] codes = [its code]), or set"
            ' [run] split = "none" to run the whole area as one study',
            fg="red",
            err=True,
        )
        raise typer.Exit(code=2)


def _splits(inputs: StudyInputs) -> bool:
    from planner.province import list_counties
    from planner.province.split import should_split

    return should_split(inputs.study, list_counties(inputs.area))


def _run_by_county(
    inputs: StudyInputs,
    out_dir: Path,
    workers: int | None,
    scheduler: str | None,
    progress: bool,
    t_all: float,
) -> None:
    """``planner run`` of a study over many counties: a task per county, then the province.

    Exit code 3 when some counties failed (each is named with its error); the others and
    the province outputs are written all the same.
    """
    from tqdm import tqdm

    from planner.province import list_counties, run_province
    from planner.province.outputs import publish_province

    n = len(list_counties(inputs.area))
    where = scheduler or inputs.study.run.scheduler or "a local cluster"
    typer.echo(f"[2/5] {n} counties, one task each, on {where}")
    bar = tqdm(total=n, desc="counties", unit="county", disable=not progress)

    def done(o: CountyOutcome) -> None:
        bar.update()
        if o.status != "done":
            bar.write(f"  FAILED {o.county.name} ({o.county.code}): {o.error}")

    result = _guard(
        lambda: run_province(inputs, out_dir, workers=workers, scheduler=scheduler, on_county=done)
    )
    bar.close()
    cached = len(result.counties) - len(result.recomputed)
    typer.echo(
        f"[4/5] {len(result.counties) - len(result.failed)} of {n} counties done "
        f"({len(result.recomputed)} computed, {cached} from the cache) "
        f"in {result.seconds:.1f} s on {result.workers or 0} worker(s)"
    )
    t0 = time.perf_counter()
    written = _guard(lambda: publish_province(result))
    typer.echo(f"[5/5] published the province ({time.perf_counter() - t0:.1f} s):")
    for label, path in written.items():
        typer.echo(f"  {label:<22}{path}")
    typer.echo(f"  {'counties':<22}{out_dir / 'counties'}/<code>/")
    if result.failed:
        for o in result.failed:
            typer.secho(
                f"error: county {o.county.name} ({o.county.code}) failed: {o.error}",
                fg=typer.colors.RED,
                err=True,
            )
        typer.secho(
            f"{len(result.failed)} of {n} counties failed; the others are published. "
            "Fix them and run again: finished counties are not recomputed.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(code=3)
    typer.echo(f"Done in {time.perf_counter() - t_all:.1f} s.")


def _print_run(run: StudyRun) -> None:
    """Before/after coverage per tier and the proposed sites."""
    typer.echo(f"Coverage and plan (bus service measured on {run.date.isoformat()}):")
    _print_notes(run.notes, run.warnings)
    summary = run.plan.summary()
    typer.echo(f"  {'tier':<14}{'threshold':>10}{'demand':>10}{'before':>9}{'after':>9}{'new':>6}")
    for r in summary.itertuples():
        typer.echo(
            f"  {r.tier:<14}{r.threshold_min:>8.0f} m{r.demand:>10,.0f}"
            f"{r.share_before:>9.1%}{r.share_after:>9.1%}{r.new_sites:>6d}"
        )
    for tier, tp in run.plan.tiers.items():
        res = tp.result
        gap = "" if res.gap != res.gap else f", gap {res.gap:.1%}"
        typer.echo(
            f"  {tier}: {tp.model}; {res.status} ({res.solver}{gap}); "
            f"{len(res.selected)} chosen, {tp.pruned} dropped as too small"
        )
    if run.moments:
        typer.echo("  coverage at the hour (after the plan; markets only while open):")
        for mc in run.moments:
            shares = ", ".join(f"{t} {a:.0%}" for t, (_, a) in mc.shares().items())
            typer.echo(f"    {mc.moment.label}: {shares}")
    for tier, c in run.curves.items():
        if c.knee is not None:
            typer.echo(f"  {tier}: {c.chosen} new site(s) chosen; past {c.knee}, each buys less")
    if run.dawn is not None and len(run.dawn):
        typer.echo(f"  {len(run.dawn)} existing market(s) closed at dawn (see summary.json)")
    if len(run.plan.sites):
        from planner.analysis.reasons import site_reason

        mk = run.markets
        names = (
            dict(zip(mk["market_id"].astype(str), mk["name"].astype(str), strict=True))
            if len(mk) and "name" in mk
            else {}
        )
        for site in run.plan.sites.head(12).to_dict("records"):
            line = site_reason(
                site,
                rule=run.plan.before.rules.get(str(site["tier"])),
                market_names=names,
                brief=True,
            )
            typer.echo(f"  - {site['site_id']} {line}")
        if len(run.plan.sites) > 12:
            typer.echo(f"  … and {len(run.plan.sites) - 12} more sites")


def _print_scenarios(runs: dict[str, StudyRun]) -> None:
    from planner.publish.scenarios import scenario_table

    t = scenario_table(runs)
    typer.echo(f"  {'scenario':<16}{'tier':<14}{'after':>8}{'new':>5}{'workers/site':>14}")
    for r in t.to_dict("records"):
        wps = float(r["workers_per_site"])
        per = f"{wps:,.0f}" if wps == wps else ""
        typer.echo(
            f"  {r['scenario']!s:<16}{r['tier']!s:<14}{float(r['share_after']):>8.1%}"
            f"{int(r['new_sites']):>5d}{per:>14}"
        )


@app.command()
def template(
    what: Annotated[str, typer.Argument(help="Which template: 'study' or 'markets'.")],
    out: Annotated[Path, typer.Argument(help="Where to write it (.csv or .xlsx for markets).")],
) -> None:
    """Write an input template: a documented study file, or the market directory."""
    from planner.io.markets import write_markets_template
    from planner.study import study_template

    if what not in ("study", "markets"):
        typer.secho(f"error: unknown template {what!r}; use study or markets", fg="red", err=True)
        raise typer.Exit(code=2)
    if out.exists():
        typer.secho(f"error: {out} exists; not overwriting it", fg="red", err=True)
        raise typer.Exit(code=2)
    if what == "markets":
        _guard(lambda: write_markets_template(out))
    else:
        out.write_text(study_template(), encoding="utf-8")
    typer.echo(f"Wrote {out}")


def main_entry() -> None:  # pragma: no cover - console entry for `python -m planner`
    app(prog_name="planner")


if __name__ == "__main__":  # pragma: no cover
    main_entry()

"""The ``planner`` command line.

Commands
--------
planner demo [--out DIR] [--seed N]
    Write the synthetic demo county's inputs (real formats) and read them back.
planner check STUDY.toml
    Validate a study file and every input it names; print what was loaded.
planner template markets OUT.csv|OUT.xlsx
    Write the market directory template (Chinese headers, two example rows).

Input errors are printed as one clear line (exit code 2), never as a traceback;
``--debug`` shows the traceback.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from planner import __version__
from planner.errors import PlannerError

if TYPE_CHECKING:
    from planner.run import StudyRun

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Plan public gig-labour markets (零工市场): coverage, gaps, siting, public directory.",
)

_state = {"debug": False}


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
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _state["debug"] = debug


def _fail(exc: PlannerError) -> None:
    if _state["debug"]:
        raise exc
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _print_summary(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        typer.echo(f"  {k:<{width}}  {v}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo inputs.")] = Path("demo-output"),
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic region.")] = 20240601,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Write the synthetic demo county (real file formats) and read it back through the readers."""
    from planner.demo import write_demo_inputs
    from planner.inputs import load_inputs
    from planner.pipeline import publish_run, run_study
    from planner.study import load_study

    t0 = time.perf_counter()
    try:
        files = write_demo_inputs(out, seed=seed, progress=progress)
        typer.echo(
            f"Wrote the SYNTHETIC demo county's inputs to {out}/ ({time.perf_counter() - t0:.1f} s)"
        )
        d = files.summary
        typer.echo(
            f"  {d.area_km2:,.0f} km², {d.townships} townships, {d.towns} towns, {d.villages} villages;"
            f" OSM: {d.street_nodes:,} street nodes in {d.street_ways:,} ways, {d.bus_routes} bus"
            f" routes; {d.population_total:,.0f} people in {d.population_cells:,} grid cells"
        )
        study = load_study(files.study)
        inputs = load_inputs(study, progress=progress)
    except PlannerError as exc:
        _fail(exc)
        return
    typer.echo(f"Read them back through planner's readers: study '{study.name}'")
    _print_summary(inputs.summary())
    try:
        run = run_study(inputs, progress=progress)
    except PlannerError as exc:
        _fail(exc)
        return
    _print_run(run)
    try:
        written = publish_run(run, progress=progress)
    except PlannerError as exc:
        _fail(exc)
        return
    typer.echo("Published:")
    for label, path in written.items():
        typer.echo(f"  {label:<22}{path}")
    typer.echo(f"Done in {time.perf_counter() - t0:.1f} s. All of this is synthetic demo data.")


def _print_run(run: StudyRun) -> None:
    """Before/after coverage per tier and the proposed sites."""
    typer.echo(f"Coverage and plan (bus service measured on {run.date.isoformat()}):")
    for note in run.notes:
        typer.echo(f"  note: {note}")
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
    for reason in run.plan.sites["reason"].head(12):
        typer.echo(f"  - {reason}")
    if len(run.plan.sites) > 12:
        typer.echo(f"  … and {len(run.plan.sites) - 12} more sites")


@app.command()
def check(
    study_file: Annotated[Path, typer.Argument(help="The study file (study.toml).")],
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Validate a study file and every input it names; print a summary of what was loaded."""
    from planner.inputs import load_inputs
    from planner.study import load_study

    try:
        study = load_study(study_file)
        inputs = load_inputs(study, progress=progress)
    except PlannerError as exc:
        _fail(exc)
        return
    typer.echo(f"Study '{study.name}': all inputs are valid")
    _print_summary(inputs.summary())


@app.command()
def template(
    what: Annotated[str, typer.Argument(help="Which template: 'markets' or 'study'.")],
    out: Annotated[Path, typer.Argument(help="Where to write it (.csv or .xlsx for markets).")],
) -> None:
    """Write an input template: the market directory (Chinese headers) or a study file."""
    import shutil

    data = Path(__file__).resolve().parents[1] / "data"  # the repository's data/ folder
    sources = {"markets": "markets_template.csv", "study": "study_template.toml"}
    if what not in sources:
        typer.secho(f"error: unknown template {what!r}; use markets or study", fg="red", err=True)
        raise typer.Exit(code=2)
    if out.exists():
        typer.secho(f"error: {out} exists; not overwriting it", fg="red", err=True)
        raise typer.Exit(code=2)
    if what == "markets" and out.suffix.lower() == ".xlsx":
        from planner.io.markets import write_markets_template

        write_markets_template(out)
    else:
        shutil.copyfile(data / sources[what], out)
    typer.echo(f"Wrote {out}")


def run() -> None:  # pragma: no cover - console entry for `python -m planner`
    app(prog_name="planner")


if __name__ == "__main__":  # pragma: no cover
    run()

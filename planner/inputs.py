"""Load every input a study names through its reader: the one call a run starts with.

Warnings the readers log while loading (rows dropped, units without a polygon, hours that
could not be read …) are collected into :attr:`StudyInputs.notes`, so the command line,
``summary.json`` and the proposal show the user every one of them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from planner import settings
from planner.io.crs import StudyArea
from planner.io.vector import read_study_area
from planner.study import InputSpec, Study

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from planner.io.census import CensusResult
    from planner.io.osm import OsmData
    from planner.io.transit import TransitFeed

__all__ = ["StudyInputs", "collect_warnings", "load_inputs"]

log = logging.getLogger(__name__)


@dataclass
class StudyInputs:
    """Everything a study loaded, each layer validated and in ``area.crs``.

    Layers the study file does not name are ``None``.

    Attributes
    ----------
    demand_spread
        How the population was placed (a grid as read, or census counts spread by a grid,
        road density, bus-stop density or evenly), one sentence for reports.
    notes
        Warnings from the readers and what loading left out, for the user to read.
    """

    study: Study
    area: StudyArea
    roads: OsmData | None = None
    population: gpd.GeoDataFrame | None = None
    census: CensusResult | None = None
    markets: gpd.GeoDataFrame | None = None
    places: gpd.GeoDataFrame | None = None
    transit: TransitFeed | None = None
    work_logs: pd.DataFrame | None = None
    demand_spread: str = ""
    notes: list[str] = field(default_factory=list)

    def summary(self) -> list[tuple[str, str]]:
        """(layer, one-line description) pairs for printing."""
        rows: list[tuple[str, str]] = [
            (
                "area",
                f"{self.area.name}: {len(self.area.units)} unit(s), "
                f"{self.area.area_km2:,.0f} km², CRS {self.area.crs.to_string()}",
            ),
        ]
        if self.roads is not None:
            s = self.roads.streets
            rows.append(
                (
                    "roads",
                    f"{len(s):,} street edges between {len(self.roads.nodes):,} junctions/ends, "
                    f"{s['length_m'].sum() / 1000:,.0f} km; {len(self.roads.places):,} places, "
                    f"{len(self.roads.bus_routes):,} bus route relations",
                )
            )
        if self.population is not None:
            p = self.population
            rows.append(("population", f"{len(p):,} cells, {p['population'].sum():,.0f} people"))
            if self.demand_spread:
                rows.append(("  placed", self.demand_spread))
        if self.markets is not None:
            m = self.markets
            tiers = m["tier"].value_counts().to_dict() if "tier" in m else {}
            rows.append(("markets", f"{len(m):,} markets ({_counts(tiers) or 'no tier given'})"))
        if self.places is not None:
            pl = self.places
            kinds = pl["kind"].value_counts().to_dict() if "kind" in pl else {}
            rows.append(("places", f"{len(pl):,} places ({_counts(kinds)})"))
        if self.transit is not None:
            t = self.transit
            rows.append(
                (
                    "transit",
                    f"{t.source}: {len(t.routes):,} routes, {len(t.patterns):,} patterns, "
                    f"{len(t.stops):,} stops",
                )
            )
        if self.work_logs is not None:
            w = self.work_logs
            months = w["month"].nunique() if "month" in w else 0
            rows.append(("work logs", f"{len(w):,} rows over {months} month(s)"))
        return rows


def _counts(d: dict[Any, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items())


class _NoteHandler(logging.Handler):
    def __init__(self, notes: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg not in self.notes:
            self.notes.append(msg)
        # With no handler configured anywhere (a plain notebook), Python would have printed
        # the warning through its last-resort handler: keep doing so.
        if not logging.getLogger().handlers and logging.lastResort is not None:
            logging.lastResort.handle(record)


@contextmanager
def collect_warnings(notes: list[str]) -> Iterator[None]:
    """Append every WARNING planner logs inside the block to ``notes`` (once each).

    Examples
    --------
    >>> notes: list[str] = []
    >>> with collect_warnings(notes):
    ...     logging.getLogger("planner.io.markets").warning("row %d dropped", 7)
    >>> notes
    ['row 7 dropped']
    """
    handler = _NoteHandler(notes)
    logger = logging.getLogger("planner")
    level = logger.level
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def load_inputs(study: Study, *, progress: bool = False) -> StudyInputs:
    """Read the study area and every input the study names, through the validating readers.

    Parameters
    ----------
    study
        A parsed :class:`~planner.study.Study`.
    progress
        Show progress bars for long reads.
    """
    notes: list[str] = []
    with collect_warnings(notes):
        area = read_study_area(
            study.area.path,
            coords=study.area.coords,
            codes=list(study.area.codes) or None,
            names=list(study.area.names) or None,
            code_column=study.area.code_column,
            name_column=study.area.name_column,
            name=study.name,
            projection=study.projection,
        )
        out = StudyInputs(study=study, area=area, notes=notes)
        # Fixed order: population is spread by the roads or stops read before it; work logs
        # are checked against the markets.
        for name, loader in _LOADERS.items():
            spec = study.inputs.get(name)
            if spec is not None:
                log.info("reading %s (%s)", name, spec.kind)
                loader(out, spec, progress)
    return out


def _roads(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io import osm

    if spec.kind == "edges":
        out.roads = osm.read_edge_list(spec.paths["nodes"], spec.paths["edges"], area=out.area)
    else:
        out.roads = osm.read_osm(spec.path, area=out.area, progress=progress, **spec.options)


def _population(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io import population

    if spec.kind == "census":
        _census(out, spec, progress)
        return
    out.population = population.read_population_grid(
        spec.path, area=out.area, progress=progress, **dict(spec.options)
    )
    out.demand_spread = "人口格网 (population grid as read)"


def _census(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io import census as census_io
    from planner.io import population, spread

    opts = dict(spec.options)
    cell_size = float(opts.pop("cell_size_m", settings.CENSUS_CELL_SIZE_M))
    method = opts.pop("spread", "auto")
    groups = opts.pop("groups", None)
    census = census_io.read_census(
        spec.paths["boundaries"],
        spec.paths["table"],
        coords=spec.coords,
        area=out.area,
        group_columns=groups,
        group_table=spec.paths.get("group_table"),
        **opts,
    )
    out.census = census
    _report_census(out, census)
    grid = None
    if "spread_grid" in spec.paths:
        grid = population.read_population_grid(
            spec.paths["spread_grid"], area=out.area, aggregate_m=cell_size, progress=progress
        )
    how = spread.spread_weights(
        census.units,
        method=method,
        cell_size_m=cell_size,
        grid=grid,
        streets=out.roads.streets if out.roads is not None else None,
        stops=out.transit.stops if out.transit is not None else None,
    )
    cells = spread.census_to_cells(
        census.units, cell_size_m=cell_size, weights=how.weights, weight_column="weight"
    )
    # Units are spread whole; the study keeps the people inside its area.
    geom = out.area.geometry.buffer(1.0)
    shapely.prepare(geom)
    inside = np.asarray(shapely.intersects(geom, cells.geometry.values))
    total = float(cells["population"].sum())
    cells = cells.loc[inside].reset_index(drop=True)
    kept = float(cells["population"].sum())
    if kept < total * (1 - 1e-9):
        out.notes.append(
            f"census: {total - kept:,.0f} of the {total:,.0f} people of the overlapping units"
            " live outside the study area and are left out"
        )
    out.population = cells
    out.demand_spread = how.description


def _report_census(out: StudyInputs, census: CensusResult) -> None:
    """Notes on units joined by name (rows without a polygon are warned about by the reader)."""
    for name, tcode, pcode in census.joined_by_name:
        out.notes.append(
            f"census: {name} joined by name (table code {tcode}, boundary code {pcode})"
        )


def _markets(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io.markets import read_markets

    out.markets = read_markets(
        spec.path, coords=spec.coords, area=out.area, outside="drop", **spec.options
    )


def _places(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io.places import read_places

    out.places = read_places(
        spec.path, coords=spec.coords or "wgs84", area=out.area, **spec.options
    )


def _transit(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io import transit

    if spec.kind == "tables":
        opts = {"on_unknown_stop": "drop", **spec.options}
        out.transit = transit.read_route_tables(
            spec.paths["lines"],
            spec.paths["stations"],
            spec.paths["line_stations"],
            coords=spec.coords or "bd09",
            area=out.area,
            **opts,
        )
    else:
        out.transit = transit.read_gtfs(spec.path, area=out.area)


def _work_logs(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io.worklogs import read_work_logs

    out.work_logs = read_work_logs(spec.path, markets=out.markets)


_LOADERS = {
    "roads": _roads,
    "transit": _transit,
    "markets": _markets,
    "places": _places,
    "population": _population,
    "work_logs": _work_logs,
}

"""Load every input a study names through its reader: the one call a run starts with."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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

__all__ = ["StudyInputs", "load_inputs"]

log = logging.getLogger(__name__)


@dataclass
class StudyInputs:
    """Everything a study loaded, each layer validated and in ``area.crs``.

    Layers the study file does not name are ``None``.
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
        if self.markets is not None:
            m = self.markets
            tiers = m["tier"].value_counts().to_dict() if "tier" in m else {}
            rows.append(("markets", f"{len(m):,} markets ({_counts(tiers)})"))
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


def load_inputs(study: Study, *, progress: bool = False) -> StudyInputs:
    """Read the study area and every input the study names, through the validating readers.

    Parameters
    ----------
    study
        A parsed :class:`~planner.study.Study`.
    progress
        Show progress bars for long reads.
    """
    area = read_study_area(
        study.area.path,
        coords=study.area.coords,
        codes=list(study.area.codes) or None,
        names=list(study.area.names) or None,
        name=study.name,
        projection=study.projection,
    )
    out = StudyInputs(study=study, area=area)
    # Fixed order: work logs are checked against the markets read before them.
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
        out.roads = osm.read_osm(spec.path, area=out.area, progress=progress)


def _population(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io import census as census_io
    from planner.io import population

    if spec.kind == "census":
        opts = dict(spec.options)
        cell_size = opts.pop("cell_size_m", None)
        groups = opts.pop("groups", None)
        census = census_io.read_census(
            spec.paths["boundaries"],
            spec.paths["table"],
            coords=spec.coords,
            area=out.area,
            group_columns=groups,
            **opts,
        )
        out.census = census
        out.population = census_io.census_to_cells(
            census.units, cell_size_m=float(cell_size or settings.CENSUS_CELL_SIZE_M)
        )
    else:
        out.population = population.read_population_grid(
            spec.path, area=out.area, progress=progress, **dict(spec.options)
        )


def _markets(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io.markets import read_markets

    out.markets = read_markets(
        spec.path, coords=spec.coords, area=out.area, sheet=spec.options.get("sheet")
    )


def _places(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io.places import read_places

    out.places = read_places(spec.path, coords=spec.coords or "wgs84", area=out.area)


def _transit(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io import transit

    if spec.kind == "tables":
        out.transit = transit.read_route_tables(
            spec.paths["lines"],
            spec.paths["stations"],
            spec.paths["line_stations"],
            coords=spec.coords or "bd09",
            area=out.area,
            **dict(spec.options),
        )
    else:
        out.transit = transit.read_gtfs(spec.path, area=out.area)


def _work_logs(out: StudyInputs, spec: InputSpec, progress: bool) -> None:
    from planner.io.worklogs import read_work_logs

    out.work_logs = read_work_logs(spec.path, markets=out.markets)


_LOADERS = {
    "roads": _roads,
    "population": _population,
    "markets": _markets,
    "places": _places,
    "transit": _transit,
    "work_logs": _work_logs,
}

"""A synthetic demo county (示范县, code 379901) written in the formats real users bring.

:func:`write_demo_inputs` draws a fictional county of about 1,200 km² around 118.6°E,
36.2°N (inside Shandong; no real county uses code ``379901``) from a seed and writes:

==========================  =================================================================
``boundary.geojson``        the county polygon, GCJ-02 (as DataV.GeoAtlas exports are)
``townships.geojson``       9 townships (城关街道 + 8 镇) partitioning it, GCJ-02
``roads.osm.pbf``           OpenStreetMap streets, POIs, bus stops and bus route relations
``population.tif``          WorldPop-like people per 0.001° cell, EPSG:4326, float32
``gtfs.zip``                12 bus routes, stops at the OSM bus stops (WGS-84)
``places.csv``              industrial parks, building-material markets, malls (GCJ-02)
``markets.csv``             the existing gig-market directory, UTF-8 with BOM (GCJ-02)
``work_logs.csv``           12 months of postings / seekers / matches per market and industry
``study.toml``              a study file naming all of the above by relative path
``README.txt``              what this folder is
==========================  =================================================================

Every file says it is synthetic (a ``备注``/remark column, a GeoJSON property, the PBF
``generator`` and a ``source`` tag, a GeoTIFF ``SYNTHETIC=1`` tag, the GTFS ``feed_info``).
The same seed gives the same bytes.

Examples
--------
>>> import tempfile
>>> from planner.demo import write_demo_inputs
>>> files = write_demo_inputs(tempfile.mkdtemp(), scale=0.05)  # a small county, quick
>>> files.study.name
'study.toml'
>>> files.summary.townships
9
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from os import PathLike
from pathlib import Path
from typing import TypeVar

import numpy as np
import shapely
from tqdm import tqdm

from planner.demo._osm import GENERATOR, build_network, write_pbf
from planner.demo._region import (
    CENTRE_LAT,
    CENTRE_LON,
    COUNTY_CODE,
    COUNTY_NAME,
    SYNTHETIC,
    Region,
    build_region,
)
from planner.demo._tables import (
    market_rows,
    place_rows,
    write_gtfs,
    write_markets,
    write_places,
    write_population,
    write_work_logs,
)
from planner.errors import InputFileError, InvalidValueError
from planner.io.crs import convert_geometries

__all__ = ["DemoFiles", "DemoSummary", "write_demo_inputs"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]
T = TypeVar("T")

#: Bounds of ``scale`` (area multiplier): 60 km² to 4,800 km².
SCALE_RANGE = (0.05, 4.0)

STUDY_TOML = """\
# Synthetic demo data / 合成示例数据 — written by `planner demo`; not a real county.
[study]
name = "示范县（合成示例数据）"
projection = "utm"

[area]
path = "boundary.geojson"
coords = "gcj02"

[inputs.roads]
path = "roads.osm.pbf"

[inputs.population]
kind = "grid"
path = "population.tif"
aggregate_m = 250  # planning cells of 250 m (the grid itself is ~100 m)

[inputs.markets]
path = "markets.csv"
coords = "gcj02"

[inputs.places]
path = "places.csv"
coords = "gcj02"

[inputs.transit]
kind = "gtfs"
path = "gtfs.zip"

[inputs.work_logs]
path = "work_logs.csv"

[outputs]
dir = "../maps"
"""

README_MARK = "SYNTHETIC DEMO DATA / 合成示例数据"


@dataclass(frozen=True)
class DemoSummary:
    """What the generator wrote, for checking the files and for reports.

    Attributes
    ----------
    seed, scale
        The arguments the region was drawn from.
    area_km2
        County area in the projected CRS (UTM), km².
    population_total
        Sum of the valid cells of ``population.tif`` (float64 sum of the float32 values).
    population_cells
        Number of valid (non-nodata) cells.
    street_nodes
        Distinct nodes referenced by ``highway=*`` ways in ``roads.osm.pbf``.
    """

    seed: int
    scale: float
    area_km2: float
    townships: int
    towns: int
    villages: int
    population_total: float
    population_cells: int
    population_peak_per_km2: float
    street_nodes: int
    street_ways: int
    bus_stops: int
    bus_routes: int
    osm_pois: int
    industrial_areas: int
    places: int
    markets: int
    gtfs_trips: int
    gtfs_stop_times: int
    work_log_rows: int
    work_log_postings: int
    work_log_seekers: int
    work_log_matches: int


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the demo files written, and a :class:`DemoSummary` of their contents."""

    out_dir: Path
    boundary: Path
    townships: Path
    roads: Path
    population: Path
    gtfs: Path
    places: Path
    markets: Path
    work_logs: Path
    study: Path
    readme: Path
    summary: DemoSummary

    def paths(self) -> dict[str, Path]:
        """The files by field name (``out_dir`` and ``summary`` left out)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("out_dir", "summary")
        }


_FILE_NAMES = {
    "boundary": "boundary.geojson",
    "townships": "townships.geojson",
    "roads": "roads.osm.pbf",
    "population": "population.tif",
    "gtfs": "gtfs.zip",
    "places": "places.csv",
    "markets": "markets.csv",
    "work_logs": "work_logs.csv",
    "study": "study.toml",
    "readme": "README.txt",
}


def write_demo_inputs(
    out_dir: PathArg,
    *,
    seed: int = 20240601,
    scale: float = 1.0,
    progress: bool = False,
) -> DemoFiles:
    """Write the synthetic demo county's input files into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write into (created). It may already hold an earlier demo (recognised by
        its README.txt), which is replaced; any other file of the same name is refused, so
        real inputs are never overwritten.
    seed
        Seed of the random region (any integer >= 0). The same seed and scale write the
        same bytes.
    scale
        Area multiplier, 0.05-4. At 1 the county is ~1,200 km² with ~620,000 people and
        ~40,000 street nodes; population, villages and streets grow with the area, so
        ``scale=0.05`` makes a quick ~60 km² county for tests.
    progress
        Show a progress bar.

    Returns
    -------
    DemoFiles
        The paths written and a :class:`DemoSummary` of what they hold.

    Raises
    ------
    InvalidValueError
        ``seed`` or ``scale`` out of range.
    InputFileError
        ``out_dir`` is a file, or holds a file of the same name that the demo did not write.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidValueError(
            f"seed must be a whole number >= 0, got {seed!r}",
            key="seed",
            fix="pass e.g. seed=20240601",
        )
    if (
        not isinstance(scale, int | float)
        or not math.isfinite(scale)
        or not (SCALE_RANGE[0] <= scale <= SCALE_RANGE[1])
    ):
        raise InvalidValueError(
            f"scale must be a number from {SCALE_RANGE[0]} to {SCALE_RANGE[1]}, got {scale!r}",
            key="scale",
            fix="pass scale=1.0 for the full ~1,200 km² county, or e.g. 0.1 for a small one",
        )
    out = Path(out_dir)
    _check_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: out / v for k, v in _FILE_NAMES.items()}
    streams = np.random.SeedSequence(int(seed)).spawn(6)
    rngs = [np.random.default_rng(s) for s in streams]

    steps = tqdm(total=9, desc="demo county", unit="file", disable=not progress)
    region = build_region(rngs[0], scale=float(scale))
    net = build_network(rngs[1], region)
    steps.update()

    _atomic(paths["boundary"], lambda p: _write_boundary(region, p))
    _atomic(paths["townships"], lambda p: _write_townships(region, p))
    steps.update()
    _atomic(paths["roads"], lambda p: write_pbf(net, region, p))
    steps.update()
    pop = _atomic(paths["population"], lambda p: write_population(rngs[2], region, p))
    steps.update()
    gtfs = _atomic(paths["gtfs"], lambda p: write_gtfs(region, net, p, seed=int(seed)))
    steps.update()
    places = place_rows(rngs[3], region, net)
    _atomic(paths["places"], lambda p: write_places(region, net, places, p))
    steps.update()
    markets = market_rows(rngs[4], region, net)
    _atomic(paths["markets"], lambda p: write_markets(region, net, markets, p))
    steps.update()
    logs = _atomic(paths["work_logs"], lambda p: write_work_logs(rngs[5], markets, p))
    steps.update()
    _atomic(paths["study"], lambda p: p.write_bytes(STUDY_TOML.encode("utf-8")))

    summary = DemoSummary(
        seed=int(seed),
        scale=float(scale),
        area_km2=float(region.county.area / 1e6),
        townships=len(region.townships),
        towns=len(region.towns),
        villages=len(region.villages),
        population_total=pop.total,
        population_cells=pop.valid_cells,
        population_peak_per_km2=pop.peak_per_km2,
        street_nodes=net.street_node_count,
        street_ways=len(net.street_ways),
        bus_stops=len(net.stop_names),
        bus_routes=len(net.routes),
        osm_pois=sum(1 for p in net.pois if p.node_id),
        industrial_areas=len(net.area_ways),
        places=len(places),
        markets=len(markets),
        gtfs_trips=gtfs.trips,
        gtfs_stop_times=gtfs.stop_times,
        work_log_rows=logs.rows,
        work_log_postings=logs.postings,
        work_log_seekers=logs.seekers,
        work_log_matches=logs.matches,
    )
    _atomic(paths["readme"], lambda p: p.write_bytes(_readme(summary).encode("utf-8")))
    steps.update()
    steps.close()
    log.info(
        "wrote the synthetic demo county to %s: %.0f km², %.0f people, %d street nodes",
        out,
        summary.area_km2,
        summary.population_total,
        summary.street_nodes,
    )
    return DemoFiles(out_dir=out, summary=summary, **paths)


def _check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputFileError(
            "the demo output folder is a file",
            path=out,
            fix="give a folder path (it is created when missing)",
        )
    if not out.is_dir():
        return
    clash = [name for name in _FILE_NAMES.values() if (out / name).exists()]
    if not clash:
        return
    readme = out / _FILE_NAMES["readme"]
    try:
        ours = readme.is_file() and README_MARK in readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        ours = False
    if not ours:
        raise InputFileError(
            f"the folder already holds {', '.join(clash)}, not written by `planner demo` "
            "(no demo README.txt), and the demo would overwrite it",
            path=out,
            fix="choose an empty or new folder for the demo",
        )


def _atomic(path: Path, write: Callable[[Path], T]) -> T:
    """Write through a temporary file in the same folder, then rename over ``path``."""
    tmp = path.with_name(f".{path.name}.part{path.suffix}")
    tmp.unlink(missing_ok=True)
    try:
        result = write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return result


# --- GeoJSON ---------------------------------------------------------------------------------


def _gcj_geometry(region: Region, geom: shapely.Geometry) -> dict[str, object]:
    """A metric polygon as a GeoJSON MultiPolygon in GCJ-02, 7 decimals, exterior CCW."""
    ll = region.to_wgs84(geom)
    gcj = convert_geometries(np.array([ll], dtype=object), "wgs84", "gcj02")[0]
    gcj = shapely.set_precision(gcj, 1e-7)
    gcj = shapely.orient_polygons(gcj)
    parts = [p for p in shapely.get_parts(gcj) if isinstance(p, shapely.Polygon)]

    def ring(r: shapely.LinearRing) -> list[list[float]]:
        return [[round(float(x), 7), round(float(y), 7)] for x, y in r.coords]

    return {
        "type": "MultiPolygon",
        "coordinates": [[ring(p.exterior), *(ring(i) for i in p.interiors)] for p in parts],
    }


def _dump_geojson(path: Path, name: str, features: list[dict[str, object]]) -> None:
    doc = {"type": "FeatureCollection", "name": name, "features": features}
    path.write_bytes(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _write_boundary(region: Region, path: Path) -> None:
    lon, lat = _centre_gcj()
    props = {
        "adcode": COUNTY_CODE,
        "name": COUNTY_NAME,
        "level": "district",
        "center": [lon, lat],
        "coord_system": "GCJ-02",
        "remark": SYNTHETIC,
    }
    feature: dict[str, object] = {
        "type": "Feature",
        "properties": props,
        "geometry": _gcj_geometry(region, region.county),
    }
    _dump_geojson(path, "demo_county", [feature])


def _write_townships(region: Region, path: Path) -> None:
    feats: list[dict[str, object]] = []
    for t in region.townships:
        props = {
            "adcode": t.code,
            "name": t.name,
            "level": "township",
            "parent_adcode": COUNTY_CODE,
            "coord_system": "GCJ-02",
            "remark": SYNTHETIC,
        }
        feats.append(
            {"type": "Feature", "properties": props, "geometry": _gcj_geometry(region, t.polygon)}
        )
    _dump_geojson(path, "demo_townships", feats)


def _centre_gcj() -> tuple[float, float]:
    from planner.io.coords import convert

    lon, lat = convert([CENTRE_LON], [CENTRE_LAT], "wgs84", "gcj02")
    return round(float(lon[0]), 6), round(float(lat[0]), 6)


def _readme(s: DemoSummary) -> str:
    return f"""{README_MARK}
示范县（虚构，行政区划代码 379901）— planner 演示用合成数据，不代表任何真实地区。
This folder holds a FICTIONAL county generated by `planner demo` (seed {s.seed}, scale {s.scale}).
Nothing here describes a real place, market, person, company or phone number.

Files (the formats real users bring):
  boundary.geojson   county polygon, {s.area_km2:,.0f} km², GCJ-02 coordinates (like DataV.GeoAtlas)
  townships.geojson  {s.townships} townships (城关街道 + {s.towns} towns), GCJ-02
  roads.osm.pbf      OpenStreetMap extract: {s.street_nodes:,} street nodes, {s.street_ways:,} highway ways,
                     {s.bus_stops} bus stops, {s.bus_routes} bus route relations, {s.osm_pois} POIs,
                     {s.industrial_areas} industrial areas; WGS-84; generator "{GENERATOR}"
  population.tif     people per 0.001° cell (~100 m), EPSG:4326, float32, nodata -99999,
                     {s.population_total:,.0f} people in {s.population_cells:,} cells; tag SYNTHETIC=1
  gtfs.zip           GTFS feed, {s.bus_routes} routes, {s.gtfs_trips:,} trips; stops = the OSM bus stops (WGS-84)
  places.csv         {s.places} industrial parks / building-material markets / malls, GCJ-02
  markets.csv        {s.markets} existing gig markets (零工市场名录), UTF-8 with BOM, GCJ-02
  work_logs.csv      {s.work_log_rows} rows: month x market x industry postings, seekers, matches
  study.toml         the study file naming these inputs (run: planner check study.toml)
"""

"""A synthetic province (示范省): N demo counties side by side, in the demo county's formats.

:func:`write_province_demo` tiles a rectangle of ``counties`` county polygons (a jittered
grid, cut along straight Voronoi borders), draws each county as :func:`write_demo_inputs`
draws the demo county (its own seed stream: seat, towns, villages, streets, bus lines,
places, markets, people), links neighbouring counties by a road between their nearest
main-road junctions, and writes one file per layer for the whole province:

==========================  =================================================================
``counties.geojson``        the county polygons, GCJ-02, with ``adcode``, ``name``,
                            ``city_adcode``, ``city_name`` (like the Shandong file)
``roads.osm.pbf``           every county's streets, POIs, bus stops and routes, and the links
``population.tif``          people per 0.001° cell, EPSG:4326, one grid for all counties
``gtfs.zip``                every county's bus lines (ids prefixed by the county code)
``places.csv``              parks, building-material markets, malls (GCJ-02)
``markets.csv``             the market directory; every third county has no comprehensive
                            market, so the one-per-county rule has work to do
``work_logs.csv``           the markets' monthly work logs
``study.toml``              a study naming all of the above (``[run] split = "county"``)
``README.txt``              what this folder is
==========================  =================================================================

Counties get the fictional codes ``37<city><county>`` with cities ``3750``-``3798`` (no
real Shandong city uses them) and eight counties a city. The same seed, number and scale
write the same bytes.

Examples
--------
>>> import tempfile
>>> files = write_province_demo(tempfile.mkdtemp(), counties=2, scale=0.05)
>>> [c[:2] for c in files.counties]
[('375001', '示范1县'), ('375002', '示范2县')]
"""

from __future__ import annotations

import csv
import io
import logging
import math
import tempfile
import zipfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import osmium
import rasterio
import shapely
from affine import Affine
from scipy.spatial import cKDTree
from tqdm import tqdm

from planner.demo._osm import GENERATOR, Network, build_network
from planner.demo._region import (
    CENTRE_LAT,
    CENTRE_LON,
    COUNTY_AREA_KM2,
    COUNTY_CODE,
    COUNTY_NAME,
    SYNTHETIC,
    Region,
    build_region,
)
from planner.demo._tables import (
    CELL_DEG,
    NODATA,
    market_rows,
    place_rows,
    write_gtfs,
    write_markets,
    write_places,
    write_population,
    write_work_logs,
)
from planner.demo.county import (
    README_MARK,
    SCALE_RANGE,
    _atomic,
    _dump_geojson,
    _gcj_geometry,
)
from planner.errors import InputFileError, InvalidValueError
from planner.io.crs import choose_crs

__all__ = ["COUNTIES_RANGE", "ProvinceDemoFiles", "write_province_demo"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

#: How many counties a synthetic province may have.
COUNTIES_RANGE = (2, 392)

PROVINCE_NAME = "示范省"
_PER_CITY = 8

_FILE_NAMES = {
    "counties": "counties.geojson",
    "roads": "roads.osm.pbf",
    "population": "population.tif",
    "gtfs": "gtfs.zip",
    "places": "places.csv",
    "markets": "markets.csv",
    "work_logs": "work_logs.csv",
    "study": "study.toml",
    "readme": "README.txt",
}

STUDY_TOML = """\
# Synthetic demo data / 合成示例数据 — written by `planner demo --counties N`; not a real place.
[study]
name = "示范省（合成示例数据）"
projection = "utm"

[area]
path = "counties.geojson"
coords = "gcj02"

[inputs.roads]
path = "roads.osm.pbf"

[inputs.population]
kind = "grid"
path = "population.tif"
aggregate_m = 250

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

[run]
split = "county"

[outputs]
dir = "../maps"
"""

#: Major road classes a link between two counties starts and ends on.
_MAJOR = {"trunk", "primary", "secondary", "tertiary"}


@dataclass(frozen=True)
class ProvinceDemoFiles:
    """What :func:`write_province_demo` wrote.

    Attributes
    ----------
    out_dir
        The folder.
    paths
        The files by layer (``counties``, ``roads``, ``population``, ``gtfs``, ``places``,
        ``markets``, ``work_logs``, ``study``, ``readme``).
    counties
        ``(code, name, city_code, city_name)`` of each county, in code order.
    population_total
        People in ``population.tif`` (float64 sum).
    street_nodes, links
        Nodes of the OSM file and roads linking neighbouring counties.
    """

    out_dir: Path
    paths: dict[str, Path]
    counties: list[tuple[str, str, str, str]]
    population_total: float
    street_nodes: int
    links: int

    @property
    def study(self) -> Path:
        return self.paths["study"]


def _codes(n: int) -> list[tuple[str, str, str, str]]:
    out = []
    for i in range(n):
        city = 50 + i // _PER_CITY
        code = f"37{city:02d}{i % _PER_CITY + 1:02d}"
        out.append((code, f"示范{i + 1}县", f"37{city:02d}00", f"示范{city - 49}市"))
    return out


def _tiles(rng: np.random.Generator, n: int, side: float) -> list[shapely.Polygon]:
    """``n`` county polygons tiling a rectangle-ish province (jittered grid, Voronoi)."""
    crs = choose_crs(CENTRE_LON, CENTRE_LAT)
    from pyproj import Transformer

    cx, cy = Transformer.from_crs(4326, crs, always_xy=True).transform(CENTRE_LON, CENTRE_LAT)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    x0 = cx - cols * side / 2
    y0 = cy + rows * side / 2
    squares, centres = [], []
    for i in range(n):
        r, c = divmod(i, cols)
        left, top = x0 + c * side, y0 - r * side
        squares.append(shapely.box(left, top - side, left + side, top))
        jitter = rng.uniform(-0.18, 0.18, 2) * side
        centres.append((left + side / 2 + jitter[0], top - side / 2 + jitter[1]))
    land = shapely.union_all(squares)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(centres), extend_to=land.buffer(side))
    )
    pts = shapely.points(np.asarray(centres))
    out = []
    for p in pts:
        cell = next(g for g in cells if g.contains(p))
        poly = shapely.intersection(cell, land)
        if not isinstance(poly, shapely.Polygon):
            poly = max(shapely.get_parts(poly), key=lambda g: g.area)
        out.append(shapely.set_precision(poly, 0.01))
    return out


def _rename(text: str, code: str, name: str) -> str:
    """The demo county's names and ids, made this county's."""
    return (
        text.replace(COUNTY_NAME, name).replace(COUNTY_CODE, code).replace("SF-LG-", f"SF{code}-")
    )


# --- merging ---------------------------------------------------------------------------------


def _merge_csv(parts: list[tuple[str, str, str]], *, id_column: str | None, bom: bool) -> bytes:
    """Rows of the counties' CSV texts under one header; ids prefixed by the county code."""
    header: list[str] | None = None
    rows: list[list[str]] = []
    for text, code, name in parts:
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
        head = next(reader)
        header = header or head
        k = head.index(id_column) if id_column else -1
        for row in reader:
            row = [_rename(v, code, name) for v in row]
            if k >= 0 and not row[k].startswith(f"SF{code}-"):
                row[k] = f"{code}-{row[k]}"
            rows.append(row)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if bom else "\n")
    writer.writerow(header or [])
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig" if bom else "utf-8")


_GTFS_IDS = ("route_id", "trip_id", "stop_id", "agency_id", "parent_station")


def _merge_gtfs(parts: list[tuple[Path, str, str]], path: Path) -> None:
    """One GTFS feed of every county's: ids prefixed by the code, calendars shared."""
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}
    seen: dict[str, set[tuple[str, ...]]] = {}
    for zpath, code, name in parts:
        with zipfile.ZipFile(zpath) as z:
            for member in sorted(z.namelist()):
                reader = csv.reader(io.StringIO(z.read(member).decode("utf-8-sig")))
                head = next(reader)
                head_rows = tables.setdefault(member, (head, []))
                keys = seen.setdefault(member, set())
                for row in reader:
                    row = [_rename(v, code, name) for v in row]
                    for col in _GTFS_IDS:
                        if col in head and row[head.index(col)]:
                            row[head.index(col)] = f"{code}-{row[head.index(col)]}"
                    t = tuple(row)
                    if member == "feed_info.txt" and head_rows[1]:
                        continue  # one feed, one publisher row
                    if member in ("calendar.txt", "calendar_dates.txt"):
                        if t in keys:
                            continue
                        keys.add(t)
                    head_rows[1].append(row)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for member, (head, rows) in sorted(tables.items()):
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(head)
            writer.writerows(rows)
            info = zipfile.ZipInfo(member, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, buf.getvalue().encode("utf-8"))


def _merge_population(parts: list[Path], path: Path) -> float:
    """One grid holding every county's cells (all on the same 0.001° lattice)."""
    grids = []
    for p in parts:
        with rasterio.open(p) as src:
            grids.append((src.read(1), src.transform))
            profile = src.profile
            tags = src.tags()
    west = min(t.c for _, t in grids)
    north = max(t.f for _, t in grids)
    east = max(t.c + a.shape[1] * CELL_DEG for a, t in grids)
    south = min(t.f - a.shape[0] * CELL_DEG for a, t in grids)
    width = round((east - west) / CELL_DEG)
    height = round((north - south) / CELL_DEG)
    total = np.zeros((height, width), dtype=np.float64)
    valid = np.zeros((height, width), dtype=bool)
    for a, t in grids:
        c0 = round((t.c - west) / CELL_DEG)
        r0 = round((north - t.f) / CELL_DEG)
        ok = a != np.float32(NODATA)
        view = total[r0 : r0 + a.shape[0], c0 : c0 + a.shape[1]]
        view[ok] += a[ok]
        valid[r0 : r0 + a.shape[0], c0 : c0 + a.shape[1]] |= ok
    grid = np.where(valid, total, NODATA).astype(np.float32)
    profile.update(
        width=width,
        height=height,
        transform=Affine(CELL_DEG, 0.0, float(west), 0.0, -CELL_DEG, float(north)),
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(grid, 1)
        dst.update_tags(**{**tags, "COUNTY": f"{PROVINCE_NAME} (fictional)"})
        dst.set_band_description(1, "population (synthetic)")
    return float(grid[valid].astype(np.float64).sum())


def _links(
    nets: list[Network], regions: list[Region], offsets: list[int]
) -> list[tuple[int, int, str]]:
    """A road between the nearest main-road junctions of each pair of neighbouring counties."""
    major = []
    for net in nets:
        ids = sorted(
            {n for w in net.street_ways if w.tags.get("highway") in _MAJOR for n in w.nodes}
        )
        major.append(np.asarray(ids, dtype=np.int64))
    out = []
    for i in range(len(regions)):
        for j in range(i + 1, len(regions)):
            shared = shapely.intersection(regions[i].county, regions[j].county.buffer(1.0))
            if shared.is_empty or shared.length < 100.0 or not len(major[i]) or not len(major[j]):
                continue
            tree = cKDTree(nets[j].xy[major[j] - 1])
            d, k = tree.query(nets[i].xy[major[i] - 1])
            a = int(np.argmin(d))
            out.append(
                (int(major[i][a]) + offsets[i], int(major[j][k[a]]) + offsets[j], f"{i}-{j}")
            )
    return out


def _write_pbf(
    nets: list[Network],
    regions: list[Region],
    names: list[tuple[str, str, str, str]],
    path: Path,
) -> tuple[int, int]:
    """Every county's OSM objects under one id space, and the links between counties."""
    from osmium.osm.mutable import Node, Relation
    from osmium.osm.mutable import Way as MWay

    offsets = list(np.cumsum([0] + [len(n.xy) for n in nets[:-1]]).astype(int))
    way_off = list(
        np.cumsum([0] + [len(n.street_ways) + len(n.area_ways) for n in nets[:-1]]).astype(int)
    )
    links = _links(nets, regions, offsets)
    header = osmium.io.Header()
    header.set("generator", GENERATOR)
    n_nodes = 0
    with osmium.SimpleWriter(osmium.io.File(str(path), "pbf"), header=header) as writer:
        for net, region, off, (code, name, *_) in zip(nets, regions, offsets, names, strict=True):
            lon, lat = region.lonlat(net.xy[:, 0], net.xy[:, 1])
            referenced = {n for w in net.street_ways for n in w.nodes}
            referenced |= {n for w in net.area_ways for n in w.nodes}
            referenced |= set(net.tags)
            for i in range(len(net.xy)):
                nid = i + 1
                if nid not in referenced:
                    continue
                tags = {k: _rename(v, code, name) for k, v in net.tags.get(nid, {}).items()}
                writer.add_node(
                    Node(id=nid + off, location=(float(lon[i]), float(lat[i])), tags=tags)
                )
                n_nodes += 1
        for net, off, woff, (code, name, *_) in zip(nets, offsets, way_off, names, strict=True):
            for w in [*net.street_ways, *net.area_ways]:
                tags = {k: _rename(v, code, name) for k, v in w.tags.items()}
                writer.add_way(MWay(id=w.id + woff, nodes=[n + off for n in w.nodes], tags=tags))
        last = int(way_off[-1] + len(nets[-1].street_ways) + len(nets[-1].area_ways))
        for k, (a, b, label) in enumerate(links):
            i, j = (int(x) for x in label.split("-"))
            tags = {
                "highway": "secondary",
                "name": f"{names[i][1][2:]}{names[j][1][2:]}连接线",
                "source": SYNTHETIC,
            }
            writer.add_way(MWay(id=last + k + 1, nodes=[a, b], tags=tags))
        rel = 0
        for net, off, (code, name, *_) in zip(nets, offsets, names, strict=True):
            for r in net.routes:
                rel += 1
                tags = {
                    "type": "route",
                    "route": "bus",
                    "ref": r.ref,
                    "name": _rename(r.name, code, name),
                    "network": f"{name}公交",
                    "operator": f"{name}公共交通有限公司",
                    "from": net.stop_names[r.stops[0]],
                    "to": net.stop_names[r.stops[-1]],
                    "public_transport:version": "2",
                    "source": SYNTHETIC,
                }
                members = [("n", s + off, "stop") for s in r.stops]
                writer.add_relation(Relation(id=rel, members=members, tags=tags))
    return n_nodes, len(links)


def _check(out: Path, counties: int, scale: float, seed: int) -> None:
    if isinstance(counties, bool) or not isinstance(counties, int | np.integer):
        raise InvalidValueError(
            f"counties must be a whole number, got {counties!r}", key="counties", fix="e.g. 16"
        )
    if not COUNTIES_RANGE[0] <= counties <= COUNTIES_RANGE[1]:
        raise InvalidValueError(
            f"counties must be from {COUNTIES_RANGE[0]} to {COUNTIES_RANGE[1]}, got {counties}",
            key="counties",
            fix="pass e.g. --counties 16 (Shandong has 136)",
        )
    if not (math.isfinite(scale) and SCALE_RANGE[0] <= scale <= SCALE_RANGE[1]):
        raise InvalidValueError(
            f"scale must be from {SCALE_RANGE[0]} to {SCALE_RANGE[1]}, got {scale!r}",
            key="scale",
            fix="pass e.g. scale=0.25 (a 300 km² county)",
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidValueError(
            f"seed must be a whole number >= 0, got {seed!r}", key="seed", fix="e.g. 20240601"
        )
    if out.exists() and not out.is_dir():
        raise InputFileError("the demo output folder is a file", path=out, fix="give a folder")
    clash = [n for n in _FILE_NAMES.values() if (out / n).exists()]
    readme = out / _FILE_NAMES["readme"]
    ours = readme.is_file() and README_MARK in readme.read_text(encoding="utf-8", errors="replace")
    if clash and not ours:
        raise InputFileError(
            f"the folder already holds {', '.join(clash)}, not written by `planner demo` "
            "(no demo README.txt), and the demo would overwrite it",
            path=out,
            fix="choose an empty or new folder for the demo",
        )


def write_province_demo(
    out_dir: PathArg,
    *,
    counties: int,
    seed: int = 20240601,
    scale: float = 0.25,
    progress: bool = False,
) -> ProvinceDemoFiles:
    """Write a synthetic province of ``counties`` demo counties side by side.

    Parameters
    ----------
    out_dir
        Folder to write into (created); an earlier demo there is replaced, any other file
        of the same name refused.
    counties
        Number of counties (2-392), in cities of eight.
    seed
        Seed of the province; county ``i`` draws from the ``i``-th spawned stream.
    scale
        Area multiplier of each county (0.05-4; 0.25 is a 300 km² county with ~155,000
        people and ~10,000 street nodes).
    progress
        Show a progress bar of counties.

    Raises
    ------
    InvalidValueError
        ``counties``, ``seed`` or ``scale`` out of range.
    InputFileError
        ``out_dir`` is a file, or holds files of the same names the demo did not write.
    """
    out = Path(out_dir)
    _check(out, counties, float(scale), seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: out / v for k, v in _FILE_NAMES.items()}
    names = _codes(int(counties))
    root = np.random.SeedSequence(int(seed))
    layout_seq, *county_seqs = root.spawn(int(counties) + 1)
    side = math.sqrt(COUNTY_AREA_KM2 * 1e6 * float(scale))
    polys = _tiles(np.random.default_rng(layout_seq), int(counties), side)
    regions: list[Region] = []
    nets: list[Network] = []
    features: list[dict[str, object]] = []
    csv_parts: dict[str, list[tuple[str, str, str]]] = {"places": [], "markets": [], "logs": []}
    pops: list[Path] = []
    feeds: list[tuple[Path, str, str]] = []
    bar = tqdm(total=int(counties), desc="demo counties", unit="county", disable=not progress)
    with tempfile.TemporaryDirectory(prefix="planner-province-demo-") as tmp_name:
        tmp = Path(tmp_name)
        for i, (poly, seq, (code, name, city, city_name)) in enumerate(
            zip(polys, county_seqs, names, strict=True)
        ):
            rngs = [np.random.default_rng(s) for s in seq.spawn(6)]
            region = build_region(rngs[0], scale=float(scale), outline=poly)
            net = build_network(rngs[1], region)
            regions.append(region)
            nets.append(net)
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "adcode": code,
                        "name": name,
                        "city_adcode": city,
                        "city_name": city_name,
                        "level": "district",
                        "coord_system": "GCJ-02",
                        "remark": SYNTHETIC,
                    },
                    "geometry": _gcj_geometry(region, region.county),
                }
            )
            pops.append(tmp / f"pop{i}.tif")
            write_population(rngs[2], region, pops[-1])
            feeds.append((tmp / f"gtfs{i}.zip", code, name))
            write_gtfs(region, net, feeds[-1][0], seed=int(seed) + i)
            places = place_rows(rngs[3], region, net)
            write_places(region, net, places, tmp / "places.csv")
            csv_parts["places"].append(
                ((tmp / "places.csv").read_text(encoding="utf-8-sig"), code, name)
            )
            markets = market_rows(rngs[4], region, net)
            if i % 3 == 2:  # no comprehensive market: the county rule must propose one
                markets = [m for m in markets if m.tier != "综合性零工市场"]
            write_markets(region, net, markets, tmp / "markets.csv")
            csv_parts["markets"].append(
                ((tmp / "markets.csv").read_text(encoding="utf-8-sig"), code, name)
            )
            write_work_logs(rngs[5], markets, tmp / "logs.csv")
            csv_parts["logs"].append(
                ((tmp / "logs.csv").read_text(encoding="utf-8-sig"), code, name)
            )
            bar.update()
        bar.close()
        _atomic(paths["counties"], lambda p: _dump_geojson(p, "demo_province", features))
        n_nodes, n_links = _atomic(paths["roads"], lambda p: _write_pbf(nets, regions, names, p))
        total = _atomic(paths["population"], lambda p: _merge_population(pops, p))
        _atomic(paths["gtfs"], lambda p: _merge_gtfs(feeds, p))
    _atomic(
        paths["places"],
        lambda p: p.write_bytes(_merge_csv(csv_parts["places"], id_column="编号", bom=False)),
    )
    _atomic(
        paths["markets"],
        lambda p: p.write_bytes(_merge_csv(csv_parts["markets"], id_column="编号", bom=True)),
    )
    _atomic(
        paths["work_logs"],
        lambda p: p.write_bytes(_merge_csv(csv_parts["logs"], id_column=None, bom=True)),
    )
    _atomic(paths["study"], lambda p: p.write_bytes(STUDY_TOML.encode("utf-8")))
    readme = (
        f"{README_MARK}\n示范省（虚构）— planner 演示用合成数据，不代表任何真实地区。\n"
        f"A FICTIONAL province of {counties} demo counties written by `planner demo --counties "
        f"{counties}` (seed {seed}, scale {scale}): {total:,.0f} people, {n_nodes:,} OSM nodes, "
        f"{n_links} roads linking neighbouring counties.\nFiles: counties.geojson (GCJ-02), "
        "roads.osm.pbf, population.tif, gtfs.zip, places.csv, markets.csv, work_logs.csv, "
        "study.toml (run: planner run study.toml).\n"
    )
    _atomic(paths["readme"], lambda p: p.write_bytes(readme.encode("utf-8")))
    log.info("wrote a synthetic province of %d counties to %s", counties, out)
    return ProvinceDemoFiles(
        out_dir=out,
        paths=paths,
        counties=names,
        population_total=total,
        street_nodes=n_nodes,
        links=n_links,
    )

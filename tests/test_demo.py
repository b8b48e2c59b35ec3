"""Tests of planner.demo: the synthetic demo county, checked with independent tools.

The county is generated once per session. Each check reads the written files back with a
different library than the generator used to write them (osmium, rasterio, zipfile + csv,
pandas, pyproj.Geod, networkx, scipy) and compares with numbers computed here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re
import time
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import pandas as pd
import pytest
import rasterio
import rasterio.features
import shapely
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree

from planner.demo import DemoFiles, write_demo_inputs
from planner.errors import InputFileError, InvalidValueError, PlannerError
from planner.io.coords import convert
from planner.io.crs import StudyArea

SEED = 20240601
GEOD = Geod(ellps="WGS84")
MARK = "synthetic demo data / 合成示例数据"
TOWNS = ("东岭镇", "西河镇", "南山镇", "北泉镇", "青石镇", "柳林镇", "桃园镇", "石门镇")


@dataclass
class Generated:
    files: DemoFiles
    seconds: float


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    out = tmp_path_factory.mktemp("demo") / "county"
    t0 = time.perf_counter()
    files = write_demo_inputs(out, seed=SEED)
    return Generated(files, time.perf_counter() - t0)


@dataclass
class Osm:
    generator: str
    nodes: dict[int, tuple[float, float, dict[str, str]]]
    ways: dict[int, tuple[list[int], dict[str, str]]]
    relations: dict[int, tuple[list[tuple[str, int, str]], dict[str, str]]]
    order: list[tuple[str, int]]  # (type, id) in file order


@pytest.fixture(scope="session")
def osm(demo: Generated) -> Osm:
    """The PBF read with pyosmium directly (not through planner)."""
    path = str(demo.files.roads)
    reader = osmium.io.Reader(path)
    generator = reader.header().get("generator")
    reader.close()
    out = Osm(generator, {}, {}, {}, [])
    for o in osmium.FileProcessor(path):
        if o.is_node():
            out.nodes[o.id] = (o.location.lon, o.location.lat, dict(o.tags))
            out.order.append(("n", o.id))
        elif o.is_way():
            out.ways[o.id] = ([n.ref for n in o.nodes], dict(o.tags))
            out.order.append(("w", o.id))
        elif o.is_relation():
            out.relations[o.id] = ([(m.type, m.ref, m.role) for m in o.members], dict(o.tags))
            out.order.append(("r", o.id))
    return out


def _gtfs(path: Path) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(path) as zf:
        return {
            name[:-4]: list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8"))))
            for name in zf.namelist()
        }


def _seconds(hms: str) -> int:
    h, m, s = (int(v) for v in hms.split(":"))
    return h * 3600 + m * 60 + s


def _polygon(geometry: dict[str, object]) -> shapely.Geometry:
    return shapely.geometry.shape(geometry)


def _gcj_to_wgs(geom: shapely.Geometry) -> shapely.Geometry:
    def f(xy: np.ndarray) -> np.ndarray:
        lon, lat = convert(xy[:, 0], xy[:, 1], "gcj02", "wgs84")
        return np.column_stack([lon, lat])

    return shapely.transform(geom, f)


def _geod_area_km2(geom: shapely.Geometry) -> float:
    area, _ = GEOD.geometry_area_perimeter(geom)
    return abs(area) / 1e6


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the files, their marks, speed, determinism -------------------------------------------


def test_every_file_is_written_and_says_it_is_synthetic(demo: Generated, osm: Osm) -> None:
    f = demo.files
    for name, path in f.paths().items():
        assert path.is_file() and path.stat().st_size > 0, name
        assert path.parent == f.out_dir
    assert sorted(p.name for p in f.out_dir.iterdir()) == sorted(
        p.name for p in f.paths().values()
    ), "no temporary files left behind"
    assert "SYNTHETIC DEMO DATA / 合成示例数据" in f.readme.read_text(encoding="utf-8")
    assert "synthetic" in osm.generator
    tagged = [t for *_, t in osm.nodes.values() if t] + [t for _, t in osm.ways.values()]
    assert all(t.get("source") == MARK for t in tagged)
    with rasterio.open(f.population) as src:
        assert src.tags()["SYNTHETIC"] == "1"
    for gj in (f.boundary, f.townships):
        doc = json.loads(gj.read_text(encoding="utf-8"))
        assert all(feat["properties"]["remark"] == MARK for feat in doc["features"])
    for table in (f.places, f.markets, f.work_logs):
        df = pd.read_csv(table, dtype=str, encoding="utf-8-sig")
        assert (df["备注"] == MARK).all(), table.name
    feed = _gtfs(f.gtfs)
    assert "synthetic" in feed["feed_info"][0]["feed_publisher_name"]
    assert "合成示例数据" in feed["agency"][0]["agency_name"]


def test_generation_is_fast(demo: Generated) -> None:
    assert demo.seconds < 30.0


def test_same_seed_same_bytes_different_seed_different(demo: Generated, tmp_path: Path) -> None:
    again = write_demo_inputs(tmp_path / "again", seed=SEED)
    first = {k: _sha(p) for k, p in demo.files.paths().items()}
    assert {k: _sha(p) for k, p in again.paths().items()} == first
    assert again.summary == demo.files.summary
    # Writing over an earlier demo folder is allowed and gives the same bytes.
    again2 = write_demo_inputs(tmp_path / "again", seed=SEED)
    assert {k: _sha(p) for k, p in again2.paths().items()} == first
    other = write_demo_inputs(tmp_path / "other", seed=SEED + 1)
    differ = {k for k, p in other.paths().items() if _sha(p) != first[k]}
    assert differ == set(first) - {"study"}  # the study file names the same relative paths


# --- boundaries ------------------------------------------------------------------------------


def test_county_polygon_area_place_and_properties(demo: Generated) -> None:
    doc = json.loads(demo.files.boundary.read_text(encoding="utf-8"))
    assert len(doc["features"]) == 1
    feat = doc["features"][0]
    assert feat["properties"]["adcode"] == "379901"
    assert feat["properties"]["name"] == "示范县"
    gcj = _polygon(feat["geometry"])
    wgs = _gcj_to_wgs(gcj)
    area = _geod_area_km2(wgs)
    assert area >= 1000.0
    # The generator's planar UTM area agrees with the ellipsoidal one (UTM scale error ~0.03 %).
    assert area == pytest.approx(demo.files.summary.area_km2, rel=2e-3)
    c = wgs.centroid
    assert abs(c.x - 118.6) < 0.08 and abs(c.y - 36.2) < 0.08
    west, south, east, north = wgs.bounds
    ew_km = GEOD.inv(west, c.y, east, c.y)[2] / 1000
    ns_km = GEOD.inv(c.x, south, c.x, north)[2] / 1000
    assert 30 < ew_km < 55 and 30 < ns_km < 55
    # Irregular, not a square: the polygon fills well under 90 % of its bounding box.
    assert wgs.area / shapely.box(*wgs.bounds).area < 0.9
    # GCJ-02, not WGS-84: the stored vertices sit a few hundred metres off the WGS-84 ones.
    shift_m = GEOD.inv(gcj.centroid.x, gcj.centroid.y, c.x, c.y)[2]
    assert 100 < shift_m < 1000


def test_townships_partition_the_county(demo: Generated) -> None:
    county = _polygon(json.loads(demo.files.boundary.read_text("utf-8"))["features"][0]["geometry"])
    feats = json.loads(demo.files.townships.read_text("utf-8"))["features"]
    names = [f["properties"]["name"] for f in feats]
    codes = [f["properties"]["adcode"] for f in feats]
    assert names[0] == "城关街道" and sorted(names[1:]) == sorted(TOWNS)
    assert len(set(codes)) == len(codes) == 9
    assert all(c.startswith("379901") and len(c) == 9 for c in codes)
    polys = [_polygon(f["geometry"]) for f in feats]
    union = shapely.union_all(polys)
    assert union.symmetric_difference(county).area < 1e-7 * county.area
    overlap = sum(p.area for p in polys) - union.area
    assert overlap < 1e-7 * county.area
    assert all(p.is_valid for p in polys)


@pytest.mark.realdata
def test_county_lies_inside_shandong(demo: Generated, shared_data: Path) -> None:
    counties = json.loads(
        (shared_data / "shandong-admin" / "shandong_counties_wgs84.geojson").read_text("utf-8")
    )
    shandong = shapely.union_all([_polygon(f["geometry"]) for f in counties["features"]])
    county = _gcj_to_wgs(
        _polygon(json.loads(demo.files.boundary.read_text("utf-8"))["features"][0]["geometry"])
    )
    # Inside the province (the union of the real county polygons has hairline gaps).
    assert county.difference(shandong).area < 1e-3 * county.area
    real_codes = {str(f["properties"]["adcode"]) for f in counties["features"]}
    assert "379901" not in real_codes


# --- OpenStreetMap ---------------------------------------------------------------------------


def test_pbf_ids_positive_and_sorted(osm: Osm) -> None:
    kinds = [k for k, _ in osm.order]
    assert kinds == sorted(kinds, key="nwr".index)
    for kind in "nwr":
        ids = [i for k, i in osm.order if k == kind]
        assert ids and ids[0] > 0 and ids == sorted(ids) and len(set(ids)) == len(ids)
    referenced = {n for nodes, _ in osm.ways.values() for n in nodes}
    assert referenced <= set(osm.nodes), "every way node is in the file"


def test_at_least_20000_street_nodes(demo: Generated, osm: Osm) -> None:
    street_nodes = {n for nodes, tags in osm.ways.values() if "highway" in tags for n in nodes}
    assert len(street_nodes) >= 20_000
    assert len(street_nodes) == demo.files.summary.street_nodes


def test_road_network_is_one_connected_graph(osm: Osm) -> None:
    g = nx.Graph()
    for nodes, tags in osm.ways.values():
        if "highway" in tags:
            nx.add_path(g, nodes)
    assert nx.is_connected(g)
    # Plausible lengths: the street network is a few thousand km of road in 1,200 km².
    ll = np.array([osm.nodes[n][:2] for n in g.nodes])
    idx = {n: i for i, n in enumerate(g.nodes)}
    a = np.array([idx[u] for u, _ in g.edges])
    b = np.array([idx[v] for _, v in g.edges])
    length_km = GEOD.inv(ll[a, 0], ll[a, 1], ll[b, 0], ll[b, 1])[2].sum() / 1000
    assert 1500 < length_km < 6000


def test_highway_classes_and_tags(osm: Osm) -> None:
    by_class: dict[str, list[dict[str, str]]] = {}
    for _, tags in osm.ways.values():
        if "highway" in tags:
            by_class.setdefault(tags["highway"], []).append(tags)
    for hw in ("primary", "secondary", "tertiary", "residential", "unclassified", "track"):
        assert len(by_class.get(hw, [])) >= 3, hw
    for hw in ("motorway", "motorway_link", "footway", "cycleway"):
        assert by_class.get(hw), hw
    for hw in ("primary", "secondary", "tertiary", "motorway"):
        assert all(t.get("maxspeed", "").isdigit() for t in by_class[hw]), hw
    assert all("bicycle" in t for t in by_class["footway"] + by_class["cycleway"])
    assert all(t.get("oneway") == "yes" for t in by_class["motorway"] + by_class["motorway_link"])
    oneway_streets = [t for hw in ("tertiary",) for t in by_class[hw] if t.get("oneway") == "yes"]
    assert len(oneway_streets) >= 4  # two couplets


def test_oneway_pairs_run_in_opposite_directions(osm: Osm) -> None:
    """Each one-way carriageway or couplet street has a partner heading the other way."""

    def heading(nodes: list[int]) -> np.ndarray:
        (x0, y0, _), (x1, y1, _) = osm.nodes[nodes[0]], osm.nodes[nodes[-1]]
        v = np.array([x1 - x0, y1 - y0])
        return v / np.hypot(*v)

    for cls in ("motorway", "tertiary"):
        ways = [
            nodes
            for nodes, t in osm.ways.values()
            if t.get("highway") == cls and t.get("oneway") == "yes"
        ]
        heads = [heading(w) for w in ways]
        for h in heads:
            assert min(float(np.dot(h, o)) for o in heads) < -0.95, cls


def test_motorway_links_join_carriageways_to_local_roads(osm: Osm) -> None:
    motorway_nodes = {
        n for nodes, t in osm.ways.values() if t.get("highway") == "motorway" for n in nodes
    }
    other_nodes = {
        n
        for nodes, t in osm.ways.values()
        if t.get("highway") not in ("motorway", "motorway_link", None)
        for n in nodes
    }
    links = [nodes for nodes, t in osm.ways.values() if t.get("highway") == "motorway_link"]
    assert len(links) >= 4 and len(links) % 4 == 0  # off and on ramps for both directions
    junctions = set()
    for nodes in links:
        ends = {nodes[0], nodes[-1]}
        assert len(ends & motorway_nodes) == 1
        junctions |= ends - motorway_nodes
    # Every junction node reaches local roads through its connecting road.
    link_graph = nx.Graph()
    for nodes, t in osm.ways.values():
        if "highway" in t and t["highway"] != "motorway":
            nx.add_path(link_graph, nodes)
    for j in junctions:
        assert any(n in other_nodes for n in link_graph.neighbors(j))


def test_pois_of_every_kind(osm: Osm) -> None:
    tags = [t for *_, t in osm.nodes.values() if t]
    townhalls = [t["name"] for t in tags if t.get("amenity") == "townhall"]
    for town in TOWNS:
        assert f"{town}人民政府" in townhalls
    assert "示范县人民政府" in townhalls
    assert sum(t.get("amenity") == "community_centre" for t in tags) >= 9
    assert sum(t.get("amenity") == "marketplace" for t in tags) >= 8
    assert sum(t.get("shop") == "mall" for t in tags) >= 1
    assert any(t.get("shop") in ("doityourself", "building_materials") for t in tags)
    parks = [(n, t) for n, t in osm.ways.values() if t.get("landuse") == "industrial"]
    assert len(parks) >= 2
    for nodes, _ in parks:
        assert nodes[0] == nodes[-1] and len(nodes) >= 4
        ring = [osm.nodes[n][:2] for n in nodes]
        assert 0.3 < _geod_area_km2(shapely.Polygon(ring)) < 5.0


def test_bus_route_relations_list_stops_in_order(demo: Generated, osm: Osm) -> None:
    routes = [(m, t) for m, t in osm.relations.values()]
    assert len(routes) == demo.files.summary.bus_routes == 12
    stop_ids = {n for n, (*_, t) in osm.nodes.items() if t.get("highway") == "bus_stop"}
    served: set[int] = set()
    for members, tags in routes:
        assert tags["type"] == "route" and tags["route"] == "bus"
        assert all(kind == "n" and ref in stop_ids for kind, ref, _ in members)
        refs = [ref for _, ref, _ in members]
        assert len(refs) >= 5
        served |= set(refs)
        assert tags["from"] == osm.nodes[refs[0]][2]["name"]
        assert tags["to"] == osm.nodes[refs[-1]][2]["name"]
    assert served == stop_ids
    # Stops stand beside the street (within 15 m of a street node), in a metric CRS.
    street = sorted({n for nodes, t in osm.ways.values() if "highway" in t for n in nodes})
    to_utm = Transformer.from_crs(4326, 32650, always_xy=True)
    sx, sy = to_utm.transform(*np.array([osm.nodes[n][:2] for n in street]).T)
    bx, by = to_utm.transform(*np.array([osm.nodes[n][:2] for n in sorted(stop_ids)]).T)
    dist, _ = cKDTree(np.column_stack([sx, sy])).query(np.column_stack([bx, by]))
    assert float(dist.max()) < 15.0


# --- population --------------------------------------------------------------------------------


def test_population_grid(demo: Generated) -> None:
    with rasterio.open(demo.files.population) as src:
        assert src.crs.to_epsg() == 4326
        assert src.res == pytest.approx((0.001, 0.001))
        assert src.dtypes[0] == "float32"
        assert src.nodata == -99999
        data = src.read(1)
        transform = src.transform
    valid = data != np.float32(-99999)
    total = float(data[valid].astype(np.float64).sum())
    assert total >= 500_000
    assert total == pytest.approx(demo.files.summary.population_total, rel=1e-12)
    assert int(valid.sum()) == demo.files.summary.population_cells
    assert (data[valid] >= 0).all()
    # Nodata exactly outside the county: rasterio's own cell-centre test on the boundary file.
    county = _gcj_to_wgs(
        _polygon(json.loads(demo.files.boundary.read_text("utf-8"))["features"][0]["geometry"])
    )
    outside = rasterio.features.geometry_mask([county], data.shape, transform)
    assert int((outside == valid).sum()) <= 2  # cells whose centre sits on the edge
    # Density: ~10,000 people/km² at the peak of the core, far less in the countryside.
    rows, cols = np.nonzero(valid)
    lon0 = transform.c + (cols + 0.5) * transform.a
    lat0 = transform.f + (rows + 0.5) * transform.e
    _, _, dx = GEOD.inv(lon0 - 0.0005, lat0, lon0 + 0.0005, lat0)
    _, _, dy = GEOD.inv(lon0, lat0 - 0.0005, lon0, lat0 + 0.0005)
    density = data[valid] / (dx * dy / 1e6)
    assert 7_000 < density.max() < 20_000
    assert np.median(density) < 200
    assert (density > 1_000).sum() > 1_000  # urban core and towns, not one hot pixel


# --- GTFS ------------------------------------------------------------------------------------


def test_gtfs_has_the_required_files_and_ids(demo: Generated) -> None:
    feed = _gtfs(demo.files.gtfs)
    for name in ("agency", "stops", "routes", "trips", "stop_times", "calendar"):
        assert feed[name], name
    assert {"calendar_dates", "frequencies", "feed_info"} <= set(feed)
    assert len(feed["routes"]) == 12
    assert all(r["route_type"] == "3" for r in feed["routes"])
    stop_ids = {s["stop_id"] for s in feed["stops"]}
    trip_ids = {t["trip_id"] for t in feed["trips"]}
    route_ids = {r["route_id"] for r in feed["routes"]}
    assert {t["route_id"] for t in feed["trips"]} == route_ids
    assert {s["stop_id"] for s in feed["stop_times"]} == stop_ids
    assert {s["trip_id"] for s in feed["stop_times"]} == trip_ids
    assert len(feed["trips"]) == demo.files.summary.gtfs_trips


def test_gtfs_stops_are_the_osm_bus_stops(demo: Generated, osm: Osm) -> None:
    feed = _gtfs(demo.files.gtfs)
    osm_stops = {
        (f"{lat:.7f}", f"{lon:.7f}", t["name"])
        for lon, lat, t in osm.nodes.values()
        if t.get("highway") == "bus_stop"
    }
    gtfs_stops = {(s["stop_lat"], s["stop_lon"], s["stop_name"]) for s in feed["stops"]}
    assert gtfs_stops == osm_stops


def test_gtfs_services_and_calendar(demo: Generated) -> None:
    feed = _gtfs(demo.files.gtfs)
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    cal = {c["service_id"]: [c[d] for d in days] for c in feed["calendar"]}
    weekday = [s for s, v in cal.items() if v == ["1"] * 5 + ["0"] * 2]
    daily = [s for s, v in cal.items() if v == ["1"] * 7]
    assert weekday and daily
    assert {t["service_id"] for t in feed["trips"]} == set(weekday) | set(daily)
    removed = [d for d in feed["calendar_dates"] if d["exception_type"] == "2"]
    assert removed and {d["service_id"] for d in removed} <= set(cal)


def test_gtfs_timetable_matches_relations_and_speeds(demo: Generated, osm: Osm) -> None:
    feed = _gtfs(demo.files.gtfs)
    st = pd.DataFrame(feed["stop_times"])
    st["seq"] = st["stop_sequence"].astype(int)
    st["arr"] = st["arrival_time"].map(_seconds)
    st["dep"] = st["departure_time"].map(_seconds)
    st = st.sort_values(["trip_id", "seq"])
    trips = pd.DataFrame(feed["trips"]).set_index("trip_id")
    rel_by_ref = {t["ref"]: [ref for _, ref, _ in m] for m, t in osm.relations.values()}
    freq_trips = {f["trip_id"] for f in feed["frequencies"]}
    assert len({trips.loc[t, "route_id"] for t in freq_trips}) == 1  # one frequency route
    for f in feed["frequencies"]:
        assert (f["start_time"], f["end_time"]) == ("05:30:00", "21:00:00")
    lonlat = {f"S{n}": (lon, lat) for n, (lon, lat, _) in osm.nodes.items()}
    first_dep: dict[str, list[int]] = {}
    for trip_id, g in st.groupby("trip_id", sort=False):
        route = trips.loc[trip_id, "route_id"]
        direction = trips.loc[trip_id, "direction_id"]
        order = [int(s[1:]) for s in g["stop_id"]]
        expected = rel_by_ref[route] if direction == "0" else rel_by_ref[route][::-1]
        assert order == expected, trip_id
        assert list(g["seq"]) == list(range(1, len(g) + 1))
        arr, dep = g["arr"].to_numpy(), g["dep"].to_numpy()
        assert (dep >= arr).all() and (arr[1:] > dep[:-1]).all()
        assert (dep[1:-1] - arr[1:-1] == 20).all()  # dwell at intermediate stops
        ll = np.array([lonlat[s] for s in g["stop_id"]])
        crow_m = GEOD.inv(ll[:-1, 0], ll[:-1, 1], ll[1:, 0], ll[1:, 1])[2]
        speed_kmh = crow_m / (arr[1:] - dep[:-1]) * 3.6
        assert speed_kmh.max() <= 35.5  # the road is never shorter than the straight line
        total_kmh = crow_m.sum() / (arr[-1] - dep[0]) * 3.6
        assert 8 < total_kmh < 35
        first_dep.setdefault(f"{route}/{direction}", []).append(int(dep[0]))
    headways = set()
    for key, deps in first_dep.items():
        deps.sort()
        assert deps[0] == 5 * 3600 + 30 * 60, key
        assert deps[-1] <= 21 * 3600, key
        if len(deps) > 1:
            gaps = set(np.diff(deps).tolist())
            assert len(gaps) == 1, key  # one headway per route
            headways |= gaps
            assert deps[-1] + gaps.pop() > 21 * 3600, key  # runs until 21:00
    assert len(headways) >= 3


# --- tables ------------------------------------------------------------------------------------


def test_places_sit_on_the_osm_features(demo: Generated, osm: Osm) -> None:
    raw = demo.files.places.read_bytes()
    df = pd.read_csv(io.BytesIO(raw), dtype=str, encoding="utf-8")
    assert list(df.columns) == [
        "编号",
        "名称",
        "类型",
        "行业",
        "从业人数",
        "经度",
        "纬度",
        "坐标系",
        "地址",
        "备注",
    ]
    assert set(df["类型"]) == {"产业园区", "建材市场", "商场"}
    assert (df["坐标系"] == "GCJ-02").all()
    assert df["编号"].is_unique
    assert (df["从业人数"].astype(int) > 0).all()
    lon, lat = convert(df["经度"].astype(float), df["纬度"].astype(float), "gcj02", "wgs84")
    by_name_node = {t["name"]: (x, y) for x, y, t in osm.nodes.values() if "name" in t}
    by_name_park = {
        t["name"]: nodes for nodes, t in osm.ways.values() if t.get("landuse") == "industrial"
    }
    to_utm = Transformer.from_crs(4326, 32650, always_xy=True)
    for name, kind, x, y in zip(df["名称"], df["类型"], lon, lat, strict=True):
        if kind == "产业园区":
            ring = np.array([osm.nodes[n][:2] for n in by_name_park[name]])
            c = shapely.Polygon(np.column_stack(to_utm.transform(ring[:, 0], ring[:, 1]))).centroid
            px, py = to_utm.transform(x, y)
            assert np.hypot(px - c.x, py - c.y) < 1.0, name
        else:
            ox, oy = by_name_node[name]
            assert GEOD.inv(ox, oy, x, y)[2] < 0.5, name


def test_markets_directory(demo: Generated) -> None:
    raw = demo.files.markets.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(io.BytesIO(raw), dtype=str, encoding="utf-8-sig")
    header = [
        "编号",
        "名称",
        "类型",
        "地址",
        "经度",
        "纬度",
        "坐标系",
        "开放时间",
        "工种",
        "联系电话",
        "服务热线",
        "投诉渠道",
        "工作人员数",
        "容纳人数",
        "运营模式",
        "服务项目",
        "便民设施",
        "行政区划代码",
        "所属区县",
        "状态",
        "来源",
        "备注",
    ]
    assert list(df.columns) == header
    assert len(df) == demo.files.summary.markets == 6
    assert df["编号"].is_unique
    assert (df["类型"] == "综合性零工市场").sum() == 1
    assert (df["类型"] == "行业性零工市场").sum() == 1
    assert (df["类型"] == "零工服务站点").sum() == 4
    assert (df["坐标系"] == "GCJ-02").all() and (df["行政区划代码"] == "379901").all()
    assert all(re.fullmatch(r"0539-5550\d{3}", p) for p in df["联系电话"])
    assert all("、" in t for t in df["工种"])
    opens = [re.search(r"(\d{1,2}):(\d{2})", h) for h in df["开放时间"]]
    open_min = [int(m.group(1)) * 60 + int(m.group(2)) for m in opens if m]
    assert len(open_min) == 6
    assert sum(m >= 6 * 60 for m in open_min) == 1  # hidden by an "open at 05:00" filter
    assert sum(m <= 5 * 60 for m in open_min) >= 2
    # The sector market stands at the building-material market (within 100 m).
    places = pd.read_csv(demo.files.places, dtype=str)
    bm = places[places["类型"] == "建材市场"]
    sector = df[df["类型"] == "行业性零工市场"].iloc[0]
    d = GEOD.inv(
        bm["经度"].astype(float).to_numpy(),
        bm["纬度"].astype(float).to_numpy(),
        np.full(len(bm), float(sector["经度"])),
        np.full(len(bm), float(sector["纬度"])),
    )[2]
    assert d.min() < 100.0


def test_work_logs(demo: Generated) -> None:
    raw = demo.files.work_logs.read_bytes()
    df = pd.read_csv(io.BytesIO(raw), dtype=str, encoding="utf-8-sig")
    assert list(df.columns[:7]) == [
        "月份",
        "市场编号",
        "行业",
        "岗位数",
        "求职人数",
        "达成意向",
        "日工资中位数",
    ]
    markets = pd.read_csv(demo.files.markets, dtype=str, encoding="utf-8-sig")
    assert set(df["市场编号"]) == set(markets["编号"])
    assert sorted(set(df["月份"])) == [f"2024-{m:02d}" for m in range(1, 13)]
    n_ind = df["行业"].nunique()
    assert 5 <= n_ind <= 8
    assert len(df) == 12 * len(markets) * n_ind == demo.files.summary.work_log_rows
    assert not df.duplicated(["月份", "市场编号", "行业"]).any()
    post, seek, match = (df[c].astype(int) for c in ("岗位数", "求职人数", "达成意向"))
    wage = df["日工资中位数"].astype(int)
    assert (post > 0).all() and (seek > 0).all() and (match >= 0).all()
    assert (match <= np.minimum(post, seek)).all()
    assert wage.between(100, 500).all()
    s = demo.files.summary
    assert (post.sum(), seek.sum(), match.sum()) == (
        s.work_log_postings,
        s.work_log_seekers,
        s.work_log_matches,
    )
    # The comprehensive market is busier than any station.
    by_market = df.assign(p=post).groupby("市场编号")["p"].sum()
    comp = markets.loc[markets["类型"] == "综合性零工市场", "编号"].iloc[0]
    assert by_market[comp] == by_market.max()


def test_study_file(demo: Generated) -> None:
    study = tomllib.loads(demo.files.study.read_text("utf-8"))
    assert study == {
        "study": {"name": "示范县（合成示例数据）", "projection": "utm"},
        "area": {"path": "boundary.geojson", "coords": "gcj02"},
        "inputs": {
            "roads": {"path": "roads.osm.pbf"},
            "population": {"kind": "grid", "path": "population.tif", "aggregate_m": 250},
            "markets": {"path": "markets.csv", "coords": "gcj02"},
            "places": {"path": "places.csv", "coords": "gcj02"},
            "transit": {"kind": "gtfs", "path": "gtfs.zip"},
            "work_logs": {"path": "work_logs.csv"},
        },
        "outputs": {"dir": "../maps"},
    }
    base = demo.files.study.parent
    paths = [study["area"]["path"]] + [v["path"] for v in study["inputs"].values()]
    assert all((base / p).is_file() for p in paths)


# --- options and bad input ---------------------------------------------------------------------


def test_small_scale_is_a_smaller_county(tmp_path: Path) -> None:
    files = write_demo_inputs(tmp_path / "small", seed=7, scale=0.05, progress=True)
    feat = json.loads(files.boundary.read_text("utf-8"))["features"][0]
    area = _geod_area_km2(_gcj_to_wgs(_polygon(feat["geometry"])))
    assert area == pytest.approx(60.0, rel=0.01)
    with rasterio.open(files.population) as src:
        data = src.read(1)
    assert float(data[data != -99999].astype(np.float64).sum()) == pytest.approx(31_000, rel=1e-6)
    assert files.summary.villages == 8 and files.summary.townships == 9


@pytest.mark.parametrize("seed", [-1, 1.5, "42", True])
def test_bad_seed(tmp_path: Path, seed: object) -> None:
    with pytest.raises(InvalidValueError, match="seed must be a whole number"):
        write_demo_inputs(tmp_path, seed=seed)  # type: ignore[arg-type]


@pytest.mark.parametrize("scale", [0.0, -1.0, 10.0, float("nan"), "1"])
def test_bad_scale(tmp_path: Path, scale: object) -> None:
    with pytest.raises(InvalidValueError, match=r"scale must be a number from 0\.05 to 4"):
        write_demo_inputs(tmp_path, scale=scale)  # type: ignore[arg-type]


def test_out_dir_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "plain.txt"
    f.write_text("x")
    with pytest.raises(InputFileError, match="demo output folder is a file"):
        write_demo_inputs(f, scale=0.05)


def test_refuses_to_overwrite_real_inputs(tmp_path: Path) -> None:
    mine = tmp_path / "markets.csv"
    mine.write_text("编号,名称\nA,我的市场\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"markets\.csv, not written by `planner demo`") as e:
        write_demo_inputs(tmp_path, scale=0.05)
    assert isinstance(e.value, PlannerError) and "choose an empty or new folder" in str(e.value)
    assert mine.read_text(encoding="utf-8") == "编号,名称\nA,我的市场\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["markets.csv"]


# --- read back through planner's readers -------------------------------------------------------


def test_read_back_boundaries_and_population(demo: Generated) -> None:
    from planner.io.crs import StudyArea
    from planner.io.population import read_population_grid
    from planner.io.vector import read_boundaries

    county = read_boundaries(demo.files.boundary, coords="gcj02")
    towns = read_boundaries(demo.files.townships, coords="gcj02")
    assert list(county["code"]) == ["379901"] and len(towns) == 9
    area = StudyArea.from_units(county)
    assert area.crs.to_epsg() == 32650
    assert area.area_km2 == pytest.approx(demo.files.summary.area_km2, rel=1e-5)
    pop = read_population_grid(demo.files.population, area=area)
    assert pop["population"].sum() == pytest.approx(demo.files.summary.population_total, rel=1e-6)


def test_read_back_markets(demo: Generated) -> None:
    from planner.io.crs import StudyArea
    from planner.io.markets import read_markets
    from planner.io.vector import read_boundaries

    area = StudyArea.from_units(read_boundaries(demo.files.boundary, coords="gcj02"))
    m = read_markets(demo.files.markets, area=area)
    assert len(m) == 6
    assert sorted(m["tier"]) == ["comprehensive", "sector"] + ["station"] * 4
    assert m.crs == area.crs
    # Positions: the reader's GCJ-02 -> WGS-84 -> UTM equals ours done with pyproj here.
    raw = pd.read_csv(demo.files.markets, dtype=str, encoding="utf-8-sig")
    lon, lat = convert(raw["经度"].astype(float), raw["纬度"].astype(float), "gcj02", "wgs84")
    x, y = Transformer.from_crs(4326, area.crs, always_xy=True).transform(lon, lat)
    assert np.allclose(m.geometry.x, x, atol=0.01) and np.allclose(m.geometry.y, y, atol=0.01)


@pytest.fixture(scope="session")
def area(demo: Generated) -> StudyArea:
    from planner.io.vector import read_boundaries

    return StudyArea.from_units(read_boundaries(demo.files.boundary, coords="gcj02"))


def test_read_back_osm(demo: Generated, osm: Osm, area: StudyArea) -> None:
    from planner.io.osm import read_osm

    data = read_osm(demo.files.roads, area=area)
    assert data.crs == area.crs
    assert data.ways_missing_nodes == 0
    # Bus routes: the reader's stop lists are the relations' members as osmium sees them.
    rel = {rid: [ref for _, ref, _ in m] for rid, (m, _) in osm.relations.items()}
    assert len(data.bus_routes) == len(rel) == 12
    for row in data.bus_routes.itertuples():
        assert list(row.stop_node_ids) == rel[row.relation_id]
        assert row.n_stops_missing == 0
    # Places: as many of each kind as the tags osmium reads.
    kinds = data.places["kind"].value_counts().to_dict()
    node_tags = [t for *_, t in osm.nodes.values() if t]
    assert kinds["bus_stop"] == sum(t.get("highway") == "bus_stop" for t in node_tags)
    assert kinds["townhall"] == sum(t.get("amenity") == "townhall" for t in node_tags)
    assert kinds["mall"] == sum(t.get("shop") == "mall" for t in node_tags)
    assert kinds["industrial"] == sum(
        t.get("landuse") == "industrial" for _, t in osm.ways.values()
    )
    # Streets: the same total length as the highway ways measured here with pyproj.Geod.
    lon_a, lat_a, lon_b, lat_b = [], [], [], []
    for nodes, tags in osm.ways.values():
        if "highway" in tags:
            for u, v in itertools.pairwise(nodes):
                lon_a.append(osm.nodes[u][0])
                lat_a.append(osm.nodes[u][1])
                lon_b.append(osm.nodes[v][0])
                lat_b.append(osm.nodes[v][1])
    total_m = GEOD.inv(*(np.asarray(v) for v in (lon_a, lat_a, lon_b, lat_b)))[2].sum()
    assert data.streets["length_m"].sum() == pytest.approx(total_m, rel=1e-4)
    street_nodes = {n for nodes, t in osm.ways.values() if "highway" in t for n in nodes}
    assert set(data.nodes["osmid"].tolist()) <= street_nodes


def test_read_back_places(demo: Generated, osm: Osm, area: StudyArea) -> None:
    from planner.io.places import read_places

    places = read_places(demo.files.places, coords="gcj02", area=area)
    assert len(places) == demo.files.summary.places
    raw = pd.read_csv(demo.files.places, dtype=str)
    expected = {"产业园区": "industrial_park", "建材市场": "building_materials", "商场": "mall"}
    assert (
        places["kind"].value_counts().to_dict()
        == raw["类型"].map(expected).value_counts().to_dict()
    )
    # Malls and building-material markets land on their OSM nodes (projected here with pyproj).
    to_area = Transformer.from_crs(4326, area.crs, always_xy=True)
    by_name = {t["name"]: (x, y) for x, y, t in osm.nodes.values() if "name" in t}
    for row in places[places["kind"] != "industrial_park"].itertuples():
        x, y = to_area.transform(*by_name[row.name])
        assert np.hypot(row.geometry.x - x, row.geometry.y - y) < 1.0, row.name


def test_read_back_work_logs(demo: Generated, area: StudyArea) -> None:
    from planner.io.markets import read_markets
    from planner.io.worklogs import read_work_logs

    markets = read_markets(demo.files.markets, area=area)
    logs = read_work_logs(demo.files.work_logs, markets=markets)
    s = demo.files.summary
    assert len(logs) == s.work_log_rows
    assert (logs["postings"].sum(), logs["seekers"].sum(), logs["matches"].sum()) == (
        s.work_log_postings,
        s.work_log_seekers,
        s.work_log_matches,
    )
    assert set(logs["market_id"]) == set(markets["market_id"])


def test_read_back_gtfs(demo: Generated, area: StudyArea) -> None:
    from planner.io.transit import read_gtfs

    feed = read_gtfs(demo.files.gtfs, area=area)
    s = demo.files.summary
    assert len(feed.stops) == s.bus_stops
    assert len(feed.routes) == s.bus_routes == 12
    assert len(feed.patterns) == 24  # every route both ways, one stop sequence each
    assert len(feed.trips) == s.gtfs_trips
    assert len(feed.stop_times) == s.gtfs_stop_times
    assert feed.trips["frequency_based"].sum() == 2


def test_study_loads_through_planner(demo: Generated) -> None:
    from planner.inputs import load_inputs
    from planner.study import load_study

    study = load_study(demo.files.study)
    inputs = load_inputs(study)
    s = demo.files.summary
    assert inputs.area.area_km2 == pytest.approx(s.area_km2, rel=1e-5)
    assert inputs.population is not None and inputs.markets is not None
    assert inputs.population["population"].sum() == pytest.approx(s.population_total, rel=1e-6)
    assert len(inputs.markets) == s.markets
    assert inputs.roads is not None and len(inputs.roads.bus_routes) == s.bus_routes
    assert inputs.transit is not None and inputs.work_logs is not None
    assert inputs.places is not None and len(inputs.places) == s.places

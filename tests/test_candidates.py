"""Candidate sites per tier (planner/analysis/candidates/)."""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS, Transformer

from planner import settings
from planner.analysis.candidates import ANCHOR_KINDS, CANDIDATE_COLUMNS, candidate_sites
from planner.demo import write_demo_inputs
from planner.errors import CRSError, EmptyFileError, GeometryError, InvalidValueError, TransitError
from planner.io.crs import StudyArea
from planner.io.markets import read_markets
from planner.io.osm import read_osm
from planner.io.places import read_places
from planner.io.transit import TransitFeed, read_gtfs
from planner.io.vector import read_boundaries
from planner.network.graph import TravelGraph
from planner.network.streets import build_mode_graphs

UTM = 32651
X0, Y0 = 500_000.0, 4_150_000.0  # UTM 51N, near Yantai

# --------------------------------------------------------------------------------------
# A tiny GTFS feed, built by hand
# --------------------------------------------------------------------------------------
#
#   C (1000, 1000)        D (2000, 1000)
#
#   A (0, 0) --- H1 (1000, 0) --- X (2000, 0) --- B (3000, 0)
#                H2 (1000, 30)   <- the other side of the road, 30 m away
#
# R1: A -> H1 -> X -> B       06:00
# R2: C -> H1 -> X            06:10
# R3: D -> H2 -> A            06:20
# R4: D -> X -> B             10:00  (outside the 05:00-09:00 window)
#
# In the window: H1 has R1, R2; H2 has R3 -> merged within 50 m: 3 routes -> hub.
# X has R1, R2 (2 routes; R4 runs at 10:00) -> not a hub; with every route, 3 -> hub.
# Terminals (first/last stops of running patterns): A, B, C, X, D.

_STOPS = {
    "A": (0.0, 0.0),
    "H1": (1000.0, 0.0),
    "H2": (1000.0, 30.0),
    "X": (2000.0, 0.0),
    "B": (3000.0, 0.0),
    "C": (1000.0, 1000.0),
    "D": (2000.0, 1000.0),
}
_TRIPS = {
    "R1": ("06:00:00", ["A", "H1", "X", "B"]),
    "R2": ("06:10:00", ["C", "H1", "X"]),
    "R3": ("06:20:00", ["D", "H2", "A"]),
    "R4": ("10:00:00", ["D", "X", "B"]),
}


def _gtfs(tmp_path: Path) -> Path:
    to_ll = Transformer.from_crs(UTM, 4326, always_xy=True)
    stops = []
    for sid, (dx, dy) in _STOPS.items():
        lon, lat = to_ll.transform(X0 + dx, Y0 + dy)
        stops.append(f"{sid},stop {sid},{lat:.9f},{lon:.9f}")
    stop_times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    for route, (start, seq) in _TRIPS.items():
        h, m, _ = (int(v) for v in start.split(":"))
        for k, sid in enumerate(seq):
            t = f"{h:02d}:{m + 2 * k:02d}:00"
            stop_times.append(f"T{route},{t},{t},{sid},{k + 1}")
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,A,http://a,Asia/Shanghai\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n" + "\n".join(stops) + "\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_type\n"
        + "".join(f"{r},A,{r},3\n" for r in _TRIPS),
        "trips.txt": "route_id,service_id,trip_id,direction_id\n"
        + "".join(f"{r},D,T{r},0\n" for r in _TRIPS),
        "stop_times.txt": "\n".join(stop_times) + "\n",
        "calendar.txt": (
            "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
            "D,1,1,1,1,1,1,1,20240101,20241231\n"
        ),
    }
    p = tmp_path / "feed.zip"
    with zipfile.ZipFile(p, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return p


@pytest.fixture
def feed(tmp_path: Path) -> TransitFeed:
    return read_gtfs(_gtfs(tmp_path), crs=CRS.from_epsg(UTM))


def _rows(c: gpd.GeoDataFrame, columns: list[str]) -> list[list[object]]:
    """Rows as lists, missing values as None."""
    frame = c[columns].astype(object)
    return [[None if v is pd.NA else v for v in row] for row in frame.values.tolist()]


def _by_kind(c: gpd.GeoDataFrame, kind: str) -> dict[str, int]:
    sub = c[c["anchor_kind"] == kind]
    return dict(zip(sub["source_id"], sub["n_routes"].astype(int), strict=True))


def test_hub_detection_in_window(feed: TransitFeed) -> None:
    c = candidate_sites("comprehensive", feed=feed, date="2024-03-04")
    assert list(c.columns) == [*CANDIDATE_COLUMNS, "geometry"]
    # one hub: H1 (2 routes) with H2 (1 route) 30 m away -> 3 routes, at H1
    assert _by_kind(c, "transit_hub") == {"H1": 3}
    hub = c[c["anchor_kind"] == "transit_hub"].iloc[0]
    assert hub["anchor_name"] == "stop H1"
    assert hub.geometry.distance(shapely.Point(X0 + 1000, Y0)) < 0.01
    # terminals with the routes of their stop: A (R1, R3), B (R1), C (R2), X (R1, R2), D (R3)
    assert _by_kind(c, "bus_station") == {"A": 2, "B": 1, "C": 1, "X": 2, "D": 1}
    assert set(c["source"]) == {"transit"}
    assert c["candidate_id"].tolist() == [f"C-comp-{k:04d}" for k in range(1, 7)]
    assert str(c.crs.to_epsg()) == str(UTM)


def test_hub_needs_routes_running_in_window(feed: TransitFeed) -> None:
    # without a date every route counts: X has R1, R2, R4 -> a hub (and still a terminal,
    # merged into the hub); B gains R4 too; D also starts R4.
    c = candidate_sites("comprehensive", feed=feed)
    assert _by_kind(c, "transit_hub") == {"H1": 3, "X": 3}
    x = c[c["source_id"] == "X"].iloc[0]
    assert x["merged"] == "bus_station:stop X"
    assert _by_kind(c, "bus_station") == {"A": 2, "B": 2, "C": 1, "D": 2}
    # a window with R4 only: no stop has 3 routes
    late = candidate_sites("comprehensive", feed=feed, date="2024-03-04", window=("09:30", "11:00"))
    assert _by_kind(late, "transit_hub") == {}
    assert set(_by_kind(late, "bus_station")) == {"D", "B"}


def test_hub_min_routes_and_merge_distance(feed: TransitFeed) -> None:
    c = candidate_sites("comprehensive", feed=feed, date="2024-03-04", hub_min_routes=2)
    # A (R1, R3) and X (R1, R2) become hubs; H1 cluster (3) stays a hub
    assert _by_kind(c, "transit_hub") == {"H1": 3, "A": 2, "X": 2}
    # merge_m below 30 m: H1 and H2 are separate stops, H1 has only 2 routes
    c = candidate_sites("comprehensive", feed=feed, date="2024-03-04", merge_m=20)
    assert _by_kind(c, "transit_hub") == {}


def test_no_service_on_date_is_an_error(feed: TransitFeed) -> None:
    with pytest.raises(TransitError, match="no bus service between 05:00 and 09:00 on 2025-03-03"):
        candidate_sites("comprehensive", feed=feed, date="2025-03-03")


# --------------------------------------------------------------------------------------
# Merging by hand
# --------------------------------------------------------------------------------------


def _osm(rows: list[tuple[str, str, shapely.Geometry]], crs: int = UTM) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "osm_type": ["node"] * len(rows),
            "osm_id": list(range(1, len(rows) + 1)),
            "kind": [r[0] for r in rows],
            "name": [r[1] for r in rows],
        },
        geometry=[r[2] for r in rows],
        crs=crs,
    )


def _pt(x: float, y: float = 0.0) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def test_merge_keeps_most_specific_and_does_not_chain() -> None:
    osm = _osm(
        [
            ("community_centre", "甲社区服务中心", _pt(0)),
            ("community_centre", "甲社区党群服务中心", _pt(30)),  # 30 m: merged, wins
            ("community_centre", "乙社区服务中心", _pt(500)),
            ("community_centre", "丙社区服务中心", _pt(540)),  # 40 m from 乙: merged
            ("community_centre", "丁社区服务中心", _pt(580)),  # 80 m from 乙: kept
            ("community_centre", "某村村民委员会", _pt(2000)),
            ("townhall", "某镇人民政府", _pt(4000)),  # not a station anchor
        ]
    )
    c = candidate_sites("station", osm_places=osm)
    got = _rows(c, ["anchor_kind", "anchor_name", "merged"])
    # ids follow ANCHOR_KINDS order (party, village, community), then name
    assert got == [
        ["party_service_centre", "甲社区党群服务中心", "community_centre:甲社区服务中心"],
        ["village_committee", "某村村民委员会", None],
        ["community_centre", "丁社区服务中心", None],
        ["community_centre", "乙社区服务中心", "community_centre:丙社区服务中心"],
    ]
    assert c.geometry.iloc[0].distance(_pt(30)) < 1e-6
    # a market of the tier at the party centre wins over it
    markets = gpd.GeoDataFrame(
        {"market_id": ["M1"], "name": ["甲社区零工驿站"], "tier": ["station"], "status": ["open"]},
        geometry=[_pt(35)],
        crs=UTM,
    )
    c2 = candidate_sites("station", osm_places=osm, markets=markets)
    first = c2.iloc[0]
    assert (first["anchor_kind"], first["source"], first["source_id"]) == (
        "existing_market",
        "markets",
        "M1",
    )
    assert first["merged"] == (
        "party_service_centre:甲社区党群服务中心; community_centre:甲社区服务中心"
    )
    assert len(c2) == 4


def test_closed_and_other_tier_markets_are_not_candidates() -> None:
    markets = gpd.GeoDataFrame(
        {
            "market_id": ["M1", "M2", "M3", "M4"],
            "name": ["甲零工市场", "乙零工市场", "丙驿站", "某县人力资源市场"],
            "tier": ["comprehensive", "comprehensive", "station", "station"],
            "status": ["open", "closed", "open", "unknown"],
        },
        geometry=[_pt(0), _pt(1000), _pt(2000), _pt(3000)],
        crs=UTM,
    )
    c = candidate_sites("comprehensive", markets=markets)
    # M1 exists; M2 is closed; M3 is a station; M4's name marks an employment centre
    assert c[["anchor_kind", "source_id"]].values.tolist() == [
        ["existing_market", "M1"],
        ["employment_centre", "M4"],
    ]
    # plain Python strings, as from the other sources (np.str_ shows up in every repr)
    assert {type(k) for k in c["anchor_kind"]} == {str}


def test_sector_candidates_from_places_and_osm_polygons(tmp_path: Path) -> None:
    to_ll = Transformer.from_crs(UTM, 4326, always_xy=True)
    rows = [
        ("甲工业园", "产业园区", "制造业", 800.0, 800.0),
        ("乙建材城", "建材市场", "", 5000.0, 0.0),
        ("丙物流园", "产业园区", "物流、制造业", 9000.0, 0.0),
        ("丁社区服务中心", "社区服务中心", "", 7000.0, 0.0),
    ]
    lines = ["名称,类型,行业,经度,纬度"]
    for name, kind, sector, dx, dy in rows:
        lon, lat = to_ll.transform(X0 + dx, Y0 + dy)
        lines.append(f"{name},{kind},{sector},{lon:.9f},{lat:.9f}")
    path = tmp_path / "places.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    places = read_places(path, coords="wgs84", crs=UTM)
    # an OSM industrial polygon around 甲工业园 (its point_on_surface is far from the
    # table's point) and a lone OSM mall polygon
    osm = _osm(
        [
            ("industrial", "甲工业园", shapely.box(X0, Y0, X0 + 2000, Y0 + 1000)),
            ("mall", "戊商场", shapely.box(X0 + 3000, Y0, X0 + 3100, Y0 + 100)),
            ("community_centre", "己社区服务中心", _pt(6000)),
        ]
    )
    c = candidate_sites("sector", places=places, osm_places=osm)
    got = _rows(c, ["anchor_kind", "anchor_name", "sector", "source", "merged"])
    assert got == [
        ["industrial_park", "丙物流园", "logistics", "places", None],
        ["industrial_park", "甲工业园", "manufacturing", "places", "industrial_park:甲工业园"],
        ["building_materials", "乙建材城", "construction", "places", None],
        ["mall", "戊商场", "commerce", "osm", None],
    ]
    # a table place's candidate is its site point
    for _, row in c[c["source"] == "places"].iterrows():
        site = places.loc[places["name"] == row["anchor_name"], "site_point"].iloc[0]
        assert row.geometry.distance(site) < 1e-6
    # the mall polygon's candidate lies inside it
    mall = c[c["anchor_name"] == "戊商场"].geometry.iloc[0]
    assert osm.geometry.iloc[1].contains(mall)
    # one sector: places whose sectors hold it (丙物流园 lists 物流 first, then 制造业)
    manu = candidate_sites("sector", places=places, osm_places=osm, sector="manufacturing")
    assert sorted(manu["anchor_name"]) == ["丙物流园", "甲工业园"]
    assert set(manu["sector"]) == {"manufacturing"}
    logi = candidate_sites("sector", places=places, sector="logistics")
    assert logi["anchor_name"].tolist() == ["丙物流园"]


# --------------------------------------------------------------------------------------
# Street points against a brute-force search
# --------------------------------------------------------------------------------------


def _graph(xy: np.ndarray) -> TravelGraph:
    n = len(xy)
    u = np.arange(n - 1)
    return TravelGraph.from_edges(
        "walk", np.arange(n) + 1000, xy[:, 0], xy[:, 1], u, u + 1, np.ones(n - 1), crs=UTM
    )


def _brute_street_points(xy: np.ndarray, spacing: float, skip: set[tuple[int, int]]) -> set[int]:
    chosen: set[int] = set()
    lo = np.floor(xy.min(axis=0) / spacing).astype(int) - 1
    hi = np.floor(xy.max(axis=0) / spacing).astype(int) + 1
    for cx in range(lo[0], hi[0] + 1):
        for cy in range(lo[1], hi[1] + 1):
            if (cx, cy) in skip:
                continue
            centre = np.array([(cx + 0.5) * spacing, (cy + 0.5) * spacing])
            d = np.sqrt(((xy - centre) ** 2).sum(axis=1))
            k = int(np.argmin(d))
            if d[k] <= spacing / 2:
                chosen.add(k)
    return chosen


def test_street_points_match_brute_force() -> None:
    rng = np.random.default_rng(7)
    xy = np.column_stack([X0 + rng.uniform(0, 4000, 600), Y0 + rng.uniform(0, 3000, 600)])
    walk = _graph(xy)
    c = candidate_sites("station", walk=walk, street_spacing_m=500, merge_m=0)
    assert set(c["anchor_kind"]) == {"street_point"}
    got = {int(s) - 1000 for s in c["source_id"]}
    assert got == _brute_street_points(xy, 500.0, set())
    for _, row in c.iterrows():
        k = int(row["source_id"]) - 1000
        assert row.geometry.distance(shapely.Point(xy[k])) < 1e-6
    # a grid cell holding a community venue gets no street point
    venue = xy[0] + np.array([1.0, 1.0])
    cell = (int(np.floor(venue[0] / 500)), int(np.floor(venue[1] / 500)))
    osm = _osm([("community_centre", "某社区服务中心", shapely.Point(venue))])
    c2 = candidate_sites("station", walk=walk, osm_places=osm, street_spacing_m=500, merge_m=0)
    got2 = {int(s) - 1000 for s in c2.loc[c2["source"] == "street", "source_id"]}
    assert got2 == _brute_street_points(xy, 500.0, {cell})
    assert len(got2) == len(got) - 1


def test_street_point_spacing_and_sparse_cells() -> None:
    # X0, Y0 are multiples of 1,000 m, so grid cells start there.
    # node 1000 at (20, 20): 500 m grid, centre (250, 250) is 230·√2 = 325 m away (> 250)
    # -> no candidate; 1,000 m grid, centre (500, 500) is 679 m away (> 500) -> none.
    # node 1001 at (5240, 5260): 500 m grid, centre (5250, 5250) 14 m away -> chosen;
    # 1,000 m grid, centre (5500, 5500) √(260² + 240²) = 354 m away (< 500) -> chosen.
    xy = np.array([[X0 + 20.0, Y0 + 20.0], [X0 + 5240.0, Y0 + 5260.0]])
    for spacing in (500, 1000):
        c = candidate_sites("station", walk=_graph(xy), street_spacing_m=spacing)
        assert c["source_id"].tolist() == ["1001"], spacing
        assert c["anchor_name"].isna().all()
    # a 100 m grid: node 1000 is 30·√2 = 42 m from (50, 50) -> chosen too
    c = candidate_sites("station", walk=_graph(xy), street_spacing_m=100)
    assert sorted(c["source_id"]) == ["1000", "1001"]


# --------------------------------------------------------------------------------------
# User sites and exclusions
# --------------------------------------------------------------------------------------


def _three_centres() -> gpd.GeoDataFrame:
    return _osm(
        [
            ("community_centre", "甲社区服务中心", _pt(0)),
            ("community_centre", "乙社区服务中心", _pt(1000)),
            ("community_centre", "丙社区服务中心", _pt(2000)),
        ]
    )


def test_user_sites_merge_and_keep_other_ids() -> None:
    osm = _three_centres()
    base = candidate_sites("station", osm_places=osm)
    assert base[["candidate_id", "anchor_name"]].values.tolist() == [
        ["C-stat-0001", "丙社区服务中心"],
        ["C-stat-0002", "乙社区服务中心"],
        ["C-stat-0003", "甲社区服务中心"],
    ]
    add = gpd.GeoDataFrame(
        {"anchor_name": ["新址", "远址"]}, geometry=[_pt(1020), _pt(5000)], crs=UTM
    )
    c = candidate_sites("station", osm_places=osm, add=add)
    assert _rows(c, ["candidate_id", "anchor_kind", "anchor_name", "source", "merged"]) == [
        ["C-stat-U001", "user", "新址", "user", "community_centre:乙社区服务中心"],
        ["C-stat-U002", "user", "远址", "user", None],
        ["C-stat-0001", "community_centre", "丙社区服务中心", "osm", None],
        ["C-stat-0003", "community_centre", "甲社区服务中心", "osm", None],
    ]
    # exclusion by id and by name
    ex = candidate_sites("station", osm_places=osm, exclude=["C-stat-0001", "甲社区服务中心"])
    assert ex["candidate_id"].tolist() == ["C-stat-0002"]


def test_user_site_errors() -> None:
    osm = _three_centres()
    line = gpd.GeoDataFrame(geometry=[shapely.LineString([_pt(0), _pt(10)])], crs=UTM)
    with pytest.raises(GeometryError, match="user site at index 0 is not a point"):
        candidate_sites("station", osm_places=osm, add=line)
    taken = gpd.GeoDataFrame({"candidate_id": ["C-stat-0002"]}, geometry=[_pt(9000)], crs=UTM)
    with pytest.raises(InvalidValueError, match=r"'C-stat-0002'.*already used by a generated"):
        candidate_sites("station", osm_places=osm, add=taken)
    kind = gpd.GeoDataFrame({"anchor_kind": ["castle"]}, geometry=[_pt(9000)], crs=UTM)
    with pytest.raises(InvalidValueError, match="unknown anchor_kind 'castle'"):
        candidate_sites("station", osm_places=osm, add=kind)
    with pytest.raises(InvalidValueError, match="add must be a GeoDataFrame"):
        candidate_sites("station", osm_places=osm, add=[(0, 0)])  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="exclude: '丁社区' matches no candidate_id"):
        candidate_sites("station", osm_places=osm, exclude=["丁社区"])


# --------------------------------------------------------------------------------------
# Other errors
# --------------------------------------------------------------------------------------


def test_unknown_tier_and_bad_numbers() -> None:
    osm = _three_centres()
    with pytest.raises(InvalidValueError, match=r"unknown tier 'market'.*comprehensive, sector"):
        candidate_sites("market", osm_places=osm)
    with pytest.raises(InvalidValueError, match="merge_m must be a number of metres"):
        candidate_sites("station", osm_places=osm, merge_m=-1)
    with pytest.raises(InvalidValueError, match="street_spacing_m must be > 0"):
        candidate_sites("station", osm_places=osm, street_spacing_m=0)
    with pytest.raises(InvalidValueError, match="hub_min_routes must be at least 1"):
        candidate_sites("comprehensive", osm_places=osm, hub_min_routes=0)
    with pytest.raises(InvalidValueError, match="sector='construction' is not a sector"):
        candidate_sites("station", osm_places=osm, sector="construction")


def test_crs_errors() -> None:
    osm = _three_centres()
    other = _osm([("community_centre", "某村委会", shapely.Point(118.6, 36.2))], crs=4326)
    with pytest.raises(CRSError, match="CRS mismatch: markets is in WGS 84 but osm_places"):
        candidate_sites("station", osm_places=osm, markets=other)
    with pytest.raises(CRSError, match="osm_places is in WGS 84, not a projected CRS"):
        candidate_sites("station", osm_places=other)
    none = _three_centres().set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="osm_places has no CRS"):
        candidate_sites("station", osm_places=none)
    area = StudyArea.from_bbox(118.5, 36.1, 118.7, 36.3)  # UTM 50N, the sites are in 51N
    with pytest.raises(CRSError, match="CRS mismatch: osm_places is in WGS 84 / UTM zone 51N"):
        candidate_sites("station", area=area, osm_places=osm)


def test_empty_results_say_what_to_give() -> None:
    townhall = _osm([("townhall", "某镇人民政府", _pt(0))])
    with pytest.raises(
        EmptyFileError,
        match=r"no candidate for tier station\. Fix: give community centres or a walk",
    ):
        candidate_sites("station", osm_places=townhall)
    with pytest.raises(EmptyFileError, match=r"tier sector\. Fix: give places"):
        candidate_sites("sector", osm_places=townhall)
    with pytest.raises(EmptyFileError, match="no input given"):
        candidate_sites("comprehensive")


# --------------------------------------------------------------------------------------
# The demo county
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    d = write_demo_inputs(tmp_path_factory.mktemp("demo"), scale=0.3)
    area = StudyArea.from_units(read_boundaries(d.boundary, coords="gcj02"))
    osm = read_osm(d.roads, area=area)
    return {
        "area": area,
        "osm_places": osm.places,
        "feed": read_gtfs(d.gtfs, area=area),
        "places": read_places(d.places, coords=None, area=area),
        "markets": read_markets(d.markets, area=area),
        "walk": build_mode_graphs(osm.streets, osm.nodes, modes=("walk",))["walk"],
    }


def test_demo_county_every_tier(demo: dict[str, object], caplog: pytest.LogCaptureFixture) -> None:
    area = demo["area"]
    assert isinstance(area, StudyArea)
    places = demo["places"]
    assert isinstance(places, gpd.GeoDataFrame)
    result = {}
    with caplog.at_level(logging.INFO, logger="planner.analysis.candidates"):
        for tier in settings.TIERS:
            result[tier] = candidate_sites(tier, date="2024-03-04", **demo)  # type: ignore[arg-type]
    for tier, c in result.items():
        assert len(c) > 0, tier
        assert c["candidate_id"].is_unique
        prefix = {"comprehensive": "comp", "sector": "sect", "station": "stat"}[tier]
        assert all(re.fullmatch(rf"C-{prefix}-\d{{4}}", i) for i in c["candidate_id"])
        assert set(c["anchor_kind"]) <= set(ANCHOR_KINDS)
        assert (c["tier"] == tier).all()
        assert c.crs == area.crs
        assert (area.distance_outside_m(c.geometry.values) == 0).all()
        # no two candidates closer than merge_m
        xy = np.column_stack([c.geometry.x, c.geometry.y])
        d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
        np.fill_diagonal(d, np.inf)
        assert d.min() > settings.CANDIDATE_MERGE_M
    comp, sector, station = result["comprehensive"], result["sector"], result["station"]
    assert {"transit_hub", "bus_station", "town_centre", "existing_market"} <= set(
        comp["anchor_kind"]
    )
    # the demo's comprehensive market is a candidate
    assert "SF-LG-001" in set(comp["source_id"])
    # every sector candidate of the places table is at its place's site point
    site = dict(zip(places["place_id"], places["site_point"], strict=True))
    from_places = sector[sector["source"] == "places"]
    assert len(from_places) > 0
    for _, row in from_places.iterrows():
        assert row.geometry.distance(site[row["source_id"]]) < 1.0
    # and every industrial park / building-material market / mall has a candidate within
    # merge_m of its site point (its own, or the market it was merged into)
    anchors = places[places["kind"] != "community_centre"]
    for sp in anchors["site_point"]:
        assert sector.distance(sp).min() <= settings.CANDIDATE_MERGE_M
    # stations: community venues and street points, runs repeatably
    assert {"party_service_centre", "street_point"} <= set(station["anchor_kind"])
    again = candidate_sites("station", date="2024-03-04", **demo)  # type: ignore[arg-type]
    assert again.drop(columns="geometry").equals(station.drop(columns="geometry"))
    assert again.geometry.geom_equals(station.geometry).all()


@pytest.mark.realdata
def test_yantai_hubs_match_a_pandas_count(shared_data: Path) -> None:
    """Hubs of the real Yantai route tables, checked against a plain pandas count."""
    from planner.io.transit import read_route_tables

    d = shared_data / "yantai-bus"
    feed = read_route_tables(
        d / "yantai_bus_lines.csv",
        d / "yantai_bus_stations.csv",
        d / "yantai_bus_line_stations.csv",
        on_unknown_stop="drop",
    )
    date = "2024-03-04"
    c = candidate_sites("comprehensive", feed=feed, date=date, merge_m=0)
    # independently: routes running in the window per stop location (stops at identical
    # coordinates are one place), hubs where >= 3 routes meet
    running = set(feed.headways(date, *settings.TRANSIT_WINDOW)["pattern_id"])
    pats = feed.patterns[feed.patterns["pattern_id"].isin(running)]
    long = pats[["route_id", "stop_ids"]].explode("stop_ids").rename(columns={"stop_ids": "stop"})
    stops = feed.stops.assign(x=feed.stops.geometry.x, y=feed.stops.geometry.y)
    long = long.merge(stops[["stop_id", "x", "y"]], left_on="stop", right_on="stop_id")
    per_place = long.groupby(["x", "y"])["route_id"].nunique()
    hubs = per_place[per_place >= 3]
    assert len(hubs) > 100
    got = c[c["anchor_kind"] == "transit_hub"]
    assert len(got) == len(hubs)
    got_routes = dict(
        zip(zip(got.geometry.x, got.geometry.y, strict=True), got["n_routes"], strict=True)
    )
    assert got_routes == {k: int(v) for k, v in hubs.items()}
    # terminals: first/last stop locations that are not hubs (a hub absorbs its terminal)
    ends = {(s[0], s[-1]) for s in pats["stop_ids"]}
    end_ids = {e for pair in ends for e in pair}
    end_xy = set(map(tuple, stops.loc[stops["stop_id"].isin(end_ids), ["x", "y"]].to_numpy()))
    expected_terminals = end_xy - set(hubs.index)
    got_terminals = c[c["anchor_kind"] == "bus_station"]
    assert set(zip(got_terminals.geometry.x, got_terminals.geometry.y, strict=True)) == (
        expected_terminals
    )

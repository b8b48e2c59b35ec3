"""Tests of planner.io.osm: OSM XML/PBF, edge lists and the optional download.

The OSM inputs are written by hand in the tests (a few nodes, ways and relations with
known geometry), as XML and, through pyosmium's writer, as PBF. Expected values are
worked out by hand from that data (which nodes are shared, which way is one-way) or
recomputed here independently (haversine with ``math``, polygon areas with
``pyproj.Geod``, connected components with networkx).
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import json
import logging
import math
import os
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS, Geod, Transformer

from planner.errors import (
    CoordinateError,
    DependencyError,
    DuplicateIdError,
    EmptyFileError,
    InputFileError,
    InvalidValueError,
    MissingFileError,
    PlannerError,
)
from planner.io.crs import StudyArea
from planner.io.osm import (
    BUS_ROUTE_COLUMNS,
    PLACE_COLUMNS,
    STREET_COLUMNS,
    normalise_oneway,
    parse_maxspeed,
    place_kind,
    read_edge_list,
    read_osm,
    read_osm_download,
)
from planner.io.osm._download import _write_overpass_json

# --- a hand-made OSM extract ---------------------------------------------------------------

Tags = dict[str, str]

#: node id -> (lon, lat, tags)
NODES: dict[int, tuple[float, float, Tags]] = {
    # streets
    1: (122.000, 37.500, {}),
    2: (122.001, 37.5002, {}),
    3: (122.002, 37.500, {}),
    4: (122.003, 37.500, {}),
    5: (122.002, 37.501, {}),
    6: (122.002, 37.499, {}),
    7: (122.004, 37.500, {}),
    8: (122.0045, 37.5005, {}),
    9: (122.0045, 37.4995, {}),
    10: (122.010, 37.500, {}),
    11: (122.012, 37.5003, {}),
    12: (122.006, 37.503, {}),
    13: (122.007, 37.503, {}),
    14: (122.007, 37.504, {}),
    20: (122.000, 37.502, {}),
    21: (122.001, 37.502, {}),
    22: (122.003, 37.502, {}),
    23: (122.004, 37.5025, {}),
    24: (122.005, 37.502, {}),
    # places and stops
    30: (122.0011, 37.5002, {"highway": "bus_stop", "name": "幸福路站"}),
    31: (122.0031, 37.5002, {"public_transport": "platform", "bus": "yes", "name": "北站"}),
    32: (122.0051, 37.5001, {"amenity": "bus_station", "name": "汽车站"}),
    33: (122.0061, 37.5001, {"shop": "doityourself"}),
    34: (122.0071, 37.5001, {"shop": "trade", "trade": "building_supplies", "name": "建材城"}),
    35: (
        122.0081,
        37.5001,
        {"amenity": "social_facility", "social_facility:for": "community", "name": "社区"},
    ),
    36: (122.0091, 37.5001, {"amenity": "townhall", "name": "街道办"}),
    37: (122.0101, 37.5001, {"shop": "department_store"}),
    38: (122.0111, 37.5001, {"shop": "trade"}),  # no trade=building_supplies: not a place
    39: (122.0009, 37.5001, {"public_transport": "stop_position", "bus": "yes"}),
    # closed way 201 (industrial), 202 (mall)
    40: (122.020, 37.510, {}),
    41: (122.022, 37.510, {}),
    42: (122.022, 37.512, {}),
    43: (122.020, 37.512, {}),
    44: (122.030, 37.510, {}),
    45: (122.031, 37.510, {}),
    46: (122.031, 37.511, {}),
    47: (122.030, 37.511, {}),
    # multipolygon 301: outer 203, inner 204
    50: (122.040, 37.510, {}),
    51: (122.044, 37.510, {}),
    52: (122.044, 37.514, {}),
    53: (122.040, 37.514, {}),
    54: (122.041, 37.511, {}),
    55: (122.042, 37.511, {}),
    56: (122.042, 37.512, {}),
    57: (122.041, 37.512, {}),
    # open ways 205 (marketplace), 206 (bus platform)
    60: (122.050, 37.510, {}),
    61: (122.052, 37.510, {}),
    62: (122.060, 37.510, {}),
    63: (122.060, 37.5102, {}),
}

#: way id -> (node ids, tags); nodes 998 and 999 are missing from the file (clipped).
WAYS: dict[int, tuple[list[int], Tags]] = {
    101: (
        [1, 2, 3, 4],
        {"highway": "residential", "name": "幸福路", "oneway": "true", "maxspeed": "30 mph"},
    ),
    102: ([6, 3, 5], {"highway": "primary", "maxspeed": "50", "foot": "no", "bicycle": "yes"}),
    103: (
        [7, 8, 9, 7],
        {"highway": "tertiary", "junction": "roundabout", "maxspeed": "CN:urban"},
    ),
    104: ([4, 7], {"highway": "service", "oneway": "reverse", "access": "private"}),
    105: ([10, 11], {"highway": "motorway", "maxspeed": "120 km/h"}),
    106: ([1, 5], {"highway": "proposed"}),
    107: ([12, 13, 14, 12], {"highway": "pedestrian", "area": "yes"}),
    108: ([20, 21, 999, 22, 23], {"highway": "residential", "oneway:bicycle": "no"}),
    109: ([998, 24], {"highway": "residential"}),
    110: ([21, 22], {"highway": "motorway", "oneway": "no", "motor_vehicle": "no"}),
    201: ([40, 41, 42, 43, 40], {"landuse": "industrial", "name": "工业园"}),
    202: ([44, 45, 46, 47, 44], {"shop": "mall", "landuse": "retail", "name": "万达"}),
    203: ([50, 51, 52, 53, 50], {}),
    204: ([54, 55, 56, 57, 54], {}),
    205: ([60, 61], {"amenity": "marketplace", "name": "早市"}),
    206: ([62, 63], {"public_transport": "platform", "bus": "yes"}),
}

#: relation id -> (members (type, ref, role), tags)
RELATIONS: dict[int, tuple[list[tuple[str, int, str]], Tags]] = {
    301: (
        [("w", 203, "outer"), ("w", 204, "inner")],
        {"type": "multipolygon", "landuse": "commercial", "name": "商业区"},
    ),
    401: (
        [
            ("n", 39, "stop"),
            ("n", 30, "platform"),
            ("w", 101, ""),
            ("n", 31, "platform"),
            ("n", 999, "stop_exit_only"),
        ],
        {
            "type": "route",
            "route": "bus",
            "ref": "1",
            "name": "1路",
            "from": "火车站",
            "to": "北站",
            "operator": "威海公交",
        },
    ),
    402: (
        [("n", 31, "forward"), ("n", 30, ""), ("n", 32, ""), ("w", 102, "")],
        {"type": "route", "route": "bus", "ref": "2"},
    ),
    403: ([("n", 30, "stop")], {"type": "route", "route": "train"}),
}

#: Edges (way_id, u, v) worked out by hand: way 101 splits at node 3 (shared with 102) but
#: not at node 2; 104 joins 4 and 7; the roundabout is a loop at 7; 108 is split at the
#: missing node 999 and at 21 and 22 (shared with 110); 109 keeps one node: no edge.
EXPECTED_EDGES = {
    (101, 1, 3),
    (101, 3, 4),
    (102, 6, 3),
    (102, 3, 5),
    (103, 7, 7),
    (104, 4, 7),
    (105, 10, 11),
    (108, 20, 21),
    (108, 22, 23),
    (110, 21, 22),
}


def osm_xml(
    nodes: Mapping[int, tuple[float, float, Tags]] = NODES,
    ways: Mapping[int, tuple[Sequence[int], Tags]] = WAYS,
    relations: Mapping[int, tuple[Sequence[tuple[str, int, str]], Tags]] = RELATIONS,
) -> str:
    """OSM XML text of the given objects, sorted as in a real extract."""
    kind = {"n": "node", "w": "way", "r": "relation"}

    def tags(t: Tags) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in t.items())

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lon, lat, t) in sorted(nodes.items()):
        lines.append(f'<node id="{nid}" lon="{lon}" lat="{lat}">{tags(t)}</node>')
    for wid, (refs, t) in sorted(ways.items()):
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        lines.append(f'<way id="{wid}">{nds}{tags(t)}</way>')
    for rid, (members, t) in sorted(relations.items()):
        ms = "".join(
            f'<member type="{kind[m]}" ref="{r}" role={quoteattr(role)}/>' for m, r, role in members
        )
        lines.append(f'<relation id="{rid}">{ms}{tags(t)}</relation>')
    lines.append("</osm>")
    return "\n".join(lines)


def write_pbf(
    path: Path,
    nodes: Mapping[int, tuple[float, float, Tags]] = NODES,
    ways: Mapping[int, tuple[Sequence[int], Tags]] = WAYS,
    relations: Mapping[int, tuple[Sequence[tuple[str, int, str]], Tags]] = RELATIONS,
) -> Path:
    import osmium
    from osmium.osm.mutable import Node, Relation, Way

    with osmium.SimpleWriter(str(path), overwrite=True) as w:
        for nid, (lon, lat, t) in sorted(nodes.items()):
            w.add_node(Node(id=nid, location=(lon, lat), tags=t))
        for wid, (refs, t) in sorted(ways.items()):
            w.add_way(Way(id=wid, nodes=list(refs), tags=t))
        for rid, (members, t) in sorted(relations.items()):
            w.add_relation(Relation(id=rid, members=list(members), tags=t))
    return path


@pytest.fixture()
def xml_path(tmp_path: Path) -> Path:
    p = tmp_path / "town.osm"
    p.write_text(osm_xml(), encoding="utf-8")
    return p


@pytest.fixture()
def data(xml_path: Path) -> Any:
    return read_osm(xml_path)


def haversine(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance, R = 6,371 km, written out with math (not numpy)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(math.sqrt(h))


def chain(way_id: int, u: int, v: int) -> list[int]:
    """Node ids of the way between u and v (the part an edge covers)."""
    refs = [r for r in WAYS[way_id][0] if r in NODES]
    i = refs.index(u)
    j = refs.index(v, i + 1)
    return refs[i : j + 1]


# --- streets -------------------------------------------------------------------------------


def test_edges_split_at_shared_nodes_and_way_ends(data: Any) -> None:
    s = data.streets
    assert list(s.columns[:-1]) == list(STREET_COLUMNS)
    got = set(zip(s["way_id"], s["u"], s["v"], strict=True))
    assert got == EXPECTED_EDGES
    assert s["u"].dtype == np.int64 and s["v"].dtype == np.int64
    # Node 2 lies inside way 101 only: it is a vertex of edge 1->3, not a graph node.
    assert set(data.nodes["osmid"]) == {1, 3, 4, 5, 6, 7, 10, 11, 20, 21, 22, 23}
    assert set(data.nodes["osmid"]) == set(s["u"]) | set(s["v"])


def test_edge_lengths_equal_haversine_of_their_nodes(data: Any) -> None:
    geod = Geod(ellps="WGS84")
    for row in data.streets.itertuples():
        ids = chain(row.way_id, row.u, row.v)
        expected = sum(haversine(*NODES[a][:2], *NODES[b][:2]) for a, b in itertools.pairwise(ids))
        assert row.length_m == pytest.approx(expected, rel=1e-9)
        lons = [NODES[i][0] for i in ids]
        lats = [NODES[i][1] for i in ids]
        # The ellipsoid differs from the sphere by well under 0.5 %.
        assert row.length_m == pytest.approx(geod.line_length(lons, lats), rel=5e-3)


def test_edge_geometry_runs_through_the_way_nodes_in_the_output_crs(data: Any) -> None:
    assert data.crs == CRS.from_epsg(32651)  # UTM 51N holds 122.0 E
    to_utm = Transformer.from_crs(4326, 32651, always_xy=True)
    s = data.streets.set_index(["u", "v"])
    for u, v, ids in [(1, 3, [1, 2, 3]), (7, 7, [7, 8, 9, 7]), (4, 7, [4, 7])]:
        expected = np.array([to_utm.transform(*NODES[i][:2]) for i in ids])
        got = shapely.get_coordinates(s.loc[(u, v), "geometry"])
        np.testing.assert_allclose(got, expected, atol=1e-6)
    node = data.nodes.set_index("osmid").loc[3]
    assert (node["lon"], node["lat"]) == pytest.approx(NODES[3][:2])
    assert (node.geometry.x, node.geometry.y) == pytest.approx(to_utm.transform(*NODES[3][:2]))


def test_oneway_maxspeed_and_access_tags(data: Any) -> None:
    by_way = data.streets.drop_duplicates("way_id").set_index("way_id")
    assert by_way["oneway"].to_dict() == {
        101: "yes",  # oneway=true
        102: "no",  # no tag
        103: "yes",  # roundabout implies one-way
        104: "-1",  # oneway=reverse
        105: "yes",  # motorway implies one-way
        108: "no",
        110: "no",  # an explicit oneway=no beats the motorway default
    }
    speeds = by_way["maxspeed_kmh"]
    assert speeds[101] == pytest.approx(30 * 1.609344)
    assert speeds[102] == 50.0 and speeds[105] == 120.0
    assert np.isnan(speeds[103]) and np.isnan(speeds[108])  # CN:urban / absent
    assert by_way.loc[102, "foot"] == "no" and by_way.loc[102, "bicycle"] == "yes"
    assert by_way.loc[104, "access"] == "private"
    assert by_way.loc[108, "oneway_bicycle"] == "no"
    assert by_way.loc[110, "motor_vehicle"] == "no"
    assert by_way.loc[101, "name"] == "幸福路"
    assert by_way.loc[103, "junction"] == "roundabout"
    assert pd.isna(by_way.loc[102, "name"])


def test_dropped_highways_are_counted(data: Any) -> None:
    assert 106 not in set(data.streets["way_id"])  # highway=proposed
    assert 107 not in set(data.streets["way_id"])  # pedestrian area
    assert data.skipped["highway_other"] == 1
    assert data.skipped["highway_areas"] == 1


@pytest.mark.parametrize(
    ("value", "highway", "junction", "expected"),
    [
        ("yes", None, None, ("yes", True)),
        ("true", None, None, ("yes", True)),
        ("1", None, None, ("yes", True)),
        ("-1", None, None, ("-1", True)),
        ("reverse", None, None, ("-1", True)),
        ("no", None, None, ("no", True)),
        ("false", None, None, ("no", True)),
        ("0", None, None, ("no", True)),
        (" Yes ", None, None, ("yes", True)),
        (None, "residential", None, ("no", True)),
        (None, "motorway", None, ("yes", True)),
        (None, "primary", "roundabout", ("yes", True)),
        (None, "primary", "circular", ("yes", True)),
        ("no", "primary", "roundabout", ("no", True)),
        ("reversible", None, None, ("no", True)),
        ("yes;no", None, None, ("no", False)),
    ],
)
def test_normalise_oneway(
    value: str | None, highway: str | None, junction: str | None, expected: tuple[str, bool]
) -> None:
    assert normalise_oneway(value, highway=highway, junction=junction) == expected


@pytest.mark.parametrize(
    ("text", "kmh"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("50km/h", 50.0),
        ("80 kph", 80.0),
        ("30 mph", 48.28032),  # 30 × 1.609344 (international mile)
        ("10 knots", 18.52),
        ("60;80", 70.0),
        ("7.5", 7.5),
        ("CN:urban", math.nan),
        ("none", math.nan),
        ("walk", math.nan),
        ("0", math.nan),
        (None, math.nan),
    ],
)
def test_parse_maxspeed(text: str | None, kmh: float) -> None:
    got = parse_maxspeed(text)
    if math.isnan(kmh):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(kmh)


def test_unknown_oneway_value_is_counted_and_warned(tmp_path: Path, caplog: Any) -> None:
    p = tmp_path / "odd.osm"
    p.write_text(osm_xml(ways={101: ([1, 2, 3], {"highway": "residential", "oneway": "yes;no"})}))
    with caplog.at_level(logging.WARNING, logger="planner.io.osm"):
        d = read_osm(p)
    assert d.streets["oneway"].tolist() == ["no"]
    assert d.skipped["oneway_unknown"] == 1
    assert "oneway value" in caplog.text


# --- clipped extracts ----------------------------------------------------------------------


def test_clipped_extract_keeps_runs_of_present_nodes(xml_path: Path, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="planner.io.osm"):
        d = read_osm(xml_path)
    # Way 108 (20, 21, [999], 22, 23) and way 109 ([998], 24) miss a node each.
    assert d.ways_missing_nodes == 2
    assert d.skipped["way_nodes_missing"] == 2
    assert "2 highway way(s) reference 2 node(s) missing" in caplog.text
    edges_108 = d.streets.loc[d.streets["way_id"] == 108, ["u", "v"]].to_numpy().tolist()
    assert edges_108 == [[20, 21], [22, 23]]
    assert 109 not in set(d.streets["way_id"])
    assert 24 not in set(d.nodes["osmid"])


def test_extract_where_every_street_node_is_missing(tmp_path: Path) -> None:
    p = tmp_path / "nonodes.osm"
    p.write_text(osm_xml(nodes={}, ways={101: WAYS[101]}, relations={}))
    with pytest.raises(EmptyFileError, match="no node with a location"):
        read_osm(p)


# --- places and routes ---------------------------------------------------------------------


def test_place_kinds_and_geometries(data: Any) -> None:
    pl = data.places
    assert list(pl.columns[:-1]) == list(PLACE_COLUMNS)
    kinds = {(t, i): k for t, i, k in zip(pl["osm_type"], pl["osm_id"], pl["kind"], strict=True)}
    assert kinds == {
        ("node", 30): "bus_stop",
        ("node", 31): "bus_stop",
        ("node", 32): "bus_station",
        ("node", 33): "building_materials",
        ("node", 34): "building_materials",
        ("node", 35): "community_centre",
        ("node", 36): "townhall",
        ("node", 37): "mall",
        ("way", 201): "industrial",
        ("way", 202): "mall",  # shop=mall wins over landuse=retail
        ("way", 205): "marketplace",
        ("way", 206): "bus_stop",
        ("relation", 301): "commercial",
    }
    # Sorted: nodes, ways, relations, each by id.
    assert list(pl["osm_id"]) == [30, 31, 32, 33, 34, 35, 36, 37, 201, 202, 205, 206, 301]
    geom = dict(zip(pl["osm_id"], pl.geometry, strict=True))
    assert all(geom[i].geom_type == "Point" for i in (30, 31, 32, 33, 34, 35, 36, 37, 205, 206))
    assert geom[201].geom_type == "Polygon" and geom[301].geom_type == "Polygon"
    assert len(geom[301].interiors) == 1
    row = pl.set_index("osm_id")
    assert row.loc[34, "trade"] == "building_supplies"
    assert row.loc[202, "landuse"] == "retail" and row.loc[202, "shop"] == "mall"
    assert row.loc[201, "name"] == "工业园"


def test_place_polygon_areas_match_geodesic_areas(data: Any) -> None:
    geod = Geod(ellps="WGS84")

    def ring_area(ids: Sequence[int]) -> float:
        lons = [NODES[i][0] for i in ids]
        lats = [NODES[i][1] for i in ids]
        return abs(geod.polygon_area_perimeter(lons, lats)[0])

    geom = dict(zip(data.places["osm_id"], data.places.geometry, strict=True))
    # UTM areas differ from ellipsoidal ones by the scale factor (k ≈ 0.9996-1.0004).
    assert geom[201].area == pytest.approx(ring_area(WAYS[201][0]), rel=2e-3)
    expected = ring_area(WAYS[203][0]) - ring_area(WAYS[204][0])
    assert geom[301].area == pytest.approx(expected, rel=2e-3)


def test_open_way_places_become_their_midpoint(data: Any) -> None:
    to_utm = Transformer.from_crs(4326, 32651, always_xy=True)
    geom = dict(zip(data.places["osm_id"], data.places.geometry, strict=True))
    # Way 205 runs along a parallel: its middle is half-way in longitude (to < 1 cm).
    mid = to_utm.transform(122.051, 37.510)
    assert (geom[205].x, geom[205].y) == pytest.approx(mid, abs=0.01)


@pytest.mark.parametrize(
    ("tags", "kind"),
    [
        ({"highway": "bus_stop"}, "bus_stop"),
        ({"public_transport": "platform", "bus": "yes"}, "bus_stop"),
        ({"public_transport": "platform", "tram": "yes"}, None),
        ({"amenity": "bus_station"}, "bus_station"),
        ({"landuse": "industrial"}, "industrial"),
        ({"landuse": "retail"}, "retail"),
        ({"landuse": "commercial"}, "commercial"),
        ({"landuse": "residential"}, None),
        ({"shop": "mall"}, "mall"),
        ({"shop": "department_store"}, "mall"),
        ({"amenity": "marketplace"}, "marketplace"),
        ({"shop": "doityourself"}, "building_materials"),
        ({"shop": "hardware"}, "building_materials"),
        ({"shop": "building_materials"}, "building_materials"),
        ({"shop": "trade", "trade": "building_supplies"}, "building_materials"),
        ({"shop": "trade"}, None),
        ({"amenity": "community_centre"}, "community_centre"),
        ({"amenity": "social_facility", "social_facility:for": "community"}, "community_centre"),
        ({"amenity": "social_facility", "social_facility:for": "senior"}, None),
        ({"amenity": "townhall"}, "townhall"),
        ({"amenity": "restaurant"}, None),
    ],
)
def test_place_kind(tags: dict[str, str], kind: str | None) -> None:
    assert place_kind(tags) == kind


def test_bus_routes_keep_stop_order(data: Any, caplog: Any) -> None:
    r = data.bus_routes
    assert list(r.columns) == list(BUS_ROUTE_COLUMNS)
    assert list(r["relation_id"]) == [401, 402]  # 403 is a train route
    first = r.iloc[0]
    assert first["ref"] == "1" and first["name"] == "1路"
    assert (first["from"], first["to"], first["operator"]) == ("火车站", "北站", "威海公交")
    assert first["stop_node_ids"] == [39, 30, 31, 999]  # way member skipped, order kept
    assert first["stop_roles"] == ["stop", "platform", "platform", "stop_exit_only"]
    assert first["n_stops_missing"] == 1  # node 999 is not in the file
    # PTv1: empty/forward roles count only on stop-like nodes (32 is a station, not a stop).
    assert r.iloc[1]["stop_node_ids"] == [31, 30]
    assert data.skipped["route_stops_missing"] == 1


# --- formats -------------------------------------------------------------------------------


def _assert_same(a: Any, b: Any) -> None:
    pd.testing.assert_frame_equal(
        a.streets.drop(columns="geometry"), b.streets.drop(columns="geometry")
    )
    assert a.streets.geometry.geom_equals_exact(b.streets.geometry, tolerance=1e-6).all()
    pd.testing.assert_frame_equal(
        a.nodes.drop(columns="geometry"), b.nodes.drop(columns="geometry")
    )
    pd.testing.assert_frame_equal(
        a.places.drop(columns="geometry"), b.places.drop(columns="geometry")
    )
    assert a.places.geometry.geom_equals_exact(b.places.geometry, tolerance=1e-6).all()
    pd.testing.assert_frame_equal(a.bus_routes, b.bus_routes)
    assert a.skipped == b.skipped
    assert a.crs == b.crs


def test_pbf_read_equals_xml_read(tmp_path: Path, data: Any) -> None:
    pbf = write_pbf(tmp_path / "town.osm.pbf")
    _assert_same(read_osm(pbf), data)


def test_compressed_xml_reads_like_plain_xml(tmp_path: Path, data: Any) -> None:
    text = osm_xml().encode("utf-8")
    (tmp_path / "town.osm.bz2").write_bytes(bz2.compress(text))
    (tmp_path / "town.osm.gz").write_bytes(gzip.compress(text))
    _assert_same(read_osm(tmp_path / "town.osm.bz2"), data)
    _assert_same(read_osm(tmp_path / "town.osm.gz"), data)


def test_format_is_sniffed_not_taken_from_the_name(tmp_path: Path, data: Any) -> None:
    pbf = write_pbf(tmp_path / "town.osm.pbf")
    renamed = tmp_path / "export.dat"
    renamed.write_bytes(pbf.read_bytes())
    _assert_same(read_osm(renamed), data)


def test_streets_false_reads_places_without_highways(tmp_path: Path) -> None:
    p = tmp_path / "places.osm"
    ways = {k: v for k, v in WAYS.items() if "highway" not in v[1]}
    p.write_text(osm_xml(ways=ways))
    with pytest.raises(EmptyFileError, match="no street ways") as exc:
        read_osm(p)
    assert str(p) in str(exc.value) and "streets=False" in str(exc.value)
    d = read_osm(p, streets=False)
    assert len(d.streets) == 0 and len(d.nodes) == 0
    assert list(d.streets.columns[:-1]) == list(STREET_COLUMNS)
    assert len(d.places) == 13 and list(d.bus_routes["relation_id"]) == [401, 402]


def test_explicit_crs_and_progress_bar(xml_path: Path, capsys: Any) -> None:
    d = read_osm(xml_path, crs=4549, progress=True)  # CGCS2000 / 3-degree GK CM 120E
    assert d.crs == CRS.from_epsg(4549)
    assert d.streets.crs == d.nodes.crs == d.places.crs == CRS.from_epsg(4549)
    x, y = Transformer.from_crs(4326, 4549, always_xy=True).transform(*NODES[1][:2])
    got = d.nodes.set_index("osmid").loc[1].geometry
    assert (got.x, got.y) == pytest.approx((x, y))
    assert "reading town.osm" in capsys.readouterr().err


# --- study area ----------------------------------------------------------------------------


def test_area_clips_streets_and_places(xml_path: Path) -> None:
    # A box around the west part (lon < 122.0025) with no margin.
    area = StudyArea.from_bbox(121.999, 37.498, 122.0025, 37.503, name="west")
    d = read_osm(xml_path, area=area, clip_buffer_m=0.0)
    assert d.crs == area.crs
    got = set(zip(d.streets["way_id"], d.streets["u"], d.streets["v"], strict=True))
    # 101 loses node 4 (so 3 stays a graph node via 102); 108 keeps 20-21; 110 loses 22.
    assert got == {(101, 1, 3), (102, 6, 3), (102, 3, 5), (108, 20, 21)}
    # Ways with nodes outside: 101, 103, 104, 105, 108, 109 (node 24), 110.
    assert d.skipped["ways_clipped_to_area"] == 7
    assert set(d.places["osm_id"]) == {30}  # the only place west of 122.0025
    assert list(d.bus_routes["relation_id"]) == [401, 402]  # both stop at node 30


def test_area_far_from_the_file_is_a_coordinate_error(xml_path: Path) -> None:
    jinan = StudyArea.from_bbox(116.9, 36.6, 117.1, 36.7, name="济南")
    with pytest.raises(CoordinateError, match="outside the study area '济南'") as exc:
        read_osm(xml_path, area=jinan)
    assert str(xml_path) in str(exc.value) and "Fix:" in str(exc.value)


def test_area_near_but_not_covered_is_a_coordinate_error(xml_path: Path) -> None:
    # 20 km north: within the 50 km tolerance, but nothing within the 10 km clip buffer.
    north = StudyArea.from_bbox(122.0, 37.70, 122.01, 37.71, name="north")
    with pytest.raises(
        CoordinateError, match="no street of the file lies within 10 km of the study area 'north'"
    ):
        read_osm(xml_path, area=north)


# --- bad files -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="OSM file does not exist"):
        read_osm(tmp_path / "nope.osm.pbf")


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.osm.pbf"
    p.write_bytes(b"")
    with pytest.raises(EmptyFileError, match=r"empty \(0 bytes\)"):
        read_osm(p)


def test_osm_file_without_objects(tmp_path: Path) -> None:
    p = tmp_path / "blank.osm"
    p.write_text('<?xml version="1.0"?>\n<osm version="0.6"></osm>\n')
    with pytest.raises(EmptyFileError, match="holds no streets, places or bus routes"):
        read_osm(p)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"node_id,lon,lat\n1,122.0,37.5\n", "not an OpenStreetMap file"),
        (b'{"type": "FeatureCollection", "features": []}', "is JSON"),
        (b"<html><body>rate limited</body></html>", "not OpenStreetMap XML"),
    ],
)
def test_not_an_osm_file(tmp_path: Path, content: bytes, message: str) -> None:
    p = tmp_path / "roads.osm"
    p.write_bytes(content)
    with pytest.raises(InputFileError, match=message) as exc:
        read_osm(p)
    assert str(p) in str(exc.value) and "Fix:" in str(exc.value)


def test_truncated_pbf_is_an_input_file_error(tmp_path: Path) -> None:
    good = write_pbf(tmp_path / "town.osm.pbf").read_bytes()
    bad = tmp_path / "cut.osm.pbf"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputFileError, match="damaged or incomplete") as exc:
        read_osm(bad)
    assert "cut.osm.pbf" in str(exc.value)


def test_truncated_xml_is_an_input_file_error(tmp_path: Path) -> None:
    bad = tmp_path / "cut.osm"
    text = osm_xml()
    bad.write_text(text[: len(text) // 2])
    with pytest.raises(InputFileError, match="XML parsing error"):
        read_osm(bad)


def test_errors_are_planner_errors_and_builtins(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_osm(tmp_path / "nope.osm")
    p = tmp_path / "x.osm"
    p.write_text("garbage")
    with pytest.raises(ValueError):
        read_osm(p)
    with pytest.raises(PlannerError):
        read_osm(p)


# --- performance ---------------------------------------------------------------------------


def _grid_pbf(path: Path, n_side: int, step: int) -> None:
    """Streets every ``step`` rows/columns of an n_side × n_side lattice, 20 m apart."""
    import osmium
    from osmium.osm.mutable import Node, Way

    ids = np.zeros((n_side, n_side), dtype=np.int64)
    on_street = (np.arange(n_side)[:, None] % step == 0) | (np.arange(n_side)[None, :] % step == 0)
    ids[on_street] = np.arange(1, int(on_street.sum()) + 1)
    with osmium.SimpleWriter(str(path), overwrite=True) as w:
        for i, j in zip(*np.nonzero(on_street), strict=True):
            w.add_node(Node(id=int(ids[i, j]), location=(122.0 + j * 0.00025, 37.4 + i * 0.00018)))
        wid = 1
        for k in range(0, n_side, step):
            w.add_way(Way(id=wid, nodes=ids[k].tolist(), tags={"highway": "residential"}))
            w.add_way(Way(id=wid + 1, nodes=ids[:, k].tolist(), tags={"highway": "tertiary"}))
            wid += 2


@pytest.mark.slow
def test_generated_grid_counts_and_speed(tmp_path: Path) -> None:
    n_side, step = 600, 4  # 157,500 nodes (the 300k-node timing is in the report)
    p = tmp_path / "grid.osm.pbf"
    _grid_pbf(p, n_side, step)
    t0 = time.perf_counter()
    d = read_osm(p)
    seconds = time.perf_counter() - t0
    k = len(range(0, n_side, step))  # streets each way
    # Each street meets k crossings and has one extra end at n_side - 1: k edges.
    assert len(d.streets) == 2 * k * k
    assert len(d.nodes) == k * k + 2 * k
    # Total length: every street spans n_side - 1 lattice steps.
    expected = sum(
        haversine(122.0, 37.4 + i * 0.00018, 122.0 + (n_side - 1) * 0.00025, 37.4 + i * 0.00018)
        for i in range(0, n_side, step)
    ) + k * haversine(122.0, 37.4, 122.0, 37.4 + (n_side - 1) * 0.00018)
    assert d.streets["length_m"].sum() == pytest.approx(expected, rel=1e-6)
    assert seconds < 30, f"read took {seconds:.1f} s"


# --- edge lists ----------------------------------------------------------------------------


def _edge_files(tmp_path: Path, nodes: str = "", edges: str = "") -> tuple[Path, Path]:
    n = tmp_path / "nodes.csv"
    e = tmp_path / "edges.csv"
    n.write_text(nodes or "node_id,lon,lat\n1,122.000,37.500\n2,122.001,37.500\n3,122.001,37.501\n")
    e.write_text(edges or "u,v,length_m\n1,2,88.3\n2,3,111.2\n")
    return n, e


def test_edge_list_columns_and_geometry(tmp_path: Path) -> None:
    d = read_edge_list(*_edge_files(tmp_path))
    s = d.streets
    assert list(s.columns[:-1]) == list(STREET_COLUMNS)
    assert s[["u", "v"]].to_numpy().tolist() == [[1, 2], [2, 3]]
    assert s["length_m"].tolist() == [88.3, 111.2]
    assert s["oneway"].tolist() == ["no", "no"] and s["highway"].isna().all()
    assert s["way_id"].isna().all() and s["maxspeed_kmh"].isna().all()
    to_utm = Transformer.from_crs(4326, 32651, always_xy=True)
    np.testing.assert_allclose(
        shapely.get_coordinates(s.geometry.iloc[0]),
        [to_utm.transform(122.0, 37.5), to_utm.transform(122.001, 37.5)],
    )
    assert d.nodes["osmid"].tolist() == [1, 2, 3] and d.crs == CRS.from_epsg(32651)
    assert len(d.places) == 0 and len(d.bus_routes) == 0
    assert list(d.bus_routes.columns) == list(BUS_ROUTE_COLUMNS)


def test_edge_list_without_lengths_uses_haversine(tmp_path: Path) -> None:
    n, e = _edge_files(tmp_path, edges="u,v\n1,2\n")
    d = read_edge_list(n, e)
    assert d.streets["length_m"].iloc[0] == pytest.approx(haversine(122.0, 37.5, 122.001, 37.5))


@pytest.mark.parametrize(
    ("edges", "error", "message"),
    [
        ("u,v,length_m\n1,2,88.3\n2,3,-4\n", InvalidValueError, "row 3, column 'length_m'.*below"),
        ("u,v,length_m\n1,2,\n2,3,1\n", InvalidValueError, "row 2, column 'length_m'.*empty"),
        ("u,v,length_m\n1,2,1\n2,3,nan\n", InvalidValueError, "row 3, column 'length_m'.*'nan'"),
        ("u,v,length_m\n1,2,1\n2,7,1\n", InvalidValueError, "row 3, column 'v'.*node 7 is not"),
        ("u,v,length_m\n9,2,1\n", InvalidValueError, "row 2, column 'u'.*node 9 is not"),
        ("u,v,length_m\n1,2,1\n2,3,1\n3,1,1\n2,x,1\n", InvalidValueError, "row 5, column 'v'"),
    ],
)
def test_edge_list_bad_edges(tmp_path: Path, edges: str, error: type, message: str) -> None:
    n, e = _edge_files(tmp_path, edges=edges)
    with pytest.raises(error, match=message) as exc:
        read_edge_list(n, e)
    assert "edges.csv" in str(exc.value)


def test_edge_list_duplicate_node_ids(tmp_path: Path) -> None:
    n, e = _edge_files(
        tmp_path, nodes="node_id,lon,lat\n1,122.0,37.5\n2,122.1,37.5\n1,122.2,37.5\n"
    )
    with pytest.raises(DuplicateIdError, match=r"nodes\.csv, row 4, column 'node_id'"):
        read_edge_list(n, e)


def test_edge_list_swapped_coordinates(tmp_path: Path) -> None:
    n, e = _edge_files(tmp_path, nodes="node_id,lon,lat\n1,37.5,122.0\n2,122.1,37.5\n3,122,37\n")
    with pytest.raises(CoordinateError, match=r"row 2.*look swapped"):
        read_edge_list(n, e)


def test_edge_list_outside_area(tmp_path: Path) -> None:
    jinan = StudyArea.from_bbox(116.9, 36.6, 117.1, 36.7, name="济南")
    with pytest.raises(CoordinateError, match="outside the study area '济南'"):
        read_edge_list(*_edge_files(tmp_path), area=jinan)


@pytest.mark.realdata
def test_weihai_road_graph(shared_data: Path) -> None:
    from planner.io.vector import read_study_area

    folder = shared_data / "weihai-hit-roads"
    area = read_study_area(
        shared_data / "shandong-admin" / "shandong_counties_wgs84.geojson", codes=["371002"]
    )
    d = read_edge_list(folder / "nodes.csv", folder / "edges.csv", area=area)
    assert len(d.nodes) == 1438 and len(d.streets) == 1602
    assert d.streets["length_m"].sum() / 1000 == pytest.approx(84.1, abs=0.05)
    # Lengths against haversine recomputed from the node table (SOURCES.md: 1.0000-1.0018).
    nodes = pd.read_csv(folder / "nodes.csv")
    lon = dict(zip(nodes["node_id"].tolist(), nodes["lon"].tolist(), strict=True))
    lat = dict(zip(nodes["node_id"].tolist(), nodes["lat"].tolist(), strict=True))
    edges = pd.read_csv(folder / "edges.csv")
    hav = np.array(
        [
            haversine(lon[u], lat[u], lon[v], lat[v])
            for u, v in zip(edges["u"].tolist(), edges["v"].tolist(), strict=True)
        ]
    )
    # Stored lengths are the haversine rounded to 2 decimals: within 0.005 m. (SOURCES.md gives
    # the ratio as 1.0000-1.0018; on the shortest edges rounding takes it down to 0.9988.)
    length = d.streets["length_m"].to_numpy()
    assert np.abs(length - hav).max() <= 0.005 + 1e-9
    ratio = length / hav
    assert ratio.min() >= 0.998 and ratio.max() <= 1.0019
    g = nx.Graph()
    g.add_nodes_from(d.nodes["osmid"])
    g.add_edges_from(zip(d.streets["u"], d.streets["v"], strict=True))
    sizes = sorted((len(c) for c in nx.connected_components(g)), reverse=True)
    assert sizes == [1394, 27, 12, 3, 2]
    # Every node inside 环翠区 (the polygon in the study CRS).
    assert d.crs == area.crs
    assert d.nodes.within(area.geometry).all()


# --- download --------------------------------------------------------------------------------


def test_download_without_osmnx_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "osmnx", None)  # import osmnx now raises ImportError
    # osmnx is a dependency of planner; a broken install says which package to add (not an
    # extra of a PyPI name that belongs to someone else)
    with pytest.raises(DependencyError, match=r"osmnx.*pip install osmnx"):
        read_osm_download("环翠区, 威海市", cache_dir=tmp_path)
    with pytest.raises(ImportError):
        read_osm_download("环翠区, 威海市", cache_dir=tmp_path)


def test_overpass_json_written_as_pbf_reads_like_the_xml(tmp_path: Path, data: Any) -> None:
    """The download path writes Overpass JSON elements to PBF; check that conversion offline."""
    kind = {"n": "node", "w": "way", "r": "relation"}
    elements: list[dict[str, Any]] = [
        {
            "type": "relation",
            "id": rid,
            "tags": t,
            "members": [{"type": kind[m], "ref": r, "role": role} for m, r, role in members],
        }
        for rid, (members, t) in RELATIONS.items()
    ]
    elements += [
        {"type": "way", "id": wid, "nodes": refs, "tags": t} for wid, (refs, t) in WAYS.items()
    ]
    elements += [
        {"type": "node", "id": nid, "lon": lon, "lat": lat, **({"tags": t} if t else {})}
        for nid, (lon, lat, t) in NODES.items()
    ]
    # The same node again without tags (as a second query returns it): the tagged copy wins.
    elements.append({"type": "node", "id": 30, "lon": NODES[30][0], "lat": NODES[30][1]})
    folder = tmp_path / "cache"
    folder.mkdir()
    target = folder / "dl.osm.pbf"
    _write_overpass_json(json.loads(json.dumps(elements)), target)
    assert [p.name for p in folder.iterdir()] == ["dl.osm.pbf"]  # no temp file left
    _assert_same(read_osm(target), data)


def _online() -> bool:
    if os.environ.get("PLANNER_OFFLINE"):
        return False
    try:
        socket.create_connection(("overpass-api.de", 443), timeout=3).close()
    except OSError:
        return False
    return True


@pytest.mark.network
def test_download_place_and_cache(tmp_path: Path) -> None:
    pytest.importorskip("osmnx")
    if not _online():
        pytest.skip("no connection to the Overpass API (offline)")
    d = read_osm_download("环翠区, 威海市, 山东省", cache_dir=tmp_path, network_type="drive")
    assert len(d.streets) > 1000 and d.crs == CRS.from_epsg(32651)
    cached = list(tmp_path.glob("osm-*.osm.pbf"))
    assert len(cached) == 1
    again = read_osm_download("环翠区, 威海市, 山东省", cache_dir=tmp_path, network_type="drive")
    assert len(again.streets) == len(d.streets)

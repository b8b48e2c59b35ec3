"""Tests of planner.publish.naming: site names from anchors, roads, landmarks, unit centres."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.publish.naming import (
    JUNCTION_MAX_M,
    LANDMARK_MAX_M,
    ROAD_MAX_M,
    NamingLayers,
    bearing_words,
    distance_words,
    name_sites,
)

CRS = 32650


def _gdf(geoms: list[shapely.Geometry], **cols: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=geoms, crs=CRS)


@pytest.fixture
def layers() -> NamingLayers:
    # two townships side by side; in the west one a crossing of two named roads and a
    # parallel named road; a named landmark and a bus stop in the east one
    units = _gdf(
        [shapely.box(0, 0, 10_000, 10_000), shapely.box(10_000, 0, 20_000, 10_000)],
        name=["甲镇", "乙镇"],
    )
    streets = _gdf(
        [
            shapely.LineString([(0, 1000), (5000, 1000)]),
            shapely.LineString([(2000, 0), (2000, 5000)]),
            shapely.LineString([(0, 1100), (5000, 1100)]),  # parallel, 100 m north: no junction
            shapely.LineString([(0, 4000), (9000, 4000)]),  # unnamed
        ],
        name=["光明路", "东城街", "幸福路", None],
    )
    marks = _gdf([shapely.Point(15_000, 5000)], name=["乙镇人民政府"])
    stops = _gdf(
        [shapely.Point(12_000, 9000), shapely.Point(18_000, 1000)], name=["西牟小学", "东站"]
    )
    # demand: 3 cells in 甲镇 whose weighted centre is (7000, 8000)
    cells = _gdf(
        [shapely.Point(6000, 8000), shapely.Point(8000, 8000), shapely.Point(7000, 8000)],
        demand=[1.0, 1.0, 2.0],
    )
    return NamingLayers.from_frames(
        crs=CRS, units=units, streets=streets, landmarks=[marks], bus_stops=stops, cells=cells
    )


def test_each_rule_in_order(layers: NamingLayers) -> None:
    sites = _gdf(
        [
            shapely.Point(2030, 1020),  # anchor wins over the junction next to it
            shapely.Point(2030, 1020),  # junction: 光明路 20 m, 东城街 30 m, they touch
            shapely.Point(4000, 1040),  # between two parallel roads: the nearest one only
            shapely.Point(4000, 1000 + ROAD_MAX_M + 200),  # beyond every road: 甲镇 centre
            shapely.Point(14_000, 5000),  # 1 km west of the town hall
            shapely.Point(11_850, 9150),  # ~212 m north-west of the 西牟小学 stop
            shapely.Point(19_990, 9990),  # nothing within LANDMARK_MAX_M? 乙镇 centre
            shapely.Point(2000, 9000),  # anchor at a bus stop whose name ends in 站
        ],
        anchor_kind=[
            "bus_station",
            "street_point",
            "street_point",
            "street_point",
            "street_point",
            "street_point",
            "street_point",
            "transit_hub",
        ],
        anchor_name=["南山镇", None, None, None, None, None, None, "汽车站"],
    )
    names = name_sites(sites, layers)
    assert [n.how for n in names] == [
        "anchor",
        "junction",
        "road",
        "centre",
        "landmark",
        "landmark",
        "centre",
        "anchor",
    ]
    text = [n.text() for n in names]
    assert text[0] == "南山镇公交站"
    assert text[1] == "甲镇光明路与东城街交叉口附近"
    assert text[2] == "甲镇光明路附近"
    # 甲镇's population centre is the demand-weighted mean of its cells: (7000, 8000)
    dx, dy = 4000 - 7000, (1000 + ROAD_MAX_M + 200) - 8000
    assert names[3].distance_m == pytest.approx(math.hypot(dx, dy))
    assert text[3] == f"甲镇人口中心西南约{math.hypot(dx, dy) / 1000:.1f}公里"
    assert text[4] == "乙镇人民政府西约1.0公里"
    assert names[5].distance_m == pytest.approx(math.hypot(150, 150))
    assert text[5] == "西牟小学公交站西北约200米"
    assert text[7] == "汽车站"
    assert [n.unit for n in names] == ["甲镇"] * 4 + ["乙镇"] * 3 + ["甲镇"]
    # English
    assert names[1].text("en") == "near 光明路 / 东城街 junction, 甲镇"
    assert names[5].text("en") == "about 200 m NW of the 西牟小学 bus stop"


def test_far_from_every_landmark_uses_the_unit_centre(layers: NamingLayers) -> None:
    # 乙镇 has no cells: its centre is the inner point of its polygon (15000, 5000)
    site = _gdf([shapely.Point(19_990, 9990)], anchor_kind=["street_point"], anchor_name=[None])
    n = name_sites(site, layers)[0]
    d_mark = min(
        math.hypot(19_990 - x, 9990 - y)
        for x, y in [(15_000, 5000), (12_000, 9000), (18_000, 1000)]
    )
    if d_mark > LANDMARK_MAX_M:
        assert n.how == "centre" and n.text().startswith("乙镇人口中心东北约")
    else:
        assert n.how == "landmark"


def test_a_site_outside_every_unit_takes_the_nearest(layers: NamingLayers) -> None:
    site = _gdf([shapely.Point(-100, 1000)], anchor_kind=["street_point"], anchor_name=[None])
    n = name_sites(site, layers)[0]
    assert n.unit == "甲镇" and n.how == "road"


def test_no_roads_no_landmarks() -> None:
    units = _gdf([shapely.box(0, 0, 1000, 1000)], name=["丙镇"])
    layers = NamingLayers.from_frames(crs=CRS, units=units)
    n = name_sites(_gdf([shapely.Point(510, 520)], anchor_name=[None]), layers)[0]
    assert n.text() == "丙镇人口中心附近"  # within 150 m of the centre (500, 500)


@pytest.mark.parametrize(
    ("deg", "zh", "en"),
    [
        (0, "北", "N"),
        (44, "东北", "NE"),
        (90, "东", "E"),
        (136, "东南", "SE"),
        (180, "南", "S"),
        (225, "西南", "SW"),
        (271, "西", "W"),
        (316, "西北", "NW"),
        (359, "北", "N"),
    ],
)
def test_bearing_words(deg: float, zh: str, en: str) -> None:
    assert bearing_words(deg) == zh and bearing_words(deg, "en") == en


def test_distance_words() -> None:
    assert distance_words(10) == "50米"
    assert distance_words(974) == "950米"
    assert distance_words(990) == "1.0公里"
    assert distance_words(16_640) == "16.6公里"
    assert distance_words(16_640, "en") == "16.6 km"


def test_junction_needs_touching_roads() -> None:
    units = _gdf([shapely.box(0, 0, 1000, 1000)], name=["丁镇"])
    parallel = _gdf(
        [shapely.LineString([(0, 500), (1000, 500)]), shapely.LineString([(0, 600), (1000, 600)])],
        name=["一路", "二路"],
    )
    layers = NamingLayers.from_frames(crs=CRS, units=units, streets=parallel)
    site = _gdf([shapely.Point(500, 550)], anchor_name=[None])
    assert JUNCTION_MAX_M > 100  # the roads are 100 m apart: a junction were they to touch
    n = name_sites(site, layers)[0]
    assert n.how == "road" and n.road == "一路"  # equal distance: the first road
    assert np.isfinite(n.distance_m)

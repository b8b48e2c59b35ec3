"""Joining census tables to boundaries (planner/io/census.py): codes found by content, units
renamed since the census joined by name, development zones added to their hosts, and only
the study area's units kept."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from planner.errors import InvalidValueError
from planner.io.census import read_census
from planner.io.crs import StudyArea
from planner.io.vector import admin_code_column, read_boundaries


def _geojson(path: Path, props: list[dict[str, object]], boxes: list[tuple[float, ...]]) -> Path:
    feats = [
        {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(shapely.box(*b))}
        for p, b in zip(props, boxes, strict=True)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), "utf-8")
    return path


BOXES = [(121.0, 37.0, 121.1, 37.1), (121.1, 37.0, 121.2, 37.1), (121.2, 37.0, 121.3, 37.1)]


def test_osm_division_code_is_found(tmp_path: Path) -> None:
    # An OpenStreetMap admin export keeps its codes in `division_code`, next to an osm id.
    p = _geojson(
        tmp_path / "osm.geojson",
        [
            {"osm_id": 101, "name": "甲区", "division_code": "370602"},
            {"osm_id": 102, "name": "乙区", "division_code": "370613"},
            {"osm_id": 103, "name": "丙区", "division_code": "370611"},
        ],
        BOXES,
    )
    b = read_boundaries(p, codes=["370613"])
    assert b["code"].tolist() == ["370613"] and b["name"].tolist() == ["乙区"]


def test_code_column_by_content_prefers_codes_that_join() -> None:
    df = pd.DataFrame(
        {"序号": ["1", "2"], "旧代码": ["370282", "370283"], "代码2020": ["370215", "370283"]}
    )
    assert admin_code_column(df, prefer=["370215", "370283"]) == "代码2020"
    assert admin_code_column(pd.DataFrame({"x": ["a", "b"]})) is None


def test_renamed_unit_joins_by_name(tmp_path: Path) -> None:
    # OSM still has 即墨区 as 370282 (its code before it became a district); the 2020
    # census has 370215. The table's code column is not called CODE: found by content.
    b = _geojson(
        tmp_path / "b.geojson",
        [{"adcode": "370282", "name": "即墨区"}, {"adcode": "370283", "name": "平度市"}],
        BOXES[:2],
    )
    t = tmp_path / "t.csv"
    t.write_text("区划代码,NAME,POPU\n370215,即墨区,1347000\n370283,平度市,1197000\n", "utf-8")
    res = read_census(b, t, coords="wgs84")
    pop = dict(zip(res.units["code"], res.units["population"], strict=True))
    assert pop == {"370282": 1347000.0, "370283": 1197000.0}
    assert res.joined_by_name == (("即墨区", "370215", "370282"),)
    assert len(res.unmatched_rows) == 0 and len(res.unmatched_units) == 0


def test_add_to_moves_a_zone_with_its_groups(tmp_path: Path) -> None:
    b = _geojson(
        tmp_path / "b.geojson",
        [{"adcode": "370613", "name": "莱山区"}, {"adcode": "370602", "name": "芝罘区"}],
        BOXES[:2],
    )
    t = tmp_path / "t.csv"
    t.write_text(
        "CODE,NAME,POPU,OLD\n370613,莱山区,300,0.2\n370671,高新区,100,0.6\n370602,芝罘区,500,0.1\n",
        "utf-8",
    )
    res = read_census(
        b, t, coords="wgs84", group_columns={"old": "OLD"}, add_to={"370671": "370613"}
    )
    u = res.units.set_index("code")
    assert u.loc["370613", "population"] == 400.0
    # older people: 300 × 0.2 + 100 × 0.6 = 120 of 400 → 0.3
    assert u.loc["370613", "old"] == pytest.approx(0.3)
    assert u.loc["370602", "old"] == pytest.approx(0.1)
    assert len(res.unmatched_rows) == 0
    assert res.total_population == 900.0
    with pytest.raises(InvalidValueError, match="add_to names code 379999"):
        read_census(b, t, coords="wgs84", add_to={"379999": "370613"})


def test_only_units_overlapping_the_area_are_kept(tmp_path: Path) -> None:
    b = _geojson(
        tmp_path / "b.geojson",
        [{"adcode": f"37060{i}", "name": f"区{i}"} for i in range(3)],
        BOXES,
    )
    t = tmp_path / "t.csv"
    t.write_text("CODE,POPU\n370600,100\n370601,200\n370602,400\n", "utf-8")
    area = StudyArea.from_units(
        gpd.GeoDataFrame(
            {"code": ["x"], "name": ["x"]}, geometry=[shapely.box(*BOXES[1])], crs=4326
        )
    )
    res = read_census(b, t, coords="wgs84", area=area)
    # unit 370601 is the area; 370600 and 370602 only share a border with it
    assert res.units["code"].tolist() == ["370601"]
    assert set(res.outside_units) == {"370600", "370602"}
    assert res.matched_population == 200.0

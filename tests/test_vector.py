"""Vector readers: boundaries, declared Chinese coordinate systems, geometry repair."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from planner.errors import ColumnError, CRSError, DuplicateIdError, GeometryError, InputFileError
from planner.io.coords import wgs84_to_gcj02
from planner.io.vector import read_boundaries, read_study_area, read_vector

SQUARE = [[121.40, 37.40], [121.50, 37.40], [121.50, 37.50], [121.40, 37.50], [121.40, 37.40]]


def _geojson(path: Path, features: list[dict[str, object]]) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def _poly(coords: list[list[float]], **props: object) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Polygon", "coordinates": [coords]},
    }


def test_gcj02_boundary_is_shifted_back_to_wgs84(tmp_path: Path) -> None:
    lon, lat = np.array(SQUARE).T
    glon, glat = wgs84_to_gcj02(lon, lat)
    gcj = [[float(a), float(b)] for a, b in zip(glon, glat, strict=True)]
    p = _geojson(tmp_path / "b.geojson", [_poly(gcj, adcode=370602, name="芝罘区")])
    gdf = read_boundaries(p, coords="gcj02")
    assert gdf["code"].tolist() == ["370602"]
    got = np.asarray(gdf.geometry.iloc[0].exterior.coords)
    np.testing.assert_allclose(got, np.array(SQUARE), atol=1e-8)


def test_filter_by_code_and_name_and_study_area(tmp_path: Path) -> None:
    east = [[x + 0.1, y] for x, y in SQUARE]
    p = _geojson(
        tmp_path / "b.geojson",
        [_poly(SQUARE, adcode=1, name="甲区"), _poly(east, adcode=2, name="乙区")],
    )
    assert read_boundaries(p, coords="wgs84", codes=["2"])["name"].tolist() == ["乙区"]
    assert read_boundaries(p, coords="wgs84", names=["甲区"])["code"].tolist() == ["1"]
    area = read_study_area(p, coords="wgs84")
    assert area.crs.to_epsg() == 32651  # 121.5°E: UTM zone 51 = floor((121.5 + 180) / 6) + 1
    # area against pyproj's geodesic area of the two 0.1° squares
    geod_area = sum(
        abs(Geod(ellps="WGS84").geometry_area_perimeter(shapely.Polygon(s))[0])
        for s in (SQUARE, east)
    )
    assert area.area_km2 == pytest.approx(geod_area / 1e6, rel=2e-3)
    with pytest.raises(ColumnError, match=r"no unit with code '9'.*e\.g\. 1, 2"):
        read_boundaries(p, coords="wgs84", codes=["9"])


def test_invalid_geometry_is_repaired_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bowtie = [[121.4, 37.4], [121.5, 37.5], [121.5, 37.4], [121.4, 37.5], [121.4, 37.4]]
    p = _geojson(tmp_path / "b.geojson", [_poly(bowtie, adcode=1, name="x")])
    gdf = read_boundaries(p, coords="wgs84")
    assert gdf.geometry.is_valid.all()
    # make_valid splits the bow-tie into two triangles meeting at (121.45, 37.45), each with
    # base 0.1° and height 0.05°: 2 x 0.0025 = 0.005 deg², half the bounding square
    assert gdf.geometry.iloc[0].area == pytest.approx(0.005, rel=1e-9)
    assert "repaired 1 invalid" in caplog.text


def test_bad_vector_inputs(tmp_path: Path) -> None:
    dup = _geojson(
        tmp_path / "dup.geojson",
        [_poly(SQUARE, adcode=1, name="a"), _poly(SQUARE, adcode=1, name="b")],
    )
    with pytest.raises(DuplicateIdError, match=r"column 'adcode': '1' appears 2 times"):
        read_boundaries(dup, coords="wgs84")
    nocode = _geojson(tmp_path / "nocode.geojson", [_poly(SQUARE, foo=1, name="a")])
    with pytest.raises(ColumnError, match="no code column found"):
        read_boundaries(nocode, coords="wgs84")
    empty_geom = tmp_path / "eg.geojson"
    empty_geom.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"adcode": 1, "name": "a"}, "geometry": None}
                ],
            }
        )
    )
    with pytest.raises(GeometryError, match="feature 1 has no geometry"):
        read_boundaries(empty_geom, coords="wgs84")
    junk = tmp_path / "junk.geojson"
    junk.write_text("not json at all")
    with pytest.raises(InputFileError, match="cannot read as a vector layer"):
        read_vector(junk)


def test_crs_declarations(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"code": ["1"], "name": ["a"]}, geometry=[shapely.Polygon(SQUARE)], crs=4326
    )
    shp = tmp_path / "noprj.shp"
    gdf.to_file(shp)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"noprj\.shp: boundary file has no CRS.*declare coords"):
        read_boundaries(shp)
    # with the declaration it reads
    assert read_boundaries(shp, coords="wgs84")["code"].tolist() == ["1"]
    utm = tmp_path / "utm.gpkg"
    gdf.to_crs(32651).to_file(utm)
    with pytest.raises(CRSError, match=r"projected CRS .* but was declared gcj02"):
        read_boundaries(utm, coords="gcj02")
    # the file's own CRS is trusted when nothing is declared
    back = read_boundaries(utm)
    np.testing.assert_allclose(back.total_bounds, gdf.total_bounds, atol=1e-9)
    # metres in a GeoJSON declared as lon/lat
    metres = _geojson(
        tmp_path / "m.geojson",
        [_poly([[5e5, 4e6], [5e5 + 1, 4e6], [5e5, 4e6 + 1], [5e5, 4e6]], adcode=1, name="a")],
    )
    with pytest.raises(CRSError, match="projected metres, not degrees"):
        read_boundaries(metres, coords="wgs84")


@pytest.mark.realdata
def test_shandong_counties_gcj02_match_the_wgs84_file(shared_data: Path) -> None:
    admin = shared_data / "shandong-admin"
    ours = read_boundaries(admin / "shandong_counties_gcj02.geojson", coords="gcj02")
    theirs = read_boundaries(admin / "shandong_counties_wgs84.geojson", coords="wgs84")
    assert len(ours) == len(theirs) == 136
    assert ours["city_adcode"].nunique() == 16
    ours = ours.set_index("code").loc[theirs["code"]]
    # The scout converted the same polygons with the public formulas (iterative inverse);
    # every vertex must agree to well under a metre (1e-5 deg ~ 1 m).
    a = shapely.get_coordinates(np.asarray(ours.geometry.values))
    b = shapely.get_coordinates(np.asarray(theirs.geometry.values))
    assert a.shape == b.shape
    assert np.abs(a - b).max() < 1e-5
    # and the conversion moved them by the GCJ-02 offset (hundreds of metres)
    raw = read_boundaries(admin / "shandong_counties_gcj02.geojson", coords="wgs84")
    raw = raw.set_index("code").loc[theirs["code"]]
    c = shapely.get_coordinates(np.asarray(raw.geometry.values))
    _, _, dist = Geod(ellps="WGS84").inv(a[:, 0], a[:, 1], c[:, 0], c[:, 1])
    assert 200 < np.median(dist) < 800
    # total area ≈ 157,925 km² (SOURCES.md), official ≈ 158,000 km²
    total = (
        sum(abs(Geod(ellps="WGS84").geometry_area_perimeter(g)[0]) for g in theirs.geometry) / 1e6
    )
    assert total == pytest.approx(157_925, rel=0.005)

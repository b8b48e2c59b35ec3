"""Places reader (planner/io/places.py): parks, building-material markets, malls, centres."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import Workbook
from pyproj import CRS, Geod, Transformer

from planner.errors import (
    ColumnError,
    CoordinateError,
    CRSError,
    DuplicateIdError,
    EmptyFileError,
    GeometryError,
    InvalidValueError,
    MissingFileError,
)
from planner.io.coords import convert, wgs84_to_gcj02
from planner.io.crs import StudyArea
from planner.io.places import PLACE_COLUMNS, read_places

TEXT = (
    "编号,名称,类型,行业,从业人数,经度,纬度,坐标系,地址\n"
    "P1,烟台经济技术开发区,开发区,,52000,121.2500,37.5500,,开发区长江路\n"
    "P2,芝罘建材城,建材市场,,800,121.3900,37.5200,gcj02,芝罘区只楚路\n"
    "P3,大悦城,购物中心,餐饮、商贸零售、商业,3000,121.4400,37.4700,,芝罘区南大街\n"
    "P4,幸福社区党群服务中心,党群服务中心,,,121.3500,37.5600,bd09,幸福街道\n"
)


def _csv(tmp_path: Path, text: str, name: str = "p.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def _xlsx(tmp_path: Path, text: str) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for line in text.strip().split("\n"):
        ws.append([c if c else None for c in line.split(",")])
    p = tmp_path / "p.xlsx"
    wb.save(p)
    return p


def _geojson(path: Path, features: list[dict[str, object]]) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def _feature(geometry: dict[str, object], **props: object) -> dict[str, object]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _utm51(lon: float, lat: float) -> tuple[float, float]:
    x, y = Transformer.from_crs(4326, 32651, always_xy=True).transform(lon, lat)
    return float(x), float(y)


# L-shaped park (WGS-84): its centroid lies outside the outline, point_on_surface inside.
L_SHAPE = [
    [121.40, 37.40],
    [121.44, 37.40],
    [121.44, 37.41],
    [121.41, 37.41],
    [121.41, 37.44],
    [121.40, 37.44],
    [121.40, 37.40],
]


def test_table_kinds_sectors_and_points(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        gdf = read_places(_csv(tmp_path, TEXT))
    assert list(gdf.columns) == [*PLACE_COLUMNS, "geometry"]
    assert gdf["kind"].tolist() == [
        "industrial_park",
        "building_materials",
        "mall",
        "community_centre",
    ]
    # empty sectors take their kind's default; the mall's own list is kept (repeats removed)
    assert gdf["sector"].tolist() == ["manufacturing", "construction", "catering", "other"]
    assert gdf["sectors"].tolist() == [
        ["manufacturing"],
        ["construction"],
        ["catering", "commerce"],
        ["other"],
    ]
    assert gdf["sector_from_kind"].tolist() == [True, True, False, True]
    assert "3 place(s) without a sector" in caplog.text
    assert gdf["workforce"].tolist()[:3] == [52000, 800, 3000]
    assert pd.isna(gdf["workforce"].iloc[3])
    assert gdf["coords"].tolist() == ["wgs84", "gcj02", "wgs84", "bd09"]
    assert CRS(gdf.crs).to_epsg() == 32651
    expected = []
    for lon, lat, system in [
        (121.25, 37.55, "wgs84"),
        (121.39, 37.52, "gcj02"),
        (121.44, 37.47, "wgs84"),
        (121.35, 37.56, "bd09"),
    ]:
        wlon, wlat = convert([lon], [lat], system, "wgs84")
        expected.append(_utm51(float(wlon[0]), float(wlat[0])))
    got = np.column_stack([gdf.geometry.x, gdf.geometry.y])
    np.testing.assert_allclose(got, np.array(expected), atol=1e-6)
    assert gdf["site_point"].geom_equals(gdf.geometry).all()
    assert gdf["area_m2"].isna().all()


def test_encodings_and_xlsx_agree(tmp_path: Path) -> None:
    base = read_places(_csv(tmp_path, TEXT))
    for other in (
        read_places(_csv(tmp_path, TEXT, "gbk.csv", "gbk")),
        read_places(_csv(tmp_path, TEXT, "bom.csv", "utf-8-sig")),
        read_places(_xlsx(tmp_path, TEXT)),
    ):
        pd.testing.assert_frame_equal(
            pd.DataFrame(other.drop(columns=["geometry", "site_point"])),
            pd.DataFrame(base.drop(columns=["geometry", "site_point"])),
        )
        assert other.geometry.geom_equals_exact(base.geometry, tolerance=0).all()


def test_english_headers_and_kind_argument(tmp_path: Path) -> None:
    p = _csv(tmp_path, "name,sector,longitude,latitude\nPark A,logistics,121.40,37.50\n")
    gdf = read_places(p, kind="产业园区", coords="gcj02")
    assert gdf["kind"].tolist() == ["industrial_park"]
    assert gdf["sector"].tolist() == ["logistics"]
    assert gdf["place_id"].tolist() == ["P0001"]
    wlon, wlat = convert([121.40], [37.50], "gcj02", "wgs84")
    x, y = _utm51(float(wlon[0]), float(wlat[0]))
    assert abs(gdf.geometry.x.iloc[0] - x) < 1e-6 and abs(gdf.geometry.y.iloc[0] - y) < 1e-6


def test_geojson_polygons_in_gcj02(tmp_path: Path) -> None:
    lon, lat = np.array(L_SHAPE).T
    glon, glat = wgs84_to_gcj02(lon, lat)
    ring = [[float(a), float(b)] for a, b in zip(glon, glat, strict=True)]
    p = _geojson(
        tmp_path / "parks.geojson",
        [
            _feature(
                {"type": "Polygon", "coordinates": [ring]}, 名称="L园", 类型="工业园", 从业人数=1200
            ),
            _feature({"type": "Point", "coordinates": ring[0]}, 名称="点园", 类型="工业园"),
        ],
    )
    gdf = read_places(p, coords="gcj02")
    assert gdf["place_id"].tolist() == ["P0001", "P0002"]
    assert gdf["workforce"].iloc[0] == 1200 and pd.isna(gdf["workforce"].iloc[1])
    # the outline comes back to WGS-84 (convert inverts the forward shift) then UTM 51N
    t = Transformer.from_crs(4326, 32651, always_xy=True)
    back_lon, back_lat = convert(glon, glat, "gcj02", "wgs84")
    ex, ey = t.transform(back_lon, back_lat)
    got = np.asarray(gdf.geometry.iloc[0].exterior.coords)
    np.testing.assert_allclose(got, np.column_stack([ex, ey]), atol=1e-6)
    np.testing.assert_allclose(got[:, 0], t.transform(lon, lat)[0], atol=0.01)  # < 1 cm
    # area: pyproj's geodesic area of the WGS-84 outline, within the UTM scale error (< 0.1 %)
    geod_area, _ = Geod(ellps="WGS84").geometry_area_perimeter(shapely.Polygon(L_SHAPE))
    assert gdf["area_m2"].iloc[0] == pytest.approx(abs(geod_area), rel=1e-3)
    assert np.isnan(gdf["area_m2"].iloc[1])
    # the site point lies inside the L, where the centroid does not
    poly = gdf.geometry.iloc[0]
    assert not poly.contains(poly.centroid)
    assert poly.contains(gdf["site_point"].iloc[0])
    assert gdf["site_point"].iloc[1].equals(gdf.geometry.iloc[1])
    assert gdf["sector"].tolist() == ["manufacturing", "manufacturing"]


def test_projected_shapefile_uses_its_own_crs(tmp_path: Path) -> None:
    x, y = _utm51(121.40, 37.50)
    src = gpd.GeoDataFrame(
        {"name": ["Mall A"], "type": ["mall"]},
        geometry=[shapely.Point(x, y)],
        crs=32651,
    )
    shp = tmp_path / "malls.shp"
    src.to_file(shp)
    gdf = read_places(shp, coords=None, crs=4326)
    assert gdf.geometry.x.iloc[0] == pytest.approx(121.40, abs=1e-9)
    assert gdf.geometry.y.iloc[0] == pytest.approx(37.50, abs=1e-9)
    assert gdf["sector"].tolist() == ["commerce"]
    with pytest.raises(CRSError, match=r"malls\.shp.*projected CRS.*declared wgs84"):
        read_places(shp)


def test_area_check_for_tables_and_vectors(tmp_path: Path) -> None:
    area = StudyArea.from_bbox(121.2, 37.4, 121.5, 37.6, name="芝罘")
    gdf = read_places(_csv(tmp_path, TEXT), area=area)
    assert CRS(gdf.crs) == CRS(area.crs)
    far = _csv(tmp_path, TEXT + "P5,济南园区,开发区,,,117.00,36.65,,济南\n", "far.csv")
    with pytest.raises(CoordinateError, match=r"row 6.*km outside the study area '芝罘'"):
        read_places(far, area=area)
    p = _geojson(
        tmp_path / "far.geojson",
        [
            _feature({"type": "Point", "coordinates": [121.3, 37.5]}, name="近", kind="mall"),
            _feature({"type": "Point", "coordinates": [117.0, 36.65]}, name="远", kind="mall"),
        ],
    )
    with pytest.raises(CoordinateError, match=r"feature 2 \('远'\).*km outside"):
        read_places(p, area=area)


# --- errors ------------------------------------------------------------------------------


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="does not exist"):
        read_places(tmp_path / "none.csv")
    with pytest.raises(EmptyFileError, match="no data rows"):
        read_places(_csv(tmp_path, "名称,类型,经度,纬度\n"))
    with pytest.raises(EmptyFileError, match="no features"):
        read_places(_geojson(tmp_path / "empty.geojson", []))


def test_column_errors(tmp_path: Path) -> None:
    with pytest.raises(ColumnError, match=r"column '面积'.*unknown column.*名称 \(name\)"):
        read_places(_csv(tmp_path, "名称,类型,面积,经度,纬度\n甲,商场,5,121.4,37.5\n"))
    with pytest.raises(ColumnError, match=r"required column 'name' is missing"):
        read_places(_csv(tmp_path, "类型,经度,纬度\n商场,121.4,37.5\n", "noname.csv"))
    with pytest.raises(ColumnError, match=r"no type column.*kind='industrial_park'"):
        read_places(_csv(tmp_path, "名称,经度,纬度\n甲,121.4,37.5\n", "nokind.csv"))


def test_value_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match=r"row 3, column '类型'.*'菜市场'.*建材市场"):
        read_places(
            _csv(tmp_path, "名称,类型,经度,纬度\n甲,商场,121.4,37.5\n乙,菜市场,121.4,37.5\n")
        )
    with pytest.raises(
        InvalidValueError, match=r"row 2, column '行业'.*unknown sector '金融'.*construction"
    ):
        read_places(_csv(tmp_path, "名称,类型,行业,经度,纬度\n甲,商场,金融,121.4,37.5\n", "s.csv"))
    with pytest.raises(InvalidValueError, match=r"row 2, column '从业人数'.*below the minimum 0"):
        read_places(
            _csv(tmp_path, "名称,类型,从业人数,经度,纬度\n甲,商场,-5,121.4,37.5\n", "w.csv")
        )
    with pytest.raises(InvalidValueError, match=r"row 3, column '类型': empty type"):
        read_places(
            _csv(tmp_path, "名称,类型,经度,纬度\n甲,商场,121.4,37.5\n乙,,121.4,37.5\n", "e.csv")
        )
    with pytest.raises(InvalidValueError, match=r"unknown kind 'farm'.*industrial_park"):
        read_places(_csv(tmp_path, TEXT, "k.csv"), kind="farm")


def test_duplicates_and_coordinates(tmp_path: Path) -> None:
    dup = "编号,名称,类型,经度,纬度\nA,甲,商场,121.4,37.5\nA,乙,商场,121.4,37.5\n"
    with pytest.raises(DuplicateIdError, match=r"row 3, column '编号'.*'A'.*rows 2, 3"):
        read_places(_csv(tmp_path, dup))
    swapped = "名称,类型,经度,纬度\n甲,商场,37.5,121.4\n"
    with pytest.raises(CoordinateError, match=r"row 2, column '经度'.*swapped"):
        read_places(_csv(tmp_path, swapped, "sw.csv"))
    metres = "名称,类型,经度,纬度\n甲,商场,358234.4,4156029.6\n"
    with pytest.raises(CoordinateError, match=r"row 2.*projected metres"):
        read_places(_csv(tmp_path, metres, "m.csv"))
    missing = "名称,类型,经度,纬度\n甲,商场,121.4,37.5\n乙,商场,,\n"
    with pytest.raises(CoordinateError, match=r"row 3.*no coordinates"):
        read_places(_csv(tmp_path, missing, "miss.csv"))


def test_vector_errors(tmp_path: Path) -> None:
    line = _geojson(
        tmp_path / "line.geojson",
        [
            _feature({"type": "Point", "coordinates": [121.3, 37.5]}, name="a", kind="mall"),
            _feature(
                {"type": "LineString", "coordinates": [[121.3, 37.5], [121.4, 37.5]]},
                name="b",
                kind="mall",
            ),
        ],
    )
    with pytest.raises(GeometryError, match=r"feature 2 is a LineString"):
        read_places(line)
    bad_kind = _geojson(
        tmp_path / "kind.geojson",
        [
            _feature({"type": "Point", "coordinates": [121.3, 37.5]}, name="a", kind="mall"),
            _feature({"type": "Point", "coordinates": [121.3, 37.5]}, name="b", kind="zoo"),
        ],
    )
    # for vector files the "row" is the feature number
    with pytest.raises(InvalidValueError, match=r"row 2, column 'kind'.*'zoo'"):
        read_places(bad_kind)

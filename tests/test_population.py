"""Population readers (planner/io/population.py): rasters, census join, census → cells."""

from __future__ import annotations

import csv
import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Geod, Transformer
from rasterio.transform import from_origin
from rasterio.transform import xy as pixel_xy

from planner.errors import (
    ColumnError,
    CoordinateError,
    CRSError,
    DuplicateIdError,
    GeometryError,
    InputFileError,
    InvalidValueError,
    MissingFileError,
    PlannerError,
)
from planner.io.census import AGED_60_PLUS_COLUMNS, CensusResult, read_census
from planner.io.crs import StudyArea
from planner.io.population import read_population_grid
from planner.io.spread import census_to_cells

# UTM 51N origin near Yantai (x = 500 km is the zone's central meridian 123°E); multiples of
# 1,000 m so that a 1 km aggregation grid lines up with blocks of 10 x 10 cells of 100 m.
X0, Y0 = 500_000.0, 4_160_000.0


def write_raster(
    path: Path,
    arr: np.ndarray,
    *,
    crs: str | None,
    transform: Any,
    nodata: float | None = None,
) -> Path:
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "height": arr.shape[0],
        "width": arr.shape[1],
        "count": 1,
        "dtype": arr.dtype.name,
        "transform": transform,
    }
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
    return path


def populated_sum(arr: np.ndarray, nodata: float | None = None) -> tuple[float, int]:
    """Sum and count of the cells > 0 (numpy, float64), nodata and NaN excluded."""
    a = arr.astype(np.float64)
    ok = ~np.isnan(a)
    if nodata is not None:
        ok &= arr != np.asarray(nodata).astype(arr.dtype)
    keep = ok & (a > 0)
    return float(a[keep].sum()), int(keep.sum())


def random_population(shape: tuple[int, int], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    arr = rng.gamma(2.0, 15.0, size=shape).astype("float32")
    arr[rng.random(shape) < 0.15] = 0.0
    return arr


# --------------------------------------------------------------------------------------
# read_population_grid
# --------------------------------------------------------------------------------------


def test_grid_wgs84_preserves_total_and_places_cells(tmp_path: Path) -> None:
    arr = random_population((30, 40), seed=1)
    arr[0, :5] = -99999.0  # WorldPop nodata
    transform = from_origin(121.30, 37.60, 0.001, 0.001)
    p = write_raster(tmp_path / "wp.tif", arr, crs="EPSG:4326", transform=transform, nodata=-99999)
    cells = read_population_grid(p)

    total, n = populated_sum(arr, -99999)
    assert cells["population"].sum() == pytest.approx(total, rel=1e-12)
    assert len(cells) == n
    # 121.3°E lies in UTM zone 51 (zone = floor((121.3 + 180) / 6) + 1 = 51), north
    assert CRS(cells.crs).to_epsg() == 32651
    # one cell by hand: row 7, col 11 → id 7 * 40 + 11, centre from rasterio's own xy()
    r, c = 7, 11
    assert arr[r, c] > 0
    cell = cells[cells["cell_id"] == r * 40 + c].iloc[0]
    assert (cell["row"], cell["col"]) == (r, c)
    assert cell["population"] == pytest.approx(float(arr[r, c]))
    lon, lat = pixel_xy(transform, r, c, offset="center")
    back = gpd.GeoSeries([cell.geometry], crs=cells.crs).to_crs(4326).iloc[0]
    assert back.x == pytest.approx(lon, abs=1e-9)
    assert back.y == pytest.approx(lat, abs=1e-9)


def test_grid_wgs84_cell_area_matches_geodesic_area(tmp_path: Path) -> None:
    # 1° x 1° cells, so the area formula is tested where it matters; the reference is
    # pyproj.Geod on the quadrangle with its parallels densified (geodesic ≈ parallel).
    arr = np.ones((3, 2), dtype="float32")
    transform = from_origin(118.0, 38.0, 1.0, 1.0)
    p = write_raster(tmp_path / "deg.tif", arr, crs="EPSG:4326", transform=transform)
    cells = read_population_grid(p, crs=32650)
    geod = Geod(ellps="WGS84")
    for _, cell in cells.iterrows():
        west = 118.0 + cell["col"]
        north = 38.0 - cell["row"]
        lons = np.concatenate(
            [np.linspace(west, west + 1, 2001), np.linspace(west + 1, west, 2001)]
        )
        lats = np.concatenate([np.full(2001, north), np.full(2001, north - 1.0)])
        ref, _ = geod.polygon_area_perimeter(lons, lats)
        assert cell["cell_area_m2"] == pytest.approx(abs(ref), rel=1e-6)


def test_grid_projected_float32_min_nodata(tmp_path: Path) -> None:
    arr = random_population((25, 35), seed=2)
    nodata = float(np.finfo("float32").min)  # -3.4028235e38, what ArcGIS writes
    arr[3:6, 4:9] = nodata
    transform = from_origin(X0, Y0, 100.0, 100.0)
    p = write_raster(
        tmp_path / "utm.tif", arr, crs="EPSG:32651", transform=transform, nodata=nodata
    )
    cells = read_population_grid(p)
    total, n = populated_sum(arr, nodata)
    assert cells["population"].sum() == pytest.approx(total, rel=1e-12)
    assert len(cells) == n
    assert CRS(cells.crs).to_epsg() == 32651
    assert np.allclose(cells["cell_area_m2"], 100.0 * 100.0)
    # same CRS: the centre of cell (r, c) is (X0 + 100 c + 50, Y0 - 100 r - 50)
    assert np.allclose(cells.geometry.x, X0 + 100.0 * cells["col"] + 50.0)
    assert np.allclose(cells.geometry.y, Y0 - 100.0 * cells["row"] - 50.0)


def test_grid_mollweide_ghs_pop(tmp_path: Path) -> None:
    # GHS-POP: Mollweide (ESRI:54009), 1 km cells, nodata -200
    tr = Transformer.from_crs("EPSG:4326", "ESRI:54009", always_xy=True)
    mx, my = tr.transform(121.0, 37.0)
    x0, y0 = math.floor(mx / 1000.0) * 1000.0, math.floor(my / 1000.0) * 1000.0
    arr = random_population((12, 15), seed=3)
    arr[5, 5] = -200.0
    transform = from_origin(x0, y0, 1000.0, 1000.0)
    p = write_raster(tmp_path / "ghs.tif", arr, crs="ESRI:54009", transform=transform, nodata=-200)
    cells = read_population_grid(p)
    total, n = populated_sum(arr, -200)
    assert cells["population"].sum() == pytest.approx(total, rel=1e-12)
    assert len(cells) == n
    assert np.allclose(cells["cell_area_m2"], 1e6)  # Mollweide is equal-area
    # a cell centre, converted with pyproj directly, is where the reader put it
    cell = cells.iloc[0]
    lon, lat = Transformer.from_crs("ESRI:54009", "EPSG:4326", always_xy=True).transform(
        x0 + 1000.0 * cell["col"] + 500.0, y0 - 1000.0 * cell["row"] - 500.0
    )
    back = gpd.GeoSeries([cell.geometry], crs=cells.crs).to_crs(4326).iloc[0]
    assert (back.x, back.y) == pytest.approx((lon, lat), abs=1e-8)


def test_grid_nan_without_nodata_is_nodata_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    arr = random_population((10, 10), seed=4)
    arr[2, 3] = np.nan
    arr[7, 1] = np.nan
    arr[9, 9] = np.nan
    p = write_raster(
        tmp_path / "nan.tif", arr, crs="EPSG:32651", transform=from_origin(X0, Y0, 100, 100)
    )
    with caplog.at_level(logging.WARNING, logger="planner.io.population"):
        cells = read_population_grid(p)
    total, n = populated_sum(arr)
    assert cells["population"].sum() == pytest.approx(total, rel=1e-12)
    assert len(cells) == n
    assert "3 NaN pixel(s)" in caplog.text


def test_grid_nan_declared_as_nodata_is_silent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    arr = random_population((8, 8), seed=16)
    arr[1, 1] = np.nan
    p = write_raster(
        tmp_path / "nan.tif",
        arr,
        crs="EPSG:32651",
        transform=from_origin(X0, Y0, 100, 100),
        nodata=float("nan"),
    )
    with caplog.at_level(logging.WARNING, logger="planner.io.population"):
        cells = read_population_grid(p)
    assert cells["population"].sum() == pytest.approx(populated_sum(arr)[0], rel=1e-12)
    assert "NaN" not in caplog.text


def test_grid_integer_raster_with_nodata(tmp_path: Path) -> None:
    arr = np.arange(1, 37, dtype="uint16").reshape(6, 6)
    arr[0, 0] = 65535
    arr[5, 5] = 0
    p = write_raster(
        tmp_path / "int.tif",
        arr,
        crs="EPSG:32651",
        transform=from_origin(X0, Y0, 100, 100),
        nodata=65535,
    )
    cells = read_population_grid(p)
    # 1 + 2 + … + 36 without the first (1, now nodata) and the last (36, now 0)
    assert cells["population"].sum() == sum(range(2, 36))
    assert len(cells) == 34


def test_grid_without_any_population(tmp_path: Path) -> None:
    arr = np.zeros((4, 4), dtype="float32")
    p = write_raster(
        tmp_path / "zero.tif", arr, crs="EPSG:4326", transform=from_origin(121, 37, 0.01, 0.01)
    )
    with pytest.raises(InvalidValueError, match=r"zero\.tif: the population grid has no populated"):
        read_population_grid(p)
    assert len(read_population_grid(p, crs=32651)) == 0


def test_grid_area_window_and_clip_by_hand(tmp_path: Path) -> None:
    arr = random_population((40, 50), seed=5)
    arr[30, 40] = -5.0  # invalid, but far outside the area's window: never read
    p = write_raster(
        tmp_path / "utm.tif", arr, crs="EPSG:32651", transform=from_origin(X0, Y0, 100, 100)
    )
    # area = cells rows 2..5, cols 3..7 exactly (edges on cell edges)
    units = gpd.GeoDataFrame(
        {"code": ["a"], "name": ["a"]},
        geometry=[shapely.box(X0 + 300, Y0 - 600, X0 + 800, Y0 - 200)],
        crs=32651,
    )
    area = StudyArea.from_units(units)
    assert CRS(area.crs).to_epsg() == 32651
    cells = read_population_grid(p, area=area)
    block = arr[2:6, 3:8].astype(np.float64)
    assert cells["population"].sum() == pytest.approx(float(block[block > 0].sum()), rel=1e-12)
    assert set(zip(cells["row"], cells["col"], strict=True)) == {
        (r, c) for r in range(2, 6) for c in range(3, 8) if arr[r, c] > 0
    }
    # without the area the whole raster is read, and the negative pixel is found
    with pytest.raises(InvalidValueError, match="row 30, col 40"):
        read_population_grid(p)


def test_grid_area_clip_polygon_wgs84_raster(tmp_path: Path) -> None:
    # triangle area in UTM, raster in lon/lat: expected cells chosen with shapely on
    # centres computed by rasterio.transform.xy and projected by geopandas
    arr = random_population((40, 40), seed=6)
    transform = from_origin(121.0, 37.52, 0.001, 0.001)
    p = write_raster(tmp_path / "wp.tif", arr, crs="EPSG:4326", transform=transform)
    tri_ll = shapely.Polygon([(121.005, 37.515), (121.035, 37.512), (121.012, 37.485)])
    units = gpd.GeoDataFrame({"code": ["t"], "name": ["t"]}, geometry=[tri_ll], crs=4326)
    area = StudyArea.from_units(units)
    cells = read_population_grid(p, area=area)
    rr, cc = np.meshgrid(np.arange(40), np.arange(40), indexing="ij")
    xs, ys = pixel_xy(transform, rr.ravel(), cc.ravel(), offset="center")
    pts = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=4326).to_crs(area.crs)
    inside = np.asarray(pts.within(area.geometry)).reshape(40, 40) & (arr > 0)
    assert len(cells) == int(inside.sum())
    assert cells["population"].sum() == pytest.approx(
        float(arr[inside].astype(np.float64).sum()), rel=1e-12
    )


def test_grid_aggregate_equals_block_sums(tmp_path: Path) -> None:
    arr = random_population((20, 30), seed=7)
    arr[4, 4] = -99999.0
    p = write_raster(
        tmp_path / "utm.tif",
        arr,
        crs="EPSG:32651",
        transform=from_origin(X0, Y0, 100, 100),
        nodata=-99999,
    )
    cells = read_population_grid(p, aggregate_m=1000)
    clean = np.where(arr > 0, arr, 0).astype(np.float64)
    blocks = clean.reshape(2, 10, 3, 10).sum(axis=(1, 3))  # block (i, j) of 10 x 10 cells
    assert len(cells) == 6
    for i in range(2):
        for j in range(3):
            # block i spans y in [Y0 - 1000 (i + 1), Y0 - 1000 i): row = floor(y / 1000)
            row, col = int(Y0 // 1000) - 1 - i, int(X0 // 1000) + j
            got = cells[(cells["row"] == row) & (cells["col"] == col)]
            assert got["cell_id"].iloc[0] == f"r{row}c{col}"
            assert got["population"].iloc[0] == pytest.approx(blocks[i, j], rel=1e-12)
            assert got.geometry.iloc[0].x == pytest.approx(1000 * col + 500)
            assert got.geometry.iloc[0].y == pytest.approx(1000 * row + 500)
    assert np.allclose(cells["cell_area_m2"], 1e6)


def test_grid_output_crs_parameter(tmp_path: Path) -> None:
    arr = random_population((5, 5), seed=8)
    p = write_raster(
        tmp_path / "wp.tif", arr, crs="EPSG:4326", transform=from_origin(117.0, 36.7, 0.01, 0.01)
    )
    cells = read_population_grid(p, crs=32650)
    assert CRS(cells.crs).to_epsg() == 32650
    with pytest.raises(CRSError, match="not projected"):
        read_population_grid(p, crs=4326)


def test_grid_1000x1000_reads_fast(tmp_path: Path) -> None:
    arr = random_population((1000, 1000), seed=9)
    p = write_raster(
        tmp_path / "big.tif",
        arr,
        crs="EPSG:4326",
        transform=from_origin(120.5, 38.0, 0.001, 0.001),
        nodata=-99999,
    )
    start = time.perf_counter()
    cells = read_population_grid(p, progress=True)
    seconds = time.perf_counter() - start
    total, n = populated_sum(arr, -99999)
    assert len(cells) == n
    assert cells["population"].sum() == pytest.approx(total, rel=1e-12)
    assert seconds < 10.0


# --- bad rasters ----------------------------------------------------------------------


def test_grid_negative_values_name_pixel_and_count(tmp_path: Path) -> None:
    arr = random_population((10, 10), seed=10)
    arr[3, 5] = -1.0
    arr[8, 2] = -7.0
    p = write_raster(
        tmp_path / "neg.tif",
        arr,
        crs="EPSG:32651",
        transform=from_origin(X0, Y0, 100, 100),
        nodata=-99999,
    )
    with pytest.raises(InvalidValueError, match=r"neg\.tif.*row 3, col 5.*2 negative pixel"):
        read_population_grid(p)


def test_grid_infinite_value(tmp_path: Path) -> None:
    arr = random_population((6, 6), seed=11)
    arr[1, 2] = np.inf
    p = write_raster(
        tmp_path / "inf.tif", arr, crs="EPSG:32651", transform=from_origin(X0, Y0, 100, 100)
    )
    with pytest.raises(InvalidValueError, match=r"row 1, col 2 .*infinite"):
        read_population_grid(p)


def test_grid_without_crs(tmp_path: Path) -> None:
    arr = random_population((4, 4), seed=12)
    p = write_raster(tmp_path / "nocrs.tif", arr, crs=None, transform=from_origin(0, 4, 1, 1))
    with pytest.raises(CRSError, match=r"nocrs\.tif: the population grid has no CRS.*gdal_edit"):
        read_population_grid(p)


def test_grid_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match=r"absent\.tif.*does not exist"):
        read_population_grid(tmp_path / "absent.tif")


def test_grid_not_a_raster(tmp_path: Path) -> None:
    p = tmp_path / "fake.tif"
    p.write_text("CODE,POPU\n370102,1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"fake\.tif: not a raster"):
        read_population_grid(p)


def test_grid_bad_band_and_aggregate(tmp_path: Path) -> None:
    arr = random_population((4, 4), seed=13)
    p = write_raster(
        tmp_path / "one.tif", arr, crs="EPSG:32651", transform=from_origin(X0, Y0, 100, 100)
    )
    with pytest.raises(InvalidValueError, match="band 2 does not exist"):
        read_population_grid(p, band=2)
    with pytest.raises(InvalidValueError, match="aggregate_m must be a positive"):
        read_population_grid(p, aggregate_m=-5)


def test_grid_area_not_overlapping(tmp_path: Path) -> None:
    arr = random_population((10, 10), seed=14)
    p = write_raster(
        tmp_path / "wp.tif", arr, crs="EPSG:4326", transform=from_origin(121.0, 37.5, 0.001, 0.001)
    )
    far = StudyArea.from_bbox(117.0, 36.5, 117.1, 36.6, name="济南某区")
    with pytest.raises(
        CoordinateError, match=r"wp\.tif: .*does not overlap the study area '济南某区'"
    ):
        read_population_grid(p, area=far)


# --------------------------------------------------------------------------------------
# read_census
# --------------------------------------------------------------------------------------


def squares_wgs84() -> gpd.GeoDataFrame:
    """Three 0.1° squares near Yantai; codes as read_boundaries gives them (text)."""
    return gpd.GeoDataFrame(
        {"code": ["370101", "370102", "370103"], "name": ["甲区", "乙区", "丙县"]},
        geometry=[
            shapely.box(121.0, 37.0, 121.1, 37.1),
            shapely.box(121.1, 37.0, 121.2, 37.1),
            shapely.box(121.2, 37.0, 121.3, 37.1),
        ],
        crs=4326,
    )


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


CENSUS = (
    "CODE,NAME,POPU,OLD\n370101,甲区,1000,0.20\n370102,乙区,2500,0.10\n370171,开发区,400,0.05\n"
)


def test_census_join_reports_unmatched(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    table = write_csv(tmp_path / "census.csv", CENSUS, encoding="gbk")
    with caplog.at_level(logging.WARNING, logger="planner.io.population"):
        res = read_census(squares_wgs84(), table, group_columns={"aged": "OLD"})
    assert isinstance(res, CensusResult)
    assert res.units["code"].tolist() == ["370101", "370102"]
    assert res.units["name"].tolist() == ["甲区", "乙区"]
    assert res.units["population"].tolist() == [1000.0, 2500.0]
    assert res.units["aged"].tolist() == [0.20, 0.10]
    assert res.groups == ("aged",)
    assert res.unmatched_rows.to_dict("records") == [
        {"code": "370171", "name": "开发区", "population": 400.0, "row": 4}
    ]
    assert res.unmatched_units["code"].tolist() == ["370103"]
    assert res.total_population == 3900.0
    assert res.matched_population == 3500.0
    # 121.0-121.3°E → UTM zone 51
    assert CRS(res.units.crs).to_epsg() == 32651
    assert CRS(res.unmatched_units.crs).to_epsg() == 32651
    assert "1 row(s) holding 400 people" in caplog.text
    assert "370171" in caplog.text
    assert "1 polygon(s) have no row" in caplog.text


def test_census_units_areas_in_metres(tmp_path: Path) -> None:
    table = write_csv(tmp_path / "census.csv", CENSUS)
    res = read_census(squares_wgs84(), table)
    geod = Geod(ellps="WGS84")
    ref, _ = geod.geometry_area_perimeter(shapely.box(121.0, 37.0, 121.1, 37.1))
    # UTM area of a 10 km square differs from the ellipsoidal area by the scale factor
    # (k ≈ 0.9996 … 1.0, squared): well under 0.2 %
    assert res.units.geometry.area.iloc[0] == pytest.approx(abs(ref), rel=2e-3)


def test_census_boundary_file_and_xlsx_numeric_codes(tmp_path: Path) -> None:
    gj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"adcode": 370101, "name": "甲区"},
                "geometry": shapely.geometry.mapping(shapely.box(121.0, 37.0, 121.1, 37.1)),
            },
            {
                "type": "Feature",
                "properties": {"adcode": 370102, "name": "乙区"},
                "geometry": shapely.geometry.mapping(shapely.box(121.1, 37.0, 121.2, 37.1)),
            },
        ],
    }
    bpath = tmp_path / "counties_gcj02.geojson"
    bpath.write_text(json.dumps(gj, ensure_ascii=False), encoding="utf-8")
    xlsx = tmp_path / "census.xlsx"
    pd.DataFrame({"CODE": [370101, 370102], "POPU": [1234, 5678]}).to_excel(xlsx, index=False)
    res = read_census(bpath, xlsx, coords="gcj02", crs=32651)
    assert res.units["code"].tolist() == ["370101", "370102"]
    # no name column in the table: the polygons' names are used
    assert res.units["name"].tolist() == ["甲区", "乙区"]
    assert res.total_population == 1234 + 5678
    assert len(res.unmatched_rows) == 0
    assert CRS(res.units.crs).to_epsg() == 32651


def test_census_percent_shares_and_summed_columns(tmp_path: Path) -> None:
    text = (
        "CODE,POPU,AGES_60-64,AGES_65P,PCT_OLD\n"
        "370101,1000,0.0561,0.1230,17.91\n"
        "370102,2000,0.0700,0.2000,27.0\n"
    )
    table = write_csv(tmp_path / "ages.csv", text)
    res = read_census(
        squares_wgs84(),
        table,
        group_columns={"aged_60_plus": AGED_60_PLUS_COLUMNS, "pct": "PCT_OLD"},
    )
    assert res.units["aged_60_plus"].tolist() == pytest.approx([0.0561 + 0.1230, 0.27])
    assert res.units["pct"].tolist() == pytest.approx([0.1791, 0.27])


def test_census_group_table(tmp_path: Path) -> None:
    table = write_csv(tmp_path / "pop.csv", "CODE,POPU\n370101,1000\n370102,2000\n")
    ages = write_csv(
        tmp_path / "ages.csv",
        "CODE,AGES_60-64,AGES_65P\n370102,0.07,0.2\n370101,0.05,0.1\n379999,0.5,0.5\n",
    )
    res = read_census(
        squares_wgs84(),
        table,
        group_columns={"aged_60_plus": AGED_60_PLUS_COLUMNS},
        group_table=ages,
    )
    assert res.units.set_index("code")["aged_60_plus"].to_dict() == pytest.approx(
        {"370101": 0.15, "370102": 0.27}
    )
    short = write_csv(tmp_path / "short.csv", "CODE,AGES_60-64,AGES_65P\n370101,0.05,0.1\n")
    with pytest.raises(InvalidValueError, match=r"pop\.csv, row 3, column 'CODE': code 370102"):
        read_census(
            squares_wgs84(),
            table,
            group_columns={"aged_60_plus": AGED_60_PLUS_COLUMNS},
            group_table=short,
        )


@pytest.mark.parametrize(
    ("text", "kwargs", "error", "match"),
    [
        ("NAME,POPU\n甲区,5\n", {}, ColumnError, r"c\.csv, column 'CODE': the admin code column"),
        ("CODE,PEOPLE\n370101,5\n", {}, ColumnError, r"column 'POPU': the population count"),
        (
            "CODE,POPU\n370101,5\n370102,6\n370101,7\n",
            {},
            DuplicateIdError,
            r"row 4, column 'CODE': '370101' appears 2 times",
        ),
        ("CODE,POPU\n370101,5\n370102,-6\n", {}, InvalidValueError, r"row 3, column 'POPU'.*below"),
        ("CODE,POPU\n370101,NaN\n", {}, InvalidValueError, r"row 2, column 'POPU': 'NaN' is not"),
        ("CODE,POPU\n370101,5\n370102,\n", {}, InvalidValueError, r"row 3, column 'POPU': empty"),
        ("CODE,POPU\n370101,5\n,6\n", {}, InvalidValueError, r"row 3, column 'CODE': empty admin"),
        (
            "CODE,POPU,S\n370101,5,0.5\n370102,6,150\n",
            {"group_columns": {"g": "S"}},
            InvalidValueError,
            r"row 3, column 'S': share 150 is above 100",
        ),
        (
            "CODE,POPU,S\n370101,5,-0.1\n",
            {"group_columns": {"g": "S"}},
            InvalidValueError,
            r"row 2, column 'S': share -0.1 is negative",
        ),
        (
            "CODE,POPU,A,B\n370101,5,0.6,0.7\n",
            {"group_columns": {"g": ["A", "B"]}},
            InvalidValueError,
            r"row 2, column 'A': the shares of group 'g' \(A \+ B\) add up to 1.3",
        ),
        (
            "CODE,POPU\n370101,5\n",
            {"group_columns": {"g": "OLD"}},
            ColumnError,
            r"column 'OLD': share column 'OLD' is missing",
        ),
        ("CODE,POPU\n370101,5\n", {"name_column": "NM"}, ColumnError, r"column 'NM'"),
        (
            "CODE,POPU\n110101,5\n",
            {},
            InvalidValueError,
            r"no code of the table matches a polygon",
        ),
    ],
)
def test_census_bad_tables(
    tmp_path: Path, text: str, kwargs: dict[str, Any], error: type[PlannerError], match: str
) -> None:
    table = write_csv(tmp_path / "c.csv", text)
    with pytest.raises(error, match=match):
        read_census(squares_wgs84(), table, **kwargs)


def test_census_bad_boundaries(tmp_path: Path) -> None:
    table = write_csv(tmp_path / "c.csv", "CODE,POPU\n370101,5\n")
    no_crs = squares_wgs84().set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="boundary polygons have no CRS"):
        read_census(no_crs, table)
    no_code = squares_wgs84().rename(columns={"code": "adcode"})
    with pytest.raises(ColumnError, match=r"no 'code' column.*read_boundaries"):
        read_census(no_code, table)


def test_census_area_elsewhere(tmp_path: Path) -> None:
    table = write_csv(tmp_path / "c.csv", "CODE,POPU\n370101,5\n")
    far = StudyArea.from_bbox(117.0, 36.5, 117.1, 36.6, name="济南某区")
    with pytest.raises(CoordinateError, match="overlaps the study area '济南某区'"):
        read_census(squares_wgs84(), table, area=far)
    near = StudyArea.from_bbox(121.05, 37.02, 121.08, 37.05, name="甲区一角")
    res = read_census(squares_wgs84(), table, area=near)
    assert CRS(res.units.crs) == CRS(near.crs)


# --------------------------------------------------------------------------------------
# census_to_cells
# --------------------------------------------------------------------------------------


def units_of(polys: list[shapely.Geometry], pops: list[float], **cols: list[float]) -> Any:
    codes = [f"u{i}" for i in range(len(polys))]
    return gpd.GeoDataFrame({"code": codes, "population": pops, **cols}, geometry=polys, crs=32651)


def test_cells_square_by_hand() -> None:
    cells = census_to_cells(units_of([shapely.box(0, 0, 1000, 1000)], [1000.0]), cell_size_m=500)
    assert cells["population"].tolist() == [250.0] * 4
    assert cells["cell_id"].tolist() == ["u0_r0c0", "u0_r0c1", "u0_r1c0", "u0_r1c1"]
    assert sorted(zip(cells.geometry.x, cells.geometry.y, strict=True)) == [
        (250.0, 250.0),
        (250.0, 750.0),
        (750.0, 250.0),
        (750.0, 750.0),
    ]
    assert cells["cell_area_m2"].tolist() == [250_000.0] * 4


def test_cells_offset_polygon_by_hand() -> None:
    # box 250..1250 x 0..500 over 500 m cells: overlaps 250, 500, 250 m wide
    cells = census_to_cells(units_of([shapely.box(250, 0, 1250, 500)], [1000.0]), cell_size_m=500)
    assert cells["cell_id"].tolist() == ["u0_r0c0", "u0_r0c1", "u0_r0c2"]
    assert cells["population"].tolist() == pytest.approx([250.0, 500.0, 250.0])
    assert cells["cell_area_m2"].tolist() == pytest.approx([125_000.0, 250_000.0, 125_000.0])
    # the cut cells sit at their piece's centroid, the whole cell at its centre
    assert [(p.x, p.y) for p in cells.geometry] == [(375.0, 250.0), (750.0, 250.0), (1125.0, 250.0)]


def test_cells_shared_cell_split_by_hand() -> None:
    units = units_of([shapely.box(0, 0, 750, 500), shapely.box(750, 0, 1500, 500)], [300.0, 600.0])
    cells = census_to_cells(units, cell_size_m=500)
    got = dict(zip(cells["cell_id"], cells["population"], strict=True))
    # u0: 750 x 500 → cell 0 holds 2/3, cell 1 holds 1/3; u1: cell 1 holds 1/3, cell 2 2/3
    assert got == pytest.approx(
        {"u0_r0c0": 200.0, "u0_r0c1": 100.0, "u1_r0c1": 200.0, "u1_r0c2": 400.0}
    )
    assert cells["unit_code"].tolist() == ["u0", "u0", "u1", "u1"]


def test_cells_irregular_polygons_match_geopandas_overlay() -> None:
    circle = shapely.Point(1234.0, 2345.0).buffer(1800.0, quad_segs=64)
    tri = shapely.Polygon([(3000, 500), (6100, 900), (4200, 4300)])
    units = units_of([circle, tri], [12_345.0, 6789.0])
    size = 400.0
    cells = census_to_cells(units, cell_size_m=size)
    # independent: an explicit grid of boxes overlaid with geopandas
    xs = np.arange(-1200.0, 6400.0, size)  # multiples of the cell size, like the reader
    ys = np.arange(0.0, 4400.0, size)
    gx, gy = np.meshgrid(xs, ys)
    grid = gpd.GeoDataFrame(
        {"gx": gx.ravel(), "gy": gy.ravel()},
        geometry=[
            shapely.box(x, y, x + size, y + size)
            for x, y in zip(gx.ravel(), gy.ravel(), strict=True)
        ],
        crs=32651,
    )
    ov = gpd.overlay(units, grid, how="intersection", keep_geom_type=True)
    ov["a"] = ov.geometry.area
    ov = ov[ov["a"] > 0]
    ov["expected"] = ov["population"] * ov["a"] / ov.groupby("code")["a"].transform("sum")
    ov["cell_id"] = (
        ov["code"]
        + "_r"
        + (ov["gy"] // size).astype(int).astype(str)
        + "c"
        + (ov["gx"] // size).astype(int).astype(str)
    )
    expected = ov.set_index("cell_id")["expected"].sort_index()
    got = cells.set_index("cell_id")["population"].sort_index()
    assert list(got.index) == list(expected.index)
    assert np.allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9)
    per_unit = cells.groupby("unit_code")["population"].sum()
    assert per_unit["u0"] == pytest.approx(12_345.0, rel=1e-12)
    assert per_unit["u1"] == pytest.approx(6789.0, rel=1e-12)
    # every point lies in its piece: inside its unit
    for code, poly in zip(units["code"], units.geometry, strict=True):
        pts = cells.geometry[cells["unit_code"] == code]
        assert bool(np.all(shapely.intersects(poly, pts.values)))


@settings(max_examples=40, deadline=None)
@given(
    x0=st.floats(-5000, 5000),
    y0=st.floats(-5000, 5000),
    w=st.floats(1.0, 4000.0),
    h=st.floats(1.0, 4000.0),
    pop=st.floats(1.0, 1e7),
    size=st.sampled_from([100.0, 250.0, 500.0, 1000.0]),
)
def test_cells_total_preserved_property(
    x0: float, y0: float, w: float, h: float, pop: float, size: float
) -> None:
    units = units_of([shapely.box(x0, y0, x0 + w, y0 + h)], [pop])
    cells = census_to_cells(units, cell_size_m=size)
    assert cells["population"].sum() == pytest.approx(pop, rel=1e-9, abs=1e-9)
    assert cells["cell_area_m2"].sum() == pytest.approx(w * h, rel=1e-9)


def test_cells_groups_carried() -> None:
    units = units_of([shapely.box(0, 0, 1000, 500)], [800.0], aged=[0.25])
    cells = census_to_cells(units, cell_size_m=500, groups=["aged"])
    assert cells["aged"].tolist() == [0.25, 0.25]
    assert cells["aged_population"].tolist() == [100.0, 100.0]


def test_cells_from_census_result_carries_groups(tmp_path: Path) -> None:
    table = write_csv(tmp_path / "census.csv", CENSUS)
    res = read_census(squares_wgs84(), table, group_columns={"aged": "OLD"})
    cells = census_to_cells(res, cell_size_m=1000)
    per_unit = cells.groupby("unit_code")[["population", "aged_population"]].sum()
    assert per_unit.loc["370101", "population"] == pytest.approx(1000.0, rel=1e-12)
    assert per_unit.loc["370102", "aged_population"] == pytest.approx(2500.0 * 0.10, rel=1e-12)


def test_cells_weights_by_hand(caplog: pytest.LogCaptureFixture) -> None:
    units = units_of(
        [shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)], [400.0, 90.0]
    )
    weights = gpd.GeoDataFrame(
        {"population": [1.0, 3.0, 0.0, 50.0], "cell_id": [11, 12, 13, 14]},
        geometry=[
            shapely.Point(100, 100),
            shapely.Point(900, 900),
            shapely.Point(500, 500),
            shapely.Point(5000, 5000),  # outside every unit: not used
        ],
        crs=32651,
    )
    with caplog.at_level(logging.WARNING, logger="planner.io.population"):
        cells = census_to_cells(units, cell_size_m=500, weights=weights)
    u0 = cells[cells["unit_code"] == "u0"]
    # u0: weights 1 and 3 (the 0 weight gets nothing) → 100 and 300
    assert dict(zip(u0["cell_id"], u0["population"], strict=True)) == {"11": 100.0, "12": 300.0}
    # u1 has no weight inside: spread by area over its 4 cells of 500 m
    u1 = cells[cells["unit_code"] == "u1"]
    assert u1["population"].tolist() == [22.5] * 4
    assert "1 unit(s) have no weight inside (u1)" in caplog.text


def test_cells_weights_count_features_and_reproject() -> None:
    units = units_of([shapely.box(0, 0, 1000, 1000)], [300.0])
    pts = gpd.GeoSeries(
        [shapely.Point(100, 100), shapely.Point(200, 200), shapely.Point(800, 300)], crs=32651
    ).to_crs(4326)
    buildings = gpd.GeoDataFrame({"kind": ["a", "b", "c"]}, geometry=pts.values, crs=4326)
    cells = census_to_cells(units, weights=buildings, weight_column=None)
    assert cells["population"].tolist() == pytest.approx([100.0] * 3)
    assert cells["cell_id"].tolist() == ["w0", "w1", "w2"]
    assert cells.geometry.x.tolist() == pytest.approx([100.0, 200.0, 800.0], abs=1e-6)


def test_cells_weights_from_raster_cells(tmp_path: Path) -> None:
    arr = random_population((20, 20), seed=15)
    p = write_raster(
        tmp_path / "utm.tif", arr, crs="EPSG:32651", transform=from_origin(X0, Y0, 100, 100)
    )
    grid = read_population_grid(p)
    unit = shapely.box(X0 + 260, Y0 - 1510, X0 + 1490, Y0 - 290)  # no centre on its edge
    cells = census_to_cells(units_of([unit], [10_000.0]), weights=grid)
    # expected by hand: raster cells whose centre is inside the unit, scaled to 10,000
    rows = np.arange(20)[:, None]
    cols = np.arange(20)[None, :]
    cx, cy = X0 + 100 * cols + 50, Y0 - 100 * rows - 50
    inside = (cx > X0 + 260) & (cx < X0 + 1490) & (cy > Y0 - 1510) & (cy < Y0 - 290) & (arr > 0)
    expected = 10_000.0 * arr[inside].astype(float) / arr[inside].astype(float).sum()
    got = cells.set_index("cell_id")["population"]
    ids = (rows * 20 + cols)[inside]
    assert np.allclose(got.loc[[str(i) for i in ids]].to_numpy(), expected)
    assert np.allclose(cells["cell_area_m2"], 10_000.0)


def test_cells_county_sized_is_fast() -> None:
    # ~2,000 km² county with a 2,048-vertex boundary at 500 m
    county = shapely.Point(600_000, 4_100_000).buffer(25_231.0, quad_segs=512)
    units = units_of([county], [800_000.0])
    start = time.perf_counter()
    cells = census_to_cells(units, cell_size_m=500)
    seconds = time.perf_counter() - start
    assert county.area / 1e6 == pytest.approx(2000, rel=0.01)
    assert cells["population"].sum() == pytest.approx(800_000.0, rel=1e-9)
    assert cells["cell_area_m2"].sum() == pytest.approx(county.area, rel=1e-9)
    assert seconds < 10.0


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "match"),
    [
        (
            lambda: units_of([shapely.box(0, 0, 1, 1)], [1.0]).to_crs(4326),
            {},
            CRSError,
            "not a projected CRS",
        ),
        (
            lambda: units_of([shapely.box(0, 0, 1, 1)], [1.0]).set_crs(None, allow_override=True),
            {},
            CRSError,
            "no CRS",
        ),
        (
            lambda: units_of([shapely.box(0, 0, 1, 1)], [1.0]).drop(columns="population"),
            {},
            ColumnError,
            "no 'population' column",
        ),
        (
            lambda: units_of([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], [1.0, -2.0]),
            {},
            InvalidValueError,
            r"column 'population': unit u1 has population -2",
        ),
        (
            lambda: units_of([shapely.box(0, 0, 1, 1)], [float("nan")]),
            {},
            InvalidValueError,
            "unit u0 has population nan",
        ),
        (
            lambda: units_of([shapely.box(0, 0, 1, 1)] * 2, [1.0, 2.0]).assign(code=["a", "a"]),
            {},
            DuplicateIdError,
            "'a' appears 2 times",
        ),
        (
            lambda: units_of([shapely.box(0, 0, 1, 1)], [1.0]),
            {"cell_size_m": 0.0},
            InvalidValueError,
            "cell_size_m must be a positive",
        ),
        (
            lambda: units_of([shapely.box(0, 0, 1, 1)], [1.0], aged=[1.5]),
            {"groups": ["aged"]},
            InvalidValueError,
            r"column 'aged': unit u0 has share 1.5",
        ),
        (
            lambda: units_of([shapely.box(0, 0, 1, 1)], [1.0]),
            {"groups": ["aged"]},
            ColumnError,
            "no 'aged' column",
        ),
        (
            lambda: units_of([shapely.box(0, 0, 1, 1), shapely.Polygon()], [1.0, 2.0]),
            {},
            GeometryError,
            "unit u1 has no area",
        ),
        (
            lambda: units_of([shapely.box(0, 0, 1, 1)], [1.0]),
            {
                "weights": gpd.GeoDataFrame(
                    {"population": [-1.0]}, geometry=[shapely.Point(0.5, 0.5)], crs=32651
                )
            },
            InvalidValueError,
            r"column 'population': feature 1 has weight -1",
        ),
        (
            lambda: units_of([shapely.box(0, 0, 1, 1)], [1.0]),
            {"weights": gpd.GeoDataFrame(geometry=[shapely.Point(0.5, 0.5)], crs=32651)},
            ColumnError,
            "weight layer has no 'population' column",
        ),
    ],
)
def test_cells_bad_input(
    make: Any, kwargs: dict[str, Any], error: type[PlannerError], match: str
) -> None:
    with pytest.raises(error, match=match):
        census_to_cells(make(), **kwargs)


# --------------------------------------------------------------------------------------
# Real Shandong data
# --------------------------------------------------------------------------------------


def _real_paths(shared_data: Path) -> tuple[Path, Path, Path]:
    census = shared_data / "shandong-census2020"
    return (
        shared_data / "shandong-admin" / "shandong_counties_gcj02.geojson",
        census / "shandong_population_2020_county.csv",
        census / "shandong_ages_2020_county.csv",
    )


@pytest.mark.realdata
def test_real_census_join(shared_data: Path) -> None:
    bpath, pop_csv, _ = _real_paths(shared_data)
    with pop_csv.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    adcodes = {
        str(ft["properties"]["adcode"]) for ft in json.loads(bpath.read_text("utf-8"))["features"]
    }
    table_codes = {r["CODE"] for r in rows}
    expected_unmatched = table_codes - adcodes
    expected_total = sum(float(r["POPU"]) for r in rows)

    res = read_census(bpath, pop_csv, coords="gcj02")
    assert len(rows) == 153
    assert expected_total == 101_527_453
    assert len(res.units) == 136
    assert set(res.unmatched_rows["code"]) == expected_unmatched
    assert len(expected_unmatched) == 17
    assert all(c[4] == "7" for c in expected_unmatched)  # 37xx7x development zones
    assert len(res.unmatched_units) == 0
    assert res.total_population == expected_total
    unmatched_pop = sum(float(r["POPU"]) for r in rows if r["CODE"] in expected_unmatched)
    assert res.matched_population == pytest.approx(expected_total - unmatched_pop, abs=1e-6)
    by_code = {r["CODE"]: float(r["POPU"]) for r in rows}
    assert dict(zip(res.units["code"], res.units["population"], strict=True)) == {
        c: by_code[c] for c in adcodes
    }


@pytest.mark.realdata
def test_real_census_to_cells_one_county(shared_data: Path) -> None:
    bpath, pop_csv, ages_csv = _real_paths(shared_data)
    res = read_census(
        bpath,
        pop_csv,
        coords="gcj02",
        group_columns={"aged_60_plus": AGED_60_PLUS_COLUMNS},
        group_table=ages_csv,
    )
    county = res.units[res.units["code"] == "370602"]  # 烟台 芝罘区
    start = time.perf_counter()
    cells = census_to_cells(county, cell_size_m=500, groups=["aged_60_plus"])
    assert time.perf_counter() - start < 10.0
    pop = float(county["population"].iloc[0])
    assert cells["population"].sum() == pytest.approx(pop, rel=1e-6)
    assert cells["cell_area_m2"].sum() == pytest.approx(
        float(county.geometry.area.iloc[0]), rel=1e-9
    )
    share = float(county["aged_60_plus"].iloc[0])
    assert cells["aged_60_plus_population"].sum() == pytest.approx(pop * share, rel=1e-6)


@pytest.mark.realdata
def test_real_aged_60_plus_share(shared_data: Path) -> None:
    bpath, pop_csv, ages_csv = _real_paths(shared_data)
    with ages_csv.open(encoding="utf-8-sig", newline="") as f:
        ages = {r["CODE"]: r for r in csv.DictReader(f)}
    row = ages["370102"]  # 济南 历下区
    bands = ["AGES_60-64", "AGES_65-69", "AGES_70-74", "AGES_75-79", "AGES_80-84", "AGES_85P"]
    expected = sum(float(row[b]) for b in bands)  # 60+ from the single-band shares
    assert float(row["AGES_60-64"]) + float(row["AGES_65P"]) == pytest.approx(expected, abs=1e-9)
    res = read_census(
        bpath,
        pop_csv,
        coords="gcj02",
        group_columns={"aged_60_plus": AGED_60_PLUS_COLUMNS},
        group_table=ages_csv,
    )
    got = float(res.units.set_index("code").loc["370102", "aged_60_plus"])
    assert got == pytest.approx(expected, abs=1e-9)
    assert got == pytest.approx(0.1791, abs=1e-9)

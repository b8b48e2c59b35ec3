"""Door checks shared by every table reader (planner/io/_tables.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from planner.errors import (
    ColumnError,
    CoordinateError,
    DuplicateIdError,
    EmptyFileError,
    EncodingError,
    InputFileError,
    InvalidValueError,
    MissingFileError,
    PlannerError,
)
from planner.io._tables import (
    ColumnSpec,
    Schema,
    check_unique,
    points_from_lonlat,
    read_table,
    to_number,
)
from planner.io.coords import gcj02_to_wgs84
from planner.io.crs import StudyArea

TEXT = "名称,经度,纬度,电话\n甲市场,121.44,37.46,05351234567\n乙站,121.45,37.47,0535-7654321\n"

SCHEMA = Schema(
    (
        ColumnSpec("name", ("名称",), required=True),
        ColumnSpec("lon", ("经度", "longitude")),
        ColumnSpec("lat", ("纬度", "latitude")),
        ColumnSpec("phone", ("电话", "联系电话")),
    ),
    what="test table",
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_read_table_encodings_give_the_same_frame(tmp_path: Path, encoding: str) -> None:
    p = tmp_path / f"t-{encoding}.csv"
    p.write_bytes(TEXT.encode(encoding))
    df = read_table(p)
    assert list(df.columns) == ["名称", "经度", "纬度", "电话"]
    assert df["名称"].tolist() == ["甲市场", "乙站"]
    # phone numbers stay text: the leading zero survives
    assert df["电话"].tolist() == ["05351234567", "0535-7654321"]


def test_read_table_xlsx_equals_csv(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text(TEXT, encoding="utf-8")
    xlsx = tmp_path / "t.xlsx"
    pd.DataFrame(
        {
            "名称": ["甲市场", "乙站"],
            "经度": ["121.44", "121.45"],
            "纬度": ["37.46", "37.47"],
            "电话": ["05351234567", "0535-7654321"],
        }
    ).to_excel(xlsx, index=False)
    a, b = read_table(csv), read_table(xlsx)
    pd.testing.assert_frame_equal(a.astype(object), b.astype(object))


def test_missing_empty_and_header_only(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match=r"nope\.csv.*does not exist"):
        read_table(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(EmptyFileError, match=r"empty\.csv.*empty \(0 bytes\)"):
        read_table(empty)
    header = tmp_path / "header.csv"
    header.write_text("名称,经度\n", encoding="utf-8")
    with pytest.raises(EmptyFileError, match="header but no data rows"):
        read_table(header)
    assert issubclass(MissingFileError, FileNotFoundError)


def test_undecodable_text_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    # \x80 is invalid as a UTF-8 start byte and as a GB18030 lead byte.
    p.write_bytes("名称\n好\n".encode() + b"\x80\x80\n")
    with pytest.raises(EncodingError, match=r"bad\.csv, row 3: text is neither UTF-8 nor GBK"):
        read_table(p)


def test_xls_and_corrupt_xlsx(tmp_path: Path) -> None:
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0 not really")
    with pytest.raises(InputFileError, match=r"\.xls files are not supported.*save it as \.xlsx"):
        read_table(xls)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"this is not a zip")
    with pytest.raises(InputFileError, match="not a readable Excel"):
        read_table(bad)


def test_schema_maps_chinese_and_english_headers(tmp_path: Path) -> None:
    df = pd.DataFrame({" 名称 ": ["a"], "Longitude": ["1"], "纬度": ["2"]})
    df.columns = [c.strip() for c in df.columns]
    out = SCHEMA.apply(df, path=tmp_path / "x.csv")
    assert list(out.columns) == ["name", "lon", "lat"]


def test_schema_errors(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    with pytest.raises(
        ColumnError, match=r"column '备用'.*unknown column\(s\) '备用'.*Fix: rename"
    ):
        SCHEMA.apply(pd.DataFrame({"名称": ["a"], "备用": ["b"]}), path=p)
    with pytest.raises(
        ColumnError, match=r"required column 'name' is missing.*add a column headed name / 名称"
    ):
        SCHEMA.apply(pd.DataFrame({"经度": ["1"]}), path=p)
    with pytest.raises(ColumnError, match=r"'经度' and 'longitude' both mean 'lon'"):
        SCHEMA.apply(pd.DataFrame({"名称": ["a"], "经度": ["1"], "longitude": ["1"]}), path=p)
    # ColumnError is a KeyError whose str is the plain message (no extra quotes)
    try:
        SCHEMA.apply(pd.DataFrame({"经度": ["1"]}), path=p)
    except KeyError as exc:
        assert str(exc).startswith(str(p))


def test_to_number_parses_and_names_bad_rows(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    df = pd.DataFrame({"n": ["1", "12,000", " 3.5 "]})
    assert to_number(df, "n", path=p).tolist() == [1.0, 12000.0, 3.5]
    with pytest.raises(InvalidValueError, match=r"row 3, column '人口': 'abc' is not a number"):
        to_number(pd.DataFrame({"n": ["1", "abc"]}), "n", path=p, shown_as="人口")
    with pytest.raises(
        InvalidValueError, match=r"row 2, column 'n': value -5 is below the minimum 0"
    ):
        to_number(pd.DataFrame({"n": ["-5"]}), "n", path=p, minimum=0)
    with pytest.raises(InvalidValueError, match=r"row 3, column 'n': empty value"):
        to_number(pd.DataFrame({"n": ["1", np.nan]}), "n", path=p)
    assert np.isnan(to_number(pd.DataFrame({"n": ["1", np.nan]}), "n", path=p, required=False)[1])
    with pytest.raises(InvalidValueError, match="not a whole number"):
        to_number(pd.DataFrame({"n": ["1.5"]}), "n", path=p, integer=True)


def test_check_unique_names_both_rows(tmp_path: Path) -> None:
    df = pd.DataFrame({"id": ["a", "b", "a"]})
    with pytest.raises(
        DuplicateIdError, match=r"row 4, column '编号': 'a' appears 2 times \(rows 2, 4\)"
    ):
        check_unique(df, "id", path=tmp_path / "x.csv", shown_as="编号")
    check_unique(pd.DataFrame({"id": ["a", "b"]}), "id", path="x")


def _area() -> StudyArea:
    return StudyArea.from_bbox(121.3, 37.4, 121.6, 37.6, name="test")


def test_points_from_lonlat_converts_and_projects(tmp_path: Path) -> None:
    df = pd.DataFrame({"name": ["a", "b"]})
    lon = pd.Series([121.44, 121.45])
    lat = pd.Series([37.46, 37.47])
    area = _area()
    gdf = points_from_lonlat(df, lon, lat, coords="gcj02", path=tmp_path / "x.csv", area=area)
    assert gdf.crs == area.crs
    # independent: shift with the coords module, project with pyproj directly
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    x, y = Transformer.from_crs(4326, area.crs, always_xy=True).transform(wlon, wlat)
    np.testing.assert_allclose(gdf.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(gdf.geometry.y, y, atol=1e-6)
    # and the GCJ-02 offset in Yantai is a few hundred metres
    raw_x, raw_y = Transformer.from_crs(4326, area.crs, always_xy=True).transform(lon, lat)
    shift = np.hypot(np.asarray(raw_x) - x, np.asarray(raw_y) - y)
    assert np.all((shift > 200) & (shift < 800))


@pytest.mark.parametrize(
    ("lon", "lat", "match"),
    [
        (37.46, 121.44, r"row 2, column '经度': longitude 37.46 and latitude 121.44 look swapped"),
        (500000.0, 4150000.0, r"row 2, column '经度'.*looks like projected metres"),
        (
            118.0,
            36.0,
            r"row 2, column '经度': point \(118.0, 36.0\) is \d+\.\d km outside the study area",
        ),
    ],
)
def test_points_from_lonlat_rejects_bad_coordinates(
    tmp_path: Path, lon: float, lat: float, match: str
) -> None:
    df = pd.DataFrame({"name": ["a"]})
    with pytest.raises(CoordinateError, match=match):
        points_from_lonlat(
            df,
            pd.Series([lon]),
            pd.Series([lat]),
            coords="wgs84",
            path=tmp_path / "m.csv",
            lon_column="经度",
            lat_column="纬度",
            area=_area(),
        )


def test_points_missing_coordinates(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    df = pd.DataFrame({"name": ["a", "b"]})
    lon, lat = pd.Series([121.44, np.nan]), pd.Series([37.46, np.nan])
    with pytest.raises(CoordinateError, match=r"row 3, column 'lon': no coordinates \(1 row"):
        points_from_lonlat(df, lon, lat, coords="wgs84", path=tmp_path / "m.csv")
    gdf = points_from_lonlat(
        df, lon, lat, coords="wgs84", path=tmp_path / "m.csv", allow_missing=True
    )
    assert gdf.geometry.isna().tolist() == [False, True]
    assert "1 row(s) have no coordinates" in caplog.text


def test_errors_are_catchable_as_builtins() -> None:
    err = InvalidValueError("bad", path="f.csv", row=3, column="c", fix="do x")
    assert isinstance(err, ValueError) and isinstance(err, PlannerError)
    assert str(err) == "f.csv, row 3, column 'c': bad. Fix: do x"


def test_row_numbers_survive_blank_lines(tmp_path: Path) -> None:
    p = tmp_path / "blank.csv"
    # header = row 1, 'a' row 2, blank row 3, 'x' row 4 (as a spreadsheet shows it)
    p.write_text("n\n1\n\nx\n", encoding="utf-8")
    df = read_table(p)
    assert len(df) == 2
    with pytest.raises(InvalidValueError, match=r"row 4, column 'n': 'x' is not a number"):
        to_number(df, "n", path=p)

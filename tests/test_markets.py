"""Market directory reader (planner/io/markets/) and its template."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from pyproj import CRS, Transformer

from planner.errors import (
    ColumnError,
    CoordinateError,
    CRSError,
    DuplicateIdError,
    EmptyFileError,
    EncodingError,
    HoursError,
    InputFileError,
    InvalidValueError,
    MissingFileError,
)
from planner.io.coords import convert
from planner.io.crs import StudyArea
from planner.io.hours import parse_hours
from planner.io.markets import (
    FACILITY_KEYS,
    FACILITY_LABELS,
    MARKET_COLUMNS,
    facility_keys,
    facility_words,
    read_markets,
    split_list,
    write_markets_template,
)

ROOT = Path(__file__).resolve().parents[1]

HEADER = "编号,名称,类型,地址,经度,纬度,坐标系,开放时间,工种,联系电话,工作人员数,便民设施,状态"
ROWS = [
    "YT01,芝罘区零工市场,综合性零工市场,芝罘区西关街1号,121.3950,37.5380,gcj02,"
    "每天 05:00-11:00,建筑工、装修工,05356666666,3,候工室、饮用水,运营",
    "YT02,福山建材城零工市场,行业性,福山区建材路2号,121.2600,37.4950,,"
    "周一至周五 08:00-12:00,瓦工/木工,0535-1234567,0,电动车充电,暂停",
    "YT03,幸福街道零工驿站,驿站,芝罘区幸福街道,121.3480,37.5570,bd09,,保洁,12333,,,关闭",
]
TEXT = HEADER + "\n" + "\n".join(ROWS) + "\n"


def _csv(tmp_path: Path, text: str, name: str = "m.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def _xlsx(tmp_path: Path, text: str, name: str = "m.xlsx") -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for line in text.strip().split("\n"):
        ws.append([c if c else None for c in line.split(",")])
    p = tmp_path / name
    wb.save(p)
    return p


def _utm51(lon: float, lat: float) -> tuple[float, float]:
    t = Transformer.from_crs(4326, 32651, always_xy=True)
    x, y = t.transform(lon, lat)
    return float(x), float(y)


# --- reading -----------------------------------------------------------------------------


def test_same_table_in_every_encoding_and_xlsx_gives_identical_frames(tmp_path: Path) -> None:
    frames = [
        read_markets(_csv(tmp_path, TEXT, "u8.csv", "utf-8"), coords="wgs84"),
        read_markets(_csv(tmp_path, TEXT, "bom.csv", "utf-8-sig"), coords="wgs84"),
        read_markets(_csv(tmp_path, TEXT, "gbk.csv", "gbk"), coords="wgs84"),
        read_markets(_xlsx(tmp_path, TEXT), coords="wgs84"),
    ]
    first = frames[0]
    for other in frames[1:]:
        # OpeningHours objects compare by value; the rest by the frame comparison
        assert other["opening_hours"].tolist() == first["opening_hours"].tolist()
        pd.testing.assert_frame_equal(
            pd.DataFrame(other.drop(columns=["opening_hours", "geometry"])),
            pd.DataFrame(first.drop(columns=["opening_hours", "geometry"])),
        )
        assert other.geometry.geom_equals_exact(first.geometry, tolerance=0).all()
    assert list(first.columns) == [*MARKET_COLUMNS, "geometry"]
    assert first["market_id"].tolist() == ["YT01", "YT02", "YT03"]
    assert first["tier"].tolist() == ["comprehensive", "sector", "station"]
    assert first["status"].tolist() == ["open", "suspended", "closed"]
    assert first["status_text"].tolist() == ["运营", "暂停", "关闭"]
    # phone numbers stay text with their leading zero
    assert first["phone"].tolist() == ["05356666666", "0535-1234567", "12333"]
    assert first["occupations"].tolist() == [["建筑工", "装修工"], ["瓦工", "木工"], ["保洁"]]
    assert first["facility_keys"].tolist() == [
        ["waiting_room", "drinking_water"],
        ["ebike_charging"],
        [],
    ]
    assert first["staff"].tolist()[:2] == [3, 0]
    assert pd.isna(first["staff"].iloc[2])
    assert first["coords"].tolist() == ["gcj02", "wgs84", "bd09"]


def test_each_row_is_converted_from_its_own_system(tmp_path: Path) -> None:
    gdf = read_markets(_csv(tmp_path, TEXT), coords="wgs84")
    # median longitude 121.35 E -> UTM zone 51N
    assert CRS(gdf.crs).to_epsg() == 32651
    expected = []
    for lon, lat, system in [
        (121.3950, 37.5380, "gcj02"),
        (121.2600, 37.4950, "wgs84"),
        (121.3480, 37.5570, "bd09"),
    ]:
        wlon, wlat = convert([lon], [lat], system, "wgs84")
        expected.append(_utm51(float(wlon[0]), float(wlat[0])))
    got = np.column_stack([gdf.geometry.x, gdf.geometry.y])
    np.testing.assert_allclose(got, np.array(expected), atol=1e-6)
    # the GCJ-02 shift is a few hundred metres here: the conversion really happened
    raw = _utm51(121.3950, 37.5380)
    assert 200 < np.hypot(got[0, 0] - raw[0], got[0, 1] - raw[1]) < 800


def test_coords_argument_applies_where_the_row_declares_nothing(tmp_path: Path) -> None:
    gdf = read_markets(_csv(tmp_path, TEXT), coords="GCJ-02")
    assert gdf["coords"].tolist() == ["gcj02", "gcj02", "bd09"]
    wlon, wlat = convert([121.2600], [37.4950], "gcj02", "wgs84")
    x, y = _utm51(float(wlon[0]), float(wlat[0]))
    assert gdf.geometry.iloc[1].distance(gpd.points_from_xy([x], [y])[0]) < 1e-6


def test_no_system_anywhere_reads_wgs84_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    p = _csv(tmp_path, "名称,经度,纬度\n甲,121.40,37.50\n")
    with caplog.at_level(logging.WARNING):
        gdf = read_markets(p)
    assert "read as WGS-84" in caplog.text
    assert gdf["coords"].tolist() == ["wgs84"]
    x, y = _utm51(121.40, 37.50)
    assert abs(gdf.geometry.x.iloc[0] - x) < 1e-6 and abs(gdf.geometry.y.iloc[0] - y) < 1e-6


def test_ids_are_generated_in_row_order_when_absent(tmp_path: Path) -> None:
    p = _csv(tmp_path, "名称,地址\n甲,一路\n乙,二路\n丙,三路\n")
    gdf = read_markets(p)
    assert gdf["market_id"].tolist() == ["M0001", "M0002", "M0003"]
    assert gdf.geometry.isna().all()  # no coordinates: kept, empty geometry


def test_english_headers(tmp_path: Path) -> None:
    p = _csv(
        tmp_path,
        "market_id,name,type,address,longitude,latitude,crs,opening_hours,phone\n"
        "A1,Market A,comprehensive,Road 1,121.40,37.50,wgs84,Mo-Su 05:00-11:00,0535\n",
    )
    gdf = read_markets(p)
    assert gdf["tier"].tolist() == ["comprehensive"]
    assert gdf["phone"].tolist() == ["0535"]
    assert gdf["opening_hours"].iloc[0] == parse_hours("每天 05:00-11:00")


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        ("综合性零工市场", "comprehensive"),
        ("综合", "comprehensive"),
        ("Comprehensive", "comprehensive"),
        ("行业性零工市场", "sector"),
        ("专业性", "sector"),
        ("零工服务站", "station"),
        ("服务站点", "station"),
        ("驿站", "station"),
    ],
)
def test_tier_words(tmp_path: Path, text: str, tier: str) -> None:
    gdf = read_markets(_csv(tmp_path, f"名称,类型\n甲,{text}\n"))
    assert gdf["tier"].iloc[0] == tier


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("运营", "open"),
        ("暂停", "suspended"),
        ("关闭", "closed"),
        ("closed 2023-08-29 (last day)", "closed"),
        ("operating as of early 2024 report", "open"),
        ("opened 2021-09-01 (current status unknown)", "unknown"),
        ("unknown", "unknown"),
        ("营业", "open"),
        ("营业中", "open"),
        ("已开业", "open"),
        ("暂停营业", "suspended"),
    ],
)
def test_status_words(tmp_path: Path, text: str, status: str) -> None:
    gdf = read_markets(_csv(tmp_path, f'名称,状态\n甲,"{text}"\n'))
    assert gdf["status"].iloc[0] == status
    assert gdf["status_text"].iloc[0] == text


def test_hours_are_parsed_and_the_text_kept(tmp_path: Path) -> None:
    gdf = read_markets(_csv(tmp_path, TEXT), coords="wgs84")
    h = gdf["opening_hours"].iloc[0]
    assert gdf["hours"].iloc[0] == "每天 05:00-11:00"
    # 2024-06-03 is a Monday: open at 06:00, closed at 11:30
    assert h.is_open(datetime(2024, 6, 3, 6, 0))
    assert not h.is_open(datetime(2024, 6, 3, 11, 30))
    weekdays_only = gdf["opening_hours"].iloc[1]
    assert not weekdays_only.is_open(datetime(2024, 6, 8, 9, 0))  # Saturday
    assert gdf["opening_hours"].iloc[2] is None and pd.isna(gdf["hours"].iloc[2])


def test_unreadable_hours_can_be_kept_as_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    p = _csv(tmp_path, "名称,开放时间\n甲,每天清晨\n乙,每天 05:00-10:00\n")
    with caplog.at_level(logging.WARNING):
        gdf = read_markets(p, strict_hours=False)
    assert "the opening hours of row(s) 2 cannot be read; shown as published" in caplog.text
    assert gdf["hours"].tolist() == ["每天清晨", "每天 05:00-10:00"]
    assert gdf["opening_hours"].iloc[0] is None
    assert gdf["opening_hours"].iloc[1] == parse_hours("Mo-Su 05:00-10:00")


def test_lists_and_facility_keys() -> None:
    assert split_list("建筑工、装修工,搬运工；水电工 / 家政  保洁") == [
        "建筑工",
        "装修工",
        "搬运工",
        "水电工",
        "家政",
        "保洁",
    ]
    assert split_list(float("nan")) == []
    # each word checked against the table in the brief, by hand
    assert facility_keys(
        ["停车场", "工具寄存", "等候区", "开水", "食堂", "电瓶车充电", "手机充电", "图书角"]
    ) == [
        "parking",
        "tool_storage",
        "waiting_room",
        "drinking_water",
        "hot_meals",
        "ebike_charging",
        "phone_charging",
    ]
    # Issue #10: every facility of "休息区、饮水、充电、卫生间、遮阳棚" is found; the bare 充电
    # names both kinds of charging, a specific one only its own kind.
    assert facility_keys(split_list("休息区、饮水、充电、卫生间、遮阳棚")) == [
        "waiting_room",
        "drinking_water",
        "ebike_charging",
        "phone_charging",
        "toilets",
        "shelter",
    ]
    assert facility_keys(["电动车充电"]) == ["ebike_charging"]
    assert facility_keys(["手机充电"]) == ["phone_charging"]
    assert facility_keys(["厕所"]) == facility_keys(["卫生间"]) == ["toilets"]
    # search words of a key: its label and every synonym (厕所 finds 卫生间)
    assert {"卫生间", "厕所", "洗手间"} <= set(facility_words(["toilets"]))
    assert set(FACILITY_LABELS) == set(FACILITY_KEYS)


def test_area_gives_its_crs(tmp_path: Path) -> None:
    area = StudyArea.from_bbox(121.2, 37.4, 121.5, 37.6, name="test")
    gdf = read_markets(_csv(tmp_path, TEXT), coords="wgs84", area=area)
    assert CRS(gdf.crs) == CRS(area.crs)
    t = Transformer.from_crs(4326, area.crs, always_xy=True)
    x, y = t.transform(121.2600, 37.4950)
    assert abs(gdf.geometry.x.iloc[1] - x) < 1e-6 and abs(gdf.geometry.y.iloc[1] - y) < 1e-6


def test_crs_argument(tmp_path: Path) -> None:
    gdf = read_markets(_csv(tmp_path, TEXT), coords="wgs84", crs="EPSG:4549")
    assert CRS(gdf.crs).to_epsg() == 4549


# --- errors ------------------------------------------------------------------------------


def test_missing_empty_header_only_and_undecodable(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="does not exist"):
        read_markets(tmp_path / "nope.csv")
    with pytest.raises(EmptyFileError, match="empty"):
        read_markets(_csv(tmp_path, "", "empty.csv"))
    with pytest.raises(EmptyFileError, match="no data rows"):
        read_markets(_csv(tmp_path, "名称,地址\n", "header.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes("名称,地址\n".encode() + b"\xff\xff,x\n")
    with pytest.raises(EncodingError, match=r"row 2.*neither UTF-8 nor GBK"):
        read_markets(bad)


def test_unknown_and_missing_columns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # an extra column is kept under its own header and warned about (never published)
    with caplog.at_level(logging.WARNING):
        gdf = read_markets(_csv(tmp_path, "名称,负责人\n甲,张三\n"))
    assert gdf["负责人"].tolist() == ["张三"]
    assert "'负责人' are not directory fields" in caplog.text and "名称 (name)" in caplog.text
    with pytest.raises(ColumnError, match=r"required column 'name' is missing.*名称"):
        read_markets(_csv(tmp_path, "地址,经度\n一路,121.4\n", "noname.csv"))


def test_empty_name_and_id_cells(tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match=r"row 3, column '名称': empty value"):
        read_markets(_csv(tmp_path, "名称,地址\n甲,一路\n,二路\n"))
    with pytest.raises(InvalidValueError, match=r"row 2, column '编号': empty.*M0001"):
        read_markets(_csv(tmp_path, "编号,名称\n,甲\nA,乙\n", "id.csv"))


def test_coordinate_errors(tmp_path: Path) -> None:
    swapped = _csv(tmp_path, "名称,经度,纬度\n甲,37.50,121.40\n", "swapped.csv")
    with pytest.raises(CoordinateError, match=r"row 2, column '经度'.*look swapped"):
        read_markets(swapped, coords="wgs84")
    metres = _csv(tmp_path, "名称,经度,纬度\n甲,358234.4,4156029.6\n", "metres.csv")
    with pytest.raises(CoordinateError, match=r"row 2.*projected metres"):
        read_markets(metres, coords="wgs84")
    far = _csv(tmp_path, "名称,经度,纬度\n甲,121.40,37.50\n乙,117.00,36.65\n", "far.csv")
    area = StudyArea.from_bbox(121.2, 37.4, 121.5, 37.6, name="芝罘")
    with pytest.raises(CoordinateError, match=r"row 3.*km outside the study area '芝罘'"):
        read_markets(far, coords="wgs84", area=area)
    missing = _csv(tmp_path, "名称,经度,纬度\n甲,121.40,37.50\n乙,,\n", "missing.csv")
    with pytest.raises(CoordinateError, match=r"row 3.*no coordinates"):
        read_markets(missing, coords="wgs84", allow_missing_coords=False)
    bad_sys = _csv(tmp_path, "名称,经度,纬度,坐标系\n甲,121.40,37.50,火星2\n", "sys.csv")
    with pytest.raises(CRSError, match=r"row 2, column '坐标系'.*'火星2'.*gcj02"):
        read_markets(bad_sys)
    not_number = _csv(tmp_path, "名称,经度,纬度\n甲,东经121度,37.50\n", "nan.csv")
    with pytest.raises(InvalidValueError, match=r"row 2, column '经度'.*not a number"):
        read_markets(not_number)


def test_duplicates_name_both_rows(tmp_path: Path) -> None:
    with pytest.raises(DuplicateIdError, match=r"row 4, column '编号'.*'A'.*rows 2, 4"):
        read_markets(_csv(tmp_path, "编号,名称\nA,甲\nB,乙\nA,丙\n"))
    with pytest.raises(DuplicateIdError, match=r"row 3, column '名称'.*'甲'.*rows 2, 3"):
        read_markets(_csv(tmp_path, "名称,地址\n甲,一路\n甲,一路\n乙,一路\n", "pair.csv"))
    # same name at two addresses is two markets
    gdf = read_markets(_csv(tmp_path, "名称,地址\n甲,一路\n甲,二路\n", "ok.csv"))
    assert len(gdf) == 2


def test_bad_values(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidValueError, match=r"row 3, column '类型'.*unknown value '市场'.*comprehensive"
    ):
        read_markets(_csv(tmp_path, "名称,类型\n甲,综合\n乙,市场\n"))
    with pytest.raises(InvalidValueError, match=r"row 2, column '状态'.*'挺好'.*closed"):
        read_markets(_csv(tmp_path, "名称,状态\n甲,挺好\n", "status.csv"))
    with pytest.raises(InvalidValueError, match=r"row 2, column '工作人员数'.*below the minimum 0"):
        read_markets(_csv(tmp_path, "名称,工作人员数\n甲,-2\n", "staff.csv"))
    with pytest.raises(InvalidValueError, match=r"row 2, column '容纳人数'.*not a whole number"):
        read_markets(_csv(tmp_path, "名称,容纳人数\n甲,2.5\n", "cap.csv"))


def test_bad_hours_names_file_row_column_and_text(tmp_path: Path) -> None:
    p = _csv(tmp_path, "名称,营业时间\n甲,每天 05:00-11:00\n乙,早上五点半左右\n")
    with pytest.raises(
        HoursError, match=r"m\.csv, row 3, column '营业时间'.*'早上五点半左右'"
    ) as e:
        read_markets(p, strict_hours=True)
    assert e.value.row == 3 and e.value.path == p and "Fix:" in str(e.value)


def test_template_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"\.txt.*\.csv or \.xlsx"):
        write_markets_template(tmp_path / "t.txt")


# --- the template ------------------------------------------------------------------------


def test_committed_templates_are_what_the_code_writes(tmp_path: Path) -> None:
    for name in ("markets_template.csv", "markets_template.xlsx"):
        fresh = write_markets_template(tmp_path / name)
        committed = ROOT / "data" / name
        assert committed.read_bytes() == fresh.read_bytes(), f"regenerate data/{name}"
        assert committed.stat().st_size < 10_000


def test_template_reads_back_with_two_gcj02_examples() -> None:
    raw = (ROOT / "data" / "markets_template.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    header = raw.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:4] == ["编号", "名称", "类型", "地址"]
    assert all(not h.isascii() for h in header)  # every header Chinese
    csv_frame = read_markets(ROOT / "data" / "markets_template.csv")
    xlsx_frame = read_markets(ROOT / "data" / "markets_template.xlsx")
    pd.testing.assert_frame_equal(
        pd.DataFrame(csv_frame.drop(columns=["opening_hours", "geometry"])),
        pd.DataFrame(xlsx_frame.drop(columns=["opening_hours", "geometry"])),
    )
    assert len(csv_frame) == 2
    assert all("示例" in n for n in csv_frame["name"])
    assert csv_frame["coords"].tolist() == ["gcj02", "gcj02"]
    assert csv_frame["tier"].tolist() == ["comprehensive", "station"]
    assert csv_frame["opening_hours"].notna().all()
    assert csv_frame.geometry.notna().all()


# --- real data ---------------------------------------------------------------------------


@pytest.mark.realdata
def test_published_shandong_markets(shared_data: Path) -> None:
    path = shared_data / "shandong-gig-markets" / "shandong_gig_markets_published.csv"
    gdf = read_markets(path, strict_hours=False)
    assert len(gdf) == 4
    assert gdf.geometry.isna().all()  # the news pages gave no coordinates
    assert gdf["market_id"].tolist() == ["M0001", "M0002", "M0003", "M0004"]
    closed = gdf[gdf["name"].str.startswith("株洲路")]
    assert closed["status"].tolist() == ["closed"]
    assert (gdf["status"] == "closed").sum() == 1
    assert gdf["county"].tolist() == ["崂山区", "胶州市", "滨城区", "陵城区"]
    assert gdf["area_m2"].iloc[0] == 12000
    assert gdf["city_adcode"].tolist() == ["370200", "370200", "371600", "371400"]
    # the reported activity times are kept as published; a report naming two or more times
    # is read as every day from the earliest to the latest (凌晨4时 … 上午10时 → 04:00-10:00)
    assert gdf["hours"].iloc[0].startswith("报道：管理人员凌晨4时上岗")
    assert [str(h) if h is not None else None for h in gdf["opening_hours"]] == [
        "每天 04:00-10:00",
        None,  # 早上5点半: one time, no closing time
        "全天24小时",  # “线上+线下”24小时服务
        None,  # 每天清晨（无具体时间）
    ]
    with pytest.raises(HoursError, match=r"shandong_gig_markets_published\.csv, row 2"):
        read_markets(path, strict_hours=True)


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        ("地址", "芝罘区西关街1号 370602198001011234", "ID-card"),
        ("联系电话", "0535-6666666 负责人 37060219800101123X", "ID-card"),
        ("工种", "瓦工 370602 19800101 1234", "ID-card"),
        ("地址", "芝罘区西关街1号（联系人 139-1234-5678）", "mobile phone"),
        ("名称", "老王零工点13912345678", "mobile phone"),
    ],
)
def test_personal_numbers_in_published_fields_are_refused(
    tmp_path: Path, column: str, value: str, kind: str
) -> None:
    # ID-card numbers anywhere, mobile numbers outside the contact fields: published, they
    # would go on the public directory, map and navigation links
    df = pd.read_csv(_csv(tmp_path, TEXT), dtype=str)
    df.loc[1, column] = value
    p = tmp_path / "pii.csv"
    df.to_csv(p, index=False)
    with pytest.raises(InvalidValueError) as e:
        read_markets(p)
    msg = str(e.value)
    assert f"an {kind} number" in msg and "row 3" in msg and column in msg
    digits = "".join(c for c in value if c.isdigit())
    assert digits[-8:] not in msg.replace(" ", "")  # the value is not shown


def test_a_market_mobile_number_in_its_contact_fields_is_published(tmp_path: Path) -> None:
    df = pd.read_csv(_csv(tmp_path, TEXT), dtype=str)
    df.loc[1, "联系电话"] = "13912345678"
    df["投诉渠道"] = ["12333", "+86 139 1234 5679", ""]
    p = tmp_path / "ok.csv"
    df.to_csv(p, index=False)
    m = read_markets(p)
    assert m["phone"].tolist()[1] == "13912345678"
    assert m["complaints"].tolist()[1] == "+86 139 1234 5679"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("6.31665E+09", "scientific notation"),
        ("6316651234", "leading 0"),
        ("535666666", "leading 0"),
    ],
)
def test_phone_numbers_a_spreadsheet_mangled_are_refused(
    tmp_path: Path, value: str, why: str
) -> None:
    df = pd.read_csv(_csv(tmp_path, TEXT), dtype=str)
    df.loc[2, "联系电话"] = value
    p = tmp_path / "phone.csv"
    df.to_csv(p, index=False)
    with pytest.raises(InvalidValueError, match=rf"row 4, column '联系电话'.*{why}"):
        read_markets(p)


def test_a_phone_stored_as_a_number_in_xlsx_is_refused(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["名称", "联系电话"])
    ws.append(["甲市场", "0631-6651234"])
    ws.append(["乙市场", 6316651234])  # typed without formatting the cell as text
    p = tmp_path / "m.xlsx"
    wb.save(p)
    with pytest.raises(InvalidValueError, match=r"row 3, column '联系电话'.*leading 0"):
        read_markets(p)


def test_other_common_headers_are_read(tmp_path: Path) -> None:
    # the same three markets under headers directories also use
    other = TEXT.replace("经度", "东经").replace("纬度", "北纬")
    other = other.replace("联系电话", "联系方式").replace("开放时间", "营业时间段")
    a, b = read_markets(_csv(tmp_path, TEXT)), read_markets(_csv(tmp_path, other, "o.csv"))
    pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))
    assert b["phone"].tolist()[1] == "0535-1234567" and b.geometry.notna().all()


def test_other_columns_with_coordinate_like_characters_are_kept(tmp_path: Path) -> None:
    # a list without coordinates, whose extra columns hold 经 and lat only inside other words
    m = read_markets(_csv(tmp_path, "名称,经营范围,经办人,platform\n甲,建筑,王某,app\n"))
    assert m["name"].tolist() == ["甲"] and m.geometry.isna().all()


@pytest.mark.parametrize(
    "names", [("东经度", "北纬度"), ("X坐标", "Y坐标"), ("lon_gcj", "lat_gcj"), ("x", "y")]
)
def test_coordinates_under_unknown_headers_are_refused(
    tmp_path: Path, names: tuple[str, str]
) -> None:
    # kept as extra columns they would leave every market without a location
    text = TEXT.replace("经度", names[0]).replace("纬度", names[1])
    with pytest.raises(ColumnError, match=rf"column '{names[0]}'.*经度") as e:
        read_markets(_csv(tmp_path, text))
    assert names[1] in str(e.value)


@pytest.mark.parametrize("sep", ["\t", ";"])
def test_tab_and_semicolon_separated_files_read_like_csv(tmp_path: Path, sep: str) -> None:
    other = TEXT.replace(",", sep)
    a = read_markets(_csv(tmp_path, TEXT))
    b = read_markets(_csv(tmp_path, other, "t.csv"))
    pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))


def test_a_missing_sheet_lists_the_sheets(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "名录"
    wb.active.append(["名称"])
    wb.active.append(["甲市场"])
    wb.create_sheet("说明")
    p = tmp_path / "m.xlsx"
    wb.save(p)
    with pytest.raises(InputFileError, match=r"sheet '市场'.*'名录', '说明'"):
        read_markets(p, sheet="市场")


def test_a_directory_read_for_a_study_names_the_markets_outside_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the box's east edge is 121.30°; 甲 is 0.1° east of it (8.8 km at 37.5° N: 0.1° x
    # 111.32 km x cos 37.5°), 乙 inside, 丙 120 km away (left out)
    area = StudyArea.from_bbox(121.2, 37.4, 121.3, 37.6, name="box")
    text = "名称,经度,纬度,坐标系\n甲,121.40,37.50,wgs84\n乙,121.25,37.50,wgs84\n丙,122.80,37.50,wgs84\n"
    with caplog.at_level(logging.WARNING):
        m = read_markets(_csv(tmp_path, text), area=area, outside="drop")
    assert m["name"].tolist() == ["甲", "乙"]
    kept = [r.getMessage() for r in caplog.records if "kept for the border areas" in r.getMessage()]
    km = 0.1 * 111.32 * np.cos(np.radians(37.5))
    assert (
        len(kept) == 1
        and f": 1 market(s) lie outside the study area (up to {km:.1f} km)" in kept[0]
    )
    assert kept[0].split("directory: ")[1].startswith("甲.")


def test_a_long_numeric_market_id_is_not_taken_for_an_id_card(tmp_path: Path) -> None:
    # adcode + serial has the shape of a first-generation ID number, but no birth date
    m = read_markets(_csv(tmp_path, "编号,名称\n370602000000001,甲\n370602000000002,乙\n"))
    assert m["market_id"].tolist() == ["370602000000001", "370602000000002"]
    # a real ID number (GB 11643's example, check character X) as an id is refused
    with pytest.raises(InvalidValueError, match=r"row 2, column '编号'.*ID-card"):
        read_markets(_csv(tmp_path, "编号,名称\n11010519491231002X,甲\n", "id.csv"))

"""Tests of planner.publish.directory: public directory exports and the 求人倍率 tables."""

from __future__ import annotations

import csv
import io
import json
import logging
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import prcoords
import pytest
from shapely.geometry import Point, box

from planner.demo import write_demo_inputs
from planner.errors import (
    ColumnError,
    CRSError,
    DuplicateIdError,
    GeometryError,
    HoursError,
    InputFileError,
    InvalidValueError,
)
from planner.io.markets import FACILITY_LABELS, read_markets
from planner.io.worklogs import read_work_logs
from planner.publish.directory import (
    PUBLIC_FIELDS,
    directory_table,
    export_directory,
    job_ratio_by_month,
    job_ratio_chart_svg,
    job_ratio_table,
    wage_by_trade,
)

ID_NUMBER = "370102199001011234"
SEEKER_PHONE = "13812345678"
STAFF_NAME = "王建国"


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_demo_inputs(tmp_path_factory.mktemp("demo"), scale=0.3)


@pytest.fixture(scope="module")
def demo_markets(demo_files: Any) -> gpd.GeoDataFrame:
    return read_markets(demo_files.markets)


def _private(markets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The demo markets with personal columns a careless export would leak."""
    m = markets.copy()
    m["负责人"] = STAFF_NAME
    m["身份证号"] = ID_NUMBER
    m["求职者电话"] = SEEKER_PHONE
    m["operator"] = "示范县人社局（内部）"
    m["remark"] = f"联系人 {STAFF_NAME}"
    m["staff"] = 7
    return m


def _csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV as Excel does: the BOM says UTF-8."""
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))


# --------------------------------------------------------------------------------------
# The public directory
# --------------------------------------------------------------------------------------


def test_private_columns_reach_no_output(demo_markets: gpd.GeoDataFrame, tmp_path: Path) -> None:
    logs = pd.DataFrame(
        {
            "month": ["2024-01"],
            "market_id": ["SF-LG-001"],
            "industry": ["建筑装修"],
            "postings": [3],
            "seekers": [2],
        }
    )
    paths = export_directory(_private(demo_markets), tmp_path / "out", work_logs=logs)
    assert set(paths) == {
        "csv",
        "geojson",
        "json",
        "job_ratio_csv",
        "job_ratio_month_csv",
        "wages_csv",
        "chart_svg",
        "html",
    }
    for p in (tmp_path / "out").rglob("*"):
        if p.is_file():
            text = p.read_bytes().decode("utf-8-sig")
            for secret in (
                ID_NUMBER,
                SEEKER_PHONE,
                STAFF_NAME,
                "负责人",
                "身份证",
                "求职者电话",
                "内部",
            ):
                assert secret not in text, (p.name, secret)
    header = next(csv.reader(io.StringIO(paths["csv"].read_text(encoding="utf-8-sig"))))
    assert header == list(PUBLIC_FIELDS.values())


def test_csv_opens_with_chinese_headers_like_excel(
    demo_markets: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    paths = export_directory(demo_markets, tmp_path)
    rows = _csv(paths["csv"])
    assert list(rows[0]) == list(PUBLIC_FIELDS.values())
    assert [r["编号"] for r in rows] == list(demo_markets["market_id"])
    r3 = rows[2]
    assert r3["名称"] == "东城第1社区零工驿站"
    assert r3["类型"] == "零工服务站点"
    assert r3["状态"] == "运营中"
    assert r3["开放时间"] == "每日06:00-11:00"
    assert r3["开放时间(规范)"] == "每天 06:00-11:00"
    assert r3["开放时间(OSM)"] == "Mo-Su 06:00-11:00"
    assert r3["工种"] == "保洁、家政、搬运"
    assert r3["联系电话"] == "0539-5550103"
    # 便民设施 休息区、饮水、充电、卫生间、遮阳棚, by hand: 休息区 is the waiting room, 充电
    # alone names both kinds of charging, 卫生间 the toilets, 遮阳棚 the shelter; nothing
    # names parking, tool storage, hot meals or seats.
    facilities = {
        "候工休息区": "是",
        "饮水": "是",
        "电动车充电": "是",
        "手机充电": "是",
        "卫生间": "是",
        "遮阳避雨棚": "是",
        "停车": "否",
        "工具存放": "否",
        "热饭": "否",
        "座椅": "否",
    }
    assert {k: r3[k] for k in facilities} == facilities
    assert r3["便民设施"] == "休息区、饮水、充电、卫生间、遮阳棚"  # every item kept as written
    # pandas reading with the BOM-aware codec sees the same headers.
    df = pd.read_csv(paths["csv"], encoding="utf-8-sig", dtype=str)
    assert list(df.columns) == list(PUBLIC_FIELDS.values())
    assert paths["csv"].read_bytes().count(b"\r\n") == len(rows) + 1


def test_coordinates_match_an_independent_gcj02_implementation(
    demo_files: Any, demo_markets: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    """The demo file gives GCJ-02; prcoords (another implementation) recovers WGS-84."""
    given = pd.read_csv(demo_files.markets, encoding="utf-8-sig", dtype=str)
    rows = _csv(export_directory(demo_markets, tmp_path)["csv"])
    for g, r in zip(given.itertuples(), rows, strict=True):
        assert g.坐标系 == "GCJ-02"
        lat_w, lon_w = prcoords.gcj_wgs_bored(prcoords.Coords(float(g.纬度), float(g.经度)))
        assert float(r["经度(WGS-84)"]) == pytest.approx(lon_w, abs=2e-6)
        assert float(r["纬度(WGS-84)"]) == pytest.approx(lat_w, abs=2e-6)
        assert float(r["经度(GCJ-02/高德)"]) == pytest.approx(float(g.经度), abs=2e-6)
        assert float(r["纬度(GCJ-02/高德)"]) == pytest.approx(float(g.纬度), abs=2e-6)


def test_geojson_is_rfc7946_and_json_holds_the_schedule(
    demo_markets: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    m = demo_markets.copy()
    m.loc[5, "geometry"] = None  # a market without coordinates stays in the directory
    paths = export_directory(m, tmp_path)
    gj = json.loads(paths["geojson"].read_text(encoding="utf-8"))
    assert gj["type"] == "FeatureCollection" and "crs" not in gj
    feats = gj["features"]
    assert [f["id"] for f in feats] == list(m["market_id"])
    assert feats[5]["geometry"] is None
    wgs = demo_markets.to_crs(4326).geometry
    lon, lat = feats[0]["geometry"]["coordinates"]
    assert (lon, lat) == pytest.approx((wgs.iloc[0].x, wgs.iloc[0].y), abs=1e-6)
    assert "lon" not in feats[0]["properties"]
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["count"] == len(m) and data["fields"] == PUBLIC_FIELDS
    by_id = {r["market_id"]: r for r in data["markets"]}
    # 周一至周六 05:30-11:30 by hand: 330-690 min Monday to Saturday, closed Sunday.
    assert by_id["SF-LG-002"]["schedule"] == {
        "week": [[[330, 690]]] * 6 + [[]],
        "holidays_closed": False,
    }
    assert by_id["SF-LG-006"]["lon"] is None and by_id["SF-LG-006"]["lat"] is None
    assert by_id["SF-LG-001"]["occupations"][:2] == ["瓦工", "木工"]


def test_overnight_hours_and_hand_built_frame() -> None:
    m = gpd.GeoDataFrame(
        {"name": ["夜市驿站"], "hours": ["周五 22:00-02:00"], "tier": ["零工服务站点"]},
        geometry=[Point(500000, 4000000)],
        crs=32650,
    )
    t = directory_table(m)
    assert t.loc[0, "schedule"]["week"][4] == [[1320, 1560]]  # 22:00 → 26:00 on Friday
    assert t.loc[0, "market_id"] == "M0001"
    assert t.loc[0, "tier"] == "零工服务站点" and t.loc[0, "tier_code"] == "station"
    # UTM 50N easting 500 000 is the central meridian 117°E.
    assert t.loc[0, "lon"] == pytest.approx(117.0, abs=1e-6)


def test_writes_atomically_and_refuses_foreign_files(
    demo_markets: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = export_directory(demo_markets, out)
    before = first["csv"].read_bytes()
    again = export_directory(demo_markets, out)  # planner's own files are replaced
    assert again["csv"].read_bytes() == before  # deterministic, byte for byte
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]

    first["json"].write_text("edited by hand", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"directory\.json.*not written by planner"):
        export_directory(demo_markets, out)
    assert first["json"].read_text(encoding="utf-8") == "edited by hand"

    other = tmp_path / "other"
    other.mkdir()
    (other / "directory.csv").write_text("名称\n真实名录\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"directory\.csv.*refusing to overwrite"):
        export_directory(demo_markets, other)
    assert (other / "directory.csv").read_text(encoding="utf-8") == "名称\n真实名录\n"


def test_refuses_to_write_over_an_input(demo_markets: gpd.GeoDataFrame, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_directory(demo_markets, out)
    with pytest.raises(InputFileError, match=r"directory\.csv.*input file.*Fix: choose an output"):
        export_directory(demo_markets, out, inputs=[out / "directory.csv"])


def _one(**cols: Any) -> gpd.GeoDataFrame:
    base: dict[str, Any] = {"market_id": ["A"], "name": ["甲市场"], "hours": ["每天 5:00-11:00"]}
    base.update(cols)
    return gpd.GeoDataFrame(base, geometry=[Point(118.6, 36.2)], crs=4326)


@pytest.mark.parametrize(
    ("markets", "error", "match"),
    [
        (
            pd.DataFrame({"name": ["甲"]}),
            InvalidValueError,
            r"must be a GeoDataFrame.*read_markets",
        ),
        (
            gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[Point(0, 0)], crs=4326),
            ColumnError,
            r"no 'name' column",
        ),
        (
            gpd.GeoDataFrame({"name": ["甲"]}, geometry=[Point(118, 36)]),
            CRSError,
            r"no CRS.*set_crs",
        ),
        (_one().iloc[0:0], InvalidValueError, r"empty.*nothing to publish"),
        (_one(name=[None]), InvalidValueError, r"column 'name'.*no name.*Fix: fill in"),
        (_one(tier=["超级市场"]), InvalidValueError, r"'A'.*unknown tier '超级市场'"),
        (_one(status=["maybe"]), InvalidValueError, r"unknown status 'maybe'"),
        (_one(hours=["看心情"]), HoursError, r"column 'hours'.*market 'A'"),
        (_one(opening_hours=["每天"]), InvalidValueError, r"'opening_hours' holds a str"),
    ],
)
def test_bad_markets(markets: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        directory_table(markets)


def test_bad_markets_duplicate_id_and_polygon() -> None:
    two = gpd.GeoDataFrame(
        {"market_id": ["A", "A"], "name": ["甲", "乙"]},
        geometry=[Point(118.6, 36.2), Point(118.7, 36.2)],
        crs=4326,
    )
    with pytest.raises(DuplicateIdError, match=r"market id 'A' appears 2 times"):
        directory_table(two)
    poly = gpd.GeoDataFrame(
        {"market_id": ["A"], "name": ["甲"]}, geometry=[box(118, 36, 118.1, 36.1)], crs=4326
    )
    with pytest.raises(GeometryError, match=r"'A' '甲' has a Polygon geometry.*Fix: give"):
        directory_table(poly)


# --------------------------------------------------------------------------------------
# 求人倍率 and 工资价位
# --------------------------------------------------------------------------------------

# A hand-made log. 2024-03: 建筑 at M1 30/20 and M2 10/20, 家政 at M1 5/0; 2024-04: 建筑 at
# M1 12/8 with neither matches nor wage.
LOG_CSV = (
    "月份,市场编号,行业,岗位数,求职人数,达成意向,日工资中位数\n"
    "2024-03,M1,建筑,30,20,12,300\n"
    "2024-03,M1,家政,5,0,0,200\n"
    "2024年3月,M2,建筑,10,20,8,280\n"
    "2024-04,M1,建筑,12,8,,\n"
)


@pytest.fixture
def hand_logs(tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "logs.csv"
    path.write_text(LOG_CSV, encoding="utf-8")
    return read_work_logs(path)


def test_job_ratio_table_by_hand(hand_logs: pd.DataFrame) -> None:
    t = job_ratio_table(hand_logs)
    # 建筑 and 家政 are published as the vocabulary's 建筑装修 and 家政保洁
    assert list(zip(t["month"], t["market_id"], t["industry"], strict=True)) == [
        ("2024-03", "M1", "家政保洁"),
        ("2024-03", "M1", "建筑装修"),
        ("2024-03", "M2", "建筑装修"),
        ("2024-04", "M1", "建筑装修"),
    ]
    ratio = t["job_to_applicant_ratio"].to_numpy()
    assert np.isnan(ratio[0])  # 5 postings, nobody registered: undefined, not inf
    assert ratio[1:].tolist() == [30 / 20, 10 / 20, 12 / 8]
    assert t["matches"].tolist()[:3] == [0, 12, 8] and t["matches"].isna().tolist()[3]
    assert t["wage_median_yuan_per_day"].tolist()[:3] == [200.0, 300.0, 280.0]


def test_job_ratio_by_month_by_hand(hand_logs: pd.DataFrame) -> None:
    t = job_ratio_by_month(hand_logs)
    assert list(zip(t["month"], t["industry"], strict=True)) == [
        ("2024-03", "家政保洁"),
        ("2024-03", "建筑装修"),
        ("2024-03", "合计"),
        ("2024-04", "建筑装修"),
        ("2024-04", "合计"),
    ]
    assert t["postings"].tolist() == [5, 40, 45, 12, 12]
    assert t["seekers"].tolist() == [0, 40, 40, 8, 8]
    r = t["job_to_applicant_ratio"].tolist()
    assert np.isnan(r[0]) and r[1:] == [1.0, 45 / 40, 1.5, 1.5]
    assert t["matches"].tolist()[:3] == [0, 20, 20]
    assert t["matches"].isna().tolist()[3:] == [True, True]


def test_wage_by_trade_weighted_median_by_hand(
    hand_logs: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        w = wage_by_trade(hand_logs)
    # 建筑 2024-03: wages 280 (10 postings) and 300 (30); half of 40 is reached at 300.
    assert w.to_dict("records") == [
        {
            "month": "2024-03",
            "industry": "家政保洁",
            "wage_median_yuan_per_day": 200.0,
            "markets": 1,
            "postings": 5,
        },
        {
            "month": "2024-03",
            "industry": "建筑装修",
            "wage_median_yuan_per_day": 300.0,
            "markets": 2,
            "postings": 40,
        },
    ]
    assert "1 month × industry pair(s) have no wage" in caplog.text


def test_job_ratio_files_and_chart_by_hand(
    hand_logs: pd.DataFrame, demo_markets: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    paths = export_directory(demo_markets, tmp_path, work_logs=hand_logs)
    by_month = _csv(paths["job_ratio_month_csv"])
    assert list(by_month[0]) == ["月份", "行业", "岗位数", "求职人数", "求人倍率", "达成意向"]
    assert [r["求人倍率"] for r in by_month] == ["", "1.00", "1.13", "1.50", "1.50"]  # 45/40
    by_market = _csv(paths["job_ratio_csv"])
    assert by_market[1]["求人倍率"] == "1.50" and by_market[1]["日工资中位数(元/天)"] == "300"
    assert by_market[3]["达成意向"] == "" and by_market[3]["日工资中位数(元/天)"] == ""
    wages = _csv(paths["wages_csv"])
    assert [(r["行业"], r["日工资中位数(元/天)"]) for r in wages] == [
        ("家政保洁", "200"),
        ("建筑装修", "300"),
    ]

    svg = ET.fromstring(paths["chart_svg"].read_text(encoding="utf-8"))
    ns = {"s": "http://www.w3.org/2000/svg"}
    total = [
        (c.get("data-month"), c.get("data-value"), c.get("cy"))
        for c in svg.iterfind(".//s:circle", ns)
        if c.get("data-industry") == "合计"
    ]
    # y axis tops at 2.0 (1.5 × 1.1 rounded up to 0.5); plot 220 px high from y = 34:
    # 1.125 → 34 + 220 × (1 − 1.125/2) = 130.25, 1.5 → 34 + 220 × 0.25 = 89.
    assert total == [("2024-03", "1.13", "130.2"), ("2024-04", "1.50", "89.0")]
    # 家政保洁 has no ratio in any month: no point, no line.
    assert not [c for c in svg.iterfind(".//s:circle", ns) if c.get("data-industry") == "家政保洁"]
    # No text is drawn over the plot: the balance line is explained in the legend below it.
    texts = [(t.text or "", float(t.get("y", 0))) for t in svg.iterfind(".//s:text", ns)]
    legend = [y for text, y in texts if text.startswith("供求平衡")]
    assert len(legend) == 1 and legend[0] > 34 + 220 + 18
    page = paths["html"].read_text(encoding="utf-8")
    assert "<svg" in page and '<td class="num">1.13</td>' in page
    # the page beside the CSVs has no script, so no filter it could not run
    assert "<script" not in page and '<form class="table-filter"' not in page
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_chart_escapes_industry_names() -> None:
    # The published tables only hold vocabulary labels; the chart escapes whatever it gets.
    by_month = pd.DataFrame(
        {
            "month": ["2024-01", "2024-01"],
            "industry": ["<script>x</script>", "合计"],
            "postings": [1, 1],
            "seekers": [1, 1],
            "job_to_applicant_ratio": [1.0, 1.0],
            "matches": [0, 0],
        }
    )
    svg = job_ratio_chart_svg(by_month)
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt;" in svg
    ET.fromstring(svg)  # well-formed


@pytest.mark.parametrize(
    ("logs", "error", "match"),
    [
        ([1, 2], InvalidValueError, r"work_logs must be a DataFrame"),
        (pd.DataFrame({"month": ["2024-01"]}), ColumnError, r"no column 'market_id'"),
        (
            pd.DataFrame(columns=["month", "market_id", "industry", "postings", "seekers"]),
            InvalidValueError,
            r"work logs are empty",
        ),
        (
            pd.DataFrame(
                {
                    "month": ["2024-01"],
                    "market_id": ["M1"],
                    "industry": ["合计"],
                    "postings": [1],
                    "seekers": [1],
                }
            ),
            InvalidValueError,
            r"column 'industry'.*named '合计'.*Fix: rename",
        ),
        (
            pd.DataFrame(
                {
                    "month": ["2024-01"],
                    "market_id": ["M1"],
                    "industry": ["建筑"],
                    "postings": [-1],
                    "seekers": [1],
                }
            ),
            InvalidValueError,
            r"'postings' are missing, not numbers or negative",
        ),
    ],
)
def test_bad_work_logs(logs: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        job_ratio_table(logs)


# --------------------------------------------------------------------------------------
# Safe exports: formulas and personal data
# --------------------------------------------------------------------------------------

FORMULAS = {
    "name": '=HYPERLINK("http://x","点我")',
    "address": "+1 路",
    "county": "-区",
    "town": "@镇",
    "phone": "-0539-5550101",
    "hotline": "+86 12333",
}


def _formula_markets() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "market_id": ["@M1", "M2"],
            **{k: [v, "普通"] for k, v in FORMULAS.items()},
            "occupations": [["=1+1", "瓦工"], ["保洁"]],
            "hours": ["每天 05:00-11:00", "每天 05:00-11:00"],
        },
        geometry=[Point(118.6, 36.2), Point(118.7, 36.2)],
        crs=4326,
    )


def _formula_logs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": ["2024-01", "2024-01"],
            "market_id": ["@M1", "M2"],
            "market_name": ["=cmd|' /C calc'!A0", "+x"],  # a log's own names are never published
            "industry": ["=SUM(A1:A9)", "建筑"],
            "postings": [3, 4],
            "seekers": [2, 2],
        }
    )


def _all_csv_cells(folder: Path) -> dict[str, list[list[str]]]:
    out = {}
    for p in sorted(folder.rglob("*.csv")):
        raw = p.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        out[p.name] = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    return out


def test_csv_writer_neutralises_every_formula_prefix() -> None:
    from planner.publish._output import _csv_bytes, csv_safe

    cells = ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "东城", "1.5", "a=b"]
    raw = _csv_bytes(["=head", "ok"], [cells[:5], cells[5:]])
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows == [
        ["'=head", "ok"],
        ["'=1+1", "'+1", "'-1", "'@A1", "'\t=1"],
        ["'\r=1", "东城", "1.5", "a=b"],
    ]
    assert [csv_safe(c) for c in ("", None, 3, "x")] == ["", "", "3", "x"]


def test_no_csv_cell_starts_a_formula(tmp_path: Path) -> None:
    from planner.publish.site import build_public_site

    export_directory(_formula_markets(), tmp_path / "data", work_logs=_formula_logs())
    build_public_site(_formula_markets(), tmp_path / "site", work_logs=_formula_logs())
    for folder in (tmp_path / "data", tmp_path / "site"):
        tables = _all_csv_cells(folder)
        assert set(tables) == {  # every CSV planner publishes
            "directory.csv",
            "job_ratio_by_market.csv",
            "job_ratio_by_month.csv",
            "wages_by_trade.csv",
        }
        for name, rows in tables.items():
            for row in rows:
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
        # The dangerous texts are kept, behind an apostrophe Excel shows as text.
        directory = {r[1]: r for r in tables["directory.csv"][1:]}
        row = directory["'" + FORMULAS["name"]]
        header = tables["directory.csv"][0]
        for key, value in FORMULAS.items():
            assert row[header.index(PUBLIC_FIELDS[key])] == "'" + value
        assert row[header.index("编号")] == "'@M1"
        assert row[header.index("工种")] == "'=1+1、瓦工"
        by_market = tables["job_ratio_by_market.csv"]
        assert by_market[1][1:4] == ["'@M1", "'" + FORMULAS["name"], "其他"]
        assert by_market[2][1:4] == ["M2", "普通", "建筑装修"]


# Free text of a work log's 行业 (issue #10): published as 其他, never verbatim.
LEAKY_INDUSTRIES = [
    "家政 110105 19491231 002X",
    "联系人 139-1234-5678",
    "家政（求职者张伟）",
    "+86 139 1234 5678",
    "139.1234.5678",
    "保洁 王小红",
]
LEAKS = ("19491231", "002X", "139-1234", "139 1234", "139.1234", "张伟", "王小红", "联系人")


def test_work_log_free_text_reaches_no_public_file(
    demo_markets: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    from planner.publish.site import build_public_site

    ids = list(demo_markets["market_id"][:2])
    logs = pd.DataFrame(
        {
            "month": ["2024-01"] * len(LEAKY_INDUSTRIES) * 2,
            "market_id": [ids[0]] * len(LEAKY_INDUSTRIES) + [ids[1]] * len(LEAKY_INDUSTRIES),
            "market_name": ["张伟的市场"] * len(LEAKY_INDUSTRIES) * 2,
            "industry": LEAKY_INDUSTRIES * 2,
            "postings": list(range(1, 13)),
            "seekers": [2] * 12,
        }
    )
    export_directory(demo_markets, tmp_path / "data", work_logs=logs)
    build_public_site(demo_markets, tmp_path / "site", work_logs=logs)
    files = [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.endswith(".png")]
    assert len(files) >= 10
    for p in files:
        text = p.read_bytes().decode("utf-8-sig", errors="replace")
        for leak in LEAKS:
            assert leak not in text, (p.name, leak)
    # Every row went to 其他: its postings are the sum of all rows of each market.
    rows = _csv(tmp_path / "data" / "job_ratio_by_market.csv")
    assert [(r["市场编号"], r["行业"], r["岗位数"]) for r in rows] == [
        (ids[0], "其他", str(sum(range(1, 7)))),
        (ids[1], "其他", str(sum(range(7, 13)))),
    ]
    assert rows[0]["市场名称"] == demo_markets["name"].iloc[0]  # the directory's name
    stats = (tmp_path / "site" / "stats.html").read_text(encoding="utf-8")
    assert "其他" in stats


def test_market_ids_that_are_phone_numbers_are_refused(tmp_path: Path) -> None:
    logs = pd.DataFrame(
        {
            "month": ["2024-01"],
            "market_id": ["139 1234 5678"],
            "industry": ["建筑"],
            "postings": [1],
            "seekers": [1],
        }
    )
    with pytest.raises(
        InvalidValueError, match=r"column 'market_id'.*phone number.*not shown"
    ) as e:
        job_ratio_table(logs)
    assert "1234" not in str(e.value)


def test_extra_directory_columns_reach_no_public_file(tmp_path: Path) -> None:
    from planner.publish.site import build_public_site

    secret_id = "370102199001011234"
    src = tmp_path / "markets.csv"
    src.write_text(
        "编号,名称,地址,经度,纬度,开放时间,联系电话,负责人身份证,负责人\n"
        f"A1,东城驿站,幸福路1号,118.60,36.20,每天 05:00-11:00,0539-5550101,{secret_id},王建国\n",
        encoding="utf-8",
    )
    markets = read_markets(src, coords="wgs84")
    assert "负责人身份证" in markets.columns  # kept for the user …
    export_directory(markets, tmp_path / "data")
    build_public_site(markets, tmp_path / "site")
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    files += [p for p in (tmp_path / "site").rglob("*") if p.is_file() and "leaflet" not in p.parts]
    for p in files:  # … and never published
        text = p.read_bytes().decode("utf-8-sig", errors="replace")
        for secret in (secret_id, "负责人", "王建国"):
            assert secret not in text, (p.name, secret)
    assert "东城驿站" in (tmp_path / "site" / "directory.html").read_text(encoding="utf-8")


def test_hours_kind_says_how_hours_were_read() -> None:
    from planner.io.hours import parse_hours

    m = gpd.GeoDataFrame(
        {
            "name": ["甲", "乙", "丙", "丁"],
            "hours": ["每天 5:00-12:00", "凌晨4时上岗，上午10时许人员散去", "看天气", None],
            "opening_hours": [
                parse_hours("每天 5:00-12:00"),
                parse_hours("每天 04:00-10:00"),  # what read_markets infers from the sentence
                None,
                None,
            ],
        },
        geometry=[Point(118.6, 36.2)] * 4,
        crs=4326,
    )
    t = directory_table(m)
    assert t["hours_kind"].tolist() == ["schedule", "inferred", "text", "none"]
    assert t["schedule"].isna().tolist() == [False, False, True, True]


def test_facilities_not_listed_are_unknown_not_no(tmp_path: Path) -> None:
    # a market that lists its facilities: each one 是 or 否; one that lists none: empty
    m = gpd.GeoDataFrame(
        {"name": ["甲市场", "乙市场"], "facilities": [["卫生间", "饮用水"], []]},
        geometry=[Point(121.40, 37.50), Point(121.41, 37.51)],
        crs=4326,
    )
    paths = export_directory(m, tmp_path)
    rows = _csv(paths["csv"])
    assert (rows[0]["卫生间"], rows[0]["饮水"], rows[0]["停车"]) == ("是", "是", "否")
    assert {rows[1][label] for label in FACILITY_LABELS.values()} == {""}
    feats = json.loads(paths["geojson"].read_text("utf-8"))["features"]
    assert feats[0]["properties"]["toilets"] is True and feats[0]["properties"]["parking"] is False
    assert all(feats[1]["properties"][k] is None for k in FACILITY_LABELS)

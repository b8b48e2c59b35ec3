"""Work-log reader and 求人倍率 (planner/io/worklogs.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from planner.errors import (
    ColumnError,
    DuplicateIdError,
    EmptyFileError,
    EncodingError,
    InvalidValueError,
    MissingFileError,
)
from planner.io.markets import read_markets
from planner.io.worklogs import (
    INDUSTRY_OTHER,
    INDUSTRY_VOCABULARY,
    WORK_LOG_COLUMNS,
    find_personal_number,
    industry_label,
    job_to_applicant_ratio,
    parse_month,
    read_work_logs,
)

TEXT = (
    "月份,市场编号,行业,岗位数,求职人数,达成意向,日工资中位数\n"
    "2024-03,YT01,建筑,120,80,60,260\n"
    "2024-03,YT01,家政,30,45,20,180\n"
    "2024-03,YT02,建筑,10,0,0,\n"
    "2024年4月,YT01,建筑,90,100,70,250\n"
    "2024/04,YT02,建筑,0,0,,\n"
)

MARKETS = pd.DataFrame(
    {"market_id": ["YT01", "YT02", "YT03"], "name": ["芝罘零工市场", "福山零工市场", "莱山驿站"]}
)


def _csv(tmp_path: Path, text: str, name: str = "log.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_read_logs(tmp_path: Path) -> None:
    logs = read_work_logs(_csv(tmp_path, TEXT))
    assert list(logs.columns) == list(WORK_LOG_COLUMNS)
    assert logs["month"].tolist() == ["2024-03", "2024-03", "2024-03", "2024-04", "2024-04"]
    assert logs["postings"].tolist() == [120, 30, 10, 90, 0]
    assert logs["seekers"].tolist() == [80, 45, 0, 100, 0]
    assert logs["postings"].dtype == np.int64
    assert logs["matches"].tolist()[:4] == [60, 20, 0, 70] and pd.isna(logs["matches"].iloc[4])
    np.testing.assert_array_equal(
        logs["wage_median_yuan_per_day"].to_numpy(), [260.0, 180.0, np.nan, 250.0, np.nan]
    )
    assert logs["market_name"].isna().all()  # no directory given, no name column


def test_gbk_and_xlsx_give_the_same_logs(tmp_path: Path) -> None:
    base = read_work_logs(_csv(tmp_path, TEXT))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for line in TEXT.strip().split("\n"):
        ws.append([c if c else None for c in line.split(",")])
    xlsx = tmp_path / "log.xlsx"
    wb.save(xlsx)
    for other in (read_work_logs(_csv(tmp_path, TEXT, "gbk.csv", "gbk")), read_work_logs(xlsx)):
        pd.testing.assert_frame_equal(other, base)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2024-03", "2024-03"),
        ("2024-3", "2024-03"),
        ("2024/03", "2024-03"),
        ("2024.03", "2024-03"),
        ("202403", "2024-03"),
        ("2024年3月", "2024-03"),
        ("2024 年 3 月份", "2024-03"),
        ("2024-03-01", "2024-03"),
        ("2024-03-01 00:00:00", "2024-03"),
        ("2024年12月", "2024-12"),
        ("2024-13", None),
        ("2024-02-30", None),
        ("3月", None),
        ("March 2024", None),
    ],
)
def test_parse_month(text: str, month: str | None) -> None:
    assert parse_month(text) == month


def test_markets_by_id_fill_names_and_unknown_id(tmp_path: Path) -> None:
    logs = read_work_logs(_csv(tmp_path, TEXT), markets=MARKETS)
    assert logs["market_name"].tolist() == ["芝罘零工市场"] * 2 + [
        "福山零工市场",
        "芝罘零工市场",
        "福山零工市场",
    ]
    bad = TEXT + "2024-04,YT09,建筑,1,1,,\n"
    with pytest.raises(InvalidValueError, match=r"row 7, column '市场编号'.*'YT09' is not in"):
        read_work_logs(_csv(tmp_path, bad, "bad.csv"), markets=MARKETS)


def test_markets_by_name_are_resolved(tmp_path: Path) -> None:
    text = "月份,市场名称,工种,招聘人数,登记求职人数\n2024-03,芝罘零工市场,瓦工,5,4\n2024-03,莱山驿站,瓦工,1,2\n"
    logs = read_work_logs(_csv(tmp_path, text), markets=MARKETS)
    assert logs["market_id"].tolist() == ["YT01", "YT03"]
    assert logs["industry"].tolist() == ["瓦工", "瓦工"]
    unknown = text + "2024-03,牟平市场,瓦工,1,1\n"
    with pytest.raises(InvalidValueError, match=r"row 4, column '市场名称'.*'牟平市场' is not in"):
        read_work_logs(_csv(tmp_path, unknown, "u.csv"), markets=MARKETS)
    twice = pd.concat(
        [MARKETS, pd.DataFrame({"market_id": ["YT04"], "name": ["莱山驿站"]})], ignore_index=True
    )
    with pytest.raises(InvalidValueError, match=r"row 3.*matches 2 markets.*YT03, YT04"):
        read_work_logs(_csv(tmp_path, text, "t.csv"), markets=twice)
    with pytest.raises(ColumnError, match=r"by 市场名称 only.*markets=read_markets"):
        read_work_logs(_csv(tmp_path, text, "n.csv"))


def test_markets_from_the_directory_reader(tmp_path: Path) -> None:
    directory = tmp_path / "markets.csv"
    directory.write_text("名称,地址\n甲市场,一路\n乙市场,二路\n", encoding="utf-8")
    markets = read_markets(directory)
    logs = read_work_logs(
        _csv(tmp_path, "月份,市场名称,行业,岗位数,求职人数\n2024-05,乙市场,家政,3,6\n"),
        markets=markets,
    )
    assert logs["market_id"].tolist() == ["M0002"]


def test_more_matches_than_postings_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = "月份,市场编号,行业,岗位数,求职人数,成功对接\n2024-03,A,建筑,5,50,8\n2024-03,B,建筑,5,50,3\n"
    with caplog.at_level(logging.WARNING):
        logs = read_work_logs(_csv(tmp_path, text))
    assert (
        "1 row(s) have more matches (成功对接) than postings (岗位数), first at row 2"
        in caplog.text
    )
    assert logs["matches"].tolist() == [8, 3]  # kept, not changed


# --- personal data -----------------------------------------------------------------------


@pytest.mark.parametrize("header", ["姓名", "身份证号", "手机号", "求职者姓名", "Phone"])
def test_personal_columns_are_refused(tmp_path: Path, header: str) -> None:
    text = f"月份,市场编号,行业,岗位数,求职人数,{header}\n2024-03,A,建筑,1,1,秘密\n"
    with pytest.raises(ColumnError, match=rf"column '{header}'.*personal data.*delete") as e:
        read_work_logs(_csv(tmp_path, text))
    assert "秘密" not in str(e.value)


def test_personal_values_are_refused_without_echoing_them(tmp_path: Path) -> None:
    id_no = "37060219800101123X"
    text = f"月份,市场编号,行业,岗位数,求职人数,备注\n2024-03,A,建筑,1,1,\n2024-03,B,建筑,1,1,{id_no}\n"
    with pytest.raises(InvalidValueError, match=r"row 3, column '备注'.*an ID-card number") as e:
        read_work_logs(_csv(tmp_path, text))
    assert id_no not in str(e.value)
    mobile = "月份,市场编号,行业,岗位数,求职人数\n2024-03,A,张三13812345678,1,1\n"
    with pytest.raises(InvalidValueError, match=r"row 2, column '行业'") as e:
        read_work_logs(_csv(tmp_path, mobile, "m.csv"))
    assert "13812345678" not in str(e.value)


# The forms of issue #10 and their kin: numbers split by spaces, dashes, dots, with +86.
PERSONAL_FORMS = [
    ("家政 110105 19491231 002X", "ID-card"),
    ("110105-19491231-002x", "ID-card"),
    ("身份证 110105.19491231.0021", "ID-card"),
    ("老身份证 110105491231002", "ID-card"),
    ("联系人 139-1234-5678", "mobile phone"),
    ("电话 139 1234 5678", "mobile phone"),
    ("139.1234.5678", "mobile phone"),
    ("+86 139 1234 5678", "mobile phone"),
    ("(+86)13912345678", "mobile phone"),
    ("0086-139-1234-5678", "mobile phone"),
    ("８６ １３９１２３４５６７８", "mobile phone"),  # full-width digits and spaces
    ("座机 (0539) 555 0101", "phone"),
]


@pytest.mark.parametrize(("text", "kind"), PERSONAL_FORMS)
def test_personal_numbers_in_every_form_are_refused(tmp_path: Path, text: str, kind: str) -> None:
    assert find_personal_number(text) == kind
    log = f"月份,市场编号,行业,岗位数,求职人数\n2024-03,A,建筑,1,1\n2024-03,B,{text},1,1\n"
    with pytest.raises(InvalidValueError, match=rf"row 3, column '行业'.*an {kind} number") as e:
        read_work_logs(_csv(tmp_path, log))
    digits = "".join(ch for ch in text if ch.isdigit())
    assert text not in str(e.value) and digits[-8:] not in str(e.value)


@pytest.mark.parametrize(
    "text",
    ["2024-03-01", "SF-LG-001", "建筑装修", "共 12 人，3 批", "2024年3月 13:00", "M0001", "0.85"],
)
def test_ordinary_cells_are_not_personal_numbers(text: str) -> None:
    assert find_personal_number(text) is None


def test_industry_labels_by_hand() -> None:
    cases = {
        "建筑": "建筑装修",
        "建筑业": "建筑装修",
        " 装修 ": "建筑装修",
        "瓦工、木工": "建筑装修",  # every part is construction
        "家政服务": "家政保洁",
        "家政 保洁": "家政保洁",
        "保洁类": "家政保洁",
        "快递": "搬运装卸",
        "餐饮": "商贸餐饮",
        "制造业": "制造业普工",
        "采摘": "农业季节工",
        "其它": INDUSTRY_OTHER,
        # free text is never published: anything not wholly in the vocabulary is 其他
        "家政（求职者张伟）": INDUSTRY_OTHER,
        "张伟 家政": INDUSTRY_OTHER,
        "建筑、家政": INDUSTRY_OTHER,  # two industries in one cell
        "=HYPERLINK(1)": INDUSTRY_OTHER,
        "": INDUSTRY_OTHER,
    }
    assert {k: industry_label(k) for k in cases} == cases
    assert industry_label(None) == INDUSTRY_OTHER
    for label in INDUSTRY_VOCABULARY:  # each label names itself
        assert industry_label(label) == label


def test_unlisted_industries_are_warned_without_their_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = (
        "月份,市场编号,行业,岗位数,求职人数\n2024-03,A,建筑,1,1\n2024-03,A,家政（求职者张伟）,1,1\n"
    )
    with caplog.at_level(logging.WARNING):
        logs = read_work_logs(_csv(tmp_path, log))
    assert logs["industry"].tolist() == ["建筑", "家政（求职者张伟）"]  # read as written
    assert "1 row(s) (rows 3)" in caplog.text and "published as 其他" in caplog.text
    assert "张伟" not in caplog.text


# --- other errors ------------------------------------------------------------------------


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="does not exist"):
        read_work_logs(tmp_path / "none.csv")
    with pytest.raises(EmptyFileError, match="no data rows"):
        read_work_logs(_csv(tmp_path, "月份,市场编号,行业,岗位数,求职人数\n"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes("月份,市场编号\n".encode() + b"\x80,A\n")
    with pytest.raises(EncodingError, match="neither UTF-8 nor GBK"):
        read_work_logs(bad)


def test_column_errors(tmp_path: Path) -> None:
    with pytest.raises(ColumnError, match=r"required column 'seekers' is missing.*求职人数"):
        read_work_logs(_csv(tmp_path, "月份,市场编号,行业,岗位数\n2024-03,A,建筑,1\n"))
    with pytest.raises(ColumnError, match=r"neither a 市场编号 nor a 市场名称"):
        read_work_logs(_csv(tmp_path, "月份,行业,岗位数,求职人数\n2024-03,建筑,1,1\n", "n.csv"))
    with pytest.raises(ColumnError, match=r"column '天气'.*unknown column"):
        read_work_logs(
            _csv(
                tmp_path,
                "月份,市场编号,行业,岗位数,求职人数,天气\n2024-03,A,建筑,1,1,晴\n",
                "w.csv",
            )
        )
    with pytest.raises(ColumnError, match=r"markets table.*'name'"):
        read_work_logs(_csv(tmp_path, TEXT, "t.csv"), markets=MARKETS[["market_id"]])


def test_value_errors(tmp_path: Path) -> None:
    head = "月份,市场编号,行业,岗位数,求职人数,达成意向,日工资中位数\n"
    cases = [
        ("2024-3x,A,建筑,1,1,,\n", r"row 2, column '月份'.*'2024-3x' is not a month.*2024-03"),
        ("2024-03,A,建筑,-1,1,,\n", r"row 2, column '岗位数'.*below the minimum 0"),
        ("2024-03,A,建筑,1,2.5,,\n", r"row 2, column '求职人数'.*not a whole number"),
        ("2024-03,A,建筑,1,,,\n", r"row 2, column '求职人数': empty value"),
        ("2024-03,A,建筑,1,1,-3,\n", r"row 2, column '达成意向'.*below the minimum"),
        ("2024-03,A,建筑,1,1,,-10\n", r"row 2, column '日工资中位数'.*below the minimum"),
        ("2024-03,A,,1,1,,\n", r"row 2, column '行业': empty value"),
        ("2024-03,,建筑,1,1,,\n", r"row 2, column '市场编号': empty value"),
    ]
    for k, (row, pattern) in enumerate(cases):
        with pytest.raises(InvalidValueError, match=pattern):
            read_work_logs(_csv(tmp_path, head + row, f"v{k}.csv"))


def test_duplicate_month_market_industry(tmp_path: Path) -> None:
    # 2024-03 and 2024年3月 are the same month
    text = "月份,市场编号,行业,岗位数,求职人数\n2024-03,A,建筑,1,1\n2024-03,A,家政,1,1\n2024年3月,A,建筑,2,2\n"
    with pytest.raises(
        DuplicateIdError,
        match=r"row 4, column '行业'.*2024-03, market 'A', industry '建筑'.*rows 2, 4",
    ):
        read_work_logs(_csv(tmp_path, text))


# --- 求人倍率 ------------------------------------------------------------------------------


def test_ratio_by_month_market_industry(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    logs = read_work_logs(_csv(tmp_path, TEXT))
    with caplog.at_level(logging.INFO):
        r = job_to_applicant_ratio(logs)
    assert "2 group(s) had no job seekers" in caplog.text
    # by hand: 120/80, 30/45, 10/0 (no seekers), 90/100, 0/0 (no seekers); sorted by key
    assert r[["month", "market_id", "industry"]].values.tolist() == [
        ["2024-03", "YT01", "家政"],
        ["2024-03", "YT01", "建筑"],
        ["2024-03", "YT02", "建筑"],
        ["2024-04", "YT01", "建筑"],
        ["2024-04", "YT02", "建筑"],
    ]
    np.testing.assert_allclose(
        r["job_to_applicant_ratio"].to_numpy(), [30 / 45, 1.5, np.nan, 0.9, np.nan]
    )
    assert r["no_seekers"].tolist() == [False, False, True, False, True]
    assert not np.isinf(r["job_to_applicant_ratio"]).any()


def test_ratio_sums_before_dividing(tmp_path: Path) -> None:
    logs = read_work_logs(_csv(tmp_path, TEXT))
    by_month = job_to_applicant_ratio(logs, by=("month",))
    # March: (120 + 30 + 10) / (80 + 45 + 0) = 160 / 125; April: (90 + 0) / (100 + 0)
    assert by_month["month"].tolist() == ["2024-03", "2024-04"]
    assert by_month["postings"].tolist() == [160, 90]
    assert by_month["seekers"].tolist() == [125, 100]
    np.testing.assert_allclose(by_month["job_to_applicant_ratio"], [1.28, 0.9])
    overall = job_to_applicant_ratio(logs, by=())
    assert overall["postings"].tolist() == [250] and overall["seekers"].tolist() == [225]
    assert overall["job_to_applicant_ratio"].iloc[0] == pytest.approx(250 / 225)


def test_ratio_errors() -> None:
    logs = pd.DataFrame({"month": ["2024-03"], "postings": [1], "seekers": [-1]})
    with pytest.raises(ColumnError, match=r"no column 'market_id'"):
        job_to_applicant_ratio(logs)
    with pytest.raises(InvalidValueError, match=r"'seekers'.*negative"):
        job_to_applicant_ratio(logs, by=["month"])

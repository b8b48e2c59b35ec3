"""Hours read out of published sentences (planner/io/hours/report.py) and how the market
directory reader keeps the published text (planner/io/markets/reader.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from planner.io.hours.report import hours_from_report
from planner.io.markets import read_markets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the real Qingdao report (../shared/data shandong-gig-markets, row 2)
        (
            "报道：管理人员凌晨4时上岗，清晨6时已聚集数千人，上午10时许人员散去（非官方营业时间）",
            "每天 04:00-10:00",
        ),
        ("早上5点半开市，中午12点收市", "每天 05:30-12:00"),
        ("早晨五点到上午十一点", "每天 05:00-11:00"),
        ("6:30开门，下午3点关门", "每天 06:30-15:00"),
        ("“线上+线下”24小时服务（线上二维码/微信群）", "全天24小时"),
    ],
)
def test_times_in_a_sentence(text: str, expected: str) -> None:
    got = hours_from_report(text)
    assert got is not None and str(got) == expected


@pytest.mark.parametrize(
    "text",
    ["报道：早上5点半已有务工人员（无官方营业时间）", "每天清晨（无具体时间）", "面议"],
)
def test_fewer_than_two_times_give_no_schedule(text: str) -> None:
    assert hours_from_report(text) is None


def _directory(tmp_path: Path, hours: list[str], extra: str = "") -> Path:
    head = "名称,类型,经度,纬度,坐标系,开放时间" + (f",{extra}" if extra else "")
    rows = [
        f"市场{i},零工服务站点,121.40{i},37.50,wgs84,{h}" + (f",x{i}" if extra else "")
        for i, h in enumerate(hours)
    ]
    p = tmp_path / "markets.csv"
    p.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    return p


def test_reader_keeps_the_text_and_names_the_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    p = _directory(
        tmp_path, ["每天 05:00-12:00", "凌晨4时上岗，上午10时散去", "清晨（无具体时间）"]
    )
    with caplog.at_level(logging.WARNING):
        m = read_markets(p)
    assert m["hours"].tolist()[1] == "凌晨4时上岗，上午10时散去"  # as published
    assert str(m["opening_hours"].iloc[1]) == "每天 04:00-10:00"
    assert m["opening_hours"].iloc[2] is None
    assert "row(s) 3 are a sentence" in caplog.text
    assert "row(s) 4 cannot be read; shown as published" in caplog.text


def test_strict_hours_still_refuses(tmp_path: Path) -> None:
    from planner.errors import HoursError

    p = _directory(tmp_path, ["清晨（无具体时间）"])
    with pytest.raises(HoursError, match=r"row 2, column '开放时间'"):
        read_markets(p, strict_hours=True)


def test_extra_columns_are_kept_warned_and_never_published(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from planner.publish.directory import directory_table

    p = _directory(tmp_path, ["每天 05:00-12:00"], extra="负责人身份证")
    with caplog.at_level(logging.WARNING):
        m = read_markets(p)
    assert m["负责人身份证"].tolist() == ["x0"]
    assert "'负责人身份证' are not directory fields" in caplog.text
    public = directory_table(m)
    assert "负责人身份证" not in public.columns
    assert "x0" not in public.astype(str).to_numpy().ravel().tolist()

"""Candidate sites a planner adds (planner/io/sites.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import InvalidValueError
from planner.io.sites import read_candidate_sites


def test_table_with_chinese_headers(tmp_path: Path) -> None:
    p = tmp_path / "sites.csv"
    p.write_text(
        "名称,经度,纬度,类型,行业\n东城社区党群服务中心,121.40,37.50,零工服务站点,\n"
        "建材城南门,121.41,37.51,行业性零工市场,建材\n空厂房,121.42,37.52,,\n",
        encoding="utf-8",
    )
    s = read_candidate_sites(p, coords="wgs84")
    assert s["anchor_name"].tolist() == ["东城社区党群服务中心", "建材城南门", "空厂房"]
    assert s["tier"].tolist() == ["station", "sector", None]
    assert s["sector"].tolist() == [None, "construction", None]
    assert (s["anchor_kind"] == "user").all()
    assert s.crs.is_projected


def test_unknown_tier_names_the_row(tmp_path: Path) -> None:
    p = tmp_path / "sites.csv"
    p.write_text("名称,经度,纬度,类型\n甲,121.40,37.50,超市\n", encoding="utf-8")
    with pytest.raises(InvalidValueError, match=r"row 2, column 'tier': unknown tier '超市'"):
        read_candidate_sites(p, coords="wgs84")

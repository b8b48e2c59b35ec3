"""Why a site is proposed, in words (planner/analysis/reasons.py): sentences written by hand."""

from __future__ import annotations

import math

from planner.analysis.coverage import TierRule
from planner.analysis.reasons import label, site_reason
from planner.publish.proposal_text import english_words

STATION = TierRule("station", 15.0, ("walk", "ebike"), rural_radius_m=5000.0)
COMP = TierRule("comprehensive", 30.0, ("bus", "ebike"))


def _site(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "site_id": "C-stat-0005",
        "tier": "station",
        "anchor_kind": "bus_station",
        "anchor_name": "东岭镇东",
        "new_demand": 4889.4,
        "modes": "walk/ebike",
        "nearest_market": "SF-LG-002",
        "nearest_market_min": 47.84,
    }
    return {**base, **kw}


def test_full_reason_by_hand() -> None:
    text = site_reason(_site(), rule=STATION, market_names={"SF-LG-002": "建材城零工市场"})
    assert text == (
        "该零工服务站点依托公交站点“东岭镇东”设置。设置后可新增覆盖灵活就业人员约4,889人。"
        "新增覆盖人员可通过步行、电动自行车在15分钟内到达。"
        "最近的现有零工市场为“建材城零工市场”，约47.8分钟。"
    )
    assert english_words(text) == []


def test_area_groups_rural_rule_and_no_market() -> None:
    site = _site(modes="walk/rural_radius", new_older=321.6, nearest_market="")
    text = site_reason(site, rule=STATION, unit="南山镇", groups=["older"])
    assert text == (
        "该零工服务站点位于南山镇，依托公交站点“东岭镇东”设置。"
        "设置后可新增覆盖灵活就业人员约4,889人（其中60岁以上人员322人）。"
        "新增覆盖人员可通过步行在15分钟内到达，农村地区另按5公里直线距离计入。"
        "一小时内无现有零工市场。"
    )
    only_rural = site_reason(_site(modes="rural_radius", anchor_name=""), rule=STATION)
    assert only_rural.startswith("该零工服务站点选址于公交站点。")
    assert "新增覆盖人员按农村5公里直线距离计入。" in only_rural


def test_anchor_kind_not_repeated_and_named_sites() -> None:
    site = _site(anchor_kind="party_service_centre", anchor_name="上周家村党群服务中心")
    assert site_reason(site).startswith("该零工服务站点依托“上周家村党群服务中心”设置。")
    # without an anchor name the caller's site name says where
    unnamed = _site(anchor_kind="street_point", anchor_name=None)
    assert site_reason(unnamed, name="示范县西河路附近", unit="示范县").startswith(
        "该零工服务站点位于示范县西河路附近。"
    )
    assert site_reason(unnamed, name="西河路附近", unit="南山镇").startswith(
        "该零工服务站点位于南山镇，西河路附近。"
    )
    # without a rule the reach is said without minutes
    assert "新增覆盖人员可通过步行、电动自行车到达。" in site_reason(_site())


def test_sector_and_the_county_rule() -> None:
    sector = _site(tier="sector", sector="construction", modes="ebike", new_demand=1125.0)
    rule = TierRule("sector", 20.0, ("ebike", "bus"))
    assert (
        "设置后可新增覆盖建筑业灵活用工需求约1,125人（按园区用工需求计），可通过电动自行车在20分钟内到达。"
        in site_reason(sector, rule=rule)
    )
    small = _site(tier="comprehensive", modes="bus", new_demand=900.0)
    text = site_reason(small, rule=COMP, min_new_demand=1000.0)
    assert text.endswith(
        "新增覆盖低于规模下限（1,000人），按“各县（市、区）至少1家公益性零工市场”（鲁人社字〔2022〕3号）的要求保留。"
    )
    assert "规模下限" not in site_reason(small, rule=COMP, min_new_demand=800.0)


def test_brief_line_and_english() -> None:
    brief = site_reason(_site(), rule=STATION, brief=True)
    assert brief == (
        "零工服务站点，依托公交站点“东岭镇东”：新增覆盖约4,889人（步行、电动自行车15分钟内可达）；"
        "最近现有市场“SF-LG-002”约48分钟"
    )
    assert "\n" not in brief
    rural = site_reason(_site(modes="walk/rural_radius"), rule=STATION, brief=True)
    assert "（步行15分钟内可达，农村5公里内）" in rural
    en = site_reason(_site(), rule=STATION, language="en")
    assert en == (
        "This neighbourhood station lies at the bus station “东岭镇东”. It newly covers about 4,889"
        " flexible workers. They reach it by walk, e-bike within 15 min. The nearest existing"
        " market is “SF-LG-002”, about 47.8 min away."
    )


def test_missing_values_read_as_missing() -> None:
    site = _site(anchor_name=float("nan"), new_demand=float("nan"), nearest_market_min=math.nan)
    text = site_reason(site, rule=STATION)
    assert text.startswith("该零工服务站点选址于公交站点。设置后可新增覆盖灵活就业人员约—人。")
    assert "约—分钟" in text
    assert label("anchor", "no_such_kind") == "no_such_kind"

"""The market directory's columns, the headers users write for them, and its value vocabulary.

:data:`MARKET_SCHEMA` maps Chinese and English headers to canonical columns;
:data:`MARKET_COLUMNS` is the column order of :func:`~planner.io.markets.read_markets`;
:data:`TIER_ALIASES`, the status words and :data:`FACILITY_KEYS` turn the cells users write
into canonical values; :func:`split_list` and :func:`facility_keys` read list cells.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from planner.io._tables import ColumnSpec, Schema

MARKET_SCHEMA = Schema(
    (
        ColumnSpec("market_id", ("编号", "市场编号", "id", "market id"), description="market id"),
        ColumnSpec("name", ("名称", "市场名称", "market name"), required=True),
        ColumnSpec("tier", ("类型", "市场类型", "type", "market type")),
        ColumnSpec("address", ("地址", "详细地址", "address_text")),
        ColumnSpec("city", ("所属城市", "城市", "市")),
        ColumnSpec("city_adcode", ("城市区划代码", "市级区划代码")),
        ColumnSpec("county", ("所属区县", "区县", "district", "区县名称")),
        ColumnSpec("town", ("街道乡镇", "所属街道", "街道", "乡镇", "street_or_town")),
        ColumnSpec("adcode", ("行政区划代码", "区划代码", "county adcode")),
        ColumnSpec("lon", ("经度", "longitude", "lng", "东经")),
        ColumnSpec("lat", ("纬度", "latitude", "北纬")),
        ColumnSpec("coords", ("坐标系", "crs", "coord_crs", "坐标系统", "coordinate system")),
        ColumnSpec(
            "hours",
            (
                "开放时间",
                "营业时间",
                "运行时间",
                "opening_hours",
                "营业时间段",
                "开放时段",
                "服务时间",
                "运营时间",
            ),
        ),
        ColumnSpec("occupations", ("工种", "职业(工种)", "服务工种", "职业")),
        ColumnSpec("phone", ("联系电话", "电话", "telephone", "联系方式", "咨询电话", "服务电话")),
        ColumnSpec("hotline", ("服务热线",)),
        ColumnSpec("complaints", ("投诉渠道", "投诉电话")),
        ColumnSpec("staff", ("工作人员数", "工作人员")),
        ColumnSpec("capacity", ("容纳人数",)),
        ColumnSpec("operating_mode", ("运营模式",)),
        ColumnSpec("operator", ("运营主体", "运营单位")),
        ColumnSpec("services", ("服务项目",)),
        ColumnSpec("facilities", ("便民设施",)),
        ColumnSpec("area_m2", ("面积(平方米)", "场地面积", "面积")),
        ColumnSpec("opened", ("开业时间", "成立时间", "opened_on")),
        ColumnSpec("status", ("状态", "运营状态")),
        ColumnSpec("source", ("来源", "信息来源", "source_url")),
        ColumnSpec("source_date", ("信息日期", "来源日期")),
        ColumnSpec("source_publisher", ("发布单位", "来源单位")),
        ColumnSpec("reliability", ("可靠性", "可信度")),
        ColumnSpec("remark", ("备注", "remarks", "note")),
    ),
    what="market directory",
)

#: Columns of the result of :func:`read_markets`, in order (``geometry`` last).
MARKET_COLUMNS: tuple[str, ...] = (
    "market_id",
    "name",
    "tier",
    "address",
    "city",
    "city_adcode",
    "county",
    "town",
    "adcode",
    "lon",
    "lat",
    "coords",
    "hours",
    "opening_hours",
    "occupations",
    "phone",
    "hotline",
    "complaints",
    "staff",
    "capacity",
    "operating_mode",
    "operator",
    "services",
    "facilities",
    "facility_keys",
    "area_m2",
    "opened",
    "status",
    "status_text",
    "source",
    "source_date",
    "source_publisher",
    "reliability",
    "remark",
)

_TEXT_COLUMNS = tuple(
    c
    for c in MARKET_COLUMNS
    if c
    not in {
        "lon",
        "lat",
        "opening_hours",
        "occupations",
        "services",
        "facilities",
        "facility_keys",
        "staff",
        "capacity",
        "area_m2",
    }
)

#: Tier names users write (spaces removed, lower case) → the tiers of planner.settings.TIERS.
TIER_ALIASES: dict[str, str] = {
    "comprehensive": "comprehensive",
    "综合": "comprehensive",
    "综合性": "comprehensive",
    "综合市场": "comprehensive",
    "综合性市场": "comprehensive",
    "综合零工市场": "comprehensive",
    "综合性零工市场": "comprehensive",
    "零工市场": "comprehensive",
    "sector": "sector",
    "行业": "sector",
    "行业性": "sector",
    "专业": "sector",
    "专业性": "sector",
    "行业性零工市场": "sector",
    "专业性零工市场": "sector",
    "行业性专业性零工市场": "sector",
    "行业性、专业性零工市场": "sector",
    "行业零工市场": "sector",
    "专业零工市场": "sector",
    "station": "station",
    "零工服务站": "station",
    "零工服务站点": "station",
    "服务站": "station",
    "服务站点": "station",
    "站点": "station",
    "驿站": "station",
    "零工驿站": "station",
    "就业驿站": "station",
}

#: Status values of the result.
STATUS_VALUES: tuple[str, ...] = ("open", "suspended", "closed", "unknown")

# Leading words of a 状态 cell → status. The first match wins, longest words first.
_STATUS_WORDS: tuple[tuple[str, str], ...] = (
    ("status unknown", "unknown"),
    ("状态未知", "unknown"),
    ("unknown", "unknown"),
    ("未知", "unknown"),
    ("不详", "unknown"),
    ("suspended", "suspended"),
    ("暂停营业", "suspended"),
    ("暂停运营", "suspended"),
    ("暂停", "suspended"),
    ("停业整顿", "suspended"),
    ("closed", "closed"),
    ("已关闭", "closed"),
    ("关闭", "closed"),
    ("停止运营", "closed"),
    ("已撤销", "closed"),
    ("撤销", "closed"),
    ("operating", "open"),
    ("open", "open"),
    ("运营中", "open"),
    ("运营", "open"),
    ("正常运营", "open"),
    ("正常", "open"),
    ("开放", "open"),
    ("在营", "open"),
    ("营业", "open"),
    ("已开放", "open"),
    ("已运营", "open"),
    ("已开业", "open"),
    ("开业", "open"),
)

#: Canonical facility keys and the words that name them in 便民设施 (substring match). A word
#: may name several keys (充电 alone: both kinds of charging); within one item the longest
#: matching words win (电动车充电 is e-bike charging only, not also the 充电 it contains).
FACILITY_KEYS: dict[str, tuple[str, ...]] = {
    "parking": ("停车场", "停车位", "停车"),
    "tool_storage": ("工具存放", "工具寄存", "工具柜", "工具间"),
    "waiting_room": ("候工室", "候工区", "候工大厅", "候工", "等候区", "休息区", "休息室", "休息"),
    "drinking_water": ("饮水", "开水", "饮用水", "热水", "茶水"),
    "hot_meals": ("热饭", "热餐", "就餐", "食堂", "微波炉", "用餐"),
    "ebike_charging": ("电动车充电", "电瓶车充电", "电动自行车充电", "充电桩", "充电"),
    "phone_charging": ("手机充电", "充电宝", "充电"),
    "toilets": ("卫生间", "厕所", "洗手间", "公厕", "卫生设施"),
    "shelter": ("遮阳", "避雨", "雨棚", "大棚", "凉棚", "遮阳棚"),
    "seating": ("长凳", "座椅", "凳子", "座位"),
}

#: Chinese label of each facility key, as the public directory names it.
FACILITY_LABELS: dict[str, str] = {
    "parking": "停车",
    "tool_storage": "工具存放",
    "waiting_room": "候工休息区",
    "drinking_water": "饮水",
    "hot_meals": "热饭",
    "ebike_charging": "电动车充电",
    "phone_charging": "手机充电",
    "toilets": "卫生间",
    "shelter": "遮阳避雨棚",
    "seating": "座椅",
}

_LIST_SPLIT = re.compile(r"[、,，;；/／\s]+")


def split_list(value: object) -> list[str]:
    """Split a list cell on ``、 , ， ; ； /`` and spaces; an empty cell gives ``[]``.

    Examples
    --------
    >>> split_list("建筑工、装修工,搬运工 / 家政")
    ['建筑工', '装修工', '搬运工', '家政']
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return []
    return [part for part in _LIST_SPLIT.split(str(value)) if part]


def facility_keys(items: Sequence[str]) -> list[str]:
    """Canonical keys (:data:`FACILITY_KEYS` order) of the facilities named in ``items``.

    Each item is matched on its own: the words of :data:`FACILITY_KEYS` found in it, less
    any found word that is part of a longer found word (so 电动车充电 names e-bike charging
    and not the phone charging the bare 充电 names too), give its keys.

    Examples
    --------
    >>> facility_keys(["候工区", "免费开水", "电瓶车充电", "阅览室"])
    ['waiting_room', 'drinking_water', 'ebike_charging']
    >>> facility_keys(["充电", "厕所", "遮阳棚"])
    ['ebike_charging', 'phone_charging', 'toilets', 'shelter']
    """
    found: set[str] = set()
    for item in items:
        words = {w for ws in FACILITY_KEYS.values() for w in ws if w in item}
        longest = {w for w in words if not any(w != o and w in o for o in words)}
        found.update(key for key, ws in FACILITY_KEYS.items() if longest.intersection(ws))
    return [key for key in FACILITY_KEYS if key in found]


def facility_words(keys: Sequence[str]) -> list[str]:
    """Every word (label and synonyms) of the facility ``keys``, for search.

    Examples
    --------
    >>> facility_words(["toilets"])
    ['卫生间', '厕所', '洗手间', '公厕', '卫生设施']
    """
    out: list[str] = []
    for key in keys:
        for word in (FACILITY_LABELS.get(key, ""), *FACILITY_KEYS.get(key, ())):
            if word and word not in out:
                out.append(word)
    return out


def _squash(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).lower()


def _tier_of(text: str) -> str | None:
    return TIER_ALIASES.get(_squash(text))


def _status_of(text: str) -> str | None:
    t = text.strip().lower()
    if t in STATUS_VALUES:
        return t
    # "opened 2021-09-01 (current status unknown)": an opening date says nothing current.
    if t.startswith("opened") and "unknown" in t:
        return "unknown"
    for word, status in _STATUS_WORDS:
        if t.startswith(word):
            return status
    return None

"""The directory of gig-labour markets (零工市场名录): CSV/XLSX with Chinese or English headers.

A county's directory lists, for each market, its name, tier, address, coordinates,
opening hours, the occupations it serves and how to reach it (鲁人社字〔2024〕44号 (十):
名录清单 with 地址、运行时间、职业(工种)、联系方式). :func:`read_markets` reads such a
table, checks every cell at the door and returns one row per market with point
geometries in a projected CRS. :func:`write_markets_template` writes the empty
template (``data/markets_template.csv`` / ``.xlsx``) users fill in.

Columns
-------
Every column of :data:`MARKET_SCHEMA` is present in the result (empty when the file
lacks it). The Chinese header (first alias) is what the template uses; the English
canonical name is accepted as a header too.

======================  ==========================================  ===================
column                  headers accepted                            value
======================  ==========================================  ===================
``market_id``           编号, 市场编号, id                           text; ``M0001`` … in
                                                                    row order when the
                                                                    column is absent
``name``                名称, 市场名称 (required)                    text
``tier``                类型, 市场类型                               ``comprehensive`` /
                                                                    ``sector`` /
                                                                    ``station`` (or NA)
``address``             地址, address_text                           text
``county``              所属区县, 区县, district                     text
``adcode``              行政区划代码, 区划代码                       text (zeros kept)
``lon``, ``lat``        经度, 纬度                                   float, as written,
                                                                    in ``coords``
``coords``              坐标系, crs, coord_crs                       ``wgs84`` / ``gcj02``
                                                                    / ``bd09``
``hours``               开放时间, 营业时间, 运行时间                 text as written
``opening_hours``       (parsed from ``hours``)                      OpeningHours or None
``occupations``         工种, 职业(工种), 服务工种                    list of text
``phone``               联系电话, 电话                               text (zeros kept)
``hotline``             服务热线                                     text
``complaints``          投诉渠道, 投诉电话                           text
``staff``               工作人员数                                   Int64 ≥ 0
``capacity``            容纳人数                                     Int64 ≥ 0
``operating_mode``      运营模式                                     text
``operator``            运营主体, 运营单位                           text
``services``            服务项目                                     list of text
``facilities``          便民设施                                     list of text
``facility_keys``       (from ``facilities``)                        list of keys of
                                                                    :data:`FACILITY_KEYS`
``area_m2``             面积(平方米), 场地面积                       float ≥ 0
``opened``              开业时间, 成立时间                           text
``status``              状态                                         ``open`` /
                                                                    ``suspended`` /
                                                                    ``closed`` /
                                                                    ``unknown`` (or NA)
``status_text``         (the 状态 cell as written)                   text
======================  ==========================================  ===================

plus ``city``, ``city_adcode``, ``town``, ``source``, ``source_date``,
``source_publisher``, ``reliability`` and ``remark`` (text) and ``geometry``.

The per-row ``coords`` column is named ``coords`` rather than ``crs`` so it does not
shadow :attr:`geopandas.GeoDataFrame.crs`; a ``crs`` header is accepted.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner.errors import (
    CRSError,
    DuplicateIdError,
    HoursError,
    InputFileError,
    InvalidValueError,
)
from planner.io._tables import (
    ColumnSpec,
    Schema,
    check_unique,
    points_from_lonlat,
    read_table,
    sheet_row,
    to_number,
)
from planner.io.coords import CoordSystem, normalise_coord_system
from planner.io.crs import StudyArea, choose_crs
from planner.io.hours import OpeningHours, parse_hours

__all__ = [
    "FACILITY_KEYS",
    "MARKET_COLUMNS",
    "MARKET_SCHEMA",
    "STATUS_VALUES",
    "TIER_ALIASES",
    "read_markets",
    "write_markets_template",
]

log = logging.getLogger(__name__)

_PANDAS_3 = int(pd.__version__.split(".")[0]) >= 3

PathArg = str | PathLike[str]

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
        ColumnSpec("lon", ("经度", "longitude", "lng")),
        ColumnSpec("lat", ("纬度", "latitude")),
        ColumnSpec("coords", ("坐标系", "crs", "coord_crs", "坐标系统", "coordinate system")),
        ColumnSpec("hours", ("开放时间", "营业时间", "运行时间", "opening_hours")),
        ColumnSpec("occupations", ("工种", "职业(工种)", "服务工种", "职业")),
        ColumnSpec("phone", ("联系电话", "电话", "telephone")),
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
)

#: Canonical facility keys and the words that name them in 便民设施 (substring match).
FACILITY_KEYS: dict[str, tuple[str, ...]] = {
    "parking": ("停车场", "停车位", "停车"),
    "tool_storage": ("工具存放", "工具寄存", "工具柜", "工具间"),
    "waiting_room": ("候工室", "候工区", "候工大厅", "等候区", "休息区", "休息室"),
    "drinking_water": ("饮水", "开水", "饮用水", "热水"),
    "hot_meals": ("热饭", "热餐", "就餐", "食堂", "微波炉"),
    "ebike_charging": ("电动车充电", "电瓶车充电", "电动自行车充电"),
    "phone_charging": ("手机充电",),
    "toilets": ("厕所", "卫生间", "洗手间", "卫生设施"),
    "shelter": ("遮阳", "避雨", "雨棚", "大棚"),
    "seating": ("长凳", "座椅", "凳子"),
}

_LIST_SPLIT = re.compile(r"[、,，;；/／\s]+")

#: Chinese header of each canonical column, as written in the template.
_TEMPLATE_HEADERS: dict[str, str] = {
    s.name: (s.aliases[0] if s.aliases else s.name) for s in MARKET_SCHEMA.columns
}

# The two example rows of the template, GCJ-02 (picked on AMap), clearly marked 示例.
_TEMPLATE_ROWS: tuple[dict[str, str], ...] = (
    {
        "market_id": "SL0001",
        "name": "示例：芝罘区综合性零工市场（示例行，使用前删除）",
        "tier": "综合性零工市场",
        "address": "示例：烟台市芝罘区某某路1号",
        "city": "烟台市",
        "city_adcode": "370600",
        "county": "芝罘区",
        "town": "示例街道",
        "adcode": "370602",
        "lon": "121.400600",
        "lat": "37.541400",
        "coords": "gcj02",
        "hours": "周一至周日 05:00-11:00",
        "occupations": "建筑工、装修工、搬运工、家政服务员",
        "phone": "0535-0000000",
        "hotline": "12333",
        "complaints": "12345政务服务便民热线",
        "staff": "3",
        "capacity": "200",
        "operating_mode": "政府主导、公益运营",
        "operator": "示例：芝罘区人力资源和社会保障局",
        "services": "岗位发布、求职登记、技能培训、劳动维权",
        "facilities": "候工室、饮用水、热饭、手机充电、工具存放",
        "area_m2": "300",
        "opened": "2024-01",
        "status": "运营",
        "source": "示例数据",
        "source_date": "2024-06-01",
        "source_publisher": "示例",
        "reliability": "示例",
        "remark": "示例行：请删除后填写真实数据；经纬度为高德（GCJ-02）坐标",
    },
    {
        "market_id": "SL0002",
        "name": "示例：某某社区零工服务站（示例行，使用前删除）",
        "tier": "零工服务站点",
        "address": "示例：烟台市福山区某某社区党群服务中心",
        "city": "烟台市",
        "city_adcode": "370600",
        "county": "福山区",
        "town": "示例街道",
        "adcode": "370611",
        "lon": "121.267400",
        "lat": "37.498300",
        "coords": "gcj02",
        "hours": "周一至周五 08:30-17:00",
        "occupations": "保洁、家政、护工",
        "phone": "0535-0000001",
        "hotline": "12333",
        "complaints": "12345政务服务便民热线",
        "staff": "1",
        "capacity": "20",
        "operating_mode": "社区代办",
        "operator": "示例：某某社区居委会",
        "services": "岗位发布、求职登记",
        "facilities": "饮水、手机充电",
        "area_m2": "40",
        "opened": "2024-03",
        "status": "运营",
        "source": "示例数据",
        "source_date": "2024-06-01",
        "source_publisher": "示例",
        "reliability": "示例",
        "remark": "示例行：请删除后填写真实数据",
    },
)

# Fixed time stamp written into the template .xlsx so the file is byte-for-byte reproducible.
_TEMPLATE_TIME = (2024, 1, 1, 0, 0, 0)


def read_markets(
    path: PathArg,
    *,
    coords: CoordSystem | str | None = None,
    area: StudyArea | None = None,
    crs: CRS | str | int | None = None,
    sheet: str | int | None = None,
    allow_missing_coords: bool = True,
    strict_hours: bool = True,
) -> gpd.GeoDataFrame:
    """Read a gig-market directory (零工市场名录) into checked point geometries.

    Parameters
    ----------
    path
        CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file, one row per market,
        Chinese or English headers (see the module docstring; the template is
        ``data/markets_template.csv``).
    coords
        Coordinate system of the lon/lat columns: ``"wgs84"``, ``"gcj02"`` (AMap/高德)
        or ``"bd09"`` (Baidu). A 坐标系 cell overrides it for its row. When neither is
        given, WGS-84 is assumed and a warning is logged.
    area
        Study area: the result is in ``area.crs`` and points more than
        :data:`planner.settings.OUTSIDE_AREA_TOLERANCE_M` outside it are an error.
    crs
        Output CRS when there is no ``area``; default a UTM zone chosen from the points
        (EPSG:4326 when no row has coordinates).
    sheet
        XLSX sheet name or 0-based index (default the first sheet).
    allow_missing_coords
        Keep rows without coordinates with an empty (``None``) geometry and log how many
        (default). ``False`` makes them an error.
    strict_hours
        Opening hours that cannot be read are an error (default). ``False`` keeps the
        text in ``hours``, sets ``opening_hours`` to ``None`` and logs how many.

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :data:`MARKET_COLUMNS` and ``geometry`` (points), in row order.

    Raises
    ------
    planner.errors.PlannerError
        A subclass naming the file, row and column: missing/empty/undecodable file
        (MissingFileError, EmptyFileError, EncodingError), unknown or missing column
        (ColumnError), bad tier, status, number or coordinate system (InvalidValueError,
        CRSError), swapped, projected or far-away coordinates (CoordinateError),
        unreadable hours (HoursError), repeated id or (name, address) (DuplicateIdError).

    Examples
    --------
    >>> from pathlib import Path
    >>> m = read_markets(Path("data/markets_template.csv"))  # doctest: +SKIP
    >>> m[["market_id", "tier", "coords"]].values.tolist()  # doctest: +SKIP
    [['SL0001', 'comprehensive', 'gcj02'], ['SL0002', 'station', 'gcj02']]
    """
    raw = read_table(path, sheet=sheet, what="market directory")
    headers = _headers(raw, MARKET_SCHEMA)
    df = MARKET_SCHEMA.apply(raw, path=path)
    df = _strip_text(df)
    for col in MARKET_SCHEMA.columns:
        if col.name not in df.columns:
            df[col.name] = as_text(pd.Series(None, index=df.index, dtype="object"))

    _require_cells(df, "name", path=path, shown_as=headers.get("name", "名称"))
    if "market_id" in headers:
        _require_cells(
            df,
            "market_id",
            path=path,
            shown_as=headers["market_id"],
            fix="fill in every id, or delete the column to number the markets M0001, M0002 …",
        )
    else:
        df["market_id"] = [f"M{i + 1:04d}" for i in range(len(df))]
        log.info("%s: no id column; markets numbered M0001 … M%04d in row order", path, len(df))
    check_unique(df, "market_id", path=path, shown_as=headers.get("market_id", "market_id"))
    _check_unique_pair(df, "name", "address", path=path, headers=headers)

    df["tier"] = _map_values(
        df["tier"],
        _tier_of,
        path=path,
        shown_as=headers.get("tier", "类型"),
        accepted="comprehensive (综合性零工市场), sector (行业性/专业性零工市场),"
        " station (零工服务站点/驿站)",
    )
    n_no_tier = int(df["tier"].isna().sum())
    if n_no_tier:
        log.warning("%s: %d market(s) have no tier (类型); tier left empty", path, n_no_tier)
    df["status_text"] = df["status"]
    df["status"] = _map_values(
        df["status"],
        _status_of,
        path=path,
        shown_as=headers.get("status", "状态"),
        accepted="运营/open, 暂停/suspended, 关闭/closed, 未知/unknown",
    )
    for name in ("staff", "capacity"):
        df[name] = to_number(
            df, name, path=path, shown_as=headers.get(name), required=False, minimum=0, integer=True
        ).astype("Int64")
    df["area_m2"] = to_number(
        df, "area_m2", path=path, shown_as=headers.get("area_m2"), required=False, minimum=0
    )
    for name in ("occupations", "services", "facilities"):
        df[name] = df[name].map(split_list)
    df["facility_keys"] = df["facilities"].map(facility_keys)
    df["hours"], df["opening_hours"] = _parse_hours_column(
        df["hours"], path=path, shown_as=headers.get("hours", "开放时间"), strict=strict_hours
    )

    gdf = points_by_row_crs(
        df,
        coords=coords,
        area=area,
        crs=crs,
        path=path,
        headers=headers,
        allow_missing=allow_missing_coords,
    )
    for name in _TEXT_COLUMNS:
        gdf[name] = as_text(gdf[name])
    return gpd.GeoDataFrame(gdf[[*MARKET_COLUMNS, "geometry"]], geometry="geometry", crs=gdf.crs)


# --------------------------------------------------------------------------------------
# Helpers shared with planner.io.places and planner.io.worklogs
# --------------------------------------------------------------------------------------


def _headers(raw: pd.DataFrame, schema: Schema) -> dict[str, str]:
    """Canonical name → the header as the user wrote it."""
    out: dict[str, str] = {}
    for col in raw.columns:
        canon = schema.canonical(str(col))
        if canon is not None and canon not in out:
            out[canon] = str(col)
    return out


def _strip_text(df: pd.DataFrame) -> pd.DataFrame:
    """Strip spaces around every text cell; cells that become empty are missing."""
    out = df.copy()
    for col in out.columns:
        out[col] = as_text(out[col])
    return out


def as_text(values: pd.Series) -> pd.Series:
    """Text column: stripped, empty cells missing (NaN), pandas' text dtype."""
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    if _PANDAS_3:
        return text.astype("str")
    return text.astype(object).where(text.notna(), np.nan)


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def _require_cells(
    df: pd.DataFrame, column: str, *, path: PathArg, shown_as: str, fix: str = "fill in every row"
) -> None:
    empty = df[column].isna()
    if empty.any():
        i = df.index[np.flatnonzero(empty.to_numpy())[0]]
        raise InvalidValueError(
            f"empty value ({int(empty.sum())} empty row(s))",
            path=path,
            row=sheet_row(i),
            column=shown_as,
            fix=fix,
        )


def _check_unique_pair(
    df: pd.DataFrame, a: str, b: str, *, path: PathArg, headers: Mapping[str, str]
) -> None:
    """Raise DuplicateIdError naming both rows when (a, b) repeats; empty b counts as equal."""
    key = df[a].astype("string").fillna("") + "\x1f" + df[b].astype("string").fillna("")
    dup = key.duplicated(keep=False)
    if not dup.any():
        return
    first = key[dup].iloc[0]
    rows = [sheet_row(i) for i in key.index[key == first]]
    value_b = df.loc[key.index[key == first][0], b]
    b_text = "no address" if pd.isna(value_b) else f"{b} {value_b!r}"
    raise DuplicateIdError(
        f"{df.loc[key.index[key == first][0], a]!r} with {b_text} appears {len(rows)} times"
        f" (rows {', '.join(map(str, rows[:5]))})",
        path=path,
        row=rows[1],
        column=headers.get(a, a),
        fix="delete the repeated row, or tell the two apart by their address",
    )


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

    Examples
    --------
    >>> facility_keys(["候工区", "免费开水", "电瓶车充电", "阅览室"])
    ['waiting_room', 'drinking_water', 'ebike_charging']
    """
    found = {
        key
        for item in items
        for key, words in FACILITY_KEYS.items()
        if any(word in item for word in words)
    }
    return [key for key in FACILITY_KEYS if key in found]


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


def _map_values(
    values: pd.Series,
    mapper: Callable[[str], str | None],
    *,
    path: PathArg,
    shown_as: str,
    accepted: str,
) -> pd.Series:
    """Map text cells with ``mapper``; an unmapped non-empty cell is an error naming its row."""
    out: list[Any] = []
    for i, v in values.items():
        if pd.isna(v):
            out.append(pd.NA)
            continue
        mapped = mapper(str(v))
        if mapped is None:
            raise InvalidValueError(
                f"unknown value {v!r}",
                path=path,
                row=sheet_row(int(i)),  # type: ignore[call-overload]
                column=shown_as,
                fix=f"use one of: {accepted}",
            )
        out.append(mapped)
    return pd.Series(out, index=values.index, dtype="object")


def _parse_hours_column(
    texts: pd.Series, *, path: PathArg, shown_as: str, strict: bool
) -> tuple[pd.Series, pd.Series]:
    parsed: dict[str, OpeningHours | None] = {}
    out: list[OpeningHours | None] = []
    bad = 0
    for i, v in texts.items():
        if pd.isna(v):
            out.append(None)
            continue
        text = str(v)
        if text not in parsed:
            try:
                parsed[text] = parse_hours(text)
            except HoursError as exc:
                if strict:
                    raise HoursError(
                        exc.message,
                        path=path,
                        row=sheet_row(int(i)),  # type: ignore[call-overload]
                        column=shown_as,
                        fix=exc.fix or "write e.g. '每天 05:00-12:00'",
                    ) from exc
                parsed[text] = None
        hours = parsed[text]
        bad += hours is None
        out.append(hours)
    if bad:
        log.warning(
            "%s: %d row(s) have opening hours that cannot be read; text kept in 'hours',"
            " 'opening_hours' left empty",
            path,
            bad,
        )
    return texts.astype("object"), pd.Series(out, index=texts.index, dtype="object")


def points_by_row_crs(
    df: pd.DataFrame,
    *,
    coords: CoordSystem | str | None,
    area: StudyArea | None,
    crs: CRS | str | int | None,
    path: PathArg,
    headers: Mapping[str, str],
    allow_missing: bool,
) -> gpd.GeoDataFrame:
    """Points from ``lon``/``lat`` columns whose system may differ per row (column ``coords``).

    ``df`` must hold ``lon``, ``lat`` (text or numbers) and ``coords`` (text or NA). Rows
    are grouped by system and each group goes through
    :func:`planner.io._tables.points_from_lonlat`, so every row gets the same checks.
    On return ``lon``/``lat`` are floats and ``coords`` the canonical system of each row
    (NA for rows without coordinates and without a declared system).
    """
    lon_h = headers.get("lon", "经度")
    lat_h = headers.get("lat", "纬度")
    coords_h = headers.get("coords", "坐标系")
    out = df.copy()
    out["lon"] = to_number(out, "lon", path=path, shown_as=lon_h, required=False)
    out["lat"] = to_number(out, "lat", path=path, shown_as=lat_h, required=False)
    has_xy = out["lon"].notna() & out["lat"].notna()

    default: CoordSystem = "wgs84"
    if coords is not None:
        default = normalise_coord_system(coords, where=f"{path} (coords argument)")
    systems: list[Any] = []
    for i, v, xy in zip(out.index, out["coords"], has_xy.to_numpy(), strict=True):
        if pd.isna(v):
            systems.append(default if (coords is not None or xy) else pd.NA)
            continue
        try:
            systems.append(normalise_coord_system(str(v)))
        except CRSError as exc:
            raise CRSError(
                f"unknown coordinate system {v!r}",
                path=path,
                row=sheet_row(int(i)),  # type: ignore[call-overload]
                column=coords_h,
                fix=exc.fix,
            ) from exc
    out["coords"] = pd.Series(systems, index=out.index, dtype="object")
    undeclared = has_xy & df["coords"].isna()
    if coords is None and undeclared.any():
        log.warning(
            "%s: %d row(s) have coordinates but no coordinate system (no 坐标系 column value"
            " and no coords argument); read as WGS-84. Declare gcj02 for AMap/高德 or bd09 for"
            " Baidu coordinates",
            path,
            int(undeclared.sum()),
        )

    groups = {str(s): idx for s, idx in out.groupby("coords", dropna=False).groups.items()}
    target: CRS | None = area.crs if area is not None else (CRS(crs) if crs is not None else None)
    if target is None:
        target = _crs_from_points(out, groups, path=path, lon_h=lon_h, lat_h=lat_h)

    geoms = np.empty(len(out), dtype=object)
    positions = pd.Series(np.arange(len(out)), index=out.index)
    for system, idx in groups.items():
        part = out.loc[idx]
        pts = points_from_lonlat(
            part,
            part["lon"],
            part["lat"],
            coords="wgs84" if system in {"<NA>", "nan"} else system,
            path=path,
            lon_column=lon_h,
            lat_column=lat_h,
            area=area,
            crs=target,
            allow_missing=allow_missing,
        )
        geoms[positions.loc[idx].to_numpy()] = pts.geometry.to_numpy()
    return gpd.GeoDataFrame(out, geometry=list(geoms), crs=target)


def _crs_from_points(
    df: pd.DataFrame,
    groups: Mapping[str, Any],
    *,
    path: PathArg,
    lon_h: str,
    lat_h: str,
) -> CRS:
    """UTM zone at the median WGS-84 point (EPSG:4326 when no row has coordinates)."""
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    for system, idx in groups.items():
        part = df.loc[idx]
        ok = part["lon"].notna() & part["lat"].notna()
        if not ok.any():
            continue
        # The checked conversion (swapped, metres) runs first, so the median is meaningful.
        pts = points_from_lonlat(
            part[ok],
            part.loc[ok, "lon"],
            part.loc[ok, "lat"],
            coords="wgs84" if system in {"<NA>", "nan"} else system,
            path=path,
            lon_column=lon_h,
            lat_column=lat_h,
            crs=CRS.from_epsg(4326),
        )
        lons.append(pts.geometry.x.to_numpy())
        lats.append(pts.geometry.y.to_numpy())
    if not lons:
        log.warning("%s: no row has coordinates; result left in EPSG:4326 (empty geometries)", path)
        return CRS.from_epsg(4326)
    lon_all = np.concatenate(lons)
    lat_all = np.concatenate(lats)
    return choose_crs(float(np.median(lon_all)), float(np.median(lat_all)))


# --------------------------------------------------------------------------------------
# The template
# --------------------------------------------------------------------------------------


def write_markets_template(path: PathArg) -> Path:
    """Write the market directory template: every column with its Chinese header, two 示例 rows.

    ``.csv`` gives UTF-8 with a BOM (Excel on Windows opens it correctly); ``.xlsx`` gives
    one sheet with every cell stored as text (so phone numbers keep their leading zero).
    The example rows use GCJ-02 coordinates (as picked on AMap/高德) and say so in 坐标系.
    Both files are byte-for-byte reproducible and written atomically.

    Parameters
    ----------
    path
        Target file, ending in ``.csv`` or ``.xlsx``.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     p = write_markets_template(pathlib.Path(folder) / "markets.csv")
    ...     p.read_text(encoding="utf-8-sig").splitlines()[0].split(",")[:3]
    ['编号', '名称', '类型']
    """
    p = Path(path)
    header = [_TEMPLATE_HEADERS[s.name] for s in MARKET_SCHEMA.columns]
    rows = [[row.get(s.name, "") for s in MARKET_SCHEMA.columns] for row in _TEMPLATE_ROWS]
    suffix = p.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        data = buf.getvalue().encode("utf-8-sig")
    elif suffix == ".xlsx":
        data = _template_xlsx(header, rows)
    else:
        raise InputFileError(
            f"cannot write a template as {suffix or 'a file without extension'}",
            path=p,
            fix="name the file .csv or .xlsx",
        )
    _write_atomic(p, data)
    return p


def _template_xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = "零工市场名录"
    ws.append(header)
    for row in rows:
        ws.append(row)
    for col_cells in ws.iter_cols(min_row=1, max_row=len(rows) + 1):
        for cell in col_cells:
            cell.number_format = "@"  # text: 0535-… and adcodes stay as written
    for j, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(10, 2 * len(name) + 2)
    ws.freeze_panes = "A2"
    stamp = datetime(*_TEMPLATE_TIME)
    wb.properties.creator = "planner"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    raw = io.BytesIO()
    wb.save(raw)
    # Re-pack with fixed member time stamps (zipfile writes the current time otherwise).
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as zin,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            content = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2024-01-01T00:00:00Z\g<2>",
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=_TEMPLATE_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            zout.writestr(fixed, content)
    return out.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a template is for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

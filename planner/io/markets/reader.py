"""The directory of gig-labour markets (零工市场名录): CSV/XLSX with Chinese or English headers.

A county's directory lists, for each market, its name, tier, address, coordinates,
opening hours, the occupations it serves and how to reach it (鲁人社字〔2024〕44号 (十):
名录清单 with 地址、运行时间、职业(工种)、联系方式). :func:`read_markets` reads such a
table, checks every cell at the door and returns one row per market with point
geometries in a projected CRS. :func:`~planner.io.markets.write_markets_template` writes
the empty template (``data/markets_template.csv`` / ``.xlsx``) users fill in.

Columns
-------
Every column of :data:`~planner.io.markets.MARKET_SCHEMA` is present in the result (empty
when the file lacks it). The Chinese header (first alias) is what the template uses; the
English canonical name is accepted as a header too.

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
``lon``, ``lat``        经度 (东经), 纬度 (北纬)                     float, as written,
                                                                    in ``coords``
``coords``              坐标系, crs, coord_crs                       ``wgs84`` / ``gcj02``
                                                                    / ``bd09``
``hours``               开放时间, 营业时间, 运行时间, 服务时间 …     text as written
``opening_hours``       (parsed from ``hours``)                      OpeningHours or None
``occupations``         工种, 职业(工种), 服务工种                    list of text
``phone``               联系电话, 电话, 联系方式, 咨询电话 …         text (zeros kept)
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

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner import settings
from planner.errors import ColumnError, DuplicateIdError, HoursError, InvalidValueError
from planner.io._tables import (
    PathArg,
    _headers,
    _map_values,
    _require_cells,
    as_text,
    check_unique,
    points_by_row_crs,
    read_table,
    sheet_row,
    to_number,
)
from planner.io.coords import CoordSystem
from planner.io.crs import StudyArea
from planner.io.hours import OpeningHours, parse_hours
from planner.io.hours.report import hours_from_report
from planner.io.markets._schema import (
    _TEXT_COLUMNS,
    MARKET_COLUMNS,
    MARKET_SCHEMA,
    _status_of,
    _tier_of,
    facility_keys,
    split_list,
)
from planner.io.worklogs import find_personal_number

__all__ = ["read_markets"]

log = logging.getLogger(__name__)


def read_markets(
    path: PathArg,
    *,
    coords: CoordSystem | str | None = None,
    area: StudyArea | None = None,
    crs: CRS | str | int | None = None,
    sheet: str | int | None = None,
    allow_missing_coords: bool = True,
    strict_hours: bool = False,
    outside: Literal["error", "drop"] = "error",
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
        Opening hours that cannot be read are an error. By default (``False``) the text is
        kept in ``hours`` as published; a sentence naming two or more clock times (a news
        report: "凌晨4时上岗 … 上午10时许人员散去") is read as every day from the earliest to
        the latest (:func:`planner.io.hours.report.hours_from_report`), otherwise
        ``opening_hours`` is ``None``; a warning names the rows either way.

    outside
        With ``area``: ``"error"`` (default) refuses a point more than
        :data:`planner.settings.OUTSIDE_AREA_TOLERANCE_M` outside it (a wrong coordinate);
        ``"drop"`` leaves out the markets of other places — a province's directory read for
        one county — with a warning naming them: those with a point that far out, and
        those without coordinates whose 行政区划代码 / 城市区划代码 is of another county or
        city.

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :data:`MARKET_COLUMNS`, then any other column of the file under its
        own header (kept for the user and warned about; never published, the public
        exports take only public fields), and ``geometry`` (points), in row order.

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
    extra = [str(c) for c in raw.columns if MARKET_SCHEMA.canonical(str(c)) is None]
    if extra:
        log.warning(
            "%s: column(s) %s are not directory fields: kept as they are, never published"
            " (rename a column to a directory field to use it: %s)",
            path,
            ", ".join(repr(c) for c in extra),
            MARKET_SCHEMA.describe(),
        )
    _refuse_lost_coordinates(headers, extra, path=path)
    df = replace(MARKET_SCHEMA, unknown="keep").apply(raw, path=path)
    df = _strip_text(df)
    for col in MARKET_SCHEMA.columns:
        if col.name not in df.columns:
            df[col.name] = as_text(pd.Series(None, index=df.index, dtype="object"))

    _refuse_personal_numbers(df, headers, path=path)
    _refuse_mangled_phones(df, headers, path=path)
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
        area=area if outside == "error" else None,
        crs=area.crs if area is not None and outside == "drop" else crs,
        path=path,
        headers=headers,
        allow_missing=allow_missing_coords,
    )
    if area is not None and outside == "drop":
        gdf = _drop_elsewhere(gdf, area, path=path)
    for name in _TEXT_COLUMNS:
        gdf[name] = as_text(gdf[name])
    return gpd.GeoDataFrame(
        gdf[[*MARKET_COLUMNS, *extra, "geometry"]], geometry="geometry", crs=gdf.crs
    )


def _drop_elsewhere(gdf: gpd.GeoDataFrame, area: StudyArea, *, path: PathArg) -> gpd.GeoDataFrame:
    """Leave out the markets of other places (see ``read_markets(outside="drop")``)."""
    dist = np.nan_to_num(area.distance_outside_m(gdf.geometry.values), nan=0.0)
    far = dist > settings.OUTSIDE_AREA_TOLERANCE_M
    codes = [str(c) for c in area.units["code"]]
    no_xy = gdf.geometry.isna().to_numpy() | gdf.geometry.is_empty.to_numpy()

    def other(value: object, digits: int) -> bool:
        text = "" if pd.isna(value) else str(value).strip()  # type: ignore[call-overload]
        if len(text) < digits or not text[:digits].isdigit():
            return False
        return not any(c[:digits] == text[:digits] for c in codes)

    county = gdf["adcode"].map(lambda v: other(v, 6)).to_numpy(dtype=bool)
    city = gdf["city_adcode"].map(lambda v: other(v, 4)).to_numpy(dtype=bool)
    elsewhere = far | (no_xy & (county | city))
    if elsewhere.any():
        names = gdf.loc[elsewhere, "name"].astype(str).tolist()
        log.warning(
            "%s: %d market(s) lie outside the study area and are left out: %s%s",
            path,
            len(names),
            ", ".join(names[:10]),
            " …" if len(names) > 10 else "",
        )
    # kept, but said: a market beyond the coordinate systems' offsets is the neighbours'
    # (it serves the border areas) or a wrong coordinate; either way the user should know
    near = (dist > settings.OUTSIDE_NOTE_M) & ~elsewhere
    if near.any():
        names = gdf.loc[near, "name"].astype(str).tolist()
        log.warning(
            "%s: %d market(s) lie outside the study area (up to %.1f km), kept for the border"
            " areas they serve and listed in its directory: %s%s. Fix: delete them from the"
            " file if they are not this study's",
            path,
            len(names),
            float(dist[near].max()) / 1000.0,
            ", ".join(names[:10]),
            " …" if len(names) > 10 else "",
        )
    return gdf.loc[~elsewhere].reset_index(drop=True)


#: Directory fields that are published (the public directory, map and exports).
_PUBLISHED = ("market_id", "name", "city", "county", "town", "address", "hours",
              "occupations", "phone", "hotline", "complaints", "services", "facilities")  # fmt: skip
#: Published fields where a phone number, mobile included, is a market's public contact.
_CONTACT = ("phone", "hotline", "complaints")


def _refuse_personal_numbers(
    df: pd.DataFrame, headers: Mapping[str, str], *, path: PathArg
) -> None:
    """Refuse a published cell holding an ID-card number, or a mobile number outside the
    contact fields (a person's number written into the address or the name): published, it
    would go on the public site, its exports and the navigation links."""
    for col in _PUBLISHED:
        if col not in df.columns:
            continue
        for i, v in df[col].items():
            if not isinstance(v, str):
                continue
            kind = find_personal_number(v)
            if kind == "ID-card" and col == "market_id" and not _valid_id_card(v):
                kind = None  # a long numeric id (adcode + serial), not a citizen's number
            if kind == "ID-card" or (kind == "mobile phone" and col not in _CONTACT):
                shown = headers.get(col, col)
                raise InvalidValueError(
                    f"the cell holds what looks like an {kind} number (value not shown);"
                    f" column {shown!r} is published on the public directory and map",
                    path=path,
                    row=sheet_row(int(i)),  # type: ignore[call-overload]
                    column=shown,
                    fix="delete the personal number (a market's public contact number belongs"
                    " in 联系电话 / 服务热线)",
                )


def _valid_id_card(text: str) -> bool:
    """Whether ``text`` (separators aside) is a resident ID number with a real birth date and,
    for 18 characters, the right check character (GB 11643: ISO 7064 MOD 11-2).

    >>> [_valid_id_card(t) for t in ["11010519491231002X", "110105194912310021",
    ...  "370602000000001", "110105491231002"]]
    [True, False, False, True]
    """
    t = re.sub(r"[\s\-.·]", "", text).upper()
    if re.fullmatch(r"\d{17}[\dX]", t):
        birth, total = t[6:14], sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(t[:17]))
        if t[17] != "10X98765432"[total % 11]:
            return False
    elif re.fullmatch(r"\d{15}", t):
        birth = "19" + t[6:12]
    else:
        return False
    try:
        dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return False
    return True


_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$")
_DIGITS = re.compile(r"^(\d+)(?:\.0+)?$")


def _mangled_phone(text: str) -> str | None:
    """Why a contact cell is a number a spreadsheet mangled, or None.

    >>> [_mangled_phone(t) for t in ["6.31665E+09", "6316651234", "06316651234", "13912345678",
    ...  "4001234567", "12333", "6651234", "0631-6651234"]]  # doctest: +NORMALIZE_WHITESPACE
    ['scientific', 'zero', None, None, None, None, None, None]
    """
    t = text.strip()
    if _SCIENTIFIC.match(t):
        return "scientific"
    m = _DIGITS.match(t)
    if m is None:
        return None
    d = m.group(1)
    if 9 <= len(d) <= 11 and d[0] != "0" and not re.match(r"1[3-9]\d{9}$|[48]00\d{7}$", d):
        return "zero"  # an area code's 0 lost: 0631 6651234 stored as the number 6316651234
    return None


def _refuse_mangled_phones(df: pd.DataFrame, headers: Mapping[str, str], *, path: PathArg) -> None:
    """Refuse a contact number a spreadsheet turned into a number: in scientific notation
    (6.31665E+09) or without its area code's leading 0; published, it would dial nowhere."""
    for col in _CONTACT:
        if col not in df.columns:
            continue
        for i, v in df[col].items():
            why = _mangled_phone(v) if isinstance(v, str) else None
            if why is None:
                continue
            shown = headers.get(col, col)
            what = (
                "is in scientific notation (the spreadsheet stored the number as a number)"
                if why == "scientific"
                else "has 9-11 digits without a leading 0: an area code's 0 was probably lost"
                " when the spreadsheet stored it as a number"
            )
            raise InvalidValueError(
                f"the phone number {v!r} {what}",
                path=path,
                row=sheet_row(int(i)),  # type: ignore[call-overload]
                column=shown,
                fix=f"format the column {shown!r} as text and write the number with its area"
                " code, e.g. 0631-6651234",
            )


#: Headers that name a coordinate (not 经营范围 or 经办人: "经" alone is not enough).
_COORD_HEADER = re.compile(
    r"经度|纬度|东经|北纬|坐标|longitude|latitude|^(?:lon|lng|lat)(?![a-z])|^[xy]$",
    re.IGNORECASE,
)


def _refuse_lost_coordinates(
    headers: Mapping[str, str], extra: list[str], *, path: PathArg
) -> None:
    """Refuse a file whose coordinates are under headers planner does not know (东经度,
    X坐标): kept as extra columns, every market would be read without a location and left out
    of coverage and the maps."""
    if "lon" in headers and "lat" in headers:
        return
    odd = [c for c in extra if _COORD_HEADER.search(c)]
    if odd:
        raise ColumnError(
            f"column(s) {', '.join(map(repr, odd))} look like coordinates, but the file has no"
            " 经度 and 纬度 columns planner reads; the markets would have no location",
            path=path,
            column=odd[0],
            fix="rename the longitude column 经度 and the latitude column 纬度 (and say their"
            " system in 坐标系 or the study's coords)",
        )


def _strip_text(df: pd.DataFrame) -> pd.DataFrame:
    """Strip spaces around every text cell; cells that become empty are missing."""
    out = df.copy()
    for col in out.columns:
        out[col] = as_text(out[col])
    return out


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


def _parse_hours_column(
    texts: pd.Series, *, path: PathArg, shown_as: str, strict: bool
) -> tuple[pd.Series, pd.Series]:
    parsed: dict[str, OpeningHours | None] = {}
    inferred: set[str] = set()
    out: list[OpeningHours | None] = []
    bad: list[int] = []
    guessed: list[int] = []
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
                parsed[text] = hours_from_report(text)
                if parsed[text] is not None:
                    inferred.add(text)
        hours = parsed[text]
        row = sheet_row(int(i))  # type: ignore[call-overload]
        if hours is None:
            bad.append(row)
        elif text in inferred:
            guessed.append(row)
        out.append(hours)
    if guessed:
        log.warning(
            "%s, column '%s': the hours of row(s) %s are a sentence, not a schedule; read as"
            " every day from the earliest to the latest time it names (the text is kept and"
            " shown as published). Fix: write e.g. '每天 04:00-10:00'",
            path,
            shown_as,
            ", ".join(map(str, guessed)),
        )
    if bad:
        log.warning(
            "%s, column '%s': the opening hours of row(s) %s cannot be read; shown as"
            " published, and these markets count as open at any hour. Fix: write e.g."
            " '每天 05:00-12:00'",
            path,
            shown_as,
            ", ".join(map(str, bad)),
        )
    return texts.astype("object"), pd.Series(out, index=texts.index, dtype="object")

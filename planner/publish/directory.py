"""The public directory of gig-labour markets (名录清单).

鲁人社字〔2024〕44号 (十) asks each county to publish a 名录清单 of its markets (address,
hours, trades, contacts) and, every month, the job-to-applicant ratio (求人倍率) by market
and industry. This module builds the directory from planner's data and writes it, with
the 求人倍率 tables of :mod:`planner.publish.job_ratio` when work logs are given:

* :func:`directory_table` keeps the **public fields only** (a whitelist,
  :data:`PUBLIC_FIELDS`): a markets frame may carry staff names, ID numbers or a register
  of job seekers in other columns and none of it ever reaches an output;
* :func:`export_directory` writes the directory as CSV (UTF-8 with BOM, Chinese headers,
  opens in Excel), GeoJSON (RFC 7946, EPSG:4326) and JSON, and with work logs the 求人倍率
  tables (CSV), a chart (SVG drawn here, no JavaScript) and an HTML page;
* :func:`job_ratio_table`, :func:`job_ratio_by_month`, :func:`wage_by_trade` and
  :func:`job_ratio_chart_svg` live in :mod:`planner.publish.job_ratio` and are importable
  from here as well.

Outputs are written atomically and never over a file planner did not write (see
:class:`planner.publish._output.OutputFolder`): a folder keeps a small manifest
(``.planner-outputs.json``) of the files planner wrote there and their hashes, and any
other existing file of the same name (an input, an edited copy) is refused.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner.errors import (
    ColumnError,
    CRSError,
    DuplicateIdError,
    GeometryError,
    HoursError,
    InvalidValueError,
)
from planner.io.coords import convert
from planner.io.hours import OpeningHours, parse_hours
from planner.io.markets import FACILITY_LABELS, facility_keys, split_list
from planner.publish._output import OutputFolder, PathArg, _csv_bytes, _missing
from planner.publish.job_ratio import (
    job_ratio_by_month,
    job_ratio_chart_svg,
    job_ratio_table,
    wage_by_trade,
    write_job_ratio,
)

__all__ = [
    "FACILITY_LABELS",
    "PUBLIC_FIELDS",
    "STATUS_LABELS",
    "TIER_LABELS",
    "directory_table",
    "export_directory",
    "job_ratio_by_month",
    "job_ratio_chart_svg",
    "job_ratio_table",
    "wage_by_trade",
]

log = logging.getLogger(__name__)

#: Chinese label of each tier (planner.settings.TIERS).
TIER_LABELS: dict[str, str] = {
    "comprehensive": "综合性零工市场",
    "sector": "行业性、专业性零工市场",
    "station": "零工服务站点",
}

#: Chinese label of each status of planner.io.markets.STATUS_VALUES.
STATUS_LABELS: dict[str, str] = {
    "open": "运营中",
    "suspended": "暂停运营",
    "closed": "已关闭",
    "unknown": "状态未知",
}

#: The whitelist: every field of the public directory → its Chinese CSV header. Nothing else
#: from a markets frame is ever written (no staff, operator, capacity, remarks or sources).
PUBLIC_FIELDS: dict[str, str] = {
    "market_id": "编号",
    "name": "名称",
    "tier": "类型",
    "status": "状态",
    "city": "所属城市",
    "county": "所属区县",
    "town": "街道乡镇",
    "address": "地址",
    "lon": "经度(WGS-84)",
    "lat": "纬度(WGS-84)",
    "lon_gcj02": "经度(GCJ-02/高德)",
    "lat_gcj02": "纬度(GCJ-02/高德)",
    "hours": "开放时间",
    "hours_normalised": "开放时间(规范)",
    "hours_osm": "开放时间(OSM)",
    "occupations": "工种",
    "phone": "联系电话",
    "hotline": "服务热线",
    "complaints": "投诉渠道",
    "services": "服务项目",
    "facilities": "便民设施",
    **FACILITY_LABELS,
}

_LIST_FIELDS = ("occupations", "services", "facilities")
_COORD_DECIMALS = 6


# --------------------------------------------------------------------------------------
# The public directory
# --------------------------------------------------------------------------------------


def directory_table(markets: gpd.GeoDataFrame) -> pd.DataFrame:
    """The public directory: one row per market, public fields only.

    Parameters
    ----------
    markets
        Markets as read by :func:`planner.io.markets.read_markets` (any projected or
        geographic CRS; point geometries, empty for markets without coordinates). Only
        ``name`` and the geometry are required; other public columns may be missing.
        Columns outside :data:`PUBLIC_FIELDS` are ignored.

    Returns
    -------
    pandas.DataFrame
        The keys of :data:`PUBLIC_FIELDS` in that order, plus ``tier_code``,
        ``status_code``, ``facility_keys``, ``hours_kind`` and ``schedule``: ``tier``/``status`` are
        Chinese labels (``tier_code``/``status_code`` the English codes); ``lon``/``lat``
        WGS-84 degrees and ``lon_gcj02``/``lat_gcj02`` the same point in GCJ-02 (NaN
        without coordinates); lists for ``occupations``, ``services``, ``facilities``;
        booleans for each facility of :data:`FACILITY_LABELS` (the facility vocabulary of
        :data:`planner.io.markets.FACILITY_KEYS`; ``None`` when the market lists no
        facilities: unknown); ``hours_normalised`` and
        ``hours_osm`` rewrite the hours (empty when unknown); ``hours_kind`` says how the
        hours were read: ``schedule``, ``inferred`` (a sentence naming times, see
        :func:`planner.io.hours.report.hours_from_report`), ``text`` (not read: shown as
        published, never "open now") or ``none``; ``schedule`` is ``None`` or
        ``{"week": [[[start_min, end_min], …] × 7], "holidays_closed": bool}`` (Monday
        first, minutes after midnight, ends past 1440 run into the next day). Row order
        is the input's.

    Raises
    ------
    planner.errors.PlannerError
        Not a GeoDataFrame, no CRS, no ``name`` column or an empty name, a repeated
        ``market_id``, a non-point geometry, an unknown tier or status, hours that
        cannot be read.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> m = gpd.GeoDataFrame({"name": ["东城驿站"], "tier": ["station"],
    ...                       "hours": ["每天 5:00-11:00"], "staff_name": ["张三"]},
    ...                      geometry=[Point(118.6, 36.2)], crs=4326)
    >>> t = directory_table(m)
    >>> t.loc[0, ["name", "tier", "hours_osm"]].tolist(), "staff_name" in t
    (['东城驿站', '零工服务站点', 'Mo-Su 05:00-11:00'], False)
    """
    gdf = _check_markets(markets)
    n = len(gdf)
    out = pd.DataFrame(index=range(n))
    ids = _texts(gdf, "market_id")
    if all(v == "" for v in ids):
        ids = [f"M{i + 1:04d}" for i in range(n)]
    out["market_id"] = ids
    out["name"] = _texts(gdf, "name")
    tier_codes = [_code(v, TIER_LABELS, "tier", out, i) for i, v in enumerate(_raw(gdf, "tier"))]
    status_codes = [
        _code(v, STATUS_LABELS, "status", out, i) for i, v in enumerate(_raw(gdf, "status"))
    ]
    out["tier"] = [TIER_LABELS.get(c, "") for c in tier_codes]
    out["status"] = [STATUS_LABELS.get(c, "") for c in status_codes]
    for name in ("city", "county", "town", "address"):
        out[name] = _texts(gdf, name)

    lon, lat = _lonlat_wgs84(gdf)
    glon, glat = convert(lon, lat, "wgs84", "gcj02")
    out["lon"] = np.round(lon, _COORD_DECIMALS)
    out["lat"] = np.round(lat, _COORD_DECIMALS)
    out["lon_gcj02"] = np.round(glon, _COORD_DECIMALS)
    out["lat_gcj02"] = np.round(glat, _COORD_DECIMALS)
    n_missing = int(np.isnan(lon).sum())
    if n_missing:
        log.warning(
            "%d market(s) have no coordinates: listed in the directory, not on the map", n_missing
        )

    out["hours"] = _texts(gdf, "hours")
    hours = _opening_hours(gdf, out)
    out["hours_normalised"] = [str(h) if h is not None else "" for h in hours]
    out["hours_osm"] = [h.to_osm() if h is not None else "" for h in hours]
    for name in _LIST_FIELDS:
        out[name] = pd.Series([_as_list(v) for v in _raw(gdf, name)], index=out.index, dtype=object)
    for name in ("phone", "hotline", "complaints"):
        out[name] = _texts(gdf, name)
    if "facility_keys" in gdf.columns:
        keys = [_as_list(v) for v in gdf["facility_keys"]]
    else:
        keys = [facility_keys(items) for items in out["facilities"]]
    # a market whose 便民设施 is empty says nothing of its facilities: unknown (empty in
    # the CSV, null in JSON), not "否"
    listed = [bool(f) or bool(k) for f, k in zip(out["facilities"], keys, strict=True)]
    for key in FACILITY_LABELS:
        out[key] = pd.Series(
            [(key in k) if known else None for k, known in zip(keys, listed, strict=True)],
            index=out.index,
            dtype=object,
        )
    out["tier_code"] = tier_codes
    out["status_code"] = status_codes
    out["facility_keys"] = pd.Series(keys, index=out.index, dtype=object)
    out["hours_kind"] = [_hours_kind(t, h) for t, h in zip(out["hours"], hours, strict=True)]
    out["schedule"] = pd.Series([_schedule(h) for h in hours], index=out.index, dtype=object)
    return out[
        [*PUBLIC_FIELDS, "tier_code", "status_code", "facility_keys", "hours_kind", "schedule"]
    ]


def _check_markets(markets: object) -> gpd.GeoDataFrame:
    if not isinstance(markets, gpd.GeoDataFrame):
        raise InvalidValueError(
            f"markets must be a GeoDataFrame, got {type(markets).__name__}",
            fix="read the directory with planner.io.markets.read_markets",
        )
    if "name" not in markets.columns:
        raise ColumnError(
            "the markets table has no 'name' column",
            column="name",
            fix="read the directory with planner.io.markets.read_markets (名称 column)",
        )
    if len(markets) == 0:
        raise InvalidValueError(
            "the markets table is empty; there is nothing to publish",
            fix="add at least one market to the directory",
        )
    if markets.crs is None:
        raise CRSError(
            "the markets table has no CRS",
            fix="set it (markets.set_crs(...)) or read the file with read_markets",
        )
    gdf = markets.reset_index(drop=True)
    geom = gdf.geometry
    bad = ~(geom.isna() | geom.is_empty | (geom.geom_type == "Point"))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise GeometryError(
            f"market {_label(gdf, i)} has a {geom.iloc[i].geom_type} geometry; a market is a point",
            column="geometry",
            fix="give each market one point (its entrance)",
        )
    names = _texts(gdf, "name")
    empty = [i for i, v in enumerate(names) if v == ""]
    if empty:
        raise InvalidValueError(
            f"{len(empty)} market(s) have no name (first: position {empty[0]} of the table)",
            column="name",
            fix="fill in every market's 名称",
        )
    if "market_id" in gdf.columns:
        ids = pd.Series(_texts(gdf, "market_id"))
        dup = ids[(ids != "") & ids.duplicated(keep=False)]
        if len(dup):
            raise DuplicateIdError(
                f"market id {dup.iloc[0]!r} appears {int((ids == dup.iloc[0]).sum())} times",
                column="market_id",
                fix="give every market its own 编号",
            )
    return gdf


def _label(gdf: pd.DataFrame, i: int) -> str:
    name = gdf["name"].iloc[i] if "name" in gdf.columns else None
    mid = gdf["market_id"].iloc[i] if "market_id" in gdf.columns else None
    parts = [repr(str(v)) for v in (mid, name) if not _missing(v)]
    return " ".join(parts) if parts else f"at position {i}"


def _raw(gdf: pd.DataFrame, name: str) -> list[Any]:
    if name not in gdf.columns:
        return [None] * len(gdf)
    return list(gdf[name])


def _texts(gdf: pd.DataFrame, name: str) -> list[str]:
    return ["" if _missing(v) else str(v).strip() for v in _raw(gdf, name)]


def _as_list(v: object) -> list[str]:
    if _missing(v):
        return []
    if isinstance(v, str):
        return split_list(v)
    if isinstance(v, Iterable):
        return [str(x).strip() for x in v if not _missing(x) and str(x).strip()]
    return [str(v)]


def _code(v: object, labels: Mapping[str, str], what: str, out: pd.DataFrame, i: int) -> str:
    """English code of a tier/status written as code or as its Chinese label."""
    if _missing(v) or str(v).strip() == "":
        return ""
    text = str(v).strip()
    if text in labels:
        return text
    for code, label in labels.items():
        if text == label:
            return code
    raise InvalidValueError(
        f"market {out['market_id'].iloc[i]!r} has the unknown {what} {text!r}",
        column=what,
        fix=f"use one of {', '.join(labels)} (read the file with read_markets)",
    )


def _lonlat_wgs84(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    geom = gdf.geometry
    empty = (geom.isna() | geom.is_empty).to_numpy()
    lon = np.full(len(gdf), np.nan)
    lat = np.full(len(gdf), np.nan)
    if (~empty).any():
        pts = geom[~empty]
        if not CRS(gdf.crs).equals(CRS.from_epsg(4326)):
            pts = pts.to_crs(4326)
        lon[~empty] = pts.x.to_numpy()
        lat[~empty] = pts.y.to_numpy()
    return lon, lat


def _opening_hours(gdf: pd.DataFrame, out: pd.DataFrame) -> list[OpeningHours | None]:
    if "opening_hours" in gdf.columns:
        result: list[OpeningHours | None] = []
        for i, v in enumerate(gdf["opening_hours"]):
            if _missing(v):
                result.append(None)
            elif isinstance(v, OpeningHours):
                result.append(v)
            else:
                raise InvalidValueError(
                    f"market {out['market_id'].iloc[i]!r}: 'opening_hours' holds a"
                    f" {type(v).__name__}, not an OpeningHours",
                    column="opening_hours",
                    fix="read the file with read_markets, or drop the column to parse 'hours'",
                )
        return result
    parsed: list[OpeningHours | None] = []
    for i, text in enumerate(out["hours"]):
        if text == "":
            parsed.append(None)
            continue
        try:
            parsed.append(parse_hours(text))
        except HoursError as exc:
            raise HoursError(
                f"market {out['market_id'].iloc[i]!r}: {exc.message}",
                column="hours",
                fix=exc.fix,
            ) from exc
    return parsed


def _hours_kind(text: str, h: OpeningHours | None) -> str:
    if h is None:
        return "text" if text else "none"
    if not text:
        return "schedule"
    try:
        parse_hours(text)
    except HoursError:
        return "inferred"  # read from a published sentence by read_markets
    return "schedule"


def _schedule(h: OpeningHours | None) -> dict[str, Any] | None:
    if h is None:
        return None
    return {
        "week": [[[int(s), int(e)] for s, e in h.intervals(d)] for d in range(7)],
        "holidays_closed": bool(h.holidays_closed),
    }


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _cell(key: str, v: object) -> str:
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, list):
        return "、".join(map(str, v))
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:.{_COORD_DECIMALS}f}" if key.startswith(("lon", "lat")) else f"{v:g}"
    return "" if _missing(v) else str(v)


def _json_value(v: object) -> object:
    if isinstance(v, float | np.floating):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def directory_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of :func:`directory_table` as JSON-ready dicts (NaN → None)."""
    cols = list(table.columns)
    return [
        {c: _json_value(v) for c, v in zip(cols, row, strict=True)}
        for row in table.itertuples(index=False, name=None)
    ]


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def _geojson(records: list[dict[str, Any]]) -> dict[str, Any]:
    features = []
    for r in records:
        props = {k: v for k, v in r.items() if k not in {"lon", "lat"}}
        geometry = (
            None
            if r["lon"] is None or r["lat"] is None
            else {"type": "Point", "coordinates": [r["lon"], r["lat"]]}
        )
        features.append(
            {"type": "Feature", "id": r["market_id"], "geometry": geometry, "properties": props}
        )
    return {"type": "FeatureCollection", "features": features}


def write_directory(
    table: pd.DataFrame, folder: OutputFolder, *, prefix: str = ""
) -> dict[str, Path]:
    """Write a :func:`directory_table` as CSV, GeoJSON and JSON into ``folder``."""
    records = directory_records(table)
    csv_rows = [[_cell(k, r[k]) for k in PUBLIC_FIELDS] for r in records]
    out = {
        "csv": folder.write(
            f"{prefix}directory.csv", _csv_bytes(list(PUBLIC_FIELDS.values()), csv_rows)
        ),
        "geojson": folder.write(f"{prefix}directory.geojson", _dumps(_geojson(records))),
        "json": folder.write(
            f"{prefix}directory.json",
            _dumps({"fields": PUBLIC_FIELDS, "count": len(records), "markets": records}),
        ),
    }
    return out


def export_directory(
    markets: gpd.GeoDataFrame,
    out_dir: PathArg,
    *,
    work_logs: pd.DataFrame | None = None,
    inputs: Iterable[PathArg] = (),
) -> dict[str, Path]:
    """Write the public directory (and, with work logs, the 求人倍率 tables) into ``out_dir``.

    Parameters
    ----------
    markets
        Markets as read by :func:`planner.io.markets.read_markets`. Only the public fields
        of :data:`PUBLIC_FIELDS` are written, whatever other columns the frame holds.
    out_dir
        Output folder (created).
    work_logs
        Work logs as read by :func:`planner.io.worklogs.read_work_logs`; adds the 求人倍率
        tables, chart and page.
    inputs
        Input files of the run; writing over any of them is refused.

    Returns
    -------
    dict of str to pathlib.Path
        ``csv`` (``directory.csv``: UTF-8 with BOM, Chinese headers, lists joined with
        ``、``, facilities 是/否), ``geojson`` (``directory.geojson``: RFC 7946, WGS-84,
        ``null`` geometry for markets without coordinates), ``json``
        (``directory.json``: ``fields``, ``count``, ``markets``); with ``work_logs`` also
        ``job_ratio_csv`` (``job_ratio_by_market.csv``, see :func:`job_ratio_table`),
        ``job_ratio_month_csv`` (``job_ratio_by_month.csv``, :func:`job_ratio_by_month`),
        ``wages_csv`` (``wages_by_trade.csv``, :func:`wage_by_trade`), ``chart_svg``
        (``job_ratio.svg``) and ``html`` (``job_ratio.html``).

    Raises
    ------
    planner.errors.InputFileError
        A target exists and was not written by planner, or is one of ``inputs``.
    planner.errors.PlannerError
        Bad markets or work logs (see :func:`directory_table`, :func:`job_ratio_table`).

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> m = gpd.GeoDataFrame({"name": ["东城驿站"], "负责人": ["张三"]},
    ...                      geometry=[Point(118.6, 36.2)], crs=4326)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = export_directory(m, folder)
    ...     text = paths["csv"].read_text(encoding="utf-8-sig")
    >>> text.splitlines()[0].split(",")[:3], "张三" in text
    (['编号', '名称', '类型'], False)
    """
    table = directory_table(markets)
    folder = OutputFolder(out_dir, inputs=inputs)
    out = write_directory(table, folder)
    if work_logs is not None:
        out.update(write_job_ratio(work_logs, folder, markets=table))
    log.info("public directory of %d market(s) written to %s", len(table), folder.folder)
    return out

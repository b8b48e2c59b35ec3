"""The public directory of gig-labour markets and the monthly 求人倍率 tables.

鲁人社字〔2024〕44号 (十) asks each county to publish a 名录清单 of its markets (address,
hours, trades, contacts) and, every month, the job-to-applicant ratio (求人倍率) by market
and industry. This module builds both from planner's data:

* :func:`directory_table` keeps the **public fields only** (a whitelist,
  :data:`PUBLIC_FIELDS`): a markets frame may carry staff names, ID numbers or a register
  of job seekers in other columns and none of it ever reaches an output;
* :func:`export_directory` writes the directory as CSV (UTF-8 with BOM, Chinese headers,
  opens in Excel), GeoJSON (RFC 7946, EPSG:4326) and JSON, and with work logs the 求人倍率
  tables (CSV), a chart (SVG drawn here, no JavaScript) and an HTML page;
* :func:`job_ratio_table`, :func:`job_ratio_by_month` and :func:`wage_by_trade` compute the
  published numbers from work logs read by :func:`planner.io.worklogs.read_work_logs`.

Outputs are written atomically and never over a file planner did not write: a folder keeps
a small manifest (``.planner-outputs.json``) of the files planner wrote there and their
hashes, and any other existing file of the same name (an input, an edited copy) is refused.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import logging
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from os import PathLike
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
    InputFileError,
    InvalidValueError,
)
from planner.io.coords import convert
from planner.io.hours import OpeningHours, parse_hours
from planner.io.markets import facility_keys, split_list
from planner.io.worklogs import job_to_applicant_ratio
from planner.publish._assets import render_template

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

PathArg = str | PathLike[str]

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

#: The facilities the public directory reports one by one (keys of FACILITY_KEYS).
FACILITY_LABELS: dict[str, str] = {
    "parking": "停车",
    "tool_storage": "工具存放",
    "waiting_room": "候工室",
    "drinking_water": "饮水",
    "hot_meals": "热饭",
    "ebike_charging": "电动车充电",
    "phone_charging": "手机充电",
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
_TOTAL = "合计"
_MANIFEST = ".planner-outputs.json"


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
        ``status_code``, ``facility_keys`` and ``schedule``: ``tier``/``status`` are
        Chinese labels (``tier_code``/``status_code`` the English codes); ``lon``/``lat``
        WGS-84 degrees and ``lon_gcj02``/``lat_gcj02`` the same point in GCJ-02 (NaN
        without coordinates); lists for ``occupations``, ``services``, ``facilities``;
        booleans for each facility of :data:`FACILITY_LABELS`; ``hours_normalised`` and
        ``hours_osm`` rewrite the hours (empty when unknown); ``schedule`` is ``None`` or
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
    for key in FACILITY_LABELS:
        out[key] = [key in k for k in keys]
    out["tier_code"] = tier_codes
    out["status_code"] = status_codes
    out["facility_keys"] = pd.Series(keys, index=out.index, dtype=object)
    out["schedule"] = pd.Series([_schedule(h) for h in hours], index=out.index, dtype=object)
    return out[[*PUBLIC_FIELDS, "tier_code", "status_code", "facility_keys", "schedule"]]


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


def _missing(v: object) -> bool:
    if v is None or v is pd.NA:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    return False


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


class OutputFolder:
    """A folder planner writes into: atomic writes, never over a file planner did not write.

    Parameters
    ----------
    folder
        The folder (created).
    inputs
        Files that must never be written (the inputs of the run).
    """

    def __init__(self, folder: PathArg, *, inputs: Iterable[PathArg] = ()) -> None:
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise InputFileError(
                "the output folder is a file", path=self.folder, fix="choose a folder"
            )
        self.inputs = {Path(p).resolve() for p in inputs}
        manifest = self.folder / _MANIFEST
        self.known: dict[str, str] = {}
        if manifest.is_file():
            try:
                loaded = json.loads(manifest.read_text(encoding="utf-8"))
                self.known = {str(k): str(v) for k, v in loaded.get("files", {}).items()}
            except (ValueError, AttributeError):
                log.warning("%s is unreadable; treating the folder as new", manifest)

    def write(self, name: str, data: bytes | str) -> Path:
        """Write ``data`` (text is UTF-8 encoded) to ``name`` relative to the folder."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        target = self.folder / name
        resolved = target.resolve()
        if resolved in self.inputs:
            raise InputFileError(
                "refusing to write over an input file",
                path=target,
                fix="choose an output folder apart from the input files",
            )
        if target.exists():
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
            if self.known.get(name) != digest:
                raise InputFileError(
                    "the file exists and was not written by planner (or was changed since);"
                    " refusing to overwrite it",
                    path=target,
                    fix="choose another output folder, or move the file away",
                )
        _write_atomic(target, raw)
        self.known[name] = hashlib.sha256(raw).hexdigest()
        self._save()
        return target

    def _save(self) -> None:
        body = {"generated_by": "planner", "files": dict(sorted(self.known.items()))}
        text = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
        _write_atomic(self.folder / _MANIFEST, text.encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV in UTF-8 with a BOM and CRLF line ends: what Excel expects."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


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


# --------------------------------------------------------------------------------------
# 求人倍率 and 工资价位
# --------------------------------------------------------------------------------------

#: Chinese headers of the 求人倍率 tables.
JOB_RATIO_HEADERS: dict[str, str] = {
    "month": "月份",
    "market_id": "市场编号",
    "market_name": "市场名称",
    "industry": "行业",
    "postings": "岗位数",
    "seekers": "求职人数",
    "job_to_applicant_ratio": "求人倍率",
    "matches": "达成意向",
    "wage_median_yuan_per_day": "日工资中位数(元/天)",
    "markets": "市场数",
}


def _check_logs(work_logs: object) -> pd.DataFrame:
    if not isinstance(work_logs, pd.DataFrame):
        raise InvalidValueError(
            f"work_logs must be a DataFrame, got {type(work_logs).__name__}",
            fix="read the logs with planner.io.worklogs.read_work_logs",
        )
    need = ("month", "market_id", "industry", "postings", "seekers")
    missing = [c for c in need if c not in work_logs.columns]
    if missing:
        raise ColumnError(
            f"the work logs have no column {missing[0]!r}",
            column=missing[0],
            fix="read the logs with planner.io.worklogs.read_work_logs",
        )
    if len(work_logs) == 0:
        raise InvalidValueError("the work logs are empty", fix="pass logs with at least one month")
    if (work_logs["industry"].astype(str) == _TOTAL).any():
        raise InvalidValueError(
            f"an industry is named {_TOTAL!r}, which the published tables use for totals",
            column="industry",
            fix=f"rename the industry (e.g. '{_TOTAL}行业') or drop the total rows from the log",
        )
    logs = work_logs.copy()
    for col in ("matches", "wage_median_yuan_per_day", "market_name"):
        if col not in logs.columns:
            logs[col] = pd.NA if col != "wage_median_yuan_per_day" else np.nan
    logs["matches"] = pd.to_numeric(logs["matches"], errors="coerce").astype("Int64")
    logs["wage_median_yuan_per_day"] = pd.to_numeric(
        logs["wage_median_yuan_per_day"], errors="coerce"
    ).astype(float)
    return logs


def _sum_matches(logs: pd.DataFrame, by: list[str]) -> pd.Series:
    return logs.groupby(by, sort=True, dropna=False)["matches"].sum(min_count=1).astype("Int64")


def job_ratio_table(work_logs: pd.DataFrame) -> pd.DataFrame:
    """求人倍率, matches and the posted daily wage per month, market and industry.

    Parameters
    ----------
    work_logs
        As read by :func:`planner.io.worklogs.read_work_logs`.

    Returns
    -------
    pandas.DataFrame
        ``month``, ``market_id``, ``market_name``, ``industry`` (sorted by the first, second
        and fourth), ``postings``, ``seekers``, ``job_to_applicant_ratio`` (postings ÷
        seekers; NaN where no one registered), ``matches`` (Int64, NA when not logged) and
        ``wage_median_yuan_per_day`` (the log's 日工资中位数; NaN when not logged).

    Examples
    --------
    >>> logs = pd.DataFrame({"month": ["2024-03", "2024-03"], "market_id": ["M1", "M1"],
    ...     "industry": ["建筑", "家政"], "postings": [30, 5], "seekers": [20, 0],
    ...     "matches": [12, 0], "wage_median_yuan_per_day": [300.0, 200.0]})
    >>> job_ratio_table(logs)[["industry", "job_to_applicant_ratio", "matches"]]
      industry  job_to_applicant_ratio  matches
    0       家政                     NaN        0
    1       建筑                     1.5       12
    """
    logs = _check_logs(work_logs)
    by = ["month", "market_id", "industry"]
    ratio = job_to_applicant_ratio(logs, by=by)
    grouped = logs.groupby(by, sort=True, dropna=False)
    extra = pd.DataFrame(
        {
            "market_name": grouped["market_name"].first(),
            "matches": _sum_matches(logs, by),
            "wage_median_yuan_per_day": grouped["wage_median_yuan_per_day"].median(),
        }
    ).reset_index()
    if grouped.size().max() > 1:
        log.warning(
            "work logs repeat a (month, market, industry); counts summed, wage median of the rows"
        )
    out = ratio.merge(extra, on=by, how="left", validate="one_to_one")
    cols = [
        "month",
        "market_id",
        "market_name",
        "industry",
        "postings",
        "seekers",
        "job_to_applicant_ratio",
        "matches",
        "wage_median_yuan_per_day",
    ]
    return out[cols].reset_index(drop=True)


def job_ratio_by_month(work_logs: pd.DataFrame) -> pd.DataFrame:
    """求人倍率 and matches per month and industry over all markets, with a 合计 row per month.

    Counts are summed before dividing (the ratio of sums). The 合计 row of a month sums
    every industry and comes after the industries of that month.

    Returns
    -------
    pandas.DataFrame
        ``month``, ``industry``, ``postings``, ``seekers``, ``job_to_applicant_ratio``
        (NaN where no one registered), ``matches`` (Int64).

    Examples
    --------
    >>> logs = pd.DataFrame({"month": ["2024-03"] * 3, "market_id": ["M1", "M2", "M1"],
    ...     "industry": ["建筑", "建筑", "家政"], "postings": [30, 10, 6], "seekers": [20, 20, 4]})
    >>> t = job_ratio_by_month(logs)
    >>> t["industry"].tolist(), t["postings"].tolist(), t["job_to_applicant_ratio"].round(3).tolist()
    (['家政', '建筑', '合计'], [6, 40, 46], [1.5, 1.0, 1.045])
    """
    logs = _check_logs(work_logs)
    parts = []
    for by in (["month", "industry"], ["month"]):
        r = job_to_applicant_ratio(logs, by=by)
        r = r.merge(_sum_matches(logs, by).rename("matches").reset_index(), on=by)
        if "industry" not in by:
            r["industry"] = _TOTAL
        r["_total"] = "industry" not in by
        parts.append(r)
    out = pd.concat(parts, ignore_index=True).sort_values(
        ["month", "_total", "industry"], kind="stable"
    )
    cols = ["month", "industry", "postings", "seekers", "job_to_applicant_ratio", "matches"]
    return out[cols].reset_index(drop=True)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Lower weighted median: the smallest value whose cumulative weight reaches half."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    if w.sum() <= 0:  # no postings anywhere: plain (lower) median of the values
        w = np.ones_like(w)
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, cum[-1] / 2.0)])


def wage_by_trade(work_logs: pd.DataFrame) -> pd.DataFrame:
    """工资价位: the posted daily wage per month and industry (trade) over all markets.

    Each market logs the median posted daily wage of its postings; the median over all
    postings is estimated by the **postings-weighted median of the market medians** (the
    smallest market median whose markets together hold at least half of the postings).
    Rows without a wage are left out of that month and industry (``markets`` says how many
    markets had one); a month and industry no market priced is left out and logged.

    Returns
    -------
    pandas.DataFrame
        ``month``, ``industry``, ``wage_median_yuan_per_day``, ``markets`` (markets with a
        wage), ``postings`` (their postings), sorted by month and industry.

    Examples
    --------
    >>> logs = pd.DataFrame({"month": ["2024-03"] * 3, "market_id": ["M1", "M2", "M3"],
    ...     "industry": ["建筑"] * 3, "postings": [10, 30, 5], "seekers": [1, 1, 1],
    ...     "wage_median_yuan_per_day": [280.0, 300.0, 350.0]})
    >>> wage_by_trade(logs).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'month': '2024-03', 'industry': '建筑', 'wage_median_yuan_per_day': 300.0,
      'markets': 3, 'postings': 45}]
    """
    logs = _check_logs(work_logs)
    priced = logs[logs["wage_median_yuan_per_day"].notna()]
    rows = []
    for (month, industry), g in priced.groupby(["month", "industry"], sort=True):
        rows.append(
            {
                "month": month,
                "industry": industry,
                "wage_median_yuan_per_day": _weighted_median(
                    g["wage_median_yuan_per_day"].to_numpy(float),
                    g["postings"].to_numpy(float),
                ),
                "markets": int(g["market_id"].nunique()),
                "postings": int(g["postings"].sum()),
            }
        )
    all_pairs = logs[["month", "industry"]].drop_duplicates()
    n_unpriced = len(all_pairs) - len(rows)
    if n_unpriced:
        log.warning("%d month × industry pair(s) have no wage in the work logs", n_unpriced)
    cols = ["month", "industry", "wage_median_yuan_per_day", "markets", "postings"]
    return pd.DataFrame(rows, columns=cols)


def _fmt_ratio(v: object) -> str:
    """A ratio to two places, halves rounded up as statistics offices publish (1.125 → 1.13)."""
    if _missing(v):
        return ""
    exact = Decimal(repr(float(v)))  # type: ignore[arg-type]
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _fmt_int(v: object) -> str:
    return "" if _missing(v) else str(int(v))  # type: ignore[call-overload]


def _fmt_wage(v: object) -> str:
    return "" if _missing(v) else f"{float(v):g}"  # type: ignore[arg-type]


_FORMATS = {
    "job_to_applicant_ratio": _fmt_ratio,
    "postings": _fmt_int,
    "seekers": _fmt_int,
    "matches": _fmt_int,
    "markets": _fmt_int,
    "wage_median_yuan_per_day": _fmt_wage,
}


def formatted_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Chinese headers and text cells of a 求人倍率 table, as published (ratios to 2 places)."""
    cols = list(table.columns)
    header = [JOB_RATIO_HEADERS.get(c, c) for c in cols]
    rows = [
        [
            _FORMATS.get(c, lambda x: "" if _missing(x) else str(x))(v)
            for c, v in zip(cols, r, strict=True)
        ]
        for r in table.itertuples(index=False, name=None)
    ]
    return header, rows


# --------------------------------------------------------------------------------------
# The chart
# --------------------------------------------------------------------------------------

_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_FONT = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif"


def _nice_top(v: float) -> float:
    top = max(v, 1.0) * 1.1
    step = 0.5 if top <= 5 else 1.0 if top <= 10 else 5.0
    return math.ceil(top / step) * step


def job_ratio_chart_svg(
    by_month: pd.DataFrame, *, width_px: int = 760, height_px: int = 380
) -> str:
    """A line chart of 求人倍率 by month: one line per industry and a thick 合计 line.

    Drawn as plain SVG (no script, no web font): it opens offline in any browser. Every
    point has a ``<title>`` (e.g. ``2024-03 建筑装修 求人倍率 0.85``) and ``data-month``,
    ``data-industry`` and ``data-value`` attributes; a month without seekers breaks its
    line. Texts from the logs are XML-escaped.

    Parameters
    ----------
    by_month
        The result of :func:`job_ratio_by_month`.
    width_px, height_px
        Size of the drawing.
    """
    esc = html.escape
    months = sorted(by_month["month"].astype(str).unique())
    industries = sorted(i for i in by_month["industry"].astype(str).unique() if i != _TOTAL)
    series = [*industries, _TOTAL]
    values = by_month["job_to_applicant_ratio"].astype(float)
    top = _nice_top(float(np.nanmax(values)) if values.notna().any() else 1.0)
    left, right, top_m, bottom = 56, 150, 36, 52
    pw, ph = width_px - left - right, height_px - top_m - bottom

    def x_of(i: int) -> float:
        return left + (pw * (i + 0.5) / len(months))

    def y_of(v: float) -> float:
        return top_m + ph * (1 - v / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="job-ratio-chart" width="{width_px}"'
        f' height="{height_px}" viewBox="0 0 {width_px} {height_px}" role="img"'
        ' aria-label="求人倍率按月变化">',
        f"<style>text{{font-family:{_FONT};font-size:12px;fill:#333}}</style>",
        f'<text x="{left}" y="20" style="font-size:14px;font-weight:bold">'
        "求人倍率（岗位数 ÷ 求职人数）按月</text>",
    ]
    step = top / 5
    for k in range(6):
        v = step * k
        y = y_of(v)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.1f}</text>'
        )
    y1 = y_of(1.0)
    parts.append(
        f'<line class="balance" x1="{left}" y1="{y1:.1f}" x2="{left + pw}" y2="{y1:.1f}"'
        ' stroke="#555" stroke-dasharray="6 4"/>'
        f'<text x="{left + 4}" y="{y1 - 4:.1f}">供求平衡 1.0</text>'
    )
    label_every = max(1, math.ceil(len(months) / 12))
    for i, m in enumerate(months):
        if i % label_every == 0:
            parts.append(
                f'<text x="{x_of(i):.1f}" y="{top_m + ph + 18}" text-anchor="middle">{esc(m)}</text>'
            )
    parts.append(
        f'<line x1="{left}" y1="{top_m + ph}" x2="{left + pw}" y2="{top_m + ph}" stroke="#333"/>'
    )
    lookup = {
        (str(m), str(i)): v
        for m, i, v in zip(by_month["month"], by_month["industry"], values, strict=True)
    }
    for k, name in enumerate(series):
        total = name == _TOTAL
        color = "#000" if total else _PALETTE[k % len(_PALETTE)]
        width = 3 if total else 1.5
        runs: list[list[str]] = [[]]
        dots = []
        for i, m in enumerate(months):
            v = lookup.get((m, name), math.nan)
            if math.isnan(v):
                runs.append([])
                continue
            x, y = x_of(i), y_of(v)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            dots.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3.5 if total else 2.5}" fill="{color}"'
                f' data-month="{esc(m)}" data-industry="{esc(name)}" data-value="{_fmt_ratio(v)}">'
                f"<title>{esc(m)} {esc(name)} 求人倍率 {_fmt_ratio(v)}</title></circle>"
            )
        group = [f'<g class="series" data-industry="{esc(name)}">']
        group += [
            f'<polyline fill="none" stroke="{color}" stroke-width="{width}" points="{" ".join(r)}"/>'
            for r in runs
            if len(r) > 1
        ]
        group += dots
        group.append("</g>")
        parts.extend(group)
        ly = top_m + 14 + 18 * k
        lx = left + pw + 14
        parts.append(
            f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 20}" y2="{ly - 4}" stroke="{color}"'
            f' stroke-width="{width}"/><text x="{lx + 26}" y="{ly}">{esc(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def stats_context(work_logs: pd.DataFrame) -> dict[str, Any]:
    """Tables (headers + text cells) and the chart for the 求人倍率 page."""
    by_market = job_ratio_table(work_logs)
    by_month = job_ratio_by_month(work_logs)
    wages = wage_by_trade(work_logs)
    return {
        "by_market": by_market,
        "by_month": by_month,
        "wages": wages,
        "chart_svg": job_ratio_chart_svg(by_month),
        "tables": [
            ("各月分行业求人倍率（全部市场）", *formatted_rows(by_month)),
            ("各月分行业工资价位（日工资，元/天）", *formatted_rows(wages)),
            ("各月分市场、分行业求人倍率", *formatted_rows(by_market)),
        ],
        "months": sorted(by_market["month"].astype(str).unique()),
    }


def write_job_ratio(
    work_logs: pd.DataFrame,
    folder: OutputFolder,
    *,
    markets: pd.DataFrame | None = None,
    prefix: str = "",
    page: str | None = "job_ratio.html",
    page_context: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the 求人倍率 tables (CSV with BOM), the SVG chart and (optionally) the page."""
    if markets is not None and "market_name" in work_logs.columns:
        names = dict(zip(markets["market_id"], markets["name"], strict=True))
        logs = work_logs.copy()
        logs["market_name"] = logs["market_name"].where(
            logs["market_name"].notna(), logs["market_id"].map(names)
        )
    else:
        logs = work_logs
    ctx = stats_context(logs)
    out = {}
    for key, name, table in (
        ("job_ratio_csv", "job_ratio_by_market.csv", ctx["by_market"]),
        ("job_ratio_month_csv", "job_ratio_by_month.csv", ctx["by_month"]),
        ("wages_csv", "wages_by_trade.csv", ctx["wages"]),
    ):
        header, rows = formatted_rows(table)
        out[key] = folder.write(f"{prefix}{name}", _csv_bytes(header, rows))
    out["chart_svg"] = folder.write(f"{prefix}job_ratio.svg", ctx["chart_svg"])
    if page is not None:
        context = {
            "title": "零工市场求人倍率",
            "nav": [],
            "note": "",
            "downloads": [
                ("分市场分行业 CSV", f"{prefix}job_ratio_by_market.csv"),
                ("分行业 CSV", f"{prefix}job_ratio_by_month.csv"),
                ("工资价位 CSV", f"{prefix}wages_by_trade.csv"),
                ("图表 SVG", f"{prefix}job_ratio.svg"),
            ],
            **(page_context or {}),
            "chart_svg": ctx["chart_svg"],
            "tables": ctx["tables"],
            "months": ctx["months"],
        }
        out["html"] = folder.write(page, render_template("public_stats.html.j2", **context))
    return out

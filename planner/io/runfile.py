"""A run's GeoPackage: its layers and fields, and reading it back into the run's frames.

``planner run`` writes ``<outputs.dir>/<study>.gpkg`` (:mod:`planner.publish.gpkg`) so a
planning bureau can open the run in QGIS or ArcGIS. This module holds what the writer and
the reader share: the layer names, the short field names with their Chinese display names
(QGIS aliases) and English comments, how each run column is stored, and
:func:`read_run_gpkg`, which reads such a file back into the frames of the run (the run's
column names and units, in the CRS asked for). Reading edited proposed sites for a rerun
is :mod:`planner.io.planned`.

Layers (one each; ``<t>`` is a tier code of :data:`TIER_CODES`, ``<g>`` a priority group)

=============  ===================================================================
``units``      study area units: ``code``, ``name``, ``level``
``cells``      demand cells: ``cell_id``, ``unit``, ``pop``, ``demand``, ``dens``, ``urban``,
               ``area_m2``, ``<g>_dem``; per tier before (``_b``) and after (``_a``) the
               plan: ``<t>_min_b`` (best time, minutes; NULL when no market of the tier is
               within its threshold), ``<t>_mode_b``, ``<t>_mkt_b`` (nearest serving
               market), ``<t>_cov_b`` (covered), and the same with ``_a``
``gaps``       uncovered areas per tier, before and after: ``tier``, ``stage``, ``gap_id``,
               ``n_cells``, ``demand``, ``pop``
``isochrones`` the area within each tier's threshold by each of its modes, of the markets
               that serve, existing and planned (``stage`` before; with the proposed sites,
               after, on request): ``tier``, ``mode``, ``stage``, ``minutes``, ``method``
               (network or straight_line)
``markets``    the markets that serve, public fields only: ``market_id``, ``name``,
               ``tier``, ``status``, ``city``, ``county``, ``town``, ``address``,
               ``hours``, ``occup``, ``phone``, ``hotline``, ``complaint``, ``services``,
               ``facilities`` (lists joined by ``、``)
``candidates`` candidate sites of every tier: ``cand_id``, ``tier``, ``kind``, ``name``,
               ``sector``, ``source``, ``src_id``
``sites``      proposed sites: ``site_id``, ``tier``, ``name``, ``kind``, ``sector``,
               ``new_dem``, ``new_<g>``, ``modes``, ``near_mkt``, ``near_name``,
               ``near_min``, ``reason``
``stops``      bus stops used (with bus data): ``stop_id``, ``name``
``roads``      the road network used (with roads): ``way_id``, ``highway``, ``name``,
               ``oneway``, ``maxspeed``, ``length_m``
=============  ===================================================================

Tiers and modes are stored as codes (``comprehensive``, ``ebike`` …), stable for other
systems; the QGIS styles show them in Chinese. ``stage`` is ``before`` or ``after``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner import settings
from planner.errors import CRSError, InputFileError
from planner.io._tables import check_file

__all__ = [
    "CRS_CHOICES",
    "LAYERS",
    "STAGES",
    "TIER_CODES",
    "FieldSpec",
    "GpkgLayer",
    "LayerSpec",
    "RunFile",
    "cells_fields",
    "decode",
    "encode",
    "gpkg_crs",
    "gpkg_filename",
    "read_run_gpkg",
    "sites_fields",
]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]
Kind = Literal["text", "real", "int", "bool", "minutes", "list"]

#: Short codes of the tiers in field names (``comp_min_b`` …).
TIER_CODES: dict[str, str] = {"comprehensive": "comp", "sector": "sect", "station": "stat"}
_TIER_OF_CODE = {v: k for k, v in TIER_CODES.items()}

#: ``[outputs] gpkg_crs`` → the CRS of the file (``projected``: the study's own CRS).
CRS_CHOICES: dict[str, int | None] = {"wgs84": 4326, "cgcs2000": 4490, "projected": None}

#: Stages of a run: the existing markets, and with the proposed sites added.
STAGES: dict[str, tuple[str, str]] = {"before": ("b", "现状"), "after": ("a", "规划后")}

#: Separator of list fields (occupations, services, facilities), as in the directory.
LIST_SEP = "、"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a layer: its name in the file and the run column it holds.

    Attributes
    ----------
    field
        Name in the file (short, stable).
    column
        Column of the run's frame (``None``: written only, from other columns).
    alias
        Chinese display name (the QGIS alias; ``title`` in ``gpkg_data_columns``).
    comment
        English description with the unit (``description`` in ``gpkg_data_columns``).
    kind
        How the value is stored: ``text`` (empty → NULL), ``real``, ``int``, ``bool``,
        ``minutes`` (seconds in the run, minutes in the file, ``inf`` ↔ NULL) or ``list``
        (joined by ``、``).
    """

    field: str
    column: str | None
    alias: str
    comment: str
    kind: Kind = "text"


@dataclass(frozen=True)
class LayerSpec:
    """A layer of the file: name, Chinese title, description and geometry type."""

    name: str
    title: str
    description: str
    geometry: str
    fields: tuple[FieldSpec, ...] = ()


def _f(name: str, column: str | None, alias: str, comment: str, kind: Kind = "text") -> FieldSpec:
    return FieldSpec(name, column, alias, comment, kind)


UNITS = LayerSpec(
    "units",
    "研究区范围",
    "study area units (counties or townships)",
    "MultiPolygon",
    (
        _f("code", "code", "行政区划代码", "admin code"),
        _f("name", "name", "名称", "name"),
        _f("level", "level", "级别", "admin level"),
    ),
)

_CELL_BASE = (
    _f("cell_id", "cell_id", "格网编号", "cell id"),
    _f("unit", "unit_code", "所属区划代码", "admin code of the unit the cell lies in"),
    _f("pop", "population", "人口（人）", "population, people", "real"),
    _f("demand", "demand", "零工需求（人）", "flexible-worker demand, workers", "real"),
    _f("dens", "density_per_km2", "人口密度（人/平方公里）", "people per km²", "real"),
    _f("urban", "urban", "城镇", "urban cell (density threshold)", "bool"),
    _f("area_m2", "cell_area_m2", "格网面积（平方米）", "cell area, m²", "real"),
)

GAPS = LayerSpec(
    "gaps",
    "覆盖缺口",
    "connected uncovered demand cells per tier, before and after the plan",
    "MultiPolygon",
    (
        _f("tier", "tier", "层级", "tier code"),
        _f("stage", "stage", "阶段", "before (existing markets) or after (with the plan)"),
        _f("gap_id", "gap_id", "缺口编号", "gap number, largest demand first", "int"),
        _f("n_cells", "n_cells", "格网数", "demand cells in the gap", "int"),
        _f("demand", "demand", "未覆盖零工需求（人）", "uncovered demand, workers", "real"),
        _f("pop", "population", "未覆盖人口（人）", "population in the gap, people", "real"),
    ),
)

ISOCHRONES = LayerSpec(
    "isochrones",
    "覆盖范围",
    "area within each tier's threshold by each of its modes",
    "MultiPolygon",
    (
        _f("tier", "tier", "层级", "tier code"),
        _f("mode", "mode", "出行方式", "travel mode code"),
        _f("stage", "stage", "阶段", "before (existing markets) or after (with the plan)"),
        _f("minutes", "minutes", "时间阈值（分钟）", "threshold, minutes", "real"),
        _f("method", "method", "计算方法", "network isochrone or straight_line estimate"),
    ),
)

MARKETS = LayerSpec(
    "markets",
    "现有零工市场",
    "markets that serve (public fields of the directory; status planned: sites kept)",
    "Point",
    (
        _f("market_id", "market_id", "编号", "market id"),
        _f("name", "name", "名称", "name"),
        _f("tier", "tier", "类型", "tier code"),
        _f("status", "status", "状态", "open, planned, unknown …"),
        _f("city", "city", "所属城市", "city"),
        _f("county", "county", "所属区县", "county"),
        _f("town", "town", "街道乡镇", "township or street"),
        _f("address", "address", "地址", "address"),
        _f("hours", "hours", "开放时间", "opening hours as published"),
        _f("occup", "occupations", "工种", "occupations, 、-separated", "list"),
        _f("phone", "phone", "联系电话", "phone"),
        _f("hotline", "hotline", "服务热线", "service hotline"),
        _f("complaint", "complaints", "投诉渠道", "complaints channel"),
        _f("services", "services", "服务项目", "services, 、-separated", "list"),
        _f("facilities", "facilities", "便民设施", "facilities, 、-separated", "list"),
    ),
)

CANDIDATES = LayerSpec(
    "candidates",
    "候选站址",
    "candidate sites per tier",
    "Point",
    (
        _f("cand_id", "candidate_id", "候选编号", "candidate id"),
        _f("tier", "tier", "层级", "tier code"),
        _f("kind", "anchor_kind", "依托类型", "what the site anchors on"),
        _f("name", "anchor_name", "名称", "anchor name"),
        _f("sector", "sector", "行业", "sector of a sector-market candidate"),
        _f("source", "source", "来源", "source layer"),
        _f("src_id", "source_id", "来源编号", "id in the source layer"),
    ),
)

STOPS = LayerSpec(
    "stops",
    "公交站点",
    "bus stops of the feed used",
    "Point",
    (_f("stop_id", "stop_id", "站点编号", "stop id"), _f("name", "name", "站点名称", "name")),
)

ROADS = LayerSpec(
    "roads",
    "道路网络",
    "street edges of the road network used",
    "LineString",
    (
        _f("way_id", "way_id", "OSM 道路编号", "OSM way id", "int"),
        _f("highway", "highway", "道路等级", "OSM highway class"),
        _f("name", "name", "道路名称", "name"),
        _f("oneway", "oneway", "单行", "OSM oneway tag"),
        _f("maxspeed", "maxspeed_kmh", "限速（公里/小时）", "speed limit, km/h", "real"),
        _f("length_m", "length_m", "长度（米）", "length, m", "real"),
    ),
)


def cells_fields(
    tiers: Sequence[str], groups: Sequence[str] = (), *, stages: Sequence[str] = tuple(STAGES)
) -> tuple[FieldSpec, ...]:
    """The fields of the ``cells`` layer for these tiers, priority groups and stages.

    Per tier and stage the best time, mode, nearest serving market and coverage; their
    ``column`` is the run's column (``<tier>_time_s`` …), the same for both stages (the
    before and after frames of a run have the same columns).
    """
    out = list(_CELL_BASE)
    out += [
        _f(f"{g}_dem", f"{g}_demand", f"{g} 零工需求（人）", f"demand of group {g}", "real")
        for g in groups
    ]
    for stage in stages:
        s, zh = STAGES[stage]
        for tier in tiers:
            c = TIER_CODES[tier]
            label = settings.TIER_LABELS_ZH.get(tier, tier)
            out += [
                _f(
                    f"{c}_min_{s}",
                    f"{tier}_time_s",
                    f"{zh}{label}最短时间（分钟）",
                    f"{stage}: minutes to the nearest serving market (NULL: beyond threshold)",
                    "minutes",
                ),
                _f(f"{c}_mode_{s}", f"{tier}_mode", f"{zh}{label}最快方式", f"{stage}: mode"),
                _f(
                    f"{c}_mkt_{s}",
                    f"{tier}_market",
                    f"{zh}最近{label}",
                    f"{stage}: id of the nearest serving market",
                ),
                _f(
                    f"{c}_cov_{s}",
                    f"{tier}_covered",
                    f"{zh}{label}已覆盖",
                    f"{stage}: within the tier's threshold",
                    "bool",
                ),
            ]
    return tuple(out)


def sites_fields(groups: Sequence[str] = ()) -> tuple[FieldSpec, ...]:
    """The fields of the ``sites`` layer (proposed sites) for these priority groups."""
    return (
        _f("site_id", "site_id", "站点编号", "site id"),
        _f("tier", "tier", "层级", "tier code"),
        _f("name", "anchor_name", "名称", "name (the place it anchors on)"),
        _f("kind", "anchor_kind", "依托类型", "what the site anchors on"),
        _f("sector", "sector", "行业", "sector of a sector market"),
        _f("new_dem", "new_demand", "新增覆盖需求（人）", "demand newly covered, workers", "real"),
        *(
            _f(f"new_{g}", f"new_{g}", f"新增覆盖 {g}（人）", f"group {g} newly covered", "real")
            for g in groups
        ),
        _f("modes", "modes", "到达方式", "modes by which the new demand reaches it"),
        _f("near_mkt", "nearest_market", "最近现有市场编号", "nearest existing market"),
        _f("near_name", None, "最近现有市场", "its name (written only)"),
        _f(
            "near_min",
            "nearest_market_min",
            "到最近现有市场时间（分钟）",
            "minutes to it by the tier's first mode (NULL beyond an hour)",
            "real",
        ),
        _f("reason", "reason", "选址理由", "why the site is proposed"),
    )


@dataclass
class GpkgLayer:
    """A layer ready to write: its spec (with the run's fields) and its rows.

    Attributes
    ----------
    spec
        Name, Chinese title, description, geometry type and fields.
    frame
        The rows with the file's field names, in the file's CRS.
    """

    spec: LayerSpec
    frame: gpd.GeoDataFrame


#: The layers in the order they are written (cells and sites get their fields per run).
LAYERS: dict[str, LayerSpec] = {
    "units": UNITS,
    "cells": LayerSpec(
        "cells", "零工需求格网", "demand cells with coverage before and after the plan", "Point"
    ),
    "gaps": GAPS,
    "isochrones": ISOCHRONES,
    "markets": MARKETS,
    "candidates": CANDIDATES,
    "sites": LayerSpec("sites", "拟建站点", "proposed sites of the three-tier plan", "Point"),
    "stops": STOPS,
    "roads": ROADS,
}


def gpkg_filename(study_name: str) -> str:
    """The file name of a study's GeoPackage: ``<study name>.gpkg``, safe on every system.

    Characters Windows or a shell would trip on (``\\ / : * ? " < > |``, control
    characters) become ``_``; an empty name gives ``study.gpkg``.

    Examples
    --------
    >>> gpkg_filename("烟台市芝罘区、莱山区零工市场布局")
    '烟台市芝罘区、莱山区零工市场布局.gpkg'
    >>> gpkg_filename("a/b: c")
    'a_b_ c.gpkg'
    """
    stem = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", study_name).strip().strip(".")
    return f"{stem or 'study'}.gpkg"


def gpkg_crs(choice: str, projected: CRS | Any) -> CRS:
    """The CRS of the file for ``[outputs] gpkg_crs`` (``projected``: the study's CRS)."""
    if choice not in CRS_CHOICES:
        raise CRSError(
            f"unknown GeoPackage CRS {choice!r}",
            key="outputs.gpkg_crs",
            fix=f"use one of: {', '.join(CRS_CHOICES)}",
        )
    epsg = CRS_CHOICES[choice]
    return CRS.from_epsg(epsg) if epsg is not None else CRS(projected)


# --------------------------------------------------------------------------------------
# Run columns <-> file fields
# --------------------------------------------------------------------------------------


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    if isinstance(v, float):
        return v != v
    return False


def _text_out(v: Any) -> str | None:
    if _is_missing(v):
        return None
    s = str(v)
    return s if s else None


def _list_out(v: Any) -> str | None:
    if _is_missing(v):
        return None
    if isinstance(v, str):
        return v or None
    items = [str(x) for x in v if not _is_missing(x) and str(x)]
    return LIST_SEP.join(items) if items else None


def encode(frame: pd.DataFrame, fields: Sequence[FieldSpec]) -> pd.DataFrame:
    """The file's columns of ``frame``: run columns renamed and converted per field kind.

    A field whose run column the frame lacks is left out (the reader leaves it out too),
    except fields without a column, which the caller fills. Text ``""`` and ``NA`` are
    NULL; times in seconds become minutes (``inf`` NULL); lists are joined by ``、``.
    """
    out: dict[str, Any] = {}
    n = len(frame)
    for f in fields:
        if f.column is None or f.column not in frame:
            continue
        col = frame[f.column]
        if f.kind == "text":
            out[f.field] = pd.Series([_text_out(v) for v in col], dtype=object)
        elif f.kind == "list":
            out[f.field] = pd.Series([_list_out(v) for v in col], dtype=object)
        elif f.kind == "bool":
            out[f.field] = col.fillna(False).to_numpy(dtype=bool)
        elif f.kind == "int":
            out[f.field] = pd.to_numeric(col, errors="coerce").astype("Int64").to_numpy()
        elif f.kind == "minutes":
            s = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            out[f.field] = np.where(np.isfinite(s), s / 60.0, np.nan)
        else:
            out[f.field] = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def _text_in(v: Any, empty: str | None) -> str | None:
    return empty if _is_missing(v) else str(v)


def decode(frame: pd.DataFrame, fields: Sequence[FieldSpec]) -> pd.DataFrame:
    """The run's columns back from the file's fields (the inverse of :func:`encode`).

    Text NULL is ``None`` except the mode and market columns of the cells, where the run
    writes ``""`` for none; minutes NULL is ``inf`` seconds; lists are split on ``、``
    (NULL: an empty list).
    """
    out: dict[str, Any] = {}
    for f in fields:
        if f.column is None or f.field not in frame:
            continue
        col = frame[f.field]
        if f.kind == "text":
            empty = "" if f.column.endswith(("_mode", "_market")) else None
            out[f.column] = pd.Series([_text_in(v, empty) for v in col], dtype=object)
        elif f.kind == "list":
            out[f.column] = pd.Series(
                [[] if _is_missing(v) else str(v).split(LIST_SEP) for v in col], dtype=object
            )
        elif f.kind == "bool":
            out[f.column] = col.fillna(False).to_numpy(dtype=bool)
        elif f.kind == "int":
            out[f.column] = pd.to_numeric(col, errors="coerce").astype("Int64").to_numpy()
        elif f.kind == "minutes":
            m = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            out[f.column] = np.where(np.isfinite(m), m * 60.0, np.inf)
        else:
            out[f.column] = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


# --------------------------------------------------------------------------------------
# Reading a run's GeoPackage back
# --------------------------------------------------------------------------------------


@dataclass
class RunFile:
    """The layers of a run's GeoPackage as the run's frames (run column names and units).

    Attributes
    ----------
    path
        The file.
    crs
        The CRS the frames are in.
    units
        Study area units.
    cells_before, cells_after
        Demand cells with, per tier, ``<tier>_time_s`` (``inf``: beyond the threshold),
        ``<tier>_mode``, ``<tier>_market`` and ``<tier>_covered``, with the existing
        markets and with the plan (as ``plan.before.cells`` and ``plan.after.cells``).
    gaps, isochrones
        Gap polygons (``tier``, ``stage``, ``gap_id``, ``n_cells``, ``demand``,
        ``population``) and coverage areas (``tier``, ``mode``, ``stage``, ``minutes``,
        ``method``).
    markets
        The markets that served, public fields (lists as lists).
    candidates
        Candidate sites by tier.
    sites
        Proposed sites (as ``plan.sites``, without the columns the file does not hold).
    stops, roads
        Bus stops and street edges (``None`` when the run had none).
    styles
        The ``layer_styles`` table (QGIS styles), ``None`` when the file has none.
    tiers, groups
        The tiers and priority groups found in the file's fields.
    """

    path: Path
    crs: CRS
    units: gpd.GeoDataFrame
    cells_before: gpd.GeoDataFrame
    cells_after: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    markets: gpd.GeoDataFrame
    candidates: dict[str, gpd.GeoDataFrame]
    sites: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    styles: pd.DataFrame | None = None
    tiers: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


def list_gpkg_layers(path: Path) -> list[str]:
    """Names of the layers (tables) of a GeoPackage, raising a readable error."""
    import pyogrio

    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputFileError(
            f"cannot be read as a GeoPackage ({type(exc).__name__}: {exc})",
            path=path,
            fix="give the .gpkg file planner run wrote (or a copy saved from QGIS)",
        ) from exc


def read_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    """One layer of a GeoPackage as it is stored (file field names, the file's CRS)."""
    import pyogrio

    try:
        return pyogrio.read_dataframe(path, layer=layer, fid_as_index=True)
    except Exception as exc:
        raise InputFileError(
            f"layer '{layer}' cannot be read ({type(exc).__name__}: {exc})",
            path=path,
            fix="open the file in QGIS to check the layer, or write the run again",
        ) from exc


def _frame(
    raw: gpd.GeoDataFrame, fields: Sequence[FieldSpec], crs: CRS, path: Path, layer: str
) -> gpd.GeoDataFrame:
    if raw.crs is None:
        raise CRSError(
            f"layer '{layer}' has no CRS",
            path=path,
            fix="set the layer's CRS in QGIS (Layer Properties → Source) and save again",
        )
    data = decode(pd.DataFrame(raw.drop(columns="geometry")), fields)
    geoms = raw.geometry.to_crs(crs) if not CRS(raw.crs).equals(crs) else raw.geometry
    return gpd.GeoDataFrame(data, geometry=geoms.to_numpy(), crs=crs)


_GROUP_FIELD = re.compile(r"^(.+)_dem$")
_TIER_FIELD = re.compile(r"^([a-z]+)_cov_b$")


def _cells_layout(names: Sequence[str]) -> tuple[list[str], list[str]]:
    tiers = [_TIER_OF_CODE[m.group(1)] for n in names if (m := _TIER_FIELD.match(n))]
    tiers = [t for t in settings.TIERS if t in tiers]
    groups = [m.group(1) for n in names if (m := _GROUP_FIELD.match(n))]
    return tiers, groups


def read_run_gpkg(path: PathArg, *, crs: Any = None) -> RunFile:
    """Read a run's GeoPackage back into the run's frames.

    Parameters
    ----------
    path
        The ``.gpkg`` :func:`planner.publish.gpkg.write_run_gpkg` wrote (or a copy QGIS
        saved, with the same layer and field names).
    crs
        CRS of the frames (default: the file's, e.g. the study's projected CRS to compare
        with a run).

    Returns
    -------
    RunFile
        Every layer as the run holds it (see :class:`RunFile`).

    Raises
    ------
    planner.errors.PlannerError
        The file is missing or not a GeoPackage, a layer of the run is missing, or a layer
        has no CRS.
    """
    p = check_file(path, what="run GeoPackage")
    names = list_gpkg_layers(p)
    needed = ["units", "cells", "gaps", "isochrones", "markets", "candidates", "sites"]
    missing = [n for n in needed if n not in names]
    if missing:
        raise InputFileError(
            f"is not a run's GeoPackage: no layer {', '.join(repr(m) for m in missing)} "
            f"(layers: {', '.join(names) or 'none'})",
            path=p,
            fix="give the .gpkg that `planner run` wrote into the output folder",
        )
    raws = {n: read_layer(p, n) for n in names if n in LAYERS}
    target = CRS(crs) if crs is not None else CRS(raws["cells"].crs or 4326)
    tiers, groups = _cells_layout(list(raws["cells"].columns))

    def layer(name: str, fields: Sequence[FieldSpec]) -> gpd.GeoDataFrame:
        return _frame(raws[name], fields, target, p, name)

    before = cells_fields(tiers, groups, stages=["before"])
    after = cells_fields(tiers, groups, stages=["after"])
    cands = layer("candidates", CANDIDATES.fields)
    site_groups = [c[4:] for c in raws["sites"].columns if c.startswith("new_") and c != "new_dem"]
    styles = None
    if "layer_styles" in names:
        styles = pd.DataFrame(read_layer(p, "layer_styles"))
    return RunFile(
        path=p,
        crs=target,
        units=layer("units", UNITS.fields),
        cells_before=layer("cells", before),
        cells_after=layer("cells", after),
        gaps=layer("gaps", GAPS.fields),
        isochrones=layer("isochrones", ISOCHRONES.fields),
        markets=layer("markets", MARKETS.fields),
        candidates={
            t: cands[cands["tier"] == t].reset_index(drop=True)
            for t in settings.TIERS
            if (cands["tier"] == t).any()
        },
        sites=layer("sites", sites_fields(site_groups)),
        stops=layer("stops", STOPS.fields) if "stops" in raws else None,
        roads=layer("roads", ROADS.fields) if "roads" in raws else None,
        styles=styles,
        tiers=tiers,
        groups=groups,
    )

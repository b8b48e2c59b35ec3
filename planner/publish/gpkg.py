"""A run as one GeoPackage for QGIS and ArcGIS, styled: ``<outputs.dir>/<study>.gpkg``.

Planning bureaus keep their maps in a GIS, not in notebooks. :func:`write_run_gpkg` writes
every layer of a :class:`~planner.run.StudyRun` into one GeoPackage through GDAL
(pyogrio): study area units, demand cells with coverage per tier before and after the plan,
gap polygons, isochrones per tier and mode, the markets that serve, candidate sites, the
proposed sites with their reasons, and the bus stops and roads used. The layers and fields
are :mod:`planner.io.runfile`'s (short, stable field names; the Chinese display names as
QGIS aliases and in the GeoPackage's ``gpkg_data_columns``); :func:`run_layers` gives them
as GeoDataFrames without writing.

Styles travel with the data: the ``layer_styles`` table holds a QGIS style per layer
(:mod:`planner.publish.gpkg_styles`), so the file opens styled in QGIS with no project file.
:func:`planner.io.runfile.read_run_gpkg` reads the file back, and
:func:`planner.io.planned.read_planned_sites` reads edited proposed sites for a rerun
(``planner run study.toml --sites edited.gpkg``).

Coordinates are WGS-84 (EPSG:4326) by default, or CGCS2000 (EPSG:4490) or the study's
projected CRS (``[outputs] gpkg_crs``). The same run gives the same bytes: GDAL stamps
``gpkg_contents.last_change`` with the clock unless told a date, so it is given the run's
service date (``OGR_CURRENT_DATE``); the ``layer_styles.update_time`` column is left NULL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner import settings
from planner.analysis.coverage import Coverage, coverage_gaps
from planner.errors import InvalidValueError, OutputError
from planner.io.runfile import (
    CANDIDATES,
    GAPS,
    ISOCHRONES,
    LAYERS,
    MARKETS,
    ROADS,
    STAGES,
    STOPS,
    UNITS,
    FieldSpec,
    GpkgLayer,
    LayerSpec,
    cells_fields,
    encode,
    gpkg_crs,
    sites_fields,
)
from planner.network.fallback import FALLBACK_SPEEDS_KMH
from planner.publish.maps import _coverage_polygons

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = ["GpkgLayer", "run_layers", "write_run_gpkg"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

#: GeoPackage version written: 1.2 opens without warnings in the GDAL of QGIS 3.22 LTR and
#: ArcGIS Pro (GDAL 3.12 would write 1.4, which GDAL 3.6 reads "only partially").
GPKG_VERSION = "1.2"


def _tiers(run: StudyRun) -> list[str]:
    return [t for t in settings.TIERS if t in run.plan.after.rules]


def _groups(frame: pd.DataFrame, prefix: str = "", suffix: str = "_demand") -> list[str]:
    names = [str(c) for c in frame.columns]
    out = []
    for c in names:
        if c.startswith(prefix) and c.endswith(suffix) and c not in ("demand", "new_demand"):
            core = c[len(prefix) : len(c) - len(suffix)] if suffix else c[len(prefix) :]
            if core:
                out.append(core)
    return out


def _layer(
    spec: LayerSpec,
    frame: pd.DataFrame,
    geometry: Any,
    crs: CRS,
    fields: tuple[FieldSpec, ...] | None = None,
    extra: dict[str, Any] | None = None,
) -> GpkgLayer:
    flds = fields if fields is not None else spec.fields
    data = encode(frame, flds)
    for k, v in (extra or {}).items():
        data[k] = v
    order = [f.field for f in flds if f.field in data]
    data = data[order]
    used = tuple(f for f in flds if f.field in data)
    geoms = gpd.GeoSeries(np.asarray(geometry), crs=frame.crs if hasattr(frame, "crs") else None)
    if geoms.crs is not None and not CRS(geoms.crs).equals(crs):
        geoms = geoms.to_crs(crs)
    gdf = gpd.GeoDataFrame(data, geometry=geoms.to_numpy(), crs=crs)
    return GpkgLayer(
        dataclasses.replace(spec, fields=used, geometry=_geometry_type(spec, gdf)), gdf
    )


def _geometry_type(spec: LayerSpec, frame: gpd.GeoDataFrame) -> str:
    """The spec's geometry type, made multi when the rows hold multi-part geometries."""
    kind = spec.geometry
    multi = len(frame) > 0 and frame.geom_type.astype(str).str.startswith("Multi").any()
    return f"Multi{kind}" if multi and not kind.startswith("Multi") else kind


def _units(run: StudyRun, crs: CRS) -> GpkgLayer:
    u = run.inputs.area.units
    return _layer(UNITS, u, u.geometry.values, crs)


def _cells(run: StudyRun, crs: CRS) -> GpkgLayer:
    tiers = _tiers(run)
    base = run.cells
    groups = _groups(base)
    before = encode(run.plan.before.cells, cells_fields(tiers, stages=["before"]))
    after = encode(run.plan.after.cells, cells_fields(tiers, stages=["after"]))
    head = encode(base, cells_fields([], groups, stages=[]))
    data = pd.concat([head, before.drop(columns=head.columns, errors="ignore")], axis=1)
    data = pd.concat([data, after.drop(columns=data.columns, errors="ignore")], axis=1)
    flds = tuple(f for f in cells_fields(tiers, groups) if f.field in data)
    spec = dataclasses.replace(LAYERS["cells"], fields=flds)
    geoms = gpd.GeoSeries(base.geometry.values, crs=base.crs).to_crs(crs)
    gdf = gpd.GeoDataFrame(data[[f.field for f in flds]], geometry=geoms.to_numpy(), crs=crs)
    if gdf.geom_type.isin(["Polygon", "MultiPolygon"]).any():
        spec = dataclasses.replace(spec, geometry="MultiPolygon")
    return GpkgLayer(spec, gdf)


def _gap_rows(cov: Coverage, tier: str, stage: str) -> gpd.GeoDataFrame:
    """:func:`coverage_gaps` of one tier with the people living in each gap."""
    gaps = coverage_gaps(cov, tier)
    cells = cov.cells
    un = cells[~cells[f"{tier}_covered"].to_numpy(dtype=bool)]
    pop = np.zeros(len(gaps))
    if len(gaps) and len(un):
        pts = shapely.centroid(np.asarray(un.geometry.values))
        gi, ci = shapely.STRtree(pts).query(np.asarray(gaps.geometry.values), predicate="contains")
        w = un["population"].to_numpy(dtype=float)
        np.add.at(pop, gi, w[ci])
    out = gaps.copy()
    out.insert(0, "stage", stage)
    out.insert(0, "tier", tier)
    out["population"] = pop
    return out


def _gaps(run: StudyRun, crs: CRS) -> GpkgLayer:
    parts = [
        _gap_rows(cov, tier, stage)
        for stage, cov in (("before", run.plan.before), ("after", run.plan.after))
        for tier in _tiers(run)
    ]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs=run.cells.crs) if len(frame) else None
    if gdf is None:
        gdf = gpd.GeoDataFrame(
            {f.column: pd.Series([], dtype=object) for f in GAPS.fields if f.column},
            geometry=gpd.GeoSeries([], crs=run.cells.crs),
        )
    return _layer(GAPS, gdf, gdf.geometry.values, crs)


def _with_sites(run: StudyRun) -> StudyRun:
    """The run with its proposed sites among the markets (for coverage after the plan)."""
    sites = run.plan.sites
    if len(sites) == 0:
        return run
    extra = gpd.GeoDataFrame(
        {
            "market_id": sites["site_id"].astype(str).to_numpy(),
            "tier": sites["tier"].astype(str).to_numpy(),
        },
        geometry=sites.geometry.to_numpy(),
        crs=sites.crs,
    )
    base = run.markets[["market_id", "tier", "geometry"]]
    markets = gpd.GeoDataFrame(pd.concat([base, extra], ignore_index=True), crs=sites.crs)
    return dataclasses.replace(run, markets=markets)


def _straight_line_area(run: StudyRun, tier: str, mode: str) -> shapely.Geometry:
    """Without a graph: discs of the straight-line reach (threshold × speed / circuity).

    The same reach coverage counts with the straight-line fallback
    (:mod:`planner.network.fallback`): a cell is covered when its straight line × the
    circuity factor at the mode's speed is within the threshold.
    """
    rule = run.coverage.rules[tier]
    serving = settings.TIER_SERVED_BY.get(tier, (tier,))
    mk = run.markets[run.markets["tier"].isin(serving)]
    if len(mk) == 0:
        return shapely.Polygon()
    radius = rule.threshold_s * FALLBACK_SPEEDS_KMH[mode] / 3.6 / settings.CIRCUITY_FACTOR
    return shapely.union_all(shapely.buffer(np.asarray(mk.geometry.values), radius))


def _isochrones(run: StudyRun, crs: CRS, stages: Sequence[str]) -> GpkgLayer:
    rows: list[dict[str, Any]] = []
    runs = {"before": run, "after": _with_sites(run) if "after" in stages else run}
    for stage in stages:
        r = runs[stage]
        for tier in _tiers(run):
            rule = run.coverage.rules.get(tier) or run.plan.after.rules[tier]
            for mode in rule.modes:
                if mode in run.graphs:
                    one = dataclasses.replace(rule, modes=(mode,))
                    cov = dataclasses.replace(r.coverage, rules={**r.coverage.rules, tier: one})
                    geom = _coverage_polygons(dataclasses.replace(r, coverage=cov), tier, True)
                    method = "network"
                elif mode in FALLBACK_SPEEDS_KMH:
                    geom, method = _straight_line_area(r, tier, mode), "straight_line"
                else:
                    continue
                if geom.is_empty:
                    continue
                rows.append(
                    {
                        "tier": tier,
                        "mode": mode,
                        "stage": stage,
                        "minutes": rule.threshold_min,
                        "method": method,
                        "geometry": geom,
                    }
                )
    frame = gpd.GeoDataFrame(
        rows or {"tier": [], "mode": [], "stage": [], "minutes": [], "method": []},
        geometry=[g["geometry"] for g in rows] if rows else gpd.GeoSeries([]),
        crs=run.cells.crs,
    )
    return _layer(ISOCHRONES, frame, frame.geometry.values, crs)


def _points(
    spec: LayerSpec,
    frame: gpd.GeoDataFrame,
    crs: CRS,
    fields: tuple[FieldSpec, ...] | None = None,
    extra: dict[str, Any] | None = None,
) -> GpkgLayer:
    return _layer(spec, frame, frame.geometry.values, crs, fields, extra)


def _sites(run: StudyRun, crs: CRS) -> GpkgLayer:
    sites = run.plan.sites
    mk = run.markets
    names = dict(
        zip(
            mk["market_id"].astype(str),
            (mk["name"] if "name" in mk else mk["market_id"]).astype(str),
            strict=True,
        )
    )
    near = sites["nearest_market"] if "nearest_market" in sites else pd.Series([None] * len(sites))
    near_name = pd.Series(
        [names.get(str(v)) if isinstance(v, str) and v else None for v in near], dtype=object
    )
    groups = _groups(sites, prefix="new_", suffix="")
    fields = sites_fields(groups)
    # every field, even when the plan proposed nothing: the layer is where sites get added
    missing = [f for f in fields if f.column is not None and f.column not in sites]
    if missing:
        sites = sites.copy()
        for f in missing:
            blank = np.nan if f.kind in ("real", "minutes") else None
            sites[str(f.column)] = pd.Series([blank] * len(sites), index=sites.index, dtype=object)
    return _points(LAYERS["sites"], sites, crs, fields, {"near_name": near_name})


def run_layers(
    run: StudyRun, *, crs: str = "wgs84", isochrone_stages: Sequence[str] = ("before",)
) -> dict[str, GpkgLayer]:
    """Every layer of a run's GeoPackage, in the order written.

    Parameters
    ----------
    run
        From :func:`planner.pipeline.run_study`.
    crs
        ``"wgs84"`` (EPSG:4326, default), ``"cgcs2000"`` (EPSG:4490) or ``"projected"``
        (the study's CRS).
    isochrone_stages
        Whose isochrones: ``"before"`` the markets that serve (existing and planned),
        ``"after"`` those with the proposed sites too. By default only ``before``: each
        stage costs about as much as the planner map's coverage areas (seconds per tier
        and mode on a county), and a rerun with ``--sites`` draws the kept sites' areas.

    Returns
    -------
    dict
        Layer name → :class:`GpkgLayer`; ``stops`` only with bus data, ``roads`` only with
        a road network.
    """
    target = gpkg_crs(crs, run.cells.crs)
    cands = [c for c in run.candidates.values() if len(c)]
    cand = (
        gpd.GeoDataFrame(pd.concat(cands, ignore_index=True), crs=run.cells.crs)
        if cands
        else gpd.GeoDataFrame({"tier": []}, geometry=gpd.GeoSeries([]), crs=run.cells.crs)
    )
    out = {
        "units": _units(run, target),
        "cells": _cells(run, target),
        "gaps": _gaps(run, target),
        "isochrones": _isochrones(run, target, _check_stages(isochrone_stages)),
        "markets": _points(MARKETS, run.markets, target),
        "candidates": _points(CANDIDATES, cand, target),
        "sites": _sites(run, target),
    }
    if run.inputs.transit is not None:
        out["stops"] = _points(STOPS, run.inputs.transit.stops, target)
    if run.inputs.roads is not None:
        streets = run.inputs.roads.streets
        out["roads"] = _layer(ROADS, streets, streets.geometry.values, target)
    return out


def _check_stages(stages: Sequence[str]) -> list[str]:
    bad = [s for s in stages if s not in STAGES]
    if bad:
        raise InvalidValueError(
            f"unknown isochrone stage(s) {', '.join(map(repr, bad))}",
            fix=f"use {' and/or '.join(map(repr, STAGES))}",
        )
    return list(dict.fromkeys(stages))


@contextlib.contextmanager
def _gdal_date(date: str) -> Iterator[None]:
    """Tell GDAL the timestamp to write into ``gpkg_contents.last_change``."""
    import pyogrio

    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": date})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def _write_titles(path: Path, layers: dict[str, GpkgLayer]) -> None:
    """Chinese display names and English comments in ``gpkg_data_columns`` (schema ext.)."""
    con = sqlite3.connect(path)
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
            "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, "
            "mime_type TEXT, constraint_name TEXT, "
            "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
            "CONSTRAINT gdc_tn UNIQUE (table_name, name))"
        )
        rows = [
            (name, f.field, f.field, f.alias, f.comment)
            for name, layer in layers.items()
            for f in layer.spec.fields
        ]
        con.executemany(
            "INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        con.execute(
            "INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, "
            "definition, scope) VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', "
            "'http://www.geopackage.org/spec/#extension_schema', 'read-write')"
        )
        con.commit()
    finally:
        con.close()


def _styles_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The ``layer_styles`` table QGIS reads (its own columns, in its order)."""
    cols = [
        "f_table_catalog",
        "f_table_schema",
        "f_table_name",
        "f_geometry_column",
        "styleName",
        "styleQML",
        "styleSLD",
        "useAsDefault",
        "description",
        "owner",
        "ui",
    ]
    df = pd.DataFrame(
        {c: pd.Series([r[c] for r in rows], dtype=bool if c == "useAsDefault" else object)
         for c in cols}
    )  # fmt: skip
    df["update_time"] = pd.Series([pd.NaT] * len(rows), dtype="datetime64[ms]")
    return df


def write_run_gpkg(
    run: StudyRun,
    path: PathArg,
    *,
    crs: str = "wgs84",
    isochrone_stages: Sequence[str] = ("before",),
    inputs: Iterable[PathArg] = (),
) -> Path:
    """Write a run's layers and their QGIS styles into one GeoPackage.

    Parameters
    ----------
    run
        From :func:`planner.pipeline.run_study`.
    path
        The ``.gpkg`` to write (atomically; never over an input, nor over a file planner did
        not write or that was changed since, e.g. edited in QGIS).
    crs
        ``"wgs84"`` (default), ``"cgcs2000"`` or ``"projected"``.
    isochrone_stages
        Whose isochrones (see :func:`run_layers`).
    inputs
        Files the run read (never written over).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    import pyogrio

    from planner.publish._output import OutputFolder
    from planner.publish.gpkg_styles import layer_styles

    out = Path(path)
    if out.suffix.lower() != ".gpkg":
        raise OutputError(
            "a GeoPackage is written as a .gpkg file", path=out, fix="name it e.g. study.gpkg"
        )
    layers = run_layers(run, crs=crs, isochrone_stages=isochrone_stages)
    styles = layer_styles(run, layers)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.stem}.", suffix=".gpkg")
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # GDAL creates the file
    try:
        with _gdal_date(f"{run.date.isoformat()}T00:00:00.000Z"):
            for i, (name, layer) in enumerate(layers.items()):
                pyogrio.write_dataframe(
                    layer.frame,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    geometry_type=layer.spec.geometry,
                    promote_to_multi=layer.spec.geometry.startswith("Multi"),
                    layer_options={
                        "IDENTIFIER": layer.spec.title,
                        "DESCRIPTION": layer.spec.description,
                    },
                    dataset_options={"VERSION": GPKG_VERSION} if i == 0 else None,
                )
            pyogrio.write_dataframe(
                _styles_frame(styles),
                tmp,
                layer="layer_styles",
                driver="GPKG",
                layer_options={"FID": "id"},
            )
        _write_titles(tmp, layers)
        data = tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    written = OutputFolder(out.parent, inputs=inputs).write(out.name, data)
    log.info("GeoPackage written to %s (%d layers)", written, len(layers))
    return written

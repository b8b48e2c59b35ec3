"""Sites a planner wants considered: a table or vector file of candidate points.

``[candidates] add = "extra_sites.csv"`` names such a file: a community centre offered by a
street office, a vacant hall, a bus terminal the bureau prefers. One row per site:

=================  ====================================================================
名称 / name        required: what the proposal calls the site
经度, 纬度         longitude, latitude in ``coords`` (a table); a vector file has points
类型 / tier        optional: 综合性零工市场 / 行业性零工市场 / 零工服务站点 (or comprehensive,
                   sector, station); empty: a candidate of every tier
行业 / sector      optional: the sector of a sector-market site
编号 / id          optional: the candidate id (else ``C-<tier>-U001`` …)
=================  ====================================================================
"""

from __future__ import annotations

import logging
import re
from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner.errors import InvalidValueError
from planner.io._tables import (
    ColumnSpec,
    Schema,
    check_file,
    points_from_lonlat,
    read_table,
    sheet_row,
    to_number,
)
from planner.io.coords import CoordSystem
from planner.io.crs import StudyArea
from planner.io.markets import TIER_ALIASES
from planner.io.places import SECTOR_ALIASES
from planner.io.vector import read_vector

__all__ = ["SITE_SCHEMA", "read_candidate_sites"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

SITE_SCHEMA = Schema(
    (
        ColumnSpec("candidate_id", ("编号", "id", "site_id")),
        ColumnSpec("anchor_name", ("名称", "name", "站点名称", "地点")),
        ColumnSpec("tier", ("类型", "层级", "type")),
        ColumnSpec("sector", ("行业", "industry")),
        ColumnSpec("lon", ("经度", "longitude", "lng")),
        ColumnSpec("lat", ("纬度", "latitude")),
        ColumnSpec("remark", ("备注", "note", "说明")),
    ),
    what="candidate sites table",
)

_VECTOR = frozenset({".geojson", ".json", ".shp", ".gpkg", ".fgb", ".kml"})


def _squash(text: object) -> str:
    return re.sub(r"[\s_\-]+", "", str(text)).lower()


def read_candidate_sites(
    path: PathArg,
    *,
    coords: CoordSystem | str | None = None,
    area: StudyArea | None = None,
) -> gpd.GeoDataFrame:
    """Read candidate sites from a table (CSV/XLSX with 经度/纬度) or a vector file of points.

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id`` (may be missing), ``anchor_name``, ``tier`` (one of the tiers, or
        missing = every tier), ``sector`` (may be missing), ``anchor_kind`` = ``"user"``,
        points in ``area.crs``.

    Raises
    ------
    ColumnError, InvalidValueError, CoordinateError
        A missing name or coordinate, an unknown tier or sector (naming the row), a point
        far outside the study area.
    """
    p = check_file(path, what="candidate sites")
    if p.suffix.lower() in _VECTOR:
        raw = read_vector(p, coords=coords, what="candidate sites")
        gdf = gpd.GeoDataFrame(
            SITE_SCHEMA.apply(raw.drop(columns="geometry"), path=p),
            geometry=raw.geometry.values,
            crs=raw.crs,
        )
        if area is not None:
            gdf = gdf.to_crs(area.crs)
        not_point = gdf.geometry.geom_type != "Point"
        if not_point.any():
            gdf.loc[not_point, "geometry"] = gdf.geometry[not_point].representative_point()
    else:
        df = SITE_SCHEMA.apply(read_table(p, what="candidate sites"), path=p)
        for col in ("lon", "lat"):
            if col not in df.columns:
                raise InvalidValueError(
                    f"the candidate sites table has no {col} column",
                    path=p,
                    column=col,
                    fix="add 经度 and 纬度 columns",
                )
        lon = to_number(df, "lon", path=p)
        lat = to_number(df, "lat", path=p)
        gdf = points_from_lonlat(df, lon, lat, coords=coords or "wgs84", path=p, area=area)
        gdf = gdf.drop(columns=["lon", "lat"])
    if "anchor_name" not in gdf.columns:
        raise InvalidValueError(
            "the candidate sites have no name column", path=p, fix="add a 名称 column"
        )
    names = gdf["anchor_name"].astype("string").str.strip()
    empty = names.isna() | (names == "")
    if empty.any():
        i = int(empty.to_numpy().nonzero()[0][0])
        raise InvalidValueError(
            "a site has no name",
            path=p,
            row=sheet_row(gdf.index[i]),
            column="名称",
            fix="name every site (the proposal shows it)",
        )
    gdf["anchor_name"] = names.astype(object)
    gdf["tier"] = _mapped(
        gdf, "tier", TIER_ALIASES, p, "综合性零工市场 / 行业性零工市场 / 零工服务站点"
    )
    gdf["sector"] = _mapped(gdf, "sector", SECTOR_ALIASES, p, "建筑 / 制造 / 家政 / 商贸 / 物流 …")
    gdf["anchor_kind"] = "user"
    if "candidate_id" in gdf.columns:
        ids = gdf["candidate_id"].astype("string").str.strip()
        gdf["candidate_id"] = ids.where(ids != "").astype(object)
    cols = ["candidate_id", "anchor_name", "tier", "sector", "anchor_kind"]
    out = gdf[[c for c in cols if c in gdf.columns] + ["geometry"]].reset_index(drop=True)
    log.info("%s: %d candidate site(s) added", Path(p).name, len(out))
    return gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs)


def _mapped(
    gdf: pd.DataFrame, col: str, aliases: dict[str, str], path: Path, hint: str
) -> pd.Series:
    if col not in gdf.columns:
        return pd.Series([None] * len(gdf), index=gdf.index, dtype=object)
    out: list[str | None] = []
    for i, v in enumerate(gdf[col].tolist()):
        if v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == "":
            out.append(None)
            continue
        key = _squash(v)
        if key not in aliases:
            raise InvalidValueError(
                f"unknown {col} {v!r}",
                path=path,
                row=sheet_row(int(gdf.index[i])),
                column=col,
                fix=f"write one of {hint}, or leave it empty",
            )
        out.append(aliases[key])
    return pd.Series(out, index=gdf.index, dtype=object)

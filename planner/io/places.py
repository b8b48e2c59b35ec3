"""Places that anchor sector markets and stations: industrial parks, building-material markets,
malls and community centres.

鲁人社字〔2024〕44号 asks for 行业性、专业性零工市场 in 产业园区、建材市场、大型商场 and for
零工服务站点 in community venues. :func:`read_places` reads such places from a table with
lon/lat columns (CSV/XLSX, as exported from AMap/Baidu POI searches or a 开发区名录) or
from a vector file (GeoJSON, Shapefile, GeoPackage; points or polygons such as park
outlines).

Columns of the result
---------------------
``place_id``
    Text; ``P0001`` … in row (feature) order when the file has no id column.
``name``
    Text (required).
``kind``
    ``industrial_park`` (产业园区, 工业园, 开发区 …), ``building_materials`` (建材市场 …),
    ``mall`` (商场, 购物中心, 大型商场 …) or ``community_centre`` (社区服务中心,
    党群服务中心, 村委会 …).
``sector``, ``sectors``
    The 行业 cell may name several sectors (``制造业、物流``): ``sectors`` is the list of
    them (each one of :data:`planner.settings.SECTORS`, in the order written, repeats
    removed) and ``sector`` the first, the place's main sector. An empty cell takes the
    default of the kind (:data:`DEFAULT_SECTOR`) and ``sector_from_kind`` is True.
``workforce``
    People employed there (从业人数/用工人数), Int64 ≥ 0, may be missing.
``address``, ``county``, ``adcode``, ``source``, ``remark``
    Text, may be missing.
``coords``
    The coordinate system the row was declared in (``wgs84``/``gcj02``/``bd09``; for a
    vector file read with ``coords=None``, the file's own CRS name).
``area_m2``
    Polygon area in square metres in the output CRS; NaN for points.
``site_point``
    A point per place (a second GeoSeries, same CRS): the point itself, or for a polygon
    :func:`shapely.point_on_surface` — unlike the centroid it always lies inside the
    outline, also for an L-shaped park. Use it to snap a place to a street network
    (``places.set_geometry("site_point")``). Drop it before ``to_file`` (one geometry
    column per layer).
``geometry``
    The place as given: a point, or the polygon outline.
"""

from __future__ import annotations

import logging
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner import settings
from planner.errors import ColumnError, CoordinateError, GeometryError, InvalidValueError
from planner.io._tables import (
    ColumnSpec,
    Schema,
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
from planner.io.coords import CoordSystem, normalise_coord_system
from planner.io.crs import StudyArea, choose_crs
from planner.io.markets import split_list
from planner.io.vector import read_vector

__all__ = [
    "DEFAULT_SECTOR",
    "KINDS",
    "KIND_ALIASES",
    "PLACE_COLUMNS",
    "PLACE_SCHEMA",
    "SECTOR_ALIASES",
    "read_places",
]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

VECTOR_SUFFIXES = frozenset({".geojson", ".json", ".shp", ".gpkg", ".fgb", ".kml", ".zip"})

PLACE_SCHEMA = Schema(
    (
        ColumnSpec("place_id", ("编号", "id", "place id")),
        ColumnSpec("name", ("名称", "园区名称", "市场名称", "商场名称"), required=True),
        ColumnSpec("kind", ("类型", "类别", "type", "category")),
        ColumnSpec("sector", ("行业", "主导产业", "industry")),
        ColumnSpec("workforce", ("从业人数", "用工人数", "就业人数", "employees", "workers")),
        ColumnSpec("lon", ("经度", "longitude", "lng")),
        ColumnSpec("lat", ("纬度", "latitude")),
        ColumnSpec("coords", ("坐标系", "crs", "coord_crs")),
        ColumnSpec("address", ("地址", "详细地址")),
        ColumnSpec("county", ("所属区县", "区县", "district")),
        ColumnSpec("adcode", ("行政区划代码", "区划代码")),
        ColumnSpec("source", ("来源", "信息来源")),
        ColumnSpec("remark", ("备注", "note")),
    ),
    what="places table",
)

#: Kinds of place, in the order of the policy text.
KINDS: tuple[str, ...] = ("industrial_park", "building_materials", "mall", "community_centre")

#: What users write (spaces removed, lower case) → kind.
KIND_ALIASES: dict[str, str] = {
    **{k: k for k in KINDS},
    "industrialpark": "industrial_park",
    "park": "industrial_park",
    "产业园区": "industrial_park",
    "产业园": "industrial_park",
    "工业园": "industrial_park",
    "工业园区": "industrial_park",
    "开发区": "industrial_park",
    "经济开发区": "industrial_park",
    "经济技术开发区": "industrial_park",
    "高新区": "industrial_park",
    "高新技术产业开发区": "industrial_park",
    "园区": "industrial_park",
    "buildingmaterials": "building_materials",
    "建材市场": "building_materials",
    "建材城": "building_materials",
    "建材": "building_materials",
    "家居建材市场": "building_materials",
    "装饰材料市场": "building_materials",
    "商场": "mall",
    "购物中心": "mall",
    "大型商场": "mall",
    "商业综合体": "mall",
    "百货": "mall",
    "百货商场": "mall",
    "shoppingmall": "mall",
    "communitycentre": "community_centre",
    "communitycenter": "community_centre",
    "社区服务中心": "community_centre",
    "党群服务中心": "community_centre",
    "便民服务中心": "community_centre",
    "村委会": "community_centre",
    "居委会": "community_centre",
    "社区": "community_centre",
}

#: Sector of a place whose 行业 cell is empty. A community centre serves every sector:
#: "other" marks it as not tied to one.
DEFAULT_SECTOR: dict[str, str] = {
    "industrial_park": "manufacturing",
    "building_materials": "construction",
    "mall": "commerce",
    "community_centre": "other",
}

#: What users write for a sector → one of planner.settings.SECTORS.
SECTOR_ALIASES: dict[str, str] = {
    **{s: s for s in settings.SECTORS},
    "建筑": "construction",
    "建筑业": "construction",
    "建筑装修": "construction",
    "装修": "construction",
    "装饰装修": "construction",
    "建材": "construction",
    "制造": "manufacturing",
    "制造业": "manufacturing",
    "工业": "manufacturing",
    "加工": "manufacturing",
    "加工制造": "manufacturing",
    "家政": "housekeeping",
    "家政服务": "housekeeping",
    "保洁": "housekeeping",
    "家政保洁": "housekeeping",
    "养老护理": "housekeeping",
    "商贸": "commerce",
    "商贸零售": "commerce",
    "商贸餐饮": "commerce",
    "商业": "commerce",
    "零售": "commerce",
    "批发": "commerce",
    "批发零售": "commerce",
    "批发和零售业": "commerce",
    "物流": "logistics",
    "快递": "logistics",
    "仓储": "logistics",
    "物流仓储": "logistics",
    "搬运装卸": "logistics",
    "运输": "logistics",
    "交通运输": "logistics",
    "交通运输仓储和邮政业": "logistics",
    "餐饮": "catering",
    "餐饮服务": "catering",
    "住宿餐饮": "catering",
    "住宿和餐饮业": "catering",
    "农业": "agriculture",
    "农林牧渔": "agriculture",
    "农林牧渔业": "agriculture",
    "种植": "agriculture",
    "养殖": "agriculture",
    "其他": "other",
    "其它": "other",
    "综合": "other",
}

_SECTOR_HINT = ", ".join(
    f"{zh} ({en})"
    for zh, en in [
        ("建筑", "construction"),
        ("制造", "manufacturing"),
        ("家政", "housekeeping"),
        ("商贸", "commerce"),
        ("物流", "logistics"),
        ("餐饮", "catering"),
        ("农业", "agriculture"),
        ("其他", "other"),
    ]
)

#: Columns of the result of :func:`read_places`, in order.
PLACE_COLUMNS: tuple[str, ...] = (
    "place_id",
    "name",
    "kind",
    "sector",
    "sectors",
    "sector_from_kind",
    "workforce",
    "address",
    "county",
    "adcode",
    "coords",
    "source",
    "remark",
    "area_m2",
    "site_point",
)

# Fields GIS software adds to every layer; dropped from vector files before the header check.
_GIS_FIELDS = frozenset(
    {"fid", "objectid", "shape_leng", "shape_length", "shape_area", "shape_len", "ogc_fid"}
)


def read_places(
    path: PathArg,
    *,
    coords: CoordSystem | str | None = "wgs84",
    area: StudyArea | None = None,
    crs: CRS | str | int | None = None,
    kind: str | None = None,
    sheet: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read industrial parks, building-material markets, malls or community centres.

    Parameters
    ----------
    path
        A table (``.csv`` in UTF-8/BOM/GBK, ``.xlsx``) with 经度/纬度 columns, or a vector
        file (``.geojson``, ``.json``, ``.shp``, ``.gpkg`` …) of points or polygons, with the
        attribute names of :data:`PLACE_SCHEMA` (Chinese or English).
    coords
        The lon/lat system of the file: ``"wgs84"`` (default), ``"gcj02"`` (AMap/高德) or
        ``"bd09"`` (Baidu). A 坐标系 cell overrides it for its row (tables only). For a
        vector file in a projected CRS pass ``None`` to use the file's own CRS.
    area
        Study area: the result is in ``area.crs``; places more than
        :data:`planner.settings.OUTSIDE_AREA_TOLERANCE_M` outside it are an error.
    crs
        Output CRS when there is no ``area``; default a UTM zone chosen from the data.
    kind
        Kind of every row whose 类型 is empty or absent (e.g. ``"industrial_park"`` for a
        开发区名录 without a type column); any alias of :data:`KIND_ALIASES`.
    sheet
        XLSX sheet name or 0-based index.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`PLACE_COLUMNS` and ``geometry`` (see the module docstring).

    Raises
    ------
    planner.errors.PlannerError
        A subclass naming file, row and column: missing/empty file, unknown or missing
        column, no kind, unknown kind or sector, negative workforce, repeated id, bad
        coordinates or geometries, places far outside the area. For a vector file the
        "row" is the feature number (first feature = row 1).
    """
    p = Path(path)
    default_kind = None
    if kind is not None:
        default_kind = KIND_ALIASES.get(_squash(kind))
        if default_kind is None:
            raise InvalidValueError(
                f"unknown kind {kind!r} (kind argument)",
                path=p,
                fix="use one of " + ", ".join(KINDS),
            )
    if p.suffix.lower() in VECTOR_SUFFIXES:
        return _read_vector_places(p, coords=coords, area=area, crs=crs, default_kind=default_kind)
    raw = read_table(p, sheet=sheet, what="places table")
    headers = _headers(raw, PLACE_SCHEMA)
    df = _attributes(raw, headers, path=p, default_kind=default_kind, feature_rows=False)
    gdf = points_by_row_crs(
        df,
        coords=coords if coords is not None else "wgs84",
        area=area,
        crs=crs,
        path=p,
        headers=headers,
        allow_missing=False,
    )
    gdf["area_m2"] = np.nan
    gdf["site_point"] = gpd.GeoSeries(gdf.geometry.values, index=gdf.index, crs=gdf.crs)
    return _finish(gdf)


def _squash(text: str) -> str:
    return "".join(str(text).split()).replace("_", "").replace("-", "").lower()


def _attributes(
    raw: pd.DataFrame,
    headers: dict[str, str],
    *,
    path: Path,
    default_kind: str | None,
    feature_rows: bool,
) -> pd.DataFrame:
    """Check and normalise the attribute columns shared by tables and vector files."""
    df = PLACE_SCHEMA.apply(raw, path=path)
    for col in df.columns:
        df[col] = as_text(df[col])
    for spec in PLACE_SCHEMA.columns:
        if spec.name not in df.columns:
            df[spec.name] = as_text(pd.Series(None, index=df.index, dtype="object"))
    where = "feature" if feature_rows else "row"
    _require_cells(df, "name", path=path, shown_as=headers.get("name", "名称"))
    if "place_id" in headers:
        _require_cells(df, "place_id", path=path, shown_as=headers["place_id"])
    else:
        df["place_id"] = [f"P{i + 1:04d}" for i in range(len(df))]
        log.info("%s: no id column; places numbered P0001 … in %s order", path, where)
    check_unique(df, "place_id", path=path, shown_as=headers.get("place_id", "place_id"))

    if "kind" not in headers and default_kind is None:
        raise ColumnError(
            "no type column (类型) and no kind given, so the kind of place is unknown",
            path=path,
            column="类型",
            fix="add a 类型 column (产业园区 / 建材市场 / 商场 / 社区服务中心), or pass"
            " kind='industrial_park' (or building_materials, mall, community_centre)",
        )
    kinds = _map_values(
        df["kind"],
        lambda t: KIND_ALIASES.get(_squash(t)),
        path=path,
        shown_as=headers.get("kind", "类型"),
        accepted="产业园区/工业园/开发区 (industrial_park), 建材市场 (building_materials),"
        " 商场/购物中心 (mall), 社区服务中心/党群服务中心/村委会 (community_centre)",
    )
    empty_kind = kinds.isna()
    if empty_kind.any():
        if default_kind is None:
            i = df.index[np.flatnonzero(empty_kind.to_numpy())[0]]
            raise InvalidValueError(
                f"empty type ({int(empty_kind.sum())} such row(s))",
                path=path,
                row=sheet_row(i),
                column=headers.get("kind", "类型"),
                fix="fill in the type, or pass kind= for rows without one",
            )
        kinds[empty_kind] = default_kind
    df["kind"] = as_text(kinds)

    sector_h = headers.get("sector", "行业")
    lists: list[list[str]] = []
    for i, cell in df["sector"].items():
        items = []
        for word in split_list(cell):
            sector = SECTOR_ALIASES.get(_squash(word))
            if sector is None:
                raise InvalidValueError(
                    f"unknown sector {word!r}",
                    path=path,
                    row=sheet_row(int(i)),  # type: ignore[call-overload]
                    column=sector_h,
                    fix="use one or more (separated by 、) of: " + _SECTOR_HINT,
                )
            if sector not in items:
                items.append(sector)
        lists.append(items)
    no_sector = np.array([not items for items in lists], dtype=bool)
    df["sector_from_kind"] = no_sector
    if no_sector.any():
        kinds_of_empty = df.loc[no_sector, "kind"]
        for pos in np.flatnonzero(no_sector):
            lists[pos] = [DEFAULT_SECTOR[str(df["kind"].iloc[pos])]]
        counts = kinds_of_empty.value_counts().sort_index()
        log.info(
            "%s: %d place(s) without a sector (行业) take the default of their kind: %s",
            path,
            int(no_sector.sum()),
            ", ".join(f"{n} {k}→{DEFAULT_SECTOR[str(k)]}" for k, n in counts.items()),
        )
    df["sectors"] = pd.Series(lists, index=df.index, dtype="object")
    df["sector"] = as_text(pd.Series([items[0] for items in lists], index=df.index, dtype="object"))
    df["workforce"] = to_number(
        df,
        "workforce",
        path=path,
        shown_as=headers.get("workforce"),
        required=False,
        minimum=0,
        integer=True,
    ).astype("Int64")
    return df


def _read_vector_places(
    path: Path,
    *,
    coords: CoordSystem | str | None,
    area: StudyArea | None,
    crs: CRS | str | int | None,
    default_kind: str | None,
) -> gpd.GeoDataFrame:
    layer = read_vector(path, coords=coords, what="places layer")  # EPSG:4326, repaired
    types = np.asarray(shapely.get_type_id(layer.geometry.values))
    allowed = {0, 3, 6}  # Point, Polygon, MultiPolygon
    bad = ~np.isin(types, list(allowed))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise GeometryError(
            f"feature {i + 1} is a {layer.geometry.iloc[i].geom_type}; places are points or"
            f" polygons ({int(bad.sum())} such feature(s))",
            path=path,
            fix="give each place as a point or as its outline polygon",
        )
    attrs = pd.DataFrame(layer.drop(columns=layer.geometry.name))
    gis = [c for c in attrs.columns if str(c).lower() in _GIS_FIELDS]
    if gis:
        log.debug("%s: ignoring GIS housekeeping fields %s", path, gis)
        attrs = attrs.drop(columns=gis)
    attrs = attrs.astype(object).where(attrs.notna(), None)
    attrs = attrs.map(lambda v: v if v is None or isinstance(v, str) else _cell_text(v))
    # Number features from 1 in error messages: sheet_row(index) = index + 2.
    attrs.index = pd.RangeIndex(-1, len(attrs) - 1)
    headers = _headers(attrs, PLACE_SCHEMA)
    df = _attributes(attrs, headers, path=path, default_kind=default_kind, feature_rows=True)
    given = [h for c, h in headers.items() if c in {"lon", "lat"}]
    if given:
        log.info("%s: columns %s ignored; the feature geometries give the positions", path, given)
    system = (
        normalise_coord_system(coords, where=str(path)) if coords is not None else str(layer.crs)
    )
    df["coords"] = as_text(pd.Series(system, index=df.index, dtype="object"))

    wgs = layer.geometry.values
    if area is not None:
        target = CRS(area.crs)
    elif crs is not None:
        target = CRS(crs)
    else:
        minx, miny, maxx, maxy = layer.total_bounds
        target = choose_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0)
    gdf = gpd.GeoDataFrame(df.reset_index(drop=True), geometry=list(wgs), crs=4326).to_crs(target)
    if area is not None:
        outside = area.distance_outside_m(gdf.geometry.values)
        far = np.nan_to_num(outside, nan=0.0) > settings.OUTSIDE_AREA_TOLERANCE_M
        if far.any():
            i = int(np.flatnonzero(far)[0])
            raise CoordinateError(
                f"feature {i + 1} ({gdf['name'].iloc[i]!r}) is {outside[i] / 1000:.1f} km outside"
                f" the study area '{area.name}' ({int(far.sum())} such feature(s))",
                path=path,
                fix="check the declared coordinate system (wgs84 / gcj02 / bd09) and the"
                " features, or widen the study area",
            )
    geoms = gdf.geometry.values
    polygonal = np.isin(np.asarray(shapely.get_type_id(geoms)), [3, 6])
    gdf["area_m2"] = np.where(polygonal, shapely.area(geoms), np.nan)
    site = np.where(polygonal, shapely.point_on_surface(geoms), geoms)
    gdf["site_point"] = gpd.GeoSeries(list(site), index=gdf.index, crs=gdf.crs)
    return _finish(gdf)


def _cell_text(v: Any) -> str:
    """Attribute values of a vector file as text (integers without a trailing .0)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _finish(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame(gdf[[*PLACE_COLUMNS, "geometry"]], geometry="geometry", crs=gdf.crs)
    return out.reset_index(drop=True)

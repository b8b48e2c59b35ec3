"""Vector layers (GeoJSON, Shapefile, GeoPackage): boundaries and other polygons/points.

Files in China often hold GCJ-02 (AMap, DataV.GeoAtlas) or BD-09 (Baidu)
coordinates while claiming WGS-84 (GeoJSON has no way to say otherwise), so the
caller declares the coordinate system; the vertices are then shifted to WGS-84
before projecting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from os import PathLike

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner import settings
from planner.errors import ColumnError, CRSError, EmptyFileError, GeometryError, InputFileError
from planner.io._tables import check_file, check_unique
from planner.io.coords import CoordSystem, normalise_coord_system
from planner.io.crs import StudyArea, convert_geometries

__all__ = [
    "admin_code_column",
    "read_boundaries",
    "read_study_area",
    "read_vector",
    "repair_geometries",
]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

CODE_COLUMNS = (
    "code",
    "adcode",
    "CODE",
    "ADCODE",
    "division_code",
    "行政区划代码",
    "区划代码",
    "gb",
    "PAC",
    "id",
)
_ADMIN_CODE = r"^\d{6}(\d{3}|\d{6})?$"  # 6-digit county codes, 9/12-digit township codes


def admin_code_column(frame: pd.DataFrame, *, prefer: Sequence[str] = ()) -> str | None:
    """The column whose values are (almost all) Chinese admin codes, found by content.

    A column qualifies when at least 90 % of its non-empty values are 6-, 9- or 12-digit
    codes (``370602``, ``370602001``); among several, the one whose codes also appear in
    ``prefer`` most often wins (e.g. the polygon codes a table must join), then the first.

    Examples
    --------
    >>> admin_code_column(pd.DataFrame({"id": [1, 2], "division_code": ["370602", "370613"]}))
    'division_code'
    """
    best: tuple[int, int, str] | None = None
    wanted = set(prefer)
    for i, col in enumerate(frame.columns):
        if col == "geometry":
            continue
        text = frame[col].map(_code_text).astype(str)
        text = text[(text != "") & (text != "nan") & (text != "None")]
        if len(text) == 0 or text.str.match(_ADMIN_CODE).mean() < 0.9:
            continue
        score = (int(text.isin(wanted).sum()), -i, str(col))
        if best is None or score[:2] > best[:2]:
            best = score
    return best[2] if best is not None else None


NAME_COLUMNS = ("name", "NAME", "名称", "区县", "name_zh")


def read_vector(
    path: PathArg,
    *,
    coords: CoordSystem | str | None = None,
    what: str = "layer",
) -> gpd.GeoDataFrame:
    """Read a vector file and return it in WGS-84 lon/lat (EPSG:4326), geometries checked.

    Parameters
    ----------
    path
        GeoJSON, Shapefile, GeoPackage … anything GDAL reads.
    coords
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"`` when the file holds lon/lat degrees in that
        system. ``None`` trusts the CRS stored in the file (an error when it has none).
    """
    p = check_file(path, what=what)
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputFileError(
            f"cannot read as a vector layer ({type(exc).__name__}: {exc})",
            path=p,
            fix="give a GeoJSON, Shapefile (.shp with .shx/.dbf/.prj) or GeoPackage",
        ) from exc
    if len(gdf) == 0:
        raise EmptyFileError(f"{what} has no features", path=p, fix="export the layer again")
    if coords is not None:
        system = normalise_coord_system(coords, where=str(p))
        if gdf.crs is not None and not CRS(gdf.crs).is_geographic:
            raise CRSError(
                f"the file is in projected CRS {gdf.crs.name} but was declared {system}",
                path=p,
                fix="declare no coordinate system (the file's own CRS is used), or export lon/lat",
            )
        _check_degrees(gdf, p)
        geoms = convert_geometries(gdf.geometry.values, system, "wgs84")
        gdf = gpd.GeoDataFrame(gdf.drop(columns="geometry"), geometry=list(geoms), crs=4326)
    else:
        if gdf.crs is None:
            raise CRSError(
                f"{what} has no CRS",
                path=p,
                fix="add a .prj file, or declare coords = 'wgs84' / 'gcj02' / 'bd09' in the study file",
            )
        gdf = gdf.to_crs(4326)
    gdf = repair_geometries(gdf, path=p)
    return gdf


def _check_degrees(gdf: gpd.GeoDataFrame, path: PathArg) -> None:
    minx, miny, maxx, maxy = gdf.total_bounds
    if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
        raise CRSError(
            f"coordinates reach ({maxx:.0f}, {maxy:.0f}): projected metres, not degrees",
            path=path,
            fix="declare no coordinate system so the file's own projected CRS is used",
        )


def repair_geometries(gdf: gpd.GeoDataFrame, *, path: PathArg) -> gpd.GeoDataFrame:
    """Repair invalid geometries with ``make_valid`` (counted warning); error if unrepairable.

    Empty or missing geometries are an error naming the feature.
    """
    geoms = gdf.geometry.values
    missing = np.asarray(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise GeometryError(
            f"feature {i + 1} has no geometry ({int(missing.sum())} such feature(s))",
            path=path,
            fix="delete the feature or draw its geometry",
        )
    invalid = ~np.asarray(shapely.is_valid(geoms))
    if not invalid.any():
        return gdf
    kinds = set(shapely.get_type_id(geoms[invalid]).tolist())
    fixed = shapely.make_valid(geoms[invalid])
    # make_valid of a polygon may give a collection; keep the polygonal part.
    if kinds <= {3, 6}:
        fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
    bad = np.asarray(shapely.is_empty(fixed) | ~shapely.is_valid(fixed))
    if bad.any():
        i = int(np.flatnonzero(invalid)[np.flatnonzero(bad)[0]])
        raise GeometryError(
            f"feature {i + 1} is invalid ({shapely.is_valid_reason(geoms[i])}) and cannot be repaired",
            path=path,
            fix="fix the geometry in a GIS (e.g. QGIS 'Fix geometries')",
        )
    out = gdf.copy()
    values = out.geometry.values.copy()
    values[invalid] = fixed
    out = out.set_geometry(values)
    log.warning("%s: repaired %d invalid geometrie(s) with make_valid", path, int(invalid.sum()))
    return out


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    if isinstance(g, shapely.Polygon | shapely.MultiPolygon):
        return g
    parts = [
        p for p in getattr(g, "geoms", []) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)
    ]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _pick(
    columns: Sequence[str], candidates: Sequence[str], given: str | None, path: PathArg, what: str
) -> str:
    if given is not None:
        if given not in columns:
            raise ColumnError(
                f"{what} column '{given}' not found (columns: {', '.join(columns)})",
                path=path,
                column=given,
                fix="name an existing column",
            )
        return given
    for c in candidates:
        if c in columns:
            return c
    raise ColumnError(
        f"no {what} column found (looked for {', '.join(candidates)})",
        path=path,
        column=candidates[0],
        fix=f"name the {what} column explicitly",
    )


def read_boundaries(
    path: PathArg,
    *,
    coords: CoordSystem | str | None = None,
    codes: Sequence[str | int] | None = None,
    names: Sequence[str] | None = None,
    code_column: str | None = None,
    name_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read administrative boundaries (counties, townships) in WGS-84 with ``code`` and ``name``.

    Parameters
    ----------
    path
        GeoJSON/Shapefile/GeoPackage of polygons, e.g. DataV.GeoAtlas exports (GCJ-02).
    coords
        Declared lon/lat system of the file; ``None`` trusts the file's CRS.
    codes, names
        Keep only these units (by admin code, e.g. ``370602``, or by name, e.g. ``芝罘区``).
        A city or province code that names no unit (``370600``, ``370000``) keeps the units
        inside it. A code or name that matches nothing is an error.
    code_column, name_column
        Column names, found automatically when omitted (adcode, code, 行政区划代码 … /
        name, 名称 …).

    Returns
    -------
    geopandas.GeoDataFrame
        ``code`` (text), ``name``, the other attributes, polygons in EPSG:4326.
    """
    gdf = read_vector(path, coords=coords, what="boundary file")
    cols = [c for c in gdf.columns if c != "geometry"]
    if code_column is None and not any(c in cols for c in CODE_COLUMNS):
        code_column = admin_code_column(gdf)
    code_col = _pick(cols, CODE_COLUMNS, code_column, path, "code")
    name_col = _pick(cols, NAME_COLUMNS, name_column, path, "name")
    gdf = gdf.rename(columns={code_col: "code", name_col: "name"})
    gdf["code"] = gdf["code"].map(_code_text)
    gdf["name"] = gdf["name"].astype(str)
    check_unique(gdf, "code", path=path, shown_as=code_col)
    keep = pd.Series(True, index=gdf.index)
    if codes is not None or names is not None:
        keep[:] = False
        for value, col in [(c, "code") for c in codes or []] + [(n, "name") for n in names or []]:
            hit = gdf[col] == _code_text(value) if col == "code" else gdf[col] == str(value)
            if col == "code" and not hit.any():
                hit = _within_code(gdf["code"], _code_text(value))
            if not hit.any():
                raise ColumnError(
                    f"no unit with {col} {value!r} (the file has {len(gdf)} units,"
                    f" e.g. {', '.join(gdf[col].head(5))})",
                    path=path,
                    column=code_col if col == "code" else name_col,
                    fix="check the code/name in the study file",
                )
            keep |= hit
    out = gdf[keep].reset_index(drop=True)
    return out[["code", "name", *[c for c in out.columns if c not in {"code", "name"}]]]


def _within_code(codes: pd.Series, value: str) -> pd.Series:
    """Units inside a city (``370600``) or province (``370000``) code that names no unit.

    Chinese admin codes nest: a city's counties share its first four digits, a province's
    its first two.

    Examples
    --------
    >>> _within_code(pd.Series(["370602", "370613", "370102"]), "370600").tolist()
    [True, True, False]
    """
    if len(value) != 6 or not value.isdigit() or not value.endswith("00"):
        return pd.Series(False, index=codes.index)
    prefix = value[:2] if value.endswith("0000") else value[:4]
    return codes.str.startswith(prefix) & (codes != value)


def _code_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_study_area(
    path: PathArg,
    *,
    coords: CoordSystem | str | None = None,
    codes: Sequence[str | int] | None = None,
    names: Sequence[str] | None = None,
    code_column: str | None = None,
    name_column: str | None = None,
    name: str | None = None,
    projection: str = settings.DEFAULT_PROJECTION,
) -> StudyArea:
    """Read boundaries and make the :class:`StudyArea` (choosing its projected CRS)."""
    units = read_boundaries(
        path,
        coords=coords,
        codes=codes,
        names=names,
        code_column=code_column,
        name_column=name_column,
    )
    return StudyArea.from_units(units, name=name, projection=projection)

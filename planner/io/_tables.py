"""Shared door checks for tabular inputs: files, encodings, headers, numbers, points.

Every reader of a CSV/XLSX table goes through these helpers, so every reader
reports problems the same way: the file, the spreadsheet row (header = row 1),
the column as the user wrote it, what is wrong and the fix. The last section holds the
helpers of the directory-style readers (markets, places, work logs): headers as written,
text cells, required cells, mapped values and points whose coordinate system may differ
per row.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner import settings
from planner.errors import (
    ColumnError,
    CoordinateError,
    CRSError,
    DuplicateIdError,
    EmptyFileError,
    EncodingError,
    InputFileError,
    InvalidValueError,
    MissingFileError,
)
from planner.io.coords import CoordSystem, convert, normalise_coord_system
from planner.io.crs import StudyArea, choose_crs

__all__ = [
    "ColumnSpec",
    "Schema",
    "as_text",
    "check_file",
    "check_unique",
    "decode_text",
    "points_by_row_crs",
    "points_from_lonlat",
    "read_table",
    "sheet_row",
    "to_number",
]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

#: Encodings tried in order. utf-8-sig reads UTF-8 with or without a BOM; GB18030 is a
#: superset of GBK and GB2312, which Excel on Chinese Windows writes for "CSV".
ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")


def check_file(path: PathArg, *, what: str = "input file") -> Path:
    """Return ``path`` as a Path, raising if it is missing, a folder or empty."""
    p = Path(path)
    if not p.exists():
        raise MissingFileError(
            f"{what} does not exist",
            path=p,
            fix="check the path (relative paths are read from the study file's folder)",
        )
    if p.is_dir():
        raise InputFileError(f"{what} is a folder, not a file", path=p, fix="name the file itself")
    if p.stat().st_size == 0:
        raise EmptyFileError(f"{what} is empty (0 bytes)", path=p, fix="export the data again")
    return p


def decode_text(data: bytes, *, path: PathArg) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM) or GB18030/GBK; return (text, encoding)."""
    for enc in ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    # Find the first line that fails under UTF-8 to point the user at it.
    line_no = 1
    for i, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            line_no = i
            break
    raise EncodingError(
        "text is neither UTF-8 nor GBK/GB18030",
        path=path,
        row=line_no,
        fix="save the file as 'CSV UTF-8' in Excel, or as GBK",
    )


def _separator(text: str) -> str:
    r"""The CSV's field separator: a comma, unless the header has none and holds tabs or
    semicolons (a file saved as "Text (Tab delimited)" or with a European list separator).

    >>> _separator("名称,地址\n甲,一路"), _separator("名称\t地址\n甲\t一路"), _separator("名称;地址")
    (',', '\t', ';')
    """
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    if "," in header:
        return ","
    for sep in ("\t", ";"):
        if sep in header:
            return sep
    return ","


def _sheet_names(path: Path) -> str:
    try:
        from openpyxl import load_workbook

        names = load_workbook(path, read_only=True).sheetnames
    except Exception:  # only the hint is lost
        return "(the sheet names could not be read)"
    return ", ".join(repr(n) for n in names)


def read_table(
    path: PathArg, *, sheet: str | int | None = None, what: str = "table"
) -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file with every cell as text.

    Cells stay text (leading zeros of codes and phone numbers survive); empty cells
    are ``NaN``. Column names are stripped of surrounding spaces. Numbers are parsed
    later, column by column, by :func:`to_number`, so errors can name the row.
    """
    p = check_file(path, what=what)
    suffix = p.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        try:
            df = pd.read_excel(
                p, sheet_name=sheet if sheet is not None else 0, dtype=str, engine="openpyxl"
            )
        except (ValueError, KeyError, IndexError) as exc:
            if sheet is None or "not found" not in str(exc):
                raise InputFileError(
                    f"not a readable Excel .xlsx file ({exc})",
                    path=p,
                    fix="open it in Excel and save it again as .xlsx, or export CSV",
                ) from exc
            raise InputFileError(
                f"cannot read sheet {sheet!r}: {exc}",
                path=p,
                fix=f"name an existing sheet: {_sheet_names(p)}",
            ) from exc
        except Exception as exc:  # zip/xml errors from openpyxl
            raise InputFileError(
                f"not a readable Excel .xlsx file ({type(exc).__name__}: {exc})",
                path=p,
                fix="open it in Excel and save it again as .xlsx, or export CSV",
            ) from exc
    elif suffix == ".xls":
        raise InputFileError(
            "old Excel .xls files are not supported",
            path=p,
            fix="save it as .xlsx or as CSV UTF-8",
        )
    else:
        text, enc = decode_text(p.read_bytes(), path=p)
        if not text.strip():
            raise EmptyFileError(
                f"{what} holds only blank text", path=p, fix="export the data again"
            )
        try:
            df = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                na_values=[""],
                skipinitialspace=True,
                sep=_separator(text),
            )
        except pd.errors.ParserError as exc:
            m = re.search(r"line (\d+)", str(exc))
            raise InputFileError(
                f"not a well-formed CSV ({exc})",
                path=p,
                row=int(m.group(1)) if m else None,
                fix="check the quoting and the number of commas on that row",
            ) from exc
        log.debug("read %s as %s", p, enc)
    df.columns = [str(c).strip() for c in df.columns]
    # Fully blank lines are formatting, not data. The index keeps each row's position in the
    # file, so sheet_row(index) names the spreadsheet row even after blank lines.
    df = df.dropna(how="all")
    if len(df) == 0:
        raise EmptyFileError(
            f"{what} has a header but no data rows", path=p, fix="add at least one row"
        )
    return df


def sheet_row(index: int) -> int:
    """Spreadsheet row number of a 0-based data row (the header is row 1)."""
    return int(index) + 2


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its name, the headers users write for it, and whether required."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Schema:
    """The columns a table may have; maps users' headers (Chinese or English) to canonical ones."""

    columns: tuple[ColumnSpec, ...]
    what: str = "table"
    #: How to treat headers that match no column: "error" (default) or "keep".
    unknown: str = "error"
    _lookup: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = {_norm(a): s.name for s in self.columns for a in (s.name, *s.aliases)}
        object.__setattr__(self, "_lookup", lookup)

    def canonical(self, header: str) -> str | None:
        return self._lookup.get(_norm(header))

    def apply(self, df: pd.DataFrame, *, path: PathArg) -> pd.DataFrame:
        """Rename headers to canonical names; raise on missing, unknown or repeated columns."""
        rename: dict[str, str] = {}
        seen: dict[str, str] = {}
        unknown: list[str] = []
        for col in df.columns:
            canon = self.canonical(col)
            if canon is None:
                unknown.append(col)
                continue
            if canon in seen:
                raise ColumnError(
                    f"columns '{seen[canon]}' and '{col}' both mean '{canon}'",
                    path=path,
                    column=col,
                    fix="keep only one of them",
                )
            seen[canon] = col
            rename[col] = canon
        if unknown and self.unknown == "error":
            raise ColumnError(
                f"unknown column(s) {', '.join(repr(u) for u in unknown)} in the {self.what}",
                path=path,
                column=unknown[0],
                fix="rename to one of: " + self.describe(),
            )
        missing = [s for s in self.columns if s.required and s.name not in seen]
        if missing:
            m = missing[0]
            names = " / ".join((m.name, *m.aliases[:3]))
            raise ColumnError(
                f"required column '{m.name}' is missing from the {self.what}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                path=path,
                column=m.name,
                fix=f"add a column headed {names}",
            )
        out = df.rename(columns=rename)
        if self.unknown != "error":
            return out
        return out[[c for c in out.columns if c in {s.name for s in self.columns}]]

    def describe(self) -> str:
        return ", ".join(
            f"{s.aliases[0]} ({s.name})" if s.aliases else s.name for s in self.columns
        )


def _norm(header: str) -> str:
    h = str(header).strip().lower()
    h = re.sub(r"[\s_\-（）()\[\]【】:：/]+", "", h)
    return h


def to_number(
    df: pd.DataFrame,
    column: str,
    *,
    path: PathArg,
    shown_as: str | None = None,
    required: bool = True,
    minimum: float | None = None,
    integer: bool = False,
) -> pd.Series:
    """Parse a text column as numbers; error names the first bad row.

    Empty cells are an error when ``required``, else NaN. ``minimum`` rejects smaller
    values (e.g. negative population). Thousands separators ("12,000") are accepted.
    """
    col = shown_as or column
    raw = df[column]
    text = (
        raw.astype("string")
        .str.strip()
        .str.replace(",", "", regex=False)
        .str.replace("，", "", regex=False)
    )
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & text.notna() & (text != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidValueError(
            f"{raw.iloc[i]!r} is not a number ({int(bad.sum())} such row(s))",
            path=path,
            row=sheet_row(raw.index[i]),
            column=col,
            fix="write plain numbers (digits and a decimal point)",
        )
    if required and values.isna().any():
        i = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise InvalidValueError(
            f"empty value ({int(values.isna().sum())} empty row(s))",
            path=path,
            row=sheet_row(raw.index[i]),
            column=col,
            fix="fill in every row",
        )
    finite = values.dropna()
    if np.isinf(finite).any():
        i = int(np.flatnonzero(np.isinf(values.fillna(0)).to_numpy())[0])
        raise InvalidValueError(
            "infinite value", path=path, row=sheet_row(raw.index[i]), column=col
        )
    if minimum is not None and (finite < minimum).any():
        i = int(np.flatnonzero((values < minimum).to_numpy())[0])
        raise InvalidValueError(
            f"value {values.iloc[i]} is below the minimum {minimum:g}",
            path=path,
            row=sheet_row(raw.index[i]),
            column=col,
            fix=f"values must be at least {minimum:g}",
        )
    if integer and (finite != np.round(finite)).any():
        i = int(
            np.flatnonzero((values != np.round(values)).to_numpy() & values.notna().to_numpy())[0]
        )
        raise InvalidValueError(
            f"value {values.iloc[i]} is not a whole number",
            path=path,
            row=sheet_row(raw.index[i]),
            column=col,
        )
    return values.astype(float)


def check_unique(
    df: pd.DataFrame, column: str, *, path: PathArg, shown_as: str | None = None
) -> None:
    """Raise :class:`DuplicateIdError` naming both rows when ``column`` repeats a value."""
    values = df[column]
    dup = values.duplicated(keep=False) & values.notna()
    if dup.any():
        first_val = values[dup].iloc[0]
        rows = [sheet_row(i) for i in values.index[values == first_val]]
        raise DuplicateIdError(
            f"{first_val!r} appears {len(rows)} times (rows {', '.join(map(str, rows[:5]))});"
            f" {int(values[dup].nunique())} value(s) repeat",
            path=path,
            row=rows[1],
            column=shown_as or column,
            fix="give every row its own id",
        )


def points_from_lonlat(
    df: pd.DataFrame,
    lon: pd.Series,
    lat: pd.Series,
    *,
    coords: CoordSystem | str,
    path: PathArg,
    lon_column: str = "lon",
    lat_column: str = "lat",
    area: StudyArea | None = None,
    crs: CRS | None = None,
    tolerance_m: float = settings.OUTSIDE_AREA_TOLERANCE_M,
    allow_missing: bool = False,
) -> gpd.GeoDataFrame:
    """Turn lon/lat columns in a declared coordinate system into projected points.

    Checks, each raising :class:`CoordinateError` naming the row and column:
    projected metres in a lon/lat column, swapped longitude and latitude,
    values outside the globe, and points more than ``tolerance_m`` outside ``area``.
    Rows with no coordinates raise unless ``allow_missing`` (then they get an empty
    geometry and are counted in a warning).

    The result is in ``crs``, else ``area.crs``, else a UTM zone chosen from the points.
    """
    system = normalise_coord_system(coords, where=f"{path}")
    lon_v = np.asarray(lon, dtype=float)
    lat_v = np.asarray(lat, dtype=float)
    missing = np.isnan(lon_v) | np.isnan(lat_v)
    if missing.any() and not allow_missing:
        i = int(np.flatnonzero(missing)[0])
        raise CoordinateError(
            f"no coordinates ({int(missing.sum())} row(s) without)",
            path=path,
            row=sheet_row(df.index[i]),
            column=lon_column if np.isnan(lon_v[i]) else lat_column,
            fix="fill in longitude and latitude (e.g. picked on AMap: declare gcj02)",
        )
    ok = ~missing
    _check_lonlat_values(lon_v, lat_v, ok, df.index, path, lon_column, lat_column)
    wlon, wlat = lon_v.copy(), lat_v.copy()
    if ok.any():
        wlon[ok], wlat[ok] = convert(lon_v[ok], lat_v[ok], system, "wgs84")
    geoms = gpd.points_from_xy(wlon, wlat)
    geoms[missing] = None
    gdf = gpd.GeoDataFrame(df.copy(), geometry=geoms, crs=4326)
    if crs is None:
        if area is not None:
            crs = area.crs
        elif ok.any():
            crs = choose_crs(float(np.median(wlon[ok])), float(np.median(wlat[ok])))
        else:
            crs = CRS.from_epsg(4326)
    gdf = gdf.to_crs(crs)
    if area is not None and ok.any():
        if CRS(area.crs) != CRS(crs):
            outside = area.distance_outside_m(gdf.geometry.to_crs(area.crs).values)
        else:
            outside = area.distance_outside_m(gdf.geometry.values)
        far = np.nan_to_num(outside, nan=0.0) > tolerance_m
        if far.any():
            i = int(np.flatnonzero(far)[0])
            raise CoordinateError(
                f"point ({lon_v[i]}, {lat_v[i]}) is {outside[i] / 1000:.1f} km outside the study area"
                f" '{area.name}' ({int(far.sum())} such row(s))",
                path=path,
                row=sheet_row(df.index[i]),
                column=lon_column,
                fix="check the coordinates and the declared coordinate system"
                " (wgs84 / gcj02 / bd09), or widen the study area",
            )
    if missing.any():
        log.warning(
            "%s: %d row(s) have no coordinates; kept with an empty geometry (not mapped, not in coverage)",
            path,
            int(missing.sum()),
        )
    return gdf


def _check_lonlat_values(
    lon: np.ndarray,
    lat: np.ndarray,
    ok: np.ndarray,
    index: pd.Index,
    path: PathArg,
    lon_column: str,
    lat_column: str,
) -> None:
    lo0, lo1 = settings.CHINA_LON_RANGE
    la0, la1 = settings.CHINA_LAT_RANGE
    swapped = ok & (lon >= la0) & (lon <= la1) & (lat >= lo0) & (lat <= lo1)
    if swapped.any():
        i = int(np.flatnonzero(swapped)[0])
        raise CoordinateError(
            f"longitude {lon[i]} and latitude {lat[i]} look swapped ({int(swapped.sum())} such row(s))",
            path=path,
            row=sheet_row(index[i]),
            column=lon_column,
            fix=f"swap the '{lon_column}' and '{lat_column}' columns",
        )
    metres = ok & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    if metres.any():
        i = int(np.flatnonzero(metres)[0])
        raise CoordinateError(
            f"({lon[i]}, {lat[i]}) is not longitude/latitude in degrees — it looks like projected"
            f" metres ({int(metres.sum())} such row(s))",
            path=path,
            row=sheet_row(index[i]),
            column=lon_column if abs(lon[i]) > 180 else lat_column,
            fix="give degrees (e.g. 121.44, 37.46), or convert the projected coordinates first",
        )


# --------------------------------------------------------------------------------------
# Helpers of the directory-style readers (markets, places, work logs)
# --------------------------------------------------------------------------------------

_PANDAS_3 = int(pd.__version__.split(".")[0]) >= 3


def _headers(raw: pd.DataFrame, schema: Schema) -> dict[str, str]:
    """Canonical name → the header as the user wrote it."""
    out: dict[str, str] = {}
    for col in raw.columns:
        canon = schema.canonical(str(col))
        if canon is not None and canon not in out:
            out[canon] = str(col)
    return out


def as_text(values: pd.Series) -> pd.Series:
    """Text column: stripped, empty cells missing (NaN), pandas' text dtype."""
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    if _PANDAS_3:
        return text.astype("str")
    return text.astype(object).where(text.notna(), np.nan)


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

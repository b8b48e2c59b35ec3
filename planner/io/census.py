"""Census counts by admin polygon: join a table to boundaries by code, spread over cells.

- :func:`read_census` joins a census table (e.g. 第七次人口普查 by county, ``CODE, NAME,
  POPU``) to boundary polygons by admin code and reports the rows and polygons that do
  not match (Shandong's 17 development-zone codes ``37xx7x`` have no polygon).
- :func:`planner.io.spread.census_to_cells` then spreads each polygon's count over a grid.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS

from planner.errors import (
    ColumnError,
    CoordinateError,
    CRSError,
    InvalidValueError,
)
from planner.io._tables import check_unique, read_table, sheet_row, to_number
from planner.io.coords import CoordSystem
from planner.io.crs import StudyArea, choose_crs
from planner.io.population import _output_crs
from planner.io.vector import admin_code_column, read_boundaries

__all__ = [
    "AGED_60_PLUS_COLUMNS",
    "AGED_65_PLUS_COLUMNS",
    "CensusResult",
    "read_census",
]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

#: Columns of the 2020 census age table (``shandong_ages_2020_county.csv``, NBS *Tabulation
#: on the 2020 China Population Census by County*) whose shares add up to the population
#: aged 60 and over: the 60-64 band plus the 65-and-over total (which itself equals the
#: sum of the bands ``AGES_65-69`` … ``AGES_85P``). Use as
#: ``group_columns={"aged_60_plus": AGED_60_PLUS_COLUMNS}``.
AGED_60_PLUS_COLUMNS: tuple[str, ...] = ("AGES_60-64", "AGES_65P")

#: The census age table's share of residents aged 65 and over.
AGED_65_PLUS_COLUMNS: tuple[str, ...] = ("AGES_65P",)

#: Shares may add up to slightly more than 1 when published rounded (4 decimals per band).
_SHARE_SUM_TOLERANCE = 1e-3


_NAME_COLUMNS = ("NAME", "name", "名称", "区县", "地区")
_COUNT_COLUMNS = ("POPU", "population", "人口", "常住人口", "总人口")

#: Overlap (m²) below which a unit only touches the study area (shared borders, slivers).
_OVERLAP_M2 = 1.0


# --------------------------------------------------------------------------------------
# Census counts joined to polygons
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CensusResult:
    """A census table joined to boundary polygons.

    Attributes
    ----------
    units
        Matched units: ``code`` (text), ``name``, ``population``, one share column per
        priority group (0-1), polygon geometry in the output CRS.
    unmatched_rows
        Table rows whose code has no polygon: ``code``, ``name``, ``population``, ``row``
        (spreadsheet row, header = 1). In Shandong these are the 17 development zones
        (codes ``37xx7x``) whose territory lies inside their host districts.
    unmatched_units
        Polygons with no table row: ``code``, ``name``, geometry (output CRS).
    total_population
        Sum over all table rows, matched or not.
    matched_population
        Sum over the matched rows (= ``units["population"].sum()``).
    groups
        Names of the priority-group share columns in ``units``.
    joined_by_name
        ``(name, table code, polygon code)`` of units joined by name because their codes
        differ (a unit renamed or recoded after an administrative change).
    outside_units
        Codes of matched units left out because they do not overlap the study area.
    """

    units: gpd.GeoDataFrame
    unmatched_rows: pd.DataFrame
    unmatched_units: gpd.GeoDataFrame
    total_population: float
    matched_population: float
    groups: tuple[str, ...] = field(default=())
    joined_by_name: tuple[tuple[str, str, str], ...] = field(default=())
    outside_units: tuple[str, ...] = field(default=())

    @property
    def crs(self) -> CRS:
        """CRS of ``units``."""
        return CRS(self.units.crs)


def read_census(
    boundaries: gpd.GeoDataFrame | PathArg,
    table: pd.DataFrame | PathArg,
    *,
    code_column: str | None = None,
    count_column: str | None = None,
    name_column: str | None = None,
    group_columns: Mapping[str, str | Sequence[str]] | None = None,
    group_table: pd.DataFrame | PathArg | None = None,
    coords: CoordSystem | str | None = None,
    boundary_code_column: str | None = None,
    boundary_name_column: str | None = None,
    add_to: Mapping[str, str] | None = None,
    area: StudyArea | None = None,
    crs: CRS | str | int | None = None,
) -> CensusResult:
    """Join census counts (CSV/XLSX) to boundary polygons by admin code (adcode).

    Parameters
    ----------
    boundaries
        Polygons with a ``code`` column, e.g. from :func:`planner.io.vector.read_boundaries`,
        or the path of a boundary file (read with ``coords``).
    table
        CSV (UTF-8/GBK) or XLSX file, or a DataFrame, with one row per unit. Codes are read
        as text (``370102``; ``370102.0`` from Excel numbers is accepted).
    code_column
        Column of the admin code. Default ``CODE`` when present, else the column whose
        values are admin codes matching the polygons' (found by content).
    count_column
        Column of the population count. Default the first of ``POPU``, ``population``,
        ``人口``, ``常住人口``, ``总人口`` present.
    name_column
        Column of unit names in the table; default ``NAME`` / ``name`` / ``名称`` when
        present, else the polygons' names are used. A table row whose code has no polygon
        is joined by name to a polygon whose code has no row (即墨区 is 370282 in older
        boundaries and 370215 in the 2020 census), logged and kept in ``joined_by_name``.
    group_columns
        Priority groups: ``{group name: share column}``. A value may also be a sequence of
        columns whose shares are added up, e.g. ``{"aged_60_plus": AGED_60_PLUS_COLUMNS}``
        (``AGES_60-64`` + ``AGES_65P`` of the census age table). Shares are fractions in
        [0, 1]; a column whose values all lie in [0, 100] with some above 1 is read as
        percentages and divided by 100 (logged). Summed shares may exceed 1 by rounding
        up to 0.001 (then set to 1); more is an error.
    group_table
        A second table (file or DataFrame) holding the group columns, keyed by the same
        ``code_column`` (e.g. ``shandong_ages_2020_county.csv``). Every code of ``table``
        must be in it.
    coords
        Declared lon/lat system of a boundary *file* (``"gcj02"`` for DataV/AMap exports).
    boundary_code_column, boundary_name_column
        Code and name columns of a boundary file (found automatically when omitted:
        ``adcode``, ``code``, ``division_code`` … or by content).
    add_to
        ``{unit code: host code}``: add a row's count (and its group members) to another
        row before joining, for units without a polygon of their own such as Shandong's
        development zones (``{"370671": "370613"}``: 烟台高新区 into 莱山区).
    area
        Study area: the result is in ``area.crs``; only units that overlap it are kept
        (the others are listed in ``outside_units``), and a table whose matched units all
        lie outside it is an error. Units are not clipped: spread them over cells and keep
        the cells inside the area.
    crs
        Output CRS when no ``area`` is given (projected). Default: the UTM zone of the
        boundaries.

    Returns
    -------
    CensusResult

    Raises
    ------
    ColumnError
        The code, count, name or a group column is missing.
    DuplicateIdError
        A code appears twice in the table (or in the group table).
    InvalidValueError
        A count that is empty, NaN, not a number or negative; a share outside [0, 1] (or
        0-100); a code without a group-table row.
    CRSError, CoordinateError
        Boundaries without CRS; no matched unit inside ``area``.

    Examples
    --------
    >>> res = read_census("counties_gcj02.geojson", "population_2020.csv",
    ...                   coords="gcj02",
    ...                   group_columns={"aged_60_plus": AGED_60_PLUS_COLUMNS},
    ...                   group_table="ages_2020.csv")  # doctest: +SKIP
    >>> res.total_population, len(res.unmatched_rows)  # doctest: +SKIP
    (101527453.0, 17)
    """
    polys, bpath = _census_boundaries(
        boundaries, coords, code_column=boundary_code_column, name_column=boundary_name_column
    )
    tpath = table if not isinstance(table, pd.DataFrame) else "census table"
    df = _as_table(table, what="census table")
    if code_column is None:
        code_column = "CODE" if "CODE" in df.columns else None
        code_column = code_column or admin_code_column(df, prefer=polys["code"].tolist())
        code_column = code_column or "CODE"
    if count_column is None:
        count_column = next((c for c in _COUNT_COLUMNS if c in df.columns), _COUNT_COLUMNS[0])
    for col in (code_column, count_column):
        if col not in df.columns:
            what = "admin code" if col == code_column else "population count"
            raise ColumnError(
                f"the {what} column '{col}' is missing (columns: {', '.join(df.columns)})",
                path=tpath,
                column=col,
                fix=f"name the {what} column with "
                + ("code_column=" if col == code_column else "count_column="),
            )
    if name_column is not None and name_column not in df.columns:
        raise ColumnError(
            f"name column '{name_column}' is missing (columns: {', '.join(df.columns)})",
            path=tpath,
            column=name_column,
            fix="name an existing column, or leave name_column out",
        )
    if name_column is None:
        name_column = next((c for c in _NAME_COLUMNS if c in df.columns), None)

    codes = _codes(df[code_column], path=tpath, column=code_column)
    df = df.assign(**{code_column: codes})
    check_unique(df, code_column, path=tpath)
    population = _counts(df, count_column, path=tpath)

    groups = dict(group_columns or {})
    shares = _group_shares(df, groups, group_table, code_column=code_column, path=tpath)
    if add_to:
        df, population, shares = _add_to_hosts(
            df, population, shares, add_to, code_column=code_column, path=tpath
        )
        codes = df[code_column]

    rows = pd.DataFrame(
        {
            "code": codes.to_numpy(),
            "name": (
                df[name_column].astype("string").to_numpy(dtype=object)
                if name_column is not None
                else np.full(len(df), None, dtype=object)
            ),
            "population": population.to_numpy(dtype=np.float64),
            "row": [sheet_row(i) for i in df.index],
        }
    )
    for g, s in shares.items():
        rows[g] = s

    by_name = _join_renamed(rows, polys)
    if by_name:
        recode = {t: pc for _, t, pc in by_name}
        rows["code"] = rows["code"].map(lambda c: recode.get(c, c))
        log.info(
            "%s: joined by name (codes differ): %s",
            tpath,
            ", ".join(f"{n} (table {t}, boundaries {pc})" for n, t, pc in by_name),
        )
    poly_codes = set(polys["code"])
    matched_mask = rows["code"].isin(poly_codes).to_numpy()
    unmatched_rows = rows.loc[~matched_mask, ["code", "name", "population", "row"]].reset_index(
        drop=True
    )
    matched = rows.loc[matched_mask].drop(columns="row")
    total = float(rows["population"].sum())
    matched_pop = float(matched["population"].sum())
    if len(unmatched_rows) and area is None:
        _warn_unmatched(unmatched_rows, total, tpath, bpath)
    if not matched_mask.any():
        raise InvalidValueError(
            f"no code of the table matches a polygon code (table codes e.g."
            f" {', '.join(rows['code'].head(3))}; polygon codes e.g."
            f" {', '.join(sorted(poly_codes)[:3])})",
            path=tpath,
            column=code_column,
            fix="check code_column and that the table and the boundaries use the same codes",
        )

    poly_mask = polys["code"].isin(set(rows["code"])).to_numpy()
    unmatched_units = polys.loc[~poly_mask, ["code", "name", "geometry"]].reset_index(drop=True)
    if len(unmatched_units):
        log.warning(
            "%s: %d polygon(s) have no row in %s (no population): %s",
            bpath,
            len(unmatched_units),
            tpath,
            ", ".join(unmatched_units["code"].head(20)),
        )

    joined = polys.loc[poly_mask, ["code", "name", "geometry"]].merge(
        matched, on="code", how="left", suffixes=("_poly", "")
    )
    joined["name"] = joined["name"].where(joined["name"].notna(), joined["name_poly"])
    joined = joined[["code", "name", "population", *shares.keys(), "geometry"]]
    units = gpd.GeoDataFrame(joined, geometry="geometry", crs=polys.crs)

    out_crs = _output_crs(area, crs, where=str(tpath))
    if out_crs is None:
        west, south, east, north = units.to_crs(4326).total_bounds
        out_crs = choose_crs((west + east) / 2.0, (south + north) / 2.0)
    units = units.to_crs(out_crs)
    unmatched_units = gpd.GeoDataFrame(unmatched_units, geometry="geometry", crs=polys.crs)
    unmatched_units = unmatched_units.to_crs(out_crs)
    outside: tuple[str, ...] = ()
    if area is not None:
        geom = area.geometry
        shapely.prepare(geom)
        inside = np.asarray(shapely.intersects(geom, units.geometry.values))
        # a shared border is not an overlap: keep units with some area inside
        overlap = np.zeros(len(units), dtype=float)
        overlap[inside] = shapely.area(shapely.intersection(units.geometry.values[inside], geom))
        inside &= overlap > _OVERLAP_M2
        if not inside.any():
            raise CoordinateError(
                f"none of the {len(units)} matched unit(s) overlaps the study area '{area.name}'",
                path=bpath,
                fix="check the declared coordinate system of the boundaries and the study area",
            )
        outside = tuple(units["code"].to_numpy()[~inside].tolist())
        if outside:
            log.info(
                "%s: %d of %d unit(s) lie outside the study area and are left out",
                tpath,
                len(outside),
                len(units),
            )
            units = units.loc[inside].reset_index(drop=True)
            matched_pop = float(units["population"].sum())
        # rows without a polygon that may belong to the area: those of its cities (37xxyy)
        cities = {str(c)[:4] for c in units["code"]}
        local = unmatched_rows[unmatched_rows["code"].astype(str).str[:4].isin(cities)]
        if len(local):
            _warn_unmatched(local, total, tpath, bpath)
    units.attrs["groups"] = tuple(shares)
    log.info(
        "%s: %d unit(s) matched, population %.0f of %.0f",
        tpath,
        len(units),
        matched_pop,
        total,
    )
    return CensusResult(
        units=units,
        unmatched_rows=unmatched_rows,
        unmatched_units=unmatched_units,
        total_population=total,
        matched_population=matched_pop,
        groups=tuple(shares),
        joined_by_name=tuple(by_name),
        outside_units=outside,
    )


def _warn_unmatched(rows: pd.DataFrame, total: float, tpath: PathArg, bpath: str) -> None:
    listed = ", ".join(
        f"{n} ({c}, {p:,.0f})"
        for c, n, p in zip(
            rows["code"].head(20), rows["name"].head(20), rows["population"].head(20), strict=True
        )
    )
    more = " …" if len(rows) > 20 else ""
    log.warning(
        "%s: %d row(s) holding %.0f people (%.2f %% of the table) have a code with no polygon"
        " in %s and are not counted: %s%s. In Shandong the codes 37xx7x are development zones"
        " inside their host districts: if one is demand of this study, add its people to its"
        ' host: [inputs.population] add_to = { "<code>" = "<host code>" }',
        tpath,
        len(rows),
        float(rows["population"].sum()),
        100.0 * float(rows["population"].sum()) / total if total else 0.0,
        bpath,
        listed,
        more,
    )


def _census_boundaries(
    boundaries: gpd.GeoDataFrame | PathArg,
    coords: CoordSystem | str | None,
    *,
    code_column: str | None = None,
    name_column: str | None = None,
) -> tuple[gpd.GeoDataFrame, str]:
    if isinstance(boundaries, gpd.GeoDataFrame):
        where = "boundaries"
        if boundaries.crs is None:
            raise CRSError(
                "the boundary polygons have no CRS",
                path=where,
                fix="read them with planner.io.vector.read_boundaries, or set_crs()",
            )
        if "code" not in boundaries.columns:
            raise ColumnError(
                "the boundary polygons have no 'code' column",
                path=where,
                column="code",
                fix="read them with planner.io.vector.read_boundaries (finds adcode/code)",
            )
        polys = boundaries.copy()
        polys["code"] = _codes(polys["code"], path=where, column="code").to_numpy()
        check_unique(polys, "code", path=where)
        if "name" not in polys.columns:
            polys["name"] = polys["code"]
        return polys, where
    polys = read_boundaries(
        boundaries, coords=coords, code_column=code_column, name_column=name_column
    )
    return polys, str(boundaries)


def _normal_name(name: object) -> str:
    return "".join(str(name).split()) if isinstance(name, str) else ""


def _join_renamed(rows: pd.DataFrame, polys: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(name, table code, polygon code) of rows and polygons without a code match that share a
    unique name."""
    poly_codes = set(polys["code"])
    row_codes = set(rows["code"])
    lone_rows = rows[~rows["code"].isin(poly_codes)]
    lone_polys = polys[~polys["code"].isin(row_codes)]
    if len(lone_rows) == 0 or len(lone_polys) == 0:
        return []
    names = lone_polys["name"].map(_normal_name)
    unique = names[~names.duplicated(keep=False) & (names != "")]
    code_of = dict(zip(unique, lone_polys.loc[unique.index, "code"], strict=True))
    rnames = lone_rows["name"].map(_normal_name)
    rnames = rnames[~rnames.duplicated(keep=False)]
    out = []
    for i, n in rnames.items():
        if n in code_of:
            out.append((str(lone_rows.at[i, "name"]), str(lone_rows.at[i, "code"]), code_of[n]))
    return out


def _add_to_hosts(
    df: pd.DataFrame,
    population: pd.Series,
    shares: dict[str, NDArray[np.float64]],
    add_to: Mapping[str, str],
    *,
    code_column: str,
    path: PathArg,
) -> tuple[pd.DataFrame, pd.Series, dict[str, NDArray[np.float64]]]:
    """Move each ``add_to`` row's count (and group members) to its host row; drop the row."""
    codes = df[code_column].tolist()
    pos = {c: i for i, c in enumerate(codes)}
    pop = population.to_numpy(dtype=np.float64).copy()
    members = {g: s * pop for g, s in shares.items()}
    drop = []
    for zone, host in add_to.items():
        for c in (zone, host):
            if c not in pos:
                raise InvalidValueError(
                    f"add_to names code {c}, which is not in the table",
                    path=path,
                    column=code_column,
                    fix='give codes of the table (e.g. add_to = { "370671" = "370613" })',
                )
        if zone in add_to.values():
            raise InvalidValueError(
                f"add_to: {zone} is both added to another unit and a host", path=path
            )
        z, h = pos[zone], pos[host]
        pop[h] += pop[z]
        for g in members:
            members[g][h] += members[g][z]
        drop.append(z)
        log.info("census: %s (%.0f people) added to %s", zone, population.iloc[z], host)
    keep = np.setdiff1d(np.arange(len(df)), drop)
    new_pop = pop[keep]
    new_shares = {
        g: np.divide(m[keep], new_pop, out=np.zeros_like(new_pop), where=new_pop > 0)
        for g, m in members.items()
    }
    out = df.iloc[keep]
    return out, pd.Series(new_pop, index=out.index), new_shares


def _as_table(table: pd.DataFrame | PathArg, *, what: str) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        df = table.copy()
        df.columns = [str(c).strip() for c in df.columns]
        return df.reset_index(drop=True)
    return read_table(table, what=what)


_EXCEL_INT = re.compile(r"^(\d+)\.0*$")


def _codes(values: pd.Series, *, path: PathArg, column: str) -> pd.Series:
    """Admin codes as stripped text; ``370102.0`` (Excel number) becomes ``370102``."""
    text = values.map(lambda v: _code_text(v)).astype(object)
    empty = text.isna() | (text == "")
    if empty.any():
        i = int(np.flatnonzero(empty.to_numpy())[0])
        raise InvalidValueError(
            f"empty admin code ({int(empty.sum())} such row(s))",
            path=path,
            row=sheet_row(values.index[i]),
            column=column,
            fix="fill in the 6-digit admin code (行政区划代码) of every row",
        )
    return text


def _code_text(v: object) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    s = str(v).strip()
    m = _EXCEL_INT.match(s)
    return m.group(1) if m else s


_NAN_WORDS = {"nan", "na", "n/a", "null", "none", "-"}


def _counts(df: pd.DataFrame, column: str, *, path: PathArg) -> pd.Series:
    raw = df[column]
    text = raw.astype("string").str.strip().str.lower()
    nan_word = text.isin(_NAN_WORDS).fillna(False).to_numpy(dtype=bool)
    if nan_word.any():
        i = int(np.flatnonzero(nan_word)[0])
        raise InvalidValueError(
            f"{raw.iloc[i]!r} is not a population count ({int(nan_word.sum())} such row(s))",
            path=path,
            row=sheet_row(raw.index[i]),
            column=column,
            fix="fill in the count (0 if nobody lives there)",
        )
    if raw.dtype.kind in "fiu":  # a DataFrame given directly may hold numbers
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() | ~np.isfinite(values.fillna(0))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InvalidValueError(
                f"count is {raw.iloc[i]} ({int(bad.sum())} such row(s))",
                path=path,
                row=sheet_row(raw.index[i]),
                column=column,
                fix="fill in every count",
            )
        neg = values < 0
        if neg.any():
            i = int(np.flatnonzero(neg.to_numpy())[0])
            raise InvalidValueError(
                f"value {values.iloc[i]} is below the minimum 0",
                path=path,
                row=sheet_row(raw.index[i]),
                column=column,
                fix="population counts cannot be negative",
            )
        return values.astype(float)
    return to_number(df, column, path=path, minimum=0.0)


def _group_shares(
    df: pd.DataFrame,
    groups: Mapping[str, str | Sequence[str]],
    group_table: pd.DataFrame | PathArg | None,
    *,
    code_column: str,
    path: PathArg,
) -> dict[str, NDArray[np.float64]]:
    """Validated share (0-1) per group, aligned with the rows of ``df``."""
    if not groups:
        return {}
    reserved = {"code", "name", "population", "row", "geometry"}
    for g in groups:
        if g in reserved or (g.endswith("_population") and g[: -len("_population")] in groups):
            raise InvalidValueError(
                f"group name '{g}' clashes with an output column",
                path=path,
                fix="choose another group name, e.g. 'aged_60_plus'",
            )
    source = df
    spath: PathArg = path
    if group_table is not None:
        spath = group_table if not isinstance(group_table, pd.DataFrame) else "group table"
        gdf = _as_table(group_table, what="group table")
        if code_column not in gdf.columns:
            raise ColumnError(
                f"the admin code column '{code_column}' is missing from the group table",
                path=spath,
                column=code_column,
                fix="key the group table by the same code column as the census table",
            )
        gdf = gdf.assign(**{code_column: _codes(gdf[code_column], path=spath, column=code_column)})
        check_unique(gdf, code_column, path=spath)
        pos = pd.Index(gdf[code_column]).get_indexer(df[code_column])
        missing = pos < 0
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise InvalidValueError(
                f"code {df[code_column].iloc[i]} has no row in the group table {spath}"
                f" ({int(missing.sum())} such code(s))",
                path=path,
                row=sheet_row(df.index[i]),
                column=code_column,
                fix="add the missing rows to the group table, or leave group_columns out",
            )
        extra = len(gdf) - len(set(pos.tolist()))
        if extra:
            log.info("%s: %d row(s) have no census row and are not used", spath, extra)
        source = gdf.iloc[pos].set_axis(df.index)
    out: dict[str, NDArray[np.float64]] = {}
    for g, spec in groups.items():
        columns = [spec] if isinstance(spec, str) else list(spec)
        if not columns:
            raise InvalidValueError(
                f"group '{g}' names no column", path=spath, fix="give at least one share column"
            )
        total = np.zeros(len(df), dtype=np.float64)
        for col in columns:
            total += _share_column(source, col, path=spath)
        over = total > 1.0 + _SHARE_SUM_TOLERANCE
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise InvalidValueError(
                f"the shares of group '{g}' ({' + '.join(columns)}) add up to {total[i]:.4g},"
                f" more than 1 ({int(over.sum())} such row(s))",
                path=spath,
                row=sheet_row(source.index[i]),
                column=columns[0],
                fix="name share columns that do not overlap (e.g. AGES_60-64 and AGES_65P)",
            )
        out[g] = np.minimum(total, 1.0)
    return out


def _share_column(df: pd.DataFrame, column: str, *, path: PathArg) -> NDArray[np.float64]:
    if column not in df.columns:
        raise ColumnError(
            f"share column '{column}' is missing (columns: {', '.join(map(str, df.columns))})",
            path=path,
            column=column,
            fix="name an existing column in group_columns",
        )
    if df[column].dtype.kind in "fiu":
        values = pd.to_numeric(df[column]).astype(float)
        if values.isna().any():
            i = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise InvalidValueError(
                "empty share", path=path, row=sheet_row(df.index[i]), column=column
            )
    else:
        values = to_number(df, column, path=path)
    v = values.to_numpy(dtype=np.float64)
    neg = v < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise InvalidValueError(
            f"share {v[i]:g} is negative ({int(neg.sum())} such row(s))",
            path=path,
            row=sheet_row(df.index[i]),
            column=column,
            fix="shares are fractions between 0 and 1 (or percentages 0-100)",
        )
    vmax = float(v.max()) if v.size else 0.0
    if vmax > 100.0:
        i = int(np.argmax(v > 100.0))
        raise InvalidValueError(
            f"share {v[i]:g} is above 100 — neither a fraction (0-1) nor a percentage (0-100)",
            path=path,
            row=sheet_row(df.index[i]),
            column=column,
            fix="give shares as fractions 0-1 or percentages 0-100, not counts",
        )
    if vmax > 1.0:
        log.info("%s: column '%s' holds percentages (max %g); divided by 100", path, column, vmax)
        v = v / 100.0
    return np.asarray(v, dtype=np.float64)

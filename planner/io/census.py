"""Census counts by admin polygon: join a table to boundaries by code, spread over cells.

- :func:`read_census` joins a census table (e.g. 第七次人口普查 by county, ``CODE, NAME,
  POPU``) to boundary polygons by admin code and reports the rows and polygons that do
  not match (Shandong's 17 development-zone codes ``37xx7x`` have no polygon).
- :func:`census_to_cells` spreads each polygon's count over a square grid by area, or over
  a weight layer (raster cells, building points), keeping every unit's total exactly.
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

from planner import settings
from planner.errors import (
    ColumnError,
    CoordinateError,
    CRSError,
    GeometryError,
    InvalidValueError,
)
from planner.io._tables import check_unique, read_table, sheet_row, to_number
from planner.io.coords import CoordSystem
from planner.io.crs import StudyArea, choose_crs
from planner.io.population import _grid_ids, _output_crs
from planner.io.vector import read_boundaries

__all__ = [
    "AGED_60_PLUS_COLUMNS",
    "AGED_65_PLUS_COLUMNS",
    "CensusResult",
    "census_to_cells",
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

#: Refuse to build more candidate grid cells than this in :func:`census_to_cells`.
_MAX_CANDIDATE_CELLS = 20_000_000

_NAME_COLUMNS = ("NAME", "name", "名称", "区县", "地区")


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
    """

    units: gpd.GeoDataFrame
    unmatched_rows: pd.DataFrame
    unmatched_units: gpd.GeoDataFrame
    total_population: float
    matched_population: float
    groups: tuple[str, ...] = field(default=())

    @property
    def crs(self) -> CRS:
        """CRS of ``units``."""
        return CRS(self.units.crs)


def read_census(
    boundaries: gpd.GeoDataFrame | PathArg,
    table: pd.DataFrame | PathArg,
    *,
    code_column: str = "CODE",
    count_column: str = "POPU",
    name_column: str | None = None,
    group_columns: Mapping[str, str | Sequence[str]] | None = None,
    group_table: pd.DataFrame | PathArg | None = None,
    coords: CoordSystem | str | None = None,
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
    code_column, count_column
        Columns of the admin code and the population count.
    name_column
        Column of unit names in the table; default ``NAME`` / ``name`` / ``名称`` when
        present, else the polygons' names are used.
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
    area
        Study area: the result is in ``area.crs``; a table whose matched units all lie
        outside it is an error. Units are not clipped.
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
    polys, bpath = _census_boundaries(boundaries, coords)
    tpath = table if not isinstance(table, pd.DataFrame) else "census table"
    df = _as_table(table, what="census table")
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

    poly_codes = set(polys["code"])
    matched_mask = rows["code"].isin(poly_codes).to_numpy()
    unmatched_rows = rows.loc[~matched_mask, ["code", "name", "population", "row"]].reset_index(
        drop=True
    )
    matched = rows.loc[matched_mask].drop(columns="row")
    total = float(rows["population"].sum())
    matched_pop = float(matched["population"].sum())
    if len(unmatched_rows):
        shown = ", ".join(unmatched_rows["code"].head(20))
        more = " …" if len(unmatched_rows) > 20 else ""
        log.warning(
            "%s: %d table row(s) holding population %.0f (%.2f %% of %.0f) have a code with"
            " no polygon in %s: %s%s. They count in total_population but not in the units"
            " (in Shandong the codes 37xx7x are development zones inside their host"
            " districts: add their population to the host district if it is demand)",
            tpath,
            len(unmatched_rows),
            float(unmatched_rows["population"].sum()),
            100.0 * float(unmatched_rows["population"].sum()) / total if total else 0.0,
            total,
            bpath,
            shown,
            more,
        )
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
    if area is not None:
        geom = area.geometry
        shapely.prepare(geom)
        if not np.asarray(shapely.intersects(geom, units.geometry.values)).any():
            raise CoordinateError(
                f"none of the {len(units)} matched unit(s) overlaps the study area '{area.name}'",
                path=bpath,
                fix="check the declared coordinate system of the boundaries and the study area",
            )
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
    )


def _census_boundaries(
    boundaries: gpd.GeoDataFrame | PathArg, coords: CoordSystem | str | None
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
    polys = read_boundaries(boundaries, coords=coords)
    return polys, str(boundaries)


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


# --------------------------------------------------------------------------------------
# Census polygons → demand cells
# --------------------------------------------------------------------------------------


def census_to_cells(
    units: gpd.GeoDataFrame | CensusResult,
    *,
    cell_size_m: float = settings.CENSUS_CELL_SIZE_M,
    weights: gpd.GeoDataFrame | None = None,
    weight_column: str | None = "population",
    groups: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Spread each unit's population over cells, keeping every unit's total exactly.

    Parameters
    ----------
    units
        Polygons in a projected CRS with ``code`` and ``population`` (e.g.
        ``read_census(...).units``), or a :class:`CensusResult`.
    cell_size_m
        Side of the square grid (metres), anchored at multiples of ``cell_size_m`` in the
        units' CRS (the same grid as ``read_population_grid(..., aggregate_m=...)``).
    weights
        Optional weight layer: points (raster cells from :func:`read_population_grid`,
        building points …); other geometries are represented by a point on their surface.
        Each unit's count is split in proportion to the weights of the features inside it
        (a feature on a shared border goes to the first unit). A unit with no weight
        inside falls back to the area split (logged). Reprojected to the units' CRS when
        needed (logged).
    weight_column
        Column of ``weights`` holding the weight; ``None`` counts every feature as 1.
    groups
        Priority-group share columns of ``units`` to carry. Default: the groups of the
        :class:`CensusResult` (``units.attrs["groups"]``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per populated piece, ordered by unit then cell:

        - ``cell_id``: area split: ``"{unit_code}_r{row}c{col}"`` with ``row =
          floor(y / cell_size_m)``, ``col = floor(x / cell_size_m)`` (a grid cell cut by
          a unit border gives one piece per unit); weight split: the weight feature's
          ``cell_id`` when it has one, else ``"w{position}"``.
        - ``unit_code``, ``population``;
        - ``cell_area_m2``: area of the piece (cell ∩ unit) for the area split, the
          weight feature's ``cell_area_m2`` (else NaN) for the weight split;
        - per group: ``<group>`` (the unit's share) and ``<group>_population``;
        - geometry: the cell centre when the cell lies wholly inside the unit, else the
          centroid of the piece (or a point on it when the centroid falls outside);
          for the weight split, the weight feature's point.

    Raises
    ------
    CRSError
        Units without CRS or in lon/lat degrees.
    ColumnError, DuplicateIdError, InvalidValueError, GeometryError
        Missing ``code``/``population``/group/weight column, repeated codes, negative or
        NaN counts or weights, a non-positive cell size, empty unit polygons.

    Examples
    --------
    >>> units = gpd.GeoDataFrame({"code": ["a"], "population": [1000.0]},
    ...     geometry=[shapely.box(0, 0, 1000, 1000)], crs=32651)
    >>> cells = census_to_cells(units, cell_size_m=500)
    >>> cells["population"].tolist()
    [250.0, 250.0, 250.0, 250.0]
    """
    if isinstance(units, CensusResult):
        if groups is None:
            groups = units.groups
        units = units.units
    if groups is None:
        groups = tuple(units.attrs.get("groups", ()))
    groups = tuple(groups)
    where = "units"
    if not (math.isfinite(cell_size_m) and cell_size_m > 0):
        raise InvalidValueError(
            f"cell_size_m must be a positive number of metres, got {cell_size_m!r}",
            path=where,
            fix="give e.g. cell_size_m=500",
        )
    if units.crs is None:
        raise CRSError("the units have no CRS", path=where, fix="set the CRS of the polygons")
    if not CRS(units.crs).is_projected:
        raise CRSError(
            f"the units are in {CRS(units.crs).name}, not a projected CRS (cells would be in"
            " degrees)",
            path=where,
            fix="use read_census(...).units, or units.to_crs(a UTM zone)",
        )
    for col in ("code", "population", *groups):
        if col not in units.columns:
            raise ColumnError(
                f"the units have no '{col}' column",
                path=where,
                column=col,
                fix="use read_census(...).units or add the column",
            )
    frame = units.reset_index(drop=True)
    codes = _codes(frame["code"], path=where, column="code")
    frame = frame.assign(code=codes.to_numpy())
    check_unique(frame, "code", path=where)
    pop = pd.to_numeric(frame["population"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(pop) | (pop < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"unit {frame['code'].iloc[i]} has population {frame['population'].iloc[i]}"
            f" ({int(bad.sum())} such unit(s))",
            path=where,
            column="population",
            fix="give every unit a count of 0 or more",
        )
    geoms = np.asarray(frame.geometry.values, dtype=object)
    empty = np.asarray(shapely.is_missing(geoms) | shapely.is_empty(geoms)) | (
        np.asarray(shapely.area(geoms), dtype=float) <= 0
    )
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise GeometryError(
            f"unit {frame['code'].iloc[i]} has no area ({int(empty.sum())} such unit(s))",
            path=where,
            fix="give every unit a polygon, or drop it",
        )
    share_cols = {}
    for g in groups:
        s = pd.to_numeric(frame[g], errors="coerce").to_numpy(dtype=np.float64)
        badg = ~np.isfinite(s) | (s < 0) | (s > 1)
        if badg.any():
            i = int(np.flatnonzero(badg)[0])
            raise InvalidValueError(
                f"unit {frame['code'].iloc[i]} has share {frame[g].iloc[i]}, not in [0, 1]",
                path=where,
                column=g,
                fix="give shares as fractions between 0 and 1",
            )
        share_cols[g] = s

    parts: list[pd.DataFrame] = []
    geoms_out: list[NDArray[np.object_]] = []
    area_units = np.arange(len(frame))
    if weights is not None:
        w_part, w_geoms, fallback = _weighted_pieces(
            frame, geoms, pop, weights, weight_column, where=where
        )
        parts.append(w_part)
        geoms_out.append(w_geoms)
        area_units = fallback
    if area_units.size:
        a_part, a_geoms = _area_pieces(frame, geoms, pop, area_units, cell_size_m)
        parts.append(a_part)
        geoms_out.append(a_geoms)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    all_geoms = np.concatenate(geoms_out) if geoms_out else np.zeros(0, dtype=object)
    # order by unit (input order), then as produced
    order = np.lexsort((np.arange(len(table)), table["_unit"].to_numpy()))
    table = table.iloc[order].reset_index(drop=True)
    all_geoms = all_geoms[order]
    unit_idx = table["_unit"].to_numpy()
    out = pd.DataFrame(
        {
            "cell_id": table["cell_id"].to_numpy(dtype=object),
            "unit_code": frame["code"].to_numpy(dtype=object)[unit_idx],
            "population": table["population"].to_numpy(dtype=np.float64),
            "cell_area_m2": table["cell_area_m2"].to_numpy(dtype=np.float64),
        }
    )
    for g, s in share_cols.items():
        out[g] = s[unit_idx]
        out[f"{g}_population"] = out["population"] * out[g]
    keep = out["population"].to_numpy() > 0
    if not keep.all():
        log.debug("%d piece(s) with zero population left out", int((~keep).sum()))
        out = out.loc[keep].reset_index(drop=True)
        all_geoms = all_geoms[keep]
    gdf = gpd.GeoDataFrame(out, geometry=list(all_geoms), crs=units.crs)
    gdf.attrs["groups"] = groups
    log.info(
        "%d unit(s), population %.0f, spread over %d cell piece(s)",
        len(frame),
        float(pop.sum()),
        len(gdf),
    )
    return gdf


def _area_pieces(
    frame: gpd.GeoDataFrame,
    geoms: NDArray[np.object_],
    pop: NDArray[np.float64],
    which: NDArray[np.int64],
    size_m: float,
) -> tuple[pd.DataFrame, NDArray[np.object_]]:
    """Split the units ``which`` over grid cells by intersection area."""
    bounds = np.asarray(shapely.bounds(geoms[which]), dtype=float)
    c0 = np.floor(bounds[:, 0] / size_m).astype(np.int64)
    r0 = np.floor(bounds[:, 1] / size_m).astype(np.int64)
    c1 = np.floor(bounds[:, 2] / size_m).astype(np.int64)  # inclusive
    r1 = np.floor(bounds[:, 3] / size_m).astype(np.int64)
    ncol = c1 - c0 + 1
    nrow = r1 - r0 + 1
    counts = ncol * nrow
    n = int(counts.sum())
    if n > _MAX_CANDIDATE_CELLS:
        raise InvalidValueError(
            f"the units span {n:,} candidate cells of {size_m:g} m (limit"
            f" {_MAX_CANDIDATE_CELLS:,})",
            path="units",
            fix="use a larger cell_size_m, or fewer units at a time",
        )
    # Candidate (unit, cell) pairs: every cell of each unit's bounding box.
    unit_of = np.repeat(np.arange(which.size), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(n, dtype=np.int64) - start
    rr = r0[unit_of] + k // ncol[unit_of]
    cc = c0[unit_of] + k % ncol[unit_of]
    boxes = shapely.box(cc * size_m, rr * size_m, (cc + 1) * size_m, (rr + 1) * size_m)
    polys = geoms[which]
    shapely.prepare(polys)
    poly_of = polys[unit_of]
    hit = np.asarray(shapely.intersects(poly_of, boxes))
    unit_of, rr, cc, boxes, poly_of = (
        unit_of[hit],
        rr[hit],
        cc[hit],
        boxes[hit],
        poly_of[hit],
    )
    inside = np.asarray(shapely.contains_properly(poly_of, boxes))
    piece_area = np.full(unit_of.size, size_m * size_m, dtype=np.float64)
    points = shapely.points((cc + 0.5) * size_m, (rr + 0.5) * size_m)
    edge = np.flatnonzero(~inside)
    if edge.size:
        pieces = shapely.intersection(poly_of[edge], boxes[edge])
        piece_area[edge] = shapely.area(pieces)
        cen = shapely.centroid(pieces)
        ok = np.asarray(shapely.intersects(pieces, cen))
        cen[~ok] = shapely.point_on_surface(pieces[~ok])
        points[edge] = cen
    # Exact totals: each unit's count in proportion to its pieces' areas.
    unit_area = np.bincount(unit_of, weights=piece_area, minlength=which.size)
    units_global = which[unit_of]
    share = np.divide(
        piece_area, unit_area[unit_of], out=np.zeros_like(piece_area), where=unit_area[unit_of] > 0
    )
    population = pop[units_global] * share
    code = frame["code"].to_numpy(dtype=object)[units_global]
    ids = pd.Series(code).astype(str) + "_" + pd.Series(_grid_ids(rr, cc)).astype(str)
    table = pd.DataFrame(
        {
            "_unit": units_global,
            "cell_id": ids.to_numpy(dtype=object),
            "population": population,
            "cell_area_m2": piece_area,
        }
    )
    return table, np.asarray(points, dtype=object)


def _weighted_pieces(
    frame: gpd.GeoDataFrame,
    geoms: NDArray[np.object_],
    pop: NDArray[np.float64],
    weights: gpd.GeoDataFrame,
    weight_column: str | None,
    *,
    where: str,
) -> tuple[pd.DataFrame, NDArray[np.object_], NDArray[np.int64]]:
    """Split units by weight features; return the pieces and the units left for area split."""
    wpath = "weights"
    if weights.crs is None:
        raise CRSError("the weight layer has no CRS", path=wpath, fix="set its CRS")
    w = weights.reset_index(drop=True)
    if CRS(w.crs) != CRS(frame.crs):
        log.info("reprojecting %d weight feature(s) to %s", len(w), CRS(frame.crs).name)
        w = w.to_crs(frame.crs)
    if weight_column is None:
        wv = np.ones(len(w), dtype=np.float64)
    else:
        if weight_column not in w.columns:
            raise ColumnError(
                f"the weight layer has no '{weight_column}' column",
                path=wpath,
                column=weight_column,
                fix="name the weight column with weight_column=, or None to count features",
            )
        wv = pd.to_numeric(w[weight_column], errors="coerce").to_numpy(dtype=np.float64)
        badw = ~np.isfinite(wv) | (wv < 0)
        if badw.any():
            i = int(np.flatnonzero(badw)[0])
            raise InvalidValueError(
                f"feature {i + 1} has weight {w[weight_column].iloc[i]}"
                f" ({int(badw.sum())} such feature(s))",
                path=wpath,
                column=weight_column,
                fix="weights must be numbers of 0 or more",
            )
    wg = np.asarray(w.geometry.values, dtype=object)
    missing = np.asarray(shapely.is_missing(wg) | shapely.is_empty(wg))
    if missing.any():
        log.warning("weights: %d feature(s) without geometry not used", int(missing.sum()))
    not_point = ~missing & (np.asarray(shapely.get_type_id(wg)) != 0)
    if not_point.any():
        log.info("weights: %d non-point feature(s) placed at a point on them", not_point.sum())
        wg = wg.copy()
        wg[not_point] = shapely.point_on_surface(wg[not_point])
    tree = shapely.STRtree(geoms)
    usable = np.flatnonzero(~missing)
    pt_idx, unit_idx = tree.query(wg[usable], predicate="intersects")
    pt_idx = usable[pt_idx]
    # a point on a shared border: keep the first unit (lowest position), deterministic
    order = np.lexsort((unit_idx, pt_idx))
    pt_idx, unit_idx = pt_idx[order], unit_idx[order]
    first = np.ones(pt_idx.size, dtype=bool)
    first[1:] = pt_idx[1:] != pt_idx[:-1]
    pt_idx, unit_idx = pt_idx[first], unit_idx[first]
    outside = int(usable.size - pt_idx.size)
    if outside:
        log.info("weights: %d feature(s) fall outside every unit and are not used", outside)
    unit_w = np.bincount(unit_idx, weights=wv[pt_idx], minlength=len(frame))
    fallback = np.flatnonzero(unit_w <= 0)
    if fallback.size:
        log.warning(
            "%d unit(s) have no weight inside (%s); their population (%.0f) is spread by area",
            fallback.size,
            ", ".join(frame["code"].iloc[fallback[:10]]),
            float(pop[fallback].sum()),
        )
    use = unit_w[unit_idx] > 0
    pt_idx, unit_idx = pt_idx[use], unit_idx[use]
    population = pop[unit_idx] * wv[pt_idx] / unit_w[unit_idx]
    if "cell_id" in w.columns:
        ids = w["cell_id"].astype(str).to_numpy(dtype=object)[pt_idx]
    else:
        ids = ("w" + pd.Series(pt_idx).astype(str)).to_numpy(dtype=object)
    cell_area = (
        pd.to_numeric(w["cell_area_m2"], errors="coerce").to_numpy(dtype=np.float64)[pt_idx]
        if "cell_area_m2" in w.columns
        else np.full(pt_idx.size, np.nan)
    )
    table = pd.DataFrame(
        {
            "_unit": unit_idx,
            "cell_id": ids,
            "population": population,
            "cell_area_m2": cell_area,
        }
    )
    return table, np.asarray(wg[pt_idx], dtype=object), fallback

"""Flexible-worker demand per cell, priority-group weights, and sector demand at places.

- :func:`worker_demand` turns demand cells (population per cell, from
  :func:`planner.io.population.read_population_grid` or
  :func:`planner.io.spread.census_to_cells`) into flexible-worker demand: population × a
  participation rate, which may differ between urban and rural cells, plus per-group
  demand and an equity ``weight`` that counts the groups 鲁人社字〔2024〕44号 asks to serve
  first (older workers, low-income households, disabled people) more than once.
- :func:`sector_demand` gives the gig demand of a park, building-material market or mall:
  its workforce × the gig share of its sector.
- :func:`demand_summary` adds cell demand up by unit (township, county) or any column.

The participation rate and gig shares are planning assumptions (see
:data:`planner.settings.PARTICIPATION_RATE_URBAN` and
:data:`planner.settings.SECTOR_GIG_SHARE` for the basis); set them per study.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import settings
from planner.errors import ColumnError, InvalidValueError
from planner.io._tables import sheet_row

__all__ = ["demand_summary", "sector_demand", "worker_demand"]

log = logging.getLogger(__name__)

_POP_SUFFIX = "_population"


# --------------------------------------------------------------------------------------
# Demand per cell
# --------------------------------------------------------------------------------------


def worker_demand(
    cells: gpd.GeoDataFrame,
    *,
    rate_urban: float = settings.PARTICIPATION_RATE_URBAN,
    rate_rural: float = settings.PARTICIPATION_RATE_RURAL,
    urban_density_per_km2: float = settings.URBAN_DENSITY_PER_KM2,
    priority_weights: Mapping[str, float] | None = None,
) -> gpd.GeoDataFrame:
    """Flexible-worker demand per cell, with urban/rural rates and priority-group weights.

    Parameters
    ----------
    cells
        Demand cells with ``population`` (people per cell, ≥ 0) and ``cell_area_m2`` (> 0),
        e.g. from :func:`~planner.io.population.read_population_grid` or
        :func:`~planner.io.spread.census_to_cells`. Priority groups come as a share column
        ``<group>`` (0-1) and/or a count column ``<group>_population`` (what
        ``census_to_cells`` writes).
    rate_urban, rate_rural
        Share of residents who are flexible workers in urban and rural cells (0-1).
        Default :data:`planner.settings.PARTICIPATION_RATE_URBAN` / ``_RURAL`` (0.14, the
        NBS national share of flexible workers in 2021, an upper bound for gig-market
        users: set them per study).
    urban_density_per_km2
        A cell is urban when ``population / cell_area_m2 × 1e6`` is at least this. Default
        1,500 inh/km², the GHSL degree-of-urbanisation density of urban centres (300 is
        its urban-cluster density). Cells are classed one by one, without GHSL's
        contiguity and size rules.
    priority_weights
        Extra weight per priority group, e.g. ``{"aged_60_plus": 1.0}``. A cell's
        ``weight`` is ``demand × (1 + Σ_g w_g × share_g)``: with a weight of 1 an older
        worker counts twice, with 0.5 one and a half times. Each group needs a
        ``<group>`` share or a ``<group>_population`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``cells`` with, added (or replaced):

        - ``density_per_km2``: population per km²;
        - ``urban``: bool, density ≥ ``urban_density_per_km2``;
        - ``rate``: the participation rate applied (``rate_urban`` or ``rate_rural``);
        - ``demand``: ``population × rate`` (flexible workers);
        - ``<group>_demand`` for every group found (a ``<group>_population`` column, else a
          share listed in ``cells.attrs["groups"]`` or named in ``priority_weights``):
          ``<group>_population × rate``, else ``share × demand``;
        - ``weight``: ``demand × (1 + Σ_g w_g × share_g)``, where ``share_g`` is the
          ``<group>`` column, else ``<group>_population / population`` (0 for empty
          cells); equal to ``demand`` without ``priority_weights``.

    Raises
    ------
    ColumnError
        No ``population`` or ``cell_area_m2`` column; a ``priority_weights`` group with
        neither ``<group>`` nor ``<group>_population``.
    InvalidValueError
        Negative, NaN or infinite population; a cell area that is not positive; a rate
        outside [0, 1]; a non-positive density threshold; a negative or non-finite
        priority weight; a group share outside [0, 1] or a group count above the
        population.

    Examples
    --------
    >>> import shapely
    >>> cells = gpd.GeoDataFrame(
    ...     {"population": [2000.0, 100.0], "cell_area_m2": [1e6, 1e6],
    ...      "aged_60_plus": [0.25, 0.5]},
    ...     geometry=[shapely.Point(0, 0), shapely.Point(1000, 0)], crs=32650)
    >>> out = worker_demand(cells, rate_urban=0.1, rate_rural=0.05,
    ...                     priority_weights={"aged_60_plus": 1.0})
    >>> out[["urban", "demand", "aged_60_plus_demand", "weight"]].values.tolist()
    [[True, 200.0, 50.0, 250.0], [False, 5.0, 2.5, 7.5]]
    """
    where = "cells"
    for name, value in (("rate_urban", rate_urban), ("rate_rural", rate_rural)):
        if not _is_number(value) or not 0.0 <= float(value) <= 1.0:
            raise InvalidValueError(
                f"{name} must be a share between 0 and 1, got {value!r}",
                key=name,
                fix=f"give e.g. {name}=0.05 (5 % of residents); 14 % is the national share"
                " of all flexible workers",
            )
    if not _is_number(urban_density_per_km2) or not float(urban_density_per_km2) > 0:
        raise InvalidValueError(
            f"urban_density_per_km2 must be a positive number, got {urban_density_per_km2!r}",
            key="urban_density_per_km2",
            fix="give e.g. 1500 (GHSL urban centre) or 300 (GHSL urban cluster)",
        )
    pop = _numeric_column(cells, "population", where=where, fix_missing=_POP_FIX)
    _check_values(cells, pop, "population", where=where, minimum=0.0)
    area = _numeric_column(
        cells,
        "cell_area_m2",
        where=where,
        fix_missing="pass cells from read_population_grid or census_to_cells (area split),"
        " which carry cell areas",
    )
    _check_values(cells, area, "cell_area_m2", where=where, positive=True)

    out = cells.copy()
    density = pop / area * 1e6
    urban = density >= float(urban_density_per_km2)
    rate = np.where(urban, float(rate_urban), float(rate_rural))
    demand = pop * rate
    out["density_per_km2"] = density
    out["urban"] = urban
    out["rate"] = rate
    out["demand"] = demand

    groups = _groups(cells, priority_weights)
    shares: dict[str, np.ndarray] = {}
    for g in groups:
        share, group_demand = _group_share(cells, g, pop, demand, rate, where=where)
        shares[g] = share
        out[f"{g}_demand"] = group_demand

    weight = demand.copy()
    if priority_weights:
        factor = np.ones(len(out))
        for g, w in priority_weights.items():
            if not _is_number(w) or not (math.isfinite(float(w)) and float(w) >= 0):
                raise InvalidValueError(
                    f"priority weight of group '{g}' must be a number >= 0, got {w!r}",
                    key=f"priority_weights.{g}",
                    fix="give e.g. 1.0 (a member of the group counts twice) or 0.5",
                )
            factor = factor + float(w) * shares[g]
        weight = demand * factor
    out["weight"] = weight
    log.info(
        "demand: %.0f flexible workers in %d cells (%d urban, %.0f people; rates %.3g urban,"
        " %.3g rural)",
        float(demand.sum()),
        len(out),
        int(urban.sum()),
        float(pop.sum()),
        rate_urban,
        rate_rural,
    )
    return out


_POP_FIX = "give a 'population' column (people per cell), e.g. from read_population_grid"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _label(df: pd.DataFrame, pos: int) -> str:
    """How a user finds row ``pos`` of an in-memory frame: its cell_id/place_id, else index."""
    for col in ("cell_id", "place_id", "name"):
        if col in df.columns:
            return f"{col} {df[col].iloc[pos]!r}"
    return f"index {df.index[pos]!r}"


def _numeric_column(df: pd.DataFrame, column: str, *, where: str, fix_missing: str) -> np.ndarray:
    if column not in df.columns:
        raise ColumnError(
            f"no '{column}' column (columns: {', '.join(map(str, df.columns[:12]))})",
            path=where,
            column=column,
            fix=fix_missing,
        )
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & df[column].notna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"{df[column].iloc[i]!r} at {_label(df, i)} is not a number"
            f" ({int(bad.sum())} such row(s))",
            path=where,
            column=column,
            fix="give plain numbers",
        )
    return values


def _check_values(
    df: pd.DataFrame,
    values: np.ndarray,
    column: str,
    *,
    where: str,
    minimum: float | None = None,
    positive: bool = False,
    maximum: float | None = None,
) -> None:
    checks: list[tuple[np.ndarray, str, str]] = [
        (np.isnan(values), "is empty (NaN)", "fill in every row"),
        (np.isinf(values), "is infinite", "give finite numbers"),
    ]
    finite = np.isfinite(values)
    if minimum is not None:
        checks.append(
            (finite & (values < minimum), f"is below {minimum:g}", f"values must be ≥ {minimum:g}")
        )
    if positive:
        checks.append((finite & (values <= 0), "is not positive", "values must be > 0"))
    if maximum is not None:
        checks.append(
            (finite & (values > maximum), f"is above {maximum:g}", f"values must be ≤ {maximum:g}")
        )
    for bad, what, fix in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidValueError(
                f"value {values[i]} at {_label(df, i)} {what} ({int(bad.sum())} such row(s))",
                path=where,
                column=column,
                fix=fix,
            )


def _groups(cells: pd.DataFrame, priority_weights: Mapping[str, float] | None) -> list[str]:
    """Priority groups present in ``cells``, in a stable order; unknown weighted groups raise."""
    found: list[str] = []
    for g in cells.attrs.get("groups", ()):
        if (g in cells.columns or f"{g}{_POP_SUFFIX}" in cells.columns) and g not in found:
            found.append(str(g))
    for col in cells.columns:
        name = str(col)
        if name.endswith(_POP_SUFFIX) and name != "population":
            g = name[: -len(_POP_SUFFIX)]
            if g and g not in found:
                found.append(g)
    for g in priority_weights or {}:
        if g in found:
            continue
        if g in cells.columns:
            found.append(g)
            continue
        known = ", ".join(found) if found else "none"
        raise ColumnError(
            f"priority group '{g}' has no '{g}' share column and no '{g}{_POP_SUFFIX}'"
            f" column (groups in the cells: {known})",
            path="cells",
            column=g,
            fix="name a group the cells carry (census_to_cells with group shares, e.g."
            " read_census(..., group_columns={'aged_60_plus': AGED_60_PLUS_COLUMNS})),"
            f" or add a '{g}' share column",
        )
    return found


def _group_share(
    cells: pd.DataFrame,
    group: str,
    pop: np.ndarray,
    demand: np.ndarray,
    rate: np.ndarray,
    *,
    where: str,
) -> tuple[np.ndarray, np.ndarray]:
    """(share, demand) of one group: from the share column, else from the count column."""
    count_col = f"{group}{_POP_SUFFIX}"
    share: np.ndarray | None = None
    if group in cells.columns:
        share = _numeric_column(cells, group, where=where, fix_missing="")
        _check_values(cells, share, group, where=where, minimum=0.0, maximum=1.0)
    if count_col in cells.columns:
        count = _numeric_column(cells, count_col, where=where, fix_missing="")
        _check_values(cells, count, count_col, where=where, minimum=0.0)
        over = count > pop * (1 + 1e-9) + 1e-9
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise InvalidValueError(
                f"{count[i]:g} people of group '{group}' at {_label(cells, i)} exceed the"
                f" cell's population {pop[i]:g}",
                path=where,
                column=count_col,
                fix="group counts must be part of the population",
            )
        if share is None:
            share = np.divide(count, pop, out=np.zeros_like(count), where=pop > 0)
        return share, count * rate
    if share is None:  # _groups only returns groups with one of the two columns
        raise ColumnError(f"no '{group}' or '{count_col}' column", path=where, column=group, fix="")
    return share, share * demand


# --------------------------------------------------------------------------------------
# Sector demand at places
# --------------------------------------------------------------------------------------


def sector_demand(
    places: gpd.GeoDataFrame,
    *,
    gig_share: Mapping[str, float] = settings.SECTOR_GIG_SHARE,
    default_workforce: float | None = None,
) -> gpd.GeoDataFrame:
    """Gig demand at parks, building-material markets and malls: workforce × sector gig share.

    Parameters
    ----------
    places
        Places with ``sector`` and ``workforce`` (e.g.
        :func:`planner.io.places.read_places`). The place's main ``sector`` (the first
        one its 行业 cell names) sets the share.
    gig_share
        Share of a sector's workforce counted as gig demand (0-1), by sector. Default
        :data:`planner.settings.SECTOR_GIG_SHARE` (planning assumptions: construction
        0.30 highest; set them per study).
    default_workforce
        Workforce assumed for places without one. Without it, a place with no workforce
        is an error naming its row.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``places`` with ``workforce`` (float; filled in where assumed),
        ``workforce_assumed`` (bool), ``gig_share`` and ``demand`` = workforce ×
        gig share, in row order.

    Raises
    ------
    ColumnError
        No ``sector`` or ``workforce`` column.
    InvalidValueError
        A place without workforce (and no ``default_workforce``), a negative workforce, a
        sector with no gig share, a share outside [0, 1].

    Examples
    --------
    >>> import shapely
    >>> places = gpd.GeoDataFrame(
    ...     {"name": ["建材城", "工业园"], "sector": ["construction", "manufacturing"],
    ...      "workforce": [700, 5000]},
    ...     geometry=[shapely.Point(0, 0), shapely.Point(1000, 0)], crs=32650)
    >>> sector_demand(places)["demand"].tolist()
    [210.0, 500.0]
    """
    where = "places"
    for sector, share in gig_share.items():
        if not _is_number(share) or not 0.0 <= float(share) <= 1.0:
            raise InvalidValueError(
                f"gig share of sector '{sector}' must be between 0 and 1, got {share!r}",
                key=f"gig_share.{sector}",
                fix="give a share, e.g. 0.3 for 30 % of the workforce",
            )
    if "sector" not in places.columns:
        raise ColumnError(
            "no 'sector' column",
            path=where,
            column="sector",
            fix="read the places with planner.io.places.read_places, or add a sector column",
        )
    workforce = _numeric_column(
        places,
        "workforce",
        where=where,
        fix_missing="add a 从业人数 (workforce) column to the places table",
    )
    missing = np.isnan(workforce)
    if missing.any():
        if default_workforce is None:
            i = int(np.flatnonzero(missing)[0])
            raise InvalidValueError(
                f"no workforce for {_place_label(places, i)} ({int(missing.sum())} place(s)"
                " without)",
                path=where,
                row=_row_of(places, i),
                column="workforce",
                fix="fill in 从业人数 for every place, or pass default_workforce=",
            )
        if not _is_number(default_workforce) or not (
            math.isfinite(float(default_workforce)) and float(default_workforce) >= 0
        ):
            raise InvalidValueError(
                f"default_workforce must be a number >= 0, got {default_workforce!r}",
                key="default_workforce",
                fix="give e.g. default_workforce=200",
            )
        log.warning(
            "%d place(s) without workforce take default_workforce=%g",
            int(missing.sum()),
            float(default_workforce),
        )
        workforce = np.where(missing, float(default_workforce), workforce)
    _check_values(places, workforce, "workforce", where=where, minimum=0.0)

    shares = np.empty(len(places))
    for pos, sector in enumerate(places["sector"].tolist()):
        if sector is None or (isinstance(sector, float) and math.isnan(sector)):
            raise InvalidValueError(
                f"no sector for {_place_label(places, pos)}",
                path=where,
                row=_row_of(places, pos),
                column="sector",
                fix="fill in 行业, or read the places with read_places (which gives each kind"
                " a default sector)",
            )
        if str(sector) not in gig_share:
            raise InvalidValueError(
                f"sector '{sector}' of {_place_label(places, pos)} has no gig share"
                f" (shares given for: {', '.join(gig_share)})",
                path=where,
                row=_row_of(places, pos),
                column="sector",
                fix=f"add '{sector}' to gig_share",
            )
        shares[pos] = float(gig_share[str(sector)])

    out = places.copy()
    out["workforce"] = workforce
    out["workforce_assumed"] = missing
    out["gig_share"] = shares
    out["demand"] = workforce * shares
    log.info(
        "sector demand: %.0f gig workers at %d place(s) (workforce %.0f)",
        float(out["demand"].sum()),
        len(out),
        float(workforce.sum()),
    )
    return out


def _place_label(places: pd.DataFrame, pos: int) -> str:
    parts = []
    for col in ("place_id", "name"):
        if col in places.columns and pd.notna(places[col].iloc[pos]):
            parts.append(str(places[col].iloc[pos]))
    return "place " + " ".join(parts) if parts else f"place at index {places.index[pos]!r}"


def _row_of(places: pd.DataFrame, pos: int) -> int | None:
    """Spreadsheet row of a place when its index is the reader's 0-based row index."""
    index = places.index[pos]
    if isinstance(index, int | np.integer) and isinstance(places.index, pd.RangeIndex):
        return sheet_row(int(index))
    return None


# --------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------


def demand_summary(cells: pd.DataFrame, by: str = "unit_code") -> pd.DataFrame:
    """Add cell demand up by a column (township/county code, ``urban`` …).

    Parameters
    ----------
    cells
        Output of :func:`worker_demand`.
    by
        Column to group by (default ``unit_code``, written by
        :func:`~planner.io.spread.census_to_cells`).

    Returns
    -------
    pandas.DataFrame
        One row per value of ``by`` (sorted): ``by``, ``n_cells``, ``population``,
        ``urban_population`` (people in urban cells), ``demand``, ``weight``, every
        ``<group>_demand`` column, and ``demand_share`` (of the total demand; NaN when
        the total is 0).

    Raises
    ------
    ColumnError
        ``by`` is not a column, or the cells lack the columns of :func:`worker_demand`.

    Examples
    --------
    >>> cells = pd.DataFrame({"unit_code": ["a", "a", "b"], "population": [10.0, 30.0, 60.0],
    ...     "urban": [False, True, True], "demand": [1.0, 3.0, 6.0], "weight": [1.0, 3.0, 6.0]})
    >>> demand_summary(cells)[["unit_code", "n_cells", "demand", "demand_share"]].values.tolist()
    [['a', 2, 4.0, 0.4], ['b', 1, 6.0, 0.6]]
    """
    needed = ("population", "urban", "demand", "weight")
    missing = [c for c in needed if c not in cells.columns]
    if missing:
        raise ColumnError(
            f"the cells have no {', '.join(repr(m) for m in missing)} column(s)",
            path="cells",
            column=missing[0],
            fix="run worker_demand(cells) first",
        )
    if by not in cells.columns:
        raise ColumnError(
            f"no '{by}' column to group by",
            path="cells",
            column=by,
            fix="group by a column the cells have, e.g. by='unit_code' (census_to_cells) or"
            " by='urban'",
        )
    nulls = cells[by].isna()
    if nulls.any():
        raise InvalidValueError(
            f"{int(nulls.sum())} cell(s) have no '{by}' value; their demand would be left out",
            path="cells",
            column=by,
            fix=f"fill in '{by}' for every cell",
        )
    group_cols = [
        str(c) for c in cells.columns if str(c).endswith("_demand") and str(c) != "demand"
    ]
    frame = pd.DataFrame(
        {
            by: cells[by].to_numpy(),
            "population": cells["population"].to_numpy(dtype=float),
            "urban_population": np.where(
                cells["urban"].to_numpy(dtype=bool), cells["population"].to_numpy(dtype=float), 0
            ),
            "demand": cells["demand"].to_numpy(dtype=float),
            "weight": cells["weight"].to_numpy(dtype=float),
            **{c: cells[c].to_numpy(dtype=float) for c in group_cols},
        }
    )
    g = frame.groupby(by, sort=True)
    out = g.sum()
    out.insert(0, "n_cells", g.size().astype("int64"))
    out = out.reset_index()
    total = float(out["demand"].sum())
    out["demand_share"] = out["demand"] / total if total > 0 else np.nan
    return out

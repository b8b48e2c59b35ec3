"""Capacity: expected daily attendance against a market's 容纳人数.

A market's catchment is the flexible-worker demand of the cells whose nearest serving
market of its tier it is (coverage's ``<tier>_market``); its expected daily attendance is
the catchment × :data:`planner.settings.DAILY_ATTENDANCE_SHARE` (the share of a catchment
that comes on a given day). A market whose expected attendance exceeds its capacity is
over-full. New sites are checked the same way against the capacity the study gives for
their tier (``[tiers.<tier>] capacity``).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import settings
from planner.analysis.coverage import Coverage

__all__ = ["market_load", "site_load"]


def market_load(
    cov: Coverage,
    markets: gpd.GeoDataFrame,
    *,
    attendance_share: float = settings.DAILY_ATTENDANCE_SHARE,
) -> pd.DataFrame:
    """Catchment, expected daily attendance and capacity of each existing market.

    Returns
    -------
    pandas.DataFrame
        ``market_id``, ``name``, ``tier``, ``catchment`` (workers), ``expected_daily``,
        ``capacity`` (NaN when the directory gives none), ``over_full`` (bool), in the
        markets' order.

    Examples
    --------
    >>> import shapely
    >>> from planner.analysis.coverage import TierRule
    >>> cells = gpd.GeoDataFrame({"demand": [600.0, 400.0, 50.0],
    ...     "station_market": ["A", "A", "B"], "station_covered": [True, True, True]},
    ...     geometry=[shapely.Point(0, 0)] * 3, crs=32651)
    >>> cov = Coverage(cells, {"station": TierRule("station", 15, ("walk",))}, "demand")
    >>> mk = gpd.GeoDataFrame({"market_id": ["A", "B"], "tier": ["station", "station"],
    ...     "capacity": [80, 80]}, geometry=[shapely.Point(0, 0)] * 2, crs=32651)
    >>> market_load(cov, mk)[["market_id", "expected_daily", "over_full"]].values.tolist()
    [['A', 100.0, True], ['B', 5.0, False]]
    """
    cells = cov.cells
    w = cells[cov.weight].to_numpy(dtype=float)
    rows = []
    for _, mk in markets.iterrows():
        tier = mk.get("tier")
        tier = tier if isinstance(tier, str) and f"{tier}_market" in cells else "station"
        col = f"{tier}_market"
        mid = str(mk.get("market_id", ""))
        catchment = (
            float(w[cells[col].astype(str).to_numpy() == mid].sum()) if col in cells else 0.0
        )
        cap = pd.to_numeric(pd.Series([mk.get("capacity")]), errors="coerce").iloc[0]
        expected = catchment * attendance_share
        rows.append(
            {
                "market_id": mid,
                "name": mk.get("name"),
                "tier": tier,
                "catchment": catchment,
                "expected_daily": expected,
                "capacity": float(cap) if pd.notna(cap) else float("nan"),
                "over_full": bool(pd.notna(cap) and expected > float(cap)),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "market_id",
            "name",
            "tier",
            "catchment",
            "expected_daily",
            "capacity",
            "over_full",
        ],
    )


def site_load(
    sites: gpd.GeoDataFrame,
    capacity: Mapping[str, float],
    *,
    attendance_share: float = settings.DAILY_ATTENDANCE_SHARE,
) -> pd.DataFrame:
    """Expected daily attendance of proposed sites against their tier's capacity.

    ``new_demand`` (the workers a site newly covers) × the attendance share; capacity from
    ``capacity`` by tier (NaN where the study gives none).
    """
    if len(sites) == 0:
        return pd.DataFrame(columns=["site_id", "tier", "expected_daily", "capacity", "over_full"])
    exp = sites["new_demand"].to_numpy(dtype=float) * attendance_share
    cap = np.array([capacity.get(str(t), np.nan) for t in sites["tier"]], dtype=float)
    return pd.DataFrame(
        {
            "site_id": sites["site_id"].astype(str).to_numpy(),
            "tier": sites["tier"].astype(str).to_numpy(),
            "expected_daily": exp,
            "capacity": cap,
            "over_full": np.isfinite(cap) & (exp > cap),
        }
    )

"""Upgrading an existing market instead of opening a new one nearby.

A proposed comprehensive or sector market a few minutes from an existing market of a lower
tier (a station, or for a comprehensive market also a sector market) could be had by
upgrading that market instead: same place for the workers who already go there, no new
premises. :func:`upgrade_options` finds such pairs and computes, for each, the coverage the
alternative gives: the plan with the proposed site left out and the existing market also
serving the proposed site's tier. The planner compares it with the plan's coverage; nothing
is assumed about how close "nearly the same" is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import settings
from planner.analysis.coverage import Coverage, Graphs, TierRule, coverage
from planner.analysis.plan import Plan, _nearest_existing

__all__ = ["LOWER_TIERS", "UpgradeOption", "plan_markets", "upgrade_options"]

log = logging.getLogger(__name__)

#: Existing market tiers a proposed site of each tier could be an upgrade of.
LOWER_TIERS: Mapping[str, tuple[str, ...]] = {
    "comprehensive": ("sector", "station"),
    "sector": ("station",),
}


@dataclass(frozen=True)
class UpgradeOption:
    """Upgrading an existing market instead of opening one proposed site.

    Attributes
    ----------
    site_id, tier
        The proposed site and its tier.
    market_id, market_name, market_tier
        The existing market that could be upgraded to ``tier`` instead.
    minutes
        Travel time from the proposed site to the market (fastest of the tier's modes).
    demand
        Per tier: the demand coverage is measured on (workers in the cells; for the sector
        tier, sector demand at the places when the plan has it).
    covered_plan, covered_alt
        Per tier: demand covered with the plan, and with the alternative (the plan without
        the proposed site, the existing market serving ``tier`` as well as its own).
    """

    site_id: str
    tier: str
    market_id: str
    market_name: str
    market_tier: str
    minutes: float
    demand: Mapping[str, float]
    covered_plan: Mapping[str, float]
    covered_alt: Mapping[str, float]

    def share_plan(self, tier: str) -> float:
        """Covered share of ``tier``'s demand with the plan."""
        d = self.demand[tier]
        return self.covered_plan[tier] / d if d else float("nan")

    def share_alt(self, tier: str) -> float:
        """Covered share of ``tier``'s demand with the upgrade instead of the new site."""
        d = self.demand[tier]
        return self.covered_alt[tier] / d if d else float("nan")

    def loss(self, tier: str) -> float:
        """Demand the plan covers and the alternative does not (negative: it covers more)."""
        return self.covered_plan[tier] - self.covered_alt[tier]


def plan_markets(markets: gpd.GeoDataFrame, plan: Plan) -> gpd.GeoDataFrame:
    """The existing markets and the proposed sites, as one market table (id, tier, geometry).

    This is the set the plan's ``after`` coverage was computed with.
    """
    cols = ["market_id", "tier", "geometry"]
    have = markets[[c for c in cols if c in markets]].copy()
    have["market_id"] = have["market_id"].astype(str)
    if len(plan.sites) == 0:
        return gpd.GeoDataFrame(have, geometry="geometry", crs=markets.crs)
    new = gpd.GeoDataFrame(
        {
            "market_id": plan.sites["site_id"].astype(str).to_numpy(),
            "tier": plan.sites["tier"].astype(str).to_numpy(),
        },
        geometry=plan.sites.geometry.to_numpy(),
        crs=plan.sites.crs,
    ).to_crs(markets.crs)
    return gpd.GeoDataFrame(pd.concat([have, new], ignore_index=True), crs=markets.crs)


def _covered(cov: Coverage) -> dict[str, float]:
    s = cov.summary().set_index("tier")
    return {str(t): float(s.loc[t, "covered"]) for t in s.index}


def upgrade_options(
    plan: Plan,
    markets: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    graphs: Graphs,
    *,
    rules: Mapping[str, TierRule],
    within_min: float = settings.UPGRADE_WITHIN_MIN,
    fallback: bool = False,
    weight: str = "demand",
) -> list[UpgradeOption]:
    """Proposed sites that an upgrade of a nearby existing market could replace.

    Parameters
    ----------
    plan
        The plan (:func:`planner.analysis.plan.make_plan`).
    markets
        The existing markets that serve (``market_id``, ``tier``, ``name``), in the cells' CRS.
    cells
        The demand cells the plan was made for.
    graphs
        The mode graphs the plan used.
    rules
        The tier rules the plan used.
    within_min
        Largest travel time from the proposed site to the existing market
        (:data:`planner.settings.UPGRADE_WITHIN_MIN`).
    fallback
        Straight-line times for modes without a graph (as the plan had).
    weight
        Demand column of the cells.

    Returns
    -------
    list of UpgradeOption
        One per proposed comprehensive or sector site with a lower-tier existing market
        within ``within_min``, the nearest such market, in the order of ``plan.sites``.
    """
    out: list[UpgradeOption] = []
    sites = plan.sites
    if len(sites) == 0 or len(markets) == 0 or "tier" not in markets:
        return out
    geom = markets.geometry
    placed = markets[geom.notna().to_numpy() & ~geom.is_empty.to_numpy()]
    full = plan_markets(placed, plan)
    names = dict(
        zip(
            placed["market_id"].astype(str),
            (placed["name"] if "name" in placed else placed["market_id"]).astype(str),
            strict=True,
        )
    )
    tiers_of = dict(zip(placed["market_id"].astype(str), placed["tier"].astype(str), strict=True))
    plan_cov = _covered(plan.after)
    summ = plan.after.summary()
    demand = {str(t): float(v) for t, v in zip(summ["tier"], summ["demand"], strict=True)}
    sector_pts = plan.sector_after.cells if plan.sector_after is not None else None
    if plan.sector_after is not None:
        plan_cov["sector"] = _covered(plan.sector_after)["sector"]
        demand["sector"] = float(plan.sector_after.summary()["demand"].iloc[0])
    for i in range(len(sites)):
        row = sites.iloc[i]
        tier = str(row["tier"])
        if tier not in LOWER_TIERS or tier not in rules:
            continue
        lower = placed[placed["tier"].astype(str).isin(LOWER_TIERS[tier])]
        if len(lower) == 0:
            continue
        ids, minutes = _nearest_existing(
            sites.iloc[[i]], lower, graphs, rules[tier].modes, fallback
        )
        mid, t = str(ids[0]), float(minutes[0])
        if not mid or not np.isfinite(t) or t > within_min:
            continue
        alt = full[full["market_id"] != str(row["site_id"])]
        raised = placed[placed["market_id"].astype(str) == mid][["market_id", "tier", "geometry"]]
        raised = raised.assign(market_id=f"{mid} (upgraded)", tier=tier)
        alt = gpd.GeoDataFrame(pd.concat([alt, raised], ignore_index=True), crs=full.crs)
        cov_alt = _covered(
            coverage(cells, alt, graphs, rules=rules, weight=weight, fallback=fallback)
        )
        if sector_pts is not None and "sector" in rules:
            sc = coverage(
                sector_pts, alt, graphs, rules={"sector": rules["sector"]}, fallback=fallback
            )
            cov_alt["sector"] = _covered(sc)["sector"]
        log.info(
            "%s: upgrading %s (%.1f min away) instead covers %s",
            row["site_id"],
            mid,
            t,
            ", ".join(f"{k} {v:,.0f}" for k, v in cov_alt.items()),
        )
        out.append(
            UpgradeOption(
                site_id=str(row["site_id"]),
                tier=tier,
                market_id=mid,
                market_name=names.get(mid, mid),
                market_tier=tiers_of.get(mid, ""),
                minutes=t,
                demand=demand,
                covered_plan=dict(plan_cov),
                covered_alt=cov_alt,
            )
        )
    return out

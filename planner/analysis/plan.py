"""The three-tier plan: comprehensive markets, then sector markets, then stations.

Each tier is sited on what the markets so far (existing and already proposed) leave
uncovered:

1. **comprehensive** — demand cells not within the tier's threshold of a comprehensive
   market; every county without one gets at least one (鲁人社字〔2022〕3号: 各县(市、区)至少
   1家公益性零工市场);
2. **sector** — parks, building-material markets and malls (sector demand = workforce ×
   gig share) not within reach of a sector market, sited per sector among that sector's
   candidates;
3. **station** — demand cells still beyond a short walk / e-bike ride of any market
   (stations, or the markets proposed in steps 1-2).

For each tier the model is the set cover (LSCP: fewest sites covering the target share
of the coverable uncovered demand) or, when the tier has a ``max_new`` budget, the
maximal covering model (MCLP: ``max_new`` sites covering the most demand); see
:mod:`planner.analysis.siting`. Every proposed site carries its reasons: the tier, the
place it anchors on, the demand it newly covers (in total and per priority group), the
modes that reach it, and the nearest existing market with its travel time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from planner import settings
from planner._repr import html_table, one_line
from planner.analysis import siting
from planner.analysis.coverage import (
    Coverage,
    Graphs,
    TierRule,
    _graph_of,
    _straight_line_nearest,
    access_matrix,
    coverage,
    default_rules,
)
from planner.analysis.reasons import site_reason
from planner.errors import InvalidValueError
from planner.network.cache import cached_nearest
from planner.network.snapping import snap_points

__all__ = ["Plan", "TierPlan", "make_plan"]

log = logging.getLogger(__name__)

TIER_ORDER = ("comprehensive", "sector", "station")


@dataclass
class TierPlan:
    """What one tier's siting did.

    Attributes
    ----------
    tier
        The tier.
    model
        The model, in words (e.g. ``"LSCP target 90% of coverable demand"``).
    result
        The :class:`~planner.analysis.siting.SitingResult`. The model saw only the demand
        the existing markets leave uncovered that some candidate reaches, so its per-row
        arrays (``covered``, ``served``, ``assignment``) follow those rows.
    uncovered_demand
        Demand the existing markets leave uncovered.
    coverable_demand
        The part of it some candidate reaches.
    candidates
        Candidate sites of the tier.
    pruned
        Sites dropped after the model as too small (:data:`planner.settings.MIN_NEW_DEMAND`).
    cover, weights, options
        The problem the model solved: the coverable uncovered demand × candidates cover
        matrix, its demand weights and the rules passed to the model (regions, floors …);
        :mod:`planner.analysis.curve` re-solves it for other numbers of sites.
    groups
        Priority-group weights of those rows (rows × groups), when the study has groups.
    chosen
        Candidate positions of the sites proposed (the model's, less those pruned).
    """

    tier: str
    model: str
    result: Any  # siting.SitingResult
    uncovered_demand: float
    coverable_demand: float
    candidates: int
    pruned: int = 0
    cover: sp.csr_array | None = None
    weights: NDArray[np.float64] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    groups: NDArray[np.float64] | None = None
    chosen: NDArray[np.int64] | None = None


@dataclass(repr=False)
class Plan:
    """A three-tier siting plan.

    Attributes
    ----------
    sites
        Proposed sites (GeoDataFrame in the study CRS): ``site_id``, ``tier``,
        ``anchor_kind``, ``anchor_name``, ``sector``, ``new_demand`` (demand newly
        covered, each cell counted once, at its fastest new site), ``new_<group>``,
        ``modes`` (modes by which that demand reaches it), ``nearest_market``,
        ``nearest_market_min`` (travel time to the nearest existing market by the tier's
        first mode; NaN beyond an hour or off the network), ``reason`` (why, in Chinese
        sentences: :func:`planner.analysis.reasons.site_reason`).
    before, after
        Coverage of the demand cells with the existing markets, and with the proposed
        sites added.
    sector_before, sector_after
        The same for the sector tier's demand points (parks, building-material markets,
        malls), when places were given.
    tiers
        Per-tier model, result and demand figures.
    """

    sites: gpd.GeoDataFrame
    before: Coverage
    after: Coverage
    tiers: dict[str, TierPlan] = field(default_factory=dict)
    sector_before: Coverage | None = None
    sector_after: Coverage | None = None

    def _facts(self) -> list[tuple[str, object]]:
        return [
            (str(r.tier), f"{r.new_sites} new, {r.share_before:.1%} -> {r.share_after:.1%}")
            for r in self.summary().itertuples()
        ]

    def __repr__(self) -> str:
        return one_line("Plan", [("sites", len(self.sites)), *self._facts()])

    def _repr_html_(self) -> str:
        return html_table("Plan", [("sites", len(self.sites)), *self._facts()])

    def summary(self) -> pd.DataFrame:
        """Before/after coverage per tier: demand, covered share, new sites.

        The sector row counts sector demand at the places when they were given, the other
        rows flexible-worker demand in the cells.
        """
        b = self.before.summary().set_index("tier")
        a = self.after.summary().set_index("tier")
        if self.sector_before is not None and self.sector_after is not None:
            b.loc["sector"] = self.sector_before.summary().set_index("tier").loc["sector"]
            a.loc["sector"] = self.sector_after.summary().set_index("tier").loc["sector"]
        out = pd.DataFrame(
            {
                "threshold_min": b["threshold_min"],
                "demand": b["demand"],
                "covered_before": b["covered"],
                "share_before": b["share"],
                "covered_after": a["covered"],
                "share_after": a["share"],
            }
        )
        counts = self.sites["tier"].value_counts() if len(self.sites) else pd.Series(dtype=int)
        out["new_sites"] = [int(counts.get(t, 0)) for t in out.index]
        return out.reset_index()


def _as_markets(sites: gpd.GeoDataFrame, tier: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "market_id": sites["candidate_id"].astype(str).to_numpy(),
            "tier": tier,
            "status": "proposed",
        },
        geometry=sites.geometry.to_numpy(),
        crs=sites.crs,
    )


def _unit_labels(geoms: gpd.GeoSeries, units: gpd.GeoDataFrame) -> np.ndarray:
    """Position in ``units`` of the unit holding each geometry's centroid; -1 outside."""
    pts = gpd.GeoDataFrame(geometry=geoms.centroid.to_numpy(), crs=geoms.crs)
    u = units.to_crs(geoms.crs)[["geometry"]].reset_index(drop=True)
    u["_pos"] = np.arange(len(u))
    j = gpd.sjoin(pts, u, how="left", predicate="within")
    j = j[~j.index.duplicated(keep="first")]
    return j["_pos"].fillna(-1).to_numpy(dtype=int)


def _county_rule(
    cands: gpd.GeoDataFrame, current: gpd.GeoDataFrame, units: gpd.GeoDataFrame
) -> tuple[np.ndarray, list[int]]:
    """Candidate county labels and the counties that still need a comprehensive market."""
    cand_reg = _unit_labels(cands.geometry, units)
    existing = current[current["tier"] == "comprehensive"]
    have = set(_unit_labels(existing.geometry, units).tolist()) if len(existing) else set()
    need = []
    for i in range(len(units)):
        if i in have:
            continue
        if (cand_reg == i).any():
            need.append(i)
            continue
        row = units.iloc[i]
        log.warning(
            "county %s (%s) has no comprehensive market and no candidate site for one"
            " (鲁人社字〔2022〕3号 asks for at least one per county): add a site in it under"
            " [candidates] add",
            row.get("name", ""),
            row["code"],
        )
    return cand_reg, need


def _floor_args(demand: gpd.GeoDataFrame, floors: Mapping[str, float]) -> dict[str, Any]:
    """``groups`` (demand × k weights) and ``floors`` for the siting models."""
    cols = []
    for g in floors:
        col = g if g in demand else f"{g}_demand"
        if col not in demand:
            raise InvalidValueError(
                f"equity floor for group '{g}', but the demand has no such group",
                key="tiers.<tier>.floors",
                fix="name a group of [inputs.population] groups, or drop the floor",
            )
        cols.append(demand[col].to_numpy(dtype=float))
    return {
        "groups": np.column_stack(cols),
        "floors": np.asarray(list(floors.values()), dtype=float),
    }


def _site_reasons(
    tier: str,
    chosen: gpd.GeoDataFrame,
    acc_rows: np.ndarray,
    cov: sp.csr_array,
    by_mode: Mapping[str, sp.csr_array],
    cells: gpd.GeoDataFrame,
    weight: str,
    groups: Sequence[str],
    existing: gpd.GeoDataFrame,
    graphs: Graphs,
    modes: Sequence[str],
    fallback: bool,
) -> gpd.GeoDataFrame:
    """Newly covered demand per chosen site (each cell at its fastest chosen site)."""
    n_sites = len(chosen)
    sub = cov.tocsr()
    assign = np.full(sub.shape[0], -1)
    best = np.full(sub.shape[0], np.inf)
    coo = sub.tocoo()
    for r, c, t in zip(coo.row, coo.col, coo.data, strict=True):
        if t < best[r]:
            best[r], assign[r] = t, c
    w = cells[weight].to_numpy(dtype=float)[acc_rows]
    new = np.bincount(assign[assign >= 0], weights=w[assign >= 0], minlength=n_sites)
    out = chosen.copy()
    out["new_demand"] = new
    for g in groups:
        col = g if g in cells else f"{g}_demand"
        gw = cells[col].to_numpy(dtype=float)[acc_rows]
        out[f"new_{g}"] = np.bincount(
            assign[assign >= 0], weights=gw[assign >= 0], minlength=n_sites
        )
    reach = []
    for j in range(n_sites):
        rows = np.flatnonzero(assign == j)
        ms = [m for m, mat in by_mode.items() if len(rows) and mat[rows][:, [j]].nnz > 0]
        reach.append("/".join(ms))
    out["modes"] = reach
    out["nearest_market"], out["nearest_market_min"] = _nearest_existing(
        out, existing, graphs, modes, fallback
    )
    return out


def _nearest_existing(
    sites: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    graphs: Graphs,
    modes: Sequence[str],
    fallback: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Id of and minutes to the nearest existing market from each site, fastest of ``modes``
    (within an hour)."""
    ids = np.full(len(sites), "", dtype=object)
    best = np.full(len(sites), np.inf)
    if len(existing) == 0 or len(sites) == 0:
        return ids, np.full(len(sites), np.nan)
    mk_ids = existing["market_id"].astype(str).to_numpy()
    for mode in modes:
        if mode in graphs:
            g, first = _graph_of(graphs, mode)
            sm = snap_points(existing, g, what="markets", first_nodes=first, quiet=True)
            ss = snap_points(sites, g, what="sites", first_nodes=first, quiet=True)
            res = cached_nearest(g, sm.position, cutoff_s=3600.0, facility_offsets_s=sm.offset_s)
            t, fac = res.for_points(ss.position, ss.offset_s)
        elif fallback:
            t, fac = _straight_line_nearest(sites, existing, mode, 3600.0)
        else:
            continue
        better = (fac >= 0) & (t < best)
        best[better] = t[better]
        ids[better] = mk_ids[fac[better]]
    return ids, np.where(np.isfinite(best), best / 60.0, np.nan)


def _matrix_for(
    demand: gpd.GeoDataFrame,
    cands: gpd.GeoDataFrame,
    graphs: Graphs,
    rule: TierRule,
    fallback: bool,
) -> tuple[sp.csr_array, dict[str, sp.csr_array]]:
    acc = access_matrix(
        demand, cands, graphs, modes=rule.modes, cutoff_s=rule.threshold_s, fallback=fallback
    )
    m = acc.matrix
    if rule.rural_radius_m and "urban" in demand:
        rural = ~demand["urban"].to_numpy(dtype=bool)
        c = demand.geometry.centroid
        pairs = cKDTree(np.column_stack([c.x, c.y])).sparse_distance_matrix(
            cKDTree(np.column_stack([cands.geometry.x, cands.geometry.y])),
            rule.rural_radius_m,
            output_type="ndarray",
        )
        keep = rural[pairs["i"]]
        extra = sp.csr_array(
            (np.full(int(keep.sum()), rule.threshold_s), (pairs["i"][keep], pairs["j"][keep])),
            shape=m.shape,
        )
        m = m.maximum(extra) if m.nnz else extra
        by = dict(acc.by_mode)
        by["rural_radius"] = extra
        return m, by
    return m, acc.by_mode


def make_plan(
    cells: gpd.GeoDataFrame,
    markets: gpd.GeoDataFrame,
    graphs: Graphs,
    candidates: Mapping[str, gpd.GeoDataFrame],
    *,
    places: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    rules: Mapping[str, TierRule] | None = None,
    max_new: Mapping[str, int] | None = None,
    target_share: Mapping[str, float] | None = None,
    groups: Sequence[str] = (),
    min_new_demand: Mapping[str, float] | None = None,
    capacity: Mapping[str, float] | None = None,
    floors: Mapping[str, Mapping[str, float]] | None = None,
    weight: str = "demand",
    fallback: bool = False,
    time_limit_s: float = settings.SITING_TIME_LIMIT_S,
    solver: str = "auto",
    before: Coverage | None = None,
    progress: bool = False,
) -> Plan:
    """Site the three tiers in order and explain every proposed site.

    Parameters
    ----------
    cells
        Demand cells with ``weight`` (from :func:`planner.analysis.demand.worker_demand`).
    markets
        Existing markets that serve (:func:`planner.analysis.coverage.open_markets`).
    graphs
        Mode graphs (``walk``, ``ebike``, ``drive``, ``bus``).
    candidates
        Candidate sites per tier (:func:`planner.analysis.candidates.candidate_sites`).
    places
        Sector demand points (:func:`planner.analysis.demand.sector_demand`); without them
        the sector tier is skipped.
    units
        Counties (``code``, polygons): each county without a comprehensive market must get
        one.
    rules
        Tier rules; default :func:`planner.analysis.coverage.default_rules`.
    max_new
        Per tier: at most this many new sites (MCLP); a tier without a budget is solved as
        LSCP with ``target_share``.
    target_share
        Per tier: share of the coverable uncovered demand LSCP must cover (default
        :data:`planner.settings.PLAN_TARGET_SHARE`).
    groups
        Priority groups (columns ``<group>_demand``) to report per site.
    min_new_demand
        Per tier: a proposed site must newly cover at least this much demand, else it is
        dropped after the model (smallest first; its demand goes to the others) — 44号's
        "规模适度". Default :data:`planner.settings.MIN_NEW_DEMAND`. A site a county needs
        under the one-per-county rule is never dropped.
    capacity
        Per tier: workers a new site can serve. With a ``max_new`` budget the tier is
        solved as the capacitated MCLP (demand assigned within coverage and capacity);
        without one, capacity is reported but not modelled (logged).
    floors
        Per tier: ``{group: share}``, each priority group's covered share of its coverable
        demand at least this (equity floors of 44号's 兜底 for older and hard-to-employ
        workers). Groups are columns ``<group>_demand`` of the cells.
    weight, fallback
        Demand column; estimate times from straight lines for modes without a graph.
    time_limit_s, solver
        Passed to the siting models (:mod:`planner.analysis.siting`).
    before
        Coverage of ``markets`` already computed with the same rules (saves a pass).
    progress
        Show progress bars.
    """
    rules = dict(rules) if rules is not None else default_rules()
    max_new = dict(max_new or {})
    min_new_demand = {**settings.MIN_NEW_DEMAND, **(min_new_demand or {})}
    targets = {**settings.PLAN_TARGET_SHARE, **(target_share or {})}
    for t, share in targets.items():
        if not 0 < share <= 1:
            raise InvalidValueError(f"target share of tier {t} must be in (0, 1], got {share}")
    capacity = dict(capacity or {})
    floors = {t: dict(f) for t, f in (floors or {}).items()}
    if before is None:
        before = coverage(cells, markets, graphs, rules=rules, weight=weight, fallback=fallback)
    current = markets
    proposed: list[gpd.GeoDataFrame] = []
    tiers: dict[str, TierPlan] = {}
    for tier in TIER_ORDER:
        if tier not in rules or tier not in candidates or len(candidates[tier]) == 0:
            continue
        rule = rules[tier]
        cands = candidates[tier].reset_index(drop=True)
        if tier == "sector":
            if places is None or len(places) == 0:
                log.info("no sector demand (places) given: the sector tier is skipped")
                continue
            demand, w_col = places.reset_index(drop=True), "demand"
        else:
            demand, w_col = cells, weight
        now = coverage(demand, current, graphs, rules={tier: rule}, weight=w_col, fallback=fallback)
        unc = np.flatnonzero(
            ~now.cells[f"{tier}_covered"].to_numpy(dtype=bool)
            & (demand[w_col].to_numpy(dtype=float) > 0)
        )
        if len(unc) == 0:
            continue
        sub = demand.iloc[unc]
        mat, by_mode = _matrix_for(sub, cands, graphs, rule, fallback)
        if tier == "sector" and "sector" in cands and "sector" in sub:
            # a candidate without a sector (an existing market's site) serves every sector
            d_sec = sub["sector"].astype("string").fillna("").to_numpy(dtype=str)
            c_sec = cands["sector"].astype("string").fillna("").to_numpy(dtype=str)
            coo = mat.tocoo()
            keep = (c_sec[coo.col] == "") | (d_sec[coo.row] == c_sec[coo.col])
            mat = sp.csr_array((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=mat.shape)
        w = sub[w_col].to_numpy(dtype=float)
        coverable = np.diff(mat.indptr) > 0
        kwargs: dict[str, Any] = {"time_limit_s": time_limit_s, "solver": solver}
        if floors.get(tier) and tier != "sector":
            kwargs.update(_floor_args(sub, floors[tier]))
        if tier == "comprehensive" and units is not None and len(units):
            cand_reg, need = _county_rule(cands, current, units)
            if need:
                codes = units["code"].astype(str).to_numpy()
                wanted = np.isin(cand_reg, need)
                labels = np.where(wanted, codes[np.maximum(cand_reg, 0)], "")
                kwargs["regions"] = siting.Regions(candidates=labels)
                kwargs["min_per_region"] = 1
        cover = (mat.copy().astype(bool)).astype(float)
        cover.data[:] = 1.0
        # Demand no candidate reaches cannot sway the choice, and LSCP's target is a share
        # of the rest: the models get the coverable rows only (the tier plan keeps both
        # totals), so they have no uncoverable rows to warn about.
        rows = np.flatnonzero(coverable) if coverable.any() else np.arange(len(w))
        if len(rows) < len(w):
            log.info(
                "%s: %.0f of %.0f uncovered workers are within reach of no candidate",
                tier,
                float(w.sum() - w[rows].sum()),
                float(w.sum()),
            )
        cover = sp.csr_array(cover)[rows]
        group_cols = [
            sub[g if g in sub else f"{g}_demand"].to_numpy(dtype=float)
            for g in groups
            if tier != "sector" and (g in sub or f"{g}_demand" in sub)
        ]
        group_w = np.column_stack(group_cols) if group_cols else None
        if "groups" in kwargs:
            kwargs["groups"] = kwargs["groups"][rows]
        if tier in max_new:
            p = min(int(max_new[tier]), len(cands))
            if tier in capacity:
                kwargs["capacity"] = np.full(len(cands), float(capacity[tier]))
            res = siting.mclp(cover, w[rows], p, **kwargs)
            model = f"MCLP p={p}" + (
                f", capacity {capacity[tier]:,.0f}" if tier in capacity else ""
            )
        else:
            res = siting.lscp(
                cover, weights=w[rows], target=float(targets.get(tier, 1.0)), **kwargs
            )
            model = f"LSCP target {targets.get(tier, 1.0):.0%} of coverable demand"
            if tier in capacity:
                log.warning(
                    "%s: capacity %.0f is used only with a budget (max_new); this LSCP plan"
                    " does not model it",
                    tier,
                    capacity[tier],
                )
        selected = np.asarray(res.selected, dtype=int)
        required = set()
        if "regions" in kwargs:
            labels = np.asarray(kwargs["regions"].candidates)
            for lab in set(labels[selected].tolist()) - {""}:
                in_lab = selected[labels[selected] == lab]
                required.add(int(in_lab[0]))  # keep one per county that needs it
        min_new = float(min_new_demand.get(tier, 0.0))
        pruned = 0
        while True:
            reasons = _site_reasons(
                tier,
                cands.iloc[selected],
                unc,
                mat[:, selected],
                {m: b[:, selected] for m, b in by_mode.items()},
                demand,
                w_col,
                [g for g in groups if tier != "sector"],
                markets,
                graphs,
                rule.modes,
                fallback,
            )
            small = (reasons["new_demand"].to_numpy() < min_new) & ~np.isin(
                selected, list(required)
            )
            if not small.any():
                break
            # drop the smallest one and re-attribute its demand to the others
            drop = int(np.flatnonzero(small)[np.argmin(reasons["new_demand"].to_numpy()[small])])
            selected = np.delete(selected, drop)
            pruned += 1
        chosen = cands.iloc[selected]
        reasons["tier"] = tier
        proposed.append(reasons)
        current = pd.concat([current, _as_markets(chosen, tier)], ignore_index=True)
        tiers[tier] = TierPlan(
            tier=tier,
            model=model,
            result=res,
            uncovered_demand=float(w.sum()),
            coverable_demand=float(w[coverable].sum()),
            candidates=len(cands),
            pruned=pruned,
            cover=cover,
            weights=w[rows],
            options={k: v for k, v in kwargs.items() if k not in {"capacity"}},
            groups=group_w[rows] if group_w is not None else None,
            chosen=np.asarray(selected, dtype=np.int64),
        )
    after = coverage(cells, current, graphs, rules=rules, weight=weight, fallback=fallback)
    sector_before = sector_after = None
    if places is not None and len(places) and "sector" in rules:
        sr = {"sector": rules["sector"]}
        p = places.reset_index(drop=True)
        sector_before = coverage(p, markets, graphs, rules=sr, fallback=fallback)
        sector_after = coverage(p, current, graphs, rules=sr, fallback=fallback)
    if proposed:
        sites = gpd.GeoDataFrame(pd.concat(proposed, ignore_index=True), crs=cells.crs)
        sites = sites.rename(columns={"candidate_id": "site_id"})
        names = (
            dict(zip(markets["market_id"].astype(str), markets["name"].astype(str), strict=True))
            if len(markets) and "name" in markets and "market_id" in markets
            else {}
        )
        sites["reason"] = [
            site_reason(
                r,
                rule=rules.get(str(r["tier"])),
                market_names=names,
                groups=groups,
                min_new_demand=min_new_demand.get(str(r["tier"])),
            )
            for r in sites.to_dict("records")
        ]
    else:
        sites = gpd.GeoDataFrame(
            {"site_id": [], "tier": [], "new_demand": []}, geometry=[], crs=cells.crs
        )
    return Plan(
        sites=sites,
        before=before,
        after=after,
        tiers=tiers,
        sector_before=sector_before,
        sector_after=sector_after,
    )

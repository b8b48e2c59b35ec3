"""Section 三 (one per proposed site) and 四 (upgrading existing markets) of the proposal.

Each site's section gives its name (:mod:`planner.publish.naming`) and how it was named,
tier, anchor, area, coordinates in GCJ-02 (AMap, Tencent) and WGS-84 (GPS, Tianditu), the
people it newly covers (by priority group), the modes that reach it, its proposed opening
hours and expected daily attendance, the nearest existing market, the upgrade option when
there is one, its reasons in words (:func:`planner.analysis.reasons.site_reason`, as the
plan and the planner map give them) and its map. Section
四 compares the plan with upgrading a nearby existing market instead
(:mod:`planner.analysis.upgrade`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd

from planner import settings
from planner.analysis.reasons import site_reason
from planner.publish.naming import LANDMARK_MAX_M, ROAD_MAX_M, NamingLayers, SiteName, name_sites
from planner.publish.proposal_answers import site_facts
from planner.publish.proposal_blocks import (
    Block,
    Bullets,
    Ctx,
    Facts,
    Figure,
    Heading,
    Para,
    Section,
    Table,
    num,
    pct,
    text_of,
)
from planner.publish.proposal_maps import site_map

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = ["landmark_of", "site_names", "site_sections", "upgrade_section"]


def landmark_of(n: SiteName, language: str) -> tuple[float, float, str] | None:
    """The place a site's name is measured from, for its map (``None`` for other names)."""
    if n.ref_xy is None or n.how not in ("landmark", "centre"):
        return None
    return (n.ref_xy[0], n.ref_xy[1], n.ref_text(language))


def site_names(run: StudyRun, units: gpd.GeoDataFrame | None = None) -> list[SiteName]:
    """The names of a run's proposed sites (in plan order), as the proposal gives them."""
    if len(run.plan.sites) == 0:
        return []
    u = units if units is not None else run.inputs.area.units
    return name_sites(run.plan.sites, naming_layers(run, u))


def naming_layers(run: StudyRun, units: gpd.GeoDataFrame) -> NamingLayers:
    inp = run.inputs
    marks: list[gpd.GeoDataFrame] = []
    if inp.roads is not None and len(inp.roads.places):
        marks.append(inp.roads.places)
    if inp.places is not None:
        marks.append(inp.places)
    if len(run.markets):
        marks.append(run.markets)
    stops = None
    if inp.transit is not None and len(inp.transit.stops):
        stops = inp.transit.stops
    return NamingLayers.from_frames(
        crs=run.cells.crs,
        units=units,
        streets=inp.roads.streets if inp.roads is not None else None,
        landmarks=marks,
        bus_stops=stops,
        cells=run.cells,
    )


# ---- 三 sites ---------------------------------------------------------------------------


def _site_name_how(c: Ctx, n: SiteName) -> str:
    m = {"junction": ROAD_MAX_M, "road": ROAD_MAX_M}.get(n.how, LANDMARK_MAX_M)
    return c.t(f"how_{n.how}", m=f"{m:,.0f}")


def site_sections(c: Ctx) -> list[Block]:
    run = c.run
    sites = run.plan.sites
    blocks: list[Block] = [Heading(1, c.t("s3"), "s3")]
    if len(sites) == 0:
        return [*blocks, Para(c.t("sites_none"))]
    mk = run.markets
    mnames = (
        dict(
            zip(
                mk["market_id"].map(text_of),
                (mk["name"] if "name" in mk else mk["market_id"]).map(text_of),
                strict=True,
            )
        )
        if len(mk)
        else {}
    )
    ups = {o.site_id: o for o in c.upgrades}
    sep = c.t("sep")
    study_tiers = run.inputs.study.tiers
    for i in range(len(sites)):
        row = sites.iloc[i]
        sid, tier = str(row["site_id"]), str(row["tier"])
        n = c.names[i]
        name = n.text(c.doc.language)
        kind = text_of(row.get("anchor_kind"))
        anchor = text_of(row.get("anchor_name"))
        modes = [m for m in text_of(row.get("modes")).split("/") if m]
        modes_text = sep.join(c.lab("mode", m) for m in modes) or c.t("na")
        rule = run.plan.before.rules.get(tier)
        near = text_of(row.get("nearest_market"))
        near_t = row.get("nearest_market_min")
        quote = f"“{anchor}”" if anchor else ""
        gap = " " if quote and c.doc.language != "zh" else ""
        facts: list[tuple[str, str]] = [
            (c.t("f_name"), name),
            (c.t("f_name_how"), _site_name_how(c, n)),
            (c.t("f_tier"), c.lab("tier", tier)),
            (c.t("f_anchor"), f"{c.lab('anchor', kind)}{gap}{quote}"),
            (c.t("f_unit"), n.unit or c.t("na")),
            (c.t("f_gcj"), c.t("lonlat", lon=f"{c.gcj[i, 0]:.6f}", lat=f"{c.gcj[i, 1]:.6f}")),
            (c.t("f_wgs"), c.t("lonlat", lon=f"{c.lonlat[i, 0]:.6f}", lat=f"{c.lonlat[i, 1]:.6f}")),
            (
                c.t("f_new_sector" if tier == "sector" else "f_new"),
                c.t("persons", n=num(row.get("new_demand"))),
            ),
        ]
        for g in c.groups:
            if f"new_{g}" in row.index and tier != "sector":
                facts.append(
                    (c.t("f_group", g=c.lab("group", g)), c.t("persons", n=num(row[f"new_{g}"])))
                )
        facts.append((c.t("f_modes"), modes_text))
        facts += site_facts(c, sid, tier)
        if near:
            facts.append(
                (
                    c.t("f_nearest"),
                    c.t("nearest", name=mnames.get(near, near), id=near, t=num(near_t, 1)),
                )
            )
        else:
            facts.append((c.t("f_nearest"), c.t("nearest_none")))
        up = ups.get(sid)
        if up is not None:
            facts.append(
                (
                    c.t("f_upgrade"),
                    c.t(
                        "upgrade_fact",
                        mtier=c.lab("tier", up.market_tier),
                        mname=up.market_name,
                        t=num(up.minutes, 1),
                    ),
                )
            )
        spec = study_tiers.get(tier)
        reason = site_reason(
            row,
            language=c.doc.language,
            rule=rule,
            unit=n.unit or None,
            name=None if anchor else name,
            market_names=mnames,
            groups=c.groups,
            min_new_demand=(
                spec.min_new_demand
                if spec is not None and spec.min_new_demand is not None
                else settings.MIN_NEW_DEMAND.get(tier, 0.0)
            ),
        )
        k = c.numbers[sid] + 1  # figure 1 is the overview
        fig = Figure(
            site_map(
                c.maps,
                sid,
                language=c.doc.language,
                numbers=c.numbers,
                landmark=landmark_of(n, c.doc.language),
            ),
            c.t("fig_site", k=k, name=name) + (c.t("fig_stops") if len(c.maps.stop_xy) else ""),
            sid,
        )
        title = c.t("site_title", i=c.numbers[sid], name=name, tier=c.lab("tier", tier))
        blocks.append(
            Section(
                f"site-{sid}",
                "site",
                [
                    Heading(2, title, f"site-{sid}-h"),
                    fig,
                    Facts(facts, f"facts-{sid}"),
                    Para(c.t("reason_label") + reason, style="reason"),
                ],
            )
        )
    return blocks


# ---- 四 upgrades ------------------------------------------------------------------------


def upgrade_section(c: Ctx) -> list[Block]:
    m = f"{settings.UPGRADE_WITHIN_MIN:g}"
    blocks: list[Block] = [Heading(1, c.t("s4"), "s4")]
    if not c.upgrades:
        return [*blocks, Para(c.t("up_none", m=m))]
    blocks.append(Para(c.t("up_intro", m=m)))
    tiers = list(c.upgrades[0].demand)
    headers = [c.t("h_site"), c.t("h_market"), c.t("h_mtier"), c.t("h_minutes")]
    headers += [c.t("h_plan_alt", tier=c.lab("tier", t)) for t in tiers]
    rows, lines = [], []
    for o in c.upgrades:
        site = f"{c.numbers.get(o.site_id, '')}. {c.names[c.numbers[o.site_id] - 1].text(c.doc.language)}"
        row = [
            site,
            f"{o.market_name}（{o.market_id}）"
            if c.doc.language == "zh"
            else f"{o.market_name} ({o.market_id})",
            c.lab("tier", o.market_tier),
            num(o.minutes, 1),
        ]
        row += [f"{pct(o.share_plan(t))} / {pct(o.share_alt(t))}" for t in tiers]
        rows.append(row)
        loss = o.loss(o.tier)
        key = "up_same" if abs(loss) < 0.5 else ("up_less" if loss > 0 else "up_more")
        pp = 100 * (o.share_plan(o.tier) - o.share_alt(o.tier))
        text = c.t(
            key,
            site=site,
            market=o.market_name,
            tier=c.lab("tier", o.tier),
            n=num(abs(loss)),
            pp=f"{pp:.1f}",
        )
        if o.tier != "station" and "station" in o.demand and abs(o.loss("station")) >= 0.5:
            ls = o.loss("station")
            text += c.t("up_station", change=c.t("less" if ls > 0 else "more"), n=num(abs(ls)))
        lines.append(text)
    blocks += [Table(headers, rows, "upgrades"), Bullets(lines)]
    return blocks

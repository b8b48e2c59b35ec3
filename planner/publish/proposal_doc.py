"""The siting proposal as a document: headings, paragraphs, tables and maps, in one language.

:func:`build_proposal` turns a :class:`~planner.run.StudyRun` into a :class:`ProposalDoc`, a
list of plain blocks that :mod:`planner.publish.proposals` writes as HTML and Markdown and
:mod:`planner.publish.docx` as a Word file, so the three have the same structure, headings
and tables. Every sentence comes from :mod:`planner.publish.proposal_text` in the study's
``[outputs] language`` (Chinese by default); the run's notes are shown in Chinese through
:mod:`planner.publish.notes_zh`.

The document, as a bureau files it: title, issuing unit and date (from the study file),
the warnings first, contents, then 一 overview (with the overview map and the GeoPackage's
name), 二 coverage by tier, area, group (with the study's floors, met or not) and moment
(next to any time, with the proposed hours of new sites; each figure that can be read two
ways explained), 三 one section per proposed site (name, coordinates in GCJ-02 and
WGS-84, area, reasons, newly covered people, proposed hours, expected daily attendance,
nearest market, a map), 四 upgrading existing markets instead, 五 existing markets closed
at dawn and capacity, 六 what each new site buys (a curve per tier), 七 scenarios when the
run has them (:mod:`planner.publish.proposal_answers`), then method, assumptions and data,
and 附表 the list of sites.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import settings
from planner.analysis.coverage import Coverage
from planner.analysis.upgrade import UpgradeOption, upgrade_options
from planner.io.coords import wgs84_to_gcj02
from planner.io.runfile import gpkg_filename
from planner.publish.notes_zh import translate_note, translate_spread
from planner.publish.proposal_answers import (
    curves_section,
    floors_blocks,
    hours_capacity_section,
    key_findings,
    moments_blocks,
    scenarios_section,
)
from planner.publish.proposal_blocks import (
    Block,
    Box,
    Bullets,
    Contents,
    Ctx,
    Figure,
    Heading,
    Para,
    ProposalDoc,
    Section,
    Table,
    num,
    pct,
    text_of,
)
from planner.publish.proposal_maps import map_data, overview_map
from planner.publish.proposal_sites import site_names, site_sections, upgrade_section
from planner.publish.proposal_text import TEXT

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = ["ProposalDoc", "area_label", "build_proposal", "unit_of_cells"]


# --------------------------------------------------------------------------------------
# Coverage by area
# --------------------------------------------------------------------------------------


def unit_of_cells(cells: gpd.GeoDataFrame, units: gpd.GeoDataFrame, outside: str) -> pd.Series:
    """Name (or code) of the unit each cell overlaps most; ``outside`` for a cell that
    touches no unit.

    A cell on a boundary counts whole in the unit holding most of its area, so the rows of
    the by-area table add up to the total. Cells given as points (grid centres) are squares
    of their ``cell_area_m2`` for this.
    """
    u = units.to_crs(cells.crs).reset_index(drop=True)
    names = (u["name"] if "name" in u else u.get("code", pd.Series(range(len(u))))).map(text_of)
    cg = np.asarray(cells.geometry.values)
    if "cell_area_m2" in cells and len(cg) and (shapely.get_type_id(cg) == 0).all():
        half = np.sqrt(cells["cell_area_m2"].to_numpy(dtype=float)) / 2.0
        x, y = shapely.get_x(cg), shapely.get_y(cg)
        cg = shapely.box(x - half, y - half, x + half, y + half)
    ug = np.asarray(u.geometry.values)
    out = np.full(len(cells), outside, dtype=object)
    if len(ug) == 0 or len(cg) == 0:
        return pd.Series(out, index=cells.index)
    ci, ui = shapely.STRtree(ug).query(cg, predicate="intersects")
    if len(ci):
        order = np.lexsort((ui, ci))
        ci, ui = ci[order], ui[order]
        many = np.bincount(ci, minlength=len(cg))[ci] > 1
        area = np.zeros(len(ci))
        if many.any():
            area[many] = shapely.area(shapely.intersection(cg[ci[many]], ug[ui[many]]))
        # best unit per cell: largest overlap, then first unit
        best = np.lexsort((ui, -area, ci))
        ci_b, ui_b = ci[best], ui[best]
        first = np.r_[True, ci_b[1:] != ci_b[:-1]]
        out[ci_b[first]] = names.to_numpy()[ui_b[first]]
    return pd.Series(out, index=cells.index)


# --------------------------------------------------------------------------------------
# Building the document
# --------------------------------------------------------------------------------------


def build_proposal(
    run: StudyRun,
    *,
    units: gpd.GeoDataFrame | None = None,
    language: str | None = None,
    upgrades: Sequence[UpgradeOption] | None = None,
    scenarios: Mapping[str, StudyRun] | None = None,
) -> ProposalDoc:
    """The proposal of a run as a :class:`ProposalDoc`.

    Parameters
    ----------
    run
        From :func:`planner.pipeline.run_study`.
    units
        Areas to report coverage by and to name sites in (polygons with ``name`` and/or
        ``code``, e.g. townships); default the study area's units.
    language
        ``"zh"`` or ``"en"``; default the study's ``[outputs] language`` (``"zh"``).
    upgrades
        The upgrade options (default computed with
        :func:`planner.analysis.upgrade.upgrade_options`).
    scenarios
        The runs of :func:`planner.pipeline.run_scenarios` (the study's own as ``"base"``):
        a section compares them.
    """
    study = run.inputs.study
    out = study.outputs
    lang = language or (out.language if out is not None else "zh")
    area = area_label(run.inputs.area.name or study.name)
    doc = ProposalDoc(
        language=lang,
        title=(
            out.title if out is not None and out.title else TEXT[lang]["title"].format(area=area)
        ),
        meta=[],
        study=study.name,
        date=out.date if out is not None else None,
    )
    u = units if units is not None else run.inputs.area.units
    sites = run.plan.sites
    if len(sites):
        ll = gpd.GeoSeries(sites.geometry.centroid, crs=sites.crs).to_crs(4326)
        lon, lat = ll.x.to_numpy(), ll.y.to_numpy()
        glon, glat = wgs84_to_gcj02(lon, lat)
        lonlat, gcj = np.column_stack([lon, lat]), np.column_stack([glon, glat])
    else:
        lonlat = gcj = np.empty((0, 2))
    if upgrades is None:
        upgrades = upgrade_options(
            run.plan,
            run.markets,
            run.cells,
            run.graphs,
            rules=run.plan.before.rules,
            fallback=run.inputs.roads is None,
        )
    ctx = Ctx(
        run=run,
        doc=doc,
        units=u,
        groups=list(run.cells.attrs.get("groups", [])),
        maps=map_data(run, u),
        names=site_names(run, u),
        numbers={str(s): i + 1 for i, s in enumerate(sites["site_id"])} if len(sites) else {},
        upgrades=list(upgrades),
        lonlat=lonlat,
        gcj=gcj,
        scenarios=dict(scenarios or {}),
    )
    doc.meta = [
        doc.t(
            "meta_unit",
            v=out.issuing_unit if out is not None and out.issuing_unit else doc.t("unset_unit"),
        ),
        doc.t("meta_date", v=_date(doc, out.date if out is not None else None)),
    ]
    if ctx.uses_bus:  # the service day matters only to bus times
        doc.meta.append(
            doc.t("meta_service", date=run.date.isoformat(), window="–".join(study.network.window))
        )
    # 一 … 四 as before; then the answers (hours and capacity, curves, scenarios when the
    # run has them), the method and the annex, numbered in order.
    n_hours = 5
    n_curves = n_hours + 1
    n_scen = n_curves + 1 if len(ctx.scenarios) > 1 else None
    n_method = (n_scen or n_curves) + 1
    first_fig = len(sites) + 2  # figure 1 is the overview, then one per site
    body: list[Block] = []
    body += _overview(ctx, n_hours)
    body += _coverage(ctx, n_hours)
    body += site_sections(ctx)
    body += upgrade_section(ctx)
    body += hours_capacity_section(ctx, n_hours)
    body += curves_section(ctx, n_curves, first_fig)
    if n_scen is not None:
        body += scenarios_section(
            ctx, n_scen, first_fig + sum(t in run.curves for t in run.plan.before.rules)
        )
    body += _assumptions(ctx, n_method)
    body += _annex(ctx)
    blocks: list[Block] = []
    if run.warnings:
        blocks.append(
            Box(doc.t("warnings"), [_site_refs(ctx, _note(doc, w)) for w in run.warnings])
        )
    blocks.append(Contents(_contents(body)))
    blocks.append(Para(doc.t("intro", area=area, n=len(sites))))
    blocks += body
    blocks.append(Para(doc.t("footer", study=study.name), style="note"))
    doc.blocks = blocks
    return doc


def area_label(name: str) -> str:
    """The place a study is about, without a trailing "零工市场布局（方案）" of its name.

    Examples
    --------
    >>> area_label("烟台市芝罘区、莱山区零工市场布局"), area_label("示范县（合成示例数据）")
    ('烟台市芝罘区、莱山区', '示范县（合成示例数据）')
    """
    short = re.sub(r"(零工市场)?(服务)?(布局|选址)?(规划|方案|研究|建议)?$", "", name.strip())
    return short or name.strip()


def _date(doc: ProposalDoc, d: dt.date | None) -> str:
    if d is None:
        return doc.t("unset_date")
    if doc.language == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return d.isoformat()


def _note(doc: ProposalDoc, text: str) -> str:
    if doc.language != "zh":
        return text
    return translate_note(text) or text


def _site_refs(c: Ctx, text: str) -> str:
    """A note with each proposed site's id (``C-stat-0040``) as the document names the site:
    its number in part 三 and its name (``2号“孙家疃零工驿站西南约2.4公里”``)."""
    for sid in sorted(c.numbers, key=len, reverse=True):
        if sid in text:
            i = c.numbers[sid]
            ref = c.t("site_ref", i=i, name=c.names[i - 1].text(c.doc.language))
            pattern = re.compile(rf"(?<![\w-]){re.escape(sid)}(?![\w-])")
            text = pattern.sub(ref.replace("\\", "\\\\"), text)
    return text


def _contents(blocks: Sequence[Block]) -> list[tuple[int, str, str]]:
    out = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append((b.level, b.text, b.id))
        elif isinstance(b, Section):
            out += [(h.level, h.text, h.id) for h in b.blocks if isinstance(h, Heading)]
    return out


def _spread(c: Ctx) -> str:
    text = c.run.inputs.demand_spread
    if not text:
        return c.t("spread_grid")
    return translate_spread(text) if c.doc.language == "zh" else text


# ---- 一 overview ------------------------------------------------------------------------


def _overview(c: Ctx, n_hours: int) -> list[Block]:
    run, doc = c.run, c.doc
    sep = c.t("sep")
    mk = run.markets
    if len(mk):
        counts = mk["tier"].map(text_of).value_counts() if "tier" in mk else pd.Series(dtype=int)
        parts = sep.join(
            c.t("count_part", label=c.lab("tier", t), n=int(counts[t]))
            for t in settings.TIERS
            if t in counts.index
        )
        existing = c.t("existing_some", n=len(mk), parts=parts or c.t("na"))
    else:
        existing = c.t("existing_none")
    rates = sorted({float(x) for x in run.cells["rate"].unique()}) if "rate" in run.cells else []
    pop = float(run.cells["population"].sum()) if "population" in run.cells else float("nan")
    blocks: list[Block] = [
        Heading(1, c.t("s1"), "s1"),
        Para(
            c.t(
                "basic",
                area=area_label(run.inputs.area.name or run.inputs.study.name),
                km2=num(run.inputs.area.area_km2),
                pop=num(pop),
                spread=_spread(c),
                rate=sep.join(pct(x) for x in rates) or c.t("na"),
                demand=num(run.cells["demand"].sum()),
                existing=existing,
            )
        ),
    ]
    s = run.plan.summary()
    if len(run.plan.sites):
        counts = run.plan.sites["tier"].astype(str).value_counts()
        parts = sep.join(
            c.t("count_part", label=c.lab("tier", t), n=int(counts[t]))
            for t in settings.TIERS
            if t in counts.index
        )
        results = c.t("semi").join(
            c.t(
                "tier_result",
                tier=c.lab("tier", r["tier"]),
                modes=sep.join(c.lab("mode", m) for m in run.plan.before.rules[r["tier"]].modes)
                if r["tier"] in run.plan.before.rules
                else "",
                threshold=num(r["threshold_min"]),
                before=pct(r["share_before"]),
                after=pct(r["share_after"]),
            )
            for r in s.to_dict("records")
        )
        text = c.t("plan_sites", parts=parts, n=len(run.plan.sites), results=results)
        if c.upgrades:
            text += c.t("upgrade_hint", k=len(c.upgrades), m=f"{settings.UPGRADE_WITHIN_MIN:g}")
        blocks.append(Para(text + key_findings(c, n_hours)))
    else:
        blocks.append(Para(c.t("plan_none") + key_findings(c, n_hours)))
    blocks.append(
        Figure(
            overview_map(c.maps, language=doc.language, numbers=c.numbers),
            c.t("fig_overview"),
            "overview",
        )
    )
    blocks.append(Para(c.t("gpkg", name=gpkg_filename(run.inputs.study.name))))
    return blocks


# ---- 二 coverage ------------------------------------------------------------------------


def _coverage(c: Ctx, n_hours: int) -> list[Block]:
    run = c.run
    s = run.plan.summary()
    rows = [
        [
            c.lab("tier", r["tier"]),
            num(r["threshold_min"]),
            num(r["demand"]),
            num(r["covered_before"]),
            pct(r["share_before"]),
            num(r["covered_after"]),
            pct(r["share_after"]),
            str(int(float(r["new_sites"]))),
        ]
        for r in s.to_dict("records")
    ]
    keys = (
        "h_tier",
        "h_threshold",
        "h_demand",
        "h_cov_before",
        "h_share_before",
        "h_cov_after",
        "h_share_after",
        "h_new",
    )
    # the rows of the tiers whose demand is residents (not the sector tier's places)
    residents = [t for t in s["tier"] if t != "sector"]
    k = len(residents)
    if c.doc.language == "zh":
        count = "一两三四"[k - 1] if 0 < k <= 4 else str(k)
    else:
        count = "s" if k > 1 else ""
    named = c.t(
        "tier_rows", tiers=c.t("tier_sep").join(c.lab("tier", t) for t in residents), n=count
    )
    explain = c.t("explain_tier", rows=named) if residents else ""
    has_sector = run.plan.sector_before is not None and "sector" in set(s["tier"])
    if has_sector:
        srow = s.set_index("tier").loc["sector"]
        explain += c.t(
            "explain_tier_sector",
            demand=num(srow["demand"]),
            threshold=num(srow["threshold_min"]),
        )
    blocks: list[Block] = [
        Heading(1, c.t("s2"), "s2"),
        Heading(2, c.t("s2_1"), "s2-1"),
        Table([c.t(k) for k in keys], rows, "summary"),
        Para(explain, style="note"),
        Heading(2, c.t("s2_2"), "s2-2"),
    ]
    outside = c.t("outside")
    lab = unit_of_cells(run.plan.before.cells, c.units, outside)
    frames = []
    for cov in (run.plan.before, run.plan.after):
        cells = cov.cells.copy()
        cells["_unit"] = lab.to_numpy()
        frames.append(Coverage(cells, cov.rules, cov.weight).by_area("_unit").set_index("_unit"))
    b, a = frames
    tiers = list(run.plan.before.rules)
    headers = [c.t("h_area"), c.t("h_demand")]
    for t in tiers:
        headers += [c.t("h_before", tier=c.lab("tier", t)), c.t("h_after", tier=c.lab("tier", t))]
    order = [n for n in c.maps.unit_names if n in b.index] + sorted(
        str(x) for x in b.index if x not in c.maps.unit_names and x != outside
    )
    order += [outside] if outside in b.index else []
    area_rows = []
    for unit in order:
        row = [str(unit), num(b.loc[unit, "demand"])]
        for t in tiers:
            row += [pct(b.loc[unit, f"{t}_share"]), pct(a.loc[unit, f"{t}_share"])]
        area_rows.append(row)
    tb = run.plan.before.summary().set_index("tier")
    ta = run.plan.after.summary().set_index("tier")
    total = [c.t("total"), num(tb["demand"].iloc[0]) if len(tb) else "—"]
    for t in tiers:
        total += [pct(tb.loc[t, "share"]), pct(ta.loc[t, "share"])]
    area_rows.append(total)
    explain = c.t("explain_area")
    if has_sector and "sector" in tiers:
        srow = s.set_index("tier").loc["sector"]
        explain += c.t(
            "explain_area_sector",
            b=pct(tb.loc["sector", "share"]),
            a=pct(ta.loc["sector", "share"]),
            tb=pct(srow["share_before"]),
            ta=pct(srow["share_after"]),
        )
    if outside in b.index:
        explain += c.t("explain_outside", n=num(b.loc[outside, "demand"]))
    blocks += [Table(headers, area_rows, "by-area"), Para(explain, style="note")]
    blocks.append(Heading(2, c.t("s2_3"), "s2-3"))
    if c.groups:
        gb = run.plan.before.by_group(c.groups).set_index("group")
        ga = run.plan.after.by_group(c.groups).set_index("group")
        gh = [c.t("h_group"), c.t("h_demand")]
        for t in tiers:
            gh += [c.t("h_before", tier=c.lab("tier", t)), c.t("h_after", tier=c.lab("tier", t))]
        g_rows = []
        for g in gb.index:
            row = [c.lab("group", g), num(gb.loc[g, "demand"])]
            for t in tiers:
                row += [pct(gb.loc[g, f"{t}_share"]), pct(ga.loc[g, f"{t}_share"])]
            g_rows.append(row)
        blocks.append(Table(gh, g_rows, "by-group"))
    else:
        blocks.append(Para(c.t("groups_none")))
    blocks += floors_blocks(c)
    blocks += moments_blocks(c, n_hours)
    return blocks


# ---- 五 assumptions ---------------------------------------------------------------------


#: Input files without coordinates (tables joined to places by a code or an id): the
#: sources table says so instead of a coordinate system, whatever their section's
#: ``coords`` says (that of a census is its boundaries').
_NO_COORDS = frozenset(
    {
        ("population", "table"),
        ("population", "group_table"),
        ("roads", "edges"),
        ("transit", "lines"),
        ("transit", "line_stations"),
        ("work_logs", "path"),
    }
)
#: Input files whose format fixes their coordinates as WGS-84: OSM extracts, edge lists'
#: nodes (lon/lat in WGS-84 degrees) and GTFS feeds.
_WGS84 = frozenset({("roads", "path"), ("roads", "nodes"), ("transit", "path")})
#: Rasters carry their own coordinate system.
_OWN_CRS = frozenset({("population", "path"), ("population", "spread_grid")})


def _coords_of(name: str, key: str, given: str | None) -> str | None:
    """The coordinate system of one input file, from its section's ``coords`` and what the
    file is: ``"none"`` for a file without coordinates, ``"file"`` for a raster's own,
    ``None`` when unknown.

    Examples
    --------
    >>> _coords_of("population", "table", "gcj02"), _coords_of("population", "boundaries", "gcj02")
    ('none', 'gcj02')
    >>> _coords_of("roads", "nodes", None), _coords_of("population", "path", None)
    ('wgs84', 'file')
    """
    if (name, key) in _NO_COORDS:
        return "none"
    if (name, key) in _WGS84:
        return "wgs84"
    if (name, key) in _OWN_CRS:
        return "file"
    return given


def _file_date(path: Path, missing: str) -> str:
    try:
        ts = path.stat().st_mtime
    except OSError:
        return missing
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).date().isoformat()


def _model(c: Ctx, text: str) -> str:
    m = re.fullmatch(r"LSCP target (\d+)% of coverable demand", text)
    if m:
        return c.t("m_lscp", p=m.group(1))
    m = re.fullmatch(r"MCLP p=(\d+)(?:, capacity ([\d,]+))?", text)
    if m:
        out = c.t("m_mclp", p=m.group(1))
        return out + (c.t("m_capacity", c=m.group(2)) if m.group(2) else "")
    return text


def _assumptions(c: Ctx, sec: int) -> list[Block]:
    run = c.run
    rules = run.coverage.rules
    given = run.inputs.study.tiers
    sep = c.t("sep")

    def target(t: str) -> str:
        spec = given.get(t)
        if spec is not None and spec.max_new:
            return c.t("target_sites", n=spec.max_new)
        share = spec.target_share if spec is not None and spec.target_share else None
        return c.t("target_share", p=pct(share or settings.PLAN_TARGET_SHARE.get(t, float("nan"))))

    def min_new(t: str) -> str:
        spec = given.get(t)
        if spec is not None and spec.min_new_demand is not None:
            return num(spec.min_new_demand)
        return num(settings.MIN_NEW_DEMAND.get(t, float("nan")))

    tier_rows = [
        [
            c.lab("tier", t),
            num(r.threshold_min),
            sep.join(c.lab("mode", m) for m in r.modes),
            num(r.rural_radius_m) if r.rural_radius_m else "—",
            target(t),
            min_new(t),
        ]
        for t, r in rules.items()
    ]
    rates = sorted({float(x) for x in run.cells["rate"].unique()}) if "rate" in run.cells else []
    params = [
        [c.t("p_walk"), f"{settings.WALK_SPEED_KMH:g} km/h"],
        [c.t("p_ebike"), f"{settings.EBIKE_SPEED_KMH:g} km/h"],
    ]
    if c.uses_bus:
        window = "–".join(run.inputs.study.network.window)
        params += [
            [c.t("p_bus"), f"{settings.BUS_SPEED_KMH:g} km/h"],
            [c.t("p_headway"), c.t("minutes", v=f"{settings.DEFAULT_HEADWAY_MIN:g}")],
            [c.t("p_window"), f"{run.date.isoformat()} {window}"],
        ]
    params += [
        [c.t("p_spread"), _spread(c)],
        [
            c.t("p_rate"),
            sep.join(pct(x) for x in rates)
            or c.t(
                "p_rate_default",
                u=pct(settings.PARTICIPATION_RATE_URBAN),
                r=pct(settings.PARTICIPATION_RATE_RURAL),
            ),
        ],
        [c.t("p_urban"), c.t("per_km2", v=f"{settings.URBAN_DENSITY_PER_KM2:,.0f}")],
        [c.t("p_upgrade"), c.t("minutes", v=f"{settings.UPGRADE_WITHIN_MIN:g}")],
    ]
    if run.inputs.roads is not None:  # markets and sites are snapped to roads only with them
        params.insert(-1, [c.t("p_snap"), c.t("metres", v=f"{settings.MAX_SNAP_M:g}")])
    models = []
    for t, tp in run.plan.tiers.items():
        res = tp.result
        solver = str(getattr(res, "solver", "") or "")
        how = [c.lab("solver", solver.lower())] if solver else []
        how.append(c.t("m_gap", gap=pct(getattr(res, "gap", float("nan")))))
        models.append(
            c.t(
                "model_line",
                tier=c.lab("tier", t),
                model=_model(c, tp.model),
                status=c.lab("status", str(getattr(res, "status", ""))),
                how=c.t("comma").join(how),
                pruned=c.t("m_pruned", k=tp.pruned) if tp.pruned else "",
            )
        )
    study = run.inputs.study
    missing = c.t("missing_file")

    def coords(v: str | None) -> str:
        return c.lab("coords", v) if v else "—"

    sources = [
        [
            c.lab("input", "area"),
            study.area.path.name,
            coords(study.area.coords),
            _file_date(study.area.path, missing),
        ]
    ]
    for name, spec in study.inputs.items():
        for key, p in spec.paths.items():
            sub = c.lab("input", key)
            lab = c.lab("input", name) + (
                f"（{sub}）" if sub and c.doc.language == "zh" else f" ({sub})" if sub else ""
            )
            sources.append(
                [lab, p.name, coords(_coords_of(name, key, spec.coords)), _file_date(p, missing)]
            )
    notes, raw = [], []
    for n in run.notes:
        if c.doc.language == "zh":
            zh = translate_note(n)
            (notes.append(_site_refs(c, zh)) if zh else raw.append(n))
        else:
            notes.append(_site_refs(c, n))
    blocks: list[Block] = [
        Heading(1, c.t("s5", n=c.numeral(sec)), "method"),
        Heading(2, c.t("s5_1", n=sec), "method-1"),
        Table(
            [
                c.t(k)
                for k in ("h_tier", "h_threshold", "h_modes", "h_rural", "h_target", "h_min_new")
            ],
            tier_rows,
            "rules",
        ),
        Heading(2, c.t("s5_2", n=sec), "method-2"),
        Table([c.t("h_param"), c.t("h_value")], params, "params"),
        Heading(2, c.t("s5_3", n=sec), "method-3"),
        Bullets(models),
        Heading(2, c.t("s5_4", n=sec), "method-4"),
        Table(
            [c.t("h_input"), c.t("h_file"), c.t("h_coords"), c.t("h_file_date")], sources, "sources"
        ),
        Heading(2, c.t("s5_5", n=sec), "method-5"),
        Bullets(notes) if notes else Para(c.t("notes_none")),
    ]
    if raw:
        blocks += [
            Heading(2, c.t("s5_6", n=sec), "method-6"),
            Para(c.t("untranslated")),
            Bullets(raw),
        ]
    return blocks


# ---- 附表 ---------------------------------------------------------------------------------


def _annex(c: Ctx) -> list[Block]:
    sites = c.run.plan.sites
    headers = [
        c.t(k)
        for k in (
            "h_no",
            "h_name",
            "h_tier",
            "h_unit",
            "h_gcj_lon",
            "h_gcj_lat",
            "h_wgs_lon",
            "h_wgs_lat",
            "h_new_people",
        )
    ]
    rows = []
    for i in range(len(sites)):
        row = sites.iloc[i]
        rows.append(
            [
                str(i + 1),
                c.names[i].text(c.doc.language),
                c.lab("tier", row["tier"]),
                c.names[i].unit or "—",
                f"{c.gcj[i, 0]:.6f}",
                f"{c.gcj[i, 1]:.6f}",
                f"{c.lonlat[i, 0]:.6f}",
                f"{c.lonlat[i, 1]:.6f}",
                num(row.get("new_demand")),
            ]
        )
    return [Heading(1, c.t("annex"), "annex"), Table(headers, rows, "annex-sites")]

"""The proposal's answers to the bureau's questions (GitHub issue #11), as blocks.

- 二（三）the study's floors for priority groups, met or not (:func:`floors_blocks`);
- 二（四）coverage at each moment next to "any time", per tier before and after the plan,
  and the proposed opening hours of new sites (:func:`moments_blocks`);
- 五 existing markets closed at dawn with what opening two hours earlier buys, and capacity:
  over-full markets and sites (:func:`hours_capacity_section`);
- 六 what each new site buys: a curve per tier with the plan and the knee marked, and the
  points with their status and gap (:func:`curves_section`);
- 七 scenarios, when the run has them: the comparison table of
  :func:`planner.publish.scenarios.scenario_table` and the maps side by side
  (:func:`scenarios_section`);
- a site's proposed hours and expected daily attendance (:func:`site_facts`) and the
  findings the overview adds (:func:`key_findings`).

Every figure comes from the run's fields (``run.moments``, ``run.dawn``, ``run.curves``,
``run.capacity``, ``run.site_capacity``, ``run.floors``); nothing is recomputed here but
the count of markets open at a moment.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from planner import settings
from planner.analysis.moments import open_at
from planner.io.hours import OpeningHours, parse_hours
from planner.publish._answers import dawn_flags_of, hours_text, in_dawn, proposed_hours
from planner.publish.proposal_blocks import (
    Block,
    Ctx,
    Figure,
    Heading,
    Para,
    Table,
    num,
    pct,
    text_of,
)
from planner.publish.proposal_charts import curve_chart, scenario_panels

__all__ = [
    "curves_section",
    "floors_blocks",
    "hours_capacity_section",
    "key_findings",
    "moments_blocks",
    "scenarios_section",
    "site_facts",
]


def _moment(c: Ctx, m: Any) -> str:
    return m.label_zh if c.doc.language == "zh" else m.label


def _tiers(c: Ctx) -> list[str]:
    return list(c.run.plan.before.rules)


def _named(c: Ctx, name: Any, mid: Any) -> str:
    name, mid = text_of(name), text_of(mid)
    if not name or name == mid:
        return mid
    return f"{name}（{mid}）" if c.doc.language == "zh" else f"{name} ({mid})"


# ---- 二（四）coverage at each moment -------------------------------------------------------


def moments_blocks(c: Ctx, hours_section: int) -> list[Block]:
    """Coverage at each moment next to any time, and the proposed hours of new sites."""
    run = c.run
    blocks: list[Block] = [Heading(2, c.t("s2_4"), "s2-4")]
    if not run.moments:
        return [*blocks, Para(c.t("moments_none"))]
    tiers = _tiers(c)
    headers = [c.t("h_moment"), c.t("h_open")]
    for t in tiers:
        headers += [c.t("h_before", tier=c.lab("tier", t)), c.t("h_after", tier=c.lab("tier", t))]
    n_mk = len(run.markets)
    tb = run.plan.before.summary().set_index("tier")["share"]
    ta = run.plan.after.summary().set_index("tier")["share"]
    rows = [[c.t("any_time"), c.t("open_of", k=n_mk, n=n_mk)]]
    for t in tiers:
        rows[0] += [pct(tb[t]), pct(ta[t])]
    for mc in run.moments:
        shares = mc.shares()
        row = [
            _moment(c, mc.moment),
            c.t("open_of", k=len(open_at(run.markets, mc.when)[0]), n=n_mk),
        ]
        for t in tiers:
            b, a = shares.get(t, (float("nan"), float("nan")))
            row += [pct(b), pct(a)]
        rows.append(row)
    window = "–".join(run.inputs.study.network.window)
    explain = c.t(
        "explain_moments" if c.uses_bus else "explain_moments_nobus",
        window=window,
        bus=f"{settings.MOMENT_BUS_WINDOW_MIN:g}",
    )
    explain += c.t("explain_moments_residents")
    if "sector" in tiers:  # the sector column is in the table only with the sector tier
        explain += c.t("explain_moments_sector")
    blocks += [Table(headers, rows, "moments"), Para(explain + c.t("stop"), style="note")]
    parts = [
        c.t("hours_part", tier=c.lab("tier", t), hours=proposed_hours(t, c.doc.language))
        for t in tiers
        if proposed_hours(t)
    ]
    text = c.t("proposed_hours", parts=c.t("semi").join(parts)) if parts else ""
    closed = []
    for t in tiers:
        spec = settings.PROPOSED_HOURS.get(t)
        if not spec:
            continue
        hours = parse_hours(spec)
        shut = [mc.moment for mc in run.moments if not hours.is_open(mc.when)]
        if shut:
            moments = c.t("sep").join(_moment(c, m) for m in shut)
            closed.append(c.t("hours_closed_at", tier=c.lab("tier", t), moments=moments))
    if parts:
        text += "".join(closed) if closed else c.t("hours_open_all")
    flags = dawn_flags_of(run)
    if flags:
        text += c.t("dawn_hint", k=len(flags), n=c.numeral(hours_section))
    if text:
        blocks.append(Para(text))
    return blocks


def site_facts(c: Ctx, site_id: str, tier: str) -> list[tuple[str, str]]:
    """A new site's proposed opening hours and expected daily attendance (its facts)."""
    out = []
    hours = proposed_hours(tier, c.doc.language)
    if hours:
        out.append((c.t("f_hours"), hours))
    load = c.run.site_capacity
    if load is not None and len(load):
        hit = load[load["site_id"].astype(str) == site_id]
        if len(hit):
            r = hit.iloc[0]
            cap = float(r["capacity"]) if r["capacity"] is not None else float("nan")
            if math.isfinite(cap):
                over = c.t("over") if bool(r["over_full"]) else c.t("not_over")
                text = c.t("daily_cap", n=num(r["expected_daily"]), cap=num(cap), over=over)
            else:
                text = c.t("daily", n=num(r["expected_daily"]))
            out.append((c.t("f_daily"), text))
    return out


# ---- 二（三）floors --------------------------------------------------------------------


def floors_blocks(c: Ctx) -> list[Block]:
    """The study's floors for priority groups, met or not."""
    fl = c.run.floors
    if fl is None or len(fl) == 0:
        return [Para(c.t("floors_none"))]
    rows = [
        [
            c.lab("tier", r["tier"]),
            c.lab("group", r["group"]),
            pct(r["floor"]),
            pct(r["achieved"]),
            c.t("met") if bool(r["met"]) else c.t("not_met"),
        ]
        for r in fl.to_dict("records")
    ]
    headers = [c.t(k) for k in ("h_tier", "h_group", "h_floor", "h_achieved", "h_met")]
    return [
        Para(c.t("floors_intro")),
        Table(headers, rows, "floors"),
        Para(c.t("explain_floors"), style="note"),
    ]


# ---- 五 hours and capacity ---------------------------------------------------------------


def hours_capacity_section(c: Ctx, n: int) -> list[Block]:
    """Existing markets closed at dawn, and capacity of markets and sites."""
    run = c.run
    h = f"{settings.OPEN_EARLIER_MIN / 60:g}"
    lo, hi = settings.DAWN_WINDOW
    blocks: list[Block] = [
        Heading(1, c.t("sa", n=c.numeral(n)), f"s{n}"),
        Heading(2, c.t("sa_1", n=n), f"s{n}-1"),
    ]
    flags = dawn_flags_of(run)
    if flags:
        hours_of = {}
        if len(run.markets) and "opening_hours" in run.markets:
            hours_of = dict(
                zip(run.markets["market_id"].astype(str), run.markets["opening_hours"], strict=True)
            )
        rows = []
        for f in flags.values():
            oh = hours_of.get(f.market_id)
            oh = oh if isinstance(oh, OpeningHours) else None
            rows.append(
                [
                    _named(c, f.name, f.market_id),
                    c.lab("tier", f.tier),
                    hours_text(oh, c.doc.language) if oh is not None else f.hours,
                    f.moments(c.doc.language, c.t("sep")) or c.t("na"),
                    _moment(c, f.gain_at) if f.gain_at is not None else c.t("na"),
                    num(f.new_workers) if f.gain_at is not None else c.t("na"),
                ]
            )
        headers = [
            c.t("h_mname"),
            c.t("h_tier"),
            c.t("h_hours"),
            c.t("h_closed_at"),
            c.t("h_gain_at", h=h),
            c.t("h_gain"),
        ]
        blocks += [Para(c.t("dawn_intro", lo=lo, hi=hi, h=h)), Table(headers, rows, "dawn")]
        note = c.t("dawn_advice")
        if any(f.gain_at is None for f in flags.values()):
            note = c.t("dawn_no_gain", h=h) + note
        blocks.append(Para(note, style="note"))
    else:
        blocks.append(Para(c.t("dawn_none")))
    blocks.append(Heading(2, c.t("sa_2", n=n), f"s{n}-2"))
    blocks.append(Para(c.t("cap_intro", share=pct(settings.DAILY_ATTENDANCE_SHARE))))
    cap = run.capacity
    if cap is not None and len(cap):
        rows = []
        for r in cap.to_dict("records"):
            known = r["capacity"] is not None and math.isfinite(float(r["capacity"]))
            rows.append(
                [
                    _named(c, r["name"], r["market_id"]),
                    c.lab("tier", r["tier"]),
                    num(r["catchment"]),
                    num(r["expected_daily"]),
                    num(r["capacity"]) if known else c.t("cap_unknown"),
                    (c.t("over") if bool(r["over_full"]) else c.t("not_over"))
                    if known
                    else c.t("cap_unknown"),
                ]
            )
        headers = [
            c.t(k) for k in ("h_mname", "h_tier", "h_catchment", "h_daily", "h_capacity", "h_over")
        ]
        over = int(cap["over_full"].astype(bool).sum())
        blocks += [
            Table(headers, rows, "capacity"),
            Para(c.t("cap_over", k=over) if over else c.t("cap_over_none")),
        ]
    else:
        blocks.append(Para(c.t("cap_markets_none")))
    load = run.site_capacity
    given = (
        load[np.isfinite(load["capacity"].to_numpy(dtype=float))]
        if load is not None and len(load)
        else None
    )
    if given is None or len(given) == 0:
        blocks.append(Para(c.t("cap_sites_none")))
        return blocks
    over_sites = given[given["over_full"].astype(bool)]
    if len(over_sites) == 0:
        blocks.append(Para(c.t("cap_sites_ok", m=len(given))))
        return blocks
    blocks.append(Para(c.t("cap_sites_over", k=len(over_sites), m=len(given) - len(over_sites))))
    rows = []
    for r in over_sites.to_dict("records"):
        sid = str(r["site_id"])
        i = c.numbers.get(sid)
        name = c.names[i - 1].text(c.doc.language) if i is not None else sid
        rows.append(
            [
                f"{i}. {name}" if i is not None else name,
                c.lab("tier", r["tier"]),
                num(r["expected_daily"]),
                num(r["capacity"]),
            ]
        )
    headers = [c.t("h_site"), c.t("h_tier"), c.t("h_daily"), c.t("h_capacity")]
    blocks.append(Table(headers, rows, "site-capacity"))
    return blocks


# ---- 六 what each new site buys ----------------------------------------------------------


def curves_section(c: Ctx, n: int, first_figure: int) -> list[Block]:
    """Per tier, the curve (figure), what it says of the plan, and its points (table)."""
    run = c.run
    blocks: list[Block] = [Heading(1, c.t("sb", n=c.numeral(n)), f"s{n}")]
    tiers = [t for t in _tiers(c) if t in run.curves]
    if not tiers:
        return [*blocks, Para(c.t("curves_none"))]
    blocks += [Para(c.t("curve_intro")), Para(c.t("curve_note"), style="note")]
    fig = first_figure
    for i, tier in enumerate(tiers, start=1):
        curve = run.curves[tier]
        tl = c.lab("tier", tier)
        tl = tl[:1].upper() + tl[1:]  # it starts the heading and the caption (en)
        blocks.append(Heading(2, c.t("sb_t", n=n, i=c.numeral(i), tier=tl), f"s{n}-{i}"))
        pts = curve.points
        drawing = curve_chart(
            curve,
            t=c.t,
            tier_label=tl,
            status_label=lambda s: c.lab("status", s),
        )
        blocks.append(
            Figure(
                drawing,
                c.t(
                    "curve_fig",
                    k=fig,
                    tier=tl,
                    chosen=curve.chosen if curve.chosen is not None else c.t("na"),
                    knee=curve.knee if curve.knee is not None else c.t("na"),
                    total=num(curve.total),
                ),
                f"curve-{tier}",
                width_cm=13.5,
            )
        )
        fig += 1
        read = ""
        hit = pts[pts["k"] == curve.chosen] if curve.chosen else pts.iloc[0:0]
        if len(hit):
            r = hit.iloc[0]
            read = c.t(
                "curve_read",
                tier=c.lab("tier", tier),
                chosen=curve.chosen,
                covered=num(r["covered"]),
                share=pct(r["share"]),
            )
            if curve.knee is None:
                read += c.t("curve_noknee")
            elif curve.chosen is not None and curve.chosen < curve.knee:
                read += c.t("curve_before", knee=curve.knee)
            elif curve.chosen == curve.knee:
                read += c.t("curve_at")
            else:
                read += c.t("curve_after", knee=curve.knee)
        if read:
            blocks.append(Para(read))
        rows = [
            [
                str(int(r["k"])),
                num(r["covered"]),
                pct(r["share"]),
                c.lab("status", str(r["status"])),
                pct(r["gap"]),
            ]
            for r in pts.to_dict("records")
        ]
        headers = [c.t(k) for k in ("h_k", "h_covered", "h_share_cov", "h_status", "h_gap")]
        blocks.append(Table(headers, rows, f"curve-{tier}"))
    return blocks


# ---- 七 scenarios --------------------------------------------------------------------------


def scenario_name(c: Ctx, name: str) -> str:
    """A scenario's name as the proposal writes it (the study's own run is 基准方案)."""
    return c.t("base") if name == "base" else name


def scenarios_section(c: Ctx, n: int, figure: int) -> list[Block]:
    """The comparison table and the scenarios' maps side by side."""
    from planner.publish.scenarios import scenario_table

    runs = c.scenarios
    table = scenario_table(runs)
    rows = [
        [
            scenario_name(c, str(r["scenario"])),
            c.lab("tier", r["tier"]),
            num(r["threshold_min"]),
            num(r["demand"]),
            pct(r["share_before"]),
            pct(r["share_after"]),
            str(int(r["new_sites"])),
            num(r["workers_per_site"]),
        ]
        for r in table.to_dict("records")
    ]
    headers = [
        c.t(k)
        for k in (
            "h_scenario",
            "h_tier",
            "h_threshold",
            "h_demand",
            "h_share_before",
            "h_share_after",
            "h_new",
            "h_per_site",
        )
    ]
    titles = {
        name: c.t("sc_panel", name=scenario_name(c, name), n=len(run.plan.sites))
        for name, run in runs.items()
    }
    drawing = scenario_panels(runs, c.maps, titles=titles, label=c.t("sc_label"))
    return [
        Heading(1, c.t("sc", n=c.numeral(n)), f"s{n}"),
        Para(c.t("sc_intro", k=sum(1 for name in runs if name != "base"))),
        Table(headers, rows, "scenarios"),
        Figure(drawing, c.t("sc_fig", k=figure), "scenarios", width_cm=15.5),
    ]


# ---- 一 findings ---------------------------------------------------------------------------


def key_findings(c: Ctx, hours_section: int) -> str:
    """Coverage at the first dawn moment, markets closed at dawn and over-full (one line)."""
    run = c.run
    text = ""
    dawn = [mc for mc in run.moments if in_dawn(mc.moment)]
    tiers = _tiers(c)
    tier = "station" if "station" in tiers else (tiers[-1] if tiers else None)
    if dawn and tier is not None:
        b, a = dawn[0].shares().get(tier, (float("nan"), float("nan")))
        anytime = run.plan.after.summary().set_index("tier")["share"].get(tier, float("nan"))
        text += c.t(
            "key_dawn",
            moment=_moment(c, dawn[0].moment),
            tier=c.lab("tier", tier),
            b=pct(b),
            a=pct(a),
            any=pct(anytime),
        )
    flags = len(dawn_flags_of(run))
    over = int(run.capacity["over_full"].astype(bool).sum()) if run.capacity is not None else 0
    if flags or over:
        text += c.t("key_flags", k=flags, j=over, n=c.numeral(hours_section))
    return text

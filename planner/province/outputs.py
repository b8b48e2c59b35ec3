"""The province's own outputs, written over the counties' (``counties/<code>/``).

:func:`publish_province` writes into the study's output folder::

    summary.json        the province's figures: per-county entries, coverage by city and
                        by county, the one-market-per-county rule, every new site, notes
    run_report.json     how the run went: time, CPU time and peak memory per county and per
                        worker, cache hits, failures with their errors (varies run to run)
    proposal/           the province proposal (proposal.md, proposal.html) linking to each
                        county's own proposal
    public/             one light public site for the whole province (:mod:`.site`)
    planner_map.html    the province planner map with drill-down to each county (:mod:`.site`)

``summary.json`` holds no clock time and is assembled in county-code order, so the same
inputs give the same bytes whichever worker ran a county. Shares are 0-1. Its keys::

    study, planner, split, buffer_m         what was run
    counties_total, counties_failed         how many counties, how many failed
    population, demand                      of the counties that finished
    tiers: {tier: {demand, covered_before, covered_after, new_sites}}   demand-weighted
    county_rule: {rule, met, counties_met, counties_not_met: [{code, name, status}]}
    by_city: {city code: {name, counties, counties_failed, population, demand, tiers,
                          county_codes}}
    counties: [{code, name, city_code, city_name, status, error, population, demand,
                tiers, markets_open, comprehensive_open, new_sites, new_comprehensive,
                rule_met, warnings, folder}]
    failed: [{code, name, error}]
    sites: [{county, id, tier, name, lon, lat, …}]   every new site (WGS-84)
    notes                                   the inputs' notes, then the counties' (counted)
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from planner import __version__
from planner.province.runner import CountyOutcome, ProvinceRun
from planner.publish._output import OutputFolder

__all__ = ["province_summary", "publish_province", "run_report"]

_TIERS = ("comprehensive", "sector", "station")
_TIER_ZH = {
    "comprehensive": "综合性零工市场",
    "sector": "行业性零工市场",
    "station": "零工服务站点",
}


def _num(v: Any, digits: int = 6) -> float | None:
    if v is None:
        return None
    f = float(v)
    return round(f, digits) if math.isfinite(f) else None


def _own_markets(run: ProvinceRun) -> dict[str, list[dict[str, Any]]]:
    """Open directory rows of each county (any tier), with their tier."""
    markets = run.inputs.markets
    if markets is None:
        return {}
    from planner.province.split import _market_county

    county_of = _market_county(markets, [o.county for o in run.counties])
    out: dict[str, list[dict[str, Any]]] = {}
    for i, (_, r) in enumerate(markets.iterrows()):
        if county_of[i] is None or str(r.get("status", "")) in ("closed", "suspended"):
            continue
        out.setdefault(str(county_of[i]), []).append(
            {"id": str(r["market_id"]), "tier": str(r.get("tier") or "")}
        )
    return out


def _tier_figures(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for tier, t in dict(summary.get("tiers", {})).items():
        out[tier] = {
            "demand": _num(t.get("demand"), 1),
            "covered_before": _num(t.get("covered_before")),
            "covered_after": _num(t.get("covered_after")),
            "new_sites": int(t.get("new_sites") or 0),
        }
    return out


def _aggregate(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Population, demand and demand-weighted coverage of a group of counties."""
    done = [e for e in entries if e["status"] == "done"]
    tiers: dict[str, Any] = {}
    for tier in _TIERS:
        rows = [e["tiers"][tier] for e in done if tier in e["tiers"]]
        if not rows:
            continue
        demand = sum(r["demand"] or 0.0 for r in rows)
        before = sum((r["demand"] or 0.0) * (r["covered_before"] or 0.0) for r in rows)
        after = sum((r["demand"] or 0.0) * (r["covered_after"] or 0.0) for r in rows)
        tiers[tier] = {
            "demand": _num(demand, 1),
            "covered_before": _num(before / demand) if demand > 0 else None,
            "covered_after": _num(after / demand) if demand > 0 else None,
            "new_sites": sum(r["new_sites"] for r in rows),
        }
    return {
        "counties": len(entries),
        "counties_failed": len(entries) - len(done),
        "population": _num(sum(e["population"] or 0.0 for e in done), 1),
        "demand": _num(sum(e["demand"] or 0.0 for e in done), 1),
        "tiers": tiers,
    }


def _county_entry(o: CountyOutcome, own: list[dict[str, Any]]) -> dict[str, Any]:
    c = o.county
    s = o.summary
    sites = list(s.get("sites", []))
    comp_open = sum(m["tier"] == "comprehensive" for m in own)
    comp_new = sum(x.get("tier") == "comprehensive" for x in sites)
    done = o.status == "done"
    return {
        "code": c.code,
        "name": c.name,
        "city_code": c.city_code,
        "city_name": c.city_name,
        "status": o.status,
        "error": o.error or None,
        "population": _num(s.get("population"), 1) if done else None,
        "demand": _num(s.get("demand"), 1) if done else None,
        "tiers": _tier_figures(s) if done else {},
        "markets_open": len(own),
        "comprehensive_open": comp_open,
        "new_sites": len(sites),
        "new_comprehensive": comp_new,
        "rule_met": (comp_open + comp_new >= 1) if done else None,
        "warnings": list(s.get("warnings", [])),
        "folder": o.folder or None,
    }


def province_summary(run: ProvinceRun) -> dict[str, Any]:
    """The province's figures as a JSON-ready dict (see the module docstring)."""
    own = _own_markets(run)
    entries = [_county_entry(o, own.get(o.county.code, [])) for o in run.counties]
    cities: dict[str, list[dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for e in entries:
        cities.setdefault(e["city_code"], []).append(e)
        names[e["city_code"]] = e["city_name"]
    by_city = {
        code: {"name": names[code], **_aggregate(rows), "county_codes": [r["code"] for r in rows]}
        for code, rows in sorted(cities.items())
    }
    missing = [
        {"code": e["code"], "name": e["name"], "status": e["status"]}
        for e in entries
        if e["rule_met"] is not True
    ]
    sites = []
    for o in run.counties:
        for site in o.summary.get("sites", []) if o.status == "done" else []:
            sites.append({"county": o.county.code, **site})
    notes: Counter[str] = Counter()
    for o in run.counties:
        for n in o.summary.get("notes", []) if o.status == "done" else []:
            notes[n] += 1
    county_notes = [f"{n} ({k} of {len(entries)} counties)" for n, k in sorted(notes.items())]
    total = _aggregate(entries)
    total["counties_total"] = total.pop("counties")
    return {
        "study": run.study.name,
        "planner": __version__,
        "split": "county",
        "buffer_m": _num(run.buffer_m, 1),
        **total,
        "county_rule": {
            "rule": "各县(市、区)至少1家公益性零工市场 (鲁人社字〔2022〕3号): an open comprehensive "
            "market or a proposed comprehensive site in every county",
            "met": not missing,
            "counties_met": len(entries) - len(missing),
            "counties_not_met": missing,
        },
        "by_city": by_city,
        "counties": entries,
        "failed": [
            {"code": e["code"], "name": e["name"], "error": e["error"]}
            for e in entries
            if e["status"] != "done"
        ],
        "sites": sites,
        "notes": [*run.inputs.notes, *county_notes],
    }


def run_report(run: ProvinceRun) -> dict[str, Any]:
    """How the run went: per-county time and memory, per-worker peaks, cache hits, failures."""
    rows = []
    per_worker: dict[int, dict[str, float]] = {}
    for o in run.counties:
        rows.append(
            {
                "code": o.county.code,
                "name": o.county.name,
                "status": o.status,
                "cached": o.cached,
                "seconds": round(o.seconds, 2),
                "cpu_seconds": round(o.cpu_seconds, 2),
                "peak_rss_mb": round(o.peak_rss_mb, 1),
                "error": o.error or None,
                "traceback": o.traceback or None,
            }
        )
        if not o.cached and o.worker_pid:
            w = per_worker.setdefault(o.worker_pid, {"counties": 0, "peak_rss_mb": 0.0})
            w["counties"] += 1
            w["peak_rss_mb"] = max(w["peak_rss_mb"], round(o.peak_rss_mb, 1))
    computed = [o for o in run.counties if not o.cached]
    return {
        "study": run.study.name,
        "workers": run.workers,
        "scheduler": run.scheduler or "embedded LocalCluster",
        "seconds": round(run.seconds, 2),
        "counties": len(run.counties),
        "recomputed": len(computed),
        "from_cache": len(run.counties) - len(computed),
        "failed": len(run.failed),
        "county_seconds": round(sum(o.seconds for o in computed), 2),
        "county_cpu_seconds": round(sum(o.cpu_seconds for o in computed), 2),
        "workers_peak_rss_mb": [per_worker[k] for k in sorted(per_worker)],
        "per_county": rows,
    }


def _pct(v: Any) -> str:
    return "–" if v is None else f"{100 * float(v):.1f}%"


def _proposal_md(s: dict[str, Any], title: str) -> str:
    rule = s["county_rule"]
    lines = [
        f"# {title}",
        "",
        f"- 区县 counties: {s['counties_total']}（失败 failed: {s['counties_failed']}）",
        f"- 常住人口 population: {s['population'] or 0:,.0f}",
        f"- 零工需求 flexible-worker demand: {s['demand'] or 0:,.0f}",
        f"- 每县至少一家 one market per county: {'达标 met' if rule['met'] else '未达标 not met'}"
        f"（{rule['counties_met']}/{s['counties_total']}）",
        f"- 跨县缓冲 buffer around each county: {(s['buffer_m'] or 0) / 1000:.1f} km",
        "",
        "## 各层级覆盖 Coverage by tier",
        "",
        "| 层级 tier | 需求 demand | 规划前 before | 规划后 after | 新增 new |",
        "|---|---:|---:|---:|---:|",
    ]
    for tier, t in s["tiers"].items():
        lines.append(
            f"| {_TIER_ZH.get(tier, tier)} | {t['demand'] or 0:,.0f} | {_pct(t['covered_before'])}"
            f" | {_pct(t['covered_after'])} | {t['new_sites']} |"
        )
    lines += [
        "",
        "## 各市 By city",
        "",
        "| 市 city | 区县 | 人口 | 综合性 before | 综合性 after | 新增 new |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for city in s["by_city"].values():
        comp = city["tiers"].get("comprehensive", {})
        new = sum(t["new_sites"] for t in city["tiers"].values())
        lines.append(
            f"| {city['name']} | {city['counties']} | {city['population'] or 0:,.0f} | "
            f"{_pct(comp.get('covered_before'))} | {_pct(comp.get('covered_after'))} | {new} |"
        )
    lines += [
        "",
        "## 各区县 By county",
        "",
        "| 区县 county | 市 city | 人口 | 综合性 after | 新增 new | 每县一家 | 方案 proposal |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for e in s["counties"]:
        comp = e["tiers"].get("comprehensive", {})
        met = {True: "✓", False: "✗", None: "失败 failed"}[e["rule_met"]]
        link = f"[{e['code']}](../{e['folder']}/proposal/proposal.html)" if e["folder"] else "–"
        lines.append(
            f"| {e['name']} | {e['city_name']} | {e['population'] or 0:,.0f} | "
            f"{_pct(comp.get('covered_after'))} | {e['new_sites']} | {met} | {link} |"
        )
    if s["failed"]:
        lines += ["", "## 未完成的区县 Counties that failed", ""]
        lines += [f"- {f['name']} ({f['code']}): {f['error']}" for f in s["failed"]]
    if s["notes"]:
        lines += ["", "## 说明 Notes", ""]
        lines += [f"- {n}" for n in s["notes"]]
    return "\n".join(lines) + "\n"


def _md_to_html(md: str, title: str) -> str:
    """The proposal's Markdown as a plain HTML page (headings, lists, tables, links)."""
    import re

    link = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")

    def inline(text: str) -> str:
        out, pos = [], 0
        for m in link.finditer(text):
            out.append(html.escape(text[pos : m.start()]))
            out.append(f'<a href="{html.escape(m.group(2))}">{html.escape(m.group(1))}</a>')
            pos = m.end()
        out.append(html.escape(text[pos:]))
        return "".join(out)

    body: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if not rows:
            return
        head, *rest = rows
        body.append("<table><thead><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head))
        body.append("</tr></thead><tbody>")
        for r in rest:
            body.append("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>")
        body.append("</tbody></table>")
        rows.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not all(set(c) <= set("-:") for c in cells):
                rows.append(cells)
            continue
        flush()
        if line.startswith("## "):
            body.append(f"<h2>{inline(line[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{inline(line[2:])}</h1>")
        elif line.startswith("- "):
            body.append(f"<p>• {inline(line[2:])}</p>")
    flush()
    style = (
        "body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:.2em .5em}td{text-align:right}td:first-child{text-align:left}"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>'
        f"{html.escape(title)}</title><style>{style}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def publish_province(run: ProvinceRun) -> dict[str, Path]:
    """Write the province's summary, run report, proposal, public site and planner map.

    Returns what was written, by label. The counties' own outputs were written by
    :func:`~planner.province.runner.run_province`.
    """
    from planner.province.site import write_planner_map, write_public_site

    study = run.study
    out = OutputFolder(run.out_dir, inputs=study.files)
    summary = province_summary(run)
    written = {
        "summary": out.write(
            "summary.json", json.dumps(summary, ensure_ascii=False, indent=1) + "\n"
        ),
        "run report": out.write(
            "run_report.json", json.dumps(run_report(run), ensure_ascii=False, indent=1) + "\n"
        ),
    }
    title = (study.outputs.title if study.outputs else None) or f"{study.name} 零工市场布局方案"
    md = _proposal_md(summary, title)
    prop = OutputFolder(run.out_dir / "proposal", inputs=study.files)
    written["proposal (md)"] = prop.write("proposal.md", md)
    written["proposal (html)"] = prop.write("proposal.html", _md_to_html(md, title))
    written["public site"] = write_public_site(run, summary)
    written["planner map"] = write_planner_map(run, summary)
    return written

"""Scenarios side by side: a comparison table (CSV + HTML) with a small map per scenario.

``planner run study.toml --scenarios`` runs the study and each ``[scenarios.NAME]``
(:func:`planner.pipeline.run_scenarios`); :func:`write_scenarios` writes

``scenarios.csv``
    one row per scenario and tier: demand, covered before and after (shares), new sites,
    workers newly covered per new site;
``scenarios_by_area.csv``, ``scenarios_by_group.csv``
    covered share after the plan per unit (county/township) and per priority group;
``scenarios.html``
    the tables and one map per scenario (units, demand cells covered or not by the
    scenario's stations, proposed sites by tier), offline, in Chinese.

:func:`scenario_summary` gives the figures ``summary.json`` keeps under ``scenarios``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from planner import settings
from planner.publish._output import OutputFolder, _csv_bytes

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = ["scenario_summary", "scenario_table", "write_scenarios"]

PathArg = str | PathLike[str]

_TIER_COLOURS = {"comprehensive": "#d62728", "sector": "#1f77b4", "station": "#2ca02c"}


def scenario_table(runs: Mapping[str, StudyRun]) -> pd.DataFrame:
    """One row per scenario and tier (see the module docstring)."""
    rows = []
    for name, run in runs.items():
        sites = run.plan.sites
        r: dict[Any, Any]
        for r in run.plan.summary().to_dict("records"):
            mine = sites[sites["tier"] == r["tier"]] if len(sites) else sites
            new = float(mine["new_demand"].sum()) if len(mine) else 0.0
            n_new = int(r["new_sites"])
            rows.append(
                {
                    "scenario": name,
                    "tier": str(r["tier"]),
                    "threshold_min": float(r["threshold_min"]),
                    "demand": float(r["demand"]),
                    "share_before": float(r["share_before"]),
                    "share_after": float(r["share_after"]),
                    "new_sites": n_new,
                    "workers_per_site": new / n_new if n_new else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def _by(runs: Mapping[str, StudyRun], what: str) -> pd.DataFrame:
    frames = []
    for name, run in runs.items():
        if what == "area":
            if "unit_code" not in run.plan.after.cells:
                continue
            t = run.plan.after.by_area("unit_code").rename(columns={"unit_code": "unit"})
        else:
            groups = list(run.cells.attrs.get("groups", []))
            if not groups:
                continue
            t = run.plan.after.by_group(groups)
        t.insert(0, "scenario", name)
        frames.append(t)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def scenario_summary(runs: Mapping[str, StudyRun]) -> dict[str, Any]:
    """``{name: {tiers: {tier: {covered_after, new_sites, workers_per_site}}, sites}}``."""
    table = scenario_table(runs)
    out: dict[str, Any] = {}
    for name, grp in table.groupby("scenario", sort=False):
        recs: list[dict[Any, Any]] = grp.to_dict("records")
        out[str(name)] = {
            "tiers": {
                str(r["tier"]): {
                    "threshold_min": float(r["threshold_min"]),
                    "covered_after": round(float(r["share_after"]), 6),
                    "new_sites": int(r["new_sites"]),
                    "workers_per_site": None
                    if not np.isfinite(r["workers_per_site"])
                    else round(float(r["workers_per_site"]), 1),
                }
                for r in recs
            },
            "sites": int(grp["new_sites"].sum()),
        }
    return out


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "" if not np.isfinite(v) else f"{v:.4g}" if abs(v) < 1 else f"{v:,.1f}"
    return str(v)


def _map_svg(run: StudyRun, *, size: int = 320) -> str:
    """A small map: units, demand cells (green when a station tier covers them after the
    plan, grey otherwise), proposed sites by tier."""
    units = run.inputs.area.units
    west, south, east, north = units.total_bounds
    scale = size / max(east - west, north - south, 1.0)
    height = int((north - south) * scale) + 1

    def xy(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (x - west) * scale, (north - y) * scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{height}" '
        f'viewBox="0 0 {size} {height}" role="img">'
    ]
    for geom in units.geometry.values:
        for poly in shapely.get_parts(geom):
            ring = np.asarray(poly.exterior.coords)
            px, py = xy(ring[:, 0], ring[:, 1])
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
            parts.append(f'<polygon points="{pts}" fill="none" stroke="#555" stroke-width="1"/>')
    cells = run.plan.after.cells
    col = "station_covered" if "station_covered" in cells else None
    c = shapely.centroid(np.asarray(cells.geometry.values, dtype=object))
    cx, cy = xy(shapely.get_x(c), shapely.get_y(c))
    covered = cells[col].to_numpy(dtype=bool) if col else np.zeros(len(cells), dtype=bool)
    w = cells[run.plan.after.weight].to_numpy(dtype=float)
    for x, y, ok, d in zip(cx, cy, covered, w, strict=True):
        if d > 0:
            fill = "#9bd49b" if ok else "#cccccc"
            parts.append(
                f'<rect x="{x - 1:.1f}" y="{y - 1:.1f}" width="2" height="2" fill="{fill}"/>'
            )
    sites = run.plan.sites
    if len(sites):
        sx, sy = xy(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy())
        for x, y, tier in zip(sx, sy, sites["tier"], strict=True):
            colour = _TIER_COLOURS.get(str(tier), "#000")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" stroke="#fff"/>')
    parts.append("</svg>")
    return "".join(parts)


def _html_table(frame: pd.DataFrame, headers: Mapping[str, str]) -> str:
    cols = [c for c in headers if c in frame.columns]
    head = "".join(f"<th>{escape(headers[c])}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_fmt(r[c]))}</td>" for c in cols) + "</tr>"
        for r in frame.to_dict("records")
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_HEADERS = {
    "scenario": "方案",
    "tier": "层级",
    "threshold_min": "时间阈值（分钟）",
    "demand": "需求（人）",
    "share_before": "规划前覆盖率",
    "share_after": "规划后覆盖率",
    "new_sites": "新增站点（处）",
    "workers_per_site": "每处新增覆盖（人）",
}


def write_scenarios(
    runs: Mapping[str, StudyRun], out_dir: PathArg, *, inputs: Iterable[PathArg] = ()
) -> dict[str, Path]:
    """Write the comparison files (see the module docstring) into ``out_dir``."""
    folder = OutputFolder(out_dir, inputs=inputs)
    table = scenario_table(runs)
    written = {
        "scenarios (CSV)": folder.write(
            "scenarios.csv",
            _csv_bytes(list(table.columns), table.itertuples(index=False)),
        )
    }
    for what in ("area", "group"):
        t = _by(runs, what)
        if len(t):
            written[f"scenarios by {what} (CSV)"] = folder.write(
                f"scenarios_by_{what}.csv", _csv_bytes(list(t.columns), t.itertuples(index=False))
            )
    shown = table.assign(
        tier=[settings.TIER_LABELS_ZH.get(t, t) for t in table["tier"]],
    )
    maps = "".join(
        f"<figure><figcaption>{escape(name)}（{len(run.plan.sites)} 处新增站点）</figcaption>"
        f"{_map_svg(run)}</figure>"
        for name, run in runs.items()
    )
    legend = "".join(
        f'<span style="color:{c}">●</span> {escape(settings.TIER_LABELS_ZH[t])} '
        for t, c in _TIER_COLOURS.items()
    )
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>方案比较</title><style>body{font-family:sans-serif;margin:1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        ".maps{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}</style></head><body>"
        f"<h1>方案比较 Scenarios</h1>{_html_table(shown, _HEADERS)}"
        f"<h2>各方案站点分布</h2><p>{legend}；绿色格网：零工服务站点覆盖；灰色：未覆盖。</p>"
        f'<div class="maps">{maps}</div></body></html>\n'
    )
    written["scenarios (HTML)"] = folder.write("scenarios.html", html)
    return written

"""``summary.json``: a run's figures in one small file other systems and tests can read.

Keys (shares are 0-1, people and workers are counts, coordinates WGS-84)::

    study, service_date, window            what was run
    population, demand                     people in the study area, flexible-worker demand
    demand_spread                          how people were placed (grid, road/stop density …)
    tiers: {tier: {threshold_min, modes, demand, covered_before, covered_after,
                   share_by_mode: {mode: share after the plan}, new_sites,
                   model, status, objective, bound, gap}}
    sites: [{id, tier, name, anchor_kind, lon, lat, new_demand,
             nearest_market, nearest_market_min, reason}]   reason: why, in Chinese
    coverage_at: {moment: {tier: share after the plan}} (and coverage_at_before)
                                           markets only while open, buses only while running
    dawn_flags: [{market_id, name, tier, hours, moment, new_workers}]
    curve: {tier: {chosen, knee, total, points: [{k, covered, share, status, gap}]}}
    capacity: {markets: [...], sites: [...]}   expected daily attendance against capacity
    groups: {tier: {group: {demand, before, after}}}; floors: [{tier, group, floor, achieved, met}]
    scenarios: {name: {tiers, sites, workers_per_site}}   with ``planner run --scenarios``
    gpkg                                   file name of the run's GeoPackage for QGIS
                                           (``<study>.gpkg`` beside summary.json)
    notes, warnings                        what the run left out or estimated; what to check

The same run gives the same bytes (no clock time inside; floats rounded).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from planner import __version__, settings
from planner.io.runfile import gpkg_filename

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = ["run_summary", "write_summary"]

PathArg = str | PathLike[str]


def _num(v: Any, digits: int = 6) -> float | None:
    """A JSON number (rounded), or null for NaN/inf/None."""
    if v is None:
        return None
    f = float(v)
    if not math.isfinite(f):
        return None
    return round(f, digits)


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def run_summary(run: StudyRun) -> dict[str, Any]:
    """The figures of a run as a JSON-ready dict (see the module docstring)."""
    plan = run.plan
    summ = plan.summary().set_index("tier")
    after = plan.after.summary().set_index("tier")
    sector_after = (
        plan.sector_after.summary().set_index("tier") if plan.sector_after is not None else None
    )
    tiers: dict[str, Any] = {}
    for tier, row in summ.iterrows():
        src = sector_after if tier == "sector" and sector_after is not None else after
        rule = plan.after.rules.get(str(tier))
        modes = list(rule.modes) if rule is not None else []
        by_mode = {
            m: _num(src.at[tier, f"share_{m}"])
            for m in modes
            if f"share_{m}" in src.columns and tier in src.index
        }
        tp = plan.tiers.get(str(tier))
        res = tp.result if tp is not None else None
        tiers[str(tier)] = {
            "threshold_min": _num(row["threshold_min"]),
            "modes": modes,
            "demand": _num(row["demand"], 1),
            "covered_before": _num(row["share_before"]),
            "covered_after": _num(row["share_after"]),
            "share_by_mode": by_mode,
            "new_sites": int(row["new_sites"]),
            "model": tp.model if tp is not None else None,
            "status": getattr(res, "status", None),
            "objective": _num(getattr(res, "objective", None)),
            "bound": _num(getattr(res, "bound", None)),
            "gap": _num(getattr(res, "gap", None)),
        }
    sites = []
    if len(plan.sites):
        ll = plan.sites.to_crs(4326)
        lon, lat = ll.geometry.x.to_numpy(), ll.geometry.y.to_numpy()
        for i, r in enumerate(plan.sites.itertuples()):
            sites.append(
                {
                    "id": str(r.site_id),
                    "tier": str(r.tier),
                    "name": _text(getattr(r, "anchor_name", None)),
                    "anchor_kind": _text(getattr(r, "anchor_kind", None)),
                    "lon": _num(lon[i], 6),
                    "lat": _num(lat[i], 6),
                    "new_demand": _num(getattr(r, "new_demand", None), 1),
                    "nearest_market": _text(getattr(r, "nearest_market", None)),
                    "nearest_market_min": _num(getattr(r, "nearest_market_min", None), 1),
                    "reason": _text(getattr(r, "reason", None)),
                }
            )
    cells = run.cells
    extra = _answers(run)
    return {
        "study": run.inputs.study.name,
        "planner": __version__,
        "service_date": run.date.isoformat(),
        "population": _num(float(np.sum(cells["population"].to_numpy(dtype=float))), 1),
        "demand": _num(float(np.sum(cells["demand"].to_numpy(dtype=float))), 1),
        "demand_spread": run.inputs.demand_spread,
        "tiers": tiers,
        "sites": sites,
        "gpkg": gpkg_filename(run.inputs.study.name),
        **extra,
        "notes": list(run.notes),
        "warnings": list(run.warnings),
    }


def _records(frame: Any, numbers: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0:
        return []
    out = []
    for row in frame.to_dict("records"):
        rec: dict[str, Any] = {}
        for k, v in row.items():
            if k in numbers or isinstance(v, float | np.floating):
                rec[k] = _num(v, 3)
            elif isinstance(v, bool | np.bool_):
                rec[k] = bool(v)
            elif v is None or (isinstance(v, float) and not math.isfinite(v)):
                rec[k] = None
            else:
                rec[k] = v if isinstance(v, int | str) else str(v)
        out.append(rec)
    return out


def _answers(run: StudyRun) -> dict[str, Any]:
    """The bureau's questions (coverage at moments, curves, capacity, equity)."""
    at = {mc.moment.label: {t: _num(a) for t, (_, a) in mc.shares().items()} for mc in run.moments}
    at_before = {
        mc.moment.label: {t: _num(b) for t, (b, _) in mc.shares().items()} for mc in run.moments
    }
    curves = {
        t: {
            "chosen": c.chosen,
            "knee": c.knee,
            "total": _num(c.total, 1),
            "points": [
                {
                    "k": int(p["k"]),
                    "covered": _num(p["covered"], 1),
                    "share": _num(p["share"]),
                    "status": str(p["status"]),
                    "gap": _num(p["gap"]),
                }
                for p in c.points.to_dict("records")
            ],
        }
        for t, c in run.curves.items()
    }
    groups: dict[str, Any] = {}
    if run.equity is not None:
        for r in run.equity.itertuples():
            groups.setdefault(str(r.tier), {})[str(r.group)] = {
                "demand": _num(r.demand, 1),
                "before": _num(r.share_before),
                "after": _num(r.share_after),
            }
    return {
        "coverage_at": at,
        "coverage_at_before": at_before,
        "dawn_flags": _records(run.dawn),
        "curve": curves,
        "capacity": {
            "attendance_share": settings.DAILY_ATTENDANCE_SHARE,
            "markets": _records(run.capacity),
            "sites": _records(run.site_capacity),
        },
        "groups": groups,
        "floors": _records(run.floors),
    }


def write_summary(
    run: StudyRun,
    path: PathArg,
    *,
    inputs: Iterable[PathArg] = (),
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write :func:`run_summary` (plus ``extra`` keys) as UTF-8 JSON, atomically, never over
    an input."""
    from planner.publish._output import OutputFolder

    p = Path(path)
    body = {**run_summary(run), **dict(extra or {})}
    text = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
    return OutputFolder(p.parent, inputs=inputs).write(p.name, text)

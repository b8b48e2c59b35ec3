"""``summary.json``: a run's figures in one small file other systems and tests can read.

Keys (shares are 0-1, people and workers are counts, coordinates WGS-84)::

    study, service_date, window            what was run
    population, demand                     people in the study area, flexible-worker demand
    demand_spread                          how people were placed (grid, road/stop density …)
    tiers: {tier: {threshold_min, modes, demand, covered_before, covered_after,
                   share_by_mode: {mode: share after the plan}, new_sites,
                   model, status, objective, bound, gap}}
    sites: [{id, tier, name, anchor_kind, lon, lat, new_demand,
             nearest_market, nearest_market_min}]
    gpkg                                   file name of the run's GeoPackage for QGIS
                                           (``<study>.gpkg`` beside summary.json)
    notes, warnings                        what the run left out or estimated; what to check

The same run gives the same bytes (no clock time inside; floats rounded).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from planner import __version__
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
                }
            )
    cells = run.cells
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
        "notes": list(run.notes),
        "warnings": list(run.warnings),
    }


def write_summary(run: StudyRun, path: PathArg, *, inputs: Iterable[PathArg] = ()) -> Path:
    """Write :func:`run_summary` as UTF-8 JSON (atomically; never over an input)."""
    from planner.publish._output import OutputFolder

    p = Path(path)
    text = json.dumps(run_summary(run), ensure_ascii=False, indent=1) + "\n"
    return OutputFolder(p.parent, inputs=inputs).write(p.name, text)

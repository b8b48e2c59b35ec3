"""Small readings of a run's answers shared by the planner map and the proposal.

The opening hours proposed for new sites (:data:`planner.settings.PROPOSED_HOURS`) as a
reader sees them, and, for each existing market the run flags at dawn
(:func:`planner.analysis.moments.dawn_flags`), the dawn moments at which it is closed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner import settings
from planner.io.hours import OpeningHours, parse_hours
from planner.io.hours.moment import Moment

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = ["DawnFlag", "dawn_flags_of", "hours_text", "in_dawn", "proposed_hours"]


def hours_text(hours: OpeningHours, language: str = "zh") -> str:
    """Opening hours as a reader writes them: ``每天 05:00-12:00`` (zh) or OSM's form (en).

    Examples
    --------
    >>> h = parse_hours("周一至周六 05:30-11:30；周日休息")
    >>> hours_text(h), hours_text(h, "en")
    ('周一至周六 05:30-11:30；周日休息', 'Mo-Sa 05:30-11:30; Su off')
    """
    return str(hours) if language == "zh" else hours.to_osm()


@functools.cache
def proposed_hours(tier: str, language: str = "zh") -> str:
    """The opening hours the plan proposes for a new site of ``tier`` (``""`` if none).

    Examples
    --------
    >>> proposed_hours("station"), proposed_hours("station", "en")
    ('每天 05:00-11:00', 'Mo-Su 05:00-11:00')
    """
    text = settings.PROPOSED_HOURS.get(tier)
    return hours_text(parse_hours(text), language) if text else ""


def in_dawn(moment: Moment) -> bool:
    """Whether a moment falls in :data:`planner.settings.DAWN_WINDOW`."""
    lo, hi = (int(t[:2]) * 60 + int(t[3:]) for t in settings.DAWN_WINDOW)
    return lo <= moment.minute < hi


@dataclass(frozen=True)
class DawnFlag:
    """An existing market closed at dawn (a row of ``run.dawn``, read for display)."""

    market_id: str
    name: str
    tier: str
    hours: str
    closed_at: list[Moment]
    gain_at: Moment | None
    new_workers: float

    def moments(self, language: str = "zh", sep: str = "、") -> str:
        """The dawn moments it is closed at, e.g. ``周一 05:00、周日 06:00``."""
        return sep.join(m.label_zh if language == "zh" else m.label for m in self.closed_at)


def dawn_flags_of(run: StudyRun) -> dict[str, DawnFlag]:
    """The run's dawn flags by market id, each with the dawn moments it is closed at."""
    if run.dawn is None or len(run.dawn) == 0:
        return {}
    dawn = [mc.moment for mc in run.moments if in_dawn(mc.moment)]
    hours: dict[str, Any] = {}
    mk = run.markets
    if len(mk) and "opening_hours" in mk and "market_id" in mk:
        hours = dict(zip(mk["market_id"].astype(str), mk["opening_hours"], strict=True))
    by_label = {m.label: m for m in dawn}
    out: dict[str, DawnFlag] = {}
    for r in run.dawn.to_dict("records"):
        mid = str(r["market_id"])
        h = hours.get(mid)
        closed = [m for m in dawn if isinstance(h, OpeningHours) and not h.is_open(m.on(run.date))]
        moment = r.get("moment")
        out[mid] = DawnFlag(
            market_id=mid,
            name=str(r.get("name") or mid),
            tier=str(r.get("tier") or ""),
            hours=str(r.get("hours") or ""),
            closed_at=closed,
            gain_at=by_label.get(moment) if isinstance(moment, str) else None,
            new_workers=float(r.get("new_workers") or 0.0),
        )
    return out

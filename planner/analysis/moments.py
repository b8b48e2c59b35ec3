"""Coverage at the hour that matters: markets only while open, buses only while running.

Gig markets are busiest from about 04:00 to 10:00; a station open 08:30-17:00 serves nobody
at 05:00. Coverage *at a moment* (``Mo 05:00``) counts a market only while its parsed
opening hours say open (a market whose hours could not be read counts as open, and the
notes say how many), and the bus only with the patterns that depart in the hour after the
moment. A pattern's wait is the larger of its wait in that hour and in the study window, so a
moment only ever removes service: coverage at a moment never exceeds coverage "any time"
(all markets, the study window's buses).

The plan proposes opening hours for new sites that cover the dawn window
(:data:`planner.settings.PROPOSED_HOURS`), and :func:`dawn_flags` lists existing markets
whose hours miss the first dawn moment, with the workers that opening two hours earlier
would reach.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import settings
from planner.analysis.coverage import Coverage, Graphs, TierRule, access_matrix, coverage
from planner.errors import TransitError
from planner.io.hours import OpeningHours
from planner.io.hours.moment import Moment, parse_moment
from planner.io.transit import TransitFeed
from planner.network.cache import current_cache
from planner.network.transit import BusLayer, build_bus_graph

__all__ = [
    "Moment",
    "MomentCoverage",
    "coverage_at",
    "dawn_flags",
    "graphs_at",
    "open_at",
    "open_earlier",
    "parse_moment",
    "proposed_markets",
]

log = logging.getLogger(__name__)


def open_at(markets: gpd.GeoDataFrame, when: dt.datetime) -> tuple[gpd.GeoDataFrame, int]:
    """Markets open at ``when`` (hours unread count as open) and how many had no hours."""
    if "opening_hours" not in markets or len(markets) == 0:
        return markets, len(markets)
    # anything but parsed hours (None, or NaN where planned sites were added) is unread
    hours = [h if isinstance(h, OpeningHours) else None for h in markets["opening_hours"]]
    keep = np.array([h is None or h.is_open(when) for h in hours], dtype=bool)
    unknown = sum(h is None for h in hours)
    return markets[keep], unknown


def graphs_at(
    graphs: Graphs,
    feed: TransitFeed | None,
    when: dt.datetime,
    *,
    window_min: float = settings.MOMENT_BUS_WINDOW_MIN,
) -> Graphs:
    """The graphs at a moment: the street graphs as they are, the bus with the patterns
    departing in ``window_min`` minutes after ``when`` (waits never shorter than the study
    window's); no bus when none runs then."""
    out = {m: g for m, g in graphs.items() if m != "bus"}
    base = graphs.get("bus")
    if not isinstance(base, BusLayer) or feed is None:
        return out
    start = when.hour * 60 + when.minute
    floor = dict(
        zip(base.headways["pattern_id"], base.headways["mean_headway_s"] / 2.0, strict=True)
    )

    def build() -> BusLayer | None:
        try:
            return build_bus_graph(
                feed,
                base.walk,
                date=when.date(),
                start=start * 60,
                end=int((start + window_min) * 60),
                floor_waits_s=floor,
            )
        except TransitError:
            log.info("no bus runs in the hour after %s", when.isoformat(timespec="minutes"))
            return None

    cache = current_cache()
    layer = cache.made(("bus at", id(base), when, window_min), build) if cache else build()
    if layer is not None:
        out["bus"] = layer
    return out


def coverage_at(
    cells: gpd.GeoDataFrame,
    markets: gpd.GeoDataFrame,
    graphs: Graphs,
    when: dt.datetime,
    *,
    feed: TransitFeed | None,
    rules: Mapping[str, TierRule],
    weight: str = "demand",
    fallback: bool = False,
) -> Coverage:
    """Coverage of ``cells`` at the moment ``when`` (see the module docstring)."""
    open_now, unknown = open_at(markets, when)
    cov = coverage(
        cells,
        open_now,
        graphs_at(graphs, feed, when),
        rules=rules,
        weight=weight,
        fallback=fallback,
    )
    closed = len(markets) - len(open_now)
    cov.notes.insert(
        0,
        f"{when:%a %H:%M}: {len(open_now)} of {len(markets)} market(s) open"
        f" ({closed} closed by their hours; {unknown} without readable hours counted open)",
    )
    return cov


def open_earlier(hours: OpeningHours, minutes: int) -> OpeningHours:
    """The same schedule with every opening moved ``minutes`` earlier (closing unchanged).

    Examples
    --------
    >>> from planner.io.hours import parse_hours
    >>> str(open_earlier(parse_hours("每天 08:30-17:00"), 120))
    '每天 06:30-17:00'
    """
    return OpeningHours.from_intervals(
        [[(max(0, s - minutes), e) for s, e in day] for day in hours.week],
        holidays_closed=hours.holidays_closed,
    )


def dawn_flags(
    cells: gpd.GeoDataFrame,
    markets: gpd.GeoDataFrame,
    graphs: Graphs,
    covered_at: Mapping[Moment, Coverage],
    service_date: dt.date,
    *,
    feed: TransitFeed | None,
    rules: Mapping[str, TierRule],
    weight: str = "demand",
    fallback: bool = False,
    earlier_min: int = settings.OPEN_EARLIER_MIN,
) -> pd.DataFrame:
    """Existing markets closed at the first dawn moment, and what opening earlier would buy.

    For each market with readable hours that is closed at a moment of
    :data:`~planner.settings.DAWN_WINDOW`, the first such moment at which it would be open if
    it opened ``earlier_min`` minutes earlier, and the workers of its tier not covered then
    that it would reach within the tier's threshold.

    Returns
    -------
    pandas.DataFrame
        ``market_id``, ``name``, ``tier``, ``hours``, ``moment`` (``Mo 07:00``),
        ``new_workers``; one row per flagged market, in the markets' order.
    """
    lo, hi = (int(t[:2]) * 60 + int(t[3:]) for t in settings.DAWN_WINDOW)
    dawn = [m for m in covered_at if lo <= m.minute < hi]
    rows = []
    for _, mk in markets.iterrows():
        hours = mk.get("opening_hours")
        tier = mk.get("tier")
        if not isinstance(hours, OpeningHours) or tier not in rules:
            continue
        missed = [m for m in dawn if not hours.is_open(m.on(service_date))]
        if not missed:
            continue
        earlier = open_earlier(hours, earlier_min)
        gain_at = next((m for m in missed if earlier.is_open(m.on(service_date))), None)
        new = 0.0
        if gain_at is not None:
            cov = covered_at[gain_at].cells
            uncovered = ~cov[f"{tier}_covered"].to_numpy(dtype=bool)
            rule = rules[tier]
            one = markets.loc[[mk.name]]
            then = graphs_at(graphs, feed, gain_at.on(service_date))
            modes = [m for m in rule.modes if m in then or (fallback and m != "bus")]
            acc = access_matrix(
                cells, one, then, modes=modes, cutoff_s=rule.threshold_s, fallback=fallback
            )
            reach = np.diff(acc.matrix.indptr) > 0
            new = float(cells[weight].to_numpy(dtype=float)[reach & uncovered].sum())
        rows.append(
            {
                "market_id": str(mk.get("market_id", "")),
                "name": str(mk.get("name", "")),
                "tier": tier,
                "hours": str(hours),
                "moment": gain_at.label if gain_at is not None else None,
                "new_workers": new,
            }
        )
    return pd.DataFrame(
        rows, columns=["market_id", "name", "tier", "hours", "moment", "new_workers"]
    )


def moments_of(texts: Sequence[str]) -> list[Moment]:
    """Parse a list of moment texts (the study's ``[network] moments``)."""
    return [parse_moment(t) for t in texts]


@dataclass
class MomentCoverage:
    """Coverage at one moment, with the existing markets and with the plan's sites added."""

    moment: Moment
    when: dt.datetime
    before: Coverage
    after: Coverage

    def shares(self) -> dict[str, tuple[float, float]]:
        """Per tier: (share before, share after)."""
        b = self.before.summary().set_index("tier")["share"]
        a = self.after.summary().set_index("tier")["share"]
        return {str(t): (float(b[t]), float(a[t])) for t in b.index}


def proposed_markets(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The plan's sites as markets open at their proposed hours (:data:`PROPOSED_HOURS`)."""
    from planner.io.hours import parse_hours

    hours = {t: parse_hours(h) for t, h in settings.PROPOSED_HOURS.items()}
    return gpd.GeoDataFrame(
        {
            "market_id": sites["site_id"].astype(str).to_numpy() if len(sites) else [],
            "tier": sites["tier"].astype(str).to_numpy() if len(sites) else [],
            "status": "proposed",
            "opening_hours": [hours.get(str(t)) for t in sites["tier"]] if len(sites) else [],
        },
        geometry=sites.geometry.to_numpy() if len(sites) else [],
        crs=sites.crs,
    )

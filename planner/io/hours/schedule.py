"""The weekly opening schedule, :class:`OpeningHours`, and how it is written out.

An :class:`OpeningHours` holds, for each weekday (Monday = 0), a sorted tuple of
``(start_min, end_min)`` intervals in minutes after midnight (an end past 1440 runs into
the next day) plus one public-holiday flag. It answers "open at …?" and writes itself as
canonical OSM ``opening_hours`` (:meth:`OpeningHours.to_osm`) or Chinese (``str``). Texts
are read into it by :func:`planner.io.hours.parse_hours` (grammar in
:mod:`planner.io.hours.parse`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from planner.errors import HoursError, InvalidValueError

__all__ = ["DAY_MIN", "WEEK_MIN", "DaySchedule", "Interval", "OpeningHours"]

DAY_MIN = 1440
WEEK_MIN = 7 * DAY_MIN

Interval = tuple[int, int]
DaySchedule = tuple[Interval, ...]

_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _check_interval(iv: Interval, weekday: int) -> None:
    start, end = iv
    if not (isinstance(start, int) and isinstance(end, int)):
        raise HoursError(f"interval {iv!r} on weekday {weekday} is not whole minutes")
    if not 0 <= start < DAY_MIN:
        raise HoursError(f"interval {iv!r} on weekday {weekday} starts outside 0-1439 min")
    if end <= start:
        raise HoursError(f"interval {iv!r} on weekday {weekday} ends before it starts")
    if end - start >= DAY_MIN and (start, end) != (0, DAY_MIN):
        raise HoursError(
            f"interval {_fmt_range(start, end)} on {_OSM_DAYS[weekday]} lasts 24 hours or "
            "more without starting at midnight",
            fix="split it at midnight, e.g. '00:00-24:00' for the whole day",
        )


def _merge(intervals: Iterable[Interval], weekday: int) -> DaySchedule:
    """Sort and merge overlapping or touching intervals of one day, then check them."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out = tuple((s, e) for s, e in merged)
    for iv in out:
        _check_interval(iv, weekday)
    return out


@dataclass(frozen=True)
class OpeningHours:
    """A weekly opening schedule with a public-holiday rule.

    Attributes
    ----------
    week
        Seven tuples (Monday first) of sorted, disjoint ``(start_min, end_min)``
        intervals, minutes after midnight. ``end_min`` exceeds 1440 for a span that
        runs past midnight into the next day; ``(0, 1440)`` is the whole day.
    holidays_closed
        Closed on public holidays (``"PH off"``, ``"节假日休息"``).

    Examples
    --------
    >>> h = OpeningHours.from_intervals([[(300, 720)]] * 7)
    >>> str(h), h.to_osm(), h.weekly_minutes()
    ('每天 05:00-12:00', 'Mo-Su 05:00-12:00', 2940)
    """

    week: tuple[DaySchedule, ...]
    holidays_closed: bool = False
    _spill: tuple[DaySchedule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise HoursError(f"a week has 7 days, got {len(self.week)}")
        for day, ivs in enumerate(self.week):
            if _merge(ivs, day) != tuple(ivs):
                raise HoursError(
                    f"intervals {ivs!r} of weekday {day} are not sorted and disjoint",
                    fix="build the schedule with OpeningHours.from_intervals",
                )
        # The part of each day's overnight spans that falls on the next day.
        spill = tuple(
            tuple((0, e - DAY_MIN) for _, e in self.week[(d - 1) % 7] if e > DAY_MIN)
            for d in range(7)
        )
        object.__setattr__(self, "_spill", spill)

    @classmethod
    def from_intervals(
        cls, week: Sequence[Iterable[Interval]], *, holidays_closed: bool = False
    ) -> OpeningHours:
        """Build a schedule from seven lists of intervals, merging overlaps.

        Parameters
        ----------
        week
            Seven iterables (Monday first) of ``(start_min, end_min)``.
        holidays_closed
            Closed on public holidays.
        """
        if len(week) != 7:
            raise HoursError(f"a week has 7 days, got {len(week)}")
        days = tuple(_merge(((int(s), int(e)) for s, e in ivs), d) for d, ivs in enumerate(week))
        return cls(days, holidays_closed)

    # -- queries -----------------------------------------------------------------------

    def intervals(self, weekday: int) -> DaySchedule:
        """Intervals of ``weekday`` (Monday = 0), as stored (ends may exceed 1440)."""
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise InvalidValueError(
                f"weekday {weekday!r} is not 0-6", fix="use 0 for Monday … 6 for Sunday"
            )
        return self.week[weekday]

    def is_open(self, dt: datetime, *, holidays: Collection[date] | None = None) -> bool:
        """Whether the place is open at local time ``dt``.

        Parameters
        ----------
        dt
            Local date and time (a time zone, if any, is ignored).
        holidays
            Dates that are public holidays. Used only when :attr:`holidays_closed`;
            an overnight span belongs to the day it starts on, so it is closed when
            that day is a holiday and open into a holiday morning otherwise.

        Examples
        --------
        >>> from planner.io.hours import parse_hours
        >>> h = parse_hours("Mo-Su 22:00-02:00")
        >>> h.is_open(datetime(2024, 6, 4, 1, 0)), h.is_open(datetime(2024, 6, 4, 3, 0))
        (True, False)
        """
        minute = dt.hour * 60 + dt.minute + dt.second / 60 + dt.microsecond / 60e6
        day = dt.weekday()
        today = dt.date()

        def closed_for_holiday(d: date) -> bool:
            return self.holidays_closed and holidays is not None and d in holidays

        if not closed_for_holiday(today) and any(s <= minute < e for s, e in self.week[day]):
            return True
        yesterday = today - timedelta(days=1)
        return not closed_for_holiday(yesterday) and any(
            s <= minute < e for s, e in self._spill[day]
        )

    def weekly_minutes(self) -> int:
        """Minutes open in a week without holidays (overlaps of spans counted once)."""
        spans: list[tuple[int, int]] = []
        for day, ivs in enumerate(self.week):
            for s, e in ivs:
                start, end = s + day * DAY_MIN, e + day * DAY_MIN
                if end > WEEK_MIN:  # Sunday night into Monday
                    spans.append((start, WEEK_MIN))
                    spans.append((0, end - WEEK_MIN))
                else:
                    spans.append((start, end))
        total = 0
        reach = -1
        for s, e in sorted(spans):
            s = max(s, reach)
            if e > s:
                total += e - s
            reach = max(reach, e)
        return total

    def opens_at_or_before(self, at: time, *, weekday: int | None = None) -> bool:
        """Whether the place has opened by ``at`` (open at some moment in 00:00-``at``).

        Parameters
        ----------
        at
            Local time of day.
        weekday
            One day (Monday = 0); by default every day on which the place opens at
            all must qualify (days closed all day are ignored; False if never open).

        Examples
        --------
        >>> from planner.io.hours import parse_hours
        >>> parse_hours("周一至周五 6:00-11:00").opens_at_or_before(time(6, 0))
        True
        >>> parse_hours("周一至周五 6:00-11:00").opens_at_or_before(time(5, 59))
        False
        """
        minute = at.hour * 60 + at.minute + at.second / 60 + at.microsecond / 60e6

        def first(day: int) -> int | None:
            starts = [s for s, _ in self.week[day]] + [s for s, _ in self._spill[day]]
            return min(starts) if starts else None

        days = [weekday] if weekday is not None else list(range(7))
        if weekday is not None:
            self.intervals(weekday)  # validates
        firsts = [first(d) for d in days]
        opening = [f for f in firsts if f is not None]
        if weekday is not None:
            return bool(opening) and opening[0] <= minute
        return bool(opening) and all(f <= minute for f in opening)

    # -- rendering ---------------------------------------------------------------------

    def _groups(self) -> list[tuple[list[int], DaySchedule]]:
        """Days grouped by identical schedules."""
        groups: dict[DaySchedule, list[int]] = {}
        for day, ivs in enumerate(self.week):
            groups.setdefault(ivs, []).append(day)
        # Days with hours first (by first day), then the closed days.
        return sorted(
            ((days, ivs) for ivs, days in groups.items()), key=lambda g: (not g[1], g[0][0])
        )

    def to_osm(self) -> str:
        """The canonical OSM ``opening_hours`` string.

        Days with the same hours form one rule; rules are joined with ``"; "`` and
        closed days written ``off``. When a span past midnight runs into a day of
        another rule, OSM evaluators (opening_hours.js, opening-hours-rs) would let
        that rule cut the span off, so the rules are then joined with ``", "``
        (additional rules) and closed days are left out (OSM: closed unless named).

        Examples
        --------
        >>> from planner.io.hours import parse_hours
        >>> parse_hours("周一至周五 8:00-17:00；周六、周日休息").to_osm()
        'Mo-Fr 08:00-17:00; Sa,Su off'
        >>> parse_hours("Mo 22:00-02:00; Tu 10:00-12:00").to_osm()
        'Mo 22:00-02:00, Tu 10:00-12:00'
        """
        groups = self._groups()
        rules: list[str]
        if len(groups) == 1 and groups[0][1] == ((0, DAY_MIN),):
            rules = ["24/7"]
        elif len(groups) == 1 and not groups[0][1]:
            rules = ["off"]
        else:
            group_of = {d: k for k, (days, _) in enumerate(groups) for d in days}
            crossing = any(
                group_of[(d + 1) % 7] != group_of[d]
                for d in range(7)
                if any(e > DAY_MIN for _, e in self.week[d])
            )
            parts = []
            for days, ivs in groups:
                if ivs:
                    parts.append(f"{_days_osm(days)} {','.join(_fmt_range(s, e) for s, e in ivs)}")
                elif not crossing:
                    parts.append(f"{_days_osm(days)} off")
            rules = [(", " if crossing else "; ").join(parts)]
        if self.holidays_closed:
            rules.append("PH off")
        return "; ".join(rules)

    def __str__(self) -> str:
        groups = self._groups()
        if len(groups) == 1 and groups[0][1] == ((0, DAY_MIN),):
            rules = ["全天24小时"]
        else:
            rules = []
            for days, ivs in groups:
                label = "每天" if len(days) == 7 else _days_zh(days)
                if not ivs:
                    rules.append(f"{label}休息")
                elif ivs == ((0, DAY_MIN),):
                    rules.append(f"{label} 24小时")
                else:
                    rules.append(f"{label} " + "，".join(_fmt_range(s, e, zh=True) for s, e in ivs))
        if self.holidays_closed:
            rules.append("节假日休息")
        return "；".join(rules)


def _fmt_min(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _fmt_range(start: int, end: int, *, zh: bool = False) -> str:
    if end > DAY_MIN:
        return f"{_fmt_min(start)}-{'次日' if zh else ''}{_fmt_min(end - DAY_MIN)}"
    return f"{_fmt_min(start)}-{_fmt_min(end)}"


def _runs(days: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[list[int]] = []
    for d in sorted(days):
        if runs and d == runs[-1][1] + 1:
            runs[-1][1] = d
        else:
            runs.append([d, d])
    return [(a, b) for a, b in runs]


def _days_osm(days: Sequence[int]) -> str:
    parts = []
    for a, b in _runs(days):
        if b - a >= 2:
            parts.append(f"{_OSM_DAYS[a]}-{_OSM_DAYS[b]}")
        else:
            parts.extend(_OSM_DAYS[d] for d in range(a, b + 1))
    return ",".join(parts)


def _days_zh(days: Sequence[int]) -> str:
    parts = []
    for a, b in _runs(days):
        if b - a >= 2:
            parts.append(f"{_ZH_DAYS[a]}至{_ZH_DAYS[b]}")
        else:
            parts.extend(_ZH_DAYS[d] for d in range(a, b + 1))
    return "、".join(parts)

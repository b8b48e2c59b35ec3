"""A moment of the week (``Mo 05:00``, ``周一 05:00``): when coverage is measured."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from planner.errors import InvalidValueError

__all__ = ["Moment", "parse_moment"]

_DAYS = {
    "mo": 0,
    "tu": 1,
    "we": 2,
    "th": 3,
    "fr": 4,
    "sa": 5,
    "su": 6,
    "周一": 0,
    "周二": 1,
    "周三": 2,
    "周四": 3,
    "周五": 4,
    "周六": 5,
    "周日": 6,
    "周天": 6,
    "星期一": 0,
    "星期二": 1,
    "星期三": 2,
    "星期四": 3,
    "星期五": 4,
    "星期六": 5,
    "星期日": 6,
    "星期天": 6,
    "工作日": 0,
    "weekday": 0,
}
_ZH_DAY = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_MOMENT = re.compile(r"^\s*(\S+?)\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Moment:
    """A weekday and a time of day (``Mo 05:00``)."""

    weekday: int
    minute: int

    @property
    def label(self) -> str:
        """``Mo 05:00``."""
        day = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")[self.weekday]
        return f"{day} {self.minute // 60:02d}:{self.minute % 60:02d}"

    @property
    def label_zh(self) -> str:
        """``周一 05:00``."""
        return f"{_ZH_DAY[self.weekday]} {self.minute // 60:02d}:{self.minute % 60:02d}"

    def on(self, service_date: dt.date) -> dt.datetime:
        """This moment in the week of ``service_date`` (on or after it)."""
        d = service_date + dt.timedelta(days=(self.weekday - service_date.weekday()) % 7)
        return dt.datetime.combine(d, dt.time(self.minute // 60, self.minute % 60))


def parse_moment(text: str) -> Moment:
    """Read ``"Mo 05:00"``, ``"周一 05:00"``, ``"工作日 07:00"`` (a weekday = Monday).

    Examples
    --------
    >>> parse_moment("Su 06:00").label, parse_moment("周三 5:30").label
    ('Su 06:00', 'We 05:30')
    """
    m = _MOMENT.match(str(text))
    day = _DAYS.get(m.group(1).lower()) if m else None
    if m is None or day is None:
        raise InvalidValueError(
            f"{text!r} is not a moment",
            fix='write a day and a time, e.g. "Mo 05:00", "Su 06:00" or "周一 05:00"',
        )
    hour, minute = int(m.group(2)), int(m.group(3))
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidValueError(f"{text!r} is not a time of day", fix='e.g. "Mo 05:00"')
    return Moment(day, hour * 60 + minute)

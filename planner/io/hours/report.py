"""Opening hours read out of a published sentence, when the text is not a schedule.

Directories compiled from news reports carry hours as prose: "报道：管理人员凌晨4时上岗，清晨6时
已聚集数千人，上午10时许人员散去（非官方营业时间）". :func:`hours_from_report` finds the clock
times such a sentence names (凌晨4时, 清晨6时, 上午10时许, 早上5点半, 14:30 …) and, when it
names at least two, reads the market as open every day from the earliest to the latest
(here 04:00-10:00). One time alone ("早上5点半已有务工人员") gives no closing time, so no
schedule. The published text is always kept beside what was read from it.
"""

from __future__ import annotations

import re

from planner.io.hours._lexer import _zh_number
from planner.io.hours.parse import _apply_mod, parse_hours
from planner.io.hours.schedule import OpeningHours

__all__ = ["hours_from_report"]

_NUM = r"\d{1,2}|[零〇一二两三四五六七八九十]{1,3}"
_PART = r"凌晨|清晨|早晨|早上|上午|中午|下午|傍晚|晚上|夜间|夜里"
_CLOCK = re.compile(
    rf"(?P<part>{_PART})?\s*(?:(?P<h>{_NUM})\s*(?:时|点|點)\s*(?:(?P<half>半)|(?P<m>\d{{1,2}})\s*分?)?"
    rf"|(?P<hh>\d{{1,2}})[:：](?P<mm>\d{{2}}))"
)
#: Parts of day the hours grammar knows, as it spells them.
_PART_OF = {
    "凌晨": "凌晨",
    "清晨": "早上",
    "早晨": "早上",
    "早上": "早上",
    "上午": "上午",
    "中午": "中午",
    "下午": "下午",
    "傍晚": "晚上",
    "晚上": "晚上",
    "夜间": "晚上",
    "夜里": "晚上",
}


def _minutes(m: re.Match[str]) -> int | None:
    if m.group("hh") is not None:
        hour, minute = int(m.group("hh")), int(m.group("mm"))
    else:
        try:
            hour = _zh_number(m.group("h"))
        except ValueError:
            return None
        minute = 30 if m.group("half") else int(m.group("m") or 0)
        part = m.group("part")
        if part is not None:
            shifted = _apply_mod(_PART_OF[part], hour)
            if shifted is None:
                return None
            hour = shifted
    if not (0 <= hour <= 24 and 0 <= minute < 60) or (hour == 24 and minute):
        return None
    return hour * 60 + minute


def hours_from_report(text: str) -> OpeningHours | None:
    """Every-day hours from the earliest to the latest clock time a sentence names.

    Returns ``None`` when the text names fewer than two times.

    Examples
    --------
    >>> str(hours_from_report("报道：管理人员凌晨4时上岗，清晨6时已聚集数千人，上午10时许人员散去"))
    '每天 04:00-10:00'
    >>> hours_from_report("报道：早上5点半已有务工人员（无官方营业时间）") is None
    True
    >>> str(hours_from_report("“线上+线下”24小时服务"))
    '全天24小时'
    """
    if re.search(r"24\s*小时|全天|24h", text, flags=re.IGNORECASE):
        return parse_hours("24小时")
    times = [t for m in _CLOCK.finditer(text) if (t := _minutes(m)) is not None]
    if len(times) < 2 or min(times) == max(times):
        return None
    a, b = min(times), max(times)
    return parse_hours(f"每天 {a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}")

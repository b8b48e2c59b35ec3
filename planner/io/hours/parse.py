"""Opening hours: the common subset of OSM ``opening_hours`` and common Chinese forms.

:func:`parse_hours` reads one text into an :class:`OpeningHours`, a weekly schedule
(for each weekday, Monday = 0, a sorted tuple of ``(start_min, end_min)`` intervals
in minutes after midnight) plus one public-holiday flag. Text it cannot read in full
raises :class:`~planner.errors.HoursError`; nothing is guessed and nothing is skipped.

Supported grammar
-----------------
The text is first normalised: full-width characters become ASCII (NFKC, so
``５：００－１２：００`` is ``5:00-12:00``); the dashes ``– — ― − ~ ～ 〜`` and the words
``至`` / ``到`` become ``-``; ``、 及 和 与`` separate list items like ``,``; a line break
separates rules like ``;``; case is ignored. Then::

    hours     := rule (sep rule)*
    sep       := ";" | "," | (nothing)          # "，" and "；" are the same after NFKC
    rule      := [label] [days] body | "24/7"
    label     := "营业时间:" | "开放时间" | "服务时间" | "营业" | "开放" …   # ignored
    days      := dayitem ("," dayitem)*
    dayitem   := day ["-" day] | "每天" | "每日" | "天天" | "工作日" | "周末" | PH
    day       := Mo | Tu | We | Th | Fr | Sa | Su
               | (周|星期|礼拜)(一|二|三|四|五|六|日|天|1-7)
               | 一 … 日 (a bare numeral after a day: "周一至五", "周六日")
    PH        := "PH" | "节假日" | "法定节假日" | "节日" | "假日" …
    body      := times | "off" | "closed" | "休息" | "休" | "闭市" | "停业" …
               | "照常" | "正常营业" | "open"               # only after PH
    times     := range ("," range)* | "全天" | "24小时" | "全天24小时"
    range     := point "-" ["次日"] point
    point     := [part-of-day] (H:MM | H点[M分|半] | H时[M分])   # H, M also 一 … 十二
    part-of-day := 凌晨 | 早(上) | 上午 | 中午 | 下午 | 晚(上) …
    "全年无休" | "无休"  = every day, public holidays included

Meaning:

* A rule without days applies to every day (``"5:00-12:00"``, ``"全天"``). A rule with
  days but no times (``"Mo-Fr"``, ``"全年无休"`` alone) is refused: it says nothing about
  the hours. ``"off"``, ``"closed"`` or ``"休息"`` alone means closed all week.
* Rules apply in order. A rule after ``";"`` replaces the schedule of its days
  (OSM semantics: ``"Mo-Su 08:00-17:00; Su 08:00-12:00"``); a closing rule always
  replaces. A rule after ``","`` or a space whose days already have times from an
  earlier rule is refused as ambiguous (OSM would add the times, a Chinese writer of
  ``"每天 8:00-17:00，周日 8:00-12:00"`` means to replace them): write ``";"``.
* A rule with times but no days after another rule (``"周一至周五 8:00-12:00；14:00-17:00"``)
  is refused as ambiguous: repeat the days or join the times with ``","``.
* An end before its start (``"22:00-02:00"``, ``"晚上10点-凌晨2点"``, ``"22:00-次日2:00"``)
  is an overnight span: it belongs to the day it starts on and its end exceeds 1440.
  A later rule replaces the spans that start on its days, not the part of an earlier
  day's span that runs past midnight into them (``"Mo-Su 22:00-02:00; Tu off"`` is open
  Tuesday 01:00, closed Wednesday 01:00; opening-hours-rs reads the opposite), and
  :meth:`OpeningHours.to_osm` writes such schedules so that every evaluator agrees.
  Hours run ``00``-``24`` (``24:00`` only as an end), minutes ``00``-``59``; OSM
  extended hours such as ``26:00`` are refused (write ``22:00-02:00``). A span of 24 h
  or more that does not start at midnight cannot be written and is refused.
* 12-hour Chinese times: ``凌晨/早/上午`` keep 1-12 (``凌晨12点`` is 0:00), ``中午`` 1-3 is
  13-15, ``下午`` 1-11 is 13-23, ``晚上`` 1-11 is 13-23 and ``晚上12点`` is 24:00. An end
  without its own part of day takes the start's when that keeps it after the start
  (``"下午2点-5点"`` is 14:00-17:00, ``"早5点至12点"`` is 05:00-12:00).
* Public holidays: ``"PH off"``/``"节假日休息"`` sets :attr:`OpeningHours.holidays_closed`;
  ``"PH open"``/``"节假日照常营业"``/``"全年无休"`` state they are ordinary days. Special
  hours on holidays (``"PH 09:00-12:00"``), school holidays, months, dates, weeks,
  sunrise/sunset, open ends (``"18:00+"``), comments and fallback rules (``||``) are
  not supported and raise. A text giving only the holiday rule is refused.

Overlapping or touching intervals on one day are merged, so two texts with the same
meaning give equal objects, and ``parse_hours(h.to_osm()) == h`` and
``parse_hours(str(h)) == h`` for every schedule.

Examples
--------
>>> h = parse_hours("周一至周六 5:00-12:00，周日 6:00-10:00，节假日休息")
>>> h.to_osm()
'Mo-Sa 05:00-12:00; Su 06:00-10:00; PH off'
>>> str(h)
'周一至周六 05:00-12:00；周日 06:00-10:00；节假日休息'
>>> from datetime import datetime
>>> h.is_open(datetime(2024, 6, 2, 5, 30))   # a Sunday
False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from planner.errors import HoursError
from planner.io.hours._lexer import (
    _DAY_CHARS,
    _DAY_START,
    _FIX,
    _TIME_START,
    _Fail,
    _normalise,
    _Tok,
    _tokenise,
    _zh_number,
)
from planner.io.hours.schedule import _OSM_DAYS, _ZH_DAYS, DAY_MIN, Interval, OpeningHours

__all__ = ["parse_hours"]

_ALL_DAYS = frozenset(range(7))

_AM = {"凌晨", "清晨", "早上", "早晨", "上午", "早"}
_NOON = {"中午"}
_PM = {"下午", "午后"}
_EVENING = {"傍晚", "晚上", "夜间", "夜里", "夜晚", "晚"}


# --------------------------------------------------------------------------------------
# Times
# --------------------------------------------------------------------------------------


@dataclass
class _Point:
    hour: int
    minute: int
    mod: str | None
    text: str
    bare: bool  # a bare number, only allowed as the start of "5-12点"
    dian: bool
    next_day: bool


def _read_point(toks: list[_Tok], i: int, fail: _Fail) -> tuple[_Point, int]:
    start = i
    next_day = False
    mod: str | None = None
    if i < len(toks) and toks[i].kind == "NEXTDAY":
        next_day = True
        i += 1
    if i < len(toks) and toks[i].kind == "MOD":
        mod = toks[i].text
        i += 1
    if i >= len(toks) or toks[i].kind not in ("CLOCK", "DIAN", "NUM"):
        got = repr(toks[i].text) if i < len(toks) else "the end of the text"
        raise fail(f"expected a time after {''.join(t.text for t in toks[start:i])!r}, got {got}")
    tok = toks[i]
    text = "".join(t.text for t in toks[start : i + 1])
    if tok.kind == "CLOCK":
        h_s, m_s = tok.groups
        assert h_s is not None and m_s is not None
        if len(h_s) > 2 or len(m_s) != 2 or int(h_s) > 24 or int(m_s) > 59:
            raise fail(f"invalid time {tok.text!r} (hours run 00-24, minutes 00-59)")
        hour, minute = int(h_s), int(m_s)
    elif tok.kind == "DIAN":
        h_s, half, m_s = tok.groups
        assert h_s is not None
        try:
            hour = _zh_number(h_s)
            minute = 30 if half else (_zh_number(m_s) if m_s else 0)
        except ValueError:
            raise fail(f"invalid time {tok.text!r}") from None
        if hour > 24 or minute > 59 or len(h_s) > 2:
            raise fail(f"invalid time {tok.text!r} (hours run 0-24, minutes 0-59)")
    else:
        if len(tok.text) > 2 or int(tok.text) > 24:
            raise fail(f"invalid time {tok.text!r}")
        hour, minute = int(tok.text), 0
    if hour == 24 and minute:
        raise fail(f"invalid time {tok.text!r} (24:00 is the latest time)")
    return _Point(hour, minute, mod, text, tok.kind == "NUM", tok.kind == "DIAN", next_day), i + 1


def _apply_mod(mod: str | None, hour: int) -> int | None:
    """24-hour value of ``hour`` said with a part of day, None if they do not fit."""
    if mod is None:
        return hour
    if mod in _AM:
        if hour > 12:
            return None
        return 0 if (hour == 12 and mod == "凌晨") else hour
    if mod in _NOON:
        if hour in (11, 12, 13, 14, 15):
            return hour
        return hour + 12 if 1 <= hour <= 3 else None
    if mod in _PM:
        if 1 <= hour <= 11:
            return hour + 12
        return hour if 12 <= hour <= 18 else None
    # evening
    if 1 <= hour <= 11:
        return hour + 12
    if hour == 12:
        return 24
    return hour if 13 <= hour <= 24 else None


def _read_range(toks: list[_Tok], i: int, fail: _Fail) -> tuple[Interval, int]:
    start, i = _read_point(toks, i, fail)
    if start.next_day:
        raise fail(f"{start.text!r}: '次日' (next day) belongs before the end time")
    if i >= len(toks) or toks[i].kind != "DASH":
        raise fail(f"time {start.text!r} has no end (write a range such as '05:00-12:00')")
    end, i = _read_point(toks, i + 1, fail)
    if start.bare and not end.dian:
        raise fail(f"{start.text!r} is a bare number, not a time (write '{start.text}:00')")
    if end.bare:
        raise fail(f"{end.text!r} is a bare number, not a time (write '{end.text}:00')")

    s_hour = _apply_mod(start.mod, start.hour)
    if s_hour is None:
        raise fail(f"invalid time {start.text!r}")
    if end.mod is None and start.mod is not None:
        inherited = _apply_mod(start.mod, end.hour)
        if inherited is not None and inherited * 60 + end.minute > s_hour * 60 + start.minute:
            e_hour: int | None = inherited
        else:
            e_hour = end.hour
    else:
        e_hour = _apply_mod(end.mod, end.hour)
    if e_hour is None:
        raise fail(f"invalid time {end.text!r}")
    s_min = s_hour * 60 + start.minute
    e_min = e_hour * 60 + end.minute
    where = f"{start.text}-{end.text}"
    if s_min >= DAY_MIN:
        raise fail(f"range {where!r} starts at 24:00 (write 00:00 on the next day)")
    if end.next_day:
        if e_min >= s_min or e_min == DAY_MIN:
            raise fail(f"range {where!r} lasts more than 24 hours")
        e_min += DAY_MIN
    elif e_min < s_min:
        e_min += DAY_MIN
    elif e_min == s_min:
        raise fail(f"range {where!r} starts and ends at the same time")
    return (s_min, e_min), i


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


@dataclass
class _Rule:
    sep: str  # ";", "," or " " (what came before it)
    start_tok: int
    days: set[int] = field(default_factory=set)
    has_days: bool = False
    ph: bool = False
    times: list[Interval] = field(default_factory=list)
    off: bool = False
    open_: bool = False
    norest: bool = False

    def started(self) -> bool:
        return self.has_days or self.ph or bool(self.times) or self.off or self.open_

    def complete(self) -> bool:
        return bool(self.times) or self.off or self.open_


def _day_of(tok: _Tok) -> int:
    if tok.kind == "OSMDAY":
        assert tok.groups[0] is not None
        return _OSM_DAYS.index(tok.groups[0].capitalize())
    if tok.kind == "DAY":
        assert tok.groups[0] is not None
        c = tok.groups[0]
        return int(c) - 1 if c.isdigit() else _DAY_CHARS[c]
    return _DAY_CHARS[tok.text]


def _read_days(toks: list[_Tok], i: int, fail: _Fail) -> tuple[set[int], bool, int]:
    """Read a day list starting at ``toks[i]``; return days, whether PH was named, next i."""
    days: set[int] = set()
    ph = False
    single = {"DAY", "OSMDAY", "BAREDAY"}
    first = True
    while i < len(toks):
        tok = toks[i]
        if tok.kind == "BAREDAY" and first:
            break
        if tok.kind in single:
            a = _day_of(tok)
            i += 1
            if i < len(toks) and toks[i].kind == "DASH" and i + 1 < len(toks):
                if toks[i + 1].kind in single:
                    b = _day_of(toks[i + 1])
                    days.update((a + k) % 7 for k in range((b - a) % 7 + 1))
                    i += 2
                else:
                    raise fail(f"day range {tok.text!r}- has no end day")
            else:
                days.add(a)
        elif tok.kind == "EVERYDAY":
            days.update(_ALL_DAYS)
            i += 1
        elif tok.kind == "WORKDAYS":
            days.update(range(5))
            i += 1
        elif tok.kind == "WEEKEND":
            days.update((5, 6))
            i += 1
        elif tok.kind == "PH":
            ph = True
            i += 1
        else:
            break
        first = False
        # continue the list after a comma followed by a day, or directly ("周六日", "周六 周日")
        if i < len(toks) and toks[i].kind == "COMMA" and i + 1 < len(toks):
            nxt = toks[i + 1].kind
            if nxt in _DAY_START or nxt == "BAREDAY":
                i += 1
                continue
            break
        if i < len(toks) and (toks[i].kind in _DAY_START or toks[i].kind == "BAREDAY"):
            continue
        break
    return days, ph, i


def parse_hours(text: str) -> OpeningHours:
    """Read opening hours written in OSM ``opening_hours`` syntax or common Chinese.

    Parameters
    ----------
    text
        E.g. ``"Mo-Sa 05:30-11:30; Su off"``, ``"每天 5:00-12:00"``,
        ``"周一至周五 8:00-17:00；周六、周日休息"``, ``"凌晨5点-上午11点"``, ``"24/7"``.
        The grammar is in the module docstring.

    Returns
    -------
    OpeningHours

    Raises
    ------
    HoursError
        The text is empty or not read in full: an unknown word, an invalid time
        (``25:00``, ``12:70``), days without times, an ambiguous combination. The
        error has no file or row: callers re-raise with them.

    Examples
    --------
    >>> parse_hours("Mo-Fr 08:00-12:00,13:00-17:00").intervals(0)
    ((480, 720), (780, 1020))
    >>> parse_hours("早5点至12点").intervals(6)
    ((300, 720),)
    >>> parse_hours("22:00-02:00").intervals(0)
    ((1320, 1560),)
    """
    if not isinstance(text, str):
        raise HoursError(
            f"cannot read opening hours {text!r}: expected text, got {type(text).__name__}",
            fix=_FIX,
        )
    fail = _Fail(text)
    norm = _normalise(text)
    if not norm:
        raise fail("the text is empty")
    toks = _tokenise(norm, fail)
    if not toks:
        raise fail("the text has no days or times")

    holiday_state: list[Literal["closed", "open"]] = []
    rules: list[tuple[_Rule, str]] = []

    def snippet(rule: _Rule, end: int) -> str:
        return " ".join(t.text for t in toks[rule.start_tok : end])

    def set_holidays(state: Literal["closed", "open"], where: str) -> None:
        if holiday_state and holiday_state[0] != state:
            raise fail(f"{where!r} contradicts an earlier rule for public holidays")
        holiday_state.append(state)

    def finish(rule: _Rule, end: int) -> None:
        if not rule.started():
            return
        where = snippet(rule, end)
        if rule.off and rule.times:
            raise fail(f"rule {where!r} gives both times and 'off'/'休息'")
        if rule.ph:
            if rule.times:
                raise fail(
                    f"rule {where!r} gives special hours for public holidays, which are not "
                    "supported (only 'PH off'/'节假日休息' or 'PH open'/'节假日照常营业')"
                )
            if rule.off:
                set_holidays("closed", where)
            elif rule.open_:
                set_holidays("open", where)
            else:
                raise fail(f"rule {where!r} names public holidays without 'off'/'休息'")
            if rule.days and rule.off:
                rules.append(
                    (_Rule(rule.sep, rule.start_tok, set(rule.days), True, off=True), where)
                )
            return
        if rule.open_:
            raise fail(f"{where!r}: 'open'/'照常' is only understood after 'PH'/'节假日'")
        if not rule.times and not rule.off:
            if rule.norest:
                raise fail("'全年无休' says every day is open but gives no times")
            raise fail(f"rule {where!r} gives days but no times")
        if not rule.has_days:
            if rule.times and rules:
                raise fail(
                    f"rule {where!r} gives times without days after another rule, which is "
                    "ambiguous: repeat the days, or join the times with ','"
                )
            rule.days = set(_ALL_DAYS)
        rules.append((rule, where))

    cur = _Rule(";", 0)
    i = 0
    while i < len(toks):
        tok = toks[i]
        kind = tok.kind
        if kind == "SEMI":
            finish(cur, i)
            cur = _Rule(";", i + 1)
            i += 1
        elif kind == "COMMA":
            nxt = toks[i + 1].kind if i + 1 < len(toks) else None
            if cur.started() and nxt in _DAY_START:
                finish(cur, i)
                cur = _Rule(",", i + 1)
            i += 1
        elif kind in _DAY_START:
            if cur.complete():
                finish(cur, i)
                cur = _Rule(" ", i)
            days, ph, i = _read_days(toks, i, fail)
            cur.days |= days
            cur.has_days = cur.has_days or bool(days)
            cur.ph = cur.ph or ph
        elif kind == "ALWAYS":
            if cur.complete():
                finish(cur, i)
                cur = _Rule(" ", i)
            if not cur.has_days:
                cur.days, cur.has_days = set(_ALL_DAYS), True
            cur.times.append((0, DAY_MIN))
            i += 1
        elif kind == "ALLDAY":
            if cur.off or cur.open_:
                finish(cur, i)
                cur = _Rule(" ", i)
            cur.times.append((0, DAY_MIN))
            i += 1
        elif kind in _TIME_START:
            if cur.off or cur.open_:
                finish(cur, i)
                cur = _Rule(" ", i)
            iv, i = _read_range(toks, i, fail)
            cur.times.append(iv)
        elif kind == "OFF":
            cur.off = True
            i += 1
        elif kind == "OPEN":
            if not cur.ph:
                raise fail(f"{tok.text!r} is only understood after 'PH'/'节假日'")
            cur.open_ = True
            i += 1
        elif kind == "NOREST":
            set_holidays("open", tok.text)
            if not cur.started():
                cur.days, cur.has_days, cur.norest = set(_ALL_DAYS), True, True
            i += 1
        elif kind == "LABEL":
            i += 1
        elif kind == "DASH":
            raise fail("unexpected '-' (a dash joins two days or two times)")
        elif kind == "BAREDAY":
            raise fail(f"unexpected {tok.text!r} (write a weekday as '周{tok.text}')")
        else:  # NEXTDAY outside a range is caught in _read_range; anything else:
            raise fail(f"unexpected {tok.text!r}")
    finish(cur, len(toks))

    if not rules:
        raise fail(
            "it gives no opening times for ordinary days (e.g. only a rule for public holidays)"
        )

    if all(rule.off for rule, _ in rules) and set().union(*(r.days for r, _ in rules)) != _ALL_DAYS:
        raise fail(
            "it names only days when the place is closed, not when it is open "
            "(write 'off'/'休息' alone for a place closed all week)"
        )

    week: list[list[Interval]] = [[] for _ in range(7)]
    has_times = [False] * 7
    for rule, where in rules:
        for d in sorted(rule.days):
            if rule.off:
                week[d] = []
                has_times[d] = False
            elif rule.sep == ";" or not has_times[d]:
                week[d] = list(rule.times)
                has_times[d] = True
            else:
                raise fail(
                    f"rule {where!r} gives times for {_ZH_DAYS[d]} ({_OSM_DAYS[d]}), which an "
                    "earlier rule already gave; separate the rules with ';' if the later one "
                    "replaces the earlier one, or list all times in one rule"
                )
    try:
        return OpeningHours.from_intervals(
            week, holidays_closed=bool(holiday_state) and holiday_state[0] == "closed"
        )
    except HoursError as err:
        raise fail(err.message) from None

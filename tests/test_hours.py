"""Tests of planner.io.hours.

Expected schedules are written by hand in minutes after midnight (08:00 = 480,
12:00 = 720, 17:00 = 1020, overnight 22:00-02:00 = (1320, 1560)). The behaviour of
``is_open`` on OSM texts is checked against the open spans that an independent OSM
evaluator, opening-hours-py 2.1.4 (PyPI, the Python binding of opening-hours-rs),
reported for the week of Monday 2024-06-03; its outputs are hard-coded below.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.errors import HoursError, InvalidValueError, PlannerError
from planner.io.hours import OpeningHours, parse_hours

MON = datetime(2024, 6, 3)  # a Monday
assert MON.weekday() == 0

Week = tuple[tuple[tuple[int, int], ...], ...]


def week(spec: dict[tuple[int, ...], tuple[tuple[int, int], ...]]) -> Week:
    """Seven day schedules from {days: intervals}; days not named are closed."""
    days: list[tuple[tuple[int, int], ...]] = [()] * 7
    for ds, ivs in spec.items():
        for d in ds:
            days[d] = ivs
    return tuple(days)


ALL = (0, 1, 2, 3, 4, 5, 6)
WORK = (0, 1, 2, 3, 4)

# (text, expected week, closed on public holidays)
TABLE: list[tuple[str, Week, bool]] = [
    # --- OSM ---------------------------------------------------------------------------
    ("24/7", week({ALL: ((0, 1440),)}), False),
    ("Mo-Fr 08:00-12:00,13:00-17:00", week({WORK: ((480, 720), (780, 1020))}), False),
    ("Mo-Sa 05:30-11:30; Su off", week({(0, 1, 2, 3, 4, 5): ((330, 690),)}), False),
    ("Mo,We,Fr 06:00-10:00", week({(0, 2, 4): ((360, 600),)}), False),
    ("Mo-Su 05:00-12:00; PH off", week({ALL: ((300, 720),)}), True),
    ("Tu-Su 06:00-11:00", week({(1, 2, 3, 4, 5, 6): ((360, 660),)}), False),
    ("off", week({}), False),
    ("closed", week({}), False),
    (
        "Mo-Su 08:00-17:00; Su 08:00-12:00",
        week({ALL[:6]: ((480, 1020),), (6,): ((480, 720),)}),
        False,
    ),
    ("Mo-Sa 08:00-18:00; Su,PH off", week({ALL[:6]: ((480, 1080),)}), True),
    ("Sa-Mo 08:00-09:00", week({(5, 6, 0): ((480, 540),)}), False),
    ("Mo-Fr 08:00-12:00, Sa 09:00-10:00", week({WORK: ((480, 720),), (5,): ((540, 600),)}), False),
    ("mo-fr 08:00-12:00", week({WORK: ((480, 720),)}), False),  # case ignored
    ("Mo-Fr 08:00-12:00,11:00-13:00", week({WORK: ((480, 780),)}), False),  # merged
    ("Mo-Su 22:00-02:00", week({ALL: ((1320, 1560),)}), False),
    ("Mo-Su 00:00-24:00", week({ALL: ((0, 1440),)}), False),
    ("PH open; Mo 06:00-07:00", week({(0,): ((360, 420),)}), False),
    # --- Chinese -----------------------------------------------------------------------
    ("每天 5:00-12:00", week({ALL: ((300, 720),)}), False),
    ("每日5:00—12:00", week({ALL: ((300, 720),)}), False),
    ("周一至周六 05:30-11:30", week({ALL[:6]: ((330, 690),)}), False),
    ("全天", week({ALL: ((0, 1440),)}), False),
    ("24小时", week({ALL: ((0, 1440),)}), False),
    ("全天24小时", week({ALL: ((0, 1440),)}), False),
    ("24小时营业", week({ALL: ((0, 1440),)}), False),
    ("周一至周五 6:00-11:00, 14:00-17:00", week({WORK: ((360, 660), (840, 1020))}), False),
    ("周一至周五 6:00-11:00，14:00-17:00", week({WORK: ((360, 660), (840, 1020))}), False),
    ("周一至周五 8:00-17:00；周六、周日休息", week({WORK: ((480, 1020),)}), False),
    ("星期一到星期五 8:00-17:00", week({WORK: ((480, 1020),)}), False),
    ("礼拜一至礼拜五 8:00-17:00", week({WORK: ((480, 1020),)}), False),
    ("周一至五 8:00-17:00", week({WORK: ((480, 1020),)}), False),
    ("工作日 8:00-17:00", week({WORK: ((480, 1020),)}), False),
    ("周末 8:00-12:00", week({(5, 6): ((480, 720),)}), False),
    ("早5点至12点", week({ALL: ((300, 720),)}), False),
    ("凌晨5点-上午11点", week({ALL: ((300, 660),)}), False),
    ("下午2点-5点", week({ALL: ((840, 1020),)}), False),
    ("上午8:00-12:00 下午2:00-5:30", week({ALL: ((480, 720), (840, 1050))}), False),
    ("早上五点半-十一点", week({ALL: ((330, 660),)}), False),
    ("早5-12点", week({ALL: ((300, 720),)}), False),
    ("5时30分-11时", week({ALL: ((330, 660),)}), False),
    ("晚上10点-凌晨2点", week({ALL: ((1320, 1560),)}), False),
    ("22:00-次日2:00", week({ALL: ((1320, 1560),)}), False),
    ("5:00~12:00", week({ALL: ((300, 720),)}), False),
    ("5:00～12:00", week({ALL: ((300, 720),)}), False),
    ("5:00–12:00", week({ALL: ((300, 720),)}), False),
    ("５：００－１２：００", week({ALL: ((300, 720),)}), False),
    ("全年无休 5:00-12:00", week({ALL: ((300, 720),)}), False),
    ("每天5:00-12:00，全年无休", week({ALL: ((300, 720),)}), False),
    ("节假日休息，每天 5:00-12:00", week({ALL: ((300, 720),)}), True),
    (
        "周一至周六 5:00-12:00，周日 6:00-10:00，节假日休息",
        week({ALL[:6]: ((300, 720),), (6,): ((360, 600),)}),
        True,
    ),
    ("周六日 8:00-12:00", week({(5, 6): ((480, 720),)}), False),
    ("周一、周三及周五 6:00-9:00", week({(0, 2, 4): ((360, 540),)}), False),
    ("营业时间：每天 5:00-12:00", week({ALL: ((300, 720),)}), False),
    ("周一至周五 全天", week({WORK: ((0, 1440),)}), False),
    (
        "每天 8:00-17:00；周日 8:00-12:00",
        week({ALL[:6]: ((480, 1020),), (6,): ((480, 720),)}),
        False,
    ),
    ("周六至周一 8:00-9:00", week({(5, 6, 0): ((480, 540),)}), False),
    ("每天 5:00-12:00\n周日休息", week({ALL[:6]: ((300, 720),)}), False),
    ("每天休息", week({}), False),
    ("休息", week({}), False),
    ("周一至周五 8:00-17:00，周六、周日及法定节假日休息", week({WORK: ((480, 1020),)}), True),
    ("每天 6:00-9:00，节假日照常营业", week({ALL: ((360, 540),)}), False),
    # a bracketed holiday note, and "除外" (except): as directories write them
    ("每天05:00-11:00（节假日休息）", week({ALL: ((300, 660),)}), True),
    ("每天 05:00-11:00 (法定节假日除外)", week({ALL: ((300, 660),)}), True),
    ("每天05:00-11:00 法定节假日除外", week({ALL: ((300, 660),)}), True),
    ("每天05:00-11:00（节假日照常营业）", week({ALL: ((300, 660),)}), False),
    ("每天 5:00-11:00 周日除外", week({ALL[:6]: ((300, 660),)}), False),
]


@pytest.mark.parametrize(("text", "expected", "holidays_closed"), TABLE)
def test_parse_table(text: str, expected: Week, holidays_closed: bool) -> None:
    h = parse_hours(text)
    assert h.week == expected
    assert tuple(h.intervals(d) for d in range(7)) == expected
    assert h.holidays_closed is holidays_closed


@pytest.mark.parametrize(("text", "_expected", "_ph"), TABLE)
def test_table_round_trips(text: str, _expected: Week, _ph: bool) -> None:
    h = parse_hours(text)
    assert parse_hours(h.to_osm()) == h
    assert parse_hours(str(h)) == h


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "osm", "zh"),
    [
        ("每天 5:00-12:00", "Mo-Su 05:00-12:00", "每天 05:00-12:00"),
        ("24小时", "24/7", "全天24小时"),
        ("off", "off", "每天休息"),
        ("Mo-Su 05:00-12:00; PH off", "Mo-Su 05:00-12:00; PH off", "每天 05:00-12:00；节假日休息"),
        (
            "周一至周五 6:00-11:00，14:00-17:00",
            "Mo-Fr 06:00-11:00,14:00-17:00; Sa,Su off",
            "周一至周五 06:00-11:00，14:00-17:00；周六、周日休息",
        ),
        (
            "Tu-Su 06:00-11:00",
            "Tu-Su 06:00-11:00; Mo off",
            "周二至周日 06:00-11:00；周一休息",
        ),
        ("Mo,We,Fr 06:00-10:00", "Mo,We,Fr 06:00-10:00; Tu,Th,Sa,Su off", None),
        (
            "Mo,Tu 06:00-10:00",
            "Mo,Tu 06:00-10:00; We-Su off",
            "周一、周二 06:00-10:00；周三至周日休息",
        ),
        ("每天 22:00-02:00", "Mo-Su 22:00-02:00", "每天 22:00-次日02:00"),
        # an overnight span into a day of another rule: additional rules, closed days left out
        ("Mo 22:00-02:00; Tu 10:00-12:00", "Mo 22:00-02:00, Tu 10:00-12:00", None),
        ("周一至周五 全天", "Mo-Fr 00:00-24:00; Sa,Su off", "周一至周五 24小时；周六、周日休息"),
    ],
)
def test_rendering(text: str, osm: str, zh: str | None) -> None:
    h = parse_hours(text)
    assert h.to_osm() == osm
    if zh is not None:
        assert str(h) == zh


# --------------------------------------------------------------------------------------
# is_open
# --------------------------------------------------------------------------------------


def at(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """The given weekday (0 = Monday 2024-06-03) at hh:mm:ss."""
    return MON + timedelta(days=day, hours=hh, minutes=mm, seconds=ss)


def test_is_open_at_opening_edges() -> None:
    h = parse_hours("周一至周五 6:00-11:00")
    assert not h.is_open(at(0, 5, 0))  # 05:00 against a 06:00 opening
    assert not h.is_open(at(0, 5, 59, 59))
    assert h.is_open(at(0, 6, 0))
    assert h.is_open(at(0, 10, 59, 59))
    assert not h.is_open(at(0, 11, 0))  # intervals are half-open
    assert not h.is_open(at(5, 7, 0))  # Saturday


def test_is_open_overnight() -> None:
    h = parse_hours("Mo-Fr 22:00-02:00")
    assert h.is_open(at(4, 23, 0))  # Friday night
    assert h.is_open(at(5, 1, 0))  # 01:00 on Saturday, the NEXT day
    assert not h.is_open(at(5, 2, 0))
    assert not h.is_open(at(5, 23, 0))  # Saturday night: no rule
    assert not h.is_open(at(0, 1, 0))  # Monday 01:00: Sunday had no span
    assert h.is_open(at(1, 1, 59))
    # Sunday night runs into Monday morning (across the week boundary)
    s = parse_hours("Su 22:00-02:00")
    assert s.is_open(at(0, 1, 0)) and s.is_open(at(7, 1, 0))
    assert not s.is_open(at(1, 1, 0))


def test_is_open_public_holidays() -> None:
    h = parse_hours("Mo-Su 05:00-12:00; PH off")
    national_day = date(2024, 10, 1)
    hol = {national_day}
    assert not h.is_open(datetime(2024, 10, 1, 8, 0), holidays=hol)
    assert h.is_open(datetime(2024, 10, 2, 8, 0), holidays=hol)
    assert h.is_open(datetime(2024, 10, 1, 8, 0))  # no holiday calendar given
    # without "PH off" a holiday is an ordinary day
    assert parse_hours("Mo-Su 05:00-12:00").is_open(datetime(2024, 10, 1, 8, 0), holidays=hol)
    # an overnight span belongs to the day it starts on
    n = parse_hours("每天 22:00-02:00，节假日休息")
    assert not n.is_open(datetime(2024, 10, 1, 23, 0), holidays=hol)
    assert not n.is_open(datetime(2024, 10, 2, 1, 0), holidays=hol)  # started on the holiday
    assert n.is_open(datetime(2024, 10, 1, 1, 0), holidays=hol)  # started on 30 September


def test_is_open_always_and_never() -> None:
    always, never = parse_hours("24/7"), parse_hours("off")
    for k in range(0, 7 * 24 * 60, 97):
        t = MON + timedelta(minutes=k)
        assert always.is_open(t) and not never.is_open(t)


# Open spans (minutes after Monday 2024-06-03 00:00, over 7 days) reported by
# opening-hours-py 2.1.4: OpeningHours(text).intervals(start, start + 7 days), state open.
REFERENCE_SPANS = [
    ("Mo-Fr 08:00-12:00,13:00-17:00", [(480, 720), (780, 1020), (1920, 2160), (2220, 2460), (3360, 3600), (3660, 3900), (4800, 5040), (5100, 5340), (6240, 6480), (6540, 6780)]),
    ("Mo-Sa 05:30-11:30; Su off", [(330, 690), (1770, 2130), (3210, 3570), (4650, 5010), (6090, 6450), (7530, 7890)]),
    ("Mo,We,Fr 06:00-10:00", [(360, 600), (3240, 3480), (6120, 6360)]),
    ("Tu-Su 06:00-11:00", [(1800, 2100), (3240, 3540), (4680, 4980), (6120, 6420), (7560, 7860), (9000, 9300)]),
    ("24/7", [(0, 10080)]),
    ("off", []),
    ("Mo-Fr 22:00-02:00", [(1320, 1560), (2760, 3000), (4200, 4440), (5640, 5880), (7080, 7320)]),
    ("Su 22:00-02:00", [(0, 120), (9960, 10080)]),
    ("Mo-Su 08:00-17:00; Su 08:00-12:00", [(480, 1020), (1920, 2460), (3360, 3900), (4800, 5340), (6240, 6780), (7680, 8220), (9120, 9360)]),
    ("Sa-Mo 08:00-09:00", [(480, 540), (7680, 7740), (9120, 9180)]),
    ("Mo-Fr 08:00-12:00, Sa 09:00-10:00", [(480, 720), (1920, 2160), (3360, 3600), (4800, 5040), (6240, 6480), (7740, 7800)]),
    ("Mo-Fr 23:00-01:00,06:00-07:00", [(360, 420), (1380, 1500), (1800, 1860), (2820, 2940), (3240, 3300), (4260, 4380), (4680, 4740), (5700, 5820), (6120, 6180), (7140, 7260)]),
    ("Mo-Su 05:00-12:00; Sa,Su 06:00-10:00", [(300, 720), (1740, 2160), (3180, 3600), (4620, 5040), (6060, 6480), (7560, 7800), (9000, 9240)]),
    # the same evaluator on planner's own to_osm output for an overnight span into another rule
    ("Mo 22:00-02:00, Tu 10:00-12:00", [(1320, 1560), (2040, 2160)]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "spans"), REFERENCE_SPANS)
def test_is_open_matches_independent_osm_evaluator(text: str, spans: list[tuple[int, int]]) -> None:
    h = parse_hours(text)
    for minute in range(0, 7 * 1440):
        expected = any(a <= minute < b for a, b in spans)
        assert h.is_open(MON + timedelta(minutes=minute)) is expected, (text, divmod(minute, 1440))
    # weekly_minutes is the total length of those spans
    assert h.weekly_minutes() == sum(b - a for a, b in spans)


def test_where_planner_differs_from_opening_hours_rs() -> None:
    """A later rule does not cut the span an earlier rule runs past midnight (documented).

    opening-hours-py 2.1.4 reads "Mo-Su 22:00-02:00; Tu off" as closed Tuesday 00:00-02:00
    and open Wednesday 00:00-02:00; planner keeps each span with the day it starts on:
    open Tuesday 00:00-02:00 (Monday's span), closed Wednesday 00:00-02:00.
    """
    h = parse_hours("Mo-Su 22:00-02:00; Tu off")
    assert h.is_open(at(1, 1, 0)) and not h.is_open(at(2, 1, 0))
    assert h.to_osm() == "Mo,We-Su 22:00-02:00"  # unambiguous for every evaluator


# --------------------------------------------------------------------------------------
# Other queries
# --------------------------------------------------------------------------------------


def test_weekly_minutes_by_hand() -> None:
    assert parse_hours("每天 5:00-12:00").weekly_minutes() == 7 * 420
    assert parse_hours("24/7").weekly_minutes() == 7 * 1440
    assert parse_hours("off").weekly_minutes() == 0
    # Monday 22:00-02:00 overlaps Tuesday 00:00-06:00: 22:00 Mon to 06:00 Tue = 480 min
    assert parse_hours("Mo 22:00-02:00; Tu 00:00-06:00").weekly_minutes() == 480
    # Sunday night wraps into Monday: 120 + 120
    assert parse_hours("Su 22:00-02:00").weekly_minutes() == 240


def test_opens_at_or_before() -> None:
    h = parse_hours("周一至周五 6:00-11:00；周六 5:00-11:00")
    assert h.opens_at_or_before(time(6, 0))
    assert not h.opens_at_or_before(time(5, 30))  # Monday-Friday open at 06:00
    assert h.opens_at_or_before(time(5, 30), weekday=5)
    assert not h.opens_at_or_before(time(5, 30), weekday=0)
    assert not h.opens_at_or_before(time(12, 0), weekday=6)  # closed on Sunday
    assert not parse_hours("off").opens_at_or_before(time(23, 59))
    # open at midnight thanks to the previous evening's span
    assert parse_hours("Su 22:00-02:00").opens_at_or_before(time(0, 0), weekday=0)


def test_intervals_rejects_bad_weekday() -> None:
    h = parse_hours("24/7")
    with pytest.raises(InvalidValueError, match=r"weekday 7 is not 0-6.*Fix: use 0 for Monday"):
        h.intervals(7)


def test_from_intervals_merges_and_checks() -> None:
    h = OpeningHours.from_intervals([[(600, 720), (480, 610)]] + [[]] * 6)
    assert h.week[0] == ((480, 720),)
    with pytest.raises(HoursError, match="a week has 7 days, got 6"):
        OpeningHours.from_intervals([[]] * 6)
    with pytest.raises(HoursError, match="lasts 24 hours or more"):
        OpeningHours.from_intervals([[(60, 1500)]] + [[]] * 6)
    with pytest.raises(HoursError, match="not sorted and disjoint"):
        OpeningHours((((600, 720), (480, 610)),) + ((),) * 6)
    with pytest.raises(HoursError, match="ends before it starts"):
        OpeningHours.from_intervals([[(600, 600)]] + [[]] * 6)


def test_is_immutable_and_hashable() -> None:
    h = parse_hours("每天 5:00-12:00")
    with pytest.raises(AttributeError):
        h.holidays_closed = True  # type: ignore[misc]
    assert {h, parse_hours("Mo-Su 05:00-12:00")} == {h}


# --------------------------------------------------------------------------------------
# Round trips (property)
# --------------------------------------------------------------------------------------


@st.composite
def schedules(draw: st.DrawFn) -> OpeningHours:
    days = []
    for _ in range(7):
        ivs = []
        for _ in range(draw(st.integers(0, 3))):
            if draw(st.integers(0, 19)) == 0:
                ivs.append((0, 1440))
                continue
            start = draw(st.integers(0, 1439))
            ivs.append((start, start + draw(st.integers(1, 1439))))
        days.append(ivs)
    try:
        return OpeningHours.from_intervals(days, holidays_closed=draw(st.booleans()))
    except HoursError:  # merged spans of 24 h or more cannot be written
        assume(False)
        raise


@settings(max_examples=300, deadline=None)
@given(h=schedules())
def test_round_trip_osm(h: OpeningHours) -> None:
    assert parse_hours(h.to_osm()) == h


@settings(max_examples=300, deadline=None)
@given(h=schedules())
def test_round_trip_chinese(h: OpeningHours) -> None:
    assert parse_hours(str(h)) == h


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------

ERRORS = [
    ("", "the text is empty"),
    ("   ", "the text is empty"),
    ("25:00-12:00", r"invalid time '25:00'"),
    ("08:00-12:70", r"invalid time '12:70'"),
    ("8:5-12:00", r"invalid time '8:5'"),
    ("24:30-02:00", r"invalid time '24:30'"),
    ("24:00-02:00", r"starts at 24:00"),
    ("8:00-8:00", "starts and ends at the same time"),
    ("08:00-次日10:00", "lasts more than 24 hours"),
    ("8:00", "has no end"),
    ("5-12", r"'5' is a bare number"),
    ("上午13点-14点", r"invalid time '上午13点'"),
    ("Mo-Fr", r"gives days but no times"),
    ("全年无休", "'全年无休' says every day is open but gives no times"),
    ("节假日休息", "no opening times for ordinary days"),
    ("PH off", "no opening times for ordinary days"),
    ("周日休息", "names only days when the place is closed"),
    ("PH 09:00-12:00", "special hours for public holidays"),
    ("节假日", "names public holidays without"),
    ("每天 5:00-12:00，全年无休，节假日休息", "contradicts an earlier rule for public holidays"),
    ("每天 8:00-17:00，周日 8:00-12:00", r"gives times for 周日 \(Su\), which an earlier rule"),
    ("周一至周五 8:00-12:00；14:00-17:00", "gives times without days after another rule"),
    ("Mo-Fr 08:00-12:00 off", "gives both times and 'off'"),
    ("Jan-Mar 08:00-12:00", r"unexpected 'jan'"),
    ("Mo-Fr 08:00-12:00; SH off", r"unexpected 'sh'"),
    ("Mo-Fr 08:00-18:00+", r"unexpected '\+'"),
    ("Mo-Fr 08:00-12:00 || PH off", r"unexpected '\|'"),
    ('Mo-Fr 08:00-12:00 "by appointment"', r"unexpected '\"'"),
    ("sunrise-sunset", r"unexpected 'sunrise'"),
    ("夏季 6:00-18:00", r"unexpected '夏'"),
    ("照常营业 8:00-12:00", r"'照常营业' is only understood after 'PH'"),
    ("一 8:00-12:00", r"unexpected '一' \(write a weekday as '周一'\)"),
    ("周一- 8:00-12:00", r"day range '周一'- has no end day"),
    ("- 8:00", r"unexpected '-'"),
    ("Mo 00:00-24:00,23:00-01:00", "lasts 24 hours or more"),
    ("中午休息", "expected a time after '中午'"),
]


@pytest.mark.parametrize(("text", "match"), ERRORS)
def test_errors(text: str, match: str) -> None:
    with pytest.raises(HoursError, match=match) as info:
        parse_hours(text)
    err = info.value
    assert isinstance(err, PlannerError) and isinstance(err, ValueError)
    assert str(err).startswith(f"cannot read opening hours {text!r}: ")
    assert err.fix == "write e.g. '每天 05:00-12:00' or OSM 'Mo-Su 05:00-12:00'"
    assert err.path is None and err.row is None  # callers add the file and row


def test_not_text_is_an_error() -> None:
    with pytest.raises(
        HoursError, match=r"cannot read opening hours nan: expected text, got float"
    ):
        parse_hours(float("nan"))  # type: ignore[arg-type]


def test_callers_can_add_path_and_row() -> None:
    """The contract for readers: re-raise with the file and spreadsheet row."""
    try:
        parse_hours("25:00-26:00")
    except HoursError as err:
        wrapped = HoursError(err.message, path="markets.csv", row=7, column="营业时间", fix=err.fix)
    assert str(wrapped).startswith(
        "markets.csv, row 7, column '营业时间': cannot read opening hours '25:00-26:00'"
    )

"""Coverage at the hour that matters (planner/analysis/moments.py)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.analysis.coverage import TierRule, coverage
from planner.analysis.moments import coverage_at, dawn_flags, open_earlier, parse_moment
from planner.errors import InvalidValueError
from planner.io.hours import parse_hours
from planner.network.graph import TravelGraph

UTM = 32651
TUESDAY = dt.date(2024, 3, 5)


def _line(n: int = 6, edge_s: float = 300.0) -> TravelGraph:
    x = np.arange(n) * 400.0
    u = list(range(n - 1)) + list(range(1, n))
    v = list(range(1, n)) + list(range(n - 1))
    return TravelGraph.from_edges(
        "walk", np.arange(n), x, np.zeros(n), u, v, [edge_s] * len(u), crs=UTM
    )


def _cells(n: int = 6) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"demand": [100.0] * n},
        geometry=gpd.points_from_xy(np.arange(n) * 400.0, [0.0] * n),
        crs=UTM,
    )


def _market(x: float, hours: str | None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "market_id": ["M"],
            "name": ["东站"],
            "tier": ["station"],
            "opening_hours": [parse_hours(hours) if hours else None],
        },
        geometry=[shapely.Point(x, 0.0)],
        crs=UTM,
    )


RULE = {"station": TierRule("station", 10.0, ("walk",))}  # 10 min = 2 edges of 5 min


def test_a_market_closed_at_five_covers_at_nine() -> None:
    # A station at node 0 open 08:30-17:00: by hand it covers nodes 0, 1, 2 (0, 5 and 10
    # minutes) = 300 workers at 09:00, and nobody at 05:00.
    cells, mk, g = _cells(), _market(0.0, "每天 08:30-17:00"), {"walk": _line()}
    at5 = coverage_at(cells, mk, g, parse_moment("Mo 05:00").on(TUESDAY), feed=None, rules=RULE)
    at9 = coverage_at(cells, mk, g, parse_moment("Mo 09:00").on(TUESDAY), feed=None, rules=RULE)
    assert at5.summary().set_index("tier").at["station", "covered"] == 0.0
    assert at9.summary().set_index("tier").at["station", "covered"] == 300.0
    assert "0 of 1 market(s) open" in at5.notes[0]


def test_hours_unread_count_as_open_and_are_counted() -> None:
    cells, mk, g = _cells(), _market(0.0, None), {"walk": _line()}
    at5 = coverage_at(cells, mk, g, parse_moment("Mo 05:00").on(TUESDAY), feed=None, rules=RULE)
    assert at5.summary().set_index("tier").at["station", "covered"] == 300.0
    assert "1 without readable hours counted open" in at5.notes[0]
    # planned sites added to the markets (--sites) carry no hours at all: NaN, not None
    mk2 = mk.assign(opening_hours=[float("nan")])
    at5 = coverage_at(cells, mk2, g, parse_moment("Mo 05:00").on(TUESDAY), feed=None, rules=RULE)
    assert at5.summary().set_index("tier").at["station", "covered"] == 300.0
    flags = dawn_flags(
        cells, mk2, g, {parse_moment("Mo 05:00"): at5}, TUESDAY, feed=None, rules=RULE
    )
    assert len(flags) == 0


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    opens=st.lists(st.integers(0, 23), min_size=3, max_size=3),
    spans=st.lists(st.integers(1, 12), min_size=3, max_size=3),
    hour=st.integers(0, 23),
    day=st.sampled_from(["Mo", "Sa", "Su"]),
)
def test_coverage_at_a_moment_never_exceeds_any_time(
    opens: list[int], spans: list[int], hour: int, day: str
) -> None:
    cells, g = _cells(), {"walk": _line()}
    mks = []
    for i, (o, sp) in enumerate(zip(opens, spans, strict=True)):
        end = min(24, o + sp)
        mk = _market(400.0 * 2 * i, f"每天 {o:02d}:00-{end:02d}:00" if end > o else None)
        mks.append(mk.assign(market_id=f"M{i}"))
    markets = gpd.GeoDataFrame(np.concatenate([m.to_numpy() for m in mks]), columns=mks[0].columns)
    markets = gpd.GeoDataFrame(markets, geometry="geometry", crs=UTM)
    anytime = coverage(cells, markets, g, rules=RULE).summary().set_index("tier")
    when = parse_moment(f"{day} {hour:02d}:00").on(TUESDAY)
    at = coverage_at(cells, markets, g, when, feed=None, rules=RULE).summary().set_index("tier")
    assert at.at["station", "covered"] <= anytime.at["station", "covered"]


def test_dawn_flags_by_hand() -> None:
    # M opens 07:30: closed at 05:00 and 07:00. Opening two hours earlier (05:30) it is
    # open at 07:00 but still not at 05:00, so it is credited at 07:00 with the workers of
    # the cells within 10 minutes of it that nothing covers then: nodes 0, 1, 2 = 300.
    cells, g = _cells(), {"walk": _line()}
    mk = _market(0.0, "每天 07:30-17:00")
    moments = [parse_moment(m) for m in ("Mo 05:00", "Mo 07:00", "Mo 09:00")]
    at = {m: coverage_at(cells, mk, g, m.on(TUESDAY), feed=None, rules=RULE) for m in moments}
    flags = dawn_flags(cells, mk, g, at, TUESDAY, feed=None, rules=RULE)
    assert flags[["market_id", "moment", "new_workers"]].values.tolist() == [
        ["M", "Mo 07:00", 300.0]
    ]
    assert flags["hours"].iloc[0] == "每天 07:30-17:00"


def test_open_earlier_and_moment_parsing() -> None:
    assert str(open_earlier(parse_hours("周一至周五 06:00-12:00"), 120)) == (
        "周一至周五 04:00-12:00；周六、周日休息"
    )
    assert parse_moment("周日 06:00").on(TUESDAY) == dt.datetime(2024, 3, 10, 6, 0)
    assert parse_moment("工作日 05:00").on(TUESDAY) == dt.datetime(2024, 3, 11, 5, 0)
    with pytest.raises(InvalidValueError, match="is not a moment"):
        parse_moment("dawn")


def test_markets_without_hours_objects_count_as_open() -> None:
    # planned sites read back from a GeoPackage join the markets with NaN hours
    cells, g = _cells(), {"walk": _line()}
    mk = _market(0.0, None).assign(opening_hours=[float("nan")])
    at5 = coverage_at(cells, mk, g, parse_moment("Mo 05:00").on(TUESDAY), feed=None, rules=RULE)
    assert at5.summary().set_index("tier").at["station", "covered"] == 300.0

"""Tests of planner.io.transit: GTFS feeds and Chinese route tables.

Expected values are worked out by hand from the tiny feeds built here (comments give the
arithmetic), by pyproj.Geod (an independent geodesic) for distance-based interpolation,
and, for the real Yantai tables, by pandas/csv/regex reading of the raw files.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import (
    ColumnError,
    CoordinateError,
    DuplicateIdError,
    InputFileError,
    InvalidValueError,
    MissingFileError,
    PlannerError,
    TransitError,
)
from planner.io.crs import StudyArea
from planner.io.transit import (
    TransitFeed,
    format_time_s,
    parse_time_s,
    read_gtfs,
    read_route_tables,
)
from planner.io.transit.feed import _frequency_departures

# --- a tiny GTFS feed ------------------------------------------------------------------------

STOPS = """stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station
ST1,火车站,37.5000,121.4000,1,
S1,火车站北,37.5000,121.4000,0,ST1
S2,二站,37.5100,121.4000,0,
S3,三站,37.5400,121.4000,0,
S4,四站,37.5400,121.4200,0,
S5,五站,37.5400,121.4400,0,
"""
AGENCY = """agency_id,agency_name,agency_url,agency_timezone
A,烟台公交,http://example.org,Asia/Shanghai
"""
ROUTES = """route_id,agency_id,route_short_name,route_long_name,route_type
R1,A,1路,火车站—三站,3
R2,A,2路,三站—五站,3
"""
TRIPS = """route_id,service_id,trip_id,direction_id
R1,WK,T1,0
R1,WK,T2,0
R1,WK,T3,1
R2,WK,T4,0
R1,WE,T5,0
R1,WK,T6,0
"""
# T2 has no time at S2 (interpolated); T3 runs after midnight; T4 is a frequency template;
# T6 skips S2 (own pattern), numbers its stops 1 and 5 and is listed last-stop first.
STOP_TIMES = """trip_id,arrival_time,departure_time,stop_id,stop_sequence
T1,06:00:00,06:00:00,S1,1
T1,06:05:00,06:06:00,S2,2
T1,06:10:00,06:10:00,S3,3
T2,06:20:00,06:20:00,S1,1
T2,,,S2,2
T2,06:30:00,06:30:00,S3,3
T3,24:30:00,24:30:00,S3,1
T3,24:50:00,24:50:00,S2,2
T3,25:10:00,25:10:00,S1,3
T4,00:00:00,00:00:00,S3,1
T4,00:05:00,00:05:00,S4,2
T4,00:10:00,00:10:00,S5,3
T5,07:00:00,07:00:00,S1,1
T5,07:05:00,07:05:00,S2,2
T5,07:10:00,07:10:00,S3,3
T6,06:48:00,06:48:00,S3,5
T6,06:40:00,06:40:00,S1,1
"""
FREQUENCIES = """trip_id,start_time,end_time,headway_secs
T4,06:00:00,08:00:00,900
"""
CALENDAR = """service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date
WK,1,1,1,1,1,0,0,20240101,20241231
WE,0,0,0,0,0,1,1,20240101,20241231
"""
# Monday 2024-03-04: weekend service added; Tuesday 2024-03-05: weekday service removed.
CALENDAR_DATES = """service_id,date,exception_type
WE,20240304,1
WK,20240305,2
"""


def gtfs_files() -> dict[str, str]:
    return {
        "agency.txt": AGENCY,
        "stops.txt": STOPS,
        "routes.txt": ROUTES,
        "trips.txt": TRIPS,
        "stop_times.txt": STOP_TIMES,
        "frequencies.txt": FREQUENCIES,
        "calendar.txt": CALENDAR,
        "calendar_dates.txt": CALENDAR_DATES,
    }


def write_zip(path: Path, files: dict[str, str], *, bom: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            data = text.encode("utf-8")
            z.writestr(name, (b"\xef\xbb\xbf" + data) if bom else data)
    return path


@pytest.fixture
def feed(tmp_path: Path) -> TransitFeed:
    return read_gtfs(write_zip(tmp_path / "feed.zip", gtfs_files()))


def hw(df: pd.DataFrame) -> dict[str, tuple[int, float, float, float, str]]:
    return {
        r.pattern_id: (
            r.n_departures,
            r.mean_headway_s,
            r.first_departure_s,
            r.last_departure_s,
            r.headway_source,
        )
        for r in df.itertuples()
    }


# --- times -----------------------------------------------------------------------------------


def test_parse_and_format_times() -> None:
    assert parse_time_s("05:00") == 5 * 3600
    assert parse_time_s("25:10:00") == 25 * 3600 + 10 * 60 == 90600
    assert parse_time_s("6:07:09") == 6 * 3600 + 7 * 60 + 9
    assert parse_time_s(1234) == 1234
    assert format_time_s(90600) == "25:10"
    assert format_time_s(3 * 3600 + 5) == "03:00:05"
    with pytest.raises(InvalidValueError, match="'25:61' is not HH:MM"):
        parse_time_s("25:61")


# --- GTFS: reading -----------------------------------------------------------------------------


def test_gtfs_stops_routes_and_crs(feed: TransitFeed) -> None:
    assert feed.source == "gtfs"
    assert feed.crs.to_epsg() == 32651  # UTM 51N: 121.4 E lies in 120-126 E
    assert sorted(feed.stops["stop_id"]) == ["S1", "S2", "S3", "S4", "S5", "ST1"]
    s1 = feed.stops.set_index("stop_id").loc["S1"]
    assert s1["parent_station"] == "ST1"
    back = gpd.GeoSeries([s1.geometry], crs=feed.crs).to_crs(4326).iloc[0]
    assert back.x == pytest.approx(121.4, abs=1e-9)
    assert back.y == pytest.approx(37.5, abs=1e-9)
    routes = feed.routes.set_index("route_id")
    assert routes.loc["R1", "short_name"] == "1路"
    assert routes.loc["R2", "agency"] == "烟台公交"
    assert int(routes.loc["R2", "route_type"]) == 3


def test_gtfs_patterns_group_identical_sequences(feed: TransitFeed) -> None:
    pats = feed.patterns.set_index("pattern_id")
    assert sorted(pats.index) == ["R1:0:1", "R1:0:2", "R1:1:1", "R2:0:1"]
    assert pats.loc["R1:0:1", "stop_ids"] == ["S1", "S2", "S3"]
    assert pats.loc["R1:0:1", "n_trips"] == 3  # T1, T2, T5
    assert pats.loc["R1:0:2", "stop_ids"] == ["S1", "S3"]  # T6, rows listed in reverse
    assert pats.loc["R1:1:1", "stop_ids"] == ["S3", "S2", "S1"]
    trips = feed.trips.set_index("trip_id")
    assert trips.loc["T5", "pattern_id"] == "R1:0:1"
    assert trips.loc["T6", "pattern_id"] == "R1:0:2"
    assert bool(trips.loc["T4", "frequency_based"]) is True
    assert bool(trips.loc["T1", "frequency_based"]) is False


def test_gtfs_seconds_past_midnight(feed: TransitFeed) -> None:
    st = feed.stop_times
    t3 = st[st["trip_id"] == "T3"]
    assert list(t3["arrival_s"]) == [24 * 3600 + 1800, 24 * 3600 + 3000, 90600]  # 25:10 = 90600
    t1 = st[st["trip_id"] == "T1"]
    assert list(t1["arrival_s"]) == [21600, 21900, 22200]
    assert list(t1["departure_s"]) == [21600, 21960, 22200]  # 06:06 dwell at S2
    trips = feed.trips.set_index("trip_id")
    assert trips.loc["T3", "start_s"] == 88200 and trips.loc["T3", "end_s"] == 90600
    t6 = st[st["trip_id"] == "T6"]
    assert list(t6["stop_sequence"]) == [1, 5] and list(t6["stop_index"]) == [0, 1]


def test_gtfs_interpolates_by_straight_line_distance(feed: TransitFeed) -> None:
    # S1, S2, S3 on the 121.4 E meridian; the time at S2 is split in proportion to the
    # geodesic lengths S1-S2 and S2-S3 (pyproj.Geod, independent of the projected CRS).
    geod = pyproj.Geod(ellps="WGS84")
    d12 = geod.inv(121.4, 37.50, 121.4, 37.51)[2]
    d23 = geod.inv(121.4, 37.51, 121.4, 37.54)[2]
    expected = 22800 + d12 / (d12 + d23) * 600  # 06:20 + share of 10 min
    row = feed.stop_times[
        (feed.stop_times["trip_id"] == "T2") & (feed.stop_times["stop_id"] == "S2")
    ]
    assert abs(int(row["arrival_s"].iloc[0]) - expected) <= 1
    assert int(row["departure_s"].iloc[0]) == int(row["arrival_s"].iloc[0])
    assert bool(row["interpolated"].iloc[0]) is True
    assert int(feed.stop_times["interpolated"].sum()) == 1


def test_gtfs_interpolates_by_shape_dist_traveled(tmp_path: Path) -> None:
    files = gtfs_files()
    lines = files["stop_times.txt"].strip().split("\n")
    dist = {"T2,06:20:00": "0", "T2,,,S2": "300", "T2,06:30:00": "1000"}
    out = [lines[0] + ",shape_dist_traveled"]
    for line in lines[1:]:
        key = next((k for k in dist if line.startswith(k)), None)
        out.append(line + "," + (dist[key] if key else ""))
    files["stop_times.txt"] = "\n".join(out) + "\n"
    f = read_gtfs(write_zip(tmp_path / "f.zip", files))
    row = f.stop_times[(f.stop_times["trip_id"] == "T2") & (f.stop_times["stop_id"] == "S2")]
    assert int(row["arrival_s"].iloc[0]) == 22800 + 180  # 300/1000 of 10 min = 06:23:00


def test_gtfs_folder_and_bom(tmp_path: Path) -> None:
    folder = tmp_path / "gtfs"
    folder.mkdir()
    for name, text in gtfs_files().items():
        (folder / name).write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    f = read_gtfs(folder)
    assert len(f.stop_times) == 17 and len(f.patterns) == 4
    z = read_gtfs(write_zip(tmp_path / "bom.zip", gtfs_files(), bom=True))
    assert sorted(z.stops["stop_id"]) == sorted(f.stops["stop_id"])


def test_gtfs_zip_with_folder_inside(tmp_path: Path) -> None:
    files = {f"feed/{k}": v for k, v in gtfs_files().items()}
    f = read_gtfs(write_zip(tmp_path / "nested.zip", files))
    assert len(f.trips) == 6


# --- GTFS: calendar and headways ---------------------------------------------------------------


def test_services_on(feed: TransitFeed) -> None:
    assert feed.services_on(dt.date(2024, 3, 6)) == {"WK"}  # Wednesday
    assert feed.services_on("2024-03-09") == {"WE"}  # Saturday
    assert feed.services_on(dt.date(2024, 3, 4)) == {"WK", "WE"}  # Monday + added WE
    assert feed.services_on(dt.date(2024, 3, 5)) == set()  # Tuesday, WK removed
    assert feed.services_on(dt.date(2025, 1, 1)) == set()  # after end_date


def test_headways_in_window(feed: TransitFeed) -> None:
    got = hw(feed.headways(dt.date(2024, 3, 6), "06:00", "08:00"))
    # window 7200 s; mean headway = 7200 / departures
    assert got == {
        "R1:0:1": (2, 3600.0, 21600.0, 22800.0, "timetable"),  # T1 06:00, T2 06:20
        "R1:0:2": (1, 7200.0, 24000.0, 24000.0, "timetable"),  # T6 06:40
        "R2:0:1": (8, 900.0, 21600.0, 27900.0, "frequencies"),  # 06:00 … 07:45 every 15 min
    }
    monday = hw(feed.headways(dt.date(2024, 3, 4), 6 * 3600, 8 * 3600))
    assert monday["R1:0:1"][0] == 3  # + T5 07:00 of the added weekend service
    part = hw(feed.headways(dt.date(2024, 3, 6), "07:00", "07:20"))
    assert part == {"R2:0:1": (2, 600.0, 25200.0, 26100.0, "frequencies")}  # 07:00, 07:15


def test_headways_after_midnight_use_previous_service_day(feed: TransitFeed) -> None:
    # T3 leaves at 24:30 of a WK day = 00:30 of the next day
    assert hw(feed.headways(dt.date(2024, 3, 7), "00:00", "01:00")) == {
        "R1:1:1": (1, 3600.0, 1800.0, 1800.0, "timetable")
    }
    # on 2024-03-06 at 00:30 it would be Tuesday's trip, and WK is removed on Tuesday
    assert len(feed.headways(dt.date(2024, 3, 6), "00:00", "01:00")) == 0
    same_day = hw(feed.headways(dt.date(2024, 3, 6), "24:00", "26:00"))
    assert same_day == {"R1:1:1": (1, 7200.0, 88200.0, 88200.0, "timetable")}


def test_require_service(feed: TransitFeed) -> None:
    assert len(feed.require_service(dt.date(2024, 3, 6), "05:00", "09:00")) == 3
    empty = feed.headways(dt.date(2024, 3, 5), "05:00", "09:00")
    assert len(empty) == 0 and "mean_headway_s" in empty.columns
    with pytest.raises(
        TransitError, match=r"no bus service between 05:00 and 09:00 on 2024-03-05 .*Tuesday"
    ) as exc:
        feed.require_service(dt.date(2024, 3, 5), "05:00", "09:00")
    assert "2024-01-01 to 2024-12-31" in str(exc.value) and "Fix:" in str(exc.value)
    with pytest.raises(InvalidValueError, match="is empty"):
        feed.headways(dt.date(2024, 3, 6), "09:00", "05:00")


@settings(max_examples=300, deadline=None)
@given(
    start=st.integers(0, 30 * 3600),
    length=st.integers(0, 6 * 3600),
    headway=st.integers(1, 3600),
    a=st.integers(0, 30 * 3600),
    width=st.integers(1, 6 * 3600),
    inclusive=st.booleans(),
)
def test_frequency_departures_match_enumeration(
    start: int, length: int, headway: int, a: int, width: int, inclusive: bool
) -> None:
    end = start + length
    if not inclusive and length == 0:
        end += 1  # a GTFS frequency window is never empty
    b = a + width
    times = list(range(start, end + (1 if inclusive else 0), headway))
    if inclusive and times[-1] != end:
        times.append(end)  # a table's last bus runs even off the grid
    in_window = [x for x in times if a <= x < b]
    f = pd.DataFrame(
        {
            "pattern_id": ["p"],
            "start_s": [start],
            "end_s": [end],
            "headway_s": [float(headway)],
            "end_inclusive": [inclusive],
            "headway_source": ["assumed" if inclusive else "frequencies"],
        }
    )
    got = _frequency_departures(f, a, b).iloc[0]
    assert got["n"] == len(in_window)
    if in_window:
        assert (got["first"], got["last"]) == (min(in_window), max(in_window))


# --- GTFS: errors --------------------------------------------------------------------------


def _replace(files: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    assert old in files[name], old
    files[name] = files[name].replace(old, new, 1)
    return files


def test_gtfs_missing_path_and_not_zip(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="GTFS feed does not exist"):
        read_gtfs(tmp_path / "nothing.zip")
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    with pytest.raises(InputFileError, match=r"not a GTFS \.zip"):
        read_gtfs(bad)


def test_gtfs_missing_files(tmp_path: Path) -> None:
    files = gtfs_files()
    del files["stops.txt"]
    with pytest.raises(TransitError, match=r"lacks stops\.txt"):
        read_gtfs(write_zip(tmp_path / "a.zip", files))
    files = gtfs_files()
    del files["calendar.txt"], files["calendar_dates.txt"]
    with pytest.raises(TransitError, match=r"lacks calendar\.txt or calendar_dates\.txt"):
        read_gtfs(write_zip(tmp_path / "b.zip", files))


def test_gtfs_calendar_dates_alone(tmp_path: Path) -> None:
    files = gtfs_files()
    del files["calendar.txt"]
    files["calendar_dates.txt"] = "service_id,date,exception_type\nWK,20240306,1\nWE,20240309,1\n"
    f = read_gtfs(write_zip(tmp_path / "cd.zip", files))
    assert f.services_on(dt.date(2024, 3, 6)) == {"WK"}
    assert f.services_on(dt.date(2024, 3, 7)) == set()


@pytest.mark.parametrize(
    ("name", "old", "new", "error", "message"),
    [
        (
            "stops.txt",
            "stop_lat",
            "latitude",
            ColumnError,
            r"'stop_lat' is missing from stops\.txt",
        ),
        ("stops.txt", "S2,二站", "S1,二站", DuplicateIdError, r"'S1' appears 2 times"),
        ("routes.txt", "R2,A", "R1,A", DuplicateIdError, r"routes\.txt.*'R1' appears 2 times"),
        ("trips.txt", "R1,WK,T2", "R1,WK,T1", DuplicateIdError, r"trips\.txt.*'T1' appears"),
        (
            "trips.txt",
            "R2,WK,T4",
            "R9,WK,T4",
            TransitError,
            r"trips\.txt, row 5.*'R9' is not in routes",
        ),
        ("trips.txt", "R1,WE,T5", "R1,XX,T5", TransitError, r"service_id 'XX' is not in calendar"),
        (
            "stop_times.txt",
            "T1,06:05:00,06:06:00,S2",
            "T1,06:05:00,06:06:00,S9",
            TransitError,
            r"stop_times\.txt, row 3, column 'stop_id': stop_id 'S9' is not in stops\.txt",
        ),
        (
            "stop_times.txt",
            "T5,07:05:00",
            "T7,07:05:00",
            TransitError,
            r"row 15, column 'trip_id': trip_id 'T7' is not in trips\.txt",
        ),
        (
            "stop_times.txt",
            "T1,06:05:00,06:06:00",
            "T1,25:61:00,06:06:00",
            InvalidValueError,
            r"row 3, column 'arrival_time': '25:61:00' is not a time",
        ),
        (
            "stop_times.txt",
            "T1,06:00:00,06:00:00",
            "T1,,",
            TransitError,
            r"row 2.*the first stop of trip 'T1' has no arrival_time",
        ),
        (
            "stop_times.txt",
            "T2,06:30:00,06:30:00",
            "T2,,",
            TransitError,
            r"row 7.*the last stop of trip 'T2' has no arrival_time",
        ),
        (
            "stop_times.txt",
            "T1,06:10:00,06:10:00",
            "T1,06:01:00,06:01:00",
            TransitError,
            r"row 4.*times of trip 'T1' run backwards",
        ),
        (
            "stop_times.txt",
            "T1,06:10:00,06:10:00,S3,3",
            "T1,06:10:00,06:10:00,S3,2",
            TransitError,
            r"trip 'T1' lists stop_sequence 2 twice \(rows 3 and 4\)",
        ),
        (
            "stop_times.txt",
            "S3,3\nT2",
            "S3,x\nT2",
            InvalidValueError,
            r"row 4, column 'stop_sequence'.*not a whole number",
        ),
        ("frequencies.txt", "900", "0", InvalidValueError, r"headway_secs '0' is not positive"),
        (
            "frequencies.txt",
            "T4,",
            "T8,",
            TransitError,
            r"frequencies\.txt, row 2.*'T8' is not in trips",
        ),
        (
            "frequencies.txt",
            "06:00:00,08:00:00",
            "08:00:00,06:00:00",
            InvalidValueError,
            r"end_time 06:00:00 is not after start_time 08:00:00",
        ),
        (
            "calendar.txt",
            "20240101,20241231\nWE",
            "2024-01-01,20241231\nWE",
            InvalidValueError,
            r"calendar\.txt, row 2, column 'start_date': '2024-01-01' is not a date",
        ),
        (
            "calendar.txt",
            "WK,1,1,1",
            "WK,1,yes,1",
            InvalidValueError,
            r"column 'tuesday': 'yes' is not 0 or 1",
        ),
        (
            "calendar_dates.txt",
            "20240305,2",
            "20240305,3",
            InvalidValueError,
            r"exception_type '3' is not 1 or 2",
        ),
    ],
)
def test_gtfs_bad_input(
    tmp_path: Path, name: str, old: str, new: str, error: type[PlannerError], message: str
) -> None:
    files = _replace(gtfs_files(), name, old, new)
    with pytest.raises(error, match=message):
        read_gtfs(write_zip(tmp_path / "bad.zip", files))


def test_gtfs_stop_outside_area(tmp_path: Path) -> None:
    area = StudyArea.from_bbox(121.3, 37.4, 121.6, 37.7, name="芝罘")
    assert len(read_gtfs(write_zip(tmp_path / "ok.zip", gtfs_files()), area=area).stops) == 6
    files = _replace(gtfs_files(), "stops.txt", "37.5400,121.4400", "36.6500,117.0000")  # Jinan
    with pytest.raises(CoordinateError, match=r"stops\.txt, row 7.*outside the study area '芝罘'"):
        read_gtfs(write_zip(tmp_path / "far.zip", files), area=area)
    files = _replace(gtfs_files(), "stops.txt", "37.5400,121.4400", "121.4400,37.5400")
    with pytest.raises(CoordinateError, match="look swapped"):
        read_gtfs(write_zip(tmp_path / "swap.zip", files))


def test_gtfs_one_stop_trip_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    files = gtfs_files()
    files["trips.txt"] += "R1,WK,T9,0\n"
    files["stop_times.txt"] += "T9,09:00:00,09:00:00,S1,1\n"
    with caplog.at_level(logging.WARNING):
        f = read_gtfs(write_zip(tmp_path / "one.zip", files))
    assert "T9" not in set(f.trips["trip_id"])
    assert list(f.dropped["id"]) == ["T9"] and list(f.dropped["row"]) == [19]
    assert "1 trip(s) with a single stop time" in caplog.text
    files["trips.txt"] += "R1,WK,T10,0\n"  # no stop times at all: row 9 of trips.txt
    f = read_gtfs(write_zip(tmp_path / "none.zip", files))
    assert f.dropped[["file", "row", "id"]].values.tolist() == [
        ["stop_times.txt", 19, "T9"],
        ["trips.txt", 9, "T10"],
    ]


@pytest.mark.slow
def test_gtfs_million_stop_times_reads_in_seconds(tmp_path: Path) -> None:
    n_trips, n_stops = 25_000, 40  # 1,000,000 stop times
    folder = tmp_path / "big"
    folder.mkdir()
    lon = 121.30 + 0.002 * np.arange(200)
    pd.DataFrame(
        {"stop_id": [f"s{i}" for i in range(200)], "stop_lat": 37.5, "stop_lon": lon}
    ).to_csv(folder / "stops.txt", index=False)
    (folder / "routes.txt").write_text(
        "route_id,route_type\n" + "".join(f"r{i},3\n" for i in range(50))
    )
    trip = np.arange(n_trips)
    pd.DataFrame(
        {
            "route_id": [f"r{i % 50}" for i in trip],
            "service_id": "D",
            "trip_id": [f"t{i}" for i in trip],
        }
    ).to_csv(folder / "trips.txt", index=False)
    (folder / "calendar.txt").write_text(CALENDAR.replace("WK", "D").split("\nWE")[0] + "\n")
    k = np.tile(np.arange(n_stops), n_trips)
    tr = np.repeat(trip, n_stops)
    secs = 5 * 3600 + (tr % 500) * 120 + k * 90
    hms = (
        pd.Series(secs // 3600).astype(str).str.zfill(2)
        + ":"
        + pd.Series(secs // 60 % 60).astype(str).str.zfill(2)
        + ":"
        + pd.Series(secs % 60).astype(str).str.zfill(2)
    )
    pd.DataFrame(
        {
            "trip_id": "t" + pd.Series(tr).astype(str),
            "arrival_time": hms,
            "departure_time": hms,
            "stop_id": "s" + pd.Series((tr % 50) * 3 + k).astype(str),
            "stop_sequence": k + 1,
        }
    ).to_csv(folder / "stop_times.txt", index=False)
    t0 = time.perf_counter()
    f = read_gtfs(folder)
    elapsed = time.perf_counter() - t0
    assert len(f.stop_times) == 1_000_000
    assert len(f.patterns) == 50  # one stop sequence per route
    assert int(f.trips["start_s"].min()) == 5 * 3600
    assert elapsed < 30.0, f"reading took {elapsed:.1f} s"


# --- route tables ----------------------------------------------------------------------------

LINES_CN = """线路名称,上下行,首末班,线路编号,起点站,终点站
1路,上行,06:30-21:00,L1U,甲,乙
1路,下行,06:00—06:25,L1D,乙,甲
"""
STATIONS_CN = """站点编号,站点名称,经度,纬度
A,甲,121.40,37.50
B,中,121.41,37.51
C,乙,121.42,37.52
D,不用,121.43,37.53
"""
SEQ_CN = """线路编号,站点编号,站序
L1U,A,1
L1U,B,2
L1U,C,3
L1D,C,1
L1D,B,2
L1D,A,3
"""


def write_tables(
    tmp_path: Path, lines: str = LINES_CN, stations: str = STATIONS_CN, seq: str = SEQ_CN
) -> tuple[Path, Path, Path]:
    paths = (tmp_path / "lines.csv", tmp_path / "stations.csv", tmp_path / "seq.csv")
    for p, text in zip(paths, (lines, stations, seq), strict=True):
        p.write_text(text, encoding="utf-8")
    return paths


def test_tables_chinese_headers(tmp_path: Path) -> None:
    f = read_route_tables(*write_tables(tmp_path), coords="wgs84")
    assert f.source == "tables"
    assert sorted(f.stops["stop_id"]) == ["A", "B", "C"]  # D is used by no line
    assert list(f.routes["route_id"]) == ["1路"] and list(f.routes["long_name"]) == ["甲—乙"]
    pats = f.patterns.set_index("pattern_id")
    assert pats.loc["L1U", "stop_ids"] == ["A", "B", "C"]
    assert pats.loc["L1D", "stop_ids"] == ["C", "B", "A"]
    assert int(pats.loc["L1U", "direction_id"]) == 0 and int(pats.loc["L1D", "direction_id"]) == 1
    assert f.services_on("2024-01-15") == {"daily"} == f.services_on("2024-07-15")
    assert len(f.stop_times) == 0 and len(f.trips) == 0
    got = hw(f.headways(dt.date(2024, 3, 6), "06:00", "08:00"))
    assert got == {
        # 06:30, 06:40 … 07:50 = 9 departures; 7200 / 9 = 800 s
        "L1U": (9, 800.0, 23400.0, 28200.0, "assumed"),
        # 06:00, 06:10, 06:20 and the last bus 06:25 = 4; 7200 / 4 = 1800 s
        "L1D": (4, 1800.0, 21600.0, 23100.0, "assumed"),
    }
    fr = f.frequencies.set_index("pattern_id")
    assert fr.loc["L1U", "start_s"] == 23400 and fr.loc["L1U", "end_s"] == 21 * 3600
    assert fr.loc["L1U", "headway_s"] == 600.0


def test_tables_seasons_and_after_midnight(tmp_path: Path) -> None:
    lines = """线路名称,上下行,首班车,末班车,线路编号
1路,上行,冬季06:00 夏季05:30,冬季20:00 夏季次日00:30,L1U
1路,下行,06:00,20:00,L1D
"""
    f = read_route_tables(*write_tables(tmp_path, lines=lines), coords="wgs84", headway_min=10)
    assert f.services_on(dt.date(2024, 1, 15)) == {"winter"}
    assert f.services_on(dt.date(2024, 7, 15)) == {"summer"}
    assert f.services_on(dt.date(2024, 10, 1)) == {"winter"}  # October: winter
    fr = f.frequencies.set_index(["pattern_id", "service_id"])
    assert fr.loc[("L1U", "summer"), "end_s"] == 24 * 3600 + 1800
    assert fr.loc[("L1D", "summer"), "start_s"] == fr.loc[("L1D", "winter"), "start_s"] == 21600
    # summer, 05:30 + k·600 s: 24:00, 24:10, 24:20, 24:30 fall in [24:00, 25:00)
    late = hw(f.headways(dt.date(2024, 7, 1), "24:00", "25:00"))
    assert late == {"L1U": (4, 900.0, 86400.0, 88200.0, "assumed")}
    # the same buses seen from the next morning
    early = hw(f.headways(dt.date(2024, 7, 2), "00:00", "01:00"))
    assert early == {"L1U": (4, 900.0, 0.0, 1800.0, "assumed")}
    # winter: L1U from 06:00, so 05:00-06:00 is empty; 20:00 last bus counted once
    assert len(f.headways(dt.date(2024, 1, 2), "05:00", "06:00")) == 0
    evening = hw(f.headways(dt.date(2024, 1, 2), "19:45", "21:00"))
    assert evening["L1U"][0] == 2  # 19:50, 20:00


def test_tables_summer_months_option(tmp_path: Path) -> None:
    lines = LINES_CN.replace("06:30-21:00", "冬季06:30-21:00 夏季06:00-22:00")
    f = read_route_tables(
        *write_tables(tmp_path, lines=lines), coords="wgs84", summer_months=[6, 7, 8]
    )
    assert f.services_on("2024-05-20") == {"winter"}
    assert f.services_on("2024-06-01") == {"summer"}
    fr = f.frequencies.set_index(["pattern_id", "service_id"])
    assert fr.loc[("L1U", "summer"), "end_s"] == 22 * 3600
    assert fr.loc[("L1D", "summer"), "end_s"] == 6 * 3600 + 25 * 60  # unlabelled: both seasons


def test_tables_headway_column_and_dataframes(tmp_path: Path) -> None:
    lines = pd.DataFrame(
        {
            "linename": ["1路", "1路"],
            "upordown": ["上行", "下行"],
            "rtime1": ["06:00", "06:00"],
            "rtime2": ["21:00", "21:00"],
            "sub_lineid": [11, 12],
            "发车间隔": ["8-12分钟", None],
        }
    )
    stations = pd.DataFrame(
        {
            "station_id": [1, 2],
            "站名": ["甲", "乙"],
            "lng": [121.4, 121.41],
            "lat_raw": [37.5, 37.5],
        }
    )
    seq = pd.DataFrame(
        {"sub_lineid": [11, 11, 12, 12], "station_id": [1, 2, 2, 1], "inorder": [1, 2, 1, 2]}
    )
    f = read_route_tables(lines, stations, seq, coords="wgs84")
    fr = f.frequencies.set_index("pattern_id")
    assert fr.loc["11", "headway_s"] == 600.0 and fr.loc["11", "headway_source"] == "frequencies"
    assert fr.loc["12", "headway_s"] == 600.0 and fr.loc["12", "headway_source"] == "assumed"
    assert f.patterns.set_index("pattern_id").loc["12", "stop_ids"] == ["2", "1"]


def test_tables_explicit_columns_and_name_keys(tmp_path: Path) -> None:
    # no line ids: lines join their stop sequence by 线路名称 + 上下行
    lines = "线路,方向,首末班\n1路,上行,06:00-21:00\n1路,下行,06:00-21:00\n"
    stations = "站点编号,x_wgs,y_wgs,经度,纬度\nA,121.40,37.50,0,0\nB,121.41,37.51,0,0\n"
    seq = "线路名称,上下行,站点编号,顺序\n1路,上行,A,1\n1路,上行,B,2\n1路,下行,B,1\n1路,下行,A,2\n"
    f = read_route_tables(
        *write_tables(tmp_path, lines, stations, seq),
        coords="wgs84",
        columns={"stations": {"lon": "x_wgs", "lat": "y_wgs"}},
    )
    assert sorted(f.patterns["pattern_id"]) == ["1路|上行", "1路|下行"]
    a = f.stops.set_index("stop_id").to_crs(4326).loc["A"].geometry
    assert (a.x, a.y) == pytest.approx((121.40, 37.50), abs=1e-9)
    with pytest.raises(ColumnError, match="column 'lon_x' \\(given for 'lon'\\) is not in"):
        read_route_tables(
            *write_tables(tmp_path, lines, stations, seq),
            coords="wgs84",
            columns={"stations": {"lon": "lon_x"}},
        )


def test_tables_unknown_stop_error_and_drop(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seq = SEQ_CN.replace("L1D,B,2", "L1D,Z,2")
    paths = write_tables(tmp_path, seq=seq)
    with pytest.raises(
        TransitError,
        match=r"seq\.csv, row 6, column '站点编号': station 'Z' is not in the stations",
    ):
        read_route_tables(*paths, coords="wgs84")
    with caplog.at_level(logging.WARNING):
        f = read_route_tables(*paths, coords="wgs84", on_unknown_stop="drop")
    assert f.patterns.set_index("pattern_id").loc["L1D", "stop_ids"] == ["C", "A"]
    assert f.dropped[["row", "id"]].values.tolist() == [[6, "Z"]]
    assert "1 stop sequence row(s) naming 1 unknown station(s) left out: Z" in caplog.text


def test_tables_unknown_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    paths = write_tables(tmp_path, seq=SEQ_CN + "OLD,A,1\nOLD,B,2\n")
    with caplog.at_level(logging.WARNING):
        f = read_route_tables(*paths, coords="wgs84")
    assert len(f.patterns) == 2 and list(f.dropped["row"]) == [8, 9]
    assert "2 row(s) of 1 line(s) missing from the lines table" in caplog.text
    with pytest.raises(TransitError, match=r"row 8.*line 'OLD' is not in the lines table"):
        read_route_tables(*paths, coords="wgs84", on_unknown_line="error")


@pytest.mark.parametrize(
    ("which", "old", "new", "error", "message"),
    [
        (
            "seq",
            "L1U,C,3",
            "L1U,C,2",
            TransitError,
            r"line 'L1U' has stop number 2 twice \(rows 3, 4\)",
        ),
        ("seq", "L1U,C,3", "L1U,C,x", InvalidValueError, r"seq\.csv, row 4, column '站序'"),
        (
            "lines",
            "06:30-21:00",
            "6点半-21:00",
            InvalidValueError,
            r"row 2, column '首末班': cannot read '6点半-21:00'",
        ),
        (
            "lines",
            "06:30-21:00",
            "06:30",
            InvalidValueError,
            r"cannot read '06:30' as a first and a last time",
        ),
        ("lines", "06:30-21:00", "06:75-21:00", InvalidValueError, r"cannot read '06:75-21:00'"),
        (
            "lines",
            "1路,下行",
            "1路,北行",
            InvalidValueError,
            r"row 3, column '上下行': direction '北行'",
        ),
        ("lines", "L1D", "L1U", DuplicateIdError, r"lines\.csv.*'L1U' appears 2 times"),
        ("lines", "首末班", "备注", ColumnError, r"no first/last bus times"),
        ("stations", "B,中", "A,中", DuplicateIdError, r"stations\.csv.*'A' appears 2 times"),
        ("stations", "121.41,37.51", "37.51,121.41", CoordinateError, r"row 3.*look swapped"),
        ("stations", "121.41,37.51", ",", InvalidValueError, r"row 3, column '经度': empty value"),
        ("seq", "站序", "备注", ColumnError, r"required column 'sequence' is missing"),
    ],
)
def test_tables_bad_input(
    tmp_path: Path, which: str, old: str, new: str, error: type[PlannerError], message: str
) -> None:
    texts = {"lines": LINES_CN, "stations": STATIONS_CN, "seq": SEQ_CN}
    assert old in texts[which]
    texts[which] = texts[which].replace(old, new, 1)
    with pytest.raises(error, match=message):
        read_route_tables(
            *write_tables(tmp_path, texts["lines"], texts["stations"], texts["seq"]), coords="wgs84"
        )


def test_tables_station_outside_area(tmp_path: Path) -> None:
    area = StudyArea.from_bbox(121.3, 37.4, 121.6, 37.7, name="芝罘")
    stations = STATIONS_CN.replace("121.41,37.51", "117.00,36.65")
    with pytest.raises(CoordinateError, match=r"stations\.csv, row 3.*km outside the study area"):
        read_route_tables(*write_tables(tmp_path, stations=stations), coords="wgs84", area=area)
    # an unused station far away is no error: only stops of the lines are checked
    far_unused = STATIONS_CN.replace("121.43,37.53", "117.00,36.65")
    f = read_route_tables(*write_tables(tmp_path, stations=far_unused), coords="wgs84", area=area)
    assert f.crs == area.crs


def test_tables_bad_options(tmp_path: Path) -> None:
    paths = write_tables(tmp_path)
    with pytest.raises(InvalidValueError, match="on_unknown_stop='skip'"):
        read_route_tables(*paths, on_unknown_stop="skip")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="headway_min=0"):
        read_route_tables(*paths, headway_min=0)
    with pytest.raises(InvalidValueError, match="unknown table"):
        read_route_tables(*paths, columns={"stops": {"lon": "x"}})


# --- real data: Yantai bus tables ----------------------------------------------------------


@pytest.fixture(scope="module")
def yantai(shared_data: Path) -> tuple[Path, TransitFeed]:
    d = shared_data / "yantai-bus"
    feed = read_route_tables(
        d / "yantai_bus_lines.csv",
        d / "yantai_bus_stations.csv",
        d / "yantai_bus_line_stations.csv",
        on_unknown_stop="drop",
    )
    return d, feed


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.realdata
def test_yantai_counts(yantai: tuple[Path, TransitFeed]) -> None:
    d, feed = yantai
    lines = _csv_rows(d / "yantai_bus_lines.csv")
    stations = {r["station_id"] for r in _csv_rows(d / "yantai_bus_stations.csv")}
    seq = _csv_rows(d / "yantai_bus_line_stations.csv")
    sub_ids = {r["sub_lineid"] for r in lines}
    assert len(feed.routes) == len({r["linename"] for r in lines}) == 171
    assert len(feed.patterns) == len(lines) == 342
    used = {
        r["station_id"] for r in seq if r["sub_lineid"] in sub_ids and r["station_id"] in stations
    }
    assert set(feed.stops["stop_id"]) == used and len(feed.stops) == len(used)
    # stop-sequence rows of current lines whose station is missing: (spreadsheet row, id)
    unknown = [
        (i + 2, r["station_id"])
        for i, r in enumerate(seq)
        if r["sub_lineid"] in sub_ids and r["station_id"] not in stations
    ]
    dropped = feed.dropped[feed.dropped["reason"].str.startswith("station")]
    assert list(zip(dropped["row"], dropped["id"], strict=True)) == unknown
    assert len(unknown) == 17 and {i for _, i in unknown} == {"29786"}
    # rows of sub_lineids the lines table does not have (retired lines)
    orphan = [i + 2 for i, r in enumerate(seq) if r["sub_lineid"] not in sub_ids]
    assert list(feed.dropped.loc[feed.dropped["reason"].str.startswith("line"), "row"]) == orphan
    # every pattern's stops in the file's order
    raw = pd.read_csv(d / "yantai_bus_line_stations.csv", dtype=str)
    raw = raw[raw["station_id"].isin(stations) & raw["sub_lineid"].isin(sub_ids)]
    raw = raw.assign(o=raw["inorder"].astype(int)).sort_values(["sub_lineid", "o"])
    expected = raw.groupby("sub_lineid")["station_id"].agg(list).to_dict()
    assert feed.patterns.set_index("pattern_id")["stop_ids"].to_dict() == expected


@pytest.mark.realdata
def test_yantai_stop_names_lose_their_markup_and_pinyin(yantai: tuple[Path, TransitFeed]) -> None:
    # the stations table writes the reading of some characters for the announcements
    # ("金地[=di4]格林世界") and web tags ("[h2]"): the names the plan and the maps show are
    # the raw names with every bracketed tag cut out (here by str.partition, not a regex)
    d, feed = yantai

    def cut(name: str) -> str:
        while "[" in name and "]" in name.partition("[")[2]:
            head, _, rest = name.partition("[")
            name = head + rest.partition("]")[2]
        return name.strip()

    raw = {r["station_id"]: r["station_name"] for r in _csv_rows(d / "yantai_bus_stations.csv")}
    tagged = {k for k, v in raw.items() if "[=" in v}
    names = feed.stops.set_index("stop_id")["name"]
    assert len(tagged & set(names.index)) > 100
    assert not names.str.contains("[", regex=False).any()
    assert {k: names[k] for k in names.index} == {k: cut(raw[k]) for k in names.index}


@pytest.mark.realdata
def test_yantai_unknown_stops_raise_by_default(shared_data: Path) -> None:
    d = shared_data / "yantai-bus"
    with pytest.raises(
        TransitError, match=r"station '29786' is not in the stations table \(17 row"
    ):
        read_route_tables(
            d / "yantai_bus_lines.csv",
            d / "yantai_bus_stations.csv",
            d / "yantai_bus_line_stations.csv",
        )


@pytest.mark.realdata
def test_yantai_first_last_bus_equals_raw_text(yantai: tuple[Path, TransitFeed]) -> None:
    d, feed = yantai
    row = next(
        r
        for r in _csv_rows(d / "yantai_bus_lines.csv")
        if r["linename"] == "1路" and r["upordown"] == "上行"
    )
    assert (row["rtime1"], row["rtime2"]) == ("冬季05:30 夏季05:30", "冬季22:00 夏季22:30")

    def seconds(text: str) -> dict[str, int]:
        return {
            {"冬季": "winter", "夏季": "summer"}[s]: int(h) * 3600 + int(m) * 60
            for s, h, m in re.findall(r"(冬季|夏季)(\d\d):(\d\d)", text)
        }

    fr = feed.frequencies[feed.frequencies["pattern_id"] == row["sub_lineid"]].set_index(
        "service_id"
    )
    for season in ("winter", "summer"):
        assert fr.loc[season, "start_s"] == seconds(row["rtime1"])[season]
        assert fr.loc[season, "end_s"] == seconds(row["rtime2"])[season]
    # 22:00-23:00: summer 22:00, 22:10, 22:20, 22:30 (last bus); winter only 22:00
    summer = feed.headways(dt.date(2024, 7, 1), "22:00", "23:00").set_index("pattern_id")
    winter = feed.headways(dt.date(2024, 1, 8), "22:00", "23:00").set_index("pattern_id")
    assert summer.loc[row["sub_lineid"], "n_departures"] == 4
    assert winter.loc[row["sub_lineid"], "n_departures"] == 1


@pytest.mark.realdata
def test_yantai_positions_match_scout_wgs84(yantai: tuple[Path, TransitFeed]) -> None:
    d, feed = yantai
    st = pd.read_csv(d / "yantai_bus_stations.csv", dtype=str).set_index("station_id")
    w = feed.stops.to_crs(4326)
    ref = st.loc[w["stop_id"]]
    _, _, dist_m = pyproj.Geod(ellps="WGS84").inv(
        w.geometry.x.to_numpy(),
        w.geometry.y.to_numpy(),
        ref["lon_wgs84"].astype(float).to_numpy(),
        ref["lat_wgs84"].astype(float).to_numpy(),
    )
    assert float(np.max(dist_m)) < 1.0


@pytest.mark.realdata
def test_yantai_stops_inside_yantai_city(
    shared_data: Path, yantai: tuple[Path, TransitFeed]
) -> None:
    d, feed = yantai
    counties = gpd.read_file(shared_data / "shandong-admin" / "shandong_counties_wgs84.geojson")
    city = counties[counties["city_adcode"].astype(str) == "370600"]
    assert len(city) == 11
    outline = shapely.union_all(city.geometry.to_numpy())
    inside = shapely.contains(outline, feed.stops.to_crs(4326).geometry.to_numpy())
    # all 4,084 stops of the 342 current line-directions lie in Yantai city (the 10 stations
    # outside it, e.g. 昆嵛山无染寺景区, serve only lines missing from the lines table)
    assert int((~inside).sum()) == 0
    area = StudyArea.from_units(city.rename(columns={"adcode": "code"}), name="烟台市")
    in_area = read_route_tables(
        d / "yantai_bus_lines.csv",
        d / "yantai_bus_stations.csv",
        d / "yantai_bus_line_stations.csv",
        on_unknown_stop="drop",
        area=area,
    )
    assert in_area.crs == area.crs and len(in_area.stops) == len(feed.stops)
    morning = in_area.require_service(dt.date(2024, 3, 4), *("05:00", "09:00"))
    assert set(morning["headway_source"]) == {"assumed"}
    assert 0 < len(morning) <= 342

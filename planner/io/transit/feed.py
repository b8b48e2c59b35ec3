"""Bus service from GTFS feeds or from Chinese route tables, in one model.

Two readers fill the same :class:`TransitFeed`:

- :func:`read_gtfs` reads a GTFS feed (a ``.zip`` or a folder): stops, routes, trips with
  their stop times (seconds since midnight of the service day, so ``25:10:00`` = 90,600 s),
  ``frequencies.txt`` and the calendar (``calendar.txt`` and/or ``calendar_dates.txt``).
- :func:`read_route_tables` reads the three tables Chinese bus data usually comes in: lines
  (线路: name, direction, first/last bus), stations (站点: id, name, lon/lat, usually BD-09 or
  GCJ-02) and the stop sequence of each line-direction (站序). Such tables carry no
  timetable, so service is modelled as departures every ``headway_min`` minutes from the
  first to the last bus, flagged ``headway_source = "assumed"``.

Both give stops, routes, *patterns* (a route direction's ordered stop list), and service
(explicit trips and/or frequency windows) that :meth:`TransitFeed.headways` summarises
for a date and a time window; the network builder turns a headway into a wait.

The GTFS reader's machinery lives in :mod:`planner.io.transit._gtfs`, the route-table reader's in
:mod:`planner.io.transit._route_tables`, and what both share (times, ids, argument types) in
:mod:`planner.io.transit._common`; everything public is imported from here.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner import settings
from planner.errors import InvalidValueError, TransitError
from planner.io.crs import StudyArea
from planner.io.transit._common import (
    DAY_S,
    WEEKDAYS,
    PathArg,
    TableArg,
    TimeArg,
    _dropped_frame,
    format_time_s,
    parse_time_s,
)
from planner.io.transit._gtfs import _Feed, _read_gtfs
from planner.io.transit._route_tables import LINE_STATIONS_SCHEMA as LINE_STATIONS_SCHEMA
from planner.io.transit._route_tables import LINES_SCHEMA as LINES_SCHEMA
from planner.io.transit._route_tables import STATIONS_SCHEMA as STATIONS_SCHEMA
from planner.io.transit._route_tables import _read_route_tables

__all__ = [
    "DEFAULT_SUMMER_MONTHS",
    "TransitFeed",
    "format_time_s",
    "parse_time_s",
    "read_gtfs",
    "read_route_tables",
]

DateArg = dt.date | str

#: Months in which a Chinese route table's summer (夏季) first/last-bus times apply; the
#: winter (冬季) times apply in the other months. Operators switch on dates that vary by city
#: and year; most follow the 夏季作息时间 of public bodies, 1 May to 30 September, which this
#: rule encodes (month granularity). Pass ``summer_months`` to change it.
DEFAULT_SUMMER_MONTHS: tuple[int, ...] = (5, 6, 7, 8, 9)

_SOURCE_RANK = {"timetable": 0, "frequencies": 1, "assumed": 2}


def _as_date(value: DateArg) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidValueError(
            f"date {value!r} is not a date", fix="give a datetime.date or 'YYYY-MM-DD'"
        ) from exc


# --- The model -----------------------------------------------------------------------------


@dataclass
class TransitFeed:
    """Stops, routes, patterns and service of a bus network, from GTFS or route tables.

    Attributes
    ----------
    source
        ``"gtfs"`` or ``"tables"``.
    crs
        Projected CRS of ``stops``.
    stops
        GeoDataFrame ``stop_id`` (text), ``name``, ``parent_station`` (GTFS station id or
        missing), ``geometry`` (points in ``crs``).
    routes
        ``route_id``, ``short_name``, ``long_name``, ``route_type`` (GTFS code; 3 = bus),
        ``agency``.
    patterns
        One row per pattern (a route direction's stop sequence): ``pattern_id``,
        ``route_id``, ``direction_id`` (0/1, missing when unknown), ``stop_ids`` (ordered
        list), ``n_stops``, ``n_trips`` (trips of a GTFS feed; 0 for tables).
    trips
        GTFS trips: ``trip_id``, ``pattern_id``, ``route_id``, ``service_id``,
        ``direction_id``, ``start_s`` (departure from the first stop), ``end_s`` (arrival
        at the last), ``frequency_based`` (a template repeated by ``frequencies.txt``; its
        times are offsets only). Empty for tables.
    stop_times
        GTFS stop times sorted by trip and sequence: ``pattern_id``, ``trip_id``,
        ``stop_sequence`` (as in the feed), ``stop_index`` (0-based position in the
        pattern), ``stop_id``, ``arrival_s``, ``departure_s`` (seconds since midnight of
        the service day), ``interpolated`` (time filled in by the reader). Empty for tables,
        which give no run times: estimate in-vehicle times from distances.
    frequencies
        Frequency windows: ``pattern_id``, ``trip_id`` (missing for tables),
        ``service_id``, ``start_s``, ``end_s``, ``headway_s``, ``end_inclusive`` (tables:
        the last bus at ``end_s`` runs even off the headway grid; GTFS: ``end_s`` is
        exclusive), ``headway_source`` (``"frequencies"`` for GTFS frequencies.txt or a
        headway column of a table, ``"assumed"`` for the default headway).
    calendar
        ``service_id``, one boolean column per weekday, ``start_date``, ``end_date``.
    calendar_dates
        ``service_id``, ``date``, ``exception_type`` (1 adds, 2 removes service).
    seasons
        Tables only: service id -> months it runs (``{"winter": (1, 2, 3, 4, 10, 11, 12),
        "summer": (5, 6, 7, 8, 9)}`` or ``{"daily": (1, …, 12)}``). Table services run
        every day of those months.
    dropped
        Rows the reader left out, each reported in a warning: ``file``, ``row``
        (spreadsheet row, header = 1), ``id``, ``reason``.
    path
        Where the feed was read from.
    """

    source: Literal["gtfs", "tables"]
    crs: CRS
    stops: gpd.GeoDataFrame
    routes: pd.DataFrame
    patterns: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    frequencies: pd.DataFrame
    calendar: pd.DataFrame
    calendar_dates: pd.DataFrame
    seasons: dict[str, tuple[int, ...]] = field(default_factory=dict)
    dropped: pd.DataFrame = field(default_factory=lambda: _dropped_frame([]))
    path: str = ""

    def services_on(self, date: DateArg) -> set[str]:
        """Service ids running on ``date``.

        GTFS: services of ``calendar.txt`` whose weekday flag is set and whose date range
        holds ``date``, plus ``calendar_dates.txt`` exceptions of type 1, minus those of
        type 2. Tables: the service whose months (:attr:`seasons`) hold the date's month.
        """
        d = _as_date(date)
        if self.source == "tables":
            return {sid for sid, months in self.seasons.items() if d.month in months}
        cal = self.calendar
        running: set[str] = set()
        if len(cal):
            on = (
                cal[WEEKDAYS[d.weekday()]].to_numpy(dtype=bool)
                & (cal["start_date"].to_numpy() <= np.datetime64(d))
                & (cal["end_date"].to_numpy() >= np.datetime64(d))
            )
            running = set(cal.loc[on, "service_id"])
        ex = self.calendar_dates
        if len(ex):
            today = ex[ex["date"].to_numpy() == np.datetime64(d)]
            running |= set(today.loc[today["exception_type"] == 1, "service_id"])
            running -= set(today.loc[today["exception_type"] == 2, "service_id"])
        return running

    def headways(self, date: DateArg, start_s: TimeArg, end_s: TimeArg) -> pd.DataFrame:
        """Departures of each pattern from its first stop in ``[start_s, end_s)`` on ``date``.

        Trips of the previous service day running after midnight (times of 24:00 and
        later) count in the morning of ``date``. Timetabled trips count when their first
        departure falls in the window; frequency windows count their departures
        ``start, start + headway, …`` (before ``end``; table windows also include the last
        bus). Frequency-based GTFS trips are not counted again from their stop times.

        Parameters
        ----------
        date
            Service day.
        start_s, end_s
            Window, seconds since midnight or ``"HH:MM"``; ``end_s`` may pass 24:00.

        Returns
        -------
        pandas.DataFrame
            One row per pattern with service (none: empty frame, see
            :meth:`require_service`): ``pattern_id``, ``route_id``, ``n_departures``,
            ``mean_headway_s`` = window length / departures (the headway of an evenly
            spaced service with as many departures; half of it is the mean wait of a rider
            arriving at random), ``first_departure_s``, ``last_departure_s`` (seconds since
            midnight of ``date``), ``headway_source`` (``"timetable"``, ``"frequencies"``
            or ``"assumed"``; the least certain source when a pattern has several).
        """
        lo, hi = _window(start_s, end_s)
        d = _as_date(date)
        parts = [
            self._departures(self.services_on(d), lo, hi, shift_s=0),
            self._departures(self.services_on(d - dt.timedelta(days=1)), lo, hi, shift_s=DAY_S),
        ]
        parts = [p for p in parts if len(p)]
        if not parts:
            return _headway_frame(pd.DataFrame(columns=list(_HEADWAY_COLUMNS)))
        dep = pd.concat(parts, ignore_index=True)
        g = dep.groupby("pattern_id", sort=True)
        out = pd.DataFrame(
            {
                "n_departures": g["n"].sum(),
                "first_departure_s": g["first"].min(),
                "last_departure_s": g["last"].max(),
                "rank": g["rank"].max(),
            }
        ).reset_index()
        out["mean_headway_s"] = (hi - lo) / out["n_departures"]
        inv = {v: k for k, v in _SOURCE_RANK.items()}
        out["headway_source"] = out["rank"].map(inv)
        out = out.merge(self.patterns[["pattern_id", "route_id"]], on="pattern_id", how="left")
        return _headway_frame(out)

    def require_service(self, date: DateArg, start_s: TimeArg, end_s: TimeArg) -> pd.DataFrame:
        """:meth:`headways`, raising :class:`TransitError` when nothing runs in the window."""
        out = self.headways(date, start_s, end_s)
        if len(out):
            return out
        d = _as_date(date)
        lo, hi = _window(start_s, end_s)
        running = sorted(self.services_on(d))
        if self.source == "gtfs":
            span = self._calendar_span()
            hint = (
                f"the feed's calendar covers {span[0]} to {span[1]}"
                if span
                else "the feed's calendar is empty"
            )
        else:
            hint = "tables run daily; check the first/last bus times"
        raise TransitError(
            f"no bus service between {format_time_s(lo)} and {format_time_s(hi)} on {d.isoformat()}"
            f" ({_calendar.day_name[d.weekday()]}; services running that day:"
            f" {', '.join(running) if running else 'none'}; {hint})",
            path=self.path or None,
            fix="choose a date and time window in which buses run, or check the feed's"
            " calendar and first/last bus times",
        )

    # -- helpers -------------------------------------------------------------------------

    def _calendar_span(self) -> tuple[str, str] | None:
        dates = pd.concat(
            [
                self.calendar["start_date"],
                self.calendar["end_date"],
                self.calendar_dates["date"],
            ]
        ).dropna()
        if len(dates) == 0:
            return None
        return (str(dates.min().date()), str(dates.max().date()))

    def _departures(self, services: set[str], lo: int, hi: int, *, shift_s: int) -> pd.DataFrame:
        """Per pattern: n, first, last departure in [lo + shift, hi + shift), shifted back."""
        a, b = lo + shift_s, hi + shift_s
        frames: list[pd.DataFrame] = []
        t = self.trips
        if len(t) and services:
            sel = (
                ~t["frequency_based"].to_numpy(dtype=bool)
                & t["service_id"].isin(services).to_numpy()
                & (t["start_s"].to_numpy() >= a)
                & (t["start_s"].to_numpy() < b)
            )
            if sel.any():
                g = t.loc[sel].groupby("pattern_id", sort=False)["start_s"]
                frames.append(
                    pd.DataFrame(
                        {"n": g.size(), "first": g.min(), "last": g.max(), "rank": 0}
                    ).reset_index()
                )
        f = self.frequencies
        if len(f) and services:
            f = f[f["service_id"].isin(services)]
            if len(f):
                frames.append(_frequency_departures(f, a, b))
        if not frames:
            return pd.DataFrame(columns=["pattern_id", "n", "first", "last", "rank"])
        out = pd.concat(frames, ignore_index=True)
        out = out[out["n"] > 0].copy()
        out["first"] = out["first"] - shift_s
        out["last"] = out["last"] - shift_s
        return out


_HEADWAY_COLUMNS = (
    "pattern_id",
    "route_id",
    "n_departures",
    "mean_headway_s",
    "first_departure_s",
    "last_departure_s",
    "headway_source",
)


def _headway_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df[list(_HEADWAY_COLUMNS)].reset_index(drop=True)
    return out.astype(
        {
            "n_departures": "int64",
            "mean_headway_s": "float64",
            "first_departure_s": "float64",
            "last_departure_s": "float64",
        }
    )


def _window(start_s: TimeArg, end_s: TimeArg) -> tuple[int, int]:
    lo, hi = parse_time_s(start_s), parse_time_s(end_s)
    if hi <= lo:
        raise InvalidValueError(
            f"time window {format_time_s(lo)}-{format_time_s(hi)} is empty",
            fix="give an end after the start (after midnight, continue past 24:00)",
        )
    return lo, hi


def _frequency_departures(f: pd.DataFrame, a: int, b: int) -> pd.DataFrame:
    """Departures s + k·h (k >= 0; < e, or <= e plus e itself when inclusive) in [a, b)."""
    s = f["start_s"].to_numpy(dtype=float)
    e = f["end_s"].to_numpy(dtype=float)
    h = f["headway_s"].to_numpy(dtype=float)
    incl = f["end_inclusive"].to_numpy(dtype=bool)
    lo = np.maximum(a, s)
    hi = np.minimum(b, np.where(incl, e + 1.0, e))  # integer seconds: t <= e  <=>  t < e + 1
    k0 = np.ceil((lo - s) / h)
    k1 = np.ceil((hi - s) / h) - 1.0
    n = np.maximum(k1 - k0 + 1.0, 0.0)
    first = s + k0 * h
    last = s + k1 * h
    # a table's last bus runs at e even when it is off the headway grid
    extra = incl & (np.mod(e - s, h) != 0) & (e >= a) & (e < b)
    n = n + extra
    first = np.where(n - extra > 0, first, e)
    last = np.where(extra, e, last)
    rank = f["headway_source"].map(_SOURCE_RANK).to_numpy()
    return pd.DataFrame(
        {
            "pattern_id": f["pattern_id"].to_numpy(),
            "n": n,
            "first": first,
            "last": last,
            "rank": rank,
        }
    ).astype({"n": "int64"})


# --- GTFS ----------------------------------------------------------------------------------


def read_gtfs(
    path: PathArg, *, area: StudyArea | None = None, crs: CRS | None = None
) -> TransitFeed:
    """Read a GTFS feed (.zip or folder) into a :class:`TransitFeed`.

    Needs ``stops.txt``, ``routes.txt``, ``trips.txt``, ``stop_times.txt`` and
    ``calendar.txt`` and/or ``calendar_dates.txt``; reads ``frequencies.txt`` and
    ``agency.txt`` when present. Files may be UTF-8 (with or without BOM) or GBK.

    Stop times: an empty arrival or departure takes the other one; a stop with neither
    (allowed by GTFS between timepoints) gets a time interpolated linearly between the
    neighbouring timed stops, by ``shape_dist_traveled`` when the trip gives it on every
    stop, else by the straight-line distance between consecutive stops (in the projected
    CRS); such rows are flagged ``interpolated``. The first and last stop of a trip must
    have a time. Trips with identical route, direction and stop sequence share a pattern,
    numbered ``"{route_id}:{direction_id}:{k}"`` (k = 1, 2 … in order of each pattern's
    smallest trip id; direction ``x`` when the feed gives none).

    Parameters
    ----------
    path
        The feed.
    area
        Study area: stops are returned in ``area.crs``; a stop more than
        :data:`planner.settings.OUTSIDE_AREA_TOLERANCE_M` outside it is an error.
    crs
        Output CRS when no ``area`` is given (default: the UTM zone of the stops).

    Raises
    ------
    TransitError
        Missing files, references to unknown stops/trips/routes/services, duplicate stop
        sequences, a trip without first/last time, times running backwards.
    ColumnError, DuplicateIdError, InvalidValueError, CoordinateError
        Missing columns, repeated ids, unparseable values, stops far outside ``area``.
    """
    feed = _Feed(path)
    try:
        return TransitFeed(**_read_gtfs(feed, area=area, crs=crs))
    finally:
        feed.close()


# --- Chinese route tables ------------------------------------------------------------------


def read_route_tables(
    lines: TableArg,
    stations: TableArg,
    line_stations: TableArg,
    *,
    coords: str = "bd09",
    area: StudyArea | None = None,
    crs: CRS | None = None,
    headway_min: float = settings.DEFAULT_HEADWAY_MIN,
    summer_months: Iterable[int] = DEFAULT_SUMMER_MONTHS,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    on_unknown_stop: Literal["error", "drop"] = "error",
    on_unknown_line: Literal["error", "drop"] = "drop",
    agency: str | None = None,
) -> TransitFeed:
    """Read Chinese bus route tables (lines, stations, stop sequences) into a :class:`TransitFeed`.

    The three tables (CSV, XLSX or DataFrames) are joined by a line-direction id
    (``sub_lineid`` / 线路编号; else 线路名称 + 上下行) and a station id (``station_id`` /
    站点编号). Headers are recognised in Chinese or English (see ``LINES_SCHEMA``,
    ``STATIONS_SCHEMA``, ``LINE_STATIONS_SCHEMA``); other columns are ignored.

    First/last bus: either 首班 + 末班 columns (``rtime1`` = first bus, ``rtime2`` = last bus
    in the Yantai export; each cell reads ``冬季05:30 夏季05:30``: winter and summer times)
    or one 首末班 column (``06:00-21:00``). With season labels the feed has services
    ``"winter"`` and ``"summer"`` (summer in ``summer_months``, winter otherwise); without,
    one service ``"daily"``. A last bus earlier than the first, or marked 次日, runs after
    midnight (+24 h).

    Assumption: tables give no timetable, so buses are taken to leave the first stop every
    ``headway_min`` minutes from the first bus, plus the last bus itself
    (``headway_source = "assumed"``); a 发车间隔 column (minutes, or a range ``8-12`` read
    as its mean) overrides it per line (``headway_source = "frequencies"``).

    Parameters
    ----------
    lines, stations, line_stations
        The tables: paths or DataFrames.
    coords
        Coordinate system of the station lon/lat (``bd09`` for Baidu-based operator data,
        ``gcj02`` for AMap, ``wgs84``).
    area, crs
        Output CRS and the outside-area check, as in every reader.
    headway_min
        Assumed minutes between departures (default
        :data:`planner.settings.DEFAULT_HEADWAY_MIN`).
    summer_months
        Months in which summer times apply (default May-September).
    columns
        Explicit header mapping per table, overriding the aliases, e.g.
        ``{"stations": {"lon": "lon_wgs84", "lat": "lat_wgs84"}}``; tables are ``lines``,
        ``stations``, ``line_stations``; names are the schema's canonical names.
    on_unknown_stop
        A stop sequence row naming a station missing from the stations table: ``"error"``
        (default) raises; ``"drop"`` leaves the row out, with a warning listing the ids.
    on_unknown_line
        A stop sequence row of a line missing from the lines table (operators' exports
        often keep retired lines): ``"drop"`` (default, warned) or ``"error"``.
    agency
        Operator name written to ``routes.agency``.

    Returns
    -------
    TransitFeed
        ``source = "tables"``; stops are the stations used by the lines (the ones no kept
        line uses are counted in the log); one pattern per line-direction with
        ``pattern_id`` = the line-direction id; no trips or stop times.
    """
    return TransitFeed(
        **_read_route_tables(
            lines,
            stations,
            line_stations,
            coords=coords,
            area=area,
            crs=crs,
            headway_min=headway_min,
            summer_months=summer_months,
            columns=columns,
            on_unknown_stop=on_unknown_stop,
            on_unknown_line=on_unknown_line,
            agency=agency,
        )
    )

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
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pyproj import CRS

from planner import settings
from planner.errors import (
    ColumnError,
    EmptyFileError,
    InputFileError,
    InvalidValueError,
    MissingFileError,
    TransitError,
)
from planner.io._tables import (
    ColumnSpec,
    Schema,
    check_unique,
    decode_text,
    points_from_lonlat,
    read_table,
    sheet_row,
    to_number,
)
from planner.io.crs import StudyArea

__all__ = [
    "DEFAULT_SUMMER_MONTHS",
    "TransitFeed",
    "format_time_s",
    "parse_time_s",
    "read_gtfs",
    "read_route_tables",
]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]
TableArg = PathArg | pd.DataFrame
DateArg = dt.date | str
TimeArg = int | float | str

DAY_S = 86_400
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: Months in which a Chinese route table's summer (夏季) first/last-bus times apply; the
#: winter (冬季) times apply in the other months. Operators switch on dates that vary by city
#: and year; most follow the 夏季作息时间 of public bodies, 1 May to 30 September, which this
#: rule encodes (month granularity). Pass ``summer_months`` to change it.
DEFAULT_SUMMER_MONTHS: tuple[int, ...] = (5, 6, 7, 8, 9)

_GTFS_REF = "see https://gtfs.org/schedule/reference/"
_SOURCE_RANK = {"timetable": 0, "frequencies": 1, "assumed": 2}


# --- Times ---------------------------------------------------------------------------------

_HMS_RE = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")
_HM_RE = re.compile(r"^\s*(\d{1,3})[:：]([0-5]\d)(?:[:：]([0-5]\d))?\s*$")


def parse_time_s(value: TimeArg) -> int:
    """Seconds since midnight of ``"HH:MM"``, ``"HH:MM:SS"`` or a number of seconds.

    Hours may pass 24 for service after midnight (``"25:10"`` = 90,600 s).

    Examples
    --------
    >>> parse_time_s("05:00"), parse_time_s("25:10:00"), parse_time_s(600)
    (18000, 90600, 600)
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not np.isfinite(value) or value < 0:
            raise InvalidValueError(f"time {value!r} is not a number of seconds >= 0")
        return int(value)
    m = _HM_RE.match(str(value))
    if not m:
        raise InvalidValueError(
            f"time {value!r} is not HH:MM or HH:MM:SS",
            fix="write e.g. '05:00' or '25:10:00' (after midnight, hours continue past 24)",
        )
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3) or 0)


def format_time_s(seconds: float) -> str:
    """``HH:MM`` (or ``HH:MM:SS`` when seconds are not zero) of seconds since midnight.

    Examples
    --------
    >>> format_time_s(18000), format_time_s(90630)
    ('05:00', '25:10:30')
    """
    s = round(float(seconds))
    text = f"{s // 3600:02d}:{s // 60 % 60:02d}"
    return text if s % 60 == 0 else f"{text}:{s % 60:02d}"


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


def _dropped_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["file", "row", "id", "reason"]).astype({"row": "int64"})


def _empty_trips() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trip_id": pd.Series(dtype="str"),
            "pattern_id": pd.Series(dtype="str"),
            "route_id": pd.Series(dtype="str"),
            "service_id": pd.Series(dtype="str"),
            "direction_id": pd.Series(dtype="Int64"),
            "start_s": pd.Series(dtype="int64"),
            "end_s": pd.Series(dtype="int64"),
            "frequency_based": pd.Series(dtype="bool"),
        }
    )


def _empty_stop_times() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pattern_id": pd.Series(dtype="str"),
            "trip_id": pd.Series(dtype="str"),
            "stop_sequence": pd.Series(dtype="int64"),
            "stop_index": pd.Series(dtype="int64"),
            "stop_id": pd.Series(dtype="str"),
            "arrival_s": pd.Series(dtype="int64"),
            "departure_s": pd.Series(dtype="int64"),
            "interpolated": pd.Series(dtype="bool"),
        }
    )


# --- GTFS ----------------------------------------------------------------------------------


class _Feed:
    """Members of a GTFS zip or folder, by file name."""

    def __init__(self, path: PathArg) -> None:
        p = Path(path)
        self.path = p
        if not p.exists():
            raise MissingFileError(
                "GTFS feed does not exist", path=p, fix="give the path of the .zip or folder"
            )
        self.members: dict[str, str] = {}
        self.zip: zipfile.ZipFile | None = None
        if p.is_dir():
            self.members = {c.name: c.name for c in p.iterdir() if c.suffix == ".txt"}
            return
        try:
            self.zip = zipfile.ZipFile(p)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputFileError(
                f"not a GTFS .zip ({exc})",
                path=p,
                fix="give the GTFS .zip itself or the folder of its .txt files",
            ) from exc
        for name in self.zip.namelist():
            base = name.rsplit("/", 1)[-1]
            # the shallowest copy wins (feeds zipped with their folder are common)
            if (
                base.endswith(".txt")
                and not name.startswith("__MACOSX")
                and (base not in self.members or name.count("/") < self.members[base].count("/"))
            ):
                self.members[base] = name

    def label(self, name: str) -> Path:
        return self.path / self.members.get(name, name)

    def read(self, name: str, required: tuple[str, ...]) -> pd.DataFrame:
        label = self.label(name)
        if self.zip is not None:
            data = self.zip.read(self.members[name])
        else:
            data = (self.path / self.members[name]).read_bytes()
        text, _ = decode_text(data, path=label)
        if not text.strip():
            raise EmptyFileError(f"{name} is empty", path=label, fix="export the feed again")
        try:
            df = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                skipinitialspace=True,
            )
        except pd.errors.ParserError as exc:
            raise InputFileError(
                f"not a well-formed CSV ({exc})", path=label, fix="check quoting and commas"
            ) from exc
        df.columns = [str(c).strip() for c in df.columns]
        for col in required:
            if col not in df.columns:
                raise ColumnError(
                    f"required column '{col}' is missing from {name}",
                    path=label,
                    column=col,
                    fix=f"add the column ({_GTFS_REF}#{name.replace('.', '')})",
                )
        return df

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


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
        return _read_gtfs(feed, area=area, crs=crs)
    finally:
        feed.close()


def _read_gtfs(feed: _Feed, *, area: StudyArea | None, crs: CRS | None) -> TransitFeed:
    missing = [
        n
        for n in ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
        if n not in feed.members
    ]
    if "calendar.txt" not in feed.members and "calendar_dates.txt" not in feed.members:
        missing.append("calendar.txt or calendar_dates.txt")
    if missing:
        raise TransitError(
            f"GTFS feed lacks {', '.join(missing)}",
            path=feed.path,
            fix="export the complete feed (stops, routes, trips, stop_times and a calendar);"
            f" {_GTFS_REF}",
        )
    dropped: list[dict[str, Any]] = []
    stops = _gtfs_stops(feed, area=area, crs=crs, dropped=dropped)
    routes = _gtfs_routes(feed)
    calendar, calendar_dates = _gtfs_calendar(feed)
    trips_raw = _gtfs_trips(feed, routes, calendar, calendar_dates)
    st, trips = _gtfs_stop_times(feed, stops, trips_raw, dropped)
    patterns = _gtfs_patterns(st, trips, stops["stop_id"].to_numpy())
    trips = trips.merge(patterns[["_key", "pattern_id"]], on="_key", how="left")
    st["pattern_id"] = trips["pattern_id"].to_numpy()[st["_t"].to_numpy()]
    patterns = patterns.drop(columns="_key")
    freqs = _gtfs_frequencies(feed, trips)
    trips["frequency_based"] = trips["trip_id"].isin(set(freqs["trip_id"]))
    trips_out = trips[
        [
            "trip_id",
            "pattern_id",
            "route_id",
            "service_id",
            "direction_id",
            "start_s",
            "end_s",
            "frequency_based",
        ]
    ].reset_index(drop=True)
    stop_times = st[
        [
            "pattern_id",
            "trip_id",
            "stop_sequence",
            "stop_index",
            "stop_id",
            "arrival_s",
            "departure_s",
            "interpolated",
        ]
    ].reset_index(drop=True)
    log.info(
        "%s: %d stops, %d routes, %d patterns, %d trips, %d stop times, %d frequency rows",
        feed.path,
        len(stops),
        len(routes),
        len(patterns),
        len(trips_out),
        len(stop_times),
        len(freqs),
    )
    return TransitFeed(
        source="gtfs",
        crs=CRS(stops.crs),
        stops=stops,
        routes=routes,
        patterns=patterns,
        trips=trips_out,
        stop_times=stop_times,
        frequencies=freqs,
        calendar=calendar,
        calendar_dates=calendar_dates,
        dropped=_dropped_frame(dropped),
        path=str(feed.path),
    )


def _text_ids(
    df: pd.DataFrame, column: str, *, label: Path, shown_as: str | None = None
) -> pd.Series:
    """The column as stripped text; an empty cell is an error naming its row."""
    codes, uniques = pd.factorize(df[column], use_na_sentinel=True)  # strip each value once
    stripped = pd.Index(uniques).astype("str").str.strip()
    empty = (codes < 0) | np.isin(codes, np.flatnonzero(np.asarray(stripped == "")))
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise InvalidValueError(
            f"empty {shown_as or column} ({int(empty.sum())} row(s))",
            path=label,
            row=sheet_row(df.index[i]),
            column=shown_as or column,
            fix=f"give every row a {shown_as or column}",
        )
    return pd.Series(stripped.to_numpy()[codes], index=df.index, dtype="str")


def _gtfs_stops(
    feed: _Feed,
    *,
    area: StudyArea | None,
    crs: CRS | None,
    dropped: list[dict[str, Any]],
) -> gpd.GeoDataFrame:
    label = feed.label("stops.txt")
    df = feed.read("stops.txt", ("stop_id", "stop_lat", "stop_lon"))
    if len(df) == 0:
        raise EmptyFileError("stops.txt has no stops", path=label, fix="export the feed again")
    df["stop_id"] = _text_ids(df, "stop_id", label=label)
    check_unique(df, "stop_id", path=label)
    if "location_type" in df.columns:
        lt = to_number(df, "location_type", path=label, required=False, integer=True).fillna(0)
        other = ~lt.isin([0, 1, 2])
        if other.any():
            # generic nodes (3) and boarding areas (4) are not where riders board a bus
            log.info(
                "%s: %d generic node/boarding area row(s) (location_type 3/4) not used as stops",
                label,
                int(other.sum()),
            )
            df = df.loc[~other]
    lon = to_number(df, "stop_lon", path=label)
    lat = to_number(df, "stop_lat", path=label)
    pts = points_from_lonlat(
        df,
        lon,
        lat,
        coords="wgs84",  # GTFS coordinates are WGS-84 by specification
        path=label,
        lon_column="stop_lon",
        lat_column="stop_lat",
        area=area,
        crs=crs,
    )
    name = df["stop_name"] if "stop_name" in df.columns else pd.Series(pd.NA, index=df.index)
    parent = (
        df["parent_station"].str.strip()
        if "parent_station" in df.columns
        else pd.Series(pd.NA, index=df.index)
    )
    return gpd.GeoDataFrame(
        {
            "stop_id": df["stop_id"].to_numpy(),
            "name": name.to_numpy(),
            "parent_station": parent.to_numpy(),
        },
        geometry=pts.geometry.to_numpy(),
        crs=pts.crs,
    )


def _gtfs_routes(feed: _Feed) -> pd.DataFrame:
    label = feed.label("routes.txt")
    df = feed.read("routes.txt", ("route_id", "route_type"))
    if len(df) == 0:
        raise EmptyFileError("routes.txt has no routes", path=label, fix="export the feed again")
    df["route_id"] = _text_ids(df, "route_id", label=label)
    check_unique(df, "route_id", path=label)
    rtype = to_number(df, "route_type", path=label, integer=True, minimum=0).astype("int64")
    agency = pd.Series(pd.NA, index=df.index, dtype="object")
    if "agency.txt" in feed.members:
        ag = feed.read("agency.txt", ("agency_name",))
        names = ag["agency_name"]
        if "agency_id" in ag.columns and "agency_id" in df.columns:
            agency = df["agency_id"].map(dict(zip(ag["agency_id"], names, strict=True)))
        if len(ag) == 1:
            agency = agency.fillna(names.iloc[0])

    def col(name: str) -> pd.Series:
        return df[name] if name in df.columns else pd.Series(pd.NA, index=df.index)

    return pd.DataFrame(
        {
            "route_id": df["route_id"].to_numpy(),
            "short_name": col("route_short_name").to_numpy(),
            "long_name": col("route_long_name").to_numpy(),
            "route_type": rtype.to_numpy(),
            "agency": agency.to_numpy(),
        }
    )


def _gtfs_dates(df: pd.DataFrame, column: str, *, label: Path) -> pd.Series:
    text = df[column].astype("str").str.strip()
    out = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    bad = out.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidValueError(
            f"{df[column].iloc[i]!r} is not a date YYYYMMDD",
            path=label,
            row=sheet_row(df.index[i]),
            column=column,
            fix="write dates as YYYYMMDD, e.g. 20240304",
        )
    return out


def _gtfs_calendar(feed: _Feed) -> tuple[pd.DataFrame, pd.DataFrame]:
    cal = pd.DataFrame(
        {
            "service_id": pd.Series(dtype="str"),
            **{d: pd.Series(dtype="bool") for d in WEEKDAYS},
            "start_date": pd.Series(dtype="datetime64[s]"),
            "end_date": pd.Series(dtype="datetime64[s]"),
        }
    )
    ex = pd.DataFrame(
        {
            "service_id": pd.Series(dtype="str"),
            "date": pd.Series(dtype="datetime64[s]"),
            "exception_type": pd.Series(dtype="int64"),
        }
    )
    if "calendar.txt" in feed.members:
        label = feed.label("calendar.txt")
        df = feed.read("calendar.txt", ("service_id", *WEEKDAYS, "start_date", "end_date"))
        df["service_id"] = _text_ids(df, "service_id", label=label)
        check_unique(df, "service_id", path=label)
        out: dict[str, Any] = {"service_id": df["service_id"].to_numpy()}
        for d in WEEKDAYS:
            v = df[d].astype("str").str.strip()
            bad = ~v.isin(["0", "1"])
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InvalidValueError(
                    f"{df[d].iloc[i]!r} is not 0 or 1",
                    path=label,
                    row=sheet_row(df.index[i]),
                    column=d,
                    fix="write 1 when the service runs on that weekday, else 0",
                )
            out[d] = (v == "1").to_numpy()
        start = _gtfs_dates(df, "start_date", label=label)
        end = _gtfs_dates(df, "end_date", label=label)
        back = end < start
        if back.any():
            i = int(np.flatnonzero(back.to_numpy())[0])
            raise InvalidValueError(
                f"end_date {df['end_date'].iloc[i]} is before start_date {df['start_date'].iloc[i]}",
                path=label,
                row=sheet_row(df.index[i]),
                column="end_date",
                fix="swap the dates",
            )
        out["start_date"] = start.to_numpy().astype("datetime64[s]")
        out["end_date"] = end.to_numpy().astype("datetime64[s]")
        cal = pd.DataFrame(out)
    if "calendar_dates.txt" in feed.members:
        label = feed.label("calendar_dates.txt")
        df = feed.read("calendar_dates.txt", ("service_id", "date", "exception_type"))
        sid = _text_ids(df, "service_id", label=label)
        date = _gtfs_dates(df, "date", label=label)
        et = df["exception_type"].astype("str").str.strip()
        bad = ~et.isin(["1", "2"])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InvalidValueError(
                f"exception_type {df['exception_type'].iloc[i]!r} is not 1 or 2",
                path=label,
                row=sheet_row(df.index[i]),
                column="exception_type",
                fix="write 1 (service added on that date) or 2 (service removed)",
            )
        ex = pd.DataFrame(
            {
                "service_id": sid.to_numpy(),
                "date": date.to_numpy().astype("datetime64[s]"),
                "exception_type": et.astype("int64").to_numpy(),
            }
        )
    return cal, ex


def _gtfs_trips(
    feed: _Feed, routes: pd.DataFrame, cal: pd.DataFrame, ex: pd.DataFrame
) -> pd.DataFrame:
    label = feed.label("trips.txt")
    df = feed.read("trips.txt", ("route_id", "service_id", "trip_id"))
    if len(df) == 0:
        raise EmptyFileError("trips.txt has no trips", path=label, fix="export the feed again")
    for c in ("trip_id", "route_id", "service_id"):
        df[c] = _text_ids(df, c, label=label)
    check_unique(df, "trip_id", path=label)
    _check_refs(df, "route_id", set(routes["route_id"]), label=label, other="routes.txt")
    services = set(cal["service_id"]) | set(ex["service_id"])
    _check_refs(df, "service_id", services, label=label, other="calendar.txt or calendar_dates.txt")
    if "direction_id" in df.columns:
        direction = to_number(df, "direction_id", path=label, required=False, integer=True)
        bad = direction.notna() & ~direction.isin([0, 1])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InvalidValueError(
                f"direction_id {df['direction_id'].iloc[i]!r} is not 0 or 1",
                path=label,
                row=sheet_row(df.index[i]),
                column="direction_id",
                fix="write 0 or 1 (or leave empty)",
            )
        dir_s = direction.astype("Int64")
    else:
        dir_s = pd.Series(pd.NA, index=df.index, dtype="Int64")
    return pd.DataFrame(
        {
            "trip_id": df["trip_id"].to_numpy(),
            "route_id": df["route_id"].to_numpy(),
            "service_id": df["service_id"].to_numpy(),
            "direction_id": dir_s.to_numpy(),
            "_row": df.index.to_numpy(),
        }
    )


def _check_refs(df: pd.DataFrame, column: str, known: set[str], *, label: Path, other: str) -> None:
    bad = ~df[column].isin(known)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        ids = df.loc[bad, column].unique()
        raise TransitError(
            f"{column} {df[column].iloc[i]!r} is not in {other}"
            f" ({int(bad.sum())} row(s), {len(ids)} unknown id(s))",
            path=label,
            row=sheet_row(df.index[i]),
            column=column,
            fix=f"add the missing {column} to {other} or correct the reference",
        )


def _parse_gtfs_times(col: pd.Series, *, label: Path, column: str) -> NDArray[np.float64]:
    """Seconds since midnight for 'H:MM:SS' text; NaN where empty. Parses unique values."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    values = np.full(len(uniques), np.nan)
    bad: list[int] = []
    for k, u in enumerate(uniques):
        m = _HMS_RE.match(str(u))
        if m is None:
            if str(u).strip():
                bad.append(k)
            continue
        values[k] = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))
    if bad:
        rows = np.flatnonzero(np.isin(codes, bad))
        i = int(rows[0])
        raise InvalidValueError(
            f"{col.iloc[i]!r} is not a time HH:MM:SS ({len(rows)} such row(s))",
            path=label,
            row=sheet_row(col.index[i]),
            column=column,
            fix="write times as HH:MM:SS with minutes and seconds below 60; after midnight"
            " hours continue past 24 (25:10:00 = 01:10 next day)",
        )
    out = np.full(len(col), np.nan)
    ok = codes >= 0
    out[ok] = values[codes[ok]]
    return out


def _gtfs_stop_times(
    feed: _Feed, stops: gpd.GeoDataFrame, trips: pd.DataFrame, dropped: list[dict[str, Any]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    name = "stop_times.txt"
    label = feed.label(name)
    df = feed.read(name, ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"))
    if len(df) == 0:
        raise EmptyFileError(f"{name} has no rows", path=label, fix="export the feed again")
    trip_ids = _text_ids(df, "trip_id", label=label)
    stop_ids = _text_ids(df, "stop_id", label=label)
    t_code = pd.Index(trips["trip_id"]).get_indexer(trip_ids)
    s_code = pd.Index(stops["stop_id"]).get_indexer(stop_ids)
    for codes, ids, col, other in (
        (t_code, trip_ids, "trip_id", "trips.txt"),
        (s_code, stop_ids, "stop_id", "stops.txt"),
    ):
        unknown = codes < 0
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            n_ids = ids[unknown].nunique()
            raise TransitError(
                f"{col} {ids.iloc[i]!r} is not in {other}"
                f" ({int(unknown.sum())} row(s), {n_ids} unknown id(s))",
                path=label,
                row=sheet_row(df.index[i]),
                column=col,
                fix=f"add the {col} to {other} or correct {name}",
            )
    seq_codes, seq_uniques = pd.factorize(df["stop_sequence"], use_na_sentinel=True)
    seq_text = pd.Series(seq_uniques, dtype="str").str.strip()
    seq_vals = pd.to_numeric(seq_text, errors="coerce").to_numpy(dtype=float)
    bad_u = np.flatnonzero(
        ~np.isfinite(seq_vals) | (seq_vals < 0) | (seq_vals != np.round(seq_vals))
    )
    bad = (seq_codes < 0) | np.isin(seq_codes, bad_u)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"stop_sequence {df['stop_sequence'].iloc[i]!r} is not a whole number >= 0",
            path=label,
            row=sheet_row(df.index[i]),
            column="stop_sequence",
            fix="number the stops of each trip 0, 1, 2 … or 1, 2, 3 …",
        )
    seq = seq_vals[seq_codes].astype(np.int64)
    arr = _parse_gtfs_times(df["arrival_time"], label=label, column="arrival_time")
    dep = _parse_gtfs_times(df["departure_time"], label=label, column="departure_time")
    arr, dep = np.where(np.isnan(arr), dep, arr), np.where(np.isnan(dep), arr, dep)

    order = np.lexsort((seq, t_code))
    t = t_code[order]
    sq = seq[order]
    s = s_code[order]
    arr, dep = arr[order], dep[order]
    rows = df.index.to_numpy()[order]
    n = len(t)
    new_trip = np.ones(n, dtype=bool)
    new_trip[1:] = t[1:] != t[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = new_trip[1:]
    same = ~new_trip & np.r_[False, sq[1:] == sq[:-1]]
    if same.any():
        i = int(np.flatnonzero(same)[0])
        raise TransitError(
            f"trip {trips['trip_id'].iloc[t[i]]!r} lists stop_sequence {sq[i]} twice"
            f" (rows {sheet_row(rows[i - 1])} and {sheet_row(rows[i])})",
            path=label,
            row=sheet_row(rows[i]),
            column="stop_sequence",
            fix="give each stop of a trip its own stop_sequence",
        )
    # trips need two stops; a one-stop trip carries nobody anywhere
    single = new_trip & last
    single_trips = set(t[single].tolist())
    if single.any():
        for i in np.flatnonzero(single).tolist():
            dropped.append(
                {
                    "file": name,
                    "row": sheet_row(rows[i]),
                    "id": trips["trip_id"].iloc[t[i]],
                    "reason": "trip with a single stop time",
                }
            )
        log.warning(
            "%s: %d trip(s) with a single stop time left out (e.g. %r)",
            label,
            int(single.sum()),
            trips["trip_id"].iloc[t[np.flatnonzero(single)[0]]],
        )
        keep = ~single
        t, sq, s, arr, dep, rows = t[keep], sq[keep], s[keep], arr[keep], dep[keep], rows[keep]
        new_trip, last = new_trip[keep], last[keep]
    ends = (new_trip | last) & np.isnan(arr)
    if ends.any():
        i = int(np.flatnonzero(ends)[0])
        which = "first" if new_trip[i] else "last"
        raise TransitError(
            f"the {which} stop of trip {trips['trip_id'].iloc[t[i]]!r} has no arrival_time or"
            f" departure_time ({int(ends.sum())} such row(s))",
            path=label,
            row=sheet_row(rows[i]),
            column="arrival_time",
            fix="give times at the first and last stop of every trip",
        )
    interp = np.isnan(arr)
    if interp.any():
        arr, dep = _interpolate_times(
            df, feed, stops, order_rows=rows, t=t, s=s, arr=arr, dep=dep, new_trip=new_trip
        )
    # times must not run backwards
    back_dwell = dep < arr
    back_run = ~new_trip & np.r_[False, arr[1:] < dep[:-1]]
    back = back_dwell | back_run
    if back.any():
        i = int(np.flatnonzero(back)[0])
        raise TransitError(
            f"times of trip {trips['trip_id'].iloc[t[i]]!r} run backwards at stop_sequence"
            f" {sq[i]} ({format_time_s(arr[i])} after {format_time_s(dep[i - 1] if back_run[i] else arr[i])}"
            f"; {int(back.sum())} such row(s))",
            path=label,
            row=sheet_row(rows[i]),
            column="arrival_time" if back_run[i] else "departure_time",
            fix="correct the times so they never decrease along a trip",
        )
    stop_index = np.arange(len(t)) - np.maximum.accumulate(np.where(new_trip, np.arange(len(t)), 0))
    st = pd.DataFrame(
        {
            "_t": t,
            "_s": s.astype(np.int32),
            "trip_id": trips["trip_id"].to_numpy()[t],
            "stop_sequence": sq,
            "stop_index": stop_index,
            "stop_id": stops["stop_id"].to_numpy()[s],
            "arrival_s": arr.astype(np.int64),
            "departure_s": dep.astype(np.int64),
            "interpolated": interp,
        }
    )
    # trips without stop times
    has = np.zeros(len(trips), dtype=bool)
    has[t] = True
    none = ~has
    none[list(single_trips)] = False  # already reported
    if none.any():
        for i in np.flatnonzero(none).tolist():
            dropped.append(
                {
                    "file": "trips.txt",
                    "row": sheet_row(trips["_row"].iloc[i]),
                    "id": trips["trip_id"].iloc[i],
                    "reason": "trip without stop times",
                }
            )
        log.warning(
            "%s: %d trip(s) without stop times left out (e.g. %r)",
            feed.label("trips.txt"),
            int(none.sum()),
            trips["trip_id"].iloc[int(np.flatnonzero(none)[0])],
        )
    firsts = np.flatnonzero(new_trip)
    lasts = np.flatnonzero(last)
    start = np.zeros(len(trips), dtype=np.int64)
    end = np.zeros(len(trips), dtype=np.int64)
    start[t[firsts]] = dep[firsts]
    end[t[lasts]] = arr[lasts]
    kept = np.flatnonzero(has)
    remap = np.full(len(trips), -1)
    remap[kept] = np.arange(len(kept))
    trips = trips.iloc[kept].reset_index(drop=True)
    trips["start_s"] = start[kept]
    trips["end_s"] = end[kept]
    st["_t"] = remap[st["_t"].to_numpy()]
    return st, trips


def _interpolate_times(
    df: pd.DataFrame,
    feed: _Feed,
    stops: gpd.GeoDataFrame,
    *,
    order_rows: NDArray[Any],
    t: NDArray[np.int64],
    s: NDArray[np.int64],
    arr: NDArray[np.float64],
    dep: NDArray[np.float64],
    new_trip: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fill empty intermediate times linearly in distance between the timed neighbours."""
    n = len(t)
    x = stops.geometry.x.to_numpy()[s]
    y = stops.geometry.y.to_numpy()[s]
    step = np.r_[0.0, np.hypot(np.diff(x), np.diff(y))]
    step[new_trip] = 0.0
    trip_start = np.maximum.accumulate(np.where(new_trip, np.arange(n), 0))
    cum = np.cumsum(step)
    dist = cum - cum[trip_start]
    if "shape_dist_traveled" in df.columns:
        sd = pd.to_numeric(df["shape_dist_traveled"], errors="coerce").to_numpy(dtype=float)
        sd = sd[df.index.get_indexer(pd.Index(order_rows))]
        complete = pd.Series(np.isfinite(sd)).groupby(t).transform("all").to_numpy(dtype=bool)
        dist = np.where(complete, sd, dist)
        if complete.any() and not complete.all():
            log.info(
                "%s: shape_dist_traveled incomplete on some trips; their times are interpolated"
                " by straight-line distance",
                feed.label("stop_times.txt"),
            )
    timed = ~np.isnan(arr)
    pos = np.arange(n)
    prev = np.maximum.accumulate(np.where(timed, pos, 0))
    nxt = np.minimum.accumulate(np.where(timed, pos, n - 1)[::-1])[::-1]
    gap = np.flatnonzero(~timed)
    p, q = prev[gap], nxt[gap]
    span = dist[q] - dist[p]
    frac = np.where(
        span > 0, (dist[gap] - dist[p]) / np.where(span > 0, span, 1.0), (gap - p) / (q - p)
    )
    frac = np.clip(frac, 0.0, 1.0)
    filled = np.round(dep[p] + frac * (arr[q] - dep[p]))
    arr = arr.copy()
    dep = dep.copy()
    arr[gap] = filled
    dep[gap] = filled
    log.info(
        "%s: %d stop time(s) without times interpolated", feed.label("stop_times.txt"), len(gap)
    )
    return arr, dep


def _gtfs_patterns(st: pd.DataFrame, trips: pd.DataFrame, stop_ids: NDArray[Any]) -> pd.DataFrame:
    # stop_times are sorted by trip code and every kept trip has some: key each trip by the
    # bytes of its stop code sequence (no per-row string joins)
    t = st["_t"].to_numpy()
    codes = st["_s"].to_numpy().astype(np.int32)
    bounds = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
    seq = np.empty(len(trips), dtype=object)
    seq[t[bounds]] = [c.tobytes().hex() for c in np.split(codes, bounds[1:])]
    trips["_seq"] = seq
    dir_txt = trips["direction_id"].astype("string").fillna("x")
    trips["_key"] = trips["route_id"] + "\x1e" + dir_txt + "\x1e" + trips["_seq"]
    pat = (
        trips.groupby("_key", sort=False)
        .agg(
            route_id=("route_id", "first"),
            direction_id=("direction_id", "first"),
            first_trip=("trip_id", "min"),
            n_trips=("trip_id", "size"),
            seq=("_seq", "first"),
        )
        .reset_index()
    )
    pat["_dir"] = pat["direction_id"].astype("string").fillna("x")
    pat = pat.sort_values(["route_id", "_dir", "first_trip"], kind="stable").reset_index(drop=True)
    k = pat.groupby(["route_id", "_dir"], sort=False).cumcount() + 1
    pat["pattern_id"] = pat["route_id"] + ":" + pat["_dir"] + ":" + k.astype("str")
    pat["stop_ids"] = [
        stop_ids[np.frombuffer(bytes.fromhex(h), dtype=np.int32)].tolist() for h in pat["seq"]
    ]
    pat["n_stops"] = pat["stop_ids"].map(len).astype("int64")
    del trips["_seq"]
    return pat[
        ["pattern_id", "route_id", "direction_id", "stop_ids", "n_stops", "n_trips", "_key"]
    ].astype({"n_trips": "int64"})


def _gtfs_frequencies(feed: _Feed, trips: pd.DataFrame) -> pd.DataFrame:
    cols = {
        "pattern_id": pd.Series(dtype="str"),
        "trip_id": pd.Series(dtype="str"),
        "service_id": pd.Series(dtype="str"),
        "start_s": pd.Series(dtype="int64"),
        "end_s": pd.Series(dtype="int64"),
        "headway_s": pd.Series(dtype="float64"),
        "end_inclusive": pd.Series(dtype="bool"),
        "headway_source": pd.Series(dtype="str"),
    }
    if "frequencies.txt" not in feed.members:
        return pd.DataFrame(cols)
    name = "frequencies.txt"
    label = feed.label(name)
    df = feed.read(name, ("trip_id", "start_time", "end_time", "headway_secs"))
    if len(df) == 0:
        return pd.DataFrame(cols)
    df["trip_id"] = _text_ids(df, "trip_id", label=label)
    _check_refs(df, "trip_id", set(trips["trip_id"]), label=label, other="trips.txt")
    start = _parse_gtfs_times(df["start_time"], label=label, column="start_time")
    end = _parse_gtfs_times(df["end_time"], label=label, column="end_time")
    for v, c in ((start, "start_time"), (end, "end_time")):
        if np.isnan(v).any():
            i = int(np.flatnonzero(np.isnan(v))[0])
            raise InvalidValueError(
                f"empty {c}", path=label, row=sheet_row(df.index[i]), column=c, fix="fill it in"
            )
    headway = to_number(df, "headway_secs", path=label).to_numpy()
    bad = headway <= 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"headway_secs {df['headway_secs'].iloc[i]!r} is not positive",
            path=label,
            row=sheet_row(df.index[i]),
            column="headway_secs",
            fix="give the seconds between departures (e.g. 600)",
        )
    back = end <= start
    if back.any():
        i = int(np.flatnonzero(back)[0])
        raise InvalidValueError(
            f"end_time {df['end_time'].iloc[i]} is not after start_time {df['start_time'].iloc[i]}",
            path=label,
            row=sheet_row(df.index[i]),
            column="end_time",
            fix="give an end after the start (after midnight, hours continue past 24)",
        )
    info = trips.set_index("trip_id")
    return pd.DataFrame(
        {
            "pattern_id": info["pattern_id"].reindex(df["trip_id"]).to_numpy(),
            "trip_id": df["trip_id"].to_numpy(),
            "service_id": info["service_id"].reindex(df["trip_id"]).to_numpy(),
            "start_s": start.astype(np.int64),
            "end_s": end.astype(np.int64),
            "headway_s": headway.astype(float),
            "end_inclusive": False,
            "headway_source": "frequencies",
        }
    )


# --- Chinese route tables ------------------------------------------------------------------

_LINE_ID = ColumnSpec(
    "line_id",
    ("sub_lineid", "子线路编号", "线路方向编号", "线路编号", "线路ID", "subline_id", "line_id"),
    description="id of a line-direction, shared with the stop-sequence table",
)
_ROUTE_NAME = ColumnSpec(
    "route_name", ("linename", "线路名称", "线路", "线路名", "路线名称", "route_name", "line_name")
)
_DIRECTION = ColumnSpec("direction", ("upordown", "上下行", "方向", "行向", "direction"))
_STATION_ID = ColumnSpec(
    "station_id", ("站点编号", "站点ID", "站号", "站点id", "station_id", "stop_id")
)

LINES_SCHEMA = Schema(
    columns=(
        _LINE_ID,
        ColumnSpec("route_name", _ROUTE_NAME.aliases, required=True),
        ColumnSpec("route_id", ("lineid", "路线编号", "route_id")),
        _DIRECTION,
        ColumnSpec("start_stop", ("startsite", "起点站", "起点", "start_stop")),
        ColumnSpec("end_stop", ("endsite", "终点站", "终点", "end_stop")),
        ColumnSpec("first_bus", ("rtime1", "首班", "首班车", "首班时间", "首车时间", "first_bus")),
        ColumnSpec("last_bus", ("rtime2", "末班", "末班车", "末班时间", "末车时间", "last_bus")),
        ColumnSpec(
            "first_last", ("首末班", "首末班时间", "首末车时间", "运营时间", "first_last_bus")
        ),
        ColumnSpec("headway_min", ("发车间隔", "间隔", "发车间隔分钟", "headway")),
        ColumnSpec("price", ("票价", "fare")),
    ),
    what="bus lines table",
    unknown="keep",
)
STATIONS_SCHEMA = Schema(
    columns=(
        ColumnSpec("station_id", _STATION_ID.aliases, required=True),
        ColumnSpec("station_name", ("站点名称", "站名", "站点", "station_name", "stop_name")),
        ColumnSpec("lon", ("经度", "lon_raw", "jingdu", "lng", "longitude"), required=True),
        ColumnSpec("lat", ("纬度", "lat_raw", "weidu", "latitude"), required=True),
    ),
    what="bus stations table",
    unknown="keep",
)
LINE_STATIONS_SCHEMA = Schema(
    columns=(
        _LINE_ID,
        _ROUTE_NAME,
        _DIRECTION,
        ColumnSpec("station_id", _STATION_ID.aliases, required=True),
        ColumnSpec("sequence", ("站序", "序号", "顺序", "inorder", "stop_sequence"), required=True),
    ),
    what="stop sequence table",
    unknown="keep",
)

_DIRECTIONS = {
    "上行": 0,
    "上": 0,
    "去程": 0,
    "up": 0,
    "0": 0,
    "下行": 1,
    "下": 1,
    "返程": 1,
    "回程": 1,
    "down": 1,
    "1": 1,
    "环线": 0,
    "环行": 0,
}

_CLOCK_RE = re.compile(
    r"(?P<season>冬季|夏季|冬令时?|夏令时?|冬|夏)?\s*[:：]?\s*(?P<next>次日|翌日)?\s*"
    r"(?P<h>\d{1,2})\s*[:：]\s*(?P<m>\d{2})(?:\s*[:：]\s*(?P<s>\d{2}))?"
)
_SEP_RE = re.compile(r"^[\s\-－—–~～至到,，;；/|、]*$")


def _parse_clock_text(text: str) -> dict[str | None, list[int]] | None:
    """Times in a first/last-bus cell, by season label (None = no label); None if unreadable.

    Reads ``06:00``, ``6:00:00``, ``06：00`` (full-width colon), ``次日00:30`` (next day,
    +24 h), ranges ``06:00-21:00`` / ``06:00—21:00`` / ``06:00~21:00`` / ``6:00至21:00`` and
    season labels ``冬季05:30 夏季06:00`` (also 冬/夏, 冬令/夏令); a label holds until the next.
    """
    out: dict[str | None, list[int]] = {}
    pos = 0
    season: str | None = None
    for m in _CLOCK_RE.finditer(text):
        if not _SEP_RE.match(text[pos : m.start()]):
            return None
        pos = m.end()
        if m.group("season"):
            season = "winter" if m.group("season").startswith("冬") else "summer"
        h, mi, se = int(m.group("h")), int(m.group("m")), int(m.group("s") or 0)
        if h > 24 or mi > 59 or se > 59:
            return None
        out.setdefault(season, []).append(
            h * 3600 + mi * 60 + se + (DAY_S if m.group("next") else 0)
        )
    if not out or not _SEP_RE.match(text[pos:]):
        return None
    return out


def _load_table(
    table: TableArg, schema: Schema, mapping: Mapping[str, str] | None, *, what: str
) -> tuple[pd.DataFrame, Path, dict[str, str]]:
    """The table with canonical headers, its label, and canonical -> the user's header."""
    if isinstance(table, pd.DataFrame):
        label = Path(f"{what} (DataFrame)")
        df = table.copy()
        df.columns = [str(c).strip() for c in df.columns]
        for c in df.columns:
            na = df[c].isna()
            df[c] = df[c].astype("str").str.strip().where(~na, np.nan)
        if len(df) == 0:
            raise EmptyFileError(f"{what} has no rows", path=label, fix="add at least one row")
    else:
        label = Path(table)
        df = read_table(table, what=what)
    if mapping:
        known = {c.name for c in schema.columns}
        specs = []
        for spec in schema.columns:
            if spec.name in mapping:
                header = mapping[spec.name]
                if header not in df.columns:
                    raise ColumnError(
                        f"column '{header}' (given for '{spec.name}') is not in the {what}",
                        path=label,
                        column=header,
                        fix="use one of: " + ", ".join(map(repr, df.columns)),
                    )
                spec = ColumnSpec(spec.name, (header,), spec.required, spec.description)
            specs.append(spec)
        unknown = set(mapping) - known
        if unknown:
            raise ColumnError(
                f"no column {sorted(unknown)[0]!r} in the {what} schema",
                path=label,
                column=sorted(unknown)[0],
                fix="map one of: " + ", ".join(sorted(known)),
            )
        schema = Schema(columns=tuple(specs), what=schema.what, unknown=schema.unknown)
    out = schema.apply(df, path=label)
    headers = {
        c: orig for orig, c in zip(df.columns, out.columns, strict=True) if c != orig
    }  # Schema.apply renames in place, keeping the column order (unknown="keep")
    return out, label, headers


def _line_keys(
    lines: pd.DataFrame,
    seq: pd.DataFrame,
    *,
    lines_label: Path,
    seq_label: Path,
    lines_h: dict[str, str],
    seq_h: dict[str, str],
) -> list[str]:
    """Columns joining the lines table to the stop-sequence table."""
    base = "line_id" if "line_id" in lines.columns and "line_id" in seq.columns else "route_name"
    if base not in seq.columns:
        raise ColumnError(
            "the stop sequence table has neither a line id nor a line name column",
            path=seq_label,
            column="line_id",
            fix="add the line id (e.g. sub_lineid / 线路编号) or 线路名称 + 上下行 columns",
        )
    keys = [base]
    if (
        lines[base].duplicated().any()
        and "direction" in lines.columns
        and "direction" in seq.columns
    ):
        keys.append("direction")
    for df, label, h in ((lines, lines_label, lines_h), (seq, seq_label, seq_h)):
        for k in keys:
            df[k] = _text_ids(df, k, label=label, shown_as=h.get(k, k))
    return keys


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
    for opt, val in (("on_unknown_stop", on_unknown_stop), ("on_unknown_line", on_unknown_line)):
        if val not in ("error", "drop"):
            raise InvalidValueError(f"{opt}={val!r} is not 'error' or 'drop'", key=opt)
    if not headway_min > 0:
        raise InvalidValueError(
            f"headway_min={headway_min!r} is not positive", key="headway_min", fix="e.g. 10"
        )
    columns = columns or {}
    bad_tables = set(columns) - {"lines", "stations", "line_stations"}
    if bad_tables:
        raise InvalidValueError(
            f"columns names unknown table(s) {sorted(bad_tables)}",
            key="columns",
            fix="use the keys 'lines', 'stations', 'line_stations'",
        )
    summer = tuple(sorted({int(m) for m in summer_months}))
    ln, ln_label, ln_h = _load_table(
        lines, LINES_SCHEMA, columns.get("lines"), what="bus lines table"
    )
    stn, stn_label, stn_h = _load_table(
        stations, STATIONS_SCHEMA, columns.get("stations"), what="bus stations table"
    )
    seq, seq_label, seq_h = _load_table(
        line_stations,
        LINE_STATIONS_SCHEMA,
        columns.get("line_stations"),
        what="stop sequence table",
    )
    dropped: list[dict[str, Any]] = []
    keys = _line_keys(ln, seq, lines_label=ln_label, seq_label=seq_label, lines_h=ln_h, seq_h=seq_h)
    ln["_key"] = ln[keys].agg("|".join, axis=1) if len(keys) > 1 else ln[keys[0]]
    seq["_key"] = seq[keys].agg("|".join, axis=1) if len(keys) > 1 else seq[keys[0]]
    check_unique(ln, "_key", path=ln_label, shown_as=" + ".join(ln_h.get(k, k) for k in keys))

    # stop sequences: lines, stations, order
    seq["station_id"] = _text_ids(
        seq, "station_id", label=seq_label, shown_as=seq_h.get("station_id")
    )
    seq["_seq"] = to_number(
        seq,
        "sequence",
        path=seq_label,
        shown_as=seq_h.get("sequence"),
        integer=True,
        minimum=0,
    )
    unknown_line = ~seq["_key"].isin(set(ln["_key"]))
    if unknown_line.any():
        ids = sorted(seq.loc[unknown_line, "_key"].unique())
        if on_unknown_line == "error":
            i = int(np.flatnonzero(unknown_line.to_numpy())[0])
            raise TransitError(
                f"line {seq['_key'].iloc[i]!r} is not in the lines table"
                f" ({int(unknown_line.sum())} row(s) of {len(ids)} line(s))",
                path=seq_label,
                row=sheet_row(seq.index[i]),
                column=seq_h.get(keys[0], keys[0]),
                fix="add the line to the lines table, or pass on_unknown_line='drop'",
            )
        _record(dropped, seq, unknown_line, seq_label, "_key", "line not in the lines table")
        log.warning(
            "%s: %d row(s) of %d line(s) missing from the lines table left out (e.g. %s)",
            seq_label,
            int(unknown_line.sum()),
            len(ids),
            ", ".join(ids[:5]),
        )
        seq = seq.loc[~unknown_line]
    stn["station_id"] = _text_ids(
        stn, "station_id", label=stn_label, shown_as=stn_h.get("station_id")
    )
    check_unique(stn, "station_id", path=stn_label, shown_as=stn_h.get("station_id"))
    unknown_stop = ~seq["station_id"].isin(set(stn["station_id"]))
    if unknown_stop.any():
        ids = sorted(seq.loc[unknown_stop, "station_id"].unique())
        if on_unknown_stop == "error":
            i = int(np.flatnonzero(unknown_stop.to_numpy())[0])
            raise TransitError(
                f"station {seq['station_id'].iloc[i]!r} is not in the stations table"
                f" ({int(unknown_stop.sum())} row(s), {len(ids)} unknown id(s): {', '.join(ids[:5])})",
                path=seq_label,
                row=sheet_row(seq.index[i]),
                column=seq_h.get("station_id", "station_id"),
                fix="add the station to the stations table, or pass on_unknown_stop='drop'"
                " to leave these rows out",
            )
        _record(
            dropped, seq, unknown_stop, seq_label, "station_id", "station not in the stations table"
        )
        log.warning(
            "%s: %d stop sequence row(s) naming %d unknown station(s) left out: %s",
            seq_label,
            int(unknown_stop.sum()),
            len(ids),
            ", ".join(ids[:10]),
        )
        seq = seq.loc[~unknown_stop]
    dup = seq.duplicated(["_key", "_seq"], keep=False)
    if dup.any():
        first = seq.loc[dup].iloc[0]
        rows = [
            sheet_row(i)
            for i in seq.index[
                dup & (seq["_key"] == first["_key"]) & (seq["_seq"] == first["_seq"])
            ]
        ]
        raise TransitError(
            f"line {first['_key']!r} has stop number {int(first['_seq'])} twice"
            f" (rows {', '.join(map(str, rows))})",
            path=seq_label,
            row=rows[1],
            column=seq_h.get("sequence", "sequence"),
            fix="number the stops of each line 1, 2, 3 … without repeats",
        )
    seq = seq.sort_values(["_key", "_seq"], kind="stable")
    stop_lists = seq.groupby("_key", sort=False)["station_id"].agg(list)
    short = stop_lists[stop_lists.map(len) < 2]
    no_stops = ~ln["_key"].isin(set(stop_lists.index)) | ln["_key"].isin(set(short.index))
    if no_stops.any():
        _record(dropped, ln, no_stops, ln_label, "_key", "line with fewer than 2 known stops")
        log.warning(
            "%s: %d line(s) with fewer than 2 known stops left out (e.g. %s)",
            ln_label,
            int(no_stops.sum()),
            ln.loc[no_stops, "_key"].iloc[0],
        )
        ln = ln.loc[~no_stops]
    if len(ln) == 0:
        raise TransitError(
            "no line has two known stops",
            path=ln_label,
            fix="check the three tables belong together",
        )

    # stations used
    used = set(seq.loc[seq["_key"].isin(set(ln["_key"])), "station_id"])
    st_used = stn.loc[stn["station_id"].isin(used)]
    if len(st_used) < len(stn):
        log.info(
            "%s: %d station(s) no kept line uses are not stops", stn_label, len(stn) - len(st_used)
        )
    lon = to_number(st_used, "lon", path=stn_label, shown_as=stn_h.get("lon"))
    lat = to_number(st_used, "lat", path=stn_label, shown_as=stn_h.get("lat"))
    pts = points_from_lonlat(
        st_used,
        lon,
        lat,
        coords=coords,
        path=stn_label,
        lon_column=stn_h.get("lon", "lon"),
        lat_column=stn_h.get("lat", "lat"),
        area=area,
        crs=crs,
    )
    names = (
        st_used["station_name"]
        if "station_name" in st_used.columns
        else pd.Series(pd.NA, index=st_used.index)
    )
    stops = gpd.GeoDataFrame(
        {
            "stop_id": st_used["station_id"].to_numpy(),
            "name": names.to_numpy(),
            "parent_station": pd.Series(pd.NA, index=st_used.index, dtype="object").to_numpy(),
        },
        geometry=pts.geometry.to_numpy(),
        crs=pts.crs,
    )

    # lines -> routes, patterns, service windows
    direction = _table_directions(ln, ln_label, ln_h)
    route_id = (
        ln["route_id"].astype("str").str.strip() if "route_id" in ln.columns else ln["route_name"]
    )
    route_id = route_id.where(route_id.notna() & (route_id != ""), ln["route_name"])
    patterns = pd.DataFrame(
        {
            "pattern_id": ln["_key"].to_numpy(),
            "route_id": route_id.to_numpy(),
            "direction_id": direction.to_numpy(),
            "stop_ids": stop_lists.reindex(ln["_key"]).to_numpy(),
        }
    )
    patterns["n_stops"] = patterns["stop_ids"].map(len).astype("int64")
    patterns["n_trips"] = 0
    routes = _table_routes(ln, route_id, agency)
    freqs, seasons = _table_service(ln, ln_label, ln_h, headway_min=headway_min, summer=summer)
    freqs["pattern_id"] = ln["_key"].reindex(freqs.pop("_row")).to_numpy()
    freqs = freqs[
        [
            "pattern_id",
            "trip_id",
            "service_id",
            "start_s",
            "end_s",
            "headway_s",
            "end_inclusive",
            "headway_source",
        ]
    ]
    log.info(
        "%s: %d routes, %d line-directions, %d stops; %s",
        ln_label,
        len(routes),
        len(patterns),
        len(stops),
        "headways assumed" if (freqs["headway_source"] == "assumed").all() else "headways given",
    )
    return TransitFeed(
        source="tables",
        crs=CRS(stops.crs),
        stops=stops,
        routes=routes,
        patterns=patterns,
        trips=_empty_trips(),
        stop_times=_empty_stop_times(),
        frequencies=freqs.reset_index(drop=True),
        calendar=pd.DataFrame(columns=["service_id", *WEEKDAYS, "start_date", "end_date"]),
        calendar_dates=pd.DataFrame(columns=["service_id", "date", "exception_type"]),
        seasons=seasons,
        dropped=_dropped_frame(dropped),
        path=str(ln_label),
    )


def _record(
    dropped: list[dict[str, Any]],
    df: pd.DataFrame,
    mask: pd.Series,
    label: Path,
    column: str,
    reason: str,
) -> None:
    for idx, value in zip(df.index[mask.to_numpy()], df.loc[mask, column], strict=True):
        dropped.append(
            {"file": str(label), "row": sheet_row(idx), "id": str(value), "reason": reason}
        )


def _table_directions(ln: pd.DataFrame, label: Path, headers: dict[str, str]) -> pd.Series:
    if "direction" not in ln.columns:
        return pd.Series(pd.NA, index=ln.index, dtype="Int64")
    text = ln["direction"].astype("str").str.strip().str.lower()
    d = text.map(_DIRECTIONS)
    bad = d.isna() & ln["direction"].notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidValueError(
            f"direction {ln['direction'].iloc[i]!r} is not 上行/下行 (up/down, 0/1)",
            path=label,
            row=sheet_row(ln.index[i]),
            column=headers.get("direction", "direction"),
            fix="write 上行 or 下行 (or 0 / 1)",
        )
    return d.astype("Int64")


def _table_routes(ln: pd.DataFrame, route_id: pd.Series, agency: str | None) -> pd.DataFrame:
    df = pd.DataFrame({"route_id": route_id.to_numpy(), "short_name": ln["route_name"].to_numpy()})
    if "start_stop" in ln.columns and "end_stop" in ln.columns:
        df["long_name"] = (ln["start_stop"].fillna("") + "—" + ln["end_stop"].fillna("")).to_numpy()
    else:
        df["long_name"] = pd.NA
    out = df.groupby("route_id", sort=False).first().reset_index()
    out["route_type"] = 3  # GTFS route_type 3 = bus
    out["agency"] = agency if agency is not None else pd.NA
    return out


_HEADWAY_TEXT_RE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(?:[-－—~～至到]\s*(\d+(?:\.\d+)?))?\s*(?:分钟|分|min)?\s*$"
)


def _table_service(
    ln: pd.DataFrame,
    label: Path,
    headers: dict[str, str],
    *,
    headway_min: float,
    summer: tuple[int, ...],
) -> tuple[pd.DataFrame, dict[str, tuple[int, ...]]]:
    """Frequency windows (first bus .. last bus) per line and season."""
    if "first_last" in ln.columns:
        cells = [("first_last", 2)]
    elif "first_bus" in ln.columns and "last_bus" in ln.columns:
        cells = [("first_bus", 1), ("last_bus", 1)]
    else:
        raise ColumnError(
            "the bus lines table has no first/last bus times",
            path=label,
            column="first_bus"
            if "last_bus" in ln.columns
            else "last_bus"
            if "first_bus" in ln.columns
            else "first_last",
            fix="add 首班 and 末班 columns (e.g. 06:00 / 21:00) or one 首末班 column (06:00-21:00)",
        )
    parsed: list[list[dict[str | None, list[int]]]] = []
    for idx in ln.index:
        per_cell: list[dict[str | None, list[int]]] = []
        for col, n_expected in cells:
            raw: Any = ln.at[idx, col]
            text = "" if pd.isna(raw) else str(raw)
            got = _parse_clock_text(text) if text.strip() else None
            if got is None or any(len(v) != n_expected for v in got.values()):
                what = "a first and a last time" if n_expected == 2 else "one time"
                raise InvalidValueError(
                    f"cannot read {text!r} as {what}" + (" per season" if got else ""),
                    path=label,
                    row=sheet_row(idx),
                    column=headers.get(col, col),
                    fix="write e.g. 06:00"
                    + ("-21:00" if n_expected == 2 else "")
                    + ", 冬季05:30 夏季06:00, or 次日00:30 after midnight",
                )
            per_cell.append(got)
        parsed.append(per_cell)
    seasonal = any(k is not None for p in parsed for cell in p for k in cell)
    services = ["winter", "summer"] if seasonal else ["daily"]
    if seasonal:
        winter = tuple(m for m in range(1, 13) if m not in summer)
        seasons = {"winter": winter, "summer": summer}
    else:
        seasons = {"daily": tuple(range(1, 13))}

    hw_s = np.full(len(ln), headway_min * 60.0)
    source = np.array(["assumed"] * len(ln), dtype=object)
    if "headway_min" in ln.columns:
        for j, (idx, raw) in enumerate(zip(ln.index.tolist(), ln["headway_min"], strict=True)):
            if pd.isna(raw) or not str(raw).strip():
                continue
            m = _HEADWAY_TEXT_RE.match(str(raw))
            value = (float(m.group(1)) + float(m.group(2) or m.group(1))) / 2 if m else 0.0
            if not value > 0:
                raise InvalidValueError(
                    f"headway {raw!r} is not a number of minutes",
                    path=label,
                    row=sheet_row(idx),
                    column=headers.get("headway_min", "headway_min"),
                    fix="write minutes, e.g. 10 or 8-12",
                )
            hw_s[j] = value * 60.0
            source[j] = "frequencies"

    rows: list[dict[str, Any]] = []
    for j, (idx, p) in enumerate(zip(ln.index, parsed, strict=True)):
        for service in services:
            times = [t for cell in p for t in cell.get(service, cell.get(None, []))]
            if len(times) != 2:
                raise InvalidValueError(
                    f"no first and last bus for the {service} season",
                    path=label,
                    row=sheet_row(idx),
                    column=headers.get(cells[0][0], cells[0][0]),
                    fix="give times for both 冬季 and 夏季, or unlabelled times for all seasons",
                )
            first, last = times
            if last < first:
                last += DAY_S  # last bus after midnight
            rows.append(
                {
                    "_row": idx,
                    "trip_id": pd.NA,
                    "service_id": service,
                    "start_s": first,
                    "end_s": last,
                    "headway_s": hw_s[j],
                    "end_inclusive": True,
                    "headway_source": source[j],
                }
            )
    return pd.DataFrame(rows).astype(
        {"start_s": "int64", "end_s": "int64", "headway_s": "float64"}
    ), seasons

"""The GTFS reader behind :func:`planner.io.transit.read_gtfs`.

Private helpers of :mod:`planner.io.transit`: the feed's files in a zip or folder
(:class:`_Feed`), and :func:`_read_gtfs`, which reads stops, routes, the calendar, trips,
stop times (filling and interpolating missing times), patterns and frequencies into the
:class:`~planner.io.transit._common.FeedParts` the public module turns into a
:class:`~planner.io.transit.TransitFeed`.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pyproj import CRS

from planner.errors import (
    ColumnError,
    EmptyFileError,
    InputFileError,
    InvalidValueError,
    MissingFileError,
    TransitError,
)
from planner.io._tables import check_unique, decode_text, points_from_lonlat, sheet_row, to_number
from planner.io.crs import StudyArea
from planner.io.transit._common import (
    WEEKDAYS,
    FeedParts,
    PathArg,
    _dropped_frame,
    _text_ids,
    format_time_s,
)

# Logged under the public module's name, so one logger configures the whole transit reader.
log = logging.getLogger(__name__)

_GTFS_REF = "see https://gtfs.org/schedule/reference/"
_HMS_RE = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")


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


def _read_gtfs(feed: _Feed, *, area: StudyArea | None, crs: CRS | None) -> FeedParts:
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
    return FeedParts(
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

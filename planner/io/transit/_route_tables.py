"""The Chinese route-table reader behind :func:`planner.io.transit.read_route_tables`.

Private helpers of :mod:`planner.io.transit`: the schemas of the three tables
(:data:`LINES_SCHEMA`, :data:`STATIONS_SCHEMA`, :data:`LINE_STATIONS_SCHEMA`, re-exported
there), first/last-bus and headway parsing, and :func:`_read_route_tables`, which joins
lines, stations and stop sequences into the
:class:`~planner.io.transit._common.FeedParts` the public module turns into a
:class:`~planner.io.transit.TransitFeed`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner.errors import ColumnError, EmptyFileError, InvalidValueError, TransitError
from planner.io._tables import (
    ColumnSpec,
    Schema,
    check_unique,
    points_from_lonlat,
    read_table,
    sheet_row,
    to_number,
)
from planner.io.crs import StudyArea
from planner.io.transit._common import (
    DAY_S,
    WEEKDAYS,
    FeedParts,
    TableArg,
    _dropped_frame,
    _text_ids,
)

# Logged under the public module's name, so one logger configures the whole transit reader.
log = logging.getLogger(__name__)

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


#: Markup left in exported stop names by the operator's web pages ("[h2]APEC芝罘科技园") and
#: its announcements' pinyin of a character read otherwise ("金地[=di4]格林世界": 343 of
#: Yantai's stop records).
_MARKUP = re.compile(
    r"\[/?[A-Za-z][A-Za-z0-9]{0,5}\]|</?[A-Za-z][A-Za-z0-9]{0,5}>|\[=[A-Za-z]{1,6}[0-5]?\]"
)


def _clean_stop_names(names: pd.Series, label: str | Path) -> pd.Series:
    """Stop names without web markup tags (``[h2]``, ``<b>``) or pinyin (``[=di4]``),
    counted in a warning.

    >>> _clean_stop_names(pd.Series(["[h2]APEC芝罘科技园", "金地[=di4]格林世界", None]),
    ...                   "s.csv").tolist()
    ['APEC芝罘科技园', '金地格林世界', None]
    """
    text = names.astype("string")
    tagged = text.str.contains(_MARKUP, na=False)
    if not tagged.any():
        return names
    log.warning(
        "%s: %d stop name(s) hold web markup, removed (e.g. %r)",
        label,
        int(tagged.sum()),
        str(text[tagged].iloc[0]),
    )
    cleaned = text.str.replace(_MARKUP, "", regex=True).str.strip()
    return cleaned.astype(object).where(names.notna(), None)


def _read_route_tables(
    lines: TableArg,
    stations: TableArg,
    line_stations: TableArg,
    *,
    coords: str,
    area: StudyArea | None,
    crs: CRS | None,
    headway_min: float,
    summer_months: Iterable[int],
    columns: Mapping[str, Mapping[str, str]] | None,
    on_unknown_stop: Literal["error", "drop"],
    on_unknown_line: Literal["error", "drop"],
    agency: str | None,
) -> FeedParts:
    """Read the three tables; see :func:`planner.io.transit.read_route_tables`."""
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
        _clean_stop_names(st_used["station_name"], stn_label)
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
    return FeedParts(
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

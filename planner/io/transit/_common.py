"""Pieces shared by :mod:`planner.io.transit` and its two private readers.

Holds the argument types, :data:`DAY_S` and :data:`WEEKDAYS`, the clock-time functions
:func:`parse_time_s` and :func:`format_time_s` (re-exported by :mod:`planner.io.transit`),
the id-column cleaner :func:`_text_ids`, the frame of dropped rows, and
:class:`FeedParts`, the fields of a :class:`~planner.io.transit.TransitFeed` that
:mod:`planner.io.transit._gtfs` and :mod:`planner.io.transit._route_tables` return for the public module
to assemble (they cannot import it: it imports them).
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from planner.errors import InvalidValueError
from planner.io._tables import sheet_row

PathArg = str | PathLike[str]
TableArg = PathArg | pd.DataFrame
TimeArg = int | float | str

DAY_S = 86_400
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class FeedParts(TypedDict):
    """The fields of a :class:`~planner.io.transit.TransitFeed`, as a reader returns them."""

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
    seasons: NotRequired[dict[str, tuple[int, ...]]]
    dropped: pd.DataFrame
    path: str


# --- Times ---------------------------------------------------------------------------------

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


def _dropped_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["file", "row", "id", "reason"]).astype({"row": "int64"})

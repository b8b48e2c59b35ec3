"""Which street edges each mode may use, in which direction, at what speed.

The rules of :mod:`planner.network.streets` (see its docstring) as a table function,
:func:`mode_edges`, apart from graph building so that :mod:`planner.network.graph` can use it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from planner import settings
from planner.errors import InvalidValueError, ModeError

__all__ = ["MODES", "mode_edges"]

MODES: tuple[str, ...] = ("walk", "ebike", "drive")

_NO = {"no", "private"}
_YES = {"yes", "designated", "permissive", "destination"}
_NOT_WALK = {"motorway", "motorway_link"}
_NOT_BIKE = {"motorway", "motorway_link", "steps", "bridleway", "bus_guideway", "busway"}
_BIKE_ONLY_IF_ALLOWED = {"footway", "pedestrian"}


def _col(streets: pd.DataFrame, name: str) -> pd.Series:
    if name in streets:
        return streets[name].astype("string").str.strip().str.lower().fillna("")
    return pd.Series("", index=streets.index, dtype="string")


def mode_edges(
    streets: pd.DataFrame,
    mode: str,
    *,
    speed_kmh: float | None = None,
    drive_speeds_kmh: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Directed edges of ``mode``: columns ``u``, ``v`` (node ids), ``length_m``, ``time_s``.

    Parameters
    ----------
    streets
        Street edges with OSM tags (see module docstring).
    mode
        ``"walk"``, ``"ebike"`` or ``"drive"``.
    speed_kmh
        Walking or e-bike speed; defaults from :mod:`planner.settings`.
    drive_speeds_kmh
        Class speeds for driving, overriding :data:`planner.settings.DRIVE_SPEEDS_KMH`.
    """
    if mode not in MODES:
        raise ModeError(f"unknown travel mode {mode!r}", fix=f"use one of: {', '.join(MODES)}")
    for c in ("u", "v", "length_m"):
        if c not in streets:
            raise InvalidValueError(f"street edges have no '{c}' column", column=c)
    length = pd.to_numeric(streets["length_m"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(length) | (length < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(
            f"edge {streets['u'].iloc[i]} -> {streets['v'].iloc[i]} has length {length[i]} "
            f"({int(bad.sum())} edge(s) with a missing or negative length)",
            column="length_m",
            fix="recompute the lengths from the geometry",
        )
    hw = _col(streets, "highway").replace({"unknown": "", "nan": ""})
    untagged = hw == ""
    hw = hw.where(~untagged, "unclassified")
    access = _col(streets, "access")
    oneway = _col(streets, "oneway").replace(
        {"true": "yes", "1": "yes", "reverse": "-1", "false": "no", "0": "no"}
    )
    if mode == "walk":
        foot = _col(streets, "foot")
        allowed = foot.isin(_YES) | (
            ~hw.isin(_NOT_WALK) & ~foot.isin(_NO | {"use_sidepath"}) & ~access.isin(_NO)
        )
        forward = backward = allowed
        speed = np.full(len(streets), (speed_kmh or settings.WALK_SPEED_KMH) / 3.6)
    elif mode == "ebike":
        bike = _col(streets, "bicycle")
        ow_bike = _col(streets, "oneway_bicycle")
        ok_class = ~hw.isin(_NOT_BIKE) & (~hw.isin(_BIKE_ONLY_IF_ALLOWED) | bike.isin(_YES))
        allowed = bike.isin(_YES) | (
            ok_class & ~bike.isin(_NO | {"dismount", "use_sidepath"}) & ~access.isin(_NO)
        )
        allowed &= ~hw.isin({"motorway", "motorway_link"})
        ow = oneway.where(ow_bike == "", ow_bike.replace({"true": "yes", "1": "yes"}))
        forward = allowed & (ow != "-1")
        backward = allowed & (ow.isin({"no", ""}) | (ow == "-1"))
        speed = np.full(len(streets), (speed_kmh or settings.EBIKE_SPEED_KMH) / 3.6)
    else:
        mv = _col(streets, "motor_vehicle")
        speeds = {**settings.DRIVE_SPEEDS_KMH, **(drive_speeds_kmh or {})}
        allowed = hw.isin(list(speeds)) & (mv.isin(_YES) | (~mv.isin(_NO) & ~access.isin(_NO)))
        implied = hw.isin({"motorway"}) | (_col(streets, "junction") == "roundabout")
        ow = oneway.where(~(implied & (oneway == "")), "yes")
        forward = allowed & (ow != "-1")
        backward = allowed & ~ow.isin({"yes", "-1"}) | (allowed & (ow == "-1"))
        class_kmh = hw.map(speeds).astype(float).to_numpy()
        if "maxspeed_kmh" in streets:
            tagged = pd.to_numeric(streets["maxspeed_kmh"], errors="coerce").to_numpy(dtype=float)
            tagged = np.where(tagged > 0, tagged * settings.MAXSPEED_FACTOR, np.nan)
        else:
            tagged = np.full(len(streets), np.nan)
        speed = np.where(np.isfinite(tagged), tagged, class_kmh) / 3.6
    f = forward.to_numpy(dtype=bool)
    b = backward.to_numpy(dtype=bool)
    u = streets["u"].to_numpy()
    v = streets["v"].to_numpy()
    out = pd.DataFrame(
        {
            "u": np.concatenate([u[f], v[b]]),
            "v": np.concatenate([v[f], u[b]]),
            "length_m": np.concatenate([length[f], length[b]]),
            "time_s": np.concatenate([length[f] / speed[f], length[b] / speed[b]]),
        }
    )
    return out

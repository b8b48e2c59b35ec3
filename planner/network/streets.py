"""Per-mode street graphs (walk, e-bike, drive) with travel times, from OSM street edges.

The input is the ``streets`` GeoDataFrame of :func:`planner.io.osm.read_osm` (or
:func:`planner.io.osm.read_edge_list`): one row per edge between graph nodes with
``u``, ``v``, ``highway``, ``oneway`` ("yes" / "no" / "-1"), ``maxspeed_kmh``,
``access``, ``foot``, ``bicycle``, ``motor_vehicle``, ``oneway_bicycle``, ``length_m``.

Rules per mode (OSM access semantics, China defaults):

walk
    Every way except motorways (no pedestrians on 高速公路) and ways tagged foot=no /
    access=no|private (unless foot=yes|designated|permissive); both directions; at
    :data:`planner.settings.WALK_SPEED_KMH`.
ebike
    Bicycle-legal ways: not motorways, steps or bridleways; footways and pedestrian
    streets only with bicycle=yes|designated|permissive; not bicycle=no|dismount|
    use_sidepath; oneway respected unless ``oneway:bicycle=no``; at
    :data:`planner.settings.EBIKE_SPEED_KMH`.
drive
    Classes in :data:`planner.settings.DRIVE_SPEEDS_KMH`; not motor_vehicle=no or
    access=no|private; oneway respected; tagged maxspeed × MAXSPEED_FACTOR, else the
    class speed.

Edges with no tags (an untagged road edge list) count as ``unclassified`` roads open to
every mode. Only the largest strongly connected part is kept per mode; what was dropped
is logged and recorded in the graph's ``notes``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components

from planner import settings
from planner.errors import EmptyFileError, InvalidValueError, ModeError
from planner.network.graph import TravelGraph

__all__ = ["MODES", "build_mode_graph", "build_mode_graphs", "mode_edges"]

log = logging.getLogger(__name__)

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


def build_mode_graph(
    streets: gpd.GeoDataFrame,
    nodes: gpd.GeoDataFrame,
    mode: str,
    *,
    speed_kmh: float | None = None,
    drive_speeds_kmh: Mapping[str, float] | None = None,
    keep_largest: bool = True,
) -> TravelGraph:
    """Build the travel-time graph of one mode.

    Parameters
    ----------
    streets
        Street edges (see module docstring), in a projected CRS.
    nodes
        Graph nodes with ``osmid`` and point geometry in the same CRS.
    mode
        ``"walk"``, ``"ebike"`` or ``"drive"``.
    keep_largest
        Keep only the largest strongly connected component (default), reporting the rest.

    Raises
    ------
    EmptyFileError
        No street edge is usable by ``mode``.
    """
    if len(streets) == 0 or len(nodes) == 0:
        raise EmptyFileError(
            "the street network is empty (no edges or no nodes)",
            fix="check the road input covers the study area",
        )
    edges = mode_edges(streets, mode, speed_kmh=speed_kmh, drive_speeds_kmh=drive_speeds_kmh)
    if len(edges) == 0:
        raise EmptyFileError(
            f"no street can be used by mode '{mode}'",
            fix="check the road input's highway and access tags",
        )
    node_ids = nodes["osmid"].to_numpy()
    used = np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]))
    known = np.isin(used, node_ids)
    if not known.all():
        raise InvalidValueError(
            f"street edges name {int((~known).sum())} node(s) missing from the nodes table, "
            f"e.g. {used[~known][0]}",
            column="u",
            fix="pass the nodes returned with the streets",
        )
    nodes_used = nodes.set_index("osmid").loc[used]
    pos_u = np.searchsorted(used, edges["u"].to_numpy())
    pos_v = np.searchsorted(used, edges["v"].to_numpy())
    x = nodes_used.geometry.x.to_numpy()
    y = nodes_used.geometry.y.to_numpy()
    notes: list[str] = []
    if keep_largest:
        n = len(used)
        g = TravelGraph.from_edges(mode, used, x, y, pos_u, pos_v, edges["time_s"], crs=nodes.crs)
        n_comp, labels = connected_components(g.matrix, directed=True, connection="strong")
        if n_comp > 1:
            sizes = np.bincount(labels)
            big = int(np.argmax(sizes))
            keep = labels == big
            dropped = int(n - keep.sum())
            note = (
                f"{mode}: kept the largest strongly connected part ({int(keep.sum()):,} of "
                f"{n:,} nodes); dropped {dropped:,} node(s) in {n_comp - 1:,} smaller part(s)"
            )
            log.info(note)
            notes.append(note)
            new_pos = np.cumsum(keep) - 1
            e_keep = keep[pos_u] & keep[pos_v]
            return TravelGraph.from_edges(
                mode,
                used[keep],
                x[keep],
                y[keep],
                new_pos[pos_u[e_keep]],
                new_pos[pos_v[e_keep]],
                edges["time_s"].to_numpy()[e_keep],
                crs=nodes.crs,
                notes=tuple(notes),
            )
        return g
    return TravelGraph.from_edges(
        mode, used, x, y, pos_u, pos_v, edges["time_s"], crs=nodes.crs, notes=tuple(notes)
    )


def build_mode_graphs(
    streets: gpd.GeoDataFrame,
    nodes: gpd.GeoDataFrame,
    modes: Sequence[str] = MODES,
    **options: Any,
) -> dict[str, TravelGraph]:
    """Build the graph of each mode in ``modes`` (see :func:`build_mode_graph`)."""
    return {m: build_mode_graph(streets, nodes, m, **options) for m in modes}

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

from planner.network._modes import MODES, mode_edges
from planner.network.graph import TravelGraph

__all__ = ["MODES", "build_mode_graph", "build_mode_graphs", "mode_edges"]

log = logging.getLogger(__name__)


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
    return TravelGraph.from_streets(
        streets,
        nodes,
        mode,
        speed_kmh=speed_kmh,
        drive_speeds_kmh=drive_speeds_kmh,
        keep_largest=keep_largest,
    )


def build_mode_graphs(
    streets: gpd.GeoDataFrame,
    nodes: gpd.GeoDataFrame,
    modes: Sequence[str] = MODES,
    **options: Any,
) -> dict[str, TravelGraph]:
    """Build the graph of each mode in ``modes`` (see :func:`build_mode_graph`)."""
    return {m: build_mode_graph(streets, nodes, m, **options) for m in modes}

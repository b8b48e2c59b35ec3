"""Snapping points (demand cells, markets, stops) to the nearest node of a mode graph.

The off-network leg from the point to its node is walked at
:data:`planner.settings.WALK_SPEED_KMH` (straight line, times the graph's
``access_circuity``). A point farther than
``max_snap_m`` from every node is *unreachable* by that mode: it gets position
``-1`` and an infinite offset, and the count is logged — it is never snapped
across a river or a motorway to a node hundreds of metres away.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from scipy.spatial import cKDTree

from planner import settings
from planner.errors import CRSError, InvalidValueError
from planner.network.graph import TravelGraph

__all__ = ["Snapped", "snap_points"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapped:
    """Where each point joins a graph.

    Attributes
    ----------
    position
        Graph node position of each point, ``-1`` when unreachable.
    distance_m
        Straight-line distance to that node (``inf`` when unreachable or empty geometry).
    offset_s
        Seconds walked from the point to the node (``inf`` when unreachable).
    """

    position: NDArray[np.int64]
    distance_m: NDArray[np.float64]
    offset_s: NDArray[np.float64]
    max_snap_m: float

    @property
    def reachable(self) -> NDArray[np.bool_]:
        return self.position >= 0

    @property
    def n_unreachable(self) -> int:
        return int((~self.reachable).sum())


def snap_points(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    graph: TravelGraph,
    *,
    max_snap_m: float = settings.MAX_SNAP_M,
    walk_speed_kmh: float = settings.WALK_SPEED_KMH,
    what: str = "points",
    first_nodes: int | None = None,
    quiet: bool = False,
) -> Snapped:
    """Snap points to the nearest node of ``graph``.

    Parameters
    ----------
    points
        Points (or any geometries: their centroids are used) in the graph's projected CRS.
    graph
        The mode graph.
    max_snap_m
        Largest allowed distance to a node (raised to the graph's own
        :attr:`~planner.network.graph.TravelGraph.max_snap_m` when it has one).
    walk_speed_kmh
        Speed of the off-network leg.
    what
        Name used in the log message ("demand cells", "markets" …).
    first_nodes
        Snap only to the first ``first_nodes`` nodes: in a bus graph these are the walk
        nodes (nobody starts a trip on board a bus).
    quiet
        Log the unreachable count at INFO instead of WARNING (for callers that report it
        themselves, e.g. in :attr:`planner.analysis.coverage.Coverage.notes`).
    """
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if graph.crs is not None and geoms.crs is not None and CRS(geoms.crs) != CRS(graph.crs):
        raise CRSError(
            f"{what} are in {geoms.crs.name} but the {graph.mode} graph is in {graph.crs.name}",
            fix="reproject the points to the graph's CRS (GeoDataFrame.to_crs)",
        )
    if max_snap_m < 0 or walk_speed_kmh <= 0:
        raise InvalidValueError(
            f"max_snap_m must be >= 0 and walk_speed_kmh > 0, got {max_snap_m}, {walk_speed_kmh}"
        )
    if graph.max_snap_m is not None:
        max_snap_m = max(max_snap_m, graph.max_snap_m)
    n = len(geoms)
    position = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.inf)
    valid = ~(geoms.isna() | geoms.is_empty).to_numpy()
    k = graph.n_nodes if first_nodes is None else min(first_nodes, graph.n_nodes)
    if k and valid.any():
        arr = np.asarray(geoms.values)[valid]
        if not (shapely.get_type_id(arr) == 0).all():  # points are their own centroids
            arr = shapely.centroid(arr)
        tree = cKDTree(np.column_stack([graph.x[:k], graph.y[:k]]))
        d, i = tree.query(
            np.column_stack([shapely.get_x(arr), shapely.get_y(arr)]),
            distance_upper_bound=max_snap_m,
        )
        ok = np.isfinite(d)
        idx = np.flatnonzero(valid)
        position[idx[ok]] = i[ok]
        distance[idx[ok]] = d[ok]
    offset = distance * graph.access_circuity / (walk_speed_kmh / 3.6)
    snapped = Snapped(
        position=position, distance_m=distance, offset_s=offset, max_snap_m=max_snap_m
    )
    if snapped.n_unreachable:
        log.log(
            logging.INFO if quiet else logging.WARNING,
            "%d of %d %s are more than %.0f m from the %s network (or have no geometry): "
            "unreachable by %s",
            snapped.n_unreachable,
            n,
            what,
            max_snap_m,
            graph.mode,
            graph.mode,
        )
    return snapped

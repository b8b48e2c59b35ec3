"""Snapping points to graph nodes (planner/network/snapping.py)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner import settings
from planner.errors import CRSError
from planner.network.graph import TravelGraph
from planner.network.snapping import snap_points


def _graph() -> TravelGraph:
    # three nodes on a line at x = 0, 100, 1000
    return TravelGraph.from_edges(
        "walk",
        [7, 8, 9],
        [0.0, 100.0, 1000.0],
        [0.0, 0.0, 0.0],
        [0, 1, 1, 2],
        [1, 0, 2, 1],
        [80.0, 80.0, 720.0, 720.0],
        crs=32651,
    )


def test_snap_to_nearest_node_with_walking_offset(caplog: pytest.LogCaptureFixture) -> None:
    pts = gpd.GeoSeries(
        [
            shapely.Point(30, 40),
            shapely.Point(90, 0),
            shapely.Point(550, 0),
            shapely.Point(1000, 700),
            None,
        ],
        crs=32651,
    )
    s = snap_points(pts, _graph(), max_snap_m=500, what="cells")
    # by hand: (30,40) is 50 m from node 0; (90,0) 10 m from node 1; (550,0) is 450 m from
    # both node 1 and node 2 (either is right); (1000,700) is 700 m away: unreachable.
    assert s.position[0] == 0 and s.distance_m[0] == pytest.approx(50.0)
    assert s.position[1] == 1 and s.distance_m[1] == pytest.approx(10.0)
    assert s.position[2] in (1, 2) and s.distance_m[2] == pytest.approx(450.0)
    assert s.position[3] == -1 and np.isinf(s.offset_s[3])
    assert s.position[4] == -1
    assert s.offset_s[0] == pytest.approx(50.0 / (settings.WALK_SPEED_KMH / 3.6))
    assert s.n_unreachable == 2
    assert "2 of 5 cells are more than 500 m from the walk network" in caplog.text


def test_snap_rejects_other_crs() -> None:
    pts = gpd.GeoSeries([shapely.Point(121.4, 37.5)], crs=4326)
    with pytest.raises(CRSError, match="points are in WGS 84 but the walk graph is in"):
        snap_points(pts, _graph())


def test_snap_only_to_the_first_nodes() -> None:
    # nodes 0, 1 are walk nodes; node 2 (x = 1000) stands for a ride node of a bus graph
    pts = gpd.GeoSeries([shapely.Point(990, 0)], crs=32651)
    assert snap_points(pts, _graph(), max_snap_m=2000).position.tolist() == [2]
    s = snap_points(pts, _graph(), max_snap_m=2000, first_nodes=2)
    assert s.position.tolist() == [1] and s.distance_m[0] == pytest.approx(890.0)

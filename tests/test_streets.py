"""Per-mode street graphs (planner/network/streets.py), checked on a hand-made network."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from planner import settings
from planner.errors import EmptyFileError, InvalidValueError, ModeError
from planner.network.streets import build_mode_graph, mode_edges

#   1 ──a── 2 ──b── 3          a: residential, two-way, 100 m
#           │       │          b: primary, oneway 2→3, maxspeed 60, 200 m
#           c       d          c: footway 2–4, 50 m (bicycle=yes)
#           │       │          d: secondary, oneway=-1 (travel 5→3), oneway:bicycle=no, 120 m
#           4       5 ──e── 6  e: motorway 5→6 (oneway implied), 1000 m
#                              f: residential 4–5, access=private, 80 m
ROWS = [
    # u, v, highway, oneway, maxspeed, access, foot, bicycle, oneway_bicycle, length
    (1, 2, "residential", "no", np.nan, "", "", "", "", 100.0),
    (2, 3, "primary", "yes", 60.0, "", "", "", "", 200.0),
    (2, 4, "footway", "no", np.nan, "", "", "yes", "", 50.0),
    (3, 5, "secondary", "-1", np.nan, "", "", "", "no", 120.0),
    (5, 6, "motorway", "", np.nan, "", "", "", "", 1000.0),
    (4, 5, "residential", "no", np.nan, "private", "", "", "", 80.0),
]
XY = {1: (0, 0), 2: (100, 0), 3: (300, 0), 4: (100, -50), 5: (300, -120), 6: (1300, -120)}


def _streets() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    df = pd.DataFrame(
        ROWS,
        columns=[
            "u",
            "v",
            "highway",
            "oneway",
            "maxspeed_kmh",
            "access",
            "foot",
            "bicycle",
            "oneway_bicycle",
            "length_m",
        ],
    )
    geoms = [shapely.LineString([XY[u], XY[v]]) for u, v in zip(df.u, df.v, strict=True)]
    streets = gpd.GeoDataFrame(df, geometry=geoms, crs=32651)
    nodes = gpd.GeoDataFrame(
        {"osmid": list(XY)}, geometry=[shapely.Point(p) for p in XY.values()], crs=32651
    )
    return streets, nodes


def _pairs(edges: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(edges.u.tolist(), edges.v.tolist(), strict=True))


def test_walk_edges() -> None:
    streets, _ = _streets()
    e = mode_edges(streets, "walk")
    # motorway and private way excluded; everything else both ways
    assert _pairs(e) == {(1, 2), (2, 1), (2, 3), (3, 2), (2, 4), (4, 2), (3, 5), (5, 3)}
    walk_ms = settings.WALK_SPEED_KMH / 3.6
    t = dict(zip(zip(e.u, e.v, strict=True), e.time_s, strict=True))
    assert t[(1, 2)] == pytest.approx(100 / walk_ms)


def test_ebike_edges_respect_oneway_and_bicycle_tags() -> None:
    streets, _ = _streets()
    e = mode_edges(streets, "ebike")
    # b oneway 2→3; footway c allowed by bicycle=yes; d two-way for bikes (oneway:bicycle=no)
    assert _pairs(e) == {(1, 2), (2, 1), (2, 3), (2, 4), (4, 2), (3, 5), (5, 3)}


def test_drive_edges_and_speeds() -> None:
    streets, _ = _streets()
    e = mode_edges(streets, "drive")
    # b 2→3 only; d reversed: 5→3 only; motorway 5→6 only; footway and private excluded
    assert _pairs(e) == {(1, 2), (2, 1), (2, 3), (5, 3), (5, 6)}
    t = dict(zip(zip(e.u, e.v, strict=True), e.time_s, strict=True))
    assert t[(2, 3)] == pytest.approx(200 / (60 * settings.MAXSPEED_FACTOR / 3.6))
    assert t[(5, 3)] == pytest.approx(120 / (settings.DRIVE_SPEEDS_KMH["secondary"] / 3.6))
    assert t[(1, 2)] == pytest.approx(100 / (settings.DRIVE_SPEEDS_KMH["residential"] / 3.6))


def test_largest_strongly_connected_part_is_kept_and_reported() -> None:
    streets, nodes = _streets()
    g = build_mode_graph(streets, nodes, "drive")
    # drive SCCs: {1,2} (2→3 has no way back), {3}, {5}, {6}: the largest is {1, 2}
    assert sorted(g.node_ids.tolist()) == [1, 2]
    assert "dropped 3 node(s) in 3 smaller part(s)" in g.notes[0]
    # the kept part agrees with networkx's own largest SCC of the same directed edges
    ref = nx.DiGraph(list(_pairs(mode_edges(streets, "drive"))))
    assert set(g.node_ids.tolist()) == max(nx.strongly_connected_components(ref), key=len)
    walk = build_mode_graph(streets, nodes, "walk")
    assert sorted(walk.node_ids.tolist()) == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(walk.x, [XY[k][0] for k in walk.node_ids.tolist()])


def test_bad_inputs() -> None:
    streets, nodes = _streets()
    with pytest.raises(ModeError, match=r"unknown travel mode 'taxi'. Fix: use one of: walk"):
        mode_edges(streets, "taxi")
    bad = streets.copy()
    bad.loc[2, "length_m"] = -1.0
    with pytest.raises(InvalidValueError, match=r"edge 2 -> 4 has length -1.0"):
        mode_edges(bad, "walk")
    bad.loc[2, "length_m"] = np.nan
    with pytest.raises(InvalidValueError, match="missing or negative length"):
        mode_edges(bad, "walk")
    with pytest.raises(EmptyFileError, match="street network is empty"):
        build_mode_graph(streets.iloc[:0], nodes, "walk")
    only_motorway = streets[streets.highway == "motorway"]
    with pytest.raises(EmptyFileError, match="no street can be used by mode 'walk'"):
        build_mode_graph(only_motorway, nodes, "walk")

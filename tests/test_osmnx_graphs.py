"""osmnx graphs in (TravelGraph.from_osmnx) and travel times out as tables (to_frame)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from pyproj import CRS, Transformer

from planner import settings
from planner.errors import CRSError, InvalidValueError
from planner.network.graph import TravelGraph
from planner.network.traveltime import travel_times


def _osmnx_like() -> nx.MultiDiGraph:
    """What osmnx.graph_from_* returns, unprojected: lon/lat nodes, lengths in metres,
    two-way streets as two directed edges, a simplified edge with a list-valued highway."""
    g = nx.MultiDiGraph(crs="EPSG:4326")
    lonlat = {
        1: (121.400, 37.500),
        2: (121.410, 37.500),
        3: (121.420, 37.500),
        4: (121.410, 37.510),
    }
    for k, (x, y) in lonlat.items():
        g.add_node(k, x=x, y=y)
    # 1 <-> 2: two-way residential, 885 m
    g.add_edge(1, 2, length=885.0, highway="residential", oneway=False)
    g.add_edge(2, 1, length=885.0, highway="residential", oneway=False)
    # 2 -> 3: one-way primary with a maxspeed, 885 m
    g.add_edge(2, 3, length=885.0, highway="primary", oneway=True, maxspeed="40")
    # 2 <-> 4: a simplified edge, highway ["tertiary", "residential"] (fastest: tertiary)
    g.add_edge(2, 4, length=1112.0, highway=["residential", "tertiary"], oneway=False)
    g.add_edge(4, 2, length=1112.0, highway=["residential", "tertiary"], oneway=False)
    # 3 -> 4: a motorway (no walking, no e-bikes)
    g.add_edge(3, 4, length=1400.0, highway="motorway", oneway=True)
    return g


def _nx_times(edges: list[tuple[int, int, float]], source: int) -> dict[int, float]:
    h = nx.DiGraph()
    for u, v, t in edges:
        if not h.has_edge(u, v) or h[u][v]["t"] > t:
            h.add_edge(u, v, t=t)
    return nx.single_source_dijkstra_path_length(h, source, weight="t")


def _times_from(graph: TravelGraph, source: int) -> dict[int, float]:
    pos = int(np.flatnonzero(graph.node_ids == source)[0])
    tt = travel_times(graph, [pos], np.arange(graph.n_nodes), cutoff_s=1e9)
    return {int(graph.node_ids[j]): float(t) for _, j, t in zip(*tt.pairs(), strict=True)}


def test_walk_equals_networkx_at_walking_speed() -> None:
    g = TravelGraph.from_osmnx(_osmnx_like(), mode="walk")
    ms = settings.WALK_SPEED_KMH / 3.6
    # walking ignores oneway, not the motorway
    e = [(1, 2, 885 / ms), (2, 1, 885 / ms), (2, 3, 885 / ms), (3, 2, 885 / ms),
         (2, 4, 1112 / ms), (4, 2, 1112 / ms)]  # fmt: skip
    assert _times_from(g, 1) == pytest.approx(_nx_times(e, 1))
    assert g.crs is not None and g.crs.is_projected and CRS(g.crs).to_epsg() == 32651


def test_drive_respects_oneway_list_tags_and_maxspeed() -> None:
    g = TravelGraph.from_osmnx(_osmnx_like(), mode="drive", keep_largest=False)
    sp = settings.DRIVE_SPEEDS_KMH
    res = sp["residential"] / 3.6
    ter = sp["tertiary"] / 3.6
    mot = sp["motorway"] / 3.6
    pri = 40 * settings.MAXSPEED_FACTOR / 3.6
    e = [(1, 2, 885 / res), (2, 1, 885 / res), (2, 3, 885 / pri), (2, 4, 1112 / ter),
         (4, 2, 1112 / ter), (3, 4, 1400 / mot)]  # fmt: skip
    assert _times_from(g, 1) == pytest.approx(_nx_times(e, 1))
    # from 3 only the motorway leads on (3 -> 4 -> 2 -> 1): one-way 2 -> 3 is not driven back
    assert _times_from(g, 3) == pytest.approx(_nx_times(e, 3))


def test_projected_to_the_given_crs() -> None:
    g = TravelGraph.from_osmnx(_osmnx_like(), mode="walk", crs="EPSG:4547")
    x, y = Transformer.from_crs(4326, 4547, always_xy=True).transform(121.4, 37.5)
    i = int(np.flatnonzero(g.node_ids == 1)[0])
    assert (g.x[i], g.y[i]) == pytest.approx((x, y))


def test_bad_osmnx_graphs() -> None:
    g = _osmnx_like()
    del g.graph["crs"]
    with pytest.raises(CRSError, match=r"no crs \(G.graph\['crs'\]\)"):
        TravelGraph.from_osmnx(g, mode="walk")
    g = _osmnx_like()
    g.graph["crs"] = "EPSG:32651"  # degrees labelled as UTM metres
    with pytest.raises(CRSError, match="look like degrees"):
        TravelGraph.from_osmnx(g, mode="walk")
    with pytest.raises(CRSError, match="geographic"):
        TravelGraph.from_osmnx(_osmnx_like(), mode="walk", crs="EPSG:4326")
    g = _osmnx_like()
    del g[1][2][0]["length"]
    with pytest.raises(InvalidValueError, match=r"edge \(1, 2\) has no 'length'"):
        TravelGraph.from_osmnx(g, mode="walk")


def test_to_frame_lists_the_reachable_pairs() -> None:
    g = TravelGraph.from_osmnx(_osmnx_like(), mode="walk")
    tt = travel_times(g, [0, 1], np.arange(g.n_nodes), cutoff_s=800.0)
    df = tt.to_frame(["A", "B"], [f"n{i}" for i in g.node_ids])
    dense = tt.to_dense()
    assert len(df) == int(np.isfinite(dense).sum())
    for r in df.itertuples():
        i = ["A", "B"].index(r.source)
        j = [f"n{k}" for k in g.node_ids].index(r.target)
        assert r.time_s == dense[i, j]
    with pytest.raises(InvalidValueError, match="one id per row"):
        tt.to_frame(["A"], None)

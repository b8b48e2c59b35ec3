"""Travel times on the demo region's real-format inputs, checked against networkx.

The demo county is written through planner.demo (OSM pbf + GTFS), read back through the
readers, turned into mode graphs and a bus layer, and searched with the engine; networkx
runs Dijkstra on the very same graphs as the independent reference.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from planner.demo import write_demo_inputs
from planner.io.osm import read_osm
from planner.io.transit import read_gtfs
from planner.io.vector import read_study_area
from planner.network.graph import TravelGraph
from planner.network.snapping import snap_points
from planner.network.streets import build_mode_graphs
from planner.network.transit import build_bus_graph
from planner.network.traveltime import travel_times


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("demo")
    files = write_demo_inputs(out, seed=7, scale=0.3)
    area = read_study_area(files.boundary, coords="gcj02")
    osm = read_osm(files.roads, area=area)
    graphs = build_mode_graphs(osm.streets, osm.nodes)
    feed = read_gtfs(files.gtfs, area=area)
    return {"area": area, "osm": osm, "graphs": graphs, "feed": feed}


def _check_against_networkx(g: TravelGraph, cutoff_s: float, n_sources: int, seed: int) -> int:
    rng = np.random.default_rng(seed)
    sources = rng.choice(g.n_nodes, size=n_sources, replace=False)
    got = travel_times(g, sources, cutoff_s=cutoff_s).to_dense()
    nxg = g.to_networkx()
    pairs = 0
    for row, s in enumerate(sources):
        ref = nx.single_source_dijkstra_path_length(
            nxg, g.node_ids[s], cutoff=cutoff_s, weight="time_s"
        )
        reached = np.isfinite(got[row])
        assert reached.sum() == len(ref)
        ids = g.node_ids[reached]
        np.testing.assert_allclose(got[row][reached], [ref[k] for k in ids.tolist()], atol=1e-6)
        pairs += len(ref)
    return pairs


@pytest.mark.parametrize(("mode", "cutoff_min"), [("walk", 15), ("ebike", 30), ("drive", 30)])
def test_demo_mode_graphs_equal_networkx(
    demo: dict[str, object], mode: str, cutoff_min: float
) -> None:
    graphs = demo["graphs"]
    assert isinstance(graphs, dict)
    pairs = _check_against_networkx(graphs[mode], cutoff_min * 60.0, n_sources=15, seed=1)
    assert pairs > 15  # the searches really reached beyond their sources


def test_demo_bus_layer_equals_networkx_and_helps(demo: dict[str, object]) -> None:
    graphs = demo["graphs"]
    assert isinstance(graphs, dict)
    walk = graphs["walk"]
    layer = build_bus_graph(demo["feed"], walk, date="2024-03-05")  # type: ignore[arg-type]
    g = layer.graph
    # the walk graph sits unchanged at the start of the bus graph
    assert np.array_equal(g.node_ids[: walk.n_nodes].astype(np.int64), walk.node_ids)
    _check_against_networkx(g, 45 * 60.0, n_sources=5, seed=2)
    # from the street node nearest each bus stop, the bus layer reaches strictly more of the
    # walk network within 30 minutes than walking alone, for at least one stop
    stops = demo["feed"].stops  # type: ignore[attr-defined]
    snapped = snap_points(stops, walk)
    src = np.unique(snapped.position[snapped.reachable])[:20]
    by_walk = travel_times(walk, src, cutoff_s=1800).matrix
    by_bus = travel_times(g, src, np.arange(walk.n_nodes), cutoff_s=1800).matrix
    assert (np.diff(by_bus.indptr) >= np.diff(by_walk.indptr)).all()
    assert (np.diff(by_bus.indptr) > np.diff(by_walk.indptr)).any()

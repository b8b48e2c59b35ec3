"""The bus layer (planner/network/transit.py): walk graph + bus patterns with waits."""

from __future__ import annotations

import zipfile
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

from planner import settings
from planner.errors import TransitError
from planner.io.crs import StudyArea
from planner.io.transit import read_gtfs, read_route_tables
from planner.network.graph import TravelGraph
from planner.network.transit import build_bus_graph

UTM = 32651
X0, Y0 = 500_000.0, 4_150_000.0  # UTM 51N, near Yantai
WALK_MS = settings.WALK_SPEED_KMH / 3.6


def _walk() -> TravelGraph:
    # five nodes 1 km apart on a line, walked both ways
    x = X0 + np.arange(5) * 1000.0
    u = [0, 1, 2, 3, 1, 2, 3, 4]
    v = [1, 2, 3, 4, 0, 1, 2, 3]
    return TravelGraph.from_edges(
        "walk", np.arange(5) + 100, x, np.full(5, Y0), u, v, np.full(8, 1000.0 / WALK_MS), crs=UTM
    )


def _gtfs(tmp_path: Path) -> Path:
    to_ll = Transformer.from_crs(UTM, 4326, always_xy=True)
    stops = []
    for sid, k in (("S1", 0), ("S2", 2), ("S3", 4)):
        lon, lat = to_ll.transform(X0 + 1000.0 * k, Y0)
        stops.append(f"{sid},{sid},{lat:.9f},{lon:.9f}")
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,A,http://a,Asia/Shanghai\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n" + "\n".join(stops) + "\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_type\nR1,A,1,3\nR2,A,2,3\n",
        "trips.txt": "route_id,service_id,trip_id,direction_id\nR1,D,T1,0\nR2,D,T2,0\n",
        "stop_times.txt": (
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
            "T1,05:00:00,05:00:00,S1,1\nT1,05:05:00,05:05:00,S2,2\nT1,05:10:00,05:10:00,S3,3\n"
            "T2,10:00:00,10:00:00,S3,1\nT2,10:01:00,10:01:00,S1,2\n"
        ),
        # R1 every 10 minutes 05:00-09:00 (24 departures in the window); R2 once at 10:00
        "frequencies.txt": "trip_id,start_time,end_time,headway_secs\nT1,05:00:00,09:00:00,600\n",
        "calendar.txt": (
            "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
            "D,1,1,1,1,1,1,1,20240101,20241231\n"
        ),
    }
    p = tmp_path / "feed.zip"
    with zipfile.ZipFile(p, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return p


def test_hand_worked_bus_trip(tmp_path: Path) -> None:
    feed = read_gtfs(_gtfs(tmp_path), crs=UTM)
    layer = build_bus_graph(feed, _walk(), date="2024-03-04", start="05:00", end="09:00")
    g = layer.graph
    assert layer.n_walk_nodes == 5
    # R2 runs only at 10:00: it is not in the 05:00-09:00 layer (3 stops + 3 ride nodes)
    assert g.n_nodes == 5 + 3 + 3
    assert layer.run_time_source == "timetable"
    times = dijkstra(g.matrix, indices=[0])[0]
    # by hand: node 0 -> S1 (0 m) -> wait half of 14,400 s / 24 departures = 300 s ->
    # ride 300 s + 300 s -> S3 -> node 4 (0 m): 900 s; walking would take 4 km / 1.25 m/s
    assert times[4] == pytest.approx(900.0, abs=1e-3)
    assert times[4] < 4000.0 / WALK_MS
    # node 0 -> node 2: bus 300 + 300 = 600 s beats walking 2 km (1,600 s)
    assert times[2] == pytest.approx(600.0, abs=1e-3)
    # node 0 -> node 1: walking 800 s is faster than bus to S2 and back 1 km (600 + 800)
    assert times[1] == pytest.approx(1000.0 / WALK_MS)
    # and every shortest time equals networkx's on the same graph
    nxg = g.to_networkx()
    ref = nx.single_source_dijkstra_path_length(nxg, g.node_ids[0], weight="time_s")
    for i, k in enumerate(g.node_ids.tolist()):
        assert times[i] == pytest.approx(ref[k], abs=1e-6)


def test_window_without_service(tmp_path: Path) -> None:
    feed = read_gtfs(_gtfs(tmp_path), crs=UTM)
    with pytest.raises(TransitError, match="no bus service between 03:00 and 04:00 on 2024-03-04"):
        build_bus_graph(feed, _walk(), date="2024-03-04", start="03:00", end="04:00")
    # 2025 is past the calendar's end
    with pytest.raises(TransitError, match="calendar covers"):
        build_bus_graph(feed, _walk(), date="2025-03-04")


def test_stop_far_from_walk_network_is_left_out(tmp_path: Path) -> None:
    feed = read_gtfs(_gtfs(tmp_path), crs=UTM)
    walk = _walk()
    short = TravelGraph.from_edges(
        "walk", walk.node_ids[:2], walk.x[:2], walk.y[:2], [0, 1], [1, 0], [800.0, 800.0], crs=UTM
    )
    layer = build_bus_graph(feed, short, date="2024-03-04", max_access_m=500)
    # S2 is 1 km and S3 3 km from the nearest of the two remaining walk nodes
    assert set(layer.unreachable_stops) == {"S2", "S3"}
    assert set(layer.stop_nodes) == {"S1"}


@pytest.mark.realdata
def test_yantai_tables_build_a_working_bus_layer(shared_data: Path) -> None:
    d = shared_data / "yantai-bus"
    area = StudyArea.from_bbox(120.6, 37.1, 122.0, 37.95, name="Yantai")
    feed = read_route_tables(
        d / "yantai_bus_lines.csv",
        d / "yantai_bus_stations.csv",
        d / "yantai_bus_line_stations.csv",
        coords="bd09",
        area=area,
        on_unknown_stop="drop",
    )
    layer = build_bus_graph(feed, None, date="2024-03-04", start="06:00", end="09:00")
    g = layer.graph
    assert layer.run_time_source == "distance at bus speed"
    assert len(layer.headways) > 300  # nearly all 342 line-directions run 06:00-09:00
    # pick the longest running pattern and ride it end to end
    pats = feed.patterns.set_index("pattern_id").loc[layer.headways["pattern_id"]]
    pid = pats["n_stops"].idxmax()
    stops = pats.loc[pid, "stop_ids"]
    xy = feed.stops.set_index("stop_id").loc[stops].geometry
    # independent: hop = straight line × circuity / speed + dwell, summed; plus the wait
    hop = np.hypot(np.diff(xy.x.to_numpy()), np.diff(xy.y.to_numpy()))
    ride = float(
        (
            hop * settings.CIRCUITY_FACTOR / (settings.BUS_SPEED_KMH / 3.6) + settings.BUS_DWELL_S
        ).sum()
    )
    wait = float(layer.headways.set_index("pattern_id").loc[pid, "mean_headway_s"]) / 2
    a, b = layer.stop_nodes[stops[0]], layer.stop_nodes[stops[-1]]
    t = dijkstra(g.matrix, indices=[a])[0]
    # the shortest path can only be as fast or faster (another line or a transfer)
    assert t[b] <= wait + ride + 1e-6
    assert t[b] > 0.3 * ride
    # shortest times agree with networkx on the same graph, from 3 stops
    nxg = g.to_networkx()
    for s in list(layer.stop_nodes)[:3]:
        pos = layer.stop_nodes[s]
        ref = nx.single_source_dijkstra_path_length(nxg, g.node_ids[pos], weight="time_s")
        got = dijkstra(g.matrix, indices=[pos])[0]
        reached = np.isfinite(got)
        assert reached.sum() == len(ref)
        for i in np.flatnonzero(reached)[:2000]:
            assert got[i] == pytest.approx(ref[g.node_ids[i]], abs=1e-6)


def test_a_stop_beside_a_long_street_joins_both_ends_of_it() -> None:
    # A stop 50 m from a 2 km street, 600 m from the nearest junction: it used to be left
    # out (only junctions within 500 m counted); it walks across and along the street.
    from planner.network.graph import TravelGraph
    from planner.network.transit import _stop_access

    ms = 1.25
    walk = TravelGraph.from_edges(
        "walk", [10, 11], [0.0, 2000.0], [0.0, 0.0], [0, 1], [1, 0], [1600.0, 1600.0], crs=32651
    )
    acc = _stop_access(
        walk, np.array([600.0, 2000.0, 600.0]), np.array([50.0, 0.0, 900.0]), 500.0, ms
    )
    assert acc.a.tolist()[:2] == [0, 1] and acc.b.tolist()[:2] == [1, 1]
    assert acc.leg_a[0] == pytest.approx(50 / ms + 0.3 * 1600)  # across, then 600 m back
    assert acc.leg_b[0] == pytest.approx(50 / ms + 0.7 * 1600)  # across, then 1,400 m on
    assert acc.leg_a[1] == 0.0  # on the junction itself
    assert acc.a[2] == -1  # 900 m from the street: left out

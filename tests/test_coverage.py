"""Coverage and gaps (planner/analysis/coverage.py)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from planner.analysis.coverage import TierRule, coverage, coverage_gaps, open_markets
from planner.errors import ColumnError, CRSError, InvalidValueError, ModeError
from planner.io.hours import parse_hours
from planner.network.graph import TravelGraph

UTM = 32651


def _line_graph(mode: str, seconds_per_km: float, n: int = 5) -> TravelGraph:
    x = np.arange(n) * 1000.0
    u = list(range(n - 1)) + list(range(1, n))
    v = list(range(1, n)) + list(range(n - 1))
    return TravelGraph.from_edges(
        mode, np.arange(n), x, np.zeros(n), u, v, np.full(len(u), seconds_per_km), crs=UTM
    )


def _points(xs: list[float], ys: list[float] | None = None, **cols: object) -> gpd.GeoDataFrame:
    ys = ys or [0.0] * len(xs)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xs, ys), crs=UTM)


STATION15 = {"station": TierRule("station", 15.0, ("walk",))}


def test_hand_worked_line() -> None:
    walk = _line_graph("walk", 800.0)  # 1 km in 800 s
    cells = _points(
        [0.0, 1000.0, 2000.0, 1000.0], [0.0, 0.0, 0.0, 100.0], demand=[1.0, 2.0, 4.0, 8.0]
    )
    markets = _points([0.0], market_id=["M1"], tier=["station"])
    r = coverage(cells, markets, {"walk": walk}, rules=STATION15)
    t = r.cells["station_walk_time_s"].to_numpy()
    walk_ms = 4.5 / 3.6
    # by hand: 0 s; 800 s; 1600 s > 900 s -> inf; 800 s + 100 m walked to the node
    assert t[0] == 0.0 and t[1] == pytest.approx(800.0)
    assert np.isinf(t[2])
    assert t[3] == pytest.approx(800.0 + 100.0 / walk_ms)
    assert r.cells["station_covered"].tolist() == [True, True, False, True]
    assert r.cells["station_market"].tolist() == ["M1", "M1", "", "M1"]
    s = r.summary().iloc[0]
    assert s["demand"] == 15.0 and s["covered"] == 11.0 and s["share"] == pytest.approx(11 / 15)


def test_best_mode_and_served_by() -> None:
    walk = _line_graph("walk", 800.0)
    ebike = _line_graph("ebike", 240.0)  # 15 km/h
    cells = _points([3000.0], demand=[1.0])
    # a comprehensive market serves the station need too (TIER_SERVED_BY)
    markets = _points([0.0], market_id=["C1"], tier=["comprehensive"])
    rules = {"station": TierRule("station", 15.0, ("walk", "ebike"))}
    r = coverage(cells, markets, {"walk": walk, "ebike": ebike}, rules=rules)
    # walking 2,400 s is beyond 900 s; e-bike 720 s is within
    assert np.isinf(r.cells["station_walk_time_s"][0])
    assert r.cells["station_ebike_time_s"][0] == pytest.approx(720.0)
    assert r.cells["station_mode"][0] == "ebike" and bool(r.cells["station_covered"][0])
    only_station = coverage(
        cells,
        markets,
        {"walk": walk, "ebike": ebike},
        rules=rules,
        served_by={"station": ("station",)},
    )
    assert not bool(only_station.cells["station_covered"][0])


def test_markets_off_the_network_are_named_existing_apart_from_proposed(caplog) -> None:
    # The line graph runs along y = 0 from x = 0 to 4 km. Off it (more than 500 m away):
    # the station 甲, a proposed station and the comprehensive market 丙, which (served_by
    # below) only the comprehensive tier's walk counts; no tier counts drive, so drive names
    # nobody. One note per group, modes missing the same markets together, so each count
    # is of what the note names.
    walk = _line_graph("walk", 800.0)
    ebike = _line_graph("ebike", 240.0)
    drive = _line_graph("drive", 60.0)
    cells = _points([1000.0], demand=[1.0])
    markets = _points(
        [0.0, 2000.0, 3000.0, 1000.0],
        [0.0, 900.0, 800.0, 0.0],
        market_id=["M1", "M2", "C-stat-0001", "M3"],
        name=["近站", "甲", None, "丙"],
        tier=["station", "station", "station", "comprehensive"],
        status=["open", "open", "proposed", "open"],
    )
    markets.loc[3, "geometry"] = shapely.Point(1000.0, 5000.0)
    rules = {
        "station": TierRule("station", 15.0, ("walk", "ebike")),
        "comprehensive": TierRule("comprehensive", 30.0, ("walk",)),
    }
    graphs = {"walk": walk, "ebike": ebike, "drive": drive}
    served_by = {"station": ("station",), "comprehensive": ("comprehensive",)}
    with caplog.at_level("WARNING", logger="planner"):
        r = coverage(cells, markets, graphs, rules=rules, served_by=served_by)
    assert not [x for x in caplog.records if "network" in x.getMessage()]  # notes, not logs
    off = [n for n in r.notes if "from the network (or without coordinates)" in n]
    assert off == [
        "walk: 2 existing market(s) more than 500 m from the network (or without"
        " coordinates), unreachable by this mode: 甲 (M2), 丙 (M3)",
        "walk, ebike: 1 proposed site(s) more than 500 m from the network (or without"
        " coordinates), unreachable by this mode: C-stat-0001",
        "ebike: 1 existing market(s) more than 500 m from the network (or without"
        " coordinates), unreachable by this mode: 甲 (M2)",
    ]
    on = coverage(cells, markets.iloc[[0]], graphs, rules=rules, served_by=served_by)
    assert not [n for n in on.notes if "network (or without" in n]


def test_rural_radius() -> None:
    walk = _line_graph("walk", 800.0)
    cells = _points([4000.0, 4000.0], demand=[1.0, 1.0], urban=[False, True])
    markets = _points([0.0], market_id=["S"], tier=["station"])
    rules = {"station": TierRule("station", 15.0, ("walk",), rural_radius_m=5000.0)}
    r = coverage(cells, markets, {"walk": walk}, rules=rules)
    # 4 km straight line: the rural cell is covered by the 5 km rule, the urban one is not
    assert r.cells["station_covered"].tolist() == [True, False]
    assert r.cells["station_mode"].tolist() == ["rural_radius", ""]


def test_equals_brute_force_networkx() -> None:
    rng = np.random.default_rng(5)
    n = 60
    xy = rng.uniform(0, 3000, (n, 2))
    g = nx.random_geometric_graph(n, 0.25, seed=5)
    u, v, t = [], [], []
    for a, b in g.edges:
        for p, q in ((a, b), (b, a)):
            if rng.random() < 0.85:  # some one-way edges
                u.append(p)
                v.append(q)
                t.append(float(np.hypot(*(xy[p] - xy[q]))) / 1.25)
    walk = TravelGraph.from_edges("walk", np.arange(n), xy[:, 0], xy[:, 1], u, v, t, crs=UTM)
    mk_nodes = [3, 17, 40]
    markets = _points(
        list(xy[mk_nodes, 0]),
        list(xy[mk_nodes, 1]),
        market_id=["a", "b", "c"],
        tier=["station"] * 3,
    )
    cells = _points(list(xy[:, 0]), list(xy[:, 1]), demand=np.ones(n))
    rule = {"station": TierRule("station", 20.0, ("walk",))}
    r = coverage(cells, markets, {"walk": walk}, rules=rule)
    ref = walk.to_networkx()
    for i in range(n):
        best = min(
            (
                nx.shortest_path_length(ref, i, m, weight="time_s")
                if nx.has_path(ref, i, m)
                else np.inf
            )
            for m in mk_nodes
        )
        best = best if best <= 1200 else np.inf
        assert r.cells["station_walk_time_s"][i] == pytest.approx(best, abs=1e-6)


@hsettings(max_examples=25, deadline=None)
@given(st.floats(1.0, 40.0), st.floats(0.0, 30.0))
def test_coverage_never_falls_when_the_threshold_grows(a: float, extra: float) -> None:
    walk = _line_graph("walk", 300.0, n=8)
    cells = _points([float(x) for x in range(0, 8000, 500)], demand=np.ones(16))
    markets = _points([2000.0], market_id=["M"], tier=["station"])
    lo = coverage(
        cells, markets, {"walk": walk}, rules={"station": TierRule("station", a, ("walk",))}
    )
    hi = coverage(
        cells, markets, {"walk": walk}, rules={"station": TierRule("station", a + extra, ("walk",))}
    )
    assert (lo.cells["station_covered"] <= hi.cells["station_covered"]).all()


def test_gaps_are_connected_uncovered_groups() -> None:
    # a 5 x 3 grid of 100 m cells; uncovered: columns 0-1 of every row, and the cell (4, 2)
    xs, ys, cov = [], [], []
    for i in range(5):
        for j in range(3):
            xs.append(i * 100.0)
            ys.append(j * 100.0)
            cov.append(not (i <= 1 or (i, j) == (4, 2)))
    cells = _points(xs, ys, demand=np.arange(15, dtype=float) + 1, station_covered=cov)
    cells["cell_area_m2"] = 100.0 * 100.0
    from planner.analysis.coverage import Coverage

    res = Coverage(cells=cells, rules=STATION15, weight="demand")
    gaps = coverage_gaps(res, "station")
    # by hand: gap A = cells 0..5 (demand 1..6 = 21), gap B = cell 14 (demand 15)
    assert gaps["n_cells"].tolist() == [6, 1]
    assert gaps["demand"].tolist() == [21.0, 15.0]
    assert gaps.geometry.iloc[0].area == pytest.approx(2 * 3 * (102.0**2), rel=0.05)


@pytest.mark.parametrize("jitter", [0.0, 3.0])
def test_gaps_on_a_random_grid_match_connected_components(jitter: float) -> None:
    # 250 m cells, 30 % of them uncovered at random (diagonal contacts, one-cell holes);
    # jitter 0 is a raster in the study CRS (the fast tiled union), 3 m is not (the
    # overlapping union). Either way a gap is a connected group of squares of 1.02 x the
    # cell side, found here by scipy on the pairs closer than that (Chebyshev distance).
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    from planner.analysis.coverage import Coverage

    rng = np.random.default_rng(3)
    side, size = 24, 250.0
    i, j = np.divmod(np.arange(side * side), side)
    xs = 500_000.0 + i * size + rng.uniform(-jitter, jitter, i.size)
    ys = 4_000_000.0 + j * size + rng.uniform(-jitter, jitter, i.size)
    covered = rng.random(i.size) < 0.7
    demand = rng.integers(1, 100, i.size).astype(float)
    cells = _points(xs.tolist(), ys.tolist(), demand=demand, station_covered=covered)
    cells["cell_area_m2"] = size * size
    gaps = coverage_gaps(Coverage(cells=cells, rules=STATION15, weight="demand"), "station")

    un = np.flatnonzero(~covered)
    pts = np.column_stack([xs[un], ys[un]])
    pairs = cKDTree(pts).query_pairs(1.02 * size, p=np.inf, output_type="ndarray")
    adj = sp.coo_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(un),) * 2)
    n, lab = connected_components(adj, directed=False)
    exp = sorted(zip(np.bincount(lab, weights=demand[un]), np.bincount(lab), strict=True))
    got = sorted(zip(gaps["demand"], gaps["n_cells"], strict=True))
    assert len(gaps) == n > 10
    assert got == exp
    # and the shapes are the union of the 1.02 x squares
    h = 0.51 * size
    ref = shapely.union_all(shapely.box(pts[:, 0] - h, pts[:, 1] - h, pts[:, 0] + h, pts[:, 1] + h))
    shape = shapely.union_all(np.asarray(gaps.geometry.values))
    assert shape.symmetric_difference(ref).area < 1e-9 * ref.area


def test_open_markets_filters_closed_and_hours() -> None:
    m = _points(
        [0.0, 1.0, 2.0],
        market_id=["a", "b", "c"],
        tier=["station"] * 3,
        status=["open", "closed", "open"],
    )
    m["opening_hours"] = [
        parse_hours("每天 5:00-12:00"),
        parse_hours("每天 5:00-12:00"),
        parse_hours("每天 6:00-12:00"),
    ]
    assert open_markets(m)["market_id"].tolist() == ["a", "c"]
    five = dt.datetime(2024, 3, 4, 5, 0)
    assert open_markets(m, at=five)["market_id"].tolist() == ["a"]


def test_bad_inputs() -> None:
    walk = _line_graph("walk", 800.0)
    cells = _points([0.0], demand=[1.0])
    markets = _points([0.0], market_id=["M"], tier=["station"])
    with pytest.raises(ModeError, match="no graph for mode 'ebike'"):
        coverage(
            cells,
            markets,
            {"walk": walk},
            rules={"station": TierRule("station", 15, ("walk", "ebike"))},
        )
    with pytest.raises(ColumnError, match="demand cells have no 'weight' column"):
        coverage(cells, markets, {"walk": walk}, rules=STATION15, weight="weight")
    with pytest.raises(CRSError, match=r"demand cells are in .* but markets in"):
        coverage(cells, markets.to_crs(4326), {"walk": walk}, rules=STATION15)
    bad = cells.copy()
    bad["demand"] = [-1.0]
    with pytest.raises(InvalidValueError, match="weights must be >= 0"):
        coverage(bad, markets, {"walk": walk}, rules=STATION15)


def test_access_matrix_is_the_best_mode_within_the_cutoff() -> None:
    walk = _line_graph("walk", 800.0)
    ebike = _line_graph("ebike", 240.0)
    cells = _points([0.0, 1000.0, 4000.0, 2000.0], [0.0, 0.0, 0.0, 50.0], demand=np.ones(4))
    sites = _points([0.0, 3000.0])
    from planner.analysis.coverage import access_matrix

    a = access_matrix(
        cells, sites, {"walk": walk, "ebike": ebike}, modes=("walk", "ebike"), cutoff_s=900.0
    )
    dense = np.full((4, 2), np.inf)
    coo = a.matrix.tocoo()
    dense[coo.row, coo.col] = coo.data
    walk_ms = 4.5 / 3.6
    # by hand, best of walk (800 s/km) and e-bike (240 s/km), plus the 50 m walk of cell 3
    expected = np.array(
        [
            [0.0, 720.0],  # same node (explicit zero); e-bike 3 km
            [240.0, 480.0],
            [np.inf, 240.0],  # 4 km by e-bike = 960 s > 900 s
            [480.0 + 50 / walk_ms, 240.0 + 50 / walk_ms],
        ]
    )
    np.testing.assert_allclose(dense, expected)
    assert a.matrix.nnz == 7  # the zero is stored: reachable
    assert a.reaching_modes(1, 0) == ("walk", "ebike")  # 800 s walk and 240 s e-bike
    assert a.reaching_modes(0, 1) == ("ebike",)


def test_fallback_without_roads() -> None:
    from planner import settings
    from planner.analysis.coverage import access_matrix

    cells = _points([0.0, 600.0, 3000.0], demand=np.ones(3))
    markets = _points([0.0], market_id=["M"], tier=["station"])
    rules = {"station": TierRule("station", 15.0, ("walk", "bus"))}
    with pytest.raises(ModeError, match="no graph for mode"):
        coverage(cells, markets, {}, rules=rules)
    r = coverage(cells, markets, {}, rules=rules, fallback=True)
    walk_ms = settings.WALK_SPEED_KMH / 3.6
    # by hand: 600 m × 1.3 / 1.25 m/s = 624 s; 3 km × 1.3 / 1.25 = 3,120 s > 900 s
    t = r.cells["station_walk_time_s"].to_numpy()
    assert t[0] == 0.0 and t[1] == pytest.approx(600 * settings.CIRCUITY_FACTOR / walk_ms)
    assert np.isinf(t[2])
    assert any("fallback" in n for n in r.notes) and any("bus: no network" in n for n in r.notes)
    a = access_matrix(cells, markets, {}, modes=("walk",), cutoff_s=900.0, fallback=True)
    assert a.matrix.nnz == 2 and a.matrix[[1], [0]][0] == pytest.approx(t[1])


def test_a_cell_exactly_at_the_threshold_is_covered() -> None:
    """Boundary: a walk of exactly 15 min counts as within a 15-minute threshold."""
    walk = _line_graph("walk", 900.0)  # 1 km in 900 s: the next node is exactly 15 min away
    cells = _points([0.0, 1000.0, 2000.0], demand=[1.0, 1.0, 1.0])
    markets = _points([0.0], market_id=["M1"], tier=["station"])
    r = coverage(cells, markets, {"walk": walk}, rules=STATION15)
    assert r.cells["station_walk_time_s"].tolist()[:2] == [0.0, 900.0]
    assert r.cells["station_covered"].tolist() == [True, True, False]  # 900 s <= 900 s
    later = coverage(cells, markets, {"walk": walk},
                     rules={"station": TierRule("station", 14.99, ("walk",))})  # fmt: skip
    assert later.cells["station_covered"].tolist() == [True, False, False]


def test_gap_squares_of_census_pieces_are_their_grid_squares() -> None:
    """Full cells at 100 m grid centres and an edge piece off centre (at 220, 30): the
    union is the three grid squares [0, 300] x [0, 100], grown by 1 % of a cell (worked
    out by hand), not squares around each piece's own point."""
    from planner.analysis.coverage import _union_squares

    x, y = np.array([50.0, 150.0, 220.0, 50.0]), np.array([50.0, 50.0, 30.0, 150.0])
    got = _union_squares(x, y, 100.0)
    want = shapely.union_all([shapely.box(-1, -1, 301, 101), shapely.box(-1, 99, 101, 201)])
    assert got.symmetric_difference(want).area == pytest.approx(0, abs=1e-6)

"""Where census counts are placed (planner/io/spread.py): grid centres, kernel weights, the
choice of method, and totals kept exactly."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.errors import InvalidValueError
from planner.io.spread import census_to_cells, grid_centres, kernel_weights, spread_weights

UTM = 32651


def _units() -> gpd.GeoDataFrame:
    # two 2 × 1 km units 8 km apart (beyond any kernel's reach of the other)
    return gpd.GeoDataFrame(
        {"code": ["a", "b"], "name": ["甲", "乙"], "population": [1000.0, 3000.0]},
        geometry=[shapely.box(0, 0, 2000, 1000), shapely.box(10000, 0, 12000, 1000)],
        crs=UTM,
    )


def test_grid_centres_belong_to_one_unit_each() -> None:
    two = gpd.GeoDataFrame(
        geometry=[shapely.box(0, 0, 2000, 1000), shapely.box(2000, 0, 4000, 1000)], crs=UTM
    )
    g = grid_centres(two, 1000.0)
    # 4 × 1 cells of 1 km, centres at x = 500, 1500 | 2500, 3500 (a centre on the shared
    # border would go to one unit only)
    assert g["cell_id"].tolist() == ["r0c0", "r0c1", "r0c2", "r0c3"]
    assert g["unit"].tolist() == [0, 0, 1, 1]
    assert g.geometry.x.tolist() == [500.0, 1500.0, 2500.0, 3500.0]


def test_kernel_weights_by_hand() -> None:
    targets = np.array([[0.0, 0.0], [1000.0, 0.0]])
    pts = np.array([[0.0, 0.0], [0.0, 1000.0]])
    w = kernel_weights(targets, pts, np.array([1.0, 2.0]), 1000.0)
    e = np.exp
    d2 = np.hypot(1000, 1000) / 1000.0
    assert w[0] == pytest.approx(1.0 + 2.0 * e(-0.5))
    assert w[1] == pytest.approx(e(-0.5) + 2.0 * e(-0.5 * d2**2))


def test_stops_spread_keeps_each_units_total_and_follows_the_stops() -> None:
    units = _units()
    # three stops at the west end of unit a, none in unit b
    stops = gpd.GeoDataFrame(geometry=[shapely.Point(250, 500)] * 3, crs=UTM)
    s = spread_weights(units, cell_size_m=500.0, stops=stops, even_share=0.1)
    assert s.method == "stops"
    cells = census_to_cells(units, cell_size_m=500.0, weights=s.weights, weight_column="weight")
    by_unit = cells.groupby("unit_code")["population"].sum()
    assert by_unit["a"] == pytest.approx(1000.0)
    assert by_unit["b"] == pytest.approx(3000.0)
    a = cells[cells["unit_code"] == "a"]
    b = cells[cells["unit_code"] == "b"]
    # unit b has no stop: evenly spread over its 8 cells of 500 m
    assert b["population"].to_numpy() == pytest.approx(np.full(8, 3000.0 / 8))
    # unit a: 10 % evenly over 8 cells, 90 % by the kernel of its 3 stops (hand computation)
    xy = np.column_stack([a.geometry.x, a.geometry.y])
    k = np.exp(-0.5 * (np.hypot(xy[:, 0] - 250, xy[:, 1] - 500) / 800.0) ** 2)
    k[np.hypot(xy[:, 0] - 250, xy[:, 1] - 500) > 2400] = 0.0
    expected = 1000.0 * (0.9 * k / k.sum() + 0.1 / 8)
    assert a["population"].to_numpy() == pytest.approx(expected)


def test_auto_prefers_grid_then_roads_then_stops_then_even() -> None:
    units = _units()
    stops = gpd.GeoDataFrame(geometry=[shapely.Point(250, 500)], crs=UTM)
    streets = gpd.GeoDataFrame(
        {"length_m": [1000.0], "highway": ["residential"]},
        geometry=[shapely.LineString([(0, 500), (1000, 500)])],
        crs=UTM,
    )
    grid = gpd.GeoDataFrame(
        {"population": [10.0, 30.0]},
        geometry=[shapely.Point(250, 250), shapely.Point(11750, 750)],
        crs=UTM,
    )
    assert spread_weights(units, grid=grid, streets=streets, stops=stops).method == "grid"
    assert spread_weights(units, streets=streets, stops=stops).method == "roads"
    assert spread_weights(units, stops=stops).method == "stops"
    even = spread_weights(units)
    assert even.method == "even" and even.weights is None


def test_grid_spread_puts_people_where_the_raster_has_them() -> None:
    units = _units()
    grid = gpd.GeoDataFrame(
        {"population": [10.0, 30.0, 60.0]},
        geometry=[shapely.Point(250, 250), shapely.Point(1750, 750), shapely.Point(11750, 750)],
        crs=UTM,
    )
    s = spread_weights(units, method="grid", cell_size_m=500.0, grid=grid)
    cells = census_to_cells(units, cell_size_m=500.0, weights=s.weights, weight_column="weight")
    got = dict(zip(cells["cell_id"], cells["population"], strict=True))
    # unit a's 1,000 people split 10 : 30 between its two populated raster cells
    assert got["r0c0"] == pytest.approx(250.0)
    assert got["r1c3"] == pytest.approx(750.0)
    # unit b's 3,000 all in the one raster cell it holds
    assert got["r1c23"] == pytest.approx(3000.0)
    assert len(cells) == 3


def test_roads_leave_out_motorways() -> None:
    units = _units()
    streets = gpd.GeoDataFrame(
        {"length_m": [2000.0, 2000.0], "highway": ["motorway", "residential"]},
        geometry=[
            shapely.LineString([(0, 100), (2000, 100)]),
            shapely.LineString([(10000, 900), (12000, 900)]),
        ],
        crs=UTM,
    )
    s = spread_weights(units, method="roads", cell_size_m=500.0, streets=streets, even_share=0.0)
    w = s.weights
    assert w is not None
    # only the residential street (in unit b) counts; unit a falls back to even
    a = w[w.geometry.x < 2000]["weight"].to_numpy()
    assert a == pytest.approx(np.full(8, 1 / 8))


def test_a_method_without_its_layer_is_a_clear_error() -> None:
    with pytest.raises(InvalidValueError, match=r"spread = 'roads' but the study has no such"):
        spread_weights(_units(), method="roads")
    with pytest.raises(InvalidValueError, match="unknown spread method 'dense'"):
        spread_weights(_units(), method="dense")


def test_auto_skips_roads_that_reach_only_a_corner() -> None:
    # a 10 × 10 km unit whose only street is a 1 km lane in its south-west corner: the
    # street comes within 2 km of 4 % of the 1 km cells, far below the 50 % needed
    unit = gpd.GeoDataFrame(
        {"code": ["a"], "population": [1000.0]}, geometry=[shapely.box(0, 0, 10000, 10000)], crs=UTM
    )
    lane = gpd.GeoDataFrame(
        {"length_m": [1000.0], "highway": ["residential"]},
        geometry=[shapely.LineString([(0, 0), (1000, 0)])],
        crs=UTM,
    )
    s = spread_weights(unit, cell_size_m=1000.0, streets=lane)
    assert s.method == "even"
    assert "roads not used: they reach only" in s.description
    # asked for explicitly, roads are used all the same
    assert spread_weights(unit, method="roads", cell_size_m=1000.0, streets=lane).method == "roads"

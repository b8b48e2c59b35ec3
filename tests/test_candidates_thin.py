"""Candidates from thin data (planner/analysis/candidates/_sources.py): a centre per unit and
centres of uncovered demand, so a study with only boundaries and population still has
candidates in every county."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from planner.analysis.candidates import candidate_sites
from planner.errors import EmptyFileError

UTM = 32651


def _units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["a", "b"], "name": ["甲县", "乙县"]},
        geometry=[shapely.box(0, 0, 4000, 2000), shapely.box(4000, 0, 8000, 2000)],
        crs=UTM,
    )


def _cells() -> gpd.GeoDataFrame:
    # unit a: a town of 900 at x = 500 and a village of 100 at x = 3500
    # unit b: two hamlets of 50 at x = 4500 and 7500
    xs = [500.0, 3500.0, 4500.0, 7500.0]
    return gpd.GeoDataFrame(
        {"cell_id": ["c0", "c1", "c2", "c3"], "demand": [900.0, 100.0, 50.0, 50.0]},
        geometry=gpd.points_from_xy(xs, [1000.0] * 4),
        crs=UTM,
    )


def test_one_centre_per_unit_at_its_demand() -> None:
    c = candidate_sites("comprehensive", units=_units(), demand=_cells())
    c = c.sort_values("source_id")
    assert c["anchor_kind"].tolist() == ["unit_centre", "unit_centre"]
    assert c["anchor_name"].tolist() == ["甲县人口中心", "乙县人口中心"]
    # unit a: weighted centre x = (900·500 + 100·3500)/1000 = 800 → nearest cell, the town
    # unit b: centre x = 6000, equidistant from both hamlets → the first cell (c2)
    assert c.geometry.x.tolist() == [500.0, 4500.0]


def test_unit_without_demand_gets_a_point_on_its_surface() -> None:
    units = _units()
    cells = _cells().iloc[:2]
    c = candidate_sites("station", units=units, demand=cells)
    b = c[c["source_id"] == "b"]
    assert len(b) == 1 and units.geometry.iloc[1].contains(b.geometry.iloc[0])


def test_demand_clusters_on_a_grid_where_the_gaps_are() -> None:
    cells = _cells()
    cells["station_covered"] = [True, False, False, False]
    c = candidate_sites("station", demand=cells, demand_covered="station_covered", cluster_m=2000.0)
    # blocks of 2 km: x in [2000, 4000) holds c1, [4000, 6000) c2, [6000, 8000) c3; the
    # covered town is no gap
    assert c["anchor_kind"].tolist() == ["demand_cluster"] * 3
    assert sorted(c.geometry.x.tolist()) == [3500.0, 4500.0, 7500.0]


def test_clusters_only_without_a_street_network() -> None:
    from planner.network.graph import TravelGraph

    walk = TravelGraph.from_edges(
        "walk", [0, 1], [250.0, 750.0], [250.0, 250.0], [0], [1], [400.0], crs=UTM
    )
    c = candidate_sites("station", demand=_cells(), cluster_m=2000.0, walk=walk)
    assert set(c["anchor_kind"]) == {"street_point"}


def test_sector_tier_takes_no_thin_candidates() -> None:
    with pytest.raises(EmptyFileError, match="no candidate for tier sector"):
        candidate_sites("sector", units=_units(), demand=_cells(), cluster_m=1000.0)


def test_every_unit_has_a_candidate_whatever_else_is_missing() -> None:
    units = _units()
    c = candidate_sites("comprehensive", units=units)
    assert sorted(c["source_id"]) == ["a", "b"]
    for code, pt in zip(c["source_id"], c.geometry, strict=True):
        assert units.set_index("code").geometry[code].contains(pt)

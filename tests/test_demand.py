"""Flexible-worker demand per cell, priority weights, sector demand (planner/analysis/demand.py)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from planner import settings
from planner.analysis.demand import demand_summary, sector_demand, worker_demand
from planner.errors import ColumnError, InvalidValueError
from planner.io.places import read_places
from planner.io.spread import census_to_cells

UTM = 32650


def _cells(pop: list[float], area_m2: list[float], **extra: list[float]) -> gpd.GeoDataFrame:
    n = len(pop)
    return gpd.GeoDataFrame(
        {
            "cell_id": [f"c{i}" for i in range(n)],
            "population": pop,
            "cell_area_m2": area_m2,
            **extra,
        },
        geometry=[shapely.Point(500.0 * i, 0.0) for i in range(n)],
        crs=UTM,
    )


# --------------------------------------------------------------------------------------
# worker_demand: values by hand
# --------------------------------------------------------------------------------------


def test_four_cells_by_hand() -> None:
    # densities: 3000/1 km², 1000/0.5 km² = 2000, 200/1 km², 0 -> urban T, T, F, F at 1500
    cells = _cells([3000.0, 1000.0, 200.0, 0.0], [1e6, 0.5e6, 1e6, 1e6])
    out = worker_demand(cells, rate_urban=0.1, rate_rural=0.05, urban_density_per_km2=1500)
    assert out["density_per_km2"].tolist() == pytest.approx([3000.0, 2000.0, 200.0, 0.0])
    assert out["urban"].tolist() == [True, True, False, False]
    assert out["rate"].tolist() == [0.1, 0.1, 0.05, 0.05]
    # 3000 × 0.1 + 1000 × 0.1 + 200 × 0.05 + 0 = 300 + 100 + 10 = 410
    assert out["demand"].tolist() == pytest.approx([300.0, 100.0, 10.0, 0.0])
    assert out["demand"].sum() == pytest.approx(410.0)
    # no priority weights: weight = demand
    assert out["weight"].tolist() == pytest.approx(out["demand"].tolist())
    # the input is not changed, and the geometry and crs are kept
    assert "demand" not in cells.columns
    assert out.crs == cells.crs
    assert out.geometry.equals(cells.geometry)


def test_urban_threshold_by_hand() -> None:
    # 150 people on 0.1 km² = 1,500/km² exactly (urban: ">="); 149 -> 1,490 (rural);
    # 40 people on 0.1 km² = 400/km²: urban only with the GHSL urban-cluster threshold 300
    cells = _cells([150.0, 149.0, 40.0, 20.0], [1e5, 1e5, 1e5, 1e5])
    centre = worker_demand(cells)
    assert centre["urban"].tolist() == [True, False, False, False]
    cluster = worker_demand(cells, urban_density_per_km2=300)
    assert cluster["urban"].tolist() == [True, True, True, False]
    assert settings.URBAN_DENSITY_PER_KM2 == 1500.0
    # default rates: 14 % everywhere -> demand = 0.14 × population
    assert centre["demand"].tolist() == pytest.approx([21.0, 20.86, 5.6, 2.8])


def test_groups_from_census_to_cells_by_hand() -> None:
    # unit a: 1 km², 4,000 people (4 cells of 1,000 -> 4,000/km², urban), 25 % aged 60+;
    # unit b: 1 km², 400 people (4 cells of 100 -> 400/km², rural), 50 % aged 60+
    units = gpd.GeoDataFrame(
        {"code": ["a", "b"], "population": [4000.0, 400.0], "aged_60_plus": [0.25, 0.5]},
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(2000, 0, 3000, 1000)],
        crs=UTM,
    )
    cells = census_to_cells(units, cell_size_m=500, groups=("aged_60_plus",))
    assert len(cells) == 8
    out = worker_demand(
        cells, rate_urban=0.1, rate_rural=0.05, priority_weights={"aged_60_plus": 1.0}
    )
    # demand: 4 × 1000 × 0.1 + 4 × 100 × 0.05 = 400 + 20
    assert out["demand"].sum() == pytest.approx(420.0)
    # aged demand: 4 × 250 × 0.1 + 4 × 50 × 0.05 = 100 + 10
    assert out["aged_60_plus_demand"].sum() == pytest.approx(110.0)
    # weight 1: an older worker counts twice -> 420 + 110
    assert out["weight"].sum() == pytest.approx(530.0)
    half = worker_demand(
        cells, rate_urban=0.1, rate_rural=0.05, priority_weights={"aged_60_plus": 0.5}
    )
    assert half["weight"].sum() == pytest.approx(420.0 + 0.5 * 110.0)
    # summary by unit
    s = demand_summary(out)
    assert s["unit_code"].tolist() == ["a", "b"]
    assert s["n_cells"].tolist() == [4, 4]
    assert s["population"].tolist() == pytest.approx([4000.0, 400.0])
    assert s["urban_population"].tolist() == pytest.approx([4000.0, 0.0])
    assert s["demand"].tolist() == pytest.approx([400.0, 20.0])
    assert s["aged_60_plus_demand"].tolist() == pytest.approx([100.0, 10.0])
    assert s["weight"].tolist() == pytest.approx([500.0, 30.0])
    assert s["demand_share"].tolist() == pytest.approx([400 / 420, 20 / 420])


def test_count_column_only_gives_share() -> None:
    # only a count column: share = count / population (0 for an empty cell)
    cells = _cells([1000.0, 100.0, 0.0], [1e5, 1e6, 1e6], low_income_population=[100.0, 50.0, 0.0])
    out = worker_demand(cells, rate_urban=0.2, rate_rural=0.1, priority_weights={"low_income": 2.0})
    # demand 200, 10, 0; group demand = count × rate = 20, 5, 0
    assert out["low_income_demand"].tolist() == pytest.approx([20.0, 5.0, 0.0])
    # weight = demand × (1 + 2 × share): 200 × 1.2, 10 × 2.0, 0
    assert out["weight"].tolist() == pytest.approx([240.0, 20.0, 0.0])


def test_share_column_named_by_weight_and_attrs() -> None:
    cells = _cells([1000.0, 100.0], [1e5, 1e6], disabled=[0.02, 0.1])
    out = worker_demand(cells, rate_urban=0.1, rate_rural=0.1, priority_weights={"disabled": 3})
    assert out["disabled_demand"].tolist() == pytest.approx([2.0, 1.0])
    assert out["weight"].tolist() == pytest.approx([100 * 1.06, 10 * 1.3])
    # a share column listed in attrs["groups"] gets its demand column without weights
    cells.attrs["groups"] = ("disabled",)
    plain = worker_demand(cells, rate_urban=0.1, rate_rural=0.1)
    assert plain["disabled_demand"].tolist() == pytest.approx([2.0, 1.0])
    assert plain["weight"].tolist() == pytest.approx(plain["demand"].tolist())


@hyp_settings(max_examples=40, deadline=None)
@given(
    pops=st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=12),
    rate_u=st.floats(0, 1),
    rate_r=st.floats(0, 1),
    share=st.floats(0, 1),
    w=st.floats(0, 5),
)
def test_totals_match_a_plain_loop(
    pops: list[float], rate_u: float, rate_r: float, share: float, w: float
) -> None:
    areas = [1e4 * (i + 1) for i in range(len(pops))]
    cells = _cells(pops, areas, aged=[share] * len(pops))
    out = worker_demand(cells, rate_urban=rate_u, rate_rural=rate_r, priority_weights={"aged": w})
    total = 0.0
    weighted = 0.0
    for p, a in zip(pops, areas, strict=True):
        r = rate_u if p / a * 1e6 >= settings.URBAN_DENSITY_PER_KM2 else rate_r
        total += p * r
        weighted += p * r * (1 + w * share)
    assert out["demand"].sum() == pytest.approx(total, rel=1e-9, abs=1e-9)
    assert out["weight"].sum() == pytest.approx(weighted, rel=1e-9, abs=1e-9)
    assert (out["weight"] >= out["demand"] - 1e-9).all()


# --------------------------------------------------------------------------------------
# worker_demand: bad input
# --------------------------------------------------------------------------------------


def test_missing_population_column() -> None:
    cells = _cells([1.0], [1e4]).rename(columns={"population": "pop"})
    with pytest.raises(ColumnError, match="no 'population' column"):
        worker_demand(cells)


def test_negative_population_names_cell() -> None:
    cells = _cells([10.0, -5.0], [1e4, 1e4])
    with pytest.raises(InvalidValueError, match=r"column 'population'.*-5\.0 at cell_id 'c1'"):
        worker_demand(cells)


def test_nan_population() -> None:
    cells = _cells([10.0, np.nan], [1e4, 1e4])
    with pytest.raises(InvalidValueError, match=r"population.*cell_id 'c1' is empty \(NaN\)"):
        worker_demand(cells)


def test_text_population() -> None:
    cells = _cells([10.0, 1.0], [1e4, 1e4])
    cells["population"] = ["10", "many"]
    with pytest.raises(InvalidValueError, match="'many' at cell_id 'c1' is not a number"):
        worker_demand(cells)


@pytest.mark.parametrize(("key", "value"), [("rate_urban", 1.5), ("rate_rural", -0.1)])
def test_rates_outside_0_1(key: str, value: float) -> None:
    cells = _cells([10.0], [1e4])
    with pytest.raises(InvalidValueError, match=f"key '{key}'.*share between 0 and 1"):
        if key == "rate_urban":
            worker_demand(cells, rate_urban=value)
        else:
            worker_demand(cells, rate_rural=value)


def test_bad_density_threshold() -> None:
    with pytest.raises(InvalidValueError, match="urban_density_per_km2 must be a positive"):
        worker_demand(_cells([10.0], [1e4]), urban_density_per_km2=0)


def test_missing_or_zero_cell_area() -> None:
    cells = _cells([10.0], [1e4]).drop(columns="cell_area_m2")
    with pytest.raises(ColumnError, match="no 'cell_area_m2' column"):
        worker_demand(cells)
    with pytest.raises(InvalidValueError, match=r"cell_area_m2.*'c0' is not positive"):
        worker_demand(_cells([10.0], [0.0]))


def test_unknown_priority_group() -> None:
    cells = _cells([10.0], [1e4], aged_60_plus=[0.2])
    with pytest.raises(
        ColumnError, match=r"column 'disabled'.*no 'disabled' share column.*aged_60_plus"
    ):
        worker_demand(cells, priority_weights={"disabled": 1.0})


def test_negative_priority_weight() -> None:
    cells = _cells([10.0], [1e4], aged=[0.2])
    with pytest.raises(InvalidValueError, match="priority weight of group 'aged'"):
        worker_demand(cells, priority_weights={"aged": -1.0})


def test_share_above_one_and_count_above_population() -> None:
    with pytest.raises(InvalidValueError, match=r"column 'aged'.*above 1"):
        worker_demand(_cells([10.0], [1e4], aged=[1.2]), priority_weights={"aged": 1.0})
    with pytest.raises(InvalidValueError, match=r"aged_population.*exceed the cell's population"):
        worker_demand(_cells([10.0], [1e4], aged_population=[11.0]))


# --------------------------------------------------------------------------------------
# demand_summary
# --------------------------------------------------------------------------------------


def test_summary_by_urban_and_errors() -> None:
    out = worker_demand(_cells([3000.0, 10.0, 20.0], [1e6, 1e6, 1e6]), rate_rural=0.1)
    s = demand_summary(out, by="urban")
    assert s["urban"].tolist() == [False, True]
    assert s["demand"].tolist() == pytest.approx([3.0, 420.0])
    with pytest.raises(ColumnError, match="no 'unit_code' column to group by"):
        demand_summary(out)
    with pytest.raises(ColumnError, match=r"no 'urban', 'demand', 'weight'.*run worker_demand"):
        demand_summary(_cells([1.0], [1.0]), by="cell_id")
    out["unit_code"] = ["a", None, "b"]
    with pytest.raises(InvalidValueError, match="1 cell\\(s\\) have no 'unit_code' value"):
        demand_summary(out)


# --------------------------------------------------------------------------------------
# sector_demand
# --------------------------------------------------------------------------------------

_PLACES_CSV = """名称,类型,行业,从业人数,经度,纬度
示范建材城,建材市场,建筑装修,700,118.60,36.20
示范工业园,产业园区,制造业、物流,5000,118.62,36.22
示范商场,商场,,1200,118.61,36.21
示范物流园,产业园区,物流,,118.63,36.23
"""


def _places(tmp_path: Path, text: str = _PLACES_CSV) -> gpd.GeoDataFrame:
    p = tmp_path / "places.csv"
    p.write_text(text, encoding="utf-8")
    return read_places(p, coords="wgs84")


def test_sector_demand_by_hand(tmp_path: Path) -> None:
    places = _places(tmp_path).iloc[:3]
    out = sector_demand(places)
    # construction 700 × 0.30; manufacturing (main sector of 制造业、物流) 5000 × 0.10;
    # a mall without 行业 is commerce: 1200 × 0.10
    assert out["sector"].tolist() == ["construction", "manufacturing", "commerce"]
    assert out["gig_share"].tolist() == [0.30, 0.10, 0.10]
    assert out["demand"].tolist() == pytest.approx([210.0, 500.0, 120.0])
    assert not out["workforce_assumed"].any()
    custom = sector_demand(places, gig_share={**settings.SECTOR_GIG_SHARE, "construction": 0.5})
    assert custom["demand"].tolist() == pytest.approx([350.0, 500.0, 120.0])


def test_sector_demand_missing_workforce_names_row(tmp_path: Path) -> None:
    places = _places(tmp_path)
    # the 4th data row is spreadsheet row 5
    with pytest.raises(InvalidValueError, match=r"row 5, column 'workforce'.*示范物流园"):
        sector_demand(places)
    out = sector_demand(places, default_workforce=400)
    assert out["workforce"].tolist() == [700.0, 5000.0, 1200.0, 400.0]
    assert out["workforce_assumed"].tolist() == [False, False, False, True]
    # logistics 400 × 0.20
    assert out["demand"].iloc[3] == pytest.approx(80.0)


def test_sector_demand_errors(tmp_path: Path) -> None:
    places = _places(tmp_path).iloc[:3]
    no_construction = {k: v for k, v in settings.SECTOR_GIG_SHARE.items() if k != "construction"}
    with pytest.raises(InvalidValueError, match=r"row 2, column 'sector'.*'construction'"):
        sector_demand(places, gig_share=no_construction)
    with pytest.raises(InvalidValueError, match="gig share of sector 'mall' must be between"):
        sector_demand(places, gig_share={"mall": 2.0})
    with pytest.raises(ColumnError, match="no 'sector' column"):
        sector_demand(places.drop(columns="sector"))
    with pytest.raises(ColumnError, match="no 'workforce' column"):
        sector_demand(places.drop(columns="workforce"))
    neg = places.copy()
    neg["workforce"] = [700, -1, 5]
    with pytest.raises(InvalidValueError, match=r"workforce.*below 0"):
        sector_demand(neg)
    with pytest.raises(InvalidValueError, match="default_workforce must be a number"):
        sector_demand(_places(tmp_path), default_workforce=-3)


@pytest.mark.realdata
def test_census_mix_behind_sector_shares(shared_data: Path) -> None:
    """The sector mix quoted next to SECTOR_GIG_SHARE, recomputed from the census file."""
    d = shared_data / "shandong-census2020"
    empl = pd.read_csv(d / "shandong_employment_2020_county.csv", dtype={"CODE": str})
    pop = pd.read_csv(d / "shandong_population_2020_county.csv", dtype={"CODE": str})
    m = empl.merge(pop[["CODE", "POPU"]], on="CODE")
    w = m["POPU"] * m["EMPL_OCCU"]
    share = {c: float((m[c] * w).sum() / w.sum()) for c in ("EMPL_INDU_CONS", "EMPL_INDU_MANU")}
    assert share["EMPL_INDU_CONS"] == pytest.approx(0.097, abs=5e-4)
    assert share["EMPL_INDU_MANU"] == pytest.approx(0.182, abs=5e-4)
    # the default gig shares rank construction first, as the published markets report
    assert max(settings.SECTOR_GIG_SHARE, key=settings.SECTOR_GIG_SHARE.__getitem__) == (
        "construction"
    )

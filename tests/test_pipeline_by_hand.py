"""The whole pipeline against figures worked out by hand (``planner run`` on a tiny study).

The study is written as a user would write it: a boundary GeoJSON, a census CSV, a market
directory with Chinese headers and a node/edge road list. Everything is laid out on the
1 km grid of the study's projection (UTM 51N), so each figure below follows from the
layout alone:

* the district is 6 km × 1 km: six 1 km grid cells, their centres at x = 0.5 … 5.5 km;
* the census gives it 600 people, spread evenly: 100 a cell (100 per km²);
* ``urban_density_per_km2 = 50`` makes every cell urban, ``participation_rate_urban = 0.5``
  makes 50 workers a cell, 300 in all;
* the road is a line of nodes at the cell centres, 1,000 m apart: a walk of 800 s (4.5 km/h)
  from one centre to the next, 1,600 s to the one after;
* one station (零工服务站点) stands at the first centre; the station tier counts a walk of
  up to 15 min (900 s): cells 1 and 2 are covered before (800 s ≤ 900 s), cells 3-6 not;
* covering cells 3-6 needs two new stations: a station reaches at most the centres within
  1,125 m (900 s) of it, at most three consecutive centres, and no point lies within
  1,125 m of four centres spread over 3 km, so one is not enough; stations at
  x = 3.5 km and 5.5 km (or 3.5 and 4.5, …) reach all four. With ``target_share = 1``
  and ``min_new_demand = 0`` the plan proposes exactly two, and coverage rises from
  100 / 300 to 300 / 300.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer
from typer.testing import CliRunner

from planner.cli import app

runner = CliRunner()
UTM = 32651
TO_LL = Transformer.from_crs(UTM, 4326, always_xy=True)
TO_XY = Transformer.from_crs(4326, UTM, always_xy=True)
X0, Y0 = 359_000.0, 4_151_000.0  # a grid corner near Yantai (121.4° E, 37.5° N)
CELLS = 6
WORKERS_PER_CELL = 50.0


def _ll(x: float, y: float) -> tuple[float, float]:
    lon, lat = TO_LL.transform(X0 + x, Y0 + y)
    return float(lon), float(lat)


def _write_study(tmp: Path) -> Path:
    # the boundary in the projection itself (a GeoJSON naming its CRS), so that its edges lie
    # exactly on grid lines: reprojected from lon/lat they would bend by millimetres and cut
    # slivers off the neighbouring cells
    ring = [[X0 + x, Y0 + y] for x, y in [(0, 0), (6000, 0), (6000, 1000), (0, 1000), (0, 0)]]
    area = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32651"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"adcode": "379901", "name": "手算区"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    (tmp / "area.geojson").write_text(json.dumps(area), "utf-8")
    (tmp / "census.csv").write_text("CODE,NAME,POPU\n379901,手算区,600\n", "utf-8")
    centres = [_ll(500 + 1000 * k, 500) for k in range(CELLS)]
    (tmp / "nodes.csv").write_text(
        "node_id,lon,lat\n"
        + "".join(f"{k},{lon:.9f},{lat:.9f}\n" for k, (lon, lat) in enumerate(centres)),
        "utf-8",
    )
    (tmp / "edges.csv").write_text(
        "u,v,length_m\n" + "".join(f"{k},{k + 1},1000\n" for k in range(CELLS - 1)), "utf-8"
    )
    (tmp / "sites.csv").write_text(  # where new stations may go: the other cell centres
        "名称,经度,纬度\n"
        + "".join(f"候选点{k},{lon:.9f},{lat:.9f}\n" for k, (lon, lat) in enumerate(centres)),
        "utf-8",
    )
    lon, lat = centres[0]
    (tmp / "markets.csv").write_text(
        "编号,名称,类型,经度,纬度,坐标系\n"
        f"S1,手算区第一零工服务站,零工服务站点,{lon:.9f},{lat:.9f},wgs84\n",
        "utf-8",
    )
    study = """
[study]
name = "手算区"
[area]
path = "area.geojson"
[inputs.population]
kind = "census"
boundaries = "area.geojson"
table = "census.csv"
cell_size_m = 1000
spread = "even"
[inputs.roads]
kind = "edges"
nodes = "nodes.csv"
edges = "edges.csv"
[inputs.markets]
path = "markets.csv"
coords = "wgs84"
[candidates]
add = "sites.csv"
add_coords = "wgs84"
[demand]
participation_rate_urban = 0.5
participation_rate_rural = 0.5
urban_density_per_km2 = 50
[tiers.comprehensive]
enabled = false
[tiers.station]
threshold_min = 15
modes = ["walk"]
target_share = 1.0
min_new_demand = 0
[plan]
solver = "highs"
[outputs]
dir = "out"
"""
    path = tmp / "study.toml"
    path.write_text(study, "utf-8")
    return path


def test_run_gives_the_figures_worked_out_by_hand(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(_write_study(tmp_path)), "--no-progress"])
    assert result.exit_code == 0, result.output
    s = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert s["population"] == pytest.approx(600.0)
    assert s["demand"] == pytest.approx(CELLS * WORKERS_PER_CELL)
    assert set(s["tiers"]) == {"station"}
    t = s["tiers"]["station"]
    assert t["demand"] == pytest.approx(300.0)
    assert t["covered_before"] == pytest.approx(100.0 / 300.0)
    assert t["covered_after"] == pytest.approx(1.0)
    assert t["new_sites"] == 2
    assert t["status"] == "optimal" and t["gap"] == 0.0
    # the two new stations, back in metres: together they reach the four uncovered centres
    sites = [site for site in s["sites"] if site["tier"] == "station"]
    assert len(sites) == 2
    xs = np.array([TO_XY.transform(site["lon"], site["lat"])[0] - X0 for site in sites])
    ys = np.array([TO_XY.transform(site["lon"], site["lat"])[1] - Y0 for site in sites])
    assert np.allclose(ys, 500.0, atol=1.0)  # on the road
    walk_s = np.abs(np.arange(2, CELLS)[:, None] * 1000.0 + 500.0 - xs[None, :]) / (4.5 / 3.6)
    assert (walk_s.min(axis=1) <= 900.0 + 1e-6).all()

"""A study over many counties (planner/province/, planner/demo/province.py).

Expectations are computed apart from planner: people from the raster read with rasterio,
census totals from the CSV read with the csv module, county codes from the GeoJSON read
with json, buffers from the tier thresholds by hand.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import types
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from typer.testing import CliRunner

from planner.cli import app
from planner.demo import write_province_demo
from planner.errors import InputFileError, InvalidValueError
from planner.inputs import StudyInputs, load_inputs
from planner.io.crs import StudyArea
from planner.io.vector import read_boundaries
from planner.province import CountyPiece, list_counties, run_province
from planner.province.cache import CountyCache, data_hash
from planner.province.outputs import publish_province
from planner.province.split import BUFFER_CAP_M, county_buffer_m, split_inputs
from planner.province.tasks import CountyResult, run_county
from planner.study import load_study, study_template

runner = CliRunner()

#: The county of the synthetic province whose worker the fault test kills.
VICTIM = "375002"


# --- counties, buffers, city codes ---------------------------------------------------------


def test_townships_are_grouped_into_their_county_and_city() -> None:
    units = gpd.GeoDataFrame(
        {
            "code": ["370602001", "370602002", "370613001"],
            "name": ["向阳街道", "东山街道", "黄海路街道"],
        },
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1)],
        crs=32651,
    )
    counties = list_counties(StudyArea("x", units, units.crs))
    assert [(c.code, len(c.units), c.city_code) for c in counties] == [
        ("370602", 2, "370600"),
        ("370613", 1, "370600"),
    ]
    assert counties[0].geometry.area == pytest.approx(2.0)


def _study(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "a.geojson").write_text("{}")
    p = tmp_path / "study.toml"
    p.write_text(f'[study]\nname = "x"\n[area]\npath = "a.geojson"\n{extra}', encoding="utf-8")
    return p


def test_buffer_is_the_longest_threshold_at_the_fastest_mode_capped(tmp_path: Path) -> None:
    # defaults: comprehensive 30 min by bus (25 km/h) → 12.5 km; station 15 min by e-bike.
    assert county_buffer_m(load_study(_study(tmp_path))) == 30 / 60 * 25_000
    walk = '[tiers.comprehensive]\nmodes = ["walk"]\n[tiers.sector]\nenabled = false\n'
    # comprehensive 30 min walking is 2.25 km; station 15 min by e-bike is 3.75 km
    assert county_buffer_m(load_study(_study(tmp_path, walk))) == pytest.approx(15 / 60 * 15_000)
    drive = "[tiers.comprehensive]\nthreshold_min = 60\nmodes = ['drive']\n"
    assert county_buffer_m(load_study(_study(tmp_path, drive))) == BUFFER_CAP_M
    assert county_buffer_m(load_study(_study(tmp_path, "[run]\nbuffer_km = 3\n"))) == 3000.0


def test_bad_run_keys_name_the_key(tmp_path: Path) -> None:
    from planner.errors import StudyFileError

    for extra, match in [
        ("[run]\nsplit = 'city'\n", r"'run.split': 'city' is not allowed"),
        ("[run]\nworkers = 0\n", r"'run.workers': must be positive"),
        ("[run]\nscheduler = 'host:8786'\n", r"'run.scheduler': must be a Dask scheduler"),
        ("[run]\nmemory_limit = 'lots'\n", r"'run.memory_limit': must be a size"),
    ]:
        with pytest.raises(StudyFileError, match=match):
            load_study(_study(tmp_path, extra))


def test_a_city_code_selects_its_counties(tmp_path: Path) -> None:
    feats = [
        {
            "type": "Feature",
            "properties": {"adcode": code, "name": code},
            "geometry": {"type": "Point", "coordinates": [120.0 + i, 36.0]},
        }
        for i, code in enumerate(["370602", "370613", "370102"])
    ]
    p = tmp_path / "b.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    assert read_boundaries(p, codes=["370600"])["code"].tolist() == ["370602", "370613"]
    assert len(read_boundaries(p, codes=["370000"])) == 3


def test_a_negative_buffer_is_refused() -> None:
    with pytest.raises(InvalidValueError, match=r"run\.buffer_km"):
        next(split_inputs(None, buffer_m=-1.0))  # type: ignore[arg-type]


# --- the cache -----------------------------------------------------------------------------


def test_the_input_hash_is_the_same_in_another_process() -> None:
    frame = gpd.GeoDataFrame(
        {"a": [1.5, 2.0], "b": ["x", None], "ids": [["s1", "s2"], ["s3"]]},
        geometry=[shapely.Point(0, 0), shapely.LineString([(0, 0), (1, 1)])],
        crs=32650,
    )
    here = data_hash(frame, {"k": (1, 2.5)}, np.arange(3))
    code = (
        "import geopandas as gpd, shapely, numpy as np\n"
        "from planner.province.cache import data_hash\n"
        "f = gpd.GeoDataFrame({'a': [1.5, 2.0], 'b': ['x', None], 'ids': [['s1', 's2'], ['s3']]},"
        " geometry=[shapely.Point(0, 0), shapely.LineString([(0, 0), (1, 1)])], crs=32650)\n"
        "print(data_hash(f, {'k': (1, 2.5)}, np.arange(3)))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    assert here == there
    changed = frame.copy()
    changed.loc[0, "a"] = 1.50001
    assert data_hash(changed, {"k": (1, 2.5)}, np.arange(3)) != here


def test_a_corrupt_or_stale_cache_entry_is_never_trusted(tmp_path: Path) -> None:
    cache = CountyCache(tmp_path)
    out = tmp_path / "counties" / "370602"
    out.mkdir(parents=True)
    (out / "summary.json").write_text("{}")
    digest = __import__("hashlib").sha256(b"{}").hexdigest()
    body = {
        "summary": {"population": 1},
        "folder": "counties/370602",
        "files": {"summary.json": digest},
    }
    cache.put("370602", "k1", body)
    assert cache.get("370602", "k1")["summary"] == {"population": 1}
    assert cache.get("370602", "k2") is None  # other inputs
    (out / "summary.json").write_text("{ }")  # an output edited since
    assert cache.get("370602", "k1") is None
    (out / "summary.json").write_text("{}")
    entry = tmp_path / ".planner-cache" / "370602.json"
    entry.write_text(entry.read_text().replace('"population": 1', '"population": 2'))
    assert cache.get("370602", "k1") is None  # checksum
    entry.write_text(entry.read_text()[:40])  # truncated
    assert cache.get("370602", "k1") is None


@pytest.mark.parametrize(
    ("split", "cities", "expected"),
    [
        ("auto", ["3706", "3706"], False),  # a city's districts: one plan (the Yantai study)
        ("auto", ["3706", "3710"], True),  # counties of two cities: one task each
        ("auto", ["3706"], False),
        ("county", ["3706", "3706"], True),
        ("county", ["3706"], True),
        ("none", ["3706", "3710"], False),
    ],
)
def test_auto_split_is_by_city(split: str, cities: list[str], expected: bool) -> None:
    from planner.province.split import County, should_split
    from planner.study import RunSpec

    units = gpd.GeoDataFrame(geometry=[], crs=32650)
    counties = [County(f"{c}0{i}", "县", c, "市", units) for i, c in enumerate(cities)]
    study = types.SimpleNamespace(run=RunSpec(split=split))  # all should_split reads
    assert should_split(study, counties) is expected  # type: ignore[arg-type]


# --- the province's outputs, from made-up county results ------------------------------------


def _outcome(code: str, city: str, comp: tuple[float, float, float] | None) -> object:
    from planner.province.runner import CountyOutcome
    from planner.province.split import County

    units = gpd.GeoDataFrame(
        {"code": [code], "name": [f"县{code}"]},
        geometry=[shapely.box(int(code[-1]) * 1000, 0, int(code[-1]) * 1000 + 1000, 1000)],
        crs=32650,
    )
    county = County(code, f"县{code}", city, f"市{city}", units)
    if comp is None:
        return CountyOutcome(county, "failed", error="EmptyFileError: no roads")
    demand, before, after = comp
    summary = {
        "population": demand * 7,
        "demand": demand,
        "tiers": {
            "comprehensive": {
                "demand": demand,
                "covered_before": before,
                "covered_after": after,
                "new_sites": 1,
            }
        },
        "sites": [{"id": f"S{code}", "tier": "comprehensive", "lon": 118.0, "lat": 36.0}],
        "notes": ["walk: straight lines"],
    }
    return CountyOutcome(county, "done", summary=summary, folder=f"counties/{code}")


def test_the_province_summary_weighs_coverage_by_demand(tmp_path: Path) -> None:
    from planner.province.outputs import _proposal_md, province_summary
    from planner.province.runner import ProvinceRun

    units = gpd.GeoDataFrame({"code": ["1"], "name": ["x"]}, geometry=[shapely.box(0, 0, 1, 1)])
    area = StudyArea("x", units.set_crs(32650), units.set_crs(32650).crs)
    study = load_study(_study(tmp_path))
    run = ProvinceRun(
        inputs=StudyInputs(study, area),
        out_dir=tmp_path,
        counties=[
            _outcome("370101", "370100", (100.0, 0.5, 0.9)),  # type: ignore[list-item]
            _outcome("370102", "370100", (300.0, 0.1, 0.5)),  # type: ignore[list-item]
            _outcome("370201", "370200", None),  # type: ignore[list-item]
        ],
        buffer_m=12_500.0,
    )
    s = province_summary(run)
    assert s["counties_total"] == 3 and s["counties_failed"] == 1
    assert s["population"] == 2800.0 and s["demand"] == 400.0
    comp = s["tiers"]["comprehensive"]
    assert comp["covered_before"] == pytest.approx((100 * 0.5 + 300 * 0.1) / 400)
    assert comp["covered_after"] == pytest.approx((100 * 0.9 + 300 * 0.5) / 400)
    assert s["by_city"]["370100"]["counties"] == 2
    assert s["by_city"]["370200"]["counties_failed"] == 1
    assert s["county_rule"]["met"] is False
    assert s["county_rule"]["counties_not_met"] == [
        {"code": "370201", "name": "县370201", "status": "failed"}
    ]
    assert [x["county"] for x in s["sites"]] == ["370101", "370102"]
    assert s["notes"] == ["walk: straight lines (2 of 3 counties)"]
    md = _proposal_md(s, "方案")
    assert "区县 counties: 3（失败 failed: 1）" in md
    assert "- 县370201 (370201): EmptyFileError: no roads" in md


# --- the synthetic province ----------------------------------------------------------------


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_province_demo(
        tmp_path_factory.mktemp("province") / "in", counties=3, scale=0.05, seed=7
    ).study


def test_the_synthetic_province_tiles_its_counties_and_repeats_itself(
    tmp_path: Path, province: Path
) -> None:
    again = write_province_demo(tmp_path / "again", counties=3, scale=0.05, seed=7)
    for name in ("counties.geojson", "roads.osm.pbf", "population.tif", "gtfs.zip", "markets.csv"):
        assert (again.out_dir / name).read_bytes() == (province.parent / name).read_bytes(), name
    feats = json.loads((province.parent / "counties.geojson").read_text(encoding="utf-8"))
    polys = [shapely.geometry.shape(f["geometry"]) for f in feats["features"]]
    assert [f["properties"]["adcode"] for f in feats["features"]] == ["375001", "375002", "375003"]
    for i in range(3):
        for j in range(i + 1, 3):
            assert shapely.intersection(polys[i], polys[j]).area < 1e-9  # side by side
    assert shapely.union_all(polys).area == pytest.approx(sum(p.area for p in polys))
    with (province.parent / "markets.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    comp = {r["行政区划代码"] for r in rows if r["类型"] == "综合性零工市场"}
    assert comp == {"375001", "375002"}  # every third county has none
    assert len({r["编号"] for r in rows}) == len(rows)


def test_demo_refuses_a_province_of_one_county_or_a_foreign_folder(tmp_path: Path) -> None:
    r = runner.invoke(app, ["demo", "--out", str(tmp_path / "p"), "--counties", "1"])
    assert r.exit_code == 2
    assert "counties must be from 2 to 392, got 1" in r.output
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "markets.csv").write_text("编号\n")
    with pytest.raises(InputFileError, match="not written by `planner demo`"):
        write_province_demo(tmp_path / "mine", counties=2, scale=0.05)
    assert (tmp_path / "mine" / "markets.csv").read_text() == "编号\n"


def test_the_split_keeps_every_person_once_and_lends_markets_across_borders(
    province: Path,
) -> None:
    inputs = load_inputs(load_study(province))
    pieces = list(split_inputs(inputs, buffer_m=3000.0))
    assert [p.county.code for p in pieces] == ["375001", "375002", "375003"]
    assert inputs.population is not None
    total = float(inputs.population["population"].sum())
    assert sum(float(p.inputs.population["population"].sum()) for p in pieces) == pytest.approx(
        total, rel=1e-12
    )
    assert inputs.markets is not None
    for p in pieces:
        geom = p.county.geometry
        buffer = geom.buffer(3000.0 + 100.0)
        assert p.inputs.markets is not None
        for m in p.inputs.markets.itertuples():
            assert buffer.contains(m.geometry)
            assert (m.market_id in p.own_markets) == geom.buffer(1e-6).contains(m.geometry)
        assert p.inputs.roads is not None
        assert buffer.buffer(200.0).contains(shapely.union_all(p.inputs.roads.nodes.geometry))
        assert p.inputs.places is not None and geom.buffer(1.0).contains(
            shapely.union_all(p.inputs.places.geometry)
        )
    # a neighbour's market within the buffer is in the piece but not its own
    lent = [m for p in pieces for m in p.inputs.markets["market_id"] if m not in p.own_markets]
    assert lent


def _kill_the_victim(piece: CountyPiece) -> CountyResult:
    """A county task whose worker process dies mid-run for one county."""
    if piece.county.code == VICTIM:
        os.kill(os.getpid(), signal.SIGKILL)
    return run_county(piece)


def test_a_killed_county_fails_alone_and_the_rerun_computes_only_it(
    tmp_path: Path, province: Path
) -> None:
    inputs = load_inputs(load_study(province))
    out = tmp_path / "out"
    seen: list[str] = []
    first = run_province(
        inputs, out, workers=2, task=_kill_the_victim, on_county=lambda o: seen.append(o.status)
    )
    assert len(seen) == 3
    status = {o.county.code: o.status for o in first.counties}
    assert status == {"375001": "done", VICTIM: "failed", "375003": "done"}
    failed = first.failed[0]
    assert failed.county.name == "示范2县" and "KilledWorker" in failed.error
    publish_province(first)
    s1 = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s1["failed"] == [{"code": VICTIM, "name": "示范2县", "error": failed.error}]
    assert s1["county_rule"]["met"] is False

    second = run_province(inputs, out, workers=2)
    assert second.recomputed == [VICTIM]
    assert not second.failed
    publish_province(second)
    summary = (out / "summary.json").read_bytes()
    s = json.loads(summary)
    with rasterio.open(province.parent / "population.tif") as src:
        band = src.read(1).astype(np.float64)
        people = float(band[band != src.nodata].sum())
    assert s["population"] == pytest.approx(people, rel=1e-3)
    assert s["population"] == pytest.approx(sum(c["population"] for c in s["counties"]), rel=1e-9)
    third_county = next(c for c in s["counties"] if c["code"] == "375003")
    assert third_county["comprehensive_open"] == 0 and third_county["new_comprehensive"] >= 1
    assert s["county_rule"]["met"] is True
    assert set(s["by_city"]) == {"375000"}

    # same inputs, same answer: no cache, one worker, another folder, same bytes
    alone = run_province(inputs, tmp_path / "again", workers=1, cache=False)
    assert alone.recomputed == ["375001", VICTIM, "375003"]
    publish_province(alone)
    assert (tmp_path / "again" / "summary.json").read_bytes() == summary
    for code in ("375001", VICTIM):
        a = (out / "counties" / code / "summary.json").read_bytes()
        assert (tmp_path / "again" / "counties" / code / "summary.json").read_bytes() == a

    # the province site stays light: pages and per-county data files apart
    index = (out / "public" / "index.html").read_text(encoding="utf-8")
    assert len(index) < 5_000 and "示范1县" not in index
    assert "leaflet.js" in index and "http" not in index.replace("http-equiv", "")
    data = out / "public" / "data"
    assert sorted(p.name for p in (data / "county").iterdir()) == [
        "375001.js",
        "375002.js",
        "375003.js",
    ]
    assert "示范1县综合零工市场" in (data / "county" / "375001.js").read_text(encoding="utf-8")
    assert "示范1县综合零工市场" not in (data / "province-data.js").read_text(encoding="utf-8")
    drill = (out / "planner_data" / "province-data.js").read_text(encoding="utf-8")
    assert '"folder":"counties/375001"' in drill
    assert (out / "counties" / "375001" / "planner_map.html").is_file()
    assert (out / "counties" / "375001" / "proposal" / "proposal.md").is_file()
    report = json.loads((out / "run_report.json").read_text(encoding="utf-8"))
    assert report["recomputed"] == 1 and report["workers_peak_rss_mb"][0]["peak_rss_mb"] > 50


def test_the_command_line_names_a_failed_county_and_exits_3(tmp_path: Path, province: Path) -> None:
    # a fourth county far from every road: its run cannot build a network
    src = province.parent
    (tmp_path / "in").mkdir()
    for f in src.iterdir():
        (tmp_path / "in" / f.name).write_bytes(f.read_bytes())
    geo = tmp_path / "in" / "counties.geojson"
    g = json.loads(geo.read_text(encoding="utf-8"))
    extra = json.loads(json.dumps(g["features"][0]))
    extra["properties"].update(adcode="375099", name="无路县")

    def shift(c: list) -> list:  # type: ignore[type-arg]
        return [shift(x) for x in c] if isinstance(c[0], list) else [c[0] + 1.0, c[1]]

    extra["geometry"]["coordinates"] = shift(extra["geometry"]["coordinates"])
    g["features"].append(extra)
    geo.write_text(json.dumps(g, ensure_ascii=False), encoding="utf-8")
    study = tmp_path / "in" / "study.toml"
    study.write_text(
        study.read_text(encoding="utf-8").replace('dir = "../maps"', 'dir = "out"'),
        encoding="utf-8",
    )
    # on a cluster of its own, as a bureau's would be: the same tasks through its scheduler
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    ) as cluster:
        address = cluster.scheduler_address
        r = runner.invoke(app, ["run", str(study), "--no-progress", "--scheduler", address])
    assert r.exit_code == 3, r.output
    assert f"4 counties, one task each, on {address}" in r.output
    assert "county 无路县 (375099) failed: EmptyFileError" in r.output
    assert "1 of 4 counties failed" in r.output
    s = json.loads((tmp_path / "in" / "out" / "summary.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in s["failed"]] == ["375099"]
    assert s["counties_failed"] == 1 and len(s["counties"]) == 4


def test_an_unreachable_scheduler_is_an_input_error(tmp_path: Path, province: Path) -> None:
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    r = runner.invoke(
        app,
        ["run", str(province), "--no-progress", "--scheduler", f"tcp://127.0.0.1:{port}"],
    )
    assert r.exit_code == 2, r.output
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in r.output
    assert "key 'run.scheduler'" in r.output


def test_check_of_a_province_checks_the_split_and_the_first_county(province: Path) -> None:
    r = runner.invoke(app, ["check", str(province), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "3 counties, one task each in `planner run` (buffer 12.5 km)" in r.output
    assert "preparing the first, 示范1县 (375001)" in r.output


# --- the real province -----------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.slow
def test_shandong_thin_path_all_136_counties(tmp_path: Path, shared_data: Path) -> None:
    admin = shared_data / "shandong-admin" / "shandong_counties_gcj02.geojson"
    table = shared_data / "shandong-census2020" / "shandong_population_2020_county.csv"
    markets = shared_data / "shandong-gig-markets" / "shandong_gig_markets_published.csv"
    text = study_template()
    text = text.replace('"shandong_counties_gcj02.geojson"', f'"{admin}"')
    text = text.replace('"shandong_population_2020_county.csv"', f'"{table}"')
    text = text.replace('"markets.csv"', f'"{markets}"')
    text = text.replace('codes = ["370602", "370613"]', "codes = []")
    # the template's advice for a province run: a shorter limit per siting call
    text = text.replace("# time_limit_s = 60 ", "time_limit_s = 10 ")
    lines = text.splitlines()
    start = lines.index("[inputs.transit]")  # no bus tables: the thin path
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(("[", "# ---")))
    del lines[start:end]
    study = tmp_path / "study.toml"
    study.write_text("\n".join(lines) + "\n", encoding="utf-8")

    r = runner.invoke(app, ["run", str(study), "--no-progress", "--workers", "2"])
    assert r.exit_code == 0, r.output
    assert "136 counties, one task each, on a local cluster" in r.output

    codes = {
        f["properties"]["adcode"] for f in json.loads(admin.read_text(encoding="utf-8"))["features"]
    }
    with table.open(encoding="utf-8-sig", newline="") as f:
        census = {row["CODE"]: float(row["POPU"]) for row in csv.DictReader(f)}
    mapped = sum(v for k, v in census.items() if k in codes)
    s = json.loads((tmp_path / "output" / "summary.json").read_text(encoding="utf-8"))
    assert len(s["counties"]) == 136 and s["counties_failed"] == 0
    assert s["population"] == pytest.approx(mapped, rel=1e-6)
    for c in s["counties"]:
        assert c["population"] == pytest.approx(census[c["code"]], rel=1e-6), c["name"]
        assert c["markets_open"] + c["new_sites"] >= 1, c["name"]
        # every siting phase ended on its work limit, none on the clock: the plan is the
        # same under any load (43 counties' target MIPs were cut at 10 s before the LP bound)
        county = json.loads(
            (tmp_path / "output" / "counties" / c["code"] / "summary.json").read_text("utf-8")
        )
        cut = [n for n in county["notes"] if "stopped by the" in n]
        assert not cut, (c["name"], cut)
    assert s["county_rule"]["met"] is True
    assert len(s["by_city"]) == 16
    assert sum(city["counties"] for city in s["by_city"].values()) == 136
    jinan = s["by_city"]["370100"]
    assert jinan["name"] == "济南市" and jinan["counties"] == 12
    index = tmp_path / "output" / "public" / "index.html"
    assert index.stat().st_size < 5_000
    overview = tmp_path / "output" / "public" / "data" / "province-data.js"
    assert overview.stat().st_size < 600_000

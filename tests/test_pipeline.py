"""The run's wiring (planner/pipeline.py): bus without roads, modes dropped with a note, the
partial-network warning, the output folder, and check refusing what run refuses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from typer.testing import CliRunner

from planner import settings
from planner.analysis.coverage import coverage
from planner.cli import app
from planner.errors import OutputError
from planner.inputs import load_inputs
from planner.network.access import straight_line_graph
from planner.network.graph import TravelGraph
from planner.pipeline import build_networks, check_output_dir, network_reach, resolve_rules
from planner.publish.proposal_text import english_words
from planner.study import load_study

runner = CliRunner()
LON0, LAT0 = 121.40, 37.50  # Yantai
UTM = 32651
TO_LL = Transformer.from_crs(UTM, 4326, always_xy=True)
TO_XY = Transformer.from_crs(4326, UTM, always_xy=True)
X0, Y0 = TO_XY.transform(LON0, LAT0)


def _lonlat(dx: float, dy: float) -> tuple[float, float]:
    lon, lat = TO_LL.transform(X0 + dx, Y0 + dy)
    return float(lon), float(lat)


def _tiny_study(tmp: Path, *, bus: bool = True, extra: str = "") -> Path:
    """A 10 × 2 km district, census 1,000 people, one bus line of 3 stops along y = 1 km."""
    corners = [_lonlat(x, y) for x, y in [(0, 0), (10000, 0), (10000, 2000), (0, 2000), (0, 0)]]
    feature = {
        "type": "Feature",
        "properties": {"adcode": "379901", "name": "示例区"},
        "geometry": {"type": "Polygon", "coordinates": [corners]},
    }
    (tmp / "area.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}), "utf-8"
    )
    (tmp / "census.csv").write_text("CODE,NAME,POPU\n379901,示例区,1000\n", "utf-8")
    (tmp / "lines.csv").write_text(
        "线路名称,上下行,线路编号,首班,末班\n1路,上行,L1,05:00,22:00\n", "utf-8"
    )
    stops = [_lonlat(1000, 1000), _lonlat(5000, 1000), _lonlat(9000, 1000)]
    (tmp / "stations.csv").write_text(
        "站点编号,站点名称,经度,纬度\n"
        + "".join(f"S{i},站{i},{lon:.7f},{lat:.7f}\n" for i, (lon, lat) in enumerate(stops)),
        "utf-8",
    )
    (tmp / "seq.csv").write_text("站点编号,线路编号,站序\nS0,L1,1\nS1,L1,2\nS2,L1,3\n", "utf-8")
    transit = (
        '[inputs.transit]\nkind = "tables"\nlines = "lines.csv"\nstations = "stations.csv"\n'
        'line_stations = "seq.csv"\ncoords = "wgs84"\nheadway_min = 10\n'
        if bus
        else ""
    )
    text = (
        '[study]\nname = "示例"\n[area]\npath = "area.geojson"\ncoords = "wgs84"\n'
        '[inputs.population]\nkind = "census"\nboundaries = "area.geojson"\n'
        'table = "census.csv"\ncoords = "wgs84"\ncell_size_m = 1000\n'
        + transit
        + '[network]\ndate = "2024-03-05"\n[outputs]\ndir = "out"\n'
        + extra
    )
    p = tmp / "study.toml"
    p.write_text(text, "utf-8")
    return p


def test_bus_without_roads_rides_the_tables(tmp_path: Path) -> None:
    inputs = load_inputs(load_study(_tiny_study(tmp_path)))
    graphs, notes = build_networks(inputs, date=dt.date(2024, 3, 5))
    assert set(graphs) == {"bus"}
    assert any("bus without roads" in n for n in notes)
    # a worker at x = 1.5 km walks to stop 0 (500 m), waits half the 10-min headway,
    # rides 8 km at the bus speed (straight line × circuity, dwell per stop), alights at
    # stop 2 (x = 9 km) and walks 500 m to a market at x = 9.5 km.
    cells = gpd.GeoDataFrame(
        {"demand": [1.0], "population": [1.0]},
        geometry=[shapely.Point(X0 + 1500, Y0 + 1000)],
        crs=inputs.area.crs,
    )
    market = gpd.GeoDataFrame(
        {"market_id": ["M"], "tier": ["comprehensive"]},
        geometry=[shapely.Point(X0 + 9500, Y0 + 1000)],
        crs=inputs.area.crs,
    )
    rules, _ = resolve_rules(inputs, graphs)
    from planner.analysis.coverage import TierRule

    rule = {"comprehensive": TierRule("comprehensive", 60.0, ("bus",))}
    cov = coverage(cells, market, graphs, rules=rule)
    c = settings.CIRCUITY_FACTOR
    walk = 500 * c / (settings.WALK_SPEED_KMH / 3.6)
    ride = 2 * (4000 * c / (settings.BUS_SPEED_KMH / 3.6) + settings.BUS_DWELL_S)
    expected = walk + 5 * 60 + ride + walk
    got = float(cov.cells["comprehensive_bus_time_s"].iloc[0])
    # projected stop positions differ from the intended metres by the round trip through
    # 7-decimal lon/lat (about a centimetre)
    assert got == pytest.approx(expected, abs=0.1)
    assert "comprehensive" in rules and "bus" in rules["comprehensive"].modes


def test_modes_without_data_are_dropped_with_a_note(tmp_path: Path) -> None:
    inputs = load_inputs(load_study(_tiny_study(tmp_path, bus=False)))
    graphs, _ = build_networks(inputs, date=dt.date(2024, 3, 5))
    assert graphs == {}
    rules, notes = resolve_rules(inputs, graphs)
    assert rules["comprehensive"].modes == ("ebike",)
    assert "sector" not in rules  # no places
    assert any(n.startswith("comprehensive: bus left out") for n in notes)
    assert any(n.startswith("sector: no places") for n in notes)


def test_a_tier_with_only_bus_and_no_bus_data_is_left_out(tmp_path: Path) -> None:
    extra = '[tiers.comprehensive]\nmodes = ["bus"]\n'
    inputs = load_inputs(load_study(_tiny_study(tmp_path, bus=False, extra=extra)))
    rules, notes = resolve_rules(inputs, {})
    assert "comprehensive" not in rules
    assert "comprehensive: no mode left, tier left out" in notes


def test_partial_network_share_by_hand() -> None:
    # 4 cells of 100 workers; the walk graph reaches only the first (2 km snapping)
    g = TravelGraph.from_edges("walk", [0, 1], [0.0, 10.0], [0.0, 0.0], [0], [1], [8.0], crs=UTM)
    cells = gpd.GeoDataFrame(
        {"demand": [100.0, 100.0, 100.0, 100.0]},
        geometry=gpd.points_from_xy([0.0, 5000.0, 8000.0, 9000.0], [0.0] * 4),
        crs=UTM,
    )
    (w,) = network_reach(cells, {"walk": g})
    assert w.startswith("PARTIAL ROAD NETWORK: 75% of the demand (3 of 4 cells, 300 workers)")
    assert network_reach(cells.iloc[:1], {"walk": g}) == []


def test_straight_line_graph_times_by_hand() -> None:
    g = straight_line_graph(
        ["a", "b", "c", "d"],
        [[0, 0], [3000, 0], [0, 4000], [3000, 4000]],
        speed_kmh=3.6,
        circuity=1.0,
        max_edge_m=4500,
    )
    m = g.matrix.toarray()
    # sides of 3 and 4 km at 1 m/s; the 5 km diagonal of the Delaunay split is > 4.5 km
    assert m[0, 1] == pytest.approx(3000.0) and m[0, 2] == pytest.approx(4000.0)
    assert (m > 4500).sum() == 0 and g.n_edges == 8
    assert g.max_snap_m == settings.MAX_SNAP_DEMAND_M and g.access_circuity == 1.0


def test_output_folder_problems_are_clear(tmp_path: Path) -> None:
    f = tmp_path / "a_file"
    f.write_text("x")
    with pytest.raises(OutputError, match="the output folder is a file"):
        check_output_dir(f)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if _writable(ro):  # root ignores permissions
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(OutputError, match=r"not writable|cannot create"):
            check_output_dir(ro / "sub")
    finally:
        ro.chmod(0o700)


def _writable(p: Path) -> bool:
    try:
        (p / ".probe").write_text("x")
    except OSError:
        return False
    (p / ".probe").unlink()
    return True


def test_check_refuses_what_run_refuses(tmp_path: Path) -> None:
    study = _tiny_study(tmp_path)
    (tmp_path / "out").write_text("a file where the output folder should be")
    for command in ("check", "run"):
        r = runner.invoke(app, [command, str(study), "--no-progress"])
        assert r.exit_code == 2, (command, r.output)
        assert "out: the output folder is a file" in r.output
        assert "Traceback" not in r.output


def test_run_writes_the_summary(tmp_path: Path) -> None:
    study = _tiny_study(tmp_path)
    r = runner.invoke(app, ["run", str(study), "--no-progress"])
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert s["population"] == pytest.approx(1000.0)
    # 14 % of 1,000 (urban/rural rates are equal by default)
    assert s["demand"] == pytest.approx(1000.0 * settings.PARTICIPATION_RATE_URBAN)
    assert s["service_date"] == "2024-03-05"
    assert set(s["tiers"]) == {"comprehensive", "station"}
    for t in s["tiers"].values():
        assert 0.0 <= t["covered_before"] <= t["covered_after"] <= 1.0
        if t["status"] == "optimal":
            assert t["gap"] == 0.0
    ids = [site["id"] for site in s["sites"]]
    assert len(ids) == len(set(ids)) == sum(t["new_sites"] for t in s["tiers"].values())
    # every site lies in the district (lon/lat converted back independently)
    poly = shapely.Polygon(
        [_lonlat(x, y) for x, y in [(0, 0), (10000, 0), (10000, 2000), (0, 2000)]]
    )
    for site in s["sites"]:
        assert poly.buffer(1e-6).contains(shapely.Point(site["lon"], site["lat"]))
        # why, in Chinese (planner.analysis.reasons); the command line prints one short line
        assert "设置后可新增覆盖" in site["reason"] and english_words(site["reason"]) == []
        assert f"  - {site['id']} " in r.output
    assert "新增覆盖约" in r.output and "newly covers" not in r.output
    # the same inputs give the same bytes
    first = (tmp_path / "out" / "summary.json").read_bytes()
    assert runner.invoke(app, ["run", str(study), "--no-progress"]).exit_code == 0
    assert (tmp_path / "out" / "summary.json").read_bytes() == first


def test_missing_study_file_names_a_real_command(tmp_path: Path) -> None:
    r = runner.invoke(app, ["run", str(tmp_path / "study.toml")])
    assert r.exit_code == 2
    assert "planner template study" in r.output


def test_template_study_writes_a_parsable_template(tmp_path: Path) -> None:
    out = tmp_path / "s.toml"
    r = runner.invoke(app, ["template", "study", str(out)])
    assert r.exit_code == 0, r.output
    assert "[inputs.transit]" in out.read_text("utf-8")
    assert np.all([k in out.read_text("utf-8") for k in ("[plan]", "[network]", "[candidates]")])


def test_the_small_demo_runs_end_to_end(tmp_path: Path) -> None:
    # write_demo_inputs' docstring example (scale=0.05) then run_study used to crash
    from planner.demo import write_demo_inputs
    from planner.pipeline import run_study

    files = write_demo_inputs(tmp_path, scale=0.05)
    run = run_study(load_inputs(load_study(files.study)))
    # the people the run counts are the people the generator wrote into the raster
    assert float(run.cells["population"].sum()) == pytest.approx(
        files.summary.population_total, rel=1e-6
    )
    assert len(repr(run)) < 300 and "StudyRun" in repr(run)
    html = run._repr_html_()
    assert html.startswith("<table>") and "示范县" in html


def test_a_basemap_without_its_key_writes_nothing(tmp_path: Path) -> None:
    # the study file refuses it; a study built in a notebook is refused before any file
    # is written (no new summary.json beside the maps of an earlier run)
    from dataclasses import replace

    from planner.errors import InvalidValueError
    from planner.pipeline import publish_run, run_study

    study = load_study(_tiny_study(tmp_path))
    run = run_study(load_inputs(study))
    assert study.outputs is not None
    bad = replace(study, outputs=replace(study.outputs, tiles="tianditu", tianditu_key=None))
    run = replace(run, inputs=replace(run.inputs, study=bad))
    with pytest.raises(InvalidValueError, match="Tianditu tiles need a key"):
        publish_run(run, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists() or not any((tmp_path / "fresh").iterdir())


def test_route_tables_are_measured_on_a_fixed_winter_tuesday() -> None:
    # not a day counted from today: the tables' first and last buses change with the season
    from planner.io.transit import DEFAULT_SUMMER_MONTHS
    from planner.pipeline import default_service_date

    d = default_service_date(None)
    assert d == settings.DEFAULT_SERVICE_DATE
    assert d.isoweekday() == 2 and d.month not in DEFAULT_SUMMER_MONTHS


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_failure_while_publishing_leaves_the_output_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.pipeline import publish_run, run_study
    from planner.publish import proposals

    study = load_study(_tiny_study(tmp_path))
    run = run_study(load_inputs(study))
    out = tmp_path / "pub"
    first = publish_run(run, out)
    before = _tree(out)
    assert (out / "summary.json").is_file() and set(first.values()) <= {out / k for k in before}

    def broken(*args: object, **kw: object) -> list[Path]:
        raise OSError("disk full")

    # the proposal is written last: every other publisher has written by then
    monkeypatch.setattr(proposals, "write_proposal", broken)
    bad = dataclasses.replace(run, date=dt.date(2024, 3, 12))  # another summary.json
    with pytest.raises(OSError, match="disk full"):
        publish_run(bad, out)
    assert _tree(out) == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".planner-publishing")) == []


def test_a_foreign_file_in_the_way_stops_publishing_before_any_write(tmp_path: Path) -> None:
    from planner.errors import InputFileError
    from planner.pipeline import publish_run, run_study

    study = load_study(_tiny_study(tmp_path))
    run = run_study(load_inputs(study))
    out = tmp_path / "pub"
    (out / "proposal").mkdir(parents=True)
    (out / "proposal" / "proposal.md").write_text("我的笔记", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"proposal\.md.*not written by planner"):
        publish_run(run, out)
    assert _tree(out) == {"proposal/proposal.md": "我的笔记".encode()}


def test_move_tree_checks_every_target_first(tmp_path: Path) -> None:
    from planner.errors import InputFileError
    from planner.publish._output import move_tree

    src, dst = tmp_path / "src", tmp_path / "dst"
    for name, text in {"a.txt": "new a", "m/b.txt": "new b", "m/c.txt": "same"}.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    (dst / "m").mkdir(parents=True)
    (dst / "m" / "c.txt").write_text("same")  # identical bytes: fine
    (dst / "a.txt").write_text("an older planner's map")  # unrecorded: refused unless adopted
    with pytest.raises(InputFileError, match=r"a\.txt.*not written by planner"):
        move_tree(src, dst)
    assert _tree(dst) == {"a.txt": b"an older planner's map", "m/c.txt": b"same"}
    written = move_tree(src, dst, adopt=["a.txt"])
    assert written == [dst / "a.txt", dst / "m" / "b.txt", dst / "m" / "c.txt"]
    assert _tree(dst) == {
        "a.txt": b"new a",
        "m/b.txt": b"new b",
        "m/c.txt": b"same",
        ".planner-outputs.json": (dst / ".planner-outputs.json").read_bytes(),
        "m/.planner-outputs.json": (dst / "m" / ".planner-outputs.json").read_bytes(),
    }
    (dst / "m" / "b.txt").write_text("edited by hand")  # recorded, then changed: refused
    with pytest.raises(InputFileError, match=r"b\.txt.*changed since"):
        move_tree(src, dst)

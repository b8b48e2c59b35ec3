"""The run's GeoPackage (planner/publish/gpkg.py, gpkg_styles.py, qgis_style.py) and reading it
back (planner/io/runfile.py, planner/io/planned.py): every layer with the run's rows, a round
trip to the run's frames, QGIS styles per layer, and the QGIS loop (edit the proposed sites,
rerun with ``--sites``) checked against a hand computation."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import CRS, Transformer
from typer.testing import CliRunner

from planner import settings
from planner.analysis.coverage import coverage_gaps
from planner.cli import app
from planner.demo import write_demo_inputs
from planner.errors import (
    ColumnError,
    CoordinateError,
    CRSError,
    DuplicateIdError,
    GeometryError,
    InputFileError,
    InvalidValueError,
    MissingFileError,
    OutputError,
    StudyFileError,
)
from planner.inputs import load_inputs
from planner.io.crs import StudyArea
from planner.io.planned import read_planned_sites
from planner.io.runfile import gpkg_filename, read_run_gpkg
from planner.pipeline import run_study
from planner.publish.gpkg import run_layers, write_run_gpkg
from planner.publish.maps import _DEMAND_COLOURS, TIER_COLOURS, TIER_LABELS, _coverage_polygons
from planner.run import StudyRun
from planner.study import load_study

runner = CliRunner()

#: The columns of QGIS's own ``layer_styles`` table (QgsOgrProviderMetadata::saveStyle).
QGIS_STYLE_COLUMNS = [
    "id",
    "f_table_catalog",
    "f_table_schema",
    "f_table_name",
    "f_geometry_column",
    "styleName",
    "styleQML",
    "styleSLD",
    "useAsDefault",
    "description",
    "owner",
    "ui",
    "update_time",
]


# --------------------------------------------------------------------------------------
# A small demo run, written once
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> StudyRun:
    files = write_demo_inputs(tmp_path_factory.mktemp("demo"), scale=0.1)
    return run_study(load_inputs(load_study(files.study)))


@pytest.fixture(scope="module")
def written(run: StudyRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run_gpkg(run, tmp_path_factory.mktemp("gpkg") / "demo.gpkg")


def _text(v: object) -> object:
    """A cell as plain Python for comparisons: NA/NaN/None → None, arrays → lists."""
    if isinstance(v, list | tuple | np.ndarray):
        return [str(x) for x in v]
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return v


def _same(a: pd.Series, b: pd.Series) -> bool:
    return [_text(x) for x in a] == [_text(x) for x in b]


def _styles(path: Path) -> pd.DataFrame:
    con = sqlite3.connect(path)
    try:
        return pd.read_sql("SELECT * FROM layer_styles ORDER BY id", con)
    finally:
        con.close()


def _qml(path: Path, layer: str, default: bool = True) -> ET.Element:
    st = _styles(path)
    row = st[(st["f_table_name"] == layer) & (st["useAsDefault"] == int(default))].iloc[0]
    text = row["styleQML"]
    assert text.startswith("<!DOCTYPE qgis")
    return ET.fromstring(text.split("\n", 1)[1])


def test_every_layer_with_the_runs_rows(run: StudyRun, written: Path) -> None:
    layers = {str(n): str(g) for n, g in pyogrio.list_layers(written)}
    counts = {n: pyogrio.read_info(written, layer=n)["features"] for n in layers}
    tiers = list(run.plan.after.rules)
    expected = {
        "units": len(run.inputs.area.units),
        "cells": len(run.cells),
        "gaps": sum(
            len(coverage_gaps(cov, t)) for cov in (run.plan.before, run.plan.after) for t in tiers
        ),
        # the demo has markets of every tier, so every tier and mode has an area
        "isochrones": sum(len(r.modes) for r in run.coverage.rules.values()),
        "markets": len(run.markets),
        "candidates": sum(len(c) for c in run.candidates.values()),
        "sites": len(run.plan.sites),
        "stops": len(run.inputs.transit.stops),
        "roads": len(run.inputs.roads.streets),
    }
    assert {n: counts[n] for n in expected} == expected
    assert layers["layer_styles"] == "None"  # an attribute table, as QGIS makes it
    assert layers["sites"] == "Point" and layers["gaps"] == "MultiPolygon"
    assert pyogrio.read_info(written, layer="cells")["crs"] == "EPSG:4326"


def test_round_trip_cells_before_and_after(run: StudyRun, written: Path) -> None:
    rf = read_run_gpkg(written, crs=run.cells.crs)
    assert rf.tiers == [t for t in settings.TIERS if t in run.plan.after.rules]
    for frame, cov in ((rf.cells_before, run.plan.before), (rf.cells_after, run.plan.after)):
        cells = cov.cells.reset_index(drop=True)
        for col in ("cell_id", "urban"):
            assert _same(frame[col], cells[col]), col
        for col in ("population", "demand", "cell_area_m2"):
            np.testing.assert_allclose(frame[col], cells[col], rtol=1e-12)
        for t in rf.tiers:
            got, want = frame[f"{t}_time_s"].to_numpy(), cells[f"{t}_time_s"].to_numpy()
            assert (np.isinf(got) == np.isinf(want)).all()
            np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-12)
            for c in ("mode", "market", "covered"):
                assert _same(frame[f"{t}_{c}"], cells[f"{t}_{c}"]), f"{t}_{c}"
        d = shapely.distance(np.asarray(frame.geometry.values), np.asarray(cells.geometry.values))
        assert float(np.max(d)) < 1e-6  # metres, after WGS-84 and back


def test_round_trip_sites_markets_candidates(run: StudyRun, written: Path) -> None:
    rf = read_run_gpkg(written, crs=run.cells.crs)
    sites = run.plan.sites.reset_index(drop=True)
    assert len(rf.sites) == len(sites) > 0
    for col in rf.sites.columns.drop("geometry"):
        if col in ("new_demand", "nearest_market_min"):
            np.testing.assert_allclose(rf.sites[col], sites[col], rtol=1e-12)
        else:
            assert _same(rf.sites[col], sites[col]), col
    assert set(rf.sites.columns) >= {"site_id", "tier", "anchor_name", "reason", "new_demand"}
    mk = run.markets.reset_index(drop=True)
    for col in ("market_id", "name", "tier", "status", "address", "hours", "phone"):
        assert _same(rf.markets[col], mk[col]), col
    for col in ("occupations", "services", "facilities"):
        assert [list(v) for v in rf.markets[col]] == [list(map(str, v)) for v in mk[col]]
    assert set(rf.candidates) == set(run.candidates)
    for t, cand in run.candidates.items():
        c = cand.reset_index(drop=True)
        for col in ("candidate_id", "anchor_kind", "anchor_name", "source"):
            assert _same(rf.candidates[t][col], c[col]), (t, col)
    assert _same(rf.units["code"], run.inputs.area.units["code"])
    for a, b in zip(rf.units.geometry, run.inputs.area.units.geometry, strict=True):
        assert shapely.hausdorff_distance(a, b) < 1e-6
    assert rf.stops is not None and _same(rf.stops["stop_id"], run.inputs.transit.stops["stop_id"])
    assert rf.roads is not None and len(rf.roads) == len(run.inputs.roads.streets)
    np.testing.assert_allclose(rf.roads["length_m"], run.inputs.roads.streets["length_m"])


def test_gap_population_and_demand_by_hand(run: StudyRun, written: Path) -> None:
    rf = read_run_gpkg(written, crs=run.cells.crs)
    for stage, cov in (("before", run.plan.before), ("after", run.plan.after)):
        cells = cov.cells
        for t in rf.tiers:
            g = rf.gaps[(rf.gaps["tier"] == t) & (rf.gaps["stage"] == stage)]
            un = ~cells[f"{t}_covered"].to_numpy(dtype=bool) & (cells["demand"] > 0).to_numpy()
            # every uncovered cell with demand is in exactly one gap
            assert g["demand"].sum() == pytest.approx(cells["demand"][un].sum(), rel=1e-9)
            assert g["population"].sum() == pytest.approx(cells["population"][un].sum(), rel=1e-9)
            assert int(g["n_cells"].sum()) == int(un.sum())
            assert list(g["gap_id"]) == list(range(1, len(g) + 1))


def test_isochrones_are_the_planner_maps_areas_per_mode(run: StudyRun, written: Path) -> None:
    rf = read_run_gpkg(written, crs=run.cells.crs)
    iso = rf.isochrones
    assert set(iso["stage"]) == {"before"} and set(iso["method"]) == {"network"}
    for tier, rule in run.coverage.rules.items():
        rows = iso[iso["tier"] == tier]
        assert sorted(rows["mode"]) == sorted(rule.modes)
        assert set(rows["minutes"]) == {rule.threshold_min}
        # the union over the modes is the planner map's area of the tier (simplified alike)
        mine = shapely.union_all(np.asarray(rows.geometry.values))
        theirs = _coverage_polygons(run, tier, True)
        assert mine.symmetric_difference(theirs).area < 0.02 * theirs.area


def test_crs_choices(run: StudyRun, tmp_path: Path) -> None:
    cg = write_run_gpkg(run, tmp_path / "cg.gpkg", crs="cgcs2000")
    assert pyogrio.read_info(cg, layer="sites")["crs"] == "EPSG:4490"
    pr = write_run_gpkg(run, tmp_path / "pr.gpkg", crs="projected")
    assert CRS(pyogrio.read_info(pr, layer="sites")["crs"]).equals(run.cells.crs)
    # no reprojection: the run's coordinates exactly
    back = read_run_gpkg(pr)
    assert back.sites.geometry.geom_equals_exact(
        run.plan.sites.geometry.reset_index(drop=True), tolerance=0
    ).all()
    # WGS-84: the same points as pyproj puts them
    wg = read_run_gpkg(write_run_gpkg(run, tmp_path / "wg.gpkg"))
    tr = Transformer.from_crs(run.cells.crs, 4326, always_xy=True)
    lon, lat = tr.transform(run.plan.sites.geometry.x.to_numpy(), run.plan.sites.geometry.y)
    np.testing.assert_allclose(wg.sites.geometry.x, lon, atol=1e-12)
    np.testing.assert_allclose(wg.sites.geometry.y, lat, atol=1e-12)
    with pytest.raises(CRSError, match="unknown GeoPackage CRS 'gcj02'"):
        run_layers(run, crs="gcj02")


def test_same_run_same_bytes(run: StudyRun, written: Path, tmp_path: Path) -> None:
    again = write_run_gpkg(run, tmp_path / "again.gpkg")
    assert again.read_bytes() == written.read_bytes()
    con = sqlite3.connect(again)
    stamps = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
    con.close()
    assert stamps == {f"{run.date.isoformat()}T00:00:00.000Z"}  # not the clock


def test_never_over_a_file_planner_did_not_write(run: StudyRun, tmp_path: Path) -> None:
    path = write_run_gpkg(run, tmp_path / "x.gpkg")
    con = sqlite3.connect(path)  # a planner edits the file in QGIS
    con.execute("DELETE FROM sites WHERE fid = 1")
    con.commit()
    con.close()
    with pytest.raises(InputFileError, match="was not written by planner"):
        write_run_gpkg(run, path)
    with pytest.raises(InputFileError, match="refusing to write over an input"):
        write_run_gpkg(run, tmp_path / "y.gpkg", inputs=[tmp_path / "y.gpkg"])
    with pytest.raises(OutputError, match=r"\.gpkg file"):
        write_run_gpkg(run, tmp_path / "z.sqlite")


def test_a_plan_without_sites_still_has_a_sites_layer_to_add_to(
    run: StudyRun, tmp_path: Path
) -> None:
    empty = gpd.GeoDataFrame(
        {"site_id": [], "tier": [], "new_demand": []}, geometry=[], crs=run.cells.crs
    )
    none = dataclasses.replace(run, plan=dataclasses.replace(run.plan, sites=empty))
    path = write_run_gpkg(none, tmp_path / "none.gpkg")
    info = pyogrio.read_info(path, layer="sites")
    assert info["features"] == 0 and info["geometry_type"] == "Point"
    assert {"site_id", "tier", "name", "new_dem", "reason"} <= set(info["fields"])


# --------------------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------------------


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4))


def _option(layer_el: ET.Element, key: str) -> str:
    opts = {o.get("name"): o.get("value") for o in layer_el.find("Option").findall("Option")}
    props = {p.get("k"): p.get("v") for p in layer_el.findall("prop")}
    assert opts[key] == props[key]  # both forms QGIS 3 reads agree
    return str(opts[key])


def test_layer_styles_table_follows_qgis(written: Path) -> None:
    con = sqlite3.connect(written)
    cols = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
    contents = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
    con.close()
    assert cols == QGIS_STYLE_COLUMNS
    assert contents["layer_styles"] == "attributes"
    st = _styles(written)
    data_layers = [str(n) for n, g in pyogrio.list_layers(written) if g is not None]
    defaults = st[st["useAsDefault"] == 1]
    # one default style per layer, for every layer and nothing else
    assert sorted(defaults["f_table_name"]) == sorted(data_layers)
    for name in data_layers:
        geom = pyogrio.read_info(written, layer=name)["geometry_name"]
        assert set(st.loc[st["f_table_name"] == name, "f_geometry_column"]) == {geom}
    assert st["update_time"].isna().all()  # no clock time in the file
    for text in st["styleQML"]:
        root = ET.fromstring(text.split("\n", 1)[1])
        assert root.tag == "qgis" and root.find("renderer-v2") is not None
    kinds = {
        n: _qml(written, n).find("renderer-v2").get("type")  # type: ignore[union-attr]
        for n in data_layers
    }
    assert kinds == {
        "units": "singleSymbol",
        "cells": "graduatedSymbol",
        "gaps": "categorizedSymbol",
        "isochrones": "categorizedSymbol",
        "markets": "categorizedSymbol",
        "candidates": "categorizedSymbol",
        "sites": "categorizedSymbol",
        "stops": "singleSymbol",
        "roads": "singleSymbol",
    }


def test_sites_and_markets_in_the_planner_maps_colours_and_symbols(written: Path) -> None:
    shapes = {"comprehensive": "star", "sector": "triangle", "station": "square"}  # ★ ▲ ■
    for layer in ("sites", "markets"):
        r = _qml(written, layer).find("renderer-v2")
        assert r is not None and r.get("attr") == "tier"
        cats = r.findall("categories/category")
        assert [c.get("value") for c in cats] == list(settings.TIERS)
        assert [c.get("label") for c in cats] == [TIER_LABELS[t] for t in settings.TIERS]
        symbols = {s.get("name"): s for s in r.findall("symbols/symbol")}
        for c in cats:
            sl = symbols[c.get("symbol")].find("layer")
            assert sl is not None and sl.get("class") == "SimpleMarker"
            tier = str(c.get("value"))
            assert _option(sl, "color").startswith(_rgb(TIER_COLOURS[tier]) + ",")
            want = shapes[tier] if layer == "sites" else "circle"
            assert _option(sl, "name") == want
    # labelled with the name; the tier field is a drop-down of the Chinese names
    root = _qml(written, "sites")
    assert root.get("labelsEnabled") == "1"
    assert root.find("labeling/settings/text-style").get("fieldName") == "name"  # type: ignore[union-attr]
    vm = root.find("fieldConfiguration/field[@name='tier']/editWidget")
    assert vm is not None and vm.get("type") == "ValueMap"
    pairs = {o.get("name"): o.get("value") for o in vm.iter("Option") if o.get("value")}
    assert pairs == {TIER_LABELS[t]: t for t in settings.TIERS}


def test_demand_is_graduated_by_quantiles(run: StudyRun, written: Path) -> None:
    r = _qml(written, "cells").find("renderer-v2")
    assert r is not None and r.get("attr") == "demand"
    ranges = r.findall("ranges/range")
    d = run.cells["demand"].to_numpy(dtype=float)
    q = np.quantile(d[d > 0], [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert [float(x.get("lower", "nan")) for x in ranges] == pytest.approx(q[:-1], rel=1e-12)
    assert [float(x.get("upper", "nan")) for x in ranges] == pytest.approx(q[1:], rel=1e-12)
    symbols = {s.get("name"): s.find("layer") for s in r.findall("symbols/symbol")}
    side = float(np.sqrt(np.median(run.cells["cell_area_m2"])))
    for i, x in enumerate(ranges):
        sl = symbols[x.get("symbol")]
        assert sl is not None
        assert _option(sl, "color").startswith(_rgb(_DEMAND_COLOURS[i]) + ",")
        assert _option(sl, "name") == "square"
        assert _option(sl, "size_unit") == "RenderMetersInMapUnits"  # the cell's own size
        assert float(_option(sl, "size")) == pytest.approx(side)


def test_coverage_classes_of_each_tier(run: StudyRun, written: Path) -> None:
    st = _styles(written)
    extra = st[(st["f_table_name"] == "cells") & (st["useAsDefault"] == 0)]
    assert len(extra) == len(run.plan.after.rules)
    fields = set(pyogrio.read_info(written, layer="cells")["fields"])
    for text in extra["styleQML"]:
        r = ET.fromstring(text.split("\n", 1)[1]).find("renderer-v2")
        assert r is not None and r.get("type") == "categorizedSymbol"
        assert [c.get("value") for c in r.findall("categories/category")] == [
            "before",
            "after",
            "none",
        ]
        used = {w.strip('"') for w in str(r.get("attr")).split() if w.startswith('"')}
        assert used and used <= fields


def test_aliases_in_the_styles_and_the_schema_table(written: Path) -> None:
    con = sqlite3.connect(written)
    titles = {(t, c): title for t, c, title in con.execute(
        "SELECT table_name, column_name, title FROM gpkg_data_columns")}  # fmt: skip
    ext = con.execute(
        "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'"
    ).fetchone()[0]
    con.close()
    assert ext == 1
    for name, geom in pyogrio.list_layers(written):
        if geom is None:
            continue
        fields = list(pyogrio.read_info(written, layer=name)["fields"])
        aliases = {a.get("field"): a for a in _qml(written, str(name)).iter("alias")}
        for i, f in enumerate(fields, start=1):  # fid is field 0 in QGIS
            assert titles[(str(name), f)], (name, f)
            assert aliases[f].get("name") == titles[(str(name), f)]
            assert aliases[f].get("index") == str(i)
    assert titles[("cells", "pop")] == "人口（人）"
    assert titles[("sites", "near_min")] == "到最近现有市场时间（分钟）"


_QGIS_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from qgis.core import QgsApplication, QgsVectorLayer
    app = QgsApplication([], False)
    app.initQgis()
    out = {}
    for name in sys.argv[2:]:
        lyr = QgsVectorLayer(sys.argv[1] + "|layername=" + name, name, "ogr")
        r = lyr.renderer()
        n = len(r.categories()) if r.type() == "categorizedSymbol" else (
            len(r.ranges()) if r.type() == "graduatedSymbol" else 1)
        out[name] = [lyr.isValid(), r.type(), n, lyr.fields().field(1).alias()]
    print(json.dumps(out))
    """
)


def _system_qgis() -> str | None:
    py = shutil.which("python3", path="/usr/bin")
    if py is None:
        return None
    ok = subprocess.run([py, "-c", "import qgis.core"], capture_output=True, timeout=60)
    return py if ok.returncode == 0 else None


def test_qgis_opens_the_file_styled(written: Path) -> None:
    py = _system_qgis()
    if py is None:
        pytest.skip("QGIS's Python bindings are not installed (apt-get install python3-qgis)")
    names = [str(n) for n, g in pyogrio.list_layers(written) if g is not None]
    r = subprocess.run(
        [py, "-c", _QGIS_SCRIPT, str(written), *names],
        capture_output=True,
        text=True,
        timeout=300,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    kinds = {n: _qml(written, n).find("renderer-v2").get("type") for n in names}  # type: ignore[union-attr]
    for n in names:
        valid, kind, _count, alias = got[n]
        assert valid and kind == kinds[n], n
        assert alias  # the first field's Chinese alias
    assert got["sites"][2] == len(settings.TIERS)
    assert got["cells"][2] == 5


_QGIS_EDIT = textwrap.dedent(
    """
    import sys
    from qgis.core import (QgsApplication, QgsFeature, QgsGeometry, QgsPointXY,
                           QgsVectorLayer)
    app = QgsApplication([], False)
    app.initQgis()
    lyr = QgsVectorLayer(sys.argv[1] + "|layername=sites", "sites", "ogr")
    feats = sorted(lyr.getFeatures(), key=lambda f: f.id())
    lyr.startEditing()
    p = feats[0].geometry().asPoint()
    lyr.changeGeometry(feats[0].id(), QgsGeometry.fromPointXY(QgsPointXY(p.x() + 0.01, p.y())))
    lyr.deleteFeature(feats[1].id())
    new = QgsFeature(lyr.fields())
    new.setAttribute("tier", "station")
    new.setAttribute("name", "新站")
    new.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(p.x(), p.y() + 0.01)))
    lyr.addFeature(new)
    assert lyr.commitChanges(), lyr.commitErrors()
    """
)


def test_sites_edited_in_qgis_read_back(run: StudyRun, written: Path, tmp_path: Path) -> None:
    py = _system_qgis()
    if py is None:
        pytest.skip("QGIS's Python bindings are not installed (apt-get install python3-qgis)")
    edited = tmp_path / "edited.gpkg"
    shutil.copy(written, edited)
    before = pyogrio.read_dataframe(edited, layer="sites", fid_as_index=True).sort_index()
    assert len(before) >= 2
    r = subprocess.run(
        [py, "-c", _QGIS_EDIT, str(edited)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    got = read_planned_sites(edited, area=run.inputs.area).markets
    ids = list(before["site_id"])
    assert ids[1] not in set(got["market_id"])  # deleted in QGIS
    new_fid = int(before.index.max()) + 1
    assert list(got["market_id"]) == [ids[0], *ids[2:], f"sites-{new_fid}"]
    assert got["tier"].iloc[-1] == "station" and got["name"].iloc[-1] == "新站"
    tr = Transformer.from_crs(4326, run.cells.crs, always_xy=True)
    p0 = before.geometry.iloc[0]
    moved = shapely.Point(*tr.transform(p0.x + 0.01, p0.y))
    assert got.geometry.iloc[0].distance(moved) < 1e-6


# --------------------------------------------------------------------------------------
# The QGIS loop: edit the proposed sites, rerun with --sites
# --------------------------------------------------------------------------------------

UTM = 32651
LON0, LAT0 = 121.40, 37.50  # Yantai
TO_LL = Transformer.from_crs(UTM, 4326, always_xy=True)
TO_XY = Transformer.from_crs(4326, UTM, always_xy=True)
X0, Y0 = TO_XY.transform(LON0, LAT0)


def _lonlat(dx: float, dy: float) -> tuple[float, float]:
    lon, lat = TO_LL.transform(X0 + dx, Y0 + dy)
    return float(lon), float(lat)


def _tiny_study(tmp: Path) -> Path:
    """A 10 × 2 km district of 1,000 people (census, evenly spread), no roads, no bus."""
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
    text = (
        '[study]\nname = "示例"\n[area]\npath = "area.geojson"\ncoords = "wgs84"\n'
        '[inputs.population]\nkind = "census"\nboundaries = "area.geojson"\n'
        'table = "census.csv"\ncoords = "wgs84"\ncell_size_m = 1000\n'
        '[network]\ndate = "2024-03-05"\n[outputs]\ndir = "out"\n'
    )
    p = tmp / "study.toml"
    p.write_text(text, "utf-8")
    return p


def _run_cli(*args: str) -> str:
    r = runner.invoke(app, [*args, "--no-progress"])
    assert r.exit_code == 0, r.output
    return r.output


def _reach_m(mode: str, minutes: float) -> float:
    """Straight-line reach of the fallback: minutes × speed / circuity (by hand)."""
    speed = {"walk": settings.WALK_SPEED_KMH, "ebike": settings.EBIKE_SPEED_KMH}[mode] / 3.6
    return minutes * 60 * speed / settings.CIRCUITY_FACTOR


def test_moving_a_site_in_qgis_and_rerunning(tmp_path: Path) -> None:
    study = _tiny_study(tmp_path)
    _run_cli("run", str(study))
    first = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    gpkg = tmp_path / "out" / first["gpkg"]
    assert gpkg.name == "示例.gpkg" and gpkg.exists()
    assert first["tiers"]["comprehensive"]["covered_after"] == pytest.approx(1.0)

    # In QGIS: move the comprehensive site to the west end (x = 500 m), add a station at
    # the east end (x = 9,000 m) without an id, its tier picked from the Chinese names,
    # and save the sites as edited.gpkg.
    sites = pyogrio.read_dataframe(gpkg, layer="sites")
    comp = sites[sites["tier"] == "comprehensive"].iloc[[0]].copy()
    comp["geometry"] = [shapely.Point(*_lonlat(500, 1000))]
    new = gpd.GeoDataFrame(
        {"site_id": [None], "tier": ["零工服务站点"], "name": ["新增驿站"]},
        geometry=[shapely.Point(*_lonlat(9000, 1000))],
        crs=4326,
    )
    edited = gpd.GeoDataFrame(pd.concat([comp, new], ignore_index=True), crs=4326)
    pyogrio.write_dataframe(edited, tmp_path / "edited.gpkg", layer="sites", driver="GPKG")

    out = _run_cli(
        "run", str(study), "--sites", str(tmp_path / "edited.gpkg"), "--out", str(tmp_path / "o2")
    )
    assert "planned sites: 2" in out
    second = json.loads((tmp_path / "o2" / "summary.json").read_text("utf-8"))
    assert any("planned sites from edited.gpkg" in n for n in second["notes"])
    rf = read_run_gpkg(tmp_path / "o2" / second["gpkg"], crs=UTM)
    planned = rf.markets[rf.markets["status"] == "planned"]
    assert sorted(planned["tier"]) == ["comprehensive", "station"]
    assert "sites-2" in set(planned["market_id"])  # the new feature's id: layer-fid

    # By hand: straight lines (no roads) from each cell's point to the planned sites.
    cells = rf.cells_before
    xy = np.column_stack([cells.geometry.x, cells.geometry.y])
    site_c = np.array(TO_XY.transform(*_lonlat(500, 1000)))
    site_s = np.array(TO_XY.transform(*_lonlat(9000, 1000)))
    d_c = np.hypot(*(xy - site_c).T)
    d_s = np.hypot(*(xy - site_s).T)
    w = cells["demand"].to_numpy()
    comp_reach = _reach_m("ebike", 30)  # comprehensive: 30 min by e-bike (bus has no data)
    comp_cov = d_c <= comp_reach
    # stations: a 15-minute e-bike ride, or 5 km in the countryside, to a station or to
    # any larger market
    near = np.minimum(d_c, d_s)
    rural = ~cells["urban"].to_numpy(dtype=bool)
    stat_cov = (near <= _reach_m("ebike", 15)) | (rural & (near <= 5000.0))
    for d, r in ((d_c, comp_reach), (near, _reach_m("ebike", 15)), (near, 5000.0)):
        assert np.min(np.abs(d - r)) > 1.0  # no cell on a boundary: the test is decisive
    assert (cells["comprehensive_covered"].to_numpy() == comp_cov).all()
    assert (cells["station_covered"].to_numpy() == stat_cov).all()
    t = second["tiers"]
    assert t["comprehensive"]["covered_before"] == pytest.approx(w[comp_cov].sum() / w.sum())
    assert t["station"]["covered_before"] == pytest.approx(w[stat_cov].sum() / w.sum())
    # moving the site west uncovered the east end
    assert t["comprehensive"]["covered_before"] < first["tiers"]["comprehensive"]["covered_after"]
    assert t["comprehensive"]["covered_after"] >= t["comprehensive"]["covered_before"]


def test_a_site_deleted_in_qgis_is_gone(tmp_path: Path) -> None:
    study = _tiny_study(tmp_path)
    _run_cli("run", str(study))
    gpkg = tmp_path / "out" / "示例.gpkg"
    edited = tmp_path / "edited.gpkg"
    shutil.copy(gpkg, edited)
    con = sqlite3.connect(edited)  # QGIS deletes a feature with a plain DELETE
    gone = con.execute("SELECT site_id FROM sites WHERE tier = 'comprehensive'").fetchone()[0]
    con.execute("DELETE FROM sites WHERE site_id = ?", (gone,))
    con.commit()
    left = [r[0] for r in con.execute("SELECT site_id FROM sites")]
    con.close()
    area = load_inputs(load_study(study)).area
    planned = read_planned_sites(edited, area=area)
    assert gone not in set(planned.markets["market_id"])
    assert sorted(planned.markets["market_id"]) == sorted(left)
    assert (planned.markets["status"] == "planned").all()
    assert CRS(planned.markets.crs).equals(area.crs)


def test_the_edited_file_is_not_the_output(tmp_path: Path) -> None:
    study = _tiny_study(tmp_path)
    _run_cli("run", str(study))
    gpkg = tmp_path / "out" / "示例.gpkg"
    r = runner.invoke(app, ["run", str(study), "--sites", str(gpkg), "--no-progress"])
    assert r.exit_code == 2
    assert "is the GeoPackage this run writes" in r.output and "edited.gpkg" in r.output


def _write_sites(path: Path, frame: gpd.GeoDataFrame, layer: str = "sites") -> Path:
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")
    return path


def _site_frame(**cols: object) -> gpd.GeoDataFrame:
    data = {"site_id": ["A"], "tier": ["station"], "name": ["甲"], **cols}
    geom = data.pop("geometry", [shapely.Point(*_lonlat(2000, 1000))])
    crs = data.pop("crs", 4326)
    return gpd.GeoDataFrame(data, geometry=geom, crs=crs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def tiny_area(tmp_path_factory: pytest.TempPathFactory) -> StudyArea:
    return load_inputs(load_study(_tiny_study(tmp_path_factory.mktemp("tiny")))).area


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_bad_sites_files_say_file_layer_and_fix(tiny_area: StudyArea, tmp_path: Path) -> None:
    area = tiny_area
    with pytest.raises(MissingFileError, match=r"nope\.gpkg"):
        read_planned_sites(tmp_path / "nope.gpkg", area=area)
    (tmp_path / "text.gpkg").write_text("not a geopackage")
    with pytest.raises(InputFileError, match="cannot be read as a GeoPackage"):
        read_planned_sites(tmp_path / "text.gpkg", area=area)
    cases: list[tuple[gpd.GeoDataFrame, str, type[Exception], str]] = [
        (_site_frame(), "stations", InputFileError, r"has no layer 'sites' \(layers: stations\)"),
        (_site_frame(crs=None), "sites", CRSError, "layer 'sites' has no CRS"),
        (_site_frame().drop(columns="tier"), "sites", ColumnError, "has no field 'tier'"),
        (_site_frame(tier=["market"]), "sites", InvalidValueError, "'market', which is not"),
        (
            _site_frame(geometry=[shapely.Point(LON0, LAT0)], crs=UTM),  # degrees as metres
            "sites",
            CoordinateError,
            "outside the study area.*Layer Properties",
        ),
        (
            pd.concat([_site_frame(), _site_frame()], ignore_index=True),
            "sites",
            DuplicateIdError,
            "site id 'A' appears 2 times",
        ),
        (
            _site_frame(geometry=[shapely.LineString([(LON0, LAT0), (LON0 + 0.01, LAT0)])]),
            "sites",
            GeometryError,
            "are not points",
        ),
    ]
    for i, (frame, layer, exc, match) in enumerate(cases):
        path = _write_sites(tmp_path / f"bad{i}.gpkg", frame, layer)
        with pytest.raises(exc, match=match) as info:
            read_planned_sites(path, area=area)
        text = str(info.value)
        assert path.name in text and "Fix:" in text, text
    nowhere = _write_sites(tmp_path / "nowhere.gpkg", _site_frame(geometry=[None]))
    with pytest.raises(GeometryError, match=r"fid 1 have no location"):
        read_planned_sites(nowhere, area=area)


def test_cli_check_refuses_a_bad_sites_file(tmp_path: Path) -> None:
    study = _tiny_study(tmp_path)
    bad = _write_sites(tmp_path / "bad.gpkg", _site_frame().drop(columns="tier"))
    r = runner.invoke(app, ["check", str(study), "--sites", str(bad), "--no-progress"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "bad.gpkg" in r.output and "'tier'" in r.output and "Fix:" in r.output


def test_sites_in_another_crs_and_kept_markets(tiny_area: StudyArea, tmp_path: Path) -> None:
    # a copy saved in CGCS2000 with Chinese tier names; the run's markets layer holds a
    # site kept in an earlier round (status planned): it stays kept
    x, y = TO_XY.transform(*_lonlat(3000, 500))
    frame = _site_frame(tier=["综合性零工市场"], site_id=["S1"])
    path = _write_sites(tmp_path / "cg.gpkg", frame.to_crs(4490))
    kept = gpd.GeoDataFrame(
        {"market_id": ["OLD", "M1"], "name": ["旧站", "现有"], "tier": ["station", "sector"],
         "status": ["planned", "open"]},
        geometry=[shapely.Point(*_lonlat(3000, 500)), shapely.Point(*_lonlat(100, 100))],
        crs=4326,
    )  # fmt: skip
    _write_sites(path, kept, layer="markets")
    got = read_planned_sites(path, area=tiny_area)
    assert list(got.markets["market_id"]) == ["S1", "OLD"]
    assert list(got.markets["tier"]) == ["comprehensive", "station"]
    assert got.markets.geometry.iloc[1].distance(shapely.Point(x, y)) < 1e-6
    assert "1 planned market(s) of layer 'markets'" in got.notes[0]


def test_study_key_gpkg_crs(tmp_path: Path) -> None:
    study = _tiny_study(tmp_path)
    text = study.read_text("utf-8")
    study.write_text(text + 'gpkg_crs = "cgcs2000"\n', "utf-8")
    assert load_study(study).outputs.gpkg_crs == "cgcs2000"  # type: ignore[union-attr]
    study.write_text(text + 'gpkg_crs = "gcj02"\n', "utf-8")
    with pytest.raises(StudyFileError, match=r"outputs\.gpkg_crs"):
        load_study(study)


def test_gpkg_filename() -> None:
    assert gpkg_filename("示范县（合成示例数据）") == "示范县（合成示例数据）.gpkg"
    assert gpkg_filename('a\\b/c:d*e?"f<g>h|i') == "a_b_c_d_e__f_g_h_i.gpkg"
    assert gpkg_filename(" .. ") == "study.gpkg"

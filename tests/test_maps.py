"""Tests of planner.publish.maps: the planner's folium map, offline and escaped."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import prcoords
import pytest
import shapely

from planner import settings
from planner.demo import write_demo_inputs
from planner.errors import InvalidValueError, PlannerError
from planner.inputs import load_inputs
from planner.network import isochrones as iso_module
from planner.pipeline import run_study
from planner.publish.maps import _coverage_polygons, _demand_squares, escape, planner_map, save_map
from planner.run import StudyRun
from planner.study import load_study

EVIL = "<script>alert(1)</script>"
EVIL_JS = "`${alert(2)}`"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> StudyRun:
    files = write_demo_inputs(tmp_path_factory.mktemp("demo"), scale=0.3)
    return run_study(load_inputs(load_study(files.study)))


@pytest.fixture(scope="module")
def evil_run(run: StudyRun) -> StudyRun:
    markets = run.markets.copy()
    markets.loc[markets.index[0], "name"] = EVIL
    markets.loc[markets.index[1], "name"] = EVIL_JS
    sites = run.plan.sites.copy()
    sites["anchor_name"] = sites["anchor_name"].astype(object)
    sites.loc[sites.index[0], "anchor_name"] = EVIL
    sites.loc[sites.index[0], "reason"] = f"because {EVIL} | a pipe"
    return dataclasses.replace(
        run, markets=markets, plan=dataclasses.replace(run.plan, sites=sites)
    )


@pytest.fixture(scope="module")
def saved(run: StudyRun, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = save_map(planner_map(run), tmp_path_factory.mktemp("map") / "planner_map.html")
    return path, path.read_text(encoding="utf-8")


def _bound(page: str, method: str) -> list[str]:
    """The decoded contents passed to bindPopup / bindTooltip (JSON string literals)."""
    dec = json.JSONDecoder()
    out = []
    for m in re.finditer(rf"\.{method}\((?=\")", page):
        value, _ = dec.raw_decode(page, m.end())
        out.append(value)
    return out


def _plain(page: str) -> str:
    """The page with JavaScript \\uXXXX escapes decoded (folium writes names that way)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


def test_offline_no_remote_scripts_or_styles(saved: tuple[Path, str]) -> None:
    path, page = saved
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "cdn" not in page.lower()
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()
    srcs = re.findall(r"""<script src="([^"]+)">""", page)
    hrefs = re.findall(r"""<link rel="stylesheet" href="([^"]+)"/?>""", page)
    assert srcs == ["assets/leaflet/leaflet.js"]
    assert hrefs == ["assets/leaflet/leaflet.css"]
    for ref in srcs + hrefs:
        assert (path.parent / ref).is_file()


def test_markers_and_popups_match_the_run(run: StudyRun, saved: tuple[Path, str]) -> None:
    _, page = saved
    assert page.count("L.circleMarker(") == len(run.markets)
    assert page.count("L.marker(") == len(run.plan.sites)
    popups = _bound(page, "bindPopup")
    assert len(popups) == len(run.markets) + len(run.plan.sites)
    for _, site in run.plan.sites.iterrows():
        mine = [p for p in popups if site["site_id"] in p]
        assert len(mine) == 1
        # the newly covered demand, formatted by hand
        assert f"{round(float(site['new_demand'])):,} 人" in mine[0]
    for name in run.markets["name"]:
        assert any(f"<b>{name}</b>" in p for p in popups)
    # each tier's symbol appears once per proposed site of that tier
    counts = run.plan.sites["tier"].value_counts()
    for tier, sym in (("comprehensive", "★"), ("sector", "▲"), ("station", "■")):
        icons = re.findall(rf"text-shadow:[^<]*>{sym}</div>", _plain(page))
        assert len(icons) == int(counts.get(tier, 0))


def test_layers_legend_and_chinese_labels(saved: tuple[Path, str]) -> None:
    page = _plain(saved[1])
    for label in ("研究区边界", "零工需求", "现状覆盖：综合性零工市场", "覆盖缺口：零工服务站点",
                  "现有零工市场", "拟建综合性零工市场", "拟建行业性零工市场", "拟建零工服务站点"):  # fmt: skip
        assert label in page
    assert "L.control.layers(" in page
    assert "planner-legend" in page and "图例" in page


def test_input_text_is_escaped(evil_run: StudyRun, tmp_path: Path) -> None:
    page = save_map(planner_map(evil_run, isochrones=False), tmp_path / "m.html").read_text()
    assert "<script>alert(1)" not in page
    assert "${alert(2)}" not in page
    popups = _bound(page, "bindPopup") + _bound(page, "bindTooltip")
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in p for p in popups)
    # the site popup carries the escaped anchor name and reason
    site_pop = [p for p in popups if evil_run.plan.sites["site_id"].iloc[0] in p and "理由" in p]
    assert "because &lt;script&gt;alert(1)&lt;/script&gt; | a pipe" in site_pop[0]
    assert any("&#96;&#36;{alert(2)}&#96;" in p for p in popups)
    # no decoded popup holds a tag other than the ones the map writes itself
    for p in popups:
        assert set(re.findall(r"<(/?\w+)", p)) <= {"b", "/b", "br"}


def test_escape_by_hand() -> None:
    assert escape("a<b>&'\"`$\\") == "a&lt;b&gt;&amp;&#x27;&quot;&#96;&#36;&#92;"
    assert escape(["瓦工", "<x>"]) == "瓦工、&lt;x&gt;"
    assert escape(float("nan")) == ""


def test_demand_squares_keep_the_total(run: StudyRun) -> None:
    sq = _demand_squares(run, 1000.0)
    assert sq["demand"].sum() == pytest.approx(run.cells["demand"].sum())
    # every cell centroid lies in exactly one square (counted with shapely, not the floor grid)
    c = run.cells.geometry.centroid
    hits = sq.sindex.query(c.values, predicate="intersects")
    per_cell = np.bincount(hits[0], minlength=len(c))
    pos = run.cells["demand"].to_numpy() > 0
    assert (per_cell[pos] >= 1).all()
    areas = sq.geometry.area.to_numpy()
    assert np.allclose(areas, 1e6)


def test_same_map_same_bytes(run: StudyRun, tmp_path: Path) -> None:
    a = save_map(planner_map(run, isochrones=False), tmp_path / "a.html").read_bytes()
    b = save_map(planner_map(run, isochrones=False), tmp_path / "b.html").read_bytes()
    assert a == b


def test_existing_markets_inside_their_coverage(run: StudyRun) -> None:
    # Every existing market serving a tier is reached from its own spot at time 0, so it
    # lies inside that tier's isochrone; the isochrone also holds most covered demand.
    for tier in ("comprehensive", "station"):
        poly = _coverage_polygons(run, tier, True)
        serving = run.markets[run.markets["tier"].isin(settings.TIER_SERVED_BY[tier])]
        assert len(serving)
        for pt in serving.geometry:
            assert poly.buffer(1.0).contains(pt)
        cells = run.coverage.cells
        cov = cells[cells[f"{tier}_covered"].to_numpy(dtype=bool)]
        inside = cov.geometry.centroid.within(poly).to_numpy()
        w = cov["demand"].to_numpy()
        # covered cells outside the bands are the rural 5 km rule and off-network walks
        if tier == "comprehensive":
            assert w[inside].sum() / w.sum() > 0.6  # 78 % on the demo


def _every_band(m, x, y, node_t, cutoff, buffer_m, quad_segs):
    """Isochrone the slow way: a band for every reached directed edge and a disc for every
    reached node, all unioned (what the map drew before it skipped duplicates)."""
    coo = m.tocoo()
    keep = node_t[coo.row] <= cutoff
    u, v, w = coo.row[keep], coo.col[keep], coo.data[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(w > 0, np.clip((cutoff - node_t[u]) / w, 0, 1), 1.0)
    ends = np.column_stack([x[u] + f * (x[v] - x[u]), y[u] + f * (y[v] - y[u])])
    lines = shapely.linestrings(np.stack([np.column_stack([x[u], y[u]]), ends], axis=1))
    r = np.flatnonzero(node_t <= cutoff)
    pts = shapely.points(np.column_stack([x[r], y[r]]))
    return shapely.union_all(
        shapely.buffer(np.concatenate([lines, pts]), buffer_m, quad_segs=quad_segs)
    )


def test_coverage_area_per_tier_equals_every_band_union(run: StudyRun, monkeypatch) -> None:
    # The map's coverage layer per tier covers the same area as the union of a band around
    # every reached directed edge and a disc at every reached node: areas within 0.1 %, and
    # the shapes differ by less than 0.5 % of the area (both outlines simplified by 15 m).
    fast = {t: _coverage_polygons(run, t, True) for t in run.coverage.rules}
    monkeypatch.setattr(iso_module, "_reach_geometry", _every_band)
    for tier, got in fast.items():
        ref = _coverage_polygons(run, tier, True)
        assert ref.area > 0
        assert got.area == pytest.approx(ref.area, rel=1e-3)
        assert got.symmetric_difference(ref).area < 5e-3 * ref.area


def test_amap_tiles_shift_overlays_to_gcj02(run: StudyRun) -> None:
    page = planner_map(run, tiles="amap", isochrones=False).get_root().render()
    assert "autonavi.com" in page
    first = re.search(r"L\.circleMarker\(\s*\[([-\d.]+), ([-\d.]+)\]", page)
    assert first is not None
    lat, lon = float(first.group(1)), float(first.group(2))
    wgs = run.markets.to_crs(4326).geometry.iloc[0]
    ref = prcoords.wgs_gcj((wgs.y, wgs.x))  # an independent GCJ-02 implementation
    assert lat == pytest.approx(ref.lat, abs=2e-5)
    assert lon == pytest.approx(ref.lon, abs=2e-5)
    assert abs(lon - wgs.x) > 1e-4


def test_osm_tiles_and_template() -> None:
    from planner.publish.maps import _tile_spec

    spec = _tile_spec("openstreetmap")
    assert spec is not None and "tile.openstreetmap.org" in spec[0]
    tmpl = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}"
    assert _tile_spec(tmpl) == (tmpl, "basemap", "abc")
    assert _tile_spec(None) is None


def test_bad_inputs(run: StudyRun, tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match="unknown tiles 'googlemaps'"):
        planner_map(run, tiles="googlemaps")
    with pytest.raises(InvalidValueError, match="demand_cell_m must be a positive"):
        planner_map(run, demand_cell_m=0)
    m = planner_map(run, isochrones=False)
    with pytest.raises(PlannerError, match=r"saved as an \.html file"):
        save_map(m, tmp_path / "map.png")

"""Tests of planner.publish.maps: the planner's folium map, offline and escaped."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import prcoords
import pytest
import shapely
from _browser import ARTIFACTS, Browser, no_sideways_scroll, offline_only, open_browser

from planner import settings
from planner.demo import write_demo_inputs
from planner.errors import InvalidValueError, PlannerError
from planner.inputs import load_inputs
from planner.network import isochrones as iso_module
from planner.pipeline import run_study
from planner.publish._map_context import main_roads, place_labels
from planner.publish._tiles import tile_source
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


def _town_names(run: StudyRun) -> list[str]:
    """Township names by hand: the demo's town halls, 人民政府 / 办事处 cut, the county's own
    government (a unit's name) left out."""
    places = run.inputs.roads.places
    halls = places.loc[places["kind"] == "townhall", "name"].tolist()
    names = [re.sub(r"(人民政府|办事处)$", "", h) for h in halls]
    return sorted(n for n in names if n not in set(run.inputs.area.units["name"]))


def test_markers_and_popups_match_the_run(run: StudyRun, saved: tuple[Path, str]) -> None:
    _, page = saved
    assert page.count("L.circleMarker(") == len(run.markets)
    # proposed sites and the township names (labels, not interactive)
    assert page.count("L.marker(") == len(run.plan.sites) + len(_town_names(run))
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
    title = "<b>标题</b>"
    page = save_map(
        planner_map(evil_run, isochrones=False, title=title), tmp_path / "m.html"
    ).read_text()
    assert "<script>alert(1)" not in page
    assert "${alert(2)}" not in page
    assert "<b>标题</b>" not in page and page.count("&lt;b&gt;标题&lt;/b&gt;") == 2
    popups = _bound(page, "bindPopup") + _bound(page, "bindTooltip")
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in p for p in popups)
    # the site popup carries the escaped anchor name; the plan's English reason is not shown
    site_pop = [p for p in popups if evil_run.plan.sites["site_id"].iloc[0] in p and "理由" in p]
    assert "选址依托：" in site_pop[0] and "&lt;script&gt;alert(1)&lt;/script&gt;" in site_pop[0]
    assert "because" not in page
    assert any("&#96;&#36;{alert(2)}&#96;" in p for p in popups)
    # no decoded popup holds a tag other than the ones the map writes itself
    for p in popups:
        assert set(re.findall(r"<(/?\w+)", p)) <= {"b", "/b", "br"}


def test_popups_are_chinese(saved: tuple[Path, str]) -> None:
    popups = _bound(saved[1], "bindPopup")
    english = re.compile(r"\b(tier|id|anchor|newly|covered|modes|reason|nearest|workers)\b", re.I)
    for p in popups:
        assert not english.search(p), p
    assert any("理由：该" in p and "设置后可新增覆盖灵活就业人员约" in p for p in popups)


def test_title_collapsed_layers_and_metric_scale(run: StudyRun, saved: tuple[Path, str]) -> None:
    page = _plain(saved[1])
    title = f"{run.inputs.study.name} 零工市场布局规划图"
    assert f"<title>{escape(title)}</title>" in page
    assert f"<div class='planner-title' role='heading' aria-level='1'>{escape(title)}</div>" in page
    layers = re.search(r"L\.control\.layers\([^;]*?(\{[^{}]*\})\s*\)\.addTo", page, re.S)
    assert layers is not None and '"collapsed": true' in layers.group(1)
    assert "L.control.scale({metric: true, imperial: false" in page
    assert "L.control.scale()" not in page  # folium's own, with miles


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


def test_one_tile_vocabulary() -> None:
    osm = tile_source("osm")
    assert osm is not None and "tile.openstreetmap.org" in osm.layers[0].url
    tmpl = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}"
    url = tile_source(tmpl)
    assert url is not None and url.layers[0].url == tmpl and url.coords == "wgs84"
    assert tile_source("https://webrd01.is.autonavi.com/t?x={x}&y={y}&z={z}").coords == "gcj02"
    assert tile_source(None) is None and tile_source("none") is None
    tdt = tile_source("tianditu", "abc123def456")
    assert tdt is not None and [t.url.endswith("tk=abc123def456") for t in tdt.layers] == [
        True,
        True,
    ]
    with pytest.raises(InvalidValueError, match=r"unknown tiles 'openstreetmap'.*'osm'"):
        tile_source("openstreetmap")


def test_tiles_from_the_study_reach_both_maps(run: StudyRun) -> None:
    page = planner_map(run, tiles="tianditu", tianditu_key="abc123def456", isochrones=False)
    html = page.get_root().render()
    assert html.count("tianditu.gov.cn") == 2 and "abc123def456" in html
    # with a basemap, the map draws no context of its own
    assert "主要道路" not in _plain(html)
    assert '"className": "planner-label"' not in html


def test_offline_context_roads_by_hand(run: StudyRun) -> None:
    streets = run.inputs.roads.streets
    cls = streets["highway"].str.replace("_link", "", regex=False)
    main = streets[cls.isin(["motorway", "trunk", "primary", "secondary", "tertiary"])]
    roads = main_roads(streets, lambda g: g)  # stay in the study CRS to measure in metres
    assert roads is not None
    assert {f["properties"]["highway"] for f in roads["features"]} == set(cls[main.index].unique())
    merged = gpd.GeoSeries(
        [shapely.geometry.shape(f["geometry"]) for f in roads["features"]], crs=streets.crs
    )
    # merging and 20 m simplification keep the length within 1 %
    assert merged.length.sum() == pytest.approx(main.geometry.length.sum(), rel=0.01)
    named = [f["properties"]["label"] for f in roads["features"]]
    assert any(n.startswith(main["name"].dropna().iloc[0]) for n in named)


def test_offline_context_township_names(run: StudyRun, saved: tuple[Path, str]) -> None:
    labels = place_labels(run.inputs.area.units, run.inputs.roads.places, lambda g: g.to_crs(4326))
    assert [n for n, _, _ in labels] == _town_names(run)
    assert "城关街道" in _town_names(run) and "东岭镇" in _town_names(run)
    page = _plain(saved[1])
    for name in _town_names(run):
        assert f"<span>{name}</span>" in page
    assert "主要道路" in page and "乡镇名称" in page


def test_bad_inputs(run: StudyRun, tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match="unknown tiles 'googlemaps'"):
        planner_map(run, tiles="googlemaps")
    with pytest.raises(InvalidValueError, match="demand_cell_m must be a positive"):
        planner_map(run, demand_cell_m=0)
    m = planner_map(run, isochrones=False)
    with pytest.raises(PlannerError, match=r"saved as an \.html file"):
        save_map(m, tmp_path / "map.png")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from open_browser()


@pytest.mark.browser
def test_planner_map_renders_offline_on_a_desk_and_a_phone(
    browser: Browser, run: StudyRun, saved: tuple[Path, str]
) -> None:
    path, _ = saved
    for width, height, mobile, shot in ((1200, 800, False, "planner_map.png"),
                                        (390, 844, True, "planner_map_phone.png")):  # fmt: skip
        browser.open_tab(width, height, mobile=mobile)
        browser.goto(path)
        assert browser.eval("typeof L") == "object"
        assert browser.eval("document.querySelectorAll('.leaflet-container').length") == 1
        n_sites = browser.eval(
            "document.querySelectorAll('.leaflet-marker-icon.planner-site').length"
        )
        assert n_sites == len(run.plan.sites)
        names = browser.eval(
            "Array.from(document.querySelectorAll('.planner-label')).map(e => e.textContent)"
        )
        assert sorted(names) == _town_names(run)
        # the layer control is collapsed, the scale metric only
        assert browser.eval("document.querySelectorAll('.leaflet-control-layers').length") == 1
        assert (
            browser.eval("document.querySelectorAll('.leaflet-control-layers-expanded').length")
            == 0
        )
        scale = browser.eval(
            "Array.from(document.querySelectorAll('.leaflet-control-scale-line'))"
            ".map(e => e.textContent)"
        )
        assert len(scale) == 1 and re.fullmatch(r"\d+ k?m", scale[0])
        # title, legend and scale all inside the window and apart
        boxes = browser.eval(
            "['.planner-title', '.planner-legend', '.leaflet-control-scale'].map(s => {"
            " const r = document.querySelector(s).getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom]; })"
        )
        for left, top, right, bottom in boxes:
            assert left >= 0 and top >= 0 and right <= width and bottom <= height
        for i in range(3):
            for j in range(i + 1, 3):
                a, b = boxes[i], boxes[j]
                assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1])
        legend_open = browser.eval("document.querySelector('.planner-legend').open")
        assert legend_open == (not mobile)  # folded on a phone, where it would cover the map
        no_sideways_scroll(browser)
        offline_only(browser)
        assert browser.console_errors == []
        browser.screenshot(ARTIFACTS / shot)


# ---- coverage at each moment, proposed hours, dawn flags, reasons (issue #11) -------------


def _overlays(page: str) -> dict[str, str]:
    """Layer name → the variable of its layer, from the layer control."""
    block = re.search(r"overlays :\s*\{(.*?)\}", page, re.S)
    assert block is not None
    return dict(re.findall(r'"([^"]+)" : (\w+),', block.group(1)))


def _geojson(page: str, var: str) -> dict:
    m = re.search(rf"{var}_add\(", page)
    assert m is not None
    value, _ = json.JSONDecoder().raw_decode(page, m.end())
    return value


def test_one_layer_per_moment_next_to_any_time(run: StudyRun, saved: tuple[Path, str]) -> None:
    page = _plain(saved[1])
    overlays = _overlays(page)
    moment_layers = [n for n in overlays if n.startswith("时段覆盖：")]
    want = ["任意时段", *(mc.moment.label_zh for mc in run.moments)]
    assert moment_layers == [f"时段覆盖：{w}（现状／规划后）" for w in want]
    assert len(run.moments) == 4
    # hidden at first: the layer control lists them, the map does not add them
    for name in moment_layers:
        assert f"{overlays[name]}.addTo(map_" not in page
    tiers = list(run.plan.before.rules)
    cells = run.cells.to_crs(4326)
    side = float(np.sqrt(np.median(run.cells["cell_area_m2"])))
    for mc in run.moments:
        data = _geojson(page, overlays[f"时段覆盖：{mc.moment.label_zh}（现状／规划后）"])
        shares = mc.shares()
        for tier in tiers:
            b, a = shares[tier]
            tip = f"{mc.moment.label_zh} {settings.TIER_LABELS_ZH[tier]}：现状覆盖 {b:.1%}，规划后 {a:.1%}"
            mine = [f for f in data["features"] if f["properties"]["tip"].startswith(tip)]
            covered = mc.before.cells[f"{tier}_covered"].to_numpy(dtype=bool)
            now = [f for f in mine if f["properties"]["k"] == "now"]
            assert len(now) == int(covered.any())
            if not covered.any():
                continue
            # the area drawn is the covered cells' squares (simplified by half a cell):
            # its area in metres is the covered cells' count × a cell, within a few percent
            poly = gpd.GeoSeries([shapely.geometry.shape(now[0]["geometry"])], crs=4326).to_crs(
                run.cells.crs
            )
            assert poly.area.iloc[0] == pytest.approx(covered.sum() * side**2, rel=0.05)
            inside = cells.geometry[covered].within(
                gpd.GeoSeries([shapely.geometry.shape(now[0]["geometry"])], crs=4326).iloc[0]
            )
            assert inside.mean() > 0.97


def test_moment_area_is_the_union_of_the_covered_cells(run: StudyRun) -> None:
    from planner.publish._map_moments import covered_area

    mc = run.moments[0]  # Mo 05:00: some markets closed
    side = float(np.sqrt(np.median(run.cells["cell_area_m2"])))
    for tier in run.plan.before.rules:
        covered = mc.before.cells[f"{tier}_covered"].to_numpy(dtype=bool)
        area = covered_area(mc.before, tier)
        assert area.area == pytest.approx(covered.sum() * side**2, rel=1e-9)
        c = run.cells.geometry
        assert shapely.contains_xy(area, c.x[covered], c.y[covered]).all()
        assert not shapely.contains_xy(area, c.x[~covered], c.y[~covered]).any()


def test_moment_area_of_census_pieces_is_their_grid_squares() -> None:
    """Census cells spread by area: full cells on a 100 m grid, edge pieces smaller and off
    centre; each piece is drawn as the grid square that holds it (worked out by hand)."""
    from planner.publish._map_moments import _Squares

    # full cells centred at (50, 50), (150, 50); a 40 m-wide edge piece of the square
    # [200, 300] x [0, 100] at (220, 50); a corner piece of [0, 100] x [100, 200] at (80, 130)
    pts = gpd.GeoDataFrame(
        {"cell_area_m2": [1e4, 1e4, 4e3, 1.5e3]},
        geometry=gpd.points_from_xy([50, 150, 220, 80], [50, 50, 50, 130]),
        crs=32651,
    )
    sq = _Squares(pts)
    assert sq.grid is not None
    every = sq.union(np.ones(4, dtype=bool))
    want = shapely.union_all([shapely.box(0, 0, 300, 100), shapely.box(0, 100, 100, 200)])
    assert every.symmetric_difference(want).area == pytest.approx(0, abs=1e-6)
    two = sq.union(np.array([False, True, True, False]))
    assert two.symmetric_difference(shapely.box(100, 0, 300, 100)).area == pytest.approx(
        0, abs=1e-6
    )
    # points off any grid fall back to squares of their own area
    off = _Squares(pts.assign(geometry=gpd.points_from_xy([50, 157, 220, 80], [50, 50, 50, 130])))
    assert off.grid is None
    assert off.union(np.array([True, False, False, False])).area == pytest.approx(1e4)


def test_popups_give_hours_dawn_flags_and_the_plans_reasons(
    run: StudyRun, saved: tuple[Path, str]
) -> None:
    popups = _bound(saved[1], "bindPopup")
    for _, site in run.plan.sites.iterrows():
        (mine,) = [p for p in popups if site["site_id"] in p]
        assert f"建议开放时间：{settings.PROPOSED_HOURS[site['tier']]}" in mine
        # one composer: the popup's reason is the plan's own
        assert f"理由：{escape(site['reason'])}" in mine
    flagged = set(run.dawn["market_id"])
    assert flagged
    for r in run.markets.itertuples():
        (mine,) = [p for p in popups if f"编号：{r.market_id}" in p]
        assert ("未开放" in mine) == (r.market_id in flagged)
    for r in run.dawn.itertuples():
        (mine,) = [p for p in popups if f"编号：{r.market_id}" in p]
        if isinstance(r.moment, str):
            assert f"可新增覆盖约 {r.new_workers:,.0f} 人" in mine
        else:
            assert "提前2小时开放仍赶不上" in mine

"""Tests of planner.publish.site: the static public map and directory.

The ``browser`` tests drive Debian's headless Chromium (``tests/_browser.py``) with
networking off, open the pages from ``file://`` and check what a visitor sees, on a desk
(1200 × 800) and on a phone (390 × 844). Screenshots go to ``tests/_artifacts/``
(git-ignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import numpy as np
import prcoords
import pytest
from _browser import (
    ARTIFACTS,
    Browser,
    no_sideways_scroll,
    offline_only,
    open_browser,
    overlapping_pairs,
)
from shapely.geometry import Point, box

from planner.demo import write_demo_inputs
from planner.errors import CRSError, InputFileError, InvalidValueError
from planner.io.coords import convert
from planner.io.hours import OpeningHours, parse_hours
from planner.io.markets import read_markets
from planner.io.vector import read_boundaries
from planner.io.worklogs import read_work_logs
from planner.publish._assets import leaflet_version
from planner.publish.site import build_public_site

EVIL = "<script>alert(1)</script>"
EVIL_ADDRESS = "<img src=x onerror=alert(2)>路1号"
PHONE = (390, 844)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from open_browser()


# --------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo county (scale 0.3) and its public site."""
    root = tmp_path_factory.mktemp("demo")
    files = write_demo_inputs(root / "inputs", scale=0.3)
    markets = read_markets(files.markets)
    logs = read_work_logs(files.work_logs, markets=markets)
    boundaries = read_boundaries(files.townships)
    index = build_public_site(
        markets, root / "site", boundaries=boundaries, work_logs=logs, inputs=[files.markets]
    )
    return {"markets": markets, "logs": logs, "boundaries": boundaries, "index": index}


NO_COORDS = "SF-LG-006"
UNREAD_HOURS = "SF-LG-005"


@pytest.fixture(scope="module")
def mixed(demo: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo site as real files have it: a market without coordinates, one whose hours
    could not be read (text kept, no schedule)."""
    markets = demo["markets"].copy()
    i = int(np.flatnonzero(markets["market_id"] == NO_COORDS)[0])
    j = int(np.flatnonzero(markets["market_id"] == UNREAD_HOURS)[0])
    markets.loc[markets.index[i], "geometry"] = None
    markets.loc[markets.index[j], "hours"] = "赶集日开市，时间不定"
    markets.loc[markets.index[j], "opening_hours"] = None
    index = build_public_site(
        markets,
        tmp_path_factory.mktemp("mixed") / "site",
        boundaries=demo["boundaries"],
        work_logs=demo["logs"],
    )
    return {"markets": markets, "logs": demo["logs"], "index": index}


def _evil_markets() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "market_id": ["X1", "X2"],
            "name": [EVIL, "安全驿站"],
            "tier": ["station", "comprehensive"],
            "address": [EVIL_ADDRESS, "幸福路2号"],
            "county": ["<b>区</b>", "示范县"],
            "hours": ["每天 04:00-12:00", "每天 05:00-11:00"],
            "occupations": [["<i>瓦工</i>"], ["保洁"]],
            "phone": ["javascript:alert(3)", "0539-1234567"],
        },
        geometry=[Point(118.60, 36.20), Point(118.62, 36.21)],
        crs=4326,
    )


@pytest.fixture(scope="module")
def evil_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_public_site(_evil_markets(), tmp_path_factory.mktemp("evil") / "site")


def _visible_ids(b: Browser) -> list[str]:
    return sorted(
        b.eval(
            "Array.from(document.querySelectorAll('.leaflet-marker-icon.market-marker'))"
            ".map(e => e.getAttribute('data-id'))"
        )
    )


def _set_open_at(b: Browser, weekday: int, hhmm: str) -> None:
    b.eval(
        f"""(() => {{
        document.querySelector('input[name=when][value=at]').checked = true;
        const w = document.getElementById('weekday'); w.value = '{weekday}';
        const t = document.getElementById('at-time'); t.value = '{hhmm}';
        t.dispatchEvent(new Event('change'));
        return true; }})()"""
    )


# --------------------------------------------------------------------------------------
# Browser tests
# --------------------------------------------------------------------------------------


@pytest.mark.browser
def test_map_loads_offline_with_one_marker_per_mappable_market(
    browser: Browser, demo: dict[str, Any]
) -> None:
    markets = demo["markets"]
    browser.open_tab()
    browser.goto(demo["index"])
    assert browser.eval("typeof L") == "object"
    assert browser.eval("L.version") == leaflet_version()
    assert browser.eval("document.querySelectorAll('.leaflet-container').length") == 1
    mappable = markets.loc[~(markets.geometry.isna() | markets.geometry.is_empty), "market_id"]
    assert _visible_ids(browser) == sorted(mappable)
    # Boundaries drawn as SVG paths: one per township (independent count from the file).
    n_paths = browser.eval("document.querySelectorAll('path.leaflet-interactive').length")
    assert n_paths == len(demo["boundaries"])
    assert browser.eval("document.getElementById('count').textContent") == (
        f"显示 {len(markets)} / {len(markets)} 个市场"
    )
    offline_only(browser)
    assert browser.console_errors == []
    assert browser.dialogs == []
    browser.screenshot(ARTIFACTS / "public_index.png")


@pytest.mark.browser
def test_popup_shows_the_public_fields(browser: Browser, demo: dict[str, Any]) -> None:
    row = demo["markets"].set_index("market_id").loc["SF-LG-001"]
    browser.open_tab()
    browser.goto(demo["index"])
    browser.eval("document.querySelector('.leaflet-marker-icon[data-id=\"SF-LG-001\"]').click()")
    text = browser.eval("document.querySelector('.leaflet-popup-content').innerText")
    for value in (
        row["name"],
        "综合性零工市场",
        row["address"],
        row["phone"],
        row["hotline"],
        row["complaints"],
        "、".join(row["occupations"]),
        "、".join(row["services"]),
        "休息区、饮水、充电、卫生间、遮阳棚",  # every facility as published
    ):
        assert value in text
    # The hours once, normalised ("每天 5:00-12:00" is published; not shown raw and again).
    assert row["hours"] == "每天 5:00-12:00"
    assert text.count("05:00-12:00") == 1 and "5:00-12:00（" not in text
    links = browser.eval(
        "Array.from(document.querySelectorAll('.leaflet-popup-content a'))"
        ".map(a => [a.textContent, a.getAttribute('href')])"
    )
    tel = [h for _, h in links if h.startswith("tel:")]
    assert tel == ["tel:05395550101", "tel:05395550100", "tel:05395550999"]
    nav = {t: h for t, h in links if not h.startswith("tel:")}
    assert set(nav) == {"高德导航", "百度导航"}
    browser.screenshot(ARTIFACTS / "public_index_popup.png")


@pytest.mark.browser
def test_open_at_0500_hides_the_market_opening_at_0600(
    browser: Browser, demo: dict[str, Any]
) -> None:
    markets = demo["markets"]
    browser.open_tab()
    browser.goto(demo["index"])
    mappable = set(markets["market_id"])
    monday_5 = datetime(2024, 6, 3, 5, 0)
    expected = sorted(
        mid
        for mid, h in zip(markets["market_id"], markets["opening_hours"], strict=True)
        if h is not None and h.is_open(monday_5)
    )
    opens_at_6 = [
        mid
        for mid, text in zip(markets["market_id"], markets["hours"], strict=True)
        if "06:00" in str(text)
    ]
    assert len(opens_at_6) == 1  # the demo data has exactly one market opening at 06:00
    assert opens_at_6[0] in mappable
    _set_open_at(browser, 0, "05:00")
    visible = _visible_ids(browser)
    assert visible == expected
    assert opens_at_6[0] not in visible
    listed = browser.eval(
        "Array.from(document.querySelectorAll('#market-list li')).map(e => e.dataset.id)"
    )
    assert sorted(listed) == expected
    browser.screenshot(ARTIFACTS / "public_index_open_0500.png")
    # The same market shows at 06:00; all markets are closed at 13:00 on a Sunday.
    _set_open_at(browser, 0, "06:00")
    assert opens_at_6[0] in _visible_ids(browser)
    _set_open_at(browser, 6, "13:00")
    assert _visible_ids(browser) == []


@pytest.mark.browser
def test_directory_page_search_and_district_filter(browser: Browser, demo: dict[str, Any]) -> None:
    markets = demo["markets"]
    browser.open_tab()
    browser.goto(demo["index"].parent / "directory.html")
    names = browser.eval(
        "Array.from(document.querySelectorAll('#directory tbody tr'))"
        ".filter(r => r.style.display !== 'none').map(r => r.cells[0].textContent)"
    )
    assert names == list(markets["name"])
    browser.eval(
        "(() => { const q = document.getElementById('q'); q.value = '建材';"
        " q.dispatchEvent(new Event('input')); })()"
    )
    shown = browser.eval(
        "Array.from(document.querySelectorAll('#directory tbody tr'))"
        ".filter(r => r.style.display !== 'none').map(r => r.cells[0].textContent)"
    )
    assert shown == [
        n
        for n, a in zip(markets["name"], markets["address"], strict=True)
        if "建材" in n or "建材" in a
    ]
    # Synonyms: 厕所 finds the markets listing 卫生间, 充电 those with either charging.
    for query, word in (("厕所", "卫生间"), ("卫生间", "卫生间"), ("洗手间", "卫生间")):
        browser.eval(
            f"(() => {{ const q = document.getElementById('q'); q.value = '{query}';"
            " q.dispatchEvent(new Event('input')); })()"
        )
        shown = browser.eval(
            "Array.from(document.querySelectorAll('#directory tbody tr'))"
            ".filter(r => r.style.display !== 'none').map(r => r.cells[0].textContent)"
        )
        assert shown == [
            n for n, f in zip(markets["name"], markets["facilities"], strict=True) if word in f
        ]
        assert len(shown) == len(markets)  # every demo market lists 卫生间
    browser.eval(
        "(() => { const q = document.getElementById('q'); q.value = '';"
        " q.dispatchEvent(new Event('input')); })()"
    )
    browser.screenshot(ARTIFACTS / "public_directory.png")
    offline_only(browser)
    assert browser.console_errors == []


@pytest.mark.browser
def test_stats_page_chart_has_one_total_point_per_month(
    browser: Browser, demo: dict[str, Any]
) -> None:
    logs = demo["logs"]
    browser.open_tab()
    browser.goto(demo["index"].parent / "stats.html")
    points = browser.eval(
        "Array.from(document.querySelectorAll('svg circle[data-industry=\"合计\"]'))"
        ".map(c => [c.dataset.month, c.dataset.value])"
    )
    sums = logs.groupby("month")[["postings", "seekers"]].sum()
    expected = [[m, f"{p / s:.2f}"] for m, (p, s) in sums.iterrows()]
    assert [p[0] for p in points] == [e[0] for e in expected]
    for (_, got), (_, want) in zip(points, expected, strict=True):
        assert abs(float(got) - float(want)) <= 0.01  # the page rounds halves up
    browser.screenshot(ARTIFACTS / "public_stats.png")
    offline_only(browser)


@pytest.mark.browser
def test_script_name_shows_as_text_and_never_runs(browser: Browser, evil_site: Path) -> None:
    browser.open_tab()
    browser.goto(evil_site)
    assert browser.eval("typeof L") == "object"
    names = browser.eval(
        "Array.from(document.querySelectorAll('#market-list .name')).map(e => e.textContent)"
    )
    assert names == [EVIL, "安全驿站"]
    browser.eval("document.querySelector('.leaflet-marker-icon[data-id=\"X1\"]').click()")
    assert browser.eval("document.querySelector('.leaflet-popup-content h3').textContent") == EVIL
    popup = browser.eval("document.querySelector('.leaflet-popup-content').textContent")
    assert EVIL_ADDRESS in popup and "<i>瓦工</i>" in popup
    # The phone text cannot become a javascript: URL: only tel: and the two map apps.
    hrefs = browser.eval(
        "Array.from(document.querySelectorAll('.leaflet-popup-content a')).map(a => a.href)"
    )
    assert hrefs and all(
        h.startswith(("tel:", "https://uri.amap.com/", "https://api.map.baidu.com/")) for h in hrefs
    )
    assert not [h for h in hrefs if "javascript" in h.lower()]
    injected = browser.eval(
        "Array.from(document.querySelectorAll('script')).filter(s => s.textContent.includes"
        "('alert(')).length + document.querySelectorAll('img[src=x], b, i').length"
    )
    assert injected == 0
    browser.screenshot(ARTIFACTS / "public_index_escaped.png")

    browser.goto(evil_site.parent / "directory.html")
    cell = browser.eval("document.querySelector('#directory tbody tr td').textContent")
    assert cell == EVIL
    counties = browser.eval(
        "Array.from(document.querySelectorAll('#county option')).map(o => o.textContent)"
    )
    assert "<b>区</b>" in counties
    assert browser.eval("document.querySelectorAll('img[src=x], b, i').length") == 0
    assert browser.dialogs == []
    browser.screenshot(ARTIFACTS / "public_directory_escaped.png")


@pytest.mark.browser
def test_map_without_network_still_draws_markets_when_tiles_are_set(
    browser: Browser, tmp_path: Path
) -> None:
    index = build_public_site(_evil_markets(), tmp_path / "osm", tiles="osm")
    browser.open_tab()
    browser.goto(index)
    assert _visible_ids(browser) == ["X1", "X2"]
    tiles = [u for u in browser.requests if "tile.openstreetmap.org" in u]
    assert tiles  # it tried to load tiles; they failed offline and the markers are there
    assert browser.dialogs == []


# --------------------------------------------------------------------------------------
# Tests without a browser
# --------------------------------------------------------------------------------------


def _site_data(index: Path) -> dict[str, Any]:
    text = (index.parent / "data" / "markets.js").read_text(encoding="utf-8")
    m = re.search(r"window\.PLANNER_DATA = (.*);\n$", text, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_pages_load_nothing_remote(demo: dict[str, Any]) -> None:
    folder = demo["index"].parent
    for page in ("index.html", "directory.html", "stats.html"):
        html = (folder / page).read_text(encoding="utf-8")
        # Nothing is loaded from elsewhere: every script, style sheet and image is local.
        loads = re.findall(r'<(?:script|link|img)\b[^>]*?(?:src|href)="([^"]+)"', html)
        assert loads, page
        for ref in loads:
            assert not re.match(r"(?i)(https?:)?//", ref), (page, ref)
            assert (folder / ref).is_file(), (page, ref)
        # Links a visitor follows: local pages and files, tel:, and the map apps only.
        for a in re.findall(r'<a\b[^>]*?href="([^"]+)"', html):
            if a.startswith(("tel:", "https://uri.amap.com/", "https://api.map.baidu.com/")):
                continue
            assert not re.match(r"(?i)(https?:)?//", a) and (folder / a).is_file(), (page, a)
        assert '<meta name="viewport"' in html
    assert _site_data(demo["index"])["tiles"] is None


def test_site_data_holds_the_weekly_schedule_and_wgs84_points(demo: dict[str, Any]) -> None:
    markets = demo["markets"]
    data = _site_data(demo["index"])
    by_id = {m["market_id"]: m for m in data["markets"]}
    wgs = markets.to_crs(4326)
    for mid, geom, hours in zip(markets["market_id"], wgs.geometry, markets["hours"], strict=True):
        m = by_id[mid]
        assert m["lon"] == pytest.approx(geom.x, abs=1e-6)
        assert m["lat"] == pytest.approx(geom.y, abs=1e-6)
        h = parse_hours(hours)
        assert m["schedule"]["week"] == [[list(iv) for iv in h.intervals(d)] for d in range(7)]
    # Hand-worked: 周一至周六 05:30-11:30 → Monday … Saturday 330-690 min, Sunday closed.
    assert by_id["SF-LG-002"]["schedule"]["week"] == [[[330, 690]]] * 6 + [[]]
    assert "身份证" not in json.dumps(data, ensure_ascii=False)


def test_amap_tiles_shift_markets_and_boundaries_to_gcj02(tmp_path: Path) -> None:
    markets = _evil_markets()
    boundaries = gpd.GeoDataFrame(
        {"name": ["甲"]}, geometry=[box(118.5, 36.1, 118.7, 36.3)], crs=4326
    )
    index = build_public_site(markets, tmp_path / "amap", boundaries=boundaries, tiles="amap")
    data = _site_data(index)
    lon, lat = convert(markets.geometry.x, markets.geometry.y, "wgs84", "gcj02")
    assert [m["lon"] for m in data["markets"]] == pytest.approx(lon, abs=1e-6)
    assert [m["lat"] for m in data["markets"]] == pytest.approx(lat, abs=1e-6)
    # GCJ-02 is a few hundred metres off WGS-84 in Shandong: the shift really happened.
    assert abs(lon[0] - 118.60) > 1e-3
    ring = np.array(data["boundaries"]["features"][0]["geometry"]["coordinates"][0])
    blon, blat = convert(ring[:, 0] * 0 + 118.7, ring[:, 1] * 0 + 36.1, "wgs84", "gcj02")
    assert any(abs(x - blon[0]) < 1e-6 and abs(y - blat[0]) < 1e-6 for x, y in ring.tolist())
    assert data["display_coords"] == "gcj02"
    assert data["tiles"]["layers"][0]["url"].startswith("https://webrd0{s}.is.autonavi.com")
    # The CSV keeps WGS-84 (and GCJ-02 in its own columns) whatever the basemap.
    csv_text = (index.parent / "data" / "directory.csv").read_text(encoding="utf-8-sig")
    assert "118.600000" in csv_text


def test_html_escapes_input_text(evil_site: Path) -> None:
    page = (evil_site.parent / "directory.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert EVIL not in page
    assert "<img src=x" not in page
    index = evil_site.read_text(encoding="utf-8")
    assert "&lt;b&gt;区&lt;/b&gt;" in index and "<b>区</b>" not in index


def test_build_is_deterministic(tmp_path: Path) -> None:
    a = build_public_site(_evil_markets(), tmp_path / "a")
    b = build_public_site(_evil_markets(), tmp_path / "b")
    files_a = sorted(p.relative_to(a.parent) for p in a.parent.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b.parent) for p in b.parent.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a.parent / rel).read_bytes() == (b.parent / rel).read_bytes(), rel
    # Rebuilding into the same folder replaces planner's own files.
    build_public_site(_evil_markets(), tmp_path / "a", title="另一个标题")
    assert "另一个标题" in a.read_text(encoding="utf-8")


def test_refuses_to_overwrite_a_foreign_file(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("my own page", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"index\.html.*not written by planner"):
        build_public_site(_evil_markets(), out)
    assert (out / "index.html").read_text(encoding="utf-8") == "my own page"


def test_refuses_to_write_over_an_input(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_public_site(_evil_markets(), out)
    with pytest.raises(InputFileError, match=r"directory\.csv.*input file"):
        build_public_site(_evil_markets(), out, inputs=[out / "data" / "directory.csv"])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"tiles": "google"}, InvalidValueError, r"unknown tiles 'google'.*Fix: use one of 'none'"),
        ({"tiles": "https://x.org/a.png"}, InvalidValueError, r"not a tile URL template"),
        (
            {"tiles": 'https://x.org/{z}/{x}/{y}.png?a="><script>'},
            InvalidValueError,
            r"not a tile URL template",
        ),
        ({"tiles": "tianditu"}, InvalidValueError, r"Tianditu tiles need a key.*tianditu_key"),
        (
            {"tiles": "tianditu", "tianditu_key": "x'; alert(1)"},
            InvalidValueError,
            r"is not one",
        ),
        ({"default_time": "5am"}, InvalidValueError, r"default_time '5am' is not a time.*HH:MM"),
        ({"title": "  "}, InvalidValueError, r"title is empty"),
        (
            {"boundaries": gpd.GeoDataFrame({"name": ["甲"]}, geometry=[box(0, 0, 1, 1)])},
            CRSError,
            r"boundaries have no CRS",
        ),
        ({"boundaries": "county.geojson"}, InvalidValueError, r"boundaries must be a GeoDataFrame"),
    ],
)
def test_bad_options(tmp_path: Path, kwargs: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        build_public_site(_evil_markets(), tmp_path / "site", **kwargs)


def test_tianditu_key_goes_into_both_layers(tmp_path: Path) -> None:
    index = build_public_site(
        _evil_markets(), tmp_path / "tdt", tiles="tianditu", tianditu_key="abc123def456"
    )
    layers = _site_data(index)["tiles"]["layers"]
    assert [("LAYER=vec" in u["url"], "LAYER=cva" in u["url"]) for u in layers] == [
        (True, False),
        (False, True),
    ]
    assert all(u["url"].endswith("tk=abc123def456") for u in layers)
    assert _site_data(index)["display_coords"] == "wgs84"


# --------------------------------------------------------------------------------------
# Phones first: cards, tap-to-call, navigation, open-now badges
# --------------------------------------------------------------------------------------

_WEEK = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _expected_badge(h: OpeningHours | None, status: str, weekday: int, minute: int) -> str:
    """The badge by brute force: step minute by minute with OpeningHours.is_open."""
    if status == "closed":
        return "已关闭"
    if status == "suspended":
        return "暂停运营"
    if h is None:
        return "营业时间以公布为准"
    start = datetime(2024, 6, 3) + timedelta(days=weekday, minutes=minute)  # 2024-06-03: Mon
    is_open = h.is_open(start)
    t = start
    for _ in range(8 * 1440):
        t += timedelta(minutes=1)
        if h.is_open(t) != is_open:
            break
    else:
        return "未营业"
    days = (t.date() - start.date()).days
    if is_open:
        return f"营业中 · {'次日' if days else ''}{t:%H:%M} 结束"
    word = "今天" if days == 0 else "明天" if days == 1 else _WEEK[t.weekday()]
    return f"未营业 · {word} {t:%H:%M} 开门"


def _badges(b: Browser, weekday: int, minute: int) -> list[str]:
    b.eval(f"window.PlannerMarket.fillBadges({{weekday: {weekday}, minute: {minute}}})")
    return b.eval(
        "Array.from(document.querySelectorAll('#directory tbody tr span.badge'))"
        ".map(e => e.textContent)"
    )


@pytest.mark.browser
def test_open_now_badges_and_next_opening(browser: Browser, mixed: dict[str, Any]) -> None:
    markets = mixed["markets"]
    browser.open_tab()
    browser.goto(mixed["index"].parent / "directory.html")
    ids = list(markets["market_id"])
    for weekday, minute in ((0, 300), (0, 359), (5, 720), (6, 780), (2, 1439)):
        expected = [
            _expected_badge(h, str(s), weekday, minute)
            for h, s in zip(markets["opening_hours"], markets["status"], strict=True)
        ]
        assert _badges(browser, weekday, minute) == expected, (weekday, minute)
    # By hand, Monday 05:00: the 5:00-12:00 market is open until 12:00, the 06:00-11:00 one
    # opens today at 06:00; Saturday 12:00: the Monday-Saturday 05:30-11:30 market opens
    # again on Monday at 05:30; hours that could not be read are never "open".
    by_id = dict(zip(ids, _badges(browser, 0, 300), strict=True))
    assert by_id["SF-LG-001"] == "营业中 · 12:00 结束"
    assert by_id["SF-LG-003"] == "未营业 · 今天 06:00 开门"
    assert by_id[UNREAD_HOURS] == "营业时间以公布为准"
    assert dict(zip(ids, _badges(browser, 5, 720), strict=True))["SF-LG-002"] == (
        "未营业 · 周一 05:30 开门"
    )
    # The "open at" filter never shows the market without a schedule.
    for weekday in range(7):
        _set_open_at(browser, weekday, "07:00")
        shown = browser.eval(
            "Array.from(document.querySelectorAll('#directory tbody tr'))"
            ".filter(r => r.style.display !== 'none').map(r => r.dataset.id)"
        )
        assert UNREAD_HOURS not in shown and shown
    assert browser.console_errors == []


def _phone(b: Browser, page: Path) -> None:
    b.open_tab(*PHONE, mobile=True)
    b.goto(page)
    no_sideways_scroll(b)


def _nav_coords(href: str) -> tuple[float, float]:
    """(lon, lat) of an AMap or Baidu Maps link."""
    q = parse_qs(urlsplit(href).query)
    if "position" in q:  # AMap: lon,lat
        lon, lat = map(float, q["position"][0].split(","))
    else:  # Baidu: lat,lng
        lat, lon = map(float, q["location"][0].split(","))
    return lon, lat


@pytest.mark.browser
def test_phone_directory_is_a_card_per_market(browser: Browser, mixed: dict[str, Any]) -> None:
    markets = mixed["markets"]
    _phone(browser, mixed["index"].parent / "directory.html")
    cards = browser.eval(
        """Array.from(document.querySelectorAll('#directory tbody tr')).map(tr => {
          const r = tr.getBoundingClientRect(), n = tr.querySelector('td.name');
          return {id: tr.dataset.id, display: getComputedStyle(tr).display, left: r.left,
                  right: r.right, nameWidth: n.getBoundingClientRect().width,
                  nameHeight: n.getBoundingClientRect().height,
                  tel: Array.from(tr.querySelectorAll('a[href^="tel:"]')).map(a => a.href),
                  nav: Array.from(tr.querySelectorAll('.nav a')).map(a => a.href),
                  hours: Array.from(tr.querySelectorAll('td')).filter(
                    td => td.dataset.label.startsWith('开放时间')).map(
                    td => [td.dataset.label, td.textContent.trim()])[0]};
        })"""
    )
    assert [c["id"] for c in cards] == list(markets["market_id"])
    wgs = markets.to_crs(4326).geometry
    for c, (_, row), pt in zip(cards, markets.iterrows(), wgs, strict=True):
        assert c["display"] == "block"  # a card, not a table row
        assert c["left"] >= 0 and c["right"] <= PHONE[0]
        assert c["nameWidth"] > 250 and c["nameHeight"] < 40  # the name on one line, not stacked
        numbers = [row["phone"], row["hotline"], re.search(r"[\d-]{11,}", row["complaints"])[0]]
        assert c["tel"] == ["tel:" + re.sub(r"\D", "", n) for n in numbers]
        if row["market_id"] == NO_COORDS:
            assert c["nav"] == []
            continue
        amap, baidu = c["nav"]
        gcj = prcoords.wgs_gcj((pt.y, pt.x))  # an independent implementation
        bd = prcoords.gcj_bd(gcj)
        assert _nav_coords(amap) == pytest.approx((gcj.lon, gcj.lat), abs=2e-6)
        assert _nav_coords(baidu) == pytest.approx((bd.lon, bd.lat), abs=2e-6)
        assert "coordinate=gaode" in amap and "coord_type=bd09ll" in baidu
    hours = {c["id"]: c["hours"] for c in cards}
    assert hours[UNREAD_HOURS] == ["开放时间（公布原文）", "赶集日开市，时间不定"]
    assert hours["SF-LG-001"] == ["开放时间", "每天 05:00-12:00"]  # normalised, once
    offline_only(browser)
    assert browser.console_errors == []
    browser.screenshot(ARTIFACTS / "public_directory_phone.png")


@pytest.mark.browser
def test_phone_map_list_and_markers(browser: Browser, mixed: dict[str, Any]) -> None:
    markets = mixed["markets"]
    _phone(browser, mixed["index"])
    assert browser.eval(
        "getComputedStyle(document.querySelector('.map-layout')).flexDirection"
    ) == ("column")
    assert overlapping_pairs(browser, ".leaflet-marker-icon.market-marker") == []
    cards = browser.eval(
        "Array.from(document.querySelectorAll('#market-list li')).map(li => [li.dataset.id,"
        " li.querySelectorAll('a[href^=\"tel:\"]').length, li.querySelectorAll('.nav a').length,"
        " li.getBoundingClientRect().right])"
    )
    assert [c[0] for c in cards] == list(markets["market_id"])
    for mid, tel, nav, right in cards:
        assert tel == 3 and right <= PHONE[0]
        assert nav == (0 if mid == NO_COORDS else 2)
    assert sorted(_visible_ids(browser)) == sorted(set(markets["market_id"]) - {NO_COORDS})
    browser.screenshot(ARTIFACTS / "public_index_phone.png")


@pytest.mark.browser
def test_phone_stats_chart_fits_and_tables_filter(browser: Browser, mixed: dict[str, Any]) -> None:
    logs = mixed["logs"]
    _phone(browser, mixed["index"].parent / "stats.html")
    box = browser.eval(
        "(() => { const s = document.querySelector('.chart svg'), r = s.getBoundingClientRect();"
        " return [r.left, r.right, r.width, s.viewBox.baseVal.width]; })()"
    )
    left, right, width, view_width = box
    assert left >= 0 and right <= PHONE[0]
    assert 14 * width / view_width >= 10  # chart text at least 10 px on the phone
    # The table by market starts at the latest month; 全部 shows every row.
    latest = max(logs["month"])
    n_latest = len(logs[logs["month"] == latest].groupby(["market_id", "industry"]))
    count = "document.querySelector('form[data-table=table-3] .count').textContent"
    n_all = browser.eval("document.querySelectorAll('#table-3 tbody tr').length")
    assert browser.eval(count) == f"显示 {n_latest} / {n_all} 行"
    browser.eval(
        "(() => { const s = document.querySelector('form[data-table=table-3] select');"
        " s.value = ''; s.dispatchEvent(new Event('change')); })()"
    )
    assert browser.eval(count) == f"显示 {n_all} / {n_all} 行"
    no_sideways_scroll(browser)
    offline_only(browser)
    browser.screenshot(ARTIFACTS / "public_stats_phone.png")


@pytest.mark.browser
def test_close_markers_are_spread_and_return_home_when_zoomed_in(
    browser: Browser, demo: dict[str, Any]
) -> None:
    browser.open_tab()
    browser.goto(demo["index"])
    # The demo's comprehensive market and its nearest station overlap at the first zoom …
    close = browser.eval(
        """(() => { const P = window.plannerMap, out = [];
          const ks = Object.keys(P.markers);
          for (const i of ks) for (const j of ks) if (i < j) {
            const a = P.map.latLngToContainerPoint(P.markers[i].home);
            const b = P.map.latLngToContainerPoint(P.markers[j].home);
            if (a.distanceTo(b) < 24) out.push([i, j]); }
          return out; })()"""
    )
    assert close
    # … and are drawn apart, each with a line to its real spot.
    assert overlapping_pairs(browser, ".leaflet-marker-icon.market-marker") == []
    browser.screenshot(ARTIFACTS / "public_index_spread.png")
    assert (
        browser.eval("window.plannerMap.map.getPanes().overlayPane.querySelectorAll('path').length")
        >= len(demo["boundaries"]) + 2
    )
    # Zoomed in, every marker is back on its point.
    browser.eval(
        f"(() => {{ const P = window.plannerMap; const m = P.markers[{close[0][0]}];"
        " P.map.setView(m.home, 18, {animate: false}); })()"
    )
    moved = browser.eval(
        "Object.values(window.plannerMap.markers).map(m => m.getLatLng().distanceTo(m.home))"
    )
    assert max(moved) < 0.01


def test_site_data_shows_each_market_once(mixed: dict[str, Any]) -> None:
    data = _site_data(mixed["index"])
    by_id = {m["market_id"]: m for m in data["markets"]}
    assert by_id[NO_COORDS]["lon"] is None and by_id[NO_COORDS]["nav"] is None
    assert by_id[UNREAD_HOURS]["hours_view"] == {
        "label": "开放时间（公布原文）",
        "text": "赶集日开市，时间不定",
        "note": "",
    }
    assert by_id[UNREAD_HOURS]["schedule"] is None
    m1 = by_id["SF-LG-001"]
    assert m1["hours_view"]["text"] == "每天 05:00-12:00"
    assert m1["contacts"][0] == ["联系电话", [["0539-5550101", "tel:05395550101"]]]
    # search by synonyms: 卫生间 is listed, 厕所 and 洗手间 find it; 充电 both kinds
    for word in ("卫生间", "厕所", "洗手间", "电动车充电", "手机充电", "遮阳"):
        assert word in m1["search"]
    assert "负责人" not in json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize(
    ("text", "href"),
    [
        # dialled from abroad or China alike: +86, the area code without its trunk 0, the number
        ("+86 631-6651236", "tel:+866316651236"),
        ("86-0631-6651236", "tel:+866316651236"),
        ("+86 (0631) 665 1236", "tel:+866316651236"),
        ("+86 10 12345678", "tel:+861012345678"),
        ("+86 139 1234 5678", "tel:+8613912345678"),
        # as written in China: every digit, the 0 kept
        ("0631-6651236", "tel:06316651236"),
        ("０６３１－６６５１２４１", "tel:06316651241"),  # full-width, as IMEs type it
        ("12333", "tel:12333"),
    ],
)
def test_phone_links_dial_the_number_written(text: str, href: str) -> None:
    from planner.publish._market_view import phone_segments

    segs = phone_segments(f"电话：{text}。")
    assert segs == [["电话：", ""], [text, href], ["。", ""]]

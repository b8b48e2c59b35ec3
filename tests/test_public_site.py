"""Tests of planner.publish.site: the static public map and directory.

The ``browser`` tests drive Debian's headless Chromium over the DevTools protocol (a pipe,
``--remote-debugging-pipe``; a small client below, no extra package) with networking off,
open the pages from ``file://`` and check what a visitor sees. Screenshots go to
``tests/_artifacts/`` (git-ignored).
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from planner.demo import write_demo_inputs
from planner.errors import CRSError, InputFileError, InvalidValueError
from planner.io.coords import convert
from planner.io.hours import parse_hours
from planner.io.markets import read_markets
from planner.io.vector import read_boundaries
from planner.io.worklogs import read_work_logs
from planner.publish._assets import leaflet_version
from planner.publish.site import build_public_site

ARTIFACTS = Path(__file__).resolve().parent / "_artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EVIL = "<script>alert(1)</script>"
EVIL_ADDRESS = "<img src=x onerror=alert(2)>路1号"


# --------------------------------------------------------------------------------------
# A minimal DevTools-protocol client over a pipe
# --------------------------------------------------------------------------------------


def _high_fd(fd: int) -> int:
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Browser:
    """Headless Chromium driven over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out)."""

    def __init__(self, executable: str, profile: Path) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()
        # Move the child's ends above 4, so that dup2 onto 3 and 4 cannot clobber one another.
        cmd_r, res_w = (_high_fd(fd) for fd in (cmd_r, res_w))
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            # Networking off: every http(s) request goes to a closed local port.
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            "--lang=zh-CN",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.log_path = profile / "chromium.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in close()

        def wire() -> None:  # in the child: the protocol wants fd 3 (in) and fd 4 (out)
            os.dup2(cmd_r, 3)
            os.dup2(res_w, 4)

        self.proc = subprocess.Popen(
            [executable, *flags],
            preexec_fn=wire,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        os.close(cmd_r)
        os.close(res_w)
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.session = ""
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.console_errors: list[str] = []

    def _read(self) -> None:
        buf = b""
        with os.fdopen(self._res_r, "rb", buffering=0) as fh:
            while True:
                chunk = fh.read(65536)
                if not chunk:
                    break
                buf += chunk
                while b"\0" in buf:
                    raw, buf = buf.split(b"\0", 1)
                    msg = json.loads(raw)
                    if "id" in msg:
                        with self._cond:
                            self._replies[msg["id"]] = msg
                            self._cond.notify_all()
                    else:
                        self._on_event(msg)

    def _on_event(self, msg: dict[str, Any]) -> None:
        method = msg.get("method", "")
        params = msg.get("params", {})
        if method == "Page.javascriptDialogOpening":
            self.dialogs.append(params.get("message", ""))
            self._send_nowait("Page.handleJavaScriptDialog", {"accept": True}, self.session)
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            self.console_errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
        self._events.put(msg)

    def _send_nowait(self, method: str, params: dict[str, Any], session: str) -> int:
        with self._cond:
            self._next_id += 1
            mid = self._next_id
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        return mid

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, timeout_s: float = 30
    ) -> Any:
        mid = self._send_nowait(method, params or {}, self.session)
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while mid not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no reply to {method}")
                self._cond.wait(left)
            reply = self._replies.pop(mid)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_ready(self, timeout_s: float = 60) -> None:
        """Wait until the browser answers (a message sent while it starts up is lost)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.send("Browser.getVersion", timeout_s=1)
                return
            except (TimeoutError, BrokenPipeError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    tail = self.log_path.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"chromium did not start; its log ends:\n{tail}") from None

    def open_tab(self, width_px: int = 1200, height_px: int = 800, *, mobile: bool = False) -> None:
        self.session = ""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Network"):
            self.send(f"{domain}.enable")
        self.send(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width_px, "height": height_px, "deviceScaleFactor": 1, "mobile": mobile},
        )
        self.dialogs.clear()
        self.requests.clear()
        self.console_errors.clear()

    def goto(self, path: Path, *, timeout_s: float = 30) -> None:
        while not self._events.empty():
            self._events.get_nowait()
        self.send("Page.navigate", {"url": path.resolve().as_uri()})
        deadline = time.monotonic() + timeout_s
        while True:
            msg = self._events.get(timeout=max(0.1, deadline - time.monotonic()))
            if msg.get("method") == "Page.loadEventFired" and msg.get("sessionId") == self.session:
                break
        self.eval("new Promise(r => setTimeout(r, 300))")  # let Leaflet finish drawing

    def eval(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        self.eval("new Promise(r => setTimeout(r, 400))")  # let popups finish fading in
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self._send_nowait("Browser.close", {}, "")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd_w)
        self._log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    with tempfile.TemporaryDirectory(prefix="planner-chromium-") as profile:
        b = Browser(CHROMIUM, Path(profile))
        try:
            b.wait_ready()
            yield b
        finally:
            b.close()


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


def _offline_only(b: Browser) -> None:
    remote = [u for u in b.requests if not u.startswith(("file:", "data:", "about:"))]
    assert remote == [], f"pages requested remote resources: {remote}"


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
    _offline_only(browser)
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
        row["hours"],
        row["phone"],
        row["hotline"],
        row["complaints"],
        "、".join(row["occupations"]),
        "、".join(row["services"]),
    ):
        assert value in text
    assert "候工室" in text and "饮水" in text  # facility labels from 休息区, 饮水
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
    browser.eval(
        "(() => { const q = document.getElementById('q'); q.value = '';"
        " q.dispatchEvent(new Event('input')); })()"
    )
    browser.screenshot(ARTIFACTS / "public_directory.png")
    _offline_only(browser)
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
    _offline_only(browser)


@pytest.mark.browser
def test_phone_layout_screenshot(browser: Browser, demo: dict[str, Any]) -> None:
    browser.open_tab(390, 844, mobile=True)
    browser.goto(demo["index"])
    assert browser.eval("document.querySelector('meta[name=viewport]') !== null")
    # On a phone the list goes under the map (flex column), not beside it.
    assert browser.eval(
        "getComputedStyle(document.querySelector('.map-layout')).flexDirection"
    ) == ("column")
    browser.screenshot(ARTIFACTS / "public_index_phone.png")


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
    # The phone link cannot become a javascript: URL.
    hrefs = browser.eval(
        "Array.from(document.querySelectorAll('.leaflet-popup-content a')).map(a => a.href)"
    )
    assert all(h.startswith("tel:") for h in hrefs)
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
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert refs, page
        for ref in refs:
            assert not re.match(r"(?i)(https?:)?//", ref), (page, ref)
            if not ref.startswith(("tel:", "#")):
                assert (folder / ref).is_file(), (page, ref)
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
        ({"tiles": "google"}, InvalidValueError, r"unknown tiles 'google'.*Fix: use 'none'"),
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


@pytest.fixture(scope="module")
def planner_map_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    from planner.inputs import load_inputs
    from planner.pipeline import run_study
    from planner.publish.maps import planner_map, save_map
    from planner.study import load_study

    files = write_demo_inputs(tmp_path_factory.mktemp("demo-run"), scale=0.3)
    run = run_study(load_inputs(load_study(files.study)))
    path = save_map(planner_map(run), tmp_path_factory.mktemp("pmap") / "planner_map.html")
    return path, len(run.plan.sites)


@pytest.mark.browser
def test_planner_map_renders_offline(browser: Browser, planner_map_page: tuple[Path, int]) -> None:
    path, n_sites = planner_map_page
    browser.open_tab()
    browser.goto(path)
    assert browser.eval("typeof L") == "object"
    assert browser.eval("document.querySelectorAll('.leaflet-container').length") == 1
    # proposed sites are drawn as icon markers (existing markets go on the canvas)
    assert browser.eval("document.querySelectorAll('.leaflet-marker-icon').length") == n_sites
    assert browser.eval("document.querySelectorAll('.leaflet-control-layers').length") == 1
    _offline_only(browser)
    assert browser.console_errors == []
    browser.screenshot(ARTIFACTS / "planner_map.png")

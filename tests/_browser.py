"""A minimal client of headless Chromium for the browser tests (no extra package).

Debian's ``chromium`` is driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``) with networking off; pages open from ``file://``.
:func:`open_browser` starts one for a test module (a fixture yields from it) and skips
the tests when chromium is not installed. Screenshots go to ``tests/_artifacts/``
(git-ignored).
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "_artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


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


def open_browser() -> Iterator[Browser]:
    """Start Chromium (skip the test when it is absent); yield it and close it after."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    with tempfile.TemporaryDirectory(prefix="planner-chromium-") as profile:
        b = Browser(CHROMIUM, Path(profile))
        try:
            b.wait_ready()
            yield b
        finally:
            b.close()


def offline_only(b: Browser) -> None:
    """Assert the page requested nothing but local files."""
    remote = [u for u in b.requests if not u.startswith(("file:", "data:", "about:"))]
    assert remote == [], f"pages requested remote resources: {remote}"


def no_sideways_scroll(b: Browser) -> None:
    """Assert the page is no wider than the window."""
    width, inner = b.eval("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the page scrolls sideways: {width} px wide in {inner} px"


def overlapping_pairs(b: Browser, selector: str, slack_px: float = 1.0) -> list[list[str]]:
    """Pairs of elements matching ``selector`` whose boxes overlap (by ``data-id``)."""
    return b.eval(
        f"""(() => {{
        const els = Array.from(document.querySelectorAll({json.dumps(selector)}));
        const r = els.map(e => [e.getAttribute('data-id'), e.getBoundingClientRect()]);
        const out = [];
        for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {{
          const a = r[i][1], b = r[j][1];
          const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (w > {slack_px} && h > {slack_px}) out.push([r[i][0], r[j][0]]);
        }}
        return out; }})()"""
    )

"""A small drawing: shapes in pixels, written as SVG (HTML, Markdown) and PNG (Word).

The proposal's maps are drawn once as a list of shapes and written both ways, so the
picture in ``proposal.docx`` is the one in ``proposal.html``. SVG text uses the reader's
fonts; the PNG is painted with Pillow and a CJK font found on this machine
(:func:`cjk_font_path`); without one its labels are left out (logged). Both outputs are
byte-for-byte the same for the same shapes (no timestamps).
"""

from __future__ import annotations

import functools
import glob
import html
import io
import itertools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Circle", "Drawing", "Lines", "Rect", "Text", "cjk_font_path", "symbol_points"]

log = logging.getLogger(__name__)

Point = tuple[float, float]

_FONT_FAMILY = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif"

#: Where CJK fonts usually are (Debian/Ubuntu fonts-noto-cjk, WenQuanYi, Windows, macOS).
_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
)


@functools.cache
def cjk_font_path() -> str | None:
    """Path of a font with Chinese glyphs on this machine, or ``None``."""
    for p in _FONT_CANDIDATES:
        if Path(p).is_file():
            return p
    for pattern in ("/usr/share/fonts/**/*CJK*Regular*.tt[cf]", "/usr/share/fonts/**/*CJK*.ot[cf]"):
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return found[0]
    log.warning(
        "no font with Chinese glyphs found (e.g. install fonts-noto-cjk): the map labels in"
        " proposal.docx are left out"
    )
    return None


def _f(v: float) -> str:
    """A coordinate with one decimal, without a trailing ``.0`` of ``-0.0``."""
    s = f"{v:.1f}"
    return "0" if s in ("-0.0", "0.0") else s.removesuffix(".0")


@dataclass(frozen=True)
class Rect:
    """A rectangle (x, y: top left)."""

    x: float
    y: float
    w: float
    h: float
    fill: str
    opacity: float = 1.0
    stroke: str | None = None
    stroke_width: float = 0.0


@dataclass(frozen=True)
class Lines:
    """Polylines (or closed rings with ``closed``), drawn as one path."""

    lines: Sequence[Sequence[Point] | NDArray[np.float64]]
    stroke: str
    width: float = 1.0
    dash: str | None = None
    closed: bool = False
    fill: str | None = None
    opacity: float = 1.0
    title: str | None = None


@dataclass(frozen=True)
class Circle:
    """A circle with an optional tooltip (SVG only)."""

    cx: float
    cy: float
    r: float
    fill: str
    stroke: str = "#222"
    stroke_width: float = 1.0
    title: str | None = None


@dataclass(frozen=True)
class Text:
    """A label; ``anchor`` is ``start``, ``middle`` or ``end``; a white halo by default."""

    x: float
    y: float
    text: str
    size: float = 11.0
    fill: str = "#222"
    anchor: str = "start"
    halo: bool = True
    bold: bool = False


Item = Rect | Lines | Circle | Text


def symbol_points(kind: str, x: float, y: float, r: float) -> list[Point]:
    """Outline of a tier symbol: ``star``, ``triangle`` or ``square``, centred on (x, y)."""
    if kind == "star":
        pts = []
        for k in range(10):
            a = math.pi / 2 + k * math.pi / 5
            rr = r if k % 2 == 0 else r * 0.45
            pts.append((x + rr * math.cos(a), y - rr * math.sin(a)))
        return pts
    if kind == "triangle":
        return [(x, y - r), (x + r * 0.95, y + r * 0.7), (x - r * 0.95, y + r * 0.7)]
    s = r * 0.8
    return [(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)]


@dataclass
class Drawing:
    """Shapes in pixel coordinates (origin top left), in painting order."""

    width: int
    height: int
    label: str
    items: list[Item] = field(default_factory=list)
    background: str = "#f7f7f7"
    _svg: tuple[int, str] | None = field(default=None, repr=False, compare=False)

    def add(self, item: Item) -> None:
        """Append a shape."""
        self.items.append(item)

    # ---- SVG ---------------------------------------------------------------------------

    def svg(self) -> str:
        """The drawing as an SVG document (every text escaped)."""
        key = len(self.items)
        if self._svg is not None and self._svg[0] == key:
            return self._svg[1]
        text = self._svg_text()
        self._svg = (key, text)
        return text

    def _svg_text(self) -> str:
        w, h = self.width, self.height
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" role="img" aria-label="{html.escape(self.label)}" '
            f'font-family="{_FONT_FAMILY}">',
            f'<rect width="{w}" height="{h}" fill="{self.background}" stroke="#999"/>',
        ]
        for it in self.items:
            out.append(_svg_item(it))
        out.append("</svg>")
        return "\n".join(out)

    # ---- PNG ---------------------------------------------------------------------------

    def png(self, scale: float = 2.0) -> bytes:
        """The drawing painted as a PNG, ``scale`` pixels per drawing unit."""
        from PIL import Image, ImageDraw

        W, H = round(self.width * scale), round(self.height * scale)
        img = Image.new("RGBA", (W, H), self.background)
        layer: Any = None
        font_path = cjk_font_path()

        base = ImageDraw.Draw(img)
        over: Any = None

        def flush() -> None:
            nonlocal layer, img, base, over
            if layer is not None:
                img = Image.alpha_composite(img, layer)
                base = ImageDraw.Draw(img)
                layer = over = None

        def sc(p: Point) -> tuple[float, float]:
            return (p[0] * scale, p[1] * scale)

        for it in self.items:
            translucent = getattr(it, "opacity", 1.0) < 1.0
            if translucent:
                if layer is None:
                    layer = Image.new("RGBA", (W, H), (0, 0, 0, 0))
                    over = ImageDraw.Draw(layer)
                d = over
            else:
                flush()
                d = base
            if isinstance(it, Rect):
                box = [it.x * scale, it.y * scale, (it.x + it.w) * scale, (it.y + it.h) * scale]
                d.rectangle(box, fill=_rgba(it.fill, it.opacity))
                if it.stroke:
                    d.rectangle(
                        box, outline=_rgba(it.stroke), width=max(1, round(it.stroke_width * scale))
                    )
            elif isinstance(it, Lines):
                wpx = max(1, round(it.width * scale))
                for line in it.lines:
                    arr = np.asarray(line, dtype=float) * scale
                    pts = [tuple(p) for p in arr.tolist()]
                    if len(pts) < 2:
                        continue
                    if it.closed and it.fill:
                        d.polygon(pts, fill=_rgba(it.fill, it.opacity))
                    if it.dash:
                        _dashed(
                            d,
                            pts + ([pts[0]] if it.closed else []),
                            _rgba(it.stroke, it.opacity),
                            wpx,
                            scale,
                        )
                    else:
                        d.line(
                            pts + ([pts[0]] if it.closed else []),
                            fill=_rgba(it.stroke, it.opacity),
                            width=wpx,
                            joint="curve",
                        )
            elif isinstance(it, Circle):
                r = it.r * scale
                cx, cy = it.cx * scale, it.cy * scale
                d.ellipse(
                    [cx - r, cy - r, cx + r, cy + r],
                    fill=_rgba(it.fill),
                    outline=_rgba(it.stroke),
                    width=max(1, round(it.stroke_width * scale)),
                )
            elif isinstance(it, Text):
                if font_path is None and not it.text.isascii():
                    continue
                font = _font(font_path, round(it.size * scale))
                anchor = {"start": "ls", "middle": "ms", "end": "rs"}.get(it.anchor, "ls")
                d.text(
                    sc((it.x, it.y)),
                    it.text,
                    font=font,
                    fill=_rgba(it.fill),
                    anchor=anchor,
                    stroke_width=round(2 * scale) if it.halo else 0,
                    stroke_fill=(255, 255, 255, 255),
                )
        flush()
        ImageDraw.Draw(img).rectangle([0, 0, W - 1, H - 1], outline=_rgba("#999"), width=1)
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "PNG", compress_level=4)
        return buf.getvalue()


@functools.cache
def _font(path: str | None, size: int) -> Any:
    """A Pillow font, loaded once per (file, size): a CJK collection is tens of megabytes."""
    from PIL import ImageFont

    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def _svg_item(it: Item) -> str:
    if isinstance(it, Rect):
        stroke = f' stroke="{it.stroke}" stroke-width="{it.stroke_width:g}"' if it.stroke else ""
        op = f' fill-opacity="{it.opacity:.2f}"' if it.opacity < 1.0 else ""
        return (
            f'<rect x="{it.x:.1f}" y="{it.y:.1f}" width="{it.w:.1f}" height="{it.h:.1f}" '
            f'fill="{it.fill}"{op}{stroke}/>'
        )
    if isinstance(it, Lines):
        d = " ".join(_path(line, it.closed) for line in it.lines if len(line) >= 2)
        fill = it.fill if it.fill and it.closed else "none"
        dash = f' stroke-dasharray="{it.dash}"' if it.dash else ""
        op = f' opacity="{it.opacity:.2f}"' if it.opacity < 1.0 else ""
        title = f"<title>{html.escape(it.title)}</title>" if it.title else ""
        return (
            f'<path d="{d}" fill="{fill}" stroke="{it.stroke}" stroke-width="{it.width:g}" '
            f'stroke-linejoin="round" stroke-linecap="round"{dash}{op}>{title}</path>'
        )
    if isinstance(it, Circle):
        title = f"<title>{html.escape(it.title)}</title>" if it.title else ""
        return (
            f'<circle cx="{_f(it.cx)}" cy="{_f(it.cy)}" r="{it.r:g}" fill="{it.fill}" '
            f'stroke="{it.stroke}" stroke-width="{it.stroke_width:g}">{title}</circle>'
        )
    halo = ' stroke="#fff" stroke-width="3" paint-order="stroke"' if it.halo else ""
    weight = ' font-weight="bold"' if it.bold else ""
    return (
        f'<text x="{_f(it.x)}" y="{_f(it.y)}" font-size="{it.size:g}" fill="{it.fill}" '
        f'text-anchor="{it.anchor}"{halo}{weight}>{html.escape(it.text)}</text>'
    )


def _path(line: Sequence[Point] | NDArray[np.float64], closed: bool) -> str:
    """``M x y L x y …`` of a polyline, formatted in one call (maps have ~10⁵ vertices)."""
    flat = np.asarray(line, dtype=float).ravel().tolist()
    n = len(flat) // 2
    return ("M" + " L".join(["%.1f %.1f"] * n)) % tuple(flat) + (" Z" if closed else "")


@functools.cache
def _rgba(colour: str, opacity: float = 1.0) -> tuple[int, int, int, int]:
    c = colour.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return (int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), round(255 * opacity))


def _dashed(d: Any, pts: list[tuple[float, float]], fill: Any, width: int, scale: float) -> None:
    """A dashed polyline (Pillow draws no dashes): 6 on, 4 off, in drawing units."""
    on, off = 6 * scale, 4 * scale
    drawing, left = True, on
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        seg = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        while seg - pos > 1e-9:
            step = min(left, seg - pos)
            if drawing:
                a, b = pos / seg, (pos + step) / seg
                d.line(
                    [
                        (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a),
                        (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b),
                    ],
                    fill=fill,
                    width=width,
                )
            pos += step
            left -= step
            if left <= 1e-9:
                drawing = not drawing
                left = on if drawing else off

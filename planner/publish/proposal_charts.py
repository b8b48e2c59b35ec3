"""The proposal's charts: what each new site buys (a curve per tier) and scenarios side by side.

Both are :class:`~planner.publish._drawing.Drawing` objects, drawn once and written as SVG
(HTML, Markdown) and PNG (Word), like the proposal's maps.

:func:`curve_chart` draws covered demand against the number of new sites, from ``k = 0``
(nothing covered) to the curve's last point: filled dots are proven optimal, hollow dots
heuristic with a line up to their proven bound, a red line marks the plan's number of sites
and an orange ring the knee; a dashed line is the coverable demand. The plan's line and the
knee's ring carry a ``<title>`` (``本方案 7处``, ``拐点 8处``) so a reader hovering them, and a
test, can find them. :func:`scenario_panels` draws one small map per scenario in a row
(three to a row): units, the demand the station tier covers after the plan, the sites.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import shapely

from planner.analysis.curve import SiteCurve
from planner.publish._drawing import Circle, Drawing, Lines, Rect, Text, symbol_points
from planner.publish.proposal_maps import TIER_COLOURS, MapData

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = ["CURVE_BOX", "curve_chart", "nice_step", "scenario_panels"]

#: Width, height and the plot's margins (left, right, top, bottom) of a curve chart, px.
CURVE_BOX = (560, 300, 74, 24, 30, 46)
_LINE = "#2171b5"
_CHOSEN = "#d7301f"
_KNEE = "#f28e2b"
_SYMBOL = {"comprehensive": "star", "sector": "triangle", "station": "square"}


def nice_step(span: float, n: int = 5) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) giving about ``n`` ticks over ``span``.

    Examples
    --------
    >>> nice_step(47046.6), nice_step(14, 10), nice_step(3)
    (10000.0, 2.0, 1.0)
    """
    if not span > 0:
        return 1.0
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return float(m * mag)
    return float(10 * mag)  # pragma: no cover - the loop always returns


def _fmt(v: float) -> str:
    return f"{v:,.0f}"


def curve_chart(
    curve: SiteCurve,
    *,
    t: Callable[..., str],
    tier_label: str,
    status_label: Callable[[str], str],
) -> Drawing:
    """The curve of one tier (see the module docstring); ``t`` gives the chart's words."""
    width, height, left, right, top, bottom = CURVE_BOX
    pw, ph = width - left - right, height - top - bottom
    pts = curve.points
    k = pts["k"].to_numpy(dtype=float)
    y = pts["covered"].to_numpy(dtype=float)
    gap = pts["gap"].to_numpy(dtype=float)
    status = [str(s) for s in pts["status"]]
    heur = np.array([s != "optimal" for s in status], dtype=bool)
    ok = heur & np.isfinite(gap) & (gap > 0) & (gap < 1)
    bound = np.where(ok, y / np.where(ok, 1.0 - gap, 1.0), y)
    k_max = float(k.max()) if len(k) else 1.0
    top_v = max(curve.total, float(bound.max()) if len(bound) else 0.0, 1.0)
    y_step = nice_step(top_v)
    y_max = math.ceil(top_v / y_step) * y_step

    def px(kv: float) -> float:
        return round(left + kv / k_max * pw, 1)

    def py(v: float) -> float:
        return round(top + ph - v / y_max * ph, 1)

    d = Drawing(width, height, t("chart_label", tier=tier_label), background="#ffffff")
    for v in np.arange(0.0, y_max + y_step / 2, y_step):
        d.add(Lines([[(left, py(v)), (left + pw, py(v))]], stroke="#e3e3e3", width=0.8))
        d.add(Text(left - 6, py(v) + 4, _fmt(v), size=10, anchor="end", halo=False))
    x_step = max(1.0, nice_step(k_max, 10))
    ticks = list(np.arange(0.0, k_max + 0.5, x_step))
    if k_max - ticks[-1] >= x_step / 2:
        ticks.append(k_max)
    for kv in ticks:
        d.add(Lines([[(px(kv), top + ph), (px(kv), top + ph + 4)]], stroke="#333", width=1))
        d.add(Text(px(kv), top + ph + 16, f"{kv:g}", size=10, anchor="middle", halo=False))
    d.add(Lines([[(left, top), (left, top + ph), (left + pw, top + ph)]], stroke="#333", width=1))
    d.add(Text(left + pw / 2, height - 6, t("chart_x"), size=11, anchor="middle", halo=False))
    d.add(Text(8, top - 12, t("chart_y"), size=11, anchor="start", halo=False))
    if curve.total > 0:
        d.add(
            Lines(
                [[(left, py(curve.total)), (left + pw, py(curve.total))]],
                stroke="#888",
                width=1,
                dash="5 4",
            )
        )
        d.add(
            Text(
                left + pw - 2,
                py(curve.total) - 4,
                t("chart_total", n=_fmt(curve.total)),
                size=10,
                fill="#555",
                anchor="end",
            )
        )
    if curve.chosen is not None and curve.chosen > 0:
        xc = px(float(curve.chosen))
        label = t("chart_chosen", k=curve.chosen)
        d.add(Lines([[(xc, top), (xc, top + ph)]], stroke=_CHOSEN, width=1.6, title=label))
        d.add(Text(xc + 4, top + 12, label, size=11, fill=_CHOSEN, anchor="start"))
    if len(k):
        line = [(px(0.0), py(0.0))] + [(px(a), py(b)) for a, b in zip(k, y, strict=True)]
        d.add(Lines([line], stroke=_LINE, width=2))
    for kv, v, b, s, h in zip(k, y, bound, status, heur, strict=True):
        if h and b > v:
            d.add(Lines([[(px(kv), py(v)), (px(kv), py(b))]], stroke=_LINE, width=1))
        title = t("chart_point", k=int(kv), n=_fmt(v), status=status_label(s))
        d.add(Circle(px(kv), py(v), 3.5, "#ffffff" if h else _LINE, stroke=_LINE, title=title))
    if curve.knee is not None and curve.knee in set(k.astype(int).tolist()):
        kv = float(curve.knee)
        v = float(y[int(np.flatnonzero(k == kv)[0])])
        cx, cy = px(kv), py(v)
        ring = [
            (cx + 8 * math.cos(a), cy + 8 * math.sin(a))
            for a in np.linspace(0, 2 * math.pi, 24, endpoint=False)
        ]
        label = t("chart_knee", k=curve.knee)
        d.add(Lines([ring], stroke=_KNEE, width=2, closed=True, title=label))
        d.add(Text(cx + 10, cy + 18, label, size=11, fill="#b35806", anchor="start"))
    return d


def scenario_panels(
    runs: Mapping[str, StudyRun],
    data: MapData,
    *,
    titles: Mapping[str, str],
    label: str,
    width_px: int = 640,
) -> Drawing:
    """One small map per scenario, side by side (three to a row); ``titles`` by run name."""
    n = max(len(runs), 1)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    gap_px, head = 10, 20
    pw = (width_px - (cols + 1) * gap_px) / cols
    bx0, by0, bx1, by1 = data.bounds
    pad = 0.03 * max(bx1 - bx0, by1 - by0, 1.0)
    bx0, by0, bx1, by1 = bx0 - pad, by0 - pad, bx1 + pad, by1 + pad
    k = pw / (bx1 - bx0)
    ph = min((by1 - by0) * k, 1.3 * pw)
    k = min(k, ph / (by1 - by0))
    height = round(rows * (ph + head + gap_px) + gap_px)
    d = Drawing(width_px, height, label, background="#ffffff")
    crs = None
    for i, (name, run) in enumerate(runs.items()):
        ox = gap_px + (i % cols) * (pw + gap_px)
        oy = gap_px + (i // cols) * (ph + head + gap_px) + head

        def px(x: np.ndarray, y: np.ndarray, ox: float = ox, oy: float = oy) -> np.ndarray:
            return np.round(np.column_stack([ox + (x - bx0) * k, oy + ph - (y - by0) * k]), 1)

        d.add(
            Text(
                ox + pw / 2,
                oy - 6,
                titles.get(name, name),
                size=12,
                anchor="middle",
                bold=True,
                halo=False,
            )
        )
        cells = run.plan.after.cells
        crs = crs or cells.crs
        if cells.crs != crs:
            cells = cells.to_crs(crs)
        cc = shapely.centroid(np.asarray(cells.geometry.values))
        cx, cy = shapely.get_x(cc), shapely.get_y(cc)
        w = cells[run.plan.after.weight].to_numpy(dtype=float)
        col = "station_covered" if "station_covered" in cells else None
        cov = cells[col].to_numpy(dtype=bool) if col else np.zeros(len(cells), dtype=bool)
        b = max(data.cell_side_m, (bx1 - bx0) / 45.0)
        ix = np.floor((cx - bx0) / b).astype(np.int64)
        iy = np.floor((cy - by0) / b).astype(np.int64)
        keep = (w > 0) & (ix >= 0) & (iy >= 0)
        nx = int(ix[keep].max()) + 1 if keep.any() else 1
        key = iy[keep] * nx + ix[keep]
        uk, inv = np.unique(key, return_inverse=True)
        tot = np.bincount(inv, weights=w[keep])
        got = np.bincount(inv, weights=(w * cov)[keep])
        top = float(np.quantile(tot, 0.98)) if len(tot) else 1.0
        s = b * k
        for kk, tv, gv in zip(uk.tolist(), tot.tolist(), got.tolist(), strict=True):
            xy = px(np.array([bx0 + (kk % nx + 0.5) * b]), np.array([by0 + (kk // nx + 0.5) * b]))
            alpha = 0.15 + 0.6 * min(tv / top, 1.0) ** 0.5 if top > 0 else 0.5
            fill = "#31a354" if gv >= tv / 2 else "#bdbdbd"
            d.add(
                Rect(
                    float(xy[0, 0] - s / 2),
                    float(xy[0, 1] - s / 2),
                    s,
                    s,
                    fill,
                    opacity=float(f"{alpha:.2f}"),
                )
            )
        lines = []
        for g in data.unit_lines:
            for part in shapely.get_parts(shapely.simplify(g, 1.0 / k)):
                c = shapely.get_coordinates(part)
                if len(c) >= 2:
                    lines.append(px(c[:, 0], c[:, 1]))
        if lines:
            d.add(Lines(lines, stroke="#555", width=0.8, dash="4 3"))
        sites = run.plan.sites
        if len(sites):
            sg = sites.to_crs(crs) if sites.crs != crs else sites
            sc = shapely.centroid(np.asarray(sg.geometry.values))
            sxy = px(shapely.get_x(sc), shapely.get_y(sc))
            for (x, y), tier in zip(sxy.tolist(), sites["tier"].astype(str), strict=True):
                d.add(
                    Lines(
                        [symbol_points(_SYMBOL.get(tier, "square"), x, y, 5.0)],
                        stroke="#fff",
                        width=0.8,
                        closed=True,
                        fill=TIER_COLOURS.get(tier, "#444"),
                    )
                )
        d.add(
            Lines(
                [[(ox, oy), (ox + pw, oy), (ox + pw, oy + ph), (ox, oy + ph)]],
                stroke="#bbb",
                width=0.8,
                closed=True,
            )
        )
    return d

"""The planner's interactive map: demand, coverage, gaps, existing markets and the plan.

:func:`planner_map` draws one :class:`folium.Map` of a :class:`~planner.run.StudyRun`
with Chinese labels and these layers (each switchable in the layer control):

- 研究区边界 — the study area's units;
- 零工需求 — flexible-worker demand, aggregated to squares of ``demand_cell_m`` so the page
  stays small (a county of 250 m cells would otherwise write tens of thousands of polygons);
- 现状覆盖范围 per tier — the area from which an existing market serving the tier is reached
  within the tier's threshold by one of its modes (isochrones, see
  :func:`planner.network.isochrones.isochrones`), or with ``isochrones=False`` the demand
  cells counted as covered;
- 时段覆盖 — coverage at each moment of the study (``周一 05:00`` …) next to any time, per
  tier before and after the plan (:mod:`planner.publish._map_moments`);
- 覆盖缺口 per tier — :func:`planner.analysis.coverage.coverage_gaps` with their demand;
- 现有零工市场 — existing markets, a circle coloured by tier, with a popup (markets closed
  at dawn flagged, with what opening two hours earlier buys);
- 拟建 … per tier — the proposed sites with a distinct symbol per tier and a popup giving
  their proposed opening hours and the reasons
  (:func:`planner.analysis.reasons.site_reason`);
- without basemap tiles, 主要道路 and 乡镇名称 drawn from the inputs
  (:mod:`planner.publish._map_context`), so the map can be read offline.

The page has a title (page and map), a collapsed layer control (on a phone an open one
covers the map), a metric scale bar and a collapsible legend apart from it. Tiles take the
one vocabulary of both maps (:mod:`planner.publish._tiles`, the study file's
``[outputs] tiles``); over AMap tiles the overlays are shifted to GCJ-02.

:func:`save_map` writes the page with Leaflet copied next to it (from the
``xstatic-leaflet`` package, :mod:`planner.publish._assets`): the page loads nothing from a
CDN and opens from ``file://`` offline. Every text taken from the inputs is HTML-escaped
and handed to Leaflet as a JSON string, never spliced into markup or script.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import settings
from planner.analysis.coverage import TierRule, coverage_gaps
from planner.analysis.reasons import ANCHOR_ZH, MODE_ZH, site_reason
from planner.analysis.reasons import label as term
from planner.errors import DependencyError, InvalidValueError
from planner.io.coords import convert
from planner.network.graph import TravelGraph
from planner.network.isochrones import isochrones as isochrone_polygons
from planner.network.snapping import snap_points
from planner.network.transit import BusLayer
from planner.publish._answers import DawnFlag, dawn_flags_of, proposed_hours
from planner.publish._map_context import ROAD_STYLES, main_roads, place_labels
from planner.publish._map_moments import add_moment_layers
from planner.publish._tiles import tile_source

if TYPE_CHECKING:
    import folium

    from planner.run import StudyRun

__all__ = [
    "ANCHOR_LABELS",
    "MODE_LABELS",
    "TIER_COLOURS",
    "TIER_LABELS",
    "TIER_SYMBOLS",
    "escape",
    "planner_map",
    "save_map",
]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

#: Chinese names of the tiers (鲁人社字〔2024〕44号).
TIER_LABELS: Mapping[str, str] = settings.TIER_LABELS_ZH

#: Chinese names of the travel modes (and of the rural straight-line rule).
MODE_LABELS: Mapping[str, str] = MODE_ZH

#: Chinese names of the anchor kinds of candidate sites.
ANCHOR_LABELS: Mapping[str, str] = ANCHOR_ZH

#: Colour of each tier (existing markets and proposed sites alike).
TIER_COLOURS: Mapping[str, str] = {
    "comprehensive": "#d7301f",
    "sector": "#6a51a3",
    "station": "#2171b5",
}

#: Symbol of each tier's proposed sites.
TIER_SYMBOLS: Mapping[str, str] = {"comprehensive": "★", "sector": "▲", "station": "■"}

_DEMAND_COLOURS = ("#ffffcc", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")

#: Where :func:`save_map` puts Leaflet, relative to the HTML file.
ASSET_DIR = "assets/leaflet"


def escape(value: Any) -> str:
    """HTML-escape any value for a popup, tooltip or attribute.

    Besides ``& < > " '`` this also escapes the backtick, ``$`` and the backslash, so
    the text is inert even inside a JavaScript template literal.

    Examples
    --------
    >>> escape("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    >>> escape(None)
    ''
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, list | tuple | np.ndarray):
        return "、".join(escape(v) for v in value)
    text = html.escape(str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def _js_string(text: str) -> str:
    """A JSON string literal safe inside a ``<script>`` element."""
    return (
        json.dumps(text, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _folium() -> Any:
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a dependency
        raise DependencyError(
            "the planner's map needs folium", fix="install it with `pip install folium`"
        ) from exc
    return folium


@functools.cache
def _bind_class() -> type:
    """A folium element binding a popup or tooltip given as a JSON string (no jQuery).

    Made once per process: its jinja template takes ~5 ms to compile, and a map binds
    one per marker.
    """
    from branca.element import MacroElement
    from jinja2 import Template

    class _Bind(MacroElement):  # type: ignore[misc]
        _template = Template(
            "{% macro script(this, kwargs) %}"
            "{{ this._parent.get_name() }}.{{ this.method }}({{ this.content }}, "
            "{{ this.options }});\n"
            "{% endmacro %}"
        )

        def __init__(self, method: str, content_html: str, options: Mapping[str, Any]) -> None:
            super().__init__()
            self._name = "Bind"
            self.method = method
            self.content = _js_string(content_html)
            self.options = json.dumps(dict(options))

    return _Bind


def _popup(layer: Any, content_html: str) -> None:
    layer.add_child(_bind_class()("bindPopup", content_html, {"maxWidth": 360}))


def _tooltip(layer: Any, content_html: str) -> None:
    layer.add_child(_bind_class()("bindTooltip", content_html, {"sticky": True}))


_PAGE_STYLE = (
    "<style>.planner-title{position:absolute;top:10px;left:50%;transform:translateX(-50%);"
    "z-index:1000;max-width:calc(100% - 130px);background:rgba(255,255,255,.92);"
    "padding:4px 12px;border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3);"
    "font:bold 16px/1.4 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;text-align:center}"
    ".planner-legend{background:#fff;padding:6px 10px;border-radius:4px;"
    "box-shadow:0 0 4px rgba(0,0,0,.3);font:13px/1.5 'Noto Sans CJK SC','Microsoft YaHei',"
    "sans-serif;max-width:240px;max-height:60vh;overflow-y:auto}"
    ".planner-legend summary{font-weight:bold;cursor:pointer}"
    ".planner-legend .sym{display:inline-block;width:1.4em;text-align:center}"
    ".planner-label{font:13px/1.2 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;color:#333;"
    "white-space:nowrap;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}"
    ".planner-label span{display:inline-block;transform:translate(-50%,-50%)}"
    "@media (max-width:600px){.planner-title{font-size:14px;top:6px}}</style>"
)


@functools.cache
def _chrome_class() -> type:
    """The page's title, metric scale bar and legend control (one element, made once)."""
    from branca.element import MacroElement
    from jinja2 import Template

    class _Chrome(MacroElement):  # type: ignore[misc]
        _template = Template(
            "{% macro header(this, kwargs) %}" + _PAGE_STYLE + "{% endmacro %}"
            "{% macro html(this, kwargs) %}"
            "<div class='planner-title' role='heading' aria-level='1'>{{ this.title }}</div>"
            "{% endmacro %}"
            "{% macro script(this, kwargs) %}"
            "L.control.scale({metric: true, imperial: false, maxWidth: 150,"
            " position: 'bottomleft'}).addTo({{ this._parent.get_name() }});\n"
            "(function () { var legend = L.control({position: 'bottomright'});"
            " legend.onAdd = function () { var box = L.DomUtil.create('details',"
            " 'planner-legend'); box.innerHTML = {{ this.legend }};"
            " if (window.innerWidth > 600) { box.setAttribute('open', ''); }"
            " L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);"
            " return box; }; legend.addTo({{ this._parent.get_name() }}); })();\n"
            "{% endmacro %}"
        )

        def __init__(self, title_html: str, legend_html: str) -> None:
            super().__init__()
            self._name = "Chrome"
            self.title = title_html
            self.legend = _js_string(legend_html)

    return _Chrome


# --------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------


def _to_display(gdf: gpd.GeoDataFrame | gpd.GeoSeries, gcj02: bool) -> gpd.GeoSeries:
    """Geometries in EPSG:4326 (shifted to GCJ-02 for AMap tiles), rounded to ~1 m."""
    geoms = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    out = geoms.to_crs(4326)
    arr = np.asarray(out.values)
    if gcj02 and len(arr):

        def shift(xy: np.ndarray) -> np.ndarray:
            lon, lat = convert(xy[:, 0], xy[:, 1], "wgs84", "gcj02")
            return np.column_stack([lon, lat])

        arr = shapely.transform(arr, shift)
    arr = shapely.set_precision(arr, 1e-5)
    return gpd.GeoSeries(arr, index=out.index, crs=4326)


def _latlon(point: shapely.Geometry) -> list[float]:
    c = point if point.geom_type == "Point" else point.representative_point()
    return [round(float(c.y), 6), round(float(c.x), 6)]


def _fmt(value: Any, digits: int = 0) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return escape(value)
    if not math.isfinite(v):
        return "—"
    return f"{v:,.{digits}f}"


def _demand_squares(run: StudyRun, size_m: float) -> gpd.GeoDataFrame:
    """Cell demand summed into squares of ``size_m`` (in the study CRS)."""
    cells = run.cells
    c = cells.geometry.centroid
    ix = np.floor(c.x.to_numpy() / size_m).astype(np.int64)
    iy = np.floor(c.y.to_numpy() / size_m).astype(np.int64)
    df = pd.DataFrame({"ix": ix, "iy": iy, "demand": cells["demand"].to_numpy(dtype=float)})
    g = df.groupby(["ix", "iy"], sort=True)["demand"].sum().reset_index()
    g = g[g["demand"] > 0]
    x0 = g["ix"].to_numpy() * size_m
    y0 = g["iy"].to_numpy() * size_m
    boxes = shapely.box(x0, y0, x0 + size_m, y0 + size_m)
    return gpd.GeoDataFrame({"demand": g["demand"].to_numpy()}, geometry=boxes, crs=cells.crs)


def _coverage_polygons(run: StudyRun, tier: str, use_isochrones: bool) -> shapely.Geometry:
    """Area within the tier's threshold of an existing market serving it (study CRS)."""
    rule = run.coverage.rules[tier]
    if not use_isochrones:
        cells = run.coverage.cells
        cov = cells[cells[f"{tier}_covered"].to_numpy(dtype=bool)]
        if len(cov) == 0:
            return shapely.Polygon()
        size = float(np.sqrt(np.median(cells["cell_area_m2"]))) if "cell_area_m2" in cells else 250
        half = size * 0.51
        c = cov.geometry.centroid
        return shapely.union_all(shapely.box(c.x - half, c.y - half, c.x + half, c.y + half))
    serving = settings.TIER_SERVED_BY.get(tier, (tier,))
    markets = run.markets[run.markets["tier"].isin(serving)]
    parts: list[shapely.Geometry] = []
    if len(markets) == 0:
        return shapely.Polygon()
    for mode in rule.modes:
        g = run.graphs.get(mode)
        if g is None:
            continue
        graph: TravelGraph = g.graph if isinstance(g, BusLayer) else g
        first = g.n_walk_nodes if isinstance(g, BusLayer) else None
        sn = snap_points(markets, graph, what="markets", first_nodes=first, quiet=True)
        ok = np.asarray(sn.position) >= 0
        if not ok.any():
            continue
        iso = isochrone_polygons(
            graph,
            np.asarray(sn.position)[ok],
            cutoffs_s=[rule.threshold_s],
            origin_offsets_s=np.asarray(sn.offset_s)[ok],
            merge=True,
        )
        parts.extend(g2 for g2 in iso.geometry if g2 is not None and not g2.is_empty)
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts).simplify(15.0)


# --------------------------------------------------------------------------------------
# Popups
# --------------------------------------------------------------------------------------


def _market_popup(row: pd.Series, dawn: DawnFlag | None = None) -> str:
    tier = str(row.get("tier", ""))
    lines = [
        f"<b>{escape(row.get('name'))}</b>",
        f"类型：{escape(TIER_LABELS.get(tier, tier) or '未注明')}",
        f"编号：{escape(row.get('market_id'))}",
    ]
    for col, label in (
        ("address", "地址"),
        ("hours", "开放时间"),
        ("occupations", "工种"),
        ("phone", "电话"),
    ):
        v = row.get(col)
        text = escape(v)
        if text:
            lines.append(f"{label}：{text}")
    if dawn is not None:
        # planner's own words around the moments and the count (no input text)
        flag = f"<b>⚠ 清晨{escape(dawn.moments())}未开放</b>"
        if dawn.gain_at is not None:
            flag += (
                f"；提前{settings.OPEN_EARLIER_MIN // 60}小时开放，{escape(dawn.gain_at.label_zh)}"
                f"可新增覆盖约 {_fmt(dawn.new_workers)} 人"
            )
        else:
            flag += f"；提前{settings.OPEN_EARLIER_MIN // 60}小时开放仍赶不上"
        lines.append(flag)
    return "<br>".join(lines)


def _site_popup(
    row: pd.Series,
    groups: Sequence[str],
    market_names: Mapping[str, str],
    rule: TierRule | None = None,
) -> str:
    tier = str(row["tier"])
    kind = str(row.get("anchor_kind", "") or "")
    anchor = escape(row.get("anchor_name"))
    modes = "、".join(
        escape(MODE_LABELS.get(m, m)) for m in str(row.get("modes", "") or "").split("/") if m
    )
    near_id = str(row.get("nearest_market", "") or "")
    near = market_names.get(near_id, near_id)
    new = _fmt(row.get("new_demand"))
    lines = [
        f"<b>拟建{escape(TIER_LABELS.get(tier, tier))}</b> {escape(row['site_id'])}",
        f"选址依托：{escape(ANCHOR_LABELS.get(kind, kind) or '—')}"
        + (f" {anchor}" if anchor else ""),
        f"新增覆盖：{new} 人",
    ]
    for g in groups:
        col = f"new_{g}"
        if col in row.index:
            lines.append(f"其中{escape(term('group', g))}：{_fmt(row[col])} 人")
    if modes:
        lines.append(f"到达方式：{modes}")
    if near:
        minutes = _fmt(row.get("nearest_market_min"), 1)
        lines.append(f"最近现有市场：{escape(near)}（{minutes} 分钟）")
    hours = proposed_hours(tier)
    if hours:
        lines.append(f"建议开放时间：{escape(hours)}")
    # The reason in Chinese, composed from the site's fields as the plan and the proposal
    # compose it.
    reason = escape(site_reason(row, rule=rule, market_names=market_names, groups=groups))
    lines.append(f"理由：{reason}")
    return "<br>".join(lines)


def _legend_html(
    tiers: Sequence[str], demand_bins: Sequence[float], roads: bool, moments: bool = False
) -> str:
    """The legend's inner HTML (planner's own markup; no input text)."""
    rows = ["<summary>图例</summary>"]
    for t in tiers:
        col = TIER_COLOURS.get(t, "#444")
        label = TIER_LABELS.get(t, t)
        rows.append(
            f"<span class='sym' style='color:{col}'>●</span>现有{label}<br>"
            f"<span class='sym' style='color:{col}'>{TIER_SYMBOLS.get(t, '◆')}</span>"
            f"拟建{label}<br>"
        )
    rows.append("<span class='sym' style='color:#31a354'>▨</span>现状覆盖范围<br>")
    rows.append("<span class='sym' style='color:#252525'>▧</span>覆盖缺口（未覆盖需求）<br>")
    if moments:
        rows.append(
            "<span class='sym'>◔</span>时段覆盖：该时刻开放的市场、运行的公交可达范围"
            "（实线现状，虚线规划新增）<br>"
        )
    if roads:
        colour, _ = ROAD_STYLES["primary"]
        rows.append(f"<span class='sym' style='color:{colour}'>━</span>主要道路<br>")
    if len(demand_bins) > 1:
        rows.append("零工需求（人/格）<br>")
        for i in range(len(demand_bins) - 1):
            rows.append(
                f"<span class='sym' style='background:{_DEMAND_COLOURS[i]}'>&nbsp;</span>"
                f"{demand_bins[i]:,.0f}–{demand_bins[i + 1]:,.0f}<br>"
            )
    return "".join(rows)


# --------------------------------------------------------------------------------------
# The map
# --------------------------------------------------------------------------------------


def planner_map(
    run: StudyRun,
    *,
    tiles: str | None = "none",
    tianditu_key: str | None = None,
    title: str | None = None,
    isochrones: bool = True,
    demand_cell_m: float = 1000.0,
    max_gaps: int = 200,
) -> folium.Map:
    """The planner's map of a study run.

    Parameters
    ----------
    run
        From :func:`planner.pipeline.run_study`.
    tiles
        Basemap, as the study file's ``[outputs] tiles`` (:mod:`planner.publish._tiles`):
        ``"none"`` (default, or None: no tiles and no network; main roads and township
        names are drawn from the inputs instead), ``"osm"``, ``"tianditu"`` (needs
        ``tianditu_key``), ``"amap"`` (高德; the overlays are shifted to GCJ-02 for
        display) or a URL template with ``{z}``/``{x}``/``{y}``.
    tianditu_key
        Tianditu browser key (``tk``).
    title
        Title of the page and of the map; default the study's name + 零工市场布局规划图.
    isochrones
        Draw each tier's coverage as network isochrones of the existing markets (default);
        ``False`` draws the covered demand cells instead (faster).
    demand_cell_m
        Side of the squares demand is summed into for display, metres.
    max_gaps
        Largest number of gaps drawn per tier (the largest by demand); the rest are
        counted in a log message.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (which makes it work offline).
    """
    folium = _folium()
    if not (math.isfinite(demand_cell_m) and demand_cell_m > 0):
        raise InvalidValueError(
            f"demand_cell_m must be a positive number of metres, got {demand_cell_m!r}",
            fix="leave it out for 1,000 m",
        )
    source = tile_source(tiles, tianditu_key)
    gcj = source is not None and source.coords == "gcj02"
    if title is None:
        title = f"{run.inputs.study.name} 零工市场布局规划图"
    area = run.inputs.area
    bounds = _to_display(area.units, gcj).total_bounds
    m = folium.Map(location=None, tiles=None, control_scale=False, prefer_canvas=True)
    m.get_root().title = escape(title)
    m.default_js = [("leaflet", f"{ASSET_DIR}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{ASSET_DIR}/leaflet.css")]
    m.fit_bounds([[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]])
    if source is not None:
        for k, layer in enumerate(source.layers):
            folium.TileLayer(
                tiles=layer.url,
                attr=escape(source.attribution),
                name="底图" if k == 0 else "底图注记",
                subdomains=layer.subdomains,
                max_zoom=18,
                overlay=k > 0,
                control=k == 0,
            ).add_to(m)

    # Boundary
    fg = folium.FeatureGroup(name="研究区边界", show=True)
    units = area.units
    shapes = _to_display(units, gcj)
    for i in range(len(units)):
        layer = folium.GeoJson(
            shapely.geometry.mapping(shapes.iloc[i]),
            style_function=lambda _f: {"color": "#333", "weight": 2, "fillOpacity": 0.0},
        )
        name = units.iloc[i].get("name", "") if "name" in units else ""
        _tooltip(layer, f"{escape(name)} {escape(units.iloc[i].get('code', ''))}")
        layer.add_to(fg)
    fg.add_to(m)

    # Demand
    sq = _demand_squares(run, demand_cell_m)
    bins: list[float] = []
    if len(sq):
        vals = sq["demand"].to_numpy()
        bins = sorted(set(np.quantile(vals, np.linspace(0, 1, 6)).round(0).tolist()))
        if len(bins) < 2:
            bins = [float(vals.min()), float(vals.max()) + 1.0]
        cls = np.clip(np.searchsorted(bins, vals, side="right") - 1, 0, len(bins) - 2)
        feats = []
        for geom, v, k in zip(_to_display(sq, gcj), vals, cls, strict=True):
            feats.append(
                {
                    "type": "Feature",
                    "geometry": shapely.geometry.mapping(geom),
                    "properties": {"需求（人）": f"{v:,.0f}", "c": _DEMAND_COLOURS[int(k)]},
                }
            )
        folium.GeoJson(
            {"type": "FeatureCollection", "features": feats},
            name=f"零工需求（{demand_cell_m / 1000:g} 公里方格）",
            style_function=lambda f: {
                "fillColor": f["properties"]["c"],
                "color": f["properties"]["c"],
                "weight": 0,
                "fillOpacity": 0.55,
            },
            tooltip=folium.GeoJsonTooltip(fields=["需求（人）"]),
            show=True,
        ).add_to(m)

    tiers = [t for t in run.coverage.rules if t in TIER_LABELS]
    # Coverage by tier
    for tier in tiers:
        rule = run.coverage.rules[tier]
        poly = _coverage_polygons(run, tier, isochrones)
        if poly.is_empty:
            log.info("no coverage area to draw for %s", tier)
            continue
        gs = _to_display(gpd.GeoSeries([poly], crs=run.cells.crs), gcj)
        modes = "/".join(MODE_LABELS.get(x, x) for x in rule.modes)
        layer = folium.GeoJson(
            shapely.geometry.mapping(gs.iloc[0]),
            name=f"现状覆盖：{TIER_LABELS[tier]}（{modes} {rule.threshold_min:g} 分钟）",
            style_function=lambda _f: {
                "color": "#31a354",
                "weight": 1,
                "fillColor": "#31a354",
                "fillOpacity": 0.18,
            },
            show=tier == tiers[0],
        )
        _tooltip(layer, f"{TIER_LABELS[tier]} {rule.threshold_min:g} 分钟内可达（{modes}）")
        layer.add_to(m)

    # Coverage at each moment of the study, next to any time
    moment_layers = add_moment_layers(
        m,
        run,
        lambda g: _to_display(g, gcj),
        colours=TIER_COLOURS,
        labels={t: TIER_LABELS[t] for t in tiers},
    )

    # Gaps by tier
    for tier in tiers:
        gaps = coverage_gaps(run.coverage, tier)
        if len(gaps) > max_gaps:
            log.info(
                "%s: drawing the %d largest of %d gaps (the rest hold %.0f workers)",
                tier,
                max_gaps,
                len(gaps),
                float(gaps["demand"].iloc[max_gaps:].sum()),
            )
            gaps = gaps.iloc[:max_gaps]
        if len(gaps) == 0:
            continue
        shown = _to_display(gaps.geometry.simplify(10.0), gcj)
        feats = [
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {
                    "缺口": f"{TIER_LABELS[tier]} 缺口 #{int(gid)}：约 {d:,.0f} 人（{int(n)} 格）"
                },
            }
            for geom, gid, d, n in zip(
                shown, gaps["gap_id"], gaps["demand"], gaps["n_cells"], strict=True
            )
        ]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": feats},
            name=f"覆盖缺口：{TIER_LABELS[tier]}",
            style_function=lambda _f: {
                "color": "#252525",
                "weight": 1,
                "dashArray": "4 3",
                "fillColor": "#252525",
                "fillOpacity": 0.12,
            },
            tooltip=folium.GeoJsonTooltip(fields=["缺口"], labels=False),
            show=False,
        ).add_to(m)

    # Context from the inputs, when no basemap shows it
    roads = None
    if source is None:
        roads = _add_context(m, run, gcj)

    # Existing markets (those closed at dawn flagged in their popups)
    dawn = dawn_flags_of(run)
    fg = folium.FeatureGroup(name="现有零工市场", show=True)
    mk = run.markets
    pts = _to_display(mk, gcj)
    for (_, row), geom in zip(mk.iterrows(), pts, strict=True):
        if geom is None or geom.is_empty:
            continue
        col = TIER_COLOURS.get(str(row.get("tier")), "#444")
        marker = folium.CircleMarker(
            _latlon(geom), radius=7, color="#222", weight=1, fill=True, fill_color=col,
            fill_opacity=0.9,
        )  # fmt: skip
        _popup(marker, _market_popup(row, dawn.get(str(row.get("market_id", "")))))
        _tooltip(marker, escape(row.get("name")))
        marker.add_to(fg)
    fg.add_to(m)

    # Proposed sites
    sites = run.plan.sites
    groups = list(run.cells.attrs.get("groups", []))
    names = dict(
        zip(mk["market_id"].astype(str), mk.get("name", mk["market_id"]).astype(str), strict=True)
    )
    spts = _to_display(sites, gcj) if len(sites) else gpd.GeoSeries([], crs=4326)
    for tier in tiers:
        fg = folium.FeatureGroup(name=f"拟建{TIER_LABELS[tier]}", show=True)
        sel: list[int] = (
            np.flatnonzero(sites["tier"].to_numpy() == tier).tolist() if len(sites) else []
        )
        for i in sel:
            row = sites.iloc[int(i)]
            col = TIER_COLOURS.get(tier, "#444")
            icon = folium.DivIcon(
                html=(
                    f"<div style='font-size:22px;line-height:22px;color:{col};"
                    f"text-shadow:0 0 2px #fff,0 0 2px #fff'>{TIER_SYMBOLS.get(tier, '◆')}</div>"
                ),
                icon_size=(22, 22),
                icon_anchor=(11, 11),
                class_name="planner-site",
            )
            marker = folium.Marker(_latlon(spts.iloc[int(i)]), icon=icon)
            _popup(marker, _site_popup(row, groups, names, run.plan.before.rules.get(tier)))
            _tooltip(marker, f"拟建{TIER_LABELS[tier]} {escape(row['site_id'])}")
            marker.add_to(fg)
        fg.add_to(m)

    folium.LayerControl(collapsed=True).add_to(m)
    m.add_child(
        _chrome_class()(
            escape(title), _legend_html(tiers, bins, roads is not None, bool(moment_layers))
        )
    )
    return m


def _add_context(m: folium.Map, run: StudyRun, gcj: bool) -> dict[str, Any] | None:
    """Main roads and place names from the inputs (for a map without tiles)."""
    folium = _folium()

    def display(g: gpd.GeoSeries) -> gpd.GeoSeries:
        return _to_display(g, gcj)

    osm = run.inputs.roads
    roads = main_roads(osm.streets if osm is not None else None, display)
    if roads is not None:
        folium.GeoJson(
            roads,
            name="主要道路",
            style_function=lambda f: {
                "color": ROAD_STYLES[f["properties"]["highway"]][0],
                "weight": ROAD_STYLES[f["properties"]["highway"]][1],
                "opacity": 0.9,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            show=True,
        ).add_to(m)
    labels = place_labels(run.inputs.area.units, osm.places if osm is not None else None, display)
    if labels:
        fg = folium.FeatureGroup(name="乡镇名称", show=True)
        for name, lat, lon in labels:
            icon = folium.DivIcon(
                html=f"<span>{escape(name)}</span>",
                icon_size=(0, 0),
                icon_anchor=(0, 0),
                class_name="planner-label",
            )
            folium.Marker([lat, lon], icon=icon, interactive=False, keyboard=False).add_to(fg)
        fg.add_to(m)
    return roads


_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")
_REMOTE = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def _stable_ids(page: str) -> str:
    """Replace folium's random element ids by numbers in order of first use."""
    seen: dict[str, str] = {}

    def sub(mt: re.Match[str]) -> str:
        return seen.setdefault(mt.group(0), f"{len(seen) + 1:04d}")

    return _ID.sub(sub, page)


def save_map(m: folium.Map, path: PathArg) -> Path:
    """Write a map as one HTML file with Leaflet copied next to it (offline, ``file://``).

    Leaflet goes to ``assets/leaflet/`` beside the HTML file (see
    :func:`planner.publish._assets.copy_leaflet`). folium's CDN links (Leaflet, jQuery,
    Bootstrap, Font Awesome) are replaced by the local Leaflet; maps made by
    :func:`planner_map` need nothing else. The file is written atomically, and folium's
    random element ids are numbered so the same map gives the same bytes.

    Parameters
    ----------
    m
        A map from :func:`planner_map` (or any folium map using only core Leaflet).
    path
        The ``.html`` file to write.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from planner.publish._assets import copy_leaflet

    out = Path(path)
    if out.suffix.lower() not in (".html", ".htm"):
        raise InvalidValueError(
            f"{out}: a map is saved as an .html file", path=out, fix="name the file e.g. map.html"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    copy_leaflet(out.parent / ASSET_DIR)
    m.default_js = [("leaflet", f"{ASSET_DIR}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{ASSET_DIR}/leaflet.css")]
    page = _stable_ids(m.get_root().render())
    remote = _REMOTE.search(page)
    if remote:
        raise DependencyError(
            f"the map loads a remote file ({page[remote.start() : remote.start() + 120]}…)",
            path=out,
            fix="use only core Leaflet features (folium plugins load their scripts from CDNs)",
        )
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    log.info("map written to %s", out)
    return out

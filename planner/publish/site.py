"""The public map and directory as a static site that works from ``file://`` and offline.

:func:`build_public_site` writes, into one folder (e.g. ``maps/public/``)::

    index.html          map of every market with popups, a list, filters and search
    directory.html      the directory as a searchable table
    stats.html          求人倍率 tables and chart (with work logs)
    assets/leaflet/     Leaflet, copied from the xstatic-leaflet package
    assets/*.js         the page scripts
    data/markets.js     the public directory as a JavaScript variable (fetch() of file://
                        is blocked by browsers, a <script> is not)
    data/directory.*    the directory as CSV (UTF-8 with BOM), GeoJSON and JSON
    data/job_ratio*     the 求人倍率 tables (CSV) and chart (SVG)

No page loads anything from the internet except optional basemap tiles (off by default);
without tiles the map still shows boundaries and markets. Every text from the inputs is
escaped: jinja2 autoescapes the HTML and the scripts build the DOM with ``textContent``.
Only the public fields of :data:`planner.publish.directory.PUBLIC_FIELDS` are published.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner.errors import CRSError, InvalidValueError
from planner.io.coords import convert
from planner.io.crs import convert_geometries
from planner.publish._assets import leaflet_files, render_template
from planner.publish._output import OutputFolder
from planner.publish.directory import (
    FACILITY_LABELS,
    TIER_LABELS,
    directory_records,
    directory_table,
    write_directory,
)
from planner.publish.job_ratio import write_job_ratio

__all__ = ["TILE_SOURCES", "build_public_site"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]
Tiles = Literal["none", "osm", "tianditu", "amap"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

#: Basemap tile sources: URL templates, Leaflet subdomains, attribution and the coordinate
#: system the tiles are drawn in (AMap/高德 tiles are GCJ-02, so overlays are shifted).
TILE_SOURCES: dict[str, dict[str, Any]] = {
    "osm": {
        "layers": [{"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "subdomains": "abc"}],
        "attribution": "© OpenStreetMap contributors",
        "coords": "wgs84",
    },
    "tianditu": {
        "layers": [
            {
                "url": "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
                "subdomains": "01234567",
                "layer": layer,
            }
            for layer in ("vec", "cva")
        ],
        "attribution": "© 天地图 (国家地理信息公共服务平台)",
        "coords": "wgs84",
    },
    "amap": {
        "layers": [
            {
                "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                "&style=8&x={x}&y={y}&z={z}",
                "subdomains": "1234",
            }
        ],
        "attribution": "© 高德地图 (AutoNavi)",
        "coords": "gcj02",
    },
}

_KEY_RE = re.compile(r"^[0-9A-Za-z]{8,64}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

_TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "名称"),
    ("tier", "类型"),
    ("status", "状态"),
    ("county", "区县"),
    ("address", "地址"),
    ("hours", "开放时间"),
    ("occupations", "工种"),
    ("phone", "联系电话"),
    ("hotline", "服务热线"),
    ("complaints", "投诉渠道"),
    ("services", "服务项目"),
    ("facility_labels", "便民设施"),
)


def _tiles_config(tiles: str, tianditu_key: str | None) -> dict[str, Any] | None:
    if tiles == "none":
        return None
    if tiles not in TILE_SOURCES:
        raise InvalidValueError(
            f"unknown tiles {tiles!r}",
            key="tiles",
            fix="use 'none' (default, offline), 'osm', 'tianditu' or 'amap'",
        )
    src = TILE_SOURCES[tiles]
    layers = []
    for layer in src["layers"]:
        url = layer["url"]
        if tiles == "tianditu":
            if tianditu_key is None or not _KEY_RE.match(tianditu_key):
                raise InvalidValueError(
                    "Tianditu tiles need a key (tk)"
                    + ("" if tianditu_key is None else f"; {tianditu_key!r} is not one"),
                    key="tianditu_key",
                    fix="get a browser key at https://console.tianditu.gov.cn and pass"
                    " tianditu_key=...",
                )
            url = url.replace("{layer}", layer["layer"]).replace("{key}", tianditu_key)
        layers.append({"url": url, "subdomains": layer["subdomains"]})
    return {"layers": layers, "attribution": src["attribution"], "coords": src["coords"]}


def _round_coords(xy: np.ndarray) -> np.ndarray:
    return np.round(xy, 6)


def _boundaries_geojson(boundaries: gpd.GeoDataFrame | None, display: str) -> dict[str, Any] | None:
    if boundaries is None:
        return None
    if not isinstance(boundaries, gpd.GeoDataFrame):
        raise InvalidValueError(
            f"boundaries must be a GeoDataFrame, got {type(boundaries).__name__}",
            key="boundaries",
            fix="read them with planner.io.vector.read_boundaries",
        )
    if boundaries.crs is None:
        raise CRSError(
            "the boundaries have no CRS",
            key="boundaries",
            fix="read them with planner.io.vector.read_boundaries (EPSG:4326)",
        )
    gdf = boundaries
    if not CRS(gdf.crs).equals(CRS.from_epsg(4326)):
        gdf = gdf.to_crs(4326)
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    dropped = int((~keep).sum())
    if dropped:
        log.warning("%d boundary feature(s) without geometry are not drawn", dropped)
    geoms = convert_geometries(geoms[keep], "wgs84", display)
    geoms = shapely.transform(geoms, _round_coords)
    names = (
        ["" if pd.isna(v) else str(v) for v in gdf.loc[keep, "name"]]
        if "name" in gdf.columns
        else [""] * int(keep.sum())
    )
    features = [
        {"type": "Feature", "properties": {"name": n}, "geometry": shapely.geometry.mapping(g)}
        for n, g in zip(names, geoms, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _site_markets(table: pd.DataFrame, display: str) -> list[dict[str, Any]]:
    records = directory_records(table)
    lon = table["lon"].to_numpy(dtype=float)
    lat = table["lat"].to_numpy(dtype=float)
    if display != "wgs84":
        lon, lat = convert(lon, lat, "wgs84", display)
    out = []
    for r, x, y in zip(records, lon, lat, strict=True):
        ok = bool(np.isfinite(x) and np.isfinite(y))
        out.append(
            {
                **{k: v for k, v in r.items() if k not in {"lon", "lat", "lon_gcj02", "lat_gcj02"}},
                "lon": round(float(x), 6) if ok else None,
                "lat": round(float(y), 6) if ok else None,
                "facility_labels": [FACILITY_LABELS[k] for k in FACILITY_LABELS if r[k]],
            }
        )
    return out


def _data_js(data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":"), allow_nan=False)
    # U+2028/U+2029 end a line in older JavaScript engines; escape them to be safe everywhere.
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return "/* generated by planner: the public directory */\nwindow.PLANNER_DATA = " + text + ";\n"


def _cell_text(v: object) -> str:
    if isinstance(v, list):
        return "、".join(map(str, v))
    return "" if v is None else str(v)


def build_public_site(
    markets: gpd.GeoDataFrame,
    out_dir: PathArg,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    work_logs: pd.DataFrame | None = None,
    tiles: Tiles = "none",
    tianditu_key: str | None = None,
    title: str = "零工市场地图与名录",
    default_time: str = "05:00",
    timezone: str = "Asia/Shanghai",
    inputs: Iterable[PathArg] = (),
) -> Path:
    """Write the public map and directory as a static site into ``out_dir``.

    Parameters
    ----------
    markets
        Markets as read by :func:`planner.io.markets.read_markets` (stations included);
        only the public directory fields are published.
    out_dir
        Output folder (created), e.g. ``maps/public``. Files planner did not write there
        are never overwritten.
    boundaries
        Administrative boundaries (e.g. from :func:`planner.io.vector.read_boundaries`,
        a ``name`` column is shown on hover), drawn under the markets.
    work_logs
        Work logs (:func:`planner.io.worklogs.read_work_logs`): adds ``stats.html`` with
        the monthly 求人倍率 tables and chart.
    tiles
        Basemap: ``"none"`` (default; no network at all), ``"osm"``, ``"tianditu"``
        (needs ``tianditu_key``) or ``"amap"`` (GCJ-02 tiles: markets and boundaries are
        shifted to GCJ-02 for display).
    tianditu_key
        Tianditu browser key (``tk``).
    title
        Site title (shown in every page header).
    default_time
        Time the "open at" filter starts at, ``HH:MM`` (gig markets are busiest before dawn).
    timezone
        IANA time zone of the markets' opening hours, used by the "open now" filter.
    inputs
        Input files of the run; writing over any of them is refused.

    Returns
    -------
    pathlib.Path
        ``out_dir/index.html``.

    Raises
    ------
    planner.errors.PlannerError
        Bad markets, boundaries or work logs; unknown tiles or a missing Tianditu key;
        a bad ``default_time``; a target that exists and was not written by planner.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> m = gpd.GeoDataFrame({"name": ["<b>东城</b>驿站"], "hours": ["每天 5:00-11:00"]},
    ...                      geometry=[Point(118.6, 36.2)], crs=4326)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     index = build_public_site(m, folder)
    ...     page = (index.parent / "directory.html").read_text(encoding="utf-8")
    >>> "&lt;b&gt;东城&lt;/b&gt;驿站" in page, "<b>东城" in page
    (True, False)
    """
    if not isinstance(default_time, str) or not _TIME_RE.match(default_time):
        raise InvalidValueError(
            f"default_time {default_time!r} is not a time of day HH:MM",
            key="default_time",
            fix="pass e.g. default_time='05:00'",
        )
    if not isinstance(title, str) or not title.strip():
        raise InvalidValueError("the title is empty", key="title", fix="pass a title")
    tiles_cfg = _tiles_config(tiles, tianditu_key)
    display = tiles_cfg["coords"] if tiles_cfg else "wgs84"
    table = directory_table(markets)
    site_markets = _site_markets(table, display)
    data = {
        "title": title,
        "timezone": timezone,
        "default_time": default_time,
        "display_coords": display,
        "tiles": tiles_cfg,
        "tier_labels": TIER_LABELS,
        "facility_labels": FACILITY_LABELS,
        "markets": site_markets,
        "boundaries": _boundaries_geojson(boundaries, display),
    }

    folder = OutputFolder(out_dir, inputs=inputs)
    for name, src in leaflet_files().items():
        folder.write(f"assets/leaflet/{name}", src.read_bytes())
    for js in ("public_filters.js", "public_map.js", "public_directory.js"):
        folder.write(f"assets/{js}", (_TEMPLATES / js).read_bytes())
    folder.write("data/markets.js", _data_js(data))
    write_directory(table, folder, prefix="data/")

    has_stats = work_logs is not None
    nav_items = [("地图", "index.html"), ("名录", "directory.html")]
    if has_stats:
        nav_items.append(("求人倍率", "stats.html"))

    def nav(current: str) -> list[tuple[str, str, bool]]:
        return [(label, href, href == current) for label, href in nav_items]

    counties = sorted({m["county"] for m in site_markets if m["county"]})
    trades = sorted({t for m in site_markets for t in m["occupations"]})
    common = {
        "title": title,
        "counties": counties,
        "trades": trades,
        "weekdays": _WEEKDAYS,
        "default_time": default_time,
        "note": "本站所有脚本、样式和数据均为本地文件，可离线打开。"
        + ("" if tiles_cfg is None else f"底图：{tiles_cfg['attribution']}。"),
    }
    index = folder.write(
        "index.html", render_template("public_index.html.j2", nav=nav("index.html"), **common)
    )
    rows = [[_cell_text(m[key]) for key, _ in _TABLE_COLUMNS] for m in site_markets]
    folder.write(
        "directory.html",
        render_template(
            "public_directory.html.j2",
            nav=nav("directory.html"),
            columns=[label for _, label in _TABLE_COLUMNS],
            rows=rows,
            downloads=[
                ("CSV（Excel）", "data/directory.csv"),
                ("GeoJSON", "data/directory.geojson"),
                ("JSON", "data/directory.json"),
            ],
            **common,
        ),
    )
    if work_logs is not None:
        write_job_ratio(
            work_logs,
            folder,
            markets=table,
            prefix="data/",
            page="stats.html",
            page_context={"title": title, "nav": nav("stats.html"), "note": common["note"]},
        )
    log.info(
        "public site with %d market(s) (%d on the map) written to %s",
        len(site_markets),
        sum(m["lon"] is not None for m in site_markets),
        folder.folder,
    )
    return index

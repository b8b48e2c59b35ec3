"""The public map and directory as a static site that works from ``file://`` and offline.

:func:`build_public_site` writes, into one folder (e.g. ``maps/public/``)::

    index.html          map of every market with popups, a list, filters and search
    directory.html      the directory: a table on a desk, a card per market on a phone
    stats.html          求人倍率 tables (filterable) and chart (with work logs)
    assets/leaflet/     Leaflet, copied from the xstatic-leaflet package
    assets/*.js         the page scripts
    data/markets.js     the public directory as a JavaScript variable (fetch() of file://
                        is blocked by browsers, a <script> is not)
    data/directory.*    the directory as CSV (UTF-8 with BOM), GeoJSON and JSON
    data/job_ratio*     the 求人倍率 tables (CSV) and chart (SVG)

The pages are made for phones first: every phone number is a ``tel:`` link, every market
with coordinates has navigation links to AMap and Baidu Maps, an "open now" badge says
whether it is open and when it opens next (from its schedule; never for hours that could
not be read), and the hours are shown once (:mod:`planner.publish._market_view`). Markers
that would overlap on the map are spread around their spot.

No page loads anything from the internet except optional basemap tiles (off by default;
:mod:`planner.publish._tiles`); without tiles the map still shows boundaries and markets.
Every text from the inputs is escaped: jinja2 autoescapes the HTML and the scripts build
the DOM with ``textContent``. Only the public fields of
:data:`planner.publish.directory.PUBLIC_FIELDS` are published.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner.errors import CRSError, InvalidValueError
from planner.io.coords import convert
from planner.io.crs import convert_geometries
from planner.publish._assets import leaflet_files, render_template
from planner.publish._market_view import market_view
from planner.publish._output import OutputFolder
from planner.publish._tiles import TILE_SOURCES, tile_source
from planner.publish.directory import (
    FACILITY_LABELS,
    STATUS_LABELS,
    TIER_LABELS,
    directory_records,
    directory_table,
    write_directory,
)
from planner.publish.job_ratio import write_job_ratio

__all__ = ["TILE_SOURCES", "build_public_site"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_SCRIPTS = ("public_filters.js", "public_market.js", "public_map.js", "public_directory.js",
            "public_stats.js")  # fmt: skip
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


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
    """The markets as the pages show them: public fields, how to show them, and the point
    in the display coordinate system (None without coordinates)."""
    records = directory_records(table)
    lon = table["lon"].to_numpy(dtype=float)
    lat = table["lat"].to_numpy(dtype=float)
    if display != "wgs84":
        lon, lat = convert(lon, lat, "wgs84", display)
    out = []
    drop = {"lon", "lat", "lon_gcj02", "lat_gcj02", "hours_osm", *FACILITY_LABELS}
    for r, x, y in zip(records, lon, lat, strict=True):
        ok = bool(np.isfinite(x) and np.isfinite(y))
        out.append(
            {
                **{k: v for k, v in r.items() if k not in drop},
                **market_view(r, str(r["hours_kind"])),
                "lon": round(float(x), 6) if ok else None,
                "lat": round(float(y), 6) if ok else None,
            }
        )
    return out


def _data_js(data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":"), allow_nan=False)
    # U+2028/U+2029 end a line in older JavaScript engines; escape them to be safe everywhere.
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return "/* generated by planner: the public directory */\nwindow.PLANNER_DATA = " + text + ";\n"


def build_public_site(
    markets: gpd.GeoDataFrame,
    out_dir: PathArg,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    work_logs: pd.DataFrame | None = None,
    tiles: str | None = "none",
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
        Basemap, as the study file's ``[outputs] tiles``: ``"none"`` (default; no network
        at all), ``"osm"``, ``"tianditu"`` (needs ``tianditu_key``), ``"amap"`` (GCJ-02
        tiles: markets and boundaries are shifted to GCJ-02 for display) or a URL
        template (see :mod:`planner.publish._tiles`).
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
    source = tile_source(tiles, tianditu_key)
    display = source.coords if source is not None else "wgs84"
    table = directory_table(markets)
    site_markets = _site_markets(table, display)
    data = {
        "title": title,
        "timezone": timezone,
        "default_time": default_time,
        "display_coords": display,
        "tiles": source.to_json() if source is not None else None,
        "tier_labels": TIER_LABELS,
        "status_labels": STATUS_LABELS,
        "markets": site_markets,
        "boundaries": _boundaries_geojson(boundaries, display),
    }

    folder = OutputFolder(out_dir, inputs=inputs)
    for name, src in leaflet_files().items():
        folder.write(f"assets/leaflet/{name}", src.read_bytes())
    for js in _SCRIPTS:
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
        "note": "本站所有脚本、样式和数据均为本地文件，可离线打开；"
        "“导航”链接打开高德地图或百度地图（需联网）。"
        + ("" if source is None else f"底图：{source.attribution}。"),
    }
    index = folder.write(
        "index.html", render_template("public_index.html.j2", nav=nav("index.html"), **common)
    )
    folder.write(
        "directory.html",
        render_template(
            "public_directory.html.j2",
            nav=nav("directory.html"),
            markets=site_markets,
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
            page_context={
                "title": title,
                "nav": nav("stats.html"),
                "note": common["note"],
                "script": "assets/public_stats.js",
            },
        )
    log.info(
        "public site with %d market(s) (%d on the map) written to %s",
        len(site_markets),
        sum(m["lon"] is not None for m in site_markets),
        folder.folder,
    )
    return index

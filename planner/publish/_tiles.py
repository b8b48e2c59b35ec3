"""Basemap tiles: one vocabulary for the public map and the planner's map.

Both maps take ``tiles`` as the study file's ``[outputs] tiles`` does
(:data:`planner.settings.TILE_CHOICES` or a URL template):

``"none"``
    No basemap and no network at all (the default; government intranets often block tile
    servers). The maps draw their own context from the inputs instead.
``"osm"``
    OpenStreetMap's standard tiles (WGS-84 based Web Mercator).
``"tianditu"``
    天地图 vector tiles with Chinese labels; needs a browser key (``tianditu_key``).
``"amap"``
    高德 (AutoNavi) tiles, drawn in GCJ-02: the overlays are shifted to GCJ-02 for display.
an ``http(s)://`` URL template
    With ``{z}``, ``{x}`` and ``{y}`` (and ``{s}`` for subdomains a, b, c), taken to be
    WGS-84 based unless its host is AMap's (``autonavi.com``, ``amap.com``: GCJ-02).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from planner import settings
from planner.errors import InvalidValueError

__all__ = ["TILE_SOURCES", "TileLayer", "TileSource", "tile_source"]

#: The named tile sources: URL templates, Leaflet subdomains, attribution and the
#: coordinate system the tiles are drawn in.
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

_KEY_RE = re.compile(settings.TIANDITU_KEY_PATTERN)
_URL_RE = re.compile(settings.TILE_URL_PATTERN)
_GCJ_HOSTS = ("autonavi.com", "amap.com")
_FIX = (
    f"use one of {', '.join(repr(c) for c in settings.TILE_CHOICES)} ('none' works offline)"
    " or an https:// URL template with {z}, {x} and {y}"
)


@dataclass(frozen=True)
class TileLayer:
    """One tile layer: a Leaflet URL template and its subdomains."""

    url: str
    subdomains: str


@dataclass(frozen=True)
class TileSource:
    """A basemap: its layers (drawn in order), attribution and coordinate system.

    Attributes
    ----------
    name
        ``"osm"``, ``"tianditu"``, ``"amap"`` or ``"url"``.
    coords
        ``"wgs84"`` or ``"gcj02"``: the system overlays are shown in over these tiles.
    """

    name: str
    layers: tuple[TileLayer, ...]
    attribution: str
    coords: str

    def to_json(self) -> dict[str, Any]:
        """The source as the public site's data holds it."""
        return {
            "layers": [{"url": t.url, "subdomains": t.subdomains} for t in self.layers],
            "attribution": self.attribution,
            "coords": self.coords,
        }


def tile_source(tiles: str | None, tianditu_key: str | None = None) -> TileSource | None:
    """The basemap named by ``tiles`` (see the module docstring); None for no basemap.

    Parameters
    ----------
    tiles
        ``"none"`` (or None), ``"osm"``, ``"tianditu"``, ``"amap"`` or a URL template.
    tianditu_key
        The Tianditu browser key (``tk``), needed by ``"tianditu"``.

    Raises
    ------
    planner.errors.InvalidValueError
        Unknown tiles, a bad URL template, or Tianditu without a valid key.

    Examples
    --------
    >>> tile_source("none") is None, tile_source(None) is None
    (True, True)
    >>> tile_source("amap").coords
    'gcj02'
    >>> tile_source("https://tiles.example.org/{z}/{x}/{y}.png").layers[0].subdomains
    'abc'
    """
    if tiles is None or tiles == "none":
        return None
    if not isinstance(tiles, str):
        raise InvalidValueError(
            f"tiles must be text, got {type(tiles).__name__}", key="tiles", fix=_FIX
        )
    if tiles.startswith(("http://", "https://")):
        return _url_source(tiles)
    if tiles not in TILE_SOURCES:
        raise InvalidValueError(f"unknown tiles {tiles!r}", key="tiles", fix=_FIX)
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
                    fix="get a browser key at https://console.tianditu.gov.cn and set"
                    " [outputs] tianditu_key (or pass tianditu_key=...)",
                )
            url = url.replace("{layer}", layer["layer"]).replace("{key}", tianditu_key)
        layers.append(TileLayer(url=url, subdomains=layer["subdomains"]))
    return TileSource(
        name=tiles, layers=tuple(layers), attribution=src["attribution"], coords=src["coords"]
    )


def _url_source(url: str) -> TileSource:
    if not _URL_RE.match(url) or not all(p in url for p in ("{z}", "{x}", "{y}")):
        raise InvalidValueError(f"tiles {url!r} is not a tile URL template", key="tiles", fix=_FIX)
    host = (urlsplit(url).hostname or "").lower()
    gcj = any(host == h or host.endswith("." + h) for h in _GCJ_HOSTS)
    return TileSource(
        name="url",
        layers=(TileLayer(url=url, subdomains="abc"),),
        attribution=f"底图：{host}",
        coords="gcj02" if gcj else "wgs84",
    )

"""OpenStreetMap → street edges, graph nodes, places and bus route relations.

:func:`read_osm` reads an ``.osm.pbf`` (fast path), ``.osm`` XML, ``.osm.bz2`` or
``.osm.gz`` file with pyosmium in one streaming pass (plus the short relation pass
osmium's area assembly needs) and returns an :class:`OsmData`:

``streets``
    One row per street *edge*: every highway way is split at graph nodes (nodes used
    twice or more by the kept highway ways, plus way ends), as osmnx does before it
    simplifies. Tags are normalised (``oneway`` to "yes" / "no" / "-1", ``maxspeed`` to
    km/h) and ``length_m`` is the great-circle length on WGS-84 lon/lat.
``nodes``
    The graph nodes the edges use.
``places``
    Bus stops and stations, industrial/retail/commercial land, malls, marketplaces,
    building-material shops, community centres and town halls (points for nodes,
    polygons for closed ways and multipolygon relations).
``bus_routes``
    ``type=route`` + ``route=bus`` relations with their stops in order.

Clipped extracts load: a way that references nodes missing from the file keeps its
runs of present nodes (it is split at the missing nodes), and the number of such
ways is logged as a warning and kept in :attr:`OsmData.skipped`. With a study
``area`` the data are clipped to the area plus ``clip_buffer_m`` (a province extract
can serve a county study); a file with no data near the area is an error.

:func:`read_edge_list` reads a plain node/edge table (no OSM tags) into the same
structure, and :func:`read_osm_download` fetches a place through osmnx (optional).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from tqdm import tqdm

from planner import settings
from planner.errors import (
    CoordinateError,
    DependencyError,
    EmptyFileError,
    InputFileError,
    InvalidValueError,
    PlannerError,
)
from planner.io._tables import (
    ColumnSpec,
    Schema,
    check_file,
    check_unique,
    points_from_lonlat,
    read_table,
    sheet_row,
    to_number,
)
from planner.io.crs import StudyArea, choose_crs, haversine_m

__all__ = [
    "BUS_ROUTE_COLUMNS",
    "CLIP_BUFFER_M",
    "DOWNLOAD_TAGS",
    "NODE_COLUMNS",
    "PLACE_COLUMNS",
    "PLACE_KINDS",
    "STREET_COLUMNS",
    "STREET_HIGHWAYS",
    "OsmData",
    "normalise_oneway",
    "parse_maxspeed",
    "place_kind",
    "read_edge_list",
    "read_osm",
    "read_osm_download",
]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

#: Highway classes kept as streets and paths. Everything else (proposed, construction,
#: platform, bus_stop, raceway, elevator, corridor, busway, abandoned …) is dropped and
#: counted in ``OsmData.skipped["highway_other"]``. busway/bus_guideway are bus-only and
#: reach the bus layer through route relations, not the street graph.
STREET_HIGHWAYS: frozenset[str] = frozenset(
    {
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "motorway_link",
        "trunk_link",
        "primary_link",
        "secondary_link",
        "tertiary_link",
        "living_street",
        "service",
        "road",
        "pedestrian",
        "footway",
        "path",
        "cycleway",
        "steps",
        "track",
        "bridleway",
    }
)

#: Place kinds, in the priority used when one feature matches several (a mall polygon
#: tagged landuse=retail + shop=mall is a "mall").
PLACE_KINDS: tuple[str, ...] = (
    "bus_station",
    "bus_stop",
    "marketplace",
    "mall",
    "building_materials",
    "community_centre",
    "townhall",
    "industrial",
    "retail",
    "commercial",
)

#: With a study area, OSM data farther than this outside it are clipped away. 10 km is a
#: 15-minute drive at 40 km/h (the longest tier cutoff × the slowest urban class speed of
#: settings.DRIVE_SPEEDS_KMH), so trips that leave the area and come back are kept.
CLIP_BUFFER_M: float = 10_000.0

STREET_COLUMNS: tuple[str, ...] = (
    "u",
    "v",
    "way_id",
    "highway",
    "name",
    "oneway",
    "maxspeed_kmh",
    "access",
    "foot",
    "bicycle",
    "motor_vehicle",
    "oneway_bicycle",
    "junction",
    "length_m",
)
NODE_COLUMNS: tuple[str, ...] = ("osmid", "lon", "lat")
#: Tags copied from OSM into place columns (``:`` becomes ``_``).
_PLACE_TAGS: tuple[str, ...] = (
    "name",
    "amenity",
    "shop",
    "landuse",
    "highway",
    "public_transport",
    "trade",
    "operator",
    "opening_hours",
)
PLACE_COLUMNS: tuple[str, ...] = ("osm_type", "osm_id", "kind", *_PLACE_TAGS)
BUS_ROUTE_COLUMNS: tuple[str, ...] = (
    "relation_id",
    "route",
    "ref",
    "name",
    "from",
    "to",
    "operator",
    "network",
    "stop_node_ids",
    "stop_roles",
    "n_stops_missing",
)

#: Way tags read for street edges: (OSM key, column).
_WAY_TAGS: tuple[tuple[str, str], ...] = (
    ("name", "name"),
    ("oneway", "oneway"),
    ("maxspeed", "maxspeed"),
    ("access", "access"),
    ("foot", "foot"),
    ("bicycle", "bicycle"),
    ("motor_vehicle", "motor_vehicle"),
    ("oneway:bicycle", "oneway_bicycle"),
    ("junction", "junction"),
    ("area", "area"),
)
#: Keys an object needs to reach Python at all (pyosmium's C++ KeyFilter drops the rest).
_KEYS: tuple[str, ...] = ("highway", "public_transport", "amenity", "shop", "landuse", "route")
_BUS_ROUTES = frozenset({"bus", "trolleybus"})
_UNDEFINED = 2147483647  # osmium's undefined coordinate (a node missing from the file)
_OSM_TYPE_ORDER = {"node": 0, "way": 1, "relation": 2}

_ONEWAY = {
    "yes": "yes",
    "true": "yes",
    "1": "yes",
    "-1": "-1",
    "reverse": "-1",
    "no": "no",
    "false": "no",
    "0": "no",
    # Direction changes over the day: both directions are usable at some time.
    "reversible": "no",
    "alternating": "no",
}
_MAXSPEED = re.compile(r"(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots)?")
_MPH_KMH = 1.609344
_KNOT_KMH = 1.852


@dataclass
class OsmData:
    """Streets, graph nodes, places and bus routes read from OSM, in one projected CRS.

    Attributes
    ----------
    streets
        Street edges: ``u``, ``v`` (node ids, int64), ``way_id``, ``highway``, ``name``,
        ``oneway`` ("yes" / "no" / "-1" = drawn against the way direction),
        ``maxspeed_kmh`` (NaN when absent or symbolic), ``access``, ``foot``, ``bicycle``,
        ``motor_vehicle``, ``oneway_bicycle``, ``junction``, ``length_m`` (great-circle
        length on WGS-84) and a LineString from ``u`` to ``v`` in ``crs``.
    nodes
        Graph nodes used by ``streets``: ``osmid``, ``lon``, ``lat`` (WGS-84 degrees) and
        a point in ``crs``.
    places
        ``osm_type`` ("node" / "way" / "relation"), ``osm_id``, ``kind`` (see
        :data:`PLACE_KINDS`), ``name``, ``amenity``, ``shop``, ``landuse``, ``highway``,
        ``public_transport``, ``trade``, ``operator``, ``opening_hours``; points for nodes,
        polygons for closed ways and multipolygon relations.
    bus_routes
        One row per bus route relation: ``relation_id``, ``route``, ``ref``, ``name``,
        ``from``, ``to``, ``operator``, ``network``, ``stop_node_ids`` (list of node ids of
        the stop/platform members, in order), ``stop_roles`` (their roles) and
        ``n_stops_missing`` (stop nodes absent from the file).
    crs
        The projected CRS of every geometry.
    skipped
        Counts of what was dropped or repaired on the way, e.g. ``ways_missing_nodes``
        (highway ways split at nodes missing from a clipped extract).
    source
        The file (or place) read.
    """

    streets: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    bus_routes: pd.DataFrame
    crs: CRS
    skipped: dict[str, int] = field(default_factory=dict)
    source: str = ""

    @property
    def ways_missing_nodes(self) -> int:
        """Highway ways that referenced nodes missing from the file (clipped extracts)."""
        return int(self.skipped.get("ways_missing_nodes", 0))


# --- tag normalisation ---------------------------------------------------------------------


def normalise_oneway(
    value: str | None, *, highway: str | None = None, junction: str | None = None
) -> tuple[str, bool]:
    """Normalise an OSM ``oneway`` value to ``"yes"``, ``"no"`` or ``"-1"``.

    Parameters
    ----------
    value
        The ``oneway`` tag, or ``None`` when absent.
    highway, junction
        The way's ``highway`` and ``junction`` tags: with no ``oneway`` tag, motorways and
        roundabouts (``junction=roundabout|circular``) are one-way.

    Returns
    -------
    tuple
        The normalised value and whether the tag was understood (unknown values such as
        ``"yes;no"`` give ``"no"`` and ``False``).

    Examples
    --------
    >>> normalise_oneway("True"), normalise_oneway("reverse"), normalise_oneway(None)
    (('yes', True), ('-1', True), ('no', True))
    >>> normalise_oneway(None, junction="roundabout")
    ('yes', True)
    """
    if value is None or str(value).strip() == "":
        implied = highway == "motorway" or junction in {"roundabout", "circular"}
        return ("yes" if implied else "no"), True
    norm = _ONEWAY.get(str(value).strip().lower())
    if norm is None:
        return "no", False
    return norm, True


def parse_maxspeed(value: str | None) -> float:
    """Parse an OSM ``maxspeed`` value to km/h; NaN when absent or not numeric.

    ``"50"``, ``"50 km/h"`` → 50; ``"30 mph"`` → 48.28; several values (``"60;80"``) give
    their mean, as osmnx does; symbolic values (``"CN:urban"``, ``"none"``, ``"walk"``)
    give NaN.

    Examples
    --------
    >>> parse_maxspeed("50 km/h"), round(parse_maxspeed("30 mph"), 2), parse_maxspeed("60;80")
    (50.0, 48.28, 70.0)
    >>> parse_maxspeed("CN:urban")
    nan
    """
    if value is None:
        return math.nan
    speeds = []
    for part in re.split(r"[;|]", str(value)):
        m = _MAXSPEED.fullmatch(part.strip().lower())
        if m is None:
            return math.nan
        kmh = float(m.group(1).replace(",", "."))
        unit = m.group(2)
        if unit == "mph":
            kmh *= _MPH_KMH
        elif unit == "knots":
            kmh *= _KNOT_KMH
        if kmh <= 0:
            return math.nan
        speeds.append(kmh)
    return float(np.mean(speeds)) if speeds else math.nan


def place_kind(tags: Mapping[str, str] | Any) -> str | None:
    """The place kind of an OSM object's tags, or ``None``.

    ``tags`` is a mapping (or a pyosmium TagList) with ``get``. When several kinds match,
    the first of :data:`PLACE_KINDS` wins.

    Examples
    --------
    >>> place_kind({"shop": "mall", "landuse": "retail"})
    'mall'
    >>> place_kind({"public_transport": "platform", "bus": "yes"})
    'bus_stop'
    >>> place_kind({"shop": "trade", "trade": "building_supplies"})
    'building_materials'
    """
    amenity = tags.get("amenity")
    shop = tags.get("shop")
    pt = tags.get("public_transport")
    if amenity == "bus_station" or (pt == "station" and tags.get("bus") == "yes"):
        return "bus_station"
    if tags.get("highway") == "bus_stop" or (pt == "platform" and tags.get("bus") == "yes"):
        return "bus_stop"
    if amenity == "marketplace":
        return "marketplace"
    if shop in {"mall", "department_store"}:
        return "mall"
    if shop in {"doityourself", "hardware", "building_materials"} or (
        shop == "trade" and tags.get("trade") == "building_supplies"
    ):
        return "building_materials"
    if amenity == "community_centre" or (
        amenity == "social_facility"
        and "community" in {tags.get("social_facility"), tags.get("social_facility:for")}
    ):
        return "community_centre"
    if amenity == "townhall":
        return "townhall"
    landuse = tags.get("landuse")
    if landuse in {"industrial", "retail", "commercial"}:
        return str(landuse)
    return None


# --- reading ---------------------------------------------------------------------------------


def _osm_format(path: Path) -> str:
    """Sniff the file's first bytes: the libosmium format string, or an InputFileError."""
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(b"\x1f\x8b"):
        return "osm.gz"
    if head.startswith(b"BZh"):
        return "osm.bz2"
    if b"OSMHeader" in head[:32]:
        return "pbf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        if b"<osm" in head:
            return "osm"
        raise InputFileError(
            "is XML/HTML but not OpenStreetMap XML (no <osm> element; a download error page?)",
            path=path,
            fix="download the extract again as .osm.pbf or OSM XML (.osm)",
        )
    if text.startswith((b"{", b"[")):
        raise InputFileError(
            "is JSON (GeoJSON or Overpass JSON), not an OSM file",
            path=path,
            fix="export OSM XML (.osm, Overpass [out:xml]) or .osm.pbf (e.g. from Geofabrik)",
        )
    raise InputFileError(
        "is not an OpenStreetMap file (neither .osm.pbf nor OSM XML)",
        path=path,
        fix="give an .osm.pbf extract (e.g. from download.geofabrik.de) or an .osm XML export",
    )


@dataclass
class _Collected:
    """What one pass over the file found (plain Python data, no osmium objects)."""

    way_ids: list[int] = field(default_factory=list)
    way_counts: list[int] = field(default_factory=list)
    way_highway: list[str] = field(default_factory=list)
    way_tags: list[tuple[str | None, ...]] = field(default_factory=list)
    way_nodes: list[tuple[int, int, int]] = field(default_factory=list)
    highway_other: Counter[str] = field(default_factory=Counter)
    area_highways: int = 0
    places: list[dict[str, Any]] = field(default_factory=list)
    open_place_ways: list[tuple[dict[str, Any], list[tuple[float, float]]]] = field(
        default_factory=list
    )
    closed_place_ways: dict[int, tuple[dict[str, Any], list[tuple[float, float]]]] = field(
        default_factory=dict
    )
    area_places: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    area_failed: int = 0
    place_relations: dict[int, dict[str, Any]] = field(default_factory=dict)
    seen_areas: set[tuple[str, int]] = field(default_factory=set)
    routes: list[dict[str, Any]] = field(default_factory=list)
    stop_like_nodes: set[int] = field(default_factory=set)
    n_objects: int = 0


def _place_row(osm_type: str, osm_id: int, kind: str, tags: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"osm_type": osm_type, "osm_id": int(osm_id), "kind": kind}
    for key in _PLACE_TAGS:
        row[key] = tags.get(key)
    return row


def _scan(path: Path, fmt: str, *, streets: bool, progress: bool) -> tuple[_Collected, Any]:
    """Stream the file once through pyosmium; return what was found and the location store."""
    import osmium
    from osmium.filter import KeyFilter

    found = _Collected()
    wkb = osmium.geom.WKBFactory()
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), fmt))
        .with_locations()
        # Only relations with these keys become area candidates (not admin boundaries).
        .with_areas(KeyFilter("amenity", "shop", "landuse", "public_transport", "highway"))
        .with_filter(KeyFilter(*_KEYS))
    )
    bar = tqdm(desc=f"reading {path.name}", unit=" objects", unit_scale=True, disable=not progress)
    try:
        for item in processor:
            obj: Any = item
            found.n_objects += 1
            if found.n_objects % 8192 == 0:
                bar.update(8192)
            t = obj.type_str()
            if t == "w":
                _scan_way(obj, found, streets=streets)
            elif t == "n":
                tags = obj.tags
                kind = place_kind(tags)
                if tags.get("highway") == "bus_stop" or tags.get("public_transport") in {
                    "stop_position",
                    "platform",
                }:
                    found.stop_like_nodes.add(obj.id)
                if kind is not None:
                    row = _place_row("node", obj.id, kind, tags)
                    loc = obj.location
                    row["_lonlat"] = (loc.lon, loc.lat)
                    found.places.append(row)
            elif t == "a":
                kind = place_kind(obj.tags)
                if kind is None:
                    continue
                osm_type = "way" if obj.from_way() else "relation"
                found.seen_areas.add((osm_type, obj.orig_id()))
                try:
                    geom = wkb.create_multipolygon(obj)
                except RuntimeError:
                    found.area_failed += 1
                    continue
                found.area_places.append(
                    (_place_row(osm_type, obj.orig_id(), kind, obj.tags), geom)
                )
            elif t == "r":
                _scan_relation(obj, found)
    except RuntimeError as exc:
        raise InputFileError(
            f"cannot be read as an OSM file ({exc})",
            path=path,
            fix="the file is damaged or incomplete: download or export it again",
        ) from exc
    finally:
        bar.update(found.n_objects % 8192)
        bar.close()
    return found, processor.node_location_storage


def _scan_way(obj: Any, found: _Collected, *, streets: bool) -> None:
    tags = obj.tags
    hw = tags.get("highway")
    if streets and hw is not None:
        if hw not in STREET_HIGHWAYS:
            found.highway_other[hw] += 1
        elif tags.get("area") == "yes":
            found.area_highways += 1
        else:
            nodes = obj.nodes
            found.way_ids.append(obj.id)
            found.way_counts.append(len(nodes))
            found.way_highway.append(hw)
            found.way_tags.append(tuple(tags.get(k) for k, _ in _WAY_TAGS))
            found.way_nodes.extend([(n.ref, n.x, n.y) for n in nodes])
    kind = place_kind(tags)
    if kind is not None:
        row = _place_row("way", obj.id, kind, tags)
        coords = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
        if obj.is_closed():
            found.closed_place_ways[obj.id] = (row, coords)
        else:
            found.open_place_ways.append((row, coords))


def _scan_relation(obj: Any, found: _Collected) -> None:
    tags = obj.tags
    rtype = tags.get("type")
    if rtype == "route" and tags.get("route") in _BUS_ROUTES:
        found.routes.append(
            {
                "relation_id": int(obj.id),
                "route": tags.get("route"),
                "ref": tags.get("ref"),
                "name": tags.get("name"),
                "from": tags.get("from"),
                "to": tags.get("to"),
                "operator": tags.get("operator"),
                "network": tags.get("network"),
                "_members": [(m.type, int(m.ref), m.role) for m in obj.members],
            }
        )
    elif rtype == "multipolygon":
        kind = place_kind(tags)
        if kind is not None:
            found.place_relations[int(obj.id)] = _place_row("relation", obj.id, kind, tags)


def read_osm(
    path: PathArg,
    *,
    area: StudyArea | None = None,
    crs: CRS | str | int | None = None,
    progress: bool = False,
    streets: bool = True,
    clip_buffer_m: float = CLIP_BUFFER_M,
    tolerance_m: float = settings.OUTSIDE_AREA_TOLERANCE_M,
) -> OsmData:
    """Read an OpenStreetMap extract into street edges, nodes, places and bus routes.

    Parameters
    ----------
    path
        ``.osm.pbf``, ``.osm`` XML, ``.osm.bz2`` or ``.osm.gz`` (the format is sniffed from
        the content, not the name). OSM is always WGS-84. The file must be sorted (nodes,
        then ways, then relations), as every extract and export is.
    area
        Study area: results are in ``area.crs`` and clipped to the area plus
        ``clip_buffer_m``; a file with no data within ``tolerance_m`` of the area is a
        :class:`~planner.errors.CoordinateError`.
    crs
        Output CRS (wins over ``area.crs``); default ``area.crs``, else a UTM zone chosen
        from the data.
    progress
        Show a tqdm bar while reading.
    streets
        Build the street network (default). ``False`` reads only places and bus routes
        and does not require highway ways.
    clip_buffer_m
        Margin kept around the study area (metres).
    tolerance_m
        Distance beyond which the whole file counts as being somewhere else (metres).

    Returns
    -------
    OsmData
        See :class:`OsmData` for the columns.

    Raises
    ------
    MissingFileError, EmptyFileError, InputFileError, CoordinateError

    Examples
    --------
    >>> import tempfile, pathlib
    >>> xml = '''<osm version="0.6"><node id="1" lat="37.5" lon="122.0"/>
    ... <node id="2" lat="37.5" lon="122.001"/><node id="3" lat="37.501" lon="122.001"/>
    ... <way id="7"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/>
    ... <tag k="oneway" v="true"/></way></osm>'''
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.osm"
    >>> _ = p.write_text(xml)
    >>> data = read_osm(p)
    >>> data.streets[["u", "v", "way_id", "oneway"]].to_dict("records")
    [{'u': 1, 'v': 3, 'way_id': 7, 'oneway': 'yes'}]
    >>> round(float(data.streets["length_m"].iloc[0]), 1)
    199.4
    """
    p = check_file(path, what="OSM file")
    fmt = _osm_format(p)
    found, store = _scan(p, fmt, streets=streets, progress=progress)
    skipped: dict[str, int] = {}
    if found.highway_other:
        skipped["highway_other"] = int(sum(found.highway_other.values()))
        log.debug("%s: highway ways not kept as streets: %s", p, dict(found.highway_other))
    if found.area_highways:
        skipped["highway_areas"] = found.area_highways
        log.debug("%s: %d highway area(s) (area=yes) not kept as streets", p, found.area_highways)
    if found.n_objects == 0:
        raise EmptyFileError(
            "holds no streets, places or bus routes (no object with a highway, amenity, shop,"
            " landuse, public_transport or route tag)",
            path=p,
            fix="check that the extract covers a populated area, or download it again",
        )
    if streets and not found.way_ids:
        raise EmptyFileError(
            "holds no street ways (no way tagged highway=residential, primary, footway …)",
            path=p,
            fix="use an extract with roads, or pass streets=False to read only places and routes",
        )

    clip = _Clip(area, clip_buffer_m) if area is not None else None
    raw = np.asarray(found.way_nodes, dtype=np.int64).reshape(-1, 3)
    found.way_nodes = []  # free the tuples: the array holds the same data
    sample = _sample_lonlat(raw, found)
    if sample.shape[0] == 0:
        raise EmptyFileError(
            "holds no node with a location (every way references nodes missing from the file)",
            path=p,
            fix="export the nodes with the ways (e.g. osmium extract --strategy complete_ways)",
        )
    if area is not None:
        _check_near_area(sample, area, tolerance_m, p)
    pos = _positions(raw, found, clip, skipped, p) if streets else None
    if pos is not None and len(pos.ref) == 0:
        if area is not None:
            raise CoordinateError(
                f"no street of the file lies within {clip_buffer_m / 1000:g} km of the study"
                f" area '{area.name}'",
                path=p,
                fix="use an extract that covers the study area, or check the study area",
            )
        raise EmptyFileError(
            "holds no street with two nodes present in the file",
            path=p,
            fix="export the nodes with the ways (e.g. osmium extract --strategy complete_ways)",
        )
    lonlat = np.column_stack([pos.lon, pos.lat]) if pos is not None else sample
    out_crs = _output_crs(crs, area, lonlat)
    to_out = Transformer.from_crs(CRS.from_epsg(4326), out_crs, always_xy=True)

    if pos is not None and len(pos.ref) > 0:
        street_gdf, node_gdf = _build_streets(pos, found, to_out, out_crs, skipped, p)
    else:
        street_gdf, node_gdf = _empty_streets(out_crs), _empty_nodes(out_crs)
    places = _build_places(found, clip, to_out, out_crs, skipped, p)
    routes = _build_routes(found, store, clip, skipped, p)
    if area is not None and not streets and len(places) == 0 and len(routes) == 0:
        raise CoordinateError(
            f"no place or bus route of the file lies within {clip_buffer_m / 1000:g} km of the"
            f" study area '{area.name}'",
            path=p,
            fix="use an extract that covers the study area, or check the study area",
        )
    log.info(
        "%s: %d street edges, %d nodes, %d places, %d bus routes",
        p,
        len(street_gdf),
        len(node_gdf),
        len(places),
        len(routes),
    )
    return OsmData(
        streets=street_gdf,
        nodes=node_gdf,
        places=places,
        bus_routes=routes,
        crs=out_crs,
        skipped=skipped,
        source=str(p),
    )


class _Clip:
    """The study area plus a buffer, tested against WGS-84 lon/lat points."""

    def __init__(self, area: StudyArea, buffer_m: float) -> None:
        self.area = area
        self.buffer_m = buffer_m
        self.geom = shapely.buffer(area.geometry, buffer_m, quad_segs=4)
        shapely.prepare(self.geom)
        self.to_area = Transformer.from_crs(CRS.from_epsg(4326), area.crs, always_xy=True)

    def contains(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        if len(lon) == 0:
            return np.zeros(0, dtype=bool)
        x, y = self.to_area.transform(lon, lat)
        return np.asarray(shapely.intersects_xy(self.geom, x, y), dtype=bool)

    def intersects(self, geoms_wgs84: NDArray[Any]) -> NDArray[np.bool_]:
        if len(geoms_wgs84) == 0:
            return np.zeros(0, dtype=bool)
        projected = gpd.GeoSeries(geoms_wgs84, crs=4326).to_crs(self.area.crs).values
        return np.asarray(shapely.intersects(self.geom, projected), dtype=bool)


@dataclass
class _Positions:
    """Node positions along the kept runs of highway ways (after dropping missing nodes)."""

    ref: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    way: NDArray[np.int64]  # index into found.way_ids
    run: NDArray[np.int64]  # run number, increasing


def _positions(
    raw: NDArray[np.int64],
    found: _Collected,
    clip: _Clip | None,
    skipped: dict[str, int],
    path: Path,
) -> _Positions:
    """Split highway ways at missing (and clipped) nodes; ``raw`` rows are (ref, x, y)."""
    counts = np.asarray(found.way_counts, dtype=np.int64)
    way = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    present = (raw[:, 1] != _UNDEFINED) & (raw[:, 2] != _UNDEFINED)
    lon = raw[:, 1] * 1e-7
    lat = raw[:, 2] * 1e-7
    n_ways = len(counts)
    missing_ways = np.bincount(way[~present], minlength=n_ways) > 0
    if missing_ways.any():
        skipped["ways_missing_nodes"] = int(missing_ways.sum())
        skipped["way_nodes_missing"] = int((~present).sum())
        log.warning(
            "%s: %d highway way(s) reference %d node(s) missing from the file (a clipped"
            " extract?); each was split at the missing nodes and its runs of present nodes kept",
            path,
            int(missing_ways.sum()),
            int((~present).sum()),
        )
    keep = present.copy()
    if clip is not None:
        inside = np.zeros(len(keep), dtype=bool)
        inside[present] = clip.contains(lon[present], lat[present])
        outside = present & ~inside
        if outside.any():
            clipped_ways = np.bincount(way[outside], minlength=n_ways) > 0
            skipped["ways_clipped_to_area"] = int(clipped_ways.sum())
            log.info(
                "%s: clipped %d highway way(s) to the study area '%s' + %g km (%d way nodes"
                " outside)",
                path,
                int(clipped_ways.sum()),
                clip.area.name,
                clip.buffer_m / 1000,
                int(outside.sum()),
            )
        keep &= inside
    idx = np.flatnonzero(keep)
    # A run starts at a new way or after a gap (missing or clipped nodes).
    start = np.ones(len(idx), dtype=bool)
    if len(idx) > 1:
        start[1:] = (way[idx[1:]] != way[idx[:-1]]) | (idx[1:] != idx[:-1] + 1)
    run = np.cumsum(start) - 1
    ref = raw[idx, 0]
    # Drop a node repeated right after itself (a mapping slip): it adds no segment.
    dup = np.zeros(len(idx), dtype=bool)
    if len(idx) > 1:
        dup[1:] = (ref[1:] == ref[:-1]) & (run[1:] == run[:-1])
    if dup.any():
        skipped["repeated_way_nodes"] = int(dup.sum())
        log.debug("%s: dropped %d node(s) repeated consecutively in a way", path, int(dup.sum()))
    sel = idx[~dup]
    run = run[~dup]
    # Runs of a single node make no edge.
    run_len = np.bincount(run) if len(run) else np.zeros(0, dtype=np.int64)
    long_enough = run_len[run] >= 2 if len(run) else np.zeros(0, dtype=bool)
    short_runs = int((run_len == 1).sum())
    if short_runs:
        skipped["single_node_pieces"] = short_runs
        log.debug("%s: %d way piece(s) with a single present node make no edge", path, short_runs)
    sel = sel[long_enough]
    run = run[long_enough]
    return _Positions(ref=raw[sel, 0], lon=lon[sel], lat=lat[sel], way=way[sel], run=run)


def _sample_lonlat(raw: NDArray[np.int64], found: _Collected) -> NDArray[np.float64]:
    """Lon/lat of every street way node present in the file, and of the places."""
    present = (raw[:, 1] != _UNDEFINED) & (raw[:, 2] != _UNDEFINED)
    pts = [row["_lonlat"] for row in found.places]
    pts += [c for _, coords in found.open_place_ways for c in coords[:1]]
    pts += [c for _, coords in found.closed_place_ways.values() for c in coords[:1]]
    return np.concatenate(
        [raw[present, 1:] * 1e-7, np.asarray(pts, dtype=float).reshape(-1, 2)], axis=0
    )


def _check_near_area(
    lonlat: NDArray[np.float64], area: StudyArea, tolerance_m: float, path: Path
) -> None:
    """Raise when every point of the file is farther than ``tolerance_m`` from the area."""
    x, y = Transformer.from_crs(CRS.from_epsg(4326), area.crs, always_xy=True).transform(
        lonlat[:, 0], lonlat[:, 1]
    )
    near = shapely.buffer(area.geometry, tolerance_m, quad_segs=4)
    shapely.prepare(near)
    if not bool(np.any(shapely.intersects_xy(near, x, y))):
        w, s, e, n = area.bounds_wgs84()
        raise CoordinateError(
            f"the file covers lon {lonlat[:, 0].min():.3f}-{lonlat[:, 0].max():.3f},"
            f" lat {lonlat[:, 1].min():.3f}-{lonlat[:, 1].max():.3f}: every point is more than"
            f" {tolerance_m / 1000:g} km outside the study area '{area.name}'"
            f" (lon {w:.3f}-{e:.3f}, lat {s:.3f}-{n:.3f})",
            path=path,
            fix="use an extract that covers the study area, or check the study area codes",
        )


def _output_crs(
    crs: CRS | str | int | None, area: StudyArea | None, lonlat: NDArray[np.float64]
) -> CRS:
    if crs is not None:
        return CRS.from_user_input(crs)
    if area is not None:
        return CRS(area.crs)
    return choose_crs(float(np.median(lonlat[:, 0])), float(np.median(lonlat[:, 1])))


def _build_streets(
    pos: _Positions,
    found: _Collected,
    to_out: Transformer,
    crs: CRS,
    skipped: dict[str, int],
    path: Path,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    n = len(pos.ref)
    # Graph nodes: run ends, and nodes used twice or more (by two ways, or a way crossing itself).
    _, inverse, counts = np.unique(pos.ref, return_inverse=True, return_counts=True)
    split = counts[inverse] >= 2
    first = np.ones(n, dtype=bool)
    first[1:] = pos.run[1:] != pos.run[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = pos.run[1:] != pos.run[:-1]
    split |= first | last
    s = np.flatnonzero(split)
    same = pos.run[s[1:]] == pos.run[s[:-1]]
    a = s[:-1][same]
    b = s[1:][same]
    n_edges = len(a)
    # Great-circle segment lengths; an edge's length is the sum over its segments.
    seg = np.zeros(n, dtype=float)
    if n > 1:
        seg[1:] = haversine_m(pos.lon[:-1], pos.lat[:-1], pos.lon[1:], pos.lat[1:])
        seg[1:][pos.run[1:] != pos.run[:-1]] = 0.0
    cum = np.cumsum(seg)
    length_m = cum[b] - cum[a]
    # Vertex indices of every edge, then one vectorised LineString construction.
    n_vertices = b - a + 1
    offsets = np.cumsum(n_vertices) - n_vertices
    vertex = np.arange(int(n_vertices.sum()), dtype=np.int64) - np.repeat(offsets - a, n_vertices)
    x, y = to_out.transform(pos.lon, pos.lat)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    lines = shapely.linestrings(
        np.column_stack([x[vertex], y[vertex]]),
        indices=np.repeat(np.arange(n_edges, dtype=np.int64), n_vertices),
    )
    way = pos.way[a]
    tags = _way_tag_columns(found, skipped, path)
    data: dict[str, Any] = {
        "u": pos.ref[a].astype(np.int64),
        "v": pos.ref[b].astype(np.int64),
        "way_id": np.asarray(found.way_ids, dtype=np.int64)[way],
    }
    for col in STREET_COLUMNS[3:-1]:
        data[col] = tags[col][way]
    data["length_m"] = length_m
    streets = gpd.GeoDataFrame(data, geometry=lines, crs=crs)
    for col in (
        "highway",
        "name",
        "oneway",
        "access",
        "foot",
        "bicycle",
        "motor_vehicle",
        "oneway_bicycle",
        "junction",
    ):
        streets[col] = pd.array(streets[col].to_numpy(dtype=object), dtype="str")
    streets["maxspeed_kmh"] = streets["maxspeed_kmh"].astype(float)
    # Graph nodes actually used by edges, first position of each.
    node_pos = np.concatenate([a, b])
    ids, first_idx = np.unique(pos.ref[node_pos], return_index=True)
    at = node_pos[first_idx]
    nodes = gpd.GeoDataFrame(
        {"osmid": ids.astype(np.int64), "lon": pos.lon[at], "lat": pos.lat[at]},
        geometry=shapely.points(x[at], y[at]),
        crs=crs,
    )
    return streets, nodes


def _way_tag_columns(
    found: _Collected, skipped: dict[str, int], path: Path
) -> dict[str, NDArray[Any]]:
    """Per-way columns: normalised oneway, maxspeed in km/h, raw access tags."""
    n = len(found.way_ids)
    raw = (
        np.asarray(found.way_tags, dtype=object).reshape(n, len(_WAY_TAGS))
        if n
        else np.empty((0, len(_WAY_TAGS)), dtype=object)
    )
    cols = {name: raw[:, i] for i, (_, name) in enumerate(_WAY_TAGS)}
    highway = np.asarray(found.way_highway, dtype=object)
    oneway = np.empty(n, dtype=object)
    unknown: Counter[str] = Counter()
    cache: dict[tuple[Any, Any, Any], tuple[str, bool]] = {}
    for i in range(n):
        key = (cols["oneway"][i], highway[i], cols["junction"][i])
        res = cache.get(key)
        if res is None:
            res = cache[key] = normalise_oneway(key[0], highway=key[1], junction=key[2])
        oneway[i] = res[0]
        if not res[1]:
            unknown[str(key[0])] += 1
    if unknown:
        skipped["oneway_unknown"] = int(sum(unknown.values()))
        log.warning(
            "%s: %d way(s) have an oneway value planner does not know (%s); read as two-way",
            path,
            int(sum(unknown.values())),
            ", ".join(repr(k) for k in sorted(unknown)[:5]),
        )
    speeds: dict[Any, float] = {v: parse_maxspeed(v) for v in set(cols["maxspeed"].tolist())}
    symbolic = sorted(str(v) for v, kmh in speeds.items() if v is not None and math.isnan(kmh))
    if symbolic:
        log.debug("%s: maxspeed values read as unknown (NaN): %s", path, symbolic[:10])
    maxspeed = np.array([speeds[v] for v in cols["maxspeed"]], dtype=float)
    out: dict[str, NDArray[Any]] = {
        "highway": highway,
        "oneway": oneway,
        "maxspeed_kmh": maxspeed,
    }
    for name in (
        "name",
        "access",
        "foot",
        "bicycle",
        "motor_vehicle",
        "oneway_bicycle",
        "junction",
    ):
        out[name] = cols[name]
    return out


def _build_places(
    found: _Collected,
    clip: _Clip | None,
    to_out: Transformer,
    crs: CRS,
    skipped: dict[str, int],
    path: Path,
) -> gpd.GeoDataFrame:
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    # Nodes: points.
    if found.places:
        lonlat = np.asarray([r["_lonlat"] for r in found.places], dtype=float)
        pts = shapely.points(lonlat)
        for r, g in zip(found.places, pts, strict=True):
            rows.append({k: v for k, v in r.items() if k != "_lonlat"})
            geoms.append(g)
    # Closed ways and multipolygon relations: polygons from osmium's area assembly.
    if found.area_places:
        polys = shapely.from_wkb([g for _, g in found.area_places])
        single = shapely.get_num_geometries(polys) == 1
        polys = np.where(single, shapely.get_geometry(polys, 0), polys)
        for (r, _), g in zip(found.area_places, polys, strict=True):
            rows.append(r)
            geoms.append(g)
    # Open ways (e.g. a linear bus platform) and closed ways osmium could not assemble: the
    # middle point of the line through their nodes.
    fallback = list(found.open_place_ways)
    unassembled = [
        rc for wid, rc in found.closed_place_ways.items() if ("way", wid) not in found.seen_areas
    ]
    fallback += unassembled
    if unassembled:
        skipped["place_ways_not_polygons"] = len(unassembled)
        log.warning(
            "%s: %d closed place way(s) are not valid polygons (or miss nodes); each is kept"
            " as a point at the middle of its outline",
            path,
            len(unassembled),
        )
    no_nodes = 0
    for r, coords in fallback:
        if not coords:
            no_nodes += 1
            continue
        rows.append(r)
        if len(coords) == 1:
            geoms.append(shapely.points(coords[0]))
        else:
            geoms.append(
                shapely.line_interpolate_point(shapely.linestrings(coords), 0.5, normalized=True)
            )
    missing_rel = [
        rid for rid in found.place_relations if ("relation", rid) not in found.seen_areas
    ]
    dropped = no_nodes + len(missing_rel) + found.area_failed
    if dropped:
        skipped["places_without_geometry"] = dropped
        log.warning(
            "%s: %d place(s) have no usable geometry (nodes missing from the file, or a"
            " multipolygon that does not close) and were left out",
            path,
            dropped,
        )
    if not rows:
        return _empty_places(crs)
    df = pd.DataFrame(rows, columns=list(PLACE_COLUMNS))
    gdf = gpd.GeoDataFrame(df, geometry=np.asarray(geoms, dtype=object), crs=4326)
    if clip is not None:
        inside = clip.intersects(np.asarray(gdf.geometry.values, dtype=object))
        if not inside.all():
            skipped["places_outside_area"] = int((~inside).sum())
            log.info(
                "%s: %d place(s) outside the study area + %g km left out",
                path,
                int((~inside).sum()),
                clip.buffer_m / 1000,
            )
            gdf = gdf[inside]
    gdf = gdf.to_crs(crs)
    order = np.lexsort((gdf["osm_id"].to_numpy(), gdf["osm_type"].map(_OSM_TYPE_ORDER).to_numpy()))
    gdf = gdf.iloc[order].reset_index(drop=True)
    gdf["osm_id"] = gdf["osm_id"].astype(np.int64)
    return gdf


def _build_routes(
    found: _Collected, store: Any, clip: _Clip | None, skipped: dict[str, int], path: Path
) -> pd.DataFrame:
    rows = []
    missing_total = 0
    outside = 0
    for r in found.routes:
        ids: list[int] = []
        roles: list[str] = []
        for mtype, ref, role in r["_members"]:
            if mtype != "n":
                continue
            is_stop = role.startswith(("stop", "platform"))
            # PTv1 routes list their stops with an empty or forward/backward role.
            legacy = role in {"", "forward", "backward"} and ref in found.stop_like_nodes
            if is_stop or legacy:
                ids.append(ref)
                roles.append(role)
        lonlat = []
        missing = 0
        for ref in ids:
            try:
                loc = store.get(ref)
            except KeyError:
                missing += 1
                continue
            lonlat.append((loc.lon, loc.lat))
        if clip is not None and ids:
            pts = np.asarray(lonlat, dtype=float).reshape(-1, 2)
            if not clip.contains(pts[:, 0], pts[:, 1]).any():
                outside += 1
                continue
        missing_total += missing
        row = {k: v for k, v in r.items() if k != "_members"}
        row.update(stop_node_ids=ids, stop_roles=roles, n_stops_missing=missing)
        rows.append(row)
    if missing_total:
        skipped["route_stops_missing"] = missing_total
        log.warning(
            "%s: %d stop reference(s) of bus routes name nodes missing from the file (a"
            " clipped extract?); kept in stop_node_ids, counted in n_stops_missing",
            path,
            missing_total,
        )
    if outside:
        skipped["routes_outside_area"] = outside
        log.info("%s: %d bus route(s) with no stop in the study area left out", path, outside)
    df = pd.DataFrame(rows, columns=list(BUS_ROUTE_COLUMNS))
    df["relation_id"] = df["relation_id"].astype(np.int64)
    df["n_stops_missing"] = df["n_stops_missing"].astype(np.int64)
    return df.sort_values("relation_id", kind="stable").reset_index(drop=True)


def _empty_streets(crs: CRS) -> gpd.GeoDataFrame:
    data: dict[str, Any] = {c: pd.Series([], dtype="str") for c in STREET_COLUMNS}
    for c in ("u", "v", "way_id"):
        data[c] = pd.Series([], dtype=np.int64)
    for c in ("maxspeed_kmh", "length_m"):
        data[c] = pd.Series([], dtype=float)
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _empty_nodes(crs: CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "osmid": pd.Series([], dtype=np.int64),
            "lon": pd.Series([], dtype=float),
            "lat": pd.Series([], dtype=float),
        },
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )


def _empty_places(crs: CRS) -> gpd.GeoDataFrame:
    data: dict[str, Any] = {c: pd.Series([], dtype="str") for c in PLACE_COLUMNS}
    data["osm_id"] = pd.Series([], dtype=np.int64)
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


# --- plain edge lists ----------------------------------------------------------------------

_NODE_SCHEMA = Schema(
    (
        ColumnSpec("node_id", ("节点编号", "节点", "id", "osmid", "node"), required=True),
        ColumnSpec("lon", ("经度", "longitude", "lng", "x"), required=True),
        ColumnSpec("lat", ("纬度", "latitude", "y"), required=True),
    ),
    what="road node table",
)
_EDGE_SCHEMA = Schema(
    (
        ColumnSpec("u", ("起点", "from", "source", "start"), required=True),
        ColumnSpec("v", ("终点", "to", "target", "end"), required=True),
        ColumnSpec("length_m", ("长度", "长度米", "length", "len", "distance_m"), required=False),
        ColumnSpec("highway", ("道路等级", "class"), required=False),
        ColumnSpec("name", ("道路名称", "road_name"), required=False),
        ColumnSpec("oneway", ("单行",), required=False),
    ),
    what="road edge table",
)


def read_edge_list(
    nodes_csv: PathArg,
    edges_csv: PathArg,
    *,
    area: StudyArea | None = None,
    crs: CRS | str | int | None = None,
) -> OsmData:
    """Read a road graph given as a node table and an edge table (no OSM tags).

    Parameters
    ----------
    nodes_csv
        CSV/XLSX with ``node_id``, ``lon``, ``lat`` (WGS-84 degrees; 经度/纬度 accepted).
    edges_csv
        CSV/XLSX with ``u``, ``v`` (node ids) and ``length_m``; optional ``highway``,
        ``name``, ``oneway``. Without ``length_m`` the great-circle length of the straight
        segment is used. Each edge is open in both directions unless ``oneway`` says so.
    area, crs
        As for :func:`read_osm`; nodes more than 50 km outside ``area`` are an error.

    Returns
    -------
    OsmData
        ``streets`` with the columns of :func:`read_osm` (``highway`` NaN = untagged,
        read by :mod:`planner.network.streets` as an unclassified road; ``oneway`` "no";
        ``way_id`` missing), straight LineStrings; ``nodes``; empty ``places`` and
        ``bus_routes``.

    Raises
    ------
    InvalidValueError
        A missing, negative or non-numeric length, or an edge naming an unknown node.
    DuplicateIdError
        A node id given twice.
    CoordinateError
        Swapped or projected coordinates, or nodes far outside ``area``.
    """
    node_path = Path(nodes_csv)
    edge_path = Path(edges_csv)
    ndf = _NODE_SCHEMA.apply(read_table(node_path, what="road node table"), path=node_path)
    ids = to_number(ndf, "node_id", path=node_path, integer=True)
    ndf["node_id"] = ids.astype(np.int64)
    check_unique(ndf, "node_id", path=node_path)
    lon = to_number(ndf, "lon", path=node_path)
    lat = to_number(ndf, "lat", path=node_path)
    pts = points_from_lonlat(
        ndf,
        lon,
        lat,
        coords="wgs84",
        path=node_path,
        lon_column="lon",
        lat_column="lat",
        area=area,
        crs=CRS.from_user_input(crs) if crs is not None else None,
    )
    out_crs = CRS(pts.crs)

    raw = read_table(edge_path, what="road edge table")
    extra = [c for c in raw.columns if _EDGE_SCHEMA.canonical(c) is None]
    if extra:
        log.info("%s: columns not used by planner: %s", edge_path, ", ".join(extra))
        raw = raw.drop(columns=extra)
    edf = _EDGE_SCHEMA.apply(raw, path=edge_path)
    u = to_number(edf, "u", path=edge_path, integer=True).astype(np.int64).to_numpy()
    v = to_number(edf, "v", path=edge_path, integer=True).astype(np.int64).to_numpy()
    node_ids = ndf["node_id"].to_numpy()
    order = np.argsort(node_ids, kind="stable")
    sorted_ids = node_ids[order]
    iu = _lookup(sorted_ids, order, u, edf, "u", edge_path, node_path)
    iv = _lookup(sorted_ids, order, v, edf, "v", edge_path, node_path)
    lon_v = lon.to_numpy(dtype=float)
    lat_v = lat.to_numpy(dtype=float)
    if "length_m" in edf:
        length = to_number(edf, "length_m", path=edge_path, minimum=0.0).to_numpy(dtype=float)
    else:
        length = np.asarray(haversine_m(lon_v[iu], lat_v[iu], lon_v[iv], lat_v[iv]), dtype=float)
        log.info("%s: no length column; using great-circle lengths of the segments", edge_path)
    px = shapely.get_x(pts.geometry.values)
    py = shapely.get_y(pts.geometry.values)
    n = len(edf)
    coords = np.empty((2 * n, 2), dtype=float)
    coords[0::2, 0], coords[0::2, 1] = px[iu], py[iu]
    coords[1::2, 0], coords[1::2, 1] = px[iv], py[iv]
    lines = shapely.linestrings(coords, indices=np.repeat(np.arange(n), 2))
    oneway = np.full(n, "no", dtype=object)
    if "oneway" in edf:
        for i, val in enumerate(edf["oneway"].to_numpy(dtype=object)):
            text = None if pd.isna(val) else str(val)
            norm, ok = normalise_oneway(text)
            if not ok:
                raise InvalidValueError(
                    f"oneway value {val!r} is not understood",
                    path=edge_path,
                    row=sheet_row(edf.index[i]),
                    column="oneway",
                    fix="write yes, no or -1 (one-way against the u→v direction)",
                )
            oneway[i] = norm
    empty_text = np.full(n, None, dtype=object)
    data: dict[str, Any] = {
        "u": u,
        "v": v,
        "way_id": pd.array([pd.NA] * n, dtype="Int64"),
        "highway": edf["highway"].to_numpy(dtype=object) if "highway" in edf else empty_text,
        "name": edf["name"].to_numpy(dtype=object) if "name" in edf else empty_text,
        "oneway": oneway,
        "maxspeed_kmh": np.full(n, np.nan),
    }
    for col in ("access", "foot", "bicycle", "motor_vehicle", "oneway_bicycle", "junction"):
        data[col] = empty_text
    data["length_m"] = length
    streets = gpd.GeoDataFrame(data, geometry=lines, crs=out_crs)
    for col in (
        "highway",
        "name",
        "oneway",
        "access",
        "foot",
        "bicycle",
        "motor_vehicle",
        "oneway_bicycle",
        "junction",
    ):
        streets[col] = pd.array(streets[col].to_numpy(dtype=object), dtype="str")
    nodes = gpd.GeoDataFrame(
        {"osmid": node_ids.astype(np.int64), "lon": lon_v, "lat": lat_v},
        geometry=pts.geometry.values,
        crs=out_crs,
    )
    log.info("%s + %s: %d nodes, %d edges", node_path, edge_path, len(nodes), len(streets))
    return OsmData(
        streets=streets,
        nodes=nodes,
        places=_empty_places(out_crs),
        bus_routes=pd.DataFrame(
            {
                c: pd.Series(
                    [], dtype=np.int64 if c in {"relation_id", "n_stops_missing"} else object
                )
                for c in BUS_ROUTE_COLUMNS
            }
        ),
        crs=out_crs,
        skipped={},
        source=f"{node_path} + {edge_path}",
    )


def _lookup(
    sorted_ids: NDArray[Any],
    order: NDArray[Any],
    wanted: NDArray[Any],
    edf: pd.DataFrame,
    column: str,
    edge_path: Path,
    node_path: Path,
) -> NDArray[np.intp]:
    """Row of each wanted node id in the node table; an unknown id names the edge row."""
    at = np.searchsorted(sorted_ids, wanted)
    at_c = np.minimum(at, len(sorted_ids) - 1)
    known = sorted_ids[at_c] == wanted
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise InvalidValueError(
            f"node {int(wanted[i])} is not in the node table {node_path.name}"
            f" ({int((~known).sum())} edge(s) name unknown nodes)",
            path=edge_path,
            row=sheet_row(edf.index[i]),
            column=column,
            fix="add the node to the node table or delete the edge",
        )
    return np.asarray(order[at_c], dtype=np.intp)


# --- download --------------------------------------------------------------------------------

#: Tags of the places and bus routes fetched by :func:`read_osm_download`.
DOWNLOAD_TAGS: dict[str, bool | str | list[str]] = {
    "highway": "bus_stop",
    "public_transport": ["platform", "station", "stop_position"],
    "amenity": ["bus_station", "marketplace", "community_centre", "social_facility", "townhall"],
    "shop": ["mall", "department_store", "doityourself", "hardware", "building_materials", "trade"],
    "landuse": ["industrial", "retail", "commercial"],
    "route": ["bus", "trolleybus"],
}


def read_osm_download(
    place: str,
    *,
    cache_dir: PathArg,
    network_type: str = "all",
    area: StudyArea | None = None,
    crs: CRS | str | int | None = None,
    progress: bool = False,
) -> OsmData:
    """Download a place's streets, places and bus routes from OSM (via osmnx) and read them.

    The place is geocoded with Nominatim and its polygon queried on Overpass through
    osmnx (needs ``pip install planner[download]``). The answers are cached by osmnx in
    ``cache_dir/http`` and written once as ``cache_dir/osm-<hash>.osm.pbf``, which later
    calls read directly (delete it to download again). The file is then read by
    :func:`read_osm`, so downloaded and file data give the same columns.

    Parameters
    ----------
    place
        A place name Nominatim knows, e.g. ``"环翠区, 威海市, 山东省"``.
    cache_dir
        Folder for the cache (created when missing).
    network_type
        osmnx network type of the street query (``"all"``, ``"drive"``, ``"walk"`` …).
    area, crs, progress
        As for :func:`read_osm`.

    Raises
    ------
    DependencyError
        osmnx is not installed.
    InputFileError
        The download failed (no internet, place unknown, Overpass refused).
    """
    try:
        import osmnx as ox
    except ImportError as exc:
        raise DependencyError(
            "downloading OpenStreetMap data needs the optional package osmnx",
            fix="pip install planner[download]",
        ) from exc
    folder = Path(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(f"{place}|{network_type}".encode()).hexdigest()[:16]
    target = folder / f"osm-{key}.osm.pbf"
    if not target.exists():
        saved = (ox.settings.use_cache, ox.settings.cache_folder)
        ox.settings.use_cache = True
        ox.settings.cache_folder = str(folder / "http")
        try:
            from osmnx import _overpass

            polygon = ox.geocode_to_gdf(place).geometry.union_all()
            answers = list(_overpass._download_overpass_network(polygon, network_type, None))
            answers += list(_overpass._download_overpass_features(polygon, DOWNLOAD_TAGS))
        except PlannerError:
            raise
        except Exception as exc:  # network, geocoding and Overpass errors
            raise InputFileError(
                f"downloading OSM data for {place!r} failed ({type(exc).__name__}: {exc})",
                path=target,
                fix="check the internet connection and the place name, or download an"
                " .osm.pbf extract yourself and use read_osm",
            ) from exc
        finally:
            ox.settings.use_cache, ox.settings.cache_folder = saved
        _write_overpass_json(
            (el for answer in answers for el in answer.get("elements", [])), target
        )
        log.info("downloaded OSM data for %r into %s", place, target)
    return read_osm(target, area=area, crs=crs, progress=progress)


def _write_overpass_json(elements: Iterable[Mapping[str, Any]], path: Path) -> None:
    """Write Overpass JSON elements as a sorted .osm.pbf (atomically: temp file, rename)."""
    import osmium
    from osmium.osm.mutable import Node, Relation, Way

    nodes: dict[int, Mapping[str, Any]] = {}
    ways: dict[int, Mapping[str, Any]] = {}
    relations: dict[int, Mapping[str, Any]] = {}
    store = {"node": nodes, "way": ways, "relation": relations}
    for el in elements:
        kind = store.get(str(el.get("type")))
        if kind is None:
            continue
        old = kind.get(int(el["id"]))
        # The same object can come from several queries; keep the copy with tags.
        if old is None or (el.get("tags") and not old.get("tags")):
            kind[int(el["id"])] = el
    fd, tmp_name = tempfile.mkstemp(suffix=".osm.pbf", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with osmium.SimpleWriter(osmium.io.File(str(tmp), "pbf"), overwrite=True) as writer:
            for nid in sorted(nodes):
                el = nodes[nid]
                writer.add_node(
                    Node(
                        id=nid,
                        location=(float(el["lon"]), float(el["lat"])),
                        tags=dict(el.get("tags", {})),
                    )
                )
            for wid in sorted(ways):
                el = ways[wid]
                writer.add_way(
                    Way(id=wid, nodes=[int(n) for n in el["nodes"]], tags=dict(el.get("tags", {})))
                )
            for rid in sorted(relations):
                el = relations[rid]
                members = [
                    (str(m["type"])[0], int(m["ref"]), str(m.get("role", "")))
                    for m in el.get("members", [])
                ]
                writer.add_relation(
                    Relation(id=rid, members=members, tags=dict(el.get("tags", {})))
                )
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()

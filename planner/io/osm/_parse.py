"""The pyosmium pass behind :func:`planner.io.osm.read_osm`, and building its tables.

Private helpers of :mod:`planner.io.osm`: sniffing the file format (:func:`_osm_format`),
the streaming scan that collects highway ways, places and bus route relations
(:func:`_scan`, into a :class:`_Collected`), clipping to the study area (:class:`_Clip`),
splitting ways at missing or clipped nodes (:func:`_positions`), and building the street
edges and graph nodes (:func:`_build_streets`), places (:func:`_build_places`) and bus
routes (:func:`_build_routes`), plus the empty frames of each.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from tqdm import tqdm

from planner.errors import CoordinateError, InputFileError
from planner.io.crs import StudyArea, choose_crs, haversine_m
from planner.io.osm._tags import (
    _PLACE_TAGS,
    BUS_ROUTE_COLUMNS,
    PLACE_COLUMNS,
    STREET_COLUMNS,
    STREET_HIGHWAYS,
    normalise_oneway,
    parse_maxspeed,
    place_kind,
)

# Logged under the public module's name, so one logger configures the whole OSM reader.
log = logging.getLogger(__name__)

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
    text_columns(streets)
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


#: Tag columns of the street edges, held as pandas text.
STREET_TEXT_COLUMNS = (
    "highway",
    "name",
    "oneway",
    "access",
    "foot",
    "bicycle",
    "motor_vehicle",
    "oneway_bicycle",
    "junction",
)


def text_columns(streets: gpd.GeoDataFrame) -> None:
    """Cast the street tag columns to pandas' text dtype, in place."""
    for col in STREET_TEXT_COLUMNS:
        streets[col] = pd.array(streets[col].to_numpy(dtype=object), dtype="str")

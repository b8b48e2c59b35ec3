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

The tag vocabulary and normalisers live in :mod:`planner.io.osm._tags`, the pyosmium pass
and table building in :mod:`planner.io.osm._parse` and the download in
:mod:`planner.io.osm._download`; everything public is imported from here.
"""

from __future__ import annotations

import logging
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

from planner import settings
from planner.errors import CoordinateError, EmptyFileError, InvalidValueError
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
from planner.io.crs import StudyArea, haversine_m
from planner.io.osm._download import DOWNLOAD_TAGS, _download_pbf
from planner.io.osm._download import _write_overpass_json as _write_overpass_json
from planner.io.osm._parse import (
    _build_places,
    _build_routes,
    _build_streets,
    _check_near_area,
    _Clip,
    _empty_nodes,
    _empty_places,
    _empty_streets,
    _osm_format,
    _output_crs,
    _positions,
    _sample_lonlat,
    _scan,
    text_columns,
)
from planner.io.osm._tags import (
    BUS_ROUTE_COLUMNS,
    NODE_COLUMNS,
    PLACE_COLUMNS,
    PLACE_KINDS,
    STREET_COLUMNS,
    STREET_HIGHWAYS,
    normalise_oneway,
    parse_maxspeed,
    place_kind,
)

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

#: With a study area, OSM data farther than this outside it are clipped away. 10 km is a
#: 15-minute drive at 40 km/h (the longest tier cutoff × the slowest urban class speed of
#: settings.DRIVE_SPEEDS_KMH), so trips that leave the area and come back are kept.
CLIP_BUFFER_M: float = 10_000.0


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
    text_columns(streets)
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
    osmnx (a dependency of planner). The answers are cached by osmnx in
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
    target = _download_pbf(place, cache_dir=cache_dir, network_type=network_type)
    return read_osm(target, area=area, crs=crs, progress=progress)

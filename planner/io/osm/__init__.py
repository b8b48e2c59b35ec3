"""OpenStreetMap: extracts (``.osm.pbf`` / ``.osm`` XML), node/edge lists and the optional download.

The readers live in :mod:`planner.io.osm.reader`; the tag vocabulary and normalisers in
:mod:`planner.io.osm._tags`, the pyosmium pass and table building in
:mod:`planner.io.osm._parse`, the osmnx download in :mod:`planner.io.osm._download`.
Everything public is imported from here.
"""

from planner.io.osm.reader import (
    BUS_ROUTE_COLUMNS,
    CLIP_BUFFER_M,
    DOWNLOAD_TAGS,
    NODE_COLUMNS,
    PLACE_COLUMNS,
    PLACE_KINDS,
    STREET_COLUMNS,
    STREET_HIGHWAYS,
    OsmData,
    normalise_oneway,
    parse_maxspeed,
    place_kind,
    read_edge_list,
    read_osm,
    read_osm_download,
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

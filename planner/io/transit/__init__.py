"""Bus networks: GTFS and the route / stop / stop-sequence tables of Chinese operators.

Both read into one :class:`TransitFeed` (:mod:`planner.io.transit.feed`); the GTFS reader
lives in :mod:`planner.io.transit._gtfs`, the route-table reader in
:mod:`planner.io.transit._route_tables`, and what they share in
:mod:`planner.io.transit._common`. Everything public is imported from here.
"""

from planner.io.transit.feed import (
    DEFAULT_SUMMER_MONTHS,
    LINE_STATIONS_SCHEMA,
    LINES_SCHEMA,
    STATIONS_SCHEMA,
    TransitFeed,
    format_time_s,
    parse_time_s,
    read_gtfs,
    read_route_tables,
)

__all__ = [
    "DEFAULT_SUMMER_MONTHS",
    "LINES_SCHEMA",
    "LINE_STATIONS_SCHEMA",
    "STATIONS_SCHEMA",
    "TransitFeed",
    "format_time_s",
    "parse_time_s",
    "read_gtfs",
    "read_route_tables",
]

"""OSM tag vocabulary of :mod:`planner.io.osm`: its public constants and tag normalisers.

Holds the highway classes kept as streets (:data:`STREET_HIGHWAYS`), the place kinds
(:data:`PLACE_KINDS`), the column lists of :class:`~planner.io.osm.OsmData`, and the
normalisers :func:`normalise_oneway`, :func:`parse_maxspeed` and :func:`place_kind`. Both
the public reader module and the private parser (:mod:`planner.io.osm._parse`) use them,
so they live below both; import them from :mod:`planner.io.osm`, which re-exports them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

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

"""The optional download behind :func:`planner.io.osm.read_osm_download`.

Private helpers of :mod:`planner.io.osm`: the tags fetched (:data:`DOWNLOAD_TAGS`,
re-exported there), the osmnx/Overpass query cached as an ``.osm.pbf``
(:func:`_download_pbf`), and the writer of Overpass JSON elements as a sorted ``.osm.pbf``
(:func:`_write_overpass_json`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

from planner.errors import DependencyError, InputFileError, PlannerError

# Logged under the public module's name, so one logger configures the whole OSM reader.
log = logging.getLogger(__name__)

#: Tags of the places and bus routes fetched by :func:`planner.io.osm.read_osm_download`.
DOWNLOAD_TAGS: dict[str, bool | str | list[str]] = {
    "highway": "bus_stop",
    "public_transport": ["platform", "station", "stop_position"],
    "amenity": ["bus_station", "marketplace", "community_centre", "social_facility", "townhall"],
    "shop": ["mall", "department_store", "doityourself", "hardware", "building_materials", "trade"],
    "landuse": ["industrial", "retail", "commercial"],
    "route": ["bus", "trolleybus"],
}


def _download_pbf(place: str, *, cache_dir: str | PathLike[str], network_type: str) -> Path:
    """Fetch ``place`` through osmnx once into ``cache_dir``; the cached ``.osm.pbf``."""
    try:
        import osmnx as ox
    except ImportError as exc:
        raise DependencyError(
            "downloading OpenStreetMap data needs the optional package osmnx",
            fix="pip install osmnx (a dependency of planner: reinstall planner)",
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
    return target


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

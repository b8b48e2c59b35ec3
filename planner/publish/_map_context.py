"""Context for a map without basemap tiles, drawn from the study's own inputs.

Offline (``tiles="none"``) the planner's map has no basemap, so it draws what a reader
needs to find their way from the inputs it already holds:

* :func:`main_roads` — motorways down to tertiary roads of the OSM extract, merged per
  class and name and simplified, with the road name on hover;
* :func:`place_labels` — names of townships and towns: the study area's units (when there
  are several) and the town halls of the OSM extract (东岭镇人民政府 → 东岭镇);
* the study area's boundaries, which :mod:`planner.publish.maps` draws in any case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["ROAD_STYLES", "main_roads", "place_labels"]

#: How each road class is drawn (colour, width in px), most important first. Link roads
#: (motorway_link …) are drawn as their class.
ROAD_STYLES: dict[str, tuple[str, float]] = {
    "motorway": ("#e66101", 3.5),
    "trunk": ("#e66101", 3.0),
    "primary": ("#f1a340", 2.5),
    "secondary": ("#d8b365", 2.0),
    "tertiary": ("#9e9e9e", 1.2),
}

#: Chinese names of the road classes (tooltips).
ROAD_LABELS: dict[str, str] = {
    "motorway": "高速公路",
    "trunk": "快速路、国道",
    "primary": "主干道",
    "secondary": "次干道",
    "tertiary": "支路、县乡道",
}

_SEAT = re.compile(r"(人民政府|政府|办事处)$")

Display = Callable[[gpd.GeoSeries], gpd.GeoSeries]


def main_roads(streets: gpd.GeoDataFrame | None, display: Display) -> dict[str, Any] | None:
    """The main roads as a GeoJSON FeatureCollection in display coordinates, or None.

    Parameters
    ----------
    streets
        Street edges in a projected CRS with ``highway`` and ``name`` columns (the
        ``streets`` of :class:`planner.io.osm.OsmData`).
    display
        Turns a GeoSeries into display coordinates (EPSG:4326, or shifted to GCJ-02).

    Returns
    -------
    dict or None
        One feature per road class and name (lines merged, simplified by 20 m), with
        ``highway``, ``name`` and ``label`` properties; None without streets or main roads.
    """
    if streets is None or len(streets) == 0 or "highway" not in streets.columns:
        return None
    cls = streets["highway"].astype(str).str.replace("_link", "", regex=False)
    keep = cls.isin(list(ROAD_STYLES)).to_numpy()
    if not keep.any():
        return None
    names = (
        streets["name"].fillna("").astype(str).to_numpy()
        if "name" in streets.columns
        else np.full(len(streets), "", dtype=object)
    )
    sel = gpd.GeoDataFrame(
        {"highway": cls.to_numpy()[keep], "name": names[keep]},
        geometry=streets.geometry.to_numpy()[keep],
        crs=streets.crs,
    )
    order = {c: i for i, c in enumerate(ROAD_STYLES)}
    groups = sorted(
        sel.groupby(["highway", "name"], sort=True).groups.items(),
        key=lambda kv: (-order[kv[0][0]], kv[0][1]),  # minor roads first: main drawn on top
    )
    classes, labels, geoms = [], [], []
    for (hw, name), idx in groups:
        merged = shapely.line_merge(shapely.union_all(sel.geometry.loc[idx].to_numpy()))
        geoms.append(merged.simplify(20.0))
        classes.append(hw)
        labels.append(f"{name}（{ROAD_LABELS[hw]}）" if name else ROAD_LABELS[hw])
    shown = display(gpd.GeoSeries(geoms, crs=streets.crs))
    features = [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(g),
            "properties": {"highway": hw, "label": label},
        }
        for g, hw, label in zip(shown, classes, labels, strict=True)
        if g is not None and not g.is_empty
    ]
    return {"type": "FeatureCollection", "features": features}


def place_labels(
    units: gpd.GeoDataFrame, places: gpd.GeoDataFrame | None, display: Display
) -> list[tuple[str, float, float]]:
    """Names to write on the map: ``(name, lat, lon)`` in display coordinates.

    The study area's units are named at a point inside each (when there are several);
    town halls of the OSM places (``kind == "townhall"``) by their name without 人民政府 /
    办事处 (城关街道办事处 → 城关街道), unless it is a unit's name (the county's own
    government is not a township). Sorted by name, then position.
    """
    names: list[str] = []
    points: list[shapely.Geometry] = []
    crs = units.crs
    unit_names = (
        {str(n).strip() for n in units["name"] if isinstance(n, str)}
        if "name" in units.columns
        else set()
    )
    if len(units) > 1 and "name" in units.columns:
        for name, geom in zip(units["name"], units.geometry, strict=True):
            if isinstance(name, str) and name.strip() and geom is not None and not geom.is_empty:
                names.append(name.strip())
                points.append(geom.representative_point())
    if places is not None and len(places) and {"kind", "name"} <= set(places.columns):
        halls = places[(places["kind"] == "townhall") & places["name"].notna()]
        halls = halls.to_crs(crs) if halls.crs is not None and crs is not None else halls
        for name, geom in zip(halls["name"], halls.geometry, strict=True):
            short = _SEAT.sub("", str(name).strip())
            if short and short not in names and short not in unit_names and geom is not None:
                names.append(short)
                points.append(geom.representative_point())
    if not names:
        return []
    shown = display(gpd.GeoSeries(points, crs=crs))
    out = [
        (n, round(float(p.y), 6), round(float(p.x), 6)) for n, p in zip(names, shown, strict=True)
    ]
    return sorted(out)

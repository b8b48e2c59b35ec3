"""Projected CRS choice, reprojection, and the study area readers check against."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS

from planner import settings
from planner.errors import CRSError
from planner.io.coords import CoordSystem, convert, normalise_coord_system

__all__ = [
    "StudyArea",
    "choose_crs",
    "convert_geometries",
    "to_projected",
]

log = logging.getLogger(__name__)


def choose_crs(lon: float, lat: float, *, projection: str = settings.DEFAULT_PROJECTION) -> CRS:
    """Choose a projected metric CRS for an area centred at ``lon``, ``lat`` (WGS-84).

    Parameters
    ----------
    lon, lat
        Centre of the study area, degrees.
    projection
        ``"utm"`` for WGS 84 / UTM (EPSG:326xx north, 327xx south) or ``"cgcs2000"`` for
        the CGCS2000 3-degree Gauss-Kruger zone with the nearest central meridian
        (EPSG:4534-4554, China only).

    Examples
    --------
    >>> choose_crs(122.07, 37.52).to_epsg()   # Weihai
    32651
    >>> choose_crs(117.0, 36.65, projection="cgcs2000").to_epsg()   # Jinan, CM 117°E
    4548
    """
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise CRSError(f"centre ({lon}, {lat}) is not a longitude/latitude in degrees")
    if projection == "utm":
        zone = min(int((lon + 180.0) // 6.0) + 1, 60)
        return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)
    if projection == "cgcs2000":
        cm = int(round(lon / 3.0) * 3)
        if not 75 <= cm <= 135:
            raise CRSError(
                f"longitude {lon} is outside the CGCS2000 3-degree zones (75°E-135°E)",
                fix="use projection='utm'",
            )
        return CRS.from_epsg(4534 + (cm - 75) // 3)
    raise CRSError(f"unknown projection {projection!r}", fix="use 'utm' or 'cgcs2000'")


def convert_geometries(geoms: ArrayLike, src: CoordSystem | str, dst: CoordSystem | str) -> Any:
    """Shift every vertex of lon/lat geometries between WGS-84, GCJ-02 and BD-09."""
    s, d = normalise_coord_system(src), normalise_coord_system(dst)
    arr = np.asarray(geoms, dtype=object)
    if s == d:
        return arr

    def _shift(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = convert(xy[:, 0], xy[:, 1], s, d)
        return np.column_stack([lon, lat])

    return shapely.transform(arr, _shift)


def to_projected(gdf: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """Reproject to ``crs``, logging when a change happens."""
    if gdf.crs is None:
        raise CRSError("layer has no CRS", fix="declare the coordinate system of the input")
    if CRS(gdf.crs) == crs:
        return gdf
    log.info("reprojecting %d features from %s to %s", len(gdf), gdf.crs.name, crs.name)
    return gdf.to_crs(crs)


@dataclass(frozen=True)
class StudyArea:
    """The area a study covers.

    Attributes
    ----------
    name
        Human name, e.g. ``"烟台市"`` or ``"demo county"``.
    units
        Administrative units (counties or townships) in ``crs`` with at least the
        columns ``code`` and ``name``.
    crs
        The projected metric CRS every layer of the study is returned in.
    """

    name: str
    units: gpd.GeoDataFrame
    crs: CRS

    @classmethod
    def from_units(
        cls,
        units: gpd.GeoDataFrame,
        *,
        name: str | None = None,
        projection: str = settings.DEFAULT_PROJECTION,
    ) -> StudyArea:
        """Make a study area from unit polygons in any CRS, choosing the projected CRS."""
        if units.crs is None:
            raise CRSError("study area units have no CRS", fix="set a CRS on the boundaries")
        if len(units) == 0:
            raise CRSError("study area has no units")
        lon_lat = units.to_crs(4326)
        minx, miny, maxx, maxy = lon_lat.total_bounds
        crs = choose_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0, projection=projection)
        if name is None:
            name = "、".join(str(n) for n in units["name"].head(3)) if "name" in units else "area"
            if len(units) > 3:
                name += f" 等{len(units)}个"
        return cls(name=name, units=units.to_crs(crs), crs=crs)

    @classmethod
    def from_bbox(
        cls, west: float, south: float, east: float, north: float, *, name: str = "area"
    ) -> StudyArea:
        """A rectangular study area from WGS-84 bounds (degrees)."""
        units = gpd.GeoDataFrame(
            {"code": ["bbox"], "name": [name]},
            geometry=[shapely.box(west, south, east, north)],
            crs=4326,
        )
        return cls.from_units(units, name=name)

    @property
    def geometry(self) -> shapely.Geometry:
        """Union of the units, in ``crs``."""
        return shapely.union_all(np.asarray(self.units.geometry.values))

    @property
    def area_km2(self) -> float:
        return float(self.geometry.area) / 1e6

    def bounds_wgs84(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees."""
        b = self.units.to_crs(4326).total_bounds
        return float(b[0]), float(b[1]), float(b[2]), float(b[3])

    def distance_outside_m(self, geoms: ArrayLike) -> NDArray[np.float64]:
        """Distance (m) of projected geometries outside the area; 0 inside, NaN for empty."""
        arr = np.asarray(geoms, dtype=object)
        area = self.geometry
        shapely.prepare(area)
        dist = shapely.distance(area, arr)
        return np.asarray(dist, dtype=float)


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> Any:
    """Great-circle distance in metres (sphere of radius 6,371,000 m)."""
    r = 6_371_000.0
    p1 = np.radians(np.asarray(lat1, dtype=float))
    p2 = np.radians(np.asarray(lat2, dtype=float))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))

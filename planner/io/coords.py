"""Chinese coordinate systems: WGS-84 ⇄ GCJ-02 ⇄ BD-09, vectorised.

GCJ-02 ("Mars coordinates") is the obfuscated datum every map published in
mainland China must use (AMap/高德, Tencent, DataV). BD-09 is Baidu's further
offset of GCJ-02. Both are lon/lat in degrees, shifted from WGS-84 by a few
hundred metres in Shandong.

The forward transforms are the widely published formulas (the GCJ-02 one
reverse-engineered from the official obfuscation, using the Krasovsky 1940
ellipsoid constants; BD-09 from Baidu's published JavaScript). The inverses
are solved by fixed-point iteration until the round trip agrees to 1e-9
degrees (about 0.1 mm), far below the < 1 m requirement.

Outside mainland China no offset is applied (as AMap and Baidu do), so
WGS-84 coordinates abroad pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from planner.errors import CRSError, InvalidValueError

__all__ = [
    "COORD_SYSTEMS",
    "CoordSystem",
    "bd09_to_gcj02",
    "convert",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "normalise_coord_system",
    "out_of_china",
    "wgs84_to_gcj02",
]

CoordSystem = Literal["wgs84", "gcj02", "bd09"]
COORD_SYSTEMS: tuple[CoordSystem, ...] = ("wgs84", "gcj02", "bd09")

# Krasovsky 1940 semi-major axis and eccentricity squared, as in the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

# Names users write for each system (lower-cased, spaces/dashes/underscores removed).
_ALIASES: dict[str, CoordSystem] = {
    "wgs84": "wgs84",
    "epsg4326": "wgs84",
    "4326": "wgs84",
    "gps": "wgs84",
    "osm": "wgs84",
    "cgcs2000": "wgs84",  # CGCS2000 and WGS-84 differ by centimetres
    "epsg4490": "wgs84",
    "4490": "wgs84",
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "mars": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "高德": "gcj02",
    "火星坐标": "gcj02",
    "火星坐标系": "gcj02",
    "国测局坐标": "gcj02",
    "tencent": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
    "百度": "bd09",
    "百度坐标": "bd09",
}


def normalise_coord_system(name: str, *, where: str = "coordinate system") -> CoordSystem:
    """Return the canonical name (``wgs84``, ``gcj02`` or ``bd09``) of a coordinate system.

    Parameters
    ----------
    name
        What the user wrote: ``"GCJ-02"``, ``"bd09"``, ``"EPSG:4326"``, ``"高德"`` …
    where
        Where the name came from, used in the error message.

    Examples
    --------
    >>> normalise_coord_system("GCJ-02")
    'gcj02'
    >>> normalise_coord_system("EPSG:4326")
    'wgs84'
    """
    key = str(name).strip().lower()
    for ch in " -_:.":
        key = key.replace(ch, "")
    if key in _ALIASES:
        return _ALIASES[key]
    raise CRSError(
        f"unknown coordinate system {name!r} in {where}",
        fix="use one of wgs84 (GPS, OpenStreetMap), gcj02 (AMap/高德, DataV, Tencent) or bd09 (Baidu)",
    )


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies outside the rough box in which the offset applies."""
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    return np.asarray((lon_a < 72.004) | (lon_a > 137.8347) | (lat_a < 0.8293) | (lat_a > 55.8271))


def _delta(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlat = dlat + common
    dlat = dlat + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlon = dlon + common
    dlon = dlon + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lon_a = np.array(lon, dtype=float, copy=True)
    lat_a = np.array(lat, dtype=float, copy=True)
    if lon_a.shape != lat_a.shape:
        raise InvalidValueError(f"lon and lat differ in shape: {lon_a.shape} vs {lat_a.shape}")
    return lon_a, lat_a


def wgs84_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shift WGS-84 lon/lat (degrees) to GCJ-02.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02([116.397128], [39.916527])
    >>> round(float(lon[0]), 6), round(float(lat[0]), 6)
    (116.403372, 39.917931)
    """
    lon_a, lat_a = _arrays(lon, lat)
    dlon, dlat = _delta(lon_a, lat_a)
    outside = out_of_china(lon_a, lat_a)
    return (
        np.where(outside, lon_a, lon_a + dlon),
        np.where(outside, lat_a, lat_a + dlat),
    )


def gcj02_to_bd09(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shift GCJ-02 lon/lat to BD-09 (Baidu); unchanged outside China."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    outside = out_of_china(x, y)
    return (
        np.where(outside, x, z * np.cos(theta) + 0.0065),
        np.where(outside, y, z * np.sin(theta) + 0.006),
    )


def _bd09_to_gcj02_approx(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


_Forward = Callable[[ArrayLike, ArrayLike], tuple[NDArray[np.float64], NDArray[np.float64]]]

_TOL_DEG = 1e-9
_MAX_ITER = 30


def _invert(
    forward: _Forward,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    guess: tuple[NDArray[np.float64], NDArray[np.float64]],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Solve forward(x) = target by fixed-point iteration from a first guess."""
    x_lon, x_lat = guess
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(x_lon, x_lat)
        e_lon = f_lon - lon
        e_lat = f_lat - lat
        x_lon = x_lon - e_lon
        x_lat = x_lat - e_lat
        if np.all(np.abs(e_lon[np.isfinite(e_lon)]) < _TOL_DEG) and np.all(
            np.abs(e_lat[np.isfinite(e_lat)]) < _TOL_DEG
        ):
            break
    return x_lon, x_lat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shift GCJ-02 lon/lat back to WGS-84 (iterative inverse, error < 1e-6 m scale)."""
    lon_a, lat_a = _arrays(lon, lat)
    dlon, dlat = _delta(lon_a, lat_a)
    guess = (lon_a - dlon, lat_a - dlat)
    return _invert(wgs84_to_gcj02, lon_a, lat_a, guess)


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shift BD-09 lon/lat back to GCJ-02 (iterative inverse); unchanged outside China."""
    lon_a, lat_a = _arrays(lon, lat)
    outside = out_of_china(lon_a, lat_a)
    approx_lon, approx_lat = _bd09_to_gcj02_approx(lon_a, lat_a)
    guess = (np.where(outside, lon_a, approx_lon), np.where(outside, lat_a, approx_lat))
    return _invert(gcj02_to_bd09, lon_a, lat_a, guess)


def convert(
    lon: ArrayLike,
    lat: ArrayLike,
    src: CoordSystem | str,
    dst: CoordSystem | str = "wgs84",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert lon/lat arrays between ``wgs84``, ``gcj02`` and ``bd09``.

    Parameters
    ----------
    lon, lat
        Degrees, any shape (broadcast as numpy arrays of equal shape). NaN stays NaN.
    src, dst
        Coordinate system names (aliases such as ``"GCJ-02"`` or ``"baidu"`` accepted).

    Returns
    -------
    tuple of numpy.ndarray
        Converted longitudes and latitudes (new arrays).

    Examples
    --------
    >>> lon, lat = convert([121.4470], [37.4640], "bd09", "wgs84")
    >>> bool(abs(lon[0] - 121.4351) < 0.001)
    True
    """
    s = normalise_coord_system(src)
    d = normalise_coord_system(dst)
    lon_a, lat_a = _arrays(lon, lat)
    if s == d:
        return lon_a, lat_a
    # Go through GCJ-02, the hub of the three.
    if s == "wgs84":
        lon_a, lat_a = wgs84_to_gcj02(lon_a, lat_a)
    elif s == "bd09":
        lon_a, lat_a = bd09_to_gcj02(lon_a, lat_a)
    if d == "wgs84":
        return gcj02_to_wgs84(lon_a, lat_a)
    if d == "bd09":
        return gcj02_to_bd09(lon_a, lat_a)
    return lon_a, lat_a

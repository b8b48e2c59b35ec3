"""Population grids (WorldPop, GHS-POP GeoTIFFs) → demand cells.

Population grids become demand cells in a projected CRS:

- :func:`read_population_grid` reads a GeoTIFF of people per cell (any CRS: WorldPop in
  EPSG:4326, GHS-POP in Mollweide ESRI:54009, UTM …), optionally only the window that
  covers a study area, and returns one point per populated cell.
Census counts per admin polygon are in :mod:`planner.io.census`.
"""

from __future__ import annotations

import logging
import math
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from planner.errors import (
    CoordinateError,
    CRSError,
    InputFileError,
    InvalidValueError,
)
from planner.io._tables import check_file
from planner.io.crs import StudyArea, choose_crs

__all__ = ["read_population_grid"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

#: Rows of a raster read at once (bounds memory; one progress step each).
_STRIP_ROWS = 1024

#: Extra cells read around the study area's bounds, so cells whose centre lies just inside
#: the area are never cut by rounding of the window.
_WINDOW_MARGIN_CELLS = 2

_CELL_COLUMNS = ["cell_id", "row", "col", "population", "cell_area_m2"]


# --------------------------------------------------------------------------------------
# Gridded population
# --------------------------------------------------------------------------------------


def read_population_grid(
    path: PathArg,
    *,
    area: StudyArea | None = None,
    crs: CRS | str | int | None = None,
    band: int = 1,
    aggregate_m: float | None = None,
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """Read a population raster (people per cell) as one point per populated cell.

    Parameters
    ----------
    path
        GeoTIFF (or any raster GDAL reads) of population counts per cell, e.g. a WorldPop
        100 m grid (EPSG:4326) or GHS-POP (Mollweide, ESRI:54009). The raster must carry
        its CRS.
    area
        Study area. When given, only the window covering the area's bounds (plus two
        cells) is read, cells whose centre lies outside the area's polygons are left out,
        and the result is in ``area.crs``.
    crs
        Output CRS when no ``area`` is given (must be projected). Default: the UTM zone of
        the populated cells (:func:`planner.io.crs.choose_crs`).
    band
        Band holding the counts (1-based).
    aggregate_m
        When given, sum the cells onto a square grid of this size (metres) in the output
        CRS, anchored at multiples of ``aggregate_m`` (so grids of different runs line up,
        and line up with :func:`census_to_cells` at the same size). A native cell goes to
        the coarse cell holding its centre.
    progress
        Show a progress bar (one step per strip of 1,024 raster rows).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell with population > 0, in raster order (row, then column):

        - ``cell_id``: native grid: ``row * width + col`` (int64; ``width`` = columns of
          the whole raster, so ids do not depend on the window). Aggregated grid: text
          ``"r{row}c{col}"`` of the coarse indices.
        - ``row``, ``col``: native grid: the pixel's row and column in the whole raster
          (0-based, row 0 at the top). Aggregated: ``floor(y / aggregate_m)`` and
          ``floor(x / aggregate_m)`` in the output CRS (rows grow northwards).
        - ``population``: people in the cell (float).
        - ``cell_area_m2``: true area of the cell: on the ellipsoid for a lon/lat raster
          (exact closed form), the grid area for a projected one (exact for equal-area
          grids such as GHS-POP's Mollweide), ``aggregate_m ** 2`` when aggregated.
        - geometry: the cell centre (Point) in the output CRS.

    Notes
    -----
    Nodata pixels are the declared nodata value (also NaN, -99999, -3.4e38 …) and NaN
    even when another nodata value is declared (counted in a warning). Other negative
    values are an error. Totals are summed in float64.

    Raises
    ------
    MissingFileError, InputFileError
        The file is missing, is not a raster, or is a rotated grid.
    CRSError
        The raster has no CRS, or ``crs`` is not projected.
    InvalidValueError
        Negative (non-nodata) or infinite values; a band that does not exist.
    CoordinateError
        ``area`` does not overlap the raster.

    Examples
    --------
    >>> cells = read_population_grid("worldpop_yantai_100m.tif", area=area)  # doctest: +SKIP
    >>> cells["population"].sum()  # doctest: +SKIP
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    p = check_file(path, what="population grid")
    if aggregate_m is not None and not (math.isfinite(aggregate_m) and aggregate_m > 0):
        raise InvalidValueError(
            f"aggregate_m must be a positive number of metres, got {aggregate_m!r}",
            path=p,
            fix="give e.g. aggregate_m=500, or leave it out to keep the native cells",
        )
    try:
        src = rasterio.open(p)
    except RasterioIOError as exc:
        raise InputFileError(
            f"not a raster GDAL can read ({exc})",
            path=p,
            fix="give a GeoTIFF of people per cell (WorldPop, GHS-POP)",
        ) from exc
    with src:
        if src.crs is None:
            raise CRSError(
                "the population grid has no CRS",
                path=p,
                fix="assign it, e.g. `gdal_edit.py -a_srs EPSG:4326 file.tif` for WorldPop or"
                " `-a_srs ESRI:54009` for GHS-POP Mollweide",
            )
        if not 1 <= band <= src.count:
            raise InvalidValueError(
                f"band {band} does not exist (the raster has {src.count} band(s))",
                path=p,
                fix=f"choose a band between 1 and {src.count}",
            )
        t = src.transform
        if t.b != 0 or t.d != 0:
            raise InputFileError(
                "the grid is rotated or sheared, which is not supported",
                path=p,
                fix="warp it north-up first, e.g. `gdalwarp in.tif out.tif`",
            )
        src_crs = CRS.from_wkt(src.crs.to_wkt())
        out_crs = _output_crs(area, crs, where=str(p))
        row0, row1, col0, col1 = _read_window(src, src_crs, area, p)
        nodata = src.nodatavals[band - 1]
        rows, cols, values = _read_populated(
            src, band, nodata, (row0, row1, col0, col1), path=p, progress=progress
        )
        width = int(src.width)
        cell_area = _cell_areas(src_crs, t, rows, p)

    # Cell centres in the raster CRS, then in the output CRS.
    x_src = t.c + (cols + 0.5) * t.a
    y_src = t.f + (rows + 0.5) * t.e
    if out_crs is None:
        out_crs = _crs_from_points(src_crs, x_src, y_src, p)
    x, y = _transform_xy(src_crs, out_crs, x_src, y_src)

    if area is not None:
        geom = area.geometry
        shapely.prepare(geom)
        inside = np.asarray(shapely.contains_xy(geom, x, y))
        n_window = int(rows.size)
        if not inside.all():
            rows, cols, values, cell_area = (
                rows[inside],
                cols[inside],
                values[inside],
                cell_area[inside],
            )
            x, y = x[inside], y[inside]
        log.info(
            "%s: %d of %d populated cell(s) in the read window have their centre inside '%s'",
            p,
            int(rows.size),
            n_window,
            area.name,
        )
        if rows.size == 0:
            log.warning(
                "%s: no populated cell has its centre inside the study area '%s'", p, area.name
            )

    if aggregate_m is not None:
        return _aggregate(x, y, values, aggregate_m, out_crs, native_area_m2=cell_area, path=p)

    gdf = gpd.GeoDataFrame(
        {
            "cell_id": rows.astype(np.int64) * width + cols.astype(np.int64),
            "row": rows.astype(np.int64),
            "col": cols.astype(np.int64),
            "population": values,
            "cell_area_m2": cell_area,
        },
        geometry=gpd.points_from_xy(x, y),
        crs=out_crs,
    )
    log.info(
        "%s: %d populated cell(s), population %.0f, in %s",
        p,
        len(gdf),
        float(values.sum()),
        out_crs.name,
    )
    return gdf


def _output_crs(area: StudyArea | None, crs: CRS | str | int | None, *, where: str) -> CRS | None:
    """The projected output CRS, or None when it has to be chosen from the data."""
    if area is not None:
        return CRS(area.crs)
    if crs is None:
        return None
    try:
        out = CRS.from_user_input(crs)
    except Exception as exc:  # pyproj.exceptions.CRSError
        raise CRSError(
            f"unknown CRS {crs!r} ({exc})", path=where, fix="give an EPSG code, e.g. 32651"
        ) from exc
    if not out.is_projected:
        raise CRSError(
            f"output CRS {out.name} is not projected (distances would be in degrees)",
            path=where,
            fix="give a projected metric CRS (e.g. UTM EPSG:32650/32651), or leave crs out",
        )
    return out


def _read_window(
    src: Any, src_crs: CRS, area: StudyArea | None, path: Path
) -> tuple[int, int, int, int]:
    """Rows [row0, row1) and columns [col0, col1) of the raster to read."""
    from rasterio.warp import transform_bounds
    from rasterio.windows import from_bounds

    height, width = int(src.height), int(src.width)
    if area is None:
        return 0, height, 0, width
    minx, miny, maxx, maxy = (float(v) for v in area.units.total_bounds)
    left, bottom, right, top = transform_bounds(
        area.crs.to_wkt(), src.crs, minx, miny, maxx, maxy, densify_pts=21
    )
    win = from_bounds(left, bottom, right, top, transform=src.transform)
    c_a, c_b = win.col_off, win.col_off + win.width
    r_a, r_b = win.row_off, win.row_off + win.height
    m = _WINDOW_MARGIN_CELLS
    col0 = max(0, math.floor(min(c_a, c_b)) - m)
    col1 = min(width, math.ceil(max(c_a, c_b)) + m)
    row0 = max(0, math.floor(min(r_a, r_b)) - m)
    row1 = min(height, math.ceil(max(r_a, r_b)) + m)
    if col1 <= col0 or row1 <= row0:
        b = src.bounds
        raise CoordinateError(
            f"the population grid (bounds {b.left:.6g}, {b.bottom:.6g}, {b.right:.6g},"
            f" {b.top:.6g} in {src_crs.name}) does not overlap the study area '{area.name}'"
            f" (bounds {left:.6g}, {bottom:.6g}, {right:.6g}, {top:.6g} in the same CRS)",
            path=path,
            fix="use a raster that covers the study area (e.g. the WorldPop tile of China)",
        )
    log.debug("%s: reading rows %d-%d, columns %d-%d", path, row0, row1, col0, col1)
    return row0, row1, col0, col1


def _nodata_mask(data: NDArray[Any], nodata: float | None) -> NDArray[np.bool_]:
    """Pixels equal to the declared nodata value (compared in the band's own dtype)."""
    if nodata is None:
        return np.zeros(data.shape, dtype=bool)
    if math.isnan(nodata):
        if np.issubdtype(data.dtype, np.floating):
            return np.asarray(np.isnan(data))
        return np.zeros(data.shape, dtype=bool)
    if np.issubdtype(data.dtype, np.integer):
        info = np.iinfo(data.dtype)
        if not (info.min <= nodata <= info.max and float(nodata).is_integer()):
            return np.zeros(data.shape, dtype=bool)
    value = np.asarray(nodata).astype(data.dtype)
    return np.asarray(data == value)


def _read_populated(
    src: Any,
    band: int,
    nodata: float | None,
    window: tuple[int, int, int, int],
    *,
    path: Path,
    progress: bool,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Rows, columns and values of the populated pixels of a window, checking values."""
    from rasterio.windows import Window

    row0, row1, col0, col1 = window
    starts = list(range(row0, row1, _STRIP_ROWS))
    steps: Any = starts
    if progress:
        from tqdm import tqdm

        steps = tqdm(starts, desc=f"reading {path.name}", unit="strip")
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    vals: list[NDArray[np.float64]] = []
    n_nodata = n_nan = n_zero = 0
    n_negative = n_inf = 0
    first_negative: tuple[int, int, float] | None = None
    first_inf: tuple[int, int] | None = None
    for start in steps:
        stop = min(start + _STRIP_ROWS, row1)
        data = src.read(band, window=Window(col0, start, col1 - col0, stop - start))
        nod = _nodata_mask(data, nodata)
        values = data.astype(np.float64)
        nan = np.isnan(values)
        n_nodata += int(nod.sum())
        nan_only = nan & ~nod
        n_nan += int(nan_only.sum())
        valid = ~(nod | nan)
        neg = valid & (values < 0)
        if neg.any():
            n_negative += int(neg.sum())
            if first_negative is None:
                r, c = np.argwhere(neg)[0]
                first_negative = (int(r) + start, int(c) + col0, float(values[r, c]))
        inf = valid & np.isinf(values)
        if inf.any():
            n_inf += int(inf.sum())
            if first_inf is None:
                r, c = np.argwhere(inf)[0]
                first_inf = (int(r) + start, int(c) + col0)
        populated = valid & (values > 0)
        n_zero += int((valid & (values == 0)).sum())
        r_idx, c_idx = np.nonzero(populated)
        rows.append(r_idx.astype(np.int64) + start)
        cols.append(c_idx.astype(np.int64) + col0)
        vals.append(values[r_idx, c_idx])
    if first_negative is not None:
        r, c, v = first_negative
        declared = "no nodata value is declared" if nodata is None else f"nodata is {nodata:g}"
        raise InvalidValueError(
            f"pixel row {r}, col {c} (0-based) holds a negative population {v:g};"
            f" {n_negative} negative pixel(s) that are not nodata ({declared})",
            path=path,
            fix="declare the nodata value (e.g. `gdal_edit.py -a_nodata -99999 file.tif`)"
            " or correct the raster",
        )
    if first_inf is not None:
        r, c = first_inf
        raise InvalidValueError(
            f"pixel row {r}, col {c} (0-based) is infinite; {n_inf} infinite pixel(s)",
            path=path,
            fix="declare the nodata value or correct the raster",
        )
    if n_nan:
        log.warning(
            "%s: %d NaN pixel(s) read as nodata (the declared nodata is %s)",
            path,
            n_nan,
            "none" if nodata is None else f"{nodata:g}",
        )
    log.debug("%s: %d nodata and %d zero pixel(s) skipped", path, n_nodata, n_zero)
    if not rows:
        empty_i: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        return empty_i, empty_i.copy(), np.zeros(0, dtype=np.float64)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def _ellipsoid_band_area(
    a_m: float, e2: float, dlon_rad: float, lat1: NDArray[np.float64], lat2: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Area (m²) of an ellipsoidal quadrangle ``dlon_rad`` wide between two latitudes (deg).

    Uses the closed form of the authalic integral: for latitude φ,
    ``q(φ) = sin φ / (1 - e² sin² φ) + atanh(e sin φ) / e``, and the area is
    ``a² (1 - e²) Δλ |q(φ2) - q(φ1)| / 2``. A sphere (e = 0) gives ``a² Δλ |Δ sin φ|``.
    """
    s1 = np.sin(np.radians(lat1))
    s2 = np.sin(np.radians(lat2))
    if e2 <= 0:
        return np.asarray(a_m * a_m * abs(dlon_rad) * np.abs(s2 - s1))
    e = math.sqrt(e2)

    def q(s: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(s / (1.0 - e2 * s * s) + np.arctanh(e * s) / e)

    return np.asarray(a_m * a_m * (1.0 - e2) * abs(dlon_rad) * np.abs(q(s2) - q(s1)) / 2.0)


def _cell_areas(src_crs: CRS, t: Any, rows: NDArray[np.int64], path: Path) -> NDArray[np.float64]:
    """True cell area (m²) of each populated pixel."""
    if src_crs.is_geographic:
        ell = src_crs.ellipsoid
        if ell is None:
            raise CRSError(
                f"geographic CRS {src_crs.name} has no ellipsoid",
                path=path,
                fix="assign EPSG:4326",
            )
        a_m = float(ell.semi_major_metre)
        inv_f = float(ell.inverse_flattening)
        f = 1.0 / inv_f if inv_f else 0.0
        e2 = f * (2.0 - f)
        unit = src_crs.axis_info[0].unit_conversion_factor  # radians per unit
        dlon = abs(t.a) * unit
        to_deg = math.degrees(unit)
        lat1 = (t.f + rows * t.e) * to_deg
        lat2 = (t.f + (rows + 1) * t.e) * to_deg
        return _ellipsoid_band_area(a_m, e2, dlon, lat1, lat2)
    factor = src_crs.axis_info[0].unit_conversion_factor if src_crs.axis_info else 1.0
    return np.full(rows.shape, abs(t.a * t.e) * factor * factor, dtype=np.float64)


def _crs_from_points(
    src_crs: CRS, x: NDArray[np.float64], y: NDArray[np.float64], path: Path
) -> CRS:
    """UTM zone of the centre of the populated cells' bounding box."""
    if x.size == 0:
        raise InvalidValueError(
            "the population grid has no populated cell (every pixel is nodata or 0)",
            path=path,
            fix="check the band and the nodata value, or pass crs= explicitly",
        )
    tr = Transformer.from_crs(src_crs, CRS.from_epsg(4326), always_xy=True)
    xmin, ymin, xmax, ymax = tr.transform_bounds(
        float(x.min()), float(y.min()), float(x.max()), float(y.max()), densify_pts=21
    )
    return choose_crs((xmin + xmax) / 2.0, (ymin + ymax) / 2.0)


def _transform_xy(
    src: CRS, dst: CRS, x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    if src == dst:
        return x, y
    tr = Transformer.from_crs(src, dst, always_xy=True)
    xx, yy = tr.transform(x, y)
    return np.asarray(xx, dtype=np.float64), np.asarray(yy, dtype=np.float64)


def _aggregate(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    values: NDArray[np.float64],
    size_m: float,
    out_crs: CRS,
    *,
    native_area_m2: NDArray[np.float64],
    path: Path,
) -> gpd.GeoDataFrame:
    """Sum points onto a square grid anchored at multiples of ``size_m``."""
    if values.size and float(np.median(native_area_m2)) > size_m * size_m * (1 + 1e-9):
        log.warning(
            "%s: aggregate_m=%g is smaller than the native cells (median %.0f m²);"
            " each native cell still goes to one coarse cell",
            path,
            size_m,
            float(np.median(native_area_m2)),
        )
    ix = np.floor(x / size_m).astype(np.int64)
    iy = np.floor(y / size_m).astype(np.int64)
    frame = pd.DataFrame({"row": iy, "col": ix, "population": values})
    summed = frame.groupby(["row", "col"], sort=True, as_index=False)["population"].sum()
    r = summed["row"].to_numpy(dtype=np.int64)
    c = summed["col"].to_numpy(dtype=np.int64)
    gdf = gpd.GeoDataFrame(
        {
            "cell_id": _grid_ids(r, c),
            "row": r,
            "col": c,
            "population": summed["population"].to_numpy(dtype=np.float64),
            "cell_area_m2": np.full(r.shape, size_m * size_m, dtype=np.float64),
        },
        geometry=gpd.points_from_xy((c + 0.5) * size_m, (r + 0.5) * size_m),
        crs=out_crs,
    )
    log.info(
        "%s: %d native cell(s) summed onto %d cell(s) of %g m",
        path,
        int(values.size),
        len(gdf),
        size_m,
    )
    return gdf


def _grid_ids(rows: NDArray[np.int64], cols: NDArray[np.int64]) -> NDArray[np.object_]:
    """Text ids ``r{row}c{col}`` of grid cells (vectorised through pandas)."""
    if rows.size == 0:
        return np.zeros(0, dtype=object)
    ids = "r" + pd.Series(rows).astype(str) + "c" + pd.Series(cols).astype(str)
    return ids.to_numpy(dtype=object)

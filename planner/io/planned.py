"""Proposed sites edited in QGIS, read back as planned markets for a rerun.

The loop bureaus work in: open the run's GeoPackage in QGIS, move a proposed site to a
building the street office offers, delete one the county rejects, add one, save, then

.. code-block:: bash

    planner run study.toml --sites edited.gpkg

:func:`read_planned_sites` reads the ``sites`` layer of that file (and the markets of its
``markets`` layer marked ``status = planned``, so sites kept in an earlier round stay kept)
as markets with status ``planned``; the rerun counts them as existing markets, measures
coverage with them and sites only what they still leave uncovered. A site deleted in QGIS
is gone; a site added in QGIS without a ``site_id`` gets ``<layer>-<fid>``.

Everything is checked on the way in, and each problem is one error naming the file, the
layer, the field or feature and the fix: the file or layer missing, a layer without a CRS,
no ``tier`` field or a tier planner does not know, a feature without a point, repeated
ids, a site far outside the study area (what a wrong CRS looks like).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner import settings
from planner.errors import (
    ColumnError,
    CoordinateError,
    CRSError,
    DuplicateIdError,
    GeometryError,
    InputFileError,
    InvalidValueError,
)
from planner.io._tables import check_file
from planner.io.crs import StudyArea
from planner.io.markets import TIER_ALIASES
from planner.io.runfile import list_gpkg_layers, read_layer

__all__ = ["MAX_OUTSIDE_M", "PlannedSites", "read_planned_sites"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

#: Farthest (m) a planned site may lie from the study area's units. A market just across
#: a county line serves the county too, so sites outside are accepted; one 50 km away (two
#: county widths in Shandong) is not a site of this study but almost always a layer saved
#: in another CRS than it claims (lon/lat degrees read as metres land near the UTM origin,
#: thousands of km away).
MAX_OUTSIDE_M: float = 50_000.0

_FIX_CRS = (
    "check the layer's CRS in QGIS (Layer Properties → Source → Assigned Coordinate "
    "Reference System; planner writes EPSG:4326 unless [outputs] gpkg_crs says otherwise) "
    "and move the sites back into the study area"
)


@dataclass
class PlannedSites:
    """Planned sites read from an edited GeoPackage.

    Attributes
    ----------
    markets
        ``market_id``, ``name``, ``tier``, ``status`` (``"planned"``), ``source`` (the file
        name), point geometry in the study's CRS: ready to join the existing markets.
    path
        The file read.
    notes
        What was read, for the run's notes (and ``summary.json``).
    """

    markets: gpd.GeoDataFrame
    path: Path
    notes: list[str] = field(default_factory=list)


def _squash(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).lower()


_TIER_WORDS: dict[str, str] = {
    **{_squash(k): v for k, v in TIER_ALIASES.items()},
    **{_squash(v): k for k, v in settings.TIER_LABELS_ZH.items()},
    **{t: t for t in settings.TIERS},
}


def _tier(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return _TIER_WORDS.get(_squash(str(value)))


def _fids(index: pd.Index, mask: np.ndarray) -> str:
    ids = [str(i) for i in index[mask]]
    more = f" … ({len(ids)} features)" if len(ids) > 5 else ""
    return ", ".join(ids[:5]) + more


def _points(raw: gpd.GeoDataFrame, path: Path, layer: str) -> gpd.GeoSeries:
    geoms = raw.geometry
    empty = (geoms.isna() | geoms.is_empty).to_numpy()
    if empty.any():
        raise GeometryError(
            f"layer '{layer}': feature(s) fid {_fids(raw.index, empty)} have no location",
            path=path,
            fix="place each site on the map in QGIS, or delete the feature",
        )
    arr = np.asarray(geoms.values)
    multi = shapely.get_type_id(arr) == 4  # MultiPoint
    if multi.any():
        one = shapely.get_num_geometries(arr[multi]) == 1
        if not one.all():
            bad = np.flatnonzero(multi)[~one]
            raise GeometryError(
                f"layer '{layer}': feature(s) fid {_fids(raw.index, np.isin(np.arange(len(raw)), bad))}"
                " hold several points",
                path=path,
                fix="give each site one point (split the feature in QGIS)",
            )
        arr = arr.copy()
        arr[multi] = shapely.get_geometry(arr[multi], 0)
    kind = shapely.get_type_id(arr)
    if (kind != 0).any():
        raise GeometryError(
            f"layer '{layer}': feature(s) fid {_fids(raw.index, kind != 0)} are not points "
            f"({', '.join(sorted(set(shapely.get_type_id(arr[kind != 0]).astype(str))))})",
            path=path,
            fix="a site is a point: draw it with Add Point Feature in QGIS",
        )
    return gpd.GeoSeries(arr, index=raw.index, crs=raw.crs)


def _sites_of(
    raw: gpd.GeoDataFrame, path: Path, layer: str, notes: list[str], crs: CRS
) -> gpd.GeoDataFrame:
    """Validated id, name, tier and point (in ``crs``) of every feature of a sites layer."""
    if raw.crs is None:
        raise CRSError(
            f"layer '{layer}' has no CRS",
            path=path,
            fix="assign its CRS in QGIS (Layer Properties → Source; planner writes EPSG:4326)"
            " and save again",
        )
    if "tier" not in raw.columns:
        raise ColumnError(
            f"layer '{layer}' has no field 'tier' (fields: {', '.join(map(str, raw.columns))})",
            path=path,
            column="tier",
            fix="add a text field 'tier' holding comprehensive, sector or station (or "
            "综合性零工市场, 行业性零工市场, 零工服务站点) for each site",
        )
    pts = _points(raw, path, layer)
    tiers = [_tier(v) for v in raw["tier"]]
    bad = np.array([t is None for t in tiers])
    if bad.any():
        shown = sorted({str(v) for v, b in zip(raw["tier"], bad, strict=True) if b})
        raise InvalidValueError(
            f"layer '{layer}': feature(s) fid {_fids(raw.index, bad)} have tier "
            f"{', '.join(repr(s) for s in shown[:5])}, which is not a tier",
            path=path,
            column="tier",
            fix="use comprehensive, sector or station (or 综合性零工市场, 行业性零工市场, "
            "零工服务站点)",
        )
    id_col = "site_id" if layer != "markets" else "market_id"
    ids: list[str] = []
    made: list[str] = []
    values = raw[id_col] if id_col in raw.columns else pd.Series([None] * len(raw))
    for fid, v in zip(raw.index, values, strict=True):
        text = "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
        if not text.strip():
            text = f"{layer}-{fid}"
            made.append(text)
        ids.append(text.strip())
    if made:
        notes.append(
            f"{path.name}, layer '{layer}': {len(made)} site(s) without a {id_col} were given "
            f"one: {', '.join(made[:10])}"
        )
    names = raw["name"] if "name" in raw.columns else pd.Series([None] * len(raw))
    name = [
        i if n is None or n is pd.NA or (isinstance(n, float) and n != n) or not str(n) else str(n)
        for i, n in zip(ids, names, strict=True)
    ]
    return gpd.GeoDataFrame(
        {"market_id": ids, "name": name, "tier": tiers, "fid": list(raw.index), "layer": layer},
        geometry=pts.to_crs(crs).to_numpy(),
        crs=crs,
    )


def read_planned_sites(path: PathArg, *, area: StudyArea, layer: str = "sites") -> PlannedSites:
    """Read proposed sites edited in QGIS as planned markets of the study.

    Parameters
    ----------
    path
        A GeoPackage with a ``sites`` layer: the run's file, edited, or a copy QGIS saved
        (fields ``site_id``, ``tier``, ``name``; only ``tier`` is required).
    area
        The study area: sites are returned in its CRS, and checked to lie within
        :data:`MAX_OUTSIDE_M` of its units.
    layer
        The layer of proposed sites.

    Returns
    -------
    PlannedSites
        The sites as markets with status ``planned``, and notes saying where they came from.

    Raises
    ------
    planner.errors.PlannerError
        ``MissingFileError``, ``InputFileError`` (not a GeoPackage, no such layer),
        ``CRSError`` (a layer without a CRS), ``ColumnError`` (no ``tier`` field),
        ``InvalidValueError`` (a tier planner does not know), ``GeometryError`` (a feature
        without a point), ``DuplicateIdError``, ``CoordinateError`` (a site far outside the
        study area: a wrong CRS).
    """
    p = check_file(path, what="edited sites GeoPackage")
    names = list_gpkg_layers(p)
    if layer not in names:
        raise InputFileError(
            f"has no layer '{layer}' (layers: {', '.join(names) or 'none'})",
            path=p,
            fix=f"give the GeoPackage planner run wrote, with the proposed sites in layer "
            f"'{layer}' (when saving a copy from QGIS, name the layer '{layer}')",
        )
    notes: list[str] = []
    crs = CRS(area.crs)
    parts = [_sites_of(read_layer(p, layer), p, layer, notes, crs)]
    kept = 0
    if layer == "sites" and "markets" in names:
        mk = read_layer(p, "markets")
        if "status" in mk.columns:
            planned = mk[mk["status"].astype(str) == "planned"]
            if len(planned):
                parts.append(_sites_of(planned, p, "markets", notes, crs))
                kept = len(planned)
    table = pd.concat(parts, ignore_index=True)
    dup = table["market_id"].duplicated(keep=False)
    if dup.any():
        first = table["market_id"][dup].iloc[0]
        where = table[table["market_id"] == first]
        places = "; ".join(f"layer '{r.layer}' fid {r.fid}" for r in where.itertuples())
        raise DuplicateIdError(
            f"site id {first!r} appears {len(where)} times ({places})",
            path=p,
            column="site_id",
            fix="give each site its own site_id in QGIS (a copied feature keeps the id of "
            "the original)",
        )
    out = gpd.GeoDataFrame(
        {
            "market_id": table["market_id"].to_numpy(dtype=object),
            "name": table["name"].to_numpy(dtype=object),
            "tier": table["tier"].to_numpy(dtype=object),
            "status": "planned",
            "source": p.name,
        },
        geometry=table.geometry.to_numpy(),
        crs=crs,
    )
    _check_inside(out, area, p)
    if len(out):
        counts = out["tier"].value_counts()
        by_tier = ", ".join(
            f"{settings.TIER_LABELS_ZH.get(t, t)} {int(counts[t])}"
            for t in settings.TIERS
            if t in counts
        )
        source = f"layer '{layer}'" + (
            f" and {kept} planned market(s) of layer 'markets'" if kept else ""
        )
        notes.insert(
            0,
            f"planned sites from {p.name} ({source}): {len(out)} site(s) ({by_tier}) count as "
            "existing markets (status planned); coverage is measured with them and only what "
            "they leave uncovered is sited",
        )
    else:
        notes.insert(0, f"planned sites from {p.name}: layer '{layer}' holds no site (all deleted)")
    log.info("%s: %d planned site(s)", p, len(out))
    return PlannedSites(markets=out, path=p, notes=notes)


def _check_inside(sites: gpd.GeoDataFrame, area: StudyArea, path: Path) -> None:
    if len(sites) == 0:
        return
    outline = shapely.union_all(np.asarray(area.units.geometry.values))
    dist = shapely.distance(np.asarray(sites.geometry.values), outline)
    far = np.asarray(dist) > MAX_OUTSIDE_M
    if far.any():
        ids = sites["market_id"].to_numpy()[far]
        km = np.asarray(dist)[far] / 1000
        shown = ", ".join(f"{i} ({d:,.0f} km)" for i, d in zip(ids[:5], km[:5], strict=True))
        raise CoordinateError(
            f"{int(far.sum())} site(s) lie more than {MAX_OUTSIDE_M / 1000:.0f} km outside "
            f"the study area: {shown}",
            path=path,
            fix=_FIX_CRS,
        )

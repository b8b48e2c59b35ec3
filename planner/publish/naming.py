"""Names a bureau can use for proposed sites: anchor, road, landmark, or unit centre.

A proposed site is named, in this order, by

1. its **anchor** (the bus stop, park, mall or service centre it was sited on);
2. the nearest **named road** within :data:`ROAD_MAX_M`, with the unit (county or township)
   in front and a crossing named road within :data:`JUNCTION_MAX_M` ("示范县光明路与东城街
   交叉口附近");
3. the nearest **named landmark** within :data:`LANDMARK_MAX_M` (an OSM place, a park or
   market of the places table, an existing market, a bus stop), with direction and distance
   ("东岭镇人民政府西南约1.2公里");
4. otherwise the **population centre of its unit**, with direction and distance
   ("芝罘区人口中心东北约1.2公里").

Every name says which rule made it (:attr:`SiteName.how`), so a reader knows a name from
a road from a name from an anchor. Distances are in metres in the study's projected CRS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

__all__ = [
    "JUNCTION_MAX_M",
    "LANDMARK_MAX_M",
    "ROAD_MAX_M",
    "NamingLayers",
    "SiteName",
    "bearing_words",
    "distance_words",
    "name_sites",
]

#: A named road this close (m) names a site: about four minutes' walk, close enough to
#: find the spot from the road.
ROAD_MAX_M = 300.0
#: A second named road this close (m) makes it a junction ("A与B交叉口附近").
JUNCTION_MAX_M = 150.0
#: A named landmark this close (m) names a site by direction and distance: the rural 5 km
#: reference of the stations (a village a planner can find from its service centre or stop).
LANDMARK_MAX_M = 5000.0

_BUS_KINDS = ("bus_station", "transit_hub")
_DIRS_ZH = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
_DIRS_EN = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


@dataclass(frozen=True)
class SiteName:
    """How a site is named, in parts (see :meth:`text`).

    Attributes
    ----------
    how
        ``"anchor"``, ``"junction"``, ``"road"``, ``"landmark"`` or ``"centre"``.
    unit
        Name of the unit (county or township) holding the site ("" when none).
    anchor, anchor_kind
        The anchor's name and kind (``how == "anchor"``).
    road, cross
        The named road and the crossing road.
    ref, ref_kind
        The landmark the direction is measured from, and ``"stop"`` when it is a bus stop.
    bearing_deg, distance_m
        Direction (degrees clockwise from north) and distance from ``ref`` to the site.
    ref_xy
        Where ``ref`` is (the layers' CRS), so a map can show it.
    """

    how: str
    unit: str = ""
    anchor: str = ""
    anchor_kind: str = ""
    road: str = ""
    cross: str = ""
    ref: str = ""
    ref_kind: str = ""
    bearing_deg: float = 0.0
    distance_m: float = 0.0
    ref_xy: tuple[float, float] | None = None

    def ref_text(self, language: str = "zh") -> str:
        """What the direction is measured from, as the name says it ("" for none)."""
        if self.how == "landmark":
            if self.ref_kind == "stop" and not self.ref.endswith("站"):
                return f"{self.ref}公交站" if language == "zh" else f"{self.ref} bus stop"
            return self.ref
        if self.how == "centre" and self.unit:
            return f"{self.unit}人口中心" if language == "zh" else f"centre of {self.unit}"
        return ""

    def text(self, language: str = "zh") -> str:
        """The name in ``"zh"`` or ``"en"``."""
        zh = language == "zh"
        if self.how == "anchor":
            if self.anchor_kind in _BUS_KINDS and not self.anchor.endswith("站"):
                return f"{self.anchor}公交站" if zh else f"{self.anchor} bus stop"
            return self.anchor
        if self.how == "junction":
            if zh:
                return f"{self.unit}{self.road}与{self.cross}交叉口附近"
            return f"near {self.road} / {self.cross} junction, {self.unit}".rstrip(", ")
        if self.how == "road":
            return (
                f"{self.unit}{self.road}附近"
                if zh
                else f"near {self.road}, {self.unit}".rstrip(", ")
            )
        ref = self.ref
        if self.ref_kind == "stop" and not ref.endswith("站"):
            ref = f"{ref}公交站" if zh else f"the {ref} bus stop"
        ref = (
            ref
            if self.how == "landmark"
            else (f"{self.unit}人口中心" if zh else f"the population centre of {self.unit}")
        )
        if self.distance_m < 150:
            return f"{ref}附近" if zh else f"near {ref}"
        d = distance_words(self.distance_m, language)
        b = bearing_words(self.bearing_deg, language)
        return f"{ref}{b}约{d}" if zh else f"about {d} {b} of {ref}"


def bearing_words(deg: float, language: str = "zh") -> str:
    """One of eight directions for a bearing (degrees clockwise from north).

    Examples
    --------
    >>> bearing_words(40), bearing_words(180, "en"), bearing_words(350)
    ('东北', 'S', '北')
    """
    i = int(((deg % 360.0) + 22.5) // 45.0) % 8
    return (_DIRS_ZH if language == "zh" else _DIRS_EN)[i]


def distance_words(m: float, language: str = "zh") -> str:
    """A rounded distance: 50 m steps below 1 km, then tenths of a kilometre.

    Examples
    --------
    >>> distance_words(1234), distance_words(276), distance_words(276, "en")
    ('1.2公里', '300米', '300 m')
    """
    if m < 1000:
        v = max(50, round(m / 50.0) * 50)
        if v < 1000:
            return f"{v}米" if language == "zh" else f"{v} m"
    km = f"{m / 1000:.1f}"
    return f"{km}公里" if language == "zh" else f"{km} km"


def _text(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


@dataclass
class NamingLayers:
    """The named layers of a run, read once: roads, landmarks, units and their centres.

    Build with :meth:`from_frames`; all coordinates in one projected CRS.
    """

    road_geoms: NDArray[Any]
    road_names: NDArray[np.str_]
    road_tree: shapely.STRtree | None
    mark_xy: NDArray[np.float64]
    mark_names: list[str]
    mark_kinds: list[str]
    unit_geoms: NDArray[Any]
    unit_names: list[str]
    unit_centres: NDArray[np.float64]

    @classmethod
    def from_frames(
        cls,
        *,
        crs: Any,
        units: gpd.GeoDataFrame,
        streets: gpd.GeoDataFrame | None = None,
        landmarks: Sequence[gpd.GeoDataFrame] = (),
        bus_stops: gpd.GeoDataFrame | None = None,
        cells: gpd.GeoDataFrame | None = None,
        weight: str = "demand",
    ) -> NamingLayers:
        """Collect the layers.

        Parameters
        ----------
        crs
            The projected CRS the sites are in.
        units
            Units with ``name`` (or ``code``).
        streets
            Road edges with ``name``.
        landmarks
            Frames of named features (``name`` column), points or polygons, in priority
            order (an earlier frame's feature wins a tie in distance).
        bus_stops
            Bus stops (``name``): landmarks too, named as stops ("…公交站").
        cells
            Demand cells: each unit's population centre is the demand-weighted mean of its
            cells' centres (the unit's inner point when it has none).
        weight
            Demand column of ``cells``.
        """
        rg: NDArray[Any] = np.empty(0, dtype=object)
        rn: NDArray[np.str_] = np.empty(0, dtype=str)
        tree = None
        if streets is not None and "name" in streets and len(streets):
            s = streets.to_crs(crs)
            names = s["name"].map(_text).to_numpy(dtype=str)
            keep = names != ""
            if keep.any():
                rg = np.asarray(s.geometry.values)[keep]
                rn = names[keep]
                tree = shapely.STRtree(rg)
        xs: list[NDArray[np.float64]] = []
        ns: list[str] = []
        ks: list[str] = []
        frames = [(f, "") for f in landmarks] + (
            [(bus_stops, "stop")] if bus_stops is not None else []
        )
        for frame, kind in frames:
            if frame is None or len(frame) == 0 or "name" not in frame:
                continue
            f = frame.to_crs(crs)
            g = np.asarray(f.geometry.values)
            names = [_text(v) for v in f["name"]]
            ok = ~(shapely.is_missing(g) | shapely.is_empty(g)) & np.array([bool(n) for n in names])
            if not ok.any():
                continue
            pts = shapely.point_on_surface(g[ok])
            xs.append(np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]))
            ns += [n for n, k in zip(names, ok.tolist(), strict=True) if k]
            ks += [kind] * int(ok.sum())
        mark_xy = np.vstack(xs) if xs else np.empty((0, 2))
        u = units.to_crs(crs).reset_index(drop=True)
        label = u["name"] if "name" in u else u.get("code", pd.Series([""] * len(u)))
        unit_names = [_text(v) for v in label]
        ug = np.asarray(u.geometry.values)
        centres = (
            np.column_stack(
                [
                    shapely.get_x(shapely.point_on_surface(ug)),
                    shapely.get_y(shapely.point_on_surface(ug)),
                ]
            )
            if len(ug)
            else np.empty((0, 2))
        )
        if cells is not None and len(cells) and len(ug):
            cc = shapely.centroid(np.asarray(cells.to_crs(crs).geometry.values))
            cx, cy = shapely.get_x(cc), shapely.get_y(cc)
            w = cells[weight].to_numpy(dtype=float) if weight in cells else np.ones(len(cells))
            which = _containing(ug, cc)
            for i in range(len(ug)):
                sel = which == i
                if sel.any() and w[sel].sum() > 0:
                    centres[i] = [
                        np.average(cx[sel], weights=w[sel]),
                        np.average(cy[sel], weights=w[sel]),
                    ]
        return cls(rg, rn, tree, mark_xy, ns, ks, ug, unit_names, centres)

    def unit_of(self, pts: NDArray[Any]) -> NDArray[np.int64]:
        """Position of the unit holding each point (the nearest unit when none does)."""
        which = _containing(self.unit_geoms, pts)
        out = which.copy()
        for i in np.flatnonzero(which < 0):
            if len(self.unit_geoms):
                out[i] = int(np.argmin(shapely.distance(self.unit_geoms, pts[i])))
        return out


def _containing(polys: NDArray[Any], pts: NDArray[Any]) -> NDArray[np.int64]:
    """Position of the first polygon holding each point, -1 for none."""
    out = np.full(len(pts), -1, dtype=np.int64)
    if len(polys) == 0 or len(pts) == 0:
        return out
    tree = shapely.STRtree(polys)
    p_idx, g_idx = tree.query(pts, predicate="within")
    order = np.lexsort((g_idx, p_idx))
    p_idx, g_idx = p_idx[order], g_idx[order]
    first = np.r_[True, p_idx[1:] != p_idx[:-1]] if len(p_idx) else np.zeros(0, dtype=bool)
    out[p_idx[first]] = g_idx[first]
    return out


def _bearing(dx: float, dy: float) -> float:
    return math.degrees(math.atan2(dx, dy)) % 360.0


def name_sites(sites: gpd.GeoDataFrame, layers: NamingLayers) -> list[SiteName]:
    """Name every site (see the module docstring for the order of the rules).

    Parameters
    ----------
    sites
        Proposed sites (``anchor_kind``, ``anchor_name``), in the layers' CRS.
    layers
        From :meth:`NamingLayers.from_frames`.

    Returns
    -------
    list of SiteName
        In the order of ``sites``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> units = gpd.GeoDataFrame({"name": ["甲镇"]},
    ...     geometry=[shapely.box(0, 0, 4000, 4000)], crs=32650)
    >>> roads = gpd.GeoDataFrame({"name": ["光明路", "东城街"]},
    ...     geometry=[shapely.LineString([(0, 100), (4000, 100)]),
    ...               shapely.LineString([(200, 0), (200, 4000)])], crs=32650)
    >>> layers = NamingLayers.from_frames(crs=32650, units=units, streets=roads)
    >>> sites = gpd.GeoDataFrame({"anchor_kind": ["street_point", "street_point"],
    ...     "anchor_name": [None, None]},
    ...     geometry=[shapely.Point(210, 120), shapely.Point(3000, 3000)], crs=32650)
    >>> [n.text() for n in name_sites(sites, layers)]
    ['甲镇东城街与光明路交叉口附近', '甲镇人口中心东北约1.4公里']
    """
    g = np.asarray(sites.geometry.values)
    pts = shapely.centroid(g) if len(g) else g
    unit = layers.unit_of(pts) if len(pts) else np.empty(0, dtype=np.int64)
    kinds = [_text(v) for v in sites.get("anchor_kind", pd.Series([""] * len(sites)))]
    anchors = [_text(v) for v in sites.get("anchor_name", pd.Series([""] * len(sites)))]
    out: list[SiteName] = []
    for i, p in enumerate(pts):
        uname = layers.unit_names[unit[i]] if len(layers.unit_names) and unit[i] >= 0 else ""
        x, y = float(shapely.get_x(p)), float(shapely.get_y(p))
        if anchors[i]:
            out.append(SiteName("anchor", uname, anchor=anchors[i], anchor_kind=kinds[i]))
            continue
        road = _nearest_road(layers, p)
        if road is not None:
            name, cross = road
            how = "junction" if cross else "road"
            out.append(SiteName(how, uname, road=name, cross=cross))
            continue
        if len(layers.mark_xy):
            d = np.hypot(layers.mark_xy[:, 0] - x, layers.mark_xy[:, 1] - y)
            j = int(np.argmin(d))
            if d[j] <= LANDMARK_MAX_M:
                mx, my = layers.mark_xy[j]
                out.append(
                    SiteName(
                        "landmark",
                        uname,
                        ref=layers.mark_names[j],
                        ref_kind=layers.mark_kinds[j],
                        ref_xy=(float(mx), float(my)),
                        bearing_deg=_bearing(x - mx, y - my),
                        distance_m=float(d[j]),
                    )
                )
                continue
        if uname and unit[i] >= 0:
            cx, cy = layers.unit_centres[unit[i]]
            out.append(
                SiteName(
                    "centre",
                    uname,
                    bearing_deg=_bearing(x - cx, y - cy),
                    distance_m=float(math.hypot(x - cx, y - cy)),
                    ref_xy=(float(cx), float(cy)),
                )
            )
        else:
            out.append(SiteName("centre", uname))
    return out


def _nearest_road(layers: NamingLayers, p: Any) -> tuple[str, str] | None:
    """Name of the nearest named road within ROAD_MAX_M, and of a crossing one (or "")."""
    if layers.road_tree is None:
        return None
    idx = layers.road_tree.query(p, predicate="dwithin", distance=ROAD_MAX_M)
    if len(idx) == 0:
        return None
    idx = np.sort(idx)
    d = shapely.distance(layers.road_geoms[idx], p)
    order = np.lexsort((idx, d))
    first = int(idx[order[0]])
    name = str(layers.road_names[first])
    for k in order[1:]:
        j = int(idx[k])
        other = str(layers.road_names[j])
        if d[k] > JUNCTION_MAX_M:
            break
        if other != name and shapely.distance(layers.road_geoms[first], layers.road_geoms[j]) < 1.0:
            return name, other
    return name, ""

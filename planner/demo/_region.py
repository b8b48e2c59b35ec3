"""The demo county's geography: outline, townships, seats, villages (private to planner.demo).

Everything here is metric, in the UTM zone :func:`planner.io.crs.choose_crs` picks for the
centre; :class:`Region` converts to WGS-84 lon/lat (rounded to the 1e-7 degree precision
OpenStreetMap stores) for the files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from planner.io.crs import choose_crs

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

#: Where the fictional county sits (WGS-84), its name and code (no real county uses 379901).
CENTRE_LON = 118.6
CENTRE_LAT = 36.2
COUNTY_NAME = "示范县"
COUNTY_CODE = "379901"
#: County area at scale 1 (km²); 35 km x 35 km is 1,225 km².
COUNTY_AREA_KM2 = 1200.0
SYNTHETIC = "synthetic demo data / 合成示例数据"

SEAT_NAME = "城关街道"
TOWN_NAMES = ("东岭镇", "西河镇", "南山镇", "北泉镇", "青石镇", "柳林镇", "桃园镇", "石门镇")

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林郑梁宋谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
_PREFIXES = ("", "", "", "东", "西", "南", "北", "前", "后", "大", "小", "上", "下", "中")
_SUFFIXES = (
    "家庄",
    "庄",
    "村",
    "家村",
    "家洼",
    "官庄",
    "疃",
    "家峪",
    "家岭",
    "家沟",
    "庄子",
    "家楼",
)


def to_ll7(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Round lon/lat to 1e-7 degree, the precision OSM (and osmium) store."""
    return np.round(lon * 1e7) / 1e7, np.round(lat * 1e7) / 1e7


@dataclass
class Settlement:
    """A place with streets: the county seat's core, a town or a village."""

    kind: str  # "core", "town" or "village"
    name: str
    x: float
    y: float
    #: Footprint radius (m) along x and y before rotation, and the rotation (radians).
    rx: float
    ry: float
    angle: float
    township: int = 0

    def radius_towards(self, dx: float, dy: float) -> float:
        """Footprint radius (m) in the direction (dx, dy)."""
        t = np.arctan2(dy, dx) - self.angle
        return float(1.0 / np.hypot(np.cos(t) / self.rx, np.sin(t) / self.ry))


@dataclass
class Township:
    code: str
    name: str
    polygon: shapely.Geometry  # metric
    seat: int  # index into Region.settlements


@dataclass
class Region:
    """The whole synthetic county, metric."""

    crs: CRS
    county: shapely.Polygon
    settlements: list[Settlement]  # [core, 8 towns, villages...]
    townships: list[Township]
    scale: float
    _to_ll: Transformer
    _to_xy: Transformer

    @property
    def core(self) -> Settlement:
        return self.settlements[0]

    @property
    def towns(self) -> list[Settlement]:
        return [s for s in self.settlements if s.kind == "town"]

    @property
    def villages(self) -> list[Settlement]:
        return [s for s in self.settlements if s.kind == "village"]

    def lonlat(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Metric x/y to WGS-84 lon/lat rounded to 1e-7 degree."""
        lon, lat = self._to_ll.transform(np.asarray(x, float), np.asarray(y, float))
        return to_ll7(np.asarray(lon, float), np.asarray(lat, float))

    def xy(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        x, y = self._to_xy.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def to_wgs84(self, geom: shapely.Geometry) -> shapely.Geometry:
        """Metric geometry to WGS-84 lon/lat (vertices rounded to 1e-7 degree)."""

        def _f(xy: FloatArray) -> FloatArray:
            lon, lat = self.lonlat(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        return shapely.transform(geom, _f)

    def township_of(self, x: float, y: float) -> int:
        for i, t in enumerate(self.townships):
            if shapely.contains_xy(t.polygon, x, y):
                return i
        d = [shapely.distance(t.polygon, shapely.Point(x, y)) for t in self.townships]
        return int(np.argmin(d))


def build_region(
    rng: np.random.Generator, *, scale: float, outline: shapely.Polygon | None = None
) -> Region:
    """Draw the county outline, the seat, 8 towns, the villages and the townships.

    ``outline`` (metric, in the CRS of the demo's centre) gives the county's polygon
    instead of drawing one: the synthetic province tiles its counties side by side.
    """
    crs = choose_crs(CENTRE_LON, CENTRE_LAT)
    to_xy = Transformer.from_crs(4326, crs, always_xy=True)
    to_ll = Transformer.from_crs(crs, 4326, always_xy=True)
    cx, cy = to_xy.transform(CENTRE_LON, CENTRE_LAT)
    lin = float(np.sqrt(scale))

    if outline is not None:
        county = outline
        cx, cy = county.centroid.x, county.centroid.y
    else:
        county = _county_outline(rng, float(cx), float(cy), area_m2=COUNTY_AREA_KM2 * 1e6 * scale)
    # The core of the county seat, a little off the county centre.
    off = rng.uniform(-2500, 2500, 2) * lin
    core = Settlement(
        "core",
        "县城",
        float(cx + off[0]),
        float(cy + off[1]),
        rx=4000.0 * lin,
        ry=3200.0 * lin,
        angle=float(rng.uniform(-0.3, 0.3)),
    )
    towns = _place_towns(rng, county, core, lin)
    villages = _place_villages(rng, county, [core, *towns], n=max(3, round(150 * scale)), lin=lin)
    settlements = [core, *towns, *villages]
    townships = _townships(rng, county, settlements)
    region = Region(crs, county, settlements, townships, scale, to_ll, to_xy)
    for s in settlements:
        s.township = region.township_of(s.x, s.y)
    return region


def _county_outline(
    rng: np.random.Generator, cx: float, cy: float, *, area_m2: float
) -> shapely.Polygon:
    theta = np.linspace(0.0, 2 * np.pi, 480, endpoint=False)
    log_r = np.zeros_like(theta)
    for m in range(2, 7):  # broad lobes
        log_r += rng.uniform(0.06, 0.14) / (m / 2) * np.cos(m * theta + rng.uniform(0, 2 * np.pi))
    for m in range(7, 60):  # a ragged, river-and-ridge-like edge
        log_r += rng.normal(0, 0.025) * m**-0.8 * np.cos(m * theta + rng.uniform(0, 2 * np.pi))
    r = np.exp(log_r)
    x, y = r * np.cos(theta), r * np.sin(theta)
    unit_area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    k = np.sqrt(area_m2 / unit_area)
    poly = shapely.Polygon(np.column_stack([cx + k * x, cy + k * y]))
    if not poly.is_valid:  # cannot happen for a star-shaped outline, kept as a guard
        poly = shapely.make_valid(poly)
    return poly


def _place_towns(
    rng: np.random.Generator, county: shapely.Polygon, core: Settlement, lin: float
) -> list[Settlement]:
    towns: list[Settlement] = []
    cx, cy = county.centroid.x, county.centroid.y
    start = rng.uniform(0, 2 * np.pi)
    boundary = county.exterior
    for i, name in enumerate(TOWN_NAMES):
        a = start + 2 * np.pi * i / len(TOWN_NAMES) + rng.uniform(-0.2, 0.2)
        far = shapely.LineString([(cx, cy), (cx + 1e6 * np.cos(a), cy + 1e6 * np.sin(a))])
        edge = shapely.intersection(far, boundary)
        pts = shapely.get_coordinates(edge)
        r_edge = float(np.min(np.hypot(pts[:, 0] - cx, pts[:, 1] - cy)))
        r = r_edge * rng.uniform(0.52, 0.70)
        half = float(rng.uniform(600, 900) * max(lin, 0.4))
        towns.append(
            Settlement(
                "town",
                name,
                float(cx + r * np.cos(a)),
                float(cy + r * np.sin(a)),
                rx=half,
                ry=half,
                angle=float(rng.uniform(-0.6, 0.6)),
            )
        )
    return towns


def village_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct plausible village names (王家庄, 东李村 …), none a town name."""
    names: list[str] = []
    seen: set[str] = set(TOWN_NAMES)
    while len(names) < n:
        s = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
        p = _PREFIXES[int(rng.integers(len(_PREFIXES)))]
        suf = _SUFFIXES[int(rng.integers(len(_SUFFIXES)))]
        name = p + s + suf
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _place_villages(
    rng: np.random.Generator,
    county: shapely.Polygon,
    big: list[Settlement],
    *,
    n: int,
    lin: float,
) -> list[Settlement]:
    inner = county.buffer(-700.0 * min(lin, 1.0))
    shapely.prepare(inner)
    minx, miny, maxx, maxy = inner.bounds
    min_gap = 1500.0 * min(lin, 1.0)
    accepted: list[tuple[float, float]] = []
    names = village_names(rng, n)
    while len(accepted) < n:
        cand = np.column_stack([rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)])
        inside = shapely.contains_xy(inner, cand[:, 0], cand[:, 1])
        for x, y in cand[inside]:
            if any(
                np.hypot(x - s.x, y - s.y) < s.radius_towards(x - s.x, y - s.y) + 1300.0 * lin
                for s in big
            ):
                continue
            if accepted:
                arr = np.asarray(accepted)
                if np.min(np.hypot(arr[:, 0] - x, arr[:, 1] - y)) < min_gap:
                    continue
            accepted.append((float(x), float(y)))
            if len(accepted) == n:
                break
        min_gap *= 0.97  # a crowded small county: relax the spacing until all fit
    out = []
    for (x, y), name in zip(accepted, names, strict=True):
        half = float(rng.uniform(120, 220))
        out.append(
            Settlement(
                "village",
                name,
                x,
                y,
                rx=half,
                ry=half * float(rng.uniform(0.6, 1.0)),
                angle=float(rng.uniform(0, np.pi)),
            )
        )
    return out


def _townships(
    rng: np.random.Generator, county: shapely.Polygon, settlements: list[Settlement]
) -> list[Township]:
    """Partition the county among the seat and the towns along irregular borders.

    Sample points on a jittered 500 m grid are given to the seat nearest under a smoothly
    warped distance; the union of each seat's Voronoi cells, clipped to the county, is its
    township. Stray pieces are handed to the neighbour sharing the longest border.
    """
    seats = [s for s in settlements if s.kind in ("core", "town")]
    minx, miny, maxx, maxy = county.bounds
    step = 500.0 * max(0.3, np.sqrt(settlements[0].rx / 4000.0))
    gx, gy = np.meshgrid(np.arange(minx, maxx, step), np.arange(miny, maxy, step))
    px = gx.ravel() + rng.uniform(-0.35, 0.35, gx.size) * step
    py = gy.ravel() + rng.uniform(-0.35, 0.35, gy.size) * step
    keep = shapely.contains_xy(county.buffer(2 * step), px, py)
    px, py = px[keep], py[keep]
    sx = np.array([s.x for s in seats])
    sy = np.array([s.y for s in seats])
    d = np.hypot(px[:, None] - sx[None, :], py[:, None] - sy[None, :])
    scale_m = np.sqrt(county.area) / 10.0
    for j in range(len(seats)):
        warp = np.zeros_like(px)
        for _ in range(3):
            k = rng.uniform(0.5, 2.0) / scale_m
            a = rng.uniform(0, 2 * np.pi)
            warp += np.sin(k * (px * np.cos(a) + py * np.sin(a)) + rng.uniform(0, 2 * np.pi))
        d[:, j] *= 1.0 + 0.08 * warp
    d[:, 0] *= 0.8  # the seat's township (城关街道) reaches a little further
    owner = np.argmin(d, axis=1)
    cells = shapely.voronoi_polygons(
        shapely.multipoints(np.column_stack([px, py])), extend_to=county.buffer(5 * step)
    )
    cell_geoms = np.asarray(shapely.get_parts(cells))
    # Voronoi output order is not the input order: match cells to points by containment.
    tree = shapely.STRtree(cell_geoms)
    pidx, cidx = tree.query(shapely.points(px, py), predicate="intersects")
    cell_owner = np.full(len(cell_geoms), -1)
    cell_owner[cidx] = owner[pidx]
    polys = []
    for j in range(len(seats)):
        part = shapely.union_all(cell_geoms[cell_owner == j])
        polys.append(shapely.intersection(part, county))
    polys = _tidy_partition(polys, seats)
    # Smooth the staircase borders; shared edges stay shared and the county edge is kept.
    smooth = shapely.coverage_simplify(
        np.asarray(polys, dtype=object), 0.6 * step, simplify_boundary=False
    )
    polys = [shapely.make_valid(g) if not g.is_valid else g for g in smooth]
    out = []
    seat_index = [i for i, s in enumerate(settlements) if s.kind in ("core", "town")]
    for j, (s, poly) in enumerate(zip(seats, polys, strict=True)):
        code = f"{COUNTY_CODE}{j + 1:03d}"
        name = "城关街道" if s.kind == "core" else s.name
        out.append(Township(code, name, poly, seat_index[j]))
    return out


def _tidy_partition(
    polys: list[shapely.Geometry], seats: list[Settlement]
) -> list[shapely.Geometry]:
    """Keep each township's piece around its seat; give other pieces to the best neighbour."""
    out = list(polys)
    strays: list[shapely.Geometry] = []
    for j, g in enumerate(out):
        parts = [p for p in shapely.get_parts(g) if isinstance(p, shapely.Polygon) and p.area > 0]
        home = [p for p in parts if p.contains(shapely.Point(seats[j].x, seats[j].y))]
        main = home[0] if home else max(parts, key=lambda p: p.area)
        strays.extend(p for p in parts if p is not main)
        out[j] = main
    for piece in sorted(strays, key=lambda p: -p.area):
        shared = [shapely.intersection(piece.boundary, g.boundary).length for g in out]
        k = int(np.argmax(shared))
        out[k] = shapely.union(out[k], piece)
    if strays:
        log.debug("township partition: merged %d stray piece(s) into neighbours", len(strays))
    return out

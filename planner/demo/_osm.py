"""The demo county's OpenStreetMap file: streets, POIs, bus stops and bus routes (private).

:func:`build_network` adds POIs, bus stops and route relations to the streets of
:mod:`planner.demo._roads`; :func:`write_pbf` writes them all as ``.osm.pbf`` in one pass
with pyosmium (nodes, then ways, then relations, each by ascending id).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium
import shapely
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph

from planner.demo._region import COUNTY_NAME, SYNTHETIC, Region
from planner.demo._roads import Builder, Grid, Way, build_streets

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

GENERATOR = f"planner demo ({SYNTHETIC})"

#: Bus speeds (km/h) used for GTFS stop_times, and the dwell at each intermediate stop.
BUS_SPEED_URBAN_KMH = 18.0
BUS_SPEED_RURAL_KMH = 35.0
BUS_DWELL_S = 20


@dataclass
class Poi:
    """A tagged node (or the centroid of a tagged closed way) of interest."""

    kind: str  # townhall, community_centre, marketplace, mall, building_materials, industrial
    name: str
    x: float
    y: float
    township: int
    node_id: int = 0  # the node, or 0 for a polygon
    way_id: int = 0  # the closed way of a polygon
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class BusRoute:
    ref: str
    name: str
    urban: bool
    stops: list[int]  # node ids of the bus stops, in order
    stop_dist_m: list[float]  # distance along the route of each stop
    stop_time_s: list[float]  # running time from the first stop (no dwell)


@dataclass
class Network:
    """Every OSM object of the demo, metric positions indexed by node id - 1."""

    xy: FloatArray
    tags: dict[int, dict[str, str]]  # node id -> tags (tagged nodes only)
    street_ways: list[Way]
    area_ways: list[Way]
    pois: list[Poi]
    routes: list[BusRoute]
    stop_names: dict[int, str]
    #: Distinct nodes referenced by highway ways.
    street_node_count: int
    #: Core street nodes at a crossing of two named streets -> (east-west, north-south) names.
    crossings: dict[int, tuple[str, str]]


# --- POIs --------------------------------------------------------------------------------------


def _block_spot(
    b: Builder, g: Grid, xy_all: FloatArray, prefer_centre: float
) -> tuple[float, float]:
    """A point inside a block of a grid (between four nodes), near the centre when asked."""
    ids = g.ids
    ny, nx_ = ids.shape
    ok = (ids[:-1, :-1] > 0) & (ids[1:, 1:] > 0) & (ids[:-1, 1:] > 0) & (ids[1:, :-1] > 0)
    cand = np.argwhere(ok)
    centre = np.array([ny / 2, nx_ / 2])
    w = np.exp(-prefer_centre * np.sum((cand - centre) ** 2, axis=1) / max(ny, nx_))
    k = int(b.rng.choice(len(cand), p=w / w.sum()))
    j, i = cand[k]
    corners = xy_all[np.array([ids[j, i], ids[j + 1, i + 1], ids[j, i + 1], ids[j + 1, i]]) - 1]
    c = corners.mean(axis=0) + b.rng.normal(0, 8, 2)
    return float(c[0]), float(c[1])


def _pois(b: Builder, region: Region, grids: list[Grid]) -> tuple[list[Poi], list[Way]]:
    st = region.settlements
    xy_all = b.xy()
    spots: list[tuple[str, str, float, float, int, dict[str, str]]] = []
    core = region.core
    cg = grids[0]
    seat_t = core.township

    def spot(g: Grid, pref: float) -> tuple[float, float]:
        return _block_spot(b, g, xy_all, pref)

    spots.append(("townhall", f"{COUNTY_NAME}人民政府", *spot(cg, 8.0), seat_t, {}))
    spots.append(("townhall", "城关街道办事处", *spot(cg, 4.0), seat_t, {}))
    for k in range(8):
        spots.append(
            (
                "community_centre",
                f"{'东西南北中'[k % 5]}城第{k // 5 + 1}社区党群服务中心",
                *spot(cg, 0.5),
                seat_t,
                {},
            )
        )
    for k, name in enumerate(("城东农贸市场", "城西综合市场")):
        spots.append(("marketplace", name, *spot(cg, 1.0 + k), seat_t, {}))
    for name in ("万家广场购物中心", "银座商城", "新世纪购物广场"):
        spots.append(("mall", name, *spot(cg, 3.0), seat_t, {"shop": "mall"}))
    spots.append(
        (
            "building_materials",
            "示范县建材城",
            *spot(cg, 0.2),
            seat_t,
            {"shop": "building_materials"},
        )
    )
    for i, s in enumerate(st):
        if s.kind != "town":
            continue
        g = grids[i]
        spots.append(("townhall", f"{s.name}人民政府", *spot(g, 4.0), s.township, {}))
        spots.append(("community_centre", f"{s.name}党群服务中心", *spot(g, 2.0), s.township, {}))
        spots.append(("marketplace", f"{s.name[:2]}大集", *spot(g, 1.0), s.township, {}))
    towns = [i for i, s in enumerate(st) if s.kind == "town"]
    t_dm = towns[int(b.rng.integers(len(towns)))]
    spots.append(
        (
            "building_materials",
            f"{st[t_dm].name[:2]}建材市场",
            *spot(grids[t_dm], 0.5),
            st[t_dm].township,
            {"shop": "doityourself"},
        )
    )
    villages = [i for i, s in enumerate(st) if s.kind == "village"]
    for i in sorted(b.rng.choice(villages, size=min(25, len(villages)), replace=False).tolist()):
        s = st[i]
        spots.append(
            ("community_centre", f"{s.name}党群服务中心", s.x + 15.0, s.y + 15.0, s.township, {})
        )

    # Industrial parks: polygons beside the core (towards the motorway side) and three towns.
    parks: list[tuple[str, float, float, int, float]] = []
    a = b.rng.uniform(0, 2 * np.pi)
    r = core.radius_towards(np.cos(a), np.sin(a)) + 900
    parks.append(
        (f"{COUNTY_NAME}经济开发区", core.x + r * np.cos(a), core.y + r * np.sin(a), seat_t, 1.6)
    )
    for i in towns[:: max(1, len(towns) // 3)][:3]:
        s = st[i]
        a = b.rng.uniform(0, 2 * np.pi)
        parks.append(
            (
                f"{s.name[:2]}工业园",
                s.x + (s.rx + 700) * np.cos(a),
                s.y + (s.rx + 700) * np.sin(a),
                s.township,
                0.9,
            )
        )

    # Nodes: polygon corners, then POI nodes (ids ascending in that order).
    pois: list[Poi] = []
    area_ways: list[Way] = []
    n_ways = len(b.ways)
    for name, x, y, tw, km2 in parks:
        side = np.sqrt(km2 * 1e6)
        ang = b.rng.uniform(0, np.pi)
        corners = (
            np.array([[-1, -1], [0.1, -1.05], [1, -1], [1.05, 0.2], [1, 1], [-1, 1]]) * side / 2
        )
        corners = corners * b.rng.uniform(0.85, 1.15, corners.shape)
        rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
        ring = corners @ rot.T + np.array([x, y])
        ids = b.add_nodes(ring).tolist()
        way_id = n_ways + len(area_ways) + 1
        tags = {"landuse": "industrial", "name": name, "industrial": "park", "source": SYNTHETIC}
        area_ways.append(Way(way_id, [*ids, ids[0]], tags))
        poly = shapely.Polygon(ring)
        c = poly.centroid
        pois.append(
            Poi(
                "industrial",
                name,
                c.x,
                c.y,
                tw,
                way_id=way_id,
                extra={"area_km2": f"{poly.area / 1e6:.2f}"},
            )
        )
    for kind, name, x, y, tw, extra in spots:
        nid = int(b.add_nodes(np.array([[x, y]]))[0])
        pois.append(Poi(kind, name, x, y, tw, node_id=nid, extra=extra))
    return pois, area_ways


def _poi_tags(p: Poi) -> dict[str, str]:
    base = {"name": p.name, "source": SYNTHETIC}
    if p.kind == "townhall":
        return {"amenity": "townhall", **base}
    if p.kind == "community_centre":
        return {"amenity": "community_centre", **base}
    if p.kind == "marketplace":
        return {"amenity": "marketplace", **base}
    if p.kind in ("mall", "building_materials"):
        return {**p.extra, **base}
    raise ValueError(p.kind)


# --- bus routes --------------------------------------------------------------------------------

_BUS_WEIGHT = {
    "primary": 1.0,
    "secondary": 1.1,
    "tertiary": 1.25,
    "unclassified": 1.3,
    "residential": 1.8,
}


def _bus_graph(b: Builder, xy_all: FloatArray) -> sparse.csr_matrix:
    rows, cols, w = [], [], []
    for way in b.ways:
        hw = way.tags.get("highway", "")
        if hw not in _BUS_WEIGHT or way.tags.get("oneway") == "yes":
            continue
        nodes = np.asarray(way.nodes) - 1
        seg = np.hypot(*(xy_all[nodes[1:]] - xy_all[nodes[:-1]]).T) * _BUS_WEIGHT[hw]
        rows += [*nodes[:-1].tolist(), *nodes[1:].tolist()]
        cols += [*nodes[1:].tolist(), *nodes[:-1].tolist()]
        w += [*seg.tolist(), *seg.tolist()]
    n = len(xy_all)
    m = sparse.coo_matrix((w, (rows, cols)), shape=(n, n)).tocsr()
    return m


def _path(graph: sparse.csr_matrix, a: int, c: int) -> list[int]:
    _, pred = csgraph.dijkstra(graph, indices=a - 1, return_predecessors=True)
    out = [c - 1]
    while out[-1] != a - 1:
        p = int(pred[out[-1]])
        if p < 0:
            raise RuntimeError("bus route endpoints are not connected")  # a generator bug
        out.append(p)
    return [i + 1 for i in out[::-1]]


def _bus_routes(
    b: Builder, region: Region, grids: list[Grid], street_xy: FloatArray
) -> list[tuple[str, str, bool, list[int]]]:
    """Paths (street node ids) of 6 urban routes and up to 6 core-to-town routes."""
    graph = _bus_graph(b, street_xy)
    core = region.core
    cg = grids[0]
    # Urban termini sit at named crossings, as real ones do, reachable by bus from the core's centre (one-way streets are not in the bus graph).
    labels = csgraph.connected_components(graph, directed=False)[1]
    centre_node = int(cg.node_ids[int(np.argmin(np.hypot(*(cg.node_xy - [core.x, core.y]).T)))])
    main = labels[centre_node - 1]
    named = np.array(
        sorted(n for n, (r, c) in b.names.items() if r and c and labels[n - 1] == main),
        dtype=np.int64,
    )
    pts = street_xy[named - 1]

    def near(x: float, y: float) -> int:
        return int(named[int(np.argmin(np.hypot(pts[:, 0] - x, pts[:, 1] - y)))])

    terminal = near(core.x, core.y)
    routes: list[tuple[str, str, bool, list[int]]] = []
    a0 = b.rng.uniform(0, np.pi)
    for k in range(6):
        a = a0 + k * np.pi / 6
        u = np.array([np.cos(a), np.sin(a)])
        side = np.array([-u[1], u[0]]) * b.rng.uniform(-900, 900) * np.sqrt(region.scale)
        r1 = core.radius_towards(*u) * 0.85
        r2 = core.radius_towards(*-u) * 0.85
        p = np.array([core.x, core.y]) + side
        s_id, e_id = near(*(p + r1 * u)), near(*(p - r2 * u))
        routes.append((str(k + 1), "", True, _path(graph, s_id, e_id)))
    towns = [i for i, s in enumerate(region.settlements) if s.kind == "town"]
    for k, t in enumerate(towns[:6]):
        s = region.settlements[t]
        g = grids[t]
        c = int(g.node_ids[int(np.argmin(np.hypot(g.node_xy[:, 0] - s.x, g.node_xy[:, 1] - s.y)))])
        routes.append((str(101 + k), s.name, False, _path(graph, terminal, c)))
    return routes


def _stops_for(
    b: Builder,
    region: Region,
    routes: list[tuple[str, str, bool, list[int]]],
    street_xy: FloatArray,
    names: dict[int, tuple[str, str]],
) -> tuple[list[BusRoute], dict[int, str]]:
    """Pick stop positions along each path; stops at the same street node are shared."""
    core = region.core
    stop_at: dict[int, int] = {}  # street node -> stop key (0-based order of creation)
    stop_xy: list[FloatArray] = []
    stop_name: list[str] = []
    used_names: set[str] = set()
    villages_towns = [s for s in region.settlements if s.kind != "core"]
    vt_xy = np.array([[s.x, s.y] for s in villages_towns])

    def in_core(x: float, y: float) -> bool:
        dx, dy = x - core.x, y - core.y
        return bool(np.hypot(dx, dy) <= core.radius_towards(dx, dy))

    crossings = np.array(sorted(n for n, (r, c) in names.items() if r and c), dtype=np.int64)
    crossing_xy = street_xy[crossings - 1]

    def name_for(node: int) -> str:
        x, y = street_xy[node - 1]
        r, c = names.get(node, ("", ""))
        if not (r and c) and in_core(x, y):
            k = int(np.argmin(np.hypot(crossing_xy[:, 0] - x, crossing_xy[:, 1] - y)))
            r, c = names[int(crossings[k])]
        if r and c:
            base = f"{r}{c}口"
        else:
            d = np.hypot(vt_xy[:, 0] - x, vt_xy[:, 1] - y)
            k = int(np.argmin(d))
            s = villages_towns[k]
            base = s.name if d[k] < s.rx + 600 else f"{s.name}路口"
        name = base
        for suffix in ("东", "西", "南", "北", "中", "站"):
            if name not in used_names:
                break
            name = base + suffix
        k = 2
        while name in used_names:
            name = f"{base}{k}"
            k += 1
        used_names.add(name)
        return name

    out: list[BusRoute] = []
    for ref, town, urban, path in routes:
        p_xy = street_xy[np.asarray(path) - 1]
        seg = np.hypot(*(p_xy[1:] - p_xy[:-1]).T)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        speed = np.array(
            [
                BUS_SPEED_URBAN_KMH
                if in_core(*((p_xy[i] + p_xy[i + 1]) / 2))
                else BUS_SPEED_RURAL_KMH
                for i in range(len(seg))
            ]
        )
        tcum = np.concatenate([[0.0], np.cumsum(seg / (speed / 3.6))])
        chosen: list[int] = [0]
        for i in range(1, len(path) - 1):
            x, y = p_xy[i]
            spacing = 500.0 if in_core(x, y) else 1500.0
            since = cum[i] - cum[chosen[-1]]
            named = path[i] in names and all(names[path[i]])
            if (
                (path[i] in stop_at and since >= 0.5 * spacing)
                or (named and since >= 0.7 * spacing)
                or since >= 1.3 * spacing
            ) and cum[-1] - cum[i] >= 0.5 * spacing:
                chosen.append(i)
        chosen.append(len(path) - 1)
        stop_keys = []
        for i in chosen:
            node = path[i]
            if node not in stop_at:
                j = min(max(i, 1), len(path) - 1)
                d = p_xy[j] - p_xy[j - 1]
                right = np.array([d[1], -d[0]]) / max(float(np.hypot(*d)), 1e-9)
                stop_at[node] = len(stop_xy)
                stop_xy.append(p_xy[i] + 10.0 * right)
                stop_name.append(name_for(node))
            stop_keys.append(stop_at[node])
        first_name, last_name = stop_name[stop_keys[0]], stop_name[stop_keys[-1]]
        label = f"{ref}路：{first_name}—{last_name}" if urban else f"{ref}路：县城—{town}"
        out.append(
            BusRoute(
                ref,
                label,
                urban,
                stop_keys,
                [float(cum[i]) for i in chosen],
                [float(tcum[i]) for i in chosen],
            )
        )
    ids = b.add_nodes(np.asarray(stop_xy))
    id_of = {k: int(i) for k, i in enumerate(ids.tolist())}
    for r in out:
        r.stops = [id_of[k] for k in r.stops]
    names_by_id = {id_of[k]: n for k, n in enumerate(stop_name)}
    return out, names_by_id


# --- assembly ----------------------------------------------------------------------------------


def build_network(rng: np.random.Generator, region: Region) -> Network:
    """Generate every street, POI, bus stop and bus route of the demo county."""
    b, grids = build_streets(rng, region)
    street_xy = b.xy()
    routes_paths = _bus_routes(b, region, grids, street_xy)
    pois, area_ways = _pois(b, region, grids)
    routes, stop_names = _stops_for(b, region, routes_paths, street_xy, b.names)
    xy = b.xy()
    tags: dict[int, dict[str, str]] = {}
    for p in pois:
        if p.node_id:
            tags[p.node_id] = _poi_tags(p)
    for nid, name in stop_names.items():
        tags[nid] = {
            "highway": "bus_stop",
            "public_transport": "platform",
            "bus": "yes",
            "name": name,
            "source": SYNTHETIC,
        }
    referenced = {n for w in b.ways for n in w.nodes}
    return Network(
        xy=xy,
        tags=tags,
        street_ways=b.ways,
        area_ways=area_ways,
        pois=pois,
        routes=routes,
        stop_names=stop_names,
        street_node_count=len(referenced),
        crossings={n: rc for n, rc in b.names.items() if rc[0] and rc[1]},
    )


def write_pbf(net: Network, region: Region, path: Path) -> None:
    """Write the network as an OSM PBF file in one pass (nodes, ways, relations by id)."""
    from osmium.osm.mutable import Node, Relation
    from osmium.osm.mutable import Way as MWay

    lon, lat = region.lonlat(net.xy[:, 0], net.xy[:, 1])
    referenced = {n for w in net.street_ways for n in w.nodes}
    referenced |= {n for w in net.area_ways for n in w.nodes}
    referenced |= set(net.tags)
    header = osmium.io.Header()
    header.set("generator", GENERATOR)
    with osmium.SimpleWriter(osmium.io.File(str(path), "pbf"), header=header) as writer:
        for i in range(len(net.xy)):
            nid = i + 1
            if nid not in referenced:
                continue
            writer.add_node(
                Node(id=nid, location=(float(lon[i]), float(lat[i])), tags=net.tags.get(nid, {}))
            )
        for w in [*net.street_ways, *net.area_ways]:
            writer.add_way(MWay(id=w.id, nodes=w.nodes, tags=w.tags))
        for k, r in enumerate(net.routes):
            tags = {
                "type": "route",
                "route": "bus",
                "ref": r.ref,
                "name": r.name,
                "network": "示范县公交",
                "operator": "示范县公共交通有限公司",
                "from": net.stop_names[r.stops[0]],
                "to": net.stop_names[r.stops[-1]],
                "public_transport:version": "2",
                "source": SYNTHETIC,
            }
            writer.add_relation(
                Relation(id=k + 1, members=[("n", s, "stop") for s in r.stops], tags=tags)
            )

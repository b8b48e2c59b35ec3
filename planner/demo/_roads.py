"""The demo county's streets: grids of the seat, towns and villages, roads between them (private).

Built metric (UTM). Node ids are ``1 + index`` in the order :class:`Builder` creates them,
so street nodes come first and POI and bus-stop nodes (:mod:`planner.demo._osm`) after,
and the ids written are ascending as osmium requires.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import networkx as nx
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import Delaunay

from planner.demo._region import SYNTHETIC, Region, Settlement

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: maxspeed tags (km/h) of urban streets and the motorway, and of rural roads.
MAXSPEED_KMH = {
    "motorway": 120,
    "motorway_link": 60,
    "primary": 60,
    "secondary": 50,
    "tertiary": 40,
    "residential": 30,
    "unclassified": 40,
}
_RURAL_MAXSPEED_KMH = {"primary": 80, "secondary": 60, "tertiary": 60, "unclassified": 40}

#: Street names of the seat: east-west roads (路) and north-south streets (街).
_EW_NAMES = [
    "人民路",
    "建设路",
    "文化路",
    "胜利路",
    "解放路",
    "和平路",
    "振兴路",
    "滨河路",
    "长安路",
    "青年路",
    "新华路",
    "光明路",
    "迎宾路",
    "幸福路",
    "育才路",
    "朝阳路",
    "兴业路",
    "富民路",
    "团结路",
    "工业路",
    "友谊路",
    "健康路",
    "农机路",
    "车站路",
]
_NS_NAMES = [
    "中心街",
    "府前街",
    "东关街",
    "西关街",
    "书院街",
    "鼓楼街",
    "商业街",
    "永安街",
    "安居街",
    "红旗街",
    "前进街",
    "顺河街",
    "北关街",
    "南关街",
    "花园街",
    "站前街",
    "东城街",
    "西城街",
    "金山街",
    "银河街",
    "玉泉街",
    "锦绣街",
    "龙山街",
    "凤凰街",
]
_NAME_CHARS = "安康和平兴华昌盛明德仁义信泰丰瑞祥福文新民阳光润泽春秋锦绣"


@dataclass
class Way:
    id: int
    nodes: list[int]
    tags: dict[str, str]


class Builder:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._buf = np.zeros((65536, 2))
        self.n = 0
        self.ways: list[Way] = []
        self.names: dict[int, tuple[str, str]] = {}  # core node -> (row name, column name)

    def add_nodes(self, xy: FloatArray) -> IntArray:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        ids = np.arange(self.n + 1, self.n + 1 + len(xy), dtype=np.int64)
        while self.n + len(xy) > len(self._buf):  # grow by doubling; old views stay valid
            self._buf = np.concatenate([self._buf, np.zeros_like(self._buf)])
        self._buf[self.n : self.n + len(xy)] = xy
        self.n += len(xy)
        return ids

    def xy(self) -> FloatArray:
        """Positions of the nodes so far (row ``id - 1``); later nodes are not in it."""
        return self._buf[: self.n]

    def add_way(self, nodes: list[int], tags: dict[str, str]) -> Way:
        w = Way(len(self.ways) + 1, [int(n) for n in nodes], {**tags, "source": SYNTHETIC})
        self.ways.append(w)
        return w


# --- grids -----------------------------------------------------------------------------------


@dataclass
class Grid:
    ids: IntArray  # (ny, nx), -1 outside the footprint
    xy: FloatArray  # (ny, nx, 2)

    @property
    def node_ids(self) -> IntArray:
        return self.ids[self.ids > 0]

    @property
    def node_xy(self) -> FloatArray:
        return self.xy[self.ids > 0]


def _grid(b: Builder, s: Settlement, spacing: float, *, jitter_m: float, clip: bool = True) -> Grid:
    nx_half = int(np.ceil(s.rx / spacing))
    ny_half = int(np.ceil(s.ry / spacing))
    u = np.arange(-nx_half, nx_half + 1) * spacing
    v = np.arange(-ny_half, ny_half + 1) * spacing
    uu, vv = np.meshgrid(u, v)
    inside = (uu / s.rx) ** 2 + (vv / s.ry) ** 2 <= 1.0 if clip else np.ones(uu.shape, bool)
    ca, sa = np.cos(s.angle), np.sin(s.angle)
    x = s.x + uu * ca - vv * sa + b.rng.normal(0, jitter_m, uu.shape)
    y = s.y + uu * sa + vv * ca + b.rng.normal(0, jitter_m, uu.shape)
    xy = np.stack([x, y], axis=-1)
    ids = np.full(uu.shape, -1, dtype=np.int64)
    ids[inside] = b.add_nodes(xy[inside])
    return Grid(ids, xy)


def _runs(ids: IntArray) -> list[list[int]]:
    """Contiguous runs (length >= 2) of valid ids along one grid line."""
    runs: list[list[int]] = []
    cur: list[int] = []
    for v in ids.tolist():
        if v > 0:
            cur.append(v)
        else:
            if len(cur) >= 2:
                runs.append(cur)
            cur = []
    if len(cur) >= 2:
        runs.append(cur)
    return runs


def _with_midpoints(b: Builder, run: list[int], xy_of: FloatArray, jitter_m: float) -> list[int]:
    """Insert one wobbly shape node between consecutive nodes of a run."""
    pts = xy_of[np.asarray(run) - 1]
    mids = (pts[:-1] + pts[1:]) / 2 + b.rng.normal(0, jitter_m, (len(run) - 1, 2))
    mid_ids = b.add_nodes(mids)
    out: list[int] = []
    for a, m in zip(run[:-1], mid_ids.tolist(), strict=True):
        out += [a, m]
    return [*out, run[-1]]


def _unique_names(
    rng: np.random.Generator, pool: tuple[str, ...] | list[str], n: int, suffix: str
) -> list[str]:
    names = list(pool)
    rng.shuffle(names)
    seen = set(names)
    while len(names) < n:
        a, c = rng.choice(list(_NAME_CHARS), 2, replace=False)
        name = f"{a}{c}{suffix}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names[:n]


def _core_streets(b: Builder, core: Settlement) -> Grid:
    spacing = 100.0
    g = _grid(b, core, spacing, jitter_m=4.0)
    ny, nx_ = g.ids.shape
    jc, ic = ny // 2, nx_ // 2
    xy_all = b.xy()

    def cls(k: int) -> str:
        if k % 12 == 0:
            return "primary"
        if k % 6 == 0:
            return "secondary"
        if k % 3 == 0:
            return "tertiary"
        return "residential"

    # Names for the named (tertiary and above) lines only, the familiar ones first.
    named_rows = [k for k in range(ny) if cls(k - jc) != "residential"]
    named_cols = [k for k in range(nx_) if cls(k - ic) != "residential"]
    ew = dict(zip(named_rows, _unique_names(b.rng, _EW_NAMES, len(named_rows), "路"), strict=True))
    ns = dict(zip(named_cols, _unique_names(b.rng, _NS_NAMES, len(named_cols), "街"), strict=True))

    # One-way couplets: rows jc±3 and columns ic±9 (tertiary streets), opposite directions.
    oneway = {("row", jc + 3): 1, ("row", jc - 3): -1, ("col", ic + 9): 1, ("col", ic - 9): -1}
    for axis, n_lines, centre in (("row", ny, jc), ("col", nx_, ic)):
        for k in range(n_lines):
            line = g.ids[k, :] if axis == "row" else g.ids[:, k]
            hw = cls(k - centre)
            tags = {"highway": hw, "maxspeed": str(MAXSPEED_KMH[hw])}
            if hw != "residential":
                tags["name"] = (ew if axis == "row" else ns)[k]
                tags["lanes"] = {"primary": "4", "secondary": "2", "tertiary": "2"}[hw]
            if hw in ("primary", "secondary"):
                tags["sidewalk"] = "both"
                tags["cycleway"] = "lane"
            for run in _runs(line):
                if hw != "residential":
                    for nid in run:
                        r, c = b.names.get(nid, ("", ""))
                        b.names[nid] = (tags["name"], c) if axis == "row" else (r, tags["name"])
                direction = oneway.get((axis, k))
                if direction is not None:
                    tags_ow = {**tags, "oneway": "yes", "lanes": "2"}
                    b.add_way(run if direction > 0 else run[::-1], tags_ow)
                else:
                    b.add_way(run, tags)

    # A park of footpaths (diagonals across four blocks) and a riverside greenway.
    pj, pi = jc - max(1, ny // 10), ic + max(1, nx_ // 20)
    for dj in range(2):
        for di in range(2):
            j, i = pj + dj, pi + di
            if g.ids[j, i] > 0 and g.ids[j + 1, i + 1] > 0:
                n1, n2 = int(g.ids[j, i]), int(g.ids[j + 1, i + 1])
                mid = b.add_nodes((xy_all[n1 - 1] + xy_all[n2 - 1]) / 2 + b.rng.normal(0, 6, 2))
                bike = "yes" if (di + dj) % 2 == 0 else "no"
                b.add_way([n1, int(mid[0]), n2], {"highway": "footway", "bicycle": bike})

    def node_near(fj: float, fi: float) -> int:
        """The grid node nearest the fractional grid position (fj, fi) in [0, 1]."""
        jj, ii = np.nonzero(g.ids > 0)
        k = int(np.argmin((jj - fj * (ny - 1)) ** 2 + (ii - fi * (nx_ - 1)) ** 2))
        return int(g.ids[jj[k], ii[k]])

    start, end = node_near(0.38, 0.12), node_near(0.62, 0.88)
    path = wiggly(b, int(start), int(end), b.xy(), spacing_m=50.0, bend=0.04)
    b.add_way(
        path, {"highway": "cycleway", "bicycle": "designated", "foot": "yes", "name": "滨河绿道"}
    )
    return g


def _town_streets(b: Builder, town: Settlement) -> Grid:
    g = _grid(b, town, 110.0, jitter_m=6.0)
    ny, nx_ = g.ids.shape
    jc, ic = ny // 2, nx_ // 2
    stem = town.name[:2]
    for axis, n_lines, centre in (("row", ny, jc), ("col", nx_, ic)):
        for k in range(n_lines):
            line = g.ids[k, :] if axis == "row" else g.ids[:, k]
            if k == centre:
                hw = "secondary"
                name = f"{stem}大街" if axis == "row" else f"{stem}路"
            elif abs(k - centre) == 4:
                hw, name = "tertiary", f"{stem}{'东西南北'[(k > centre) + 2 * (axis == 'col')]}街"
            else:
                hw, name = "residential", ""
            tags = {"highway": hw, "maxspeed": str(MAXSPEED_KMH[hw])}
            if name:
                tags["name"] = name
            for run in _runs(line):
                b.add_way(run, tags)
    return g


def _village_streets(b: Builder, v: Settlement) -> Grid:
    spacing = float(b.rng.uniform(70, 110))
    g = _grid(b, v, spacing, jitter_m=8.0, clip=False)
    xy_all = b.xy()
    ny, nx_ = g.ids.shape
    for k in range(ny):
        for run in _runs(g.ids[k, :]):
            b.add_way(_with_midpoints(b, run, xy_all, 5.0), {"highway": "residential"})
    for k in range(nx_):
        for run in _runs(g.ids[:, k]):
            b.add_way(_with_midpoints(b, run, xy_all, 5.0), {"highway": "residential"})
    return g


# --- roads between settlements ---------------------------------------------------------------


def wiggly(
    b: Builder, a: int, c: int, xy_all: FloatArray, *, spacing_m: float, bend: float
) -> list[int]:
    """Node ids of a gently curving road from node ``a`` to node ``c`` (new shape nodes)."""
    p, q = xy_all[a - 1], xy_all[c - 1]
    d = q - p
    length = float(np.hypot(*d))
    n = max(2, int(np.ceil(length / spacing_m)))
    t = np.linspace(0.0, 1.0, n + 1)[1:-1]
    if len(t) == 0:
        return [a, c]
    normal = np.array([-d[1], d[0]]) / max(length, 1e-9)
    amp = b.rng.uniform(-bend, bend) * length
    amp2 = b.rng.uniform(-bend, bend) * length / 3
    walk = np.cumsum(b.rng.normal(0, 1, len(t) + 1))
    bridge = walk[:-1] - t * walk[-1]  # Brownian bridge: 0 at both ends
    bridge *= 0.004 * length / max(float(np.std(bridge)), 1e-9)
    off = amp * np.sin(np.pi * t) + amp2 * np.sin(2 * np.pi * t) + bridge
    pts = p + np.outer(t, d) + np.outer(off, normal)
    ids = b.add_nodes(pts)
    return [a, *ids.tolist(), c]


def attach(s: Settlement, g: Grid, tx: float, ty: float) -> int:
    """The node of a settlement's streets nearest where a road towards (tx, ty) leaves it."""
    dx, dy = tx - s.x, ty - s.y
    dist = np.hypot(dx, dy)
    r = s.radius_towards(dx, dy) * 0.95
    px, py = s.x + dx / dist * r, s.y + dy / dist * r
    pts = g.node_xy
    k = int(np.argmin(np.hypot(pts[:, 0] - px, pts[:, 1] - py)))
    return int(g.node_ids[k])


def _footprint(s: Settlement) -> shapely.Polygon:
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    u, v = s.rx * np.cos(t), s.ry * np.sin(t)
    ca, sa = np.cos(s.angle), np.sin(s.angle)
    return shapely.Polygon(np.column_stack([s.x + u * ca - v * sa, s.y + u * sa + v * ca]))


def _gabriel_edges(pts: FloatArray) -> list[tuple[int, int]]:
    tri = Delaunay(pts)
    edges: set[tuple[int, int]] = set()
    for simplex in tri.simplices:
        for i in range(3):
            a, c = int(simplex[i]), int(simplex[(i + 1) % 3])
            edges.add((min(a, c), max(a, c)))
    keep = []
    for a, c in sorted(edges):
        mid = (pts[a] + pts[c]) / 2
        r2 = np.sum((pts[a] - pts[c]) ** 2) / 4
        d2 = np.sum((pts - mid) ** 2, axis=1)
        d2[[a, c]] = np.inf
        if np.all(d2 >= r2):
            keep.append((a, c))
    return keep


def _rural_roads(b: Builder, region: Region, grids: list[Grid]) -> None:
    """Roads between settlements on a Gabriel graph, classed by the core-to-town paths."""
    st = region.settlements
    pts = np.array([[s.x, s.y] for s in st])
    edges = _gabriel_edges(pts)
    # Drop edges that cut through the core or a town (other than their own ends).
    footprints = [_footprint(s) for s in st if s.kind != "village"]
    big = [i for i, s in enumerate(st) if s.kind != "village"]
    kept: list[tuple[int, int]] = []
    dropped: list[tuple[int, int]] = []
    for a, c in edges:
        seg = shapely.LineString([pts[a], pts[c]])
        hit = any(
            seg.intersects(f) for i, f in zip(big, footprints, strict=True) if i not in (a, c)
        )
        (dropped if hit else kept).append((a, c))
    kept = _reconnect(kept, dropped, pts)
    graph = nx.Graph()
    for a, c in kept:
        graph.add_edge(a, c, weight=float(np.hypot(*(pts[a] - pts[c]))))
    town_idx = [i for i, s in enumerate(st) if s.kind == "town"]
    cls: dict[tuple[int, int], str] = {}
    ref: dict[tuple[int, int], str] = {}
    for k, t in enumerate(town_idx):
        path = nx.shortest_path(graph, 0, t, weight="weight")
        hw = "primary" if k % 2 == 0 else "secondary"
        for a, c in itertools.pairwise(path):
            e = (min(a, c), max(a, c))
            if cls.get(e) != "primary":
                cls[e] = hw
                ref[e] = f"{st[t].name[:2]}路"
    order = sorted(town_idx, key=lambda i: np.arctan2(st[i].y - st[0].y, st[i].x - st[0].x))
    for k, t in enumerate(order):
        u = order[(k + 1) % len(order)]
        path = nx.shortest_path(graph, t, u, weight="weight")
        for a, c in itertools.pairwise(path):
            e = (min(a, c), max(a, c))
            if e not in cls:
                cls[e] = "tertiary"
                ref[e] = f"{st[t].name[:2]}{st[u].name[:2]}路"
    for a, c in kept:
        e = (a, c)
        hw = cls.get(e, "unclassified")
        xy_all = b.xy()
        na = attach(st[a], grids[a], st[c].x, st[c].y)
        nc = attach(st[c], grids[c], st[a].x, st[a].y)
        bend = 0.03 if hw in ("primary", "secondary") else 0.07
        path_ids = wiggly(b, na, nc, xy_all, spacing_m=45.0, bend=bend)
        tags = {"highway": hw, "maxspeed": str(_RURAL_MAXSPEED_KMH[hw])}
        if e in ref:
            tags["name"] = ref[e]
        if hw == "unclassified":
            tags["surface"] = "asphalt" if b.rng.random() < 0.7 else "concrete"
        b.add_way(path_ids, tags)


def _reconnect(
    kept: list[tuple[int, int]], dropped: list[tuple[int, int]], pts: FloatArray
) -> list[tuple[int, int]]:
    """Add back the shortest dropped edges until the settlement graph is connected."""
    n = len(pts)
    out = list(kept)
    for a, c in sorted(dropped, key=lambda e: float(np.hypot(*(pts[e[0]] - pts[e[1]])))):
        m = sparse.coo_matrix(
            (np.ones(len(out)), ([e[0] for e in out], [e[1] for e in out])), (n, n)
        )
        if csgraph.connected_components(m, directed=False)[0] == 1:
            break
        labels = csgraph.connected_components(m, directed=False)[1]
        if labels[a] != labels[c]:
            out.append((a, c))
    return out


def _tracks(b: Builder, region: Region, grids: list[Grid]) -> None:
    """Dead-end farm tracks from the edge of each village into the fields."""
    county = region.county
    for s, g in zip(region.settlements, grids, strict=True):
        if s.kind != "village":
            continue
        for _ in range(int(b.rng.integers(1, 4))):
            a = b.rng.uniform(0, 2 * np.pi)
            length = b.rng.uniform(400, 1300)
            tx, ty = s.x + (s.rx + length) * np.cos(a), s.y + (s.rx + length) * np.sin(a)
            if not shapely.contains_xy(county, tx, ty):
                continue
            start = attach(s, g, tx, ty)
            end = b.add_nodes(np.array([[tx, ty]]))
            xy_all = b.xy()
            path = wiggly(b, start, int(end[0]), xy_all, spacing_m=40.0, bend=0.08)
            # _wiggly made the shape nodes after the end node: fine, ids need not follow the path.
            b.add_way(path, {"highway": "track", "tracktype": f"grade{int(b.rng.integers(2, 5))}"})


def _motorway(b: Builder, region: Region, grids: list[Grid]) -> None:
    """A dual-carriageway motorway across the county with two junctions (four ramps each)."""
    st = region.settlements
    core = region.core
    inner = region.county.buffer(-150.0)
    best: tuple[float, FloatArray] | None = None
    for deg in range(0, 180, 15):
        a = np.radians(deg + b.rng.uniform(-5, 5))
        u = np.array([np.cos(a), np.sin(a)])
        nrm = np.array([-u[1], u[0]])
        for side in (1, -1):
            off = side * (core.radius_towards(*nrm * side) + 2500.0 * np.sqrt(region.scale))
            along = np.arange(-60000.0, 60000.0, 100.0)
            base = np.array([core.x, core.y]) + off * nrm
            bend = 600.0 * np.sin(along / 9000.0 + deg)
            pts = base + np.outer(along, u) + np.outer(bend, nrm)
            inside = shapely.contains_xy(inner, pts[:, 0], pts[:, 1])
            idx = np.flatnonzero(inside)
            if len(idx) < 50 or np.any(np.diff(idx) != 1):
                continue
            line = pts[idx]
            clear = min(
                float(np.min(np.hypot(line[:, 0] - t.x, line[:, 1] - t.y)) - t.rx)
                for t in st
                if t.kind != "village"
            )
            if best is None or clear > best[0]:
                best = (clear, line)
    if best is None:
        log.debug("no straight motorway alignment fits this county; none drawn")
        return
    line = best[1]
    d = np.gradient(line, axis=0)
    d /= np.hypot(d[:, 0], d[:, 1])[:, None]
    right = np.column_stack([d[:, 1], -d[:, 0]])
    eb = b.add_nodes(line + 12.0 * right).tolist()
    wb_pts = line - 12.0 * right
    wb = b.add_nodes(wb_pts).tolist()
    common = {"highway": "motorway", "oneway": "yes", "maxspeed": "120", "lanes": "2"}
    common |= {"name": "示范高速", "ref": "S990"}
    b.add_way(eb, common)
    b.add_way(wb[::-1], common)
    # Junctions: nearest approach to the core, and to the town nearest the motorway far away.
    d_core = np.hypot(line[:, 0] - core.x, line[:, 1] - core.y)
    j1 = int(np.argmin(d_core))
    targets = [(0, j1)]
    towns = [i for i, s in enumerate(st) if s.kind == "town"]
    best_t = None
    for t in towns:
        dt = np.hypot(line[:, 0] - st[t].x, line[:, 1] - st[t].y)
        k = int(np.argmin(dt))
        if abs(k - j1) > 80 and (best_t is None or dt[k] < best_t[0]):
            best_t = (float(dt[k]), t, k)
    if best_t is not None:
        targets.append((best_t[1], best_t[2]))
    n = len(line)
    for target, k in targets:
        k = int(np.clip(k, 6, n - 7))
        s = st[target]
        towards = np.array([s.x, s.y]) - line[k]
        towards /= np.hypot(*towards)
        jxy = line[k] + 400.0 * towards
        jn = int(b.add_nodes(jxy[None, :])[0])
        xy_all = b.xy()
        link = {"highway": "motorway_link", "oneway": "yes", "maxspeed": "60"}
        for path in (
            wiggly(b, eb[k - 5], jn, xy_all, spacing_m=40.0, bend=0.1),  # off, eastbound
            wiggly(b, jn, eb[k + 5], xy_all, spacing_m=40.0, bend=0.1),  # on, eastbound
            wiggly(b, wb[k + 5], jn, xy_all, spacing_m=40.0, bend=0.1),  # off, westbound
            wiggly(b, jn, wb[k - 5], xy_all, spacing_m=40.0, bend=0.1),  # on, westbound
        ):
            b.add_way(path, link)
        xy_all = b.xy()
        grid = grids[target]
        an = attach(s, grid, float(jxy[0]), float(jxy[1]))
        conn = wiggly(b, jn, an, xy_all, spacing_m=45.0, bend=0.03)
        b.add_way(
            conn, {"highway": "secondary", "maxspeed": "60", "name": f"{s.name[:2]}互通连接线"}
        )


def _keep_main_component(b: Builder) -> None:
    """Drop ways outside the largest connected piece (a guard; the generator connects all)."""
    xy = b.xy()
    n = len(xy)
    rows = [a - 1 for w in b.ways for a in w.nodes[:-1]]
    cols = [c - 1 for w in b.ways for c in w.nodes[1:]]
    m = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    k, labels = csgraph.connected_components(m, directed=False)
    if k == 1:
        return
    used = np.zeros(n, bool)
    used[rows] = True
    used[cols] = True
    main = np.bincount(labels[used]).argmax()
    before = len(b.ways)
    b.ways = [w for w in b.ways if labels[w.nodes[0] - 1] == main]
    for i, w in enumerate(b.ways):
        w.id = i + 1
    log.debug("dropped %d way(s) outside the main street network", before - len(b.ways))


def build_streets(rng: np.random.Generator, region: Region) -> tuple[Builder, list[Grid]]:
    """Every street of the county, one grid per settlement (same order as the settlements)."""
    b = Builder(rng)
    grids: list[Grid] = []
    for s in region.settlements:
        if s.kind == "core":
            grids.append(_core_streets(b, s))
        elif s.kind == "town":
            grids.append(_town_streets(b, s))
        else:
            grids.append(_village_streets(b, s))
    _rural_roads(b, region, grids)
    _motorway(b, region, grids)
    _tracks(b, region, grids)
    _keep_main_component(b)
    return b, grids

"""A travel-time graph on compressed sparse rows: the structure every search runs on.

A :class:`TravelGraph` is directed; an edge's weight is its traversal time in
seconds. Nodes carry their original ids (OSM node ids, stop ids …) and projected
coordinates, so points can be snapped and results mapped. It converts to and from
networkx for checking and for users who hold an osmnx graph.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS
from scipy.sparse.csgraph import connected_components

from planner._repr import html_table, one_line
from planner.errors import EmptyFileError, InvalidValueError
from planner.network._modes import mode_edges

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)

__all__ = ["TravelGraph"]


@dataclass(frozen=True, eq=False, repr=False)
class TravelGraph:
    """Directed graph with travel times (seconds) as a CSR matrix.

    Attributes
    ----------
    mode
        ``"walk"``, ``"ebike"``, ``"drive"``, ``"bus"`` (walk + bus) …
    node_ids
        Original id of each node (int64 OSM ids, or object ids for stops), length n.
    x, y
        Projected coordinates of each node (metres, in ``crs``).
    crs
        The projected CRS of ``x``, ``y``.
    matrix
        ``scipy.sparse.csr_array`` (n × n): ``matrix[i, j]`` = seconds from i to j. Parallel
        edges keep the fastest.
    notes
        What was done on the way (dropped components, fallbacks), for reports.
    access_circuity
        Factor on the straight-line walk from a point to its snapped node (1 for street
        graphs, whose nodes are near; :data:`planner.settings.CIRCUITY_FACTOR` for graphs
        of scattered points such as :func:`planner.network.access.straight_line_graph`).
    max_snap_m
        Smallest snapping limit of this graph (m): points this close always snap, whatever
        limit a caller passes (a sparse graph of bus stops needs more than a street
        graph). ``None``: the caller's limit.
    """

    mode: str
    node_ids: NDArray[Any]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    crs: CRS | None
    matrix: sp.csr_array
    notes: tuple[str, ...] = field(default=())
    access_circuity: float = 1.0
    max_snap_m: float | None = None

    def _facts(self) -> list[tuple[str, object]]:
        crs = self.crs.to_epsg() or self.crs.name if self.crs is not None else None
        return [
            ("mode", self.mode),
            ("nodes", f"{len(self.node_ids):,}"),
            ("edges", f"{self.matrix.nnz:,}"),
            ("crs", f"EPSG:{crs}" if isinstance(crs, int) else crs),
        ]

    def __repr__(self) -> str:
        return one_line("TravelGraph", self._facts())

    def _repr_html_(self) -> str:
        return html_table("TravelGraph", [*self._facts(), ("notes", "; ".join(self.notes))])

    @classmethod
    def from_edges(
        cls,
        mode: str,
        node_ids: ArrayLike,
        x: ArrayLike,
        y: ArrayLike,
        u: ArrayLike,
        v: ArrayLike,
        time_s: ArrayLike,
        *,
        crs: Any = None,
        notes: tuple[str, ...] = (),
        access_circuity: float = 1.0,
        max_snap_m: float | None = None,
    ) -> TravelGraph:
        """Build from edge arrays of node *positions* ``u`` → ``v`` with ``time_s`` seconds.

        Raises
        ------
        InvalidValueError
            Negative, NaN or infinite times; positions outside ``0..n-1``.
        """
        ids = np.asarray(node_ids)
        n = len(ids)
        u_a = np.asarray(u, dtype=np.int64)
        v_a = np.asarray(v, dtype=np.int64)
        t = np.asarray(time_s, dtype=float)
        if not (len(u_a) == len(v_a) == len(t)):
            raise ValueError("u, v and time_s differ in length")
        bad = ~np.isfinite(t) | (t < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidValueError(
                f"edge {i} ({ids[u_a[i]]} -> {ids[v_a[i]]}) has travel time {t[i]} "
                f"({int(bad.sum())} such edge(s))",
                column="time_s",
                fix="edge lengths and speeds must be finite and non-negative",
            )
        if len(u_a) and (min(u_a.min(), v_a.min()) < 0 or max(u_a.max(), v_a.max()) >= n):
            raise ValueError("edge endpoints must be node positions 0..n-1")
        # Keep the fastest of parallel edges; zero-time edges become a tiny positive weight so
        # the sparse structure keeps them (csgraph treats explicit zeros as absent).
        t = np.maximum(t, 1e-9)
        order = np.lexsort((t, v_a, u_a))
        u_s, v_s, t_s = u_a[order], v_a[order], t[order]
        first = np.ones(len(u_s), dtype=bool)
        first[1:] = (u_s[1:] != u_s[:-1]) | (v_s[1:] != v_s[:-1])
        self_loop = u_s == v_s
        keep = first & ~self_loop
        m = sp.csr_array((t_s[keep], (u_s[keep], v_s[keep])), shape=(n, n))
        m.sort_indices()
        return cls(
            mode=mode,
            node_ids=ids,
            x=np.asarray(x, dtype=float),
            y=np.asarray(y, dtype=float),
            crs=CRS.from_user_input(crs) if crs is not None else None,
            matrix=m,
            notes=notes,
            access_circuity=access_circuity,
            max_snap_m=max_snap_m,
        )

    @property
    def n_nodes(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.matrix.nnz)

    def edges(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """(u, v, seconds) arrays of node positions."""
        coo = self.matrix.tocoo()
        return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(float)

    def reversed(self) -> TravelGraph:
        """The graph with every edge reversed (for searches towards a target)."""
        return replace(self, matrix=sp.csr_array(self.matrix.T))

    def position(self, node_ids: ArrayLike) -> NDArray[np.int64]:
        """Positions of original node ids (KeyError naming the first unknown id)."""
        lookup = {k: i for i, k in enumerate(self.node_ids.tolist())}
        out = []
        for k in np.asarray(node_ids).tolist():
            if k not in lookup:
                raise KeyError(f"node {k!r} is not in the {self.mode} graph")
            out.append(lookup[k])
        return np.asarray(out, dtype=np.int64)

    def to_networkx(self) -> nx.DiGraph:
        """A networkx DiGraph with node ids as nodes and ``time_s`` edge weights."""
        g = nx.DiGraph()
        ids = self.node_ids.tolist()
        for i, k in enumerate(ids):
            g.add_node(k, x=float(self.x[i]), y=float(self.y[i]))
        u, v, t = self.edges()
        g.add_weighted_edges_from(
            ((ids[a], ids[b], float(w)) for a, b, w in zip(u, v, t, strict=True)), weight="time_s"
        )
        return g

    @classmethod
    def from_streets(
        cls,
        streets: gpd.GeoDataFrame,
        nodes: gpd.GeoDataFrame,
        mode: str,
        *,
        speed_kmh: float | None = None,
        drive_speeds_kmh: Mapping[str, float] | None = None,
        keep_largest: bool = True,
    ) -> TravelGraph:
        """The travel-time graph of one mode from street edges and nodes.

        See :func:`planner.network.streets.build_mode_graph` (the same function).
        """
        if len(streets) == 0 or len(nodes) == 0:
            raise EmptyFileError(
                "the street network is empty (no edges or no nodes)",
                fix="check the road input covers the study area",
            )
        edges = mode_edges(streets, mode, speed_kmh=speed_kmh, drive_speeds_kmh=drive_speeds_kmh)
        if len(edges) == 0:
            raise EmptyFileError(
                f"no street can be used by mode '{mode}'",
                fix="check the road input's highway and access tags",
            )
        node_ids = nodes["osmid"].to_numpy()
        used = np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]))
        known = np.isin(used, node_ids)
        if not known.all():
            raise InvalidValueError(
                f"street edges name {int((~known).sum())} node(s) missing from the nodes table, "
                f"e.g. {used[~known][0]}",
                column="u",
                fix="pass the nodes returned with the streets",
            )
        nodes_used = nodes.set_index("osmid").loc[used]
        pos_u = np.searchsorted(used, edges["u"].to_numpy())
        pos_v = np.searchsorted(used, edges["v"].to_numpy())
        x = nodes_used.geometry.x.to_numpy()
        y = nodes_used.geometry.y.to_numpy()
        notes: list[str] = []
        if keep_largest:
            n = len(used)
            g = cls.from_edges(mode, used, x, y, pos_u, pos_v, edges["time_s"], crs=nodes.crs)
            n_comp, labels = connected_components(g.matrix, directed=True, connection="strong")
            if n_comp > 1:
                sizes = np.bincount(labels)
                big = int(np.argmax(sizes))
                keep = labels == big
                dropped = int(n - keep.sum())
                note = (
                    f"{mode}: kept the largest strongly connected part ({int(keep.sum()):,} of "
                    f"{n:,} nodes); dropped {dropped:,} node(s) in {n_comp - 1:,} smaller part(s)"
                )
                log.info(note)
                notes.append(note)
                new_pos = np.cumsum(keep) - 1
                e_keep = keep[pos_u] & keep[pos_v]
                return cls.from_edges(
                    mode,
                    used[keep],
                    x[keep],
                    y[keep],
                    new_pos[pos_u[e_keep]],
                    new_pos[pos_v[e_keep]],
                    edges["time_s"].to_numpy()[e_keep],
                    crs=nodes.crs,
                    notes=tuple(notes),
                )
            return g
        return cls.from_edges(
            mode, used, x, y, pos_u, pos_v, edges["time_s"], crs=nodes.crs, notes=tuple(notes)
        )

    @classmethod
    def from_osmnx(
        cls,
        graph: nx.Graph,
        *,
        mode: str,
        crs: Any = None,
        keep_largest: bool = True,
    ) -> TravelGraph:
        """From an osmnx street graph, with planner's access rules and speeds for ``mode``.

        The graph's edges become planner's street edges (``highway``, ``oneway``,
        ``maxspeed``, access tags, ``length`` in metres) and go through the same rules as an
        OSM extract (:func:`planner.network.streets.build_mode_graph`): walk, e-bike or
        drive access, oneway, speeds from :mod:`planner.settings`. List-valued tags (osmnx
        keeps a simplified edge's ``highway`` as ``["primary", "secondary"]``) take the
        fastest class. Times come from ``length`` — a geographic CRS is fine for that, but
        node coordinates are projected: to ``crs``, or the graph's own CRS when it is
        projected, else the UTM zone of the nodes.

        Parameters
        ----------
        graph
            An osmnx ``MultiDiGraph`` (``G.graph["crs"]`` set, nodes with ``x``/``y``,
            edges with ``length``).
        mode
            ``"walk"``, ``"ebike"`` or ``"drive"``.
        crs
            Projected CRS of the result (e.g. a study's ``area.crs``).

        Raises
        ------
        CRSError
            The graph has no ``crs``, its coordinates do not fit it (degrees labelled as a
            projected CRS), or ``crs`` is geographic.
        InvalidValueError
            An edge without ``length``.
        """
        from planner.network._osmnx import osmnx_streets

        streets, nodes = osmnx_streets(graph, crs=crs)
        return cls.from_streets(streets, nodes, mode, keep_largest=keep_largest)

    @classmethod
    def from_networkx(
        cls,
        graph: nx.Graph,
        *,
        mode: str = "custom",
        weight: str = "time_s",
        crs: CRS | None = None,
    ) -> TravelGraph:
        """From a networkx/osmnx graph with node attributes ``x``, ``y`` and a time weight.

        Undirected graphs get both directions. MultiDiGraphs keep the fastest parallel edge.
        """
        ids = list(graph.nodes)
        pos = {k: i for i, k in enumerate(ids)}
        xs = np.array([float(graph.nodes[k].get("x", np.nan)) for k in ids])
        ys = np.array([float(graph.nodes[k].get("y", np.nan)) for k in ids])
        us, vs, ts = [], [], []
        for a, b, data in graph.edges(data=True):
            if weight not in data:
                raise InvalidValueError(
                    f"edge ({a}, {b}) has no '{weight}' attribute",
                    column=weight,
                    fix="add travel times first (e.g. osmnx.add_edge_travel_times, weight='travel_time')",
                )
            us.append(pos[a])
            vs.append(pos[b])
            ts.append(float(data[weight]))
            if not graph.is_directed():
                us.append(pos[b])
                vs.append(pos[a])
                ts.append(float(data[weight]))
        node_ids = np.empty(len(ids), dtype=object)
        node_ids[:] = ids
        if all(isinstance(k, int | np.integer) for k in ids):
            node_ids = np.asarray(ids, dtype=np.int64)
        return cls.from_edges(mode, node_ids, xs, ys, us, vs, ts, crs=crs)

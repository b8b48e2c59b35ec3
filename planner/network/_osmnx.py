"""An osmnx street graph as planner's street edges and nodes (for TravelGraph.from_osmnx)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner import settings
from planner.errors import CRSError, InvalidValueError
from planner.io.crs import choose_crs

__all__ = ["osmnx_streets"]

#: Street tags planner reads, as osmnx names them on edges.
_TAGS = ("highway", "oneway", "access", "foot", "bicycle", "motor_vehicle", "name")

#: Class order, fastest first, for list-valued ``highway`` tags.
_BY_SPEED = sorted(settings.DRIVE_SPEEDS_KMH, key=lambda k: -settings.DRIVE_SPEEDS_KMH[k])


def _one(value: Any, *, fastest: bool = False) -> Any:
    """osmnx keeps merged ways' tags as lists: one value (the fastest class for highway)."""
    if isinstance(value, list | tuple):
        vals = [v for v in value if v is not None]
        if not vals:
            return None
        if fastest:
            known = [v for v in _BY_SPEED if v in vals]
            return known[0] if known else vals[0]
        return vals[0]
    return value


def _oneway(value: Any) -> str:
    v = _one(value)
    if isinstance(v, bool):
        return "yes" if v else "no"
    text = str(v).strip().lower() if v is not None else ""
    if text in {"true", "yes", "1"}:
        return "yes"
    if text in {"-1", "reverse"}:
        return "-1"
    return "no"


def _maxspeed(value: Any) -> float:
    from planner.io.osm import parse_maxspeed

    v = _one(value)
    if isinstance(v, list | tuple):
        v = v[0]
    return float(parse_maxspeed(str(v))) if v is not None else float("nan")


def osmnx_streets(graph: nx.Graph, *, crs: Any = None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(streets, nodes) frames of :func:`planner.io.osm.read_osm`'s shape from an osmnx graph.

    See :meth:`planner.network.graph.TravelGraph.from_osmnx`.
    """
    src = graph.graph.get("crs")
    if src is None:
        raise CRSError(
            "the osmnx graph has no crs (G.graph['crs'])",
            fix="build it with osmnx (which sets it), or set G.graph['crs'] = 'EPSG:4326'",
        )
    src_crs = CRS.from_user_input(src)
    ids = list(graph.nodes)
    xs = np.array([float(graph.nodes[k].get("x", np.nan)) for k in ids])
    ys = np.array([float(graph.nodes[k].get("y", np.nan)) for k in ids])
    if len(ids) and src_crs.is_projected and np.nanmax(np.abs(np.concatenate([xs, ys]))) < 400:
        raise CRSError(
            f"the graph says {src_crs.name} (metres) but its node coordinates look like degrees",
            fix="set G.graph['crs'] to the CRS its x/y are in (osmnx: 'EPSG:4326' unprojected)",
        )
    if crs is not None:
        out_crs = CRS.from_user_input(crs)
    elif src_crs.is_projected:
        out_crs = src_crs
    else:
        out_crs = choose_crs(float(np.nanmedian(xs)), float(np.nanmedian(ys)))
    if not out_crs.is_projected:
        raise CRSError(
            f"{out_crs.name} is geographic: travel graphs work in metres",
            fix="pass a projected crs (e.g. the study's area.crs) or none",
        )
    nodes = gpd.GeoDataFrame(
        {"osmid": pd.array(ids, dtype=object)},
        geometry=gpd.points_from_xy(xs, ys),
        crs=src_crs,
    ).to_crs(out_crs)
    if all(isinstance(k, int | np.integer) for k in ids):
        nodes["osmid"] = nodes["osmid"].astype(np.int64)
    rows: dict[str, list[Any]] = {k: [] for k in ("u", "v", "length_m", "maxspeed_kmh", *_TAGS)}
    for u, v, data in graph.edges(data=True):
        if "length" not in data:
            raise InvalidValueError(
                f"edge ({u}, {v}) has no 'length'",
                column="length",
                fix="use a graph from osmnx.graph_from_* (edges carry length in metres)",
            )
        rows["u"].append(u)
        rows["v"].append(v)
        rows["length_m"].append(float(data["length"]))
        rows["maxspeed_kmh"].append(_maxspeed(data.get("maxspeed")))
        for tag in _TAGS:
            raw = data.get(tag)
            rows[tag].append(
                _oneway(raw) if tag == "oneway" else _one(raw, fastest=tag == "highway")
            )
    frame = pd.DataFrame(rows)
    if not graph.is_directed():  # both directions
        back = frame.rename(columns={"u": "v", "v": "u"})
        frame = pd.concat([frame, back], ignore_index=True)
    elif graph.is_multigraph():
        # osmnx adds both directions of a two-way street as edges of their own
        frame.loc[frame["oneway"] == "no", "oneway"] = "yes"
    pos = pd.Series(np.arange(len(nodes)), index=nodes["osmid"].to_numpy())
    pu = nodes.geometry.values[pos.loc[frame["u"].to_numpy()].to_numpy()]
    pv = nodes.geometry.values[pos.loc[frame["v"].to_numpy()].to_numpy()]
    lines = (
        shapely.linestrings(
            np.stack(
                [
                    np.column_stack([shapely.get_x(pu), shapely.get_y(pu)]),
                    np.column_stack([shapely.get_x(pv), shapely.get_y(pv)]),
                ],
                axis=1,
            )
        )
        if len(frame)
        else []
    )
    streets = gpd.GeoDataFrame(frame, geometry=list(lines), crs=out_crs)
    return streets, nodes

"""The sources of candidate sites: one builder per source, each returning a record frame.

Every builder takes one input of a study and returns a frame built with
:func:`planner.analysis.candidates._records._records` (anchor kind, name, sector, routes,
source, source id, point, outline); it does not merge, number or filter by area, which
:func:`planner.analysis.candidates.sites.candidate_sites` does for all sources at once.

* markets (the directory): :func:`_market_candidates` (every tier);
* transit feed: :func:`_transit_candidates` (hubs and terminals; comprehensive);
* OSM places: :func:`_osm_comprehensive`, :func:`_osm_sector`, :func:`_station_venues`;
* places table: :func:`_named` (employment centres), :func:`_place_sector_candidates`,
  :func:`_station_venues`;
* walk graph: :func:`_street_points` (station);
* units and demand, for thin data: :func:`_unit_centres` (one per county or township,
  every tier but sector) and :func:`_demand_clusters` (uncovered demand on a grid sized by
  the tier's reach; comprehensive and station when there is no street network).

Adding a source
------------------------------------------------------------------------------
1. Write its builder here, in a section of its own (or, when it grows large, in a module
   beside this one), returning ``_records(...)`` or ``_empty()``.
2. Add its anchor kind(s) to :data:`~planner.analysis.candidates.sites.ANCHOR_KINDS` (the
   position sets its precedence in the merge) and to the tiers of
   :data:`~planner.analysis.candidates.sites.TIER_ANCHORS` that draw on it, and its source
   name to :data:`~planner.analysis.candidates.sites.SOURCES`.
3. Call it from :func:`~planner.analysis.candidates.sites.candidate_sites` for those tiers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from planner.analysis.candidates._records import (
    _column,
    _empty,
    _greedy_clusters,
    _inside_area,
    _points,
    _records,
    _text,
)
from planner.io.crs import StudyArea
from planner.io.transit import TransitFeed
from planner.network.graph import TravelGraph

log = logging.getLogger(__name__)

#: Words in a name that mark a public employment-service centre (人力资源市场,
#: 公共就业服务中心, 人社局, 就业服务站 …).
EMPLOYMENT_WORDS: tuple[str, ...] = ("人力资源", "公共就业", "人社", "就业服务")

#: Words in a name that mark a station venue, checked in this order (a 村党群服务中心 is a
#: party service centre).
STATION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("party_service_centre", ("党群服务中心",)),
    ("village_committee", ("村委会", "村民委员会")),
    ("community_centre", ("社区服务中心", "居委会", "居民委员会")),
)

#: OSM place kinds that anchor sector markets → (anchor kind, default sector).
_OSM_SECTOR_KINDS: dict[str, tuple[str, str]] = {
    "industrial": ("industrial_park", "manufacturing"),
    "building_materials": ("building_materials", "construction"),
    "mall": ("mall", "commerce"),
    "marketplace": ("marketplace", "commerce"),
}

_PLACE_SECTOR_KINDS = ("industrial_park", "building_materials", "mall")


# --------------------------------------------------------------------------------------
# Helpers of the sources
# --------------------------------------------------------------------------------------


def _names(frame: pd.DataFrame) -> list[str | None]:
    if "name" not in frame.columns:
        return [None] * len(frame)
    return [_text(v) for v in frame["name"].tolist()]


def _has_word(names: Sequence[str | None], words: Sequence[str]) -> NDArray[np.bool_]:
    return np.array([n is not None and any(w in n for w in words) for n in names], dtype=np.bool_)


def _osm_ids(osm: pd.DataFrame) -> list[str]:
    if "osm_type" in osm.columns and "osm_id" in osm.columns:
        return [f"{t}/{i}" for t, i in zip(osm["osm_type"], osm["osm_id"], strict=True)]
    return [str(i) for i in osm.index]


def _site(frame: gpd.GeoDataFrame) -> Any:
    """The places' site points when they have them, else their geometries."""
    if "site_point" in frame.columns:
        return np.asarray(gpd.GeoSeries(frame["site_point"]).values, dtype=object)
    return np.asarray(frame.geometry.values, dtype=object)


def _subset_records(
    frame: gpd.GeoDataFrame,
    anchor: Sequence[str | None],
    names: Sequence[str | None],
    *,
    source: str,
    ids: Sequence[Any],
    sectors: Sequence[Any] | None = None,
    geoms: Any = None,
) -> pd.DataFrame:
    use = np.array([a is not None for a in anchor], dtype=bool)
    if not use.any():
        return _empty()
    pos = np.flatnonzero(use)
    shapes = np.asarray(frame.geometry.values, dtype=object)[pos]
    g = shapes if geoms is None else np.asarray(geoms, dtype=object)[pos]
    xy, ok = _points(g, what=f"{source} candidates")
    pos = pos[ok].tolist()
    shapes = shapes[ok]
    is_area = shapely.get_type_id(shapes) >= int(shapely.GeometryType.POLYGON)
    footprint = [s if a else None for s, a in zip(shapes, is_area, strict=True)]
    return _records(
        [str(anchor[i]) for i in pos],
        [names[i] for i in pos],
        xy[ok],
        source=source,
        source_id=[ids[i] for i in pos],
        sector=[sectors[i] for i in pos] if sectors is not None else None,
        footprint=footprint,
    )


# --------------------------------------------------------------------------------------
# Markets (the directory): existing markets and employment-service centres
# --------------------------------------------------------------------------------------


def _market_candidates(markets: gpd.GeoDataFrame, tier: str) -> pd.DataFrame:
    tiers = markets["tier"].astype("string") if "tier" in markets.columns else None
    status = (
        markets["status"].astype("string").fillna("unknown")
        if "status" in markets.columns
        else pd.Series("unknown", index=markets.index, dtype="string")
    )
    names = _names(markets)
    same_tier = (
        (tiers == tier).fillna(False).to_numpy(dtype=bool)
        if tiers is not None
        else np.zeros(len(markets), dtype=bool)
    )
    is_open = (status != "closed").to_numpy(dtype=bool)
    existing = same_tier & is_open
    closed = int((same_tier & ~is_open).sum())
    if closed:
        log.info("%d closed %s market(s) are not candidates", closed, tier)
    employment = (
        _has_word(names, EMPLOYMENT_WORDS) & ~existing & is_open
        if tier == "comprehensive"
        else np.zeros(len(markets), dtype=bool)
    )
    use = existing | employment
    if not use.any():
        return _empty()
    sub = markets.loc[use]
    xy, ok = _points(sub.geometry.values, what=f"markets ({tier} candidates)")
    kinds = np.where(existing[use], "existing_market", "employment_centre")
    ids = _column(sub, "market_id")
    return _records(
        kinds[ok].tolist(),  # plain str, not np.str_ (which shows in every repr)
        [n for n, k in zip(np.asarray(names, dtype=object)[use], ok, strict=True) if k],
        xy[ok],
        source="markets",
        source_id=[i for i, k in zip(ids, ok, strict=True) if k],
    )


# --------------------------------------------------------------------------------------
# Transit feed: hubs and terminals
# --------------------------------------------------------------------------------------


def _transit_candidates(
    feed: TransitFeed,
    *,
    date: dt.date | str | None,
    window: tuple[str, str],
    hub_min_routes: int,
    merge_m: float,
) -> pd.DataFrame:
    """Hubs (stops with ≥ hub_min_routes routes, neighbours merged) and terminals."""
    patterns = feed.patterns
    if date is not None:
        service = feed.require_service(date, window[0], window[1])
        patterns = patterns[patterns["pattern_id"].isin(set(service["pattern_id"]))]
    else:
        log.warning(
            "no date given: every route of the feed counts towards hubs and terminals,"
            " whether it runs in the window %s-%s or not (pass date= to check service)",
            *window,
        )
    stop_routes: dict[str, set[str]] = {}
    terminals: set[str] = set()
    for stop_ids, route_id in zip(patterns["stop_ids"], patterns["route_id"], strict=True):
        ids = [str(s) for s in stop_ids]
        for s in ids:
            stop_routes.setdefault(s, set()).add(str(route_id))
        if ids:
            terminals.update((ids[0], ids[-1]))
    if not stop_routes:
        return _empty()
    stops = feed.stops.drop_duplicates("stop_id")
    stops = stops.set_index(stops["stop_id"].astype(str))
    known = [s for s in stop_routes if s in stops.index]
    if len(known) < len(stop_routes):
        log.warning(
            "transit: %d stop id(s) of the patterns are not in the stops table; left out",
            len(stop_routes) - len(known),
        )
    # Seeds: most routes first, then stop id, so a cluster is centred on its busiest stop.
    order = sorted(known, key=lambda s: (-len(stop_routes[s]), s))
    sub = stops.loc[order]
    xy, ok = _points(sub.geometry.values, what="transit stops")
    order = [s for s, k in zip(order, ok, strict=True) if k]
    xy = xy[ok]
    names = {s: _text(n) for s, n in zip(sub.index, _column(sub, "name"), strict=True)}
    seed = _greedy_clusters(xy, merge_m)
    routes_of_seed: dict[int, set[str]] = {}
    for i, s in enumerate(order):
        routes_of_seed.setdefault(int(seed[i]), set()).update(stop_routes[s])

    kinds: list[str] = []
    rows: list[int] = []
    n_routes: list[int] = []
    seen_terminal: set[int] = set()
    for i, s in enumerate(order):
        c = int(seed[i])
        n = len(routes_of_seed[c])
        if c == i and n >= hub_min_routes:
            kinds.append("transit_hub")
            rows.append(i)
            n_routes.append(n)
        if s in terminals and c not in seen_terminal:
            seen_terminal.add(c)
            kinds.append("bus_station")
            rows.append(i)
            n_routes.append(n)
    n_hubs = kinds.count("transit_hub")
    log.info(
        "transit: %d stop(s) in service, %d hub(s) with >= %d routes, %d terminal(s)",
        len(order),
        n_hubs,
        hub_min_routes,
        len(kinds) - n_hubs,
    )
    return _records(
        kinds,
        [names[order[i]] for i in rows],
        xy[rows] if rows else np.empty((0, 2)),
        source="transit",
        source_id=[order[i] for i in rows],
        n_routes=n_routes,
    )


# --------------------------------------------------------------------------------------
# OSM places
# --------------------------------------------------------------------------------------


def _osm_comprehensive(osm: gpd.GeoDataFrame) -> pd.DataFrame:
    kinds = _column(osm, "kind")
    names = _names(osm)
    anchor: list[str | None] = []
    for k, n in zip(kinds, names, strict=True):
        if n and any(w in n for w in EMPLOYMENT_WORDS):
            anchor.append("employment_centre")
        elif k == "bus_station":
            anchor.append("bus_station")
        elif k == "townhall":
            anchor.append("town_centre")
        else:
            anchor.append(None)
    return _subset_records(osm, anchor, names, source="osm", ids=_osm_ids(osm))


def _osm_sector(osm: gpd.GeoDataFrame, sector: str | None) -> pd.DataFrame:
    anchor: list[str | None] = []
    sectors: list[str | None] = []
    for k in _column(osm, "kind"):
        hit = _OSM_SECTOR_KINDS.get(str(k))
        if hit is None or (sector is not None and hit[1] != sector):
            anchor.append(None)
            sectors.append(None)
        else:
            anchor.append(hit[0])
            sectors.append(hit[1])
    return _subset_records(
        osm, anchor, _names(osm), source="osm", ids=_osm_ids(osm), sectors=sectors
    )


# --------------------------------------------------------------------------------------
# Places table: employment centres and sector places
# --------------------------------------------------------------------------------------


def _named(frame: gpd.GeoDataFrame, words: Sequence[str], kind: str, source: str) -> pd.DataFrame:
    names = _names(frame)
    hit = _has_word(names, words)
    anchor = [kind if h else None for h in hit]
    ids = _column(frame, "place_id") if "place_id" in frame.columns else list(map(str, frame.index))
    return _subset_records(frame, anchor, names, source=source, ids=ids, geoms=_site(frame))


def _place_sector_candidates(places: gpd.GeoDataFrame, sector: str | None) -> pd.DataFrame:
    kinds = _column(places, "kind")
    main = _column(places, "sector")
    lists = _column(places, "sectors")
    anchor: list[str | None] = []
    chosen: list[Any] = []
    for k, s, many in zip(kinds, main, lists, strict=True):
        options = list(many) if isinstance(many, list | tuple | np.ndarray) else []
        if _text(s) and s not in options:
            options.insert(0, s)
        if k not in _PLACE_SECTOR_KINDS or (sector is not None and sector not in options):
            anchor.append(None)
            chosen.append(None)
            continue
        anchor.append(str(k))
        chosen.append(sector if sector is not None else s)
    ids = _column(places, "place_id") if "place_id" in places.columns else list(places.index)
    return _subset_records(
        places,
        anchor,
        _names(places),
        source="places",
        ids=ids,
        sectors=chosen,
        geoms=_site(places),
    )


# --------------------------------------------------------------------------------------
# Community venues (OSM places or the places table): station anchors
# --------------------------------------------------------------------------------------


def _station_kind(name: str | None) -> str | None:
    if not name:
        return None
    for kind, words in STATION_WORDS:
        if any(w in name for w in words):
            return kind
    return None


def _station_venues(frame: gpd.GeoDataFrame, source: str) -> pd.DataFrame:
    """Community venues: kind community_centre, or a name marking one (any kind)."""
    names = _names(frame)
    kinds = _column(frame, "kind")
    anchor: list[str | None] = []
    for k, n in zip(kinds, names, strict=True):
        by_name = _station_kind(n)
        if by_name is not None:
            anchor.append(by_name)
        elif k == "community_centre":
            anchor.append("community_centre")
        else:
            anchor.append(None)
    if source == "osm":
        ids: list[Any] = _osm_ids(frame)
        geoms = None
    else:
        ids = _column(frame, "place_id") if "place_id" in frame.columns else list(frame.index)
        geoms = _site(frame)
    return _subset_records(frame, anchor, names, source=source, ids=ids, geoms=geoms)


# --------------------------------------------------------------------------------------
# Walk graph: street points
# --------------------------------------------------------------------------------------


def _street_points(
    walk: TravelGraph,
    spacing_m: float,
    anchors_xy: NDArray[np.float64],
    area: StudyArea | None,
) -> pd.DataFrame:
    """The walk node nearest each grid-cell centre (within spacing/2), in cells with no anchor."""
    x = np.asarray(walk.x, dtype=float)
    y = np.asarray(walk.y, dtype=float)
    good = np.isfinite(x) & np.isfinite(y)
    if not good.any():
        return _empty()
    node_pos = np.flatnonzero(good)
    xy = np.column_stack([x[good], y[good]])
    cells = np.unique(np.floor(xy / spacing_m).astype(np.int64), axis=0)
    centres = (cells + 0.5) * spacing_m
    dist, nearest = cKDTree(xy).query(centres, distance_upper_bound=spacing_m / 2.0)
    hit = np.isfinite(dist)
    cells, nearest = cells[hit], nearest[hit]
    if len(anchors_xy):
        taken = {tuple(c) for c in np.floor(anchors_xy / spacing_m).astype(np.int64).tolist()}
        free = np.array([tuple(c) not in taken for c in cells.tolist()], dtype=bool)
        if (~free).any():
            log.info(
                "street points: %d grid cell(s) already hold a community venue", int((~free).sum())
            )
        nearest = nearest[free]
    nearest = np.unique(nearest)
    pts = xy[nearest]
    ids = walk.node_ids[node_pos[nearest]]
    out = _records(
        "street_point",
        [None] * len(pts),
        pts,
        source="street",
        source_id=[str(i) for i in ids.tolist()],
    )
    if area is not None and len(out):
        out = _inside_area(out, area)
    log.info("street points: %d on a %g m grid", len(out), spacing_m)
    return out


# --------------------------------------------------------------------------------------
# Thin data: unit centres and demand clusters (need only boundaries and population)
# --------------------------------------------------------------------------------------


def _weighted_centre_cell(
    cxy: NDArray[np.float64], w: NDArray[np.float64], members: NDArray[np.int64]
) -> int:
    """The member cell nearest the demand-weighted centre of ``members`` (so the point is a
    populated place, not a hillside between two towns)."""
    mw = w[members]
    centre = (cxy[members] * mw[:, None]).sum(axis=0) / mw.sum()
    d = np.hypot(*(cxy[members] - centre).T)
    return int(members[np.lexsort((members, d))[0]])


def _cell_points(demand: gpd.GeoDataFrame) -> NDArray[np.float64]:
    c = shapely.centroid(np.asarray(demand.geometry.values, dtype=object))
    return np.column_stack([shapely.get_x(c), shapely.get_y(c)])


def _unit_centres(
    units: gpd.GeoDataFrame, demand: gpd.GeoDataFrame | None, weight: str = "demand"
) -> pd.DataFrame:
    """One candidate per unit (county, township): where its people are centred.

    With demand cells, the populated cell nearest the unit's demand-weighted centre; else
    a point on the unit's surface (inside it, unlike a centroid). Named
    ``<unit>人口中心`` (population centre, not the government seat, which the data lack).
    """
    geoms = np.asarray(units.geometry.values, dtype=object)
    names = _column(units, "name")
    codes = _column(units, "code")
    xy = np.full((len(units), 2), np.nan)
    if demand is not None and len(demand) and weight in demand:
        cxy = _cell_points(demand)
        w = demand[weight].to_numpy(dtype=float)
        tree = shapely.STRtree(geoms)
        pi, ui = tree.query(shapely.points(cxy), predicate="within")
        for u in range(len(units)):
            members = np.sort(pi[(ui == u) & (w[pi] > 0)])
            if members.size:
                xy[u] = cxy[_weighted_centre_cell(cxy, w, members)]
    missing = np.isnan(xy[:, 0])
    if missing.any():
        pts = shapely.point_on_surface(geoms[missing])
        xy[missing, 0], xy[missing, 1] = shapely.get_x(pts), shapely.get_y(pts)
    label = [f"{n}人口中心" if _text(n) else None for n in names]
    return _records("unit_centre", label, xy, source="units", source_id=[str(c) for c in codes])


def _demand_clusters(
    demand: gpd.GeoDataFrame,
    spacing_m: float,
    *,
    covered: str | None = None,
    weight: str = "demand",
) -> pd.DataFrame:
    """One candidate per populated block of a ``spacing_m`` grid of the uncovered demand.

    Blocks are squares anchored at multiples of ``spacing_m``; each holds the cell nearest
    its demand-weighted centre. ``covered`` names a boolean column of cells already served
    (left out), so candidates go where the gaps are.
    """
    w = demand[weight].to_numpy(dtype=float)
    keep = w > 0
    if covered is not None and covered in demand:
        keep &= ~demand[covered].to_numpy(dtype=bool)
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return _empty()
    cxy = _cell_points(demand)
    block = np.floor(cxy[idx] / spacing_m).astype(np.int64)
    _, label = np.unique(block, axis=0, return_inverse=True)
    label = label.ravel()
    order = np.argsort(label, kind="stable")
    bounds = np.flatnonzero(np.diff(label[order])) + 1
    chosen = [
        _weighted_centre_cell(cxy, w, idx[grp]) for grp in np.split(order, bounds) if grp.size
    ]
    pts = cxy[chosen]
    ids = (
        demand["cell_id"].astype(str).to_numpy()[chosen]
        if "cell_id" in demand
        else [str(i) for i in chosen]
    )
    log.info("demand clusters: %d on a %.0f m grid", len(pts), spacing_m)
    return _records("demand_cluster", [None] * len(pts), pts, source="demand", source_id=list(ids))

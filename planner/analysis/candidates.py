"""Candidate sites per tier: where a comprehensive market, sector market or station could go.

:func:`candidate_sites` collects, for one tier of 鲁人社字〔2024〕44号, the places a new
market could be housed in, from whatever inputs a study has:

comprehensive (综合性零工市场, "交通便利 … 辐射一定区域")
    transit hubs (stops served by at least ``hub_min_routes`` distinct routes running in
    the analysis window, stops within ``merge_m`` counted together, e.g. both sides of a
    road), bus terminals (OSM ``bus_station`` and the first/last stop of every running
    pattern), town centres (OSM ``townhall``: 镇政府, 街道办事处), public employment-service
    centres (markets or places whose name holds 人力资源, 公共就业, 人社 or 就业服务) and
    existing comprehensive markets.
sector (行业性零工市场 at 产业园区、建材市场、大型商场)
    every industrial park, building-material market and mall of the places table (at its
    ``site_point``), OSM ``industrial``, ``mall``, ``building_materials`` and
    ``marketplace`` places, and existing sector markets.
station (零工服务站点 "就近提供服务")
    community venues: OSM ``community_centre`` and any OSM place or table place whose name
    holds 党群服务中心, 社区服务中心, 村委会 / 村民委员会 or 居委会 / 居民委员会, and existing
    stations; else points on the street network: on a square grid of
    ``street_spacing_m``, the walk-graph node nearest each cell centre, for cells with a
    node within ``street_spacing_m / 2`` of the centre and no venue inside.

Candidates closer than ``merge_m`` are one site. Merging is greedy, most specific anchor
first (the order of :data:`ANCHOR_KINDS`, then the source order of :data:`SOURCES`, then
more routes): each kept candidate absorbs the not yet absorbed candidates within
``merge_m`` of it, so a row of candidates 40 m apart does not collapse into one. The kept
row fills its missing ``sector`` from the absorbed ones, takes their largest ``n_routes``
and lists them in ``merged``. A polygon anchor (an OSM industrial area, a mall outline) also
merges into the first candidate in that order that lies inside its outline or within
``merge_m`` of it, so an OSM park polygon and the places table's point of the same park
are one site.

Users add sites (``add``; they come first in the merge, so a user site absorbs generated
ones near it) and exclude sites by ``candidate_id`` or ``anchor_name``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from scipy.spatial import cKDTree

from planner import settings
from planner.errors import CRSError, EmptyFileError, GeometryError, InvalidValueError
from planner.io.crs import StudyArea
from planner.io.transit import TransitFeed
from planner.network.graph import TravelGraph

__all__ = [
    "ANCHOR_KINDS",
    "CANDIDATE_COLUMNS",
    "EMPLOYMENT_WORDS",
    "SOURCES",
    "TIER_ANCHORS",
    "candidate_sites",
]

log = logging.getLogger(__name__)

#: Anchor kinds, most specific first: the merge keeps the first of candidates within
#: ``merge_m``. A user's site first, then a market that already exists, named public venues,
#: the places of a sector, transit, town halls, and plain street points last.
ANCHOR_KINDS: tuple[str, ...] = (
    "user",
    "existing_market",
    "employment_centre",
    "party_service_centre",
    "village_committee",
    "community_centre",
    "industrial_park",
    "building_materials",
    "mall",
    "marketplace",
    "transit_hub",
    "bus_station",
    "town_centre",
    "street_point",
)

#: Sources, most trusted first (a tie between two anchors of one kind keeps the first):
#: the user's own sites, the study's places table (with sector and workforce), the market
#: directory, OSM, the transit feed, the street graph.
SOURCES: tuple[str, ...] = ("user", "places", "markets", "osm", "transit", "street")

#: Anchor kinds each tier draws on (``user`` is allowed in every tier).
TIER_ANCHORS: dict[str, frozenset[str]] = {
    "comprehensive": frozenset(
        {"existing_market", "employment_centre", "transit_hub", "bus_station", "town_centre"}
    ),
    "sector": frozenset(
        {"existing_market", "industrial_park", "building_materials", "mall", "marketplace"}
    ),
    "station": frozenset(
        {
            "existing_market",
            "party_service_centre",
            "village_committee",
            "community_centre",
            "street_point",
        }
    ),
}

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

#: Columns of the result, in order (``geometry`` last).
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "candidate_id",
    "tier",
    "anchor_kind",
    "anchor_name",
    "sector",
    "n_routes",
    "source",
    "source_id",
    "merged",
)

_ID_PREFIX = {"comprehensive": "comp", "sector": "sect", "station": "stat"}

_EMPTY_FIX = {
    "comprehensive": "give a transit feed (and a date), OSM places with town halls or bus"
    " stations, or markets",
    "sector": "give places (industrial parks, building-material markets, malls) or OSM places",
    "station": "give community centres or a walk graph",
}

_RECORD_COLUMNS = ("anchor_kind", "anchor_name", "sector", "n_routes", "source", "source_id")


def candidate_sites(
    tier: str,
    *,
    area: StudyArea | None = None,
    osm_places: gpd.GeoDataFrame | None = None,
    feed: TransitFeed | None = None,
    places: gpd.GeoDataFrame | None = None,
    markets: gpd.GeoDataFrame | None = None,
    walk: TravelGraph | None = None,
    date: dt.date | str | None = None,
    window: tuple[str, str] = settings.TRANSIT_WINDOW,
    hub_min_routes: int = settings.HUB_MIN_ROUTES,
    street_spacing_m: float = settings.CANDIDATE_STREET_SPACING_M,
    sector: str | None = None,
    add: gpd.GeoDataFrame | None = None,
    exclude: Iterable[str] = (),
    merge_m: float = settings.CANDIDATE_MERGE_M,
) -> gpd.GeoDataFrame:
    """Candidate sites of one tier, from transit, OSM places, the places table and markets.

    Parameters
    ----------
    tier
        ``"comprehensive"``, ``"sector"`` or ``"station"`` (see the module docstring for
        what each draws on).
    area
        Study area: every input must be in ``area.crs``, and generated candidates outside
        the area's polygons are left out (counted in a warning). Without it the inputs
        must share one projected CRS.
    osm_places
        ``read_osm(...).places`` (kinds bus_station, townhall, industrial, mall,
        building_materials, marketplace, community_centre; polygons stand for their
        :func:`shapely.point_on_surface`).
    feed
        Bus feed (:func:`~planner.io.transit.read_gtfs` /
        :func:`~planner.io.transit.read_route_tables`), for hubs and terminals.
    places
        :func:`~planner.io.places.read_places` output (``place_id``, ``name``, ``kind``,
        ``sector``, ``sectors``, ``site_point``).
    markets
        :func:`~planner.io.markets.read_markets` output. Markets of ``tier`` that are not
        ``closed`` are ``existing_market`` candidates; any market whose name marks an
        employment-service centre is a comprehensive candidate.
    walk
        Walk graph, for station street points.
    date, window
        Service day and ``("HH:MM", "HH:MM")`` window in which routes must run to count
        (default :data:`planner.settings.TRANSIT_WINDOW`). Without ``date`` every route of
        the feed counts (logged as a warning).
    hub_min_routes
        Distinct routes a stop (with its neighbours within ``merge_m``) needs to be a hub.
    street_spacing_m
        Grid spacing of station street points (m).
    sector
        Sector tier only: keep the candidates of this sector (places whose ``sectors``
        hold it; OSM places by their kind's default sector). Default: every sector.
    add
        User sites: points in the same CRS, with optional columns ``candidate_id`` (else
        ``C-<tier>-U001`` …), ``anchor_name`` (or ``name``), ``anchor_kind`` (default
        ``"user"``) and ``sector``.
    exclude
        ``candidate_id`` or ``anchor_name`` values to drop (after merging).
    merge_m
        Candidates within this distance (m) are one site.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`CANDIDATE_COLUMNS` and point ``geometry`` in the projected CRS:
        ``candidate_id`` (``C-comp-0001`` … numbered by anchor kind, name and position, so
        the same inputs give the same ids, and adding or excluding a site renumbers
        nothing else; user sites ``C-<tier>-U001`` …), ``tier``, ``anchor_kind`` (one of
        :data:`ANCHOR_KINDS`), ``anchor_name``, ``sector`` (sector tier; else filled from a
        merged candidate or missing), ``n_routes`` (Int64: distinct routes at transit
        candidates, carried to a candidate a hub was merged into), ``source`` (one of
        :data:`SOURCES`), ``source_id`` (stop id, OSM ``type/id``, place id, market id or
        street node id), ``merged`` (``"kind:name; …"`` of the candidates merged into this
        one, else missing).

    Raises
    ------
    InvalidValueError
        Unknown tier or sector, a bad number (``merge_m``, ``street_spacing_m``,
        ``hub_min_routes``), a user site that is not a point or has a repeated or taken
        id or an unknown anchor kind, an ``exclude`` value that matches nothing.
    CRSError
        An input without CRS, in degrees, or in another CRS than the others.
    TransitError
        ``date`` given but no bus runs in the window that day.
    EmptyFileError
        No candidate at all for the tier.

    Examples
    --------
    >>> import shapely
    >>> osm = gpd.GeoDataFrame(
    ...     {"kind": ["community_centre", "community_centre", "townhall"],
    ...      "name": ["东城社区党群服务中心", "东城社区服务中心", "城关街道办事处"],
    ...      "osm_type": ["node"] * 3, "osm_id": [1, 2, 3]},
    ...     geometry=[shapely.Point(0, 0), shapely.Point(30, 0), shapely.Point(900, 0)],
    ...     crs=32650)
    >>> c = candidate_sites("station", osm_places=osm)
    >>> c[["candidate_id", "anchor_kind", "merged"]].values.tolist()
    [['C-stat-0001', 'party_service_centre', 'community_centre:东城社区服务中心']]
    """
    if tier not in _ID_PREFIX:
        raise InvalidValueError(
            f"unknown tier {tier!r}",
            key="tier",
            fix=f"use one of {', '.join(settings.TIERS)}",
        )
    for name, value in (("merge_m", merge_m), ("street_spacing_m", street_spacing_m)):
        if not _is_number(value) or not (math.isfinite(float(value)) and float(value) >= 0):
            raise InvalidValueError(
                f"{name} must be a number of metres >= 0, got {value!r}",
                key=name,
                fix=f"give e.g. {name}=50",
            )
    if not float(street_spacing_m) > 0:
        raise InvalidValueError(
            "street_spacing_m must be > 0", key="street_spacing_m", fix="give e.g. 500"
        )
    if isinstance(hub_min_routes, bool) or not isinstance(hub_min_routes, int | np.integer):
        raise InvalidValueError(
            f"hub_min_routes must be a whole number, got {hub_min_routes!r}",
            key="hub_min_routes",
            fix="give e.g. hub_min_routes=3",
        )
    if hub_min_routes < 1:
        raise InvalidValueError(
            f"hub_min_routes must be at least 1, got {hub_min_routes}",
            key="hub_min_routes",
            fix="give e.g. hub_min_routes=3",
        )
    if sector is not None and (tier != "sector" or sector not in settings.SECTORS):
        raise InvalidValueError(
            f"sector={sector!r} is not a sector of the sector tier (tier {tier!r})",
            key="sector",
            fix=f"use sector= only with tier='sector', one of {', '.join(settings.SECTORS)}",
        )
    if isinstance(exclude, str):
        exclude = (exclude,)
    exclude = tuple(exclude)
    if add is not None and not isinstance(add, gpd.GeoDataFrame):
        raise InvalidValueError(
            f"add must be a GeoDataFrame of points, got {type(add).__name__}",
            key="add",
            fix="build one with geopandas.GeoDataFrame(..., geometry=points, crs=area.crs)",
        )

    crs = _common_crs(
        area,
        {
            "osm_places": osm_places,
            "feed": feed,
            "places": places,
            "markets": markets,
            "walk": walk,
            "add": add,
        },
    )
    merge = float(merge_m)

    parts: list[pd.DataFrame] = []
    if markets is not None:
        parts.append(_market_candidates(markets, tier))
    if tier == "comprehensive":
        if feed is not None:
            parts.append(
                _transit_candidates(
                    feed,
                    date=date,
                    window=window,
                    hub_min_routes=int(hub_min_routes),
                    merge_m=merge,
                )
            )
        if osm_places is not None:
            parts.append(_osm_comprehensive(osm_places))
        if places is not None:
            parts.append(_named(places, EMPLOYMENT_WORDS, "employment_centre", "places"))
    elif tier == "sector":
        if places is not None:
            parts.append(_place_sector_candidates(places, sector))
        if osm_places is not None:
            parts.append(_osm_sector(osm_places, sector))
    else:
        if osm_places is not None:
            parts.append(_station_venues(osm_places, "osm"))
        if places is not None:
            parts.append(_station_venues(places, "places"))
    generated = _concat(parts)
    if area is not None and len(generated):
        generated = _inside_area(generated, area)
    if tier == "station" and walk is not None:
        anchors_xy = generated[["x", "y"]].to_numpy(dtype=float)
        generated = _concat(
            [generated, _street_points(walk, float(street_spacing_m), anchors_xy, area)]
        )

    kept = _merge(generated, merge)
    kept = _sort_for_ids(kept)
    kept["candidate_id"] = [f"C-{_ID_PREFIX[tier]}-{k:04d}" for k in range(1, len(kept) + 1)]

    if add is not None:
        users = _user_candidates(add, tier, taken=set(kept["candidate_id"]))
        both = _concat([users, kept])
        kept = _merge(both, merge, keep_order=True)
        dropped = sorted(set(both["candidate_id"]) - set(kept["candidate_id"]))
        if dropped:
            log.info(
                "%d candidate(s) within %g m of a user site merged into it: %s",
                len(dropped),
                merge,
                ", ".join(dropped[:10]),
            )

    if sector is not None:
        other = kept["sector"].notna() & (kept["sector"] != sector)
        if other.any():
            log.info("%d candidate(s) of other sectors left out", int(other.sum()))
        kept = kept.loc[~other].reset_index(drop=True)
    if exclude:
        kept = _exclude(kept, exclude, tier)

    if len(kept) == 0:
        raise EmptyFileError(
            f"no candidate for tier {tier}",
            key="candidates",
            fix=_EMPTY_FIX[tier],
        )
    counts = kept["anchor_kind"].value_counts()
    log.info(
        "tier %s: %d candidate(s) (%s)",
        tier,
        len(kept),
        ", ".join(f"{k} {int(counts[k])}" for k in ANCHOR_KINDS if k in counts),
    )
    return _as_frame(kept, tier, crs)


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _common_crs(area: StudyArea | None, layers: dict[str, Any]) -> CRS:
    """The one projected CRS of the area and every input; a mismatch is an error."""
    found: list[tuple[str, CRS]] = []
    if area is not None:
        found.append(("area", CRS(area.crs)))
    for name, layer in layers.items():
        if layer is None:
            continue
        raw = layer.crs
        if raw is None:
            raise CRSError(
                f"{name} has no CRS",
                key=name,
                fix="read it with the study's area= (or crs=), or set its CRS",
            )
        found.append((name, CRS(raw)))
    if not found:
        raise EmptyFileError(
            "no input given",
            key="candidates",
            fix="give at least one of osm_places, feed, places, markets, walk or add",
        )
    first_name, first = found[0]
    if not first.is_projected:
        raise CRSError(
            f"{first_name} is in {first.name}, not a projected CRS in metres",
            key=first_name,
            fix="read every input with the study's area= so they share its projected CRS",
        )
    for name, crs in found[1:]:
        if crs != first:
            raise CRSError(
                f"CRS mismatch: {name} is in {crs.name} but {first_name} is in {first.name}",
                key=name,
                fix=f"read every input with the same area= (or crs=), or reproject {name} with"
                f" .to_crs({first.to_string()!r})",
            )
    return first


# --------------------------------------------------------------------------------------
# Generators: each returns a frame of _RECORD_COLUMNS plus x, y
# --------------------------------------------------------------------------------------


def _records(
    kind: Sequence[str] | str,
    name: Sequence[Any],
    xy: NDArray[np.float64],
    *,
    source: str,
    source_id: Sequence[Any],
    sector: Sequence[Any] | None = None,
    n_routes: Sequence[Any] | None = None,
    footprint: Sequence[Any] | None = None,
) -> pd.DataFrame:
    n = len(xy)
    out = pd.DataFrame(
        {
            "anchor_kind": [kind] * n if isinstance(kind, str) else list(kind),
            "anchor_name": [_text(v) for v in name],
            "sector": [_text(v) for v in sector] if sector is not None else [None] * n,
            "n_routes": pd.array(
                list(n_routes) if n_routes is not None else [None] * n, dtype="Int64"
            ),
            "source": [source] * n,
            "source_id": [_text(v) for v in source_id],
            "x": xy[:, 0] if n else np.empty(0),
            "y": xy[:, 1] if n else np.empty(0),
        }
    )
    # The outline of a polygon anchor (None for points): a candidate inside it, or within
    # merge_m of it, is the same site even when far from its representative point.
    out["footprint"] = list(footprint) if footprint is not None else [None] * n
    return out


def _empty() -> pd.DataFrame:
    return _records([], [], np.empty((0, 2)), source="", source_id=[])


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    out["n_routes"] = out["n_routes"].astype("Int64")
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _points(geoms: Any, *, what: str) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """(xy, ok): a point per geometry (point_on_surface for lines/polygons); empty → not ok."""
    arr = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    xy = np.full((len(arr), 2), np.nan)
    if ok.any():
        pts = shapely.point_on_surface(arr[ok])
        xy[ok, 0] = shapely.get_x(pts)
        xy[ok, 1] = shapely.get_y(pts)
    if (~ok).any():
        log.warning("%s: %d feature(s) without a geometry left out", what, int((~ok).sum()))
    return xy, ok


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


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


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


def _greedy_clusters(xy: NDArray[np.float64], radius_m: float) -> NDArray[np.int64]:
    """Seed index of each point: each point in order that is not yet taken becomes a seed and
    takes the untaken points within ``radius_m`` of it."""
    n = len(xy)
    seed = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return seed
    tree = cKDTree(xy)
    for i in range(n):
        if seed[i] >= 0:
            continue
        seed[i] = i
        for j in tree.query_ball_point(xy[i], radius_m):
            if seed[j] < 0:
                seed[j] = i
    return seed


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


def _named(frame: gpd.GeoDataFrame, words: Sequence[str], kind: str, source: str) -> pd.DataFrame:
    names = _names(frame)
    hit = _has_word(names, words)
    anchor = [kind if h else None for h in hit]
    ids = _column(frame, "place_id") if "place_id" in frame.columns else list(map(str, frame.index))
    return _subset_records(frame, anchor, names, source=source, ids=ids, geoms=_site(frame))


def _site(frame: gpd.GeoDataFrame) -> Any:
    """The places' site points when they have them, else their geometries."""
    if "site_point" in frame.columns:
        return np.asarray(gpd.GeoSeries(frame["site_point"]).values, dtype=object)
    return np.asarray(frame.geometry.values, dtype=object)


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


def _inside_area(frame: pd.DataFrame, area: StudyArea) -> pd.DataFrame:
    pts = shapely.points(frame["x"].to_numpy(), frame["y"].to_numpy())
    outside = area.distance_outside_m(pts) > 0
    if outside.any():
        counts = frame.loc[outside, "anchor_kind"].value_counts().sort_index()
        log.warning(
            "%d candidate(s) outside the study area %s left out (%s)",
            int(outside.sum()),
            area.name,
            ", ".join(f"{k} {int(v)}" for k, v in counts.items()),
        )
    return frame.loc[~outside].reset_index(drop=True)


def _user_candidates(add: gpd.GeoDataFrame, tier: str, *, taken: set[str]) -> pd.DataFrame:
    if not isinstance(add, gpd.GeoDataFrame):
        raise InvalidValueError(
            f"add must be a GeoDataFrame of points, got {type(add).__name__}",
            key="add",
            fix="build one with geopandas.GeoDataFrame(..., geometry=points, crs=area.crs)",
        )
    geoms = np.asarray(add.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    kinds = shapely.get_type_id(geoms)
    not_point = missing | (kinds != shapely.GeometryType.POINT)
    if not_point.any():
        i = int(np.flatnonzero(not_point)[0])
        raise GeometryError(
            f"user site at index {add.index[i]!r} is not a point"
            f" ({'empty' if missing[i] else geoms[i].geom_type})",
            key="add",
            fix="give one point per site (use .representative_point() for outlines)",
        )
    n = len(add)
    if "candidate_id" in add.columns:
        ids = [_text(v) for v in add["candidate_id"].tolist()]
    else:
        ids = [None] * n
    k = 0
    for i in range(n):
        if ids[i] is None:
            k += 1
            ids[i] = f"C-{_ID_PREFIX[tier]}-U{k:03d}"
    seen: set[str] = set()
    for i, cid in enumerate(ids):
        if cid in seen or cid in taken:
            raise InvalidValueError(
                f"user site id {cid!r} (index {add.index[i]!r}) is already used"
                + (" by a generated candidate" if cid in taken else " by another user site"),
                key="add",
                column="candidate_id",
                fix="give every user site its own candidate_id (or leave it empty)",
            )
        seen.add(str(cid))
    name_col = "anchor_name" if "anchor_name" in add.columns else "name"
    names = _column(add, name_col)
    akinds = [_text(v) or "user" for v in _column(add, "anchor_kind")]
    for i, ak in enumerate(akinds):
        if ak not in ANCHOR_KINDS:
            raise InvalidValueError(
                f"user site at index {add.index[i]!r} has unknown anchor_kind {ak!r}",
                key="add",
                column="anchor_kind",
                fix=f"use one of {', '.join(ANCHOR_KINDS)}, or leave it empty ('user')",
            )
    sectors = _column(add, "sector")
    for i, s in enumerate(sectors):
        if _text(s) is not None and s not in settings.SECTORS:
            raise InvalidValueError(
                f"user site at index {add.index[i]!r} has unknown sector {s!r}",
                key="add",
                column="sector",
                fix=f"use one of {', '.join(settings.SECTORS)}",
            )
    xy = np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)]) if n else np.empty((0, 2))
    out = _records(akinds, names, xy, source="user", source_id=[None] * n, sector=sectors)
    out["candidate_id"] = ids
    return out


# --------------------------------------------------------------------------------------
# Merge, ids, exclusion
# --------------------------------------------------------------------------------------


def _merge(frame: pd.DataFrame, merge_m: float, *, keep_order: bool = False) -> pd.DataFrame:
    """Greedy merge within ``merge_m``: most specific first (or the frame's order)."""
    if len(frame) == 0:
        out = frame.copy()
        out["merged"] = pd.Series(dtype="object")
        return out
    frame = frame.reset_index(drop=True)
    if keep_order:
        order = np.arange(len(frame))
    else:
        kind_rank = frame["anchor_kind"].map({k: i for i, k in enumerate(ANCHOR_KINDS)})
        src_rank = frame["source"].map({s: i for i, s in enumerate(SOURCES)})
        routes = frame["n_routes"].fillna(0).to_numpy(dtype=float)
        order = np.lexsort(
            (np.arange(len(frame)), -routes, src_rank.to_numpy(), kind_rank.to_numpy())
        )
    ordered = frame.iloc[order].reset_index(drop=True)
    xy = ordered[["x", "y"]].to_numpy(dtype=float)
    seed = _absorb_footprints(ordered, _greedy_clusters(xy, merge_m), merge_m)
    keep = seed == np.arange(len(ordered))
    before = ordered["merged"].tolist() if "merged" in ordered.columns else [None] * len(ordered)
    merged: list[str | None] = [_text(v) for v in before]
    sectors = ordered["sector"].tolist()
    routes_arr = ordered["n_routes"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    for i in np.flatnonzero(keep):
        members = np.flatnonzero(seed == i)
        others = [j for j in members if j != i]
        if not others:
            continue
        labels = [
            f"{ordered.at[j, 'anchor_kind']!s}:"
            f"{ordered.at[j, 'anchor_name'] or ordered.at[j, 'source_id']!s}"
            for j in others
        ]
        merged[i] = "; ".join([m for m in (merged[i], *labels) if m])
        if sectors[i] is None:
            sectors[i] = next((sectors[j] for j in others if sectors[j] is not None), None)
        r = routes_arr[members]
        if np.isfinite(r).any():
            routes_arr[i] = float(np.nanmax(r))
    ordered["merged"] = merged
    ordered["sector"] = sectors
    ordered["n_routes"] = pd.array(
        [None if math.isnan(v) else int(v) for v in routes_arr], dtype="Int64"
    )
    n_merged = int((~keep).sum())
    if n_merged:
        log.info("merged %d candidate(s) into one within %g m of it", n_merged, merge_m)
    return ordered.loc[keep].reset_index(drop=True)


def _absorb_footprints(
    ordered: pd.DataFrame, seed: NDArray[np.int64], merge_m: float
) -> NDArray[np.int64]:
    """Merge a kept polygon anchor into the first kept candidate (in merge order) that lies
    inside its outline or within ``merge_m`` of it, e.g. an OSM industrial-area polygon into
    the places table's point of the same park."""
    if "footprint" not in ordered.columns:
        return seed
    root = seed.copy()
    shapes = ordered["footprint"].to_numpy(dtype=object)
    points = shapely.points(ordered["x"].to_numpy(dtype=float), ordered["y"].to_numpy(dtype=float))
    for j in np.flatnonzero(seed == np.arange(len(seed))):
        shape = shapes[j]
        if shape is None or j == 0:
            continue
        earlier = np.arange(j)
        near = shapely.dwithin(shape, points[:j], merge_m) & (root[:j] == earlier)
        if near.any():
            i = int(np.flatnonzero(near)[0])
            root[root == j] = i
    return root


def _sort_for_ids(frame: pd.DataFrame) -> pd.DataFrame:
    if len(frame) == 0:
        out = frame.copy()
        out["candidate_id"] = pd.Series(dtype="object")
        return out
    kind_rank = frame["anchor_kind"].map({k: i for i, k in enumerate(ANCHOR_KINDS)}).to_numpy()
    names = frame["anchor_name"].fillna("\uffff").to_numpy(dtype=str)
    order = np.lexsort(
        (frame["y"].to_numpy(dtype=float), frame["x"].to_numpy(dtype=float), names, kind_rank)
    )
    return frame.iloc[order].reset_index(drop=True)


def _exclude(frame: pd.DataFrame, exclude: Sequence[str], tier: str) -> pd.DataFrame:
    drop = np.zeros(len(frame), dtype=bool)
    ids = frame["candidate_id"].astype(str).to_numpy()
    names = frame["anchor_name"].to_numpy(dtype=object)
    for value in exclude:
        hit = (ids == str(value)) | (names == str(value))
        if not hit.any():
            raise InvalidValueError(
                f"exclude: {value!r} matches no candidate_id or anchor_name of tier {tier}",
                key="exclude",
                fix="check the spelling against the candidates' candidate_id and anchor_name",
            )
        drop |= hit
    log.info("excluded %d candidate(s) on request", int(drop.sum()))
    return frame.loc[~drop].reset_index(drop=True)


def _as_frame(frame: pd.DataFrame, tier: str, crs: CRS) -> gpd.GeoDataFrame:
    data = {
        "candidate_id": frame["candidate_id"].astype(str).tolist(),
        "tier": [tier] * len(frame),
        "anchor_kind": frame["anchor_kind"].tolist(),
        "anchor_name": frame["anchor_name"].tolist(),
        "sector": frame["sector"].tolist(),
        "n_routes": frame["n_routes"].astype("Int64").to_numpy(),
        "source": frame["source"].tolist(),
        "source_id": frame["source_id"].tolist(),
        "merged": frame["merged"].tolist(),
    }
    out = pd.DataFrame(data)
    for col in ("candidate_id", "tier", "anchor_kind", "anchor_name", "sector", "source"):
        out[col] = out[col].astype("string")
    for col in ("source_id", "merged"):
        out[col] = out[col].astype("string")
    out["n_routes"] = out["n_routes"].astype("Int64")
    geometry = shapely.points(frame["x"].to_numpy(dtype=float), frame["y"].to_numpy(dtype=float))
    return gpd.GeoDataFrame(out, geometry=geometry, crs=crs)

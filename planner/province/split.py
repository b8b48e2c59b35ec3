"""Split a study over many counties into one piece of inputs per county.

A piece holds what one county's run needs and nothing more:

- the county as its study area, its people (demand cells), its census units, its places
  and its work logs: demand and new sites belong to the county itself;
- the roads, bus lines and markets within a buffer around it, so that a market across
  the border still serves the county's people and a trip may run through the neighbour.

The buffer (:func:`county_buffer_m`) is the longest tier threshold at the fastest mode's
speed (a bus at :data:`~planner.settings.BUS_SPEED_KMH`, an e-bike, a car on the fastest
road class), capped at :data:`BUFFER_CAP_M`: nobody reaches a market farther away within the
threshold, so a bigger buffer would change no result.

Every layer is clipped from the inputs read once for the whole area, in the area's
projected CRS (one CRS for every county, so that pieces fit together again).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import settings
from planner.analysis.coverage import default_rules
from planner.errors import InvalidValueError
from planner.inputs import StudyInputs
from planner.io.crs import StudyArea
from planner.study import Study

__all__ = [
    "BUFFER_CAP_M",
    "County",
    "CountyPiece",
    "county_buffer_m",
    "list_counties",
    "should_split",
    "split_inputs",
]

log = logging.getLogger(__name__)

#: The buffer never exceeds this (m): a 30-minute drive would otherwise reach 50 km.
BUFFER_CAP_M = 25_000.0

#: Columns of the boundary file that name a unit's city (DataV exports and the merged
#: Shandong file have ``city_adcode``/``city_name``; DataV county files ``parent``).
_CITY_CODE_COLUMNS = ("city_adcode", "city_code", "市代码", "parent_adcode")
_CITY_NAME_COLUMNS = ("city_name", "city", "市", "所属地市")
_COUNTY_NAME_COLUMNS = ("county_name", "parent_name", "区县", "county")


@dataclass(frozen=True)
class County:
    """One county (县、市、区) of the study area.

    Attributes
    ----------
    code, name
        The county's admin code (6 digits) and name.
    city_code, city_name
        Its city (from the boundary file's ``city_adcode``/``city_name``, else the code's
        first four digits).
    units
        The study area's units inside it (the county itself, or its townships), in the
        area's CRS.
    """

    code: str
    name: str
    city_code: str
    city_name: str
    units: gpd.GeoDataFrame

    @property
    def geometry(self) -> shapely.Geometry:
        """The union of the county's units."""
        return shapely.union_all(np.asarray(self.units.geometry.values))


@dataclass
class CountyPiece:
    """What one county's task receives.

    Attributes
    ----------
    county
        The county.
    inputs
        Its inputs: area, population, census, places and work logs of the county; roads,
        transit and markets within ``buffer_m`` of it.
    own_markets
        Market ids of the directory rows that lie in the county (published as its own).
    buffer_m
        The buffer used (m).
    """

    county: County
    inputs: StudyInputs
    own_markets: tuple[str, ...]
    buffer_m: float


def _first(columns: pd.Index, names: tuple[str, ...]) -> str | None:
    return next((c for c in names if c in columns), None)


def list_counties(area: StudyArea) -> list[County]:
    """The counties of a study area, in code order.

    Units with 6-digit codes are counties; townships (9 or 12 digits) are grouped by the
    first six.

    Examples
    --------
    >>> units = gpd.GeoDataFrame(
    ...     {"code": ["370602", "370613"], "name": ["芝罘区", "莱山区"],
    ...      "city_adcode": ["370600", "370600"], "city_name": ["烟台市", "烟台市"]},
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=32651)
    >>> [(c.code, c.name, c.city_name) for c in list_counties(StudyArea("x", units, units.crs))]
    [('370602', '芝罘区', '烟台市'), ('370613', '莱山区', '烟台市')]
    """
    units = area.units
    codes = units["code"].astype(str)
    county_code = codes.str.slice(0, 6)
    city_code_col = _first(units.columns, _CITY_CODE_COLUMNS)
    city_name_col = _first(units.columns, _CITY_NAME_COLUMNS)
    county_name_col = _first(units.columns, _COUNTY_NAME_COLUMNS)
    out: list[County] = []
    for code in sorted(set(county_code)):
        mine = units[(county_code == code).to_numpy()]
        own = mine[mine["code"].astype(str) == code]
        if len(own):
            name = str(own["name"].iloc[0])
        elif county_name_col is not None:
            name = str(mine[county_name_col].iloc[0])
        else:
            name = code
        city = str(mine[city_code_col].iloc[0]) if city_code_col else f"{code[:4]}00"
        if city.endswith(".0"):  # a numeric column read as float
            city = city[:-2]
        city_name = str(mine[city_name_col].iloc[0]) if city_name_col else city
        out.append(County(code, name, city, city_name, mine.reset_index(drop=True)))
    return out


def should_split(study: Study, counties: list[County]) -> bool:
    """Whether ``planner run`` splits the study by county (``[run] split``).

    ``"auto"`` splits when the area's counties belong to more than one city: the districts
    of one city are planned together (one plan whose candidates serve across district
    borders, one proposal, as a city bureau files it), a province or a study across cities
    one task per county. ``"county"`` always splits, ``"none"`` never.
    """
    split = study.run.split
    if split == "none":
        return False
    if split == "county":
        return True
    return len({c.city_code for c in counties}) > 1


_MODE_SPEED_KMH = {
    "walk": settings.WALK_SPEED_KMH,
    "ebike": settings.EBIKE_SPEED_KMH,
    "bus": settings.BUS_SPEED_KMH,
    "drive": max(settings.DRIVE_SPEEDS_KMH.values()),
}


def county_buffer_m(study: Study, *, cap_m: float = BUFFER_CAP_M) -> float:
    """How far around a county its task takes roads, transit and markets (m).

    The longest threshold of the enabled tiers at the fastest of that tier's modes, at
    most ``cap_m``; ``[run] buffer_km`` overrides it.

    Examples
    --------
    >>> from planner.study import Study, AreaSpec
    >>> from pathlib import Path
    >>> s = Study("x", Path("."), AreaSpec(Path("a.geojson")), {}, {}, Path("out"))
    >>> county_buffer_m(s)  # 30 min by bus at 25 km/h
    12500.0
    """
    if study.run.buffer_km is not None:
        return float(study.run.buffer_km) * 1000.0
    reach = 0.0
    for tier, rule in default_rules().items():
        spec = study.tiers.get(tier)
        if spec is not None and not spec.enabled:
            continue
        threshold = spec.threshold_min if spec and spec.threshold_min else rule.threshold_min
        modes = spec.modes if spec and spec.modes else rule.modes
        speed = max(_MODE_SPEED_KMH[m] for m in modes)
        reach = max(reach, threshold / 60.0 * speed * 1000.0)
    return min(reach, cap_m)


# --- clipping ----------------------------------------------------------------------------


def _within(gdf: gpd.GeoDataFrame, geom: shapely.Geometry) -> np.ndarray:
    """Boolean mask of the rows of ``gdf`` that intersect ``geom`` (spatial index)."""
    mask = np.zeros(len(gdf), dtype=bool)
    if len(gdf) == 0:
        return mask
    hits = gdf.sindex.query(geom, predicate="intersects")
    mask[hits] = True
    return mask


def _cell_county(cells: gpd.GeoDataFrame, counties: list[County], crs: object) -> np.ndarray:
    """The county code of each demand cell: by its census unit's code, else by location."""
    codes = np.array([c.code for c in counties], dtype=object)
    known = set(codes.tolist())
    if "unit_code" in cells:
        unit = cells["unit_code"].astype(str).str.slice(0, 6).to_numpy(dtype=object)
        if all(u in known for u in set(unit.tolist())):
            return unit
    polys = gpd.GeoDataFrame(
        {"code": codes}, geometry=[c.geometry for c in counties], crs=crs
    ).reset_index(drop=True)
    out = np.full(len(cells), None, dtype=object)
    inside, which = polys.sindex.query(cells.geometry.values, predicate="within")
    # A point on a shared border lies within neither; the first county hit wins elsewhere.
    order = np.lexsort((which, inside))
    inside, which = inside[order], which[order]
    first = np.unique(inside, return_index=True)[1]
    out[inside[first]] = codes[which[first]]
    lost = np.flatnonzero(pd.isna(out))
    if len(lost):
        near = polys.sindex.nearest(cells.geometry.values[lost], return_all=False)[1]
        out[lost] = codes[near]
    return out


def _market_county(markets: gpd.GeoDataFrame, counties: list[County]) -> np.ndarray:
    """The county of each directory row: by location, else by its admin code or county name."""
    out = np.full(len(markets), None, dtype=object)
    has_geom = ~(markets.geometry.isna() | markets.geometry.is_empty).to_numpy()
    for c in counties:
        geom = c.geometry
        shapely.prepare(geom)
        hit = has_geom & np.asarray(shapely.intersects(geom, markets.geometry.values))
        out[hit & pd.isna(out)] = c.code
    by_name = {c.name: c.code for c in counties}
    for i in np.flatnonzero(pd.isna(out)):
        row = markets.iloc[i]
        code = str(row.get("adcode", "") or "")[:6]
        if any(c.code == code for c in counties):
            out[i] = code
        elif str(row.get("county", "")) in by_name:
            out[i] = by_name[str(row.get("county", ""))]
    return out


def _clip_roads(roads: object, buffer: shapely.Geometry) -> object:
    from planner.io.osm import OsmData

    assert isinstance(roads, OsmData)
    keep_nodes = _within(roads.nodes, buffer)
    nodes = roads.nodes[keep_nodes]
    ids = set(nodes["osmid"].tolist())
    s = roads.streets
    keep = s["u"].isin(ids).to_numpy() & s["v"].isin(ids).to_numpy()
    streets = s[keep]
    used = set(streets["u"].tolist()) | set(streets["v"].tolist())
    nodes = nodes[nodes["osmid"].isin(used).to_numpy()]
    places = roads.places[_within(roads.places, buffer)]
    stop_ids = used | set(places.loc[places["osm_type"] == "node", "osm_id"].tolist())
    routes = roads.bus_routes
    if len(routes):
        touch = routes["stop_node_ids"].map(lambda ids_: any(i in stop_ids for i in ids_))
        routes = routes[touch.to_numpy(dtype=bool)]
    return replace(
        roads,
        streets=streets.reset_index(drop=True),
        nodes=nodes.reset_index(drop=True),
        places=places.reset_index(drop=True),
        bus_routes=routes.reset_index(drop=True),
    )


def _clip_transit(feed: object, buffer: shapely.Geometry) -> object:
    """Whole bus lines that stop within the buffer (their run times stay exact)."""
    from planner.io.transit import TransitFeed

    assert isinstance(feed, TransitFeed)
    near = set(feed.stops.loc[_within(feed.stops, buffer), "stop_id"].tolist())
    touch = feed.patterns["stop_ids"].map(lambda ids: any(s in near for s in ids))
    patterns = feed.patterns[touch.to_numpy(dtype=bool)]
    pids = set(patterns["pattern_id"].tolist())
    stops_used = {s for ids in patterns["stop_ids"] for s in ids}
    stops = feed.stops[feed.stops["stop_id"].isin(stops_used).to_numpy()]
    routes = feed.routes[feed.routes["route_id"].isin(set(patterns["route_id"])).to_numpy()]

    def by_pattern(df: pd.DataFrame) -> pd.DataFrame:
        if len(df) == 0 or "pattern_id" not in df:
            return df
        return df[df["pattern_id"].isin(pids).to_numpy()].reset_index(drop=True)

    return replace(
        feed,
        stops=stops.reset_index(drop=True),
        routes=routes.reset_index(drop=True),
        patterns=patterns.reset_index(drop=True),
        trips=by_pattern(feed.trips),
        stop_times=by_pattern(feed.stop_times),
        frequencies=by_pattern(feed.frequencies),
    )


def _clip_census(census: object, county: County) -> object:
    from planner.io.census import CensusResult

    assert isinstance(census, CensusResult)
    mine = census.units["code"].astype(str).str.slice(0, 6) == county.code
    units = census.units[mine.to_numpy()].reset_index(drop=True)
    units.attrs = dict(census.units.attrs)
    total = float(units["population"].sum())
    return replace(
        census,
        units=units,
        unmatched_rows=census.unmatched_rows.iloc[0:0],
        unmatched_units=census.unmatched_units.iloc[0:0],
        total_population=total,
        matched_population=total,
        joined_by_name=(),
        outside_units=(),
    )


def split_inputs(
    inputs: StudyInputs,
    *,
    buffer_m: float,
    counties: list[County] | None = None,
) -> Iterator[CountyPiece]:
    """One :class:`CountyPiece` per county of the study area, in code order.

    Parameters
    ----------
    inputs
        The whole area's inputs, read once (:func:`planner.inputs.load_inputs`).
    buffer_m
        Roads, transit and markets within this distance of a county go into its piece.
    counties
        The counties (default: :func:`list_counties` of the area).

    Raises
    ------
    InvalidValueError
        A negative buffer.
    """
    if not np.isfinite(buffer_m) or buffer_m < 0:
        raise InvalidValueError(
            f"the county buffer must be 0 m or more, got {buffer_m!r}",
            key="run.buffer_km",
            fix="set [run] buffer_km to a distance in km, or leave it out",
        )
    area = inputs.area
    counties = counties if counties is not None else list_counties(area)
    cells = inputs.population
    cell_county = _cell_county(cells, counties, area.crs) if cells is not None else None
    markets = inputs.markets
    market_county = _market_county(markets, counties) if markets is not None else None
    places = inputs.places
    place_county = _cell_county(places, counties, area.crs) if places is not None else None
    for county in counties:
        geom = county.geometry
        buffer = shapely.buffer(shapely.simplify(geom, 50.0), buffer_m) if buffer_m else geom
        shapely.prepare(buffer)
        piece_area = StudyArea(name=county.name, units=county.units, crs=area.crs)
        own: tuple[str, ...] = ()
        piece_markets = None
        if markets is not None and market_county is not None:
            mine = market_county == county.code
            near = _within(markets, buffer) & ~(markets.geometry.isna().to_numpy())
            piece_markets = markets[mine | near].reset_index(drop=True)
            own = tuple(str(m) for m in markets.loc[mine, "market_id"])
        work_logs = inputs.work_logs
        if work_logs is not None and "market_id" in work_logs:
            work_logs = work_logs[work_logs["market_id"].astype(str).isin(own)]
            work_logs = work_logs.reset_index(drop=True) if len(work_logs) else None
        study = replace(inputs.study, name=f"{inputs.study.name}：{county.name}")
        piece = StudyInputs(
            study=study,
            area=piece_area,
            roads=_clip_roads(inputs.roads, buffer) if inputs.roads is not None else None,  # type: ignore[arg-type]
            population=(
                cells[cell_county == county.code].reset_index(drop=True)
                if cells is not None
                else None
            ),
            census=(
                _clip_census(inputs.census, county) if inputs.census is not None else None  # type: ignore[arg-type]
            ),
            markets=piece_markets,
            places=(
                places[place_county == county.code].reset_index(drop=True)
                if places is not None
                else None
            ),
            transit=(
                _clip_transit(inputs.transit, buffer) if inputs.transit is not None else None  # type: ignore[arg-type]
            ),
            work_logs=work_logs,
            demand_spread=inputs.demand_spread,
            notes=[],
        )
        if piece.population is not None:
            piece.population.attrs = dict(cells.attrs) if cells is not None else {}
        yield CountyPiece(county=county, inputs=piece, own_markets=own, buffer_m=buffer_m)

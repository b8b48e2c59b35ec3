"""Typed defaults, each with its source.

Change a value for one call by passing the keyword of the function that uses
it; change it for a whole study in ``study.toml``. Module-level values here
are the documented defaults, not global state to mutate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

# --- Coordinates and areas -------------------------------------------------------------

#: Points farther than this outside the study area are an error, not a warning.
#: 50 km is far beyond the GCJ-02 (≈ 0.3–0.6 km) and BD-09 (≈ 1 km) offsets, and beyond
#: any market a county would list, so a point that far away is a wrong coordinate.
OUTSIDE_AREA_TOLERANCE_M: Final[float] = 50_000.0
#: Markets of a study's directory farther than this outside the study area (beyond the
#: GCJ-02 and BD-09 offsets) are kept for coverage, and named in a note.
OUTSIDE_NOTE_M: Final[float] = 2_000.0

#: Projected CRS family chosen for metric work: "utm" (WGS 84 / UTM, EPSG:326xx) or
#: "cgcs2000" (CGCS2000 3-degree Gauss-Kruger CM zones, EPSG:4534-4554, the national
#: standard of GB/T 18522 surveying).
DEFAULT_PROJECTION: Final[str] = "utm"

#: Rough longitude/latitude box of mainland China + margins, used to recognise swapped
#: columns (a "longitude" of 37 and a "latitude" of 121 in Shandong).
CHINA_LON_RANGE: Final[tuple[float, float]] = (73.0, 136.0)
CHINA_LAT_RANGE: Final[tuple[float, float]] = (3.0, 54.0)

# --- Population ------------------------------------------------------------------------

#: Demand cell size when census polygons are spread over a grid (metres). 500 m keeps a
#: county of 1,000-2,000 km^2 at 4,000-8,000 cells; WorldPop's native 100 m grid is
#: aggregated to it as well when requested.
CENSUS_CELL_SIZE_M: Final[float] = 500.0

#: Census counts spread by road or bus-stop density (planner.io.spread) put this share of each
#: unit's people evenly over the unit, so villages off the mapped roads and bus lines keep
#: some demand (planning assumption: in Shandong's 2020 census about a tenth of a typical
#: urban district's residents live in villages outside its built-up area).
SPREAD_EVEN_SHARE: Final[float] = 0.1

#: Kernel bandwidth (m) of bus-stop density: the 800 m a rider walks to a stop (the common
#: planning catchment of a bus stop, e.g. CJJ/T 15-2011 sets 300-500 m stop spacing with
#: 500-800 m walking catchments).
SPREAD_STOPS_BANDWIDTH_M: Final[float] = 800.0

#: "auto" spreads census counts by road density only when the roads come within
#: MAX_SNAP_DEMAND_M of at least this share of the area's cells: a network of one corner
#: (a clipped extract, a campus graph) would otherwise put everyone in that corner.
SPREAD_ROADS_MIN_COVER: Final[float] = 0.5

#: Kernel bandwidth (m) of road density: half a demand cell's diagonal at 500 m cells, so a
#: street network's density shows at the scale of a village or neighbourhood.
SPREAD_ROADS_BANDWIDTH_M: Final[float] = 500.0

# --- Directory -------------------------------------------------------------------------

#: Tiers of 鲁人社字〔2024〕44号: 综合性零工市场, 行业性/专业性零工市场, 零工服务站点.
TIERS: Final[tuple[str, ...]] = ("comprehensive", "sector", "station")

#: Short Chinese names of the tiers used in planners' outputs (maps, proposals, reasons). The
#: public directory spells the sector tier out as 44号 does (行业性、专业性零工市场).
TIER_LABELS_ZH: Final[dict[str, str]] = {
    "comprehensive": "综合性零工市场",
    "sector": "行业性零工市场",
    "station": "零工服务站点",
}

#: Sectors used for sector markets and demand (census 2020 industry groups that hire gig
#: labour; 44号 names 产业园区、建材市场、大型商场 as anchors).
SECTORS: Final[tuple[str, ...]] = (
    "construction",
    "manufacturing",
    "housekeeping",
    "commerce",
    "logistics",
    "catering",
    "agriculture",
    "other",
)

# --- Coverage at the hour that matters (planner.analysis.moments) ----------------------

#: Moments coverage is shown at, next to "any time": gig markets are busiest from about
#: 04:00 to 10:00 (the published Shandong reports: workers gather from 04:00-05:30 and
#: disperse by 10:00, ../shared/data shandong-gig-markets), so weekday 05:00, 07:00 and
#: 09:00, and a Sunday morning. Set them per study with ``[network] moments``.
COVERAGE_MOMENTS: Final[tuple[str, ...]] = ("Mo 05:00", "Mo 07:00", "Mo 09:00", "Su 06:00")

#: A moment's bus layer counts the patterns departing in this many minutes after it (a
#: worker setting out at 05:00 takes a bus that leaves by 06:00).
MOMENT_BUS_WINDOW_MIN: Final[float] = 60.0

#: The dawn window markets should cover: moments in it count when flagging existing markets
#: that open too late (same source as COVERAGE_MOMENTS).
DAWN_WINDOW: Final[tuple[str, str]] = ("04:00", "10:00")

#: Flagged markets are credited with the workers they would reach if they opened this many
#: minutes earlier (two hours: a market opening at 07:00 would open at 05:00).
OPEN_EARLIER_MIN: Final[int] = 120

#: Opening hours proposed for new sites, covering the dawn window and the late morning
#: when stations also handle registrations (planning values; the published Shandong markets
#: run from 04:00-05:30 to 10:00-12:00).
PROPOSED_HOURS: Final[dict[str, str]] = {
    "comprehensive": "每天 05:00-12:00",
    "sector": "每天 05:00-12:00",
    "station": "每天 05:00-11:00",
}

#: What-each-site-buys curves (planner.analysis.curve): problems with at most this many
#: stored demand × candidate pairs are solved exactly for every number of sites; larger
#: ones by the greedy sequence with a proven bound per point (each exact MCLP solve of a
#: county-size station problem takes seconds; the greedy curve, all points, a fraction of one).
CURVE_EXACT_MAX_NNZ: Final[int] = 20_000

#: The curve runs to twice the plan's sites (at least 5), at most this many beyond them.
CURVE_EXTRA_K: Final[int] = 15

#: Share of a market's flexible-worker catchment expected on a given day, to compare with its
#: capacity (容纳人数). A planning assumption: the Qingdao 株洲路 market served "数千人" a
#: morning out of a catchment of some tens of thousands of flexible workers, about a tenth.
DAILY_ATTENDANCE_SHARE: Final[float] = 0.1

# --- Publishing ------------------------------------------------------------------------

#: Basemap tiles for both maps (``[outputs] tiles``): "none" (offline: the maps draw their
#: own context from the inputs), "osm" (OpenStreetMap), "tianditu" (天地图, needs a key),
#: "amap" (高德; overlays are shifted to GCJ-02 for display), or an https:// URL template.
#: Default "none": government intranets often block tile servers.
TILE_CHOICES: Final[tuple[str, ...]] = ("none", "osm", "tianditu", "amap")
#: What a 天地图 browser key (tk) looks like.
TIANDITU_KEY_PATTERN: Final[str] = r"^[0-9A-Za-z]{8,64}$"
#: What a tile URL template must look like (and hold {z}, {x} and {y}).
TILE_URL_PATTERN: Final[str] = r"^https?://[^\s\"'<>\\`]+$"

# --- Transit ---------------------------------------------------------------------------

#: The day bus route tables (which run daily, with summer and winter first/last buses) are
#: measured on when the study names none: a Tuesday in the winter timetable (October-April
#: with the default summer months May-September: most of the year). Fixed, so a study gives
#: the same answer whenever it is run; ``[network] date`` measures another day.
DEFAULT_SERVICE_DATE: Final[dt.date] = dt.date(2024, 3, 5)

#: Default analysis window: gig markets are busiest in the early morning (most Shandong
#: markets report activity from 5:00-6:00 to 10:00-12:00, see ../shared/data
#: shandong-gig-markets), so bus service is measured between 05:00 and 09:00.
TRANSIT_WINDOW: Final[tuple[str, str]] = ("05:00", "09:00")

#: Headway assumed for a Chinese route table that gives only first/last bus times
#: (no timetable). 10 minutes is the typical urban daytime headway of Yantai trunk
#: routes published on stop boards; override per study when the operator gives it.
DEFAULT_HEADWAY_MIN: Final[float] = 10.0

# --- Travel speeds ---------------------------------------------------------------------

#: Walking speed. 4.5 km/h = 1.25 m/s: the Highway Capacity Manual uses 1.2 m/s (4.3 km/h)
#: for crossings with older pedestrians and 1.2-1.5 m/s for the general population; 44号
#: asks to serve older workers first, so the lower end is used.
WALK_SPEED_KMH: Final[float] = 4.5

#: E-bike (电动自行车) cruising speed. GB 17761-2018 caps the design speed at 25 km/h; with
#: signals, junctions and mixed traffic, average urban trip speeds are lower, so 15 km/h is
#: used (a conservative planning value; raise it for rural studies).
EBIKE_SPEED_KMH: Final[float] = 15.0

#: Conventional bicycle speed, for studies that want it (not a default mode).
BICYCLE_SPEED_KMH: Final[float] = 12.0

#: Free-flow driving speeds (km/h) by OSM highway class when a way has no maxspeed tag.
#: Urban and rural Chinese defaults follow 道路交通安全法实施条例 第45条 (no centre line:
#: 30 km/h urban, 40 km/h rural roads; one lane each way: 50 urban, 70 rural) and 第78条
#: (expressways at most 120 km/h); early-morning gig trips meet little congestion.
DRIVE_SPEEDS_KMH: Final[dict[str, float]] = {
    "motorway": 100.0,
    "motorway_link": 50.0,
    "trunk": 70.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 40.0,
    "secondary": 45.0,
    "secondary_link": 35.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
    "track": 15.0,
}

#: Fraction of a tagged maxspeed actually driven (signals, turns): 0.85 keeps tagged roads
#: consistent with the untagged class speeds above.
MAXSPEED_FACTOR: Final[float] = 0.85

#: Straight-line circuity factor for the no-road-data fallback: network distance is about
#: 1.2-1.4 × straight-line distance in road networks (Ballou et al. 2002, "Selected country
#: circuity factors for road travel distance estimation", Transportation Research Part A 36);
#: 1.3 is their typical value.
CIRCUITY_FACTOR: Final[float] = 1.3

#: Largest distance (m) a point may be from its nearest graph node and still be snapped. A
#: point beyond it is unreachable by that mode (counted and reported), never snapped across
#: a river. 500 m ≈ 7 minutes' walk.
MAX_SNAP_M: Final[float] = 500.0

#: Bus running speed between stops when a feed gives no run times (route tables), km/h,
#: applied to the straight-line stop spacing × CIRCUITY_FACTOR, plus BUS_DWELL_S per stop.
#: With a typical 500 m urban stop spacing this gives ≈ 16 km/h door to door, inside the
#: 15-20 km/h operating speeds usual for Chinese urban buses (a planning value).
BUS_SPEED_KMH: Final[float] = 25.0

#: Dwell added per stop when run times are estimated from distance, seconds.
BUS_DWELL_S: Final[float] = 20.0

#: Largest straight-line walk between two stops for a transfer when there is no walk graph.
TRANSFER_M: Final[float] = 300.0

# --- Coverage rules per tier -----------------------------------------------------------

#: When a demand cell counts as covered, per tier. Sources:
#: - station: 15 minutes on foot or by e-bike — the "15分钟就业服务圈" (15-minute employment
#:   service circle) of 人社部's community employment-service policy and of 44号's
#:   "就近提供服务"; rural alternative 5 km straight line (the rural reference in
#:   ../shared/DESIGN.md: villages are served within about 5 km).
#: - comprehensive: 44号 asks for markets "交通便利 … 辐射一定区域"; 30 minutes by bus or
#:   e-bike is the planning default (a county-seat catchment). Driving is not a default
#:   mode: most gig workers come by e-bike or bus; add "drive" per study where they drive.
#: - sector: a short trip from the park / building-material market / mall it serves:
#:   20 minutes by e-bike or bus (planning default).
TIER_RULES: Final[dict[str, dict[str, Any]]] = {
    "comprehensive": {"threshold_min": 30.0, "modes": ("bus", "ebike")},
    "sector": {"threshold_min": 20.0, "modes": ("ebike", "bus")},
    "station": {"threshold_min": 15.0, "modes": ("walk", "ebike"), "rural_radius_m": 5000.0},
}

#: Which market tiers meet each tier's need. A worker who needs a market within a short
#: walk (station need) is served by any market that close; the comprehensive and sector
#: needs are met only by markets of those tiers.
TIER_SERVED_BY: Final[dict[str, tuple[str, ...]]] = {
    "comprehensive": ("comprehensive",),
    "sector": ("sector",),
    "station": ("station", "sector", "comprehensive"),
}

# --- Demand and candidate sites (planner.analysis.demand, planner.analysis.candidates) ---

#: Share of residents counted as flexible-worker demand, in urban and in rural cells. Basis:
#: the NBS put China's flexible workers (灵活就业人员) at about 200 million at the end of 2021
#: (国家统计局局长宁吉喆, press conference on the 2021 economy, 17 Jan 2022) out of 1,412.60
#: million residents (NBS 2021 statistical communiqué): 200 / 1,412.6 ≈ 14 %. Gig-market
#: users are only a subset of flexible workers (ride-hailing drivers, delivery riders and the
#: self-employed rarely use a 零工市场), so 0.14 is an upper bound and a planning assumption:
#: set both rates per study (e.g. from a market's registrations in its work logs). No source
#: was found that splits the 200 million by urban/rural, so both default to the same value;
#: with equal rates, coverage shares and siting choices do not depend on the level.
PARTICIPATION_RATE_URBAN: Final[float] = 0.14
PARTICIPATION_RATE_RURAL: Final[float] = 0.14

#: Population density (inhabitants per km²) from which a demand cell counts as urban. The
#: GHSL degree of urbanisation (Eurostat/EC-JRC, "Applying the Degree of Urbanisation",
#: 2021 manual) uses 1,500 inh/km² for the cells of urban centres and 300 inh/km² for urban
#: clusters; the stricter 1,500 is used because planner classes each cell on its own (no
#: contiguity or minimum-population rule), and villages' built-up cores pass 300 on a
#: 100 m grid.
URBAN_DENSITY_PER_KM2: Final[float] = 1500.0

#: Share of a place's workforce counted as gig demand, by sector (sector markets at parks,
#: building-material markets and malls). PLANNING ASSUMPTIONS, not measurements: no
#: published gig share per sector was found. The ordering follows the 工种 the published
#: Shandong markets report (../shared/data/shandong-gig-markets: "以建筑/装修类零工为主",
#: "砸墙、房屋修复、水电", "建筑工、搬运工、家政服务"): construction highest, then
#: housekeeping, logistics (loading/moving), catering, commerce, manufacturing peaks,
#: seasonal farm work. For the sector *mix* (not the gig
#: share) see the 2020 census employment shares in
#: ../shared/data/shandong-census2020/shandong_employment_2020_county.csv: Shandong's
#: employed persons (counties weighted by POPU × EMPL_OCCU) work 27.5 % in agriculture,
#: 18.2 % manufacturing, 13.0 % wholesale/retail, 9.7 % construction, 4.9 % transport/
#: storage, 3.3 % accommodation/catering, 2.9 % resident services.
SECTOR_GIG_SHARE: Final[dict[str, float]] = {
    "construction": 0.30,
    "housekeeping": 0.25,
    "logistics": 0.20,
    "catering": 0.15,
    "commerce": 0.10,
    "manufacturing": 0.10,
    "agriculture": 0.10,
    "other": 0.05,
}

#: A stop (merged with its neighbours within CANDIDATE_MERGE_M) served by at least this many
#: distinct routes in the analysis window is a transit hub, a comprehensive-market candidate
#: (44号: "交通便利"). 3 = a stop where lines from different directions meet (planning value).
HUB_MIN_ROUTES: Final[int] = 3

#: Spacing (m) of street-point station candidates. A 15-minute walk at WALK_SPEED_KMH is
#: 1,125 m; a 500 m grid puts every point within 354 m (half a cell diagonal) of a cell centre,
#: so the siting model has several candidates inside every station catchment.
CANDIDATE_STREET_SPACING_M: Final[float] = 500.0

#: Candidates closer than this (m) are one site. Two sides of a road's bus stop, or a POI
#: and a place table's point for the same mall, are typically 20-50 m apart.
CANDIDATE_MERGE_M: Final[float] = 50.0

# --- Siting ----------------------------------------------------------------------------

#: Share of the coverable, still uncovered demand the set-cover model (LSCP) must reach per
#: tier when no site budget is given. Comprehensive markets stop at 80 %: they are few by
#: design ("辐射一定区域"), and the remote remainder is the stations' job. Stations stop at 90 %: the last scattered hamlets
#: would each need a station of their own (44号: "数量适宜、规模适度"), and the rural 5 km
#: rule already serves them; markets aim at all coverable demand.
PLAN_TARGET_SHARE: Final[dict[str, float]] = {
    "comprehensive": 0.8,
    "sector": 1.0,
    "station": 0.9,
}

#: Seconds each tier's siting call may take (heuristics, bounds and the MIP together); the
#: phases stop on work limits sized from it, so the sites do not depend on the machine.
SITING_TIME_LIMIT_S: Final[float] = 60.0

#: Largest snapping distance for demand cells (m). Larger than MAX_SNAP_M because rural
#: OpenStreetMap often lacks village lanes: people 1-2 km from the nearest mapped road
#: still walk to it, and that walk (at WALK_SPEED_KMH) is part of their travel time.
#: Farther cells are unreachable and reported.
MAX_SNAP_DEMAND_M: Final[float] = 2000.0

#: A road network that leaves more than this share of the demand beyond MAX_SNAP_DEMAND_M is
#: "partial" (a clipped extract, or a graph of one corner of the area): check, run and the
#: proposal warn prominently, since every walk/e-bike/drive figure is then an undercount.
PARTIAL_NETWORK_SHARE: Final[float] = 0.05

#: Smallest demand (workers) a proposed site must newly cover to be kept, per tier — 44号
#: asks for markets "规模适度": a comprehensive market for ~3,000 flexible workers (a town
#: of ~20,000 residents at the 14 % rate), a sector market for ~100 at its park, a station
#: for ~100 (a large village). Planning defaults; set them per study.
MIN_NEW_DEMAND: Final[dict[str, float]] = {
    "comprehensive": 3000.0,
    "sector": 100.0,
    "station": 100.0,
}

#: A proposed comprehensive or sector market this close (minutes, by the tier's fastest
#: mode) to an existing market of a lower tier is reported with the alternative of upgrading
#: that market instead (planner.analysis.upgrade). Planning default: 5 minutes is a third of
#: the stations' 15-minute circle and a sixth of the comprehensive tier's 30 minutes, so an
#: upgraded market that close reaches nearly the same workers; the proposal reports the
#: coverage the upgrade actually gives, computed, not assumed.
UPGRADE_WITHIN_MIN: Final[float] = 5.0

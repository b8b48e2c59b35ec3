"""The demo county's raster and tables: population grid, GTFS, places, markets, work logs.

Private to :mod:`planner.demo`. Every writer takes an open destination (a path the caller
renames into place afterwards) and returns what the tests compare against.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from numpy.typing import NDArray

from planner.demo._osm import BUS_DWELL_S, Network, Poi
from planner.demo._region import COUNTY_CODE, COUNTY_NAME, SYNTHETIC, Region, Settlement
from planner.io.coords import convert

FloatArray = NDArray[np.float64]

#: WorldPop-like grid: 0.001 degree cells (~100 m), float32, this nodata value.
CELL_DEG = 0.001
NODATA = -99999.0
#: Total population at scale 1 (the grid is normalised to it).
POPULATION_TOTAL = 620_000.0
_EARTH_RADIUS_KM = 6371.0088


# --- population ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationGrid:
    total: float  # sum of the valid float32 cells, as float64
    valid_cells: int
    peak_per_km2: float


def _add_gauss(
    dens: FloatArray,
    x: FloatArray,
    y: FloatArray,
    s: Settlement,
    sx: float,
    sy: float,
    peak: float,
    lon_lat: tuple[float, float],
    origin: tuple[float, float],
) -> None:
    """Add a (rotated) Gaussian bump to the 2-D ``dens`` within 5 sigma of its centre."""
    half_rows = int(np.ceil(5 * max(sx, sy) / 110_000.0 / CELL_DEG)) + 1
    half_cols = int(np.ceil(5 * max(sx, sy) / 85_000.0 / CELL_DEG)) + 1
    row = int((origin[1] - lon_lat[1]) / CELL_DEG)
    col = int((lon_lat[0] - origin[0]) / CELL_DEG)
    r0, r1 = max(row - half_rows, 0), min(row + half_rows + 1, dens.shape[0])
    c0, c1 = max(col - half_cols, 0), min(col + half_cols + 1, dens.shape[1])
    if r0 >= r1 or c0 >= c1:
        return
    ca, sa = np.cos(s.angle), np.sin(s.angle)
    dx, dy = x[r0:r1, c0:c1] - s.x, y[r0:r1, c0:c1] - s.y
    u, v = dx * ca + dy * sa, -dx * sa + dy * ca
    dens[r0:r1, c0:c1] += peak * np.exp(-0.5 * ((u / sx) ** 2 + (v / sy) ** 2))


def write_population(rng: np.random.Generator, region: Region, path: Path) -> PopulationGrid:
    """People per 0.001-degree cell (EPSG:4326), nodata outside the county."""
    county_ll = region.to_wgs84(region.county)
    w, s, e, n = county_ll.bounds
    west = float(np.floor(w / CELL_DEG) * CELL_DEG - CELL_DEG)
    north = float(np.ceil(n / CELL_DEG) * CELL_DEG + CELL_DEG)
    width = round((np.ceil(e / CELL_DEG) * CELL_DEG + CELL_DEG - west) / CELL_DEG)
    height = round((north - (np.floor(s / CELL_DEG) * CELL_DEG - CELL_DEG)) / CELL_DEG)
    lon_c = west + (np.arange(width) + 0.5) * CELL_DEG
    lat_c = north - (np.arange(height) + 0.5) * CELL_DEG
    lon, lat = np.meshgrid(lon_c, lat_c)
    x1, y1 = region.xy(lon.ravel(), lat.ravel())
    x, y = x1.reshape(lon.shape), y1.reshape(lon.shape)
    inside = shapely.contains_xy(county_ll, lon, lat)

    # Density (people per km²): a smooth rural background, then the seat, towns, villages.
    k = 1.0 / np.sqrt(region.county.area)
    field = np.zeros_like(x)
    for _ in range(4):
        a = rng.uniform(0, 2 * np.pi)
        f = rng.uniform(2, 6) * 2 * np.pi * k
        field += np.sin(f * (x * np.cos(a) + y * np.sin(a)) + rng.uniform(0, 2 * np.pi))
    dens = 25.0 * np.exp(0.35 * field)
    origin = (west, north)

    def bump(st: Settlement, sx: float, sy: float, peak: float) -> None:
        ll = region.lonlat(np.array([st.x]), np.array([st.y]))
        where = (float(ll[0][0]), float(ll[1][0]))
        _add_gauss(dens, x, y, st, sx, sy, peak, where, origin)

    core = region.core
    bump(core, 0.40 * core.rx, 0.40 * core.ry, 6500.0)
    bump(core, 0.80 * core.rx, 0.80 * core.ry, 2000.0)
    for t in region.towns:
        people = rng.uniform(10_000, 25_000) * region.scale
        sigma = 750.0 * np.sqrt(t.rx / 750.0)
        bump(t, sigma, sigma, people / (2 * np.pi * (sigma / 1000) ** 2))
    for v in region.villages:
        people = float(np.clip(rng.lognormal(np.log(1000.0), 0.5), 300, 2500))
        sigma = 300.0
        bump(v, sigma, sigma, people / (2 * np.pi * (sigma / 1000) ** 2))
    dens *= rng.lognormal(-0.01, 0.15, dens.shape)  # cell-to-cell texture, mean ≈ 1
    rad = np.radians
    cell_km2 = (
        _EARTH_RADIUS_KM**2
        * rad(CELL_DEG)
        * np.abs(np.sin(rad(lat + CELL_DEG / 2)) - np.sin(rad(lat - CELL_DEG / 2)))
    )
    people = dens * cell_km2
    people *= POPULATION_TOTAL * region.scale / people[inside].sum()
    grid = np.where(inside, people, NODATA).astype(np.float32)
    valid = grid != np.float32(NODATA)
    total = float(grid[valid].astype(np.float64).sum())
    peak = float(np.max((people / cell_km2)[inside]))
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": Affine(CELL_DEG, 0.0, float(west), 0.0, -CELL_DEG, float(north)),
        "nodata": NODATA,
        "compress": "deflate",
        "predictor": 3,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(grid, 1)
        dst.update_tags(
            SYNTHETIC="1",
            SOURCE=SYNTHETIC,
            AREA_OR_POINT="Area",
            UNITS="people per cell",
            COUNTY=f"{COUNTY_NAME} {COUNTY_CODE} (fictional)",
        )
        dst.set_band_description(1, "population (synthetic)")
    return PopulationGrid(total=total, valid_cells=int(valid.sum()), peak_per_km2=peak)


# --- small helpers -------------------------------------------------------------------------


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\r\n")
    wr.writerow(header)
    wr.writerows(rows)
    return buf.getvalue()


def _gcj(region: Region, x: float, y: float) -> tuple[float, float]:
    lon, lat = region.lonlat(np.array([x]), np.array([y]))
    glon, glat = convert(lon, lat, "wgs84", "gcj02")
    return float(glon[0]), float(glat[0])


def _address(region: Region, net: Network, x: float, y: float, township: int) -> str:
    t = region.townships[township]
    seat = region.settlements[t.seat]
    place = f"{COUNTY_NAME}{t.name}"
    d = np.hypot(x - seat.x, y - seat.y)
    if seat.kind == "core" and d <= seat.radius_towards(x - seat.x, y - seat.y):
        ids = np.array(sorted(net.crossings), dtype=np.int64)
        pts = net.xy[ids - 1]
        k = int(np.argmin(np.hypot(pts[:, 0] - x, pts[:, 1] - y)))
        r, c = net.crossings[int(ids[k])]
        return f"{place}{r}与{c}交叉口附近"
    if seat.kind == "town" and d <= seat.rx * 1.2:
        return f"{place}{seat.name[:2]}大街"
    return place


# --- GTFS ------------------------------------------------------------------------------------

#: Route headways (minutes) in the order the routes are generated (6 urban, 6 to towns).
HEADWAYS_MIN = (8, 10, 12, 15, 10, 20, 20, 30, 30, 40, 45, 60)
#: Routes (by position) that run on weekdays only; route 0 is frequency-based.
WEEKDAY_ONLY = (4, 5)
FREQUENCY_ROUTE = 0
FIRST_DEPARTURE_S = 5 * 3600 + 30 * 60
LAST_DEPARTURE_S = 21 * 3600
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def _hms(t: int) -> str:
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"


@dataclass(frozen=True)
class GtfsSummary:
    routes: int
    stops: int
    trips: int
    stop_times: int


def write_gtfs(region: Region, net: Network, path: Path, *, seed: int) -> GtfsSummary:
    """A GTFS feed of the demo's bus routes, stops where the OSM bus stops are."""
    files: dict[str, str] = {}
    files["agency.txt"] = _csv_text(
        [
            "agency_id",
            "agency_name",
            "agency_url",
            "agency_timezone",
            "agency_lang",
            "agency_phone",
        ],
        [
            [
                "SFGJ",
                "示范县公共交通有限公司（合成示例数据）",
                "https://example.org/planner-demo",
                "Asia/Shanghai",
                "zh",
                "0539-5550199",
            ]
        ],
    )
    files["feed_info.txt"] = _csv_text(
        [
            "feed_publisher_name",
            "feed_publisher_url",
            "feed_lang",
            "feed_start_date",
            "feed_end_date",
            "feed_version",
        ],
        [
            [
                f"planner ({SYNTHETIC})",
                "https://example.org/planner-demo",
                "zh",
                "20240101",
                "20241231",
                f"seed-{seed}",
            ]
        ],
    )
    stop_ids = sorted({s for r in net.routes for s in r.stops})
    xy = net.xy[np.asarray(stop_ids) - 1]
    lon, lat = region.lonlat(xy[:, 0], xy[:, 1])
    files["stops.txt"] = _csv_text(
        ["stop_id", "stop_name", "stop_lat", "stop_lon", "stop_desc"],
        [
            [f"S{sid}", net.stop_names[sid], f"{la:.7f}", f"{lo:.7f}", f"OSM node {sid}"]
            for sid, lo, la in zip(stop_ids, lon.tolist(), lat.tolist(), strict=True)
        ],
    )
    routes_rows, trips_rows, st_rows, freq_rows = [], [], [], []
    for k, r in enumerate(net.routes):
        rid = r.ref
        long_name = r.name.split("：", 1)[-1]
        desc = "城区线路" if r.urban else "城乡线路"
        routes_rows.append([rid, "SFGJ", f"{r.ref}路", long_name, desc, "3"])
        service = "WEEKDAY" if k in WEEKDAY_ONLY else "DAILY"
        headway_s = HEADWAYS_MIN[k % len(HEADWAYS_MIN)] * 60
        run = [round(t) for t in r.stop_time_s]
        total = run[-1]
        for direction in (0, 1):
            stops = r.stops if direction == 0 else r.stops[::-1]
            offs = run if direction == 0 else [total - t for t in run[::-1]]
            names = (net.stop_names[stops[0]], net.stop_names[stops[-1]])
            if k == FREQUENCY_ROUTE:
                departures = [FIRST_DEPARTURE_S]
                freq_rows.append(
                    [
                        f"{rid}-{direction}-F",
                        _hms(FIRST_DEPARTURE_S),
                        _hms(LAST_DEPARTURE_S),
                        str(headway_s),
                        "0",
                    ]
                )
            else:
                departures = list(range(FIRST_DEPARTURE_S, LAST_DEPARTURE_S + 1, headway_s))
            for dep in departures:
                tid = (
                    f"{rid}-{direction}-F"
                    if k == FREQUENCY_ROUTE
                    else f"{rid}-{direction}-{_hms(dep)[:5].replace(':', '')}"
                )
                trips_rows.append([rid, service, tid, names[1], str(direction)])
                n = len(stops)
                for i, (sid, off) in enumerate(zip(stops, offs, strict=True)):
                    arr = dep + off + BUS_DWELL_S * max(i - 1, 0)
                    dwell = BUS_DWELL_S if 0 < i < n - 1 else 0
                    st_rows.append([tid, _hms(arr), _hms(arr + dwell), f"S{sid}", str(i + 1)])
    files["routes.txt"] = _csv_text(
        [
            "route_id",
            "agency_id",
            "route_short_name",
            "route_long_name",
            "route_desc",
            "route_type",
        ],
        routes_rows,
    )
    files["trips.txt"] = _csv_text(
        ["route_id", "service_id", "trip_id", "trip_headsign", "direction_id"], trips_rows
    )
    files["stop_times.txt"] = _csv_text(
        ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"], st_rows
    )
    files["frequencies.txt"] = _csv_text(
        ["trip_id", "start_time", "end_time", "headway_secs", "exact_times"], freq_rows
    )
    files["calendar.txt"] = _csv_text(
        [
            "service_id",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "start_date",
            "end_date",
        ],
        [
            ["WEEKDAY", "1", "1", "1", "1", "1", "0", "0", "20240101", "20241231"],
            ["DAILY", "1", "1", "1", "1", "1", "1", "1", "20240101", "20241231"],
        ],
    )
    # National Day week: the weekday service does not run; Spring Festival: no daily service.
    files["calendar_dates.txt"] = _csv_text(
        ["service_id", "date", "exception_type"],
        [["WEEKDAY", f"202410{d:02d}", "2"] for d in range(1, 8)] + [["DAILY", "20240210", "2"]],
    )
    with zipfile.ZipFile(path, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name].encode("utf-8"))
    return GtfsSummary(len(routes_rows), len(stop_ids), len(trips_rows), len(st_rows))


# --- places, markets, work logs ----------------------------------------------------------------

_PLACE_KIND = {"industrial": "产业园区", "building_materials": "建材市场", "mall": "商场"}
_PLACE_SECTOR = {
    "industrial": "制造业、物流",
    "building_materials": "建筑装修",
    "mall": "商贸零售、餐饮",
}
_PLACE_HEADER = [
    "编号",
    "名称",
    "类型",
    "行业",
    "从业人数",
    "经度",
    "纬度",
    "坐标系",
    "地址",
    "备注",
]


@dataclass(frozen=True)
class PlaceRow:
    place_id: str
    kind: str
    poi: Poi
    lon_gcj: float
    lat_gcj: float
    workers: int


def place_rows(rng: np.random.Generator, region: Region, net: Network) -> list[PlaceRow]:
    out = []
    order = ("industrial", "building_materials", "mall")
    pois = sorted((p for p in net.pois if p.kind in order), key=lambda p: order.index(p.kind))
    for i, p in enumerate(pois):
        lo, la = _gcj(region, p.x, p.y)
        lo_r, hi_r = {
            "industrial": (3000, 12000),
            "building_materials": (300, 800),
            "mall": (400, 1500),
        }[p.kind]
        workers = int(rng.integers(lo_r, hi_r) // 10 * 10)
        out.append(PlaceRow(f"P{i + 1:03d}", _PLACE_KIND[p.kind], p, lo, la, workers))
    return out


def write_places(region: Region, net: Network, rows: list[PlaceRow], path: Path) -> None:
    body = [
        [
            r.place_id,
            r.poi.name,
            r.kind,
            _PLACE_SECTOR[r.poi.kind],
            str(r.workers),
            f"{r.lon_gcj:.7f}",
            f"{r.lat_gcj:.7f}",
            "GCJ-02",
            _address(region, net, r.poi.x, r.poi.y, r.poi.township),
            SYNTHETIC,
        ]
        for r in rows
    ]
    path.write_bytes(_csv_text(_PLACE_HEADER, body).encode("utf-8"))


MARKET_HEADER = [
    "编号",
    "名称",
    "类型",
    "地址",
    "经度",
    "纬度",
    "坐标系",
    "开放时间",
    "工种",
    "联系电话",
    "服务热线",
    "投诉渠道",
    "工作人员数",
    "容纳人数",
    "运营模式",
    "服务项目",
    "便民设施",
    "行政区划代码",
    "所属区县",
    "状态",
    "来源",
    "备注",
]


@dataclass(frozen=True)
class MarketRow:
    market_id: str
    name: str
    tier: str  # 类型 as written
    x: float
    y: float
    township: int
    hours: str
    trades: str
    staff: int
    capacity: int


def market_rows(rng: np.random.Generator, region: Region, net: Network) -> list[MarketRow]:
    """One comprehensive market, one sector market, four stations (positions in metres)."""
    by_kind: dict[str, list[Poi]] = {}
    for p in net.pois:
        by_kind.setdefault(p.kind, []).append(p)
    office = next(p for p in by_kind["townhall"] if p.name == "城关街道办事处")
    bm = by_kind["building_materials"][0]
    core_cc = by_kind["community_centre"][0]
    town_cc = [p for p in by_kind["community_centre"] if p.name.endswith("镇党群服务中心")]
    picks = [town_cc[i] for i in sorted(rng.choice(len(town_cc), size=3, replace=False).tolist())]
    general = "瓦工、木工、水电工、油漆工、保洁、搬运、家政、装卸、普工"
    rows = [
        MarketRow(
            "SF-LG-001",
            f"{COUNTY_NAME}综合零工市场",
            "综合性零工市场",
            office.x + 60.0,
            office.y - 45.0,
            office.township,
            "每天 5:00-12:00",
            general,
            12,
            800,
        ),
        MarketRow(
            "SF-LG-002",
            f"{COUNTY_NAME}建材城零工市场",
            "行业性零工市场",
            bm.x + 40.0,
            bm.y + 30.0,
            bm.township,
            "周一至周六 05:30-11:30",
            "瓦工、木工、水电工、油漆工、搬运、装卸",
            5,
            300,
        ),
        MarketRow(
            "SF-LG-003",
            f"{core_cc.name.replace('党群服务中心', '')}零工驿站",
            "零工服务站点",
            core_cc.x,
            core_cc.y,
            core_cc.township,
            "每日06:00-11:00",
            "保洁、家政、搬运",
            2,
            60,
        ),
    ]
    hours = ("周一至周日 05:00-10:30", "每天 5:30-11:00", "周一至周六 5:00-11:00")
    for i, (p, h) in enumerate(zip(picks, hours, strict=True)):
        town = p.name.replace("党群服务中心", "")
        rows.append(
            MarketRow(
                f"SF-LG-{i + 4:03d}",
                f"{town}零工服务站",
                "零工服务站点",
                p.x,
                p.y,
                p.township,
                h,
                "瓦工、小工、搬运、农业季节工、保洁",
                2,
                80,
            )
        )
    return rows


def write_markets(
    region: Region, net: Network, rows: list[MarketRow], path: Path
) -> list[tuple[float, float]]:
    """UTF-8 with BOM (as Excel saves it); returns the GCJ-02 lon/lat written."""
    body, written = [], []
    for k, r in enumerate(rows):
        lo, la = _gcj(region, r.x, r.y)
        written.append((lo, la))
        body.append(
            [
                r.market_id,
                r.name,
                r.tier,
                _address(region, net, r.x, r.y, r.township),
                f"{lo:.6f}",
                f"{la:.6f}",
                "GCJ-02",
                r.hours,
                r.trades,
                f"0539-5550{101 + k:03d}",
                "0539-5550100",
                "示范县人社局监督电话 0539-5550999（合成）",
                str(r.staff),
                str(r.capacity),
                "政府主办" if k == 0 else "政府主导、社会化运营",
                "岗位发布、求职登记、职业指导、技能培训、劳动维权",
                "休息区、饮水、充电、卫生间、遮阳棚",
                COUNTY_CODE,
                COUNTY_NAME,
                "运营中",
                "合成示例数据",
                SYNTHETIC,
            ]
        )
    path.write_bytes(_csv_text(MARKET_HEADER, body).encode("utf-8-sig"))
    return written


#: Industries in the work logs, their base monthly postings at a comprehensive market,
#: seekers per posting, median day wage (yuan) and a month-by-month season.
INDUSTRIES: dict[str, tuple[float, float, float, tuple[float, ...]]] = {
    "建筑装修": (600, 1.3, 280, (0.5, 0.4, 1.0, 1.2, 1.2, 1.1, 0.9, 0.9, 1.1, 1.2, 1.0, 0.7)),
    "家政保洁": (200, 0.8, 200, (1.8, 1.5, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.0, 1.1, 1.4)),
    "搬运装卸": (250, 1.2, 220, (1.2, 0.7, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.1, 1.3, 1.5)),
    "制造业普工": (300, 0.9, 170, (0.8, 0.9, 1.4, 1.1, 1.0, 1.0, 0.9, 0.9, 1.0, 1.0, 1.0, 1.0)),
    "商贸餐饮": (150, 1.1, 150, (1.4, 1.3, 0.9, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.0, 1.2)),
    "农业季节工": (120, 1.5, 160, (0.3, 0.3, 0.8, 1.0, 1.2, 1.8, 0.8, 0.7, 1.2, 1.8, 0.9, 0.4)),
}
WORKLOG_HEADER = [
    "月份",
    "市场编号",
    "行业",
    "岗位数",
    "求职人数",
    "达成意向",
    "日工资中位数",
    "备注",
]


@dataclass(frozen=True)
class WorkLogTotals:
    rows: int
    postings: int
    seekers: int
    matches: int


def write_work_logs(
    rng: np.random.Generator, markets: list[MarketRow], path: Path
) -> WorkLogTotals:
    """12 months x markets x industries of plausible counts (UTF-8 with BOM)."""
    size = {"综合性零工市场": 1.0, "行业性零工市场": 0.45, "零工服务站点": 0.12}
    body: list[list[str]] = []
    tp = ts = tm = 0
    for month in range(1, 13):
        for m in markets:
            for ind, (base, ratio, wage, season) in INDUSTRIES.items():
                boost = (
                    2.5 if (m.tier == "行业性零工市场" and ind in ("建筑装修", "搬运装卸")) else 1.0
                )
                lam = base * size[m.tier] * boost * season[month - 1]
                postings = max(1, int(rng.poisson(lam)))
                seekers = max(1, int(rng.poisson(postings * ratio * rng.uniform(0.8, 1.2))))
                matches = int(rng.binomial(min(postings, seekers), rng.uniform(0.55, 0.8)))
                w = int(
                    round(
                        wage * rng.uniform(0.93, 1.08) * (1.05 if month in (1, 2, 12) else 1.0), -1
                    )
                )
                body.append(
                    [
                        f"2024-{month:02d}",
                        m.market_id,
                        ind,
                        str(postings),
                        str(seekers),
                        str(matches),
                        str(w),
                        SYNTHETIC,
                    ]
                )
                tp, ts, tm = tp + postings, ts + seekers, tm + matches
    path.write_bytes(_csv_text(WORKLOG_HEADER, body).encode("utf-8-sig"))
    return WorkLogTotals(len(body), tp, ts, tm)

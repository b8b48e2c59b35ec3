"""The province's public site and planner map: light pages, county data loaded on demand.

A province has thousands of markets and sites; one HTML holding them all would be tens of
megabytes. Both pages here load three small things up front — Leaflet (copied from the
``xstatic-leaflet`` package, never a CDN), ``province.js`` (a few hundred lines, with a
small grid clustering of markers written here instead of the Leaflet.markercluster CDN
plugin) and ``province-data.js`` (each county's simplified outline, label point and
figures) — and load a county's markers (``county/<code>.js``) only when the map shows
it. Data files are scripts that call a function (``fetch()`` of ``file://`` is blocked by
browsers, a ``<script>`` is not), so the pages work offline from a folder.

``public/``
    the public map of the province's market directory (open markets, never the proposed
    sites), each county linking to its own public site;
``planner_map.html`` (+ ``planner_data/``)
    counties coloured by comprehensive-market coverage after the plan, existing markets
    and proposed sites clustered; clicking a county drills down to its own planner map
    and proposal.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from planner.province.runner import ProvinceRun
from planner.publish._assets import leaflet_files
from planner.publish._output import OutputFolder
from planner.publish.directory import STATUS_LABELS, TIER_LABELS

__all__ = ["write_planner_map", "write_public_site"]

_HERE = Path(__file__).resolve().parent / "templates"

#: Outline simplification of the overview (degrees, ~500 m): light, still recognisable.
_SIMPLIFY_DEG = 0.005

#: Directory fields a public marker shows (a subset of planner.publish.directory's).
_PUBLIC = ("name", "tier", "status", "address", "hours", "phone")


def _js(call: str, *args: Any) -> str:
    """A data script: ``call(arg, …);`` with JSON arguments, safe inside HTML."""
    body = ", ".join(json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in args)
    body = body.replace("</", "<\\/")
    return f"{call}({body});\n"


def _r(v: float) -> float:
    return round(float(v), 5)


def _ll(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.to_crs(4326)


def _overview(run: ProvinceRun, summary: dict[str, Any]) -> dict[str, Any]:
    """Counties (figures, label point, bounds) and their simplified outlines, WGS-84."""
    entries = {e["code"]: e for e in summary["counties"]}
    counties = []
    features = []
    for o in run.counties:
        c = o.county
        geom = gpd.GeoSeries([c.geometry], crs=run.inputs.area.crs).to_crs(4326).iloc[0]
        point = shapely.point_on_surface(geom)
        w, s, e, n = geom.bounds
        entry = entries[c.code]
        comp = entry["tiers"].get("comprehensive", {})
        counties.append(
            {
                "code": c.code,
                "name": c.name,
                "city": c.city_name,
                "status": entry["status"],
                "lon": _r(point.x),
                "lat": _r(point.y),
                "bounds": [_r(w), _r(s), _r(e), _r(n)],
                "population": entry["population"],
                "markets": entry["markets_open"],
                "new_sites": entry["new_sites"],
                "covered_before": comp.get("covered_before"),
                "covered_after": comp.get("covered_after"),
                "rule_met": entry["rule_met"],
                "folder": entry["folder"],
            }
        )
        simple = shapely.simplify(geom, _SIMPLIFY_DEG, preserve_topology=True)
        simple = shapely.set_precision(simple, 1e-5)
        features.append(
            {
                "type": "Feature",
                "properties": {"code": c.code},
                "geometry": json.loads(shapely.to_geojson(simple)),
            }
        )
    return {
        "title": summary["study"],
        "counties": counties,
        "outlines": {"type": "FeatureCollection", "features": features},
    }


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def _county_markets(run: ProvinceRun) -> dict[str, list[dict[str, Any]]]:
    """Open markets with a location, per county, with their public fields (WGS-84)."""
    markets = run.inputs.markets
    if markets is None or len(markets) == 0:
        return {}
    from planner.province.split import _market_county

    county_of = _market_county(markets, [o.county for o in run.counties])
    has = ~(markets.geometry.isna() | markets.geometry.is_empty).to_numpy()
    ll = _ll(markets[has])
    out: dict[str, list[dict[str, Any]]] = {}
    for (_, row), code, geom in zip(
        markets[has].iterrows(), county_of[has], ll.geometry.values, strict=True
    ):
        if code is None or str(row.get("status", "")) in ("closed", "suspended"):
            continue
        rec: dict[str, Any] = {"kind": "market", "lon": _r(geom.x), "lat": _r(geom.y)}
        for f in _PUBLIC:
            if f in row and _text(row[f]) is not None:
                rec[f] = _text(row[f])
        if "tier" in rec:
            rec["tier"] = TIER_LABELS.get(rec["tier"], rec["tier"])
        if "status" in rec:
            rec["status"] = STATUS_LABELS.get(rec["status"], rec["status"])
        out.setdefault(str(code), []).append(rec)
    return out


def _copy_assets(folder: OutputFolder) -> None:
    for name, src in sorted(leaflet_files().items()):
        folder.write(f"assets/leaflet/{name}", src.read_bytes())
    folder.write("assets/province.js", (_HERE / "province.js").read_bytes())


def _page(title: str, mode: str, assets: str, data: str) -> str:
    text = (_HERE / "province.html").read_text(encoding="utf-8")
    return (
        text.replace("{{title}}", html.escape(title))
        .replace("{{mode}}", mode)
        .replace("{{assets}}", assets)
        .replace("{{data}}", data)
    )


def write_public_site(run: ProvinceRun, summary: dict[str, Any]) -> Path:
    """The province's public map of markets (``public/index.html``); returns the page."""
    folder = OutputFolder(run.out_dir / "public", inputs=run.study.files)
    _copy_assets(folder)
    overview = _overview(run, summary)
    markets = _county_markets(run)
    for c in overview["counties"]:
        c["points"] = len(markets.get(c["code"], []))
        c.pop("new_sites"), c.pop("covered_before"), c.pop("covered_after"), c.pop("rule_met")
    folder.write("data/province-data.js", _js("provinceData", overview))
    for code in sorted(markets):
        folder.write(f"data/county/{code}.js", _js("provinceCounty", code, markets[code]))
    title = f"{summary['study']} 零工市场地图"
    return folder.write("index.html", _page(title, "public", "assets", "data"))


def write_planner_map(run: ProvinceRun, summary: dict[str, Any]) -> Path:
    """The province planner map with county drill-down (``planner_map.html``)."""
    root = OutputFolder(run.out_dir, inputs=run.study.files)
    overview = _overview(run, summary)
    markets = _county_markets(run)
    sites: dict[str, list[dict[str, Any]]] = {}
    for s in summary["sites"]:
        sites.setdefault(s["county"], []).append(
            {
                "kind": "site",
                "lon": s["lon"],
                "lat": s["lat"],
                "name": s.get("name") or s["id"],
                "tier": TIER_LABELS.get(s["tier"], s["tier"]),
                "id": s["id"],
                "new_demand": s.get("new_demand"),
            }
        )
    for c in overview["counties"]:
        c["points"] = len(markets.get(c["code"], [])) + len(sites.get(c["code"], []))
    root.write("planner_data/province-data.js", _js("provinceData", overview))
    for code in sorted(set(markets) | set(sites)):
        points = markets.get(code, []) + sites.get(code, [])
        root.write(f"planner_data/county/{code}.js", _js("provinceCounty", code, points))
    title = f"{summary['study']} 规划图 (planner map)"
    return root.write("planner_map.html", _page(title, "planner", "public/assets", "planner_data"))

"""Siting proposals (选址建议) a bureau can file: HTML and Markdown reports of a plan.

:func:`write_proposal` writes, for a :class:`~planner.run.StudyRun`:

1. a summary — coverage before and after the plan by tier (the figures of
   :meth:`planner.analysis.plan.Plan.summary`), by area (county or township) and by
   priority group;
2. one section per proposed site with a small map (an SVG drawn from the site, the demand
   cells around it and the markets; no basemap tiles needed) and its reasons;
3. the assumptions: speeds, thresholds, participation rate, siting targets, and the data
   sources with their file dates.

The HTML is rendered by jinja2 with autoescaping; the Markdown escapes every value (HTML
characters, and ``|`` and other Markdown characters in tables). Files are written
atomically (temporary file, then rename).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from planner import settings
from planner.analysis.coverage import Coverage
from planner.errors import InvalidValueError
from planner.publish.maps import (
    ANCHOR_LABELS,
    MODE_LABELS,
    TIER_COLOURS,
    TIER_LABELS,
    TIER_SYMBOLS,
)

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = ["md_escape", "site_svg", "write_proposal"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

_FORMATS = ("html", "md")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")

#: Half-width of the map around a site, metres, per tier.
SVG_RADIUS_M: Mapping[str, float] = {"comprehensive": 5000.0, "sector": 3000.0, "station": 2000.0}


def md_escape(value: Any) -> str:
    """Escape a value for Markdown text and table cells.

    HTML characters become entities (Markdown passes raw HTML through), Markdown's
    punctuation gets a backslash (``|`` included, so a value cannot break a table), and
    line breaks become spaces.

    Examples
    --------
    >>> md_escape("a|b <script>")
    'a\\\\|b &lt;script&gt;'
    >>> md_escape(None)
    ''
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = html.escape(str(value), quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"[\r\n]+", " ", text)


# --------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------


def _num(v: Any, digits: int = 0) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return "—"
    return f"{x:,.{digits}f}"


def _pct(v: Any) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "—" if not math.isfinite(x) else f"{100 * x:.1f}%"


# --------------------------------------------------------------------------------------
# Site maps
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SiteMapData:
    """What the per-site maps draw, as plain arrays read once per run.

    Reading ``GeoSeries.x`` rebuilds the whole coordinate array, so the site maps take
    every coordinate from here instead of from the frames (31 sites × 19,407 cells took
    ~65 s that way, against well under a second now).
    """

    cell_x: NDArray[np.float64]
    cell_y: NDArray[np.float64]
    demand: NDArray[np.float64]
    cell_side_m: float
    covered_before: dict[str, NDArray[np.bool_]]
    covered_after: dict[str, NDArray[np.bool_]]
    #: Existing markets: x, y, colour, name (markets without a geometry left out).
    markets: list[tuple[float, float, str, str]]
    #: Proposed sites: x, y, tier, site id.
    sites: list[tuple[float, float, str, str]]


def _site_map_data(run: StudyRun) -> _SiteMapData:
    """Cell centroids, demand, coverage flags, markets and sites of a run, for :func:`site_svg`."""
    cells = run.plan.after.cells
    cc = shapely.centroid(np.asarray(cells.geometry.values))
    side = float(np.sqrt(np.median(cells["cell_area_m2"]))) if "cell_area_m2" in cells else 250
    sites = run.plan.sites
    tiers = sorted({str(t) for t in sites["tier"]})
    mk = run.markets
    mgeom = np.asarray(mk.geometry.values)
    keep = ~(shapely.is_missing(mgeom) | shapely.is_empty(mgeom))
    mc = shapely.centroid(mgeom)
    mtier = mk["tier"].tolist() if "tier" in mk else [None] * len(mk)
    mname = (mk["name"] if "name" in mk else mk["market_id"]).tolist()
    sc = shapely.centroid(np.asarray(sites.geometry.values))
    return _SiteMapData(
        cell_x=shapely.get_x(cc),
        cell_y=shapely.get_y(cc),
        demand=cells["demand"].to_numpy(dtype=float),
        cell_side_m=side,
        covered_before={
            t: run.plan.before.cells[f"{t}_covered"].to_numpy(dtype=bool) for t in tiers
        },
        covered_after={t: cells[f"{t}_covered"].to_numpy(dtype=bool) for t in tiers},
        markets=[
            (float(x), float(y), TIER_COLOURS.get(str(t), "#444"), str(name))
            for x, y, t, name, ok in zip(
                shapely.get_x(mc).tolist(),
                shapely.get_y(mc).tolist(),
                mtier,
                mname,
                keep.tolist(),
                strict=True,
            )
            if ok
        ],
        sites=list(
            zip(
                shapely.get_x(sc).tolist(),
                shapely.get_y(sc).tolist(),
                sites["tier"].astype(str).tolist(),
                sites["site_id"].astype(str).tolist(),
                strict=True,
            )
        ),
    )


def site_svg(
    run: StudyRun,
    site_id: str,
    *,
    radius_m: float | None = None,
    size_px: int = 320,
) -> str:
    """A small SVG map of a proposed site: demand cells, markets and sites around it.

    Cells are shaded by demand; cells the site newly covers for its tier (uncovered
    before the plan, covered after) are outlined. Existing markets are circles and
    proposed sites their tier's symbol, coloured by tier. North is up; the scale bar
    is 1 km. Every label is escaped.

    Parameters
    ----------
    run
        The study run.
    site_id
        A ``site_id`` of ``run.plan.sites``.
    radius_m
        Half-width of the map, metres (default by tier, :data:`SVG_RADIUS_M`).
    size_px
        Width and height of the picture.
    """
    sites = run.plan.sites
    if not (sites["site_id"].astype(str).to_numpy() == str(site_id)).any():
        raise InvalidValueError(
            f"no proposed site '{site_id}'",
            column="site_id",
            fix=f"use one of {', '.join(sites['site_id'].astype(str)) or '(none)'}",
        )
    return _draw_site_svg(_site_map_data(run), str(site_id), radius_m=radius_m, size_px=size_px)


def _draw_site_svg(
    data: _SiteMapData, site_id: str, *, radius_m: float | None, size_px: int
) -> str:
    """The SVG of :func:`site_svg` from the arrays of :func:`_site_map_data`."""
    i_site = next(i for i, s in enumerate(data.sites) if s[3] == site_id)
    sx, sy, tier, _ = data.sites[i_site]
    r = float(radius_m if radius_m is not None else SVG_RADIUS_M.get(tier, 3000.0))
    x0, y0 = sx - r, sy - r
    k = size_px / (2 * r)

    def px(x: float, y: float) -> tuple[float, float]:
        return round((x - x0) * k, 1), round(size_px - (y - y0) * k, 1)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
        f'viewBox="0 0 {size_px} {size_px}" role="img" '
        f'aria-label="{html.escape(site_id)} 周边示意图">',
        f'<rect width="{size_px}" height="{size_px}" fill="#f7f7f7" stroke="#999"/>',
    ]
    cx, cy = data.cell_x, data.cell_y
    inside = np.flatnonzero((cx > x0) & (cx < x0 + 2 * r) & (cy > y0) & (cy < y0 + 2 * r))
    if len(inside):
        w = data.demand[inside]
        wmax = float(w.max()) or 1.0
        new = data.covered_after[tier][inside] & ~data.covered_before[tier][inside]
        s = max(data.cell_side_m * k, 1.0)
        for xi, yi, wi, ni in zip(
            cx[inside].tolist(), cy[inside].tolist(), w.tolist(), new.tolist(), strict=True
        ):
            x, y = px(xi, yi)
            alpha = 0.1 + 0.7 * min(wi / wmax, 1.0)
            stroke = ' stroke="#1a9641" stroke-width="0.8"' if ni else ""
            out.append(
                f'<rect x="{x - s / 2:.1f}" y="{y - s / 2:.1f}" width="{s:.1f}" height="{s:.1f}" '
                f'fill="#f03b20" fill-opacity="{alpha:.2f}"{stroke}/>'
            )
    for mx, my, col, name in data.markets:
        x, y = px(mx, my)
        if not (0 <= x <= size_px and 0 <= y <= size_px):
            continue
        out.append(
            f'<circle cx="{x}" cy="{y}" r="5" fill="{col}" stroke="#222">'
            f"<title>{html.escape(name)}</title></circle>"
        )
    for qx, qy, t, sid in data.sites:
        x, y = px(qx, qy)
        if not (0 <= x <= size_px and 0 <= y <= size_px):
            continue
        this = sid == site_id
        out.append(
            f'<text x="{x}" y="{y}" text-anchor="middle" dominant-baseline="central" '
            f'font-size="{22 if this else 14}" fill="{TIER_COLOURS.get(t, "#444")}" '
            f'stroke="#fff" stroke-width="0.6">{TIER_SYMBOLS.get(t, "◆")}'
            f"<title>{html.escape(sid)}</title></text>"
        )
    bar = 1000.0 * k
    out.append(
        f'<line x1="10" y1="{size_px - 12}" x2="{10 + bar:.1f}" y2="{size_px - 12}" '
        'stroke="#000" stroke-width="2"/>'
        f'<text x="10" y="{size_px - 16}" font-size="11">1 km</text>'
        f'<text x="{size_px - 14}" y="18" font-size="13" text-anchor="middle">N↑</text>'
        "</svg>"
    )
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# Report content
# --------------------------------------------------------------------------------------


@dataclass
class _Table:
    headers: list[str]
    rows: list[list[str]]


def _unit_of_cells(cells: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> pd.Series:
    """Name (or code) of the unit holding each cell's centroid; ``(区外)`` when none."""
    u = units.to_crs(cells.crs).reset_index(drop=True)
    label = (
        u["name"].astype(str)
        if "name" in u
        else u.get("code", pd.Series(range(len(u)))).astype(str)
    )
    pts = gpd.GeoDataFrame(geometry=cells.geometry.centroid.to_numpy(), crs=cells.crs)
    j = gpd.sjoin(pts, gpd.GeoDataFrame({"_lab": label}, geometry=u.geometry), how="left")
    j = j[~j.index.duplicated(keep="first")].sort_index()
    lab = j["_lab"].fillna("(区外)").to_numpy()
    n_out = int((lab == "(区外)").sum())
    if n_out:
        log.info("%d demand cell(s) lie in no reporting unit; listed as (区外)", n_out)
    return pd.Series(lab, index=cells.index)


def _summary_table(run: StudyRun) -> _Table:
    s = run.plan.summary()
    rows = [
        [
            f"{TIER_LABELS.get(str(r['tier']), str(r['tier']))} ({r['tier']})",
            _num(r["threshold_min"]),
            _num(r["demand"]),
            _num(r["covered_before"]),
            _pct(r["share_before"]),
            _num(r["covered_after"]),
            _pct(r["share_after"]),
            str(int(float(r["new_sites"]))),
        ]
        for r in s.to_dict("records")
    ]
    return _Table(
        [
            "层级 tier",
            "时间阈值（分钟）",
            "需求 demand",
            "规划前覆盖 covered before",
            "规划前覆盖率",
            "规划后覆盖 covered after",
            "规划后覆盖率",
            "新增站点 new sites",
        ],
        rows,
    )


def _area_table(run: StudyRun, units: gpd.GeoDataFrame) -> _Table:
    lab = _unit_of_cells(run.plan.before.cells, units)
    frames = []
    for cov in (run.plan.before, run.plan.after):
        cells = cov.cells.copy()
        cells["_unit"] = lab.to_numpy()
        frames.append(Coverage(cells, cov.rules, cov.weight).by_area("_unit").set_index("_unit"))
    b, a = frames
    tiers = list(run.plan.before.rules)
    headers = ["地区 area", "需求 demand"]
    for t in tiers:
        headers += [f"{TIER_LABELS.get(t, t)} 规划前", f"{TIER_LABELS.get(t, t)} 规划后"]
    rows = []
    for unit in b.index:
        row = [str(unit), _num(b.loc[unit, "demand"])]
        for t in tiers:
            row += [_pct(b.loc[unit, f"{t}_share"]), _pct(a.loc[unit, f"{t}_share"])]
        rows.append(row)
    return _Table(headers, rows)


def _group_table(run: StudyRun, groups: Sequence[str]) -> _Table | None:
    if not groups:
        return None
    b = run.plan.before.by_group(groups).set_index("group")
    a = run.plan.after.by_group(groups).set_index("group")
    tiers = list(run.plan.before.rules)
    headers = ["重点群体 group", "需求 demand"]
    for t in tiers:
        headers += [f"{TIER_LABELS.get(t, t)} 规划前", f"{TIER_LABELS.get(t, t)} 规划后"]
    rows = []
    for g in b.index:
        row = [str(g), _num(b.loc[g, "demand"])]
        for t in tiers:
            row += [_pct(b.loc[g, f"{t}_share"]), _pct(a.loc[g, f"{t}_share"])]
        rows.append(row)
    return _Table(headers, rows)


def _site_sections(run: StudyRun, groups: Sequence[str]) -> list[dict[str, Any]]:
    mk = run.markets
    names = dict(
        zip(mk["market_id"].astype(str), mk.get("name", mk["market_id"]).astype(str), strict=True)
    )
    out = []
    svg_data = _site_map_data(run)
    sites = run.plan.sites.to_crs(4326) if len(run.plan.sites) else run.plan.sites
    for i in range(len(run.plan.sites)):
        row = run.plan.sites.iloc[i]
        tier = str(row["tier"])
        kind = str(row.get("anchor_kind", "") or "")
        anchor = row.get("anchor_name")
        anchor_s = "" if anchor is None or anchor is pd.NA or pd.isna(anchor) else str(anchor)
        near_id = str(row.get("nearest_market", "") or "")
        modes = [m for m in str(row.get("modes", "") or "").split("/") if m]
        pt = sites.geometry.iloc[i].centroid
        facts = [
            ("层级 tier", f"{TIER_LABELS.get(tier, tier)} ({tier})"),
            ("选址依托 anchor", f"{ANCHOR_LABELS.get(kind, kind)} ({kind}) {anchor_s}".strip()),
            ("位置 location (WGS-84)", f"{pt.y:.5f}, {pt.x:.5f}"),
            ("新增覆盖需求 newly covered", f"{_num(row.get('new_demand'))} 人"),
        ]
        for g in groups:
            if f"new_{g}" in row.index:
                facts.append((f"其中 {g}", f"{_num(row[f'new_{g}'])} 人"))
        facts.append(
            ("到达方式 modes", "、".join(f"{MODE_LABELS.get(m, m)} ({m})" for m in modes) or "—")
        )
        if near_id:
            facts.append(
                (
                    "最近现有市场 nearest market",
                    f"{names.get(near_id, near_id)} ({near_id})，"
                    f"{_num(row.get('nearest_market_min'), 1)} 分钟",
                )
            )
        out.append(
            {
                "site_id": str(row["site_id"]),
                "tier": tier,
                "title": f"{row['site_id']} 拟建{TIER_LABELS.get(tier, tier)}"
                + (f"（{anchor_s}）" if anchor_s else ""),
                "facts": facts,
                "reason": str(row.get("reason", "") or ""),
                "svg": _draw_site_svg(svg_data, str(row["site_id"]), radius_m=None, size_px=320),
            }
        )
    return out


def _file_date(path: Path) -> str:
    try:
        ts = path.stat().st_mtime
    except OSError:
        return "（文件不存在 missing）"
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).date().isoformat()


def _assumptions(run: StudyRun) -> dict[str, Any]:
    rules = run.coverage.rules
    given = run.inputs.study.tiers

    def target(t: str) -> str:
        spec = given.get(t)
        if spec is not None and spec.max_new:
            return f"≤ {spec.max_new} 处 sites"
        share = spec.target_share if spec is not None and spec.target_share else None
        return _pct(share or settings.PLAN_TARGET_SHARE.get(t, float("nan")))

    def min_new(t: str) -> str:
        spec = given.get(t)
        if spec is not None and spec.min_new_demand is not None:
            return _num(spec.min_new_demand)
        return _num(settings.MIN_NEW_DEMAND.get(t, float("nan")))

    tier_rows = [
        [
            f"{TIER_LABELS.get(t, t)} ({t})",
            _num(r.threshold_min),
            "、".join(f"{MODE_LABELS.get(m, m)} ({m})" for m in r.modes),
            _num(r.rural_radius_m) if r.rural_radius_m else "—",
            target(t),
            min_new(t),
        ]
        for t, r in rules.items()
    ]
    rates = sorted({float(x) for x in run.cells["rate"].unique()}) if "rate" in run.cells else []
    params = [
        ["步行速度 walk speed", f"{settings.WALK_SPEED_KMH:g} km/h"],
        ["电动自行车速度 e-bike speed", f"{settings.EBIKE_SPEED_KMH:g} km/h"],
        ["公交运行速度（无时刻表时） bus speed", f"{settings.BUS_SPEED_KMH:g} km/h"],
        ["默认发车间隔 default headway", f"{settings.DEFAULT_HEADWAY_MIN:g} 分钟"],
        [
            "公交服务时段 transit window",
            f"{run.date.isoformat()} {'–'.join(run.inputs.study.network.window)}",
        ],
        ["人口分布方法 how people were placed", run.inputs.demand_spread or "人口格网 grid"],
        [
            "灵活就业参与率 participation rate",
            "、".join(_pct(x) for x in rates)
            or f"{_pct(settings.PARTICIPATION_RATE_URBAN)}（城镇）/"
            f"{_pct(settings.PARTICIPATION_RATE_RURAL)}（农村）",
        ],
        ["城镇人口密度标准 urban density", f"{settings.URBAN_DENSITY_PER_KM2:,.0f} 人/km²"],
        ["最大吸附距离 max snap", f"{settings.MAX_SNAP_M:g} m"],
    ]
    study = run.inputs.study
    sources = [["研究区 area", study.area.path.name, study.area.coords or "—",
                _file_date(study.area.path)]]  # fmt: skip
    for name, spec in study.inputs.items():
        for key, p in spec.paths.items():
            label = name if key == "path" else f"{name} ({key})"
            sources.append([label, p.name, spec.coords or "—", _file_date(p)])
    return {
        "tiers": _Table(
            [
                "层级 tier",
                "时间阈值（分钟）",
                "计入方式 modes",
                "农村直线半径 (m)",
                "覆盖目标 target",
                "最小新增需求（人）",
            ],
            tier_rows,
        ),
        "params": _Table(["参数 parameter", "取值 value"], params),
        "sources": _Table(
            ["数据 input", "文件 file", "坐标系 coords", "文件日期 file date"], sources
        ),
        "notes": list(run.notes),
        "warnings": list(run.warnings),
        "models": [
            f"{TIER_LABELS.get(t, t)}: {tp.model}; {getattr(tp.result, 'status', '')} "
            f"({getattr(tp.result, 'solver', '')})"
            for t, tp in run.plan.tiers.items()
        ],
    }


def _context(run: StudyRun, units: gpd.GeoDataFrame | None) -> dict[str, Any]:
    groups = list(run.cells.attrs.get("groups", []))
    u = units if units is not None else run.inputs.area.units
    return {
        "name": run.inputs.area.name or run.inputs.study.name,
        "date": run.date.isoformat(),
        "n_sites": len(run.plan.sites),
        "warnings": list(run.warnings),
        "summary": _summary_table(run),
        "areas": _area_table(run, u),
        "groups": _group_table(run, groups),
        "sites": _site_sections(run, groups),
        "assumptions": _assumptions(run),
    }


def _environment(kind: str) -> Any:
    import jinja2
    from markupsafe import Markup

    loader = jinja2.PackageLoader("planner.publish", "templates")
    if kind == "html":
        return jinja2.Environment(loader=loader, autoescape=True, keep_trailing_newline=True)

    def finalize(value: Any) -> Any:
        return value if isinstance(value, Markup) else md_escape(value)

    env = jinja2.Environment(
        loader=loader, autoescape=False, finalize=finalize, keep_trailing_newline=True
    )
    return env


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_proposal(
    run: StudyRun,
    out_dir: PathArg,
    *,
    formats: Sequence[str] = _FORMATS,
    units: gpd.GeoDataFrame | None = None,
    stem: str = "proposal",
) -> list[Path]:
    """Write the siting proposal of a run as HTML and/or Markdown.

    Parameters
    ----------
    run
        From :func:`planner.pipeline.run_study`.
    out_dir
        Folder to write into (created). The Markdown's site maps go to
        ``<stem>_files/<site_id>.svg`` beside it; the HTML holds them inline.
    formats
        Any of ``"html"`` and ``"md"``.
    units
        Areas to report coverage by (polygons with ``name`` and/or ``code``, e.g.
        townships from :func:`planner.io.vector.read_boundaries`); default the study
        area's units (counties).
    stem
        File name without suffix.

    Returns
    -------
    list of pathlib.Path
        The reports written, in the order of ``formats``.
    """
    fmts = list(formats)
    bad = [f for f in fmts if f not in _FORMATS]
    if bad or not fmts:
        raise InvalidValueError(
            f"unknown proposal format(s): {', '.join(map(repr, bad)) or '(none given)'}",
            fix="use formats=('html', 'md') or one of them",
        )
    if not re.fullmatch(r"[\w.-]+", stem):
        raise InvalidValueError(
            f"stem {stem!r} is not a plain file name", fix="use letters, digits, '.', '-', '_'"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = _context(run, units)
    written: list[Path] = []
    for fmt in fmts:
        if fmt == "html":
            from markupsafe import Markup

            sites = [dict(s, svg=Markup(s["svg"])) for s in ctx["sites"]]
            text = (
                _environment("html")
                .get_template("proposal_report.html.j2")
                .render(**dict(ctx, sites=sites))
            )
        else:
            from markupsafe import Markup

            files = out / f"{stem}_files"
            files.mkdir(exist_ok=True)
            sites = []
            for s in ctx["sites"]:
                fname = re.sub(r"[^\w.-]", "_", s["site_id"]) + ".svg"
                _write_atomic(files / fname, s["svg"] + "\n")
                sites.append(dict(s, svg_path=Markup(f"{files.name}/{fname}")))
            text = (
                _environment("md")
                .get_template("proposal_report.md.j2")
                .render(**dict(ctx, sites=sites))
            )
        path = out / f"{stem}.{fmt}"
        _write_atomic(path, text)
        written.append(path)
        log.info("siting proposal written to %s", path)
    return written

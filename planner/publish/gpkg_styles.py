"""The QGIS style of each layer of a run's GeoPackage, as on the planner's map.

:func:`layer_styles` gives the rows of the GeoPackage's ``layer_styles`` table (QGIS's own
schema): one default style per layer, so the file opens styled in QGIS with no project
file, and for the demand cells one extra style per tier showing its coverage classes (pick
it in Layer Properties → Style → Load Style → From Database).

========== =============================================================================
layer      default style
========== =============================================================================
units      outline, no fill
cells      graduated by ``demand`` in the planner map's six colours (quantile classes),
           each cell drawn as a square of its own size on the ground
gaps       categorized by ``stage``: light grey hatching (before), a dashed red outline
           (still uncovered after the plan)
isochrones categorized by tier and stage in the tier colours: filled (existing
           markets), dashed outline (with the plan)
markets    categorized by ``tier``: circles in the tier colours, labelled with the name
candidates categorized by ``tier``: small hollow circles in the tier colours
sites      categorized by ``tier``: star / triangle / square in the tier colours (★ ▲ ■
           of the planner map), labelled with the name
stops      small grey circles
roads      thin grey lines
========== =============================================================================

The ``tier`` field of markets, candidates and sites gets a drop-down of the Chinese tier
names in the attribute form (a QGIS value map storing the codes), so a planner editing a
site in QGIS picks 零工服务站点 and the file holds ``station``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from planner import settings
from planner.io.runfile import STAGES, TIER_CODES, GpkgLayer
from planner.publish.maps import _DEMAND_COLOURS, TIER_COLOURS, TIER_LABELS
from planner.publish.qgis_style import (
    categorized_renderer,
    fill_symbol,
    graduated_renderer,
    line_symbol,
    marker_symbol,
    qml_document,
    single_renderer,
)

if TYPE_CHECKING:
    from planner.run import StudyRun

__all__ = ["TIER_SHAPES", "demand_classes", "layer_styles"]

#: QGIS marker shape of each tier's proposed sites (the planner map's ★ ▲ ■).
TIER_SHAPES: Mapping[str, str] = {
    "comprehensive": "star",
    "sector": "triangle",
    "station": "square",
}

#: Their sizes (mm): QGIS's star is slender, its square solid; these look alike in weight.
_SHAPE_SIZES: Mapping[str, float] = {"star": 7.0, "triangle": 5.5, "square": 4.2}

#: Colours of the coverage classes of a demand cell.
COVERAGE_COLOURS: Mapping[str, tuple[str, str]] = {
    "before": ("#31a354", "现状已覆盖"),
    "after": ("#fd8d3c", "规划新增覆盖"),
    "none": ("#bdbdbd", "未覆盖"),
}

_GEOMETRY_COLUMN = "geom"  # what GDAL names the geometry column of a GeoPackage layer
_GAP_COLOURS = {"before": "#252525", "after": "#bd0026"}


def _tier_values() -> list[tuple[str, str]]:
    return [(TIER_LABELS.get(t, t), t) for t in settings.TIERS]


def demand_classes(values: Sequence[float] | np.ndarray, n: int = 5) -> list[float]:
    """Class breaks of positive demand: its quantiles (as the planner map classes demand).

    Returns up to ``n + 1`` increasing breaks; cells with no demand fall below the first
    and are not drawn.

    Examples
    --------
    >>> demand_classes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], n=2)
    [1.0, 5.5, 10.0]
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if len(v) == 0:
        return []
    breaks = sorted(set(np.quantile(v, np.linspace(0, 1, n + 1)).tolist()))
    return [float(b) for b in breaks]


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.1f}"


def _cell_side_m(run: StudyRun) -> float:
    cells = run.cells
    if "cell_area_m2" in cells and len(cells):
        return float(np.sqrt(np.median(cells["cell_area_m2"].to_numpy(dtype=float))))
    if len(cells) > 1:
        from scipy.spatial import cKDTree

        c = cells.geometry.centroid
        pts = np.column_stack([c.x, c.y])
        d, _ = cKDTree(pts).query(pts, k=2)
        return float(np.median(d[:, 1]))
    return 100.0


def _cells_symbol(name: str, fill: str, points: bool, side_m: float) -> ET.Element:
    if points:
        return marker_symbol(
            name,
            fill,
            shape="square",
            size=side_m,
            size_unit="RenderMetersInMapUnits",
            alpha=0.75,
            outline_width=0,
        )
    return fill_symbol(name, fill, alpha=0.75, outline_style="no", outline_width=0)


def _doc(
    layer: GpkgLayer,
    renderer: ET.Element,
    geometry: str,
    *,
    label: str | None = None,
    tier_field: bool = False,
) -> str:
    fields = ["fid", *(f.field for f in layer.spec.fields)]
    return qml_document(
        renderer,
        geometry=geometry,
        fields=fields,
        aliases={f.field: f.alias for f in layer.spec.fields},
        value_maps={"tier": _tier_values()} if tier_field else None,
        label_field=label,
    )


def _row(name: str, style: str, qml: str, description: str, default: bool) -> dict[str, Any]:
    return {
        "f_table_catalog": "",
        "f_table_schema": "",
        "f_table_name": name,
        "f_geometry_column": _GEOMETRY_COLUMN,
        "styleName": style,
        "styleQML": qml,
        "styleSLD": "",
        "useAsDefault": default,
        "description": description,
        "owner": "",
        "ui": None,
    }


def _cells_styles(run: StudyRun, layer: GpkgLayer) -> list[dict[str, Any]]:
    points = bool(layer.frame.geom_type.eq("Point").all()) if len(layer.frame) else True
    geometry = "point" if points else "polygon"
    side = _cell_side_m(run)
    breaks = demand_classes(layer.frame["demand"].to_numpy(dtype=float))
    ranges = []
    if len(breaks) == 1:
        breaks = [breaks[0], breaks[0]]
    for i in range(len(breaks) - 1):
        colour = _DEMAND_COLOURS[min(i, len(_DEMAND_COLOURS) - 1)]
        ranges.append(
            (
                breaks[i],
                breaks[i + 1],
                f"{_fmt(breaks[i])} – {_fmt(breaks[i + 1])}",
                _cells_symbol(str(i), colour, points, side),
            )
        )
    rows = [
        _row(
            "cells",
            "零工需求",
            _doc(layer, graduated_renderer("demand", ranges), geometry),
            "零工需求（人/格），分位数分级；flexible-worker demand per cell, quantile classes",
            True,
        )
    ]
    names = set(layer.frame.columns)
    for tier in settings.TIERS:
        c = TIER_CODES[tier]
        b, a = (f"{c}_cov_{STAGES[s][0]}" for s in ("before", "after"))
        if b not in names or a not in names:
            continue
        expr = f"CASE WHEN \"{b}\" THEN 'before' WHEN \"{a}\" THEN 'after' ELSE 'none' END"
        cats = [
            (key, label, _cells_symbol(str(i), col, points, side))
            for i, (key, (col, label)) in enumerate(COVERAGE_COLOURS.items())
        ]
        rows.append(
            _row(
                "cells",
                f"覆盖：{TIER_LABELS.get(tier, tier)}",
                _doc(layer, categorized_renderer(expr, cats), geometry),
                f"{TIER_LABELS.get(tier, tier)}覆盖状况：现状已覆盖、规划新增覆盖、未覆盖; "
                f"coverage classes of the {tier} tier",
                False,
            )
        )
    return rows


def _tier_categories(
    make: Any, tiers: Sequence[str] = settings.TIERS
) -> list[tuple[str, str, ET.Element]]:
    return [(t, TIER_LABELS.get(t, t), make(str(i), t)) for i, t in enumerate(tiers)]


def layer_styles(run: StudyRun, layers: Mapping[str, GpkgLayer]) -> list[dict[str, Any]]:
    """The rows of ``layer_styles`` for the layers of a run's GeoPackage.

    Parameters
    ----------
    run
        The run (demand classes and cell size come from it).
    layers
        From :func:`planner.publish.gpkg.run_layers`.

    Returns
    -------
    list of dict
        One row per style with QGIS's ``layer_styles`` columns (``update_time`` aside): a
        default style for every layer, and the coverage styles of the cells.
    """
    rows: list[dict[str, Any]] = []
    for name, layer in layers.items():
        if name == "cells":
            rows += _cells_styles(run, layer)
            continue
        doc, title = _style(name, layer)
        rows.append(_row(name, layer.spec.title, doc, title, True))
    return rows


def _style(name: str, layer: GpkgLayer) -> tuple[str, str]:
    """(QML, description) of the default style of a layer other than the cells."""
    col = TIER_COLOURS
    if name == "units":
        sym = fill_symbol("0", "#ffffff", style="no", outline="#333333", outline_width=0.6)
        return _doc(layer, single_renderer(sym), "polygon"), "研究区边界; study area outline"
    if name == "gaps":
        cats = [
            (
                "before",
                "现状覆盖缺口",
                fill_symbol(
                    "0",
                    _GAP_COLOURS["before"],
                    alpha=0.3,
                    style="b_diagonal",
                    outline=_GAP_COLOURS["before"],
                    outline_width=0.2,
                    outline_style="dash",
                ),
            ),
            (
                "after",
                "规划后仍未覆盖",
                fill_symbol(
                    "1",
                    _GAP_COLOURS["after"],
                    style="no",
                    outline=_GAP_COLOURS["after"],
                    outline_width=0.5,
                    outline_style="dash",
                ),
            ),
        ]
        return (
            _doc(layer, categorized_renderer("stage", cats), "polygon"),
            "覆盖缺口（现状、规划后）; uncovered areas before and after the plan",
        )
    if name == "isochrones":
        cats = []
        for stage, zh in (("before", "现状覆盖"), ("after", "规划后覆盖")):
            for t in settings.TIERS:
                c = col.get(t, "#31a354")
                sym = (
                    fill_symbol(str(len(cats)), c, alpha=0.18, outline=c, outline_width=0.3)
                    if stage == "before"
                    else fill_symbol(
                        str(len(cats)), c, style="no", outline=c, outline_width=0.5,
                        outline_style="dash",
                    )
                )  # fmt: skip
                cats.append((f"{t} {stage}", f"{zh}：{TIER_LABELS.get(t, t)}", sym))
        return (
            _doc(layer, categorized_renderer('"tier" || \' \' || "stage"', cats), "polygon"),
            "各层级、各出行方式的覆盖范围; coverage areas per tier and mode",
        )
    if name == "markets":
        cats = _tier_categories(
            lambda i, t: marker_symbol(i, col.get(t, "#444444"), size=3.6, outline="#222222")
        )
        return (
            _doc(layer, categorized_renderer("tier", cats), "point", label="name", tier_field=True),
            "现有零工市场（按类型）; existing markets by tier",
        )
    if name == "candidates":
        cats = _tier_categories(
            lambda i, t: marker_symbol(
                i, "#ffffff", size=1.8, alpha=0.6, outline=col.get(t, "#444444"), outline_width=0.4
            )
        )
        return (
            _doc(layer, categorized_renderer("tier", cats), "point", tier_field=True),
            "候选站址（按层级）; candidate sites by tier",
        )
    if name == "sites":
        cats = _tier_categories(
            lambda i, t: marker_symbol(
                i,
                col.get(t, "#444444"),
                shape=TIER_SHAPES.get(t, "diamond"),
                size=_SHAPE_SIZES.get(TIER_SHAPES.get(t, ""), 5.0),
                outline="#ffffff",
                outline_width=0.4,
            )
        )
        return (
            _doc(layer, categorized_renderer("tier", cats), "point", label="name", tier_field=True),
            "拟建站点（★综合性 ▲行业性 ■站点）; proposed sites by tier",
        )
    if name == "stops":
        sym = marker_symbol("0", "#4d4d4d", size=1.4, outline="#ffffff", outline_width=0.2)
        return _doc(layer, single_renderer(sym), "point"), "公交站点; bus stops"
    if name == "roads":
        return (
            _doc(layer, single_renderer(line_symbol("0", "#9e9e9e", width=0.25)), "line"),
            "道路网络; road network",
        )
    sym = marker_symbol("0", "#444444")
    return _doc(layer, single_renderer(sym), "point"), name

"""QGIS layer styles (QML) built from plain data: single, categorized and graduated symbols.

A QGIS style is a ``<qgis>`` XML document whose ``renderer-v2`` element says how features
are drawn; :mod:`planner.publish.gpkg` stores one per layer in the GeoPackage's
``layer_styles`` table, so the file opens styled in QGIS with no project file.

The documents follow what QGIS 3 writes itself: each symbol layer carries its properties
both as ``<Option type="Map">`` (QGIS ≥ 3.20 reads these) and as ``<prop k v>`` (what
QGIS 3.0–3.18 read), colours are ``"r,g,b,a"``, and the aliases, value-map edit widgets
and labels ride in the same document. Only the standard library builds them, so the same
inputs give the same text.

Examples
--------
>>> sym = marker_symbol("0", "#d7301f", shape="star", size=5)
>>> doc = qml_document(
...     categorized_renderer("tier", [("comprehensive", "综合性零工市场", sym)]),
...     geometry="point",
...     fields=["fid", "tier"],
... )
>>> import xml.etree.ElementTree as ET
>>> root = ET.fromstring(doc.split("\\n", 1)[1])
>>> root.find("renderer-v2").get("type"), root.find(".//category").get("label")
('categorizedSymbol', '综合性零工市场')
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from planner.errors import InvalidValueError

__all__ = [
    "QGIS_VERSION",
    "categorized_renderer",
    "colour",
    "fill_symbol",
    "graduated_renderer",
    "line_symbol",
    "marker_symbol",
    "qml_document",
    "single_renderer",
]

#: The QGIS version the documents are written as (the oldest LTR they were checked with).
QGIS_VERSION = "3.22.16-Białowieża"

_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
_GEOMETRY = {"point": "0", "line": "1", "polygon": "2"}


def colour(value: str, alpha: float = 1.0) -> str:
    """A ``#rrggbb`` colour as QGIS writes colours: ``"r,g,b,a"`` (0-255).

    Examples
    --------
    >>> colour("#d7301f", 0.5)
    '215,48,31,128'
    """
    v = value.lstrip("#")
    if len(v) != 6 or any(c not in "0123456789abcdefABCDEF" for c in v):
        raise InvalidValueError(f"not a #rrggbb colour: {value!r}", fix="write e.g. #d7301f")
    r, g, b = (int(v[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(alpha * 255)}"


def _symbol(kind: str, name: str, layer_class: str, props: Mapping[str, str]) -> ET.Element:
    sym = ET.Element(
        "symbol",
        {
            "type": kind,
            "name": name,
            "alpha": "1",
            "clip_to_extent": "1",
            "force_rhr": "0",
        },
    )
    layer = ET.SubElement(
        sym, "layer", {"class": layer_class, "enabled": "1", "locked": "0", "pass": "0"}
    )
    options = ET.SubElement(layer, "Option", {"type": "Map"})
    for k, v in props.items():
        ET.SubElement(options, "Option", {"name": k, "type": "QString", "value": v})
    for k, v in props.items():
        ET.SubElement(layer, "prop", {"k": k, "v": v})
    return sym


def marker_symbol(
    name: str,
    fill: str,
    *,
    shape: str = "circle",
    size: float = 3.0,
    size_unit: str = "MM",
    alpha: float = 1.0,
    outline: str = "#232323",
    outline_width: float = 0.3,
) -> ET.Element:
    """A simple marker: ``shape`` (circle, square, star, triangle, diamond …) of ``size``.

    ``size_unit`` ``"RenderMetersInMapUnits"`` sizes it in metres on the ground whatever
    the layer's CRS (a demand cell drawn as its own square).
    """
    return _symbol(
        "marker",
        name,
        "SimpleMarker",
        {
            "angle": "0",
            "color": colour(fill, alpha),
            "horizontal_anchor_point": "1",
            "joinstyle": "miter",
            "name": shape,
            "offset": "0,0",
            "offset_unit": "MM",
            "outline_color": colour(outline),
            "outline_style": "solid" if outline_width > 0 else "no",
            "outline_width": f"{outline_width:g}",
            "outline_width_unit": "MM",
            "scale_method": "diameter",
            "size": f"{size:g}",
            "size_unit": size_unit,
            "vertical_anchor_point": "1",
        },
    )


def fill_symbol(
    name: str,
    fill: str,
    *,
    alpha: float = 1.0,
    style: str = "solid",
    outline: str = "#232323",
    outline_width: float = 0.26,
    outline_style: str = "solid",
) -> ET.Element:
    """A simple fill; ``style`` ``"no"`` draws the outline only, ``"b_diagonal"`` hatches."""
    return _symbol(
        "fill",
        name,
        "SimpleFill",
        {
            "border_width_map_unit_scale": "3x:0,0,0,0,0,0",
            "color": colour(fill, alpha),
            "joinstyle": "bevel",
            "offset": "0,0",
            "offset_unit": "MM",
            "outline_color": colour(outline),
            "outline_style": outline_style,
            "outline_width": f"{outline_width:g}",
            "outline_width_unit": "MM",
            "style": style,
        },
    )


def line_symbol(name: str, stroke: str, *, width: float = 0.26, alpha: float = 1.0) -> ET.Element:
    """A simple line of ``width`` millimetres."""
    return _symbol(
        "line",
        name,
        "SimpleLine",
        {
            "capstyle": "round",
            "joinstyle": "round",
            "line_color": colour(stroke, alpha),
            "line_style": "solid",
            "line_width": f"{width:g}",
            "line_width_unit": "MM",
            "offset": "0",
            "offset_unit": "MM",
        },
    )


def _renderer(kind: str, attr: str | None = None) -> ET.Element:
    el = ET.Element(
        "renderer-v2",
        {
            "type": kind,
            "forceraster": "0",
            "symbollevels": "0",
            "enableorderby": "0",
            "referencescale": "-1",
        },
    )
    if attr is not None:
        el.set("attr", attr)
    return el


def single_renderer(symbol: ET.Element) -> ET.Element:
    """Every feature drawn with one symbol."""
    el = _renderer("singleSymbol")
    symbols = ET.SubElement(el, "symbols")
    symbol.set("name", "0")
    symbols.append(symbol)
    ET.SubElement(el, "rotation")
    ET.SubElement(el, "sizescale")
    return el


def categorized_renderer(
    attr: str, categories: Sequence[tuple[str, str, ET.Element]]
) -> ET.Element:
    """One symbol per value of ``attr`` (a field, or a QGIS expression).

    Parameters
    ----------
    attr
        Field name or expression whose value picks the category.
    categories
        ``(value, label, symbol)``; the symbols are renamed ``0``, ``1`` … in order.
    """
    el = _renderer("categorizedSymbol", attr)
    cats = ET.SubElement(el, "categories")
    symbols = ET.SubElement(el, "symbols")
    for i, (value, label, symbol) in enumerate(categories):
        ET.SubElement(
            cats,
            "category",
            {
                "value": value,
                "symbol": str(i),
                "label": label,
                "render": "true",
                "type": "string",
                "uuid": f"{{{i:08d}-0000-0000-0000-000000000000}}",
            },
        )
        symbol.set("name", str(i))
        symbols.append(symbol)
    ET.SubElement(el, "rotation")
    ET.SubElement(el, "sizescale")
    return el


def graduated_renderer(
    attr: str,
    ranges: Sequence[tuple[float, float, str, ET.Element]],
    *,
    method: str = "Quantile",
) -> ET.Element:
    """One symbol per class of a numeric field: ``(lower, upper, label, symbol)``.

    ``method`` is the classification QGIS offers when the user reclassifies (``Quantile``,
    ``EqualInterval``, ``Jenks`` …); the classes themselves are the ones given.
    """
    el = _renderer("graduatedSymbol", attr)
    el.set("graduatedMethod", "GraduatedColor")
    rng = ET.SubElement(el, "ranges")
    symbols = ET.SubElement(el, "symbols")
    for i, (lo, hi, label, symbol) in enumerate(ranges):
        ET.SubElement(
            rng,
            "range",
            {
                "lower": f"{lo:.15f}",
                "upper": f"{hi:.15f}",
                "symbol": str(i),
                "label": label,
                "render": "true",
                "uuid": str(i),
            },
        )
        symbol.set("name", str(i))
        symbols.append(symbol)
    cm = ET.SubElement(el, "classificationMethod", {"id": method})
    ET.SubElement(cm, "symmetricMode", {"enabled": "0", "symmetrypoint": "0", "astride": "0"})
    ET.SubElement(
        cm, "labelFormat", {"format": "%1 - %2", "labelprecision": "0", "trimtrailingzeroes": "1"}
    )
    ET.SubElement(cm, "parameters")
    ET.SubElement(cm, "extraInformation")
    ET.SubElement(el, "rotation")
    ET.SubElement(el, "sizescale")
    return el


def _value_map(parent: ET.Element, field: str, values: Sequence[tuple[str, str]]) -> None:
    fe = ET.SubElement(parent, "field", {"name": field, "configurationFlags": "None"})
    widget = ET.SubElement(fe, "editWidget", {"type": "ValueMap"})
    config = ET.SubElement(widget, "config")
    top = ET.SubElement(config, "Option", {"type": "Map"})
    lst = ET.SubElement(top, "Option", {"name": "map", "type": "List"})
    for label, value in values:
        item = ET.SubElement(lst, "Option", {"type": "Map"})
        ET.SubElement(item, "Option", {"name": label, "type": "QString", "value": value})


def _labeling(parent: ET.Element, field: str) -> None:
    lab = ET.SubElement(parent, "labeling", {"type": "simple"})
    settings = ET.SubElement(lab, "settings", {"calloutType": "simple"})
    style = ET.SubElement(
        settings,
        "text-style",
        {
            "fieldName": field,
            "isExpression": "0",
            "fontSize": "9",
            "fontSizeUnit": "Point",
            "textColor": "35,35,35,255",
            "textOpacity": "1",
            "fontWeight": "50",
            "namedStyle": "",
            "fontFamily": "",
            "multilineHeight": "1",
            "previewBkgrdColor": "255,255,255,255",
        },
    )
    ET.SubElement(
        style,
        "text-buffer",
        {
            "bufferDraw": "1",
            "bufferSize": "0.8",
            "bufferSizeUnits": "MM",
            "bufferColor": "255,255,255,255",
            "bufferOpacity": "1",
            "bufferNoFill": "1",
            "bufferJoinStyle": "128",
            "bufferBlendMode": "0",
        },
    )
    ET.SubElement(settings, "text-format", {"wrapChar": "", "multilineAlign": "0"})
    ET.SubElement(
        settings,
        "placement",
        {"placement": "6", "dist": "1.5", "distUnits": "MM", "offsetType": "1", "priority": "5"},
    )
    ET.SubElement(
        settings, "rendering", {"obstacle": "1", "scaleVisibility": "0", "displayAll": "0"}
    )


def qml_document(
    renderer: ET.Element,
    *,
    geometry: str,
    fields: Sequence[str] = (),
    aliases: Mapping[str, str] | None = None,
    value_maps: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    label_field: str | None = None,
    opacity: float = 1.0,
) -> str:
    """A QGIS style document (QML) for one layer.

    Parameters
    ----------
    renderer
        From :func:`single_renderer`, :func:`categorized_renderer` or
        :func:`graduated_renderer`.
    geometry
        ``"point"``, ``"line"`` or ``"polygon"``.
    fields
        The layer's fields in order as QGIS lists them (``fid`` first for a GeoPackage).
    aliases
        Display name per field (Chinese names in the attribute table and forms).
    value_maps
        Per field, ``(label, value)`` pairs: the attribute form offers the labels in a
        drop-down and stores the value (the tier codes behind their Chinese names).
    label_field
        A field to label features with.
    opacity
        Layer opacity, 0-1.

    Returns
    -------
    str
        The document, starting with the ``<!DOCTYPE qgis …>`` line QGIS writes.
    """
    if geometry not in _GEOMETRY:
        raise InvalidValueError(f"unknown geometry {geometry!r}", fix="use point, line or polygon")
    root = ET.Element(
        "qgis",
        {
            "version": QGIS_VERSION,
            "styleCategories": "AllStyleCategories",
            "labelsEnabled": "1" if label_field else "0",
            "hasScaleBasedVisibilityFlag": "0",
            "minScale": "100000000",
            "maxScale": "0",
        },
    )
    root.append(renderer)
    if label_field:
        _labeling(root, label_field)
    if value_maps:
        fc = ET.SubElement(root, "fieldConfiguration")
        for f, values in value_maps.items():
            _value_map(fc, f, values)
    if aliases:
        al = ET.SubElement(root, "aliases")
        for i, f in enumerate(fields):
            if f in aliases:
                ET.SubElement(al, "alias", {"field": f, "index": str(i), "name": aliases[f]})
    ET.SubElement(root, "layerOpacity").text = f"{opacity:g}"
    ET.SubElement(root, "layerGeometryType").text = _GEOMETRY[geometry]
    ET.indent(root, space=" ")
    return _DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"

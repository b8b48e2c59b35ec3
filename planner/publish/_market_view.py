"""What a visitor sees of one market on the public pages.

The public map and directory show each market the same way, on a phone first:

* the hours once — the normalised schedule when the published text was read as one, else
  the published text labelled as such (:func:`hours_view`);
* every phone number of the contact fields as a ``tel:`` link (:func:`phone_segments`);
* navigation links to AMap (GCJ-02) and Baidu Maps (BD-09), each app's own coordinate
  system (:func:`nav_links`);
* the words search matches, facility synonyms included (:func:`search_text`).

The links and texts are plain data for the page: jinja2 escapes them in the HTML and the
scripts set them with ``textContent`` and ``setAttribute``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from planner.io.coords import convert
from planner.io.markets import FACILITY_LABELS, facility_words

__all__ = ["hours_view", "market_view", "nav_links", "phone_segments", "search_text"]

# Phone numbers of a public contact field: mobiles, landlines with their area code, 400/800
# numbers, 5-digit service lines (12333, 12345, 95xxx) and 7-8 digit local numbers. Digits
# may be split by one space or dash.
_PHONE = re.compile(
    r"(?<![\d+])(?:(?P<cc>\+86[\s-]?|86[\s-])(?P<intl>\(?0?[1-9]\d{1,2}\)?[\s-]?\d{3,4}[\s-]?\d{4})"
    r"|(?:\+?86[\s-]?)?(?:"
    r"1[3-9]\d(?:[\s-]?\d){8}"
    r"|\(?0\d{2,3}\)?[\s-]?\d{3,4}[\s-]?\d{4}"
    r"|[48]00[\s-]?\d{3}[\s-]?\d{4}"
    r"|(?:12|95|96)\d{3}"
    r"|[2-8]\d{2,3}[\s-]?\d{4}"
    r"))(?!\d)"
)
# Full-width digits, plus, dash, brackets and space as their ASCII forms, one character
# for one (so a match's positions hold in the text as written).
_HALF = str.maketrans("０１２３４５６７８９＋－（）\u3000‐–—", "0123456789+-() ---")

#: How the hours are shown: ``schedule`` (a schedule read from the text: the normalised
#: form), ``inferred`` (read from a sentence naming times: normalised, with the text as a
#: note), ``text`` (not read: the text as published) and ``none`` (no hours published).
HOURS_KINDS: tuple[str, ...] = ("schedule", "inferred", "text", "none")


def phone_segments(text: str) -> list[list[str]]:
    """``text`` cut into ``[piece, tel_href]`` runs; ``tel_href`` is "" between numbers.

    Examples
    --------
    >>> phone_segments("监督电话 0539-5550999（合成）")
    [['监督电话 ', ''], ['0539-5550999', 'tel:05395550999'], ['（合成）', '']]
    >>> phone_segments("+86 139 1234 5678、12333")
    [['+86 139 1234 5678', 'tel:+8613912345678'], ['、', ''], ['12333', 'tel:12333']]
    >>> phone_segments("javascript:alert(3)")
    [['javascript:alert(3)', '']]
    """
    out: list[list[str]] = []
    pos = 0
    for m in _PHONE.finditer(text.translate(_HALF)):
        if m.start() > pos:
            out.append([text[pos : m.start()], ""])
        number = m.group(0)
        if m.group("cc"):  # +86 631-6651236, +86 (0631) 6651236: the area code without its 0
            href = "tel:+86" + re.sub(r"\D", "", m.group("intl")).lstrip("0")
        else:
            href = "tel:" + ("+" if number.startswith("+") else "") + re.sub(r"\D", "", number)
        out.append([text[m.start() : m.end()], href])
        pos = m.end()
    if pos < len(text):
        out.append([text[pos:], ""])
    return out


def nav_links(lon: float, lat: float, name: str, address: str = "") -> dict[str, str] | None:
    """Links that open the market in AMap and Baidu Maps (apps or web), or None without
    coordinates.

    ``lon``/``lat`` are WGS-84; AMap gets GCJ-02 (``coordinate=gaode``) and Baidu BD-09
    (``coord_type=bd09ll``), each converted with :func:`planner.io.coords.convert`.

    Examples
    --------
    >>> links = nav_links(118.6, 36.2, "东城驿站")
    >>> links["amap"][:60]
    'https://uri.amap.com/marker?position=118.605415,36.199911&na'
    >>> nav_links(float("nan"), 36.2, "x") is None
    True
    """
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    glon, glat = (float(v[0]) for v in convert([lon], [lat], "wgs84", "gcj02"))
    blon, blat = (float(v[0]) for v in convert([lon], [lat], "wgs84", "bd09"))
    q = quote(name, safe="")
    # Baidu's URI API asks every caller to name itself in src as webapp.<company>.<app>.
    return {
        "amap": f"https://uri.amap.com/marker?position={glon:.6f},{glat:.6f}&name={q}"
        "&src=planner&coordinate=gaode&callnative=1",
        "baidu": f"https://api.map.baidu.com/marker?location={blat:.6f},{blon:.6f}&title={q}"
        f"&content={quote(address or name, safe='')}&output=html&coord_type=bd09ll"
        "&src=webapp.planner.lingong",
    }


def hours_view(hours: str, normalised: str, kind: str) -> dict[str, str]:
    """The hours as shown once: ``label``, ``text`` and an optional ``note``.

    Examples
    --------
    >>> hours_view("每天 5:00-12:00", "每天 05:00-12:00", "schedule")["text"]
    '每天 05:00-12:00'
    >>> hours_view("凌晨开市", "", "text")
    {'label': '开放时间（公布原文）', 'text': '凌晨开市', 'note': ''}
    """
    if kind == "schedule":
        return {"label": "开放时间", "text": normalised, "note": ""}
    if kind == "inferred":
        return {"label": "开放时间", "text": normalised, "note": f"据公布的文字推断：{hours}"}
    if kind == "text":
        return {"label": "开放时间（公布原文）", "text": hours, "note": ""}
    return {"label": "开放时间", "text": "未公布", "note": ""}


def search_text(record: Mapping[str, Any], facility_keys: Sequence[str]) -> str:
    """Lower-case words search matches: the public texts and every synonym of the
    market's facilities (厕所 finds a market listing 卫生间).

    Examples
    --------
    >>> "厕所" in search_text({"name": "东城驿站", "facilities": ["卫生间"]}, ["toilets"])
    True
    """
    parts: list[str] = []
    for key in ("name", "address", "county", "town", "tier", "status", "hours"):
        parts.append(str(record.get(key) or ""))
    parts.append(str(record.get("hours_normalised") or ""))
    for key in ("occupations", "services", "facilities"):
        parts.extend(str(v) for v in record.get(key) or [])
    parts.extend(facility_words(facility_keys))
    return " ".join(p for p in parts if p).lower()


def market_view(record: Mapping[str, Any], hours_kind: str) -> dict[str, Any]:
    """The fields the pages add to a :func:`~planner.publish.directory.directory_table`
    record: ``hours_view``, ``contacts`` (label, segments), ``nav``, ``facility_labels``
    (the labels of the recognised facilities) and ``search``.
    """
    keys = [k for k in record.get("facility_keys") or [] if k in FACILITY_LABELS]
    contacts = [
        [label, phone_segments(str(record[field]))]
        for field, label in (
            ("phone", "联系电话"),
            ("hotline", "服务热线"),
            ("complaints", "投诉渠道"),
        )
        if record.get(field)
    ]
    lon, lat = record.get("lon"), record.get("lat")
    nav = (
        nav_links(float(lon), float(lat), str(record["name"]), str(record.get("address") or ""))
        if lon is not None and lat is not None
        else None
    )
    return {
        "hours_view": hours_view(
            str(record.get("hours") or ""), str(record.get("hours_normalised") or ""), hours_kind
        ),
        "contacts": contacts,
        "nav": nav,
        "facility_labels": [FACILITY_LABELS[k] for k in keys],
        "search": search_text(record, keys),
    }

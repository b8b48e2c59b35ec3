"""Why a site is proposed, in words: one composer for the plan, the planner map and the proposal.

:func:`site_reason` turns the fields the plan gives every proposed site (tier, anchor, the
demand it newly covers in total and per priority group, the modes that reach it, the
nearest existing market) into sentences, in Chinese by default (``language="en"`` for
English). The plan stores them as ``Plan.sites["reason"]``; the planner map shows them in
a site's popup and the proposal in the site's section, where the caller also knows the
site's name and area; ``brief=True`` gives the one line the command line prints.

:data:`LABELS` names tiers, modes, anchors, sectors and priority groups in both languages:
one vocabulary for every output.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from planner import settings
from planner.analysis.coverage import TierRule

__all__ = ["ANCHOR_ZH", "LABELS", "MODE_ZH", "REASON_TEXT", "label", "site_reason"]

#: Chinese names of the travel modes (and of the rural straight-line rule).
MODE_ZH: Mapping[str, str] = {
    "walk": "步行",
    "ebike": "电动自行车",
    "bus": "公交",
    "drive": "驾车",
    "bicycle": "自行车",
    "rural_radius": "农村5公里直线范围",
}

#: Chinese names of the kinds of place a candidate site anchors on.
ANCHOR_ZH: Mapping[str, str] = {
    "user": "用户指定位置",
    "existing_market": "现有市场",
    "bus_station": "公交站点",
    "transit_hub": "公交枢纽",
    "industrial_park": "产业园区",
    "building_materials": "建材市场",
    "building_materials_market": "建材市场",
    "mall": "大型商场",
    "community_centre": "社区服务中心",
    "party_service_centre": "党群服务中心",
    "village_committee": "村委会",
    "town_centre": "乡镇（街道）驻地",
    "marketplace": "集贸市场",
    "street_point": "街道位置",
    "unit_centre": "统计单元人口中心",
    "demand_cluster": "未覆盖需求中心",
    "employment_centre": "就业服务中心",
}

#: Names of tiers, modes, anchors, sectors and priority groups, per language.
LABELS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "zh": {
        "tier": settings.TIER_LABELS_ZH,
        "mode": MODE_ZH,
        "anchor": ANCHOR_ZH,
        "sector": {
            "construction": "建筑业",
            "manufacturing": "制造业",
            "housekeeping": "家政服务",
            "commerce": "商贸",
            "logistics": "物流",
            "catering": "餐饮",
            "agriculture": "农业",
            "other": "其他行业",
        },
        "group": {
            "elderly": "60岁以上人员",
            "older": "60岁以上人员",
            "age60": "60岁以上人员",
            "low_income": "低收入人员",
            "disabled": "残疾人员",
            "disability": "残疾人员",
            "women": "女性",
            "migrants": "外来务工人员",
        },
    },
    "en": {
        "tier": {
            "comprehensive": "comprehensive market",
            "sector": "sector market",
            "station": "neighbourhood station",
        },
        "mode": {
            "walk": "walk",
            "ebike": "e-bike",
            "bus": "bus",
            "drive": "drive",
            "bicycle": "bicycle",
            "rural_radius": "rural 5 km straight-line rule",
        },
        "anchor": {k: k.replace("_", " ") for k in ANCHOR_ZH},
        "sector": {},
        "group": {},
    },
}


def label(kind: str, key: str, language: str = "zh") -> str:
    """The name of a tier, mode, anchor, sector or group in ``language`` (else ``key``).

    Examples
    --------
    >>> label("tier", "station"), label("mode", "ebike", "en"), label("sector", "x")
    ('零工服务站点', 'e-bike', 'x')
    """
    return LABELS[language].get(kind, {}).get(key, key)


#: The sentences of a reason, per language (``str.format`` fields).
REASON_TEXT: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "where_anchor_unit": "该{tier}位于{unit}，依托{kind}“{anchor}”设置。",
        "where_anchor": "该{tier}依托{kind}“{anchor}”设置。",
        "where_unit": "该{tier}位于{unit}，{name}。",
        "where_named": "该{tier}位于{name}。",
        "where_kind": "该{tier}选址于{kind}。",
        "new": "设置后可新增覆盖灵活就业人员约{n}人{groups}。",
        "groups": "（其中{parts}）",
        "group_part": "{g}{n}人",
        "reach": "新增覆盖人员可通过{modes}在{threshold}分钟内到达",
        "reach_any": "新增覆盖人员可通过{modes}到达",
        "rural": "，农村地区另按{km}公里直线距离计入",
        "rural_only": "新增覆盖人员按农村{km}公里直线距离计入",
        "end": "。",
        "new_sector": "设置后可新增覆盖{sector}灵活用工需求约{n}人（按园区用工需求计），可通过{modes}"
        "在{threshold}分钟内到达。",
        "nearest": "最近的现有零工市场为“{name}”，约{t}分钟。",
        "nearest_none": "一小时内无现有零工市场。",
        "required": "新增覆盖低于规模下限（{min}人），按“各县（市、区）至少1家公益性零工市场”"
        "（鲁人社字〔2022〕3号）的要求保留。",
        "brief": "{tier}，{where}：新增覆盖约{n}人（{modes}）；{nearest}",
        "brief_anchor": "依托{kind}“{anchor}”",
        "brief_kind": "选址于{kind}",
        "brief_modes": "{modes}{threshold}分钟内可达",
        "brief_rural": "农村{km}公里内",
        "brief_sep": "，",
        "brief_nearest": "最近现有市场“{name}”约{t}分钟",
        "brief_nearest_none": "一小时内无现有市场",
        "sep": "、",
        "na": "—",
    },
    "en": {
        "where_anchor_unit": "This {tier} lies in {unit}, at the {kind} “{anchor}”.",
        "where_anchor": "This {tier} lies at the {kind} “{anchor}”.",
        "where_unit": "This {tier} lies in {unit}, {name}.",
        "where_named": "This {tier} lies {name}.",
        "where_kind": "This {tier} lies at a {kind}.",
        "new": " It newly covers about {n} flexible workers{groups}.",
        "groups": " (of whom {parts})",
        "group_part": "{g} {n}",
        "reach": " They reach it by {modes} within {threshold} min",
        "reach_any": " They reach it by {modes}",
        "rural": ", and rural workers within {km} km in a straight line count too",
        "rural_only": " They count by the rural rule: within {km} km in a straight line",
        "end": ".",
        "new_sector": " It newly covers about {n} workers of {sector} demand (at the places),"
        " reached by {modes} within {threshold} min.",
        "nearest": " The nearest existing market is “{name}”, about {t} min away.",
        "nearest_none": " No existing market lies within an hour.",
        "required": " It newly covers less than the minimum ({min} workers) and is kept because"
        " every county needs at least one public market (鲁人社字〔2022〕3号).",
        "brief": "{tier} {where}: newly covers about {n} workers ({modes}); {nearest}",
        "brief_anchor": "at the {kind} “{anchor}”",
        "brief_kind": "at a {kind}",
        "brief_modes": "{modes} within {threshold} min",
        "brief_rural": "rural within {km} km",
        "brief_sep": "; ",
        "brief_nearest": "nearest existing market “{name}” {t} min",
        "brief_nearest_none": "no existing market within an hour",
        "sep": ", ",
        "na": "—",
    },
}


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    try:
        if v != v:  # pd.NA and other missing markers
            return ""
    except (TypeError, ValueError):
        return ""
    return str(v).strip()


def _num(v: Any, digits: int = 0) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "—"
    return f"{x:,.{digits}f}" if math.isfinite(x) else "—"


def site_reason(
    site: Mapping[str, Any] | pd.Series,
    *,
    language: str = "zh",
    rule: TierRule | None = None,
    unit: str | None = None,
    name: str | None = None,
    market_names: Mapping[str, str] | None = None,
    groups: Sequence[str] = (),
    min_new_demand: float | None = None,
    brief: bool = False,
) -> str:
    """Why a site is proposed, in sentences (or one line with ``brief``).

    Parameters
    ----------
    site
        One proposed site's fields (a row of ``Plan.sites`` as a dict or Series):
        ``tier``, ``anchor_kind``, ``anchor_name``, ``new_demand``, ``new_<group>``,
        ``modes`` (``"walk/ebike"``), ``sector``, ``nearest_market``,
        ``nearest_market_min``.
    language
        ``"zh"`` (default) or ``"en"``.
    rule
        The tier's rule (its threshold and rural radius); without it the reach is said
        without minutes.
    unit, name
        The area the site lies in and its name (:mod:`planner.publish.naming`), when known.
    market_names
        Names of the existing markets by id (else the id is shown).
    groups
        Priority groups to name among the newly covered workers (columns ``new_<group>``).
    min_new_demand
        The comprehensive tier's minimum new demand: a site below it is said to be kept for
        the one-market-per-county rule.
    brief
        One short line (tier, anchor, newly covered, modes, nearest market).

    Examples
    --------
    >>> site = {"tier": "station", "anchor_kind": "party_service_centre",
    ...         "anchor_name": "上周家村党群服务中心", "new_demand": 1537.2, "modes": "walk/ebike",
    ...         "nearest_market": "M1", "nearest_market_min": 31.26}
    >>> rule = TierRule("station", 15, ("walk", "ebike"))
    >>> site_reason(site, rule=rule, market_names={"M1": "柳林镇零工服务站"})
    '该零工服务站点依托“上周家村党群服务中心”设置。设置后可新增覆盖灵活就业人员约1,537人。新增覆盖人员可通过步行、电动自行车在15分钟内到达。最近的现有零工市场为“柳林镇零工服务站”，约31.3分钟。'
    >>> site_reason(site, rule=rule, brief=True)
    '零工服务站点，依托“上周家村党群服务中心”：新增覆盖约1,537人（步行、电动自行车15分钟内可达）；最近现有市场“M1”约31分钟'
    """
    t = REASON_TEXT[language]

    def lab(kind: str, key: str) -> str:
        return label(kind, key, language)

    tier = _text(site.get("tier"))
    tier_l = lab("tier", tier)
    kind = _text(site.get("anchor_kind"))
    anchor = _text(site.get("anchor_name"))
    kind_l = lab("anchor", kind) if kind else ""
    if language == "zh" and anchor and anchor.endswith(kind_l):
        kind_l = ""  # “上周家村党群服务中心”, not 党群服务中心“上周家村党群服务中心”
    modes = [m for m in _text(site.get("modes")).split("/") if m]
    modes_text = t["sep"].join(lab("mode", m) for m in modes) or t["na"]
    timed = [m for m in modes if m != "rural_radius"]
    threshold = _num(rule.threshold_min) if rule is not None else None
    near = _text(site.get("nearest_market"))
    near_name = (market_names or {}).get(near, near)
    new = _num(site.get("new_demand"))
    if brief:
        where = (
            t["brief_anchor"].format(kind=kind_l, anchor=anchor)
            if anchor
            else t["brief_kind"].format(kind=kind_l or t["na"])
        )
        timed_text = t["sep"].join(lab("mode", m) for m in timed)
        how = (
            t["brief_modes"].format(modes=timed_text, threshold=threshold)
            if threshold is not None and timed
            else timed_text
        )
        if "rural_radius" in modes and rule is not None and rule.rural_radius_m:
            rural = t["brief_rural"].format(km=f"{rule.rural_radius_m / 1000:g}")
            how = f"{how}{t['brief_sep']}{rural}" if how else rural
        how = how or t["na"]
        nearest = (
            t["brief_nearest"].format(name=near_name, t=_num(site.get("nearest_market_min")))
            if near
            else t["brief_nearest_none"]
        )
        return t["brief"].format(tier=tier_l, where=where, n=new, modes=how, nearest=nearest)
    if anchor:
        key = "where_anchor_unit" if unit else "where_anchor"
        text = t[key].format(tier=tier_l, unit=unit, kind=kind_l, anchor=anchor)
    elif name:
        key = "where_unit" if unit and not name.startswith(unit) else "where_named"
        text = t[key].format(tier=tier_l, unit=unit, name=name)
    else:
        text = t["where_kind"].format(tier=tier_l, kind=kind_l or t["na"])
    if tier == "sector":
        sector = _text(site.get("sector"))
        text += t["new_sector"].format(
            n=new,
            sector=lab("sector", sector) if sector else lab("tier", "sector"),
            modes=modes_text,
            threshold=threshold if threshold is not None else t["na"],
        )
    else:
        parts = [
            t["group_part"].format(g=lab("group", g), n=_num(site.get(f"new_{g}")))
            for g in groups
            if f"new_{g}" in site
        ]
        text += t["new"].format(
            n=new, groups=t["groups"].format(parts=t["sep"].join(parts)) if parts else ""
        )
        km = f"{(rule.rural_radius_m or 0) / 1000:g}" if rule is not None else ""
        if timed:
            text += (
                t["reach"].format(
                    modes=t["sep"].join(lab("mode", m) for m in timed), threshold=threshold
                )
                if threshold is not None
                else t["reach_any"].format(modes=t["sep"].join(lab("mode", m) for m in timed))
            )
            if "rural_radius" in modes:
                text += t["rural"].format(km=km)
            text += t["end"]
        elif "rural_radius" in modes:
            text += t["rural_only"].format(km=km) + t["end"]
    text += (
        t["nearest"].format(name=near_name, t=_num(site.get("nearest_market_min"), 1))
        if near
        else t["nearest_none"]
    )
    floor = min_new_demand
    if tier == "comprehensive" and floor is not None:
        got = float(site.get("new_demand") or 0.0)
        if got < float(floor):
            text += t["required"].format(min=_num(floor))
    return text

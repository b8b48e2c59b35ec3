"""Every word the siting proposal writes, in Chinese (default) and English, and a checker.

:data:`TEXT` holds the sentences and labels of :mod:`planner.publish.proposal_doc` by key,
one table per language; :func:`label` names tiers, modes, anchors, sectors and groups.
:func:`english_words` finds English left in a Chinese document (what ``tests`` run on every
Chinese proposal): Latin words outside file names, ids, study-file keys, units and the
acronyms a Chinese planning document uses as they are (GTFS, OSM, WGS-84 …).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from planner.analysis.reasons import LABELS
from planner.publish.proposal_text_answers import ANSWER_TEXT

__all__ = ["LANGUAGES", "TEXT", "english_words", "label"]

LANGUAGES = ("zh", "en")

_LABELS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "zh": {
        **LABELS["zh"],
        "status": {
            "optimal": "最优",
            "feasible": "可行解",
            "heuristic": "启发式",
            "time_limit": "达到时间上限",
            "infeasible": "不可行",
        },
        "input": {
            "area": "研究区边界",
            "roads": "道路",
            "population": "人口",
            "markets": "现有零工市场名录",
            "places": "产业园区、建材市场、商场",
            "transit": "公交",
            "work_logs": "工作日志台账",
            "path": "",
            "nodes": "节点",
            "edges": "路段",
            "lines": "线路",
            "stations": "站点",
            "line_stations": "站序",
            "boundaries": "边界",
            "table": "统计表",
            "grid": "格网",
        },
        "coords": {
            "wgs84": "WGS-84",
            "gcj02": "GCJ-02",
            "bd09": "BD-09",
            "file": "文件自带",
            "none": "不含坐标",
        },
        "solver": {"highs": "求解器HiGHS", "cbc": "求解器CBC", "heuristic": "启发式算法"},
    },
    "en": {
        **LABELS["en"],
        "status": {"time_limit": "time limit reached"},
        "input": {"path": ""},
        "coords": {
            "wgs84": "WGS-84",
            "gcj02": "GCJ-02",
            "bd09": "BD-09",
            "file": "the file's",
            "none": "none",
        },
        "solver": {"highs": "solver HiGHS", "cbc": "solver CBC", "heuristic": "heuristic"},
    },
}


def label(kind: str, key: str, language: str = "zh") -> str:
    """The name of a tier, mode, anchor, sector, group, status, input, coordinate system or
    solver.

    Examples
    --------
    >>> label("tier", "station"), label("mode", "ebike", "en"), label("sector", "x")
    ('零工服务站点', 'e-bike', 'x')
    """
    return _LABELS[language][kind].get(key, key)


_BASE: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "title": "关于{area}零工市场布局选址的建议",
        "meta_unit": "发文单位：{v}",
        "meta_date": "成文日期：{v}",
        "unset_unit": "（未填写：请在研究文件 [outputs] issuing_unit 中设置）",
        "unset_date": "（未填写：请在研究文件 [outputs] date 中设置）",
        "meta_service": "公交测算日期：{date}（{window}）",
        "warnings": "⚠ 数据提示：使用本报告的结论前，请先核实以下问题",
        "contents": "目录",
        "intro": "根据《关于规范零工市场服务布局的通知》（鲁人社字〔2024〕44号）“数量适宜、规模适度、"
        "分布合理、便利可及”的要求，本报告测算了{area}灵活就业人员到达零工市场的情况，提出综合性"
        "零工市场、行业性零工市场和零工服务站点三级布局建议，共拟新建{n}处。现将有关情况报告如下。",
        "s1": "一、基本情况与主要结论",
        "s2": "二、覆盖情况",
        "s2_1": "（一）按层级",
        "s2_2": "（二）按地区",
        "s2_3": "（三）按重点群体",
        "s3": "三、拟建站点",
        "s4": "四、升级现有市场的备选方案",
        "s5": "{n}、测算方法、假设与数据",
        "s5_1": "（一）覆盖标准",
        "s5_2": "（二）测算参数",
        "s5_3": "（三）选址模型",
        "s5_4": "（四）数据来源",
        "s5_5": "（五）数据局限与说明",
        "s5_6": "（六）未翻译的程序提示（英文原文，供技术人员核对）",
        "annex": "附表1　拟建站点一览表",
        "basic": "研究区{area}面积约{km2}平方公里，常住人口约{pop}人，人口分布方法：{spread}。按灵活就业参与率"
        "{rate}测算，灵活就业人员约{demand}人。现有零工市场{existing}。",
        "existing_none": "无（名录未提供或均无坐标）",
        "existing_some": "{n}处（{parts}）",
        "count_part": "{label}{n}处",
        "plan_sites": "本方案建议新建{parts}，共{n}处。规划后：{results}。",
        "plan_none": "本次测算未提出新建站点。",
        "tier_result": "{tier}（{modes}{threshold}分钟内可达）覆盖率由{before}提高到{after}",
        "upgrade_hint": "其中{k}处拟建市场距现有较低层级市场不足{m}分钟，可考虑改为升级现有市场，"
        "测算见第四部分。",
        "fig_overview": "图1　规划总体示意图。红色深浅表示灵活就业人员分布；★为拟建综合性零工市场、▲为"
        "拟建行业性零工市场、■为拟建零工服务站点（数字为第三部分的编号），圆点为现有零工市场（颜色"
        "同层级）；虚线为区划边界，橙色、灰色线为道路。",
        "h_tier": "层级",
        "h_threshold": "时间阈值（分钟）",
        "h_demand": "需求（人）",
        "h_cov_before": "规划前覆盖（人）",
        "h_share_before": "规划前覆盖率",
        "h_cov_after": "规划后覆盖（人）",
        "h_share_after": "规划后覆盖率",
        "h_new": "新增站点（处）",
        "h_area": "地区",
        "h_before": "{tier}规划前",
        "h_after": "{tier}规划后",
        "h_group": "重点群体",
        "explain_tier": "说明：{rows}的“需求”为研究区灵活就业人员（按居住地网格计）。",
        "tier_rows": "{tiers}{n}行",
        "tier_sep": "、",
        "explain_tier_sector": "行业性零工市场一行的“需求”为产业园区、建材市场、大型商场的行业灵活用工"
        "需求（共{demand}人，按园区所在地计），覆盖率指其中{threshold}分钟内可到达行业性零工市场的"
        "部分。",
        "explain_area": "说明：每个需求网格（边长按格网面积计）计入与其重叠面积最大的统计单元；本表各层级均按居民统计，即居住"
        "在该地区、在该层级时间阈值内可到达相应市场的灵活就业人员占该地区灵活就业人员的比例。",
        "explain_area_sector": "因此本表的行业性零工市场一列按居民计（全区合计由{b}提高到{a}），与上表按"
        "园区用工需求计的行业性覆盖率（由{tb}提高到{ta}）口径不同，两者不宜直接比较。",
        "explain_outside": "“（区外）”一行为完全位于各统计单元边界之外的需求网格（人口格网超出研究区边界的部分），"
        "共{n}人，计入合计。",
        "outside": "（区外）",
        "total": "合计",
        "groups_none": "输入数据未包含重点群体（如60岁以上、低收入、残疾人员）信息，未作分组统计。",
        "site_title": "{i}. {name}（拟建{tier}）",
        "f_name": "名称",
        "f_name_how": "名称来源",
        "how_anchor": "选址依托点的名称",
        "how_junction": "最近的两条有名称道路（{m}米内）",
        "how_road": "最近的有名称道路（{m}米内）",
        "how_landmark": "最近的有名称地点（{m}米内）的方位",
        "how_centre": "所在统计单元人口中心的方位（{m}米内无有名称的道路和地点）",
        "f_tier": "层级",
        "f_anchor": "选址依托",
        "f_unit": "所在地区",
        "f_gcj": "坐标（GCJ-02，用于高德、腾讯地图）",
        "f_wgs": "坐标（WGS-84，用于GPS、天地图）",
        "lonlat": "东经{lon}°，北纬{lat}°",
        "f_new": "新增覆盖",
        "f_new_sector": "新增覆盖（行业用工需求）",
        "persons": "{n}人",
        "f_group": "其中{g}",
        "f_modes": "新增覆盖人员的到达方式",
        "f_nearest": "最近现有零工市场",
        "nearest": "{name}（{id}），约{t}分钟",
        "nearest_none": "一小时内无现有零工市场",
        "site_ref": "{i}号“{name}”",
        "f_upgrade": "升级备选",
        "upgrade_fact": "距现有{mtier}“{mname}”约{t}分钟，可考虑升级该市场替代新建（见第四部分）",
        "reason_label": "理由：",
        "fig_site": "图{k}　{name}周边示意图。红色深浅表示灵活就业人员分布，绿框为本站点所在层级新增覆盖"
        "的网格；★▲■为拟建站点（大符号为本站点，数字为编号），圆点为现有零工市场；橙色、灰色线为"
        "道路，虚线为区划边界。",
        "fig_stops": "无道路数据，灰点为公交站点（标注最近几个站名）。",
        "sites_none": "本次测算未提出新建站点。",
        "up_intro": "对距现有较低层级零工市场{m}分钟以内（按该层级到达方式中最快者计）的拟建综合性、行业性"
        "零工市场，测算了“不新建该站点、改为升级现有市场”的备选方案：其余拟建站点不变，该现有市场"
        "保留原有功能，同时按拟建层级计算覆盖。{m}分钟为规划假设，研究文件中不可调整。",
        "up_none": "拟建综合性、行业性零工市场{m}分钟内均无较低层级的现有市场，不涉及升级备选方案。",
        "h_site": "拟建站点",
        "h_market": "可升级的现有市场",
        "h_mtier": "现有层级",
        "h_minutes": "相距（分钟）",
        "h_plan_alt": "{tier}覆盖率（规划／升级）",
        "up_less": "{site}：改为升级“{market}”可少建1处{tier}，{tier}覆盖人数减少约{n}人"
        "（{pp}个百分点）。",
        "up_more": "{site}：改为升级“{market}”可少建1处{tier}，{tier}覆盖人数增加约{n}人。",
        "up_same": "{site}：改为升级“{market}”可少建1处{tier}，{tier}覆盖人数基本不变。",
        "up_station": "零工服务站点层级的覆盖人数{change}约{n}人。",
        "less": "减少",
        "more": "增加",
        "h_modes": "计入的到达方式",
        "h_rural": "农村直线半径（米）",
        "h_target": "覆盖目标",
        "h_min_new": "单站最小新增需求（人）",
        "target_sites": "不超过{n}处",
        "target_share": "可覆盖需求的{p}",
        "h_param": "参数",
        "h_value": "取值",
        "p_walk": "步行速度",
        "p_ebike": "电动自行车速度",
        "p_bus": "公交运行速度（无时刻表时）",
        "p_headway": "默认发车间隔",
        "p_window": "公交测算时段",
        "p_spread": "人口分布方法",
        "p_rate": "灵活就业参与率",
        "p_rate_default": "{u}（城镇）／{r}（农村）",
        "p_urban": "城镇人口密度标准",
        "p_snap": "市场、站点到路网的最大距离",
        "p_upgrade": "升级备选的时间阈值",
        "minutes": "{v}分钟",
        "metres": "{v}米",
        "per_km2": "{v}人/平方公里",
        "spread_grid": "人口格网",
        "m_lscp": "最少站点覆盖模型（LSCP），覆盖可覆盖需求的{p}%",
        "m_mclp": "最大覆盖模型（MCLP），新增{p}处",
        "m_capacity": "，单站容量{c}人",
        "model_line": "{tier}：{model}；求解状态：{status}（{how}）{pruned}。",
        "m_gap": "差距{gap}",
        "comma": "，",
        "m_pruned": "；因新增覆盖低于规模下限舍去{k}处",
        "h_input": "数据",
        "h_file": "文件",
        "h_coords": "坐标系",
        "h_file_date": "文件日期",
        "missing_file": "（文件不存在）",
        "notes_none": "本次测算无其他说明。",
        "untranslated": "以下提示尚无中文译文，按程序原文列出：",
        "h_no": "序号",
        "h_name": "名称",
        "h_unit": "所在地区",
        "h_gcj_lon": "GCJ-02经度",
        "h_gcj_lat": "GCJ-02纬度",
        "h_wgs_lon": "WGS-84经度",
        "h_wgs_lat": "WGS-84纬度",
        "h_new_people": "新增覆盖（人）",
        "footer": "本报告由 planner 依据研究文件“{study}”生成，同样的输入生成同样的文件。",
        "sep": "、",
        "semi": "；",
        "na": "—",
    },
    "en": {
        "title": "Siting proposal for public gig-labour markets: {area}",
        "meta_unit": "Issued by: {v}",
        "meta_date": "Date: {v}",
        "unset_unit": "(not set: [outputs] issuing_unit in the study file)",
        "unset_date": "(not set: [outputs] date in the study file)",
        "meta_service": "Bus times measured on {date} ({window})",
        "warnings": "⚠ Warnings: check these before using the results",
        "contents": "Contents",
        "intro": "Following the Shandong notice 鲁人社字〔2024〕44号 (markets in suitable number and size,"
        " well distributed and easy to reach), this report measures how flexible workers in {area}"
        " reach gig-labour markets and proposes comprehensive markets, sector markets and"
        " neighbourhood stations: {n} new sites in all.",
        "s1": "1. Overview and main findings",
        "s2": "2. Coverage",
        "s2_1": "2.1 By tier",
        "s2_2": "2.2 By area",
        "s2_3": "2.3 By priority group",
        "s3": "3. Proposed sites",
        "s4": "4. Upgrading an existing market instead",
        "s5": "{n}. Method, assumptions and data",
        "s5_1": "{n}.1 Coverage rules",
        "s5_2": "{n}.2 Parameters",
        "s5_3": "{n}.3 Siting models",
        "s5_4": "{n}.4 Data sources",
        "s5_5": "{n}.5 Data limits and notes",
        "s5_6": "{n}.6 Untranslated notes",
        "annex": "Annex 1. Proposed sites",
        "basic": "The study area {area} covers about {km2} km² with about {pop} residents ({spread})."
        " At a flexible-work participation rate of {rate} that is about {demand} flexible workers."
        " Existing markets: {existing}.",
        "existing_none": "none (no directory, or no coordinates)",
        "existing_some": "{n} ({parts})",
        "count_part": "{label}: {n}",
        "plan_sites": "The plan proposes {n} new sites ({parts}). After the plan: {results}.",
        "plan_none": "The plan proposes no new site.",
        "tier_result": "{tier} (within {threshold} min by {modes}) {before} → {after}",
        "upgrade_hint": "{k} proposed market(s) lie within {m} min of an existing lower-tier market;"
        " upgrading it instead is assessed in section 4.",
        "fig_overview": "Figure 1. Overview. Red shading: flexible workers; ★ proposed comprehensive"
        " markets, ▲ sector markets, ■ stations (numbered as in section 3); dots: existing markets"
        " (coloured by tier); dashed: boundaries; orange and grey: roads.",
        "h_tier": "Tier",
        "h_threshold": "Threshold (min)",
        "h_demand": "Demand (workers)",
        "h_cov_before": "Covered before",
        "h_share_before": "Share before",
        "h_cov_after": "Covered after",
        "h_share_after": "Share after",
        "h_new": "New sites",
        "h_area": "Area",
        "h_before": "{tier} before",
        "h_after": "{tier} after",
        "h_group": "Priority group",
        "explain_tier": "Note: demand of the {rows} is the flexible workers where they live.",
        "tier_rows": "{tiers} row{n}",
        "tier_sep": " and ",
        "explain_tier_sector": " Demand of the sector row is the gig-labour demand of the industrial"
        " parks, building-material markets and malls ({demand} workers, counted where the places"
        " are); its share is the part within {threshold} min of a sector market.",
        "explain_area": "Note: each demand cell counts in the unit it overlaps most; every tier is"
        " counted by residents here: the share of an area's flexible workers within the tier's"
        " threshold of a market of that tier.",
        "explain_area_sector": " The sector columns therefore count residents (all areas: {b} → {a}),"
        " not the places' demand of the tier table ({tb} → {ta}); the two are not comparable.",
        "explain_outside": " The row “(outside)” is demand in cells wholly outside every unit (the population grid"
        " reaching past the boundary): {n} workers, in the total.",
        "outside": "(outside)",
        "total": "Total",
        "groups_none": "The inputs name no priority groups (older, low-income, disabled workers).",
        "site_title": "{i}. {name} (proposed {tier})",
        "f_name": "Name",
        "f_name_how": "Named after",
        "how_anchor": "the place it is sited at",
        "how_junction": "the nearest two named roads (within {m} m)",
        "how_road": "the nearest named road (within {m} m)",
        "how_landmark": "the direction from the nearest named place (within {m} m)",
        "how_centre": "the direction from its unit's population centre (no named road or place"
        " within {m} m)",
        "f_tier": "Tier",
        "f_anchor": "Sited at",
        "f_unit": "Area",
        "f_gcj": "Coordinates (GCJ-02: AMap, Tencent)",
        "f_wgs": "Coordinates (WGS-84: GPS, Tianditu)",
        "lonlat": "{lon}° E, {lat}° N",
        "f_new": "Newly covered",
        "f_new_sector": "Newly covered (sector demand)",
        "persons": "{n} workers",
        "f_group": "of whom {g}",
        "f_modes": "Reached by",
        "f_nearest": "Nearest existing market",
        "nearest": "{name} ({id}), about {t} min",
        "nearest_none": "none within an hour",
        "site_ref": "no. {i} “{name}”",
        "f_upgrade": "Upgrade option",
        "upgrade_fact": "{t} min from the existing {mtier} “{mname}”: upgrading it instead is"
        " assessed in section 4",
        "reason_label": "Reason: ",
        "fig_site": "Figure {k}. Around {name}. Red shading: flexible workers; green outline: cells"
        " this tier newly covers; ★▲■ proposed sites (large: this one; numbers as in section 3);"
        " dots: existing markets; orange and grey: roads; dashed: boundaries.",
        "fig_stops": " No road data: grey dots are bus stops (the nearest few named).",
        "sites_none": "No new site is proposed.",
        "up_intro": "For each proposed comprehensive or sector market within {m} min (fastest of"
        " the tier's modes) of an existing lower-tier market, the alternative of upgrading that"
        " market instead was computed: the other proposed sites stay, the existing market keeps"
        " its role and also serves the proposed tier. {m} min is a planning assumption the"
        " study file cannot change.",
        "up_none": "No proposed comprehensive or sector market lies within {m} min of an existing"
        " lower-tier market.",
        "h_site": "Proposed site",
        "h_market": "Existing market",
        "h_mtier": "Its tier",
        "h_minutes": "Minutes apart",
        "h_plan_alt": "{tier} share (plan / upgrade)",
        "up_less": "{site}: upgrading “{market}” saves one new {tier}; {tier} coverage falls by"
        " about {n} workers ({pp} points).",
        "up_more": "{site}: upgrading “{market}” saves one new {tier}; {tier} coverage rises by"
        " about {n} workers.",
        "up_same": "{site}: upgrading “{market}” saves one new {tier} at about the same {tier}"
        " coverage.",
        "up_station": " Station coverage {change} by about {n} workers.",
        "less": "falls",
        "more": "rises",
        "h_modes": "Modes",
        "h_rural": "Rural radius (m)",
        "h_target": "Target",
        "h_min_new": "Minimum new demand per site",
        "target_sites": "at most {n} sites",
        "target_share": "{p} of coverable demand",
        "h_param": "Parameter",
        "h_value": "Value",
        "p_walk": "Walking speed",
        "p_ebike": "E-bike speed",
        "p_bus": "Bus speed (without a timetable)",
        "p_headway": "Default headway",
        "p_window": "Bus time window",
        "p_spread": "How people were placed",
        "p_rate": "Flexible-work participation rate",
        "p_rate_default": "{u} (urban) / {r} (rural)",
        "p_urban": "Urban density threshold",
        "p_snap": "Largest distance from a market or site to the network",
        "p_upgrade": "Upgrade option threshold",
        "minutes": "{v} min",
        "metres": "{v} m",
        "per_km2": "{v} per km²",
        "spread_grid": "population grid",
        "m_lscp": "location set covering (LSCP), {p}% of coverable demand",
        "m_mclp": "maximal covering (MCLP), {p} new sites",
        "m_capacity": ", capacity {c} per site",
        "model_line": "{tier}: {model}; status: {status} ({how}){pruned}.",
        "m_gap": "gap {gap}",
        "comma": ", ",
        "m_pruned": "; {k} dropped as too small",
        "h_input": "Input",
        "h_file": "File",
        "h_coords": "Coordinates",
        "h_file_date": "File date",
        "missing_file": "(missing)",
        "notes_none": "No other notes.",
        "untranslated": "",
        "h_no": "No.",
        "h_name": "Name",
        "h_unit": "Area",
        "h_gcj_lon": "GCJ-02 lon",
        "h_gcj_lat": "GCJ-02 lat",
        "h_wgs_lon": "WGS-84 lon",
        "h_wgs_lat": "WGS-84 lat",
        "h_new_people": "Newly covered",
        "footer": "Generated by planner from the study “{study}”; the same inputs give the same"
        " files.",
        "sep": ", ",
        "semi": "; ",
        "na": "—",
    },
}

#: The proposal's sentences and labels by key, per language (``str.format`` fields).
TEXT: Mapping[str, Mapping[str, str]] = {
    lang: {**_BASE[lang], **ANSWER_TEXT[lang]} for lang in LANGUAGES
}

# --- the checker ----------------------------------------------------------------------

_ALLOWED_TOKENS = re.compile(
    r"https?://\S+"  # links
    r"|[\w.\-/]+\.(?:csv|tsv|geojson|json|tiff?|pbf|osm|zip|xlsx?|toml|svg|png|md|html|docx|shp"
    r"|gpkg|txt)\b"  # file names
    r"|\[[\w.]+\](?: [a-z]\w*\b)?"  # study-file sections, with a key: [outputs] date
    r"|EPSG:\d+"
    r"|[A-Za-z][\w\-]*\d[\w\-]*"  # ids and names with digits: C-comp-0017, WGS-84, gcj02
    r"|\b\w+_\w+\b",  # study-file keys: issuing_unit, add_to
    re.ASCII,
)
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
#: Capitals of 2-5 letters: acronyms in place and stop names (APEC芝罘科技园, CBD, BRT),
#: never a sentence planner writes.
_ACRONYM = re.compile(r"[A-Z]{2,5}")

#: Latin words a Chinese planning document uses as they are: units, acronyms, product and
#: data names, and the study-file values it quotes.
ALLOWED_WORDS = frozenset(
    {
        "km",
        "m",
        "h",
        "min",
        "s",
        "GTFS",
        "QGIS",
        "ArcGIS",
        "gpkg",
        "OSM",
        "OpenStreetMap",
        "WorldPop",
        "GHS",
        "POP",
        "POI",
        "LSCP",
        "MCLP",
        "MIP",
        "HiGHS",
        "CBC",
        "NaN",
        "WGS",
        "GCJ",
        "BD",
        "UTM",
        "CGCS",
        "EPSG",
        "GPS",
        "SVG",
        "PNG",
        "HTML",
        "Markdown",
        "Word",
        "CSV",
        "XLSX",
        "Excel",
        "GeoJSON",
        "AMap",
        "DataV",
        "planner",
        "enabled",
        "false",
        "true",
        "add",
        "p",
        "P",  # P中位模型 (p-median)
    }
)


def english_words(text: str) -> list[str]:
    """Runs of Latin words in ``text`` that are not file names, ids, keys or allowed words.

    A Chinese proposal must return ``[]``. Each run is returned once, as written.

    Examples
    --------
    >>> english_words("步行速度 4.5 km/h；见 markets.csv 与 [inputs.places]，站点 C-stat-0057")
    []
    >>> english_words("综合性零工市场 at bus_station 南山镇: newly covers 4,442 workers")
    ['at', 'newly covers', 'workers']
    >>> english_words("APEC芝罘科技园公交站东北约250米；万达CBD")
    []
    >>> english_words("每日到场比例（见 planner.settings.DAILY_ATTENDANCE_SHARE）")
    ['settings']
    """
    cleaned = _ALLOWED_TOKENS.sub(" ", text)
    runs: list[str] = []
    current: list[str] = []
    last_end = -1
    for m in _WORD.finditer(cleaned):
        word = m.group(0)
        bad = word not in ALLOWED_WORDS and not _ACRONYM.fullmatch(word)
        joined = bad and current and re.fullmatch(r"[\s,;:'\"()-]*", cleaned[last_end : m.start()])
        if bad and (joined or not current):
            current.append(word)
        elif bad:
            runs.append(" ".join(current))
            current = [word]
        elif current:
            runs.append(" ".join(current))
            current = []
        last_end = m.end()
    if current:
        runs.append(" ".join(current))
    out: list[str] = []
    for r in runs:
        if r not in out:
            out.append(r)
    return out

"""Chinese text of the notes and warnings a run makes, for the Chinese proposal.

The library's notes (what a reader left out, how a time was estimated, what a solver did)
are English sentences made where the thing happens. The Chinese proposal shows each one in
Chinese through :func:`translate_note`: one pattern per kind of note, matched on the whole
sentence, its numbers, names and file names carried over. File paths are shortened to the
file name. A note no pattern knows is returned as ``None``; the proposal then lists it
apart, marked as untranslated, so nothing a run reports is hidden
(``tests/test_notes_zh.py`` keeps the patterns in step with the sentences the library
writes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import PurePath

from planner import settings
from planner.analysis.reasons import ANCHOR_ZH, MODE_ZH

__all__ = ["ANCHOR_ZH", "MODE_ZH", "translate_note", "translate_spread"]

_WHAT_ZH: Mapping[str, str] = {
    "markets": "市场",
    "sites": "拟建站点",
    "demand cells": "需求网格",
    "points": "点",
    "candidates": "候选点",
    "bus stops": "公交站点",
    "stops": "站点",
    "places": "园区、市场和商场",
    "osm places": "地图地点",
    "transit": "公交站点",
    "markets table": "市场名录",
    "user sites": "用户指定站点",
}

#: The siting models by their Chinese names, the acronym in brackets (a bureau's reader
#: knows 最少站点覆盖模型, not LSCP).
_MODEL_ZH: Mapping[str, str] = {
    "lscp": "最少站点覆盖模型（LSCP）",
    "mclp": "最大覆盖模型（MCLP）",
    "p_median": "P中位模型",
    "p-median": "P中位模型",
}

_SEARCH_ZH: Mapping[str, str] = {
    "MCLP swap search": f"{_MODEL_ZH['mclp']}交换搜索",
    "LSCP local search": f"{_MODEL_ZH['lscp']}局部搜索",
    "p-median swap search": f"{_MODEL_ZH['p_median']}交换搜索",
}


_HIGHS_ZH: Mapping[str, str] = {
    "Time limit reached": "达到时间上限",
    "Infeasible": "模型不可行",
    "Iteration limit reached": "达到迭代上限",
    "Solution limit reached": "达到解的个数上限",
    "Interrupted by user": "被中断",
}


def _file(path: str) -> str:
    """A path shortened to its file name (``a/b/x.csv`` → ``x.csv``; ``x.zip/trips.txt`` kept)."""
    p = path.strip()
    parts = PurePath(p).parts
    if len(parts) >= 2 and parts[-2].endswith(".zip"):
        return f"{parts[-2]}/{parts[-1]}"
    return PurePath(p).name or p


def _tier(t: str) -> str:
    return settings.TIER_LABELS_ZH.get(t, t)


def _mode(m: str) -> str:
    return MODE_ZH.get(m, m)


def _model(m: str) -> str:
    """``lscp`` → ``最少站点覆盖模型（LSCP）``; an unknown model is 选址模型 with its name."""
    return _MODEL_ZH.get(m.lower(), f"选址模型（{m.upper()}）")


def _uncoverable(n: str, w: str, total: str) -> str:
    """The demand no candidate reaches: once when it is all of the model's demand."""
    rows, lost, of = int(n), float(w), float(total)
    if lost >= of:
        return (
            f"待覆盖的{rows:,}个需求单元（共{of:,.0f}人）均不在任何候选点的覆盖范围内，仍未覆盖。"
        )
    return (
        f"待覆盖的需求{of:,.0f}人中，有{rows:,}个需求单元（{lost:,.0f}人）不在任何候选点的覆盖"
        "范围内，仍未覆盖。"
    )


def _kinds(text: str) -> str:
    """``bus_station 108, transit_hub 518`` → ``公交站点108个、公交枢纽518个``."""
    out = []
    for part in text.split(","):
        bits = part.strip().rsplit(" ", 1)
        if len(bits) == 2:
            out.append(f"{ANCHOR_ZH.get(bits[0], bits[0])}{bits[1]}个")
        elif part.strip():
            out.append(ANCHOR_ZH.get(part.strip(), part.strip()))
    return "、".join(out)


def _modes(text: str) -> str:
    """``walk, ebike`` → ``步行、电动自行车``."""
    return "、".join(_mode(m.strip()) for m in text.split(","))


def _named_list(text: str) -> str:
    """``甲市场 (M1), M2`` → ``甲市场（M1）、M2``."""
    items = [re.sub(r"^(.*) \(([^()]+)\)$", r"\1（\2）", t) for t in text.split(", ")]
    return "、".join(items)


def _rows(text: str) -> str:
    return text.replace(", ", "、")


def _source(src: str) -> str:
    return {"timetable": "取自时刻表", "distance at bus speed": "按距离和公交运行速度估算"}.get(
        src, "按线路表估算"
    )


def _done(text: str) -> str:
    m = re.fullmatch(r"(\d+) (swaps|moves|steps)", text.strip())
    if not m:
        return "已提前停止"
    return f"已完成{m.group(1)}次{'交换' if m.group(2) == 'swaps' else '迭代'}"


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_PATH = r"(?P<path>.+?)"


def _r(pattern: str, build: Callable[[re.Match[str]], str]) -> _Rule:
    return re.compile(pattern + r"\Z", re.S), build


_RULES: list[_Rule] = [
    # --- warnings ---------------------------------------------------------------------
    _r(
        r"PARTIAL ROAD NETWORK: (?P<pct>\d+)% of the demand \((?P<n>[\d,]+) of (?P<N>[\d,]+)"
        r" cells, (?P<w>[\d,]+) workers\) is more than (?P<m>[\d,]+) m from every road of the"
        r" network, so walk, e-bike and drive cannot reach it and coverage there is"
        r" undercounted\. Use a road extract that covers the whole study area, or leave"
        r" \[inputs\.roads\] out to use straight-line estimates everywhere",
        lambda m: (
            f"路网不完整：{m['pct']}%的需求（{m['N']}个网格中的{m['n']}个，{m['w']}人）"
            f"距路网中任何道路超过{m['m']}米，步行、电动自行车和驾车均无法到达，这些地区的覆盖率"
            "被低估。请使用覆盖整个研究区的道路数据，或删去 [inputs.roads] 改按直线距离估算。"
        ),
    ),
    # --- census and population --------------------------------------------------------
    _r(
        _PATH + r": (?P<n>[\d,]+) row\(s\) holding (?P<p>[\d,.]+) people \((?P<pct>[\d.]+) % of"
        r" the table\) have a code with no polygon in (?P<b>.+?) and are not counted:"
        r" (?P<rows>.+?)\. In Shandong the codes 37xx7x are development zones inside their"
        r" host districts: if one is demand of this study, add its people to its host:"
        r" \[inputs\.population\] add_to = \{ \"<code>\" = \"<host code>\" \}",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}行（共{float(m['p'].replace(',', '')):,.0f}人，"
            f"占全表{m['pct']}%）的区划代码在{_file(m['b'])}中没有对应边界，未计入：{m['rows']}。"
            "山东的37xx7x代码为开发区，位于所属区县之内；如其人口属于本研究，请在研究文件"
            ' [inputs.population] 中设置 add_to = { "<开发区代码>" = "<所属区县代码>" }。'
        ),
    ),
    _r(
        r"census: (?P<a>[\d,]+) of the (?P<b>[\d,]+) people of the overlapping units live"
        r" outside the study area and are left out",
        lambda m: (
            f"人口普查：与研究区相交的统计单元共{m['b']}人，其中{m['a']}人居住在研究区外，未计入。"
        ),
    ),
    _r(
        r"census: (?P<name>.+) joined by name \(table code (?P<t>\S+), boundary code (?P<p>\S+)\)",
        lambda m: f"人口普查：{m['name']}按名称匹配（表中代码{m['t']}，边界代码{m['p']}）。",
    ),
    _r(
        _PATH + r": (?P<n>\d+) polygon\(s\) have no row in (?P<t>.+?) \(no population\): "
        r"(?P<codes>.*)",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}个边界在{_file(m['t'])}中没有对应行（无人口数据）："
            f"{m['codes']}。"
        ),
    ),
    _r(
        r"(?P<n>\d+) unit\(s\) have no weight inside \((?P<codes>.*)\); their population"
        r" \((?P<p>\d+)\) is spread by area",
        lambda m: (
            f"{m['n']}个统计单元内没有分布权重（{m['codes']}），其人口（{m['p']}人）"
            "按面积均匀分布。"
        ),
    ),
    _r(
        r"weights: (?P<n>\d+) feature\(s\) without geometry not used",
        lambda m: f"人口分布权重：{m['n']}个要素无几何，未使用。",
    ),
    _r(
        _PATH + r": no populated cell has its centre inside the study area '(?P<a>.*)'",
        lambda m: f"{_file(m['path'])}：没有任何有人口的格网中心位于研究区“{m['a']}”内。",
    ),
    _r(
        _PATH + r": (?P<n>\d+) NaN pixel\(s\) read as nodata \(the declared nodata is (?P<v>.*)\)",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}个空值像元按无数据处理"
            f"（声明的无数据值为{'无' if m['v'] == 'none' else m['v']}）。"
        ),
    ),
    _r(
        _PATH + r": aggregate_m=(?P<v>[\d.]+) is smaller than the native cells \(median"
        r" (?P<a>[\d.]+) m²\); each native cell still goes to one coarse cell",
        lambda m: (
            f"{_file(m['path'])}：aggregate_m={m['v']}小于原始格网（中位面积{m['a']} m²），"
            "每个原始格网仍整体归入一个汇总格网。"
        ),
    ),
    _r(
        _PATH + r": repaired (?P<n>\d+) invalid geometrie\(s\) with make_valid",
        lambda m: f"{_file(m['path'])}：修复了{m['n']}个无效的几何图形。",
    ),
    # --- markets and tables -----------------------------------------------------------
    _r(
        _PATH + r": (?P<n>\d+) market\(s\) have no tier \(类型\); tier left empty",
        lambda m: f"{_file(m['path'])}：{m['n']}处市场未填写类型，类型留空。",
    ),
    _r(
        _PATH + r", column '(?P<col>[^']+)': the hours of row\(s\) (?P<rows>.+?) are a sentence,"
        r" not a schedule; read as every day from the earliest to the latest time it names"
        r" \(the text is kept and shown as published\)\. Fix: write e\.g\. '(?P<eg>[^']+)'",
        lambda m: (
            f"{_file(m['path'])}“{m['col']}”列：第{_rows(m['rows'])}行的开放时间是文字描述而非"
            "时间表，按每天从其中最早到最晚的时间读取（原文照录）。建议写成"
            f"“{m['eg']}”。"
        ),
    ),
    _r(
        _PATH + r", column '(?P<col>[^']+)': the opening hours of row\(s\) (?P<rows>.+?) cannot"
        r" be read; shown as published, and these markets count as open at any hour\. Fix:"
        r" write e\.g\. '(?P<eg>[^']+)'",
        lambda m: (
            f"{_file(m['path'])}“{m['col']}”列：第{_rows(m['rows'])}行的开放时间无法识别，照原文"
            f"显示，并视为任何时间都开放。建议写成“{m['eg']}”。"
        ),
    ),
    _r(
        _PATH + r": (?P<n>[\d,]+) row\(s\) have no coordinates; kept with an empty geometry"
        r" \(not mapped, not in coverage\)",
        lambda m: f"{_file(m['path'])}：{m['n']}行无坐标，予以保留，但不上图、不计入覆盖。",
    ),
    _r(
        _PATH + r": (?P<n>\d+) market\(s\) lie outside the study area \(up to (?P<km>[\d.]+) km\),"
        r" kept for the border areas they serve and listed in its directory: (?P<names>.*?)\."
        r" Fix: delete them from the file if they are not this study's",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}处市场位于研究区外（最远约{m['km']}公里），作为可服务"
            f"边界地区的市场保留，并列入名录：{m['names'].replace(', ', '、')}。如不属于本研究，"
            "请从名录文件中删除。"
        ),
    ),
    _r(
        _PATH + r": (?P<n>\d+) market\(s\) lie outside the study area and are left out:"
        r" (?P<names>.*)",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}处市场位于研究区外，未纳入："
            f"{m['names'].replace(', ', '、')}。"
        ),
    ),
    _r(
        _PATH + r": column\(s\) (?P<cols>.+?) are not directory fields: kept as they are, never"
        r" published \(rename a column to a directory field to use it: .*\)",
        lambda m: f"{_file(m['path'])}：列{m['cols']}不是名录字段，保留原样但不公开。",
    ),
    _r(
        _PATH + r": (?P<n>\d+) row\(s\) have coordinates but no coordinate system .*",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}行有坐标但未注明坐标系，按WGS-84读取；"
            "高德坐标请注明 gcj02，百度坐标请注明 bd09。"
        ),
    ),
    _r(
        _PATH + r": no row has coordinates; result left in EPSG:4326 \(empty geometries\)",
        lambda m: f"{_file(m['path'])}：没有任何一行有坐标。",
    ),
    _r(
        r"(?P<n>\d+) market\(s\) without coordinates cannot be placed and are left out",
        lambda m: f"{m['n']}处市场无坐标，无法定位，未计入覆盖。",
    ),
    _r(
        _PATH + r": (?P<n>\d+) row\(s\) have more matches \((?P<mc>.*?)\) than (?P<o>\w+)"
        r" \((?P<oc>.*?)\), first at row (?P<r>\d+); check the counts",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}行的“{m['mc']}”大于“{m['oc']}”，"
            f"首见于第{m['r']}行，请核对。"
        ),
    ),
    _r(
        r"(?P<n>\d+) place\(s\) without workforce take default_workforce=(?P<v>[\d.]+)",
        lambda m: (
            f"{m['n']}处园区或市场未提供用工人数，按默认值{m['v']}人计（default_workforce）。"
        ),
    ),
    # --- transit ----------------------------------------------------------------------
    _r(
        _PATH + r": (?P<n>[\d,]+) row\(s\) of (?P<k>[\d,]+) line\(s\) missing from the lines"
        r" table left out \(e\.g\. (?P<eg>.*)\)",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}行站序记录所属的{m['k']}条线路不在线路表中，"
            f"未使用（如{m['eg'].replace(', ', '、')}）。"
        ),
    ),
    _r(
        _PATH + r": (?P<n>[\d,]+) stop sequence row\(s\) naming (?P<k>[\d,]+) unknown"
        r" station\(s\) left out: (?P<ids>.*)",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}行站序记录引用了{m['k']}个站点表中没有的站点，"
            f"未使用：{m['ids'].replace(', ', '、')}。"
        ),
    ),
    _r(
        _PATH + r": (?P<n>[\d,]+) stop name\(s\) hold web markup, removed \(e\.g\. (?P<eg>.*)\)",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}个站名带有网页标记（如{m['eg']}），已去除标记后使用。"
        ),
    ),
    _r(
        _PATH + r": (?P<n>[\d,]+) line\(s\) with fewer than 2 known stops left out"
        r" \(e\.g\. (?P<eg>.*)\)",
        lambda m: f"{_file(m['path'])}：{m['n']}条线路的已知站点少于2个，未使用（如{m['eg']}）。",
    ),
    _r(
        _PATH + r": (?P<n>\d+) trip\(s\) with a single stop time left out \(e\.g\. (?P<eg>.*)\)",
        lambda m: f"{_file(m['path'])}：{m['n']}个班次只有一个停站时间，未使用（如{m['eg']}）。",
    ),
    _r(
        _PATH + r": (?P<n>\d+) trip\(s\) without stop times left out \(e\.g\. (?P<eg>.*)\)",
        lambda m: f"{_file(m['path'])}：{m['n']}个班次没有停站时间，未使用（如{m['eg']}）。",
    ),
    _r(
        r"bus without roads: walks to, from and between stops are straight lines ×"
        r" (?P<f>[\d.]+); in-vehicle times from the route tables",
        lambda m: (
            f"无道路网时的公交测算：往返公交站和换乘的步行按直线距离×{m['f']}估算；"
            "车内时间取自线路表。"
        ),
    ),
    _r(
        r"bus: (?P<n>\d+) pattern\(s\) running (?P<d>\S+) (?P<s>\S+)-(?P<e>\S+); waits = half"
        r" the mean headway; in-vehicle times from (?P<src>.+)",
        lambda m: (
            f"公交：{m['d']} {m['s']}-{m['e']}时段运行的线路走向{m['n']}条；候车时间取"
            f"平均发车间隔的一半；车内时间{_source(m['src'])}。"
        ),
    ),
    _r(
        r"(?P<n>[\d,]+) bus stop\(s\) are more than (?P<m>[\d,]+) m from the walk network and"
        r" are left out",
        lambda m: f"{m['n']}个公交站点距步行路网超过{m['m']}米，未使用。",
    ),
    _r(
        r"no date given: every route of the feed counts towards hubs and terminals, whether it"
        r" runs in the window (?P<s>\S+)-(?P<e>\S+) or not \(pass date= to check service\)",
        lambda m: (
            f"未指定日期：识别公交枢纽和首末站时计入全部线路，不论其是否在"
            f"{m['s']}-{m['e']}时段运行。"
        ),
    ),
    _r(
        r"transit: (?P<n>\d+) stop id\(s\) of the patterns are not in the stops table; left out",
        lambda m: f"公交：线路走向中的{m['n']}个站点编号不在站点表中，未使用。",
    ),
    # --- networks and coverage --------------------------------------------------------
    _r(
        r"(?P<mode>\w+): (?P<n>[\d,]+) of (?P<N>[\d,]+) demand cells \(demand (?P<d>[\d,]+)\)"
        r" are more than (?P<m>[\d,]+) m from the network: unreachable by this mode",
        lambda m: (
            f"{_mode(m['mode'])}：{m['N']}个需求网格中有{m['n']}个（需求{m['d']}人）距路网"
            f"超过{m['m']}米，无法以此方式到达。"
        ),
    ),
    _r(
        r"(?P<n>[\d,]+) of (?P<N>[\d,]+) (?P<what>.+?) are more than (?P<m>[\d,]+) m from the"
        r" (?P<mode>\w+) network \(or have no geometry\): unreachable by (?P=mode)",
        lambda m: (
            f"{m['N']}个{_WHAT_ZH.get(m['what'], m['what'])}中有{m['n']}个距"
            f"{_mode(m['mode'])}路网超过{m['m']}米（或无坐标），无法以此方式到达。"
        ),
    ),
    _r(
        r"(?P<modes>\w+(?:, \w+)*): (?P<n>\d+) (?P<what>existing market|proposed site)\(s\) more"
        r" than (?P<m>[\d,]+) m from the network \(or without coordinates\), unreachable by this"
        r" mode: (?P<list>.+)",
        lambda m: (
            f"{_modes(m['modes'])}：{m['n']}处{'现有市场' if m['what'] == 'existing market' else '拟建站点'}"
            f"距路网超过{m['m']}米（或无坐标），无法以此方式到达：{_named_list(m['list'])}。"
        ),
    ),
    _r(
        r"(?P<mode>\w+): no road network — times estimated from straight lines ×"
        r" (?P<f>[\d.]+) at (?P<v>[\d.]+) km/h \(fallback\)",
        lambda m: (
            f"{_mode(m['mode'])}：无道路网，出行时间按直线距离×{m['f']}、速度{m['v']} km/h估算。"
        ),
    ),
    _r(
        r"(?P<mode>\w+): no network, left out \(it cannot be estimated from straight lines\)",
        lambda m: f"{_mode(m['mode'])}：无网络，且无法按直线距离估算，未计入。",
    ),
    _r(
        r"(?P<mode>\w+): no road network; walks between (?P<n>[\d,]+) points estimated as"
        r" straight lines × (?P<f>[\d.]+) at (?P<v>[\d.]+) km/h",
        lambda m: (
            f"{_mode(m['mode'])}：无道路网，{m['n']}个点之间的步行按直线距离×{m['f']}、"
            f"速度{m['v']} km/h估算。"
        ),
    ),
    _r(
        r"(?P<mode>\w+): kept the largest strongly connected part \((?P<a>[\d,]+) of"
        r" (?P<b>[\d,]+) nodes\); dropped (?P<c>[\d,]+) node\(s\) in (?P<k>[\d,]+) smaller"
        r" part\(s\)",
        lambda m: (
            f"{_mode(m['mode'])}路网：保留最大的连通部分（{m['b']}个节点中的{m['a']}个），"
            f"舍去{m['k']}个孤立小片段中的{m['c']}个节点。"
        ),
    ),
    # --- tiers, candidates and siting -------------------------------------------------
    _r(
        r"sector: no places \(parks, building-material markets, malls\): no sector demand,"
        r" tier left out \(add \[inputs\.places\]\)",
        lambda m: (
            "行业性零工市场：未提供产业园区、建材市场、大型商场数据，无法测算行业用工需求，"
            "本层级未作规划（可在研究文件中添加 [inputs.places]）。"
        ),
    ),
    _r(
        r"(?P<t>\w+): switched off in the study file \(enabled = false\)",
        lambda m: f"{_tier(m['t'])}：研究文件中已关闭（enabled = false），未作规划。",
    ),
    _r(
        r"(?P<t>\w+): bus left out of the modes \(no bus data: add \[inputs\.transit\]\)",
        lambda m: f"{_tier(m['t'])}：无公交数据，到达方式中不计公交（可添加 [inputs.transit]）。",
    ),
    _r(
        r"(?P<t>\w+): no mode left, tier left out",
        lambda m: f"{_tier(m['t'])}：无可用的到达方式，本层级未作规划。",
    ),
    _r(
        r"(?P<t>\w+): no candidates \(.*\)",
        lambda m: f"{_tier(m['t'])}：没有候选点，本层级未作规划。",
    ),
    _r(
        r"(?P<n>\d+) candidate\(s\) outside the study area (?P<a>.+?) left out \((?P<k>.*)\)",
        lambda m: f"{m['n']}个候选点位于研究区“{m['a']}”之外，未使用（{_kinds(m['k'])}）。",
    ),
    _r(
        r"(?P<what>.+?): (?P<n>\d+) feature\(s\) without a geometry left out",
        lambda m: f"{_WHAT_ZH.get(m['what'], '候选点数据')}：{m['n']}个要素无几何，未使用。",
    ),
    _r(
        r"county (?P<name>.*) \((?P<code>\d+)\) has no comprehensive market and no candidate"
        r" site for one .*",
        lambda m: (
            f"区县{m['name']}（{m['code']}）既无综合性零工市场，也无可建综合性市场的候选点"
            "（鲁人社字〔2022〕3号要求各县（市、区）至少1家）：请在研究文件 [candidates] add 中"
            "添加站点。"
        ),
    ),
    _r(
        r"(?P<t>\w+): capacity (?P<c>[\d.]+) is used only with a budget \(max_new\); this LSCP"
        r" plan does not model it",
        lambda m: (
            f"{_tier(m['t'])}：服务容量{m['c']}人仅在设定新增站点上限（max_new）时使用，"
            f"本次{_MODEL_ZH['lscp']}未考虑容量。"
        ),
    ),
    _r(
        r"(?P<model>\w+): (?P<n>\d+) demand rows \(weight (?P<w>\S+) of (?P<W>\S+)\) are covered"
        r" by no allowed candidate \(rows .*\); they stay uncovered",
        lambda m: f"{_model(m['model'])}：{_uncoverable(m['n'], m['w'], m['W'])}",
    ),
    _r(
        r"(?P<what>.+?) stopped by its (?P<s>[\d.]+) s wall-clock safety net after"
        r" (?P<done>.+?); the result may differ on a faster or less loaded machine",
        lambda m: (
            f"{_SEARCH_ZH.get(m['what'], '启发式搜索')}达到{m['s']}秒的时间上限后停止"
            f"（{_done(m['done'])}）；在更快或负载更低的计算机上结果可能略有不同。"
        ),
    ),
    _r(
        r"p-median Lagrangian bound stopped by its (?P<s>[\d.]+) s wall-clock safety net after"
        r" (?P<done>.+?); the bound may differ on a faster or less loaded machine",
        lambda m: (
            f"{_MODEL_ZH['p_median']}的拉格朗日下界计算达到{m['s']}秒的时间上限后停止"
            f"（{_done(m['done'])}）；在更快或负载更低的计算机上该下界可能略有不同。"
        ),
    ),
    _r(
        r"HiGHS answered (?P<st>\w+) with a MIP start, yet its answer fails a check \(.*\);"
        r" solving again without the start",
        lambda m: "求解器HiGHS使用初始解时给出的结果未通过校验，已不用初始解重新求解。",
    ),
    _r(
        r"(?P<s>HiGHS|CBC) returned a solution that fails its checks: .*",
        lambda m: f"求解器{m['s']}返回的解未通过校验，仅采用可核实的部分。",
    ),
    _r(
        r"HiGHS stopped with model status (?P<st>.*)",
        lambda m: f"求解器HiGHS提前停止（{_HIGHS_ZH.get(m['st'], '状态异常')}）。",
    ),
    _r(
        r"CBC ignored its (?P<s>[\d.]+) s time limit and was stopped",
        lambda m: f"求解器CBC超过{m['s']}秒的时间上限，已被停止。",
    ),
    _r(
        r"CBC ended without a result line \(return code (?P<c>.*)\)",
        lambda m: f"求解器CBC未给出结果（返回码{m['c']}）。",
    ),
    _r(
        r"(?P<model>\S+): the (?P<solver>\w+) solution breaks the model \(.*\); the heuristic"
        r" solution is returned instead",
        lambda m: f"{_model(m['model'])}：求解器的解不满足模型约束，改用启发式算法的解。",
    ),
    _r(
        r"(?P<model>\S+): the returned sites break the model: .*",
        lambda m: f"{_model(m['model'])}：所得站点不满足模型约束，结果标为不可行。",
    ),
    _r(
        r"(?P<model>\S+): reported objective (?P<a>\S+) but the chosen sites give (?P<b>\S+);"
        r" the recomputed value is reported",
        lambda m: (
            f"{_model(m['model'])}：求解器报告的目标值为{m['a']}，按所选站点复核为"
            f"{m['b']}，报告复核值。"
        ),
    ),
    _r(
        r"(?P<model>\S+): the solver's bound (?P<a>\S+) is on the wrong side of the verified"
        r" objective (?P<b>\S+); it is dropped",
        lambda m: (
            f"{_model(m['model'])}：求解器给出的界{m['a']}与复核的目标值{m['b']}矛盾，已舍弃该界。"
        ),
    ),
    _r(
        r"(?P<model>\S+): the solver said optimal, but the chosen sites give (?P<a>\S+) against"
        r" the bound (?P<b>\S+) \(gap (?P<g>\S+)\); reported as feasible",
        lambda m: (
            f"{_model(m['model'])}：求解器报告最优，但所选站点的目标值{m['a']}与界{m['b']}"
            f"不一致（差距{m['g']}），按可行解报告。"
        ),
    ),
    # --- OSM ------------------------------------------------------------------------------
    _r(
        _PATH + r": (?P<n>\d+) highway way\(s\) reference (?P<k>\d+) node\(s\) missing from the"
        r" file \(a clipped extract\?\); each was split at the missing nodes and its runs of"
        r" present nodes kept",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}条道路引用了文件中缺失的{m['k']}个节点（可能是"
            "裁剪过的数据），已在缺失处断开，保留其余部分。"
        ),
    ),
    _r(
        _PATH + r": (?P<n>\d+) way\(s\) have an oneway value planner does not know \((?P<v>.*)\);"
        r" read as two-way",
        lambda m: f"{_file(m['path'])}：{m['n']}条道路的单行标记取值无法识别，按双向处理。",
    ),
    _r(
        _PATH + r": (?P<n>\d+) closed place way\(s\) are not valid polygons \(or miss nodes\);"
        r" each is kept as a point at the middle of its outline",
        lambda m: (
            f"{_file(m['path'])}：{m['n']}个闭合地点轮廓不是有效多边形（或缺少节点），"
            "以轮廓中部的点代替。"
        ),
    ),
    _r(
        _PATH + r": (?P<n>\d+) place\(s\) have no usable geometry \(.*\) and were left out",
        lambda m: f"{_file(m['path'])}：{m['n']}个地点无可用几何，未使用。",
    ),
    _r(
        _PATH + r": (?P<n>\d+) stop reference\(s\) of bus routes name nodes missing from the"
        r" file \(a clipped extract\?\); kept in stop_node_ids, counted in n_stops_missing",
        lambda m: (
            f"{_file(m['path'])}：公交线路中有{m['n']}个停靠站引用了文件中缺失的节点"
            "（可能是裁剪过的数据）。"
        ),
    ),
]


def translate_note(note: str) -> str | None:
    """The Chinese text of a note or warning of a run, or ``None`` for an unknown one.

    Examples
    --------
    >>> translate_note("walk: no road network — times estimated from straight lines × 1.3"
    ...                " at 4.5 km/h (fallback)")
    '步行：无道路网，出行时间按直线距离×1.3、速度4.5 km/h估算。'
    >>> translate_note("something new") is None
    True
    """
    text = note.strip()
    for pattern, build in _RULES:
        m = pattern.match(text)
        if m:
            return build(m)
    return None


_SPREAD: list[_Rule] = [
    _r(r"人口格网 \(population grid as read\)", lambda m: "人口格网（按原始格网读取）"),
    _r(
        r"人口按人口格网分布 \(population grid, (?P<n>[\d,]+) cells\)(?P<rest>.*)",
        lambda m: f"人口按人口格网分布（格网{m['n']}个）",
    ),
    _r(
        r"人口按道路密度分布 \(road density of (?P<n>[\d,]+) street edges, kernel (?P<h>[\d,]+) m;"
        r" (?P<p>\d+%) spread evenly\)(?P<rest>.*)",
        lambda m: (
            f"人口按道路密度分布（{m['n']}条路段，核密度带宽{m['h']}米；{m['p']}的人口均匀分布）"
        ),
    ),
    _r(
        r"人口按公交站点密度分布 \(bus-stop density of (?P<n>[\d,]+) stops, kernel (?P<h>[\d,]+) m;"
        r" (?P<p>\d+%) spread evenly\)(?P<rest>.*)",
        lambda m: (
            f"人口按公交站点密度分布（{m['n']}个公交站点，核密度带宽{m['h']}米；{m['p']}的人口"
            "均匀分布）"
        ),
    ),
]


def translate_spread(text: str) -> str:
    """The Chinese text of how people were placed (``StudyInputs.demand_spread``).

    The library's text is Chinese with English detail in brackets; a pattern gives the
    detail in Chinese, else the Chinese part is kept alone.

    Examples
    --------
    >>> translate_spread("人口按公交站点密度分布 (bus-stop density of 4,084 stops, kernel 800 m;"
    ...                  " 10% spread evenly)")
    '人口按公交站点密度分布（4,084个公交站点，核密度带宽800米；10%的人口均匀分布）'
    >>> translate_spread("人口按面积均匀分布于各统计单元 (no population grid, roads or bus stops)")
    '人口按面积均匀分布于各统计单元'
    """
    t = text.strip()
    for pattern, build in _SPREAD:
        m = pattern.match(t)
        if m:
            return build(m)
    return t.split(" (", 1)[0]

"""Tests of planner.publish.notes_zh: every kind of note the library writes has Chinese text.

The English examples below are the library's sentences with sample values, written as the
modules that make them format them (the module is named beside each), so a changed sentence
shows here as a missing translation.
"""

from __future__ import annotations

import pytest

from planner.publish.notes_zh import translate_note, translate_spread
from planner.publish.proposal_text import english_words

P = "/data/shandong_gig_markets_published.csv"

EXAMPLES: list[tuple[str, str]] = [
    # pipeline.network_reach
    (
        "PARTIAL ROAD NETWORK: 95% of the demand (4,119 of 4,318 cells, 59,576 workers) is more"
        " than 2,000 m from every road of the network, so walk, e-bike and drive cannot reach it"
        " and coverage there is undercounted. Use a road extract that covers the whole study"
        " area, or leave [inputs.roads] out to use straight-line estimates everywhere",
        "路网不完整：95%的需求（4,318个网格中的4,119个，59,576人）",
    ),
    # io.census
    (
        "/d/pop.csv: 2 row(s) holding 500299 people (0.49 % of the table) have a code with no"
        " polygon in /d/counties.geojson and are not counted: 烟台高新技术产业开发区 (370671,"
        " 83,847). In Shandong the codes 37xx7x are development zones inside their host"
        " districts: if one is demand of this study, add its people to its host:"
        ' [inputs.population] add_to = { "<code>" = "<host code>" }',
        "pop.csv：2行（共500,299人，占全表0.49%）的区划代码在counties.geojson中没有对应边界",
    ),
    (
        "/d/b.geojson: 3 polygon(s) have no row in /d/t.csv (no population): 370101, 370102",
        "b.geojson：3个边界在t.csv中没有对应行（无人口数据）",
    ),
    # inputs
    (
        "census: 462,323 of the 908,516 people of the overlapping units live outside the study"
        " area and are left out",
        "其中462,323人居住在研究区外",
    ),
    (
        "census: 即墨区 joined by name (table code 370282, boundary code 370215)",
        "即墨区按名称匹配（表中代码370282，边界代码370215）",
    ),
    # io.spread
    (
        "3 unit(s) have no weight inside (370101, 370102, 370103); their population (12345) is"
        " spread by area",
        "其人口（12345人）按面积均匀分布",
    ),
    ("weights: 4 feature(s) without geometry not used", "4个要素无几何"),
    # io.population
    ("/d/pop.tif: no populated cell has its centre inside the study area '示范县'", "示范县"),
    ("/d/pop.tif: 12 NaN pixel(s) read as nodata (the declared nodata is none)", "无数据值为无"),
    (
        "/d/pop.tif: aggregate_m=50 is smaller than the native cells (median 10000 m²); each"
        " native cell still goes to one coarse cell",
        "aggregate_m=50小于原始格网",
    ),
    # io.vector
    ("/d/b.geojson: repaired 4 invalid geometrie(s) with make_valid", "修复了4个无效的几何图形"),
    # io.markets
    (f"{P}: 4 market(s) have no tier (类型); tier left empty", "4处市场未填写类型"),
    (
        f"{P}, column 'opening_hours': the hours of row(s) 2, 4 are a sentence, not a schedule;"
        " read as every day from the earliest to the latest time it names (the text is kept and"
        " shown as published). Fix: write e.g. '每天 04:00-10:00'",
        "第2、4行的开放时间是文字描述",
    ),
    (
        f"{P}, column 'opening_hours': the opening hours of row(s) 3, 5 cannot be read; shown as"
        " published, and these markets count as open at any hour. Fix: write e.g."
        " '每天 05:00-12:00'",
        "第3、5行的开放时间无法识别",
    ),
    (
        f"{P}: 4 row(s) have no coordinates; kept with an empty geometry (not mapped, not in"
        " coverage)",
        "4行无坐标",
    ),
    (
        f"{P}: 2 market(s) lie outside the study area and are left out: 甲市场, 乙市场",
        "未纳入：甲市场、乙市场",
    ),
    (
        f"{P}: column(s) '备注1', '备注2' are not directory fields: kept as they are, never"
        " published (rename a column to a directory field to use it: name, address)",
        "不是名录字段",
    ),
    (
        f"{P}: 3 row(s) have coordinates but no coordinate system (no 坐标系 column value and no"
        " coords argument); read as WGS-84. Declare gcj02 for AMap/高德 or bd09 for Baidu"
        " coordinates",
        "未注明坐标系",
    ),
    (
        f"{P}: no row has coordinates; result left in EPSG:4326 (empty geometries)",
        "没有任何一行有坐标",
    ),
    ("4 market(s) without coordinates cannot be placed and are left out", "4处市场无坐标"),
    (
        f"{P}: 1 market(s) lie outside the study area (up to 44.7 km), kept for the border"
        " areas they serve and listed in its directory: 芝罘区零工市场. Fix: delete them from"
        " the file if they are not this study's",
        "1处市场位于研究区外（最远约44.7公里），作为可服务边界地区的市场保留，并列入名录：芝罘区零工市场。",
    ),
    (
        "/d/logs.csv: 2 row(s) have more matches (成功对接) than postings (岗位数), first at row 7;"
        " check the counts",
        "首见于第7行",
    ),
    ("3 place(s) without workforce take default_workforce=500", "按默认值500人计"),
    # io.transit
    (
        "/d/seq.csv: 2946 row(s) of 150 line(s) missing from the lines table left out (e.g. 10041,"
        " 10042)",
        "2946行站序记录所属的150条线路",
    ),
    (
        "/d/seq.csv: 17 stop sequence row(s) naming 1 unknown station(s) left out: 29786",
        "引用了1个站点表中没有的站点",
    ),
    (
        "/d/stations.csv: 4 stop name(s) hold web markup, removed (e.g. '[h2]APEC芝罘科技园')",
        "4个站名带有网页标记（如'[h2]APEC芝罘科技园'），已去除标记后使用",
    ),
    (
        "/d/lines.csv: 3 line(s) with fewer than 2 known stops left out (e.g. 101路)",
        "已知站点少于2个",
    ),
    (
        "gtfs.zip/stop_times.txt: 2 trip(s) with a single stop time left out (e.g. 'T1')",
        "只有一个停站时间",
    ),
    ("gtfs.zip/trips.txt: 2 trip(s) without stop times left out (e.g. 'T9')", "没有停站时间"),
    # pipeline.build_networks, network.transit, network.access
    (
        "bus without roads: walks to, from and between stops are straight lines × 1.3; in-vehicle"
        " times from the route tables",
        "按直线距离×1.3估算",
    ),
    (
        "bus: 24 pattern(s) running 2024-01-02 05:00-09:00; waits = half the mean headway;"
        " in-vehicle times from timetable",
        "车内时间取自时刻表",
    ),
    (
        "bus: 335 pattern(s) running 2026-12-01 05:00-09:00; waits = half the mean headway;"
        " in-vehicle times from distance at bus speed",
        "按距离和公交运行速度估算",
    ),
    ("11 bus stop(s) are more than 500 m from the walk network and are left out", "11个公交站点"),
    (
        "no date given: every route of the feed counts towards hubs and terminals, whether it runs"
        " in the window 05:00-09:00 or not (pass date= to check service)",
        "未指定日期",
    ),
    ("transit: 3 stop id(s) of the patterns are not in the stops table; left out", "3个站点编号"),
    (
        "walk: no road network; walks between 4,084 points estimated as straight lines × 1.3 at"
        " 4.5 km/h",
        "4,084个点之间的步行",
    ),
    # analysis.coverage, network.streets, network.snapping
    (
        "walk: 406 of 19,407 demand cells (demand 127) are more than 2,000 m from the network:"
        " unreachable by this mode",
        "步行：19,407个需求网格中有406个",
    ),
    (
        "1 of 3 markets are more than 500 m from the ebike network (or have no geometry):"
        " unreachable by ebike",
        "3个市场中有1个距电动自行车路网",
    ),
    (
        "walk, ebike: 1 existing market(s) more than 500 m from the network (or without"
        " coordinates), unreachable by this mode: 竹岛社区零工服务站 (HC02)",
        "步行、电动自行车：1处现有市场距路网超过500米（或无坐标），无法以此方式到达："
        "竹岛社区零工服务站（HC02）。",
    ),
    (
        "drive: 2 proposed site(s) more than 1,000 m from the network (or without coordinates),"
        " unreachable by this mode: C-stat-0040, C-stat-0041",
        "驾车：2处拟建站点距路网超过1,000米（或无坐标），无法以此方式到达：C-stat-0040、C-stat-0041。",
    ),
    (
        "walk: no road network — times estimated from straight lines × 1.3 at 4.5 km/h (fallback)",
        "步行：无道路网",
    ),
    ("bus: no network, left out (it cannot be estimated from straight lines)", "公交：无网络"),
    (
        "drive: kept the largest strongly connected part (9,995 of 10,003 nodes); dropped 8 node(s)"
        " in 8 smaller part(s)",
        "驾车路网：保留最大的连通部分",
    ),
    # pipeline.resolve_rules, pipeline._candidates
    (
        "sector: no places (parks, building-material markets, malls): no sector demand, tier left"
        " out (add [inputs.places])",
        "行业性零工市场：未提供",
    ),
    ("station: switched off in the study file (enabled = false)", "零工服务站点：研究文件中已关闭"),
    ("comprehensive: bus left out of the modes (no bus data: add [inputs.transit])", "无公交数据"),
    ("sector: no mode left, tier left out", "无可用的到达方式"),
    ("station: no candidates (no street edges inside the area)", "没有候选点"),
    # analysis.candidates
    (
        "626 candidate(s) outside the study area 烟台 left out (bus_station 108, transit_hub 518)",
        "公交站点108个、公交枢纽518个",
    ),
    ("places: 2 feature(s) without a geometry left out", "2个要素无几何"),
    # analysis.plan
    (
        "county 环翠区 (371002) has no comprehensive market and no candidate site for one"
        " (鲁人社字〔2022〕3号 asks for at least one per county): add a site in it under"
        " [candidates] add",
        "区县环翠区（371002）",
    ),
    (
        "station: capacity 300 is used only with a budget (max_new); this LSCP plan does not model"
        " it",
        "服务容量300人",
    ),
    # analysis.siting
    (
        "lscp: 4318 demand rows (weight 62467 of 62467) are covered by no allowed candidate (rows"
        " 0, 1, 2, …); they stay uncovered",
        "最少站点覆盖模型（LSCP）：待覆盖的4,318个需求单元（共62,467人）均不在任何候选点的覆盖范围内",
    ),
    (
        "mclp: 12 demand rows (weight 340.5 of 1.23457e+06) are covered by no allowed candidate"
        " (rows 0, 1, 2, …); they stay uncovered",
        "最大覆盖模型（MCLP）：待覆盖的需求1,234,570人中，有12个需求单元（340人）不在",
    ),
    (
        "LSCP local search stopped by its 60 s wall-clock safety net after 1200 moves; the result"
        " may differ on a faster or less loaded machine",
        "最少站点覆盖模型（LSCP）局部搜索",
    ),
    (
        "MCLP swap search stopped by its 60 s wall-clock safety net after 300 swaps; the result may"
        " differ on a faster or less loaded machine",
        "已完成300次交换",
    ),
    (
        "p-median Lagrangian bound stopped by its 60 s wall-clock safety net after 40 steps; the"
        " bound may differ on a faster or less loaded machine",
        "P中位模型的拉格朗日下界",
    ),
    (
        "HiGHS answered optimal with a MIP start, yet its answer fails a check (the solver reported"
        " objective 5 but its solution gives 6); solving again without the start",
        "不用初始解",
    ),
    ("HiGHS returned a solution that fails its checks: x out of bounds", "求解器HiGHS返回的解"),
    ("CBC returned a solution that fails its checks: x out of bounds", "求解器CBC返回的解"),
    ("HiGHS stopped with model status Time limit reached", "求解器HiGHS提前停止（达到时间上限）"),
    ("CBC ignored its 60 s time limit and was stopped", "超过60秒"),
    ("CBC ended without a result line (return code 1)", "返回码1"),
    (
        "lscp: the cbc solution breaks the model (row 3 uncovered); the heuristic solution is"
        " returned instead",
        "最少站点覆盖模型（LSCP）：求解器的解不满足模型约束，改用启发式算法的解",
    ),
    ("mclp: the returned sites break the model: too many sites", "结果标为不可行"),
    (
        "mclp: reported objective 10 but the chosen sites give 9; the recomputed value is reported",
        "报告复核值",
    ),
    (
        "mclp: the solver's bound 8 is on the wrong side of the verified objective 9; it is dropped",
        "已舍弃该界",
    ),
    (
        "lscp: the solver said optimal, but the chosen sites give 9 against the bound 8 (gap 0.1);"
        " reported as feasible",
        "按可行解报告",
    ),
    # io.osm
    (
        "/d/roads.osm.pbf: 12 highway way(s) reference 30 node(s) missing from the file (a clipped"
        " extract?); each was split at the missing nodes and its runs of present nodes kept",
        "可能是裁剪过的数据",
    ),
    (
        "/d/roads.osm.pbf: 2 way(s) have an oneway value planner does not know ('reversible');"
        " read as two-way",
        "按双向处理",
    ),
    (
        "/d/roads.osm.pbf: 3 closed place way(s) are not valid polygons (or miss nodes); each is"
        " kept as a point at the middle of its outline",
        "以轮廓中部的点代替",
    ),
    (
        "/d/roads.osm.pbf: 2 place(s) have no usable geometry (nodes missing from the file, or a"
        " multipolygon that does not close) and were left out",
        "2个地点无可用几何",
    ),
    (
        "/d/roads.osm.pbf: 5 stop reference(s) of bus routes name nodes missing from the file (a"
        " clipped extract?); kept in stop_node_ids, counted in n_stops_missing",
        "5个停靠站",
    ),
]


@pytest.mark.parametrize(("english", "expected"), EXAMPLES, ids=[e[0][:40] for e in EXAMPLES])
def test_every_note_kind_has_chinese_text(english: str, expected: str) -> None:
    zh = translate_note(english)
    assert zh is not None, english
    assert expected in zh
    assert english_words(zh) == [], zh
    assert "/d/" not in zh and "/data/" not in zh  # paths are shortened to file names


def test_models_are_named_in_chinese_and_demand_said_once() -> None:
    # 最少站点覆盖模型 for LSCP, 最大覆盖模型 for MCLP, P中位模型 for p-median; the acronym
    # only in brackets, and "需求106,499，共106,499" (all of it) said once
    note = (
        "lscp: 4201 demand rows (weight 106499 of 106499) are covered by no allowed candidate"
        " (rows 0, 1, 2, …); they stay uncovered"
    )
    zh = translate_note(note)
    assert zh == (
        "最少站点覆盖模型（LSCP）：待覆盖的4,201个需求单元（共106,499人）均不在任何候选点的"
        "覆盖范围内，仍未覆盖。"
    )
    assert zh.count("106,499") == 1
    assert translate_note("p_median: the returned sites break the model: x").startswith(
        "P中位模型："
    )
    for english, _ in EXAMPLES:
        zh = translate_note(english) or ""
        assert "选址模型（LSCP）" not in zh and "集合覆盖模型" not in zh and "p-中位" not in zh


def test_unknown_note_is_none() -> None:
    assert translate_note("something planner does not say yet") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("人口格网 (population grid as read)", "人口格网（按原始格网读取）"),
        (
            "人口按人口格网分布 (population grid, 12,000 cells)",
            "人口按人口格网分布（格网12,000个）",
        ),
        (
            "人口按道路密度分布 (road density of 3,000 street edges, kernel 500 m; 10% spread evenly)",
            "人口按道路密度分布（3,000条路段，核密度带宽500米；10%的人口均匀分布）",
        ),
        (
            "人口按面积均匀分布于各统计单元 (no population grid, roads or bus stops)",
            "人口按面积均匀分布于各统计单元",
        ),
    ],
)
def test_spread_in_chinese(text: str, expected: str) -> None:
    assert translate_spread(text) == expected
    assert english_words(translate_spread(text)) == []

"""The words of the proposal's answers to the bureau's questions, in Chinese and English.

Coverage at each moment, the proposed hours of new sites, existing markets closed at dawn,
capacity, equity floors, what each new site buys (the curves), scenarios and the
GeoPackage: the sections :mod:`planner.publish.proposal_answers` builds.
:data:`planner.publish.proposal_text.TEXT` merges these keys with the rest of the
proposal's words (``{n}`` is a section's number, ``{i}`` a sub-section's).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ANSWER_TEXT"]

ANSWER_TEXT: Mapping[str, Mapping[str, str]] = {
    "zh": {
        # 二（四）coverage at each moment
        "s2_4": "（四）按时段",
        "h_moment": "时段",
        "h_open": "开放的现有市场",
        "any_time": "任意时段",
        "open_of": "{k}/{n}处",
        "explain_moments": "说明：“任意时段”计入全部现有市场，公交按研究时段（{window}）计；其余各行只"
        "计入该时刻按公布的开放时间正在开放的市场（开放时间无法识别的按开放计），公交只计入该时刻后"
        "{bus}分钟内发车的线路；拟建站点按下述建议开放时间计。",
        "explain_moments_nobus": "说明：“任意时段”计入全部现有市场；其余各行只计入该时刻按公布的开放"
        "时间正在开放的市场（开放时间无法识别的按开放计）；拟建站点按下述建议开放时间计。",
        "explain_moments_residents": "本表各层级均按居民计",
        "explain_moments_sector": "，行业性零工市场一列与第（二）部分同一口径",
        "stop": "。",
        "proposed_hours": "拟建站点建议开放时间：{parts}。",
        "hours_part": "{tier}{hours}",
        "hours_open_all": "按此时间，拟建站点在本表各时刻均开放，覆盖清晨零工集中时段。",
        "hours_closed_at": "按此时间，拟建{tier}在{moments}不开放。",
        "dawn_hint": "{k}处现有市场在清晨时刻未开放，见第{n}部分。",
        "moments_none": "研究文件未设定测算时刻（[network] moments），未按时段统计。",
        "f_hours": "建议开放时间",
        "f_daily": "预计日到场人数",
        "daily": "约{n}人",
        "daily_cap": "约{n}人（容纳人数{cap}人，{over}）",
        # 二（三）equity floors
        "floors_intro": "研究文件设定的重点群体覆盖底线核验如下。",
        "h_floor": "覆盖底线",
        "h_achieved": "实际达到",
        "h_met": "是否达到",
        "met": "达到",
        "not_met": "未达到",
        "explain_floors": "说明：“实际达到”为该群体中规划前未覆盖、可被候选站点覆盖的人员里，被本方案"
        "新建站点覆盖的比例，与选址模型中底线约束的口径相同。",
        "floors_none": "研究文件未设定重点群体覆盖底线（如 [tiers.station] floors），未作核验。",
        # hours and capacity
        "sa": "{n}、开放时间与容纳能力",
        "sa_1": "（一）清晨未开放的现有市场",
        "sa_2": "（二）容纳能力",
        "dawn_intro": "清晨{lo}—{hi}是零工集中求职的时段。下表列出在研究时刻中的清晨时刻未开放的"
        "现有市场，并测算其开放时间提前{h}小时后，在首个因此开放的时刻可新增覆盖的灵活就业人员"
        "（该层级在该时刻未被覆盖、在该层级时间阈值内可到达该市场的人员）。",
        "h_mname": "市场",
        "h_hours": "公布的开放时间",
        "h_closed_at": "清晨未开放时刻",
        "h_gain_at": "提前{h}小时后开放的时刻",
        "h_gain": "可新增覆盖（人）",
        "dawn_no_gain": "“—”表示开放时间提前{h}小时仍不能在清晨时刻开放（如当日休息），需调整休息日安排。",
        "dawn_advice": "建议以上市场将开放时间提前至清晨，与拟建站点的建议开放时间衔接。",
        "dawn_none": "现有市场在研究时刻的清晨时段均开放（或开放时间无法识别），不涉及调整。",
        "cap_intro": "预计日到场人数＝以该市场为最近同层级市场的灵活就业人员（服务范围内人数）×"
        "{share}（每日到场比例，为规划假设，研究文件中不可调整）。超过名录中容纳人数的标为“超员”。",
        "h_catchment": "服务范围内灵活就业人员（人）",
        "h_daily": "预计日到场（人）",
        "h_capacity": "容纳人数",
        "h_over": "是否超员",
        "over": "超员",
        "not_over": "未超员",
        "cap_unknown": "未提供",
        "cap_over": "{k}处现有市场预计超员，建议扩容，或由拟建站点分流。",
        "cap_over_none": "现有市场预计均未超员。",
        "cap_markets_none": "无现有市场，不涉及现有市场的容纳能力。",
        "cap_sites_over": "拟建站点按研究文件给出的各层级容纳人数核验：{k}处预计日到场超过容纳人数，"
        "见下表；其余{m}处未超员。",
        "cap_sites_ok": "拟建站点按研究文件给出的各层级容纳人数核验：{m}处预计均未超员。",
        "cap_sites_none": "研究文件未给出拟建站点的容纳人数（如 [tiers.station] capacity），未作核验；"
        "各拟建站点的预计日到场人数见第三部分。",
        # what each new site buys
        "sb": "{n}、新增站点数量与覆盖效果",
        "sb_t": "（{i}）{tier}",
        "curve_intro": "对每一层级，测算新建1处、2处……站点时最多可新增覆盖的灵活就业人员（以该层级"
        "规划前未覆盖、可被候选站点覆盖的需求为限，只计覆盖，不含每县至少1处、重点群体底线等规则），"
        "据此看每增加1处站点带来的新增覆盖。“拐点”之后，每增加1处站点的新增覆盖明显减少。",
        "curve_fig": "图{k}　{tier}新增站点数量与新增覆盖人数。横轴为新增站点数，纵轴为新增覆盖的"
        "灵活就业人员；实心圆点为已证明最优的值，空心圆点为启发式解，其上方竖线延伸至可证明的上界；"
        "红色竖线为本方案（{chosen}处），橙色圆圈为拐点（{knee}处）；虚线为可覆盖需求上限"
        "（{total}人）。",
        "h_k": "新增站点数（处）",
        "h_covered": "新增覆盖（人）",
        "h_share_cov": "占可覆盖需求",
        "h_status": "求解状态",
        "h_gap": "差距",
        "curve_note": "说明：求解状态为“最优”的点已证明最优；标注“启发式”的点由贪心算法求得，附有"
        "可证明的上界（差距＝1－新增覆盖÷上界），真实最优值不超过“新增覆盖÷（1－差距）”。",
        "curve_read": "本方案{tier}新建{chosen}处，按曲线可新增覆盖{covered}人（可覆盖需求的{share}）。",
        "curve_before": "拐点在{knee}处，本方案尚未到拐点，继续增加站点仍有较多新增覆盖。",
        "curve_at": "本方案恰在拐点。",
        "curve_after": "拐点在{knee}处，本方案已越过拐点，再增加站点的新增覆盖明显减少。",
        "curve_noknee": "曲线无明显拐点。",
        "curve_none": "本层级未测算。",
        "curves_none": "本次运行未测算新增站点数量与覆盖效果。",
        "chart_x": "新增站点数（处）",
        "chart_y": "新增覆盖（人）",
        "chart_chosen": "本方案 {k}处",
        "chart_knee": "拐点 {k}处",
        "chart_total": "可覆盖需求 {n}人",
        "chart_label": "{tier}新增站点数量与新增覆盖人数",
        "chart_point": "{k}处：{n}人（{status}）",
        # scenarios
        "sc": "{n}、方案比较",
        "sc_intro": "研究文件设定了{k}个比较方案，与基准方案使用相同的数据，只改变各方案所列的参数"
        "（如时间阈值、覆盖目标）。下表比较各方案的覆盖率、新增站点数和每处站点的新增覆盖人数，"
        "完整比较见 scenarios.csv 和 scenarios.html。",
        "h_scenario": "方案",
        "h_per_site": "每处新增覆盖（人）",
        "base": "基准方案",
        "sc_fig": "图{k}　各方案拟建站点分布。绿色表示规划后零工服务站点可覆盖的灵活就业人员（深浅表示"
        "人数），灰色为未覆盖；★▲■为各方案拟建的综合性零工市场、行业性零工市场和零工服务站点；虚线为"
        "区划边界。",
        "sc_panel": "{name}（新增{n}处）",
        "sc_label": "各方案拟建站点分布",
        # the GeoPackage and the overview
        "gpkg": "全部图层见 {name}，可用 QGIS/ArcGIS 打开，样式已内置。",
        "key_dawn": "清晨{moment}，{tier}覆盖率规划前为{b}、规划后为{a}（任意时段规划后为{any}）。",
        "key_flags": "{k}处现有市场清晨未开放，{j}处现有市场预计超员（见第{n}部分）。",
    },
    "en": {
        "s2_4": "2.4 By moment",
        "h_moment": "Moment",
        "h_open": "Existing markets open",
        "any_time": "Any time",
        "open_of": "{k} of {n}",
        "explain_moments": "Note: “any time” counts every existing market and the buses of the study"
        " window ({window}); each other row counts only the markets open then by their published"
        " hours (hours that cannot be read count as open) and the buses departing in the"
        " {bus} min after it; new sites count at the proposed hours below.",
        "explain_moments_nobus": "Note: “any time” counts every existing market; each other row"
        " counts only the markets open then by their published hours (hours that cannot be read"
        " count as open); new sites count at the proposed hours below.",
        "explain_moments_residents": " Every tier counts residents here",
        "explain_moments_sector": ", the sector column as in 2.2",
        "stop": ".",
        "proposed_hours": "Proposed opening hours of new sites: {parts}.",
        "hours_part": "{tier} {hours}",
        "hours_open_all": " New sites are open at every moment of the table, covering the dawn"
        " hours.",
        "hours_closed_at": " New {tier}s are closed at {moments}.",
        "dawn_hint": " {k} existing market(s) are closed at dawn: see section {n}.",
        "moments_none": "The study names no moments ([network] moments).",
        "f_hours": "Proposed opening hours",
        "f_daily": "Expected daily attendance",
        "daily": "about {n}",
        "daily_cap": "about {n} (capacity {cap}, {over})",
        "floors_intro": "The study's floors for priority groups:",
        "h_floor": "Floor",
        "h_achieved": "Achieved",
        "h_met": "Met",
        "met": "met",
        "not_met": "not met",
        "explain_floors": "Note: “achieved” is the share of the group's coverable demand, uncovered"
        " before the plan, that the new sites cover: the terms of the model's floor constraint.",
        "floors_none": "The study sets no floors for priority groups ([tiers.station] floors …).",
        "sa": "{n}. Opening hours and capacity",
        "sa_1": "{n}.1 Existing markets closed at dawn",
        "sa_2": "{n}.2 Capacity",
        "dawn_intro": "Gig workers look for work from {lo} to {hi}. The table lists existing markets"
        " closed at a dawn moment of the study and the flexible workers they would newly reach"
        " (uncovered at that moment, within the tier's threshold) at the first moment they would"
        " be open if they opened {h} hours earlier.",
        "h_mname": "Market",
        "h_hours": "Published hours",
        "h_closed_at": "Closed at",
        "h_gain_at": "Open {h} h earlier: open at",
        "h_gain": "Newly covered",
        "dawn_no_gain": "“—”: opening {h} hours earlier still misses dawn (a rest day, say). ",
        "dawn_advice": "These markets should open at dawn, in step with the new sites' hours.",
        "dawn_none": "Every existing market is open at the study's dawn moments (or its hours"
        " cannot be read).",
        "cap_intro": "Expected daily attendance = flexible workers whose nearest market of the tier"
        " it is × {share} (daily attendance share, a planning assumption the study file cannot"
        " change). Markets above their capacity are over-full.",
        "h_catchment": "Workers served",
        "h_daily": "Expected daily",
        "h_capacity": "Capacity",
        "h_over": "Over-full",
        "over": "over-full",
        "not_over": "no",
        "cap_unknown": "not given",
        "cap_over": "{k} existing market(s) are expected to be over-full: enlarge them or let new"
        " sites take some of their workers.",
        "cap_over_none": "No existing market is expected to be over-full.",
        "cap_markets_none": "No existing markets.",
        "cap_sites_over": "New sites against the study's capacity per tier: {k} expected over-full"
        " (below); the other {m} are not.",
        "cap_sites_ok": "New sites against the study's capacity per tier: none of the {m} is"
        " expected to be over-full.",
        "cap_sites_none": "The study gives no capacity for new sites ([tiers.station] capacity …);"
        " each site's expected attendance is in section 3.",
        "sb": "{n}. What each new site buys",
        "sb_t": "{n}.{i} {tier}",
        "curve_intro": "For each tier, the most flexible workers 1, 2, … new sites can newly cover"
        " (of the tier's demand uncovered before the plan that some candidate reaches; coverage"
        " only, without the county rule or group floors): what each further site buys. Past the"
        " knee, each further site buys markedly less.",
        "curve_fig": "Figure {k}. {tier}: newly covered workers by number of new sites. Filled dots:"
        " proven optimal; hollow dots: heuristic, with a line up to the proven bound; red line:"
        " the plan ({chosen}); orange ring: the knee ({knee}); dashed: coverable demand"
        " ({total}).",
        "h_k": "New sites",
        "h_covered": "Newly covered",
        "h_share_cov": "Share of coverable",
        "h_status": "Status",
        "h_gap": "Gap",
        "curve_note": "Note: points marked optimal are proven optimal; points marked heuristic"
        " come from the greedy sequence and carry a proven bound (gap = 1 − covered / bound):"
        " the optimum is at most covered / (1 − gap).",
        "curve_read": "The plan's {chosen} new {tier}(s) cover {covered} workers on the curve"
        " ({share} of coverable demand).",
        "curve_before": " The knee is at {knee}: the plan stops before it, where further sites"
        " still buy much.",
        "curve_at": " The plan is at the knee.",
        "curve_after": " The knee is at {knee}: the plan goes past it, where further sites buy"
        " markedly less.",
        "curve_noknee": " The curve has no clear knee.",
        "curve_none": "Not computed for this tier.",
        "curves_none": "No curves were computed for this run.",
        "chart_x": "New sites",
        "chart_y": "Newly covered",
        "chart_chosen": "plan {k}",
        "chart_knee": "knee {k}",
        "chart_total": "coverable {n}",
        "chart_label": "{tier}: newly covered by number of new sites",
        "chart_point": "{k}: {n} ({status})",
        "sc": "{n}. Scenarios",
        "sc_intro": "The study names {k} scenario(s), each on the same data with the keys it lists"
        " changed (thresholds, targets …). The table compares coverage, new sites and workers"
        " newly covered per site; scenarios.csv and scenarios.html hold the full comparison.",
        "h_scenario": "Scenario",
        "h_per_site": "Workers per new site",
        "base": "base",
        "sc_fig": "Figure {k}. Proposed sites by scenario. Green: flexible workers a station covers"
        " after the plan (darker: more); grey: uncovered; ★▲■ proposed comprehensive markets,"
        " sector markets and stations; dashed: boundaries.",
        "sc_panel": "{name} ({n} new)",
        "sc_label": "Proposed sites by scenario",
        "gpkg": "Every layer is in {name}: open it in QGIS or ArcGIS (styles included).",
        "key_dawn": " At {moment}, {tier} coverage is {b} before and {a} after the plan ({any}"
        " after it at any time).",
        "key_flags": " {k} existing market(s) are closed at dawn and {j} expected over-full"
        " (section {n}).",
    },
}

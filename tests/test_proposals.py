"""Tests of planner.publish.proposals: the siting proposal in HTML, Markdown and Word."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import docx
import numpy as np
import pandas as pd
import pytest
import shapely

from planner import settings
from planner.demo import write_demo_inputs
from planner.errors import InputFileError, InvalidValueError
from planner.inputs import load_inputs
from planner.io.coords import wgs84_to_gcj02
from planner.io.hours.moment import parse_moment
from planner.io.vector import read_boundaries
from planner.pipeline import run_scenarios, run_study
from planner.publish.notes_zh import translate_note
from planner.publish.proposal_text import english_words
from planner.publish.proposals import md_escape, site_svg, write_proposal
from planner.publish.scenarios import scenario_table
from planner.run import StudyRun
from planner.study import InputSpec, OutputSpec, load_study

EVIL = "<script>alert(1)</script>"
TIER_ZH = settings.TIER_LABELS_ZH


@pytest.fixture(scope="module")
def scen(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, StudyRun], Path]:
    """The small demo with a station capacity, run with one scenario (longer walks)."""
    files = write_demo_inputs(tmp_path_factory.mktemp("demo"), scale=0.3)
    with open(files.study, "a", encoding="utf-8") as f:
        f.write(
            "\n[tiers.station]\ncapacity = 100\n"
            "\n[scenarios.walk20]\ntiers.station.threshold_min = 20\n"
        )
    runs, _ = run_scenarios(load_inputs(load_study(files.study)))
    return runs, files.townships


@pytest.fixture(scope="module")
def demo(scen: tuple[dict[str, StudyRun], Path]) -> tuple[StudyRun, Path]:
    return scen[0]["base"], scen[1]


@pytest.fixture(scope="module")
def written(
    demo: tuple[StudyRun, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, Path]:
    run, townships = demo
    out = tmp_path_factory.mktemp("proposal")
    units = read_boundaries(townships, coords="gcj02")
    h, m, d = write_proposal(run, out, units=units)
    return h, m, d


@pytest.fixture(scope="module")
def thin(tmp_path_factory: pytest.TempPathFactory) -> tuple[StudyRun, tuple[Path, Path, Path]]:
    """The demo without bus data and without places: no bus mode, no sector tier."""
    files = write_demo_inputs(tmp_path_factory.mktemp("thin"), scale=0.3)
    text = files.study.read_text(encoding="utf-8")
    for section in ("[inputs.transit]", "[inputs.places]"):
        text = re.sub(re.escape(section) + r"\n[^[]*", "", text)
    files.study.write_text(text, encoding="utf-8")
    run = run_study(load_inputs(load_study(files.study)))
    assert "bus" not in run.graphs and "sector" not in run.plan.before.rules
    return run, write_proposal(run, tmp_path_factory.mktemp("thin-proposal"))


class _Tables(HTMLParser):
    """Collects the text of every table cell, by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._id: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._id = dict(attrs).get("id") or f"t{len(self.tables)}"
            self.tables[self._id] = []
        elif tag == "tr" and self._id:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._id:
            self.tables[self._id].append(self._row)
            self._row = None
        elif tag == "table":
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


class _Text(HTMLParser):
    """The text a reader sees (styles left out; SVG labels kept)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip = tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._skip = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _page_text(path: Path) -> str:
    p = _Text()
    p.feed(path.read_text(encoding="utf-8"))
    return " ".join(p.parts)


def _docx_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def _n(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def _check_summary(rows: list[list[str]], run: StudyRun) -> None:
    s = run.plan.summary()
    assert len(rows) == len(s)
    for row, exp in zip(rows, s.itertuples(), strict=True):
        assert row[0] == TIER_ZH[exp.tier]
        assert _n(row[1]) == round(exp.threshold_min)
        assert _n(row[2]) == round(exp.demand)
        assert _n(row[3]) == round(exp.covered_before)
        assert _n(row[4]) == pytest.approx(100 * exp.share_before, abs=0.051)
        assert _n(row[5]) == round(exp.covered_after)
        assert _n(row[6]) == pytest.approx(100 * exp.share_after, abs=0.051)
        assert int(row[7]) == exp.new_sites
    # the shares are consistent with the covered figures, computed another way
    for row in rows:
        assert _n(row[4]) == pytest.approx(100 * _n(row[3]) / _n(row[2]), abs=0.1)


def test_html_summary_numbers_equal_the_plan(demo, written) -> None:
    run, _ = demo
    p = _Tables()
    p.feed(written[0].read_text(encoding="utf-8"))
    _check_summary(p.tables["summary"][1:], run)


def test_markdown_summary_numbers_equal_the_plan(demo, written) -> None:
    run, _ = demo
    text = written[1].read_text(encoding="utf-8")
    block = text.split("### （一）按层级", 1)[1].split("说明：", 1)[0]
    lines = [ln for ln in block.splitlines() if ln.startswith("|")][2:]
    rows = [[c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in lines]
    _check_summary(rows, run)


def test_docx_reads_back_with_title_sites_and_assumptions(demo, written) -> None:
    run, _ = demo
    d = docx.Document(str(written[2]))
    paras = d.paragraphs
    titles = [p.text for p in paras if p.style.name == "Title"]
    assert titles == ["关于示范县（合成示例数据）零工市场布局选址的建议"]
    h1 = [p.text for p in paras if p.style.name == "Heading 1"]
    assert h1[:7] == [
        "一、基本情况与主要结论",
        "二、覆盖情况",
        "三、拟建站点",
        "四、升级现有市场的备选方案",
        "五、开放时间与容纳能力",
        "六、新增站点数量与覆盖效果",
        "七、测算方法、假设与数据",  # no scenarios given: no 方案比较
    ]
    assert h1[-1].startswith("附表1")
    # one section (a Heading 2 titled "<n>. <name>（拟建<tier>）") per proposed site
    site_heads = [p.text for p in paras if p.style.name == "Heading 2" and "（拟建" in p.text]
    assert len(site_heads) == len(run.plan.sites)
    for i, (head, tier) in enumerate(zip(site_heads, run.plan.sites["tier"], strict=True)):
        assert head.startswith(f"{i + 1}. ") and head.endswith(f"（拟建{TIER_ZH[tier]}）")
    # the assumptions table: one row per tier with its threshold and modes
    rules = next(
        t
        for t in d.tables
        if [c.text for c in t.rows[0].cells][:3] == ["层级", "时间阈值（分钟）", "计入的到达方式"]
    )
    body = [[c.text for c in r.cells] for r in rules.rows[1:]]
    assert [r[0] for r in body] == [TIER_ZH[t] for t in run.coverage.rules]
    for r, rule in zip(body, run.coverage.rules.values(), strict=True):
        assert _n(r[1]) == rule.threshold_min
    # the tier table in Word holds the plan's numbers too
    summary = next(t for t in d.tables if t.rows[0].cells[2].text == "需求（人）")
    _check_summary([[c.text for c in r.cells] for r in summary.rows[1:]], run)
    # one picture per site plus the overview and one curve per tier
    assert len(d.inline_shapes) == len(run.plan.sites) + 1 + len(run.curves)


def test_every_site_has_a_section_and_a_map(demo, written) -> None:
    run, _ = demo
    page = written[0].read_text(encoding="utf-8")
    md = written[1].read_text(encoding="utf-8")
    n = len(run.plan.sites)
    assert n > 0
    assert page.count('<section class="site"') == n
    assert page.count("<svg ") == n + 1 + len(run.curves)  # and the overview, the curves
    files = written[1].parent / f"{written[1].stem}_files"
    assert (files / "overview.svg").is_file()
    for sid in run.plan.sites["site_id"]:
        assert f'id="site-{sid}"' in page
        assert f"]({written[1].stem}_files/{sid}.svg)" in md
        assert (files / f"{sid}.svg").is_file()
    assert not list(written[0].parent.glob(".*.tmp"))


def test_html_renders_offline(written) -> None:
    # one file: no script, stylesheet, image or font fetched from anywhere; the maps inline
    page = written[0].read_text(encoding="utf-8")
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "@media print" in page and "@page" in page


def test_site_facts_coordinates_and_names(demo, written) -> None:
    run, _ = demo
    p = _Tables()
    p.feed(written[0].read_text(encoding="utf-8"))
    ll = run.plan.sites.geometry.centroid.to_crs(4326)
    glon, glat = wgs84_to_gcj02(ll.x.to_numpy(), ll.y.to_numpy())
    annex = p.tables["annex-sites"][1:]
    assert len(annex) == len(run.plan.sites)
    for i, sid in enumerate(run.plan.sites["site_id"]):
        facts = dict(p.tables[f"facts-{sid}"])
        assert facts["坐标（WGS-84，用于GPS、天地图）"] == (
            f"东经{ll.x.iloc[i]:.6f}°，北纬{ll.y.iloc[i]:.6f}°"
        )
        assert (
            facts["坐标（GCJ-02，用于高德、腾讯地图）"] == f"东经{glon[i]:.6f}°，北纬{glat[i]:.6f}°"
        )
        # GCJ-02 is a few hundred metres off WGS-84 in Shandong
        assert (
            100
            < shapely.Point(glon[i], glat[i]).distance(shapely.Point(ll.x.iloc[i], ll.y.iloc[i]))
            * 111_000
            < 1000
        )
        assert facts["名称"] == annex[i][1] and annex[i][0] == str(i + 1)
        assert facts["层级"] == TIER_ZH[run.plan.sites["tier"].iloc[i]]
        anchor = run.plan.sites["anchor_name"].iloc[i]
        if isinstance(anchor, str) and anchor:
            assert anchor in facts["名称"]
        key = (
            "新增覆盖（行业用工需求）" if run.plan.sites["tier"].iloc[i] == "sector" else "新增覆盖"
        )
        assert _n(facts[key].removesuffix("人")) == round(run.plan.sites["new_demand"].iloc[i])


def test_by_area_demand_per_township(demo, written) -> None:
    run, townships = demo
    units = read_boundaries(townships, coords="gcj02").to_crs(run.cells.crs)
    p = _Tables()
    p.feed(written[0].read_text(encoding="utf-8"))
    rows = {r[0]: r for r in p.tables["by-area"][1:]}
    # every cell counts in the township holding most of its area: the overlap of every cell
    # with every township, with shapely directly
    pts = run.cells.geometry
    half = np.sqrt(run.cells["cell_area_m2"].to_numpy()) / 2  # the cells are grid centres
    cells = np.array(
        [
            shapely.box(x - h, y - h, x + h, y + h)
            for x, y, h in zip(pts.x, pts.y, half, strict=True)
        ]
    )
    area = np.column_stack([shapely.area(shapely.intersection(cells, g)) for g in units.geometry])
    best = np.where(area.max(axis=1) > 0, area.argmax(axis=1), -1)
    w = run.cells["demand"].to_numpy()
    for j, name in enumerate(units["name"]):
        assert _n(rows[name][1]) == round(float(w[best == j].sum()))
    outside = float(w[best < 0].sum())
    if outside:
        assert _n(rows["（区外）"][1]) == round(outside)
    assert _n(rows["合计"][1]) == round(float(w.sum()))


def test_two_way_figures_are_explained(demo, written) -> None:
    run, _ = demo
    text = html.unescape(_page_text(written[0]))
    s = run.plan.summary().set_index("tier")
    # sector coverage by tier counts the places' demand, by area the residents: both
    # figures are in the note under the area table, with what each counts
    by_res_b = run.plan.before.summary().set_index("tier").loc["sector", "share"]
    by_res_a = run.plan.after.summary().set_index("tier").loc["sector", "share"]
    note = text.split("（二）按地区", 2)[-1]
    assert f"全区合计由{100 * by_res_b:.1f}%提高到{100 * by_res_a:.1f}%" in note
    assert (
        f"按园区用工需求计的行业性覆盖率（由{100 * s.loc['sector', 'share_before']:.1f}%"
        f"提高到{100 * s.loc['sector', 'share_after']:.1f}%）"
    ) in note
    assert "行业灵活用工需求（共" in text


def test_assumptions_list_settings_and_sources(demo, written) -> None:
    run, _ = demo
    page = html.unescape(written[0].read_text(encoding="utf-8"))
    assert "4.5 km/h" in page and "15 km/h" in page
    assert "14.0%" in page  # participation rate of the demo cells
    for spec in run.inputs.study.inputs.values():
        for path in spec.paths.values():
            assert path.name in page
    assert run.date.isoformat() in page


def test_chinese_proposal_holds_no_english(demo, written) -> None:
    run, _ = demo
    assert english_words(_page_text(written[0])) == []
    md = re.sub(r"\]\([^)]*\)", "]", html.unescape(written[1].read_text(encoding="utf-8")))
    assert english_words(md.replace("\\", "")) == []
    assert english_words(_docx_text(written[2])) == []
    # every note of the run has a Chinese text (none listed as untranslated)
    assert all(translate_note(n) for n in [*run.notes, *run.warnings])
    assert "未翻译" not in _page_text(written[0])


def test_english_checker_finds_the_old_reasons(demo) -> None:
    run, _ = demo
    # the plan's reasons are Chinese now (planner.analysis.reasons); the old English ones
    # are what the checker is for
    assert all(english_words(r) == [] for r in run.plan.sites["reason"])
    old = "综合性零工市场 at bus_station 东岭镇东: newly covers 4,889 workers by bus/ebike"
    assert "newly covers" in " ".join(english_words(old))
    assert english_words("town_centre (town_centre)") == []  # ids pass, but …
    assert english_words("选址依托 town centre") == ["town centre"]


def test_outputs_section_of_the_study_fills_the_front_matter(demo, tmp_path: Path) -> None:
    run, _ = demo
    study = dataclasses.replace(
        run.inputs.study,
        outputs=OutputSpec(
            dir=tmp_path,
            title="示范县零工市场布局方案",
            issuing_unit="示范县人力资源和社会保障局",
            date=dt.date(2025, 3, 1),
        ),
    )
    r = dataclasses.replace(run, inputs=dataclasses.replace(run.inputs, study=study))
    h, _, d = write_proposal(r, tmp_path)
    text = _page_text(h)
    assert "示范县零工市场布局方案" in text
    assert "发文单位：示范县人力资源和社会保障局" in text
    assert "成文日期：2025年3月1日" in text
    doc = docx.Document(str(d))
    assert doc.paragraphs[0].text == "示范县零工市场布局方案"
    assert doc.core_properties.created == dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def test_english_proposal(demo, tmp_path: Path) -> None:
    run, _ = demo
    h, _, d = write_proposal(run, tmp_path, language="en")
    text = _page_text(h)
    assert "Siting proposal for public gig-labour markets" in text
    assert "3. Proposed sites" in text and "7.1 Coverage rules" in text
    for head in (
        "2.4 By moment",
        "5. Opening hours and capacity",
        "5.1 Existing markets closed",
        "6. What each new site buys",
        "7. Method, assumptions and data",
    ):
        assert head in text, head
    assert "points marked heuristic come from the greedy sequence and carry a proven bound" in text
    assert "Every layer is in 示范县（合成示例数据）.gpkg" in text
    assert "neighbourhood station" in text
    assert "二、覆盖情况" not in text
    heads = [p.text for p in docx.Document(str(d)).paragraphs if p.style.name == "Heading 1"]
    assert heads[0] == "1. Overview and main findings"


def test_same_inputs_same_bytes(demo, written, tmp_path: Path) -> None:
    run, townships = demo
    again = write_proposal(run, tmp_path, units=read_boundaries(townships, coords="gcj02"))
    for a, b in zip(written, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_input_text_is_escaped(demo, tmp_path: Path) -> None:
    run, _ = demo
    sites = run.plan.sites.copy()
    sites["anchor_name"] = sites["anchor_name"].astype(object)
    sites.loc[sites.index[0], "anchor_name"] = f"a|b {EVIL}"
    markets = run.markets.copy()
    markets["name"] = markets["name"].astype(object)
    markets.loc[:, "name"] = EVIL
    evil = dataclasses.replace(
        run, markets=markets, plan=dataclasses.replace(run.plan, sites=sites)
    )
    h, m, _ = write_proposal(evil, tmp_path)
    page = h.read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    md = m.read_text(encoding="utf-8")
    assert "<script>alert" not in md
    assert "a\\|b &lt;script&gt;alert(1)&lt;/script&gt;" in md
    # the fact table row with the evil anchor keeps its two columns
    row = next(ln for ln in md.splitlines() if ln.startswith("| 选址依托") and "script" in ln)
    assert len(re.findall(r"(?<!\\)\|", row)) == 3
    for svg in (tmp_path / "proposal_files").glob("*.svg"):
        assert "<script>" not in svg.read_text(encoding="utf-8")


def test_never_writes_over_a_file_planner_did_not_write(demo, tmp_path: Path) -> None:
    run, _ = demo
    (tmp_path / "proposal.html").write_text("mine", encoding="utf-8")
    with pytest.raises(InputFileError, match="was not written by planner"):
        write_proposal(run, tmp_path)
    assert (tmp_path / "proposal.html").read_text(encoding="utf-8") == "mine"


def test_md_escape_by_hand() -> None:
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("x_y*z") == "x\\_y\\*z"
    assert md_escape("<b>&") == "&lt;b&gt;&amp;"
    assert md_escape("line1\nline2") == "line1 line2"
    assert md_escape(float("nan")) == ""


def test_site_svg_counts_cells(demo) -> None:
    run, _ = demo
    site = run.plan.sites.iloc[0]
    svg = site_svg(run, site["site_id"], radius_m=1500.0)
    c = run.cells.geometry.centroid
    x, y = site.geometry.x, site.geometry.y
    n = int(((abs(c.x - x) < 1500) & (abs(c.y - y) < 1500)).sum())
    # one rect per cell plus the background
    assert svg.count("<rect ") == n + 1
    assert svg.startswith("<svg") and svg.endswith("</svg>")


def test_site_svg_draws_each_cell_where_it_is(demo) -> None:
    # Map every rect back to metres and match it to the cells around the site, found with
    # geopandas; the outlined ones must be exactly the cells the plan newly covers.
    run, _ = demo
    size, r = 320, 2000.0
    for site in run.plan.sites.head(4).itertuples():
        svg = site_svg(run, site.site_id, radius_m=r, size_px=size)
        k = size / (2 * r)
        x0, y0 = site.geometry.x - r, site.geometry.y - r
        c = run.cells.geometry.centroid
        near = np.flatnonzero(
            ((c.x > x0) & (c.x < x0 + 2 * r) & (c.y > y0) & (c.y < y0 + 2 * r)).to_numpy()
        )
        rects = re.findall(
            r'<rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="[\d.]+" '
            r'fill="#f03b20" fill-opacity="([\d.]+)"( stroke="#1a9641")?',
            svg,
        )
        assert len(rects) == len(near)
        cx = np.array([float(a) + float(w) / 2 for a, _, w, _, _ in rects]) / k + x0
        cy = y0 + (size - np.array([float(b) + float(w) / 2 for _, b, w, _, _ in rects])) / k
        # rects come in cell order and each lands on its cell: the centre, the corner and
        # the width are each rounded to 0.1 px, so at most 0.05 + 0.05 + 0.025 px off
        tol = 0.125 / k + 1e-6
        assert np.allclose(cx, c.x.to_numpy()[near], rtol=0, atol=tol)
        assert np.allclose(cy, c.y.to_numpy()[near], rtol=0, atol=tol)
        col = f"{site.tier}_covered"
        new = (
            run.plan.after.cells[col].to_numpy(dtype=bool)
            & ~run.plan.before.cells[col].to_numpy(dtype=bool)
        )[near]
        assert [bool(o) for *_, o in rects] == new.tolist()
        w = run.cells["demand"].to_numpy()[near]
        alpha = 0.1 + 0.7 * np.minimum(w / w.max(), 1.0)
        assert np.allclose([float(a) for *_, a, _ in rects], alpha, rtol=0, atol=0.005 + 1e-9)


def test_site_svg_draws_named_roads_markets_and_boundaries(demo) -> None:
    run, _ = demo
    streets = run.inputs.roads.streets
    site = run.plan.sites.iloc[0]
    svg = site_svg(run, site["site_id"], radius_m=3000.0)
    # the named main roads within the window are labelled (some of them: labels never overlap)
    window = shapely.box(
        site.geometry.x - 2900,
        site.geometry.y - 2900,
        site.geometry.x + 2900,
        site.geometry.y + 2900,
    )
    main = streets[streets["highway"].isin(["primary", "secondary", "tertiary"])]
    named = set(main.loc[main.intersects(window), "name"].dropna())
    labels = set(re.findall(r'fill="#7a4b00" text-anchor="middle"[^>]*>([^<]+)</text>', svg))
    assert labels and labels <= named | set(streets["name"].dropna())
    # every existing market inside the window is a circle with its name
    for m in run.markets.itertuples():
        if window.contains(m.geometry):
            assert f"<title>{html.escape(m.name)} ({m.market_id})</title>" in svg
    assert "stroke-dasharray" in svg or run.inputs.area.units.boundary.intersects(window).sum() == 0


def test_proposal_maps_equal_site_svg(demo, written) -> None:
    # the proposal reads the coordinates once for all sites; each map must be the one
    # site_svg draws on its own
    run, townships = demo
    units = read_boundaries(townships, coords="gcj02")
    files = written[1].parent / f"{written[1].stem}_files"
    for sid in run.plan.sites["site_id"]:
        assert (files / f"{sid}.svg").read_text(encoding="utf-8") == (
            site_svg(run, sid, units=units) + "\n"
        )


def test_bad_inputs(demo, tmp_path: Path) -> None:
    run, _ = demo
    with pytest.raises(InvalidValueError, match="unknown proposal format"):
        write_proposal(run, tmp_path, formats=("pdf",))
    with pytest.raises(InvalidValueError, match="not a plain file name"):
        write_proposal(run, tmp_path, stem="../x")
    with pytest.raises(InvalidValueError, match="unknown proposal language 'fr'"):
        write_proposal(run, tmp_path, language="fr")
    with pytest.raises(InvalidValueError, match="no proposed site 'nope'"):
        site_svg(run, "nope")


# ---- the answers to the bureau's questions (issue #11) -----------------------------------

STATUS_ZH = {"optimal": "最优", "heuristic": "启发式", "time_limit": "达到时间上限"}


def _md_tables(path: Path) -> list[list[list[str]]]:
    """Every Markdown table of a file: rows of cells (the separator row left out)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip().replace("\\", "") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if not all(re.fullmatch(r"-+", c) for c in cells):
                current.append([html.unescape(c) for c in cells])
        elif current:
            tables.append(current)
            current = []
    return tables


def _docx_tables(path: Path) -> list[list[list[str]]]:
    return [[[c.text for c in r.cells] for r in t.rows] for t in docx.Document(str(path)).tables]


def _with_header(tables: list[list[list[str]]], *first: str) -> list[list[list[str]]]:
    return [t for t in tables if t and t[0][: len(first)] == list(first)]


def _pct(v: float) -> str:
    return f"{100 * v:.1f}%"


def _expected_moments(run: StudyRun) -> list[list[str]]:
    """The moments table by hand: any time from the plan's coverage, then each moment's
    shares, the markets open counted from their hours."""
    tiers = list(run.plan.before.rules)
    tb = run.plan.before.summary().set_index("tier")["share"]
    ta = run.plan.after.summary().set_index("tier")["share"]
    n = len(run.markets)
    rows = [["任意时段", f"{n}/{n}处"] + [_pct(v) for t in tiers for v in (tb[t], ta[t])]]
    for mc in run.moments:
        hours = run.markets["opening_hours"].tolist()
        n_open = sum(h is None or h.is_open(mc.when) for h in hours)
        shares = mc.shares()
        rows.append(
            [mc.moment.label_zh, f"{n_open}/{n}处"] + [_pct(v) for t in tiers for v in shares[t]]
        )
    return rows


def test_moments_table_equals_the_run_in_html_md_and_word(demo, written) -> None:
    run, _ = demo
    assert len(run.moments) == 4
    want = _expected_moments(run)
    p = _Tables()
    p.feed(written[0].read_text(encoding="utf-8"))
    assert p.tables["moments"][1:] == want
    (md,) = _with_header(_md_tables(written[1]), "时段", "开放的现有市场")
    assert md[1:] == want
    (word,) = _with_header(_docx_tables(written[2]), "时段", "开放的现有市场")
    assert word[1:] == want
    # at dawn some market is closed, so some moment covers less than any time, never more
    tb = run.plan.before.summary().set_index("tier")["share"]
    lower = [b < tb[t] - 1e-12 for mc in run.moments for t, (b, _) in mc.shares().items()]
    assert any(lower)
    assert all(b <= tb[t] + 1e-12 for mc in run.moments for t, (b, _) in mc.shares().items())
    text = _page_text(written[0])
    hours = "；".join(f"{TIER_ZH[t]}{settings.PROPOSED_HOURS[t]}" for t in run.plan.before.rules)
    assert f"拟建站点建议开放时间：{hours}。" in text


def test_curve_tables_equal_the_curves(demo, written) -> None:
    run, _ = demo
    tiers = [t for t in run.plan.before.rules if t in run.curves]
    assert tiers == ["comprehensive", "sector", "station"]
    p = _Tables()
    p.feed(written[0].read_text(encoding="utf-8"))
    md = _with_header(_md_tables(written[1]), "新增站点数（处）")
    word = _with_header(_docx_tables(written[2]), "新增站点数（处）")
    assert len(md) == len(word) == len(tiers)
    for i, tier in enumerate(tiers):
        want = [
            [str(int(r.k)), f"{r.covered:,.0f}", _pct(r.share), STATUS_ZH[r.status], _pct(r.gap)]
            for r in run.curves[tier].points.itertuples()
        ]
        assert p.tables[f"curve-{tier}"][1:] == want
        assert md[i][1:] == want and word[i][1:] == want
        # the plan's chosen k is its number of sites of the tier (those pruned left out)
        assert run.curves[tier].chosen == int((run.plan.sites["tier"] == tier).sum())
    # the station curve is the greedy one with proven bounds: it says so
    assert (run.curves["station"].points["status"] == "heuristic").any()
    assert "标注“启发式”的点由贪心算法求得，附有可证明的上界" in _page_text(written[0])


def _kneedle(k: np.ndarray, y: np.ndarray) -> int:
    xn = (k - k[0]) / (k[-1] - k[0])
    yn = (y - y[0]) / (y[-1] - y[0])
    return int(k[int(np.argmax(yn - xn))])


def test_curve_svg_marks_the_plan_and_the_knee_where_they_are(demo, written) -> None:
    run, _ = demo
    files = written[1].parent / f"{written[1].stem}_files"
    for tier, curve in run.curves.items():
        svg = (files / f"curve-{tier}.svg").read_text(encoding="utf-8")
        pts = curve.points
        k = pts["k"].to_numpy(dtype=float)
        y = pts["covered"].to_numpy(dtype=float)
        # the x axis from its own tick labels: two of them fix where every k lies
        ticks = {
            int(t): float(x)
            for x, t in re.findall(r'<text x="([\d.]+)" y="[\d.]+" [^>]*middle">(\d+)</text>', svg)
        }
        lo, hi = min(ticks), max(ticks)
        x_lo, x_hi = ticks[lo], ticks[hi]

        def x_of(
            kv: float, lo: int = lo, hi: int = hi, x_lo: float = x_lo, x_hi: float = x_hi
        ) -> float:
            return x_lo + (kv - lo) / (hi - lo) * (x_hi - x_lo)

        chosen = int((run.plan.sites["tier"] == tier).sum())
        m = re.search(
            r'<path d="M([\d.]+) [\d.]+ L([\d.]+) [\d.]+"[^>]*><title>本方案 (\d+)处</title>', svg
        )
        assert m is not None and int(m.group(3)) == chosen
        assert float(m.group(1)) == float(m.group(2)) == pytest.approx(x_of(chosen), abs=0.15)
        # the knee, found by hand with the Kneedle rule, is ringed where its point is
        knee = _kneedle(k, y)
        ring = re.search(r'<path d="M([^"]+) Z"[^>]*><title>拐点 (\d+)处</title>', svg)
        assert ring is not None and int(ring.group(2)) == knee == curve.knee
        xy = np.array([float(v) for v in re.findall(r"[\d.]+", ring.group(1))]).reshape(-1, 2)
        circles = {
            int(kk): (float(cx), float(cy))
            for cx, cy, kk in re.findall(
                r'<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*><title>(\d+)处：', svg
            )
        }
        assert xy[:, 0].mean() == pytest.approx(x_of(knee), abs=0.15)
        assert xy[:, 1].mean() == pytest.approx(circles[knee][1], abs=0.15)
        # every point at its k, and its height a linear function of the covered workers
        assert sorted(circles) == k.astype(int).tolist()
        for kv in circles:
            assert circles[kv][0] == pytest.approx(x_of(kv), abs=0.15)
        cy = np.array([circles[int(kv)][1] for kv in k])
        fit = np.polyfit(y, cy, 1)
        assert fit[0] < 0 and np.abs(np.polyval(fit, y) - cy).max() < 0.1


def test_dawn_flags_capacity_and_site_hours(demo, written) -> None:
    run, _ = demo
    p = _Tables()
    p.feed(written[0].read_text(encoding="utf-8"))
    hours = dict(zip(run.markets["market_id"], run.markets["opening_hours"], strict=True))
    names = dict(zip(run.markets["market_id"], run.markets["name"], strict=True))
    dawn = [m for m in run.moments if 4 * 60 <= m.moment.minute < 10 * 60]
    assert len(run.dawn) > 0
    want = []
    for r in run.dawn.itertuples():
        h = hours[r.market_id]
        closed = [mc.moment.label_zh for mc in dawn if not h.is_open(mc.when)]
        gain = parse_moment(r.moment).label_zh if isinstance(r.moment, str) else "—"
        want.append(
            [
                f"{names[r.market_id]}（{r.market_id}）",
                TIER_ZH[r.tier],
                str(h),
                "、".join(closed),
                gain,
                f"{r.new_workers:,.0f}" if isinstance(r.moment, str) else "—",
            ]
        )
    assert p.tables["dawn"][1:] == want
    (word,) = _with_header(_docx_tables(written[2]), "市场", "层级", "公布的开放时间")
    assert word[1:] == want
    # capacity of the existing markets: expected = catchment × the attendance share
    share = settings.DAILY_ATTENDANCE_SHARE
    cap_rows = p.tables["capacity"][1:]
    assert len(cap_rows) == len(run.markets)
    for row, r in zip(cap_rows, run.capacity.itertuples(), strict=True):
        assert row[0] == f"{names[r.market_id]}（{r.market_id}）"
        assert _n(row[2]) == round(r.catchment)
        assert _n(row[3]) == round(r.catchment * share)
        assert _n(row[4]) == r.capacity
        assert row[5] == ("超员" if r.catchment * share > r.capacity else "未超员")
    # new stations against the study's capacity (100): over-full ones by hand, in plan order
    sites = run.plan.sites.reset_index(drop=True)
    over = [
        i for i, s in sites.iterrows() if s["tier"] == "station" and s["new_demand"] * share > 100
    ]
    assert over, "the fixture's capacity should leave some station over-full"
    annex = p.tables["annex-sites"][1:]
    assert p.tables["site-capacity"][1:] == [
        [
            f"{i + 1}. {annex[i][1]}",
            TIER_ZH["station"],
            f"{sites.loc[i, 'new_demand'] * share:,.0f}",
            "100",
        ]
        for i in over
    ]
    n_given = int((sites["tier"] == "station").sum())
    text = _page_text(written[0])
    assert f"{len(over)}处预计日到场超过容纳人数，见下表；其余{n_given - len(over)}处未超员" in text
    # each site's facts: its proposed hours and expected attendance
    for i, s in sites.iterrows():
        facts = dict(p.tables[f"facts-{s['site_id']}"])
        assert facts["建议开放时间"] == settings.PROPOSED_HOURS[s["tier"]]
        expected = f"约{s['new_demand'] * share:,.0f}人"
        if s["tier"] == "station":
            flag = "超员" if i in over else "未超员"
            expected += f"（容纳人数100人，{flag}）"
        assert facts["预计日到场人数"] == expected
    assert "全部图层见 示范县（合成示例数据）.gpkg，可用 QGIS/ArcGIS 打开，样式已内置。" in text


def test_planning_assumptions_are_said_in_words_not_code_names(demo, written, tmp_path) -> None:
    # The bureau's reader cannot look up planner.settings: the capacity rule says what the
    # share is (a planning assumption) and that the study file cannot change it.
    run, _ = demo
    md = written[1].read_text(encoding="utf-8").replace("\\", "")
    for text in (_page_text(written[0]), md, _docx_text(written[2])):
        assert "（每日到场比例，为规划假设，研究文件中不可调整）" in text
        assert not re.search(r"planner\.[a-z]", text), re.search(r"planner\.\S+", text)
        assert "settings" not in english_words(text)
    h, _, _ = write_proposal(run, tmp_path, language="en")
    en = _page_text(h)
    assert "(daily attendance share, a planning assumption the study file cannot change)" in en
    assert not re.search(r"planner\.[a-z]", en)


def test_models_and_solver_are_named_for_a_bureau(demo, written, tmp_path) -> None:
    # 最少站点覆盖模型 (not LSCP alone, nor 集合覆盖模型), the solver as HiGHS, not "highs"
    run, _ = demo
    text = _page_text(written[0])
    assert "求解器highs" not in text and "集合覆盖模型" not in text
    lines = text.split("（三）选址模型")[-1].split("（四）数据来源")[0]  # past the contents
    assert run.plan.tiers
    for t, tp in run.plan.tiers.items():
        assert tp.result.solver == "highs"  # the demo's default solver
        target = re.fullmatch(r"LSCP target (\d+)% of coverable demand", tp.model)
        assert target, tp.model
        assert (
            f"{TIER_ZH[t]}：最少站点覆盖模型（LSCP），覆盖可覆盖需求的{target.group(1)}%；"
            f"求解状态：最优（求解器HiGHS，差距{100 * tp.result.gap:.1f}%）"
        ) in lines
    h, _, _ = write_proposal(run, tmp_path, language="en")
    assert "location set covering (LSCP)" in _page_text(h)
    assert "(solver HiGHS, gap " in _page_text(h)


def test_bus_date_and_parameters_only_when_the_run_used_buses(demo, written, thin) -> None:
    run, _ = demo
    assert "bus" in run.graphs  # the demo's GTFS feed
    text = _page_text(written[0])
    assert f"公交测算日期：{run.date.isoformat()}" in text
    assert "公交运行速度" in text and "公交测算时段" in text and "公交只计入该时刻后" in text
    _, (h, m, d) = thin
    md = m.read_text(encoding="utf-8")
    for page in (_page_text(h), md, _docx_text(d)):
        assert "公交测算日期" not in page
        assert "公交测算时段" not in page and "公交运行速度" not in page
        assert "默认发车间隔" not in page
        assert "公交按研究时段" not in page and "公交只计入" not in page
        assert "“任意时段”计入全部现有市场；其余各行只计入该时刻" in page


def test_sector_column_named_only_when_the_document_has_it(demo, written, thin) -> None:
    text = _page_text(written[0])
    assert "行业性零工市场一列" in text  # the demo has the sector tier
    assert "本表各层级均按居民计，行业性零工市场一列与第（二）部分同一口径。" in text
    _, (h, m, d) = thin
    for page in (_page_text(h), m.read_text(encoding="utf-8"), _docx_text(d)):
        assert "行业性零工市场规划前" not in page  # no sector column …
        assert "行业性零工市场一列" not in page  # … so no sentence about it
        assert "一列与第（二）部分同一口径" not in page
        assert "本表各层级均按居民计。" in page


def test_sources_give_coordinates_only_to_files_that_have_them(demo, tmp_path) -> None:
    # A census table and a bus line table hold no coordinates: their section's coords is
    # the boundaries' and the stations', not theirs.
    run, _ = demo
    study = run.inputs.study
    census = InputSpec(
        name="population",
        kind="census",
        paths={"boundaries": tmp_path / "counties.geojson", "table": tmp_path / "census.csv"},
        coords="gcj02",
    )
    bus = InputSpec(
        name="transit",
        kind="tables",
        paths={
            "lines": tmp_path / "lines.csv",
            "stations": tmp_path / "stations.csv",
            "line_stations": tmp_path / "seq.csv",
        },
        coords="bd09",
    )
    inputs = {**study.inputs, "population": census, "transit": bus}
    r = dataclasses.replace(
        run,
        inputs=dataclasses.replace(run.inputs, study=dataclasses.replace(study, inputs=inputs)),
    )
    (h,) = write_proposal(r, tmp_path / "out", formats=("html",))
    p = _Tables()
    p.feed(h.read_text(encoding="utf-8"))
    coords = {row[1]: row[2] for row in p.tables["sources"][1:]}
    assert coords == {
        study.area.path.name: "GCJ-02",
        "roads.osm.pbf": "WGS-84",  # OSM is WGS-84 by definition
        "counties.geojson": "GCJ-02",
        "census.csv": "不含坐标",
        "markets.csv": "GCJ-02",
        "places.csv": "GCJ-02",
        "lines.csv": "不含坐标",
        "stations.csv": "BD-09",
        "seq.csv": "不含坐标",
        "work_logs.csv": "不含坐标",
    }


def test_markets_off_the_network_are_counted_as_the_document_lists_them(tmp_path) -> None:
    # A station where no road is: the notes name it (and any proposed site off the roads by
    # its number and name in part 三) instead of "5个市场中有2个" counts of whatever markets
    # one of the run's many coverage computations had (existing, proposed, open at a moment).
    files = write_demo_inputs(tmp_path / "demo", scale=0.3)
    text = files.study.read_text(encoding="utf-8")
    for section in ("[inputs.transit]", "[inputs.places]"):
        text = re.sub(re.escape(section) + r"\n[^[]*", "", text)
    files.study.write_text(text, encoding="utf-8")
    inputs = load_inputs(load_study(files.study))
    assert inputs.roads is not None and inputs.markets is not None
    minx, miny, maxx, maxy = inputs.area.geometry.bounds
    xy = np.mgrid[minx:maxx:500.0, miny:maxy:500.0].reshape(2, -1).T
    xy = xy[shapely.contains_xy(inputs.area.geometry, xy[:, 0], xy[:, 1])]
    nodes = inputs.roads.nodes.to_crs(inputs.markets.crs)
    d = np.min(
        np.hypot(
            xy[:, None, 0] - nodes.geometry.x.to_numpy()[None, :],
            xy[:, None, 1] - nodes.geometry.y.to_numpy()[None, :],
        ),
        axis=1,
    )
    assert d.max() > 2 * settings.MAX_SNAP_M  # the demo has roadless corners
    far = inputs.markets.iloc[[-1]].copy()
    far["market_id"], far["name"], far["tier"] = "FAR-01", "远郊零工服务站", "station"
    far = far.set_geometry([shapely.Point(xy[np.argmax(d)])], crs=inputs.markets.crs)
    inputs = dataclasses.replace(inputs, markets=pd.concat([inputs.markets, far]))
    run = run_study(inputs)
    assert not [n for n in run.notes if re.search(r"\d+ of \d+ markets are more than", n)]
    off = [n for n in run.notes if "existing market(s) more than" in n]
    assert off == [
        f"walk, ebike: 1 existing market(s) more than {settings.MAX_SNAP_M:,.0f} m from the"
        " network (or without coordinates), unreachable by this mode: 远郊零工服务站 (FAR-01)"
    ]
    h, md, word = write_proposal(run, tmp_path / "out")
    page = _page_text(h)
    for text in (page, md.read_text(encoding="utf-8").replace("\\", ""), _docx_text(word)):
        assert f"现有零工市场{len(run.markets)}处" in text
        assert (
            f"步行、电动自行车：1处现有市场距路网超过{settings.MAX_SNAP_M:,.0f}米（或无坐标），"
            "无法以此方式到达：远郊零工服务站（FAR-01）。"
        ) in text
        assert "个市场中有" not in text
    # proposed sites off the roads, if any, by their number and name in part 三
    titles = {f"{i}. {name}" for i, name in re.findall(r"(\d+)\. (\S+?)（拟建", page)}
    for note in re.findall(r"\d+处拟建站点距路网超过[^。]*。", page):
        named = re.findall(r"(\d+)号“([^”]+)”", note.split("：", 1)[1])
        assert named and all(f"{i}. {n}" in titles for i, n in named), note
        assert "C-" not in note


def test_site_reasons_are_the_plans(demo, written) -> None:
    # one composer: the proposal's reason is the plan's, where the site is said with its
    # area and name (which the plan does not know)
    run, _ = demo
    text = html.unescape(_page_text(written[0]))
    for site in run.plan.sites.itertuples():
        first, rest = site.reason.split("。", 1)
        assert (
            f"{first.split('依托')[-1]}。{rest}" in text
            if isinstance(site.anchor_name, str) and site.anchor_name
            else rest in text
        )


def test_floors_met_or_not(demo, tmp_path: Path) -> None:
    run, _ = demo
    assert run.floors is not None and len(run.floors) == 0  # the demo has no groups
    floors = pd.DataFrame(
        {
            "tier": ["station", "station"],
            "group": ["older", "low_income"],
            "floor": [0.5, 0.3],
            "achieved": [0.62, 0.215],
            "met": [True, False],
        }
    )
    h, d = write_proposal(
        dataclasses.replace(run, floors=floors), tmp_path, formats=("html", "docx")
    )
    p = _Tables()
    p.feed(h.read_text(encoding="utf-8"))
    want = [
        ["零工服务站点", "60岁以上人员", "50.0%", "62.0%", "达到"],
        ["零工服务站点", "低收入人员", "30.0%", "21.5%", "未达到"],
    ]
    assert p.tables["floors"][1:] == want
    (word,) = _with_header(_docx_tables(d), "层级", "重点群体", "覆盖底线")
    assert word[1:] == want


def test_no_floors_no_scenarios_said_so(written) -> None:
    text = _page_text(written[0])
    assert "研究文件未设定重点群体覆盖底线" in text
    assert "方案比较" not in text and 'id="scenarios"' not in written[0].read_text("utf-8")
    assert not (written[1].parent / f"{written[1].stem}_files" / "scenarios.svg").exists()


@pytest.fixture(scope="module")
def written_scen(scen, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    runs, _ = scen
    h, m, d = write_proposal(runs["base"], tmp_path_factory.mktemp("scen"), scenarios=runs)
    return h, m, d


def test_scenario_section_equals_the_scenario_table(scen, written_scen) -> None:
    runs, _ = scen
    table = scenario_table(runs)
    want = [
        [
            "基准方案" if r.scenario == "base" else r.scenario,
            TIER_ZH[r.tier],
            f"{r.threshold_min:,.0f}",
            f"{r.demand:,.0f}",
            _pct(r.share_before),
            _pct(r.share_after),
            str(r.new_sites),
            f"{r.workers_per_site:,.0f}",
        ]
        for r in table.itertuples()
    ]
    assert [w[0] for w in want] == ["基准方案"] * 3 + ["walk20"] * 3
    p = _Tables()
    p.feed(written_scen[0].read_text(encoding="utf-8"))
    assert p.tables["scenarios"][1:] == want
    (word,) = _with_header(_docx_tables(written_scen[2]), "方案", "层级")
    assert word[1:] == want
    (md,) = _with_header(_md_tables(written_scen[1]), "方案", "层级")
    assert md[1:] == want
    heads = [
        q.text
        for q in docx.Document(str(written_scen[2])).paragraphs
        if q.style.name == "Heading 1"
    ]
    assert heads[6:8] == ["七、方案比较", "八、测算方法、假设与数据"]
    # the maps side by side: one panel per scenario, titled with its number of new sites
    svg = (written_scen[1].parent / "proposal_files" / "scenarios.svg").read_text("utf-8")
    for name, r in runs.items():
        label = "基准方案" if name == "base" else name
        assert f">{label}（新增{len(r.plan.sites)}处）</text>" in svg
    assert english_words(_page_text(written_scen[0])) == []


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> tuple[StudyRun, tuple[Path, Path, Path]]:
    """The thin demo without roads (straight lines) and without the station tier."""
    files = write_demo_inputs(tmp_path_factory.mktemp("bare"), scale=0.3)
    text = files.study.read_text(encoding="utf-8")
    for section in ("[inputs.transit]", "[inputs.places]", "[inputs.roads]"):
        text = re.sub(re.escape(section) + r"\n[^[]*", "", text)
    text += "\n[tiers.station]\nenabled = false\n"
    files.study.write_text(text, encoding="utf-8")
    run = run_study(load_inputs(load_study(files.study)))
    assert run.inputs.roads is None and set(run.plan.before.rules) == {"comprehensive"}
    return run, write_proposal(run, tmp_path_factory.mktemp("bare-proposal"))


def test_tier_rows_and_snapping_are_said_only_for_what_the_run_has(thin, bare) -> None:
    _, (h, m, d) = thin  # roads; the comprehensive and station tiers
    for page in (_page_text(h), m.read_text(encoding="utf-8"), _docx_text(d)):
        assert "说明：综合性零工市场、零工服务站点两行的“需求”为研究区灵活就业人员" in page
        assert "市场、站点到路网的最大距离" in page
    _, (h, m, d) = bare  # straight lines; the comprehensive tier alone
    for page in (_page_text(h), m.read_text(encoding="utf-8"), _docx_text(d)):
        assert "说明：综合性零工市场一行的“需求”为研究区灵活就业人员" in page
        assert "两行" not in page and "路网的最大距离" not in page

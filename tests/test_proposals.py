"""Tests of planner.publish.proposals: the siting proposal in HTML and Markdown."""

from __future__ import annotations

import dataclasses
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from planner.demo import write_demo_inputs
from planner.errors import InvalidValueError
from planner.inputs import load_inputs
from planner.io.vector import read_boundaries
from planner.pipeline import run_study
from planner.publish.proposals import md_escape, site_svg, write_proposal
from planner.run import StudyRun
from planner.study import load_study

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[StudyRun, Path]:
    files = write_demo_inputs(tmp_path_factory.mktemp("demo"), scale=0.3)
    return run_study(load_inputs(load_study(files.study))), files.townships


@pytest.fixture(scope="module")
def written(
    demo: tuple[StudyRun, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    run, townships = demo
    out = tmp_path_factory.mktemp("proposal")
    units = read_boundaries(townships, coords="gcj02")
    h, m = write_proposal(run, out, units=units)
    return h, m


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


def _n(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def _check_summary(rows: list[list[str]], run: StudyRun) -> None:
    s = run.plan.summary()
    assert len(rows) == len(s)
    for row, exp in zip(rows, s.itertuples(), strict=True):
        assert f"({exp.tier})" in row[0]
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
    block = text.split("### 按层级 by tier", 1)[1].split("需求单位", 1)[0]
    lines = [ln for ln in block.splitlines() if ln.startswith("|")][2:]
    rows = [[c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in lines]
    _check_summary(rows, run)


def test_every_site_has_a_section_and_a_map(demo, written) -> None:
    run, _ = demo
    page = written[0].read_text(encoding="utf-8")
    md = written[1].read_text(encoding="utf-8")
    n = len(run.plan.sites)
    assert n > 0
    assert page.count('<section class="site"') == n
    assert page.count("<svg ") == n
    for sid in run.plan.sites["site_id"]:
        assert f'id="site-{sid}"' in page
        assert "### " in md and f"]({written[1].stem}_files/{sid}.svg)" in md
        assert (written[1].parent / f"{written[1].stem}_files" / f"{sid}.svg").is_file()
    assert not list(written[0].parent.glob(".*.tmp"))


def test_by_area_demand_per_township(demo, written) -> None:
    run, townships = demo
    units = read_boundaries(townships, coords="gcj02").to_crs(run.cells.crs)
    p = _Tables()
    p.feed(written[0].read_text(encoding="utf-8"))
    rows = {r[0]: r for r in p.tables["by-area"][1:]}
    cent = run.cells.geometry.centroid
    total = 0.0
    for name, poly in zip(units["name"], units.geometry, strict=True):
        # demand of the cells whose centre lies in the township, with shapely directly
        exp = float(run.cells["demand"][cent.within(poly).to_numpy()].sum())
        assert _n(rows[name][1]) == round(exp)
        total += _n(rows[name][1])
    total += _n(rows["(区外)"][1]) if "(区外)" in rows else 0.0
    assert total == pytest.approx(run.cells["demand"].sum(), abs=len(rows))


def test_assumptions_list_settings_and_sources(demo, written) -> None:
    run, _ = demo
    page = html.unescape(written[0].read_text(encoding="utf-8"))
    assert "4.5 km/h" in page and "15 km/h" in page
    assert "14.0%" in page  # participation rate of the demo cells
    for spec in run.inputs.study.inputs.values():
        for path in spec.paths.values():
            assert path.name in page
    assert run.date.isoformat() in page


def test_input_text_is_escaped(demo, tmp_path: Path) -> None:
    run, _ = demo
    sites = run.plan.sites.copy()
    sites["anchor_name"] = sites["anchor_name"].astype(object)
    sites.loc[sites.index[0], "anchor_name"] = EVIL
    sites.loc[sites.index[0], "reason"] = f"a|b {EVIL}"
    markets = run.markets.copy()
    markets["name"] = markets["name"].astype(object)
    markets.loc[:, "name"] = EVIL
    evil = dataclasses.replace(
        run, markets=markets, plan=dataclasses.replace(run.plan, sites=sites)
    )
    h, m = write_proposal(evil, tmp_path)
    page = h.read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    md = m.read_text(encoding="utf-8")
    assert "<script>alert" not in md
    assert "a\\|b &lt;script&gt;alert(1)&lt;/script&gt;" in md
    # the fact table row with the evil anchor keeps its two columns
    row = next(ln for ln in md.splitlines() if ln.startswith("| 选址依托") and "script" in ln)
    assert len(re.findall(r"(?<!\\)\|", row)) == 3
    svg = (tmp_path / "proposal_files" / f"{sites['site_id'].iloc[0]}.svg").read_text()
    assert "<script>" not in svg


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


def test_proposal_maps_equal_site_svg(demo, written) -> None:
    # the proposal reads the coordinates once for all sites; each map must be the one
    # site_svg draws on its own
    run, _ = demo
    files = written[1].parent / f"{written[1].stem}_files"
    for sid in run.plan.sites["site_id"]:
        assert (files / f"{sid}.svg").read_text(encoding="utf-8") == site_svg(run, sid) + "\n"


def test_bad_inputs(demo, tmp_path: Path) -> None:
    run, _ = demo
    with pytest.raises(InvalidValueError, match="unknown proposal format"):
        write_proposal(run, tmp_path, formats=("pdf",))
    with pytest.raises(InvalidValueError, match="not a plain file name"):
        write_proposal(run, tmp_path, stem="../x")
    with pytest.raises(InvalidValueError, match="no proposed site 'nope'"):
        site_svg(run, "nope")

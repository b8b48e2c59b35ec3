"""Real studies end to end: ``planner run`` on the Shandong files in ../shared/data, with the
study written as the template says (the template's keys, the user's paths), not a cleaned
copy. Each expectation is computed here from the raw files, independently of planner.
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import docx
import pytest
import shapely
from typer.testing import CliRunner

from planner.cli import app
from planner.publish.proposal_text import english_words
from planner.study import study_template

pytestmark = pytest.mark.realdata

runner = CliRunner()


def _census(shared_data: Path) -> dict[str, tuple[str, float]]:
    path = shared_data / "shandong-census2020" / "shandong_population_2020_county.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["CODE"]: (r["NAME"], float(r["POPU"])) for r in csv.DictReader(f)}


def _wgs84_polygons(shared_data: Path, codes: set[str]) -> dict[str, shapely.Geometry]:
    path = shared_data / "shandong-admin" / "shandong_counties_wgs84.geojson"
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return {
        f["properties"]["adcode"]: shapely.geometry.shape(f["geometry"])
        for f in features
        if f["properties"]["adcode"] in codes
    }


def _study(
    tmp: Path, shared_data: Path, replace: dict[str, str], drop: tuple[str, ...] = ()
) -> Path:
    """The template with the user's paths put in, as a user edits it."""
    admin = shared_data / "shandong-admin" / "shandong_counties_gcj02.geojson"
    census = shared_data / "shandong-census2020" / "shandong_population_2020_county.csv"
    bus = shared_data / "yantai-bus"
    text = study_template()
    text = text.replace('"shandong_counties_gcj02.geojson"', f'"{admin}"')
    text = text.replace('"shandong_population_2020_county.csv"', f'"{census}"')
    text = text.replace(
        '"markets.csv"',
        f'"{shared_data / "shandong-gig-markets" / "shandong_gig_markets_published.csv"}"',
    )
    for name in ("yantai_bus_lines.csv", "yantai_bus_stations.csv", "yantai_bus_line_stations.csv"):
        text = text.replace(f'"{name}"', f'"{bus / name}"')
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    lines = text.splitlines()
    for section in drop:  # delete a whole [section] of the template
        start = lines.index(section)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith(("[", "# ---"))),
            len(lines),
        )
        del lines[start:end]
    p = tmp / "study.toml"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _run(study: Path) -> dict[str, object]:
    r = runner.invoke(app, ["run", str(study), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output
    summary = json.loads((study.parent / "output" / "summary.json").read_text(encoding="utf-8"))
    summary["_output"] = r.output
    return summary


def _no_english(folder: Path) -> None:
    """The Chinese proposal (Markdown and Word) holds no English sentence."""
    md = html.unescape((folder / "proposal.md").read_text(encoding="utf-8"))
    assert english_words(re.sub(r"\]\([^)]*\)", "]", md).replace("\\", "")) == []
    d = docx.Document(str(folder / "proposal.docx"))
    text = [p.text for p in d.paragraphs] + [
        c.text for t in d.tables for r in t.rows for c in r.cells
    ]
    assert english_words("\n".join(text)) == []


def test_yantai_two_districts_with_bus_tables_and_no_roads(
    tmp_path: Path, shared_data: Path
) -> None:
    census = _census(shared_data)
    expected = census["370602"][1] + census["370613"][1]  # 芝罘区 + 莱山区
    s = _run(_study(tmp_path, shared_data, {}))
    assert s["population"] == pytest.approx(expected, rel=0.01)
    assert "公交站点" in str(s["demand_spread"])  # people placed by bus-stop density
    tiers = s["tiers"]
    assert isinstance(tiers, dict)
    assert tiers["comprehensive"]["share_by_mode"]["bus"] > 0
    assert "sector" not in tiers  # no places: left out with a note, not a 0 % row
    assert tiers["comprehensive"]["new_sites"] >= 1
    assert tiers["station"]["new_sites"] >= 1
    polys = _wgs84_polygons(shared_data, {"370602", "370613"})
    both = shapely.union_all(list(polys.values())).buffer(1e-4)  # ~10 m of rounding
    sites = s["sites"]
    assert isinstance(sites, list) and sites
    for site in sites:
        assert both.contains(shapely.Point(site["lon"], site["lat"])), site
    # the markets of other cities in the province's list are left out, with a note
    assert any("lie outside the study area and are left out" in n for n in s["notes"])
    # the development zones of Yantai without a polygon are named, with the fix
    assert any("烟台高新技术产业开发区" in n and "add_to" in n for n in s["notes"])
    assert "[2/5] networks" in str(s["_output"]) and "[5/5] published" in str(s["_output"])
    proposal = (tmp_path / "output" / "proposal" / "proposal.md").read_text(encoding="utf-8")
    assert "人口按公交站点密度分布" in proposal  # the proposal says how people were placed
    _no_english(tmp_path / "output" / "proposal")


def test_yantai_with_the_high_tech_zone_added_to_laishan(tmp_path: Path, shared_data: Path) -> None:
    census = _census(shared_data)
    expected = census["370602"][1] + census["370613"][1] + census["370671"][1]
    study = _study(
        tmp_path,
        shared_data,
        {'# add_to = { "370671" = "370613" }': 'add_to = { "370671" = "370613" }'},
    )
    r = runner.invoke(app, ["check", str(study), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert f"{expected:,.0f} people" in r.output


def test_weihai_edge_list_is_flagged_as_a_partial_network(
    tmp_path: Path, shared_data: Path
) -> None:
    roads = shared_data / "weihai-hit-roads"
    study = _study(
        tmp_path,
        shared_data,
        {
            'codes = ["370602", "370613"]': 'codes = ["371002"]',
            "# [inputs.roads]": "[inputs.roads]",
            '# kind = "edges"': 'kind = "edges"',
            '# nodes = "nodes.csv"': f'nodes = "{roads / "nodes.csv"}"',
            '# edges = "edges.csv"': f'edges = "{roads / "edges.csv"}"',
        },
        drop=("[inputs.transit]",),
    )
    s = _run(study)
    census = _census(shared_data)
    assert s["population"] == pytest.approx(census["371002"][1], rel=0.01)
    warnings = s["warnings"]
    assert isinstance(warnings, list) and len(warnings) == 1
    assert warnings[0].startswith("PARTIAL ROAD NETWORK")
    share = int(warnings[0].split("%")[0].split()[-1])
    assert share > 50  # a 6 × 3 km corner of a 990 km² district
    assert "WARNING: PARTIAL ROAD NETWORK" in str(s["_output"])
    proposal = (tmp_path / "output" / "proposal" / "proposal.md").read_text(encoding="utf-8")
    assert "路网不完整：" in proposal.split("## 一、", 1)[0]  # the warning comes first, in Chinese
    # new sites off the 6 × 3 km of roads are named by their number and name in part 三, not
    # counted among "N个市场" of whichever coverage computation met them
    assert "个市场中有" not in proposal
    off = re.findall(r"\d+处拟建站点距路网超过[^。]*。", proposal)
    assert off, "the sites far from the few roads should be named"
    for note in off:
        for i, name in re.findall(r"(\d+)号“([^”]+)”", note):
            assert f"### {i}. {name}（拟建" in proposal, note
    _no_english(tmp_path / "output" / "proposal")


def test_boundaries_census_and_markets_only_serve_every_county(
    tmp_path: Path, shared_data: Path
) -> None:
    # The four counties of the published market list: none of its markets has coordinates,
    # so every county needs a comprehensive market of its own (鲁人社字〔2022〕3号).
    codes = ["370212", "370281", "371602", "371403"]
    study = _study(
        tmp_path,
        shared_data,
        {'codes = ["370602", "370613"]': f"codes = {json.dumps(codes)}"},
        drop=("[inputs.transit]",),
    )
    s = _run(study)
    census = _census(shared_data)
    assert s["population"] == pytest.approx(sum(census[c][1] for c in codes), rel=0.01)
    tiers = s["tiers"]
    assert isinstance(tiers, dict)
    assert tiers["comprehensive"]["new_sites"] >= len(codes)
    assert tiers["station"]["new_sites"] >= 1
    polys = _wgs84_polygons(shared_data, set(codes))
    served = set()
    for site in s["sites"]:
        if site["tier"] == "comprehensive":
            pt = shapely.Point(site["lon"], site["lat"])
            served |= {c for c, g in polys.items() if g.buffer(1e-4).contains(pt)}
    assert served == set(codes)
    assert any("bus left out" in n for n in s["notes"])

"""Study file parsing (planner/study.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.errors import MissingFileError, StudyFileError
from planner.study import Study, load_study

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "data" / "study_template.toml"

FILES = [
    "boundaries.geojson",
    "shandong-latest.osm.pbf",
    "chn_ppp_2020_100m.tif",
    "markets_template.csv",
    "places.csv",
    "gtfs.zip",
    "work_logs.csv",
]


@pytest.fixture()
def study_dir(tmp_path: Path) -> Path:
    shutil.copy(TEMPLATE, tmp_path / "study.toml")
    for name in FILES:
        (tmp_path / name).write_text("x")
    return tmp_path


def _write(d: Path, text: str) -> Path:
    p = d / "study.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_template_parses(study_dir: Path) -> None:
    s = load_study(study_dir / "study.toml")
    assert s.name == "烟台市芝罘区零工市场布局"
    assert s.area.coords == "gcj02" and s.area.codes == ("370602",)
    assert s.inputs["markets"].path == study_dir / "markets_template.csv"
    assert s.inputs["markets"].coords == "gcj02"
    assert s.inputs["transit"].kind == "gtfs"
    assert s.inputs["population"].kind == "grid"
    assert s.tiers["station"].threshold_min == 15.0
    assert s.tiers["station"].modes == ("walk", "ebike")
    assert s.tiers["station"].rural_radius_m == 5000.0
    assert s.output_dir == study_dir / "output"
    assert Study.from_file(study_dir / "study.toml") == s


MINIMAL = '[study]\nname = "x"\n[area]\npath = "boundaries.geojson"\n'


@pytest.mark.parametrize(
    ("extra", "error", "match"),
    [
        (
            '[inputs.markets]\npath = "places.csv"\ncoord = "gcj02"\n',
            StudyFileError,
            r"key 'inputs.markets.coord': unknown key. Fix: use one of: coords, path, sheet",
        ),
        (
            '[inputs.markets]\npath = "places.csv"\ncoords = "gcj2"\n',
            StudyFileError,
            r"key 'inputs.markets.coords': unknown coordinate system 'gcj2'",
        ),
        (
            "[inputs.markets]\npath = 3\n",
            StudyFileError,
            r"key 'inputs.markets.path': expected text, found an integer 3",
        ),
        (
            '[inputs.markets]\npath = "nope.csv"\n',
            MissingFileError,
            r"key 'inputs.markets.path': file 'nope.csv' does not exist",
        ),
        (
            '[inputs.markets]\ncoords = "gcj02"\n',
            StudyFileError,
            r"key 'inputs.markets.path': required key is missing",
        ),
        (
            '[inputs.bikes]\npath = "places.csv"\n',
            StudyFileError,
            r"key 'inputs.bikes': unknown input",
        ),
        (
            '[inputs.transit]\nkind = "timetable"\npath = "gtfs.zip"\n',
            StudyFileError,
            r"key 'inputs.transit.kind': unknown kind 'timetable'. Fix: use one of: gtfs, tables",
        ),
        (
            "[tiers.station]\nthreshold_min = -5\n",
            StudyFileError,
            r"key 'tiers.station.threshold_min': must be positive",
        ),
        (
            '[tiers.station]\nmodes = ["walk", "taxi"]\n',
            StudyFileError,
            r"key 'tiers.station.modes': unknown mode 'taxi'",
        ),
        (
            "[tiers.market]\nthreshold_min = 5\n",
            StudyFileError,
            r"key 'tiers.market': unknown tier",
        ),
        (
            "[tiers.station]\nthreshold_min = true\n",
            StudyFileError,
            r"expected an integer or a number, found bool True",
        ),
        ('[output]\ndir = "x"\n', StudyFileError, r"key 'output': unknown section"),
    ],
)
def test_bad_study_files_name_the_key(
    study_dir: Path, extra: str, error: type[Exception], match: str
) -> None:
    p = _write(study_dir, MINIMAL + extra)
    with pytest.raises(error, match=match):
        load_study(p)


def test_missing_sections_and_bad_toml(study_dir: Path) -> None:
    with pytest.raises(StudyFileError, match=r"key 'area': section \[area\] is missing"):
        load_study(_write(study_dir, '[study]\nname = "x"\n'))
    with pytest.raises(StudyFileError, match="not valid TOML"):
        load_study(_write(study_dir, "[study\nname = 1"))
    with pytest.raises(MissingFileError, match="study file does not exist"):
        load_study(study_dir / "none.toml")
    with pytest.raises(StudyFileError, match=r"key 'study.projection': 'lambert' is not allowed"):
        load_study(
            _write(study_dir, MINIMAL.replace('name = "x"', 'name = "x"\nprojection = "lambert"'))
        )

"""Study file parsing (planner/study.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import MissingFileError, StudyFileError
from planner.study import Study, load_study, study_template

FILES = [
    "shandong_counties_gcj02.geojson",
    "shandong_population_2020_county.csv",
    "markets.csv",
    "yantai_bus_lines.csv",
    "yantai_bus_stations.csv",
    "yantai_bus_line_stations.csv",
    "boundaries.geojson",
    "places.csv",
    "extra_sites.csv",
]


@pytest.fixture()
def study_dir(tmp_path: Path) -> Path:
    (tmp_path / "study.toml").write_text(study_template(), encoding="utf-8")
    for name in FILES:
        (tmp_path / name).write_text("x")
    return tmp_path


def _write(d: Path, text: str) -> Path:
    p = d / "study.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_template_parses(study_dir: Path) -> None:
    s = load_study(study_dir / "study.toml")
    assert s.name == "烟台市芝罘区、莱山区零工市场布局"
    assert s.area.coords == "gcj02" and s.area.codes == ("370602", "370613")
    assert s.inputs["markets"].path == study_dir / "markets.csv"
    assert s.inputs["markets"].coords == "gcj02"
    assert s.inputs["transit"].kind == "tables"
    assert s.inputs["transit"].coords == "bd09"
    assert s.inputs["population"].kind == "census"
    assert (
        s.inputs["population"].paths["table"] == study_dir / "shandong_population_2020_county.csv"
    )
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


def test_every_key_of_the_template_parses(study_dir: Path) -> None:
    # Uncomment every commented section and key of the template, up to the first alternative
    # ``# kind = ...`` of a section: the template documents only keys the parser accepts,
    # with values it accepts.
    lines = []
    alternative = False
    for line in study_template().splitlines():
        body = line[2:] if line.startswith("# ") else None
        if line.startswith("[") or (body is not None and body.startswith("[")):
            alternative = False
            lines.append(body if body is not None else line)
            continue
        key = body.split("=", 1)[0].strip() if body is not None and "=" in body else ""
        if key == "kind":
            alternative = True
        if key.isidentifier() and not alternative:
            lines.append(body or "")
        else:
            lines.append(line)
    for name in (
        "shandong-latest.osm.pbf",
        "chn_ppp_2020_100m.tif",
        "shandong_ages_2020_county.csv",
        "work_logs.csv",
    ):
        (study_dir / name).write_text("x")
    s = load_study(_write(study_dir, "\n".join(lines)))
    assert s.inputs["roads"].options["clip_buffer_m"] == 10000
    assert s.inputs["places"].coords == "gcj02"
    assert s.demand.priority_weights == {"aged_60_plus": 1.0}
    assert s.candidates.exclude == ("C-comp-0003",) and s.candidates.add_coords == "gcj02"
    assert s.tiers["comprehensive"].max_new == 3
    assert s.tiers["comprehensive"].floors == {"aged_60_plus": 0.8}
    assert s.inputs["population"].options["add_to"] == {"370671": "370613"}
    assert s.inputs["transit"].options["on_unknown_stop"] == "drop"
    assert s.plan.time_limit_s == 60 and s.plan.county_rule is True
    assert s.network.window == ("05:00", "09:00")
    assert s.outputs is not None and s.outputs.issuing_unit == "烟台市人力资源和社会保障局"
    assert s.outputs.date is not None and s.outputs.date.isoformat() == "2025-03-01"
    assert s.run.split == "auto" and s.run.workers == 2 and s.run.buffer_km == 12.5
    assert s.run.scheduler == "tcp://10.0.0.5:8786" and s.run.memory_limit == "4GB"


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ("[demand]\nparticipation_rate_urban = 1.5\n", r"'demand.participation_rate_urban'"),
        ("[tiers.station]\ntarget_share = 0\n", r"'tiers.station.target_share': must be a share"),
        ("[tiers.station]\nfloors = { old = 2 }\n", r"value of 'old' must be a fraction"),
        ("[plan]\ncounty_rule = 1\n", r"'plan.county_rule': expected true or false"),
        ("[plan]\nsolver = 'gurobi'\n", r"'plan.solver': 'gurobi' is not allowed"),
        ("[network]\nwindow = ['5am', '9am']\n", r"'network.window': must be two times"),
        ("[network]\ndate = '2024-13-01'\n", r"'network.date': must be a date"),
        ("[outputs]\ntiles = 'google'\n", r"'outputs.tiles': 'google' is not a tile source"),
        ("[outputs]\ntiles = 'tianditu'\n", r"'outputs.tianditu_key': .*need a browser key"),
        (
            "[outputs]\ntiles = 'tianditu'\ntianditu_key = 'my key'\n",
            r"'outputs.tianditu_key': .*'my key' is not one",
        ),
        (
            "[outputs]\ntiles = 'https://t.example.cn/{z}/{x}.png'\n",
            r"'outputs.tiles': .* is not a tile URL template",
        ),
        ("[demand]\nsector_gig_share = { mining = 0.1 }\n", r"unknown sector 'mining'"),
        ("[candidates]\nadd = 'nope.csv'\n", r"'candidates.add': file 'nope.csv' does not exist"),
    ],
)
def test_bad_values_of_the_new_sections(study_dir: Path, extra: str, match: str) -> None:
    with pytest.raises((StudyFileError, MissingFileError), match=match):
        load_study(_write(study_dir, MINIMAL + extra))


def test_missing_study_file_names_a_real_command(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match=r"planner template study .*study.toml"):
        load_study(tmp_path / "study.toml")


# --- every public option a run uses can be set in the study file ----------------------------

#: Keyword options of the functions a run calls → the study key that sets each. Options
#: listed in NOT_STUDY_OPTIONS are plumbing the pipeline supplies itself.
STUDY_KEYS: dict[str, dict[str, str]] = {
    "planner.io.vector:read_boundaries": {
        "coords": "area.coords",
        "codes": "area.codes",
        "names": "area.names",
        "code_column": "area.code_column",
        "name_column": "area.name_column",
    },
    "planner.io.census:read_census": {
        "code_column": "inputs.population.code_column",
        "count_column": "inputs.population.count_column",
        "name_column": "inputs.population.name_column",
        "group_columns": "inputs.population.groups",
        "group_table": "inputs.population.group_table",
        "coords": "inputs.population.coords",
        "boundary_code_column": "inputs.population.boundary_code_column",
        "boundary_name_column": "inputs.population.boundary_name_column",
        "add_to": "inputs.population.add_to",
    },
    "planner.io.spread:spread_weights": {
        "method": "inputs.population.spread",
        "cell_size_m": "inputs.population.cell_size_m",
        "grid": "inputs.population.spread_grid",
    },
    "planner.io.population:read_population_grid": {
        "band": "inputs.population.band",
        "aggregate_m": "inputs.population.aggregate_m",
    },
    "planner.io.osm:read_osm": {"clip_buffer_m": "inputs.roads.clip_buffer_m"},
    "planner.io.markets:read_markets": {
        "coords": "inputs.markets.coords",
        "sheet": "inputs.markets.sheet",
    },
    "planner.io.places:read_places": {
        "coords": "inputs.places.coords",
        "sheet": "inputs.places.sheet",
        "kind": "inputs.places.kind",
    },
    "planner.io.transit:read_route_tables": {
        "coords": "inputs.transit.coords",
        "headway_min": "inputs.transit.headway_min",
        "summer_months": "inputs.transit.summer_months",
        "on_unknown_stop": "inputs.transit.on_unknown_stop",
        "on_unknown_line": "inputs.transit.on_unknown_line",
        "agency": "inputs.transit.agency",
    },
    "planner.analysis.demand:worker_demand": {
        "rate_urban": "demand.participation_rate_urban",
        "rate_rural": "demand.participation_rate_rural",
        "urban_density_per_km2": "demand.urban_density_per_km2",
        "priority_weights": "demand.priority_weights",
    },
    "planner.analysis.demand:sector_demand": {
        "gig_share": "demand.sector_gig_share",
        "default_workforce": "demand.default_workforce",
    },
    "planner.analysis.candidates:candidate_sites": {
        "hub_min_routes": "candidates.hub_min_routes",
        "street_spacing_m": "candidates.street_spacing_m",
        "add": "candidates.add",
        "exclude": "candidates.exclude",
        "merge_m": "candidates.merge_m",
        "window": "network.window",
        "date": "network.date",
    },
    "planner.analysis.plan:make_plan": {
        "units": "plan.county_rule",
        "rules": "tiers.<tier>.threshold_min/modes/rural_radius_m/enabled",
        "max_new": "tiers.<tier>.max_new",
        "target_share": "tiers.<tier>.target_share",
        "min_new_demand": "tiers.<tier>.min_new_demand",
        "capacity": "tiers.<tier>.capacity",
        "floors": "tiers.<tier>.floors",
        "time_limit_s": "plan.time_limit_s",
        "solver": "plan.solver",
    },
    "planner.pipeline:prepare_study": {"date": "network.date", "window": "network.window"},
    "planner.province.runner:run_province": {
        "workers": "run.workers",
        "scheduler": "run.scheduler",
        "buffer_m": "run.buffer_km",
        "memory_limit": "run.memory_limit",
        "cache": "run.cache",
    },
}

#: Options the pipeline supplies from other stages (not the user's to set).
NOT_STUDY_OPTIONS = {
    "area",
    "crs",
    "progress",
    "report",
    "tolerance_m",  # read_osm: the area tolerance of every reader, a setting
    "streets",  # read_osm: the pipeline always reads streets
    "columns",  # read_route_tables: header mapping; headers are recognised automatically
    "allow_missing_coords",  # read_markets: rows without coordinates are kept and counted
    "strict_hours",  # read_markets: the study path never stops on hours (kept as published)
    "outside",  # read_markets: a study drops the markets of other places (warned)
    "osm_places",
    "feed",
    "places",
    "markets",
    "walk",
    "sector",  # candidate_sites: the plan asks per sector itself
    "units",
    "demand",
    "demand_covered",
    "cluster_m",  # candidate_sites: sized from the tier's threshold and modes
    "stops",
    "even_share",  # spread_weights: a setting with its source
    "groups",  # make_plan: the population's groups
    "weight",
    "fallback",
    "before",
    "graphs",
    "planned",  # prepare_study: sites kept from an earlier round (planner run --sites)
    "on_county",  # run_province: the command line's progress bar
    "task",  # run_province: the county task (tests inject faults)
}


def _keyword_options(target: str) -> set[str]:
    import importlib
    import inspect

    module, name = target.split(":")
    fn = getattr(importlib.import_module(module), name)
    return {
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind == inspect.Parameter.KEYWORD_ONLY
    }


@pytest.mark.parametrize("target", sorted(STUDY_KEYS))
def test_every_public_option_has_a_study_key(target: str) -> None:
    options = _keyword_options(target)
    mapped = set(STUDY_KEYS[target])
    unmapped = options - mapped - NOT_STUDY_OPTIONS
    assert not unmapped, f"{target}: options without a study key: {sorted(unmapped)}"
    assert mapped <= options, f"{target}: mapped options that no longer exist: {mapped - options}"


def test_mapped_study_keys_exist() -> None:
    from planner import study as st

    sections = {
        "area": st._AREA_KEYS,
        "demand": st._DEMAND_KEYS,
        "candidates": st._CANDIDATE_KEYS,
        "tiers.<tier>": st._TIER_KEYS,
        "plan": st._PLAN_KEYS,
        "network": st._NETWORK_KEYS,
        "outputs": st._OUTPUT_KEYS,
        "run": st._RUN_KEYS,
    }
    for name, kinds in st._INPUT_KINDS.items():
        sections[f"inputs.{name}"] = {k: v for kind in kinds.values() for k, v in kind.items()}
    for target, mapping in STUDY_KEYS.items():
        for option, key in mapping.items():
            section, _, rest = key.rpartition(".")
            assert section in sections, f"{target}.{option}: no section {section}"
            for k in rest.split("/"):
                assert k in sections[section], f"{target}.{option}: no key {section}.{k}"

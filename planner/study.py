"""The study file (``study.toml``): what area, which inputs, which parameters, where outputs go.

Parsing gives one validated, immutable :class:`Study`. Unknown keys, wrong types,
bad values and missing files are :class:`~planner.errors.StudyFileError` (or
:class:`~planner.errors.MissingFileError`) naming the key, e.g.
``study.toml: key 'inputs.markets.coords': unknown coordinate system 'gcj2'``.

Everything a run can be told from Python can be told here: the readers' options under
``[inputs.*]``, demand assumptions under ``[demand]``, candidate sites to add or exclude
under ``[candidates]``, per-tier thresholds, modes, targets, budgets, capacities and equity
floors under ``[tiers.*]``, the county rule and the solver under ``[plan]``, the bus service
day and window under ``[network]``, how a study over many counties is split and where its
tasks run under ``[run]``, and the title, issuing unit and date of the published
documents under ``[outputs]``. ``tests/test_study.py`` checks that every public option of
the functions a run calls has a key.

Relative paths are read from the study file's folder. ``planner template study`` writes a
documented template with every key.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

from planner import settings
from planner.errors import CRSError, MissingFileError, StudyFileError
from planner.io.coords import normalise_coord_system

__all__ = [
    "MODES",
    "AreaSpec",
    "CandidateSpec",
    "DemandSpec",
    "InputSpec",
    "NetworkSpec",
    "OutputSpec",
    "PlanSpec",
    "RunSpec",
    "Study",
    "TierSpec",
    "load_study",
    "study_template",
]

PathArg = str | PathLike[str]

MODES = ("walk", "ebike", "bus", "drive")

# --- the schema: each section's keys, their types, checks, and which name files ------------

_Check = Callable[[Any], str | None]  # returns a problem ("must be positive") or None


@dataclass(frozen=True)
class _Key:
    types: tuple[type, ...]
    required: bool = False
    is_path: bool = False
    choices: tuple[str, ...] | None = None
    check: _Check | None = None


_STR = (str,)
_NUM = (int, float)
_INT = (int,)
_BOOL = (bool,)
_LIST = (list,)
_TABLE = (dict,)


def _positive(v: Any) -> str | None:
    return None if v > 0 else f"must be positive, found {v}"


def _non_negative(v: Any) -> str | None:
    return None if v >= 0 else f"must be 0 or more, found {v}"


def _share(v: Any) -> str | None:
    return None if 0 < v <= 1 else f"must be a share in (0, 1], found {v}"


def _fraction(v: Any) -> str | None:
    return None if 0 <= v <= 1 else f"must be a fraction in [0, 1], found {v}"


def _numbers(check: _Check) -> _Check:
    """A table of name → number, each value passing ``check``."""

    def run(table: Any) -> str | None:
        for k, v in table.items():
            if isinstance(v, bool) or not isinstance(v, int | float):
                return f"value of '{k}' must be a number, found {v!r}"
            problem = check(v)
            if problem:
                return f"value of '{k}' {problem}"
        return None

    return run


def _texts(table: Any) -> str | None:
    for k, v in table.items():
        if not isinstance(v, str | list):
            return f"value of '{k}' must be a column name or a list of them, found {v!r}"
    return None


_HHMM = re.compile(r"^\d{1,2}:\d{2}$")


def _window(v: Any) -> str | None:
    if len(v) != 2 or not all(isinstance(t, str) and _HHMM.match(t) for t in v):
        return f'must be two times like ["05:00", "09:00"], found {v!r}'
    return None


def _iso_date(v: Any) -> str | None:
    try:
        dt.date.fromisoformat(v)
    except ValueError:
        return f"must be a date like 2024-03-05, found {v!r}"
    return None


def _moments(v: Any) -> str | None:
    from planner.errors import InvalidValueError
    from planner.io.hours.moment import parse_moment

    for m in v:
        try:
            parse_moment(str(m))
        except InvalidValueError as exc:
            return f"{exc.message} ({exc.fix})"
    return None


def _modes(v: Any) -> str | None:
    for m in v:
        if m not in MODES:
            return f"unknown mode {m!r} (use {', '.join(MODES)})"
    return None


_STUDY_KEYS: dict[str, _Key] = {
    "name": _Key(_STR, required=True),
    "projection": _Key(_STR, choices=("utm", "cgcs2000")),
    "description": _Key(_STR),
}
_AREA_KEYS: dict[str, _Key] = {
    "path": _Key(_STR, required=True, is_path=True),
    "coords": _Key(_STR),
    "codes": _Key(_LIST),
    "names": _Key(_LIST),
    "code_column": _Key(_STR),
    "name_column": _Key(_STR),
}
# inputs.<name>: allowed keys per kind. The first kind listed is the default.
_INPUT_KINDS: dict[str, dict[str, dict[str, _Key]]] = {
    "roads": {
        "osm": {
            "path": _Key(_STR, required=True, is_path=True),
            "clip_buffer_m": _Key(_NUM, check=_non_negative),
        },
        "edges": {
            "nodes": _Key(_STR, required=True, is_path=True),
            "edges": _Key(_STR, required=True, is_path=True),
        },
    },
    "population": {
        "grid": {
            "path": _Key(_STR, required=True, is_path=True),
            "band": _Key(_INT, check=_positive),
            "aggregate_m": _Key(_NUM, check=_positive),
        },
        "census": {
            "boundaries": _Key(_STR, required=True, is_path=True),
            "table": _Key(_STR, required=True, is_path=True),
            "coords": _Key(_STR),
            "code_column": _Key(_STR),
            "count_column": _Key(_STR),
            "name_column": _Key(_STR),
            "boundary_code_column": _Key(_STR),
            "boundary_name_column": _Key(_STR),
            "cell_size_m": _Key(_NUM, check=_positive),
            "groups": _Key(_TABLE, check=_texts),
            "group_table": _Key(_STR, is_path=True),
            "add_to": _Key(_TABLE),
            "spread": _Key(_STR, choices=("auto", "grid", "roads", "stops", "even")),
            "spread_grid": _Key(_STR, is_path=True),
        },
    },
    "markets": {
        "table": {
            "path": _Key(_STR, required=True, is_path=True),
            "coords": _Key(_STR),
            "sheet": _Key((str, int)),
        }
    },
    "places": {
        "table": {
            "path": _Key(_STR, required=True, is_path=True),
            "coords": _Key(_STR),
            "sheet": _Key((str, int)),
            "kind": _Key(_STR),
        }
    },
    "transit": {
        "gtfs": {"path": _Key(_STR, required=True, is_path=True)},
        "tables": {
            "lines": _Key(_STR, required=True, is_path=True),
            "stations": _Key(_STR, required=True, is_path=True),
            "line_stations": _Key(_STR, required=True, is_path=True),
            "coords": _Key(_STR),
            "headway_min": _Key(_NUM, check=_positive),
            "on_unknown_stop": _Key(_STR, choices=("drop", "error")),
            "on_unknown_line": _Key(_STR, choices=("drop", "error")),
            "summer_months": _Key(_LIST),
            "agency": _Key(_STR),
        },
    },
    "work_logs": {"table": {"path": _Key(_STR, required=True, is_path=True)}},
}
_DEMAND_KEYS: dict[str, _Key] = {
    "participation_rate_urban": _Key(_NUM, check=_fraction),
    "participation_rate_rural": _Key(_NUM, check=_fraction),
    "urban_density_per_km2": _Key(_NUM, check=_positive),
    "priority_weights": _Key(_TABLE, check=_numbers(_non_negative)),
    "default_workforce": _Key(_NUM, check=_non_negative),
    "sector_gig_share": _Key(_TABLE, check=_numbers(_fraction)),
}
_CANDIDATE_KEYS: dict[str, _Key] = {
    "add": _Key(_STR, is_path=True),
    "add_coords": _Key(_STR),
    "exclude": _Key(_LIST),
    "hub_min_routes": _Key(_INT, check=_positive),
    "street_spacing_m": _Key(_NUM, check=_positive),
    "merge_m": _Key(_NUM, check=_non_negative),
}
_TIER_KEYS: dict[str, _Key] = {
    "threshold_min": _Key(_NUM, check=_positive),
    "modes": _Key(_LIST, check=_modes),
    "rural_radius_m": _Key(_NUM, check=_positive),
    "max_new": _Key(_INT, check=_positive),
    "target_share": _Key(_NUM, check=_share),
    "min_new_demand": _Key(_NUM, check=_non_negative),
    "capacity": _Key(_NUM, check=_positive),
    "floors": _Key(_TABLE, check=_numbers(_fraction)),
    "enabled": _Key(_BOOL),
}
_PLAN_KEYS: dict[str, _Key] = {
    "county_rule": _Key(_BOOL),
    "solver": _Key(_STR, choices=("auto", "highs", "cbc", "heuristic")),
    "time_limit_s": _Key(_NUM, check=_positive),
}
_NETWORK_KEYS: dict[str, _Key] = {
    "date": _Key(_STR, check=_iso_date),
    "window": _Key(_LIST, check=_window),
    "moments": _Key(_LIST, check=_moments),
}
_SCHEDULER = re.compile(r"^(tcp|tls|inproc|ucx)://\S+$")


def _scheduler(v: Any) -> str | None:
    if not _SCHEDULER.match(v):
        return f"must be a Dask scheduler address like 'tcp://10.0.0.5:8786', found {v!r}"
    return None


_MEMORY = re.compile(r"^(auto|\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB))$", re.IGNORECASE)


def _memory(v: Any) -> str | None:
    if not _MEMORY.match(v.strip()):
        return f'must be a size like "4GB" or "auto", found {v!r}'
    return None


_RUN_KEYS: dict[str, _Key] = {
    "split": _Key(_STR, choices=("auto", "county", "none")),
    "workers": _Key(_INT, check=_positive),
    "scheduler": _Key(_STR, check=_scheduler),
    "buffer_km": _Key(_NUM, check=_non_negative),
    "memory_limit": _Key(_STR, check=_memory),
    "cache": _Key(_BOOL),
}
_OUTPUT_KEYS: dict[str, _Key] = {
    "dir": _Key(_STR),
    "title": _Key(_STR),
    "issuing_unit": _Key(_STR),
    "date": _Key(_STR, check=_iso_date),
    "language": _Key(_STR, choices=("zh", "en")),
    "tiles": _Key(_STR),
    "tianditu_key": _Key(_STR),
    "gpkg_crs": _Key(_STR, choices=("wgs84", "cgcs2000", "projected")),
}


# --- what a parsed study holds ---------------------------------------------------------------


@dataclass(frozen=True)
class AreaSpec:
    """The ``[area]`` section: the boundary file and which units of it form the study area."""

    path: Path
    coords: str | None = None
    codes: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    code_column: str | None = None
    name_column: str | None = None


@dataclass(frozen=True)
class InputSpec:
    """One ``[inputs.<name>]`` section: its kind, file paths (resolved) and options."""

    name: str
    kind: str
    paths: Mapping[str, Path]
    coords: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        """The main file (``path`` key) of inputs that have one."""
        return self.paths["path"]


@dataclass(frozen=True)
class TierSpec:
    """A tier's parameters from ``[tiers.<tier>]`` (``None``: the later stages' default)."""

    tier: str
    threshold_min: float | None = None
    modes: tuple[str, ...] = ()
    rural_radius_m: float | None = None
    max_new: int | None = None
    target_share: float | None = None
    min_new_demand: float | None = None
    capacity: float | None = None
    floors: Mapping[str, float] = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True)
class DemandSpec:
    """``[demand]``: participation rates, urban density, priority weights, sector assumptions."""

    participation_rate_urban: float = settings.PARTICIPATION_RATE_URBAN
    participation_rate_rural: float = settings.PARTICIPATION_RATE_RURAL
    urban_density_per_km2: float = settings.URBAN_DENSITY_PER_KM2
    priority_weights: Mapping[str, float] = field(default_factory=dict)
    default_workforce: float | None = None
    sector_gig_share: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CandidateSpec:
    """``[candidates]``: sites to add (a file) or exclude, and how candidates are drawn."""

    add: Path | None = None
    add_coords: str | None = None
    exclude: tuple[str, ...] = ()
    hub_min_routes: int = settings.HUB_MIN_ROUTES
    street_spacing_m: float = settings.CANDIDATE_STREET_SPACING_M
    merge_m: float = settings.CANDIDATE_MERGE_M


@dataclass(frozen=True)
class PlanSpec:
    """``[plan]``: the one-market-per-county rule and the solver."""

    county_rule: bool = True
    solver: str = "auto"
    time_limit_s: float = settings.SITING_TIME_LIMIT_S


@dataclass(frozen=True)
class NetworkSpec:
    """``[network]``: the day and time window bus service is measured in, and the moments
    coverage is shown at (``"Mo 05:00"``: markets open then, buses running then)."""

    date: dt.date | None = None
    window: tuple[str, str] = settings.TRANSIT_WINDOW
    moments: tuple[str, ...] = settings.COVERAGE_MOMENTS


@dataclass(frozen=True)
class RunSpec:
    """``[run]``: how a study over many counties is split and where its tasks run.

    Attributes
    ----------
    split
        ``"auto"`` (by county when the area's counties belong to more than one city;
        a city's districts are planned together), ``"county"``
        or ``"none"`` (one run over the whole area).
    workers
        Worker processes of the embedded Dask ``LocalCluster`` (default: the machine's
        cores).
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``); the same tasks then
        run on that cluster.
    buffer_km
        Roads, transit and markets taken around each county (default: the longest tier
        threshold at the fastest mode's speed, capped; see :mod:`planner.province`).
    memory_limit
        Memory of each embedded worker (``"4GB"``; ``"auto"`` shares the machine's).
    cache
        Reuse the results of counties whose inputs did not change.
    """

    split: str = "auto"
    workers: int | None = None
    scheduler: str | None = None
    buffer_km: float | None = None
    memory_limit: str = "auto"
    cache: bool = True


@dataclass(frozen=True)
class OutputSpec:
    """``[outputs]``: where outputs go and what the published documents say about themselves."""

    dir: Path
    title: str | None = None
    issuing_unit: str | None = None
    date: dt.date | None = None
    language: str = "zh"
    tiles: str = "none"
    tianditu_key: str | None = None
    gpkg_crs: str = "wgs84"


@dataclass(frozen=True)
class Study:
    """A parsed, validated study file.

    Attributes
    ----------
    name
        The study's name.
    root
        Folder of the study file; relative paths were resolved against it.
    area
        The boundary file and unit filter.
    inputs
        Input sections by name (roads, population, markets, places, transit, work_logs).
    tiers
        Tier parameters given in the file.
    output_dir
        Where outputs go (``outputs.dir``).
    projection
        ``"utm"`` or ``"cgcs2000"``.
    demand, candidates, plan, network, outputs, run
        The other sections (defaults where the file is silent).
    scenarios
        ``[scenarios.NAME]``: the study with that table's keys overriding its own, by name.
    """

    name: str
    root: Path
    area: AreaSpec
    inputs: Mapping[str, InputSpec]
    tiers: Mapping[str, TierSpec]
    output_dir: Path
    projection: str = settings.DEFAULT_PROJECTION
    source: Path | None = None
    demand: DemandSpec = field(default_factory=DemandSpec)
    candidates: CandidateSpec = field(default_factory=CandidateSpec)
    plan: PlanSpec = field(default_factory=PlanSpec)
    network: NetworkSpec = field(default_factory=NetworkSpec)
    outputs: OutputSpec | None = None
    scenarios: Mapping[str, Study] = field(default_factory=dict)
    run: RunSpec = field(default_factory=RunSpec)

    @classmethod
    def from_file(cls, path: PathArg) -> Study:
        """Parse and validate a study file."""
        return load_study(path)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, root: PathArg, source: str = "study") -> Study:
        """Validate an already-parsed mapping (as from ``tomllib``); paths relative to ``root``."""
        return _Parser(Path(root), source).study(data)

    @property
    def files(self) -> list[Path]:
        """Every input file the study names (never overwritten by outputs)."""
        out = [self.area.path]
        for spec in self.inputs.values():
            out += list(spec.paths.values())
        if self.candidates.add is not None:
            out.append(self.candidates.add)
        return out


def study_template() -> str:
    """The documented study-file template (what ``planner template study`` writes)."""
    return resources.files("planner").joinpath("templates/study.toml").read_text("utf-8")


def load_study(path: PathArg) -> Study:
    """Read and validate ``study.toml``.

    Examples
    --------
    >>> from pathlib import Path
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "area.geojson").write_text("{}")
    >>> _ = (d / "study.toml").write_text('[study]\\nname = "x"\\n[area]\\npath = "area.geojson"\\n')
    >>> load_study(d / "study.toml").name
    'x'
    """
    p = Path(path)
    if not p.is_file():
        raise MissingFileError(
            "study file does not exist",
            path=p,
            fix=f"write one with `planner template study {p}` and edit it",
        )
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise StudyFileError(
            "study file is not UTF-8 text", path=p, fix="save it as UTF-8"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise StudyFileError(
            f"not valid TOML: {exc}", path=p, fix="check the quoting and brackets"
        ) from exc
    study = _Parser(p.parent.resolve(), str(p)).study(data)
    return Study(**{**study.__dict__, "source": p})


_SECTIONS = (
    "study",
    "area",
    "inputs",
    "demand",
    "candidates",
    "tiers",
    "plan",
    "network",
    "outputs",
    "run",
)


class _Parser:
    def __init__(self, root: Path, source: str, prefix: str = "") -> None:
        self.root = root
        self.source = source
        self.prefix = prefix

    def error(self, key: str, message: str, fix: str | None = None) -> StudyFileError:
        return StudyFileError(message, path=self.source, key=self.prefix + key, fix=fix)

    def section(self, data: Any, key: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.error(key, f"expected a table [{key}], found {type(data).__name__}")
        return data

    def keys(self, data: dict[str, Any], schema: Mapping[str, _Key], prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in data.items():
            full = f"{prefix}.{k}"
            if k not in schema:
                raise self.error(
                    full,
                    "unknown key",
                    fix=f"use one of: {', '.join(sorted(schema))} (check the spelling)",
                )
            spec = schema[k]
            is_bool = isinstance(v, bool)
            if is_bool != (spec.types == _BOOL) or not isinstance(v, spec.types):
                want = " or ".join(_type_name(t) for t in spec.types)
                found = "bool" if is_bool else _type_name(type(v))
                raise self.error(full, f"expected {want}, found {found} {v!r}")
            if spec.choices is not None and v not in spec.choices:
                raise self.error(
                    full, f"{v!r} is not allowed", fix=f"use one of: {', '.join(spec.choices)}"
                )
            if spec.check is not None and (problem := spec.check(v)):
                raise self.error(full, problem)
            if spec.is_path:
                v = self.file(full, str(v))
            out[k] = v
        for k, spec in schema.items():
            if spec.required and k not in data:
                raise self.error(
                    f"{prefix}.{k}",
                    "required key is missing",
                    fix=f"add {k} = ... under [{prefix}]",
                )
        return out

    def file(self, key: str, value: str) -> Path:
        p = Path(value).expanduser()
        if not p.is_absolute():
            p = self.root / p
        if not p.exists():
            raise MissingFileError(
                f"file {value!r} does not exist (looked at {p})",
                path=self.source,
                key=self.prefix + key,
                fix="correct the path; relative paths are read from the study file's folder",
            )
        return p

    def coords(self, key: str, value: Any) -> str | None:
        if value is None:
            return None
        try:
            return normalise_coord_system(value, where=f"key '{key}'")
        except CRSError as exc:
            raise self.error(key, exc.message, fix=exc.fix) from exc

    def study(self, data: Mapping[str, Any]) -> Study:
        for k in data:
            if k == "scenarios" and not self.prefix:
                continue
            if k not in _SECTIONS:
                raise self.error(
                    k, "unknown section", fix=f"use the sections {', '.join(_SECTIONS)}"
                )
        for k in ("study", "area"):
            if k not in data:
                raise self.error(k, f"section [{k}] is missing", fix=f"add a [{k}] section")
        st = self.keys(self.section(data["study"], "study"), _STUDY_KEYS, "study")
        ar = self.keys(self.section(data["area"], "area"), _AREA_KEYS, "area")
        area = AreaSpec(
            path=ar["path"],
            coords=self.coords("area.coords", ar.get("coords")),
            codes=self.str_list("area.codes", ar.get("codes", [])),
            names=self.str_list("area.names", ar.get("names", [])),
            code_column=ar.get("code_column"),
            name_column=ar.get("name_column"),
        )
        inputs = {
            name: self.input(name, sec)
            for name, sec in self.section(data.get("inputs", {}), "inputs").items()
        }
        tiers = {
            name: self.tier(name, sec)
            for name, sec in self.section(data.get("tiers", {}), "tiers").items()
        }
        outputs = self.outputs(data.get("outputs", {}))
        scenarios = self.scenarios(data) if not self.prefix else {}
        return Study(
            name=st["name"],
            root=self.root,
            area=area,
            inputs=inputs,
            tiers=tiers,
            output_dir=outputs.dir,
            projection=st.get("projection", settings.DEFAULT_PROJECTION),
            demand=self.demand(data.get("demand", {})),
            candidates=self.candidates(data.get("candidates", {})),
            plan=PlanSpec(
                **self.keys(self.section(data.get("plan", {}), "plan"), _PLAN_KEYS, "plan")
            ),
            network=self.network(data.get("network", {})),
            outputs=outputs,
            scenarios=scenarios,
            run=RunSpec(**self.keys(self.section(data.get("run", {}), "run"), _RUN_KEYS, "run")),
        )

    def scenarios(self, data: Mapping[str, Any]) -> dict[str, Study]:
        """``[scenarios.NAME]``: each a table of keys overriding the study's (any section)."""
        raw = self.section(data.get("scenarios", {}), "scenarios")
        base = {k: v for k, v in data.items() if k != "scenarios"}
        out: dict[str, Study] = {}
        for name, override in raw.items():
            if not _NAME.match(name):
                raise self.error(
                    f"scenarios.{name}",
                    "a scenario name must be letters, digits, _ or - (it names output files)",
                    fix='e.g. [scenarios.more_stations] or [scenarios."45分钟"]',
                )
            sub = _Parser(self.root, self.source, prefix=f"scenarios.{name}.")
            merged = _deep_merge(base, self.section(override, f"scenarios.{name}"))
            out[name] = sub.study(merged)
        return out

    def str_list(self, key: str, values: list[Any]) -> tuple[str, ...]:
        for i, v in enumerate(values):
            if not isinstance(v, str | int) or isinstance(v, bool):
                raise self.error(f"{key}[{i}]", f"expected text or a number, found {v!r}")
        return tuple(str(v) for v in values)

    def input(self, name: str, data: Any) -> InputSpec:
        prefix = f"inputs.{name}"
        if name not in _INPUT_KINDS:
            raise self.error(prefix, "unknown input", fix=f"use one of: {', '.join(_INPUT_KINDS)}")
        sec = dict(self.section(data, prefix))
        kinds = _INPUT_KINDS[name]
        kind = sec.pop("kind", next(iter(kinds)))
        if kind not in kinds:
            raise self.error(
                f"{prefix}.kind", f"unknown kind {kind!r}", fix=f"use one of: {', '.join(kinds)}"
            )
        values = self.keys(sec, kinds[kind], prefix)
        schema = kinds[kind]
        paths = {k: v for k, v in values.items() if schema[k].is_path}
        options = {k: v for k, v in values.items() if not schema[k].is_path and k != "coords"}
        if "add_to" in options:
            options["add_to"] = self.code_map(f"{prefix}.add_to", options["add_to"])
        if "summer_months" in options:
            months = options["summer_months"]
            if not all(
                isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in months
            ):
                raise self.error(
                    f"{prefix}.summer_months", f"must be months 1-12, found {months!r}"
                )
            options["summer_months"] = tuple(months)
        return InputSpec(
            name=name,
            kind=kind,
            paths=paths,
            coords=self.coords(f"{prefix}.coords", values.get("coords")),
            options=options,
        )

    def code_map(self, key: str, table: dict[str, Any]) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in table.items():
            if not isinstance(v, str | int) or isinstance(v, bool):
                raise self.error(key, f"value of '{k}' must be an admin code, found {v!r}")
            out[str(k)] = str(v)
        return out

    def tier(self, name: str, data: Any) -> TierSpec:
        prefix = f"tiers.{name}"
        if name not in settings.TIERS:
            raise self.error(prefix, "unknown tier", fix=f"use one of: {', '.join(settings.TIERS)}")
        values = self.keys(self.section(data, prefix), _TIER_KEYS, prefix)
        for k in ("threshold_min", "rural_radius_m", "target_share", "min_new_demand", "capacity"):
            if k in values:
                values[k] = float(values[k])
        values["modes"] = tuple(values.get("modes", ()))
        return TierSpec(tier=name, **values)

    def demand(self, data: Any) -> DemandSpec:
        values = self.keys(self.section(data, "demand"), _DEMAND_KEYS, "demand")
        for k in ("sector_gig_share",):
            for sector in values.get(k, {}):
                if sector not in settings.SECTOR_GIG_SHARE:
                    raise self.error(
                        f"demand.{k}",
                        f"unknown sector {sector!r}",
                        fix=f"use {', '.join(settings.SECTOR_GIG_SHARE)}",
                    )
        return DemandSpec(**values)

    def candidates(self, data: Any) -> CandidateSpec:
        values = self.keys(self.section(data, "candidates"), _CANDIDATE_KEYS, "candidates")
        if "add_coords" in values:
            values["add_coords"] = self.coords("candidates.add_coords", values["add_coords"])
        if "exclude" in values:
            values["exclude"] = self.str_list("candidates.exclude", values["exclude"])
        return CandidateSpec(**values)

    def network(self, data: Any) -> NetworkSpec:
        values = self.keys(self.section(data, "network"), _NETWORK_KEYS, "network")
        return NetworkSpec(
            date=dt.date.fromisoformat(values["date"]) if "date" in values else None,
            window=tuple(values.get("window", settings.TRANSIT_WINDOW)),  # type: ignore[arg-type]
            moments=tuple(str(m) for m in values.get("moments", settings.COVERAGE_MOMENTS)),
        )

    def outputs(self, data: Any) -> OutputSpec:
        values = self.keys(self.section(data, "outputs"), _OUTPUT_KEYS, "outputs")
        out_dir = Path(values.pop("dir", "output")).expanduser()
        if not out_dir.is_absolute():
            out_dir = self.root / out_dir
        if "date" in values:
            values["date"] = dt.date.fromisoformat(values["date"])
        tiles = values.get("tiles")
        if (
            tiles is not None
            and tiles not in settings.TILE_CHOICES
            and not tiles.startswith(("http://", "https://"))
        ):
            raise self.error(
                "outputs.tiles",
                f"{tiles!r} is not a tile source",
                fix=f"use one of: {', '.join(settings.TILE_CHOICES)} or an https:// URL template",
            )
        url = tiles if tiles is not None and tiles.startswith(("http://", "https://")) else None
        if url is not None and not (
            re.match(settings.TILE_URL_PATTERN, url)
            and all(p in url for p in ("{z}", "{x}", "{y}"))
        ):
            raise self.error(
                "outputs.tiles",
                f"{tiles!r} is not a tile URL template",
                fix="write the tile server's URL with {z}, {x} and {y} where the zoom and"
                " the tile's column and row go",
            )
        key = values.get("tianditu_key")
        if tiles == "tianditu" and (
            key is None or not re.match(settings.TIANDITU_KEY_PATTERN, key)
        ):
            raise self.error(
                "outputs.tianditu_key",
                '天地图 tiles (tiles = "tianditu") need a browser key'
                + ("" if key is None else f"; {key!r} is not one (8-64 letters and digits)"),
                fix="get a browser key at https://console.tianditu.gov.cn and write it as"
                ' tianditu_key in [outputs], or choose tiles = "none" (works offline)',
            )
        return OutputSpec(dir=out_dir, **values)


_NAME = re.compile(r"^[\w\-]+$")


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s keys replacing its own, tables merged key by key."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _type_name(t: type) -> str:
    return {
        str: "text",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }.get(t, t.__name__)

"""The study file (``study.toml``): what area, which inputs, which parameters, where outputs go.

Parsing gives one validated, immutable :class:`Study`. Unknown keys, wrong types,
bad values and missing files are :class:`~planner.errors.StudyFileError` (or
:class:`~planner.errors.MissingFileError`) naming the key, e.g.
``study.toml: key 'inputs.markets.coords': unknown coordinate system 'gcj2'``.

Relative paths are read from the study file's folder. See ``data/study_template.toml``
for a documented template with every key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from planner import settings
from planner.errors import CRSError, MissingFileError, StudyFileError
from planner.io.coords import normalise_coord_system

__all__ = ["AreaSpec", "InputSpec", "Study", "TierSpec", "load_study"]

PathArg = str | PathLike[str]

# --- the schema: each section's keys, their types, and which name files --------------------

_Check = Callable[[Any], Any]

MODES = ("walk", "ebike", "bus", "drive")


@dataclass(frozen=True)
class _Key:
    types: tuple[type, ...]
    required: bool = False
    is_path: bool = False
    choices: tuple[str, ...] | None = None
    doc: str = ""


_STR = (str,)
_NUM = (int, float)
_LIST = (list,)

_STUDY_KEYS: dict[str, _Key] = {
    "name": _Key(_STR, required=True, doc="name shown on maps and reports"),
    "projection": _Key(_STR, choices=("utm", "cgcs2000"), doc="projected CRS family"),
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
        "osm": {"path": _Key(_STR, required=True, is_path=True)},
        "edges": {
            "nodes": _Key(_STR, required=True, is_path=True),
            "edges": _Key(_STR, required=True, is_path=True),
        },
    },
    "population": {
        "grid": {
            "path": _Key(_STR, required=True, is_path=True),
            "band": _Key((int,)),
            "aggregate_m": _Key(_NUM),
        },
        "census": {
            "boundaries": _Key(_STR, required=True, is_path=True),
            "table": _Key(_STR, required=True, is_path=True),
            "coords": _Key(_STR),
            "code_column": _Key(_STR),
            "count_column": _Key(_STR),
            "cell_size_m": _Key(_NUM),
            "groups": _Key((dict,)),
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
        }
    },
    "transit": {
        "gtfs": {"path": _Key(_STR, required=True, is_path=True)},
        "tables": {
            "lines": _Key(_STR, required=True, is_path=True),
            "stations": _Key(_STR, required=True, is_path=True),
            "line_stations": _Key(_STR, required=True, is_path=True),
            "coords": _Key(_STR),
            "headway_min": _Key(_NUM),
        },
    },
    "work_logs": {"table": {"path": _Key(_STR, required=True, is_path=True)}},
}
_TIER_KEYS: dict[str, _Key] = {
    "threshold_min": _Key(_NUM, doc="travel-time threshold for 'covered', minutes"),
    "modes": _Key(_LIST, doc=f"modes that count, from {', '.join(MODES)}"),
    "rural_radius_m": _Key(_NUM, doc="rural alternative: straight-line radius, metres"),
    "max_new": _Key((int,), doc="largest number of new sites of this tier"),
}
_OUTPUT_KEYS: dict[str, _Key] = {"dir": _Key(_STR, doc="output folder (created)")}


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
    """A tier's parameters from ``[tiers.<tier>]`` (defaults are filled by later stages)."""

    tier: str
    threshold_min: float | None = None
    modes: tuple[str, ...] = ()
    rural_radius_m: float | None = None
    max_new: int | None = None


@dataclass(frozen=True)
class Study:
    """A parsed, validated study file.

    Attributes
    ----------
    name
        The study's name.
    root
        Folder of the study file; relative paths were resolved against it.
    projection
        ``"utm"`` or ``"cgcs2000"``.
    area
        The boundary file and unit filter.
    inputs
        Input sections by name (roads, population, markets, places, transit, work_logs).
    tiers
        Tier parameters given in the file.
    output_dir
        Where outputs go.
    """

    name: str
    root: Path
    area: AreaSpec
    inputs: Mapping[str, InputSpec]
    tiers: Mapping[str, TierSpec]
    output_dir: Path
    projection: str = settings.DEFAULT_PROJECTION
    source: Path | None = None

    @classmethod
    def from_file(cls, path: PathArg) -> Study:
        """Parse and validate a study file."""
        return load_study(path)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, root: PathArg, source: str = "study") -> Study:
        """Validate an already-parsed mapping (as from ``tomllib``); paths relative to ``root``."""
        return _Parser(Path(root), source).study(data)


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
            fix="run `planner init` or copy data/study_template.toml",
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


class _Parser:
    def __init__(self, root: Path, source: str) -> None:
        self.root = root
        self.source = source

    def error(self, key: str, message: str, fix: str | None = None) -> StudyFileError:
        return StudyFileError(message, path=self.source, key=key, fix=fix)

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
            if isinstance(v, bool) or not isinstance(v, spec.types):
                want = " or ".join(_type_name(t) for t in spec.types)
                raise self.error(full, f"expected {want}, found {_type_name(type(v))} {v!r}")
            if spec.choices is not None and v not in spec.choices:
                raise self.error(
                    full, f"{v!r} is not allowed", fix=f"use one of: {', '.join(spec.choices)}"
                )
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
                key=key,
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
        top = {"study", "area", "inputs", "tiers", "outputs"}
        for k in data:
            if k not in top:
                raise self.error(
                    k, "unknown section", fix=f"use the sections {', '.join(sorted(top))}"
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
        out = self.keys(self.section(data.get("outputs", {}), "outputs"), _OUTPUT_KEYS, "outputs")
        out_dir = Path(out.get("dir", "output")).expanduser()
        if not out_dir.is_absolute():
            out_dir = self.root / out_dir
        return Study(
            name=st["name"],
            root=self.root,
            area=area,
            inputs=inputs,
            tiers=tiers,
            output_dir=out_dir,
            projection=st.get("projection", settings.DEFAULT_PROJECTION),
        )

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
        if "headway_min" in options and options["headway_min"] <= 0:
            raise self.error(f"{prefix}.headway_min", "must be positive")
        return InputSpec(
            name=name,
            kind=kind,
            paths=paths,
            coords=self.coords(f"{prefix}.coords", values.get("coords")),
            options=options,
        )

    def tier(self, name: str, data: Any) -> TierSpec:
        prefix = f"tiers.{name}"
        if name not in settings.TIERS:
            raise self.error(prefix, "unknown tier", fix=f"use one of: {', '.join(settings.TIERS)}")
        values = self.keys(self.section(data, prefix), _TIER_KEYS, prefix)
        for k in ("threshold_min", "rural_radius_m", "max_new"):
            if k in values and values[k] <= 0:
                raise self.error(f"{prefix}.{k}", f"must be positive, found {values[k]}")
        modes = tuple(values.get("modes", ()))
        for m in modes:
            if m not in MODES:
                raise self.error(
                    f"{prefix}.modes", f"unknown mode {m!r}", fix=f"use {', '.join(MODES)}"
                )
        return TierSpec(
            tier=name,
            threshold_min=float(values["threshold_min"]) if "threshold_min" in values else None,
            modes=modes,
            rural_radius_m=float(values["rural_radius_m"]) if "rural_radius_m" in values else None,
            max_new=values.get("max_new"),
        )


def _type_name(t: type) -> str:
    return {str: "text", int: "an integer", float: "a number", list: "a list", dict: "a table"}.get(
        t, t.__name__
    )

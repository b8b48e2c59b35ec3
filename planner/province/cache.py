"""The county cache: a finished county is not recomputed while its inputs stay the same.

Each county's result is kept under ``<outputs.dir>/.planner-cache/<code>.json``, keyed by
:func:`piece_key`: a SHA-256 over the county's clipped inputs (every frame's values and
geometries, every array), the study options that change a result (demand, candidates,
tiers, plan, network, what the published documents say), the buffer and planner's
version. File paths, the output folder and the ``[run]`` section (where the tasks run) are
not in the key: moving a study or running it on a cluster reuses the cache.

An entry records the county's summary and the SHA-256 of every file the county
published. It is trusted only when its own checksum, its key and every file's hash still
hold; anything else (a corrupt or truncated entry, an edited or missing output) is
recomputed, with an INFO log line saying why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import struct
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner import __version__
from planner.publish._output import _write_atomic

if TYPE_CHECKING:
    from planner.province.split import CountyPiece
    from planner.study import Study

__all__ = ["CACHE_DIR", "CountyCache", "data_hash", "piece_key"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

#: The cache folder, inside the output folder.
CACHE_DIR = ".planner-cache"

_FORMAT = 1


def _feed(h: Any, obj: Any) -> None:
    """Add ``obj`` to the hash ``h`` (type-tagged, so different values never collide)."""
    if obj is None:
        h.update(b"N")
    elif isinstance(obj, bool | np.bool_):
        h.update(b"B1" if obj else b"B0")
    elif isinstance(obj, int | np.integer):
        h.update(b"I" + str(int(obj)).encode())
    elif isinstance(obj, float | np.floating):
        h.update(b"F" + struct.pack("<d", float(obj)))
    elif isinstance(obj, str):
        raw = obj.encode("utf-8")
        h.update(b"S" + struct.pack("<q", len(raw)) + raw)
    elif isinstance(obj, bytes):
        h.update(b"Y" + struct.pack("<q", len(obj)) + obj)
    elif isinstance(obj, dt.date | dt.datetime | dt.time):
        _feed(h, obj.isoformat())
    elif isinstance(obj, Path):
        _feed(h, str(obj))
    elif isinstance(obj, CRS):
        _feed(h, obj.to_wkt())
    elif isinstance(obj, shapely.Geometry):
        _feed(h, shapely.to_wkb(obj))
    elif isinstance(obj, gpd.GeoSeries | gpd.GeoDataFrame | pd.DataFrame | pd.Series):
        _feed_frame(h, obj)
    elif isinstance(obj, np.ndarray):
        if obj.dtype == object:
            _feed(h, obj.tolist())
        else:
            h.update(b"A" + str(obj.dtype).encode() + str(obj.shape).encode())
            h.update(np.ascontiguousarray(obj).tobytes())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(b"D" + type(obj).__name__.encode())
        for f in dataclasses.fields(obj):
            _feed(h, f.name)
            _feed(h, getattr(obj, f.name))
    elif isinstance(obj, Mapping):
        h.update(b"M" + struct.pack("<q", len(obj)))
        for k in sorted(obj, key=repr):
            _feed(h, k)
            _feed(h, obj[k])
    elif isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj, key=repr) if isinstance(obj, set | frozenset) else obj
        h.update(b"L" + struct.pack("<q", len(items)))
        for v in items:
            _feed(h, v)
    elif obj is pd.NA or obj is pd.NaT:
        h.update(b"NA")
    else:
        _feed(h, f"{type(obj).__module__}.{type(obj).__name__}:{obj!r}")


def _feed_frame(h: Any, obj: pd.DataFrame | pd.Series) -> None:
    frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
    h.update(b"T" + struct.pack("<q", len(frame)))
    crs = getattr(frame, "crs", None) if isinstance(frame, gpd.GeoDataFrame) else None
    _feed(h, CRS(crs) if crs is not None else None)
    for col in frame.columns:
        s = frame[col]
        _feed(h, str(col))
        _feed(h, str(s.dtype))
        if isinstance(s.dtype, gpd.array.GeometryDtype):
            wkb = shapely.to_wkb(np.asarray(s.values, dtype=object))
            _feed(h, [b if b is not None else b"" for b in wkb.tolist()])
            continue
        try:
            hashed = pd.util.hash_pandas_object(s, index=False).to_numpy()
            h.update(hashed.tobytes())
        except TypeError:  # lists in cells (stop sequences): hash them one by one
            _feed(h, [list(v) if isinstance(v, list | tuple | np.ndarray) else v for v in s])


def data_hash(*objs: Any) -> str:
    """SHA-256 (hex) of values, frames, arrays and dataclasses, the same in every process.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    >>> data_hash(a) == data_hash(a.copy()), data_hash(a) == data_hash(a.iloc[::-1])
    (True, False)
    """
    h = hashlib.sha256()
    for obj in objs:
        _feed(h, obj)
    return h.hexdigest()


def _study_options(study: Study) -> dict[str, Any]:
    """The parts of a study that change a county's results or published documents."""
    outputs = study.outputs
    out = {
        "name": study.name,
        "projection": study.projection,
        "demand": study.demand,
        "candidates": dataclasses.replace(study.candidates, add=None),
        "tiers": dict(study.tiers),
        "plan": study.plan,
        "network": study.network,
        "outputs": dataclasses.replace(outputs, dir=Path(".")) if outputs is not None else None,
    }
    add = study.candidates.add
    if add is not None:
        out["candidates_add"] = Path(add).read_bytes() if Path(add).is_file() else str(add)
    return out


def piece_key(piece: CountyPiece) -> str:
    """The cache key of a county: a hash of its clipped inputs and the options that matter."""
    inputs = piece.inputs
    return data_hash(
        _FORMAT,
        __version__,
        piece.county.code,
        piece.county.name,
        piece.county.city_code,
        piece.county.city_name,
        piece.buffer_m,
        sorted(piece.own_markets),
        _study_options(inputs.study),
        inputs.area.units,
        inputs.area.crs,
        inputs.roads,
        inputs.population,
        inputs.census.units if inputs.census is not None else None,
        inputs.markets,
        inputs.places,
        inputs.transit,
        inputs.work_logs,
        inputs.demand_spread,
    )


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


class CountyCache:
    """Finished counties under ``<out_dir>/.planner-cache/``.

    Parameters
    ----------
    out_dir
        The study's output folder; each county's published files are under
        ``<out_dir>/counties/<code>/``.
    """

    def __init__(self, out_dir: PathArg) -> None:
        self.out_dir = Path(out_dir)
        self.folder = self.out_dir / CACHE_DIR

    def _entry_path(self, code: str) -> Path:
        return self.folder / f"{code}.json"

    def get(self, code: str, key: str) -> dict[str, Any] | None:
        """The cached entry of county ``code`` for inputs ``key``, or ``None`` to recompute."""
        path = self._entry_path(code)
        if not path.is_file():
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            body = entry["body"]
            if entry.get("checksum") != hashlib.sha256(_canonical(body)).hexdigest():
                log.info("cache entry of %s is corrupt (checksum); recomputing", code)
                return None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            log.info("cache entry of %s is unreadable; recomputing", code)
            return None
        if body.get("format") != _FORMAT or body.get("key") != key or body.get("code") != code:
            log.info("inputs of %s changed since its cached run; recomputing", code)
            return None
        folder = self.out_dir / str(body.get("folder", ""))
        for name, digest in dict(body.get("files", {})).items():
            p = folder / name
            if not p.is_file() or file_sha256(p) != digest:
                log.info("output %s of %s is missing or changed; recomputing", p, code)
                return None
        return dict(body)

    def put(self, code: str, key: str, body: Mapping[str, Any]) -> Path:
        """Store a finished county (``body`` holds its ``summary``, ``folder`` and ``files``)."""
        full = {**body, "format": _FORMAT, "key": key, "code": code}
        entry = {"body": full, "checksum": hashlib.sha256(_canonical(full)).hexdigest()}
        text = json.dumps(entry, ensure_ascii=False, indent=1) + "\n"  # key order kept
        path = self._entry_path(code)
        _write_atomic(path, text.encode("utf-8"))
        return path

    def drop(self, code: str) -> None:
        """Forget county ``code`` (a failed rerun must not leave an old entry trusted)."""
        self._entry_path(code).unlink(missing_ok=True)

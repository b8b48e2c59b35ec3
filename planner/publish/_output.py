"""The folder publishers write into: atomic writes, never over a file planner did not write.

A folder keeps a small manifest (``.planner-outputs.json``) of the files planner wrote
there and their hashes; any other existing file of the same name (an input, an edited
copy) is refused. Files are written to a temporary file and renamed into place. CSV files
are UTF-8 with a BOM and CRLF line ends, as Excel expects, and no cell can run as a
formula (:func:`csv_safe`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path

import pandas as pd

from planner.errors import InputFileError

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

_MANIFEST = ".planner-outputs.json"


class OutputFolder:
    """A folder planner writes into: atomic writes, never over a file planner did not write.

    Parameters
    ----------
    folder
        The folder (created).
    inputs
        Files that must never be written (the inputs of the run).
    """

    def __init__(self, folder: PathArg, *, inputs: Iterable[PathArg] = ()) -> None:
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise InputFileError(
                "the output folder is a file", path=self.folder, fix="choose a folder"
            )
        self.inputs = {Path(p).resolve() for p in inputs}
        manifest = self.folder / _MANIFEST
        self.known: dict[str, str] = {}
        if manifest.is_file():
            try:
                loaded = json.loads(manifest.read_text(encoding="utf-8"))
                self.known = {str(k): str(v) for k, v in loaded.get("files", {}).items()}
            except (ValueError, AttributeError):
                log.warning("%s is unreadable; treating the folder as new", manifest)

    def write(self, name: str, data: bytes | str, *, exists_ok: bool = False) -> Path:
        """Write ``data`` (text is UTF-8 encoded) to ``name`` relative to the folder
        (``exists_ok``: see :meth:`check`)."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        target = self.check(name, exists_ok=exists_ok)
        _write_atomic(target, raw)
        self.known[name] = hashlib.sha256(raw).hexdigest()
        self._save()
        return target

    def check(self, name: str, *, exists_ok: bool = False) -> Path:
        """The path of ``name``, if planner may write it (else the error :meth:`write`
        would raise): not an input, and absent or as planner last wrote it (or present in
        any state, with ``exists_ok``)."""
        target = self.folder / name
        resolved = target.resolve()
        if resolved in self.inputs:
            raise InputFileError(
                "refusing to write over an input file",
                path=target,
                fix="choose an output folder apart from the input files",
            )
        if target.exists() and not exists_ok:
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
            if self.known.get(name) != digest:
                raise InputFileError(
                    "the file exists and was not written by planner (or was changed since);"
                    " refusing to overwrite it",
                    path=target,
                    fix="choose another output folder, or move the file away",
                )
        return target

    def _save(self) -> None:
        body = {"generated_by": "planner", "files": dict(sorted(self.known.items()))}
        text = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
        _write_atomic(self.folder / _MANIFEST, text.encode("utf-8"))


def move_tree(
    src: PathArg, dst: PathArg, *, inputs: Iterable[PathArg] = (), adopt: Iterable[str] = ()
) -> list[Path]:
    """Write every file under ``src`` to the same place under ``dst``, all or none.

    Each file goes through :meth:`OutputFolder.write` of its folder (atomic, manifest
    kept), but only after every target has been checked: a file in the way that planner
    did not write (or that was changed since), or an input, stops the move before anything
    is written. A file in the way with the same bytes is fine, and so are the paths of
    ``adopt`` (relative, ``/``-separated: files earlier versions of planner wrote without
    recording them). ``src``'s own manifests are not copied.

    Returns
    -------
    list of pathlib.Path
        The files written under ``dst``, in path order.
    """
    root, out = Path(src), Path(dst)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != _MANIFEST)
    folders: dict[Path, OutputFolder] = {}
    adopted = set(adopt)
    plan: list[tuple[OutputFolder, Path, bool]] = []
    for p in files:  # check every target first
        rel = p.relative_to(root)
        folder = folders.setdefault(rel.parent, OutputFolder(out / rel.parent, inputs=inputs))
        target = out / rel
        ok = rel.as_posix() in adopted or (target.is_file() and _same_file(target, p))
        folder.check(rel.name, exists_ok=ok)
        plan.append((folder, p, ok))
    return [f.write(p.name, p.read_bytes(), exists_ok=ok) for f, p, ok in plan]


def _same_file(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: First characters that make a spreadsheet read a cell as a formula (CSV injection):
#: = + - @, and tab and carriage return, which some spreadsheets skip before one of those.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """The text of a CSV cell that no spreadsheet runs as a formula.

    A cell beginning with one of :data:`FORMULA_PREFIXES` gets a leading apostrophe
    (``'=HYPERLINK(…)``), which spreadsheets show as text; others are unchanged. This
    applies to every cell, numbers included: planner's CSVs hold no negative numbers.

    Examples
    --------
    >>> [csv_safe(v) for v in ["=HYPERLINK(A1)", "+86 139", "@SUM(A1)", "东城"]]
    ["'=HYPERLINK(A1)", "'+86 139", "'@SUM(A1)", '东城']
    >>> csv_safe(None), csv_safe(3)
    ('', '3')
    """
    text = "" if _missing(value) else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV in UTF-8 with a BOM and CRLF line ends (what Excel expects), every cell
    through :func:`csv_safe`. Every CSV planner publishes is written by this function."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([csv_safe(h) for h in header])
    writer.writerows([csv_safe(v) for v in row] for row in rows)
    return buf.getvalue().encode("utf-8-sig")


def _missing(v: object) -> bool:
    if v is None or v is pd.NA:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    return False

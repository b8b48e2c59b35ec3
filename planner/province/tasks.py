"""One county's task: prepare, plan and publish a :class:`~planner.province.split.CountyPiece`.

:func:`run_county` runs on a Dask worker (or in the calling process). It writes nothing
where the caller can see: the county's published files are made in a private temporary
folder and returned as bytes, so the task works the same on a cluster whose workers share
no disk with the machine that started the run. It never raises for a county's problem:
an error in the inputs or a bug becomes a failed :class:`CountyResult` naming the error,
so the other counties go on.

The result depends only on the piece: no clock time, no worker name, no randomness
enters the summary or the files (timings and memory are reported beside them).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from planner.errors import PlannerError
from planner.province.split import CountyPiece

__all__ = ["CountyResult", "MemoryPeak", "run_county"]

log = logging.getLogger(__name__)

#: Files of a county's output folder that are bookkeeping, not results.
_SKIP = {".planner-outputs.json"}


@dataclass
class CountyResult:
    """What a county's task returns.

    Attributes
    ----------
    code, name
        The county.
    status
        ``"done"`` or ``"failed"``.
    summary
        The county's ``summary.json`` (see :mod:`planner.publish.summary`); empty when failed.
    files
        The county's published files: path relative to its folder → bytes.
    error
        ``"<ErrorClass>: message"`` of a failed county.
    traceback
        The traceback of a failure that is a bug (not an input problem).
    seconds, cpu_seconds
        Wall-clock and CPU time of the task.
    peak_rss_mb
        Highest resident memory of the worker process during the task (MB).
    worker_pid
        The process that ran it (for the memory report, never for results).
    """

    code: str
    name: str
    status: str
    summary: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    error: str = ""
    traceback: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    worker_pid: int = 0


class MemoryPeak:
    """Sample this process's resident memory in a thread and keep the peak (MB).

    Examples
    --------
    >>> with MemoryPeak() as peak:
    ...     _ = bytearray(10_000_000)
    >>> peak.mb > 0
    True
    """

    def __init__(self, interval_s: float = 0.05) -> None:
        self.interval_s = interval_s
        self.mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _rss_mb(self) -> float:
        try:
            import psutil

            return float(psutil.Process().memory_info().rss) / 1e6
        except Exception:  # psutil missing or the process table unreadable
            import resource

            return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1e3

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.mb = max(self.mb, self._rss_mb())

    def __enter__(self) -> MemoryPeak:
        self.mb = self._rss_mb()
        self._thread = threading.Thread(target=self._watch, name="memory-peak", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.mb = max(self.mb, self._rss_mb())


def _own_markets(piece: CountyPiece) -> Any:
    markets = piece.inputs.markets
    if markets is None:
        return None
    own = markets[markets["market_id"].astype(str).isin(set(piece.own_markets))]
    return own.reset_index(drop=True) if len(own) else None


def _publish(run: Any, piece: CountyPiece) -> dict[str, bytes]:
    from planner.pipeline import publish_run

    # The county publishes its own markets; the neighbours' served its people in the plan.
    run.inputs = replace(run.inputs, markets=_own_markets(piece))
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix=f"planner-{piece.county.code}-") as tmp:
        publish_run(run, tmp)
        root = Path(tmp)
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.name not in _SKIP:
                files[p.relative_to(root).as_posix()] = p.read_bytes()
    return files


def run_county(piece: CountyPiece) -> CountyResult:
    """Prepare, plan and publish one county; never raises for the county's own problems.

    Parameters
    ----------
    piece
        From :func:`planner.province.split.split_inputs`.

    Returns
    -------
    CountyResult
        ``status="done"`` with the summary and the published files, or ``"failed"`` with
        the error (a :class:`~planner.errors.PlannerError` message, or a bug's traceback).
    """
    import json

    from planner.pipeline import plan_study, prepare_study

    county = piece.county
    t0, c0 = time.perf_counter(), time.process_time()
    result = CountyResult(code=county.code, name=county.name, status="failed")
    # Warnings become the county's notes; a worker without a log handler must not also
    # print them (Python's last-resort handler would), so the run's console stays clean.
    root = logging.getLogger()
    quiet = logging.NullHandler() if not root.handlers else None
    if quiet is not None:
        root.addHandler(quiet)
    with MemoryPeak() as peak:
        try:
            prep = prepare_study(piece.inputs)
            run = plan_study(prep)
            result.files = _publish(run, piece)
            result.summary = json.loads(result.files["summary.json"].decode("utf-8"))
            result.status = "done"
        except PlannerError as exc:
            result.error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a bug: keep the traceback for the report
            result.error = f"{type(exc).__name__}: {exc}"
            result.traceback = traceback.format_exc()
            log.error("county %s (%s) failed: %s", county.name, county.code, result.error)
        finally:
            if quiet is not None:
                root.removeHandler(quiet)
    result.seconds = time.perf_counter() - t0
    result.cpu_seconds = time.process_time() - c0
    result.peak_rss_mb = peak.mb
    result.worker_pid = os.getpid()
    return result

"""Run a study over many counties as one Dask task per county.

:func:`run_province` reads nothing itself: it takes the inputs read once for the whole
area, splits them into county pieces (:mod:`planner.province.split`), skips the counties
the cache (:mod:`planner.province.cache`) already holds, and runs the others with
:func:`planner.province.tasks.run_county`:

- on an embedded ``dask.distributed.LocalCluster`` (``workers`` processes of one thread,
  loopback only, no dashboard), or
- on an existing Dask cluster (``scheduler="tcp://host:8786"``); its workers need the
  same planner version, which is checked first. Such a cluster keeps its own settings:
  its workers' memory limits and its scheduler's ``allowed-failures`` (how often a task
  whose worker died is tried again) apply, not ``memory_limit`` and
  :data:`ALLOWED_FAILURES`.

Pieces are made and sent :data:`IN_FLIGHT` per worker at a time, each with its task, so
neither the client, the scheduler nor the workers ever hold more than a few counties'
data, and a worker that finishes a county starts the next at once while the client
writes the finished one's files and splits the next piece. A county
whose task fails (an input problem, a bug, or a worker that died three times: out of
memory or killed) is reported by name with its error, and the others finish. Finished counties are written
under ``<out>/counties/<code>/`` and cached; results are assembled in code order, so
the outputs never depend on which worker ran a county or when it finished.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from planner import __version__
from planner.errors import ClusterError, DependencyError
from planner.inputs import StudyInputs
from planner.pipeline import check_output_dir
from planner.province.cache import CountyCache, file_sha256, piece_key
from planner.province.split import (
    County,
    CountyPiece,
    county_buffer_m,
    list_counties,
    split_inputs,
)
from planner.province.tasks import CountyResult, run_county
from planner.publish._output import OutputFolder
from planner.study import Study

__all__ = ["CountyOutcome", "ProvinceRun", "run_province"]

log = logging.getLogger(__name__)

PathArg = str | PathLike[str]

#: How often a county's worker may die before the county is reported failed (Dask's
#: ``allowed-failures``: the task runs at most this many times plus one).
ALLOWED_FAILURES = 2
#: Tasks per worker submitted ahead (with one, each worker waited for the client to write
#: the last county's files and split the next: 5 % of the 136-county run); one per worker
#: for the last counties, so that they go to whichever worker is free.
IN_FLIGHT = 2


@dataclass
class CountyOutcome:
    """How one county went.

    Attributes
    ----------
    county
        The county.
    status
        ``"done"`` or ``"failed"``.
    cached
        True when its results were taken from the cache (not recomputed in this run).
    summary
        Its ``summary.json`` (empty when failed).
    folder
        Its output folder, relative to the study's (``counties/370602``).
    error, traceback
        Why it failed (the traceback only for a bug).
    seconds, cpu_seconds, peak_rss_mb, worker_pid
        Time, CPU time, peak memory of the worker process and the process that ran it
        (0 for cached counties).
    """

    county: County
    status: str
    cached: bool = False
    summary: dict[str, Any] = field(default_factory=dict)
    folder: str = ""
    error: str = ""
    traceback: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    worker_pid: int = 0


@dataclass
class ProvinceRun:
    """A study run county by county.

    Attributes
    ----------
    inputs
        The whole area's inputs (read once).
    out_dir
        The output folder.
    counties
        One outcome per county, in code order.
    buffer_m
        The buffer around each county (m).
    workers
        Workers of the cluster the tasks ran on (0 when every county came from the cache).
    scheduler
        The external scheduler's address, or ``None`` for the embedded cluster.
    seconds
        Wall-clock time of the county tasks (splitting, cache, cluster, tasks).
    """

    inputs: StudyInputs
    out_dir: Path
    counties: list[CountyOutcome]
    buffer_m: float
    workers: int = 0
    scheduler: str | None = None
    seconds: float = 0.0

    @property
    def study(self) -> Study:
        return self.inputs.study

    @property
    def failed(self) -> list[CountyOutcome]:
        """The counties that failed, in code order."""
        return [c for c in self.counties if c.status != "done"]

    @property
    def recomputed(self) -> list[str]:
        """Codes of the counties computed in this run (not taken from the cache)."""
        return [c.county.code for c in self.counties if not c.cached]


def _planner_version() -> str:
    import planner

    return planner.__version__


@contextmanager
def _client(*, workers: int, scheduler: str | None, memory_limit: str) -> Iterator[tuple[Any, int]]:
    """A Dask client on the embedded LocalCluster, or on the given scheduler."""
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise DependencyError(
            "a run by county needs dask.distributed",
            fix="install it with `pip install dask distributed` (planner lists both)",
        ) from exc
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="15s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc})",
                key="run.scheduler",
                fix="start the scheduler (`dask scheduler`) and its workers, check the address,"
                " or leave [run] scheduler out to run on this machine",
            ) from exc
        try:
            versions = client.run(_planner_version)
            bad = {w: v for w, v in versions.items() if v != __version__}
            if bad:
                raise ClusterError(
                    f"workers of {scheduler} run planner {sorted(set(bad.values()))}, "
                    f"not {__version__} ({len(bad)} of {len(versions)} worker(s))",
                    key="run.scheduler",
                    fix="install the same planner version on every worker",
                )
            n = max(1, sum(client.nthreads().values()))
            yield client, n
        finally:
            client.close()
        return
    # A county whose worker dies again and again is reported failed instead of killing more.
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit=memory_limit,
            silence_logs=logging.ERROR,
            # No dashboard; the scheduler's small HTTP server (health checks) takes any free
            # loopback port instead of 8787, which another cluster may hold.
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        )
    try:
        client = Client(cluster, set_as_default=False)
        try:
            yield client, workers
        finally:
            client.close()
    finally:
        cluster.close()


def _write_county(out: Path, study: Study, result: CountyResult) -> dict[str, str]:
    """Write a county's files under ``counties/<code>/``; their hashes for the cache."""
    folder = OutputFolder(out / "counties" / result.code, inputs=study.files)
    hashes: dict[str, str] = {}
    for name, data in sorted(result.files.items()):
        p = folder.write(name, data)
        hashes[name] = file_sha256(p)
    return hashes


def _failure(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return (
            f"KilledWorker: the worker running this county died {ALLOWED_FAILURES + 1} times "
            "(out of memory, or killed); raise [run] memory_limit or lower [run] workers, "
            "then run again"
        )
    return f"{name}: {exc}"


def run_province(
    inputs: StudyInputs,
    out_dir: PathArg | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    buffer_m: float | None = None,
    memory_limit: str | None = None,
    cache: bool | None = None,
    on_county: Callable[[CountyOutcome], None] | None = None,
    task: Callable[[CountyPiece], CountyResult] = run_county,
) -> ProvinceRun:
    """Run every county of a study as its own task and write each county's outputs.

    Parameters
    ----------
    inputs
        The whole area's inputs (:func:`planner.inputs.load_inputs`), read once.
    out_dir
        Output folder (default: the study's ``[outputs] dir``).
    workers
        Worker processes of the embedded cluster (default ``[run] workers``, else the
        machine's cores).
    scheduler
        Address of an existing Dask scheduler (default ``[run] scheduler``).
    buffer_m
        Buffer around each county (default ``[run] buffer_km``, else
        :func:`~planner.province.split.county_buffer_m`).
    memory_limit
        Memory per embedded worker (default ``[run] memory_limit``).
    cache
        Reuse unchanged counties (default ``[run] cache``).
    on_county
        Called with each county's outcome as it finishes (the command line's progress bar).
    task
        The function run per county (default :func:`~planner.province.tasks.run_county`).

    Returns
    -------
    ProvinceRun
        Every county's outcome, in code order; write the province's own outputs with
        :func:`planner.province.outputs.publish_province`.
    """
    study = inputs.study
    spec = study.run
    t0 = time.perf_counter()
    out = check_output_dir(out_dir if out_dir is not None else study.output_dir, inputs=study.files)
    workers = workers or spec.workers or os.cpu_count() or 1
    scheduler = scheduler if scheduler is not None else spec.scheduler
    buffer = float(buffer_m) if buffer_m is not None else county_buffer_m(study)
    use_cache = spec.cache if cache is None else cache
    store = CountyCache(out)
    outcomes: dict[str, CountyOutcome] = {}
    computed: list[str] = []

    def finish(o: CountyOutcome) -> None:
        outcomes[o.county.code] = o
        if on_county is not None:
            on_county(o)

    counties = list_counties(inputs.area)
    seen = [0]

    def left() -> int:
        """Counties not yet split (an upper bound on the tasks still to submit)."""
        return len(counties) - seen[0]

    def todo() -> Iterator[tuple[CountyPiece, str]]:
        """Pieces to compute, made one at a time (the client never holds them all)."""
        for piece in split_inputs(inputs, buffer_m=buffer, counties=counties):
            seen[0] += 1
            key = piece_key(piece)
            code = piece.county.code
            entry = store.get(code, key) if use_cache else None
            if entry is None:
                computed.append(code)
                yield piece, key
                continue
            summary, folder = dict(entry["summary"]), str(entry["folder"])
            finish(CountyOutcome(piece.county, "done", True, summary, folder))

    pieces = todo()
    first = next(pieces, None)
    n_workers = 0
    if first is not None:
        with _client(
            workers=workers, scheduler=scheduler, memory_limit=memory_limit or spec.memory_limit
        ) as (client, n_workers):
            queue = itertools.chain([first], pieces)
            _run_tasks(client, queue, task, out, study, store, finish, n_workers, left)
    ordered = [outcomes[c] for c in sorted(outcomes)]
    log.info(
        "%d counties: %d recomputed, %d from the cache, %d failed",
        len(ordered),
        len(computed),
        len(ordered) - len(computed),
        sum(o.status != "done" for o in ordered),
    )
    return ProvinceRun(
        inputs=inputs,
        out_dir=out,
        counties=ordered,
        buffer_m=buffer,
        workers=n_workers,
        scheduler=scheduler,
        seconds=time.perf_counter() - t0,
    )


def _run_tasks(
    client: Any,
    todo: Iterator[tuple[CountyPiece, str]],
    task: Callable[[CountyPiece], CountyResult],
    out: Path,
    study: Study,
    store: CountyCache,
    finish: Callable[[CountyOutcome], None],
    n_workers: int,
    left: Callable[[], int],
) -> None:
    from dask.distributed import as_completed

    running: dict[Any, tuple[CountyPiece, str]] = {}
    queue = as_completed(loop=client.loop)

    def submit() -> bool:
        nxt = next(todo, None)
        if nxt is None:
            return False
        piece, key = nxt
        # The piece travels with its task (not scattered ahead): a task whose worker dies
        # is run again elsewhere from the scheduler's copy, and no other county's data is
        # lost with that worker.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*[Ll]arge graph.*")
            fut = client.submit(
                task, piece, key=f"county-{piece.county.code}-{key[:16]}", pure=False
            )
        running[fut] = (piece, key)
        queue.add(fut)
        return True

    def fill() -> None:
        # IN_FLIGHT per worker while many counties remain; one per worker at the end, so
        # that the last counties go to whichever worker is free, not to one's queue
        ahead = IN_FLIGHT if left() > n_workers else 1
        while len(running) < max(1, n_workers) * ahead and submit():
            pass

    fill()
    for fut in queue:
        piece, key = running.pop(fut)
        county = piece.county
        try:
            result = fut.result()
        except Exception as exc:  # the worker died, or the task could not be run at all
            result = CountyResult(county.code, county.name, "failed", error=_failure(exc))
        finally:
            fut.release()
        fill()
        if result.status == "done":
            hashes = _write_county(out, study, result)
            folder = f"counties/{county.code}"
            store.put(
                county.code, key, {"summary": result.summary, "folder": folder, "files": hashes}
            )
        else:
            store.drop(county.code)
            folder = ""
            log.warning("county %s (%s) failed: %s", county.name, county.code, result.error)
        finish(
            CountyOutcome(
                county,
                result.status,
                summary=result.summary,
                folder=folder,
                error=result.error,
                traceback=result.traceback,
                seconds=result.seconds,
                cpu_seconds=result.cpu_seconds,
                peak_rss_mb=result.peak_rss_mb,
                worker_pid=result.worker_pid,
            )
        )

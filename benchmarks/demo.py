"""Where ``planner demo`` spends its time: seconds and peak memory per stage.

Run:  .venv/bin/python benchmarks/demo.py [--scale 1.0] [--seed 20240601] [--out DIR]

(in a checkout whose venv has planner installed; otherwise ``PYTHONPATH=. python ...``)

It does what ``planner demo`` does (:mod:`planner.cli`): write the synthetic county's
inputs, read them back through the validating readers, then
:func:`planner.pipeline.run_study` and :func:`planner.pipeline.publish_run` — the same
calls, not a copy of their wiring. The functions those two call are wrapped in timers, so
each stage gets its own clock:

==========================  ====================================================
write inputs                :func:`planner.demo.write_demo_inputs`
read inputs                 :func:`planner.study.load_study` + :func:`planner.inputs.load_inputs`
networks                    walk / e-bike / drive graphs and the bus layer
demand + coverage           worker demand per cell, open markets, their coverage
plan                        candidate sites, sector demand, the three-tier plan
                            (heuristics, then the MIP)
publish: public site        the public map and directory pages
publish: directory exports  CSV / GeoJSON directory and the 求人倍率 tables
publish: planner map        the planner's folium map (isochrones, gaps) and saving it
publish: proposal           the siting proposal: HTML, Markdown, one SVG map per site
other                       the rest of ``run_study`` / ``publish_run``, and imports
==========================  ====================================================

It runs in a fresh process, like the command, so the first call of each numba kernel
includes loading it (or compiling it, when numba's cache is cold). "peak RSS" is the
process's resident-set high-water mark (``ru_maxrss``) at the end of the stage, so each
row shows the highest the process has been so far. "CPU s" is the process's CPU time in
the stage (all its threads), which other work on the machine inflates less than the wall
clock. The 1-minute load average is printed before and after: the machine has 2 cores
shared with other work, so compare timings only at similar load and repeat a run before
trusting a difference. Inputs and outputs go to
a temporary folder, deleted afterwards, unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Functions ``run_study`` / ``publish_run`` call, by the module they are looked up in
#: at call time, and the stage their time counts to.
TIMED: tuple[tuple[str, str, str], ...] = (
    ("planner.pipeline", "build_networks", "networks"),
    ("planner.pipeline", "worker_demand", "demand + coverage"),
    ("planner.pipeline", "open_markets", "demand + coverage"),
    ("planner.pipeline", "coverage", "demand + coverage"),
    ("planner.pipeline", "candidate_sites", "plan"),
    ("planner.pipeline", "sector_demand", "plan"),
    ("planner.pipeline", "make_plan", "plan"),
    ("planner.pipeline", "answer_questions", "questions: moments, curves, capacity"),
    ("planner.publish.site", "build_public_site", "publish: public site"),
    ("planner.publish.directory", "export_directory", "publish: directory exports"),
    ("planner.publish.maps", "planner_map", "publish: planner map"),
    ("planner.publish.maps", "save_map", "publish: planner map"),
    ("planner.publish.proposals", "write_proposal", "publish: proposal"),
    ("planner.publish.gpkg", "write_run_gpkg", "publish: GeoPackage"),
    ("planner.publish.summary", "write_summary", "publish: summary.json"),
)


def _peak_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS
    return kb / 2**20 if sys.platform == "darwin" else kb / 1024


class Clock:
    """Seconds and peak RSS per stage, in the order stages first ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.peak: dict[str, float] = {}

    def add(self, stage: str, seconds: float, cpu: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        self.cpu[stage] = self.cpu.get(stage, 0.0) + cpu
        self.peak[stage] = _peak_mb()

    def run(self, stage: str, fn: Callable[[], Any]) -> Any:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return fn()
        finally:
            self.add(stage, time.perf_counter() - t0, time.process_time() - c0)

    def wrap(self, module: str, name: str, stage: str) -> None:
        mod = importlib.import_module(module)
        inner = getattr(mod, name)

        @functools.wraps(inner)
        def timed(*args: Any, **kwargs: Any) -> Any:
            return self.run(stage, lambda: inner(*args, **kwargs))

        setattr(mod, name, timed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="demo county area multiplier")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--out", type=Path, default=None, help="keep inputs and outputs here")
    args = ap.parse_args()

    load0 = os.getloadavg()[0]
    t_all, c_all = time.perf_counter(), time.process_time()
    clock = Clock()
    # imported inside the clock, as the command pays for its imports too
    from planner.demo import write_demo_inputs
    from planner.inputs import load_inputs
    from planner.pipeline import publish_run, run_study
    from planner.study import load_study

    for module, name, stage in TIMED:
        clock.wrap(module, name, stage)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        files = clock.run(
            "write inputs",
            lambda: write_demo_inputs(root / "inputs", seed=args.seed, scale=args.scale),
        )
        inputs = clock.run("read inputs", lambda: load_inputs(load_study(files.study)))
        run = run_study(inputs)
        publish_run(run, root / "maps")
    total, cpu = time.perf_counter() - t_all, time.process_time() - c_all
    load1 = os.getloadavg()[0]

    clock.seconds["other"] = total - sum(clock.seconds.values())
    clock.cpu["other"] = cpu - sum(clock.cpu.values())
    clock.peak["other"] = _peak_mb()
    print(f"planner demo, stage by stage (scale {args.scale:g}, seed {args.seed})")
    print(f"{'stage':<28}{'seconds':>9}{'CPU s':>8}{'peak RSS MB':>13}")
    for stage, seconds in clock.seconds.items():
        print(f"{stage:<28}{seconds:>9.2f}{clock.cpu[stage]:>8.2f}{clock.peak[stage]:>13.0f}")
    print(f"{'total':<28}{total:>9.2f}{cpu:>8.2f}{_peak_mb():>13.0f}")
    print(f"load average (1 min): {load0:.2f} before, {load1:.2f} after; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()

"""A province run by county: time per county, speed-up with workers, memory per worker.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/province.py [--skip-real] [--skip-synthetic]
          [--counties 16] [--scale 0.1] [--workers 1,2] [--data ../shared/data] [--out DIR]

Two measurements, through the same calls ``planner run`` makes (:func:`load_inputs`,
:func:`planner.province.run_province`, :func:`planner.province.outputs.publish_province`),
the cache off so every county is computed:

1. **The real province, thin path**: the 136 Shandong county polygons and the 2020
   census (no roads, no bus: straight-line times), on 2 workers.
2. **A synthetic province with roads**: ``planner demo --counties N`` (default 16 counties
   of scale 0.1, ~120 km² and ~60,000 people each, OSM streets, bus, markets, places), at
   each worker count of ``--workers``; the speed-up is the wall time at the first count
   over the time at each other.

For each it prints the time to read the inputs, the county tasks' wall time, per-county
wall and CPU seconds (mean, median, max), the province outputs' time, and the peak memory
of each worker process (the highest RSS sampled during its tasks). Then the projection to
136 counties on 2 and 16 cores::

    T(n) = read + province outputs + 136 × c / (n × e)

with ``c`` the mean CPU seconds of a county (what a core must do, whatever the load) and
``e`` the parallel efficiency measured at 2 workers (speed-up / 2, at most 1). The
1-minute load average is printed before and after each part: the machine has 2 cores
shared with other work, and wall times grow with the load (CPU seconds much less).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def _thin_study(data: Path, folder: Path) -> Path:
    from planner.study import study_template

    admin = data / "shandong-admin" / "shandong_counties_gcj02.geojson"
    table = data / "shandong-census2020" / "shandong_population_2020_county.csv"
    markets = data / "shandong-gig-markets" / "shandong_gig_markets_published.csv"
    text = study_template()
    text = text.replace('"shandong_counties_gcj02.geojson"', f'"{admin}"')
    text = text.replace('"shandong_population_2020_county.csv"', f'"{table}"')
    text = text.replace('"markets.csv"', f'"{markets}"')
    text = text.replace('codes = ["370602", "370613"]', "codes = []")
    # the template's advice for a province run: a shorter limit per siting call
    text = text.replace("# time_limit_s = 60 ", "time_limit_s = 10 ")
    lines = text.splitlines()
    start = lines.index("[inputs.transit]")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(("[", "# ---")))
    del lines[start:end]
    study = folder / "study.toml"
    study.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return study


def _run(study: Path, out: Path, workers: int) -> dict[str, Any]:
    """Read, run every county (no cache), publish the province; times and memory."""
    from planner.inputs import load_inputs
    from planner.province import run_province
    from planner.province.outputs import publish_province
    from planner.study import load_study

    t0 = time.perf_counter()
    inputs = load_inputs(load_study(study))
    read_s = time.perf_counter() - t0
    done = [0]

    def tick(_o: object) -> None:
        done[0] += 1
        print(f"\r    {done[0]} counties", end="", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    run = run_province(inputs, out, workers=workers, cache=False, on_county=tick)
    tasks_s = time.perf_counter() - t0
    print(file=sys.stderr)
    t0 = time.perf_counter()
    publish_province(run)
    publish_s = time.perf_counter() - t0
    ok = [o for o in run.counties if o.status == "done"]
    workers_peak: dict[int, float] = {}
    for o in run.counties:
        workers_peak[o.worker_pid] = max(workers_peak.get(o.worker_pid, 0.0), o.peak_rss_mb)
    return {
        "counties": len(run.counties),
        "failed": [f"{o.county.name} ({o.county.code}): {o.error}" for o in run.failed],
        "read_s": read_s,
        "tasks_s": tasks_s,
        "publish_s": publish_s,
        "wall": [o.seconds for o in ok],
        "cpu": [o.cpu_seconds for o in ok],
        "peak_mb": [workers_peak[k] for k in sorted(workers_peak)],
    }


def _report(label: str, r: dict[str, Any]) -> None:
    w, c = r["wall"], r["cpu"]
    print(f"  {label}: {r['counties']} counties, {len(r['failed'])} failed")
    for f in r["failed"]:
        print(f"    FAILED {f}")
    print(
        f"    read inputs {r['read_s']:.1f} s; county tasks {r['tasks_s']:.1f} s; "
        f"province outputs {r['publish_s']:.1f} s"
    )
    if w:
        print(
            f"    per county: wall mean {statistics.mean(w):.1f} s, median "
            f"{statistics.median(w):.1f} s, max {max(w):.1f} s; CPU mean {statistics.mean(c):.1f}"
            f" s, median {statistics.median(c):.1f} s, max {max(c):.1f} s"
        )
    print(f"    peak RSS per worker: {', '.join(f'{m:,.0f} MB' for m in r['peak_mb'])}")


def _project(r: dict[str, Any], efficiency: float) -> None:
    c = statistics.mean(r["cpu"]) if r["cpu"] else 0.0
    serial = r["read_s"] + r["publish_s"]
    for n in (2, 16):
        t = serial + 136 * c / (n * efficiency)
        print(
            f"    projection, 136 counties on {n:>2} cores: {t / 60:.1f} min "
            f"(= {serial:.0f} s + 136 × {c:.1f} CPU-s / ({n} × {efficiency:.2f}))"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skip-real", action="store_true", help="skip the 136-county thin path")
    ap.add_argument("--skip-synthetic", action="store_true", help="skip the synthetic province")
    ap.add_argument("--counties", type=int, default=16)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--workers", default="1,2", help="worker counts of the synthetic runs")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=None, help="keep inputs and outputs here")
    args = ap.parse_args(argv)
    base = args.out or Path(tempfile.mkdtemp(prefix="planner-province-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; {_load()}")
    efficiency = 1.0

    if not args.skip_synthetic:
        from planner.demo import write_province_demo

        print(f"\nSynthetic province: {args.counties} counties of scale {args.scale}, with roads")
        t0 = time.perf_counter()
        files = write_province_demo(
            base / "synthetic" / "in", counties=args.counties, scale=args.scale
        )
        print(
            f"  written in {time.perf_counter() - t0:.1f} s: {files.population_total:,.0f} "
            f"people, {files.street_nodes:,} OSM nodes"
        )
        runs = {}
        for n in (int(x) for x in args.workers.split(",")):
            print(f"  [{n} worker(s)] {_load()}")
            runs[n] = _run(files.study, base / "synthetic" / f"out-{n}", n)
            _report(f"{n} worker(s)", runs[n])
            print(f"    after: {_load()}")
        first = min(runs)
        for n, r in sorted(runs.items()):
            if n != first:
                speed = runs[first]["tasks_s"] / r["tasks_s"]
                print(f"  speed-up of the county tasks, {n} vs {first} worker(s): {speed:.2f}×")
                if n == 2:
                    efficiency = min(1.0, speed / 2)
        print(f"  parallel efficiency used for the projections: {efficiency:.2f}")
        _project(runs[max(runs)], efficiency)

    if not args.skip_real:
        if not args.data.is_dir():
            print(f"\nreal data folder {args.data} is absent: thin path skipped")
            return
        print(f"\nShandong thin path: 136 counties, census, no roads; 2 workers; {_load()}")
        folder = base / "real"
        folder.mkdir(parents=True, exist_ok=True)
        r = _run(_thin_study(args.data, folder), folder / "output", 2)
        total = r["read_s"] + r["tasks_s"] + r["publish_s"]
        _report("2 workers", r)
        print(f"    total {total / 60:.1f} min (target: under 10 min); after: {_load()}")
        _project(r, efficiency)
    print(f"\noutputs in {base}")


if __name__ == "__main__":
    main()

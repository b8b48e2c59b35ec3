"""Bounded many-to-many travel times: planner.travel_times vs a networkx Dijkstra loop.

Run:  .venv/bin/python benchmarks/traveltime.py [--side 400] [--sources 2000] [--demo]

A road-like graph of ``side²`` nodes (default 160,000: a perturbed grid with diagonals,
missing and one-way segments, see ``_graphs.py``) gets three speed profiles: walk 5 km/h,
e-bike 15 km/h, drive 30-60 km/h by road class. For seeded random sources, each mode is
timed at its planning cutoff (15-min walk, 30-min e-bike, 30-min drive):

* planner: :func:`planner.network.traveltime.travel_times` from all sources to every
  node (the sparse result holds every pair within the cutoff);
* networkx: ``single_source_dijkstra_path_length(G, s, cutoff=...)`` for each source on
  the same graph (``TravelGraph.to_networkx``; the conversion is not timed). networkx
  takes the sources in a seeded random order, so when the full loop would take longer
  than ``--nx-budget-s`` and it stops after k sources, those k are a uniform sample (the
  sources are sorted by node position, i.e. in grid rows, so the first k would be a
  biased one) and its time is **extrapolated linearly** to all sources; the table says so.

The answers are compared on every source networkx ran (same reachable set, times equal
to 1e-6 s). Peak memory is the growth of the process's resident set during the planner
call: Linux ``VmHWM`` is reset through ``/proc/self/clear_refs`` before the call and read
after it, minus the resident set before it (it counts numba's own buffers, which
tracemalloc cannot see). Without that file the column shows the ``ru_maxrss`` delta,
which only counts growth beyond the process's earlier peak.

``--demo`` also runs the demo county's OSM roads (``planner.demo`` → ``roads.osm.pbf`` →
``planner.io.osm.read_osm`` → ``planner.network.streets.build_mode_graphs``), when those
modules exist.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _graphs import road_grid

from planner.network.graph import TravelGraph
from planner.network.traveltime import travel_times

log = logging.getLogger("benchmarks.traveltime")

CASES: tuple[tuple[str, float], ...] = (("walk", 15.0), ("ebike", 30.0), ("drive", 30.0))


@dataclass
class Row:
    graph: str
    mode: str
    cutoff_min: float
    planner_s: float
    nx_s: float
    nx_sources: int
    n_sources: int
    nnz: int
    peak_mb: float
    result_mb: float
    peak_how: str
    mismatches: int
    max_diff_s: float
    nodes: int

    @property
    def extrapolated(self) -> bool:
        return self.nx_sources < self.n_sources


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def time_planner(
    g: TravelGraph, sources: np.ndarray, cutoff_s: float, *, engine: str, workers: int | None
) -> tuple[float, int, float, str, object]:
    """Seconds, nnz, peak MB, how peak was measured, the result."""
    travel_times(g, sources[:2], cutoff_s=cutoff_s, engine=engine)  # warm-up (numba load)
    hwm = _reset_peak()
    rss0 = _status_kb("VmRSS")
    ru0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    tt = travel_times(g, sources, cutoff_s=cutoff_s, engine=engine, workers=workers)  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    if hwm and rss0 is not None:
        peak = ((_status_kb("VmHWM") or 0) - rss0) / 1024
        how = "VmHWM-RSS"
    else:
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - ru0) / 1024
        how = "ru_maxrss"
    return seconds, tt.nnz, peak, how, tt


def time_networkx(
    g: TravelGraph, sources: np.ndarray, cutoff_s: float, budget_s: float, *, seed: int
) -> tuple[float, int, list[tuple[int, dict[object, float]]]]:
    """Seconds for all sources (extrapolated beyond the budget), sources run, results.

    Sources run in a seeded random order (a uniform sample when the loop stops early);
    each result comes with its row in ``sources``.
    """
    G = g.to_networkx()
    ids = g.node_ids
    order = np.random.default_rng(seed).permutation(len(sources))
    results: list[tuple[int, dict[object, float]]] = []
    t0 = time.perf_counter()
    for k, row in enumerate(order.tolist()):
        lengths = nx.single_source_dijkstra_path_length(
            G, ids[sources[row]], cutoff=cutoff_s, weight="time_s"
        )
        results.append((row, lengths))
        elapsed = time.perf_counter() - t0
        # stop once the full loop would clearly exceed the budget (keep >= 5 sources)
        if k + 1 >= 5 and elapsed / (k + 1) * len(sources) > budget_s and elapsed > budget_s / 3:
            break
    elapsed = time.perf_counter() - t0
    ran = len(results)
    return elapsed * len(sources) / ran, ran, results


def compare(
    g: TravelGraph, tt: object, results: list[tuple[int, dict[object, float]]]
) -> tuple[int, float]:
    """Rows that differ (reachable set or time > 1e-6 s) and the largest time difference."""
    m = tt.matrix  # type: ignore[attr-defined]
    pos = {k: i for i, k in enumerate(g.node_ids.tolist())}
    bad = 0
    worst = 0.0
    for r, lengths in results:
        cols = m.indices[m.indptr[r] : m.indptr[r + 1]]
        vals = m.data[m.indptr[r] : m.indptr[r + 1]]
        want_cols = np.fromiter((pos[k] for k in lengths), dtype=np.int64, count=len(lengths))
        want_vals = np.fromiter(lengths.values(), dtype=float, count=len(lengths))
        order = np.argsort(want_cols)
        want_cols, want_vals = want_cols[order], want_vals[order]
        if len(cols) != len(want_cols) or not np.array_equal(cols, want_cols):
            bad += 1
            continue
        diff = float(np.abs(vals - want_vals).max()) if len(vals) else 0.0
        worst = max(worst, diff)
        if diff > 1e-6:
            bad += 1
    return bad, worst


def run_graph(
    name: str,
    graphs: dict[str, TravelGraph],
    n_sources: int,
    *,
    seed: int,
    budget_s: float,
    engine: str,
    workers: int | None,
) -> list[Row]:
    rows = []
    for mode, cutoff_min in CASES:
        if mode not in graphs:
            print(f"  {name}: no {mode} graph, skipped", flush=True)
            continue
        g = graphs[mode]
        rng = np.random.default_rng(seed)
        k = min(n_sources, g.n_nodes)
        sources = np.sort(rng.choice(g.n_nodes, k, replace=False))
        cutoff_s = cutoff_min * 60.0
        print(f"  {name} {mode} {cutoff_min:g} min: planner …", end="", flush=True)
        p_s, nnz, peak, how, tt = time_planner(g, sources, cutoff_s, engine=engine, workers=workers)
        mat = tt.matrix  # type: ignore[attr-defined]
        result_mb = (mat.data.nbytes + mat.indices.nbytes + mat.indptr.nbytes) / 2**20
        print(f" {p_s:.2f} s; networkx …", end="", flush=True)
        nx_s, ran, results = time_networkx(g, sources, cutoff_s, budget_s, seed=seed)
        bad, worst = compare(g, tt, results)
        print(f" {nx_s:.2f} s ({ran} sources run); {bad} mismatching rows", flush=True)
        del tt
        rows.append(
            Row(
                name,
                mode,
                cutoff_min,
                p_s,
                nx_s,
                ran,
                k,
                nnz,
                peak,
                result_mb,
                how,
                bad,
                worst,
                g.n_nodes,
            )
        )
    return rows


def demo_graphs(scale: float) -> dict[str, TravelGraph] | None:
    try:
        from planner.demo import write_demo_inputs
        from planner.io.osm import read_osm
        from planner.network.streets import build_mode_graphs
    except ImportError as exc:
        print(f"demo region skipped: {exc} (planner.demo / planner.io.osm not there yet)")
        return None
    out = Path(tempfile.mkdtemp(prefix="planner-bench-"))
    files = write_demo_inputs(out / "demo", scale=scale)
    if not files.roads.exists():
        print(f"demo region skipped: {files.roads} was not written")
        return None
    osm = read_osm(files.roads)
    return build_mode_graphs(osm.streets, osm.nodes)


def print_table(rows: list[Row], workers: int | None) -> None:
    head = (
        f"{'graph':<12} {'mode':<6} {'cutoff':>7} {'nodes':>8} {'sources':>7} "
        f"{'planner s':>10} {'networkx s':>11} {'ratio':>7} {'nnz':>12} {'result MB':>9} "
        f"{'peak MB':>8} "
        f"{'check':>8}"
    )
    print()
    print(head)
    print("-" * len(head))
    for r in rows:
        nx_txt = f"{r.nx_s:.2f}{'*' if r.extrapolated else ' '}"
        check = "ok" if r.mismatches == 0 else f"{r.mismatches} BAD"
        print(
            f"{r.graph:<12} {r.mode:<6} {r.cutoff_min:>5g} m {r.nodes:>8,} {r.n_sources:>7,} "
            f"{r.planner_s:>10.2f} {nx_txt:>11} {r.nx_s / r.planner_s:>6.1f}x {r.nnz:>12,} "
            f"{r.result_mb:>9.0f} "
            f"{r.peak_mb:>8.0f} {check:>8}"
        )
    print()
    for r in rows:
        if r.extrapolated:
            print(
                f"* {r.graph} {r.mode}: networkx ran {r.nx_sources} of {r.n_sources} sources "
                "(a seeded random sample); its time is extrapolated linearly to all sources "
                "(answers checked on those it ran)."
            )
    hows = sorted({r.peak_how for r in rows})
    print(
        "result MB: the CSR arrays returned (data + indices + indptr). "
        "peak MB: resident-set growth during the planner call "
        f"({', '.join(hows)}; see the module docstring). "
        f"planner threads: {workers or 'all cores'}; max |planner - networkx| = "
        f"{max((r.max_diff_s for r in rows), default=0.0):.2e} s."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--side", type=int, default=400, help="grid side (side² nodes; 400 → 160k)")
    ap.add_argument("--sources", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--nx-budget-s",
        type=float,
        default=180.0,
        help="longest networkx loop per case before sampling + linear extrapolation",
    )
    ap.add_argument("--engine", default="auto", choices=["auto", "numba", "scipy"])
    ap.add_argument("--workers", type=int, default=None, help="planner threads (default: all)")
    ap.add_argument("--demo", action="store_true", help="also run the demo county's roads")
    ap.add_argument("--demo-scale", type=float, default=1.0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    load0 = os.getloadavg()
    t0 = time.perf_counter()
    graphs = road_grid(args.side, seed=args.seed)
    g0 = graphs["walk"]
    print(
        f"grid graph: {g0.n_nodes:,} nodes; edges walk {graphs['walk'].n_edges:,}, "
        f"e-bike {graphs['ebike'].n_edges:,}, drive {graphs['drive'].n_edges:,} "
        f"(built in {time.perf_counter() - t0:.1f} s)",
        flush=True,
    )
    rows = run_graph(
        "grid",
        graphs,
        args.sources,
        seed=args.seed,
        budget_s=args.nx_budget_s,
        engine=args.engine,
        workers=args.workers,
    )
    del graphs
    if args.demo:
        demo = demo_graphs(args.demo_scale)
        if demo is not None:
            print(
                "demo county graph: "
                + ", ".join(f"{m} {g.n_nodes:,} nodes" for m, g in demo.items()),
                flush=True,
            )
            extra = run_graph(
                "demo-county",
                demo,
                args.sources,
                seed=args.seed,
                budget_s=args.nx_budget_s,
                engine=args.engine,
                workers=args.workers,
            )
            rows += extra
    print_table(rows, args.workers)
    print(
        f"load average at start {load0[0]:.2f}, at end {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} CPUs (other processes slow the planner's threads more than "
        "networkx's single thread)."
    )


if __name__ == "__main__":
    main()

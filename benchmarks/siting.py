"""Siting models: classic p-median instances with proven optima, and planner vs spopt.

Run:  .venv/bin/python benchmarks/siting.py [--suite both|pmed|spopt|limit|lscp-gap]
      p-median suite: [--pmed 1-40] [--pmed-limit-s 60] [--ref-limit-s 600]
                      [--optima benchmarks/pmed_optima.json]
      spopt suite:    [--sizes 200x20000,2000x20000,5000x100000] [--time-limit-s 120]
                      [--spopt-limit-s 300] [--both-solvers] [--seed 0]
                      [--models mclp,lscp,p_median] [--spopt-max-cells 0 (skip spopt)]

**p-median suite.** Forty instances built the way Beasley built the OR-Library ``pmed1-40``
(same n and p, 100-900 nodes, p = 5-200): a path through the n nodes plus random edges
(n²/50 in all, the last of repeated pairs kept) with integer lengths 1-100, all-pairs
shortest paths, every node a demand point of weight 1 and a candidate. They are generated
here (seeded by the instance number), so their optima are not the published ones: each is
proven by planner's exact path ("exact"), and when the ``--pmed-limit-s`` run does not prove
it, by a run with ``--ref-limit-s`` ("ref"), else by HiGHS on the reduced radius model
without node limit for up to ``--ref-limit-s`` ("mip", :func:`reference_mip`); proven
optima are cached in ``--optima`` (with the instance's checksum, so a changed generator is
detected) and the table says which run proved them.
Per instance: the heuristic alone (``solver="heuristic"``: greedy, fast interchange,
variable neighbourhood search) and its gap to the optimum; the exact path's status, its
gap to its own bound, its gap to the optimum and its seconds. Targets (issue #14): the
heuristic within 0.1 % of the optimum on average, the exact path proving optimality within
60 s where it can.

Instances: seeded random demand cells and candidates in a 35 × 35 km square; travel time
= straight-line distance / 20 km/h; a pair is stored when its time is within the cutoff,
chosen so each demand cell is covered by about 1 % of the candidates (the table prints
the measured density). Models: MCLP and p-median with p = candidates / 10 (p-median
assigns within the cutoff, else pays ``unassigned_cost_s`` = 2 × cutoff; spopt gets the
same costs as a dense matrix holding that penalty), LSCP over the coverable cells.

planner's time is end to end (validation, build, heuristics, MIP). spopt's is
``from_cost_matrix`` + ``solve(PULP_CBC_CMD(timeLimit=...))`` in a child process killed
after ``--spopt-limit-s`` ("timeout"); instances whose dense matrix would exceed 2 GB are
not given to spopt ("too big"). "heur gap" is the heuristic's gap to planner's proven
bound. ``--both-solvers`` also times HiGHS and CBC separately (how AUTO_SOLVER was set).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import multiprocessing as mp
import os
import signal
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path
from scipy.spatial import cKDTree

from planner.analysis.siting import coverage_matrix, lscp, mclp, p_median
from planner.analysis.siting._mip import MipModel
from planner.analysis.siting._warm import warm_up

log = logging.getLogger("benchmarks.siting")

SIDE_M = 35_000.0
SPEED_MS = 20 / 3.6


#: (n, p) of OR-Library pmed1 ... pmed40.
PMED: tuple[tuple[int, int], ...] = (
    (100, 5), (100, 10), (100, 10), (100, 20), (100, 33),
    (200, 5), (200, 10), (200, 20), (200, 40), (200, 67),
    (300, 5), (300, 10), (300, 30), (300, 60), (300, 100),
    (400, 5), (400, 10), (400, 40), (400, 80), (400, 133),
    (500, 5), (500, 10), (500, 50), (500, 100), (500, 167),
    (600, 5), (600, 10), (600, 60), (600, 120), (600, 200),
    (700, 5), (700, 10), (700, 70), (700, 140),
    (800, 5), (800, 10), (800, 80),
    (900, 5), (900, 10), (900, 90),
)  # fmt: skip
OPTIMA = Path(__file__).with_name("pmed_optima.json")


def pmed_instance(k: int) -> np.ndarray:
    """Dense shortest-path costs of instance ``k`` (1-40), built like Beasley's pmed``k``."""
    n, _ = PMED[k - 1]
    rng = np.random.default_rng(k)
    e = n * n // 50
    a = np.concatenate([np.arange(n - 1), rng.integers(0, n, e - (n - 1))])
    b = np.concatenate([np.arange(1, n), rng.integers(0, n, e - (n - 1))])
    length = rng.integers(1, 101, e).astype(float)
    ok = a != b
    a, b, length = a[ok], b[ok], length[ok]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo * n + hi
    _, last = np.unique(key[::-1], return_index=True)  # the last of repeated pairs
    pick = key.size - 1 - last
    graph = sp.csr_matrix((length[pick], (lo[pick], hi[pick])), shape=(n, n))
    return np.asarray(shortest_path(graph, directed=False))


def _checksum(d: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(d).tobytes()).hexdigest()[:16]


def _pmed_range(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _load() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def reference_mip(d: np.ndarray, p: int, upper: float, start: np.ndarray, limit: float) -> float:
    """The optimum by a long HiGHS run, independent of planner's work limits, or nan.

    The radius model after Lagrangian reduced-cost fixing (exact: only solutions costing
    more than ``upper - 1`` are removed; costs are whole numbers), solved without a node
    limit for up to ``limit`` seconds.
    """
    from planner.analysis.siting._median_bound import (
        fix_by_reduced_cost,
        lagrangian,
        radius_model,
        sorted_rows,
    )
    from planner.analysis.siting._mip import solve_mip

    n = d.shape[0]
    r_, c_ = np.nonzero(np.isfinite(d))
    rows = sorted_rows(sp.csr_matrix((d[r_, c_], (r_, c_)), shape=d.shape))
    w = np.ones(n)
    none = np.full(n, -1, dtype=np.int64)
    d1 = d[:, start].min(axis=1)
    lag = lagrangian(
        rows, w, p, fixed=np.zeros(n, dtype=bool), region=none, need=none[:0],
        penalty=None, upper=upper, start=d1, work=10**10,
    )  # fmt: skip
    closed, opened = fix_by_reduced_cost(lag, p, np.zeros(n, dtype=bool), upper - 0.999)
    state = np.where(closed, -1, np.where(opened, 1, 0)).astype(np.int8)
    start_mask = np.zeros(n, dtype=bool)
    start_mask[start] = True
    rm = radius_model(
        rows, w, p, state=state, region=none, need=none[:0], penalty=None,
        start_open=start_mask,
    )  # fmt: skip
    out = solve_mip(rm.model, solver="highs", time_limit_s=limit, start=rm.start)
    if out.status == "optimal":
        return float(round(min(out.objective, upper)))
    if out.status == "infeasible":  # nothing below upper - 1: upper is optimal
        return float(upper)
    return float("nan")


def run_pmed(args: argparse.Namespace) -> None:
    """The p-median suite (see the module docstring)."""
    path = Path(args.optima) if args.optima else None
    cache: dict[str, Any] = json.loads(path.read_text()) if path and path.exists() else {}
    print(f"p-median suite; load average (1/5/15 min) {_load()} on {os.cpu_count()} CPUs")
    head = (
        f"{'inst':7} {'n':>4} {'p':>4} {'optimum':>8} {'by':>5} | {'heur':>8} "
        f"{'heur gap%':>9} {'heur s':>7} | {'exact':>8} {'status':>10} {'gap%':>7} "
        f"{'vs opt%':>7} {'exact s':>7}"
    )
    print(head)
    heur_gaps: list[float] = []
    proven = 0
    rows = _pmed_range(args.pmed)
    for k in rows:
        n, p = PMED[k - 1]
        d = pmed_instance(k)
        name = f"pmed{k}"
        t0 = time.perf_counter()
        h = p_median(d, None, p, solver="heuristic", time_limit_s=args.pmed_limit_s)
        h_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        r = p_median(d, None, p, time_limit_s=args.pmed_limit_s)
        ex_s = time.perf_counter() - t0
        entry = cache.get(name)
        if entry is not None and entry.get("checksum") != _checksum(d):
            entry = None  # the generator changed: prove again
        if r.status == "optimal":
            proven += 1
            if entry is None:
                entry = {"optimum": r.objective, "by": "exact", "seconds": round(ex_s, 2)}
        if entry is None and args.ref_limit_s > 0:
            t1 = time.perf_counter()
            ref = p_median(d, None, p, time_limit_s=args.ref_limit_s)
            if ref.status == "optimal":
                entry = {
                    "optimum": ref.objective,
                    "by": "ref",
                    "seconds": round(time.perf_counter() - t1, 2),
                }
            else:  # a long MIP run without planner's work limits
                t1 = time.perf_counter()
                opt = reference_mip(d, p, h.objective, h.selected, args.ref_limit_s)
                if np.isfinite(opt):
                    entry = {
                        "optimum": opt,
                        "by": "mip",
                        "seconds": round(time.perf_counter() - t1, 2),
                    }
        if entry is not None:
            entry.update({"n": n, "p": p, "checksum": _checksum(d)})
            cache[name] = entry
        opt = float(entry["optimum"]) if entry else float("nan")
        by = str(entry["by"]) if entry else "-"
        hg = (h.objective - opt) / opt * 100 if entry else float("nan")
        eg = (r.objective - opt) / opt * 100 if entry else float("nan")
        if entry:
            heur_gaps.append(hg)
        print(
            f"{name:7} {n:4d} {p:4d} {opt:8.0f} {by:>5} | {h.objective:8.0f} {hg:9.3f} "
            f"{h_s:7.2f} | {r.objective:8.0f} {r.status:>10} {r.gap * 100:7.3f} {eg:7.3f} "
            f"{ex_s:7.2f}",
            flush=True,
        )
    if path is not None:
        path.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
    if heur_gaps:
        within = sum(g <= 0.1 + 1e-9 for g in heur_gaps)
        print(
            f"heuristic: mean gap {np.mean(heur_gaps):.3f} % (max {max(heur_gaps):.3f} %), "
            f"{within} of {len(heur_gaps)} within 0.1 %; exact path: {proven} of {len(rows)} "
            f"proven optimal within {args.pmed_limit_s:g} s"
        )
    print(f"load average (1/5/15 min) at the end: {_load()}")


def instance(m: int, n: int, seed: int = 0, share: float = 0.01) -> dict[str, Any]:
    """Random candidates/demand and the sparse time matrix within the cutoff."""
    rng = np.random.default_rng(seed)
    cand = rng.random((m, 2)) * SIDE_M
    dem = rng.random((n, 2)) * SIDE_M
    radius_m = float(np.sqrt(share * SIDE_M**2 / np.pi))
    tree_d, tree_c = cKDTree(dem), cKDTree(cand)
    dist = tree_d.sparse_distance_matrix(tree_c, radius_m, output_type="coo_matrix")
    times = sp.csr_matrix(
        (dist.data / SPEED_MS + 1e-3, (dist.row, dist.col)), shape=(n, m)
    )  # +1 ms: no pair is exactly 0 s
    weights = rng.integers(1, 100, n).astype(float)
    cutoff_s = radius_m / SPEED_MS + 1e-3
    return {"times": times, "w": weights, "cutoff_s": cutoff_s, "m": m, "n": n,
            "cand_xy": cand, "dem_xy": dem}  # fmt: skip


def run_planner(
    model: str, inst: dict[str, Any], *, solver: str, limit: float, p: int = 0
) -> dict[str, Any]:
    t0 = time.perf_counter()
    cover = coverage_matrix(inst["times"], inst["cutoff_s"])
    p = p or max(1, inst["m"] // 10)
    if model == "mclp":
        r = mclp(cover, inst["w"], p, time_limit_s=limit, solver=solver)
    elif model == "lscp":
        r = lscp(cover, time_limit_s=limit, solver=solver)
    else:
        r = p_median(
            inst["times"],
            inst["w"],
            p,
            unassigned_cost_s=2 * inst["cutoff_s"],
            time_limit_s=limit,
            solver=solver,
        )
    secs = time.perf_counter() - t0
    heur_gap = (
        abs(r.heuristic_objective - r.bound) / abs(r.heuristic_objective)
        if np.isfinite(r.bound)
        else float("nan")
    )
    return {
        "seconds": secs,
        "objective": r.objective,
        "status": r.status,
        "gap": r.gap,
        "heur_gap": heur_gap,
        "solver": r.solver,
        "heur_s": r.heuristic_seconds,
        "mip_s": r.solve_seconds,
    }


def _spopt_child(model: str, inst: dict[str, Any], limit: float, q: Any) -> None:
    import pulp
    from spopt.locate import LSCP, MCLP, PMedian

    os.setsid()  # own process group, so a timeout also stops spopt's CBC child

    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    dense = inst["times"].toarray()
    absent = inst["times"].toarray() == 0
    p = inst.get("p") or max(1, inst["m"] // 10)
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit)
    if model == "mclp":
        dense[absent] = np.inf
        obj = MCLP.from_cost_matrix(dense, inst["w"], inst["cutoff_s"], p_facilities=p)
    elif model == "lscp":
        dense[absent] = np.inf
        rows = np.isfinite(dense).any(axis=1)
        obj = LSCP.from_cost_matrix(dense[rows], inst["cutoff_s"])
    else:
        dense[absent] = 2 * inst["cutoff_s"]
        obj = PMedian.from_cost_matrix(dense, inst["w"], p_facilities=p)
    build = time.perf_counter() - t0
    obj.solve(solver)
    q.put(
        (
            time.perf_counter() - t0,
            build,
            pulp.value(obj.problem.objective),
            pulp.LpStatus[obj.problem.status],
        )
    )


def run_spopt(model: str, inst: dict[str, Any], limit: float) -> dict[str, Any] | str:
    if inst["m"] * inst["n"] * 8 * 3 > 2e9:
        return "too big"
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    proc = ctx.Process(target=_spopt_child, args=(model, inst, limit, q))
    proc.start()
    proc.join(limit + 60)
    if proc.is_alive():
        os.killpg(proc.pid, signal.SIGKILL)
        proc.join()
        return "timeout"
    if q.empty():
        return "failed"
    secs, build, objective, status = q.get()
    return {"seconds": secs, "build": build, "objective": objective, "status": status}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--suite", choices=["both", "pmed", "spopt", "limit", "lscp-gap"], default="both"
    )
    ap.add_argument("--p", type=int, default=0, help="spopt suite: sites (0: candidates / 10)")
    ap.add_argument("--pmed", default="1-40", help="instances, e.g. 1-40 or 1,5,21-25")
    ap.add_argument("--pmed-limit-s", type=float, default=60.0)
    ap.add_argument(
        "--ref-limit-s",
        type=float,
        default=600.0,
        help="time limit of the reference run proving an optimum (0: none)",
    )
    ap.add_argument("--optima", default=str(OPTIMA), help="cache of proven optima ('' off)")
    ap.add_argument("--sizes", default="200x20000,2000x20000,5000x100000")
    ap.add_argument("--models", default="mclp,lscp,p_median")
    ap.add_argument("--time-limit-s", type=float, default=120.0)
    ap.add_argument("--spopt-limit-s", type=float, default=300.0)
    ap.add_argument(
        "--spopt-max-cells",
        type=float,
        default=4.1e6,
        help="skip spopt above this many matrix cells (its dense build is slow)",
    )
    ap.add_argument("--both-solvers", action="store_true")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random instances")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warm_up()  # load the numba kernels first (as every model does before its clock starts)
    if args.suite in ("both", "pmed"):
        run_pmed(args)
    if args.suite in ("both", "spopt"):
        run_spopt_suite(args)
    if args.suite == "limit":
        run_limit_suite(args)
    if args.suite == "lscp-gap":
        run_lscp_gap(args)


def run_limit_suite(args: argparse.Namespace) -> None:
    """Every model with ``time_limit_s=1`` on large instances: seconds taken per call."""
    print(f"limit suite; load average (1/5/15 min) {_load()} on {os.cpu_count()} CPUs")
    inst = instance(2000, 20000, seed=args.seed)
    cover = coverage_matrix(inst["times"], inst["cutoff_s"])
    d = pmed_instance(38)
    calls = {
        "lscp 2000x20000": lambda: lscp(cover, time_limit_s=1),
        "lscp 90% 2000x20000": lambda: lscp(cover, target=0.9, weights=inst["w"], time_limit_s=1),
        "mclp p=50": lambda: mclp(cover, inst["w"], 50, time_limit_s=1),
        "mclp p=200": lambda: mclp(cover, inst["w"], 200, time_limit_s=1),
        "p_median p=200": lambda: p_median(
            inst["times"], inst["w"], 200, unassigned_cost_s=2 * inst["cutoff_s"],
            time_limit_s=1,
        ),
        "p_median pmed38": lambda: p_median(d, None, 5, time_limit_s=1),
    }  # fmt: skip
    print(f"{'call':22} {'seconds':>8} {'status':>10} {'gap':>8}  clock cut")
    for name, call in calls.items():
        t0 = time.perf_counter()
        r = call()
        secs = time.perf_counter() - t0
        cut = any("was stopped by the" in n for n in r.notes)
        print(f"{name:22} {secs:8.2f} {r.status:>10} {r.gap:8.2e}  {cut}", flush=True)
    print(f"load average (1/5/15 min) at the end: {_load()}")


def _cover_mip(A: sp.csr_matrix) -> MipModel:
    """Cover every row of ``A`` with the fewest columns, as a MIP."""
    n, m = A.shape
    return MipModel(np.ones(m), sp.csr_matrix(A, dtype=np.float64), np.ones(n),
                    np.full(n, np.inf), np.zeros(m), np.ones(m), np.ones(m, dtype=bool))  # fmt: skip


def run_lscp_gap(args: argparse.Namespace) -> None:
    """Where the LSCP gap at 2,000 x 20,000 comes from: the LP's integrality gap or the cover.

    On the instance's core after planner's exact reductions: the LP bound; planner's cover
    within ``--time-limit-s``; each quarter of the square (its rows, every column covering
    them) solved by HiGHS for up to ``--ref-limit-s``: the LP's gap on a quarter; then
    every half-side window (offsets of a quarter side) solved exactly with the sites
    outside it fixed, for up to ``--ref-limit-s`` each, rounds until none improves: how far
    planner's cover is from one no quarter-sized window can improve.
    """
    from planner.analysis.siting._mip import lp_bound, solve_mip
    from planner.analysis.siting._rules import Rules
    from planner.analysis.siting._set_cover import reduce_set_cover

    print(f"lscp-gap suite; load average (1/5/15 min) {_load()} on {os.cpu_count()} CPUs")
    inst = instance(2000, 20000, seed=args.seed)
    cover = sp.csr_matrix(coverage_matrix(inst["times"], inst["cutoff_s"]))
    rows = np.diff(cover.indptr) > 0
    A = sp.csr_matrix(cover[rows])
    m = A.shape[1]
    rules = Rules(np.zeros(m, dtype=bool), np.full(m, -1, dtype=np.int64), np.zeros(0, np.int64))
    alive, state = reduce_set_cover(A, rules)
    if (state == 1).any():
        raise SystemExit("the reductions opened columns: this suite handles free cores only")
    cols = np.flatnonzero(state == 0)
    core = sp.csr_matrix(A[np.flatnonzero(alive)][:, cols])
    xy = inst["dem_xy"][rows][alive] / SIDE_M
    cxy = inst["cand_xy"][cols] / SIDE_M
    lp = lp_bound(_cover_mip(core), iterations=100, time_limit_s=600).value
    t0 = time.perf_counter()
    r = lscp(core, time_limit_s=args.time_limit_s)
    print(f"core {core.shape[0]} rows x {core.shape[1]} columns; LP bound {lp:.2f}; planner "
          f"{r.objective:.0f} sites ({r.status}, bound {r.bound:.0f}) in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    limit = args.ref_limit_s
    print("quarter   rows  cols      LP   MIP  bound  LP gap%  seconds")
    for qx, qy in ((0, 0), (0, 1), (1, 0), (1, 1)):
        sel = np.flatnonzero(((xy[:, 0] >= 0.5) == qx) & ((xy[:, 1] >= 0.5) == qy))
        sub = sp.csr_matrix(core[sel])
        used = np.flatnonzero(np.diff(sub.tocsc().indptr) > 0)
        sub = sp.csr_matrix(sub[:, used])
        q_lp = lp_bound(_cover_mip(sub), iterations=100, time_limit_s=600).value
        t0 = time.perf_counter()
        out = solve_mip(_cover_mip(sub), solver="highs", time_limit_s=limit)
        print(f"({qx}, {qy})  {sub.shape[0]:6} {sub.shape[1]:5} {q_lp:7.2f} "
              f"{out.objective:5.0f} {out.bound:6.1f} {(out.objective - q_lp) / out.objective * 100:8.1f} "
              f"{time.perf_counter() - t0:8.1f}  {out.status}", flush=True)  # fmt: skip
    x = np.zeros(core.shape[1], dtype=bool)
    x[r.selected] = True
    improved = True
    while improved:
        improved = False
        for ox in (0.0, 0.25, 0.5):
            for oy in (0.0, 0.25, 0.5):
                free = (cxy[:, 0] >= ox) & (cxy[:, 0] < ox + 0.5)
                free &= (cxy[:, 1] >= oy) & (cxy[:, 1] < oy + 0.5)
                todo = np.flatnonzero(core[:, x & ~free].getnnz(axis=1) == 0)
                fc = np.flatnonzero(free)
                t0 = time.perf_counter()
                out = solve_mip(_cover_mip(sp.csr_matrix(core[todo][:, fc])), solver="highs",
                                time_limit_s=limit)  # fmt: skip
                inside = int((x & free).sum())
                if out.x is not None and out.objective < inside - 0.5:
                    x[fc] = out.x > 0.5
                    improved = True
                print(f"window ({ox:.2f}, {oy:.2f}): {todo.size} rows, {inside} sites inside -> "
                      f"{out.objective:.0f} ({out.status}, {time.perf_counter() - t0:.1f} s); "
                      f"cover {int(x.sum())}", flush=True)  # fmt: skip
    assert core[:, x].getnnz(axis=1).all()
    print(f"window search: {int(x.sum())} sites (planner {r.objective:.0f}, LP bound {lp:.2f})")


def run_spopt_suite(args: argparse.Namespace) -> None:
    """planner vs spopt on random instances (see the module docstring)."""
    print(f"spopt suite; load average (1/5/15 min) {_load()} on {os.cpu_count()} CPUs")
    head = (
        f"{'model':9} {'size':>13} {'dens%':>5} {'solver':>6} {'planner s':>9} "
        f"{'objective':>14} {'status':>10} {'gap':>8} {'heur gap':>8} {'heur s':>7} "
        f"{'spopt s':>9} {'spopt obj':>14} {'ratio':>6}"
    )
    print(head)
    for size in args.sizes.split(","):
        m, n = (int(v) for v in size.split("x"))
        inst = instance(m, n, seed=args.seed)
        inst["p"] = args.p or max(1, m // 10)
        dens = inst["times"].nnz / (m * n) * 100
        for model in args.models.split(","):
            solvers = ["highs", "cbc"] if args.both_solvers else ["auto"]
            rows = [
                (s, run_planner(model, inst, solver=s, limit=args.time_limit_s, p=args.p))
                for s in solvers
            ]
            sp_res: dict[str, Any] | str = "skipped"
            if m * n <= args.spopt_max_cells:
                sp_res = run_spopt(model, inst, args.spopt_limit_s)
            for _s, r in rows:
                if isinstance(sp_res, dict):
                    sp_s, sp_o = f"{sp_res['seconds']:9.1f}", f"{sp_res['objective']:14.6g}"
                    ratio = f"{sp_res['seconds'] / r['seconds']:6.1f}"
                else:
                    sp_s, sp_o, ratio = f"{sp_res:>9}", f"{'':>14}", f"{'':>6}"
                print(
                    f"{model:9} {size:>13} {dens:5.2f} {r['solver']:>6} {r['seconds']:9.2f} "
                    f"{r['objective']:14.6g} {r['status']:>10} {r['gap']:8.2e} "
                    f"{r['heur_gap']:8.2e} {r['heur_s']:7.2f} {sp_s} {sp_o} {ratio}",
                    flush=True,
                )


if __name__ == "__main__":
    main()

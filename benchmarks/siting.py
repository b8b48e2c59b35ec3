"""Siting models: planner (sparse build + greedy/swap + MIP) vs spopt (dense build + CBC).

Run:  .venv/bin/python benchmarks/siting.py [--sizes 200x20000,2000x20000,5000x100000]
      [--time-limit-s 120] [--spopt-limit-s 300] [--both-solvers] [--seed 0]
      [--models mclp,lscp,p_median] [--spopt-max-cells 0 (skip spopt)]

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
import logging
import multiprocessing as mp
import os
import signal
import time
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from planner.analysis.siting import coverage_matrix, lscp, mclp, p_median

log = logging.getLogger("benchmarks.siting")

SIDE_M = 35_000.0
SPEED_MS = 20 / 3.6


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
    return {"times": times, "w": weights, "cutoff_s": cutoff_s, "m": m, "n": n}


def run_planner(model: str, inst: dict[str, Any], *, solver: str, limit: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    cover = coverage_matrix(inst["times"], inst["cutoff_s"])
    p = max(1, inst["m"] // 10)
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
    p = max(1, inst["m"] // 10)
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
    ap = argparse.ArgumentParser(description=__doc__)
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
    head = (
        f"{'model':9} {'size':>13} {'dens%':>5} {'solver':>6} {'planner s':>9} "
        f"{'objective':>14} {'status':>10} {'gap':>8} {'heur gap':>8} {'heur s':>7} "
        f"{'spopt s':>9} {'spopt obj':>14} {'ratio':>6}"
    )
    print(head)
    for size in args.sizes.split(","):
        m, n = (int(v) for v in size.split("x"))
        inst = instance(m, n, seed=args.seed)
        dens = inst["times"].nnz / (m * n) * 100
        for model in args.models.split(","):
            solvers = ["highs", "cbc"] if args.both_solvers else ["auto"]
            rows = [
                (s, run_planner(model, inst, solver=s, limit=args.time_limit_s)) for s in solvers
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

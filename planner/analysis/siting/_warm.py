"""Load (or, the first time after installing, compile) every numba kernel of the models.

The kernels are compiled on first use and cached on disk; loading them still takes a
moment in each new process, and compiling them takes seconds. :func:`warm_up` runs each
once on a tiny instance *before* a model starts its clock, so that ``time_limit_s`` buys
the same work on the first call of a process as on the next (a budget eaten by the compiler
would make the first answer differ from the others).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["warm_up"]

_done = False


def warm_up() -> None:
    """Run every kernel once (once per process; cheap after the first time)."""
    global _done
    if _done:
        return
    _done = True
    from planner.analysis.siting import _set_cover as setcover
    from planner.analysis.siting._cover_reduce import cover_lagrangian, dominated_columns
    from planner.analysis.siting._median_bound import lagrangian, radius_model, sorted_rows
    from planner.analysis.siting._median_search import MedianSearch
    from planner.analysis.siting._median_tree import median_tree
    from planner.analysis.siting._rules import Rules

    n, m, p = 6, 4, 2
    rng = np.random.default_rng(0)
    d = rng.integers(1, 9, (n, m)).astype(np.float64)
    r_, c_ = np.nonzero(np.ones((n, m), dtype=bool))
    cost = sp.csr_matrix((d[r_, c_], (r_, c_)), shape=(n, m))
    w = np.ones(n)
    pen = np.full(n, 100.0)
    rules = Rules(np.zeros(m, dtype=bool), np.full(m, -1, dtype=np.int64), np.zeros(0, np.int64))
    start = np.array([True, True, False, False])
    search = MedianSearch(cost, w, pen, start, rules)
    search.descend(10_000)
    search.vns(10_000, patience=2)
    rows = sorted_rows(cost)
    lag = lagrangian(
        rows, w, p, fixed=rules.fixed, region=rules.region, need=rules.need, penalty=pen,
        upper=100.0, start=w.copy(), work=10_000,
    )  # fmt: skip
    state = np.zeros(m, dtype=np.int8)
    radius_model(
        rows, w, p, state=state, region=rules.region, need=rules.need, penalty=pen,
        start_open=start,
    )  # fmt: skip
    median_tree(
        rows, w, p, state=state, penalty=pen, incumbent=start, upper=100.0, lam=lag.lam,
        delta=1e-6, work=10_000,
    )  # fmt: skip
    cover = sp.csr_matrix(d <= 4, dtype=np.float64)
    cover = sp.csr_matrix(cover[np.diff(cover.indptr) > 0])
    dominated_columns(cover, np.ones(m, dtype=bool))
    cover_lagrangian(cover, rules, upper=float(m), work=10_000)
    setcover.reduce_set_cover(cover, rules)
    setcover.lscp_local_search(cover, np.ones(m, dtype=bool), rules, iterations=10)

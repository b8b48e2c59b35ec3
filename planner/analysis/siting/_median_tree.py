"""Lagrangian branch and bound for the p-median (Beasley 1985's tree search, in numba).

Each node of a depth-first tree fixes some candidates open or closed; its bound is the
Lagrangian relaxation of the assignment rows (:mod:`._median_bound`) from the parent's
multipliers, its relaxed choice of sites is evaluated as a solution (the incumbent
improves on the way), candidates are fixed by reduced cost for the subtree, and the tree
branches on the chosen free candidate of least ``ρ``: first open, then closed. A node whose
bound reaches the incumbent (less one unit when costs are whole numbers) is pruned. The
tree stops on a node or work limit; the bound it proves is then the least bound of the
nodes left.

Valid without region minimums (the caller uses the MIP when there are some).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import NDArray

from planner.analysis.siting._median_bound import _subgradient

__all__ = ["TreeOutcome", "median_tree"]

#: Subgradient steps at the root and at every other node.
ROOT_STEPS = 300
NODE_STEPS = 40


@njit(cache=True)
def _cost_of(rptr, rcol, rcost, w, pen, has_pen, pick):  # type: ignore[no-untyped-def]
    """Cost of serving every row from its nearest picked candidate (or its penalty)."""
    total = 0.0
    for i in range(w.size):
        c = pen[i] if has_pen else np.inf
        for q in range(rptr[i], rptr[i + 1]):
            if has_pen and rcost[q] >= pen[i]:
                break
            if pick[rcol[q]]:
                c = rcost[q]
                break
        total += w[i] * c
    return total


@njit(cache=True)
def _tree(  # type: ignore[no-untyped-def]
    rptr,
    rcol,
    rcost,
    w,
    pen,
    has_pen,
    p,
    state0,
    region,
    need,
    upper0,
    best_open,
    lam0,
    node_limit,
    work_limit,
    delta,
    ctl,
):
    """Depth-first search; returns (incumbent cost, proven lower bound, finished)."""
    m = state0.size
    n = w.size
    cap = 2 * m + 4
    states = np.zeros((cap, m), dtype=np.int8)
    lams = np.zeros((cap, n))
    thetas = np.zeros(cap)
    pbound = np.zeros(cap)
    top = 0
    states[0] = state0
    lams[0] = lam0
    thetas[0] = 2.0
    pbound[0] = -np.inf
    top = 1
    ub = upper0
    best_lam = np.zeros(n)
    best_rho = np.zeros(m)
    best_pick = np.zeros(m, dtype=np.bool_)
    theta_io = np.zeros(1)
    nodes = 0
    while top > 0:
        if nodes >= node_limit or ctl[0] >= work_limit:
            break
        top -= 1
        if pbound[top] > ub - delta:
            continue
        state = states[top].copy()
        lam = lams[top].copy()
        theta_io[0] = thetas[top]
        opened = state == 1
        closed = state == -1
        steps = ROOT_STEPS if nodes == 0 else NODE_STEPS
        halve = 30 if nodes == 0 else 8
        bound = _subgradient(
            rptr, rcol, rcost, w, pen, has_pen, p, opened, closed, region, need, ub, lam,
            theta_io, steps, work_limit, halve, best_lam, best_rho, best_pick, ctl,
        )  # fmt: skip
        nodes += 1
        if bound == np.inf:
            continue
        bound = max(bound, pbound[top])
        cost = _cost_of(rptr, rcol, rcost, w, pen, has_pen, best_pick)
        if cost < ub - 1e-9 * max(1.0, abs(ub)):
            ub = cost
            best_open[:] = best_pick
        if bound > ub - delta:
            continue
        # reduced-cost fixing for the subtree
        last = -np.inf
        nxt = np.inf
        nopen = 0
        for j in range(m):
            if opened[j]:
                nopen += 1
            elif best_pick[j]:
                last = max(last, best_rho[j])
            elif not closed[j]:
                nxt = min(nxt, best_rho[j])
        nfree = 0
        for j in range(m):
            if opened[j] or closed[j]:
                continue
            if best_pick[j]:
                if bound - best_rho[j] + nxt > ub - delta:
                    state[j] = 1
                    nopen += 1
                else:
                    nfree += 1
            elif bound + best_rho[j] - last > ub - delta:
                state[j] = -1
            else:
                nfree += 1
        if nopen > p:
            continue
        if nopen == p or nfree == p - nopen:
            leaf = state >= 0 if nopen < p else state == 1
            cost = _cost_of(rptr, rcol, rcost, w, pen, has_pen, leaf)
            if cost < ub - 1e-9 * max(1.0, abs(ub)):
                ub = cost
                best_open[:] = leaf
            continue
        # branch on the chosen free candidate of least rho: open first (explored first)
        jb = -1
        for j in range(m):
            if state[j] == 0 and best_pick[j] and (jb < 0 or best_rho[j] < best_rho[jb]):
                jb = j
        if jb < 0:
            for j in range(m):
                if state[j] == 0 and (jb < 0 or best_rho[j] < best_rho[jb]):
                    jb = j
        if top + 2 > cap:
            break
        states[top] = state
        states[top, jb] = -1
        lams[top] = best_lam
        thetas[top] = theta_io[0]
        pbound[top] = bound
        top += 1
        states[top] = state
        states[top, jb] = 1
        lams[top] = best_lam
        thetas[top] = theta_io[0]
        pbound[top] = bound
        top += 1
    lb = ub
    for t in range(top):
        lb = min(lb, pbound[t])
    ctl[2] = nodes
    return ub, lb, top == 0


@dataclass
class TreeOutcome:
    """What the tree search found."""

    open_mask: NDArray[np.bool_]
    objective: float
    bound: float
    finished: bool
    nodes: int
    work: int


def median_tree(
    rows: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]],
    w: NDArray[np.float64],
    p: int,
    *,
    state: NDArray[np.int8],
    penalty: NDArray[np.float64] | None,
    incumbent: NDArray[np.bool_],
    upper: float,
    lam: NDArray[np.float64],
    delta: float,
    node_limit: int,
    work: int,
) -> TreeOutcome:
    """Branch and bound from ``state`` (1 open, -1 closed, 0 free) and an incumbent.

    Parameters
    ----------
    rows
        Cost-sorted CSR arrays of active rows × allowed candidates.
    w
        Demand weights.
    p
        Number of sites.
    state
        Candidates already decided (fixed sites, reduced-cost fixing).
    penalty
        Unassigned cost per row, or None.
    incumbent, upper
        The best known solution and its cost.
    lam
        Multipliers to start from (the root bound's).
    delta
        A node is pruned when its bound exceeds ``upper - delta`` (just under one unit when
        costs are whole numbers, the MIP tolerance otherwise).
    node_limit, work
        Work limits: nodes and entries visited.

    Returns
    -------
    TreeOutcome
        The best solution, its cost, the proven bound and whether the tree was exhausted
        (then ``bound`` = ``objective`` up to ``delta``).
    """
    rptr, rcol, rcost = rows
    m = state.size
    best = incumbent.astype(np.bool_).copy()
    ctl = np.zeros(3, dtype=np.int64)
    pen = penalty if penalty is not None else np.zeros(w.size)
    ub, lb, finished = _tree(
        rptr, rcol, rcost, w, pen, penalty is not None, int(p), state.astype(np.int8),
        np.full(m, -1, dtype=np.int64), np.zeros(0, dtype=np.int64), float(upper), best,
        np.asarray(lam, dtype=np.float64), int(node_limit), int(work), float(delta), ctl,
    )  # fmt: skip
    if finished:  # every node was pruned: no solution below ub - delta
        lb = max(lb, ub - delta)
    return TreeOutcome(best, float(ub), float(lb), bool(finished), int(ctl[2]), int(ctl[0]))

"""Lagrangian branch and bound for the p-median (Beasley 1985's tree search, in numba).

Each node of a depth-first tree fixes some candidates open or closed; its bound is the
Lagrangian relaxation of the assignment rows (:mod:`._median_bound`) from the parent's
multipliers, its relaxed choice of sites is evaluated as a solution (the incumbent
improves on the way), candidates are fixed by reduced cost for the subtree, and the tree
branches on the chosen free candidate of least ``ρ``: first open, then closed. A node whose
bound reaches the incumbent (less one unit when costs are whole numbers) is pruned. The
tree stops on a node or work limit; the bound it proves is then the least bound of the
nodes left.

:func:`probe_tree` is the other search: few nodes, each probed candidate by candidate
(:func:`~planner.analysis.siting._median_bound.probe`), for small ``p`` where the LP gap
is wide and Beasley's bound moves slowly.

Valid without region minimums (the caller uses the MIP when there are some).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import NDArray

from planner.analysis.siting._budget import Budget
from planner.analysis.siting._median_bound import _subgradient, probe

__all__ = ["TreeOutcome", "median_tree", "probe_tree"]

#: Subgradient steps at the root and at every other node.
ROOT_STEPS = 300
NODE_STEPS = 40
#: Least step factor a node starts its subgradient steps with (a child inherits its
#: parent's, which is tiny after the root converged, so its multipliers could not move).
NODE_THETA = 0.5
#: Nodes between two looks at the clock.
NODES_PER_LOOK = 50
#: Subgradient steps of a probing-tree node's own bound (from its parent's multipliers).
PROBE_NODE_STEPS = 100


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
    region,
    need,
    best_open,
    stack,
    node_stop,
    work_limit,
    delta,
    ctl,
    fctl,
):
    """Depth-first search until the stack is empty, ``node_stop`` nodes, or the work limit.

    The tree lives in ``stack`` (states, multipliers, step factors, parent bounds), ``ctl``
    (work, top of the stack, nodes) and ``fctl`` (incumbent cost), so a search run in pieces
    explores the same nodes as one run.
    """
    states, lams, thetas, pbound = stack
    m = states.shape[1]
    n = w.size
    cap = states.shape[0]
    ub = fctl[0]
    best_lam = np.zeros(n)
    best_rho = np.zeros(m)
    best_pick = np.zeros(m, dtype=np.bool_)
    fst = np.zeros(2)
    ist = np.zeros(2, dtype=np.int64)
    sctl = np.zeros(2, dtype=np.int64)
    while ctl[1] > 0 and ctl[2] < node_stop and ctl[0] < work_limit:
        ctl[1] -= 1
        top = ctl[1]
        if pbound[top] > ub - delta:
            continue
        state = states[top].copy()
        lam = lams[top].copy()
        opened = state == 1
        closed = state == -1
        root = ctl[2] == 0
        fst[0] = -np.inf
        fst[1] = thetas[top]
        ist[0] = 0
        sctl[0] = ctl[0]
        bound = _subgradient(
            rptr, rcol, rcost, w, pen, has_pen, p, opened, closed, region, need, ub, lam,
            fst, ist, ROOT_STEPS if root else NODE_STEPS, work_limit, 30 if root else 8,
            best_lam, best_rho, best_pick, sctl,
        )  # fmt: skip
        ctl[0] = sctl[0]
        ctl[2] += 1
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
            ctl[1] = top + 1  # no room: keep this node unexplored, its bound stands
            break
        for side in (-1, 1):
            states[ctl[1]] = state
            states[ctl[1], jb] = side
            lams[ctl[1]] = best_lam
            thetas[ctl[1]] = max(fst[1], NODE_THETA)
            pbound[ctl[1]] = bound
            ctl[1] += 1
    fctl[0] = ub


@dataclass
class TreeOutcome:
    """What the tree search found."""

    open_mask: NDArray[np.bool_]
    objective: float
    bound: float
    finished: bool
    nodes: int
    work: int
    cut: bool = False  # stopped by the clock: the caller drops it


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
    work: int,
    budget: Budget | None = None,
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
    work
        Work limit (entries visited).
    budget
        The call's budget: the clock is looked at every :data:`NODES_PER_LOOK` nodes, and
        a search it stops is returned with ``cut`` set (the caller drops it).

    Returns
    -------
    TreeOutcome
        The best solution, its cost, the proven bound and whether the tree was exhausted
        (then ``bound`` = ``objective`` up to ``delta``).
    """
    rptr, rcol, rcost = rows
    m = state.size
    n = w.size
    best = incumbent.astype(np.bool_).copy()
    cap = 2 * m + 4
    stack = (
        np.zeros((cap, m), dtype=np.int8),
        np.zeros((cap, n)),
        np.zeros(cap),
        np.zeros(cap),
    )
    stack[0][0] = state
    stack[1][0] = np.asarray(lam, dtype=np.float64)
    stack[2][0] = 2.0
    stack[3][0] = -np.inf
    ctl = np.array([0, 1, 0], dtype=np.int64)  # work, top of the stack, nodes
    fctl = np.array([float(upper)])
    pen = penalty if penalty is not None else np.zeros(w.size)
    cut = False
    while ctl[1] > 0 and ctl[0] < work:
        _tree(
            rptr, rcol, rcost, w, pen, penalty is not None, int(p),
            np.full(m, -1, dtype=np.int64), np.zeros(0, dtype=np.int64), best, stack,
            int(ctl[2]) + NODES_PER_LOOK, int(work), float(delta), ctl, fctl,
        )  # fmt: skip
        if ctl[1] > 0 and ctl[0] < work and budget is not None and budget.expired():
            cut = True
            break
    ub = float(fctl[0])
    top = int(ctl[1])
    finished = top == 0
    lb = min([ub, *stack[3][:top].tolist()])
    if finished:  # every node was pruned: no solution below ub - delta
        lb = max(lb, ub - delta)
    return TreeOutcome(best, ub, float(lb), finished, int(ctl[2]), int(ctl[0]), cut)


def probe_tree(
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
    work: int,
    budget: Budget | None = None,
) -> TreeOutcome:
    """Depth-first branch and bound that probes every node: few nodes, each dear.

    A node's bound is raised by :data:`PROBE_NODE_STEPS` subgradient steps from its
    parent's multipliers; then every free candidate is probed
    (:func:`~planner.analysis.siting._median_bound.probe`), which closes most of them when
    ``p`` is small; the tree branches on the free candidate of the relaxation's choice
    whose probes (forced open, forced closed) gave the highest lesser bound, the open
    side first. This proves small-``p`` instances whose LP gap Beasley's tree
    (:func:`median_tree`) narrows too slowly. Parameters and result as for
    :func:`median_tree`.
    """
    rptr, rcol, rcost = rows
    m = state.size
    n = w.size
    has_pen = penalty is not None
    pen = penalty if penalty is not None else np.zeros(n)
    region = np.full(m, -1, dtype=np.int64)
    need = np.zeros(0, dtype=np.int64)
    best = incumbent.astype(np.bool_).copy()
    ub = float(upper)
    used = 0
    nodes = 0
    cut = False
    stack: list[tuple[NDArray[np.int8], NDArray[np.float64], float]] = [
        (state.astype(np.int8).copy(), np.asarray(lam, dtype=np.float64).copy(), -np.inf)
    ]
    best_lam = np.empty(n)
    best_rho = np.empty(m)
    pick = np.zeros(m, dtype=np.bool_)

    def better(open_mask: NDArray[np.bool_]) -> None:
        nonlocal ub
        cost = float(_cost_of(rptr, rcol, rcost, w, pen, has_pen, open_mask))
        if cost < ub - 1e-9 * max(1.0, abs(ub)):
            ub = cost
            best[:] = open_mask

    while stack:
        if used >= work:
            break
        if budget is not None and budget.expired():
            cut = True
            break
        st, lam0, pb = stack.pop()
        if pb > ub - delta:
            continue
        nodes += 1
        ctl = np.zeros(2, dtype=np.int64)
        b = float(
            _subgradient(
                rptr, rcol, rcost, w, pen, has_pen, int(p), st == 1, st == -1, region, need,
                ub, lam0.copy(), np.array([-np.inf, 2.0]), np.zeros(2, dtype=np.int64),
                PROBE_NODE_STEPS, int(work - used), 10, best_lam, best_rho, pick, ctl,
            )
        )  # fmt: skip
        used += int(ctl[0])
        if b == np.inf:  # no choice of p candidates left
            continue
        b = max(b, pb)
        if ctl[1] > 0:
            better(pick.copy())
        if b > ub - delta:
            continue
        lam1, rho1, pick1 = best_lam.copy(), best_rho.copy(), pick.copy()
        if used >= work:
            stack.append((st, lam1, b))
            break
        pr = probe(
            rows, w, p, state=st, region=region, need=need, penalty=penalty, lam=lam1,
            rho=rho1, target=ub - delta, upper=ub, work=int(work - used), budget=budget,
        )  # fmt: skip
        used += pr.work
        if pr.cut:
            cut = True
            stack.append((st, lam1, b))
            break
        if pr.empty:
            continue
        s2 = pr.state
        nopen = int((s2 == 1).sum())
        if nopen == p or int((s2 >= 0).sum()) == p:
            better(s2 == 1 if nopen == p else s2 >= 0)
            continue
        if used >= work:  # the probes ran out of work: the node stays, with what they fixed
            stack.append((s2, lam1, b))
            break
        free = np.flatnonzero((s2 == 0) & pick1)
        if free.size == 0:
            free = np.flatnonzero(s2 == 0)
        score = np.minimum(np.maximum(pr.open_bound[free], b), np.maximum(pr.close_bound[free], b))
        jb = int(free[int(np.argmax(score))])
        for side in (-1, 1):  # the open side is popped first
            child = s2.copy()
            child[jb] = side
            stack.append((child, lam1, b))
    finished = not stack and not cut
    lb = min([ub, *[node[2] for node in stack]])
    if finished:  # every node was pruned: no solution below ub - delta
        lb = max(lb, ub - delta)
    return TreeOutcome(best, ub, float(lb), finished, nodes, used, cut)

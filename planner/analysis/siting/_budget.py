"""The time budget of one siting call: work limits first, the wall clock as a safety net.

``time_limit_s`` bounds the whole call: build, heuristics, bounds and the MIP. To keep the
answer independent of the machine's speed and load, every phase stops on a *work limit*
(moves, subgradient steps, simplex iterations, branch-and-bound nodes) sized from
``time_limit_s`` and the instance alone, with rates measured on a 2-core machine and divided
by :data:`SAFETY` so that a loaded machine still finishes the work within the limit.

The wall clock only stops a phase that overruns anyway (a much slower or overloaded
machine). Such a phase is *discarded*: the answer is that of the last phase that finished,
which is the same on every machine, and ``SitingResult.notes`` says what was cut. The
first construction (the greedy) always runs to its end, whatever the limit.

Examples
--------
>>> b = Budget(10.0)
>>> b.work(0.5, 1000.0) == int(0.5 * 10.0 * 1000.0 / SAFETY)
True
>>> b.expired()
False
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

__all__ = [
    "IPM_RATE",
    "LAGRANGE_RATE",
    "MOVE_RATE",
    "SAFETY",
    "SIMPLEX_RATE",
    "Budget",
    "mip_plan",
]

log = logging.getLogger(__name__)

#: Factor by which the measured rates below are divided: work sized for ``T`` seconds on an
#: idle machine takes about ``T / SAFETY``, so the clock bites only beyond that slowdown.
SAFETY = 3.0
#: Local-search work units (matrix entries and profit cells visited) per second, measured
#: on the benchmark instances (numba kernels, one core).
MOVE_RATE = 2.0e8
#: Lagrangian work units (matrix entries visited by a subgradient step) per second.
LAGRANGE_RATE = 1.5e8
#: Simplex work units per second: one unit is one simplex iteration on a model with
#: 1,000 rows + columns + nonzeros (HiGHS, one thread).
SIMPLEX_RATE = 1.5e5
#: Interior-point work units per second: one unit is one iteration on a model with one
#: nonzero (HiGHS's IPX, one thread, no crossover): 2.1-5.6e6 measured on county
#: coverage-target models of 68,000-117,000 nonzeros (30-41 iterations to the optimum).
IPM_RATE = 2.0e6
#: Simplex iterations a branch-and-bound node costs, with its overhead (propagation,
#: cuts in the LP): 80 iterations measured, at about a quarter of the root's speed.
ITERS_PER_NODE = 300
#: Simplex iterations the root node is expected to take (its LP, cut rounds and heuristics),
#: per row of the model, by model, measured with HiGHS 1.16: unicost set-cover cores 20
#: (the LP alone 1.3, the cut rounds and sub-MIPs the rest), radius models up to 1.6 for
#: the LP, MCLP coverage models about 0.2; coverage-target models (the fewest sites reaching
#: a share) 1.8-8.2 at this rate on county models of 3,300-4,700 rows, whose root LP is
#: degenerate and where HiGHS restarts and runs its heuristics (4-20 s a root).
#: The least share of the limit (seconds) worth a MIP: HiGHS's presolve, root cuts and
#: heuristics cost 0.2-0.5 s even on radius models of 400-700 rows (5-40 times the
#: per-row estimate), so the short solves of a curve's points (a tier's limit shared by
#: its points) were stopped by the clock; below this the MIP is not started.
MIN_MIP_SECONDS = 1.5
#: Radius models: 62, the worst measured (12-01, third session): on county coverage models
#: posed as p-medians (covered 0, uncovered its weight), HiGHS's root alone took 6.2 s on
#: 1,108 rows and 7.0 s on 1,638 (restarts, symmetry, sub-MIP heuristics: 33-62 per row at
#: this rate, not the 2 once assumed), so a 10 s county call started them with 2-19 nodes
#: and the clock stopped them under load; p-median models of the pmed instances cost 1-2
#: per row, but the probing tree proves those without the MIP.
ITERS_PER_ROW = {"set_cover": 20.0, "radius": 62.0, "cover": 0.5, "target": 6.0}


@dataclass
class Budget:
    """Work limits and the wall-clock deadline of one call.

    Parameters
    ----------
    time_limit_s
        Seconds the whole call may take.
    start
        ``time.perf_counter()`` at the start of the call.
    notes
        Messages for ``SitingResult.notes`` (a phase cut by the clock).
    """

    time_limit_s: float
    start: float = field(default_factory=time.perf_counter)
    notes: list[str] = field(default_factory=list)

    def elapsed(self) -> float:
        """Seconds since the start of the call."""
        return time.perf_counter() - self.start

    def left(self) -> float:
        """Seconds left before the deadline (0 when past it)."""
        return max(0.0, self.time_limit_s - self.elapsed())

    def expired(self) -> bool:
        """True when the deadline has passed."""
        return self.elapsed() >= self.time_limit_s

    def work(self, share: float, rate: float) -> int:
        """Work units of a phase given ``share`` of the limit at ``rate`` units per second.

        Depends on ``time_limit_s`` only, never on the clock: the same on any machine.
        """
        return max(1, int(share * self.time_limit_s * rate / SAFETY))

    def cut(self, what: str, kept: str) -> None:
        """Record that the clock stopped ``what``, whose work is dropped for ``kept``."""
        msg = (
            f"{what} was stopped by the {self.time_limit_s:g} s time limit before its work "
            f"limit (a slow or loaded machine); its work is dropped and {kept} is returned, "
            "as on any machine where the limit bites"
        )
        log.warning(msg)
        self.notes.append(msg)


def mip_plan(
    budget: Budget, share: float, rows: int, cols: int, nnz: int, kind: str = "cover"
) -> int | None:
    """Nodes a MIP of this size may explore within ``share`` of the limit, or None.

    None means that even the root LP is expected to take more than that share (the
    :data:`ITERS_PER_ROW` of ``kind`` simplex iterations per row), or that the share is
    under :data:`MIN_MIP_SECONDS`: the MIP is then not started, a decision taken from the
    sizes and the limit alone, the same on every machine.
    """
    if share * budget.time_limit_s < MIN_MIP_SECONDS:
        return None
    size = max(1.0, (rows + cols + nnz) / 1000.0)
    units = budget.work(share, SIMPLEX_RATE)
    root = ITERS_PER_ROW[kind] * rows * size
    if root > units:
        return None
    return max(1, int((units - root) / (ITERS_PER_NODE * size)))

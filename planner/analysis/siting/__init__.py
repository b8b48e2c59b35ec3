"""Where to open markets: LSCP, MCLP and p-median on sparse coverage and cost matrices.

Inputs are matrices, as in spopt's ``from_cost_matrix``, so this module is pure
numpy/scipy: ``coverage`` is a demand × candidate boolean ``scipy.sparse`` matrix (build it
from travel times with :func:`coverage_matrix`), ``cost`` a demand × candidate sparse matrix
of seconds in which *absent* means "not allowed" (beyond the cutoff, unreachable) and a
*stored zero* means 0 s. A dense cost array is read with every finite entry allowed, zeros
included; ``scipy.sparse.csr_matrix(dense)`` drops those zeros (they would then read as "not
allowed"), so a sparse matrix that looks like such a conversion raises a
:class:`~planner.errors.SitingWarning`. ``weights``
default to 1 per row (``None``).

Models (``y_j`` = 1 when candidate ``j`` opens; ``N_i`` = candidates covering demand ``i``;
``w_i`` demand weight; continuous ``x_i``/``z_ij`` in [0, 1], exact because ``y`` is
integer)::

    LSCP      min Σ y_j            s.t. Σ_{j∈N_i} y_j ≥ 1 for every coverable i (target 1), or
                                        x_i ≤ Σ_{j∈N_i} y_j, Σ w_i x_i ≥ target · W
    MCLP      max Σ w_i x_i        s.t. x_i ≤ Σ_{j∈N_i} y_j, Σ y_j = p
    cap. MCLP max Σ w_i z_ij       s.t. Σ_j z_ij ≤ 1, Σ_i w_i z_ij ≤ C_j y_j, z_ij ≤ y_j, Σ y = p
    p-median  min Σ w_i c_ij x_ij (+ Σ w_i P u_i)
                                   s.t. Σ_j x_ij (+ u_i) = 1, x_ij ≤ y_j, Σ y_j = p
                                        (capacitated: Σ_i w_i x_ij ≤ C_j y_j)

``z``/``x`` exist only on the stored entries of the sparse matrix. Demand rows with the same
coverage set are merged (weights summed) before the cover models are built. Every model
takes ``fixed`` candidates (forced open; they count towards ``p``), ``excluded`` candidates
(never open; removed before building), ``regions`` with ``min_per_region`` (e.g. at least one
comprehensive market per county, 鲁人社字〔2022〕3号) and, for the cover models, equity
``floors``: each priority group's covered weight ≥ floor × the group's total weight.
Capacitated demand is splittable (a cell's workers may go to several markets); spopt's
capacitated p-median assigns each client to one facility, so its objective can be higher.

Unreachable demand in p-median: by default every demand row with weight must have at least
one allowed candidate (else :class:`~planner.errors.SitingError`) and is assigned; with
``unassigned_cost_s`` a row may stay unassigned at that cost per unit weight (a penalty
equal to the cost of a market that far away).

Heuristics always run first and are the fallback; bounds and reductions come next, and the
MIP last, on what the reductions leave:

* **p-median** (:mod:`~planner.analysis.siting._median_exact`): lazy greedy, then the fast
  interchange of Whitaker with Resende & Werneck's gain / loss / extra tables and variable
  neighbourhood search (Hansen & Mladenović), compiled with numba
  (:mod:`~planner.analysis.siting._median_search`); the Lagrangian bound of the assignment
  rows by subgradient steps over cost-sorted rows; Lagrangian reduced-cost fixing of
  candidates; a Lagrangian tree search (Beasley's) and the radius formulation
  (Elloumi 2010; García, Labbé & Marín 2011) written as a chain of one row per distinct
  cost, cut short where a row is surely served, solved by HiGHS or CBC from the heuristic's
  solution (:mod:`~planner.analysis.siting._median_bound`,
  :mod:`~planner.analysis.siting._median_tree`). Capacitated: the classic formulation
  (:mod:`~planner.analysis.siting._median_capacitated`).
* **MCLP** without floors or capacities is the p-median whose rows cost 0 when covered and
  their weight when not, and is solved by the same path, after rows covered by fixed sites
  go and dominated candidates (a subset of another's coverage) are dropped. With floors:
  greedy, floor repair, swaps and the MIP; capacitated: greedy, the assignment LP and the
  MIP (:mod:`~planner.analysis.siting._mclp_capacitated`).
* **LSCP** (:mod:`~planner.analysis.siting._lscp`) covering every row: exact set-cover
  reductions (rows covered by fixed or essential candidates, dominated rows and
  candidates), greedy and seeded destroy-and-repair local search on the core, the bound of
  the reductions, disjoint rows and the set-cover Lagrangian, then the core MIP when it fits
  the limit. A weighted target: the greedy cover is shrunk one site at a time by MCLP
  searches (the fewest sites reaching the target is the least ``p`` whose maximal cover
  reaches it), then a MIP with a cutoff proves that one site fewer cannot reach it.
  Floors: greedy and the MIP. Dominated candidates are dropped for every uncapacitated
  cover model (exact: swapping a candidate for its dominator uncovers nothing, floors
  included) unless a candidate is fixed or in a region with a minimum.

The exact solve uses HiGHS (highspy) or CBC (the binary in PuLP's wheel, fed an MPS file),
see :mod:`planner.analysis.siting._mip`. A run stopped by its limit reports
``"time_limit"`` with its bound and gap, never ``"optimal"``.

No answer is taken on trust. The solver's vector is checked against the MIP and its objective
recomputed (HiGHS is solved again without the MIP start, within what is left of the limit,
when they disagree: HiGHS 1.16 can mis-evaluate a start after presolve and stop "optimal"
one site short). LSCP answers lose sites the target does not need. Then every result, from
every path, is checked against its own ``selected`` sites
(:mod:`~planner.analysis.siting._verify`): rules (``p``, fixed, excluded, regions, floors,
targets, capacities) and the objective are recomputed; a result breaking a rule is replaced
by the verified heuristic one, or returned ``"infeasible"``; the objective reported is always
the recomputed one, a bound on the wrong side is dropped, and ``"optimal"`` stays only with a
gap within the MIP tolerance. Corrections go to ``SitingResult.notes`` and the log.

``time_limit_s`` bounds the whole call — checks, heuristics, bounds and the MIP
(:mod:`~planner.analysis.siting._budget`) — and the same inputs give the same sites on any
machine: every phase stops on a *work limit* (moves and profit cells of the searches,
entries visited by subgradient steps, branch-and-bound nodes of HiGHS and CBC on one
thread, the MIP not started when its root is expected to overrun) sized from
``time_limit_s`` and the instance alone, with rates measured here and divided by
:data:`~planner.analysis.siting._budget.SAFETY`. The wall clock is a safety net for much
slower or overloaded machines: a phase it stops is dropped, the previous phase's answer is
returned, and ``notes`` says so. (The one decision the clock can still change is whether a
MIP that was started finishes; its answer is then dropped, never half used.)

Measured with ``benchmarks/siting.py`` (2 cores shared with other work, so timings are
inflated; see ``benchmarks/README.md`` for the latest table): on forty p-median instances
built like the OR-Library's ``pmed1-40`` (100-900 nodes, p = 5-200) the heuristic alone is
within 0.1 % of the proven optimum on average, and the exact path proves optimality within
60 s on most (all with p >= 20); the instances with p = 5-10 and 500+ nodes have a
Lagrangian/LP gap near 1 % that neither the tree search nor HiGHS closes in 60 s.
HiGHS is the default for every model (:data:`AUTO_SOLVER`); CBC stays as the second solver
(``solver="cbc"``), which the tests use to cross-check HiGHS: it is the binary bundled in
PuLP < 4 (hence ``pulp<4``), or cbcbox's.

Examples
--------
>>> import numpy as np, scipy.sparse as sp
>>> cover = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))
>>> r = mclp(cover, np.array([5.0, 1.0, 1.0, 4.0]), 2)
>>> r.selected.tolist(), r.objective, r.status
([0, 2], 11.0, 'optimal')
>>> lscp(cover).objective
2.0
"""

from __future__ import annotations

from planner.analysis.siting._inputs import Regions, coverage_matrix
from planner.analysis.siting._result import AUTO_SOLVER, SitingResult
from planner.analysis.siting.cover import lscp, mclp
from planner.analysis.siting.median import p_median

__all__ = [
    "AUTO_SOLVER",
    "Regions",
    "SitingResult",
    "coverage_matrix",
    "lscp",
    "mclp",
    "p_median",
]

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

Greedy + swap heuristics always run first (:mod:`~planner.analysis.siting._cover_heuristics`,
:mod:`~planner.analysis.siting._median_heuristics`); their solution is the MIP start and the
fallback. LSCP with every coverable row to cover is first reduced exactly (rows covered by
fixed or essential candidates, dominated rows and dominated candidates go;
:func:`~planner.analysis.siting._set_cover.reduce_set_cover`), and the greedy cover of what is
left is improved by a seeded destroy-and-repair local search; the MIP is built on the reduced
core, and the bound reported is the larger of the MIP's and a combinatorial one (opened
candidates + core rows no two of which share a candidate). p-median's bound is the larger of
the MIP's and a Lagrangian (subgradient) bound, so a run stopped by the time limit still
reports a useful gap. The exact solve uses HiGHS (highspy) or CBC (the binary in PuLP's wheel,
fed an MPS file), see :mod:`planner.analysis.siting._mip`. A run that hits the time limit
reports ``"time_limit"`` with its bound and gap, never ``"optimal"``.

No answer is taken on trust. The solver's vector is checked against the MIP and its objective
recomputed (HiGHS is solved again without the MIP start when they disagree: HiGHS 1.16 can
mis-evaluate a start after presolve and stop "optimal" one site short). LSCP answers lose
sites the target does not need. Then every result, from every path, is checked against its
own ``selected`` sites (:mod:`~planner.analysis.siting._verify`): rules (``p``, fixed,
excluded, regions, floors, targets, capacities) and the objective are recomputed; a result
breaking a rule is replaced by the verified heuristic one, or returned ``"infeasible"``; the
objective reported is always the recomputed one, a bound on the wrong side is dropped, and
``"optimal"`` stays only with a gap within the MIP tolerance. Corrections go to
``SitingResult.notes`` and the log.

The same inputs give the same sites on any machine: the heuristics stop on work limits
(swaps, local-search moves, subgradient steps) and their wall-clock limits (at least
:data:`~planner.analysis.siting._rules.HEURISTIC_SAFETY_S` s) are safety nets that, when they
bite, say so in ``notes``. The one stop that depends on the machine's speed and load is the
exact solve's ``time_limit_s``: a run stopped by it reports ``"time_limit"``.

Solver choice (``solver="auto"``, :data:`AUTO_SOLVER`) was measured with
``benchmarks/siting.py --both-solvers --time-limit-s 60 --spopt-max-cells 0 [--seed 1]`` on
seeded random instances in a 35 × 35 km square (each demand cell covered by 0.95 % of
candidates; p = candidates / 10; seconds are end to end: build + heuristics + MIP; HiGHS
1.16, CBC 2.10 from PuLP 3.3; 2 cores shared with other work, load average 2-2.7, so
±20 %)::

    model     candidates × demand   HiGHS                      CBC
    MCLP        200 × 20,000        0.11 / 0.14 s optimal      0.11 / 0.12 s optimal
    MCLP      2,000 × 20,000        3.4 / 3.9 s optimal        3.1 / 2.9 s optimal
    MCLP      5,000 × 100,000       52 s optimal               50 s optimal
    LSCP        200 × 20,000        optimal (160) by the reductions, no MIP
    LSCP      2,000 × 20,000        60 s limit: 147, gap 12 %  66 s limit: 147, gap 12 %
    p-median    200 × 20,000        10.8 s optimal             11.8 s optimal

(two figures: seeds 0 / 1). Both solvers find the same optima; HiGHS is as good as CBC (the
MIP starts from the heuristic, optimal or within 0.2 % on these MCLPs), so every model uses
HiGHS. An earlier measurement (DESIGN.md: CBC proved a 2,000 × 20,000 MCLP in 2.5 s where
HiGHS stopped at 120 s) no longer holds with the current model, MIP start and HiGHS. CBC stays as the second
solver (``solver="cbc"``), which the tests use to cross-check HiGHS: it is the binary bundled
in PuLP < 4 (hence ``pulp<4``), or cbcbox's (slower: 5.1 s on the 2,000 × 20,000 MCLP). CBC
does not check its clock inside the root LP; it is stopped 30 s after its limit.

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

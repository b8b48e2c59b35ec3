"""Every siting result is checked against its own chosen sites before it is returned.

A solver's status, objective and vector are claims. :func:`settle` recomputes, from
``selected`` (and, for the capacitated models, ``shares``) alone, what the model says:

* the side rules: positions unique and in range, no excluded candidate, every fixed one
  open, every region's minimum, exactly ``p`` sites (MCLP, p-median);
* LSCP: the coverage target (every coverable row, or the target weight) and the group
  floors; the objective is the number of sites;
* MCLP: the covered weight (floors on it); capacitated: the served weight of ``shares``,
  which may only use covered pairs of open sites, at most a row's weight, within capacity;
* p-median: Σ weight × cost to the nearest open allowed site (or the unassigned cost);
  capacitated: the cost of ``shares`` (allowed pairs of open sites, within capacity, every
  row served unless an unassigned cost is given).

A result that breaks a rule is replaced by the model's fallback (its verified heuristic
solution) when it has one, else returned with status ``"infeasible"`` and the broken rules in
``notes``. A result whose objective differs from the recomputed one gets the recomputed
objective; a bound on the wrong side of a verified objective is dropped; the gap is
recomputed; and ``"optimal"`` stays only when the gap is within the MIP tolerance. Every
correction is logged and written to ``notes``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.analysis.siting._inputs import _Setup
from planner.analysis.siting._mip import MIP_ABS_GAP, MIP_REL_GAP
from planner.analysis.siting._result import SitingResult, _gap

__all__ = ["Spec", "recompute", "settle"]

log = logging.getLogger(__name__)

#: Relative tolerance of the recomputed coverage, floors, loads and objectives.
TOL = 1e-9


@dataclass
class Spec:
    """What a siting model requires of its answer, in the user's candidate positions.

    Parameters
    ----------
    model
        ``"lscp"``, ``"mclp"`` or ``"p_median"``.
    sense
        1 when the objective is minimised (LSCP, p-median), -1 when maximised (MCLP).
    allowed
        Per candidate: may open (not excluded).
    fixed
        Candidate positions that must be open.
    region
        Region code per candidate (-1: none).
    need
        Minimum open sites per region code.
    p
        Number of sites, or None (LSCP).
    weights
        Demand weight per row.
    coverage
        Demand × candidates boolean coverage (cover models).
    target_w
        LSCP: weight to cover (None: every coverable row with weight).
    coverable
        Per demand row: some allowed candidate covers it (LSCP covering every row).
    groups, floor_w
        Group weights (demand × k) and the weight of each group that must be covered.
    cost
        p-median: demand × candidates cost, stored entries are the allowed pairs.
    penalty
        p-median: cost per unit weight of an unassigned row, or None (all must be assigned).
    capacity
        Weight each candidate can serve (capacitated models), or None.
    """

    model: str
    sense: int
    allowed: NDArray[np.bool_]
    fixed: NDArray[np.int64]
    region: NDArray[np.int64]
    need: NDArray[np.int64]
    p: int | None
    weights: NDArray[np.float64]
    coverage: sp.csr_matrix | None = None
    target_w: float | None = None
    coverable: NDArray[np.bool_] | None = None
    groups: NDArray[np.float64] | None = None
    floor_w: NDArray[np.float64] | None = None
    cost: sp.csr_matrix | None = None
    penalty: NDArray[np.float64] | None = None
    capacity: NDArray[np.float64] | None = None

    @classmethod
    def from_setup(cls, model: str, sense: int, m: int, setup: _Setup, **kw: object) -> Spec:
        """A spec whose side rules are those of ``setup`` (over ``m`` candidates)."""
        allowed = np.zeros(m, dtype=bool)
        allowed[setup.keep] = True
        region = np.full(m, -1, dtype=np.int64)
        region[setup.keep] = setup.region
        return cls(
            model,
            sense,
            allowed,
            setup.keep[setup.fixed].astype(np.int64),
            region,
            setup.need.astype(np.int64),
            **kw,  # type: ignore[arg-type]
        )


def _ge(got: NDArray[np.float64], want: NDArray[np.float64]) -> NDArray[np.bool_]:
    return np.asarray(got >= want - TOL * np.maximum(1.0, np.abs(want)), dtype=bool)


def _rule_problems(spec: Spec, sel: NDArray[np.int64]) -> list[str]:
    m = spec.allowed.size
    out: list[str] = []
    if sel.size and (sel.min() < 0 or sel.max() >= m or np.unique(sel).size != sel.size):
        return ["selected holds repeated or out-of-range positions"]
    if (~spec.allowed[sel]).any():
        out.append(f"excluded candidates are open: {sel[~spec.allowed[sel]].tolist()[:5]}")
    missing = np.setdiff1d(spec.fixed, sel)
    if missing.size:
        out.append(f"fixed candidates are closed: {missing.tolist()[:5]}")
    if spec.need.size:
        r = spec.region[sel]
        have = np.bincount(r[r >= 0], minlength=spec.need.size)
        short = np.flatnonzero(have < spec.need)
        if short.size:
            out.append(f"{short.size} regions have fewer than their minimum of sites")
    if spec.p is not None and sel.size != spec.p:
        out.append(f"{sel.size} sites are open but p = {spec.p}")
    return out


def _floors(spec: Spec, served: NDArray[np.float64]) -> list[str]:
    if spec.groups is None or spec.floor_w is None:
        return []
    got = np.asarray(spec.groups.T @ served).ravel()
    bad = np.flatnonzero(~_ge(got, spec.floor_w))
    return [f"group {k} floor unmet ({got[k]:.6g} < {spec.floor_w[k]:.6g})" for k in bad]


def _shares_problems(
    spec: Spec, sel: NDArray[np.int64], shares: sp.csr_matrix | None, allowed_pairs: sp.csr_matrix
) -> tuple[list[str], NDArray[np.float64]]:
    """Check capacitated shares; returns problems and each row's served fraction."""
    n = spec.weights.size
    if shares is None:
        return ["no assignment (shares) was returned"], np.zeros(n)
    S = sp.csr_matrix(shares, dtype=np.float64)
    S.eliminate_zeros()
    out: list[str] = []
    if (S.data < -TOL).any():
        out.append("negative shares")
    is_open = np.zeros(spec.allowed.size, dtype=bool)
    is_open[sel] = True
    coo = S.tocoo()
    ok_pair = np.asarray(allowed_pairs[coo.row, coo.col]).ravel() != 0
    stray = (~ok_pair | ~is_open[coo.col]) & (coo.data > 1e-7)
    if stray.any():
        out.append(f"{int(stray.sum())} shares go to closed sites or pairs not allowed")
    row = np.asarray(S.sum(axis=1)).ravel()
    if (row > 1 + 1e-7).any():
        out.append("some rows are served more than once")
    load = np.asarray(S.T @ spec.weights).ravel()
    if spec.capacity is not None:
        over = load > spec.capacity + 1e-7 * np.maximum(1.0, spec.capacity)
        if over.any():
            out.append(f"{int(over.sum())} sites serve more than their capacity")
    return out, np.clip(row, 0.0, 1.0)


def recompute(
    spec: Spec, selected: NDArray[np.int64], shares: sp.csr_matrix | None = None
) -> tuple[float, list[str]]:
    """The objective the chosen sites give, and the model's rules they break.

    Parameters
    ----------
    spec
        What the model requires.
    selected
        Open candidate positions.
    shares
        Capacitated models: demand × candidates fraction of each row served by each site.

    Returns
    -------
    tuple
        ``(objective, problems)``; ``problems`` is empty when every rule holds.
    """
    sel = np.asarray(selected, dtype=np.int64)
    problems = _rule_problems(spec, sel)
    if problems and "out-of-range" in problems[0]:
        return float("nan"), problems
    w = spec.weights
    if spec.model in ("lscp", "mclp"):
        assert spec.coverage is not None
        cov = spec.coverage
        if spec.capacity is not None:
            more, served = _shares_problems(spec, sel, shares, cov)
            problems += more
            return float(w @ served), problems + _floors(spec, served)
        covered = np.diff(cov[:, sel].indptr) > 0
        problems += _floors(spec, covered.astype(np.float64))
        got = float(w[covered].sum())
        if spec.model == "mclp":
            return got, problems
        if spec.target_w is None:
            assert spec.coverable is not None
            left = np.flatnonzero(spec.coverable & (w > 0) & ~covered)
            if left.size:
                problems.append(f"{left.size} coverable demand rows are not covered")
        elif not _ge(np.array([got]), np.array([spec.target_w]))[0]:
            problems.append(f"covered weight {got:.6g} is below the target {spec.target_w:.6g}")
        return float(sel.size), problems
    assert spec.cost is not None
    C = spec.cost
    if spec.capacity is not None:
        more, served = _shares_problems(spec, sel, shares, C)
        problems += more
        paid = 0.0
        if shares is not None:
            paid = float(w @ np.asarray(sp.csr_matrix(shares).multiply(C).sum(axis=1)).ravel())
        if spec.penalty is not None:
            paid += float((w * spec.penalty * (1.0 - served)).sum())
        elif (served[w > 0] < 1 - 1e-7).any():
            problems.append("some demand rows with weight are not fully served")
        return paid, problems
    sub = sp.csr_matrix(C[:, sel])
    n = sub.shape[0]
    has = np.diff(sub.indptr) > 0
    d1 = np.full(n, np.inf)
    if sub.nnz:
        mins = np.minimum.reduceat(
            np.append(sub.data, np.inf), np.minimum(sub.indptr[:-1], sub.nnz)
        )
        d1[has] = mins[:n][has]
    if spec.penalty is not None:
        d1 = np.minimum(d1, spec.penalty)
    lost = (w > 0) & ~np.isfinite(d1)
    if lost.any():
        problems.append(f"{int(lost.sum())} demand rows with weight have no open allowed site")
        return float("inf"), problems
    return float(w[w > 0] @ d1[w > 0]), problems


def settle(
    spec: Spec,
    result: SitingResult,
    *,
    fallback: Callable[[], SitingResult] | None = None,
    notes: Sequence[str] = (),
) -> SitingResult:
    """Check ``result`` against its own sites; repair or report what does not hold.

    Parameters
    ----------
    spec
        What the model requires.
    result
        The result the model built.
    fallback
        Builds the model's heuristic result (used when ``result`` breaks a rule).
    notes
        What the model already has to say (e.g. a heuristic stopped by its safety net).

    Returns
    -------
    SitingResult
        ``result`` (or the fallback) with the recomputed objective, a bound that is valid
        for it, the recomputed gap and an honest status; corrections are in ``notes``.
    """
    notes = [*result.notes, *notes]
    obj, problems = recompute(spec, result.selected, result.shares)
    if problems and fallback is not None:
        alt = fallback()
        _, alt_problems = recompute(spec, alt.selected, alt.shares)
        if not alt_problems:
            msg = (
                f"{spec.model}: the {result.solver} solution breaks the model "
                f"({'; '.join(problems)}); the heuristic solution is returned instead"
            )
            log.warning(msg)
            notes.append(msg)
            alt = dataclasses.replace(alt, bound=result.bound, status="feasible")
            return settle(spec, dataclasses.replace(alt, notes=notes))
    if problems:
        msg = f"{spec.model}: the returned sites break the model: {'; '.join(problems)}"
        log.warning(msg)
        notes.append(msg)
        return dataclasses.replace(
            result, objective=obj, gap=float("nan"), status="infeasible", notes=notes
        )
    slack = max(MIP_ABS_GAP, MIP_REL_GAP * max(1.0, abs(obj)))
    if not abs(obj - result.objective) <= slack:
        msg = (
            f"{spec.model}: reported objective {result.objective:.10g} but the chosen sites "
            f"give {obj:.10g}; the recomputed value is reported"
        )
        log.warning(msg)
        notes.append(msg)
    bound = result.bound
    if np.isfinite(bound) and spec.sense * (bound - obj) > slack:
        msg = (
            f"{spec.model}: the solver's bound {bound:.10g} is on the wrong side of the "
            f"verified objective {obj:.10g}; it is dropped"
        )
        log.warning(msg)
        notes.append(msg)
        bound = float("nan")
    gap = _gap(obj, bound)
    status = result.status
    if status == "optimal" and not (np.isfinite(bound) and abs(obj - bound) <= slack):
        msg = (
            f"{spec.model}: the solver said optimal, but the chosen sites give {obj:.10g} "
            f"against the bound {bound:.10g} (gap {gap:.3g}); reported as feasible"
        )
        log.warning(msg)
        notes.append(msg)
        status = "feasible"
    return dataclasses.replace(
        result, objective=obj, bound=bound, gap=gap, status=status, notes=notes
    )

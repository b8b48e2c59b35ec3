"""What each new site buys: covered demand as a function of the number of new sites.

For a tier of a plan, :func:`site_curve` answers, for ``k = 1 … k_max`` new sites, how much of
the demand the existing markets leave uncovered ``k`` well-placed sites cover — the maximal
covering model (MCLP) on the tier's own cover matrix, as pure coverage (the county rule and
equity floors of the plan are left out: the curve shows what sites buy, not what rules
cost).

- Small problems (at most :data:`~planner.settings.CURVE_EXACT_MAX_NNZ` stored pairs) are
  solved exactly for every ``k`` (:func:`planner.analysis.siting.mclp`), each point with
  its status and gap. The whole curve shares the tier's ``time_limit_s``: each point gets
  ``time_limit_s / k_max`` (at least :data:`POINT_MIN_S`), whose work limits make a point
  the same on any machine; a point its share cannot prove says so (status, gap).
- Larger ones take the greedy sequence — one pass, each ``k`` the ``k - 1`` sites plus the
  best addition (the warm start of the next) — and every point carries a proven upper
  bound: for any set ``S`` of ``k`` sites, ``OPT_k ≤ f(S) + (sum of the k largest marginal
  gains over S)`` (coverage is submodular; Nemhauser, Wolsey & Fisher 1978), so the gap is
  ``1 - f(S) / bound``. Fast, deterministic, honest: the status is ``"heuristic"``.

A point never falls below the one before. The knee is the point farthest above the
straight line from the first point to the last (the "Kneedle" rule of Satopää et al.,
2011): past it, each further site buys markedly less.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from planner import settings
from planner.analysis import siting

__all__ = ["SiteCurve", "site_curve", "tier_curve"]

log = logging.getLogger(__name__)

#: Shortest time limit of one exact point (s): below it the exact path does no more than
#: the heuristic.
POINT_MIN_S = 0.25


@dataclass
class SiteCurve:
    """Covered demand by number of new sites.

    Attributes
    ----------
    points
        One row per ``k``: ``k``, ``covered`` (demand), ``share`` (of the coverable demand),
        ``status``, ``gap``, ``sites`` (candidate positions).
    total
        The coverable demand (the curve's ceiling).
    chosen
        The plan's number of new sites of the tier (marked on the curve), if known.
    knee
        ``k`` at the knee (see the module docstring); ``None`` for fewer than three points.
    """

    points: pd.DataFrame
    total: float
    chosen: int | None = None
    knee: int | None = None


def _knee(k: NDArray[np.float64], y: NDArray[np.float64]) -> int | None:
    if len(k) < 3 or y[-1] == y[0]:
        return None
    xn = (k - k[0]) / (k[-1] - k[0])
    yn = (y - y[0]) / (y[-1] - y[0])
    return int(k[int(np.argmax(yn - xn))])


def site_curve(
    cover: Any,
    weights: NDArray[np.float64],
    k_max: int,
    *,
    options: dict[str, Any] | None = None,
    chosen: int | None = None,
) -> SiteCurve:
    """Covered demand for ``k = 1 … k_max`` sites on one cover matrix (module docstring).

    Parameters
    ----------
    cover
        Demand × candidates boolean sparse matrix.
    weights
        Demand weight per row.
    k_max
        Largest number of sites (capped at the number of candidates).
    options
        ``solver`` and ``time_limit_s`` for the exact path (other rules are left out).
    chosen
        The plan's number of sites, to mark.

    Examples
    --------
    >>> cov = sp.csr_array(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))
    >>> c = site_curve(cov, np.array([5.0, 1.0, 1.0, 4.0]), 3)
    >>> c.points["covered"].tolist()   # one site: {0} covers 6; two: {0, 2} 11; three: 11
    [6.0, 11.0, 11.0]
    """
    csr = sp.csr_array(cover).astype(bool)
    w = np.asarray(weights, dtype=float)
    k_max = max(0, min(int(k_max), csr.shape[1]))
    coverable = np.diff(csr.indptr) > 0
    total = float(w[coverable].sum())
    exact = csr.nnz <= settings.CURVE_EXACT_MAX_NNZ
    rows = _exact_points(csr, w, k_max, options or {}) if exact else _greedy_points(csr, w, k_max)
    for r in rows:
        r["share"] = r["covered"] / total if total else float("nan")
    points = pd.DataFrame(rows, columns=["k", "covered", "share", "status", "gap", "sites"])
    knee = _knee(points["k"].to_numpy(dtype=float), points["covered"].to_numpy(dtype=float))
    return SiteCurve(points=points, total=total, chosen=chosen, knee=knee)


def _exact_points(
    csr: sp.csr_array, w: NDArray[np.float64], k_max: int, options: dict[str, Any]
) -> list[dict[str, Any]]:
    opts = {k: v for k, v in options.items() if k in {"solver", "time_limit_s"}}
    whole = float(opts.get("time_limit_s", settings.SITING_TIME_LIMIT_S))
    opts["time_limit_s"] = max(whole / max(k_max, 1), POINT_MIN_S)
    csc = csr.tocsc()
    rows: list[dict[str, Any]] = []
    prev_sites: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
    prev_cov = 0.0
    for k in range(1, k_max + 1):
        res = siting.mclp(csr, w, k, **opts)
        sites = np.asarray(res.selected, dtype=np.int64)
        covered = _covered(csr, w, sites)
        status, gap = str(res.status), float(res.gap)
        if covered < prev_cov - 1e-9 * max(1.0, prev_cov):
            # the solve stopped short: k - 1 sites plus the best addition do better
            sites = _add_best(csc, w, prev_sites)
            covered, status = _covered(csr, w, sites), "heuristic"
        rows.append(
            {"k": k, "covered": covered, "status": status, "gap": gap, "sites": sites.tolist()}
        )
        prev_sites, prev_cov = sites, covered
    return rows


def _greedy_points(csr: sp.csr_array, w: NDArray[np.float64], k_max: int) -> list[dict[str, Any]]:
    csc = csr.tocsc()
    uncovered = np.ones(csr.shape[0], dtype=bool)
    sites: list[int] = []
    covered = 0.0
    rows: list[dict[str, Any]] = []
    for k in range(1, k_max + 1):
        gains = csc.T @ (w * uncovered)  # marginal gain of every candidate over the sites
        gains[sites] = -1.0
        j = int(np.argmax(gains))  # ties: the lowest position (deterministic)
        if gains[j] > 0:
            sites.append(j)
            covered += float(gains[j])
            uncovered[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = False
        after = csc.T @ (w * uncovered)
        after[sites] = 0.0
        top = np.sort(after)[::-1][:k]
        bound = covered + float(np.clip(top, 0.0, None).sum())
        gap = 1.0 - covered / bound if bound > 0 else 0.0
        rows.append(
            {
                "k": k,
                "covered": covered,
                "status": "optimal" if gap <= 1e-12 else "heuristic",
                "gap": gap,
                "sites": list(sites),
            }
        )
    return rows


def _covered(csr: sp.csr_array, w: NDArray[np.float64], sites: NDArray[np.int64]) -> float:
    if len(sites) == 0:
        return 0.0
    hit = csr[:, sites].sum(axis=1) > 0
    return float(w[np.asarray(hit).ravel()].sum())


def _add_best(
    csc: sp.csc_array, w: NDArray[np.float64], sites: NDArray[np.int64]
) -> NDArray[np.int64]:
    covered = np.zeros(csc.shape[0], dtype=bool)
    for j in sites:
        covered[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = True
    best, gain = -1, -1.0
    taken = set(sites.tolist())
    for j in range(csc.shape[1]):
        if j in taken:
            continue
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        g = float(w[rows[~covered[rows]]].sum())
        if g > gain:
            best, gain = j, g
    return np.append(sites, best) if best >= 0 else sites


def tier_curve(tier_plan: Any, k_max: int | None = None) -> SiteCurve | None:
    """The curve of one tier of a plan (``plan.tiers[tier]``), up to twice its chosen sites
    (at least 5), or ``None`` when the tier kept no problem to re-solve."""
    if tier_plan.cover is None or tier_plan.weights is None:
        return None
    chosen = len(
        tier_plan.chosen if tier_plan.chosen is not None else tier_plan.result.selected
    )  # the sites the plan proposes: the model's, less those pruned as too small
    k = k_max if k_max is not None else min(max(5, 2 * chosen), chosen + settings.CURVE_EXTRA_K)
    return site_curve(
        tier_plan.cover, tier_plan.weights, k, options=tier_plan.options, chosen=chosen
    )

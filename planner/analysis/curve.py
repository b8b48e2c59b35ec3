"""What each new site buys: covered demand as a function of the number of new sites.

For a tier of a plan, :func:`site_curve` solves the maximal covering model (MCLP) on the
tier's own problem — the demand the existing markets leave uncovered, the same candidates
and rules (one market per county, equity floors) — for ``k = 1 … k_max`` new sites. Each ``k``
is solved by the model's own path (greedy + swap heuristic as the MIP start, then the exact
solve), and a point never falls below the one before: ``k`` sites can always be the
``k - 1`` of the last point plus the best single addition, so when a solve stops short
(time limit), that cover is used and the point says so. Every point carries its status
and gap.

The knee is the point farthest above the straight line from the first point to the last
(the "Kneedle" rule of Satopää et al., 2011): past it, each further site buys markedly less.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.analysis import siting

__all__ = ["SiteCurve", "site_curve", "tier_curve"]

log = logging.getLogger(__name__)


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
    """MCLP for ``k = 1 … k_max`` on one cover matrix (see the module docstring).

    Parameters
    ----------
    cover
        Demand × candidates boolean sparse matrix.
    weights
        Demand weight per row.
    k_max
        Largest number of sites (capped at the number of candidates).
    options
        Rules passed to :func:`planner.analysis.siting.mclp` (``regions``,
        ``min_per_region``, ``groups``, ``floors``, ``solver``, ``time_limit_s``).
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
    n_cand = csr.shape[1]
    k_max = max(0, min(int(k_max), n_cand))
    opts = dict(options or {})
    opts.pop("fixed", None)
    coverable = np.diff(csr.indptr) > 0
    total = float(w[coverable].sum())
    rows: list[dict[str, Any]] = []
    prev_sites: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
    prev_cov = 0.0
    csc = csr.tocsc()
    for k in range(1, k_max + 1):
        try:
            res = siting.mclp(csr, w, k, **opts)
            sites = np.asarray(res.selected, dtype=np.int64)
            covered = _covered(csr, w, sites)
            status, gap = str(res.status), float(res.gap)
        except Exception as exc:  # a rule k sites cannot meet (more regions than k …)
            log.info("curve: %d site(s): %s", k, exc)
            sites, covered, status, gap = prev_sites, prev_cov, "infeasible", float("nan")
        if covered < prev_cov - 1e-9 * max(1.0, total):
            # the solve stopped short: k - 1 sites plus the best addition do better
            sites = _add_best(csc, w, prev_sites)
            covered = _covered(csr, w, sites)
            status = "heuristic"
        rows.append(
            {
                "k": k,
                "covered": covered,
                "share": covered / total if total else float("nan"),
                "status": status,
                "gap": gap,
                "sites": sites.tolist(),
            }
        )
        prev_sites, prev_cov = sites, covered
    points = pd.DataFrame(rows, columns=["k", "covered", "share", "status", "gap", "sites"])
    knee = _knee(points["k"].to_numpy(dtype=float), points["covered"].to_numpy(dtype=float))
    return SiteCurve(points=points, total=total, chosen=chosen, knee=knee)


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
    chosen = len(tier_plan.result.selected)
    k = k_max if k_max is not None else max(5, 2 * chosen)
    return site_curve(
        tier_plan.cover, tier_plan.weights, k, options=tier_plan.options, chosen=chosen
    )

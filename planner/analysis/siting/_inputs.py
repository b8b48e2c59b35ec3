"""Input checks of the siting models: matrices, weights, candidate sets, side rules.

Every public entry point of :mod:`planner.analysis.siting` validates its inputs here, once,
and raises :class:`~planner.errors.InvalidValueError` (malformed values) or
:class:`~planner.errors.SitingError` (a problem no choice of sites can solve) with the rows,
columns or candidates at fault and the fix.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from planner.analysis.siting._rules import Rules
from planner.errors import InvalidValueError, SitingError, SitingWarning

log = logging.getLogger(__name__)

_SHOW = 5  # ids listed in messages


@dataclass(frozen=True)
class Regions:
    """Region (county) labels, for "at least ``min_per_region`` sites in every region".

    Parameters
    ----------
    candidates
        Label per candidate (None or ``""``: in no region).
    demand
        Label per demand row, or None. When given, only regions holding demand with weight
        must get sites (and a region with demand but no allowed candidate is an error);
        otherwise every label in ``candidates`` must.
    """

    candidates: ArrayLike
    demand: ArrayLike | None = None


def _first(ids: NDArray[Any]) -> str:
    shown = ", ".join(str(int(i)) for i in ids[:_SHOW])
    return shown + (", …" if len(ids) > _SHOW else "")


def _as_csr(matrix: Any, name: str) -> sp.csr_matrix:
    if sp.issparse(matrix):
        out = sp.csr_matrix(matrix)
    else:
        arr = np.asarray(matrix)
        if arr.ndim != 2:
            raise InvalidValueError(
                f"{name} has {arr.ndim} dimensions; it must be a demand × candidates matrix",
                fix=f"pass {name} as a 2-D scipy.sparse matrix (rows demand, columns candidates)",
            )
        out = sp.csr_matrix(arr)
    if out.shape[0] == 0 or out.shape[1] == 0:
        raise InvalidValueError(
            f"{name} is empty (shape {out.shape})",
            fix="pass at least one demand row and one candidate column",
        )
    out.sum_duplicates()
    out.sort_indices()
    return out


def _warn_dropped_zeros(csr: sp.csr_matrix, name: str) -> None:
    """Warn when a sparse matrix looks like ``csr_matrix(dense)`` with its zeros dropped.

    At least 90 % of the cells stored, some absent and no stored zero: a real bounded travel-time
    matrix is rarely that full, while converting a dense matrix with a zero diagonal gives
    exactly this. The absent cells are still read as "not allowed" (or "not covered").
    """
    n, m = csr.shape
    cells = n * m
    if csr.nnz < cells and csr.nnz >= 0.9 * cells and not (csr.data == 0).any():
        warnings.warn(
            f"{name} is a sparse matrix with {csr.nnz / cells:.0%} of its cells stored, none "
            f"of them zero: its {cells - csr.nnz} absent cells are read as NOT ALLOWED "
            "(unreachable). If it came from scipy.sparse.csr_matrix(dense), the dense "
            "matrix's zeros (e.g. a site's own cell at 0 s) were dropped; pass the dense "
            "array instead, or build the sparse matrix from the allowed pairs",
            SitingWarning,
            stacklevel=3,
        )


def _weights(weights: ArrayLike | None, n: int, name: str = "weights") -> NDArray[np.float64]:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != n:
        raise InvalidValueError(
            f"{name} has {w.size} values but the matrix has {n} demand rows",
            fix=f"pass one {name} value per demand row, in row order",
        )
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise InvalidValueError(
            f"{name} holds {bad.size} negative, NaN or infinite values (demand rows {_first(bad)})",
            fix=f"give every demand row a finite {name} >= 0 (0 for no demand)",
        )
    if not w.sum() > 0:
        raise InvalidValueError(
            f"{name} sum to 0: there is no demand to site for",
            fix="pass the population (or other demand) per row",
        )
    return w


def _positions(values: Sequence[int] | ArrayLike, m: int, name: str) -> NDArray[np.int64]:
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == bool:
        if arr.size != m:
            raise InvalidValueError(
                f"{name} is a mask of {arr.size} values but there are {m} candidates",
                fix=f"pass {name} as candidate positions or one bool per candidate",
            )
        return np.flatnonzero(arr).astype(np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        raise InvalidValueError(
            f"{name} must hold candidate positions (integers); found {arr.dtype}",
            fix=f"pass {name} as column positions of the matrix, e.g. [0, 7]",
        )
    arr = arr.ravel().astype(np.int64)
    bad = arr[(arr < 0) | (arr >= m)]
    if bad.size:
        raise InvalidValueError(
            f"{name} holds positions outside 0..{m - 1}: {_first(bad)}",
            fix=f"pass {name} as column positions of the matrix (0-based)",
        )
    return np.unique(arr)


@dataclass
class _Setup:
    """Validated side constraints, in the original candidate positions."""

    keep: NDArray[np.int64]  # allowed candidates
    fixed: NDArray[np.bool_]  # over allowed candidates
    region: NDArray[np.int64]  # over allowed candidates
    need: NDArray[np.int64]  # per region code
    labels: list[Any]

    def rules(self) -> Rules:
        return Rules(self.fixed, self.region, self.need)


def _setup(
    m: int,
    n: int,
    w: NDArray[np.float64],
    *,
    fixed: Sequence[int] | ArrayLike,
    excluded: Sequence[int] | ArrayLike,
    regions: Regions | None,
    min_per_region: int,
    p: int | None,
) -> _Setup:
    fx = _positions(fixed, m, "fixed")
    ex = _positions(excluded, m, "excluded")
    both = np.intersect1d(fx, ex)
    if both.size:
        raise SitingError(
            f"candidates {_first(both)} are both fixed open and excluded",
            fix="remove them from either fixed or excluded",
        )
    allowed = np.ones(m, dtype=bool)
    allowed[ex] = False
    keep = np.flatnonzero(allowed).astype(np.int64)
    if keep.size == 0:
        raise SitingError(f"all {m} candidates are excluded", fix="exclude fewer candidates")
    if p is not None:
        if isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 1:
            raise InvalidValueError(
                f"p is {p!r}; it must be a whole number of sites >= 1", fix="pass p=1 or more"
            )
        if p > keep.size:
            raise SitingError(
                f"p = {p} is larger than the {keep.size} candidates that may open "
                f"({m} candidates, {ex.size} excluded)",
                fix=f"pass p <= {keep.size}, or add candidates",
            )
        if fx.size > p:
            raise SitingError(
                f"{fx.size} candidates are fixed open but p = {p}",
                fix=f"pass p >= {fx.size} (fixed sites count towards p)",
            )
    pos_in_keep = np.full(m, -1, dtype=np.int64)
    pos_in_keep[keep] = np.arange(keep.size)
    fixed_mask = np.zeros(keep.size, dtype=bool)
    fixed_mask[pos_in_keep[fx]] = True
    region = np.full(keep.size, -1, dtype=np.int64)
    need = np.zeros(0, dtype=np.int64)
    labels: list[Any] = []
    if regions is not None:
        if isinstance(min_per_region, bool) or min_per_region < 0:
            raise InvalidValueError(
                f"min_per_region is {min_per_region!r}; it must be a whole number >= 0",
                fix="pass min_per_region=1 for one market per region",
            )
        cand = np.asarray(regions.candidates, dtype=object).ravel()
        if cand.size != m:
            raise InvalidValueError(
                f"regions.candidates has {cand.size} labels but there are {m} candidates",
                fix="pass one region label per candidate column (None for none)",
            )

        def _valid(v: Any) -> bool:
            return v is not None and v == v and v != ""

        if regions.demand is not None:
            dem = np.asarray(regions.demand, dtype=object).ravel()
            if dem.size != n:
                raise InvalidValueError(
                    f"regions.demand has {dem.size} labels but there are {n} demand rows",
                    fix="pass one region label per demand row",
                )
            required = sorted(
                {v for v, wi in zip(dem.tolist(), w.tolist(), strict=True) if _valid(v) and wi > 0},
                key=str,
            )
        else:
            required = sorted({v for v in cand.tolist() if _valid(v)}, key=str)
        labels = required
        code = {lab: i for i, lab in enumerate(labels)}
        all_codes = np.array([code.get(v, -1) if _valid(v) else -1 for v in cand.tolist()])
        region = all_codes[keep].astype(np.int64)
        need = np.full(len(labels), int(min_per_region), dtype=np.int64)
        have = np.bincount(region[region >= 0], minlength=len(labels))
        short = [labels[i] for i in np.flatnonzero(have < need)]
        if short:
            raise SitingError(
                f"{len(short)} regions must get {min_per_region} site(s) but have fewer "
                f"allowed candidates: {', '.join(map(str, short[:_SHOW]))}",
                fix="add candidate sites in those regions or stop excluding them",
            )
        if p is not None:
            at_least = int(
                np.maximum(
                    need, np.bincount(region[fixed_mask & (region >= 0)], minlength=len(labels))
                ).sum()
                + (fixed_mask & (region < 0)).sum()
            )
            if at_least > p:
                raise SitingError(
                    f"the region minimums and fixed sites need {at_least} sites but p = {p}",
                    fix=f"pass p >= {at_least} or lower min_per_region",
                )
    return _Setup(keep, fixed_mask, region, need, labels)


def _groups(
    groups: ArrayLike | None, floors: ArrayLike | None, n: int
) -> tuple[NDArray[np.float64] | None, NDArray[np.float64] | None]:
    if groups is None and floors is None:
        return None, None
    if groups is None or floors is None:
        raise InvalidValueError(
            "groups and floors go together; only one was given",
            fix="pass groups (demand × k weights) and floors (k fractions) together",
        )
    g = np.asarray(groups, dtype=np.float64)
    if g.ndim == 1:
        g = g[:, None]
    f = np.asarray(floors, dtype=np.float64).ravel()
    if g.shape[0] != n or g.shape[1] != f.size:
        raise InvalidValueError(
            f"groups has shape {g.shape} and floors {f.size} values; expected ({n}, k) and k",
            fix="pass one row of group weights per demand row and one floor per group column",
        )
    if not np.isfinite(g).all() or (g < 0).any():
        raise InvalidValueError(
            "groups holds negative, NaN or infinite weights",
            fix="give every demand row a finite group weight >= 0",
        )
    if not np.isfinite(f).all() or (f < 0).any() or (f > 1).any():
        raise InvalidValueError(
            f"floors must be fractions in [0, 1]; found {f.tolist()}",
            fix="pass e.g. floors=[0.8] for 80 % of the group covered",
        )
    return g, f * g.sum(axis=0)


def _check_floors(
    g: NDArray[np.float64], floor_w: NDArray[np.float64], coverable: NDArray[np.bool_]
) -> None:
    reach = g[coverable].sum(axis=0)
    total = g.sum(axis=0)
    for k in np.flatnonzero(reach < floor_w - 1e-9 * np.maximum(total, 1)):
        rows = np.flatnonzero(~coverable & (g[:, k] > 0))
        raise SitingError(
            f"group {k} needs {floor_w[k] / total[k]:.1%} of its weight covered but no "
            f"allowed candidate covers {rows.size} of its demand rows ({_first(rows)}), so at "
            f"most {reach[k] / total[k]:.1%} can be",
            fix=f"lower floors[{k}] to <= {reach[k] / total[k]:.4f} or add candidates "
            "near those rows",
        )


def _check_time(time_limit_s: float) -> None:
    if not (time_limit_s > 0 and np.isfinite(time_limit_s)):
        raise InvalidValueError(
            f"time_limit_s is {time_limit_s}", fix="pass a positive number of seconds"
        )


def _merge_rows(A: sp.csr_matrix) -> tuple[sp.csr_matrix, NDArray[np.int64]]:
    """Distinct row patterns of a boolean csr matrix and each row's pattern index."""
    seen: dict[bytes, int] = {}
    inverse = np.empty(A.shape[0], dtype=np.int64)
    first: list[int] = []
    ind, ptr = A.indices, A.indptr
    for i in range(A.shape[0]):
        key = ind[ptr[i] : ptr[i + 1]].tobytes()
        k = seen.get(key)
        if k is None:
            k = seen[key] = len(first)
            first.append(i)
        inverse[i] = k
    return A[np.asarray(first, dtype=np.int64)], inverse


@dataclass
class _Cover:
    """A cover problem reduced to allowed candidates and distinct coverable rows."""

    A: sp.csr_matrix  # distinct coverable rows × allowed candidates
    W: NDArray[np.float64]  # merged weights
    G: NDArray[np.float64] | None  # merged groups
    inverse: NDArray[np.int64]  # original row -> merged row (-1: uncoverable or weight 0)
    coverable: NDArray[np.bool_]  # per original row


def _reduce_cover(
    cov: sp.csr_matrix,
    w: NDArray[np.float64],
    g: NDArray[np.float64] | None,
    keep: NDArray[np.int64],
    *,
    keep_zero_weight: bool = False,
) -> _Cover:
    A = cov[:, keep]
    A.eliminate_zeros()
    coverable = np.diff(A.indptr) > 0
    use = coverable & ((w > 0) | keep_zero_weight)
    rows = np.flatnonzero(use)
    sub = A[rows]
    merged, inv = _merge_rows(sub)
    W = np.bincount(inv, weights=w[rows], minlength=merged.shape[0])
    G = None
    if g is not None:
        G = np.zeros((merged.shape[0], g.shape[1]))
        np.add.at(G, inv, g[rows])
    inverse = np.full(cov.shape[0], -1, dtype=np.int64)
    inverse[rows] = inv
    merged = sp.csr_matrix(merged, dtype=np.float64)
    return _Cover(merged, W.astype(np.float64), G, inverse, coverable)


def _capacity(capacity: ArrayLike | None, m: int) -> NDArray[np.float64] | None:
    if capacity is None:
        return None
    c = np.asarray(capacity, dtype=np.float64).ravel()
    if c.size != m:
        raise InvalidValueError(
            f"capacity has {c.size} values but there are {m} candidates",
            fix="pass one capacity per candidate column",
        )
    bad = np.flatnonzero(~np.isfinite(c) | (c < 0))
    if bad.size:
        raise InvalidValueError(
            f"capacity holds negative, NaN or infinite values (candidates {_first(bad)})",
            fix="give every candidate a finite capacity >= 0",
        )
    return c


def _warn_uncoverable(coverable: NDArray[np.bool_], w: NDArray[np.float64], model: str) -> None:
    rows = np.flatnonzero(~coverable & (w > 0))
    if rows.size:
        log.warning(
            "%s: %d demand rows (weight %.6g of %.6g) are covered by no allowed candidate "
            "(rows %s); they stay uncovered",
            model,
            rows.size,
            w[rows].sum(),
            w.sum(),
            _first(rows),
        )


def coverage_matrix(times: Any, cutoff_s: float) -> sp.csr_matrix:
    """Which candidates cover which demand: stored times ``<= cutoff_s``.

    Parameters
    ----------
    times
        Sparse (demand × candidates) travel times in seconds; a stored zero is 0 s, an
        absent entry unreachable. A dense array is accepted (``inf``/``nan`` unreachable,
        zeros are 0 s). ``scipy.sparse.csr_matrix(dense)`` drops the zeros, which then read
        as unreachable: a sparse matrix that looks like such a conversion (90 % of its cells or
        more stored, some absent, no stored zero) raises a
        :class:`~planner.errors.SitingWarning`.
    cutoff_s
        Largest travel time that counts as covered, seconds.

    Returns
    -------
    scipy.sparse.csr_matrix
        Boolean, same shape.

    Raises
    ------
    InvalidValueError
        Negative or NaN stored times, or a negative or NaN cutoff.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> t = sp.csr_matrix((np.array([0.0, 500.0, 1200.0]), ([0, 0, 1], [0, 1, 1])), shape=(2, 2))
    >>> coverage_matrix(t, 900).toarray().tolist()
    [[True, True], [False, False]]
    """
    if not np.isfinite(cutoff_s) or cutoff_s < 0:
        raise InvalidValueError(
            f"cutoff_s is {cutoff_s}; it must be a finite number of seconds >= 0",
            fix="pass the threshold in seconds, e.g. cutoff_s=15 * 60",
        )
    if sp.issparse(times):
        csr = sp.csr_matrix(times)
        _warn_dropped_zeros(csr, "times")
        data = np.asarray(csr.data, dtype=np.float64)
        bad = np.isnan(data) | (data < 0)
        if bad.any():
            rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))[bad]
            raise InvalidValueError(
                f"times holds {int(bad.sum())} negative or NaN travel times "
                f"(demand rows {_first(np.unique(rows))})",
                fix="store unreachable pairs as absent entries and times as seconds >= 0",
            )
        keep = data <= cutoff_s
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))[keep]
        return sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=bool), (rows, csr.indices[keep])), shape=csr.shape
        )
    dense = np.asarray(times, dtype=np.float64)
    if dense.ndim != 2:
        raise InvalidValueError(
            f"times has {dense.ndim} dimensions; it must be a demand × candidates matrix",
            fix="pass a 2-D array or scipy.sparse matrix",
        )
    if (dense < 0).any():
        raise InvalidValueError(
            "times holds negative travel times", fix="pass travel times as seconds >= 0"
        )
    with np.errstate(invalid="ignore"):
        return sp.csr_matrix(dense <= cutoff_s)

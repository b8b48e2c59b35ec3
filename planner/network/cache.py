"""Searches shared between runs on the same graphs: scenarios reuse each other's travel times.

A :class:`SearchCache` answers the two searches coverage and siting make —
the nearest facility of every node (:func:`~planner.network.nearest.nearest`) and the times
from many sources to a few targets (:func:`~planner.network.traveltime.travel_times_to`) —
from an earlier search on the same graph, facilities and offsets when that search reached
at least as far, filtering its answer to the smaller cutoff; otherwise it searches (at the
cache's ``cutoff_floor_s`` for the mode when that is larger, so that scenarios with longer
thresholds that come later are answered too) and keeps the answer. ``searches`` counts the
searches actually run.

A bounded search's answer within a smaller cutoff is the same answer: every time it holds at
or below that cutoff is a shortest time, and every pair it drops is beyond it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from planner.network.graph import TravelGraph
from planner.network.nearest import Nearest, nearest
from planner.network.traveltime import TravelTimes, travel_times_to

T = TypeVar("T")

__all__ = [
    "SearchCache",
    "cached_nearest",
    "cached_travel_times_to",
    "current_cache",
    "use_cache",
]


def _key(*arrays: Any) -> str:
    h = hashlib.sha1()
    for a in arrays:
        arr = np.ascontiguousarray(np.asarray(a))
        h.update(str(arr.dtype).encode())
        h.update(str(arr.shape).encode())
        h.update(arr.tobytes())
    return h.hexdigest()


@dataclass
class SearchCache:
    """Bounded searches kept for reuse (see the module docstring).

    Attributes
    ----------
    cutoff_floor_s
        Per mode, the least cutoff a search runs with (set it to the longest threshold
        any scenario will ask for).
    searches
        Searches run (not answered from the cache).
    """

    cutoff_floor_s: Mapping[str, float] = field(default_factory=dict)
    searches: int = 0
    _nearest: dict[tuple[int, str], Nearest] = field(default_factory=dict, repr=False)
    _times: dict[tuple[int, str], TravelTimes] = field(default_factory=dict, repr=False)
    _made: dict[Any, Any] = field(default_factory=dict, repr=False)

    def made(self, key: Any, build: Callable[[], T]) -> T:
        """An object built once per key (e.g. the bus layer of a moment), then reused, so
        that searches on it are answered from the cache too."""
        if key not in self._made:
            self._made[key] = build()
        return cast(T, self._made[key])

    def _cutoff(self, graph: TravelGraph, cutoff_s: float) -> float:
        return max(float(cutoff_s), float(self.cutoff_floor_s.get(graph.mode, 0.0)))

    def nearest(
        self,
        graph: TravelGraph,
        facilities: ArrayLike,
        *,
        cutoff_s: float,
        facility_offsets_s: ArrayLike | None = None,
        direction: str = "to",
    ) -> Nearest:
        """:func:`~planner.network.nearest.nearest`, answered from the cache when it can."""
        fac = np.asarray(facilities, dtype=np.int64)
        off = np.zeros(len(fac)) if facility_offsets_s is None else np.asarray(facility_offsets_s)
        key = (id(graph), _key(fac, off, np.frombuffer(direction.encode(), dtype=np.uint8)))
        hit = self._nearest.get(key)
        if hit is None or hit.cutoff_s < cutoff_s:
            self.searches += 1
            hit = nearest(
                graph,
                fac,
                cutoff_s=self._cutoff(graph, cutoff_s),
                facility_offsets_s=off,
                direction=direction,  # type: ignore[arg-type]
            )
            self._nearest[key] = hit
        if hit.cutoff_s == cutoff_s:
            return hit
        far = hit.time_s > cutoff_s
        return replace(
            hit,
            time_s=np.where(far, np.inf, hit.time_s),
            facility=np.where(far, -1, hit.facility),
            cutoff_s=float(cutoff_s),
        )

    def travel_times_to(
        self,
        graph: TravelGraph,
        targets: ArrayLike,
        sources: ArrayLike,
        *,
        cutoff_s: float,
        source_offsets_s: ArrayLike | None = None,
        target_offsets_s: ArrayLike | None = None,
        progress: bool = False,
    ) -> TravelTimes:
        """:func:`~planner.network.traveltime.travel_times_to`, from the cache when it can.

        The cache keeps, per graph and targets, the times from *every node* to each target
        (the backward searches reach them anyway), so other sources — another scenario's
        uncovered cells — are answered by picking their nodes' rows and adding their
        offsets.
        """
        tg = np.asarray(targets, dtype=np.int64)
        sc = np.asarray(sources, dtype=np.int64)
        so = (
            np.zeros(len(sc))
            if source_offsets_s is None
            else np.asarray(source_offsets_s, dtype=float)
        )
        to = (
            np.zeros(len(tg))
            if target_offsets_s is None
            else np.asarray(target_offsets_s, dtype=float)
        )
        key = (id(graph), _key(tg, to))
        hit = self._times.get(key)
        if hit is None or hit.cutoff_s < cutoff_s:
            self.searches += 1
            hit = travel_times_to(
                graph,
                tg,
                None,
                cutoff_s=self._cutoff(graph, cutoff_s),
                target_offsets_s=to,
                progress=progress,
            )
            self._times[key] = hit
        m = hit.matrix
        ok = (sc >= 0) & np.isfinite(so)
        rows = np.where(ok, sc, 0)
        counts = np.where(ok, np.diff(m.indptr)[rows], 0)
        starts = m.indptr[rows]
        idx = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        idx = idx + np.arange(int(counts.sum()))
        data = m.data[idx] + np.repeat(so, counts)
        cols = m.indices[idx]
        row_of = np.repeat(np.arange(len(sc)), counts)
        keep = data <= cutoff_s
        matrix = sp.csr_array((data[keep], (row_of[keep], cols[keep])), shape=(len(sc), len(tg)))
        matrix.sort_indices()
        return replace(
            hit,
            matrix=matrix,
            cutoff_s=float(cutoff_s),
            sources=np.where(ok, sc, -1),
            source_offsets_s=so,
        )


_CURRENT: ContextVar[SearchCache | None] = ContextVar("planner_search_cache", default=None)


@contextmanager
def use_cache(cache: SearchCache | None) -> Iterator[SearchCache | None]:
    """Answer the searches made inside the block from ``cache`` (``None``: search afresh).

    Coverage and siting call :func:`cached_nearest` and :func:`cached_travel_times_to`,
    which use the cache of the innermost ``use_cache`` block.
    """
    token = _CURRENT.set(cache)
    try:
        yield cache
    finally:
        _CURRENT.reset(token)


def cached_nearest(
    graph: TravelGraph,
    facilities: ArrayLike,
    *,
    cutoff_s: float,
    facility_offsets_s: ArrayLike | None = None,
    direction: str = "to",
) -> Nearest:
    """:func:`~planner.network.nearest.nearest` through the current cache, if any."""
    cache = _CURRENT.get()
    if cache is None:
        return nearest(
            graph,
            facilities,
            cutoff_s=cutoff_s,
            facility_offsets_s=facility_offsets_s,
            direction=direction,  # type: ignore[arg-type]
        )
    return cache.nearest(
        graph,
        facilities,
        cutoff_s=cutoff_s,
        facility_offsets_s=facility_offsets_s,
        direction=direction,
    )


def cached_travel_times_to(
    graph: TravelGraph,
    targets: ArrayLike,
    sources: ArrayLike,
    *,
    cutoff_s: float,
    source_offsets_s: ArrayLike | None = None,
    target_offsets_s: ArrayLike | None = None,
    progress: bool = False,
) -> TravelTimes:
    """:func:`~planner.network.traveltime.travel_times_to` through the current cache."""
    cache = _CURRENT.get()
    if cache is None:
        return travel_times_to(
            graph,
            targets,
            sources,
            cutoff_s=cutoff_s,
            source_offsets_s=source_offsets_s,
            target_offsets_s=target_offsets_s,
            progress=progress,
        )
    return cache.travel_times_to(
        graph,
        targets,
        sources,
        cutoff_s=cutoff_s,
        source_offsets_s=source_offsets_s,
        target_offsets_s=target_offsets_s,
        progress=progress,
    )


def current_cache() -> SearchCache | None:
    """The cache of the innermost :func:`use_cache` block, if any."""
    return _CURRENT.get()

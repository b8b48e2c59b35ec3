"""The record frame every candidate source returns; helpers the sources and the merge share.

A source builder (:mod:`planner.analysis.candidates._sources`) returns a
:class:`pandas.DataFrame` of :data:`_RECORD_COLUMNS` plus ``x``, ``y`` (the candidate's
point in the projected CRS) and ``footprint`` (a polygon anchor's outline, else ``None``),
built with :func:`_records`; :func:`planner.analysis.candidates.sites.candidate_sites`
concatenates them (:func:`_concat`), keeps those inside the study area (:func:`_inside_area`)
and merges them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from planner.io.crs import StudyArea

log = logging.getLogger(__name__)

_RECORD_COLUMNS = ("anchor_kind", "anchor_name", "sector", "n_routes", "source", "source_id")


def _records(
    kind: Sequence[str] | str,
    name: Sequence[Any],
    xy: NDArray[np.float64],
    *,
    source: str,
    source_id: Sequence[Any],
    sector: Sequence[Any] | None = None,
    n_routes: Sequence[Any] | None = None,
    footprint: Sequence[Any] | None = None,
) -> pd.DataFrame:
    n = len(xy)
    out = pd.DataFrame(
        {
            "anchor_kind": [kind] * n if isinstance(kind, str) else list(kind),
            "anchor_name": [_text(v) for v in name],
            "sector": [_text(v) for v in sector] if sector is not None else [None] * n,
            "n_routes": pd.array(
                list(n_routes) if n_routes is not None else [None] * n, dtype="Int64"
            ),
            "source": [source] * n,
            "source_id": [_text(v) for v in source_id],
            "x": xy[:, 0] if n else np.empty(0),
            "y": xy[:, 1] if n else np.empty(0),
        }
    )
    # The outline of a polygon anchor (None for points): a candidate inside it, or within
    # merge_m of it, is the same site even when far from its representative point.
    out["footprint"] = list(footprint) if footprint is not None else [None] * n
    return out


def _empty() -> pd.DataFrame:
    return _records([], [], np.empty((0, 2)), source="", source_id=[])


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    out["n_routes"] = out["n_routes"].astype("Int64")
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


def _points(geoms: Any, *, what: str) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """(xy, ok): a point per geometry (point_on_surface for lines/polygons); empty → not ok."""
    arr = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    xy = np.full((len(arr), 2), np.nan)
    if ok.any():
        pts = shapely.point_on_surface(arr[ok])
        xy[ok, 0] = shapely.get_x(pts)
        xy[ok, 1] = shapely.get_y(pts)
    if (~ok).any():
        log.warning("%s: %d feature(s) without a geometry left out", what, int((~ok).sum()))
    return xy, ok


def _greedy_clusters(xy: NDArray[np.float64], radius_m: float) -> NDArray[np.int64]:
    """Seed index of each point: each point in order that is not yet taken becomes a seed and
    takes the untaken points within ``radius_m`` of it."""
    n = len(xy)
    seed = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return seed
    tree = cKDTree(xy)
    for i in range(n):
        if seed[i] >= 0:
            continue
        seed[i] = i
        for j in tree.query_ball_point(xy[i], radius_m):
            if seed[j] < 0:
                seed[j] = i
    return seed


def _inside_area(frame: pd.DataFrame, area: StudyArea) -> pd.DataFrame:
    pts = shapely.points(frame["x"].to_numpy(), frame["y"].to_numpy())
    outside = area.distance_outside_m(pts) > 0
    if outside.any():
        counts = frame.loc[outside, "anchor_kind"].value_counts().sort_index()
        log.warning(
            "%d candidate(s) outside the study area %s left out (%s)",
            int(outside.sum()),
            area.name,
            ", ".join(f"{k} {int(v)}" for k, v in counts.items()),
        )
    return frame.loc[~outside].reset_index(drop=True)

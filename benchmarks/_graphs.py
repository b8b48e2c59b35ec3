"""Road-like test graphs for the travel-time benchmark (seeded, deterministic).

A perturbed square grid of intersections ``spacing_m`` apart in a projected CRS (UTM 51N,
placed near Yantai): every 10th row/column is a primary road, every 5th a secondary
road, the rest residential streets; about 8 % of street segments are missing (blocks,
rivers), about 5 % of cells get a diagonal, and about 15 % of residential segments are
one-way (respected by the e-bike and drive profiles, not by walking, as in
:mod:`planner.network.streets`).

Speeds: walk 5 km/h; e-bike 15 km/h (GB 17761-2018 caps the design speed at 25 km/h;
typical riding is about 15); drive 60 / 45 / 30 km/h on primary / secondary / residential.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from planner.network.graph import TravelGraph

__all__ = ["SPEEDS_KMH", "road_grid"]

#: Speed per mode and road class (primary, secondary, residential), km/h.
SPEEDS_KMH: dict[str, tuple[float, float, float]] = {
    "walk": (5.0, 5.0, 5.0),
    "ebike": (15.0, 15.0, 15.0),
    "drive": (60.0, 45.0, 30.0),
}


def _segments(
    side: int, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Undirected segments (a, b) and their class (0 primary, 1 secondary, 2 residential)."""
    idx = np.arange(side * side, dtype=np.int64).reshape(side, side)
    rows = np.arange(side)

    def road_class(line: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.where(line % 10 == 0, 0, np.where(line % 5 == 0, 1, 2)).astype(np.int64)

    # horizontal segments along row r, vertical along column c
    ha, hb = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    hc = np.repeat(road_class(rows), side - 1)
    va, vb = idx[:-1, :].ravel(), idx[1:, :].ravel()
    vc = np.tile(road_class(rows), side - 1)
    # diagonals in about 5 % of cells (residential)
    cells = idx[:-1, :-1].ravel()
    diag = cells[rng.random(len(cells)) < 0.05]
    da, db = diag, diag + side + 1
    dc = np.full(len(diag), 2, dtype=np.int64)
    a = np.concatenate([ha, va, da])
    b = np.concatenate([hb, vb, db])
    c = np.concatenate([hc, vc, dc])
    # remove about 8 % of residential segments (arterials stay whole)
    keep = (c < 2) | (rng.random(len(a)) >= 0.08)
    return a[keep], b[keep], c[keep]


def road_grid(
    side: int = 400, *, spacing_m: float = 150.0, seed: int = 42
) -> dict[str, TravelGraph]:
    """Walk, e-bike and drive graphs on the same perturbed grid of ``side × side`` nodes.

    Parameters
    ----------
    side
        Intersections per side (400 → 160,000 nodes, 60 × 60 km at 150 m).
    spacing_m
        Mean distance between neighbouring intersections.
    seed
        Random seed; the same seed gives the same graphs.

    Returns
    -------
    dict
        ``{"walk": TravelGraph, "ebike": …, "drive": …}`` sharing node ids and coordinates.
    """
    rng = np.random.default_rng(seed)
    n = side * side
    gx, gy = np.meshgrid(np.arange(side, dtype=float), np.arange(side, dtype=float))
    x = 600_000.0 + gx.ravel() * spacing_m + rng.uniform(-0.2, 0.2, n) * spacing_m
    y = 4_100_000.0 + gy.ravel() * spacing_m + rng.uniform(-0.2, 0.2, n) * spacing_m
    a, b, cls = _segments(side, rng)
    length_m = np.hypot(x[a] - x[b], y[a] - y[b])
    oneway = (cls == 2) & (rng.random(len(a)) < 0.15)
    flip = rng.random(len(a)) < 0.5  # direction of a one-way segment
    fwd_a = np.where(flip, b, a)
    fwd_b = np.where(flip, a, b)
    graphs: dict[str, TravelGraph] = {}
    node_ids = np.arange(1, n + 1, dtype=np.int64)
    for mode, speeds in SPEEDS_KMH.items():
        speed_ms = np.asarray(speeds)[cls] / 3.6
        t = length_m / speed_ms
        if mode == "walk":
            u = np.concatenate([a, b])
            v = np.concatenate([b, a])
            w = np.concatenate([t, t])
        else:
            two = ~oneway
            u = np.concatenate([fwd_a, fwd_b[two]])
            v = np.concatenate([fwd_b, fwd_a[two]])
            w = np.concatenate([t, t[two]])
        graphs[mode] = TravelGraph.from_edges(mode, node_ids, x, y, u, v, w, crs="EPSG:32651")
    return graphs

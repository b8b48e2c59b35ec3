"""How long reading big inputs takes: a 1,000,000-cell GeoTIFF and a 100,000-row directory.

Run:  .venv/bin/python benchmarks/io.py [--cells 1000000] [--rows 100000]

Both inputs are generated into a temporary folder (seeded), then read through planner's
readers, which validate every row. As a peer, the same files are also read raw (rasterio
array read; pandas.read_csv) so the printout shows what the validation costs (ratio).
Target from the foundation issue: each read takes seconds, not minutes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from rasterio.transform import from_origin

from planner.io.markets import read_markets
from planner.io.population import read_population_grid


def write_grid(path: Path, n_cells: int, seed: int) -> float:
    """A WorldPop-like float32 grid (EPSG:4326, 0.001°) with nodata; returns its total."""
    side = round(n_cells**0.5)
    rng = np.random.default_rng(seed)
    pop = rng.gamma(0.6, 8.0, size=(side, side)).astype("float32")
    pop[rng.random((side, side)) < 0.1] = -99999.0
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=side,
        height=side,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(118.0, 36.6, 0.001, 0.001),
        nodata=-99999.0,
        compress="deflate",
    ) as dst:
        dst.write(pop, 1)
    return float(pop[pop >= 0].sum())


def write_directory(path: Path, n_rows: int, seed: int) -> None:
    """A market directory with Chinese headers, UTF-8 with BOM, GCJ-02 coordinates."""
    rng = np.random.default_rng(seed)
    tiers = np.array(["综合性零工市场", "行业性零工市场", "零工服务站点"])
    hours = np.array(["每天 5:00-12:00", "周一至周六 05:30-11:30", "全天", "Mo-Fr 06:00-11:00"])
    df = pd.DataFrame(
        {
            "编号": [f"M{i:06d}" for i in range(n_rows)],
            "名称": [f"零工市场{i}" for i in range(n_rows)],
            "类型": tiers[rng.integers(0, 3, n_rows)],
            "地址": [f"示范路{i}号" for i in range(n_rows)],
            "经度": np.round(rng.uniform(118.05, 118.95, n_rows), 6),
            "纬度": np.round(rng.uniform(35.65, 36.55, n_rows), 6),
            "坐标系": "gcj02",
            "开放时间": hours[rng.integers(0, 4, n_rows)],
            "工种": "瓦工、木工、保洁",
            "联系电话": [f"0539-555{i % 10000:04d}" for i in range(n_rows)],
        }
    )
    df.to_csv(path, index=False, encoding="utf-8-sig")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cells", type=int, default=1_000_000)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        tif, csv = d / "pop.tif", d / "markets.csv"
        total = write_grid(tif, args.cells, args.seed)
        write_directory(csv, args.rows, args.seed)

        t0 = time.perf_counter()
        with rasterio.open(tif) as src:
            raw = src.read(1)
        raw_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        cells = read_population_grid(tif)
        grid_s = time.perf_counter() - t0
        assert abs(cells["population"].sum() - total) < 1e-3 * total, "population total changed"

        t0 = time.perf_counter()
        pd.read_csv(csv, dtype=str, encoding="utf-8-sig")
        raw_csv_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        markets = read_markets(csv)
        dir_s = time.perf_counter() - t0
        assert len(markets) == args.rows

    print(f"{'input':<42}{'planner s':>11}{'raw read s':>12}{'ratio':>8}")
    print(
        f"{f'GeoTIFF {raw.size:,} cells -> {len(cells):,} demand cells':<42}"
        f"{grid_s:>11.2f}{raw_s:>12.2f}{grid_s / raw_s:>8.1f}"
    )
    print(
        f"{f'directory {args.rows:,} rows (validated, hours parsed)':<42}"
        f"{dir_s:>11.2f}{raw_csv_s:>12.2f}{dir_s / raw_csv_s:>8.1f}"
    )
    print("ratio = planner's validated read / a raw read of the same file (rasterio, pandas)")


if __name__ == "__main__":
    main()

"""The monthly job-to-applicant ratio (求人倍率) and wage (工资价位) tables, and their chart.

鲁人社字〔2024〕44号 (十) asks each county to publish, every month, the job-to-applicant
ratio by market and industry. This module computes the published numbers from work logs
read by :func:`planner.io.worklogs.read_work_logs`:

* :func:`job_ratio_table` (per month, market and industry), :func:`job_ratio_by_month`
  (per month and industry over all markets, with a 合计 row) and :func:`wage_by_trade`
  (the posted daily wage per month and industry);
* :func:`formatted_rows` gives their Chinese headers and text cells as published (ratios
  to two places, halves rounded up);
* :func:`job_ratio_chart_svg` draws the ratio by month as plain SVG (no JavaScript);
* :func:`write_job_ratio` writes the tables (CSV), the chart and the page into an
  :class:`~planner.publish._output.OutputFolder`.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import ColumnError, InvalidValueError
from planner.io.worklogs import find_personal_number, industry_label, job_to_applicant_ratio
from planner.publish._assets import render_template
from planner.publish._output import OutputFolder, _csv_bytes, _missing

__all__ = [
    "JOB_RATIO_HEADERS",
    "formatted_rows",
    "job_ratio_by_month",
    "job_ratio_chart_svg",
    "job_ratio_table",
    "stats_context",
    "wage_by_trade",
    "write_job_ratio",
]

log = logging.getLogger(__name__)

_TOTAL = "合计"

#: Chinese headers of the 求人倍率 tables.
JOB_RATIO_HEADERS: dict[str, str] = {
    "month": "月份",
    "market_id": "市场编号",
    "market_name": "市场名称",
    "industry": "行业",
    "postings": "岗位数",
    "seekers": "求职人数",
    "job_to_applicant_ratio": "求人倍率",
    "matches": "达成意向",
    "wage_median_yuan_per_day": "日工资中位数(元/天)",
    "markets": "市场数",
}


def _check_logs(work_logs: object) -> pd.DataFrame:
    if not isinstance(work_logs, pd.DataFrame):
        raise InvalidValueError(
            f"work_logs must be a DataFrame, got {type(work_logs).__name__}",
            fix="read the logs with planner.io.worklogs.read_work_logs",
        )
    need = ("month", "market_id", "industry", "postings", "seekers")
    missing = [c for c in need if c not in work_logs.columns]
    if missing:
        raise ColumnError(
            f"the work logs have no column {missing[0]!r}",
            column=missing[0],
            fix="read the logs with planner.io.worklogs.read_work_logs",
        )
    if len(work_logs) == 0:
        raise InvalidValueError("the work logs are empty", fix="pass logs with at least one month")
    if (work_logs["industry"].astype(str) == _TOTAL).any():
        raise InvalidValueError(
            f"an industry is named {_TOTAL!r}, which the published tables use for totals",
            column="industry",
            fix=f"rename the industry (e.g. '{_TOTAL}行业') or drop the total rows from the log",
        )
    ids = work_logs["market_id"]
    personal = [i for i, v in enumerate(ids) if find_personal_number(str(v)) is not None]
    if personal:
        raise InvalidValueError(
            f"{len(personal)} market id(s) of the work logs look like an ID-card or phone"
            f" number (first at position {personal[0]}; value not shown)",
            column="market_id",
            fix="use the 编号 of the market directory",
        )
    logs = work_logs.copy()
    # Free text never reaches a public file: 行业 becomes a label of the vocabulary.
    logs["industry"] = logs["industry"].map(industry_label)
    for col in ("matches", "wage_median_yuan_per_day", "market_name"):
        if col not in logs.columns:
            logs[col] = pd.NA if col != "wage_median_yuan_per_day" else np.nan
    logs["matches"] = pd.to_numeric(logs["matches"], errors="coerce").astype("Int64")
    logs["wage_median_yuan_per_day"] = pd.to_numeric(
        logs["wage_median_yuan_per_day"], errors="coerce"
    ).astype(float)
    return logs


def _sum_matches(logs: pd.DataFrame, by: list[str]) -> pd.Series:
    return logs.groupby(by, sort=True, dropna=False)["matches"].sum(min_count=1).astype("Int64")


def job_ratio_table(work_logs: pd.DataFrame) -> pd.DataFrame:
    """求人倍率, matches and the posted daily wage per month, market and industry.

    Parameters
    ----------
    work_logs
        As read by :func:`planner.io.worklogs.read_work_logs`.

    Returns
    -------
    pandas.DataFrame
        ``month``, ``market_id``, ``market_name``, ``industry`` (the published label of
        :func:`planner.io.worklogs.industry_label`: rows whose 行业 share a label are
        summed; sorted by the first, second and fourth), ``postings``, ``seekers``,
        ``job_to_applicant_ratio`` (postings ÷ seekers; NaN where no one registered),
        ``matches`` (Int64, NA when not logged) and ``wage_median_yuan_per_day`` (the log's 日工资中位数; NaN when not logged).

    Examples
    --------
    >>> logs = pd.DataFrame({"month": ["2024-03", "2024-03"], "market_id": ["M1", "M1"],
    ...     "industry": ["建筑", "保洁"], "postings": [30, 5], "seekers": [20, 0],
    ...     "matches": [12, 0], "wage_median_yuan_per_day": [300.0, 200.0]})
    >>> job_ratio_table(logs)[["industry", "job_to_applicant_ratio", "matches"]]
      industry  job_to_applicant_ratio  matches
    0     家政保洁                     NaN        0
    1     建筑装修                     1.5       12
    """
    logs = _check_logs(work_logs)
    by = ["month", "market_id", "industry"]
    ratio = job_to_applicant_ratio(logs, by=by)
    grouped = logs.groupby(by, sort=True, dropna=False)
    extra = pd.DataFrame(
        {
            "market_name": grouped["market_name"].first(),
            "matches": _sum_matches(logs, by),
            "wage_median_yuan_per_day": grouped["wage_median_yuan_per_day"].median(),
        }
    ).reset_index()
    if grouped.size().max() > 1:
        log.info(
            "several work-log rows fall on one (month, market, published industry); counts"
            " summed, wage median of the rows"
        )
    out = ratio.merge(extra, on=by, how="left", validate="one_to_one")
    cols = [
        "month",
        "market_id",
        "market_name",
        "industry",
        "postings",
        "seekers",
        "job_to_applicant_ratio",
        "matches",
        "wage_median_yuan_per_day",
    ]
    return out[cols].reset_index(drop=True)


def job_ratio_by_month(work_logs: pd.DataFrame) -> pd.DataFrame:
    """求人倍率 and matches per month and industry over all markets, with a 合计 row per month.

    Counts are summed before dividing (the ratio of sums). The 合计 row of a month sums
    every industry and comes after the industries of that month.

    Returns
    -------
    pandas.DataFrame
        ``month``, ``industry``, ``postings``, ``seekers``, ``job_to_applicant_ratio``
        (NaN where no one registered), ``matches`` (Int64).

    Examples
    --------
    >>> logs = pd.DataFrame({"month": ["2024-03"] * 3, "market_id": ["M1", "M2", "M1"],
    ...     "industry": ["建筑", "瓦工", "家政"], "postings": [30, 10, 6], "seekers": [20, 20, 4]})
    >>> t = job_ratio_by_month(logs)
    >>> t["industry"].tolist(), t["postings"].tolist(), t["job_to_applicant_ratio"].round(3).tolist()
    (['家政保洁', '建筑装修', '合计'], [6, 40, 46], [1.5, 1.0, 1.045])
    """
    logs = _check_logs(work_logs)
    parts = []
    for by in (["month", "industry"], ["month"]):
        r = job_to_applicant_ratio(logs, by=by)
        r = r.merge(_sum_matches(logs, by).rename("matches").reset_index(), on=by)
        if "industry" not in by:
            r["industry"] = _TOTAL
        r["_total"] = "industry" not in by
        parts.append(r)
    out = pd.concat(parts, ignore_index=True).sort_values(
        ["month", "_total", "industry"], kind="stable"
    )
    cols = ["month", "industry", "postings", "seekers", "job_to_applicant_ratio", "matches"]
    return out[cols].reset_index(drop=True)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Lower weighted median: the smallest value whose cumulative weight reaches half."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    if w.sum() <= 0:  # no postings anywhere: plain (lower) median of the values
        w = np.ones_like(w)
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, cum[-1] / 2.0)])


def wage_by_trade(work_logs: pd.DataFrame) -> pd.DataFrame:
    """工资价位: the posted daily wage per month and industry (trade) over all markets.

    Each market logs the median posted daily wage of its postings; the median over all
    postings is estimated by the **postings-weighted median of the market medians** (the
    smallest market median whose markets together hold at least half of the postings).
    Rows without a wage are left out of that month and industry (``markets`` says how many
    markets had one); a month and industry no market priced is left out and logged.

    Returns
    -------
    pandas.DataFrame
        ``month``, ``industry``, ``wage_median_yuan_per_day``, ``markets`` (markets with a
        wage), ``postings`` (their postings), sorted by month and industry.

    Examples
    --------
    >>> logs = pd.DataFrame({"month": ["2024-03"] * 3, "market_id": ["M1", "M2", "M3"],
    ...     "industry": ["建筑"] * 3, "postings": [10, 30, 5], "seekers": [1, 1, 1],
    ...     "wage_median_yuan_per_day": [280.0, 300.0, 350.0]})
    >>> wage_by_trade(logs).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'month': '2024-03', 'industry': '建筑装修', 'wage_median_yuan_per_day': 300.0,
      'markets': 3, 'postings': 45}]
    """
    logs = _check_logs(work_logs)
    priced = logs[logs["wage_median_yuan_per_day"].notna()]
    rows = []
    for (month, industry), g in priced.groupby(["month", "industry"], sort=True):
        rows.append(
            {
                "month": month,
                "industry": industry,
                "wage_median_yuan_per_day": _weighted_median(
                    g["wage_median_yuan_per_day"].to_numpy(float),
                    g["postings"].to_numpy(float),
                ),
                "markets": int(g["market_id"].nunique()),
                "postings": int(g["postings"].sum()),
            }
        )
    all_pairs = logs[["month", "industry"]].drop_duplicates()
    n_unpriced = len(all_pairs) - len(rows)
    if n_unpriced:
        log.warning("%d month × industry pair(s) have no wage in the work logs", n_unpriced)
    cols = ["month", "industry", "wage_median_yuan_per_day", "markets", "postings"]
    return pd.DataFrame(rows, columns=cols)


def _fmt_ratio(v: object) -> str:
    """A ratio to two places, halves rounded up as statistics offices publish (1.125 → 1.13)."""
    if _missing(v):
        return ""
    exact = Decimal(repr(float(v)))  # type: ignore[arg-type]
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _fmt_int(v: object) -> str:
    return "" if _missing(v) else str(int(v))  # type: ignore[call-overload]


def _fmt_wage(v: object) -> str:
    return "" if _missing(v) else f"{float(v):g}"  # type: ignore[arg-type]


_FORMATS = {
    "job_to_applicant_ratio": _fmt_ratio,
    "postings": _fmt_int,
    "seekers": _fmt_int,
    "matches": _fmt_int,
    "markets": _fmt_int,
    "wage_median_yuan_per_day": _fmt_wage,
}


def formatted_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Chinese headers and text cells of a 求人倍率 table, as published (ratios to 2 places)."""
    cols = list(table.columns)
    header = [JOB_RATIO_HEADERS.get(c, c) for c in cols]
    rows = [
        [
            _FORMATS.get(c, lambda x: "" if _missing(x) else str(x))(v)
            for c, v in zip(cols, r, strict=True)
        ]
        for r in table.itertuples(index=False, name=None)
    ]
    return header, rows


# --------------------------------------------------------------------------------------
# The chart
# --------------------------------------------------------------------------------------

_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_FONT = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif"


def _nice_top(v: float) -> float:
    top = max(v, 1.0) * 1.1
    step = 0.5 if top <= 5 else 1.0 if top <= 10 else 5.0
    return math.ceil(top / step) * step


def job_ratio_chart_svg(
    by_month: pd.DataFrame, *, width_px: int = 440, plot_height_px: int = 220
) -> str:
    """A line chart of 求人倍率 by month: one line per industry and a thick 合计 line.

    Drawn as plain SVG (no script, no web font): it opens offline in any browser. Made for
    a phone first: narrow, with the legend under the plot (the dashed 供求平衡 line is
    explained there, not labelled over the lines), month labels thinned so they never
    overlap, and a ``viewBox`` so a page can scale it to its width. Every point has a
    ``<title>`` (e.g. ``2024-03 建筑装修 求人倍率 0.85``) and ``data-month``,
    ``data-industry`` and ``data-value`` attributes; a month without seekers breaks its
    line. Texts are XML-escaped.

    Parameters
    ----------
    by_month
        The result of :func:`job_ratio_by_month`.
    width_px, plot_height_px
        Width of the drawing and height of the plot area; the legend adds rows below.
    """
    esc = html.escape
    months = sorted(by_month["month"].astype(str).unique())
    industries = sorted(i for i in by_month["industry"].astype(str).unique() if i != _TOTAL)
    series = [*industries, _TOTAL]
    values = by_month["job_to_applicant_ratio"].astype(float)
    top = _nice_top(float(np.nanmax(values)) if values.notna().any() else 1.0)
    left, right, top_m = 40, 12, 34
    pw, ph = width_px - left - right, plot_height_px
    legend_y = top_m + ph + 40
    n_items = len(series) + 1  # and the balance line
    cols = 2
    rows = math.ceil(n_items / cols)
    height_px = legend_y + 20 * rows

    def x_of(i: int) -> float:
        return left + (pw * (i + 0.5) / len(months))

    def y_of(v: float) -> float:
        return top_m + ph * (1 - v / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="job-ratio-chart" width="{width_px}"'
        f' height="{height_px}" viewBox="0 0 {width_px} {height_px}" role="img"'
        ' aria-label="求人倍率按月变化">',
        f"<style>text{{font-family:{_FONT};font-size:14px;fill:#333}}</style>",
        f'<text x="{left}" y="20" style="font-size:14px;font-weight:bold">'
        "求人倍率（岗位数 ÷ 求职人数）按月</text>",
    ]
    step = top / 5
    for k in range(6):
        v = step * k
        y = y_of(v)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{v:.1f}</text>'
        )
    y1 = y_of(1.0)
    parts.append(
        f'<line class="balance" x1="{left}" y1="{y1:.1f}" x2="{left + pw}" y2="{y1:.1f}"'
        ' stroke="#555" stroke-dasharray="6 4"/>'
    )
    # A month label is ~60 px wide at 14 px: label every k-th month so none overlap.
    label_every = max(1, math.ceil(len(months) * 64 / pw))
    for i, m in enumerate(months):
        if i % label_every == 0:
            parts.append(
                f'<text x="{x_of(i):.1f}" y="{top_m + ph + 18}" text-anchor="middle">{esc(m)}</text>'
            )
    parts.append(
        f'<line x1="{left}" y1="{top_m + ph}" x2="{left + pw}" y2="{top_m + ph}" stroke="#333"/>'
    )
    lookup = {
        (str(m), str(i)): v
        for m, i, v in zip(by_month["month"], by_month["industry"], values, strict=True)
    }
    col_w = (width_px - 2 * 12) / cols

    def legend_at(k: int) -> tuple[float, float]:
        return 12 + col_w * (k % cols), legend_y - 6 + 20 * (k // cols)

    for k, name in enumerate(series):
        total = name == _TOTAL
        color = "#000" if total else _PALETTE[k % len(_PALETTE)]
        width = 3 if total else 1.5
        runs: list[list[str]] = [[]]
        dots = []
        for i, m in enumerate(months):
            v = lookup.get((m, name), math.nan)
            if math.isnan(v):
                runs.append([])
                continue
            x, y = x_of(i), y_of(v)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            dots.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3.5 if total else 2.5}" fill="{color}"'
                f' data-month="{esc(m)}" data-industry="{esc(name)}" data-value="{_fmt_ratio(v)}">'
                f"<title>{esc(m)} {esc(name)} 求人倍率 {_fmt_ratio(v)}</title></circle>"
            )
        group = [f'<g class="series" data-industry="{esc(name)}">']
        group += [
            f'<polyline fill="none" stroke="{color}" stroke-width="{width}" points="{" ".join(r)}"/>'
            for r in runs
            if len(r) > 1
        ]
        group += dots
        group.append("</g>")
        parts.extend(group)
        lx, ly = legend_at(k)
        parts.append(
            f'<line x1="{lx:.1f}" y1="{ly - 4:.1f}" x2="{lx + 20:.1f}" y2="{ly - 4:.1f}"'
            f' stroke="{color}" stroke-width="{width}"/>'
            f'<text x="{lx + 26:.1f}" y="{ly:.1f}">{esc(name)}</text>'
        )
    lx, ly = legend_at(len(series))
    parts.append(
        f'<line x1="{lx:.1f}" y1="{ly - 4:.1f}" x2="{lx + 20:.1f}" y2="{ly - 4:.1f}"'
        ' stroke="#555" stroke-dasharray="6 4"/>'
        f'<text x="{lx + 26:.1f}" y="{ly:.1f}">供求平衡（= 1.0）</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


#: Columns a visitor filters each published table by, and whether the latest month is
#: selected at first (the table by market has hundreds of rows).
_FILTER_COLUMNS = ("month", "market_name", "industry")


def _table_view(
    caption: str, table: pd.DataFrame, *, latest_month_first: bool = False
) -> dict[str, Any]:
    header, rows = formatted_rows(table)
    cols = list(table.columns)
    filters = []
    for col in _FILTER_COLUMNS:
        if col not in cols:
            continue
        k = cols.index(col)
        options = sorted({r[k] for r in rows if r[k]})
        if len(options) < 2:
            continue
        default = options[-1] if (col == "month" and latest_month_first) else ""
        filters.append({"col": k, "label": header[k], "options": options, "default": default})
    return {"caption": caption, "header": header, "rows": rows, "filters": filters}


def stats_context(work_logs: pd.DataFrame) -> dict[str, Any]:
    """Tables (headers, text cells, filters) and the chart for the 求人倍率 page."""
    by_market = job_ratio_table(work_logs)
    by_month = job_ratio_by_month(work_logs)
    wages = wage_by_trade(work_logs)
    return {
        "by_market": by_market,
        "by_month": by_month,
        "wages": wages,
        "chart_svg": job_ratio_chart_svg(by_month),
        "tables": [
            _table_view("各月分行业求人倍率（全部市场）", by_month),
            _table_view("各月分行业工资价位（日工资，元/天）", wages),
            _table_view("各月分市场、分行业求人倍率", by_market, latest_month_first=True),
        ],
        "months": sorted(by_market["month"].astype(str).unique()),
    }


def write_job_ratio(
    work_logs: pd.DataFrame,
    folder: OutputFolder,
    *,
    markets: pd.DataFrame | None = None,
    prefix: str = "",
    page: str | None = "job_ratio.html",
    page_context: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the 求人倍率 tables (CSV with BOM), the SVG chart and (optionally) the page."""
    # Market names come from the public directory only, never from a log's own text.
    logs = work_logs.copy()
    if markets is not None:
        names = dict(zip(markets["market_id"].astype(str), markets["name"], strict=True))
        logs["market_name"] = logs["market_id"].astype(str).map(names)
    else:
        logs["market_name"] = pd.NA
    ctx = stats_context(logs)
    out = {}
    for key, name, table in (
        ("job_ratio_csv", "job_ratio_by_market.csv", ctx["by_market"]),
        ("job_ratio_month_csv", "job_ratio_by_month.csv", ctx["by_month"]),
        ("wages_csv", "wages_by_trade.csv", ctx["wages"]),
    ):
        header, rows = formatted_rows(table)
        out[key] = folder.write(f"{prefix}{name}", _csv_bytes(header, rows))
    out["chart_svg"] = folder.write(f"{prefix}job_ratio.svg", ctx["chart_svg"])
    if page is not None:
        context = {
            "title": "零工市场求人倍率",
            "nav": [],
            "note": "",
            "script": None,
            "downloads": [
                ("分市场分行业 CSV", f"{prefix}job_ratio_by_market.csv"),
                ("分行业 CSV", f"{prefix}job_ratio_by_month.csv"),
                ("工资价位 CSV", f"{prefix}wages_by_trade.csv"),
                ("图表 SVG", f"{prefix}job_ratio.svg"),
            ],
            **(page_context or {}),
            "chart_svg": ctx["chart_svg"],
            "tables": ctx["tables"],
            "months": ctx["months"],
        }
        out["html"] = folder.write(page, render_template("public_stats.html.j2", **context))
    return out

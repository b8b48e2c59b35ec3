"""Equity: coverage of the priority groups the notice names, and the study's floors.

44号 asks markets to 兜底 older and hard-to-employ workers. :func:`group_shares` gives each
priority group's covered share per tier before and after the plan (the groups the demand
has: older workers from the census age table, low-income households, disabled people where
the data has them); :func:`floors_met` checks each ``[tiers.<tier>] floors`` against what the
chosen sites achieve on the model's own terms — the share of the group's coverable demand,
uncovered before, that the new sites cover.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["floors_met", "group_shares"]


def group_shares(plan: Any, groups: Sequence[str]) -> pd.DataFrame:
    """``tier``, ``group``, ``demand``, ``share_before``, ``share_after`` per tier and group."""
    if not groups:
        return pd.DataFrame(columns=["tier", "group", "demand", "share_before", "share_after"])
    b = plan.before.by_group(groups).set_index("group")
    a = plan.after.by_group(groups).set_index("group")
    rows = []
    for tier in plan.before.rules:
        for g in groups:
            rows.append(
                {
                    "tier": tier,
                    "group": g,
                    "demand": float(b.at[g, "demand"]),
                    "share_before": float(b.at[g, f"{tier}_share"]),
                    "share_after": float(a.at[g, f"{tier}_share"]),
                }
            )
    return pd.DataFrame(rows)


def floors_met(
    plan: Any, floors: Mapping[str, Mapping[str, float]], groups: Sequence[str]
) -> pd.DataFrame:
    """Each floor with the share the tier's new sites achieve and whether it is met.

    Returns
    -------
    pandas.DataFrame
        ``tier``, ``group``, ``floor``, ``achieved`` (share of the group's coverable,
        previously uncovered demand covered by the new sites), ``met``.
    """
    rows = []
    for tier, by_group in floors.items():
        tp = plan.tiers.get(tier)
        for g, floor in by_group.items():
            achieved = float("nan")
            if tp is not None and tp.cover is not None and tp.groups is not None and g in groups:
                gi = list(groups).index(g)
                gw = tp.groups[:, gi]
                sel = np.asarray(
                    tp.chosen if tp.chosen is not None else tp.result.selected, dtype=np.int64
                )
                hit = np.zeros(tp.cover.shape[0], dtype=bool)
                if len(sel):
                    hit = np.asarray(tp.cover[:, sel].sum(axis=1) > 0).ravel()
                achieved = float(gw[hit].sum() / gw.sum()) if gw.sum() > 0 else float("nan")
            rows.append(
                {
                    "tier": tier,
                    "group": g,
                    "floor": float(floor),
                    "achieved": achieved,
                    "met": bool(np.isfinite(achieved) and achieved >= floor - 1e-9),
                }
            )
    return pd.DataFrame(rows, columns=["tier", "group", "floor", "achieved", "met"])

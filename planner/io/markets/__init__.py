"""The directory of gig-labour markets (零工市场名录): CSV/XLSX with Chinese or English headers.

The reader lives in :mod:`planner.io.markets.reader` (its docstring lists every column and
the headers accepted); the columns, header aliases and value vocabulary (tiers, statuses,
facilities, list cells) in :mod:`planner.io.markets._schema`; the template users fill in
in :mod:`planner.io.markets._template`. Everything public is imported from here.
"""

from planner.io.markets._schema import (
    FACILITY_KEYS,
    FACILITY_LABELS,
    MARKET_COLUMNS,
    MARKET_SCHEMA,
    STATUS_VALUES,
    TIER_ALIASES,
    facility_keys,
    facility_words,
    split_list,
)
from planner.io.markets._template import write_markets_template
from planner.io.markets.reader import read_markets

__all__ = [
    "FACILITY_KEYS",
    "FACILITY_LABELS",
    "MARKET_COLUMNS",
    "MARKET_SCHEMA",
    "STATUS_VALUES",
    "TIER_ALIASES",
    "facility_keys",
    "facility_words",
    "read_markets",
    "split_list",
    "write_markets_template",
]

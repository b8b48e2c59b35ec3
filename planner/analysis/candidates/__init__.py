"""Candidate sites per tier: where a comprehensive market, sector market or station could go.

The entry :func:`candidate_sites` and the merge, numbering, user sites and exclusion live
in :mod:`planner.analysis.candidates.sites` (its docstring says what each tier draws on);
the builders of each source of candidates (markets, transit, OSM places, the places
table, street points) in :mod:`planner.analysis.candidates._sources`, and the record frame
they all return in :mod:`planner.analysis.candidates._records`. A new source goes in
``_sources`` (its docstring says how). Everything public is imported from here.
"""

from planner.analysis.candidates.sites import (
    ANCHOR_KINDS,
    CANDIDATE_COLUMNS,
    EMPLOYMENT_WORDS,
    SOURCES,
    TIER_ANCHORS,
    candidate_sites,
)

__all__ = [
    "ANCHOR_KINDS",
    "CANDIDATE_COLUMNS",
    "EMPLOYMENT_WORDS",
    "SOURCES",
    "TIER_ANCHORS",
    "candidate_sites",
]

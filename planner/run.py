"""The results of one study run, stage by stage: the floor below publishing.

:func:`planner.pipeline.prepare_study` fills a :class:`PreparedStudy` (everything up to the
solve; what ``planner check`` runs) and :func:`planner.pipeline.run_study` a
:class:`StudyRun`; the publishers in :mod:`planner.publish` take one and never import the
pipeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from planner._repr import html_table, one_line

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from planner.analysis.coverage import Coverage, TierRule
    from planner.analysis.curve import SiteCurve
    from planner.analysis.moments import MomentCoverage
    from planner.analysis.plan import Plan
    from planner.inputs import StudyInputs
    from planner.network.graph import TravelGraph
    from planner.network.transit import BusLayer

__all__ = ["PreparedStudy", "StudyRun"]


@dataclass(repr=False)
class PreparedStudy:
    """A study ready to be sited: networks, demand, rules, coverage and candidates.

    Attributes
    ----------
    inputs
        The validated inputs.
    graphs
        Travel-time graphs by mode.
    date, window
        Service day and time window of bus times.
    cells
        Demand cells (worker demand per cell).
    markets
        The existing markets that serve.
    rules
        The tier rules the data supports (modes without data dropped, see ``notes``).
    candidates
        Candidate sites per tier.
    places
        Sector demand at the places (``None`` without a places table).
    coverage
        Coverage of the existing markets.
    fallback
        True when walk, e-bike and drive times are straight-line estimates (no roads).
    notes
        What was left out or estimated.
    warnings
        Problems the user must see before trusting the results (a partial road network).
    """

    inputs: StudyInputs
    graphs: dict[str, TravelGraph | BusLayer]
    date: dt.date
    window: tuple[str, str]
    cells: gpd.GeoDataFrame
    markets: gpd.GeoDataFrame
    rules: dict[str, TierRule]
    candidates: dict[str, gpd.GeoDataFrame]
    places: gpd.GeoDataFrame | None
    coverage: Coverage
    fallback: bool
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def _facts(self) -> list[tuple[str, object]]:
        return [
            ("study", self.inputs.study.name),
            ("modes", ",".join(self.graphs) or "straight-line"),
            ("tiers", ",".join(self.rules)),
            ("cells", f"{len(self.cells):,}"),
            ("markets", len(self.markets)),
            ("candidates", sum(len(c) for c in self.candidates.values())),
            ("warnings", len(self.warnings)),
        ]

    def __repr__(self) -> str:
        return one_line("PreparedStudy", self._facts())

    def _repr_html_(self) -> str:
        return html_table("PreparedStudy", self._facts())


@dataclass(repr=False)
class StudyRun:
    """Everything one run computed, stage by stage.

    Attributes
    ----------
    inputs
        The validated inputs.
    graphs
        Travel-time graphs by mode (``walk``, ``ebike``, ``drive``, ``bus``).
    date
        The service day bus times were measured on.
    cells
        Demand cells (worker demand per cell).
    markets
        The existing markets that serve (open or planned).
    candidates
        Candidate sites per tier.
    coverage
        Coverage of the existing markets.
    plan
        The three-tier plan.
    notes
        What the run left out or estimated, for the user to read.
    warnings
        Problems the user must see before trusting the results (a partial road network).
    moments
        Coverage at each moment of the study (``[network] moments``), before and after.
    dawn
        Existing markets closed at dawn and the workers opening two hours earlier reaches
        (:func:`planner.analysis.moments.dawn_flags`).
    curves
        Per tier, covered demand by number of new sites (:mod:`planner.analysis.curve`).
    capacity, site_capacity
        Expected daily attendance against capacity, existing markets and new sites
        (:mod:`planner.analysis.capacity`).
    equity, floors
        Priority groups' coverage per tier, and the study's floors met or not
        (:mod:`planner.analysis.equity`).
    """

    inputs: StudyInputs
    graphs: dict[str, TravelGraph | BusLayer]
    date: dt.date
    cells: gpd.GeoDataFrame
    markets: gpd.GeoDataFrame
    candidates: dict[str, gpd.GeoDataFrame]
    coverage: Coverage
    plan: Plan
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    moments: list[MomentCoverage] = field(default_factory=list)
    dawn: pd.DataFrame | None = None
    curves: dict[str, SiteCurve] = field(default_factory=dict)
    capacity: pd.DataFrame | None = None
    site_capacity: pd.DataFrame | None = None
    equity: pd.DataFrame | None = None
    floors: pd.DataFrame | None = None

    def _facts(self) -> list[tuple[str, object]]:
        return [
            ("study", self.inputs.study.name),
            ("modes", ",".join(self.graphs) or "straight-line"),
            ("cells", f"{len(self.cells):,}"),
            ("markets", len(self.markets)),
            ("candidates", sum(len(c) for c in self.candidates.values())),
            ("new sites", len(self.plan.sites)),
            ("notes", len(self.notes)),
            ("warnings", len(self.warnings)),
        ]

    def __repr__(self) -> str:
        return one_line("StudyRun", self._facts())

    def _repr_html_(self) -> str:
        return html_table("StudyRun", self._facts())

"""The results of one study run, stage by stage: the floor below publishing.

:func:`planner.pipeline.run_study` fills a :class:`StudyRun`; the publishers in
:mod:`planner.publish` take one and never import the pipeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from planner._repr import html_table, one_line

if TYPE_CHECKING:
    import geopandas as gpd

    from planner.analysis.coverage import Coverage
    from planner.analysis.plan import Plan
    from planner.inputs import StudyInputs
    from planner.network.graph import TravelGraph
    from planner.network.transit import BusLayer

__all__ = ["StudyRun"]


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

    def _facts(self) -> list[tuple[str, object]]:
        return [
            ("study", self.inputs.study.name),
            ("modes", ",".join(self.graphs) or "straight-line"),
            ("cells", f"{len(self.cells):,}"),
            ("markets", len(self.markets)),
            ("candidates", sum(len(c) for c in self.candidates.values())),
            ("new sites", len(self.plan.sites)),
            ("notes", len(self.notes)),
        ]

    def __repr__(self) -> str:
        return one_line("StudyRun", self._facts())

    def _repr_html_(self) -> str:
        return html_table("StudyRun", self._facts())

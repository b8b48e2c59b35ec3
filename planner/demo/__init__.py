"""The synthetic demo county (示范县), written in the formats real users bring.

:func:`write_demo_inputs` (in :mod:`planner.demo.county`) draws the region
(:mod:`planner.demo._region`), its roads (:mod:`planner.demo._roads`), the OpenStreetMap
file (:mod:`planner.demo._osm`) and the tables (:mod:`planner.demo._tables`).
"""

from planner.demo.county import DemoFiles, DemoSummary, write_demo_inputs

__all__ = ["DemoFiles", "DemoSummary", "write_demo_inputs"]

"""The synthetic demo county (示范县), written in the formats real users bring.

:func:`write_demo_inputs` (in :mod:`planner.demo.county`) draws the region
(:mod:`planner.demo._region`), its roads (:mod:`planner.demo._roads`), the OpenStreetMap
file (:mod:`planner.demo._osm`) and the tables (:mod:`planner.demo._tables`);
:func:`write_province_demo` (in :mod:`planner.demo.province`) writes many such counties side
by side as one synthetic province.
"""

from planner.demo.county import DemoFiles, DemoSummary, write_demo_inputs
from planner.demo.province import ProvinceDemoFiles, write_province_demo

__all__ = [
    "DemoFiles",
    "DemoSummary",
    "ProvinceDemoFiles",
    "write_demo_inputs",
    "write_province_demo",
]

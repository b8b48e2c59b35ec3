"""A study over many counties (a city, the province), run as one task per county on Dask.

The notice is provincial: every county needs at least one public market, and the province
wants one picture. :func:`run_province` splits the inputs read once by county
(:mod:`planner.province.split`), runs each county on a Dask cluster
(:mod:`planner.province.runner`, :mod:`planner.province.tasks`), keeps finished counties
in a cache keyed by their inputs (:mod:`planner.province.cache`), and
:func:`publish_province` writes the province's summary, proposal, public site and planner
map over the counties' own outputs (:mod:`planner.province.outputs`).
"""

from planner.province.runner import CountyOutcome, ProvinceRun, run_province
from planner.province.split import County, CountyPiece, county_buffer_m, list_counties

__all__ = [
    "County",
    "CountyOutcome",
    "CountyPiece",
    "ProvinceRun",
    "county_buffer_m",
    "list_counties",
    "run_province",
]

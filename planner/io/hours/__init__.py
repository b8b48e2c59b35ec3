"""Opening hours: the common subset of OSM ``opening_hours`` and common Chinese forms.

:func:`parse_hours` (:mod:`planner.io.hours.parse`, whose docstring gives the grammar)
reads one text into an :class:`OpeningHours` (:mod:`planner.io.hours.schedule`, the
weekly schedule and how it is written out); the tokens are cut in
:mod:`planner.io.hours._lexer`. Everything public is imported from here.

Examples
--------
>>> parse_hours("每天 5:00-12:00").to_osm()
'Mo-Su 05:00-12:00'
"""

from planner.io.hours.parse import parse_hours
from planner.io.hours.schedule import OpeningHours

__all__ = ["OpeningHours", "parse_hours"]

"""planner: plan public gig-labour markets (零工市场).

Find where flexible workers cannot reach a market in reasonable time, propose
comprehensive markets, sector markets and neighbourhood stations, and publish
the public directory and maps. See README.md.
"""

from __future__ import annotations

from planner.errors import PlannerError

__version__ = "0.1.0"

__all__ = ["PlannerError", "__version__"]

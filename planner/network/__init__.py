"""planner.network."""

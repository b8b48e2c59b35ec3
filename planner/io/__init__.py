"""planner.io."""

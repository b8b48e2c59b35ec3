"""planner.publish."""

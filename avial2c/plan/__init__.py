"""Planner: DAG, levels, placement, owner tracking, device copies, and its dumps."""

"""Deterministic orchestration only: the order workflow."""

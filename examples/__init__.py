"""Bundled example cases (data only)."""

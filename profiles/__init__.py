"""Bundled institution profiles (data only)."""

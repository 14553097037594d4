"""Jinja2 templates and fonts for the printed order sheet (data only)."""

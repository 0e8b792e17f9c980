"""Widgets: tables over Polars frames, the filter bar, charts."""

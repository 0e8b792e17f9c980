"""The app's tab views, one module each; their building blocks live in ``tui/widgets``."""

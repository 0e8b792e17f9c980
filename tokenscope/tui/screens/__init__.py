"""Screens: the main explorer, run detail, help and small pickers."""

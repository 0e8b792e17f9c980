"""tokenscope: how many tokens a reasoning model spends to answer, and what it costs."""

from __future__ import annotations

__version__ = "0.1.0"

"""Axis ranges and ticks for the plotext charts: counts tick at whole numbers and a rate
stays within 0–100 %."""

from __future__ import annotations

import math
from collections.abc import Sequence

STEPS = (1, 2, 5)


def whole_ticks(lo: float, hi: float, most: int) -> list[int]:
    """At most ``most`` whole numbers within [lo, hi], spaced by the smallest of 1, 2, 5,
    10, 20, 50, ... that keeps to ``most`` (or just the two ends when even the widest
    step leaves fewer than two).

    plotext's own ticks divide the range evenly and so land on fractions (798.0,
    3070.6, ...); a token count or a percentage reads better whole.
    """
    first, last = math.ceil(lo), math.floor(hi)
    if last <= first or most < 2:
        return [first] if first <= last else []
    scale = 1
    while True:
        for step in (s * scale for s in STEPS):
            start = math.ceil(first / step) * step
            count = (last - start) // step + 1
            if count <= most:
                ticks = list(range(start, last + 1, step))
                return ticks if len(ticks) >= 2 else [first, last]
        scale *= 10


def percent_range(values: Sequence[float]) -> tuple[float, float]:
    """The data's range in percent, widened to tens and clamped to [0, 100]."""
    if not values:
        return 0.0, 100.0
    lo = max(0.0, math.floor(min(values) / 10) * 10)
    hi = min(100.0, math.ceil(max(values) / 10) * 10)
    if hi - lo < 10:
        lo, hi = (90.0, 100.0) if hi >= 100 else (lo, lo + 10)
    return lo, hi


def whole_range(values: Sequence[float]) -> tuple[int, int]:
    """The data's range widened to whole numbers; a single value gets a tenth of itself
    on either side, so its point sits mid-axis rather than on the frame."""
    lo, hi = min(values), max(values)
    if hi - lo < 1:
        pad = max(abs(lo) / 10, 1.0)
        lo, hi = lo - pad, hi + pad
    return math.floor(lo), math.ceil(hi)

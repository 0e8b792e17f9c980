"""Exact horizontal bar charts as Rich text: one row per model, eighth-cell precision.

plotext rounds bar extents to rows and can put a bar beside the wrong label;
these charts are the ones where reading a model's value matters most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from rich.text import Text

from tokenscope.text import one_line
from tokenscope.tui.widgets.columns import unique_labels

EIGHTHS = " ▏▎▍▌▋▊▉█"
SOLID = "█"
SHADED = "▒"
LABEL_WIDTH = 22


class Segment(NamedTuple):
    """One stretch of a bar. The fill tells series apart where colours cannot (NO_COLOR,
    16-colour terminals): a solid fill ends in eighths of a cell, any other fill in whole
    cells, rounded."""

    value: float
    style: str
    fill: str = SOLID


@dataclass
class Bar:
    label: str
    segments: list[Segment]  # stacked left to right
    value_text: str


def _cells(value: float, scale: float, width: int) -> float:
    return max(value, 0.0) / scale * width if scale > 0 else 0.0


def _fill(start: float, end: float, segment: Segment) -> Text:
    """The cells from ``start`` (always whole: where the previous segment stopped) to
    ``end``."""
    if segment.fill != SOLID:
        return Text(segment.fill * max(round(end) - int(start), 0), style=segment.style)
    text = SOLID * max(int(end) - int(start), 0)
    frac = end - int(end)
    text += EIGHTHS[round(frac * 8)] if frac > 0.06 else ""
    return Text(text, style=segment.style)


def render_bars(
    title: str,
    bars: list[Bar],
    width: int,
    marks: list[tuple[float, str]] | None = None,
    muted: str = "dim",
) -> Text:
    """``marks`` are reference lines (value, style) drawn as │ where no bar covers them."""
    marks = marks or []
    # Wide terminals give the names room: a cut name can look like another model's.
    label_width = min(max(LABEL_WIDTH, width // 4), max((len(b.label) for b in bars), default=4))
    value_width = max((len(b.value_text) for b in bars), default=4)
    bar_width = max(width - label_width - value_width - 3, 10)
    top = max([sum(s.value for s in b.segments) for b in bars] + [m for m, _ in marks] + [0.0])
    scale = top * 1.02 or 1.0
    labels = unique_labels([b.label for b in bars], label_width)
    out = Text()
    out.append(one_line(title, width), style="bold")
    out.append("\n")
    for bar in bars:
        out.append(labels[bar.label].ljust(label_width))
        out.append(" ")
        row = Text()
        used = 0.0
        for segment in bar.segments:
            row.append(_fill(used, used + _cells(segment.value, scale, bar_width), segment))
            used = float(len(row.plain))
        line = list(row.plain.ljust(bar_width))
        styles: list[str | None] = [None] * bar_width
        for value, style in marks:
            pos = min(int(_cells(value, scale, bar_width)), bar_width - 1)
            if line[pos] == " ":
                line[pos] = "│"
                styles[pos] = style
        for i, ch in enumerate(line[len(row.plain) :], start=len(row.plain)):
            row.append(ch, style=styles[i] or "")
        out.append_text(row)
        out.append(" " + bar.value_text.rjust(value_width), style=muted)
        out.append("\n")
    out.rstrip()
    return out

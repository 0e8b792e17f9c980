"""Exact horizontal bar charts as Rich text: one row per model, eighth-cell precision.

plotext rounds bar extents to rows and can put a bar beside the wrong label;
these charts are the ones where reading a model's value matters most.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from tokenscope.text import one_line

EIGHTHS = " ▏▎▍▌▋▊▉█"
LABEL_WIDTH = 22


@dataclass
class Bar:
    label: str
    segments: list[tuple[float, str]]  # (value, style) stacked left to right
    value_text: str


def _cells(value: float, scale: float, width: int) -> float:
    return max(value, 0.0) / scale * width if scale > 0 else 0.0


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
    top = max([sum(v for v, _ in b.segments) for b in bars] + [m for m, _ in marks] + [0.0])
    scale = top * 1.02 or 1.0
    out = Text()
    out.append(one_line(title, width), style="bold")
    out.append("\n")
    for bar in bars:
        out.append(one_line(bar.label, label_width).ljust(label_width))
        out.append(" ")
        row = Text()
        used = 0.0
        for value, style in bar.segments:
            start, end = used, used + _cells(value, scale, bar_width)
            text = "█" * max(int(end) - int(start), 0)
            frac = end - int(end)
            text += EIGHTHS[round(frac * 8)] if frac > 0.06 else ""
            row.append(text, style=style)
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

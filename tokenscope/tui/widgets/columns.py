"""Column specs and cell formatting shared by every table.

A cell is always built as ``rich.text.Text`` from plain strings, so a model
name or answer can never be read as markup; control characters are escaped by
``tokenscope.text``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from tokenscope.text import one_line


@dataclass(frozen=True)
class Col:
    """One table column: which frame column, how it is labelled, how wide, how important.

    ``priority`` decides which columns survive a narrow terminal (lower first).
    """

    key: str
    label: str
    short: str
    width: int
    priority: int
    kind: str = "text"  # text, int, float, ratio, pct, usd, bool, tokens


@dataclass(frozen=True)
class Palette:
    """Theme colours the formatter needs (resolved from the current Textual theme)."""

    good: str = "green"
    warn: str = "yellow"
    bad: str = "red"
    muted: str = "grey50"


MISSING = "—"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def ratio_style(value: float, palette: Palette) -> str:
    # Around 1.0 is the reference; bold carries the extremes under NO_COLOR.
    if value < 0.8:
        return palette.good
    if value <= 1.25:
        return ""
    if value <= 2.5:
        return palette.warn
    return f"bold {palette.bad}"


def format_cell(value: object, kind: str, palette: Palette, width: int = 40) -> Text:
    """One cell as plain Text; numbers are padded by hand so alignment never depends on the
    widget."""
    if _missing(value):
        return Text(
            MISSING.rjust(width, "\u00a0") if kind != "text" else MISSING,
            style=palette.muted,
            no_wrap=True,
            justify="right" if kind != "text" else "left",
        )
    if kind == "text":
        return Text(one_line(str(value), width))
    if kind == "bool":
        return Text("open" if value else "closed")
    number = float(value)  # type: ignore[arg-type]
    style = ""
    if kind == "ratio":
        text, style = f"{number:.2f}×", ratio_style(number, palette)
    elif kind == "pct":
        text = f"{number * 100:.0f}%"
    elif kind == "usd":
        text = f"${number:.4f}" if number < 1 else f"${number:,.2f}"
    elif kind in ("int", "tokens"):
        text = f"{number:,.0f}"
    else:
        text = f"{number:.2f}"
    # Padded with no-break spaces: the tables strip ordinary leading spaces, and
    # their cell justification is not honoured, so this is what right-aligns numbers.
    # An unstyled Text loses its leading padding in both tables; a no-op style keeps it.
    return Text(text.rjust(width, "\u00a0"), style=style or "not italic", no_wrap=True)


def header(col: Col, short: bool, sort_key: str | None, descending: bool) -> Text:
    label = col.short if short else col.label
    if col.key == sort_key:
        return Text.assemble(label, ("▼" if descending else "▲", "bold"))
    return Text(label)


def fit_columns(cols: Sequence[Col], available: int, widths: dict[str, int]) -> list[Col]:
    """The most important columns that fit in ``available`` cells, in their original order."""
    chosen: set[str] = set()
    used = 0
    for col in sorted(cols, key=lambda c: c.priority):
        need = widths.get(col.key, col.width) + 2
        if used + need <= available or not chosen:
            chosen.add(col.key)
            used += need
    return [c for c in cols if c.key in chosen]

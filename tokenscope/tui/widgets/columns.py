"""Column specs and cell formatting shared by every table.

A cell is always built as ``rich.text.Text`` from plain strings, so a model
name or answer can never be read as markup; control characters are escaped by
``tokenscope.text``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from tokenscope.text import literal, one_line


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


# Where a model name may be cut so that what is left reads as whole words.
_BOUNDARY = re.compile(r"[-_ /:]")
MIN_HEAD = 2


def _tails(name: str, room: int) -> list[str]:
    """Ends of ``name`` worth keeping, best first: whole last words (shortest first, as the
    last word is what usually tells a family's models apart), then the plain last chars."""
    words = [name[m.end() :] for m in reversed(list(_BOUNDARY.finditer(name)))]
    whole = [w for w in words if 0 < len(w) <= room]
    return [*whole, *(name[-n:] for n in range(room, 0, -1) if name[-n:] not in whole)]


def _cuts(name: str, width: int) -> list[str]:
    """Every way to show ``name`` in ``width`` cells, most readable first: its start, "…",
    and an end; then the start alone."""
    room = width - 1 - MIN_HEAD
    out = []
    for tail in _tails(name, room):
        head = name[: width - 1 - len(tail)].rstrip("-_ /:")
        out.append(f"{head}…{tail.lstrip('-_ /:')}")
    out.append(name[: width - 1] + "…")
    return out


def unique_labels(names: Sequence[str], width: int) -> dict[str, str]:
    """A label of at most ``width`` cells for each name, no two alike.

    A name that fits is kept. A longer one keeps its start and its last word
    (``gpt…20b``, ``gpt…120b``); where two would still read the same, the later one
    takes its next best cut, and numbers are the last resort.
    """
    flat = {name: literal(name, keep_newlines=False) for name in names}
    labels: dict[str, str] = {}
    used = {text for text in flat.values() if len(text) <= width}
    for name, text in flat.items():
        if len(text) <= width:
            labels[name] = text
            continue
        options = _cuts(text, width) if width > MIN_HEAD + 1 else []
        label = next((o for o in options if o not in used), None)
        if label is None:
            label = _numbered(text, width, used)
        used.add(label)
        labels[name] = label
    return labels


def _numbered(text: str, width: int, used: set[str]) -> str:
    for n in range(1, len(used) + 2):
        suffix = f"…{n}"
        label = text[: max(width - len(suffix), 0)] + suffix
        if label not in used:
            return label
    raise AssertionError("unreachable: one of len(used) + 1 numbers is free")

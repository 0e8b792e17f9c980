"""A chart's note and legend, laid out in whole entries over a few lines.

A legend entry cut in half (``━ claude-opus-4  ━``) names nothing; a note that
runs out of lines ends in "…" so the cut shows.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text

from tokenscope.text import one_line


class Key(NamedTuple):
    """One series: the glyph it is drawn with, its name, its theme colour, and what the
    legend shows for it when not the glyph alone (a line's run of glyphs)."""

    glyph: str
    name: str
    colour: str
    sample: str = ""


def flow(words: list[Text], width: int, lines: int) -> Text:
    """``words`` joined by spaces in at most ``lines`` lines of ``width`` cells; a word
    never breaks across lines (one longer than a line is cut with "…"). A word may start
    with spaces to stand further from the one before; they are dropped at a line start."""
    width = max(width, 2)
    rows: list[Text] = []
    row = Text()
    for word in words:
        if len(row) and len(row) + 1 + len(word) > width:
            rows.append(row)
            row = Text()
        piece = word.copy()
        if not len(row):
            piece = _lstrip(piece)
        else:
            row.append(" ")
        if len(piece) > width:
            piece = _cut(piece, width)
        row.append_text(piece)
    if len(row):
        rows.append(row)
    if len(rows) > lines:
        rows = rows[:lines]
        last = rows[-1]
        rows[-1] = _cut(last, len(last)) if len(last) + 2 > width else last + Text(" …")
    out = Text()
    for i, line in enumerate(rows):
        if i:
            out.append("\n")
        out.append_text(line)
    return out


def _lstrip(text: Text) -> Text:
    spaces = len(text.plain) - len(text.plain.lstrip(" "))
    return text[spaces:] if spaces else text


def _cut(text: Text, width: int) -> Text:
    """``text`` in ``width`` cells, its last one an ellipsis when anything was dropped."""
    if len(text) <= width:
        return text
    cut = text[: max(width - 1, 0)]
    cut.append("…")
    return cut


def key_text(key: Key, style: str) -> Text:
    """A legend entry, glyph and name in the series' colour."""
    return Text(f"{key.sample or key.glyph} {one_line(key.name, 40)}", style=style)

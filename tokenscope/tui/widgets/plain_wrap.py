"""Rich's word wrap of one line of plain ASCII, without building ``Text`` objects.

The reasoning log wraps every frame's new text (thousands of characters a second per
pane); ``Text.wrap`` walks it a word at a time and builds a ``Text`` per line. For
printable ASCII, where every character is one cell, the same lines can be found a
line at a time with string searches. Other text returns None: the caller uses Rich.
"""

from __future__ import annotations

import re

_NONSPACE = re.compile(r"\S")


def wrap_ascii(text: str, width: int) -> list[str] | None:
    """The lines ``Text(text).wrap(console, width)`` gives (overflow 'fold'), or None
    when ``text`` is not printable ASCII (a newline, a tab, a wide character...)."""
    if not (text.isascii() and text.isprintable()):
        return None
    width = max(1, width)
    n = len(text)
    first = _NONSPACE.search(text)
    if first is None:
        starts = [0]
    else:
        starts = _breaks(text, width, n, first.start())
    ends = [*starts[1:], n]
    lines = []
    for a, b in zip(starts, ends, strict=True):
        line = text[a:b]
        if len(line) > width:
            # Rich crops trailing spaces that overflow, then anything past the width.
            body = line.rstrip(" ")
            line = line[: max(len(body), width)][:width]
        lines.append(line)
    return lines


def _breaks(text: str, width: int, n: int, first: int) -> list[int]:
    """Where lines start (0 first), as Rich's ``divide_line`` places the breaks: a word
    (spaces after it included) goes on the line if its visible end fits; a word longer
    than a line is folded at the width."""
    starts = [0]
    line = 0  # where the current line starts
    pos = 0  # text before this is placed
    while True:
        limit = line + width
        if limit >= n:
            return starts
        # The first word, from pos, whose visible end passes the limit: the word around
        # the limit, or else the next one after it.
        if text[limit] != " ":
            start = text.rfind(" ", pos, limit) + 1 or pos
            start = max(start, pos)
        else:
            found = _NONSPACE.search(text, limit)
            if found is None:
                return starts  # only spaces left: they stay on this line
            start = found.start()
        end = text.find(" ", start)
        end = n if end < 0 else end  # the word's visible end
        after = _NONSPACE.search(text, end)
        word_end = n if after is None else after.start()  # with the spaces after it
        if start == first:
            start = 0  # the first word carries the spaces before it
        if end - start > width:  # longer than a line: folded at the width
            if start:
                starts.append(start)
            last = start + (word_end - start - 1) // width * width
            starts.extend(range(start + width, last + 1, width))
            line = last
        else:
            starts.append(start)
            line = start
        pos = word_end

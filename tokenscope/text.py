"""Model output is data: make any text safe to put on a terminal as-is."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls (which include the
# 8-bit CSI and OSC introducers some terminals still honour).
CONTROL_CHARS = tuple(chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)))
# Lone surrogates too: a file name that is not UTF-8 decodes to them, and an
# encoder meeting one fails (or writes the raw byte back out).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        code -= 0xDC00  # surrogateescape's stand-in for the undecodable byte 0xNN
    elif code >= 0xD800:
        return f"\\u{code:04x}"
    return f"\\x{code:02x}"


def literal(text: str, *, keep_newlines: bool = True) -> str:
    """Replace control characters with visible ``\\xNN`` escapes.

    ESC, BEL and friends then appear as characters instead of moving the
    cursor, setting a title (OSC) or colouring the screen.
    """
    out = _CONTROL.sub(_visible, text)
    if not keep_newlines:
        out = out.replace("\n", "⏎ ").replace("\t", " ")
    return out


def one_line(text: str, width: int) -> str:
    """A single display line of at most ``width`` characters, with an ellipsis."""
    flat = literal(text, keep_newlines=False)
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + "…"

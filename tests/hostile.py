"""Strings that try to drive a terminal or Textual's markup, for every output path.

Import ``HOSTILE`` (name -> text) and check with ``assert_inert`` that whatever
reached the screen, stderr or a file carries none of their control bytes and
shows their markup as typed. Each must be usable as (part of) a file name too,
except where ``FILE_NAME_SAFE`` leaves it out (NUL, and lines over 255 bytes).
"""

from __future__ import annotations

HOSTILE: dict[str, str] = {
    "osc0_title": "\x1b]0;PWNED\x07",
    "osc52_clipboard": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "csi_colour": "\x1b[31mred\x1b[0m",
    "raw_bel_esc": "bell\x07 esc\x1b done",
    "c1_csi": "\x9b31mc1",
    "rich_markup": "[bold red]x[/]",
    "textual_click": "[@click=app.quit]x[/]",
    "rich_link": "[link=https://example.invalid]y[/link]",
    "nul": "nul\x00byte",
    "long_line": "L" * 5000,
}

# Names a file can have on Linux (no NUL, at most 255 bytes).
FILE_NAME_SAFE = tuple(k for k in HOSTILE if k not in ("nul", "long_line"))

# Bytes that must never reach a terminal or an export raw.
RAW_CONTROL = ("\x1b", "\x07", "\x9b", "\x00")

# Markup that must show as typed, never be interpreted.
MARKUP = ("[bold red]x[/]", "[@click=app.quit]x[/]", "[link=https://example.invalid]y[/link]")


def assert_inert(text: str) -> None:
    """No raw control byte in ``text``."""
    for byte in RAW_CONTROL:
        assert byte not in text, f"raw {byte!r} reached the output: {text[:300]!r}"

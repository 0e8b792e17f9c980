"""The reasoning log's fast wrap gives exactly the lines Rich's wrap gives."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from tokenscope.tui.widgets.plain_wrap import wrap_ascii

CONSOLE = Console(width=300)


def rich_lines(text: str, width: int) -> list[str]:
    return [line.plain for line in Text(text).wrap(CONSOLE, width)]


@given(
    text=st.text(alphabet=st.sampled_from([" ", "a", "b", "x", ".", "-"]), max_size=120)
    | st.lists(
        st.sampled_from([" ", "  ", "word", "a", "longerwordthanaline", "."]), max_size=40
    ).map("".join),
    width=st.integers(min_value=1, max_value=30),
)
@example(text="   leading spaces then words", width=4)
@example(text="abcdefghijklmnop   q", width=5)
@example(text="a" * 12 + "    ", width=5)
@example(text="   ", width=2)
@settings(max_examples=1000, deadline=None)
def test_the_fast_wrap_matches_rich(text, width):
    assert wrap_ascii(text, width) == rich_lines(text, width)


def test_text_that_is_not_plain_ascii_is_left_to_rich():
    assert wrap_ascii("wide 字 character", 10) is None
    assert wrap_ascii("a\ttab", 10) is None

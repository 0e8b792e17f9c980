"""The line of view names under the header: which view shows, and a click to switch.

One widget drawing one line of text. Textual's TabbedContent builds a widget per
tab and animates an underline; at launch that cost about 30 ms of 300.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

MIN_NAME = 3  # a name cut shorter than this, plus "…", no longer says which it is


def fit_labels(names: list[str], width: int, extra: int, keep: int | None = None) -> list[str]:
    """``names`` cut with "…", longest first, until they and ``extra`` cells around each
    fit in ``width``; the name at index ``keep`` (the active one) stays whole. Past that
    point the names stay at their shortest and the line is cropped by whoever draws it."""
    out = list(names)
    while sum(len(n) + extra for n in out) > width:
        cuttable = [i for i, n in enumerate(out) if i != keep and len(n) > MIN_NAME + 1]
        if not cuttable:
            break
        i = max(cuttable, key=lambda j: len(out[j]))
        whole = out[i].removesuffix("…")
        out[i] = whole[: len(out[i]) - 2] + "…"
    return out


class ViewBar(Widget):
    """``1 Leaderboard  2 Prompts …`` with the active view marked."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"view-bar--active", "view-bar--inactive"}

    active: reactive[str] = reactive("")

    class Chosen(Message):
        """The user clicked a view's name."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, views: list[tuple[str, str]], active: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.views = views
        self.set_reactive(ViewBar.active, active)

    def _labels(self) -> list[tuple[str, str]]:
        keys = [key for key, _ in self.views]
        active = keys.index(self.active) if self.active in keys else None
        # Each label is " N name " and a space: 5 cells beside its name (up to 9 views).
        width = self.size.width or 1000  # not laid out yet: nothing to cut
        names = fit_labels([name for _, name in self.views], width, 5, active)
        pairs = zip(keys, names, strict=True)
        return [(key, f" {n} {name} ") for n, (key, name) in enumerate(pairs, 1)]

    def render(self) -> Text:
        active = self.get_component_rich_style("view-bar--active", partial=True)
        inactive = self.get_component_rich_style("view-bar--inactive", partial=True)
        text = Text(no_wrap=True, overflow="ellipsis")
        for key, label in self._labels():
            text.append(label, style=active if key == self.active else inactive)
            text.append(" ")
        return text

    def key_at(self, x: int) -> str | None:
        """The view whose name covers column ``x``."""
        start = 0
        for key, label in self._labels():
            if start <= x < start + len(label):
                return key
            start += len(label) + 1
        return None

    def on_click(self, event: events.Click) -> None:
        key = self.key_at(event.x)
        if key is not None:
            self.post_message(self.Chosen(key))

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
        return [(key, f" {number} {label} ") for number, (key, label) in enumerate(self.views, 1)]

    def render(self) -> Text:
        active = self.get_component_rich_style("view-bar--active", partial=True)
        inactive = self.get_component_rich_style("view-bar--inactive", partial=True)
        text = Text(no_wrap=True, overflow="crop")
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

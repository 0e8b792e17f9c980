"""The line under a table whose headers had to be cut: ``header = full name`` for each cut
column on screen, following the table as it scrolls sideways."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget
from textual.widgets import DataTable

from tokenscope.text import literal
from tokenscope.tui.widgets.legend import flow

SORT_MARKS = "▲▼"


def on_screen(table: DataTable[Any]) -> list[tuple[str, str]]:
    """(header, column key) of each column with its middle on screen, left to right."""
    columns = table.ordered_columns
    widths = [c.get_render_width(table) for c in columns]
    fixed = sum(widths[: table.fixed_columns])
    left = int(table.scroll_x) + fixed
    right = int(table.scroll_x) + table.scrollable_content_region.width
    shown = []
    x = 0
    for i, (column, width) in enumerate(zip(columns, widths, strict=True)):
        if i < table.fixed_columns or left <= x + width // 2 < right:
            shown.append((column.label.plain.rstrip(SORT_MARKS), str(column.key.value)))
        x += width
    return shown


class ColumnLegend(Widget):
    """Spells out the cut headers of the table ``selector`` finds beside this widget."""

    def __init__(self, selector: str, lines: int = 2, **kw: Any) -> None:
        super().__init__(**kw)
        self.selector = selector
        self.lines = lines

    @property
    def table(self) -> DataTable[Any]:
        assert self.parent is not None  # mounted beside its table
        return self.parent.query_one(self.selector, DataTable)

    def on_mount(self) -> None:
        self.watch(self.table, "scroll_x", self._scrolled, init=False)

    def _scrolled(self, _: float) -> None:
        self.refresh(layout=True)

    def render(self) -> Text:
        words = [
            Text.assemble(" ", (header, "bold"), " = ", literal(key, keep_newlines=False))
            for header, key in on_screen(self.table)
            if "…" in header and header != key
        ]
        return flow(words, self.size.width or 80, self.lines)

"""Tables over Polars frames: sorting and filtering happen in Polars, the widget only paints.

``FrameTable`` (Textual's DataTable) serves the small tables: a few dozen rows,
styled cells, no pyarrow at startup. ``RunsTable`` serves every run through
textual-fastdatatable's Arrow backend, which materialises only the visible rows,
so a million runs scroll as fast as a hundred.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from tokenscope.tui.widgets.columns import Col, Palette, fit_columns, format_cell, header
from tokenscope.tui.widgets.rows_frame import RowsFrame

if TYPE_CHECKING:
    import polars as pl

NARROW = 100  # below this many cells, headers use their short labels

SORT_BINDINGS: list[BindingType] = [
    Binding(
        "s", "sort_here", "Sort", id="table.sort", tooltip="Sort by the column under the cursor"
    ),
    Binding(
        "r",
        "reverse_sort",
        "Reverse",
        id="table.reverse",
        show=False,
        tooltip="Toggle the sort direction",
    ),
]


def palette_for(app: Any) -> Palette:
    theme = app.current_theme
    return Palette(
        good=theme.success or "green",
        warn=theme.warning or "yellow",
        bad=theme.error or "red",
        muted="dim",
    )


def _longest(frame: pl.DataFrame | RowsFrame, key: str) -> int:
    if isinstance(frame, RowsFrame):
        return frame.text_width(key)
    import polars as pl

    return frame.select(pl.col(key).cast(pl.String).str.len_chars().max()).item() or 0


def measured_widths(frame: pl.DataFrame | RowsFrame, cols: list[Col]) -> dict[str, int]:
    """Text columns as wide as their longest value (capped by the spec)."""
    widths = {}
    for col in cols:
        width = col.width
        if col.kind == "text" and col.key in frame.columns and frame.height:
            width = max(min(_longest(frame, col.key) or 1, col.width), len(col.short), 4)
        widths[col.key] = width
    return widths


def with_labels(widths: dict[str, int], cols: list[Col], short: bool) -> dict[str, int]:
    """Widen each column to its header (+1 for the sort mark), so labels are never cut."""
    return {c.key: max(widths[c.key], len(c.short if short else c.label) + 1) for c in cols}


class _Empty:
    """Stands in for an empty frame until the first data arrives (no Polars at startup)."""

    height = 0
    width = 0
    columns: ClassVar[list[str]] = []


def _empty() -> Any:
    return _Empty()


def sort_frame(frame: Any, column: str | None, descending: bool) -> Any:
    """The frame (Polars, or the start-up RowsFrame) sorted by one column, missing
    values last, ties in their order; unchanged when there is no such column."""
    if not column or column not in frame.columns:
        return frame
    if isinstance(frame, RowsFrame):
        return frame.sorted(column, descending)
    return frame.sort(column, descending=descending, nulls_last=True, maintain_order=True)


class SortedTable:
    """What both tables share: the frame on screen, sorted by Polars, and its columns.

    The same sort key again reverses. Subclasses paint (``_paint``) and say where the
    cursor is (``_cursor_at``).
    """

    def _init_table(self, cols: list[Col], sort_key: str | None, descending: bool) -> None:
        self.cols = cols
        self.sort_key = sort_key
        self.descending = descending
        self.frame: pl.DataFrame = _empty()
        self.shown: list[Col] = []
        self._layout_width = 0

    def show(self, frame: pl.DataFrame, cols: list[Col] | None = None) -> None:
        if cols is not None:
            self.cols = cols
        self.frame = sort_frame(frame, self.sort_key, self.descending)
        self._paint()

    def sort_by(self, key: str) -> None:
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, False
        self.show(self.frame)

    def action_sort_here(self) -> None:
        key = self.current_key()
        if key:
            self.sort_by(key)

    def action_reverse_sort(self) -> None:
        if self.sort_key:
            self.sort_by(self.sort_key)

    def current_row(self) -> dict[str, Any] | None:
        cursor = self._cursor_at()
        if cursor is None or not self.frame.height:
            return None
        return self.frame.row(min(cursor.row, self.frame.height - 1), named=True)

    def current_key(self) -> str | None:
        cursor = self._cursor_at()
        if cursor is None or not self.shown:
            return None
        return self.shown[min(cursor.column, len(self.shown) - 1)].key

    def _cursor_at(self) -> Coordinate | None:
        raise NotImplementedError

    def _paint(self) -> None:
        raise NotImplementedError


def _drawn(text: Text) -> tuple[Any, ...]:
    """What decides how a cell looks (Text's own ``==`` compares only text and spans)."""
    return (text.plain, text.style, text.justify, text.no_wrap, text.overflow, text.spans)


class FrameTable(SortedTable, DataTable):
    """A small frame on Textual's DataTable, re-laid out to the width it has."""

    BINDINGS: ClassVar[list[BindingType]] = SORT_BINDINGS

    def __init__(
        self,
        cols: list[Col],
        sort_key: str | None,
        descending: bool = False,
        fit: bool = True,
        **kw: Any,
    ) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=True, **kw)
        self.fit = fit
        self._init_table(cols, sort_key, descending)
        self._cells: Any = None  # what the table shows now, as compared by ``_drawn``

    def _available(self) -> int:
        return self.size.width or self.app.size.width

    def _cursor_at(self) -> Coordinate:
        return self.cursor_coordinate

    def _paint(self) -> None:
        width = self._available()
        self._layout_width = width
        short = width < NARROW
        widths = with_labels(measured_widths(self.frame, self.cols), self.cols, short)
        self.shown = fit_columns(self.cols, width - 2, widths) if self.fit else list(self.cols)
        palette = palette_for(self.app)
        keys = [c.key for c in self.shown]
        kinds = [(c.kind, widths[c.key]) for c in self.shown]
        headers = [header(col, short, self.sort_key, self.descending) for col in self.shown]
        data = self.frame.select(keys).rows() if self.frame.height else []
        rows = [
            [format_cell(v, kind, palette, w) for v, (kind, w) in zip(r, kinds, strict=False)]
            for r in data
        ]
        cells = (keys, kinds, [_drawn(h) for h in headers], [[_drawn(c) for c in r] for r in rows])
        if cells == self._cells:
            # The same cells (new data that shows the same, as at startup): rebuilding the
            # table would only scroll it home and render every row again.
            return
        self._cells = cells
        row, column = self.cursor_coordinate
        self.clear(columns=True)
        for col, label in zip(self.shown, headers, strict=True):
            self.add_column(label, key=col.key, width=widths[col.key])
        self.add_rows(rows)
        if data:
            self.move_cursor(row=min(row, len(data) - 1), column=min(column, len(keys) - 1))

    def on_resize(self, event: events.Resize) -> None:
        if self.frame.width and self._available() != self._layout_width:
            self._paint()
        else:
            # The same columns: every row drawn so far is still right (a row does not
            # depend on the table's size), so DataTable's own handler, which throws them
            # all away, is skipped. The first Resize comes after the first frame was drawn.
            event.prevent_default()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))


def _styled_backend(arrow: Any, cols: list[Col], widths: list[int], palette: Palette) -> Any:
    """An ArrowBackend whose cells come out formatted and whose widths are given, not measured.

    Measuring a million strings would cost seconds; the spec already knows the widths.
    """
    from textual_fastdatatable import ArrowBackend

    kinds = [(c.kind, w) for c, w in zip(cols, widths, strict=False)]

    class StyledArrowBackend(ArrowBackend):
        @property
        def column_content_widths(self) -> list[int]:
            return list(widths)

        def get_row_at(self, index: int) -> list[Text]:
            values = super().get_row_at(index)
            return [format_cell(v, k, palette, w) for v, (k, w) in zip(values, kinds, strict=False)]

        def get_cell_at(self, row_index: int, column_index: int) -> Text:
            kind, width = kinds[column_index]
            return format_cell(super().get_cell_at(row_index, column_index), kind, palette, width)

    return StyledArrowBackend(arrow)


class RunsTable(SortedTable, Container):
    """Every run, however many: the frame stays in Polars, the widget reads visible rows."""

    BINDINGS: ClassVar[list[BindingType]] = SORT_BINDINGS

    class RowChosen(Message):
        def __init__(self, row: dict[str, Any]) -> None:
            super().__init__()
            self.row = row

    def __init__(
        self, cols: list[Col], sort_key: str | None, descending: bool = False, **kw: Any
    ) -> None:
        super().__init__(**kw)
        self._init_table(cols, sort_key, descending)

    @property
    def table(self) -> Any | None:
        children = list(self.children)
        return children[0] if children else None

    def _cursor_at(self) -> Coordinate | None:
        table = self.table
        return None if table is None else table.cursor_coordinate

    def _paint(self) -> None:
        import polars as pl
        from textual_fastdatatable import DataTable as FastTable

        width = self.size.width or self.app.size.width
        self._layout_width = width
        short = width < NARROW
        widths = with_labels(measured_widths(self.frame.head(10_000), self.cols), self.cols, short)
        self.shown = fit_columns(self.cols, width - 2, widths)
        old = self.table
        cursor = old.cursor_coordinate if old is not None else None
        had_focus = old is not None and old.has_focus
        # Arrow's string views are Polars' own: no copy of a million strings.
        arrow = self.frame.select([c.key for c in self.shown]).to_arrow(
            compat_level=pl.CompatLevel.newest()
        )
        shown_widths = [widths[c.key] for c in self.shown]
        column_widths: list[int | None] = list(shown_widths)  # None would mean "measure"
        table = FastTable(
            backend=_styled_backend(arrow, self.shown, shown_widths, palette_for(self.app)),
            column_labels=[header(c, short, self.sort_key, self.descending) for c in self.shown],
            column_widths=column_widths,
            render_markup=False,
            zebra_stripes=True,
            null_rep="—",
        )
        if old is not None:
            old.remove()
        self.mount(table)
        if cursor is not None and self.frame.height:
            row = min(cursor.row, self.frame.height - 1)
            col = min(cursor.column, len(self.shown) - 1)
            table.call_after_refresh(table.move_cursor, row=row, column=col)
        if had_focus:
            table.focus()

    def on_resize(self) -> None:
        if self.frame.width and (self.size.width != self._layout_width):
            self._paint()

    def focus(self, scroll_visible: bool = True) -> RunsTable:
        if self.table is not None:
            self.table.focus(scroll_visible)
        return self

    def on_data_table_header_selected(self, event: Any) -> None:
        event.stop()
        self.sort_by(self.shown[event.column_index].key)

    def on_data_table_cell_selected(self, event: Any) -> None:
        event.stop()
        row = self.current_row()
        if row is not None:
            self.post_message(self.RowChosen(row))

"""Prompts: a prompt × model matrix of relative completion tokens (1.0 = the reference)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable

from tokenscope.tui.filters import Filters
from tokenscope.tui.views.base import TableView
from tokenscope.tui.widgets.column_legend import ColumnLegend
from tokenscope.tui.widgets.columns import Col, unique_labels
from tokenscope.tui.widgets.tables import FrameTable

if TYPE_CHECKING:
    import polars as pl

    from tokenscope.data.loader import Dataset


FIXED = [
    Col("prompt_id", "prompt", "prompt", 22, 0),
    Col("domain", "domain", "dom", 9, 1),
    Col("title", "title", "title", 20, 90),
]
MODEL_WIDTH = 9


class PromptsView(TableView[FrameTable]):
    title = "Prompts"
    table_type = FrameTable

    class CellChosen(Message):
        def __init__(self, model: tuple[str, str] | None, prompt_id: str) -> None:
            super().__init__()
            self.model = model
            self.prompt_id = prompt_id

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        # Header label -> (model, source) of the matrix on screen.
        self.models: dict[str, tuple[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield FrameTable(FIXED, None, fit=False, id="prompts-table")
        yield ColumnLegend("#prompts-table", id="prompts-legend")

    def compute(self, ds: Dataset, filters: Filters) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
        from tokenscope.tui.explorer import leaderboard_frame, matrix_frame

        board = leaderboard_frame(ds, filters)
        order = list(zip(board["model"].to_list(), board["source"].to_list(), strict=False))
        return matrix_frame(ds, filters, order), order

    def apply(self, result: tuple[pl.DataFrame, list[tuple[str, str]]]) -> None:
        frame, order = result
        from tokenscope.tui.explorer import model_label

        self.models = {model_label(m, s): (m, s) for m, s in order}
        # Every model column is kept (the table scrolls sideways); the prompt stays fixed.
        names = frame.columns[3:]
        long, short = unique_labels(names, 14), unique_labels(names, MODEL_WIDTH - 1)
        model_cols = [
            Col(name, long[name], short[name], MODEL_WIDTH - 1, 2, "ratio") for name in names
        ]
        self.table.fixed_columns = 1
        self.table.show(frame, FIXED[:2] + model_cols + FIXED[2:])
        self.query_one(ColumnLegend).refresh(layout=True)

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        row = self.table.current_row()
        key = self.table.current_key()
        if row:
            model = self.models.get(key or "")
            self.post_message(self.CellChosen(model, row["prompt_id"]))

"""Leaderboard: one row per model, sortable, coloured around the reference (1.0×)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable

from tokenscope.tui.filters import Filters
from tokenscope.tui.views.base import TableView
from tokenscope.tui.widgets.columns import Col
from tokenscope.tui.widgets.rows_frame import RowsFrame
from tokenscope.tui.widgets.tables import FrameTable

if TYPE_CHECKING:
    import polars as pl

    from tokenscope.data.loader import Dataset


COLUMNS = [
    Col("model", "model", "model", 30, 0),
    Col("relative_completion_tokens", "rel. tokens", "rel", 6, 1, "ratio"),
    Col("mean_completion_tokens", "completion", "tokens", 7, 2, "tokens"),
    Col("success_rate", "success", "ok", 4, 2, "pct"),
    Col("open_weights", "weights", "wts", 6, 3, "bool"),
    # Completion tokens × completion price: the study's cost per query (no prompt cost).
    Col("cost_per_query_usd", "$/query", "$/q", 7, 3, "usd"),
    Col("mean_reasoning_tokens", "reasoning", "reas", 9, 4, "tokens"),
    Col("chars_per_token", "chars/tok", "c/t", 9, 5, "float"),
    Col("lab", "lab", "lab", 12, 5),
    Col("overthinking_auc", "OAA", "OAA", 4, 6, "float"),
    Col("source", "source", "src", 7, 6),
    Col("n_prompts", "prompts", "#p", 7, 7, "int"),
    Col("n_runs", "runs", "runs", 5, 8, "int"),
]


class LeaderboardView(TableView[FrameTable]):
    title = "Leaderboard"
    table_type = FrameTable

    class ModelChosen(Message):
        def __init__(self, model: str, source: str) -> None:
            super().__init__()
            self.model = model
            self.source = source

    def compose(self) -> ComposeResult:
        yield FrameTable(COLUMNS, "relative_completion_tokens", id="leaderboard-table")

    def on_mount(self) -> None:
        # Paint the default leaderboard at once from disk (the last one computed, or the
        # one shipped for the bundled study) if it still matches the data; the live
        # computation replaces it when Polars has loaded.
        from tokenscope.data import board_cache

        rows = board_cache.load()
        if rows and not self.loaded:
            self.table.show(RowsFrame(rows))  # type: ignore[arg-type]

    def compute(self, ds: Dataset, filters: Filters) -> pl.DataFrame:
        from tokenscope.data import board_cache
        from tokenscope.tui.explorer import leaderboard_frame

        frame = leaderboard_frame(ds, filters)
        if filters == Filters():
            board_cache.save(frame.to_dicts(), ds.edition)
        return frame

    def apply(self, result: pl.DataFrame) -> None:
        self.table.show(result)

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        row: dict[str, Any] | None = self.table.current_row()
        if row:
            self.post_message(self.ModelChosen(row["model"], row["source"]))

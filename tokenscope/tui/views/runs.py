"""Runs: every run, from the study and the user's own, one row each."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Static

from tokenscope.tui.filters import Filters
from tokenscope.tui.views.base import TableView
from tokenscope.tui.widgets.columns import Col
from tokenscope.tui.widgets.tables import RunsTable

if TYPE_CHECKING:
    import polars as pl

    from tokenscope.data.loader import Dataset


COLUMNS = [
    Col("model", "model", "model", 26, 0),
    Col("prompt_id", "prompt", "prompt", 21, 1),
    Col("tokens_completion", "completion", "tokens", 7, 1, "tokens"),
    Col("score", "score", "ok", 4, 2, "pct"),
    Col("tokens_reasoning", "reasoning", "reas", 7, 3, "tokens"),
    Col("sample_index", "#", "#", 2, 4, "int"),
    # A run's total (completion + prompt), and the completion part the leaderboard counts.
    Col("cost_usd", "run $", "run $", 7, 4, "usd"),
    Col("cost_completion_usd", "completion $", "compl $", 8, 7, "usd"),
    Col("tokens_answer", "answer", "ans", 6, 5, "tokens"),
    Col("reasoning_method", "method", "method", 12, 6),
    Col("domain", "domain", "dom", 9, 6),
    Col("source", "source", "src", 7, 7),
    Col("chars_completion", "chars", "chars", 7, 8, "int"),
    Col("status", "status", "status", 9, 9),
    Col("lab", "lab", "lab", 12, 9),
]

WITH_STATUS = [replace(c, priority=2) if c.key == "status" else c for c in COLUMNS]


class RunsView(TableView[RunsTable]):
    title = "Runs"
    table_type = RunsTable

    def compose(self) -> ComposeResult:
        yield RunsTable(COLUMNS, None, id="runs-table")
        yield Static("loading runs…", id="runs-status", classes="status-line")

    def compute(self, ds: Dataset, filters: Filters) -> tuple[pl.DataFrame, int]:
        import polars as pl

        from tokenscope.tui.explorer import runs_frame

        frame = runs_frame(ds, filters)
        return frame, frame.select((pl.col("status") != "ok").sum()).item()

    def apply(self, result: tuple[pl.DataFrame, int]) -> None:
        frame, unfinished = result
        # Failed and cancelled runs are few and easy to miss: their status column is
        # among the first kept on a narrow screen whenever any are listed.
        self.table.show(frame, WITH_STATUS if unfinished else COLUMNS)
        extra = f" ({unfinished:,} failed or cancelled)" if unfinished else ""
        self.query_one("#runs-status", Static).update(
            f"{frame.height:,} runs{extra} · enter opens a run · s sorts by the cursor column"
        )

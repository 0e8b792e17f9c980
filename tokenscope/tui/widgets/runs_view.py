"""Runs: every run, from the study and the user's own, one row each."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Static

from tokenscope.tui.filters import Filters
from tokenscope.tui.widgets.columns import Col
from tokenscope.tui.widgets.tables import RunsTable
from tokenscope.tui.widgets.view import View

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
    Col("cost_usd", "cost", "cost", 7, 4, "usd"),
    Col("tokens_answer", "answer", "ans", 6, 5, "tokens"),
    Col("reasoning_method", "method", "method", 12, 6),
    Col("domain", "domain", "dom", 9, 6),
    Col("source", "source", "src", 7, 7),
    Col("chars_completion", "chars", "chars", 7, 8, "int"),
    Col("status", "status", "status", 9, 9),
    Col("lab", "lab", "lab", 12, 9),
]


class RunsView(View):
    title = "Runs"

    def compose(self) -> ComposeResult:
        yield RunsTable(COLUMNS, None, id="runs-table")
        yield Static("loading runs…", id="runs-status", classes="status-line")

    @property
    def table(self) -> RunsTable:
        return self.query_one(RunsTable)

    def compute(self, ds: Dataset, filters: Filters) -> pl.DataFrame:
        from tokenscope.tui.explorer import runs_frame

        return runs_frame(ds, filters)

    def apply(self, result: pl.DataFrame) -> None:
        self.table.show(result)
        self.query_one("#runs-status", Static).update(
            f"{result.height:,} runs · enter opens a run · s sorts by the cursor column"
        )

    def export_frame(self) -> pl.DataFrame | None:
        return self.table.frame

    def focus_main(self) -> None:
        self.table.focus()

"""The tokenscope Textual app (minimal leaderboard until the explorer lands)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header

from tokenscope.data.leaderboard import leaderboard
from tokenscope.data.loader import load_dataset


class TokenscopeApp(App):
    TITLE = "tokenscope"
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="leaderboard", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        ds = load_dataset("all")
        table = leaderboard(ds)
        widget = self.query_one(DataTable)
        cols = ["model", "open_weights", "relative_completion_tokens", "mean_completion_tokens", "success_rate"]
        widget.add_columns(*cols)
        for row in table.select(cols).iter_rows():
            widget.add_row(*[("—" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)) for v in row])


def run_app() -> int:
    TokenscopeApp().run()
    return 0

"""The help screen: every key, generated from the bindings so it cannot drift."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "tokenscope shows how many tokens reasoning models spend and what that costs. "
    "Every action is also in the command palette (ctrl+p). Relative tokens: 1.00× is the "
    "mean of the reference models on the same prompt."
)


def _key_label(key: str) -> str:
    return " / ".join(k.strip() for k in key.split(","))


def bindings_table(groups: list[tuple[str, list[BindingType]]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for title, bindings in groups:
        table.add_row("", "")
        table.add_row(title, "")
        for b in bindings:
            if isinstance(b, Binding) and b.description:
                table.add_row(_key_label(b.key), b.tooltip or b.description)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, groups: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static("Keys", classes="detail-heading")
            yield Static(INTRO, id="help-intro")
            yield Static(bindings_table(self.groups))

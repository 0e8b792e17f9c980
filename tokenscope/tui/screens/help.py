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


# What the tables' columns hold, under the labels they have at any width.
COLUMNS: list[tuple[str, str]] = [
    (
        "rel / rel. tokens",
        (
            "completion tokens relative to the reference models on the same "
            "prompts (1.00× = their mean; lower spends fewer tokens)"
        ),
    ),
    ("tokens / completion", "mean completion tokens per run (reasoning + answer)"),
    ("reas / reasoning", "mean reasoning tokens, by the study's method"),
    ("ok / success", "share of grading criteria met (— where no run was graded)"),
    ("wts / weights", "open or closed weights"),
    (
        "$/q / $/query",
        (
            "cost per query as the study defines it: mean completion tokens × completion "
            "price, at the middle of the provider price band (prompt tokens not counted)"
        ),
    ),
    (
        "run $ (Runs)",
        "what one run cost: its completion cost plus its prompt cost where the prompt price "
        "is known; 'completion $' is the completion part alone",
    ),
    (
        "c/t / chars/tok",
        ("characters per completion token: far below ~3 hints at hidden or summarised reasoning"),
    ),
    ("OAA", "overthinking-adjusted accuracy: accuracy as token budgets shrink (0–1)"),
    ("#p / prompts, runs", "how many prompts and runs the row rests on"),
]


def _key_label(key: str) -> str:
    from textual.keys import format_key

    return " / ".join(format_key(k.strip()) for k in key.split(","))


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
    table.add_row("", "")
    table.add_row("Columns", "")
    for label, about in COLUMNS:
        table.add_row(label, about)
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

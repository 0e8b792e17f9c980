"""Run detail: the prompt, the reasoning (dimmed, collapsible), the answer, the grading and
the numbers.

Every text here is data from a model or a file: it is shown literally through
``rich.text.Text`` with control characters made visible, never parsed as markup.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Collapsible, Static

from tokenscope.text import literal
from tokenscope.tui.widgets.footer import KeysFooter

METHODS = {
    "reported": "as reported by the API",
    "cot_chars": "completion × CoT chars / completion chars",
    "answer_chars": "completion − answer chars / 3.1",
}


def plain(value: object) -> Text:
    """Data as literal text: markup stays brackets, escapes become visible ``\\x1b``."""
    return Text("—" if value is None else literal(str(value)))


def _num(value: object, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def numbers_table(run: dict[str, Any]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    method = run.get("reasoning_method")
    table.add_row("completion tokens", _num(run.get("tokens_completion")))
    table.add_row(
        "reasoning tokens",
        Text.assemble(
            _num(run.get("tokens_reasoning")),
            (f"  ({METHODS.get(method or '', method or 'unknown')})", "dim"),
        ),
    )
    table.add_row("answer tokens", _num(run.get("tokens_answer")))
    chars = run.get("chars_completion")
    tokens = run.get("tokens_completion")
    per_token = (chars / tokens) if chars and tokens else None
    table.add_row(
        "characters",
        f"{_num(chars)} (answer {_num(run.get('chars_answer'))}, "
        f"reasoning {_num(run.get('chars_reasoning'))})",
    )
    table.add_row("chars / token", _num(per_token, 2))
    for label, value in cost_rows(run):
        table.add_row(label, value)
    score = run.get("score")
    table.add_row(
        "score",
        "ungraded"
        if score is None
        else f"{score * 100:.0f}% "
        f"({run.get('criteria_met_count')}/{run.get('criteria_total')} criteria)",
    )
    table.add_row("status", plain(run.get("status")))
    if run.get("finish_reason"):
        table.add_row("finish reason", plain(run.get("finish_reason")))
    if run.get("provider"):
        table.add_row("provider", plain(run.get("provider")))
    if run.get("error"):
        table.add_row("error", plain(run.get("error")))
    return table


def _usd(value: float | None) -> str:
    return "—" if value is None else f"${value:.5f}"


def cost_rows(run: dict[str, Any]) -> list[tuple[str, Text | str]]:
    """The run's cost, named plainly: completion (with the band the provider prices span),
    prompt, and their total."""
    from tokenscope.data.metrics import completion_cost

    completion, prompt, total = (
        run.get("cost_completion_usd"),
        run.get("cost_prompt_usd"),
        run.get("cost_usd"),
    )
    if completion is None and total is None:
        return [("cost", "— (no price known)")]
    tokens, lo, hi = run.get("tokens_completion"), run.get("price_min"), run.get("price_max")
    band = ""
    if tokens and lo is not None and hi is not None and lo != hi:
        band = f"  (band {_usd(completion_cost(tokens, lo))} – {_usd(completion_cost(tokens, hi))})"
    return [
        ("completion cost", Text.assemble(_usd(completion), (band, "dim"))),
        ("prompt cost", _usd(prompt) if prompt is not None else "— (no prompt price or count)"),
        ("run cost", Text.assemble(_usd(total), ("  completion + prompt", "dim"))),
    ]


def criteria_text(run: dict[str, Any]) -> Text:
    criteria: list[str] = run.get("criteria") or []
    met: list[bool | None] = list(run.get("criteria_met") or [])
    if not criteria:
        return Text("no grading criteria for this prompt", style="dim")
    text = Text()
    for i, criterion in enumerate(criteria):
        flag = met[i] if i < len(met) else None
        mark = ("✓ ", "bold") if flag else ("✗ ", "bold") if flag is False else ("? ", "dim")
        text.append_text(Text.assemble(mark, plain(criterion)))
        text.append("\n")
    text.rstrip()
    return text


def reasoning_labels(run: dict) -> tuple[str, str]:
    """The reasoning section's title, and what to say when there is no text to show:
    counted characters with no text means the source kept the count but not the text."""
    reasoning = run.get("reasoning")
    if reasoning:
        return f"Reasoning ({len(reasoning):,} characters)", ""
    counted = run.get("chars_reasoning") or 0
    if counted:
        where = "The study" if run.get("source") == "bundled" else "The source of this run"
        return (
            f"Reasoning ({counted:,} characters, text not archived)",
            f"{where} counted {counted:,} characters of reasoning but did not keep the text.",
        )
    if run.get("tokens_reasoning_reported"):
        return (
            "Reasoning (hidden by the provider)",
            "The provider reported reasoning tokens but sent no reasoning text.",
        )
    return "Reasoning (none shown)", "The provider returned no reasoning text."


class RunDetailScreen(Screen[None]):
    """One run, everything about it, scrollable."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "app.pop_screen", "Back", id="detail.back"),
        Binding(
            "h",
            "toggle_reasoning",
            "Reasoning",
            id="detail.reasoning",
            tooltip="Show or hide the reasoning",
        ),
    ]

    def __init__(self, run: dict[str, Any]) -> None:
        super().__init__()
        self.run = run

    def compose(self) -> ComposeResult:
        run = self.run
        title = Text.assemble(
            ("Run  ", "bold"),
            plain(run.get("model")),
            "  ·  ",
            plain(run.get("prompt_id")),
            f"  #{run.get('sample_index') if run.get('sample_index') is not None else '—'}",
            ("  ·  ", "dim"),
            plain(run.get("source")),
        )
        yield Static(title, id="detail-title")
        with VerticalScroll(id="detail-body"):
            yield Static(Text("Numbers", style="bold"), classes="detail-heading")
            yield Static(numbers_table(run), id="detail-numbers")
            yield Static(Text("Prompt", style="bold"), classes="detail-heading")
            yield Static(plain(run.get("prompt_text")), id="detail-prompt")
            yield Static(Text("Grading", style="bold"), classes="detail-heading")
            yield Static(criteria_text(run), id="detail-criteria")
            reasoning = run.get("reasoning")
            label, missing = reasoning_labels(run)
            with Collapsible(title=label, collapsed=True, id="detail-reasoning"):
                yield Static(
                    plain(reasoning) if reasoning else Text(missing, style="italic"),
                    id="detail-reasoning-text",
                )
            yield Static(Text("Answer", style="bold"), classes="detail-heading")
            yield Static(plain(run.get("answer")), id="detail-answer")
        yield KeysFooter()

    def action_toggle_reasoning(self) -> None:
        box = self.query_one("#detail-reasoning", Collapsible)
        box.collapsed = not box.collapsed

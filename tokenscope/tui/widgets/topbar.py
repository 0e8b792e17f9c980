"""The one-line header: app name, active filters, and how much is loaded."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tokenscope.text import one_line
from tokenscope.tui.filters import Filters


class TopBar(Static):
    """Shows the filters every view follows; never a clock, so snapshots stay still."""

    def show(self, filters: Filters, summary: str = "") -> None:
        parts = filters.describe()
        text = Text.assemble(("tokenscope", "bold"), "  ")
        if parts:
            text.append(one_line(" · ".join(parts), 200))
        else:
            text.append("all models, all prompts", style="dim")
        if summary:
            text.append(f"   {summary}", style="dim")
        self.update(text)

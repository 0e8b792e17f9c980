"""The one-line header: app name, active filters, and how much is loaded and shown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static

from tokenscope.text import one_line
from tokenscope.tui.filters import Filters

if TYPE_CHECKING:
    from tokenscope.data.loader import Dataset

# Said when the filters ask for the user's own runs and there are none yet.
NO_RUNS_OF_YOUR_OWN = (
    "You have no runs of your own yet: ask a model in Ask (5) or run a suite (u); "
    "they appear here with source = user. x clears the filters."
)


class TopBar(Static):
    """Shows the filters every view follows and how many runs they keep; never a clock,
    so snapshots stay still."""

    class Counted(Message):
        """How many runs the filters keep (counted in a thread)."""

        def __init__(self, generation: int, matching: int, yours: int) -> None:
            super().__init__()
            self.generation, self.matching, self.yours = generation, matching, yours

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.filters = Filters()
        self.summary = ""
        self.generation = 0
        self.count: int | None = None  # runs the filters keep, once counted

    def show(self, filters: Filters, summary: str = "") -> None:
        changed = filters != self.filters
        self.filters, self.summary = filters, summary
        self.generation += 1
        self.count = None
        ds: Dataset | None = getattr(self.app, "ds", None)
        if ds is not None and filters != Filters():
            self._count(ds, filters, self.generation, changed)
        self._paint()

    @work(thread=True, exclusive=True, group="topbar-count", exit_on_error=False)
    def _count(self, ds: Dataset, filters: Filters, generation: int, changed: bool) -> None:
        from tokenscope.tui.explorer import run_counts

        matching, yours = run_counts(ds, filters)
        self.post_message(self.Counted(generation, matching, yours))
        if changed and filters.source == "user" and yours == 0:
            self.app.call_from_thread(
                self.app.notify, NO_RUNS_OF_YOUR_OWN, title="No runs of your own", markup=False
            )

    def on_top_bar_counted(self, message: Counted) -> None:
        if message.generation == self.generation:  # else the filters changed since
            self.count = message.matching
            self._paint()

    def _paint(self) -> None:
        parts = self.filters.describe()
        text = Text.assemble(("tokenscope", "bold"), "  ")
        if parts:
            text.append(one_line(" · ".join(parts), 200))
        else:
            text.append("all models, all prompts", style="dim")
        summary = self.summary
        if self.count is not None and summary:
            summary = f"{self.count:,} of {summary}"
            if self.count == 0:
                summary += ": none match (x clears the filters)"
        if summary:
            text.append(f"   {summary}", style="dim")
        self.update(text)

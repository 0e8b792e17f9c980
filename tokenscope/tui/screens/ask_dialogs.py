"""The Ask view's modals: choosing one to four models; a new question while streaming."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, SelectionList, Static
from textual.widgets.selection_list import Selection

from tokenscope.ask.models import MAX_MODELS, ModelChoice
from tokenscope.text import one_line

KIND_LABEL = {
    "configured": "configured",
    "server": "local server",
    "replay": "replay",
    "local": "local model",
}


class ModelPickerScreen(ModalScreen[list[str] | None]):
    """Tick up to four models; enter or escape closes (escape keeps the old choice)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="models.cancel"),
        Binding("ctrl+s,d", "done", "Done", id="models.done"),
    ]

    def __init__(self, choices: list[ModelChoice], selected: list[str], searching: bool) -> None:
        super().__init__()
        self.choices = choices
        self.selected = selected
        self.searching = searching

    def compose(self) -> ComposeResult:
        with Vertical(id="picker", classes="-wide"):
            yield Static(
                f"Models (up to {MAX_MODELS}) · space ticks · d done · escape cancels",
                classes="detail-heading",
            )
            items = []
            for c in self.choices:
                label = Text.assemble(
                    one_line(c.label, 40),
                    (f"  {KIND_LABEL.get(c.kind, c.kind)}", "dim"),
                    (f" · {one_line(c.note, 60)}" if c.note else "", "dim"),
                )
                items.append(
                    Selection(label, c.id, c.id in self.selected, disabled=not c.available)
                )
            yield SelectionList[str](*items, id="model-options")
            note = "looking for local servers…" if self.searching else ""
            yield Static(note, id="model-note", classes="status-line")
            with Horizontal(id="picker-buttons"):
                yield Button("Done", id="models-done", variant="primary", compact=True)
                yield Button("Cancel", id="models-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        count = len(event.selection_list.selected)
        note = self.query_one("#model-note", Static)
        note.update(
            f"{count} chosen"
            + (f" — at most {MAX_MODELS}, untick some" if count > MAX_MODELS else "")
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "models-done":
            self.action_done()
        else:
            self.action_cancel()

    def action_done(self) -> None:
        chosen = list(self.query_one(SelectionList).selected)
        if not chosen:
            self.notify("Choose at least one model.", severity="warning")
            return
        if len(chosen) > MAX_MODELS:
            self.notify(f"At most {MAX_MODELS} models side by side.", severity="warning")
            return
        order = [c.id for c in self.choices]
        self.dismiss(sorted(chosen, key=order.index))

    def action_cancel(self) -> None:
        self.dismiss(None)


class BusyScreen(ModalScreen[str | None]):
    """Models are still streaming: cancel them and ask, or queue the question."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('back')", "Back", id="busy.back"),
        Binding("c", "choose('cancel')", "Cancel and ask", id="busy.cancel"),
        Binding("q", "choose('queue')", "Queue", id="busy.queue"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Models are still answering.", id="busy-heading", classes="detail-heading")
            yield Static(
                "c  cancel them and ask now\nq  queue: ask when they finish\n"
                "escape  keep them running",
                id="busy-choices",
            )
            with Horizontal(id="picker-buttons"):
                yield Button("Cancel & ask", id="busy-cancel", variant="warning", compact=True)
                yield Button("Queue", id="busy-queue", variant="primary", compact=True)
                yield Button("Back", id="busy-back", compact=True)

    def models_finished(self) -> None:
        """The models ended while this was open: either choice now asks at once."""
        self.query_one("#busy-heading", Static).update("The models have finished.")
        self.query_one("#busy-choices", Static).update("c or q  ask now\nescape  do not ask")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "busy-back").removeprefix("busy-"))

    def action_choose(self, what: str) -> None:
        self.dismiss(what)

"""Small modal pickers: a lab, an export format."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tokenscope.text import one_line


class PickerScreen(ModalScreen[str | None]):
    """Choose one option; escape returns None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
    ]

    def __init__(
        self, title: str, options: list[tuple[str, str]], current: str | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(self.title_text, classes="detail-heading")
            yield OptionList(
                *[Option(Text(one_line(label, 60)), id=value) for value, label in self.options],
                id="picker-options",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        for i, (value, _) in enumerate(self.options):
            if value == self.current:
                options.highlighted = i
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

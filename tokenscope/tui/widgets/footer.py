"""The footer: the keys that apply now, in Textual's compact style."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # not exported by textual.widgets


class KeysFooter(Footer):
    """``Footer(compact=True)``, rebuilt only when the keys it shows change.

    Textual rebuilds the footer (removes and mounts every key) at each focus or view
    change, even when the keys that apply are the same as before; and each key's
    ``compact`` watcher adds its class after the key was styled, which styles it again.
    Here the keys are built with that class, and a rebuild that would show the same
    keys is skipped."""

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._shown: Any = None

    def _keys_now(self) -> Any:
        bindings = tuple(
            (key, binding, enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
        )
        return bindings, self.show_command_palette, self.app.ENABLE_COMMAND_PALETTE

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        keys = self._keys_now()
        if keys == self._shown:
            return
        self._shown = keys
        await super().recompose()

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_class(True, "-compact", update=False)
            yield widget

"""The frame every task dialog shares (suite run, import, sources): a centred box with
labelled fields, a progress bar, a status text and a row of buttons."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class DialogScreen(ModalScreen[ResultType]):
    """A modal task dialog. Children use the classes ``field``, ``status`` and ``buttons``;
    a subclass sets its own width and label width in its DEFAULT_CSS."""

    # Type selectors match subclasses too, so these rules style every dialog.
    DEFAULT_CSS = """
    DialogScreen { align: center middle; }
    DialogScreen > VerticalScroll {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    DialogScreen .field { height: 1; margin-top: 1; }
    DialogScreen .field > Label { width: 8; color: $text-muted; }
    DialogScreen .field > Input, DialogScreen .field > Select { width: 1fr; }
    DialogScreen .status { margin-top: 1; height: auto; }
    DialogScreen ProgressBar { margin-top: 1; }
    DialogScreen .buttons { height: 1; margin-top: 1; }
    DialogScreen .buttons > Button { margin-right: 2; }
    """

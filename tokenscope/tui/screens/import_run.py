"""Import other tools' logs from inside the app: a path, a progress bar, a summary.

The import itself is ``tokenscope.importers.session.ImportSession``, the same
headless code as ``tokenscope import``. It appends to the store, so the app's
live refresh shows the imported models as soon as the import ends.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Static

from tokenscope.text import literal

if TYPE_CHECKING:
    from tokenscope.importers.session import Progress
    from tokenscope.tui.app import TokenscopeApp


class ImportProgress(Message):
    """Where the import is (posted from the worker thread)."""

    def __init__(self, line: str, done: int, total: int | None) -> None:
        super().__init__()
        self.line, self.done, self.total = line, done, total


class ImportEnded(Message):
    """The import's outcome: one summary line and the lines about skipped files."""

    def __init__(self, summary: str, problems: list[str], written: int) -> None:
        super().__init__()
        self.summary, self.problems, self.written = summary, problems, written


def split_paths(text: str) -> list[Path]:
    """Paths as typed: separated by spaces, quoted where a name holds one."""
    try:
        words = shlex.split(text)
    except ValueError:  # an unclosed quote: take the text as one path
        words = [text.strip()]
    return [Path(w).expanduser() for w in words if w]


def progress_line(progress: Progress) -> str:
    if progress.stage == "reading":
        return (
            f"reading file {progress.files_done} of {progress.files_total}: "
            f"{progress.runs:,} runs so far"
        )
    return f"writing {progress.runs:,} of {progress.runs_total or 0:,} runs"


class ImportScreen(ModalScreen[None]):
    """Ask for files, import them, say what came in."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="import.close"),
    ]

    DEFAULT_CSS = """
    ImportScreen { align: center middle; }
    ImportScreen > VerticalScroll {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ImportScreen .field { height: 1; margin-top: 1; }
    ImportScreen .field > Label { width: 8; color: $text-muted; }
    ImportScreen .field > Input { width: 1fr; }
    ImportScreen #import-status { margin-top: 1; height: auto; }
    ImportScreen ProgressBar { margin-top: 1; }
    ImportScreen #import-buttons { height: 1; margin-top: 1; }
    ImportScreen #import-buttons > Button { margin-right: 2; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.running = False

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Import results from other tools", style="bold"))
            yield Static(
                Text(
                    "Inspect (.eval, .json), promptfoo, OpenRouter, OpenTelemetry GenAI or "
                    "LiteLLM logs; the format is told from the content.",
                    style="dim",
                )
            )
            with Horizontal(classes="field"):
                yield Label("Files")
                yield Input(
                    id="import-paths",
                    compact=True,
                    placeholder="~/logs/run.eval out.json (quote names with spaces)",
                )
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Static(id="import-status")
            with Horizontal(id="import-buttons"):
                yield Button("Import", id="import-start", variant="primary", compact=True)
                yield Button("Close", id="import-close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#import-paths", Input).focus()

    @on(Input.Submitted, "#import-paths")
    @on(Button.Pressed, "#import-start")
    def start(self) -> None:
        if self.running:
            return
        paths = split_paths(self.query_one("#import-paths", Input).value)
        if not paths:
            self._status(Text("Type the path of one or more files first.", style="bold"))
            return
        self.running = True
        self.query_one("#import-start", Button).disabled = True
        self._status(Text("reading…"))
        self._import(paths)

    @on(Button.Pressed, "#import-close")
    def action_close(self) -> None:
        # A running import finishes in its thread: what it appends is complete either way.
        self.dismiss()

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def _import(self, paths: list[Path]) -> None:
        from tokenscope.importers.session import ImportSession

        def report(progress: Progress) -> None:
            total = progress.runs_total if progress.stage == "writing" else progress.files_total
            done = progress.runs if progress.stage == "writing" else progress.files_done
            self.post_message(ImportProgress(progress_line(progress), done, total))

        session = ImportSession(paths, on_progress=report)
        try:
            plan = session.plan()
            written = session.apply(plan)
        except Exception as exc:  # the screen says it in one line, never a traceback
            self.post_message(ImportEnded(f"import failed: {type(exc).__name__}: {exc}", [], 0))
            return
        models = len({r.get("model") for r in plan.new_runs})
        summary = f"imported {written:,} runs of {models} model{'s' * (models != 1)}"
        if plan.duplicates:
            summary += f"; {plan.duplicates:,} already in your results"
        if plan.skipped_records:
            summary += f"; {plan.skipped_records:,} records skipped"
        self.post_message(ImportEnded(summary, plan.messages(), written))

    def on_import_progress(self, message: ImportProgress) -> None:
        self.query_one(ProgressBar).update(total=message.total or None, progress=message.done)
        self._status(Text(literal(message.line, keep_newlines=False)))

    def on_import_ended(self, message: ImportEnded) -> None:
        self.running = False
        self.query_one("#import-start", Button).disabled = False
        text = Text(literal(message.summary, keep_newlines=False), style="bold")
        for line in message.problems[:8]:
            text.append("\n" + literal(line, keep_newlines=False), style="dim")
        if len(message.problems) > 8:
            text.append(f"\n… and {len(message.problems) - 8} more", style="dim")
        self._status(text)
        if message.written:
            self.app.call_later(cast("TokenscopeApp", self.app).action_reload)

    def _status(self, text: Text) -> None:
        self.query_one("#import-status", Static).update(text)

"""The team's sources: each one's state, runs and age, and push or pull with progress.

Push and pull are ``tokenscope.remote``'s headless sessions, the same code as
``tokenscope push`` and ``tokenscope pull``; this screen only starts them on a
thread and draws their events. What a source holds joins the tables on the
app's next load, which a finished push or pull starts.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, ProgressBar, Static

from tokenscope.remote.summary import age
from tokenscope.text import literal
from tokenscope.tui.screens.dialog import DialogScreen

if TYPE_CHECKING:
    from tokenscope.remote.read import SourceStatus
    from tokenscope.remote.sources import Source
    from tokenscope.tui.app import TokenscopeApp

COLUMNS = ("Source", "State", "Runs", "Parts", "Updated", "Pulled", "Where")
STATE_STYLE = {"live": "green", "stale": "yellow", "unreachable": "red"}
EXAMPLE = (
    '[[sources]]\nname = "team"\nuri = "s3://bucket/tokenscope"\n'
    'storage_options = { aws_region = "eu-west-1" }'
)


def plain(text: str) -> str:
    """Outside text (names, uris, server messages) as one literal line."""
    return literal(text, keep_newlines=False)


class SourcesRead(Message):
    def __init__(self, statuses: list[SourceStatus], announce: bool) -> None:
        super().__init__()
        self.statuses, self.announce = statuses, announce  # announce: a refresh asked for


class TransferProgress(Message):
    def __init__(self, line: str, done: int, total: int | None) -> None:
        super().__init__()
        self.line, self.done, self.total = line, done, total


class TransferEnded(Message):
    def __init__(self, summary: str, notes: list[str], changed: bool) -> None:
        super().__init__()
        self.summary, self.notes, self.changed = summary, notes, changed


class SourcesScreen(DialogScreen[None]):
    """Each configured source's status; push the user's runs to one, or pull one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_or_close", "Stop / close", id="sources.close"),
        Binding("p", "push", "Push", id="sources.push"),
        Binding("u", "pull", "Pull", id="sources.pull"),
        Binding("r", "refresh", "Refresh", id="sources.refresh"),
    ]

    DEFAULT_CSS = """
    SourcesScreen > VerticalScroll { width: 110; }
    SourcesScreen DataTable { height: auto; max-height: 12; margin-top: 1; }
    SourcesScreen ProgressBar { display: none; }
    SourcesScreen ProgressBar.-running { display: block; }
    """

    def __init__(
        self,
        sources: tuple[Source, ...],
        statuses: list[SourceStatus] | None = None,
        config_problem: str | None = None,
    ) -> None:
        super().__init__()
        self.sources = sources
        self.config_problem = config_problem  # a config that could not be read: no sources
        self.statuses = list(statuses or [])
        self.running: str | None = None  # "push" or "pull" while one runs
        self.cancel = threading.Event()

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Sources: runs shared through object storage", style="bold"))
            if not self.sources:
                yield Static(self._how_to_add())
            else:
                yield DataTable(id="sources-table", cursor_type="row", zebra_stripes=True)
                yield ProgressBar(id="sources-progress", show_eta=False)
                yield Static(id="sources-status", classes="status")
                with Horizontal(id="sources-buttons", classes="buttons"):
                    yield Button("Push (p)", id="sources-push", variant="primary", compact=True)
                    yield Button("Pull (u)", id="sources-pull", compact=True)
                    yield Button("Refresh (r)", id="sources-refresh", compact=True)
                    yield Button("Close", id="sources-close", compact=True)

    def _how_to_add(self) -> Text:
        from tokenscope import paths

        if self.config_problem:
            text = Text("The config file cannot be read, so no source is: ", style="bold")
            text.append(plain(self.config_problem) + "\n\nA source in ")
        else:
            text = Text("No sources are configured. Add one to ", style="dim")
        text.append(plain(str(paths.config_file())))
        text.append(":\n\n")
        text.append(EXAMPLE)
        text.append(
            "\n\nCredentials come from the environment (AWS_*, GOOGLE_APPLICATION_CREDENTIALS, "
            "AZURE_*, HF_TOKEN) and are never stored.",
            style="dim",
        )
        return text

    def on_mount(self) -> None:
        if not self.sources:
            return
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        self._fill()
        table.focus()
        if self.statuses:
            self._say_statuses()
        else:
            self.action_refresh()

    # ---- the table ---------------------------------------------------------

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        now = datetime.now(UTC)
        by_name = {s.name: s for s in self.statuses}
        for source in self.sources:
            status = by_name.get(source.name)
            if status is None:
                cells = [Text("…", style="dim")] * 5
            else:
                cells = [
                    Text(status.state, style=STATE_STYLE.get(status.state, "")),
                    Text(f"{status.runs:,}", justify="right"),
                    Text(
                        f"{status.parts:,}"
                        + (f" (+{status.skipped} bad)" if status.skipped else ""),
                        justify="right",
                    ),
                    Text(age(status.last_update, now)),
                    Text(age(status.last_sync, now)),
                ]
            table.add_row(
                Text(plain(source.name)), *cells, Text(plain(source.display())), key=source.name
            )
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))

    def _say_statuses(self) -> None:
        """The sources' one-line messages (unreachable, stale), or that all answered."""
        text = Text()
        for status in self.statuses:
            if status.message:
                text.append(f"{plain(status.name)}: ", style="bold")
                text.append(plain(status.message) + "\n")
        if not text:
            text = Text(f"{len(self.statuses)} of {len(self.sources)} sources read", style="dim")
        self._status(text)

    def selected(self) -> Source | None:
        if not self.sources:
            return None
        row = self.query_one(DataTable).cursor_row
        return self.sources[min(max(row, 0), len(self.sources) - 1)]

    @work(thread=True, exclusive=True, group="sources-read", exit_on_error=False)
    def _read(self, announce: bool = False) -> None:
        from tokenscope.remote.read import source_statuses

        try:
            statuses = source_statuses(self.sources)
        except Exception as exc:  # one line in the panel, never a traceback
            self.post_message(TransferEnded(f"could not read the sources: {exc}", [], False))
            return
        self.post_message(SourcesRead(statuses, announce))

    def on_sources_read(self, message: SourcesRead) -> None:
        self.statuses = message.statuses
        self._fill()
        if message.announce and self.running is None:
            self._say_statuses()

    # ---- push and pull -----------------------------------------------------

    @on(Button.Pressed, "#sources-push")
    def action_push(self) -> None:
        source = self.selected()
        if source is None or self.running:
            return
        self._start("push", f"pushing your runs to '{plain(source.name)}'…")
        self._push(source)

    @on(Button.Pressed, "#sources-pull")
    def action_pull(self) -> None:
        source = self.selected()
        if source is None or self.running:
            return
        self._start("pull", f"pulling '{plain(source.name)}'…")
        self._pull(source)

    @on(Button.Pressed, "#sources-refresh")
    def action_refresh(self) -> None:
        if self.sources and not self.running:
            self._status(Text("reading the sources…"))
            self._read(announce=True)

    def _start(self, what: str, line: str) -> None:
        self.running = what
        self.cancel.clear()
        for button in self.query(Button):
            button.disabled = button.id != "sources-close"
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        bar.add_class("-running")  # shown from the first transfer on
        self._status(Text(line))

    @work(thread=True, exclusive=True, group="sources-transfer", exit_on_error=False)
    def _push(self, source: Source) -> None:
        from tokenscope.remote import summary
        from tokenscope.remote.push import UPLOADED, UPLOADING, PushEvent, PushSession

        def report(event: PushEvent) -> None:
            if event.stage in (UPLOADING, UPLOADED):
                step = "writing" if event.stage == UPLOADING else "wrote"
                number = event.parts_done + (event.stage == UPLOADING)
                line = f"{step} part {number} of {event.parts_total}: {event.key}"
                self.post_message(TransferProgress(line, event.runs_done, event.runs_total))

        try:
            session = PushSession(source, on_event=report)
            plan = session.plan()
            notes = [*plan.notes, *filter(None, [summary.left_out(plan)])]
            if not plan.parts:
                self.post_message(TransferEnded(summary.nothing_to_push(plan), notes, False))
                return
            result = session.apply(plan, self.cancel)
        except Exception as exc:  # a dead server or a refused write: one line
            self.post_message(TransferEnded(self._failure("push", exc, source), [], False))
            return
        line = summary.pushed(plan, result)
        if result.parts < len(plan.parts):
            line = f"stopped: {line}; push again to send the rest"
        self.post_message(TransferEnded(line, notes, result.parts > 0))

    @work(thread=True, exclusive=True, group="sources-transfer", exit_on_error=False)
    def _pull(self, source: Source) -> None:
        from tokenscope.remote import summary
        from tokenscope.remote.pull import FETCHED, FETCHING, PullEvent, PullSession

        def report(event: PullEvent) -> None:
            if event.stage in (FETCHING, FETCHED):
                step = "fetching" if event.stage == FETCHING else "fetched"
                number = event.parts_done + (event.stage == FETCHING)
                line = f"{step} part {number} of {event.parts_total}: {event.key}"
                self.post_message(TransferProgress(line, event.parts_done, event.parts_total))

        try:
            result = PullSession(source, on_event=report).run(self.cancel)
        except Exception as exc:
            self.post_message(TransferEnded(self._failure("pull", exc, source), [], False))
            return
        line = summary.pulled(source, result)
        if self.cancel.is_set():
            line = f"stopped: {line}; pull again to fetch the rest"
        self.post_message(TransferEnded(line, result.skipped, True))

    @staticmethod
    def _failure(what: str, exc: Exception, source: Source) -> str:
        from tokenscope.errors import UserError
        from tokenscope.remote.sources import safe_message

        reason = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
        return f"{what} failed: {safe_message(reason, source)}"

    def on_transfer_progress(self, message: TransferProgress) -> None:
        self.query_one(ProgressBar).update(total=message.total or None, progress=message.done)
        self._status(Text(plain(message.line)))

    def on_transfer_ended(self, message: TransferEnded) -> None:
        self.running = None
        for button in self.query(Button):
            button.disabled = False
        bar = self.query_one(ProgressBar)
        if bar.total is None:
            bar.update(total=1, progress=1 if message.changed else 0)
        text = Text(plain(message.summary), style="bold")
        for line in message.notes[:6]:
            text.append("\n" + plain(line), style="dim")
        if len(message.notes) > 6:
            text.append(f"\n… and {len(message.notes) - 6} more", style="dim")
        self._status(text)
        if message.changed:
            self._read()
            self.app.call_later(cast("TokenscopeApp", self.app).action_reload)

    @on(Button.Pressed, "#sources-close")
    def action_cancel_or_close(self) -> None:
        if self.running and not self.cancel.is_set():
            # Parts are whole or absent: stopping between two of them loses nothing.
            self.cancel.set()
            self._status(Text(f"stopping the {self.running} after this part…"))
            return
        self.dismiss()

    def _status(self, text: Text) -> None:
        self.query_one("#sources-status", Static).update(text)

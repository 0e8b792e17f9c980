"""Run a prompt suite on a model from inside the app, follow it, and cancel it.

The run itself is ``tokenscope.suite.session.execute``, the same headless code
as ``tokenscope run``: results land in the store as they finish, so the
explorer's live refresh shows them, and a cancelled run resumes later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from tokenscope.probe.endpoints import LOCAL

if TYPE_CHECKING:
    from tokenscope.config import Settings
    from tokenscope.suite.runner import Progress
    from tokenscope.tui.app import TokenscopeApp

BASE_URL = "__base_url__"


class SuiteProgress(Message):
    """A snapshot of the run's progress (posted from the worker)."""

    def __init__(
        self, done: int, failed: int, total: int, skipped: int, line: str, error: str | None
    ) -> None:
        super().__init__()
        self.done, self.failed, self.total, self.skipped = done, failed, total, skipped
        self.line, self.error = line, error


class SuiteEnded(Message):
    def __init__(self, status: str, line: str) -> None:
        super().__init__()
        self.status, self.line = status, line


def _endpoint_options(settings: Settings) -> list[tuple[str, str]]:
    from tokenscope.probe import local_model
    from tokenscope.probe.endpoints import all_endpoints

    options: list[tuple[str, str]] = []
    known = all_endpoints(settings)
    if local_model.available() and known[LOCAL].builtin:
        options.append((f"local model ({local_model.MODEL_NAME})", LOCAL))
    options += [(name, name) for name, e in sorted(known.items()) if not e.builtin]
    options.append(("base URL…", BASE_URL))
    return options


class SuiteRunScreen(ModalScreen[None]):
    """Choose a suite and a model, start, watch the progress, cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_or_close", "Cancel / close", id="suite.cancel"),
        Binding("ctrl+s", "start", "Start", id="suite.start"),
    ]

    DEFAULT_CSS = """
    SuiteRunScreen { align: center middle; }
    SuiteRunScreen > VerticalScroll {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    SuiteRunScreen .field { height: 1; margin-top: 1; }
    SuiteRunScreen .field > Label { width: 14; color: $text-muted; }
    SuiteRunScreen .field > Input, SuiteRunScreen .field > Select { width: 1fr; }
    SuiteRunScreen #suite-status { margin-top: 1; height: auto; }
    SuiteRunScreen ProgressBar { margin-top: 1; }
    SuiteRunScreen #suite-buttons { height: 1; margin-top: 1; }
    SuiteRunScreen #suite-buttons > Button { margin-right: 2; }
    """

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self._settings = settings
        self.running = False

    @property
    def settings(self) -> Settings:
        """The app's settings (its endpoints and prices), unless given."""
        from tokenscope.config import Settings

        return self._settings or cast("TokenscopeApp", self.app).settings or Settings()

    def compose(self) -> ComposeResult:
        options = _endpoint_options(self.settings)
        local = options[0][1] == LOCAL
        with VerticalScroll():
            yield Static(Text("Run a suite: the study's prompts, N samples, graded", style="bold"))
            with Horizontal(classes="field"):
                yield Label("Suite")
                yield Input(
                    "study",
                    id="suite-spec",
                    compact=True,
                    tooltip="'study' (the 19 prompts) or a TOML/JSONL suite file",
                )
            with Horizontal(classes="field"):
                yield Label("Endpoint")
                yield Select(
                    options,
                    value=options[0][1],
                    allow_blank=False,
                    id="suite-endpoint",
                    compact=True,
                )
            with Horizontal(classes="field", id="suite-base-url-row"):
                yield Label("Base URL")
                yield Input(
                    placeholder="http://127.0.0.1:8080/v1", id="suite-base-url", compact=True
                )
            with Horizontal(classes="field"):
                yield Label("Model id")
                yield Input(
                    "gemma" if local else "",
                    id="suite-model",
                    compact=True,
                    placeholder="as the API expects it",
                )
            with Horizontal(classes="field"):
                yield Label("Samples")
                yield Input("1", id="suite-samples", type="integer", max_length=3, compact=True)
            with Horizontal(classes="field"):
                yield Label("Only prompts")
                yield Input(
                    placeholder="ids, comma-separated; empty = all", id="suite-only", compact=True
                )
            yield ProgressBar(total=None, show_eta=True, id="suite-progress")
            yield Static("", id="suite-status")
            with Horizontal(id="suite-buttons"):
                yield Button("Start", variant="primary", id="suite-start", compact=True)
                yield Button(
                    "Cancel run", variant="error", id="suite-cancel", disabled=True, compact=True
                )
                yield Button("Close", id="suite-close", compact=True)

    def on_mount(self) -> None:
        self._sync_base_url()
        self.query_one("#suite-model", Input).focus()

    @on(Select.Changed, "#suite-endpoint")
    def _sync_base_url(self) -> None:
        choice = self.query_one("#suite-endpoint", Select).value
        self.query_one("#suite-base-url-row").display = choice == BASE_URL
        if choice == LOCAL:
            self.query_one("#suite-model", Input).value = "gemma"

    def _status(self, text: str, *, error: bool = False) -> None:
        self.query_one("#suite-status", Static).update(
            Text(text, style="bold red" if error else "")
        )

    # ---- start / cancel ----------------------------------------------------

    def _job_inputs(self) -> dict[str, Any]:
        value = lambda wid: self.query_one(wid, Input).value.strip()  # noqa: E731
        samples = value("#suite-samples")
        return {
            "spec": value("#suite-spec") or "study",
            "endpoint": self.query_one("#suite-endpoint", Select).value,
            "base_url": value("#suite-base-url"),
            "model": value("#suite-model"),
            "samples": int(samples) if samples.isdigit() else 0,
            "only": [p.strip() for p in value("#suite-only").split(",") if p.strip()],
        }

    @on(Button.Pressed, "#suite-start")
    def action_start(self) -> None:
        if self.running:
            return
        inputs = self._job_inputs()
        if not inputs["model"]:
            self._status("Give the model id the API expects.", error=True)
            return
        if inputs["samples"] < 1:
            self._status("Samples per prompt must be at least 1.", error=True)
            return
        self._set_running(True)
        self._status("starting…")
        self._run(inputs)

    @on(Button.Pressed, "#suite-cancel")
    def action_cancel_run(self) -> None:
        for worker in self.workers:
            if worker.group == "suite" and worker.is_running:
                worker.cancel()
        self._status("cancelling… finished samples are kept; start again to resume")

    @on(Button.Pressed, "#suite-close")
    def action_close(self) -> None:
        if self.running:
            self.action_cancel_run()
        self.dismiss(None)

    def action_cancel_or_close(self) -> None:
        if self.running:
            self.action_cancel_run()
        else:
            self.dismiss(None)

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.query_one("#suite-start", Button).disabled = running
        self.query_one("#suite-cancel", Button).disabled = not running

    # ---- the run (a worker: it posts messages, the handlers change widgets) ----

    @work(exclusive=True, group="suite", exit_on_error=False)
    async def _run(self, inputs: dict[str, Any]) -> None:
        import asyncio

        from tokenscope.errors import UserError
        from tokenscope.probe.endpoints import resolve
        from tokenscope.suite.progress import summary
        from tokenscope.suite.session import SuiteJob, built_in_job, execute
        from tokenscope.suite.suites import load_suite

        progress_seen: list[Progress] = []

        def on_progress(p: Progress) -> None:
            progress_seen[:] = [p]
            self.post_message(
                SuiteProgress(
                    p.done,
                    p.failed,
                    p.total,
                    p.skipped,
                    "\n".join([summary(p), *p.notes]),  # notes: e.g. going one at a time
                    p.stopped or p.last_error,
                )
            )

        try:
            suite = load_suite(inputs["spec"])
            if inputs["only"]:
                suite = suite.only(inputs["only"])
            settings = self.settings
            base_url = inputs["base_url"] if inputs["endpoint"] == BASE_URL else None
            endpoint = resolve(settings, None if base_url else inputs["endpoint"], base_url)
            # Concurrency and max tokens: the endpoint's defaults, as `tokenscope run` has them.
            if endpoint.builtin:  # the session starts and stops its server
                job = built_in_job(suite, samples=inputs["samples"])
            else:
                job = SuiteJob(
                    suite=suite,
                    model=inputs["model"],
                    label=inputs["model"],
                    endpoint=endpoint,
                    samples=inputs["samples"],
                )
            progress = await execute(job, settings, on_progress)
            self.post_message(SuiteEnded("done", summary(progress)))
        except asyncio.CancelledError:
            line = summary(progress_seen[0]) if progress_seen else "nothing ran"
            self.post_message(SuiteEnded("cancelled", line))
            raise
        except UserError as exc:
            self.post_message(SuiteEnded("error", str(exc)))
        except Exception as exc:
            self.post_message(SuiteEnded("error", f"{type(exc).__name__}: {exc}"))

    def on_suite_progress(self, message: SuiteProgress) -> None:
        bar = self.query_one("#suite-progress", ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done + message.failed)
        text = message.line + (f"\nlast error: {message.error}" if message.error else "")
        self._status(text)

    def on_suite_ended(self, message: SuiteEnded) -> None:
        self._set_running(False)
        prefix = {"done": "finished", "cancelled": "cancelled", "error": "error"}[message.status]
        self._status(f"{prefix}: {message.line}", error=message.status == "error")
        if message.status != "error":
            self.app.notify(f"Suite {prefix}: {message.line}", title="tokenscope run")

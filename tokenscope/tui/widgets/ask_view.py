"""Ask: a question to one to four models at once, streamed side by side.

One async worker runs the probes (``ProbeGroup``) and folds every event into a
``LiveBoard`` (plain data, no widgets). A frame timer on this view paints what
arrived since the last frame: text is batched per pane per frame and meters
are throttled, so the screen redraws at most ~30 times a second whatever the
token rate. Runs are saved (except replays) as each model ends, and the app's
data is reloaded so they show up in the Runs table.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Select, Static, TextArea

from tokenscope.text import literal, one_line
from tokenscope.tui.ask_models import (
    DEMO_QUESTION,
    DEMO_REPLAYS,
    MAX_MODELS,
    ExternalModel,
    LiveBoard,
    LocalModel,
    ModelChoice,
    default_selection,
    local_choice,
    replay_choice,
)
from tokenscope.tui.widgets.ask_pane import ANSWER_EVERY, ANSWER_EVERY_BURST, AskPane, meter_text
from tokenscope.tui.widgets.view import View

if TYPE_CHECKING:
    from tokenscope.probe.baseline import Baseline, LiveRatios

FPS = 15.0  # pane repaints per second while text streams; keys repaint at once
METER_EVERY = 2  # frames between meter repaints while text streams
EFFORTS = [
    ("default effort", ""),
    ("effort low", "low"),
    ("effort medium", "medium"),
    ("effort high", "high"),
]
PACES = [
    ("replay 30 tok/s", 30.0),
    ("replay 60 tok/s", 60.0),
    ("replay 150 tok/s", 150.0),
    ("replay 600 tok/s", 600.0),
]
BASE_FIXED = [
    ("baseline auto", "auto"),
    ("no baseline", "none"),
    ("knowledge domain", "domain:knowledge"),
    ("math domain", "domain:math"),
    ("logic domain", "domain:logic"),
]


@dataclass(frozen=True)
class AskSpec:
    question: str
    choices: tuple[ModelChoice, ...]
    baseline: str  # auto | none | domain:X | model:<choice id>
    effort: str | None
    pace: float
    max_tokens: int | None = None


def blank_result(key: str, model: str, status: str, error: str | None, replay: bool = False):  # type: ignore[no-untyped-def]
    """A result for a model that never got as far as a request."""
    from tokenscope.probe.events import ProbeResult

    return ProbeResult(
        key=key,
        model=model,
        endpoint="replay" if replay else "",
        endpoint_host="replay" if replay else "",
        status=status,
        error=error,
        reasoning="",
        answer="",
        tokens_prompt=None,
        tokens_completion=None,
        tokens_reasoning=None,
        tokens_answer=None,
        tokens_reasoning_reported=None,
        tokens_source="estimated",
        estimate=0.0,
        estimate_error=None,
        ttft_s=None,
        duration_s=None,
        tokens_per_s=None,
        finish_reason=None,
        provider=None,
        effort=None,
    )


class LazyProbe:
    """A probe whose making may block (starting the local model, finding a replay):
    made in a thread when streaming starts, so every pane starts at once and a
    model that cannot be made fails in its own pane."""

    def __init__(self, key: str, model: str, make: Callable[[], Any], replay: bool) -> None:
        self.key = key
        self.model = model
        self.replay = replay
        self._make = make
        self._inner: Any = None
        self._result = None

    @property
    def done(self) -> bool:
        return self._result is not None or (self._inner is not None and self._inner.done)

    async def stream(self):  # type: ignore[no-untyped-def]
        from tokenscope.probe.events import Failed

        try:
            self._inner = await asyncio.to_thread(self._make)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            message = one_line(str(exc) or type(exc).__name__, 300)
            self._result = blank_result(self.key, self.model, "failed", message, self.replay)
            yield Failed(self.key, self._result)
            return
        async for event in self._inner.stream():
            yield event

    def result(self):  # type: ignore[no-untyped-def]
        if self._inner is not None:
            return self._inner.result()
        if self._result is None:
            self._result = blank_result(
                self.key, self.model, "cancelled", "cancelled before it started", self.replay
            )
        return self._result


# The Ask actions for the command palette: (title, help, action name on AskView).
ASK_COMMANDS: list[tuple[str, str, str]] = [
    ("Ask: send the question", "Ask the chosen models (ctrl+s)", "send"),
    ("Ask: cancel every stream", "Stop all models (escape)", "cancel"),
    ("Ask: retry", "Ask the last question again (r)", "retry"),
    ("Ask: choose models", "One to four models side by side (ctrl+n, or m)", "pick_models"),
    ("Ask: a study prompt", "Put one of the study's prompts in the box (p)", "pick_prompt"),
    ("Ask: copy the answer", "Copy the focused pane's answer (c)", "copy"),
    ("Ask: open the run", "Open the focused pane's run in Run detail (o)", "open_run"),
]


class AskView(View):
    """The live pane."""

    title = "Ask"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s,ctrl+enter,ctrl+j",
            "send",
            "Send",
            id="ask.send",
            tooltip="Ask the chosen models",
        ),
        Binding(
            "enter",
            "send",
            "Send",
            id="ask.send_enter",
            show=False,
            tooltip="Send, from outside the question box (inside it, enter starts a new line)",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="ask.cancel",
            tooltip="Stop every stream (partial runs are saved as cancelled; replays never are)",
        ),
        Binding("r", "retry", "Retry", id="ask.retry", tooltip="Ask the last question again"),
        Binding("c", "copy", "Copy", id="ask.copy", tooltip="Copy the focused pane's answer"),
        Binding(
            "o",
            "open_run",
            "Open",
            id="ask.open",
            tooltip="Open the focused pane's run in Run detail",
        ),
        Binding("m", "pick_models", "Models", id="ask.models", tooltip="Choose one to four models"),
        # The same from inside the question box, where m is a letter.
        Binding(
            "ctrl+n",
            "pick_models",
            "Models",
            id="ask.models_ctrl",
            tooltip="Choose one to four models",
        ),
        Binding(
            "p",
            "pick_prompt",
            "Study prompt",
            id="ask.prompt",
            show=False,
            tooltip="Ask one of the study's prompts",
        ),
        Binding(
            "h",
            "toggle_reasoning",
            "Reasoning",
            id="ask.reasoning",
            show=False,
            tooltip="Show or hide reasoning",
        ),
        Binding("i", "edit", "Question", id="ask.edit", show=False, tooltip="Edit the question"),
    ]

    class Saved(Message):
        """A run was stored; the handler reloads the data so the Runs table shows it."""

    class Ended(Message):
        """Every model of an ask has ended and the screen shows it (tests wait on this)."""

        def __init__(self, board: LiveBoard) -> None:
            super().__init__()
            self.board = board

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.choices: dict[str, ModelChoice] = {}
        self.selected: list[str] = []
        self.user_chose = False  # until then the selection follows default_selection
        self.local: LocalModel | ExternalModel = LocalModel()
        self.settings: Any = None
        self.searching = False
        self.discovered = False
        # Injected by tests and the snapshots: the clocks and the replay's sleep.
        self.clock: Callable[[], float] = time.perf_counter
        self.replay_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self.replay_clock: Callable[[], float] = time.perf_counter
        self.max_tokens: int | None = None
        self.local_max_tokens = 256
        self.board: LiveBoard | None = None
        self.ratios: LiveRatios | None = None
        self.baseline: Baseline | None = None
        self.prices: dict[str, float | None] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self.last: AskSpec | None = None
        self.queued: AskSpec | None = None
        self.frames = 0
        self._group: Any = None
        self._panes: dict[str, AskPane] = {}
        self._frame_timer: Any = None
        self._frame_count = 0
        self._answer_flushed = 0.0
        self._painting = False
        self._paint_again = False
        self._bundled: Any = None
        self._reload_timer: Any = None
        self._set_choices([local_choice(), *(replay_choice(m) for m in DEMO_REPLAYS)])

    # ---- layout --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="ask-form"):
            yield TextArea(
                DEMO_QUESTION,
                id="ask-question",
                soft_wrap=True,
                compact=True,
                placeholder="Ask a question (ctrl+s sends)",
            )
            with Horizontal(id="ask-options"):
                yield Button("Models…", id="ask-models-button", compact=True)
                yield Select(
                    BASE_FIXED, value="auto", allow_blank=False, compact=True, id="ask-baseline"
                )
                yield Select(EFFORTS, value="", allow_blank=False, compact=True, id="ask-effort")
                yield Select(PACES, value=60.0, allow_blank=False, compact=True, id="ask-pace")
                yield Button("Send", id="ask-send", variant="primary", compact=True)
            yield Static(id="ask-models", classes="status-line")
            yield Static(id="ask-baseline-line", classes="status-line")
        with Container(id="ask-panes"):
            yield Static(
                "Ask any question; ctrl+s sends it. ctrl+n (or m) chooses up to four models: "
                "your endpoints, "
                "servers on this machine, the built-in Gemma model, and replays of the study (the "
                "offline demo: no key, no network). escape stops; r retries; c copies; "
                "o opens the run.",
                id="ask-hint",
            )

    def on_mount(self) -> None:
        self._show_models()
        self.query_one("#ask-baseline-line", Static).update(
            Text(
                "baseline: auto (a study prompt's reference mean when the question is one)",
                style="dim",
            )
        )

    def on_unmount(self) -> None:
        self.local.stop()

    # ---- View protocol: this tab does not use the dataset --------------------

    def set_data(self, ds, filters) -> None:  # type: ignore[no-untyped-def]
        self.ds, self.filters = ds, filters
        self.stale = False
        self.loaded = True

    def activate(self) -> None:
        self.active = True
        self.loaded = True
        self.stale = False
        if not self.discovered and self._ready:
            self.discovered = True
            self.discover()

    def focus_main(self) -> None:
        if self.board is not None and self._panes:
            next(iter(self._panes.values())).focus()
        else:
            self.query_one("#ask-question", TextArea).focus()

    # ---- the model list ------------------------------------------------------

    @work(exclusive=True, group="ask-discover", exit_on_error=False)
    async def discover(self) -> None:
        """Configured models, replays and the local model; then servers on the usual local ports."""
        from tokenscope.tui.ask_models import (
            configured_choices,
            discover_local_servers,
            replay_models,
        )

        self.searching = True
        problems = []
        try:
            from tokenscope.config import ConfigError, load_settings

            try:
                self.settings = await asyncio.to_thread(load_settings)
            except ConfigError as exc:
                if str(exc) != getattr(self.app, "config_warning", None):  # not said already
                    problems.append(str(exc))
                from tokenscope.config import Settings

                self.settings = Settings()
            configured = configured_choices(self.settings)
            replays = await asyncio.to_thread(replay_models)
            self._set_choices([local_choice(), *configured, *(replay_choice(m) for m in replays)])
            servers = await discover_local_servers()
            self._set_choices(
                [local_choice(), *configured, *servers, *(replay_choice(m) for m in replays)]
            )
        finally:
            self.searching = False
        if problems:
            self.notify("\n".join(problems), title="Config", severity="warning", timeout=8)

    def _set_choices(self, choices: list[ModelChoice]) -> None:
        self.choices = {c.id: c for c in choices}
        kept = [s for s in self.selected if s in self.choices]
        self.selected = kept if self.user_chose and kept else default_selection(choices)
        self._show_models()

    def set_models(self, ids: list[str]) -> None:
        unknown = [i for i in ids if i not in self.choices]
        if unknown:
            raise KeyError(f"unknown model choice(s): {unknown}")
        self.selected = list(ids)[:MAX_MODELS]
        self.user_chose = True
        self._show_models()

    def add_choice(self, choice: ModelChoice) -> None:
        self.choices[choice.id] = choice

    def _show_models(self) -> None:
        if not self.is_mounted:
            return
        names = [self.choices[i].label for i in self.selected if i in self.choices]
        line = Text("models: ", style="dim")
        line.append(literal(" · ".join(names) or "none chosen", keep_newlines=False), style="bold")
        line.append("  (ctrl+n to change)", style="dim")
        self.query_one("#ask-models", Static).update(line)
        base = self.query_one("#ask-baseline", Select)
        value = base.value
        options = BASE_FIXED + [
            (f"baseline {self.choices[i].label}", f"model:{i}") for i in self.selected
        ]
        base.set_options(options)
        base.value = value if any(v == value for _, v in options) else "auto"

    def action_pick_models(self) -> None:
        from tokenscope.tui.screens.ask_dialogs import ModelPickerScreen

        def chosen(ids: list[str] | None) -> None:
            if ids:
                self.set_models(ids)

        self.app.push_screen(
            ModelPickerScreen(list(self.choices.values()), self.selected, self.searching), chosen
        )

    @on(Button.Pressed, "#ask-models-button")
    def _models_button(self) -> None:
        self.action_pick_models()

    @on(Button.Pressed, "#ask-send")
    def _send_button(self) -> None:
        self.action_send()

    def action_pick_prompt(self) -> None:
        self._pick_prompt()

    @work(exclusive=True, group="ask-prompts", exit_on_error=False)
    async def _pick_prompt(self) -> None:
        from tokenscope.tui.ask_models import study_prompts
        from tokenscope.tui.screens.pickers import PickerScreen

        prompts = await asyncio.to_thread(study_prompts)

        def chosen(value: str | None) -> None:
            if value:
                text = dict(prompts)[value]
                self.query_one("#ask-question", TextArea).text = text

        self.app.push_screen(
            PickerScreen("Study prompt", [(pid, f"{pid}: {t}") for pid, t in prompts]), chosen
        )

    def action_edit(self) -> None:
        self.query_one("#ask-question", TextArea).focus()

    # ---- asking --------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.board is not None and not self.board.done

    def current_spec(self) -> AskSpec | None:
        question = self.query_one("#ask-question", TextArea).text.strip()
        if not question:
            self.notify("Type a question first.", severity="warning")
            return None
        choices = tuple(self.choices[i] for i in self.selected if i in self.choices)
        if not choices:
            self.notify("Choose a model first (m).", severity="warning")
            return None
        base = self.query_one("#ask-baseline", Select).value
        effort = self.query_one("#ask-effort", Select).value
        pace = self.query_one("#ask-pace", Select).value
        return AskSpec(
            question,
            choices,
            str(base),
            str(effort) or None,
            float(pace),  # type: ignore[arg-type]
            self.max_tokens,
        )

    def action_send(self) -> None:
        spec = self.current_spec()
        if spec is None:
            return
        if not self.running:
            self.start(spec)
            return
        from tokenscope.tui.screens.ask_dialogs import BusyScreen

        def decided(what: str | None) -> None:
            if what == "cancel":
                self.queued = spec
                self.action_cancel(keep_queue=True)
            elif what == "queue":
                self.queued = spec
                self.notify("Queued: it goes out when the running models finish.", timeout=4)

        self.app.push_screen(BusyScreen(), decided)

    def action_retry(self) -> None:
        if self.last is None:
            self.action_send()
        elif self.running:
            self.notify("Still streaming: escape stops it first.", severity="warning")
        else:
            self.start(self.last)

    def action_cancel(self, keep_queue: bool = False) -> None:
        if not keep_queue:
            self.queued = None
        if not self.running:
            # Escape leaves the question box, so the single-key bindings work.
            if self.app.focused is self.query_one("#ask-question", TextArea):
                if self._panes:
                    next(iter(self._panes.values())).focus()
                else:
                    self.query_one("#ask-send", Button).focus()
            return
        if self._group is not None:
            self._group.cancel()
        assert self.board is not None
        for state in self.board.panes.values():
            if not state.finished:
                state.message = "cancelling…"
                state.dirty = True

    def start(self, spec: AskSpec) -> None:
        from tokenscope.probe.baseline import NO_BASELINE, LiveRatios

        self.last = spec
        keys = [c.label for c in spec.choices]
        board = LiveBoard(keys, clock=self.clock)
        for c in spec.choices:
            state = board.panes[c.label]
            state.replay = c.is_replay
            if c.kind == "local" and not self.local.running:
                state.status, state.message = "starting", "starting the local model…"
        self.board = board
        self.baseline = None
        self.ratios = LiveRatios(NO_BASELINE)
        self.prices = {}
        self.records = {}
        self._mount_panes(spec)
        self.query_one("#ask-form").add_class("-asked")
        self.query_one("#ask-baseline-line", Static).update(
            Text("baseline: resolving…", style="dim")
        )
        if self._frame_timer is None:
            self._frame_timer = self.set_interval(1 / FPS, self._paint_frame)
        self._stream_worker(spec, board)

    def _mount_panes(self, spec: AskSpec) -> None:
        panes = self.query_one("#ask-panes", Container)
        panes.remove_children()
        self._panes = {}
        n = len(spec.choices)
        columns = n if n <= 2 or self.size.width >= 120 else 2
        panes.styles.grid_size_columns = columns
        panes.styles.grid_size_rows = 1 if n <= columns else 2
        new = []
        for i, c in enumerate(spec.choices):
            pane = AskPane(c.label, i)
            self._panes[c.label] = pane
            new.append(pane)
        panes.mount_all(new)
        new[0].focus()

    def _make_probe(self, spec: AskSpec, choice: ModelChoice):  # type: ignore[no-untyped-def]
        """Runs in a thread: whatever making this model's probe needs."""
        from tokenscope.probe.engine import Probe
        from tokenscope.probe.request import ProbeRequest

        if choice.is_replay:
            from tokenscope.probe.baseline import match_prompt
            from tokenscope.probe.replay import ReplayProbe, find_run

            runs, prompts, models, _ = self._bundle()
            matched = match_prompt(spec.question, prompts)
            try:
                run = find_run(choice.model, matched[0] if matched else spec.question, runs=runs)
            except Exception as exc:
                if not matched:
                    raise RuntimeError(
                        f"{exc}: a replay needs one of the study's prompts (p picks one)"
                    ) from None
                raise
            shown = models.filter(models["model"] == choice.model)["full_cot"]
            run["full_cot"] = bool(shown[0]) if len(shown) else True
            return ReplayProbe(
                run, spec.pace, label=choice.label, sleep=self.replay_sleep, clock=self.replay_clock
            )
        settings = self.settings
        if settings is None:
            from tokenscope.config import Settings

            settings = Settings()
        endpoint = choice.endpoint
        max_tokens = spec.max_tokens
        if choice.kind == "local":
            from tokenscope.probe import local_model
            from tokenscope.probe.endpoints import ad_hoc

            if not local_model.available():
                raise RuntimeError(f"the local model is not installed: {local_model.INSTALL_HINT}")
            endpoint = ad_hoc(self.local.url())
            max_tokens = max_tokens or self.local_max_tokens
        assert endpoint is not None
        request = ProbeRequest(
            endpoint,
            choice.model,
            spec.question,
            label=choice.label,
            effort=spec.effort or choice.effort,
            max_tokens=max_tokens,
            implied_think=choice.implied_think,
        )
        return Probe(request, settings)

    def _bundle(self):  # type: ignore[no-untyped-def]
        if self._bundled is None:
            from tokenscope.data.loader import load_bundled

            self._bundled = load_bundled()
        return self._bundled

    def _ask_context(self, spec: AskSpec):  # type: ignore[no-untyped-def]
        """Runs in a thread: the baseline and each model's price."""
        from tokenscope.data.loader import LoadError
        from tokenscope.probe import baseline as baselines
        from tokenscope.probe.results import find_price

        base = spec.baseline
        try:
            if base.startswith("model:"):
                key = self.choices[base[6:]].label if base[6:] in self.choices else None
                resolved = baselines.resolve(spec.question, choice="model", baseline_key=key)
            elif base.startswith("domain:"):
                resolved = baselines.resolve(spec.question, domain=base[7:])
            else:
                resolved = baselines.resolve(spec.question, choice=base)
        except (ValueError, LoadError) as exc:
            resolved = baselines.Baseline("none", f"no baseline: {exc}")
        try:
            _runs, _prompts, models, prices = self._bundle()
            bundled = (models, prices)
        except LoadError:
            bundled = None
        user = getattr(self.settings, "prices", None) or {}
        price_per_token: dict[str, float | None] = {}
        for c in spec.choices:
            price = find_price(c.model, user, bundled) or find_price(c.label, user, bundled)
            price_per_token[c.label] = price.completion / 1e6 if price is not None else None
        return resolved, price_per_token

    @work(group="ask", exit_on_error=False)
    async def _stream_worker(self, spec: AskSpec, board: LiveBoard) -> None:
        from tokenscope.probe.engine import ProbeGroup
        from tokenscope.probe.events import TERMINAL

        context = asyncio.ensure_future(asyncio.to_thread(self._ask_context, spec))
        context.add_done_callback(lambda task: self._context_ready(task, board))
        probes = [
            LazyProbe(c.label, c.model, lambda c=c: self._make_probe(spec, c), c.is_replay)
            for c in spec.choices
        ]
        group = ProbeGroup(probes)  # type: ignore[arg-type]
        self._group = group
        ratios = self.ratios
        saving: list[asyncio.Task[None]] = []
        try:
            async for event in group.events():
                board.push(event)
                if ratios is not None:
                    ratios.update(event)
                if isinstance(event, TERMINAL):
                    # An ended (or cancelled) pane says so now, not at the next frame.
                    self.call_later(self._paint_frame)
                    result = event.result
                    if ratios is not None:
                        ratios.set_final(event.key, result.tokens_completion, result.tokens_source)
                    # Saved beside the stream: the other panes' events keep flowing.
                    saving.append(
                        asyncio.create_task(self._store_run(spec, result, board, context))
                    )
            await asyncio.gather(*saving, return_exceptions=True)
        finally:
            if self._group is group:  # a cancelled ask ends after its replacement began
                self._group = None
            for key, state in board.panes.items():
                if not state.finished:  # the worker itself was cancelled (the app is closing)
                    board.fail(key, "stopped")

    def _context_ready(self, task: asyncio.Future, board: LiveBoard) -> None:
        board.context_settled = True  # an ask ends only once its meters can show the baseline
        if task.cancelled() or task.exception() is not None or board is not self.board:
            return
        resolved, prices = task.result()
        self.baseline = resolved
        self.prices = prices
        if self.ratios is not None:
            self.ratios.baseline = resolved
        line = Text("baseline: ", style="dim")
        if resolved.source == "none":
            line.append(literal(resolved.description, keep_newlines=False))
        else:
            tokens = f"{resolved.tokens:,.0f} tokens · " if resolved.tokens else ""
            line.append(tokens, style="bold")
            line.append(literal(resolved.description, keep_newlines=False))
        self.query_one("#ask-baseline-line", Static).update(line)
        for state in board.panes.values():
            state.dirty = True

    async def _store_run(
        self, spec: AskSpec, result, board: LiveBoard, context: asyncio.Future
    ) -> None:  # type: ignore[no-untyped-def]
        """Store one ended model's run (never a replay) and keep a record for Run detail."""
        from tokenscope.probe import results as records
        from tokenscope.suite.grading import grade_asked_run

        try:
            baseline, prices = await context
        except Exception:
            baseline, prices = None, {}
        per_token = prices.get(result.key)
        cost = (
            result.tokens_completion * per_token if per_token and result.tokens_completion else None
        )
        state = board.panes.get(result.key)
        replay = state is not None and state.replay
        record = records.to_run(result, question=spec.question, baseline=baseline, cost=cost)
        record["tokens_reasoning"] = result.tokens_reasoning
        record["tokens_answer"] = result.tokens_answer
        if replay:
            record["source"] = "replay"
            record["endpoint"] = "replay"
            await asyncio.to_thread(grade_asked_run, record)  # for Run detail; never saved
        else:

            def grade_and_save() -> None:
                grade_asked_run(record)
                records.save(record)

            try:
                await asyncio.to_thread(grade_and_save)
            except OSError as exc:
                if state is not None:
                    state.message = f"not saved: {exc}"
                    state.dirty = True
            else:
                self.post_message(self.Saved())
        self.records[result.key] = record

    # ---- painting ------------------------------------------------------------

    async def _paint_frame(self) -> None:
        # The frame timer and an early frame for a pane that just ended may meet: one
        # paints, and paints once more if asked to meanwhile.
        if self._painting:
            self._paint_again = True
            return
        self._painting = True
        try:
            self._paint_again = True
            while self._paint_again:
                self._paint_again = False
                await self._paint_board()
        finally:
            self._painting = False

    async def _paint_board(self) -> None:
        board = self.board
        if board is None:
            return
        self._frame_count += 1
        meters = self._frame_count % METER_EVERY == 0
        ratios = self.ratios
        base_tokens = ratios.baseline_tokens() if ratios is not None else None
        has_baseline = self.baseline is not None and self.baseline.source != "none"
        now = self.clock()
        # Every pane appends its answer in the same frame: one layout pass for all of them.
        every = (
            ANSWER_EVERY_BURST if any(p.bursting for p in self._panes.values()) else ANSWER_EVERY
        )
        flush = time.monotonic() - self._answer_flushed >= every
        if flush:
            self._answer_flushed = time.monotonic()
        painted = False
        for key, state in board.panes.items():
            pane = self._panes.get(key)
            if pane is None or not pane.is_mounted:
                continue
            pending = bool(
                state.reasoning or state.answer or state.moved is not None or pane.has_pending
            )
            live = not state.finished and state.status != "waiting"
            if not (pending or state.dirty or (meters and live)):
                continue
            meter = None
            if (state.dirty and (meters or state.finished)) or (meters and live):
                ratio = ratios.ratio(key) if ratios is not None and has_baseline else None
                meter = meter_text(
                    state,
                    now=now,
                    ratio=ratio,
                    baseline_tokens=base_tokens if has_baseline else None,
                    price_per_token=self.prices.get(key),
                )
                state.dirty = False
            await pane.paint(state, meter, flush)
            painted = True
        if painted:
            self.frames += 1
        if (
            board.done
            and board.context_settled
            and not board.closed
            and not any(s.dirty or s.reasoning or s.answer for s in board.panes.values())
        ):
            await self._ended(board)

    async def _ended(self, board: LiveBoard) -> None:
        # Called by the frame timer: stopping it cancels this very call at its next
        # await, so it is stopped last.
        board.closed = True
        timer, self._frame_timer = self._frame_timer, None
        for pane in self._panes.values():
            await pane.finish()
        self.post_message(self.Ended(board))
        if self.queued is not None:
            spec, self.queued = self.queued, None
            self.start(spec)
        if timer is not None:
            timer.stop()

    def on_ask_view_saved(self, message: AskView.Saved) -> None:
        message.stop()
        # Several models may end together: one reload for them all.
        if self._reload_timer is not None:
            self._reload_timer.stop()
        self._reload_timer = self.set_timer(0.2, self.app.action_reload)  # type: ignore[attr-defined]

    # ---- pane actions --------------------------------------------------------

    def _focused_key(self) -> str | None:
        focused = self.app.focused
        while focused is not None and not isinstance(focused, AskPane):
            focused = focused.parent  # type: ignore[assignment]
        if isinstance(focused, AskPane):
            return focused.key
        return next(iter(self._panes), None)

    def action_copy(self) -> None:
        key = self._focused_key()
        if key is None or self.board is None:
            return
        answer = self.board.panes[key].answer_so_far
        if not answer:
            self.notify("No answer yet.", severity="warning")
            return
        self.app.copy_to_clipboard(answer)
        self.notify(
            f"Copied the answer of {one_line(key, 40)} ({len(answer):,} characters).", timeout=3
        )

    def action_open_run(self) -> None:
        from tokenscope.tui.screens.run_detail import RunDetailScreen

        key = self._focused_key()
        record = self.records.get(key) if key else None
        if record is None:
            self.notify("That model has not finished yet.", severity="warning")
            return
        if record.get("source") == "replay" or getattr(self.app, "ds", None) is None:
            self.app.push_screen(RunDetailScreen(record))
        else:
            self._open_saved(record)

    @work(thread=True, exclusive=True, group="ask-open", exit_on_error=False)
    def _open_saved(self, record: dict[str, Any]) -> None:
        """A saved run as the Runs table shows it (reasoning method, criteria, price band),
        once the reload has it; until then the record the pane kept."""
        from tokenscope.tui.explorer import run_record
        from tokenscope.tui.screens.run_detail import RunDetailScreen

        full = run_record(self.app.ds, record["run_id"])  # type: ignore[attr-defined]
        self.app.call_from_thread(self.app.push_screen, RunDetailScreen(full or record))

    def action_toggle_reasoning(self) -> None:
        key = self._focused_key()
        if key is not None and key in self._panes:
            self._panes[key].toggle_reasoning()

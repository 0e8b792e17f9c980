"""Ask: a question to one to four models at once, streamed side by side.

The view only collects the question and paints. The asking (probes, SSE decoding,
counting, baseline, prices, grading, saving) is an ``AskSession``, as for
``tokenscope ask``, run by a ``LiveAsk`` on a thread of its own: the view receives one
frame per screen refresh at most (per pane: the text that arrived and the state now),
folds it into its ``LiveBoard`` copy and paints the panes that can be seen. Saved runs
make the app reload its data so they show up in the Runs table.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Select, Static, TextArea

from tokenscope.ask.board import LiveBoard
from tokenscope.ask.models import (
    DEMO_QUESTION,
    DEMO_REPLAYS,
    MAX_MODELS,
    LocalModel,
    LocalServer,
    ModelChoice,
    default_selection,
    local_choice,
    replay_choice,
)
from tokenscope.text import literal, one_line
from tokenscope.tui.views.base import View
from tokenscope.tui.widgets.ask_layout import AskPanes
from tokenscope.tui.widgets.ask_pane import (
    ANSWER_EVERY,
    ANSWER_EVERY_BURST,
    AskPane,
    MeterFigures,
)

if TYPE_CHECKING:
    from tokenscope.ask.live import LiveAsk, LiveFrame
    from tokenscope.ask.session import AskJob, StudyTables
    from tokenscope.config import Settings
    from tokenscope.probe.baseline import Baseline
    from tokenscope.tui.app import TokenscopeApp

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
        Binding(
            "i",
            "edit",
            "Question",
            id="ask.edit",
            # Off the footer, where ? Help would fall off an 80-column screen; the hint
            # under the form says it, and a click in the box does the same.
            show=False,
            tooltip="Type a question (the example is replaced by the first key)",
        ),
    ]

    class Saved(Message):
        """A run was stored; the handler reloads the data so the Runs table shows it."""

    class Ended(Message):
        """Every model of an ask has ended and the screen shows it (tests wait on this)."""

        def __init__(self, board: LiveBoard) -> None:
            super().__init__()
            self.board = board

    class Frame(Message):
        """One frame of a running ask, from its own thread (tokenscope.ask.live)."""

        def __init__(self, live: LiveAsk, frame: LiveFrame) -> None:
            super().__init__()
            self.live = live
            self.frame = frame

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.choices: dict[str, ModelChoice] = {}
        self.selected: list[str] = []
        self.user_chose = False  # until then the selection follows default_selection
        self.local: LocalServer = LocalModel()
        self.settings: Settings | None = None  # the app's; given by set_settings
        self.searching = False
        self.discovered = False
        # Injected by tests and the snapshots: the clocks and the replay's sleep.
        self.clock: Callable[[], float] = time.perf_counter
        self.replay_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self.replay_clock: Callable[[], float] = time.perf_counter
        self.max_tokens: int | None = None
        self.local_max_tokens = 256
        # The running (or last) ask: its thread, the panes' state as painted, its baseline.
        self.live: LiveAsk | None = None
        self.board: LiveBoard | None = None
        self.baseline: Baseline | None = None
        self.records: dict[str, dict[str, Any]] = {}
        self.last: AskJob | None = None
        self.queued: AskJob | None = None
        self.frames = 0  # frames painted
        self.updates = 0  # pane updates received (one per pane per frame at most)
        self._panes: dict[str, AskPane] = {}
        self._unpainted = False  # frames arrived while the panes were out of sight
        self._answer_flushed = 0.0
        self._study: StudyTables | None = None
        self._reload_timer: Any = None
        self._prefilled: str | None = DEMO_QUESTION  # replaced whole by the first key typed
        self._set_choices([local_choice(), *(replay_choice(m) for m in DEMO_REPLAYS)])

    @property
    def tokenscope(self) -> TokenscopeApp:
        return cast("TokenscopeApp", self.app)

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
        with AskPanes(id="ask-panes"):
            yield Static(
                "Ask any question: i (or a click) edits it, ctrl+s sends it. m (ctrl+n in the "
                "box) chooses up to four models: your endpoints, servers on this machine, the "
                "built-in Gemma model, and replays of the study (the offline demo: no key, no "
                "network). escape stops; r retries; c copies; o opens the run.",
                id="ask-hint",
            )

    def on_mount(self) -> None:
        if self.settings is None:
            self.settings = self.tokenscope.settings
        self._show_models()
        self.query_one("#ask-baseline-line", Static).update(
            Text(
                "baseline: auto (a study prompt's reference mean when the question is one)",
                style="dim",
            )
        )

    def on_unmount(self) -> None:
        if self.live is not None:
            self.live.close()  # a cancelled ask stores its partial runs before the app exits
        self.local.stop()

    # ---- View protocol: this tab does not use the dataset --------------------

    def set_data(self, ds, filters) -> None:
        self.ds, self.filters = ds, filters
        self.stale = False
        self.loaded = True

    def activate(self) -> None:
        self.active = True
        self.loaded = True
        self.stale = False
        if not self.discovered and self._ready and self.settings is not None:
            self.discovered = True
            self.discover()

    def set_settings(self, settings: Settings) -> None:
        """The app's settings, at startup and whenever the config file changes: the
        configured models are listed again, and the next ask uses them."""
        self.settings = settings
        if self.discovered:
            self.discover()
        elif self.active:
            self.activate()

    def focus_main(self) -> None:
        # Never the question box: its letters would swallow the footer's keys. i or a
        # click edits the question.
        if self.board is not None and self._panes:
            next(iter(self._panes.values())).focus()
        else:
            self.query_one("#ask-send", Button).focus()

    def on_descendant_focus(self, event: Any) -> None:
        question = self.query_one("#ask-question", TextArea)
        if event.widget is question and question.text == self._prefilled:
            # A question the user did not type: the first key replaces it.
            question.select_all()

    # ---- the model list ------------------------------------------------------

    @work(exclusive=True, group="ask-discover", exit_on_error=False)
    async def discover(self) -> None:
        """Configured models, replays and the local model; then servers on the usual local ports."""
        from tokenscope.ask.models import configured_choices, discover_local_servers, replay_models

        self.searching = True
        try:
            configured = configured_choices(self.settings) if self.settings is not None else []
            replays = await asyncio.to_thread(replay_models)
            self._set_choices([local_choice(), *configured, *(replay_choice(m) for m in replays)])
            # On a thread with its own loop: the HTTP client's certificates take a quarter
            # of a second to load, which would freeze the screen.
            servers = await asyncio.to_thread(lambda: asyncio.run(discover_local_servers()))
            self._set_choices(
                [local_choice(), *configured, *servers, *(replay_choice(m) for m in replays)]
            )
        finally:
            self.searching = False

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
        self._fold_models_line()
        base = self.query_one("#ask-baseline", Select)
        value = base.value
        options = BASE_FIXED + [
            (f"baseline {self.choices[i].label}", f"model:{i}") for i in self.selected
        ]
        base.set_options(options)
        base.value = value if any(v == value for _, v in options) else "auto"

    def _fold_models_line(self) -> None:
        """Once panes are up their titles name the models: the models line shows again
        only when the next ask would go to others."""
        names = [self.choices[i].label for i in self.selected if i in self.choices]
        shown = list(self.board.panes) if self.board is not None else None
        self.query_one("#ask-form").set_class(shown == names, "-models-shown")

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
        from tokenscope.ask.models import study_prompts
        from tokenscope.tui.screens.pickers import PickerScreen

        prompts = await asyncio.to_thread(study_prompts)

        def chosen(value: str | None) -> None:
            if value:
                text = dict(prompts)[value]
                self.query_one("#ask-question", TextArea).text = text
                self._prefilled = text

        self.app.push_screen(
            PickerScreen("Study prompt", [(pid, f"{pid}: {t}") for pid, t in prompts]), chosen
        )

    def action_edit(self) -> None:
        self.query_one("#ask-question", TextArea).focus()

    # ---- asking --------------------------------------------------------------

    @property
    def running(self) -> bool:
        """An ask is on screen and has not ended (its last frame is not painted yet)."""
        return self.board is not None and not self.board.closed

    def current_job(self) -> AskJob | None:
        """The form as an ask, or None (and a word to the user) when it is not one yet."""
        from tokenscope.ask.session import AskJob

        question = self.query_one("#ask-question", TextArea).text.strip()
        if not question:
            self.notify("Type a question first.", severity="warning")
            return None
        choices = tuple(self.choices[i] for i in self.selected if i in self.choices)
        if not choices:
            self.notify("Choose a model first (m).", severity="warning")
            return None
        baseline = str(self.query_one("#ask-baseline", Select).value)
        if baseline.startswith("model:"):
            # The picker names the baseline model by its choice; the session by its label.
            chosen = self.choices.get(baseline.removeprefix("model:"))
            baseline = f"model:{chosen.label}" if chosen is not None else "auto"
        effort = self.query_one("#ask-effort", Select).value
        pace = self.query_one("#ask-pace", Select).value
        return AskJob(
            question,
            choices,
            baseline=baseline,
            effort=str(effort) or None,
            max_tokens=self.max_tokens,
            pace=float(pace),  # type: ignore[arg-type]  # a Select of floats
        )

    def action_send(self) -> None:
        job = self.current_job()
        if job is None:
            return
        if not self.running:
            self.start(job)
            return
        from tokenscope.tui.screens.ask_dialogs import BusyScreen

        def decided(what: str | None) -> None:
            if what not in ("cancel", "queue"):
                return
            if not self.running:
                # The models finished while the dialog was open: nothing to wait for.
                self.queued = None
                self.start(job)
            elif what == "cancel":
                self.queued = job
                self.action_cancel(keep_queue=True)
            else:
                self.queued = job
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
                self.focus_main()
            return
        if self.live is not None and self.board is not None:
            self.live.cancel()
            # Said at once, without waiting for the ask's thread (it sends the ends).
            keys = []
            for key, state in self.board.panes.items():
                if not state.finished:
                    state.message, state.dirty = "cancelling…", True
                    keys.append(key)
            self.call_next(self._paint, keys, True, False)

    def start(self, job: AskJob) -> None:
        from tokenscope.ask.live import LiveAsk
        from tokenscope.ask.session import StudyTables
        from tokenscope.config import Settings

        self.last = job
        # What exists at the first ask (the app, its tables, its widgets) lives on: the
        # collector skips it from then on, so a full collection during a stream scans only
        # what came after (otherwise a pause of a tenth of a second now and then).
        if not gc.get_freeze_count():
            gc.freeze()
        if self._study is None:
            self._study = StudyTables()  # read once, shared by every ask of this view
        live = LiveAsk(
            job,
            self.settings or Settings(),
            lambda frame: None,
            clock=self.clock,
            study=self._study,
            local=self.local,
            local_max_tokens=self.local_max_tokens,
            replay_sleep=self.replay_sleep,
            replay_clock=self.replay_clock,
        )
        live.deliver = lambda frame: self.post_message(self.Frame(live, frame))
        board = LiveBoard.for_models(job.models, local_running=self.local.running, clock=self.clock)
        self.board, self.live, self.baseline = board, live, None
        self.records = {}
        self._mount_panes(job)
        self.query_one("#ask-form").add_class("-asked")
        self._fold_models_line()
        self.query_one("#ask-baseline-line", Static).update(
            Text("baseline: resolving…", style="dim")
        )
        live.start()

    def _mount_panes(self, job: AskJob) -> None:
        panes = self.query_one(AskPanes)
        panes.remove_children()
        self._panes = {}
        new = []
        for i, c in enumerate(job.models):
            pane = AskPane(c.label, i)
            self._panes[c.label] = pane
            new.append(pane)
        panes.mount_all(new)
        panes.grid = None
        panes.arrange_panes()
        new[0].focus()

    async def on_ask_view_frame(self, message: AskView.Frame) -> None:
        """One frame of an ask: fold it into the panes' state, paint what is on screen."""
        message.stop()
        live, frame = message.live, message.frame
        try:
            if live is not self.live or self.board is None or self.board.closed:
                return  # an ask this view has moved on from: nothing to paint
            board = self.board
            for key, news in frame.panes.items():
                if key in board.panes:
                    board.panes[key].merge(news)
            if frame.baseline is not None:
                self.baseline = frame.baseline
                self._show_baseline(frame.baseline)
            for stored in frame.stored:
                self.records[stored.key] = stored.record
                if stored.run_id is not None:
                    self.post_message(self.Saved())
            self.updates += len(frame.panes)
            if frame.done or self._on_screen():
                # What was gathered while hidden is painted with the first frame shown.
                keys = list(board.panes) if self._unpainted or frame.done else list(frame.panes)
                self._unpainted = False
                await self._paint(keys, frame.meters, text=not frame.urgent)
            else:
                self._unpainted = True
            if frame.done:
                await self._ended(board)
        finally:
            # The next frame goes out only once this one is on screen.
            self.call_after_refresh(live.painted)

    def _on_screen(self) -> bool:
        """The panes can be seen: this tab is shown, under nothing but a dialog."""
        from textual.screen import ModalScreen

        if not self.active or not self.display:
            return False
        screen = self.app.screen
        return screen is self.screen or (
            isinstance(screen, ModalScreen) and self.screen in self.app.screen_stack
        )

    def _show_baseline(self, baseline: Baseline) -> None:
        line = Text("baseline: ", style="dim")
        if baseline.source == "none":
            line.append(literal(baseline.description, keep_newlines=False))
        else:
            tokens = f"{baseline.tokens:,.0f} tokens · " if baseline.tokens else ""
            line.append(tokens, style="bold")
            line.append(literal(baseline.description, keep_newlines=False))
        self.query_one("#ask-baseline-line", Static).update(line)

    # ---- painting ------------------------------------------------------------

    async def _paint(self, keys: list[str], meters: bool, text: bool = True) -> None:
        """Paint the panes of ``keys`` (and any holding back answer text): their new text,
        and their meters on a meter frame or once they ended. Without ``text`` (a
        cancel or an ending, to be shown at once) the answer waits for the next frame."""
        board = self.board
        if board is None:
            return
        now = self.clock()
        # Every pane appends its answer in the same frame: one layout pass for all of them.
        every = (
            ANSWER_EVERY_BURST if any(p.bursting for p in self._panes.values()) else ANSWER_EVERY
        )
        flush = text and time.monotonic() - self._answer_flushed >= every
        if flush:
            self._answer_flushed = time.monotonic()
        # Also panes a text-less frame left half done (an ending shows its meter at once,
        # its title and border here): an ended pane has no news of its own to come.
        keys = keys + [
            k
            for k, p in self._panes.items()
            if k not in keys
            and (p.has_pending or (text and k in board.panes and board.panes[k].dirty))
        ]
        with self.app.batch_update():  # every pane's change, then one layout and one render
            for key in keys:
                pane = self._panes.get(key)
                state = board.panes.get(key)
                if pane is None or state is None or not pane.is_mounted:
                    continue
                figures = None
                if state.dirty and (meters or state.finished):
                    figures = MeterFigures(now, state.ratio, state.baseline_tokens, state.price)
                    state.dirty = not text  # the rest of the pane's state next frame
                await pane.paint(state, figures, flush, hold=not text)
        self.frames += 1

    async def _ended(self, board: LiveBoard) -> None:
        from tokenscope.tui.screens.ask_dialogs import BusyScreen

        board.closed = True
        if isinstance(self.app.screen, BusyScreen):
            self.app.screen.models_finished()  # the dialog must not say they still answer
        for key, pane in self._panes.items():
            await pane.finish(board.panes[key].answer_so_far)
        self.post_message(self.Ended(board))
        if self.queued is not None:
            job, self.queued = self.queued, None
            self.start(job)

    def on_ask_view_saved(self, message: AskView.Saved) -> None:
        message.stop()
        # Several models may end together: one reload for them all.
        if self._reload_timer is not None:
            self._reload_timer.stop()
        self._reload_timer = self.set_timer(0.2, self.tokenscope.action_reload)

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
        if record.get("source") == "replay" or self.tokenscope.ds is None:
            self.app.push_screen(RunDetailScreen(record))
        else:
            self._open_saved(record)

    @work(thread=True, exclusive=True, group="ask-open", exit_on_error=False)
    def _open_saved(self, record: dict[str, Any]) -> None:
        """A saved run as the Runs table shows it (reasoning method, criteria, price band),
        once the reload has it; until then the record the pane kept."""
        from tokenscope.tui.explorer import run_record
        from tokenscope.tui.screens.run_detail import RunDetailScreen

        ds = self.tokenscope.ds
        full = run_record(ds, record["run_id"]) if ds is not None else None
        self.app.call_from_thread(self.app.push_screen, RunDetailScreen(full or record))

    def action_toggle_reasoning(self) -> None:
        key = self._focused_key()
        if key is not None and key in self._panes:
            self._panes[key].toggle_reasoning()

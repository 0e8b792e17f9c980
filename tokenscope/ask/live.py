"""An ask streamed off the painting thread: its session on a thread of its own, and one
frame per screen refresh for whoever paints it.

``LiveAsk`` runs an ``AskSession`` (probes, SSE decoding, think splitting, counting,
baseline, storing: all of it) on its own thread and event loop, folds every event into
a ``LiveBoard`` there, and at most ``fps`` times a second hands ``deliver`` one
``LiveFrame``: per pane with news, the text that arrived since the last frame and its
state now. Never one message per delta: a frame goes out only once the previous one
was painted (``painted()``), so a slow painter gets fewer, larger frames and no
backlog; text is never dropped, only gathered. An ending pane or a cancel is sent at
once rather than at the next tick. The last frame says ``done``: every run is stored.

No Textual here: the app's Ask view posts the frames to itself, a test or a script can
take them as they come.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tokenscope.ask.board import LiveBoard, PaneState
from tokenscope.ask.session import AskSession, ContextReady, RunStored
from tokenscope.probe.events import TERMINAL, AnswerDelta, ReasoningDelta

if TYPE_CHECKING:
    from tokenscope.ask.session import AskEvent, AskJob, AskOutcome
    from tokenscope.config import Settings
    from tokenscope.probe.baseline import Baseline

# Frames a second while text streams: enough for text to flow, and few enough that four
# panes leave the painting thread mostly idle (Markdown is appended at most this often).
FPS = 10.0
METER_EVERY = 2  # frames between meter repaints of a live pane (its times move on alone)
_TEXT = (AnswerDelta, ReasoningDelta)  # the events that are nearly all of them
# How long closing waits for a cancelled ask to store its partial runs.
CLOSE_TIMEOUT = 5.0


@dataclass(frozen=True)
class LiveFrame:
    """What changed since the last frame."""

    panes: dict[str, PaneState]  # the panes with news: their new text and their state now
    meters: bool  # a meter frame: repaint the meters of live panes
    urgent: bool = False  # an ending or a cancel: show the state now, the text can wait
    baseline: Baseline | None = None  # once, when it is resolved
    stored: tuple[RunStored, ...] = ()  # runs stored since the last frame
    done: bool = False  # the ask has ended and every run is stored
    outcome: AskOutcome | None = None  # with ``done``
    events: int = 0  # session events folded so far (for tests and benchmarks)


@dataclass
class _Pending:
    baseline: Baseline | None = None
    stored: list[RunStored] = field(default_factory=list)


class LiveAsk:
    """One ask on its own thread. ``start`` it; ``painted`` after each frame; ``cancel``
    and ``close`` from the painting thread."""

    def __init__(
        self,
        job: AskJob,
        settings: Settings,
        deliver: Callable[[LiveFrame], Any],
        *,
        clock: Callable[[], float] = time.perf_counter,
        fps: float = FPS,
        meter_every: int = METER_EVERY,
        **session_options: Any,
    ) -> None:
        self.job = job
        self.deliver = deliver
        self.fps = fps
        self.meter_every = meter_every
        self.session = AskSession(job, settings, self._on_event, **session_options)
        local = self.session.local
        self.board = LiveBoard.for_models(
            job.models, local_running=local is not None and local.running, clock=clock
        )
        self.frames = 0
        self._plain = 0  # frames sent since the last meter frame
        self._quiet = 0  # ticks since the last frame, with nothing to send
        self._pending = _Pending()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._in_flight = False  # a frame is out and not painted yet
        self._urgent = False  # an ending or a cancel waits to be shown
        self._ended = False  # the session returned: every run is stored
        self._closed = False
        self._cancel_requested = False
        self._outcome: AskOutcome | None = None
        self.ended = threading.Event()  # the session returned: every run is stored

    # ---- the painting thread's side ----------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="tokenscope-ask", daemon=True)
        self._thread.start()

    def painted(self) -> None:
        """The last frame is on screen: the next may go out (at once if one is urgent)."""
        self._in_flight = False
        if self._urgent or self._ended:
            self._call(self._wake_up)

    def cancel(self) -> None:
        """Stop every model; each ends 'cancelled' with what arrived, and is stored so."""
        self._cancel_requested = True
        self._call(self._cancel)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """The painter is going away: cancel, let the partial runs be stored, stop."""
        self.cancel()
        self._closed = True
        self._call(self._wake_up)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _call(self, callback: Callable[[], None]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(callback)
            except RuntimeError:  # the loop closed in between: nothing left to tell it
                pass

    # ---- the ask's own thread ----------------------------------------------------

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        if self._cancel_requested:  # cancelled before the thread got going
            self._cancel()
        pump = asyncio.create_task(self._pump(), name="tokenscope-ask-frames")
        outcome = None
        try:
            outcome = await self.session.run()
        except Exception as exc:  # the session's own bug must not leave panes streaming
            for key, pane in self.board.panes.items():
                if not pane.finished:
                    self.board.fail(key, f"stopped: {type(exc).__name__}")
        finally:
            for key, pane in self.board.panes.items():
                if not pane.finished:
                    self.board.fail(key, "stopped")
            self._outcome = outcome
            self._ended = True
            self.ended.set()
            self._wake.set()
            await pump

    def _on_event(self, event: AskEvent) -> None:
        """Every session event, on this thread: folded, never passed on one by one."""
        if isinstance(event, _TEXT):  # nearly every event: checked first
            self.board.push(event)
            return
        if isinstance(event, ContextReady):
            self._pending.baseline = event.baseline
            for pane in self.board.panes.values():
                pane.dirty = True
        elif isinstance(event, RunStored):
            self._pending.stored.append(event)
            stored = self.board.panes.get(event.key)
            if stored is not None:
                if event.error:
                    stored.message = f"not saved: {event.error}"
                stored.dirty = True
            self._urgent = True
        else:
            self.board.push(event)
            if isinstance(event, TERMINAL):
                self._urgent = True  # an ended pane says so now, not at the next tick
        if self._urgent and self._wake is not None:
            self._wake.set()

    def _cancel(self) -> None:
        # No frame of its own: the painter says "cancelling…" at once, and the models'
        # ends (urgent, a moment later) come in the next frame, one round trip sooner.
        for pane in self.board.panes.values():
            if not pane.finished:
                pane.message = "cancelling…"
                pane.dirty = True
        self.session.cancel()

    def _wake_up(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _pump(self) -> None:
        """A frame per tick while the painter keeps up; the last one says done."""
        assert self._wake is not None
        tick = 1 / self.fps
        while not self._closed:
            try:
                await asyncio.wait_for(self._wake.wait(), tick)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._in_flight:
                continue  # the painter is behind: text gathers for the next frame
            # Counted in frames sent while text flows, not in ticks: a painter that takes
            # two ticks a frame got a meter frame every time. With nothing flowing (a
            # model thinking unseen) the meters still tick on their own.
            meters = self._plain + 1 >= self.meter_every or self._quiet + 1 >= self.meter_every
            if self._publish(meters):
                self._quiet = 0
                if self._ended:
                    return
            else:
                self._quiet += 1

    def _publish(self, meters: bool) -> bool:
        """Hand over a frame if there is news (or the end); True if one went out."""
        urgent, self._urgent = self._urgent, False
        done = self._ended
        panes = self.board.take_frame(meters or urgent or done)
        pending, self._pending = self._pending, _Pending()
        if not (panes or pending.baseline or pending.stored or done):
            return False
        session = self.session
        has_baseline = session.baseline is not None and session.baseline.source != "none"
        base = session.ratios.baseline_tokens() if has_baseline else None
        for key, news in panes.items():
            news.ratio = session.ratios.ratio(key) if has_baseline else None
            news.baseline_tokens = base
            news.price = session.prices.get(key)
        frame = LiveFrame(
            panes,
            meters or urgent or done,
            urgent and not done,
            pending.baseline,
            tuple(pending.stored),
            done,
            self._outcome if done else None,
            self.board.events,
        )
        self._in_flight = True
        self.frames += 1
        self._plain = 0 if frame.meters else self._plain + 1
        self.deliver(frame)
        return True

"""An ask's live state per pane: events folded as they come, handed on once per frame.

No Textual here. ``LiveBoard`` folds an ask session's events into one ``PaneState``
per model, on the thread that runs the ask; ``take_frame`` hands over what changed
since the last frame (the text that arrived, the state now, the meter's figures), and
whoever paints folds it into its own copy with ``PaneState.merge``. Nothing here runs
more than once per event, and per frame it only moves text that arrived.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING

from tokenscope.probe.counting import Counts
from tokenscope.probe.events import (
    AnswerDelta,
    Cancelled,
    Failed,
    Finished,
    Notice,
    ProbeEvent,
    ProbeResult,
    ReasoningDelta,
    Reclassified,
    Retrying,
    Started,
    UsageReported,
)

if TYPE_CHECKING:
    from tokenscope.ask.models import ModelChoice
    from tokenscope.config import Price


@dataclass
class PaneState:
    """Everything one pane shows, folded from events; the view takes the text once per frame."""

    key: str
    replay: bool = False
    hidden: bool = False  # known up front for replays
    status: str = "waiting"  # waiting | starting | streaming | ok | failed | cancelled
    reasoning: list[str] = field(default_factory=list)  # not yet painted
    answer: list[str] = field(default_factory=list)  # not yet painted
    moved: str | None = None  # Reclassified: the whole reasoning text, answer to be cleared
    counts: Counts | None = None
    exact: bool = False
    started: float | None = None
    first: float | None = None
    ended: float | None = None
    attempt: int = 1
    message: str = ""  # the last notice, retry or error, one line
    result: ProbeResult | None = None
    reasoning_chars: int = 0
    answer_text: list[str] = field(default_factory=list)  # the whole answer (painter's copy)
    dirty: bool = True
    # The meter's figures, as of the last frame: the ratio to the baseline, the baseline,
    # the model's price (None when unknown).
    ratio: float | None = None
    baseline_tokens: float | None = None
    price: Price | None = None

    def take_frame(self) -> PaneState:
        """This pane's news since the last frame: the text that arrived (taken from
        here) and a copy of the state now."""
        news = replace(self, reasoning=self.reasoning, answer=self.answer, answer_text=[])
        self.reasoning, self.answer, self.moved, self.dirty = [], [], None, False
        return news

    def merge(self, news: PaneState) -> None:
        """Fold a frame's news into this copy: its text is appended, its state replaces ours."""
        if news.moved is not None:
            self.moved = news.moved
            self.reasoning.clear()
            self.answer.clear()
            self.answer_text.clear()
        self.reasoning.extend(news.reasoning)
        self.answer.extend(news.answer)
        if news.answer:  # one string per frame: thousands of deltas a second add up
            self.answer_text.append("".join(news.answer))
        for name in _SCALARS:
            setattr(self, name, getattr(news, name))
        self.dirty = True

    def take_reasoning(self) -> str:
        text = "".join(self.reasoning)
        self.reasoning.clear()
        return text

    def take_answer(self) -> str:
        text = "".join(self.answer)
        self.answer.clear()
        return text

    @property
    def finished(self) -> bool:
        return self.status in ("ok", "failed", "cancelled")

    @property
    def answer_so_far(self) -> str:
        return "".join(self.answer_text)


class LiveBoard:
    """Folds events into ``PaneState``s. Cheap per event: text is only appended."""

    def __init__(self, keys: Iterable[str], clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.context_settled = False  # the baseline and prices are known (or failed)
        self.closed = False  # the view has painted its end
        self.panes: dict[str, PaneState] = {k: PaneState(k) for k in keys}
        self.events = 0

    @classmethod
    def for_models(
        cls,
        models: Iterable[ModelChoice],
        *,
        local_running: bool = True,
        clock: Callable[[], float] = time.perf_counter,
    ) -> LiveBoard:
        """A board for an ask of ``models``: replays marked, the local model starting."""
        models = list(models)
        board = cls([c.label for c in models], clock=clock)
        for c in models:
            pane = board.panes[c.label]
            pane.replay = c.is_replay
            if c.kind == "local" and not local_running:
                pane.status, pane.message = "starting", "starting the local model…"
        return board

    def fail(self, key: str, message: str) -> None:
        pane = self.panes[key]
        pane.status, pane.message, pane.ended, pane.dirty = "failed", message, self.clock(), True

    def push(self, event: ProbeEvent) -> None:
        self.events += 1
        pane = self.panes.get(event.key)
        if pane is None:
            return
        pane.dirty = True
        if isinstance(event, ReasoningDelta):
            self._first(pane)
            pane.reasoning.append(event.text)
            pane.reasoning_chars += len(event.text)
            pane.counts = event.counts
        elif isinstance(event, AnswerDelta):
            self._first(pane)
            pane.answer.append(event.text)
            pane.counts = event.counts
        elif isinstance(event, Reclassified):
            pane.moved = event.text
            pane.reasoning.clear()
            pane.answer.clear()
            pane.reasoning_chars = len(event.text)
            pane.counts = event.counts
        elif isinstance(event, UsageReported):
            pane.counts = event.counts
            pane.exact = True
        elif isinstance(event, Started):
            if pane.status == "starting":
                pane.message = ""
            pane.status = "streaming"
            pane.attempt = event.attempt
            if pane.started is None:
                pane.started = self.clock()
        elif isinstance(event, Retrying):
            pane.message = f"{event.reason}; retrying in {event.delay_s:g} s"
        elif isinstance(event, Notice):
            pane.message = event.message
        elif isinstance(event, Finished | Failed | Cancelled):
            result = event.result
            pane.result = result
            pane.status = result.status
            pane.ended = self.clock()
            if result.error and result.status != "ok":
                pane.message = result.error
            elif result.error:
                pane.message = result.error  # a warning line on a finished run
            if result.tokens_completion is not None:
                reasoning = float(result.tokens_reasoning or 0)
                answer = float(result.tokens_completion) - reasoning
                pane.counts = Counts(reasoning, answer, result.tokens_source)
                pane.exact = result.tokens_source == "reported"
            if result.hidden_reasoning:
                pane.hidden = True

    def _first(self, pane: PaneState) -> None:
        if pane.first is None:
            pane.first = self.clock()

    def take_frame(self, meters: bool) -> dict[str, PaneState]:
        """Every pane with news since the last frame (and, when ``meters``, every live
        pane, whose times move on by themselves)."""
        out = {}
        for key, pane in self.panes.items():
            live = not pane.finished and pane.status != "waiting"
            if pane.dirty or pane.reasoning or pane.answer or (meters and live):
                out[key] = pane.take_frame()
        return out

    @property
    def done(self) -> bool:
        return all(p.finished for p in self.panes.values())


# What a frame carries over as it is: everything but the text and the painter's flags.
_SCALARS = tuple(
    f.name
    for f in fields(PaneState)
    if f.name not in ("key", "reasoning", "answer", "moved", "answer_text", "dirty")
)

"""One model's live pane: a meter, the reasoning (dimmed, collapsible), the answer.

The view calls ``paint`` once per frame with the text that arrived since the
last frame, so nothing here runs per token. Reasoning is appended to the last
of a series of short blocks (only that block re-wraps); the answer goes
through ``MarkdownStream``. All model text passes through ``literal`` first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Collapsible, Markdown, Static

from tokenscope.text import literal

if TYPE_CHECKING:
    from textual.widgets.markdown import MarkdownStream

    from tokenscope.tui.ask_models import PaneState

BLOCK_CHARS = 1500  # a reasoning block stops growing near this size
BAR_WIDTH = 12


def _tokens(value: float | None, estimated: bool) -> str:
    if value is None:
        return "—"
    return f"{'~' if estimated else ''}{value:,.0f}"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}s"


def ratio_bar(ratio: float, width: int = BAR_WIDTH) -> Text:
    """A bar of the count against the baseline; the baseline is the tick at the middle
    until the count passes twice it, then the scale grows."""
    scale = max(2.0, ratio * 1.05)
    filled = min(width, ratio / scale * width)
    full = int(filled)
    half = filled - full >= 0.5
    tick = min(width - 1, int(round(width / scale)))
    cells = []
    for i in range(width):
        if i < full:
            cells.append("█")
        elif i == full and half:
            cells.append("▌")
        elif i == tick:
            cells.append("│")
        else:
            cells.append("░")
    return Text("".join(cells), style="bold" if ratio > 1 else "")


def meter_text(
    state: PaneState,
    *,
    now: float,
    ratio: float | None,
    baseline_tokens: float | None,
    price_per_token: float | None,
) -> Text:
    """The meter's four lines: tokens, the bar and ratio, times and speed, the count's status."""
    counts = state.counts
    estimated = counts is not None and counts.source == "estimated"
    text = Text()
    waiting = state.first is None and not state.finished and state.started is not None
    if state.hidden and not state.finished or (waiting and state.status == "streaming"):
        thinking = now - (state.started or now)
        label = "thinking…" if state.hidden or state.status == "streaming" else "waiting…"
        text.append(f"{label} {thinking:.0f}s", style="italic")
        if counts is not None and counts.answer:
            text.append(f" · answer {_tokens(counts.answer, estimated)}")
    elif counts is None:
        text.append("reasoning — · answer —", style="dim")
    else:
        reasoning = _tokens(counts.reasoning, estimated)
        if state.hidden:
            reasoning += " hidden"
        text.append("reasoning ")
        text.append(reasoning, style="bold")
        text.append(" · answer ")
        text.append(_tokens(counts.answer, estimated), style="bold")
    text.append("\n")
    if ratio is not None:
        text.append_text(ratio_bar(ratio))
        text.append(f" {ratio:.1f}×", style="bold")
        if baseline_tokens:
            text.append(f" of {baseline_tokens:,.0f}", style="dim")
    elif baseline_tokens is None:
        text.append("no baseline", style="dim")
    else:
        text.append("░" * BAR_WIDTH + " —", style="dim")
    if price_per_token is not None and counts is not None:
        cost = counts.completion * price_per_token
        text.append(f" · ${cost:.3f}" if cost >= 0.01 else f" · ${cost:.5f}", style="dim")
    text.append("\n")
    end = state.ended if state.ended is not None else now
    elapsed = end - state.started if state.started is not None else None
    ttft = state.first - state.started if state.first is not None and state.started is not None else None
    rate = None
    if state.result is not None and state.result.tokens_per_s:
        rate = state.result.tokens_per_s
    elif counts is not None and state.first is not None and end - state.first > 0.2:
        rate = counts.completion / (end - state.first)
    parts = [_seconds(elapsed), f"TTFT {_seconds(ttft)}"]
    if rate is not None:
        parts.append(f"{rate:,.0f} tok/s")
    text.append(" · ".join(parts), style="dim")
    text.append("\n")
    text.append_text(status_text(state))
    return text


def status_text(state: PaneState) -> Text:
    if state.status == "failed":
        return Text("✗ " + literal(state.message or "failed", keep_newlines=False), style="bold red")
    if state.status == "cancelled":
        return Text("■ cancelled · partial" + (" · not saved (replay)" if state.replay else " · saved"),
                    style="italic")
    if state.status == "ok":
        source = state.counts.source if state.counts is not None else "estimated"
        what = {
            "reported": "exact: usage reported",
            "counted": "counted deltas (no usage sent)",
        }.get(source, "~ estimate (no usage sent)")
        tail = " · replay" if state.replay else ""
        return Text(f"✓ {what}{tail}", style="bold")
    if state.status == "starting":
        return Text(state.message or "starting…", style="italic")
    if state.status == "waiting":
        return Text("waiting…", style="italic")
    if state.message:
        return Text(literal(state.message, keep_newlines=False), style="italic")
    return Text("~ estimates until usage arrives" if not state.exact else "exact: usage reported",
                style="dim")


class ReasoningLog(VerticalScroll):
    """The reasoning, appended in blocks; follows the bottom until the user scrolls up."""

    def __init__(self, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self._block: Static | None = None
        self._text = ""
        self.total = 0

    def on_mount(self) -> None:
        self.anchor()

    def append(self, text: str) -> None:
        if not text:
            return
        text = literal(text)
        self.total += len(text)
        if self._block is None or len(self._text) >= BLOCK_CHARS:
            self._text = ""
            self._block = Static(classes="reasoning-block")
            self.mount(self._block)
        self._text += text
        self._block.update(Text(self._text))

    def replace_all(self, text: str) -> None:
        self.remove_children()
        self._block = None
        self._text = ""
        self.total = 0
        self.append(text)


class AskPane(Vertical, can_focus=True):
    """One model's stream."""

    def __init__(self, key: str, index: int, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(classes="ask-pane", **kw)
        self.key = key
        self.index = index
        self.border_title = literal(key, keep_newlines=False)
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        yield Static(classes="ask-meter")
        with Collapsible(title="reasoning", collapsed=False, classes="ask-reasoning"):
            yield ReasoningLog(classes="ask-reasoning-log")
        with VerticalScroll(classes="ask-answer-scroll"):
            yield Markdown(classes="ask-answer")

    def on_mount(self) -> None:
        self.query_one(".ask-answer-scroll", VerticalScroll).anchor()

    @property
    def reasoning_log(self) -> ReasoningLog:
        return self.query_one(ReasoningLog)

    @property
    def markdown(self) -> Markdown:
        return self.query_one(".ask-answer", Markdown)

    def toggle_reasoning(self) -> None:
        box = self.query_one(Collapsible)
        box.collapsed = not box.collapsed

    async def paint(self, state: PaneState, meter: Text | None) -> None:
        """Apply one frame's worth of text and, when given, the meter."""
        if state.moved is not None:
            self.reasoning_log.replace_all(state.moved)
            state.moved = None
            await self._reset_answer()
        reasoning = state.take_reasoning()
        if reasoning:
            self.reasoning_log.append(reasoning)
        answer = state.take_answer()
        if answer:
            if self._stream is None:
                self._stream = Markdown.get_stream(self.markdown)
            await self._stream.write(literal(answer))
        if meter is not None:
            self.query_one(".ask-meter", Static).update(meter)
            chars = self.reasoning_log.total
            box = self.query_one(Collapsible)
            if state.hidden:
                title = "reasoning hidden by the provider"
            elif chars:
                title = f"reasoning · {chars:,} chars"
            elif state.counts is not None and state.counts.reasoning and state.replay:
                title = "reasoning · not archived"
            else:
                title = "reasoning"
            if box.title != title:
                box.title = title
            sub = {"ok": "done", "failed": "failed", "cancelled": "cancelled",
                   "streaming": "streaming", "starting": "starting"}.get(state.status, state.status)
            self.border_subtitle = sub + (" · replay" if state.replay else "")
            self.set_class(state.status == "failed", "-failed")
            self.set_class(state.finished, "-finished")

    async def finish(self) -> None:
        """The stream ended: let the Markdown stream drain and stop."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()

    async def _reset_answer(self) -> None:
        await self.finish()
        await self.markdown.update("")

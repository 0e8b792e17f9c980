"""One model's live pane: a meter, the reasoning (dimmed, collapsible), the answer.

The view calls ``paint`` once per frame with the text that arrived since the
last frame, so nothing here runs per token. Reasoning is appended to the last
of a series of short blocks (only that block re-wraps); the answer goes
through ``MarkdownStream``. All model text passes through ``literal`` first.

Markdown mounts a widget per block, and each mount costs a layout pass. When
more answer arrives between two appends than the pane can show (thousands of
tokens a second), the paragraphs that would scroll out of sight before anyone
could read them are not mounted: the pane restarts at the readable tail and
counts what it skipped, as it does for pages it drops. The whole answer is in
the saved run, Run detail (o) and the clipboard (c).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Collapsible, Markdown, Static

from tokenscope.text import literal

if TYPE_CHECKING:
    from textual.widgets.markdown import MarkdownStream

    from tokenscope.config import Price
    from tokenscope.tui.ask_models import PaneState

BAR_WIDTH = 12
ANSWER_EVERY = 0.2  # seconds between Markdown appends while the answer streams
# A burst longer than this many screenfuls of the answer area skips to its tail,
# and while answers arrive that fast they are appended less often.
SKIP_SCREENS = 1
ANSWER_EVERY_BURST = 0.5
# A long answer streams into Markdown "pages" cut at paragraph breaks; only the last
# few stay mounted while it streams, so the document (one widget per block) stays small.
PAGE_CHARS = 4000
KEEP_PAGES = 2


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
    tick = min(width - 1, round(width / scale))
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
    price: Price | None,
) -> Text:
    """The meter's four lines: tokens, the bar and ratio (and the run's cost so far), times
    and speed, the count's status."""
    counts = state.counts
    estimated = counts is not None and counts.source == "estimated"
    text = Text()
    waiting = state.first is None and not state.finished and state.started is not None
    if (state.hidden and not state.finished) or (waiting and state.status == "streaming"):
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
    if price is not None and counts is not None:
        from tokenscope.data.prices import run_cost

        # The run's cost as it will be stored: completion so far, plus the prompt once known.
        prompt = state.result.tokens_prompt if state.result is not None else None
        cost = run_cost(counts.completion, prompt, price).total or 0.0
        text.append(f" · ${cost:.3f}" if cost >= 0.01 else f" · ${cost:.5f}", style="dim")
    text.append("\n")
    end = state.ended if state.ended is not None else now
    elapsed = end - state.started if state.started is not None else None
    ttft = (
        state.first - state.started
        if state.first is not None and state.started is not None
        else None
    )
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
        return Text(
            "✗ " + literal(state.message or "failed", keep_newlines=False), style="bold red"
        )
    if state.status == "cancelled":
        return Text(
            "■ cancelled · partial" + (" · not saved (replay)" if state.replay else " · saved"),
            style="italic",
        )
    if state.status == "ok":
        source = state.counts.source if state.counts is not None else "estimated"
        what = {
            "reported": "exact: usage reported",
            "counted": "counted deltas (no usage sent)",
        }.get(source, "~ estimate (no usage sent)")
        tail = " · replay" if state.replay else ""
        if state.result is not None and state.result.finish_reason == "length":
            tail += " · cut at max tokens"
        return Text(f"✓ {what}{tail}", style="bold")
    if state.status == "starting":
        return Text(state.message or "starting…", style="italic")
    if state.status == "waiting":
        return Text("waiting…", style="italic")
    if state.message:
        return Text(literal(state.message, keep_newlines=False), style="italic")
    return Text(
        "~ estimates until usage arrives" if not state.exact else "exact: usage reported",
        style="dim",
    )


class ReasoningLog(ScrollView, can_focus=False):
    """The reasoning as wrapped lines, drawing only the visible ones (as ``Log`` does, but
    wrapped). Appending re-wraps only the last line; no layout pass is needed.
    Follows the bottom unless the user scrolled up."""

    DEFAULT_CSS = """
    ReasoningLog { overflow-x: hidden; scrollbar-gutter: stable; }
    """

    def __init__(self, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self._paragraphs: list[str] = [""]
        self._lines: list[str] = []
        self._wrap_width = 0
        self._trailing = ""  # spaces at the end of the last line, which wrapping drops
        self.total = 0

    @property
    def text(self) -> str:
        return "\n".join(self._paragraphs)

    def _wrap(self, paragraph: str) -> list[str]:
        width = max(1, self._wrap_width)
        if not paragraph:
            return [""]
        return [line.plain for line in Text(paragraph).wrap(self.app.console, width)] or [""]

    def append(self, text: str) -> None:
        if not text:
            return
        text = literal(text)
        self.total += len(text)
        parts = text.split("\n")
        self._paragraphs[-1] += parts[0]
        self._paragraphs.extend(parts[1:])
        if self._wrap_width:
            # Greedy wrapping never changes the lines before the last one: re-wrap only
            # that. Wrapped lines lose trailing spaces, so the last line's are kept aside
            # ("mention. " + "The" must not become "mention.The").
            last = (self._lines.pop() if self._lines else "") + self._trailing
            self._extend_wrapped(last + parts[0])
            for part in parts[1:]:
                self._extend_wrapped(part)
            self._resized()

    def _extend_wrapped(self, raw: str) -> None:
        body = raw.rstrip(" ")
        self._trailing = raw[len(body) :]
        self._lines.extend(self._wrap(body))

    def replace_all(self, text: str) -> None:
        self._paragraphs, self._lines, self.total, self._trailing = [""], [], 0, ""
        self.append(text)
        if not text:
            self._resized()

    def _rewrap(self) -> None:
        self._lines = []
        for paragraph in self._paragraphs:
            self._extend_wrapped(paragraph)

    def on_mount(self) -> None:
        # Anchored: the compositor keeps it at the bottom until the user scrolls up,
        # and again once they scroll back down.
        self.anchor()

    def _resized(self) -> None:
        self.virtual_size = Size(self._wrap_width, len(self._lines))
        rows = min(len(self._lines), self._max_rows())
        if self.styles.height is None or self.styles.height.value != rows:
            self.styles.height = rows
        self.refresh()

    def _max_rows(self) -> int:
        return max(2, int(self.app.size.height * 0.22))

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width and width != self._wrap_width:
            self._wrap_width = width
            self._rewrap()
            self._resized()

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        if index >= len(self._lines):
            return Strip.blank(self.scrollable_content_region.width, self.rich_style)
        line = self._lines[index]
        style = self.rich_style
        return Strip([Segment(line, style)], Text(line).cell_len).extend_cell_length(
            self.scrollable_content_region.width, style
        )


class Meter(Widget):
    """A fixed-height block of text: a new value repaints it without a layout pass
    (``Static.update`` re-lays out the screen, which at 15 Hz × four panes adds up)."""

    DEFAULT_CSS = """
    Meter { height: 4; }
    """

    def __init__(self, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self.value = Text()

    def set(self, value: Text) -> None:
        self.value = value
        self.refresh()

    def render(self) -> Text:
        return self.value


class AskPane(Vertical, can_focus=True):
    """One model's stream."""

    def __init__(self, key: str, index: int, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(classes="ask-pane", **kw)
        self.key = key
        self.index = index
        self.border_title = literal(key, keep_newlines=False)
        self._stream: MarkdownStream | None = None
        self._answer_pending: list[str] = []
        self._page_chars = 0
        self._page_fences = 0
        self._dropped = 0
        self.bursting = False  # the last append skipped text nobody could have read

    def compose(self) -> ComposeResult:
        yield Meter(classes="ask-meter")
        with Collapsible(title="reasoning", collapsed=False, classes="ask-reasoning"):
            yield ReasoningLog(classes="ask-reasoning-log")
        with VerticalScroll(classes="ask-answer-scroll"):
            yield Static(classes="ask-answer-earlier")
            yield Markdown(classes="ask-answer")

    @property
    def reasoning_log(self) -> ReasoningLog:
        return self.query_one(ReasoningLog)

    @property
    def markdown(self) -> Markdown:
        """The Markdown page the answer is streaming into."""
        return self.query(".ask-answer").last(Markdown)

    def toggle_reasoning(self) -> None:
        box = self.query_one(Collapsible)
        box.collapsed = not box.collapsed

    async def paint(self, state: PaneState, meter: Text | None, flush: bool = True) -> None:
        """Apply one frame's worth of text and, when given, the meter. ``flush`` says the
        answer may go to Markdown this frame (the view appends every pane's at once, so
        the four panes share one layout pass)."""
        if state.moved is not None:
            self.reasoning_log.replace_all(state.moved)
            state.moved = None
            await self._reset_answer()
        reasoning = state.take_reasoning()
        if reasoning:
            self.reasoning_log.append(reasoning)
        answer = state.take_answer()
        if answer:
            self._answer_pending.append(answer)
        # Markdown re-parses its last block on every append: a few appends a second at
        # most, and at once when the text stops coming.
        if self._answer_pending and (not answer or flush):
            await self._flush_answer()
        # Follow the answer's end once it overflows (anchoring earlier would push a short
        # answer to the bottom of the pane); the user scrolling up releases it.
        scroll = self.query_one(".ask-answer-scroll", VerticalScroll)
        if not scroll.is_anchored and scroll.max_scroll_y > 0:
            scroll.anchor()
        if meter is not None:
            self.query_one(Meter).set(meter)
            chars = self.reasoning_log.total
            box = self.query_one(Collapsible)
            if state.hidden:
                title = "reasoning hidden by the provider"
            elif chars and state.finished:
                title = f"reasoning · {chars:,} chars"
            elif chars:
                title = "reasoning"  # a title that changes per frame would re-lay out the pane
            elif state.counts is not None and state.counts.reasoning and state.replay:
                title = "reasoning · not archived"
            else:
                title = "reasoning"
            if box.title != title:
                box.title = title
            sub = {
                "ok": "done",
                "failed": "failed",
                "cancelled": "cancelled",
                "streaming": "streaming",
                "starting": "starting",
            }.get(state.status, state.status)
            self.border_subtitle = sub + (" · replay" if state.replay else "")
            self.set_class(state.status == "failed", "-failed")
            self.set_class(state.finished, "-finished")

    @property
    def has_pending(self) -> bool:
        """Answer text held back for the next Markdown append."""
        return bool(self._answer_pending)

    def _readable_chars(self) -> int:
        """How much answer text the pane can show at once, times ``SKIP_SCREENS``."""
        region = self.query_one(".ask-answer-scroll", VerticalScroll).scrollable_content_region
        return max(400, region.width * region.height * SKIP_SCREENS)

    def _tail_cut(self, text: str) -> int | None:
        """Where to cut a burst so only its readable tail is mounted: a paragraph break
        outside any code block, or None when there is none."""
        keep = self._readable_chars()
        if len(text) <= keep:
            return None
        cut = text.rfind("\n\n", 0, len(text) - keep)
        while cut >= 0 and (self._page_fences + text.count("```", 0, cut)) % 2:
            cut = text.rfind("\n\n", 0, cut)
        return cut + 2 if cut >= 0 else None

    async def _skip_to(self, skipped: int) -> None:
        """Drop every page and ``skipped`` more characters; the answer restarts on a fresh page."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()
        pages = list(self.query(".ask-answer").results(Markdown))
        self._dropped += skipped + sum(len(page.source) for page in pages)
        for page in pages[:-1]:
            await page.remove()
        await pages[-1].update("")
        self._page_chars = self._page_fences = 0
        self._show_dropped()

    def _show_dropped(self) -> None:
        earlier = self.query_one(".ask-answer-earlier", Static)
        earlier.update(
            Text(
                f"… {self._dropped:,} earlier characters: o opens the whole run "
                "when it ends, c copies it",
                style="dim italic",
            )
        )
        earlier.display = True

    async def _flush_answer(self) -> None:
        text, self._answer_pending = "".join(self._answer_pending), []
        cut = self._tail_cut(text)
        self.bursting = cut is not None
        if cut is not None:
            await self._skip_to(cut)
            text = text[cut:]
        if self._page_chars + len(text) > PAGE_CHARS and "\n\n" in text:
            cut = text.rfind("\n\n") + 2
            head, text = text[:cut], text[cut:]
            fences = self._page_fences + head.count("```")
            await self._write(head)
            if fences % 2 == 0:  # never cut inside a code block
                await self._new_page()
        await self._write(text)

    async def _write(self, text: str) -> None:
        if not text:
            return
        if self._stream is None:
            self._stream = Markdown.get_stream(self.markdown)
        self._page_chars += len(text)
        self._page_fences += text.count("```")
        await self._stream.write(literal(text))

    async def _new_page(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()
        scroll = self.query_one(".ask-answer-scroll", VerticalScroll)
        pages = list(scroll.query(".ask-answer").results(Markdown))
        await scroll.mount(Markdown(classes="ask-answer"))
        self._page_chars = self._page_fences = 0
        if len(pages) >= KEEP_PAGES:
            oldest = pages[0]
            self._dropped += len(oldest.source)
            await oldest.remove()
            self._show_dropped()

    async def finish(self) -> None:
        """The stream ended: let the Markdown stream drain and stop."""
        if self._answer_pending:
            await self._flush_answer()
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()

    async def _reset_answer(self) -> None:
        self._answer_pending = []
        await self.finish()
        pages = list(self.query(".ask-answer").results(Markdown))
        for page in pages[:-1]:
            await page.remove()
        await pages[-1].update("")
        self._page_chars = self._page_fences = self._dropped = 0
        self.query_one(".ask-answer-earlier", Static).display = False

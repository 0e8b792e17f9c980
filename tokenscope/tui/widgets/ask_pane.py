"""One model's live pane: a meter, the reasoning (dimmed, collapsible), the answer.

The view calls ``paint`` once per frame with the text that arrived since the
last frame, so nothing here runs per token. Reasoning is appended to the last
of a series of short blocks (only that block re-wraps); the answer is appended
to Markdown (``Markdown.append`` parses only its last block again) a few times a
second, every pane in the same frame, so the screen is laid out once for all of
them. All model text passes through ``literal`` first.

Markdown mounts a widget per block, and each mount costs a layout pass. When
more answer arrives between two appends than the pane can show (thousands of
tokens a second), the paragraphs that would scroll out of sight before anyone
could read them are not mounted: the pane restarts at the readable tail and
counts what it skipped, as it does for pages it drops. The whole answer is in
the saved run, Run detail (o) and the clipboard (c).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import ceil
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.style import Style as TextualStyle
from textual.widget import Widget
from textual.widgets import Markdown

from tokenscope.text import literal, one_line
from tokenscope.tui.widgets.plain_wrap import wrap_ascii

if TYPE_CHECKING:
    from tokenscope.ask.board import PaneState
    from tokenscope.config import Price

BAR_WIDTH = 12
ANSWER_EVERY = 0.2  # seconds between Markdown appends while the answer streams
# A burst longer than this many screenfuls of the answer area skips to its tail,
# and while answers arrive that fast (faster than anyone reads) the tail is shown
# once a second: each time is a new document, laid out afresh.
SKIP_SCREENS = 1
ANSWER_EVERY_BURST = 1.0
# A long answer streams into Markdown "pages" cut at paragraph breaks; only the last
# few stay mounted while it streams, so the document (one widget per block) stays small.
PAGE_CHARS = 4000
KEEP_PAGES = 2
# Reasoning shown again (or at a new width) wraps this much of its end at once, at least.
TAIL_CHARS = 4000
# An ended pane that skipped text while streaming shows its whole answer if it is no longer.
WHOLE_ANSWER_CHARS = 20_000


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


@dataclass(frozen=True)
class MeterFigures:
    """What a meter shows besides the pane's own state: the time, the ratio to the
    baseline, the baseline and the model's price."""

    now: float
    ratio: float | None = None
    baseline_tokens: float | None = None
    price: Price | None = None


def _counts_text(state: PaneState, now: float) -> Text:
    """Reasoning and answer tokens so far, or how long a model has thought unseen."""
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
    return text


def _cost_text(state: PaneState, price: Price | None) -> Text:
    """The run's cost as it will be stored: completion so far, plus the prompt once known."""
    if price is None or state.counts is None:
        return Text()
    from tokenscope.data.prices import run_cost

    prompt = state.result.tokens_prompt if state.result is not None else None
    cost = run_cost(state.counts.completion, prompt, price).total or 0.0
    return Text(f" · ${cost:.3f}" if cost >= 0.01 else f" · ${cost:.5f}", style="dim")


def _elapsed(state: PaneState, now: float) -> float | None:
    end = state.ended if state.ended is not None else now
    return end - state.started if state.started is not None else None


def meter_text(state: PaneState, figures: MeterFigures) -> Text:
    """The meter's four lines: tokens, the bar and ratio (and the run's cost so far), times
    and speed, the count's status."""
    counts, now, ratio = state.counts, figures.now, figures.ratio
    text = _counts_text(state, now)
    text.append("\n")
    if ratio is not None:
        text.append_text(ratio_bar(ratio))
        text.append(f" {ratio:.1f}×", style="bold")
        if figures.baseline_tokens:
            text.append(f" of {figures.baseline_tokens:,.0f}", style="dim")
    elif figures.baseline_tokens is None:
        text.append("no baseline", style="dim")
    else:
        text.append("░" * BAR_WIDTH + " —", style="dim")
    text.append_text(_cost_text(state, figures.price))
    text.append("\n")
    end = state.ended if state.ended is not None else now
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
    parts = [_seconds(_elapsed(state, now)), f"TTFT {_seconds(ttft)}"]
    if rate is not None:
        parts.append(f"{rate:,.0f} tok/s")
    text.append(" · ".join(parts), style="dim")
    text.append("\n")
    text.append_text(status_text(state))
    return text


def summary_text(state: PaneState, figures: MeterFigures, *, tight: bool = False) -> Text:
    """The meter in one line, for a compact pane: tokens, ratio, cost and time (or
    what went wrong). ``tight``: the ratio first, as it shares the line with the name."""
    if state.status == "failed":
        return status_text(state)
    text = Text()
    if tight and figures.ratio is not None:
        text.append(f"{figures.ratio:.1f}×", style="bold")
        text.append(" · ")
    text.append_text(_counts_text(state, figures.now))
    if figures.ratio is not None and not tight:
        text.append(f" · {figures.ratio:.1f}×", style="bold")
        if figures.baseline_tokens:
            text.append(f" of {figures.baseline_tokens:,.0f}", style="dim")
    text.append_text(_cost_text(state, figures.price))
    elapsed = _elapsed(state, figures.now)
    if elapsed is not None:
        text.append(f" · {_seconds(elapsed)}", style="dim")
    return text


def status_word(state: PaneState) -> Text:
    """A compact pane's header, right side: where the model is, and whether its counts
    are exact."""
    if state.status == "ok":
        source = state.counts.source if state.counts is not None else "estimated"
        word = {"reported": "exact", "counted": "counted"}.get(source, "~ estimate")
        cut = (
            " · cut" if state.result is not None and state.result.finish_reason == "length" else ""
        )
        return Text(f"✓ done · {word}{cut}", style="bold")
    if state.status == "cancelled":
        return Text("■ cancelled · " + ("not saved" if state.replay else "saved"), style="italic")
    if state.status == "failed":
        return Text("✗ failed", style="bold red")
    if state.status in ("starting", "waiting"):
        return Text(one_line(state.message or f"{state.status}…", 40), style="italic")
    if state.message:
        return Text(one_line(state.message, 40), style="italic")
    return Text("streaming", style="dim")


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


class CachedLines(Widget):
    """A widget that hands the compositor the strips it gave last time while nothing
    marked it dirty. Textual repaints every widget whose container overlaps a change,
    whole, and four panes streaming put a change in every pane each frame: the lines
    come from Textual's cache, but only after work per widget (its ancestors' colours,
    borders, filters) that added up to a tenth of the painting. ``_set_dirty`` is what
    every refresh (new content, style, size, scroll, focus) goes through. Put it after
    a Textual base, not before: Textual inherits CSS along the first base only."""

    _cached_lines: tuple[tuple[object, ...], list[Strip]] | None = None

    def _set_dirty(self, *regions: Region) -> None:
        self._cached_lines = None
        super()._set_dirty(*regions)

    def render_lines(self, crop: Region) -> list[Strip]:
        key = (crop, self.size, *self.app.get_line_filters())
        cached = self._cached_lines
        if cached is not None and cached[0] == key:
            return cached[1]
        strips = self._render_lines_uncached(crop)
        self._cached_lines = (key, strips)
        return strips

    def _render_lines_uncached(self, crop: Region) -> list[Strip]:
        return super().render_lines(crop)


class QuietScrollBar(ScrollBar, CachedLines):
    """A scrollbar whose new size is a repaint only. Textual lays the whole screen out
    again whenever a widget's virtual size changes, and a scrollbar's is its size: the
    answer growing or the reasoning folding cost a second layout pass for it, with
    nothing in a scrollbar to lay out."""

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)


def quiet_vertical_scrollbar(widget: Widget) -> ScrollBar:
    """``Widget.vertical_scrollbar`` (created on first use), as a ``QuietScrollBar``."""
    bar = widget._vertical_scrollbar
    if bar is None:
        bar = QuietScrollBar(
            vertical=True, name="vertical", thickness=widget.scrollbar_size_vertical
        )
        bar.display = False
        widget._vertical_scrollbar = bar
        widget.app._start_widget(widget, bar)
    return bar


class AnswerScroll(VerticalScroll, CachedLines):
    """The answer's scroll area."""

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        return quiet_vertical_scrollbar(self)


def _bar_shape(bar: ScrollBar) -> tuple[int, ...]:
    """What a vertical scrollbar draws: its height and where its thumb starts and ends,
    in eighths of a cell, computed as ``ScrollBarRender.render_bar`` computes them."""
    size = bar.size.height
    virtual = ceil(bar.window_virtual_size)
    window = ceil(bar.window_size) if bar.window_size < bar.window_virtual_size else 0
    if not (window and size and virtual and size != virtual):
        return (size,)
    eighths = len(bar.renderer.VERTICAL_BARS)
    thumb = max(1, window / (virtual / size))
    start = int((size - thumb) * (bar.position / (virtual - window)) * eighths)
    return (size, start, start + ceil(thumb * eighths))


class ReasoningLog(ScrollView, CachedLines, can_focus=False):
    """The reasoning as wrapped lines, drawing only the visible ones (as ``Log`` does, but
    wrapped). Appending re-wraps only the last line; no layout pass is needed.
    Follows the bottom unless the user scrolled up. While hidden (collapsed, or a
    compact pane showing its answer) text is only kept and counted. Shown again (or
    at a new width), only its last few screens are wrapped at once; the text before
    them is wrapped when the user scrolls up to it, so showing costs the same however
    long the reasoning."""

    DEFAULT_CSS = """
    ReasoningLog { overflow-x: hidden; scrollbar-gutter: stable; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._paragraphs: list[str] = [""]
        self._lines: list[str] = []
        self._wrap_width = 0
        self._trailing = ""  # spaces at the end of the last line, which wrapping drops
        self._stale = False  # text arrived while hidden: the lines need a full wrap
        self._head = ""  # text before the wrapped lines, wrapped when scrolled up to
        self.shown = True
        self.max_rows = 2  # the pane sets it from its height
        self._line_style = Style()
        self.total = 0

    @property
    def text(self) -> str:
        return "\n".join(self._paragraphs)

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        return quiet_vertical_scrollbar(self)

    def _wrap(self, paragraph: str) -> list[str]:
        width = max(1, self._wrap_width)
        if not paragraph:
            return [""]
        fast = wrap_ascii(paragraph, width)  # the same lines, a line at a time
        if fast is not None:
            return fast
        return [line.plain for line in Text(paragraph).wrap(self.app.console, width)] or [""]

    def append(self, text: str) -> None:
        if not text:
            return
        text = literal(text)
        self.total += len(text)
        parts = text.split("\n")
        self._paragraphs[-1] += parts[0]
        self._paragraphs.extend(parts[1:])
        if not (self.shown and self._wrap_width) or self._stale:
            self._stale = True
            self.show(self.shown)
            return
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
        """Wrap the last few screens of text; keep the rest aside until scrolled to."""
        self._lines, self._trailing, self._stale, self._head = [], "", False, ""
        if not self.total:
            return
        text = self.text
        keep = max(TAIL_CHARS, 3 * self._wrap_width * self.max_rows)
        if len(text) > keep:
            # Cut at a line break or a space, so no word is split across the seam.
            cut = max(text.rfind("\n", 0, len(text) - keep), text.rfind(" ", 0, len(text) - keep))
            if cut > 0:
                self._head, text = text[:cut], text[cut + 1 :]
        for paragraph in text.split("\n"):
            self._extend_wrapped(paragraph)

    def _unfold_head(self) -> None:
        """The user scrolled up to the text before the wrapped lines: wrap it in front."""
        head, self._head = self._head, ""
        if not head:
            return
        lines: list[str] = []
        for paragraph in head.split("\n"):
            lines.extend(self._wrap(paragraph.rstrip(" ")))
        self._lines[:0] = lines
        self._resized()
        self.scroll_y = self.scroll_y + len(lines)  # the same text stays in view

    def watch_scroll_y(self, old: float, new: float) -> None:
        # ScrollView's, with the scrollbar repainted only when its thumb moves on screen.
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            self._sync_bar(bar.window_virtual_size, bar.window_size, new)
        if round(old) != round(new):
            self.refresh(self.size.region)
        if new < 1 and self._head and self.shown:
            self.call_after_refresh(self._unfold_head)

    def show(self, shown: bool) -> None:
        """Shown: wrap what arrived while hidden. Hidden: stop wrapping."""
        self.shown = shown
        if not (shown and self._stale):
            return
        if self._wrap_width:
            self._rewrap()
        self._resized()

    def set_max_rows(self, rows: int) -> None:
        if rows != self.max_rows:
            self.max_rows = rows
            self._resized()

    def on_mount(self) -> None:
        # Anchored: the compositor keeps it at the bottom until the user scrolls up,
        # and again once they scroll back down.
        self.anchor()

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # The compositor passes the region less the scrollbar as the virtual size, never
        # this log's own (its lines), so ScrollView took every layout pass of the screen
        # for a change and repainted the scrollbar. Only a new size is news here:
        # ``_resized`` updates the scrollbar when the lines change.
        return super()._size_updated(size, self.virtual_size, container_size, layout)

    def _resized(self) -> None:
        size = Size(self._wrap_width, len(self._lines))
        rows = min(len(self._lines), self.max_rows)
        if self.shown and self.total and not self._wrap_width:
            # Never laid out, so its width is unknown: one row gets it a size, and
            # on_resize wraps the text.
            rows = 1
        height = self.size.height
        overflows = size.height > height
        if (
            self.styles.height is None
            or self.styles.height.value != rows
            or overflows != (self.virtual_size.height > height)
        ):
            # The box grows, or its scrollbar comes or goes: that needs a layout pass.
            self.styles.height = rows
            self.virtual_size = size
            self._scroll_update(size)  # the scrollbar, in case the box keeps its size
            self.refresh()
            return
        # Longer text in a box of the same size: a new virtual size is only a repaint (the
        # reactive would lay out the whole screen, many times a second while it streams).
        following = self.scroll_y >= self.max_scroll_y
        self.set_reactive(ScrollView.virtual_size, size)
        self._sync_bar(size.height, height, self.max_scroll_y if following else self.scroll_y)
        if following:  # anchored to the end unless the user scrolled up
            self.scroll_y = self.max_scroll_y
        self.refresh()

    def _sync_bar(self, virtual_height: int, window: int, position: float) -> None:
        """Give the scrollbar the text's height, the window and the position; repaint it
        only when that moves its thumb on screen. The text grows every frame but the
        thumb moves by an eighth of a cell now and then, and a scrollbar costs as much
        to paint as the text beside it."""
        bar = self.vertical_scrollbar
        before = _bar_shape(bar)
        bar.set_reactive(ScrollBar.window_virtual_size, virtual_height)
        bar.set_reactive(ScrollBar.window_size, window)
        bar.set_reactive(ScrollBar.position, bar.validate_position(position))
        if _bar_shape(bar) != before:
            bar.refresh()

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width and width != self._wrap_width:
            self._wrap_width = width
            if self.shown:
                self._rewrap()
                self._resized()
            else:
                self._stale = True

    def _render_lines_uncached(self, crop: Region) -> list[Strip]:
        # The style walks every ancestor: once per repaint, not once per line.
        self._line_style = self.rich_style
        styles = self.styles
        if styles.gutter or styles.tint.a or self.opacity != 1 or styles.text_opacity != 1:
            return super()._render_lines_uncached(crop)
        # No border, padding or effects: each line is the text and the background under
        # the scrollbar, which is what Textual's per-line styling gives, at half the cost
        # (every line changes every frame while it streams).
        base_background, background = self.background_colors
        under = TextualStyle(background=base_background + background).rich_style
        width = self.size.width
        filters = self.get_line_filters()
        strips = []
        for y in crop.line_range:
            strip = self.render_line(y).adjust_cell_length(width, under)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            strips.append(strip)
        if crop.column_span != (0, width):
            strips = [strip.crop(*crop.column_span) for strip in strips]
        return strips

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        style = self._line_style
        if index >= len(self._lines):
            return Strip.blank(width, style)
        line = self._lines[index]
        return Strip([Segment(line, style)], cell_len(line)).extend_cell_length(width, style)


class Meter(CachedLines):
    """A fixed-height block of text: a new value repaints it without a layout pass
    (``Static.update`` re-lays out the screen, which at 15 Hz × four panes adds up)."""

    DEFAULT_CSS = """
    Meter { height: 4; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.value = Text()

    def set(self, value: Text) -> None:
        self.value = value
        self.refresh()

    def render(self) -> Text:
        return self.value


class ReasoningTitle(CachedLines, can_focus=True):
    """The reasoning's title line, ▼ or ▶ and what it holds: a click or enter folds the
    reasoning under it, as h does. (A ``Collapsible`` drew the same line, but folding it
    restyled all it held and laid the screen out twice: about 50 ms a key.)"""

    DEFAULT_CSS = """
    ReasoningTitle {
        width: auto;
        height: 1;
        padding: 0 1;
        text-style: $block-cursor-blurred-text-style;
        color: $block-cursor-blurred-foreground;
        pointer: pointer;

        &:hover {
            background: $block-hover-background;
            color: $foreground;
        }
        &:focus {
            text-style: $block-cursor-text-style;
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "fold", "Fold the reasoning", show=False)
    ]

    def __init__(self, on_toggle: Callable[[], None], **kw: Any) -> None:
        super().__init__(**kw)
        self._on_toggle = on_toggle
        self._collapsed = False
        self._title = "reasoning"

    @property
    def collapsed(self) -> bool:
        return self._collapsed

    @collapsed.setter
    def collapsed(self, collapsed: bool) -> None:
        if collapsed != self._collapsed:
            self._collapsed = collapsed
            self.refresh()  # ▼ and ▶ are as wide: a repaint, no layout pass
            self._on_toggle()

    @property
    def title(self) -> str:
        return self._title

    @title.setter
    def title(self, title: str) -> None:
        if title != self._title:
            self._title = title
            self.refresh(layout=True)

    def action_fold(self) -> None:
        self.collapsed = not self.collapsed

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_fold()

    def render(self) -> Content:
        return Content(f"{'▶' if self._collapsed else '▼'} {self._title}")


class PaneHeader(CachedLines):
    """A compact pane's title bar: the model on the left, its state on the right (the
    model's name gives way first)."""

    DEFAULT_CSS = """
    PaneHeader { height: 1; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.left = Text()
        self.right = Text()

    def set(self, left: Text, right: Text) -> None:
        self.left, self.right = left, right
        self.refresh()

    def render(self) -> Text:
        width = self.content_size.width
        left, right = self.left.copy(), self.right.copy()
        right.truncate(max(0, width - 8), overflow="ellipsis")
        room = max(1, width - right.cell_len - 1) if right.cell_len else width
        left.truncate(room, overflow="ellipsis")
        gap = max(1 if right.cell_len else 0, width - left.cell_len - right.cell_len)
        line = Text.assemble(left, " " * gap, right)
        line.no_wrap = True
        return line


class AskPane(Vertical, CachedLines, can_focus=True):
    """One model's stream. Full: a bordered pane with the four-line meter, the reasoning
    above the answer. Compact (little height): a header bar, a one-line meter and the
    answer; h swaps the answer for the reasoning."""

    def __init__(self, key: str, index: int, **kw: Any) -> None:
        super().__init__(classes="ask-pane", **kw)
        self.key = key
        self.index = index
        self.border_title = literal(key, keep_newlines=False)
        self._subtitle = ""
        self.compact = False
        self.tight = False
        # Compact: the reasoning is shown instead of the answer (None: until the answer starts).
        self.reasoning_view: bool | None = None
        self._state: PaneState | None = None
        self._figures: MeterFigures | None = None
        self._answer_pending: list[str] = []
        self._answer_started = False
        self._page_chars = 0
        self._page_fences = 0
        self._dropped = 0
        self.bursting = False  # the last append skipped text nobody could have read
        # The parts, kept at hand: they are reached many times a second.
        self._header = PaneHeader(classes="ask-head")
        self._meter = Meter(classes="ask-meter")
        self._log = ReasoningLog(classes="ask-reasoning-log")
        self._box = ReasoningTitle(self._show_reasoning, classes="ask-reasoning")
        # One line whose count changes as text is skipped: repainted, never laid out.
        self._earlier = Meter(classes="ask-answer-earlier")
        self._scroll = AnswerScroll(
            self._earlier, Markdown(classes="ask-answer"), classes="ask-answer-scroll"
        )

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._meter
        yield self._box
        yield self._log
        yield self._scroll

    def on_mount(self) -> None:
        self._show_reasoning()  # no reasoning yet: nothing of it is shown

    @property
    def reasoning_log(self) -> ReasoningLog:
        return self._log

    @property
    def markdown(self) -> Markdown:
        """The Markdown page the answer is streaming into."""
        return self.query(".ask-answer").last(Markdown)

    # ---- modes -----------------------------------------------------------------

    def set_mode(self, *, compact: bool, tight: bool) -> None:
        """Full or compact, as the grid decides; the reasoning and meter follow."""
        if (compact, tight) == (self.compact, self.tight):
            return
        self.compact, self.tight = compact, tight
        self.set_class(compact, "-compact")
        self.set_class(tight, "-tight")
        self.reasoning_view = None
        if self.is_mounted:
            self._show_reasoning()
            self._repaint_meter()

    def toggle_reasoning(self) -> None:
        if self.compact:
            self.reasoning_view = not self._reasoning_in_view()
            self._show_reasoning()
        else:
            self._box.action_fold()  # which shows it

    def _reasoning_in_view(self) -> bool:
        """Compact: the reasoning fills the pane (until the answer starts, or on h)."""
        if self.reasoning_view is not None:
            return self.reasoning_view
        return not self._answer_started and self._log.total > 0

    def _show_reasoning(self) -> None:
        """Which of reasoning and answer is on screen; hidden reasoning is not wrapped.
        Only ``display`` changes here: a class on the pane would restyle all it holds."""
        box = self._box
        log = self.reasoning_log
        answer = self._scroll
        if self.compact:
            # The reasoning instead of the answer, with no title over it (it is dimmed
            # and italic), or not at all.
            shown = self._reasoning_in_view()
            box.display = False
            box._collapsed = False  # what h means on a compact pane is the swap
            answer.display = not shown
        else:
            box.display = bool(log.total or box.title != "reasoning")
            shown = box.display and not box.collapsed
            answer.display = True
        log.display = shown
        log.show(shown)
        self._budget_reasoning()

    def _budget_reasoning(self) -> None:
        """The reasoning's rows: most of the pane until the answer starts, then a third of
        what the meter leaves (the answer comes first once there is one)."""
        inner = self.content_size.height
        if self.compact:
            rows = inner - (1 if self.tight else 2) - 1
        elif self._answer_started:
            rows = (inner - 5) // 3
        else:
            rows = inner - 5 - 3
        self._log.set_max_rows(max(2, rows))

    def on_resize(self) -> None:
        self._budget_reasoning()

    # ---- painting --------------------------------------------------------------

    async def paint(
        self, state: PaneState, figures: MeterFigures | None, flush: bool = True, hold: bool = False
    ) -> None:
        """Apply one frame's worth of text and, when given, the meter's figures. ``flush``
        says the answer may go to Markdown this frame (the view appends every pane's at
        once, so the four panes share one layout pass); ``hold`` keeps it back whatever
        (a frame that must show a state change at once)."""
        if state.moved is not None:
            self._log.replace_all(state.moved)
            state.moved = None
            await self._reset_answer()
            self._show_reasoning()
        reasoning = state.take_reasoning()
        if reasoning:
            first = not self._log.total
            self._log.append(reasoning)
            if first:  # the reasoning (and its title) come into view
                self._show_reasoning()
        answer = state.take_answer()
        if answer:
            self._answer_pending.append(answer)
            if not self._answer_started:
                self._answer_started = True
                self._show_reasoning()
        # Markdown re-parses its last block on every append: a few appends a second at
        # most, and at once when the text stops coming.
        if self._answer_pending and not hold and (not answer or flush):
            await self._flush_answer()
        self._follow_end()
        if figures is not None:
            self._state, self._figures = state, figures
            self._repaint_meter(full=not hold)

    def _follow_end(self) -> None:
        """Follow the answer's end once it overflows (anchoring earlier would push a short
        answer to the bottom of the pane); the user scrolling up releases it."""
        scroll = self._scroll
        if not scroll.is_anchored and scroll.max_scroll_y > 0:
            scroll.anchor()

    def _repaint_meter(self, full: bool = True) -> None:
        """The meter (and the header of a compact pane); ``full``: also the reasoning's
        title and the border, which may lay the pane out again."""
        state, figures = self._state, self._figures
        if state is None or figures is None:
            return
        if self.compact:
            self._paint_header(state, figures)
            if not self.tight:
                self._meter.set(summary_text(state, figures))
        else:
            self._meter.set(meter_text(state, figures))
        if not full:
            return
        box = self._box
        chars = self._log.total
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
            self._show_reasoning()
        sub = {
            "ok": "done",
            "failed": "failed",
            "cancelled": "cancelled",
            "streaming": "streaming",
            "starting": "starting",
        }.get(state.status, state.status)
        subtitle = sub + (" · replay" if state.replay else "")
        if subtitle != self._subtitle:  # assigning it, even unchanged, repaints the pane
            self._subtitle = self.border_subtitle = subtitle
        # A class change restyles the pane and all it holds: only for a failure, which shows.
        self.set_class(state.status == "failed", "-failed")

    def _paint_header(self, state: PaneState, figures: MeterFigures) -> None:
        name = Text(literal(self.key, keep_newlines=False), style="bold")
        if not self.tight:
            self._header.set(name, status_word(state))
            return
        # One line for everything: past three eighths of the width the name gives way.
        width = self._header.content_size.width
        name.truncate(max(12, width * 3 // 8), overflow="ellipsis")
        glyph = status_word(state)[:1] if state.finished else Text("")
        summary = summary_text(state, figures, tight=True)
        line = Text.assemble(glyph, " " if glyph else "", name, " ", summary)
        self._header.set(line, Text())

    @property
    def has_pending(self) -> bool:
        """Answer text held back for the next Markdown append."""
        return bool(self._answer_pending)

    def _readable_chars(self) -> int:
        """How much answer text the pane can show at once, times ``SKIP_SCREENS``."""
        region = self._scroll.scrollable_content_region
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

    async def _skip_to(self, skipped: int, tail: str) -> None:
        """Drop every page and ``skipped`` more characters; the answer restarts with
        ``tail`` on a fresh page (one document built, not emptied then appended to)."""
        pages = list(self.query(".ask-answer").results(Markdown))
        self._dropped += skipped + sum(len(page.source) for page in pages)
        for page in pages[:-1]:
            await page.remove()
        await pages[-1].update(literal(tail))
        self._page_chars, self._page_fences = len(tail), tail.count("```")
        self._show_dropped()

    def _show_dropped(self) -> None:
        earlier = self._earlier
        earlier.set(
            Text(
                f"… {self._dropped:,} earlier characters: o opens the whole run "
                "when it ends, c copies it",
                style="dim italic",
            )
        )
        if not earlier.display:
            earlier.display = True

    async def _flush_answer(self) -> None:
        text, self._answer_pending = "".join(self._answer_pending), []
        cut = self._tail_cut(text)
        self.bursting = cut is not None
        if cut is not None:
            await self._skip_to(cut, text[cut:])
            return
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
        self._page_chars += len(text)
        self._page_fences += text.count("```")
        # Awaited here, not through a MarkdownStream task: the view appends every pane's
        # answer inside one batch, which then costs one layout pass.
        await self.markdown.append(literal(text))

    async def _new_page(self) -> None:
        scroll = self._scroll
        pages = list(scroll.query(".ask-answer").results(Markdown))
        await scroll.mount(Markdown(classes="ask-answer"))
        self._page_chars = self._page_fences = 0
        if len(pages) >= KEEP_PAGES:
            oldest = pages[0]
            self._dropped += len(oldest.source)
            await oldest.remove()
            self._show_dropped()

    async def finish(self, whole: str | None = None) -> None:
        """The stream ended: the answer held back goes in. Given the ``whole``
        answer, a pane that skipped part of it while streaming shows all of it now,
        unless it is too long to lay out at once (o and c still have it)."""
        scroll = self._scroll
        # Never anchored: it never overflowed while painting, so nobody scrolled it.
        following = not scroll.is_anchored or scroll.scroll_y >= scroll.max_scroll_y
        if self._answer_pending:
            await self._flush_answer()
        if whole and self._dropped and len(whole) <= WHOLE_ANSWER_CHARS:
            pages = list(self.query(".ask-answer").results(Markdown))
            for page in pages[:-1]:
                await page.remove()
            await pages[-1].update(literal(whole))
            self._dropped = 0
            self._earlier.display = False
        if whole is not None and following:
            # Ended: the answer from its start, so the panes read side by side (unless
            # the user scrolled this one).
            scroll.anchor(False)
            self.call_after_refresh(scroll.scroll_home, animate=False, immediate=True)

    async def _reset_answer(self) -> None:
        self._answer_pending = []
        await self.finish()
        pages = list(self.query(".ask-answer").results(Markdown))
        for page in pages[:-1]:
            await page.remove()
        await pages[-1].update("")
        self._page_chars = self._page_fences = self._dropped = 0
        self._earlier.display = False

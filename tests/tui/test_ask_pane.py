"""One Ask pane on its own: a burst of answer too long to read shows its tail, never loses text."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

import tokenscope.tui
from tokenscope.ask.board import PaneState
from tokenscope.tui.widgets.ask_pane import AskPane

# What is repainted, and from which kept strips, is what these tests are about.
pytestmark = pytest.mark.frames


class PaneApp(App[None]):
    CSS_PATH = str(Path(tokenscope.tui.__file__).parent / "tokenscope.tcss")

    def compose(self) -> ComposeResult:
        yield AskPane("m", 0)


def paragraphs(start: int, count: int) -> str:
    return "".join(
        f"Paragraph {i} says something worth a line or two of text.\n\n"
        for i in range(start, start + count)
    )


async def test_a_burst_longer_than_the_pane_mounts_only_its_tail() -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(AskPane)
        state = PaneState("m", status="streaming")
        state.answer.append(paragraphs(0, 3))
        await pane.paint(state, None)
        await pilot.pause()
        assert pane.markdown.source.startswith("Paragraph 0")  # a short answer: all of it
        burst = paragraphs(3, 400)  # ~24,000 characters in one frame
        state.answer.append(burst)
        await pane.paint(state, None)
        await pane.finish()
        await pilot.pause()
        shown = "".join(shown_pages(pane))
        assert shown.endswith(paragraphs(402, 1)) and "Paragraph 3 " not in shown
        assert len(shown) < len(burst) // 4
        # Everything not mounted is counted, so the note adds up to the whole answer.
        total = len(paragraphs(0, 3)) + len(burst)
        assert pane._dropped + len(shown) == total
        earlier = pane.query_one(".ask-answer-earlier")
        assert earlier.display and f"{pane._dropped:,} earlier characters" in str(earlier.render())


def shown_pages(pane: AskPane) -> list[str]:
    return [page.source for page in pane.query(".ask-answer").results()]


async def test_a_burst_never_cuts_inside_a_code_block() -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(AskPane)
        state = PaneState("m", status="streaming")
        # Blank lines inside the fence: a cut there would leave half a code block.
        code = "```\n" + "".join(f"line {i}\n\nmore\n\n" for i in range(600)) + "```\n\n"
        state.answer.append(code + paragraphs(0, 2))
        await pane.paint(state, None)
        await pane.finish()
        await pilot.pause()
        pages = shown_pages(pane)
        assert all(page.count("```") % 2 == 0 for page in pages)
        assert pane._dropped + sum(map(len, pages)) == len(code) + len(paragraphs(0, 2))
        assert "".join(pages).endswith(paragraphs(1, 1))


async def test_a_short_answer_sits_under_the_reasoning_and_a_long_one_follows_its_end() -> None:
    from textual.containers import VerticalScroll

    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(AskPane)
        scroll = pane.query_one(".ask-answer-scroll", VerticalScroll)
        state = PaneState("m", status="streaming")
        state.answer.append("Canberra.")
        await pane.paint(state, None)
        await pilot.pause()
        assert pane.markdown.region.y == scroll.region.y  # at the top, no gap above it
        for i in range(12):  # more than fits: the pane keeps the newest line in view
            state.answer.append(paragraphs(i, 1))
            await pane.paint(state, None)
            await pilot.pause()
        await pilot.pause()
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == scroll.max_scroll_y


async def test_a_compact_pane_shows_the_answers_start_once_it_ends() -> None:
    from textual.containers import VerticalScroll

    app = PaneApp()
    async with app.run_test(size=(60, 8)) as pilot:
        pane = app.query_one(AskPane)
        pane.set_mode(compact=True, tight=False)
        scroll = pane.query_one(".ask-answer-scroll", VerticalScroll)
        state = PaneState("m", status="streaming")
        for i in range(6):  # streamed frame by frame: the pane follows the end
            state.answer.append(paragraphs(i, 1))
            await pane.paint(state, None)
            await pilot.pause()
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == scroll.max_scroll_y
        await pane.finish(state.answer_so_far)
        await pilot.pause()
        await pilot.pause()
        assert scroll.scroll_y == 0  # ended: the answer from its first line


async def test_collapsed_reasoning_is_kept_not_wrapped_and_shows_its_end_at_once() -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(AskPane)
        pane.toggle_reasoning()
        await pilot.pause()
        log = pane.reasoning_log
        words = [f"thought{i}" for i in range(6000)]  # ~60,000 characters, one paragraph
        for start in range(0, len(words), 500):
            state = PaneState("m", status="streaming")
            state.reasoning.append(" " + " ".join(words[start : start + 500]))
            await pane.paint(state, None)
        assert log.total > 50_000 and not log._lines  # counted, not wrapped
        pane.toggle_reasoning()
        await pilot.pause()
        await pilot.pause()
        # Shown: the end is wrapped and in view; the rest waits until scrolled up to.
        assert 0 < len(" ".join(log._lines)) < 20_000
        assert log._lines[-1].split()[-1] == "thought5999"
        assert log.scroll_y == log.max_scroll_y
        log.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        await pilot.pause()
        assert " ".join(log._lines).split() == log.text.split()  # all of it, in order


def thumb_rows(bar) -> list[bool]:  # type: ignore[no-untyped-def]
    """The rows of a vertical scrollbar, as painted on screen: True where its thumb is."""
    from textual.geometry import Region

    strips = bar.render_lines(Region(0, 0, *bar.size))
    return [
        any(seg.text.strip() or (seg.style is not None and seg.style.reverse) for seg in strip)
        for strip in strips
    ]


async def test_the_reasoning_scrollbar_shows_where_the_view_is_as_the_text_grows() -> None:
    """The scrollbar is repainted only when its thumb moves (not per frame); it must still
    show the thumb where the text in view is: shrinking while following the end, at the
    top once the user scrolls up."""
    app = PaneApp()
    async with app.run_test(size=(80, 30)) as pilot:
        pane = app.query_one(AskPane)
        log = pane.reasoning_log
        bar = log.vertical_scrollbar
        state = PaneState("m", status="streaming")
        seen = []
        for i in range(40):  # a line of reasoning a frame
            state.reasoning.append(f"Line {i} of the thinking.\n")
            await pane.paint(state, None)
            await pilot.pause()
            if log.max_scroll_y > 0:
                rows = thumb_rows(bar)
                assert rows[-1], i  # following the end: the thumb at the bottom
                seen.append(sum(rows))
        assert seen and seen[0] > seen[-1] and not rows[0]  # the thumb shrank as the text grew
        log.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        rows = thumb_rows(bar)
        assert rows[0] and not rows[-1]  # scrolled up: the thumb is at the top


async def test_streaming_reasoning_repaints_its_scrollbar_only_when_the_thumb_moves() -> None:
    """Following the end of a long text, the thumb stays put: no scrollbar repaint a frame
    (it cost as much as the text), and none for a layout pass elsewhere on the screen."""
    app = PaneApp()
    async with app.run_test(size=(80, 30)) as pilot:
        pane = app.query_one(AskPane)
        log = pane.reasoning_log
        state = PaneState("m", status="streaming")
        state.reasoning.append("".join(f"Line {i} of the thinking.\n" for i in range(300)))
        state.answer.append(paragraphs(0, 1))  # the pane settles into its answer layout
        await pane.paint(state, None)
        await pilot.pause()
        await pilot.pause()
        bar = log.vertical_scrollbar
        refreshes = 0
        original = bar.refresh

        def counting(*args, **kw):  # type: ignore[no-untyped-def]
            nonlocal refreshes
            refreshes += 1
            return original(*args, **kw)

        bar.refresh = counting  # type: ignore[method-assign]
        for i in range(10):
            state.reasoning.append(f"More thinking {i}.\n")
            state.answer.append(paragraphs(i + 1, 1))  # the answer grows: layout passes
            await pane.paint(state, None)
            await pilot.pause()
        assert log._lines[-2] == "More thinking 9." and log.scroll_y == log.max_scroll_y
        assert refreshes == 0


async def test_h_a_click_or_enter_on_the_title_fold_the_reasoning_and_give_its_rows_away() -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 30)) as pilot:
        pane = app.query_one(AskPane)
        log = pane.reasoning_log
        title = pane.query_one(".ask-reasoning")
        scroll = pane.query_one(".ask-answer-scroll")
        state = PaneState("m", status="streaming")
        state.reasoning.append("".join(f"Line {i} of the thinking.\n" for i in range(40)))
        state.answer.append(paragraphs(0, 2))
        await pane.paint(state, None)
        await pilot.pause()
        assert str(title.render()) == "▼ reasoning" and log.region.height > 2
        rows = scroll.region.height
        pane.toggle_reasoning()  # h
        await pilot.pause()
        assert str(title.render()) == "▶ reasoning" and not log.display
        assert scroll.region.height == rows + log.max_rows  # the answer has its rows
        await pilot.click(".ask-reasoning")
        await pilot.pause()
        assert str(title.render()) == "▼ reasoning" and log.region.height == log.max_rows
        assert log._lines[-2] == "Line 39 of the thinking." and log.scroll_y == log.max_scroll_y
        title.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert title.collapsed and not log.display


class TwoPanes(App[None]):
    CSS_PATH = str(Path(tokenscope.tui.__file__).parent / "tokenscope.tcss")

    def compose(self) -> ComposeResult:
        yield AskPane("a", 0)
        yield AskPane("b", 1)


def screen_cells(app: App[None]) -> list[list[tuple[str, object]]]:
    strips = app.screen._compositor.render_strips()
    return [[(seg.text, seg.style) for seg in strip] for strip in strips]


def uncached_cells(app: App[None]) -> list[list[tuple[str, object]]]:
    """The screen with every pane part drawn afresh, not from the strips it kept."""
    from tokenscope.tui.widgets.ask_pane import CachedLines

    for widget in app.screen.walk_children(with_self=False):
        if isinstance(widget, CachedLines):
            widget._cached_lines = None
        for bar in (widget._vertical_scrollbar, widget._horizontal_scrollbar):
            if isinstance(bar, CachedLines):
                bar._cached_lines = None
    return screen_cells(app)


async def test_pane_parts_drawn_from_their_kept_strips_match_a_fresh_drawing() -> None:
    """Pane parts hand the compositor the strips they drew last until they change: after
    each kind of change a user makes or sees, the screen must be what a fresh drawing of
    every part gives."""
    from tokenscope.tui.widgets.ask_pane import MeterFigures

    app = TwoPanes()
    async with app.run_test(size=(100, 30)) as pilot:
        a, b = app.query(AskPane).results(AskPane)
        state = PaneState("a", status="streaming", started=0.0)

        async def check(what: str) -> None:
            await pilot.pause()
            await pilot.pause()
            assert screen_cells(app) == uncached_cells(app), what

        a.focus()
        for i in range(30):
            state.reasoning.append(f"Line {i} of the thinking.\n")
            await a.paint(state, MeterFigures(now=float(i)))
        await check("streamed reasoning, a meter")
        b.focus()
        await check("focus moved to the other pane")
        a.reasoning_log.scroll_to(y=0, animate=False, immediate=True)
        await check("the reasoning scrolled up by the user")
        a.toggle_reasoning()
        await check("the reasoning folded")
        await pilot.hover(".ask-reasoning")
        await check("the pointer over the title")
        state.answer.append(paragraphs(0, 12))
        state.status = "failed"
        state.message = "server said no"
        await a.paint(state, MeterFigures(now=40.0))
        await check("an answer, then a failure")
        app.theme = "textual-light"
        await check("another theme")

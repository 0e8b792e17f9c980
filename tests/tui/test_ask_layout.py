"""Ask panes lay out by the room they have and keep their answers in view (four ended
panes at 60×20 here; at 80×24 and 120×40 on the snapshot runs); the Ask dialogs sit
centred over the dimmed app."""

from __future__ import annotations

import pytest

from tests.tui.ask_helpers import (
    FakePace,
    ask_while_streaming,
    check_four_ended_panes,
    open_ask,
    wait_ended,
    wait_for,
)
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.widgets.ask_layout import pane_grid

FOUR = [
    "replay:deepseek-r1-0528",
    "replay:gpt-oss-120b",
    "replay:claude-4-sonnet-0522-thinking",
    "replay:qwen3-235b-a22b-thinking-2507",
]


@pytest.mark.parametrize(
    ("count", "size", "shape"),
    [
        (4, (80, 17), (2, 2, True, False)),  # 80×24: 2×2, compact
        (4, (60, 14), (1, 4, True, True)),  # 60×20: stacked, header and meter on one line
        (4, (120, 34), (2, 2, False, False)),  # 120×40: 2×2 with full meters
        (4, (200, 44), (4, 1, False, False)),  # wide: side by side
        (2, (80, 18), (2, 1, False, False)),
        (2, (60, 14), (1, 2, True, False)),  # too narrow for two columns
        (3, (120, 34), (2, 2, False, False)),  # the third spans the second row
        (1, (40, 10), (1, 1, True, False)),
    ],
)
def test_pane_grid_by_size(count: int, size: tuple[int, int], shape: tuple) -> None:
    grid = pane_grid(count, *size)
    assert (grid.columns, grid.rows, grid.compact, grid.tight) == shape


def test_three_panes_in_two_by_two_the_last_spans_the_row() -> None:
    grid = pane_grid(3, 120, 34)
    assert [grid.span(i, 3) for i in range(3)] == [1, 1, 2]
    assert [pane_grid(4, 120, 34).span(i, 4) for i in range(4)] == [1, 1, 1, 1]


async def test_four_ended_panes_each_show_their_answer_stacked_at_60x20() -> None:
    # At 80×24 and 120×40 the same is checked in test_ask_snapshots.py, on the snapshot run.
    size = (60, 20)
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=size) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(FOUR)
        pace = FakePace(limit=1 << 30)
        pace.go.set()
        pace.install(view)
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        await pilot.pause(0.1)
        check_four_ended_panes(a, view, size)


async def test_compact_pane_swaps_answer_and_reasoning_on_h() -> None:
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=(80, 24)) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(FOUR)
        pace = FakePace(limit=1 << 30)
        pace.go.set()
        pace.install(view)
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        key = "qwen3-235b-a22b-thinking-2507 (replay)"
        pane = view._panes[key]
        pane.focus()
        log = pane.reasoning_log
        # Collapsed reasoning is kept and counted, not wrapped.
        assert pane.compact and not log.region.height and log.total == 1291
        await pilot.press("h")
        await pilot.pause(0.05)
        assert log.region.height > 4 and not pane.markdown.region.height
        assert " ".join(log._lines).split() == log.text.split()
        await pilot.press("h")
        await pilot.pause(0.05)
        assert pane.markdown.region.height and not log.region.height


def _centred(app: TokenscopeApp, selector: str) -> None:
    box = app.screen.query_one(selector).region
    screen = app.screen.region
    left, right = box.x, screen.right - box.right
    top, bottom = box.y, screen.bottom - box.bottom
    assert abs(left - right) <= 1 and abs(top - bottom) <= 1, (box, screen)
    # The app shows through, dimmed: the modal's background is translucent.
    assert 0 < app.screen.styles.background.a < 1


async def test_the_model_picker_and_the_busy_dialog_are_centred_over_the_dimmed_app() -> None:
    from tokenscope.tui.screens.ask_dialogs import ModelPickerScreen

    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=(80, 24)) as pilot:
        view = await open_ask(a, pilot)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(a.screen, ModelPickerScreen), what="picker")
        await pilot.pause(0.05)
        _centred(a, "#picker")
        await pilot.press("escape")
        await wait_for(pilot, lambda: a.screen is a.main, what="the picker to close")
        await ask_while_streaming(a, pilot, view)
        await pilot.pause(0.05)
        _centred(a, "#picker")
        await pilot.press("c")
        await pilot.press("escape")
        await wait_ended(view, pilot)

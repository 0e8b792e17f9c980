"""The Ask view at a fixed, fake replay pace: two panes mid-stream at 80×24 and 160×48,
four ended panes at 80×24 and 120×40 (each run also checks every answer is readable, as
test_ask_layout.py does at 60×20), and the model picker centred over the dimmed app.

``FakePace`` replaces the replays' sleep and every clock the view reads, and
stops the streams for good after a fixed number of steps (or lets them end), so
each run paints the same screen.
"""

from __future__ import annotations

import pytest

from tests.tui.ask_helpers import (
    FakePace,
    check_four_ended_panes,
    open_ask,
    wait_ended,
    wait_for,
    wait_painted_all,
    wait_still,
)
from tokenscope.tui.app import TokenscopeApp

SIZES = [(80, 24), (160, 48)]
FOUR_SIZES = [(80, 24), (120, 40)]
# Long and short answers; reasoning not archived, shown, and long.
FOUR = [
    "replay:deepseek-r1-0528",
    "replay:gpt-oss-120b",
    "replay:claude-4-sonnet-0522-thinking",
    "replay:qwen3-235b-a22b-thinking-2507",
]


def _runner(models: list[str], steps: int | None, check=None):  # type: ignore[no-untyped-def]
    """Ask ``models``; hold them after ``steps`` steps each, or (None) let them end; then
    ``check(app, view)`` what is on screen."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        view = await open_ask(app, pilot)
        view.set_models(models)
        pace = FakePace(limit=steps if steps is not None else 1 << 30)
        pace.install(view)
        await pilot.press("ctrl+s")
        keys = list(view.board.panes)
        await wait_for(
            pilot,
            lambda: all(view.board.panes[k].status == "streaming" for k in keys),
            what="every replay to start",
        )
        pace.go.set()
        if steps is None:
            await wait_ended(view, pilot)
        else:
            await wait_for(
                pilot, lambda: len(pace.blocked) == len(keys), what="the replays to pause"
            )
        await wait_for(pilot, lambda: view.baseline is not None, what="the baseline")
        if steps is None:
            await wait_painted_all(view, pilot)  # ended: the frame timer has stopped
        else:
            await wait_still(view, pilot)  # every meter shows the paused state
        if check is not None:
            check(app, view)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ask_mid_stream_snapshot(snap_compare, size: tuple[int, int]) -> None:
    # At step 70 gpt-oss-120b is answering; deepseek-r1-0528 is still reasoning.
    runner = _runner(["replay:deepseek-r1-0528", "replay:gpt-oss-120b"], steps=70)
    assert snap_compare(TokenscopeApp(poll_seconds=0), terminal_size=size, run_before=runner)


@pytest.mark.parametrize("size", FOUR_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ask_four_answers_snapshot(snap_compare, size: tuple[int, int]) -> None:
    # 2×2; compact panes at 80×24 put the answer first.
    check = lambda app, view: check_four_ended_panes(app, view, size)  # noqa: E731
    assert snap_compare(
        TokenscopeApp(poll_seconds=0), terminal_size=size, run_before=_runner(FOUR, None, check)
    )


def test_model_picker_snapshot(snap_compare) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        from tokenscope.tui.screens.ask_dialogs import ModelPickerScreen

        app = pilot.app
        await open_ask(app, pilot)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, ModelPickerScreen), what="picker")
        await pilot.pause(0.2)

    assert snap_compare(
        TokenscopeApp(poll_seconds=0), terminal_size=(80, 24), run_before=run_before
    )

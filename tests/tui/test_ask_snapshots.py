"""The Ask view mid-stream at 80×24 and 160×48: two replays at a fixed, fake pace.

``FakePace`` replaces the replays' sleep and every clock the view reads, and
stops both streams for good after a fixed number of steps, so each run paints
the same screen.
"""

from __future__ import annotations

import pytest

from tests.tui.ask_helpers import FakePace, open_ask, wait_for, wait_still
from tokenscope.tui.app import TokenscopeApp

SIZES = [(80, 24), (160, 48)]


def _runner(models: list[str], steps: int):
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        view = await open_ask(app, pilot)
        view.set_models(models)
        pace = FakePace(limit=steps)
        pace.install(view)
        await pilot.press("ctrl+s")
        keys = list(view.board.panes)
        await wait_for(
            pilot,
            lambda: all(view.board.panes[k].status == "streaming" for k in keys),
            what="every replay to start",
        )
        pace.go.set()
        await wait_for(pilot, lambda: len(pace.blocked) == len(keys), what="the replays to pause")
        await wait_for(pilot, lambda: view.baseline is not None, what="the baseline")
        await wait_still(view, pilot)  # every meter shows the paused state

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ask_mid_stream_snapshot(snap_compare, size: tuple[int, int]) -> None:
    # At step 70 gpt-oss-120b is answering; deepseek-r1-0528 is still reasoning.
    runner = _runner(["replay:deepseek-r1-0528", "replay:gpt-oss-120b"], steps=70)
    assert snap_compare(TokenscopeApp(poll_seconds=0), terminal_size=size, run_before=runner)

"""The Ask view with its ask on another thread: one frame per pane per screen refresh
however fast the stream, no painting out of sight, and partial runs kept on quit."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from textual.screen import Screen

import tokenscope.ask.live as live_module
from tests.ask.test_live import sse
from tests.probe.transcript_server import Reply, chunked
from tests.tui.ask_helpers import FakePace, open_ask, wait_ended, wait_for, write_config
from tests.tui.test_ask import saved_runs
from tokenscope.ask.live import LiveAsk
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.views.ask import AskView
from tokenscope.tui.widgets.ask_pane import AskPane

SIZE = (120, 36)


@pytest.mark.frames
async def test_the_view_gets_at_most_one_update_per_pane_per_frame(
    transcripts, isolated_dirs: Path, monkeypatch
) -> None:
    # A fast stream (3,000 deltas per pane, a few ms apart), and the ask's thread offering
    # a frame a millisecond: only the painting handshake keeps the messages to one per
    # pane per screen refresh.
    body = sse(3000, 1200)
    urls = {
        name: transcripts.add(name, Reply(body, chunks=chunked(body, [1400]), delay=0.002))
        for name in ("fast-a", "fast-b")
    }
    write_config(
        isolated_dirs,
        {name: {"base_url": url, "models": [name]} for name, url in urls.items()},
    )

    class EagerLiveAsk(LiveAsk):
        def __init__(self, *args, **kw) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, fps=1000.0, **kw)

    monkeypatch.setattr(live_module, "LiveAsk", EagerLiveAsk)
    refreshes = [0]
    per_refresh: Counter[tuple[int, str]] = Counter()
    handle = AskView.on_ask_view_frame

    async def counted_frame(self, message) -> None:  # type: ignore[no-untyped-def]
        per_refresh.update((refreshes[0], key) for key in message.frame.panes)
        await handle(self, message)

    monkeypatch.setattr(AskView, "on_ask_view_frame", counted_frame)
    after_refresh = Screen._invoke_and_clear_callbacks

    async def counted_refresh(self) -> None:  # type: ignore[no-untyped-def]
        if self._callbacks:
            refreshes[0] += 1  # the screen is up to date (repainted, or nothing to paint)
        await after_refresh(self)

    monkeypatch.setattr(Screen, "_invoke_and_clear_callbacks", counted_refresh)
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models([f"endpoint:{name}:{name}" for name in urls])
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        assert {s.status for s in view.board.panes.values()} == {"ok"}
        pane = view._panes["fast-a"]
        assert pane.reasoning_log.text == view.live.session.stored["fast-a"].record["reasoning"]
    # Never a message per delta: each pane is named by at most one message between two
    # screen refreshes, and the 6,000 deltas came in a few dozen frames.
    assert per_refresh and max(per_refresh.values()) == 1
    assert {key for _, key in per_refresh} == {"fast-a", "fast-b"}
    assert len(per_refresh) * 10 < 2 * 3000


@pytest.mark.frames
async def test_panes_out_of_sight_are_not_painted_until_shown_again(monkeypatch) -> None:
    paints = [0]
    paint = AskPane.paint

    async def counted(self, *args, **kw) -> None:  # type: ignore[no-untyped-def]
        paints[0] += 1
        await paint(self, *args, **kw)

    monkeypatch.setattr(AskPane, "paint", counted)
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(["replay:gpt-oss-120b"])
        pace = FakePace(limit=30)
        pace.install(view)
        pace.go.set()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: pace.blocked, what="the replay to pause")
        await pilot.press("1")
        await wait_for(pilot, lambda: a.main.active_key == "leaderboard", what="the leaderboard")
        before, updates = paints[0], view.updates
        # The replay's meter keeps ticking: frames arrive, nothing is painted.
        await wait_for(pilot, lambda: view.updates >= updates + 3, what="more frames")
        assert paints[0] == before and view._unpainted
        await pilot.press("5")
        await wait_for(pilot, lambda: paints[0] > before, what="a paint once shown")
        pace.release()
        await wait_ended(view, pilot)
        pane = view._panes["gpt-oss-120b (replay)"]
        assert pane.markdown.source == view.board.panes["gpt-oss-120b (replay)"].answer_so_far


async def test_quitting_mid_stream_keeps_the_partial_run(transcripts, isolated_dirs: Path) -> None:
    body = sse(300, 250, finish=False)
    url = transcripts.add("hang-quit", Reply(body, chunks=chunked(body, [400]), hang=True))
    write_config(isolated_dirs, {"loop": {"base_url": url, "models": ["slow"]}})
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(["endpoint:loop:slow"])
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: view.board.panes["slow"].reasoning_chars > 0, what="some reasoning"
        )
    # The app is gone; the run it was streaming is stored, cancelled, with its text.
    runs = saved_runs(isolated_dirs)
    assert [(r["model"], r["status"]) for r in runs] == [("slow", "cancelled")]
    assert runs[0]["reasoning"].startswith(" w0 w1")

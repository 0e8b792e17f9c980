"""The Ask view with its ask on another thread: one frame per pane per screen refresh
however fast the stream, no painting out of sight, and partial runs kept on quit."""

from __future__ import annotations

from pathlib import Path

from tests.ask.test_live import sse
from tests.probe.transcript_server import Reply, chunked
from tests.tui.ask_helpers import FakePace, open_ask, wait_ended, wait_for, write_config
from tests.tui.test_ask import saved_runs
from tokenscope.ask.live import LiveAsk
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.widgets.ask_pane import AskPane
from tokenscope.tui.widgets.ask_view import AskView

SIZE = (120, 36)


async def test_the_view_gets_at_most_one_update_per_pane_per_frame(
    transcripts, isolated_dirs: Path, monkeypatch
) -> None:
    body = sse(3000, 1200)
    urls = {
        name: transcripts.add(name, Reply(body, chunks=chunked(body, [1400])))
        for name in ("fast-a", "fast-b")
    }
    write_config(
        isolated_dirs,
        {name: {"base_url": url, "models": [name]} for name, url in urls.items()},
    )
    painted = [0]
    received: list[tuple[int, int, list[str]]] = []
    paint_after = LiveAsk.painted
    handle = AskView.on_ask_view_frame

    def counted_painted(self) -> None:  # type: ignore[no-untyped-def]
        painted[0] += 1
        paint_after(self)

    async def counted_frame(self, message) -> None:  # type: ignore[no-untyped-def]
        received.append((len(received), painted[0], list(message.frame.panes)))
        await handle(self, message)

    monkeypatch.setattr(LiveAsk, "painted", counted_painted)
    monkeypatch.setattr(AskView, "on_ask_view_frame", counted_frame)
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models([f"endpoint:{name}:{name}" for name in urls])
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        events = view.live.board.events
        assert {s.status for s in view.board.panes.values()} == {"ok"}
    # Each frame came only once the one before it was on screen, and named each pane
    # at most once: never a message per delta.
    assert received and all(seen == index for index, seen, _ in received)
    assert all(set(keys) <= {"fast-a", "fast-b"} for _, _, keys in received)
    assert len(received) * 10 < events  # 6,000 deltas, a few dozen frames


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

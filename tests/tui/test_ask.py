"""Pilot tests of the Ask view: replays, the loopback transcript server, the real Gemma server."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest

from tests.probe.transcript_server import Reply, TranscriptServer, chunked, load_transcript
from tests.tui.ask_helpers import (
    DEMO,
    FakePace,
    ask_while_streaming,
    open_ask,
    wait_ended,
    wait_for,
    wait_still,
    write_config,
)
from tokenscope.ask.models import LOCAL_ID
from tokenscope.tui.app import TokenscopeApp

SIZE = (120, 36)
LOOP_MODEL = "endpoint:loop:deepseek-reasoner"


def app() -> TokenscopeApp:
    return TokenscopeApp(poll_seconds=0)


@pytest.fixture(scope="module")
def server():
    s = TranscriptServer().start()
    try:
        yield s
    finally:
        s.stop()


def meter(view, key: str) -> str:  # type: ignore[no-untyped-def]
    return str(view._panes[key].query_one(".ask-meter").render())


def saved_runs(isolated_dirs: Path) -> list[dict]:
    import polars as pl

    files = list((isolated_dirs / "data" / "results").rglob("*.parquet")) + list(
        (isolated_dirs / "data" / "results").rglob("*.jsonl")
    )
    rows: list[dict] = []
    for f in files:
        if f.suffix == ".parquet":
            rows += pl.read_parquet(f).to_dicts()
        else:
            rows += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return rows


async def test_replays_side_by_side_show_meters_and_ratio(isolated_dirs: Path) -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        # No key and no server: the built-in local model is the default live model.
        assert view.selected == [LOCAL_ID]
        view.set_models(DEMO)
        pace = FakePace(limit=10_000)
        pace.go.set()
        pace.install(view)
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        assert set(view._panes) == {"deepseek-r1-0528 (replay)", "gpt-oss-120b (replay)"}
        for key, state in view.board.panes.items():
            assert state.status == "ok", state.message
            assert state.exact
            text = meter(view, key)
            assert "×" in text and "of 75" in text, text
            assert "exact: usage reported" in text and "replay" in text
        # 294 + 103 tokens against the study's 74.6: 5.3×.
        assert "5.3×" in meter(view, "deepseek-r1-0528 (replay)")
        assert "75 tokens" in str(view.query_one("#ask-baseline-line").render())
        # Replays are never stored as the user's runs.
        assert saved_runs(isolated_dirs) == []
        assert view.records["gpt-oss-120b (replay)"]["source"] == "replay"


async def test_hidden_reasoning_replay_says_thinking() -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(["replay:o3-mini-high"])
        pace = FakePace(limit=5)
        pace.install(view)
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: view.board.panes["o3-mini-high (replay)"].status == "streaming"
        )
        pace.go.set()
        await wait_for(pilot, lambda: pace.blocked, what="the replay to pause")
        await wait_still(view, pilot)
        text = meter(view, "o3-mini-high (replay)")
        assert "thinking…" in text, text
        await pilot.press("escape")
        await wait_ended(view, pilot)
        assert view.board.panes["o3-mini-high (replay)"].status == "cancelled"


async def test_transcript_stream_is_saved_and_lands_in_runs_table(
    server, isolated_dirs: Path
) -> None:
    from tokenscope.tui.screens.run_detail import RunDetailScreen

    url = server.add_transcript("deepseek_reasoner")
    write_config(isolated_dirs, {"loop": {"base_url": url, "models": ["deepseek-reasoner"]}})
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models([LOOP_MODEL])
        a.main.query_one("#ask-question").text = "What is 2 + 2?"
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        state = view.board.panes["deepseek-reasoner"]
        assert state.status == "ok" and state.exact
        assert "reasoning 8 · answer 5" in meter(view, "deepseek-reasoner")
        assert view._panes["deepseek-reasoner"].reasoning_log.text == "We need to add 2 and 2."
        # The answer came through MarkdownStream.
        assert view._panes["deepseek-reasoner"].markdown.source == "2 + 2 = 4"
        runs = saved_runs(isolated_dirs)
        assert [r["model"] for r in runs] == ["deepseek-reasoner"] and runs[0]["status"] == "ok"

        # The app reloads: the run joins the Runs table.
        def in_table() -> bool:
            frame = a.main.view("runs").table.frame if a.main.view("runs").loaded else None
            return frame is not None and "deepseek-reasoner" in set(frame["model"])

        await pilot.press("escape")
        await pilot.press("3")
        await wait_for(pilot, in_table, what="the run in the Runs table")
        assert a.main.query_one("#runs-table").display
        # And o opens it in Run detail.
        await pilot.press("5")
        await pilot.pause()
        view._panes["deepseek-reasoner"].focus()
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(a.screen, RunDetailScreen), what="Run detail")
        assert a.screen.run["answer"] == "2 + 2 = 4"
        # The saved run as the data has it: the method behind its reasoning count is known.
        assert a.screen.run["reasoning_method"] not in (None, "unknown")


async def test_two_models_side_by_side_live_and_replay(server, isolated_dirs: Path) -> None:
    url = server.add_transcript("deepseek_reasoner", sizes=[300], delay=0.01)
    write_config(isolated_dirs, {"loop": {"base_url": url, "models": ["deepseek-reasoner"]}})
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models([LOOP_MODEL, "replay:gpt-oss-120b"])
        view.query_one("#ask-pace").value = 600.0
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        statuses = {k: s.status for k, s in view.board.panes.items()}
        assert statuses == {"deepseek-reasoner": "ok", "gpt-oss-120b (replay)": "ok"}
        # Both ratios against the study baseline (the question is a study prompt).
        assert "×" in meter(view, "deepseek-reasoner") and "×" in meter(
            view, "gpt-oss-120b (replay)"
        )
        assert [r["model"] for r in saved_runs(isolated_dirs)] == ["deepseek-reasoner"]


async def test_escape_cancels_every_stream_fast_and_saves_partial(
    server, isolated_dirs: Path
) -> None:
    body, _ = load_transcript("deepseek_reasoner")
    half = body[: len(body) // 2]
    url = server.add("hang", Reply(half, chunks=chunked(half, [200]), delay=0.01, hang=True))
    write_config(isolated_dirs, {"loop": {"base_url": url, "models": ["deepseek-reasoner"]}})
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models([LOOP_MODEL, "replay:deepseek-r1-0528"])
        view.query_one("#ask-pace").value = 30.0
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: all(s.counts for s in view.board.panes.values()), what="tokens"
        )
        # Every stream ends and the panes say so (how fast: benchmarks/bench_cancel.py).
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: all("cancelled" in meter(view, k) for k in view._panes), what="cancel"
        )
        await wait_ended(view, pilot)
        assert {s.status for s in view.board.panes.values()} == {"cancelled"}
        assert "cancelled" in meter(view, "deepseek-reasoner")
        runs = saved_runs(isolated_dirs)
        assert [(r["model"], r["status"]) for r in runs] == [("deepseek-reasoner", "cancelled")]
        # The stored run is complete: the ask's thread stored all the text that arrived,
        # which is all the pane received, and the counts it showed.
        shown = view.board.panes["deepseek-reasoner"]
        assert runs[0]["reasoning"]
        assert runs[0]["reasoning"] == view._panes["deepseek-reasoner"].reasoning_log.text
        assert runs[0]["tokens_completion"] == shown.counts.completion


async def test_retry_asks_again(server, isolated_dirs: Path) -> None:
    url = server.add_transcript("deepseek_reasoner")
    name = url.rsplit("/", 1)[1]
    write_config(isolated_dirs, {"loop": {"base_url": url, "models": ["deepseek-reasoner"]}})
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models([LOOP_MODEL])
        before = len(server.requests_for(name))
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        first = view.board
        await pilot.press("r")
        await wait_for(pilot, lambda: view.board is not first, what="the retry")
        await wait_ended(view, pilot)
        assert view.board.panes["deepseek-reasoner"].status == "ok"
        assert len(server.requests_for(name)) == before + 2


async def test_new_question_while_streaming_can_be_queued(isolated_dirs: Path) -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        pace, first = await ask_while_streaming(a, pilot, view)
        await pilot.press("q")
        assert view.queued is not None and view.board is first
        pace.release()
        await wait_for(pilot, lambda: view.board is not first, what="the queued question")
        assert first.panes["gpt-oss-120b (replay)"].status == "ok"  # the first one finished
        await wait_ended(view, pilot)
        # Cancel-and-ask: the running one stops at once, the new one goes out.
        _pace, second = await ask_while_streaming(a, pilot, view)
        await pilot.press("c")
        await wait_for(pilot, lambda: view.board is not second, what="the new ask")
        assert second.panes["gpt-oss-120b (replay)"].status == "cancelled"
        await pilot.press("escape")
        await wait_ended(view, pilot)


async def test_errors_stay_in_the_pane_and_text_is_literal(server, isolated_dirs: Path) -> None:
    evil = "[bold red]not markup[/] \x1b[31mred\x1b]0;title\x07"
    head = '{"choices":[{"index":0,"delta":%s,"finish_reason":%s}]}'
    events = [head % (json.dumps({"content": evil}), "null"), head % ("{}", '"stop"')]
    body = "".join(f"data: {e}\n\n" for e in events).encode() + b"data: [DONE]\n\n"
    good = server.add("evil", Reply(body))
    bad = server.add(
        "denied",
        Reply(b'{"error":{"message":"bad key sk-secret-123456789"}}', 401, "application/json"),
    )
    write_config(
        isolated_dirs,
        {
            "loop": {"base_url": good, "models": ["evil"]},
            "cloud": {"base_url": bad, "models": ["denied"], "api_key_env": "LOOP_TEST_KEY"},
        },
    )
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(["endpoint:loop:evil", "endpoint:cloud:denied"])
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        pane = view._panes["evil"]
        assert "[bold red]not markup[/]" in pane.markdown.source
        assert "\x1b" not in pane.markdown.source and "\\x1b" in pane.markdown.source
        denied = view.board.panes["denied"]
        assert denied.status == "failed"
        text = meter(view, "denied")
        assert "LOOP_TEST_KEY" in text and "✗" in text  # the key variable is named, no key shown
        assert a.is_running


async def test_copy_answer(server, isolated_dirs: Path) -> None:
    url = server.add_transcript("deepseek_reasoner")
    write_config(isolated_dirs, {"loop": {"base_url": url, "models": ["deepseek-reasoner"]}})
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models([LOOP_MODEL])
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        await pilot.press("c")
        assert a.clipboard == "2 + 2 = 4"


async def test_local_gemma_beside_a_replay_lands_in_runs(gemma_server, isolated_dirs: Path) -> None:
    from tokenscope.ask.models import LOCAL_ID, ExternalModel, local_choice

    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        assert local_choice().available
        view.local = ExternalModel(gemma_server)
        view.max_tokens = 12
        view.set_models([LOCAL_ID, "replay:gpt-oss-120b"])
        view.query_one("#ask-pace").value = 600.0
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot, timeout=120)
        gemma = view.board.panes["gemma-3-270m (local)"]
        assert gemma.status == "ok", gemma.message
        assert gemma.counts is not None and gemma.counts.completion == 12
        assert view._panes["gemma-3-270m (local)"].markdown.source
        assert "×" in meter(view, "gemma-3-270m (local)")
        assert "cut at max tokens" in meter(view, "gemma-3-270m (local)")  # 12 tokens, then length
        await pilot.press("3")

        def in_table() -> bool:
            runs = a.main.view("runs")
            return runs.loaded and "gemma-3-270m (local)" in set(runs.table.frame["model"])

        await wait_for(pilot, in_table, what="the Gemma run in the Runs table")


async def test_local_gemma_cancel_and_retry(gemma_server, isolated_dirs: Path) -> None:
    from tokenscope.ask.models import LOCAL_ID, ExternalModel

    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.local = ExternalModel(gemma_server)
        view.max_tokens = 200
        view.set_models([LOCAL_ID])
        a.main.query_one("#ask-question").text = "Write a long story about a lighthouse."
        await pilot.press("ctrl+s")
        key = "gemma-3-270m (local)"
        await wait_for(
            pilot, lambda: view.board.panes[key].counts is not None, timeout=60, what="tokens"
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: "cancelled" in meter(view, key), what="the cancel")
        await wait_ended(view, pilot)
        assert view.board.panes[key].status == "cancelled"
        # A retry asks the last question again as it was: make that one short.
        view.last = dataclasses.replace(view.last, max_tokens=8)
        await pilot.press("r")
        await wait_for(pilot, lambda: view.board.panes[key].status != "cancelled", what="retry")
        await wait_ended(view, pilot, timeout=120)
        assert view.board.panes[key].status == "ok", view.board.panes[key].message
        statuses = sorted(r["status"] for r in saved_runs(isolated_dirs))
        assert statuses == ["cancelled", "ok"]


@pytest.mark.parametrize("installed", [False])
async def test_picker_says_how_to_install_the_local_model(monkeypatch, installed: bool) -> None:
    from tokenscope.probe import local_model
    from tokenscope.tui.screens.ask_dialogs import ModelPickerScreen

    monkeypatch.setattr(local_model, "available", lambda: installed)
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        await pilot.press("escape")  # leave the question box
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(a.screen, ModelPickerScreen), what="the picker")
        options = a.screen.query_one("#model-options")
        first = options.get_option_at_index(0)
        assert first.disabled and "pip install 'tokenscope[local]'" in str(first.prompt)
        await pilot.press("escape")
        await asyncio.sleep(0)
        assert view.selected  # unchanged


async def test_the_app_stops_the_local_model_on_exit() -> None:
    stopped: list[bool] = []

    class Owned:
        running = True

        def url(self) -> str:
            return ""

        def stop(self) -> None:
            stopped.append(True)

    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await open_ask(a, pilot)
        a.main.view("ask").local = Owned()
        titles = {c.title for c in a.get_system_commands(a.screen)}
        assert {
            "Ask: send the question",
            "Ask: cancel every stream",
            "Ask: choose models",
        } <= titles
    assert stopped == [True]


async def test_a_pane_that_ends_first_shows_its_whole_answer() -> None:
    a = app()
    async with a.run_test(size=(80, 24)) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(DEMO)
        view.query_one("#ask-pace").value = 150.0
        await pilot.press("ctrl+s")
        fast = "gpt-oss-120b (replay)"
        await wait_for(pilot, lambda: view.board.panes[fast].finished, what="the short replay")
        await wait_for(
            pilot,
            lambda: view._panes[fast].markdown.source == view.board.panes[fast].answer_so_far,
            what="the whole answer on screen",
        )
        assert not view.board.done  # deepseek-r1-0528 is still streaming
        assert view._panes[fast].markdown.source == view.board.panes[fast].answer_so_far
        log = view._panes[fast].reasoning_log
        # Wrapped lines fit beside the scrollbar: nothing is cut off.
        assert all(len(line) <= log.scrollable_content_region.width for line in log._lines)
        assert " ".join(log._lines).split() == log.text.split()
        await pilot.press("escape")
        await wait_ended(view, pilot)


async def test_reasoning_follows_the_bottom_until_the_user_scrolls_up() -> None:
    a = app()
    async with a.run_test(size=(80, 24)) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(["replay:qwen3-235b-a22b-thinking-2507", "replay:gpt-oss-120b"])
        # Two panes side by side, 200 tokens into a long reasoning: more than fits.
        pace = FakePace(limit=200)
        pace.install(view)
        pace.go.set()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: pace.blocked, what="the replay to pause")
        await wait_still(view, pilot)
        log = view._panes["qwen3-235b-a22b-thinking-2507 (replay)"].reasoning_log
        assert log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y  # following
        log.release_anchor()  # what a mouse wheel or a key scroll does
        log.scroll_to(y=0, animate=False, immediate=True)
        lines = len(log._lines)
        pace.release()
        await wait_ended(view, pilot)
        assert len(log._lines) > lines and log.scroll_y == 0  # left where the user put it


async def test_reasoning_log_keeps_spaces_across_deltas_at_a_line_end() -> None:
    from textual.app import App

    from tokenscope.tui.widgets.ask_pane import ReasoningLog

    class Host(App):
        def compose(self):
            yield ReasoningLog()

    host = Host()
    async with host.run_test(size=(24, 10)) as pilot:
        log = host.query_one(ReasoningLog)
        await pilot.pause()
        for delta in ("Possibly also", " mention. ", "The instruction", " says: ", "answer."):
            log.append(delta)
        assert " ".join(log._lines).split() == log.text.split()
        assert "mention.The" not in " ".join(log._lines)


async def test_a_pane_that_ended_in_a_text_less_frame_is_finished_by_the_next_frame() -> None:
    """An ending is shown at once in a frame without text (the meter only); the rest of
    that pane (its title and border) must come with the next frame, although an ended
    pane has no news of its own. It once waited for the whole ask to end (seen on a
    loaded machine, where the answer had already been flushed)."""
    a = app()
    async with a.run_test(size=(80, 24)) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(["replay:qwen3-235b-a22b-thinking-2507", "replay:gpt-oss-120b"])
        pace = FakePace(limit=200)  # gpt-oss ends within that; qwen is held mid-reasoning
        pace.install(view)
        pace.go.set()
        await pilot.press("ctrl+s")
        ended, streaming = "gpt-oss-120b (replay)", "qwen3-235b-a22b-thinking-2507 (replay)"
        await wait_for(pilot, lambda: view.board.panes[ended].finished, what="one pane's end")
        await wait_still(view, pilot)
        # As the ending's text-less frame leaves it: meter shown, the rest still to paint.
        view.board.panes[ended].dirty = True
        await view._paint([streaming], meters=False)  # the next frame: the other pane's news
        assert not view.board.panes[ended].dirty
        pace.release()
        await wait_ended(view, pilot)

"""Run a suite from the app: start it, watch it land, cancel it."""

from __future__ import annotations

import pytest
from probe.transcript_server import Reply, load_transcript
from textual.widgets import Input, Select

from tests.tui.conftest import until
from tokenscope.data.loader import load_dataset
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.screens.suite_run import BASE_URL, SuiteRunScreen

SIZE = (100, 40)
# Each suite runs in the app's worker and its panel waits on it: seconds each.
pytestmark = pytest.mark.slow


async def _fill(pilot, screen: SuiteRunScreen, url: str, only: str, samples: str = "1") -> None:
    screen.query_one("#suite-endpoint", Select).value = BASE_URL
    await pilot.pause()
    screen.query_one("#suite-base-url", Input).value = url
    screen.query_one("#suite-model", Input).value = "m"
    screen.query_one("#suite-samples", Input).value = samples
    screen.query_one("#suite-only", Input).value = only


async def _wait(pilot, condition) -> None:
    await until(pilot, condition, "the suite panel's next state")


async def test_suite_from_the_palette_runs_and_lands_in_the_store(transcripts) -> None:
    url = transcripts.add_transcript("judge_model_answer")
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"run a suite")
        await pilot.press("enter")
        await _wait(pilot, lambda: isinstance(app.screen, SuiteRunScreen))
        screen = app.screen
        await _fill(pilot, screen, url, "bridge_torch_easy,capital_of_australia", samples="2")
        await pilot.click("#suite-start")
        await _wait(
            pilot,
            lambda: (
                not screen.running and "finished" in str(screen.query_one("#suite-status").render())
            ),
        )
    runs = load_dataset("user").runs
    assert runs.height == 4 and set(runs["status"]) == {"ok"}
    assert set(runs["suite"]) == {"study"}


async def test_cancelling_keeps_finished_samples(transcripts) -> None:
    body, _ = load_transcript("judge_model_answer")
    parts = body.split(b"\n\n")
    slow = transcripts.add("slow-suite", Reply(chunks=[p + b"\n\n" for p in parts if p], delay=0.4))
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = SuiteRunScreen()
        await app.push_screen(screen)
        await _fill(pilot, screen, slow, "capital_of_australia", samples="3")
        await pilot.click("#suite-start")
        await _wait(pilot, lambda: screen.running)
        await _wait(pilot, lambda: transcripts.requests_for("slow-suite"))  # samples in flight
        await pilot.press("escape")
        await _wait(pilot, lambda: not screen.running)
        assert "cancelled" in str(screen.query_one("#suite-status").render())
    runs = load_dataset("user").runs
    assert "cancelled" in set(runs["status"])
    assert runs.filter(runs["status"] == "ok").height < 3


async def test_bad_input_is_a_message_not_a_crash(transcripts) -> None:
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = SuiteRunScreen()
        await app.push_screen(screen)
        await _fill(pilot, screen, "http://127.0.0.1:9/v1", "no_such_prompt")
        await pilot.click("#suite-start")
        await _wait(pilot, lambda: not screen.running)
        assert "unknown prompt 'no_such_prompt'" in str(screen.query_one("#suite-status").render())
        assert app.is_running


async def test_u_opens_the_suite_panel() -> None:
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")
        await _wait(pilot, lambda: isinstance(app.screen, SuiteRunScreen))
        await pilot.press("escape")
        await _wait(pilot, lambda: not isinstance(app.screen, SuiteRunScreen))

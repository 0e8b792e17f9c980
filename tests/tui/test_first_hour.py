"""Pilot tests of what a newcomer meets in the app's first hour: keys typed right after a
view switch, the header's count under filters, an empty "your runs", ad-hoc questions
kept out of the leaderboard, and the built-in model under one name in a suite."""

from __future__ import annotations

import asyncio
from typing import Any

import polars as pl
from textual import events
from textual.widgets import Input, Select

from tests.tui.conftest import wait_painted
from tokenscope.ask.models import local_choice
from tokenscope.cli import main as cli
from tokenscope.data.store import append_run
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.explorer import filtered_runs
from tokenscope.tui.screens import main as main_screen
from tokenscope.tui.screens.suite_run import SuiteRunScreen
from tokenscope.tui.widgets.topbar import NO_RUNS_OF_YOUR_OWN

SIZE = (120, 36)


def app() -> TokenscopeApp:
    return TokenscopeApp(poll_seconds=0)


async def until(pilot, condition, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await pilot.pause(0.05)


def type_at_once(a: TokenscopeApp, *keys: str) -> None:
    """Keys as a terminal delivers them when typed quickly: all queued before any is handled."""
    for key in keys:
        a.post_message(events.Key(key, key))


def shown(a: TokenscopeApp, key: str) -> Any:
    """The view of a tab once it is built and painted, and no key is held for it."""
    view = next((v for v in a.main.views() if v.id == f"view-{key}"), None)
    if view is None or not view.loaded or view.stale or a.main._building is not None:
        return None
    return view


async def test_keys_typed_right_after_a_view_switch_reach_the_new_view(monkeypatch) -> None:
    # Only the view's own paint may let the keys go, never the safety limit.
    monkeypatch.setattr(main_screen, "HOLD_LIMIT_S", 3600.0)
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        type_at_once(a, "4", "n")  # the Charts view, then its next chart
        await until(pilot, lambda: (v := shown(a, "charts")) and v.chart != "relative")
        assert shown(a, "charts").chart == "composition"
        type_at_once(a, "2", "s")  # the Prompts view, then sort by the cursor column
        await until(pilot, lambda: (v := shown(a, "prompts")) and v.table.sort_key)
        assert shown(a, "prompts").table.sort_key == "prompt_id"
        # The Leaderboard behind was not sorted by the keys meant for the others.
        assert a.main.view("leaderboard").table.sort_key == "relative_completion_tokens"


async def test_the_header_counts_the_runs_the_filters_keep() -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        bar = a.main.query_one("#topbar")
        total = a.ds.runs_lazy.select(pl.len()).collect().item()
        assert bar.count is None and f"{total:,} runs" in str(bar.render())  # nothing filtered
        await pilot.press("d")  # knowledge only
        await until(pilot, lambda: bar.count is not None)
        expected = filtered_runs(a.ds, a.filters).collect().height
        assert 0 < bar.count == expected < total
        assert f"{expected:,} of " in str(bar.render()) and f"{total:,} runs" in str(bar.render())
        await pilot.press("3")
        await wait_painted(a, pilot, "runs")
        assert a.main.view("runs").table.frame.height == expected


async def test_asking_for_your_own_runs_when_you_have_none_says_how_to_make_some() -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        bar = a.main.query_one("#topbar")
        await pilot.press("b", "b")  # source: bundled, then source: user
        await until(pilot, lambda: bar.count == 0)
        assert "none match" in str(bar.render())
        await until(pilot, lambda: any(n.message == NO_RUNS_OF_YOUR_OWN for n in a._notifications))


async def test_ad_hoc_questions_stay_out_of_the_leaderboard_but_not_out_of_runs() -> None:
    append_run(
        {"model": "m", "prompt_id": "capital_of_australia", "tokens_completion": 100, "score": 1.0}
    )
    for tokens in (5000, 7000):
        append_run(
            {"model": "m", "prompt_text": "Why is the sky blue?", "tokens_completion": tokens}
        )
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        board = a.main.view("leaderboard").table.frame
        (row,) = board.filter(board["model"] == "m").to_dicts()
        assert (row["n_runs"], row["n_prompts"], row["mean_completion_tokens"]) == (1, 1, 100)
        await pilot.press("3")
        await wait_painted(a, pilot, "runs")
        runs = a.main.view("runs").table.frame
        assert sorted(runs.filter(runs["model"] == "m")["tokens_completion"]) == [100, 5000, 7000]


async def test_a_suite_on_the_built_in_model_is_stored_as_the_ask_view_names_it(
    local_model_installed, capsys
) -> None:
    a = app()
    async with a.run_test(size=(100, 40)) as pilot:
        screen = SuiteRunScreen()
        await a.push_screen(screen)
        assert screen.query_one("#suite-endpoint", Select).value == "local"
        screen.query_one("#suite-samples", Input).value = "1"
        screen.query_one("#suite-only", Input).value = "capital_of_australia"
        await pilot.click("#suite-start")
        status = screen.query_one("#suite-status")
        await until(
            pilot,
            lambda: not screen.running and "finished" in str(status.render()),
            timeout=180,
        )
    # The command line on the built-in model, on a server of its own: the same model,
    # the same sample, already done.
    run = ["run", "--endpoint", "local", "--only", "capital_of_australia", "-n", "1"]
    assert await asyncio.to_thread(cli, run) == 0
    assert "1 already done" in capsys.readouterr().out
    assert await asyncio.to_thread(cli, ["leaderboard", "--source", "user", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()[1:]
    assert len(rows) == 1 and rows[0].startswith(local_choice().label + ",")

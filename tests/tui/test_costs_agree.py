"""Cost per query is the headline: the app and the CLI must give the same numbers.

Each test asks both front ends the same thing (the CLI's main(), the app under
Pilot) and compares what they store or show, with the user's prices in the config.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from cli_in_process import run_cli

from tests.tui.ask_helpers import FakePace, open_ask, wait_ended, wait_for
from tests.tui.conftest import wait_painted
from tokenscope.ask.models import DEMO_QUESTION
from tokenscope.tui.app import TokenscopeApp

SIZE = (120, 36)
COST_KEYS = ("cost_completion_usd", "cost_prompt_usd", "cost_usd")
TOKEN_KEYS = ("tokens_prompt", "tokens_completion")


async def cli(*args: str) -> subprocess.CompletedProcess[str]:
    # In a thread: the command runs an event loop of its own.
    return await asyncio.to_thread(run_cli, *args)


def write_config(isolated_dirs: Path, text: str) -> None:
    (isolated_dirs / "config" / "config.toml").write_text(text)


def stored_runs(isolated_dirs: Path) -> list[dict]:
    path = isolated_dirs / "data" / "results" / "tokenscope-runs.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_a_live_question_is_stored_with_the_same_tokens_and_costs_from_cli_and_app(
    transcripts, isolated_dirs: Path
) -> None:
    url = transcripts.add_transcript(
        "deepseek_reasoner"
    )  # reports 13 prompt + 13 completion tokens
    write_config(
        isolated_dirs,
        f'[endpoints.loop]\nbase_url = "{url}"\nmodels = ["deepseek-reasoner"]\n'
        '[prices."deepseek-reasoner"]\ncompletion_min = 1.0\ncompletion_max = 3.0\n'
        "prompt = 0.5\n",
    )
    proc = await cli("ask", "--endpoint", "loop", "--model", "deepseek-reasoner", "What is 2 + 2?")
    assert proc.returncode == 0, proc.stderr
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(["endpoint:loop:deepseek-reasoner"])
        a.main.query_one("#ask-question").text = "What is 2 + 2?"
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        await wait_for(pilot, lambda: "deepseek-reasoner" in view.records, what="the stored run")
    from_cli, from_app = stored_runs(isolated_dirs)
    for key in (*TOKEN_KEYS, *COST_KEYS):
        assert from_cli[key] == from_app[key], key
    assert from_app["cost_completion_usd"] == pytest.approx(13 * 2.0 / 1e6)
    assert from_app["cost_prompt_usd"] == pytest.approx(13 * 0.5 / 1e6)
    assert from_app["cost_usd"] == pytest.approx(13 * 2.5 / 1e6)


async def test_a_replay_gives_the_same_tokens_and_costs_in_cli_and_app(isolated_dirs: Path) -> None:
    proc = await cli(
        "ask", "--replay", "gpt-oss-120b", "--pace", "1e6", "--format", "json", DEMO_QUESTION
    )
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)[0]
    assert row["run_id"] is None and row["endpoint"] == "replay"
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(["replay:gpt-oss-120b"])
        pace = FakePace(limit=1 << 30)
        pace.go.set()
        pace.install(view)
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        await wait_for(pilot, lambda: view.records, what="the replay's record")
        record = view.records["gpt-oss-120b (replay)"]
    assert row["model"] == record["model"] == "gpt-oss-120b (replay)"
    for key in (*TOKEN_KEYS, "tokens_reasoning", *COST_KEYS):
        assert row[key] == record[key], key
    assert record["cost_completion_usd"] > 0


def _bundled_row(rows: list[dict], model: str) -> dict:
    return next(r for r in rows if r["model"] == model and r["source"] == "bundled")


async def test_the_apps_leaderboard_charges_the_configured_price_as_the_cli_does(
    isolated_dirs: Path,
) -> None:
    write_config(
        isolated_dirs, '[prices."gpt-oss-120b"]\ncompletion_min = 10\ncompletion_max = 30\n'
    )
    proc = await cli("leaderboard", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    want = _bundled_row(json.loads(proc.stdout), "gpt-oss-120b")
    assert want["cost_per_query_usd_min"] == pytest.approx(
        want["mean_completion_tokens"] * 10 / 1e6
    )
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        board = a.main.view("leaderboard")
        await wait_for(pilot, lambda: a.settings is not None, what="the settings")
        await wait_painted(a, pilot, "leaderboard")
        got = _bundled_row(board.table.frame.to_dicts(), "gpt-oss-120b")
    for key in ("cost_per_query_usd_min", "cost_per_query_usd_max", "mean_completion_tokens"):
        assert got[key] == pytest.approx(want[key]), key
    assert got["cost_per_query_usd"] == pytest.approx(
        (want["cost_per_query_usd_min"] + want["cost_per_query_usd_max"]) / 2
    )


async def test_a_changed_config_file_reaches_the_tables_and_the_ask_view(
    isolated_dirs: Path,
) -> None:
    write_config(isolated_dirs, '[prices."gpt-oss-120b"]\ncompletion = 10\n')
    a = TokenscopeApp(poll_seconds=0.05)
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        board = a.main.view("leaderboard")

        def cost() -> float:
            return _bundled_row(board.table.frame.to_dicts(), "gpt-oss-120b")["cost_per_query_usd"]

        await wait_for(pilot, lambda: a.settings is not None and board.loaded, what="settings")
        await wait_for(pilot, lambda: cost() > 0, what="a priced leaderboard")
        first = cost()
        write_config(
            isolated_dirs,
            '[prices."gpt-oss-120b"]\ncompletion = 100\n'
            '[endpoints.mybox]\nbase_url = "http://127.0.0.1:9/v1"\nmodels = ["qwen3"]\n',
        )
        await wait_for(pilot, lambda: cost() == pytest.approx(first * 10), what="the new price")
        view = await open_ask(a, pilot)
        await wait_for(
            pilot, lambda: "endpoint:mybox:qwen3" in view.choices, what="the new endpoint"
        )

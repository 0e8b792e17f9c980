"""The runner resumes, never repeats a completed sample, and grades as it stores."""

from __future__ import annotations

import asyncio

import pytest

from tokenscope.data.loader import load_dataset
from tokenscope.suite.runner import (
    MAX_ASKS,
    SERIAL_NOTE,
    EndedEarly,
    completed_samples,
    run_suite,
)
from tokenscope.suite.suites import load_suite


@pytest.fixture
def data_dir(isolated_user_dirs):
    return isolated_user_dirs


def fake_asker(calls: list, fail_on: set | None = None, answer: str = "Canberra"):
    async def ask(prompt, index):
        calls.append((prompt.prompt_id, index))
        await asyncio.sleep(0)
        if fail_on and (prompt.prompt_id, index) in fail_on:
            return {"model": "m", "endpoint": "127.0.0.1", "status": "failed", "error": "boom"}
        return {
            "model": "m",
            "endpoint": "127.0.0.1",
            "status": "ok",
            "answer": answer,
            "tokens_completion": 10 + index,
            "tokens_source": "counted",
        }

    return ask


async def test_resume_skips_done_and_retries_failed(data_dir):
    suite = load_suite("study").only(["capital_of_australia", "one_plus_one"])
    calls: list = []
    first = await run_suite(
        suite,
        samples=2,
        model="m",
        endpoint="127.0.0.1",
        ask=fake_asker(calls, fail_on={("one_plus_one", 1)}),
    )
    assert (first.done, first.failed) == (3, 1)
    assert len(calls) == 4
    calls.clear()
    second = await run_suite(
        suite, samples=2, model="m", endpoint="127.0.0.1", ask=fake_asker(calls)
    )
    assert calls == [("one_plus_one", 1)] and second.skipped == 3
    assert completed_samples(suite, "m", "127.0.0.1") == {
        ("capital_of_australia", 0),
        ("capital_of_australia", 1),
        ("one_plus_one", 0),
        ("one_plus_one", 1),
    }
    # A different endpoint is a different measurement.
    assert completed_samples(suite, "m", "10.0.0.1") == set()


async def test_failures_in_a_row_stop_the_run_but_a_token_resets_the_count(data_dir):
    suite = load_suite("study")
    calls: list = []
    every = {(p.prompt_id, i) for p in suite.prompts for i in range(2)}
    progress = await run_suite(
        suite,
        samples=2,
        model="m",
        endpoint="h",
        concurrency=1,
        ask=fake_asker(calls, fail_on=every),
    )
    assert len(calls) == 3 and progress.failed == 3
    assert (
        progress.stopped
        and "3 failures in a row" in progress.stopped
        and "boom" in progress.stopped
    )
    # Failures between successes never stop a run: here every second sample fails.
    calls.clear()
    ok = fake_asker(calls)

    async def every_other(prompt, index):
        record = await ok(prompt, index)
        failed = {**record, "status": "failed", "error": "boom", "tokens_completion": None}
        return failed if len(calls) % 2 else record

    progress = await run_suite(
        suite, samples=2, model="m2", endpoint="h", concurrency=1, ask=every_other
    )
    assert progress.stopped is None and progress.failed == len(suite.prompts)


async def test_runs_are_graded_and_land_on_the_leaderboard(data_dir):
    suite = load_suite("study").only(["capital_of_australia", "bridge_torch_easy"])
    await run_suite(suite, samples=1, model="m", endpoint="h", ask=fake_asker([]))
    runs = load_dataset("user").runs.sort("prompt_id")
    by_prompt = {r["prompt_id"]: r for r in runs.iter_rows(named=True)}
    assert by_prompt["capital_of_australia"]["score"] == 1.0
    assert by_prompt["capital_of_australia"]["grader"] == "rule"
    # Not rule-gradable and no judge: ungraded, never wrong.
    assert by_prompt["bridge_torch_easy"]["score"] is None
    assert set(runs["suite"]) == {"study"}


async def test_cancelling_keeps_the_partial_run_and_takes_no_new_sample(data_dir):
    suite = load_suite("study").only(["capital_of_australia", "one_plus_one"])
    started = asyncio.Event()
    calls = []

    async def slow_ask(prompt, index):
        calls.append((prompt.prompt_id, index))
        started.set()
        try:
            await asyncio.Event().wait()  # until cancelled
        except asyncio.CancelledError:
            return {
                "model": "m",
                "endpoint": "h",
                "status": "cancelled",
                "answer": "Can",
                "error": "cancelled",
            }
        return {}

    task = asyncio.create_task(
        run_suite(suite, samples=3, model="m", endpoint="h", ask=slow_ask, concurrency=1)
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(calls) == 1
    runs = load_dataset("user").runs
    assert runs["status"].to_list() == ["cancelled"] and runs["answer"].to_list() == ["Can"]


def cutting_asker(calls: list):
    """A server like stock llama-cpp-python: an ask is cut when another starts meanwhile."""
    state = {"in_flight": 0, "started": 0}

    async def ask(prompt, index):
        calls.append((prompt.prompt_id, index))
        state["in_flight"] += 1
        state["started"] += 1
        mine = state["started"]
        try:
            for _ in range(3):  # a few turns of the loop: the other workers start theirs
                await asyncio.sleep(0)
            record = {"model": "m", "endpoint": "h", "answer": "Canberra", "tokens_completion": 5}
            if state["started"] != mine or state["in_flight"] > 1:
                partial = {**record, "status": "failed", "answer": "Can", "tokens_completion": 1}
                raise EndedEarly({**partial, "error": "the stream from h ended before the end"})
            return {**record, "status": "ok"}
        finally:
            state["in_flight"] -= 1

    return ask


async def test_streams_cut_by_concurrency_are_asked_again_one_at_a_time(data_dir):
    suite = load_suite("study").only(["capital_of_australia", "one_plus_one", "roses_logic"])
    calls: list = []
    seen_notes: list = []
    progress = await run_suite(
        suite,
        samples=2,
        model="m",
        endpoint="h",
        concurrency=4,
        ask=cutting_asker(calls),
        on_progress=lambda p: seen_notes.append(list(p.notes)),
    )
    assert (progress.done, progress.failed) == (6, 0)
    assert progress.notes == [SERIAL_NOTE]
    assert len(calls) > 6  # the cut ones were asked again
    runs = load_dataset("user").runs
    assert runs.height == 6 and set(runs["status"]) == {"ok"}
    assert runs.select("prompt_id", "sample_index").is_unique().all()
    # The note is reported as soon as the run goes one at a time, not only at the end.
    assert [SERIAL_NOTE] in seen_notes[: len(seen_notes) - 1]


async def test_a_server_that_always_ends_early_stores_the_sample_failed_once(data_dir):
    suite = load_suite("study").only(["one_plus_one"])
    calls: list = []

    async def always_cut(prompt, index):
        calls.append(index)
        raise EndedEarly({"model": "m", "endpoint": "h", "status": "failed", "error": "ended"})

    progress = await run_suite(
        suite, samples=1, model="m", endpoint="h", concurrency=1, ask=always_cut
    )
    assert len(calls) == MAX_ASKS and progress.failed == 1 and progress.notes == []
    runs = load_dataset("user").runs
    assert runs["status"].to_list() == ["failed"] and runs["error"].to_list() == ["ended"]

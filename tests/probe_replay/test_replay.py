"""Replay: the study's counts, at a chosen pace, with no key and no network."""

from __future__ import annotations

import asyncio

import pytest

from tokenscope.probe.events import AnswerDelta, Finished, ReasoningDelta, UsageReported
from tokenscope.probe.replay import ReplayError, ReplayProbe, find_run


class FakeTime:
    def __init__(self):
        self.now = 0.0

    async def sleep(self, seconds):
        self.now += seconds

    def clock(self):
        return self.now


async def _collect(probe):
    return [event async for event in probe.stream()]


async def test_replay_reproduces_the_studys_counts_at_the_chosen_pace():
    run = find_run("gpt-oss-120b", "capital_of_australia")
    t = FakeTime()
    probe = ReplayProbe(run, tokens_per_s=10, sleep=t.sleep, clock=t.clock)
    events = await _collect(probe)
    reasoning = [e for e in events if isinstance(e, ReasoningDelta)]
    answer = [e for e in events if isinstance(e, AnswerDelta)]
    assert "".join(e.text for e in reasoning) == run["reasoning"]
    assert "".join(e.text for e in answer) == run["answer"]
    assert reasoning[-1].counts.reasoning == pytest.approx(run["tokens_reasoning"])
    assert isinstance(events[-2], UsageReported) and events[-2].counts.source == "reported"
    result = events[-1].result
    assert isinstance(events[-1], Finished) and result.status == "ok"
    assert result.tokens_completion == run["tokens_completion"]
    assert result.endpoint == "replay"
    # 71 tokens at 10 tokens/s
    assert result.duration_s == pytest.approx(run["tokens_completion"] / 10)


async def test_hidden_reasoning_thinks_silently():
    run = find_run("o4-mini-high-long", "AIME2023II_P1")
    run = {**run, "reasoning": None}
    assert run["full_cot"] is False
    t = FakeTime()
    probe = ReplayProbe(run, tokens_per_s=1000, sleep=t.sleep, clock=t.clock)
    events = await _collect(probe)
    assert not [e for e in events if isinstance(e, ReasoningDelta)]
    assert probe.result().hidden_reasoning
    assert probe.result().tokens_reasoning == round(run["tokens_reasoning"])


async def test_cancelled_replay_keeps_what_arrived():
    run = find_run("gpt-oss-120b", "AIME2023II_P1")
    probe = ReplayProbe(run, tokens_per_s=200)
    thinking = asyncio.Event()

    async def consume():
        async for event in probe.stream():
            if isinstance(event, ReasoningDelta):
                thinking.set()

    task = asyncio.create_task(consume())
    await thinking.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    result = probe.result()
    assert result.status == "cancelled" and result.reasoning
    assert len(result.reasoning) < len(run["reasoning"])


def test_unknown_run_is_one_line():
    with pytest.raises(ReplayError, match="no bundled run"):
        find_run("nope", "capital_of_australia")


async def test_lost_text_still_climbs_the_counter():
    run = find_run("deepseek-r1-0528", "capital_of_australia")
    assert run["reasoning"] is None and run["full_cot"] is True
    t = FakeTime()
    events = await _collect(ReplayProbe(run, tokens_per_s=1000, sleep=t.sleep, clock=t.clock))
    reasoning = [e for e in events if isinstance(e, ReasoningDelta)]
    assert reasoning and reasoning[-1].counts.reasoning == pytest.approx(
        run["tokens_reasoning"], abs=1
    )
    assert not ReplayProbe(run).hidden_reasoning


def test_a_model_measured_only_after_august_replays_from_the_latest_edition():
    """August's runs come first (they carry the texts); a newer model is still found."""
    run = find_run("gpt-5", "capital_of_australia")
    assert run["model"] == "gpt-5" and run["tokens_completion"] > 0

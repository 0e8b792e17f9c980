"""The event API the CLI and the app share: groups, cancellation, live ratios."""

from __future__ import annotations

import asyncio

from tokenscope.probe.baseline import Baseline, LiveRatios
from tokenscope.probe.counting import Counts, LiveCounter
from tokenscope.probe.engine import Probe, ProbeGroup
from tokenscope.probe.events import AnswerDelta, Cancelled, Finished
from tokenscope.probe.request import ProbeRequest
from tokenscope.probe.usage import Usage, normalise

from .helpers import FAST, endpoint_at
from .test_probe_faults import chunk
from .transcript_server import Reply


def probe(url: str, label: str) -> Probe:
    return Probe(ProbeRequest(endpoint_at(url), "m", "q", label=label), FAST)


async def test_group_runs_probes_concurrently(transcripts):
    # The server answers only once all three requests are open: one at a time would
    # leave the first waiting until its read timeout.
    url = transcripts.add(
        "group-slow", Reply(chunks=[chunk("a"), chunk(finish="stop")]), hold_until=3
    )
    group = ProbeGroup([probe(url, "one"), probe(url, "two"), probe(url, "three")])
    events = [e async for e in group.events()]
    assert sorted(e.key for e in events if isinstance(e, Finished)) == ["one", "three", "two"]
    assert [r.status for r in group.results()] == ["ok", "ok", "ok"]


async def test_group_cancel_one_probe_ends_it_with_a_cancelled_event(transcripts):
    hang = transcripts.add("group-hang", Reply(chunks=[chunk("so far")], hang=True))
    fine = transcripts.add("group-fine", Reply(chunks=[chunk("done"), chunk(finish="stop")]))
    group = ProbeGroup([probe(hang, "stuck"), probe(fine, "quick")])
    seen = []
    async for event in group.events():
        seen.append(event)
        if isinstance(event, AnswerDelta) and event.key == "stuck":
            group.cancel("stuck")
    cancelled = [e for e in seen if isinstance(e, Cancelled)]
    assert [e.key for e in cancelled] == ["stuck"]
    assert cancelled[0].result.answer == "so far"
    assert {r.key: r.status for r in group.results()} == {"stuck": "cancelled", "quick": "ok"}


async def test_breaking_out_of_the_group_cancels_the_rest(transcripts):
    hang = transcripts.add("group-hang2", Reply(chunks=[chunk("x")], hang=True))
    group = ProbeGroup([probe(hang, "a"), probe(hang, "b")])
    async for event in group.events():
        if isinstance(event, AnswerDelta):
            break
    await asyncio.sleep(0)
    assert {r.status for r in group.results()} == {"cancelled"}


def test_live_ratio_follows_a_fixed_or_a_live_baseline():
    fixed = LiveRatios(Baseline("study prompt", "x", tokens=100.0))
    fixed.counts["m"] = Counts(30.0, 20.0)
    assert fixed.ratio("m") == 0.5
    live = LiveRatios(Baseline("baseline model", "x", live_key="base"))
    live.counts["m"] = Counts(30.0, 30.0)
    assert live.ratio("m") is None  # the baseline has not produced anything yet
    live.counts["base"] = Counts(10.0, 10.0)
    assert live.ratio("m") == 3.0


def test_usage_normalisation_rules():
    assert normalise(
        {
            "prompt_tokens": 19,
            "completion_tokens": 84,
            "total_tokens": 103,
            "completion_tokens_details": {"reasoning_tokens": 64},
        }
    ) == Usage(19, 84, 64, 103)
    # xAI: reasoning beside completion.
    assert (
        normalise(
            {
                "prompt_tokens": 288,
                "completion_tokens": 27,
                "total_tokens": 628,
                "completion_tokens_details": {"reasoning_tokens": 313},
            }
        ).completion
        == 340
    )
    # SGLang: reasoning above completion is clamped.
    assert (
        normalise(
            {
                "prompt_tokens": 1,
                "completion_tokens": 10,
                "total_tokens": 11,
                "reasoning_tokens": 11,
            }
        ).reasoning
        == 10
    )
    # Anthropic shape.
    assert normalise(
        {"input_tokens": 5, "output_tokens": 7, "output_tokens_details": {"thinking_tokens": 4}}
    ) == Usage(5, 7, 4, 12)


def test_counter_without_usage_counts_token_sized_deltas_and_estimates_batches():
    tokens = LiveCounter()
    for piece in ["The", " cap", "ital", " is", " Can", "berra"]:
        tokens.add(len(piece), 0, len(piece), False)
    final = tokens.final(None)
    assert (final.completion, final.source) == (6, "counted")
    batches = LiveCounter()
    for piece in ["The capital of Australia is Canberra, ", "which was chosen as a compromise."]:
        batches.add(len(piece), 0, len(piece), False)
    final = batches.final(None)
    assert final.source == "estimated" and 10 <= final.completion <= 25
    reported = batches.final(Usage(3, 16, None, 19))
    assert reported.source == "reported" and reported.estimate_error is not None

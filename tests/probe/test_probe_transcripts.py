"""Recorded provider streams replayed byte for byte through the whole engine.

Each transcript in tests/fixtures/transcripts has a JSON sidecar that names
the provider preset and the result it must produce.
"""

from __future__ import annotations

import pytest

from tokenscope.probe.events import (
    AnswerDelta,
    Failed,
    Finished,
    ReasoningDelta,
    Reclassified,
    Started,
    UsageReported,
)

from .helpers import FAKE_KEY, run_probe
from .transcript_server import load_transcript, transcript_names

NAMES = transcript_names()


def test_every_provider_in_the_issue_has_a_transcript():
    wanted = {
        "openai_o4mini",
        "openrouter_claude",
        "deepseek_reasoner",
        "vllm_reasoning",
        "llama_cpp_timings",
        "ollama_v1",
        "ollama_native",
        "anthropic_thinking",
        "inline_think_split",
        "inline_implied_open",
        "inline_empty_think",
        "xai_additive",
        "error_openai_midstream",
        "error_openrouter_midstream",
        "error_vllm_midstream",
        "error_anthropic_midstream",
        "error_ollama_native",
        "llama_cpp_python",
    }
    assert wanted <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
async def test_transcript(name, transcripts, monkeypatch):
    _body, meta = load_transcript(name)
    expect = meta["expect"]
    preset = meta["endpoint"]
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("OPENROUTER_API_KEY", FAKE_KEY)
    monkeypatch.setenv("DEEPSEEK_API_KEY", FAKE_KEY)
    monkeypatch.setenv("XAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("GROQ_API_KEY", FAKE_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    url = transcripts.add_transcript(name)
    events, result = await run_probe(url, preset, model="m")

    assert isinstance(events[0], Started)
    terminal = events[-1]
    assert isinstance(terminal, Finished if expect["status"] == "ok" else Failed)
    assert result.status == expect["status"], result.error
    for field in (
        "reasoning",
        "answer",
        "tokens_prompt",
        "tokens_completion",
        "tokens_reasoning",
        "tokens_answer",
        "tokens_source",
        "finish_reason",
        "provider",
        "hidden_reasoning",
    ):
        if field in expect:
            assert getattr(result, field) == expect[field], field
    if "estimate_error" in expect:
        assert result.estimate_error == pytest.approx(expect["estimate_error"])
    if "error_contains" in expect:
        assert expect["error_contains"] in result.error
        assert "\n" not in result.error
    if "warning_contains" in expect:
        assert any(expect["warning_contains"] in w for w in result.warnings)
    assert any(isinstance(e, Reclassified) for e in events) == expect.get("reclassified", False)

    # The streamed deltas add up to the stored texts.
    shown_reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    shown_answer = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    moved = "".join(e.text for e in events if isinstance(e, Reclassified))
    assert moved + shown_reasoning == result.reasoning or result.reasoning == ""
    assert shown_answer == moved + result.answer

    # Estimates are marked until the provider's usage replaces them.
    for event in events:
        if isinstance(event, ReasoningDelta | AnswerDelta):
            seen_usage = any(isinstance(e, UsageReported) for e in events[: events.index(event)])
            assert event.counts.source == ("reported" if seen_usage else "estimated")

    # The key went out in the header and nowhere else.
    sent = transcripts.requests_for(url.rsplit("/", 1)[1])[-1]
    if preset == "anthropic":
        assert sent.headers["x-api-key"] == FAKE_KEY
    elif preset not in ("vllm", "llama.cpp", "ollama", "ollama-v1"):
        assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert FAKE_KEY not in repr(result)


async def test_openai_request_asks_for_usage_and_effort(transcripts, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    url = transcripts.add_transcript("openai_o4mini")
    await run_probe(url, "openai", model="o4-mini", effort="high", max_tokens=500)
    sent = transcripts.requests_for("openai_o4mini")[-1].body
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert sent["reasoning_effort"] == "high"
    assert sent["max_completion_tokens"] == 500


async def test_openrouter_effort_goes_in_the_reasoning_object(transcripts, monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", FAKE_KEY)
    url = transcripts.add_transcript("openrouter_claude")
    await run_probe(url, "openrouter", effort="low", max_tokens=100)
    sent = transcripts.requests_for("openrouter_claude")[-1].body
    assert sent["reasoning"] == {"effort": "low"}
    assert sent["max_tokens"] == 100


async def test_anthropic_request_sets_a_thinking_budget(transcripts, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    url = transcripts.add_transcript("anthropic_thinking")
    await run_probe(url, "anthropic", effort="low")
    sent = transcripts.requests_for("anthropic_thinking")[-1]
    assert sent.path.endswith("/messages")
    assert sent.body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert sent.body["max_tokens"] > 2048
    assert sent.headers["anthropic-version"] == "2023-06-01"


async def test_ollama_native_asks_to_think(transcripts):
    url = transcripts.add_transcript("ollama_native")
    await run_probe(url, "ollama", effort="high", max_tokens=50)
    sent = transcripts.requests_for("ollama_native")[-1]
    assert sent.path.endswith("/api/chat")
    assert sent.body["think"] == "high"
    assert sent.body["options"]["num_predict"] == 50

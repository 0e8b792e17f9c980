"""End to end against a real model: llama-cpp-python serving Gemma 3 270M on loopback.

llama-cpp-python never sends usage while streaming, so the probe counts
deltas; the count must equal the ``completion_tokens`` the same server reports
for the same request without streaming.
"""

from __future__ import annotations

import json

import httpx
from cli_in_process import run_cli

from tokenscope.config import Settings
from tokenscope.probe.endpoints import ad_hoc
from tokenscope.probe.engine import Probe
from tokenscope.probe.events import AnswerDelta, Finished
from tokenscope.probe.request import ProbeRequest

QUESTION = "What is the capital of Australia?"
MAX_TOKENS = 24


def reported_completion_tokens(base_url: str) -> tuple[int, str]:
    response = httpx.post(
        f"{base_url}/chat/completions",
        json={
            "model": "gemma",
            "messages": [{"role": "user", "content": QUESTION}],
            "max_tokens": MAX_TOKENS,
            "temperature": 0,
            "seed": 1,
        },
        timeout=120,
    )
    response.raise_for_status()
    body = response.json()
    return body["usage"]["completion_tokens"], body["choices"][0]["message"]["content"]


async def test_counted_tokens_match_the_servers_own_count(gemma_server):
    reported, text = reported_completion_tokens(gemma_server)
    request = ProbeRequest(
        ad_hoc(gemma_server), "gemma", QUESTION, max_tokens=MAX_TOKENS, temperature=0, seed=1
    )
    probe = Probe(request, Settings(read_timeout=120))
    events = [e async for e in probe.stream()]
    result = probe.result()
    assert isinstance(events[-1], Finished), result.error
    assert result.tokens_source == "counted"
    assert result.tokens_completion == reported == MAX_TOKENS
    assert result.finish_reason == "length"
    # The texts may differ in a token or two (llama.cpp's prompt cache), never in length.
    assert result.answer and text
    # The streamed deltas are the answer (a read's tokens come as one delta; the end may
    # release a few held-back characters).
    shown = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert shown and result.answer.startswith(shown)
    assert result.ttft_s is not None and 0 < result.ttft_s <= result.duration_s
    assert result.tokens_per_s and result.tokens_per_s > 0
    # The request asked for usage; the server ignored it (PROTOCOLS.md §5b).
    assert result.tokens_prompt is None


def test_ask_then_runs_shows_the_run(gemma_server):
    proc = run_cli(
        "ask",
        "--base-url",
        gemma_server,
        "--model",
        "gemma",
        "--max-tokens",
        "8",
        QUESTION,
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)[0]
    assert row["status"] == "ok" and row["tokens_source"] == "counted"
    assert row["tokens_completion"] == 8 and row["answer"]
    assert row["baseline_source"] == "study prompt"  # the study asked this very question
    runs = run_cli("runs", "--source", "user", "--format", "json")
    assert runs.returncode == 0, runs.stderr
    listed = json.loads(runs.stdout)
    assert [r["model"] for r in listed] == ["gemma"]
    assert listed[0]["tokens_completion"] == 8

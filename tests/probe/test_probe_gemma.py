"""End to end against a real model: llama-cpp-python serving Gemma 3 270M on loopback.

llama-cpp-python never sends usage while streaming, so the probe counts
deltas; the count must equal the ``completion_tokens`` the same server reports
for the same request without streaming.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

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
    assert sum(isinstance(e, AnswerDelta) for e in events) == reported
    assert result.ttft_s is not None and 0 < result.ttft_s <= result.duration_s
    assert result.tokens_per_s and result.tokens_per_s > 0
    # The request asked for usage; the server ignored it (PROTOCOLS.md §5b).
    assert result.tokens_prompt is None


def test_ask_then_runs_shows_the_run(gemma_server):
    env = os.environ.copy()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tokenscope.cli",
            "ask",
            "--base-url",
            gemma_server,
            "--model",
            "gemma",
            "--max-tokens",
            "40",
            QUESTION,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)[0]
    assert row["status"] == "ok" and row["tokens_source"] == "counted"
    assert row["tokens_completion"] == 40 and row["answer"]
    assert row["baseline_source"] == "study prompt"  # the study asked this very question
    runs = subprocess.run(
        [sys.executable, "-m", "tokenscope.cli", "runs", "--source", "user", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert runs.returncode == 0, runs.stderr
    listed = json.loads(runs.stdout)
    assert [r["model"] for r in listed] == ["gemma"]
    assert listed[0]["tokens_completion"] == 40

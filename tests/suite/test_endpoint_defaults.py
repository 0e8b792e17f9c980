"""Defaults that fit the server: a local one is asked one request at a time, with a
modest max tokens; a run that reaches its limit says so in the CLI as in the app."""

from __future__ import annotations

import json

import pytest
from probe.test_probe_faults import GOOD, chunk
from probe.transcript_server import Reply

from tokenscope.cli import main
from tokenscope.probe.endpoints import (
    CLOUD_CONCURRENCY,
    PRESETS,
    SELF_HOSTED_MAX_TOKENS,
    STUDY_MAX_TOKENS,
    ad_hoc,
    defaults,
)

CUT = chunk("The capital") + chunk(" is", finish="length") + b"data: [DONE]\n\n"


def test_run_on_a_local_server_asks_one_at_a_time_with_a_modest_limit(transcripts, capsys):
    url = transcripts.add("defaults-run", Reply(GOOD))
    args = ["run", "--base-url", url, "--model", "m", "--only", "one_plus_one,capital_of_australia"]
    assert main([*args, "-n", "1", "--format", "json"]) == 0
    outcome = json.loads(capsys.readouterr().out)
    assert (outcome["concurrency"], outcome["max_tokens"]) == (1, SELF_HOSTED_MAX_TOKENS)
    bodies = [r.body for r in transcripts.requests_for("defaults-run")]
    assert [b["max_tokens"] for b in bodies] == [SELF_HOSTED_MAX_TOKENS] * 2


def test_flags_beat_the_local_defaults(transcripts, capsys):
    url = transcripts.add("defaults-flags", Reply(GOOD))
    args = ["run", "--base-url", url, "--model", "m", "--only", "one_plus_one", "-n", "1"]
    assert main([*args, "--concurrency", "3", "--max-tokens", "99", "--format", "json"]) == 0
    outcome = json.loads(capsys.readouterr().out)
    assert (outcome["concurrency"], outcome["max_tokens"]) == (3, 99)
    assert transcripts.requests_for("defaults-flags")[0].body["max_tokens"] == 99


def test_ask_on_a_local_server_is_capped_and_marked_when_cut(transcripts, capsys):
    url = transcripts.add("defaults-ask", Reply(CUT))
    assert main(["ask", "--base-url", url, "--model", "m", "Capital of Australia?"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(": ok · cut at max tokens")
    assert transcripts.requests_for("defaults-ask")[0].body["max_tokens"] == SELF_HOSTED_MAX_TOKENS
    assert main(["ask", "--base-url", url, "--model", "m", "--format", "json", "Again?"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["finish_reason"] == "length"


def test_a_finished_answer_is_not_marked(transcripts, capsys):
    url = transcripts.add("defaults-done", Reply(GOOD))
    assert main(["ask", "--base-url", url, "--model", "m", "Say hello"]) == 0
    assert "cut at max tokens" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://localhost:11434", True),
        ("http://[::1]:8000/v1", True),
        ("http://192.168.1.20:8000/v1", True),
        ("https://api.deepseek.com/v1", False),
        ("https://llm.example.com/v1", False),
    ],
)
def test_which_servers_count_as_local(url, local):
    fit = defaults(ad_hoc(url))
    if local:
        assert (fit.concurrency, fit.ask_max_tokens) == (1, SELF_HOSTED_MAX_TOKENS)
    else:
        assert (fit.concurrency, fit.ask_max_tokens) == (CLOUD_CONCURRENCY, None)
        assert fit.suite_max_tokens == STUDY_MAX_TOKENS


def test_every_local_preset_counts_as_local():
    for name in ("ollama", "llama.cpp", "vllm", "lmstudio", "local"):
        assert defaults(PRESETS[name]).concurrency == 1

"""`tokenscope run` end to end against the real Gemma 3 270M server on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from probe.helpers import read_until, watchdog

ONLY = "capital_of_australia,one_plus_one"


@pytest.fixture
def data_dir(isolated_user_dirs):
    return isolated_user_dirs


def tokenscope(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tokenscope.cli", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
        **kw,
    )


def run_args(base_url, *extra):
    return (
        "run",
        "--suite",
        "study",
        "--only",
        ONLY,
        "--base-url",
        base_url,
        "--model",
        "gemma",
        "--max-tokens",
        "12",
        "--temperature",
        "0",
        *extra,
    )


def test_study_suite_on_gemma_joins_the_leaderboard(gemma_server, data_dir):
    proc = tokenscope(*run_args(gemma_server, "-n", "1", "--format", "json"))
    assert proc.returncode == 0, proc.stderr
    outcome = json.loads(proc.stdout)
    assert outcome["samples_done"] == 2 and outcome["tokens_completion"] == 24
    board = json.loads(tokenscope("leaderboard", "--source", "all", "--format", "json").stdout)
    gemma = next(r for r in board if r["model"] == "gemma")
    assert gemma["source"] == "user" and gemma["n_prompts"] == 2
    assert gemma["relative_completion_tokens"] > 0
    runs = json.loads(tokenscope("runs", "--source", "user", "--format", "json").stdout)
    assert {r["endpoint"] for r in runs} == {gemma_server.split("//")[1].split("/")[0]}
    assert all(r["grader"] == "rule" and r["score"] is not None for r in runs)
    # Run again: nothing is repeated.
    again = json.loads(tokenscope(*run_args(gemma_server, "-n", "1", "--format", "json")).stdout)
    assert again["samples_planned"] == 0 and again["samples_skipped"] == 2


def test_resume_after_kill_never_repeats_or_loses(gemma_server, data_dir):
    cmd = [
        sys.executable,
        "-m",
        "tokenscope.cli",
        *run_args(gemma_server, "-n", "2", "--concurrency", "1"),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy(), text=True
    )
    store = data_dir / "results" / "tokenscope-runs.jsonl"
    # A sample is stored before its progress line: kill once two are reported.
    with watchdog(proc):
        read_until(proc.stderr, "progress: 2/")
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = [json.loads(line) for line in store.read_text().splitlines() if line.strip()]
    assert 2 <= len(first) < 4
    proc = tokenscope(*run_args(gemma_server, "-n", "2", "--concurrency", "1", "--format", "json"))
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(tokenscope("runs", "--source", "user", "--format", "json").stdout)
    done = sorted((r["prompt_id"], r["sample_index"]) for r in runs if r["status"] == "ok")
    assert done == sorted((p, i) for p in ONLY.split(",") for i in range(2))
    # What was stored before the kill is still there, untouched.
    ids = {r["run_id"] for r in runs}
    assert all(r["run_id"] in ids for r in first)


def test_unreachable_server_stops_the_whole_suite_early(data_dir):
    from tokenscope.data.loader import load_dataset

    proc = tokenscope("run", "-n", "5", "--base-url", "http://127.0.0.1:9/v1", "--model", "x")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    # A loopback server is asked one request at a time: three failures stop it.
    assert "stopped after 3 failures in a row" in proc.stderr and "refused" in proc.stderr
    # The failures up to the stop are kept, not all 95.
    runs = load_dataset("user").runs
    assert runs.height == 3 and set(runs["status"]) == {"failed"}


def test_unreachable_server_is_one_line(data_dir):
    proc = tokenscope(
        "run",
        "--only",
        "one_plus_one",
        "-n",
        "1",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "x",
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "127.0.0.1:9" in proc.stderr or "refused" in proc.stderr.lower()


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--only", "nope"), "unknown prompt 'nope'"),
        (("--suite", "/no/such/file.toml"), "not found"),
        (("-n", "0"), "-n must be at least 1"),
    ],
)
def test_bad_arguments_are_one_line(data_dir, args, needle):
    proc = tokenscope("run", "--base-url", "http://127.0.0.1:9/v1", "--model", "x", *args)
    assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr

"""`tokenscope run` against hostile servers and beside a second run of the same model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from probe.helpers import HOSTILE, assert_printable
from probe.test_probe_faults import GOOD, chunk
from probe.transcript_server import Reply

from tokenscope.cli import main
from tokenscope.data import store

TWO = "capital_of_australia,one_plus_one"


def stored() -> list[dict]:
    path = store.store_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run_command(url: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tokenscope.cli",
        "run",
        "--base-url",
        url,
        "--model",
        "m",
        *extra,
    ]


def test_run_prints_a_server_error_body_as_data(transcripts, capsys):
    said = "overloaded " + " ".join(HOSTILE.values())
    body = json.dumps({"error": {"message": said}}).encode()
    url = transcripts.add("run-evil", Reply(body, 500, "application/json"))
    code = main(["run", "--only", "one_plus_one", "-n", "1", "--base-url", url, "--model", "m"])
    out, err = capsys.readouterr()
    assert code == 1
    assert_printable(out + err)
    # Nothing got through: the error is the one line.
    assert err.startswith("tokenscope: 500 Internal Server Error") and err.count("\n") == 1
    assert "overloaded \\x1b]52;c;" in err
    (run,) = stored()
    assert run["status"] == "failed" and "\\x1b]52" in run["error"]


def test_a_suite_file_name_is_printed_as_data(transcripts, capsys, tmp_path):
    url = transcripts.add("run-name", Reply(GOOD))
    suite = tmp_path / "evil\x1b]0;pwned\x07.toml"
    suite.write_text('[[prompts]]\nid = "hello"\nprompt = "Say hello"\n')
    code = main(["run", "--suite", str(suite), "-n", "1", "--base-url", url, "--model", "m"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert_printable(out + err)


def test_a_runaway_stream_is_stored_cut_and_the_run_ends(transcripts):
    url = transcripts.add("run-runaway", Reply(chunks=[chunk("Hi")], repeat=chunk(" tok")))
    proc = subprocess.run(
        run_command(url, "--only", "one_plus_one", "-n", "1", "--max-tokens", "20"),
        capture_output=True,
        text=True,
        timeout=120,  # before the cap the stream went on for max_duration (an hour)
        env=os.environ.copy(),
    )
    assert proc.returncode == 1, proc.stderr
    assert "last error: cut off: 127.0.0.1" in proc.stderr and "max_tokens 20" in proc.stderr
    (run,) = stored()
    assert run["status"] == "failed" and run["finish_reason"] == "cut"
    assert run["answer"].startswith("Hi tok") and run["tokens_completion"] <= 1.5 * 20 + 65


def test_two_runs_of_the_same_model_never_ask_a_sample_twice(transcripts):
    # The server answers nothing until four requests are in: both runs have planned
    # all four samples and each holds two of them when the answers come.
    url = transcripts.add("two-runs", Reply(GOOD), hold_until=4)
    cmd = run_command(url, "--only", TWO, "-n", "2", "--concurrency", "2", "--format", "json")
    procs = [
        subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
        )
        for _ in range(2)
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outcomes.append(json.loads(out))
    samples = [(r["prompt_id"], r["sample_index"]) for r in stored()]
    assert sorted(samples) == sorted({(p, i) for p in TWO.split(",") for i in range(2)})
    assert all(r["status"] == "ok" for r in stored())
    assert len(transcripts.requests_for("two-runs")) == 4
    assert [(o["samples_done"], o["samples_elsewhere"]) for o in outcomes] == [(2, 2), (2, 2)]


def test_runs_of_different_models_write_side_by_side(transcripts):
    # Each run holds its two requests until the other's arrive: they must overlap.
    url = transcripts.add("side-by-side", Reply(GOOD), hold_until=4)
    procs = [
        subprocess.Popen(
            [
                *run_command(url, "--only", TWO, "-n", "1", "--concurrency", "2"),
                "--format",
                "json",
                "--label",
                label,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for label in ("first", "second")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert json.loads(out)["samples_done"] == 2
    assert sorted(r["model"] for r in stored()) == ["first", "first", "second", "second"]


def test_a_killed_run_leaves_no_claim_behind(transcripts):
    url = transcripts.add("killed", Reply(chunks=[chunk("Hi")], hang=True), Reply(GOOD))
    cmd = run_command(url, "--only", "one_plus_one", "-n", "1")
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy()
    )
    try:
        assert transcripts.wait_for_requests("killed", 1)  # it holds the claim now
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    again = subprocess.run(
        [*cmd, "--format", "json"], capture_output=True, text=True, timeout=120, env=os.environ
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["samples_done"] == 1
    assert [r["status"] for r in stored()] == ["ok"]

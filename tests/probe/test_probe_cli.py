"""``tokenscope ask`` end to end against the loopback replay server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from cli_in_process import run_cli

from tokenscope.data import store
from tokenscope.probe.results import JSON_KEYS

from .helpers import read_until, watchdog
from .test_probe_faults import GOOD, chunk
from .transcript_server import Reply

KEY = "sk-cli-secret-0123456789abcdef"


def ask(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("ask", *args)


def ask_in_a_shell(*args: str) -> subprocess.CompletedProcess[str]:
    """A process of its own: the exit status and stderr a shell sees."""
    return subprocess.run(
        [sys.executable, "-m", "tokenscope.cli", "ask", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )


def stored() -> list[dict]:
    path = store.store_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_json_result_has_exactly_the_issue_keys_and_is_saved(transcripts):
    url = transcripts.add("cli-ok", Reply(GOOD))
    proc = ask("--base-url", url, "--model", "m", "--format", "json", "Say hello")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) == 1 and tuple(rows[0]) == JSON_KEYS
    row = rows[0]
    assert row["status"] == "ok" and row["answer"] == "Hello world"
    assert row["tokens_completion"] == 2 and row["tokens_source"] == "counted"
    assert row["endpoint"] == url.split("/")[2]
    assert row["baseline_source"] is None and row["ratio_to_baseline"] is None
    runs = stored()
    assert [r["run_id"] for r in runs] == [row["run_id"]]
    saved = runs[0]
    assert saved["source"] == "user" and saved["status"] == "ok"
    assert saved["endpoint"] == row["endpoint"] and saved["prompt_text"] == "Say hello"
    assert saved["tokens_source"] == "counted" and saved["estimate_error"] is not None


def test_the_saved_run_loads_as_a_user_run(transcripts):
    url = transcripts.add("cli-load", Reply(GOOD))
    assert ask("--base-url", url, "--model", "my-model", "Say hello").returncode == 0
    from tokenscope.data.loader import load_dataset

    runs = load_dataset("user").runs
    assert runs.height == 1
    assert runs.row(0, named=True)["model"] == "my-model"


def test_text_output_and_no_save(transcripts):
    url = transcripts.add("cli-text", Reply(GOOD))
    proc = ask("--base-url", url, "--model", "m", "--no-save", "Say hello")
    assert proc.returncode == 0, proc.stderr
    assert "Hello world" in proc.stdout and "2 completion" in proc.stdout
    assert stored() == []


def test_several_models_run_side_by_side_and_a_baseline_model_sets_the_ratio(transcripts):
    body = chunk("a") + chunk("b") + chunk("c") + chunk("d") + chunk(finish="stop")
    url = transcripts.add("cli-multi", Reply(chunks=[chunk("x"), chunk(finish="stop")]))
    url2 = transcripts.add("cli-multi-b", Reply(body))
    # The baseline model lives on another endpoint: a config alias says where.
    config = Path(os.environ["TOKENSCOPE_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[endpoints.here]\nbase_url = "{url}"\n[endpoints.there]\nbase_url = "{url2}"\n'
        '[models.fast]\nendpoint = "here"\nmodel = "m1"\n'
        '[models.base]\nendpoint = "there"\nmodel = "m2"\n'
    )
    proc = ask(
        "--model",
        "fast",
        "--model",
        "fast2",
        "--endpoint",
        "here",
        "--baseline",
        "base",
        "--format",
        "json",
        "Some question nobody asked before",
    )
    assert proc.returncode == 0, proc.stderr
    rows = {r["model"]: r for r in json.loads(proc.stdout)}
    assert set(rows) == {"fast", "fast2", "base"}
    assert rows["base"]["tokens_completion"] == 4
    for key in ("fast", "fast2"):
        assert rows[key]["baseline_source"] == "baseline model"
        assert rows[key]["baseline_tokens"] == 4
        assert rows[key]["ratio_to_baseline"] == pytest.approx(rows[key]["tokens_completion"] / 4)
    assert transcripts.requests_for("cli-multi-b")[0].body["model"] == "m2"


def test_study_prompt_gets_the_study_normaliser(transcripts):
    from tokenscope.data.loader import load_bundled

    _runs, prompts, _m, _p = load_bundled()
    question = prompts.filter(pl.col("prompt_id") == "capital_of_australia")["prompt_text"][0]
    url = transcripts.add("cli-study", Reply(GOOD))
    proc = ask("--base-url", url, "--model", "m", "--format", "json", "  " + question.upper())
    row = json.loads(proc.stdout)[0]
    assert row["baseline_source"] == "study prompt"
    assert row["baseline_tokens"] > 0
    assert row["ratio_to_baseline"] == pytest.approx(2 / row["baseline_tokens"])
    assert stored()[0]["prompt_id"] == "capital_of_australia"
    text = ask("--base-url", url, "--model", "m", "--no-save", question).stdout
    assert "Where the study's models fall on capital_of_australia" in text
    assert "<- this run" in text


def test_a_named_baseline_model_beats_the_study_prompt_and_is_named(transcripts):
    from tokenscope.ask.models import DEMO_QUESTION

    url = transcripts.add("cli-named-base", Reply(GOOD))
    args = ("--base-url", url, "--model", "m", "--baseline", "b", "--no-save")
    rows = {r["model"]: r for r in json.loads(ask(*args, "--format", "json", DEMO_QUESTION).stdout)}
    assert rows["m"]["baseline_source"] == "baseline model"
    assert rows["m"]["baseline_tokens"] == 2 and rows["m"]["ratio_to_baseline"] == 1
    proc = ask(*args, DEMO_QUESTION)
    assert "baseline: 2 (live count of baseline model b)" in proc.stdout
    assert "tokenscope: baseline: live count of baseline model b" in proc.stderr


def test_a_replay_can_be_the_baseline(transcripts):
    from tokenscope.ask.models import DEMO_QUESTION

    url = transcripts.add("cli-replay-base", Reply(GOOD))
    args = ("--base-url", url, "--model", "m", "--replay", "gpt-oss-120b", "--pace", "1e6")
    rows = json.loads(
        ask(*args, "--baseline", "gpt-oss-120b", "--format", "json", DEMO_QUESTION).stdout
    )
    assert [r["model"] for r in rows] == ["m", "gpt-oss-120b (replay)"]
    replay = rows[1]
    assert rows[0]["baseline_source"] == "baseline model"
    assert rows[0]["baseline_tokens"] == replay["tokens_completion"]
    # The replay is never saved; the live run is.
    assert replay["run_id"] is None and [r["model"] for r in stored()] == ["m"]


def test_domain_then_earlier_runs(transcripts):
    url = transcripts.add("cli-domain", Reply(GOOD))
    row = json.loads(
        ask(
            "--base-url",
            url,
            "--model",
            "m",
            "--domain",
            "math",
            "--format",
            "json",
            "A brand new sum",
        ).stdout
    )[0]
    assert row["baseline_source"] == "domain" and row["baseline_tokens"] > 0
    again = json.loads(
        ask("--base-url", url, "--model", "m", "--format", "json", "a brand  new SUM").stdout
    )[0]
    assert again["baseline_source"] == "your earlier runs"
    assert again["baseline_tokens"] == 2 and again["ratio_to_baseline"] == 1


def test_failure_exits_non_zero_with_one_line_and_no_key(transcripts, monkeypatch):
    monkeypatch.setenv("MY_KEY", KEY)
    url = transcripts.add(
        "cli-401", Reply(f'{{"error":"bad key {KEY}"}}'.encode(), 401, "application/json")
    )
    proc = ask(
        "--base-url", url, "--api-key-env", "MY_KEY", "--model", "m", "--format", "json", "q"
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "MY_KEY" in proc.stderr and KEY not in proc.stderr + proc.stdout
    assert json.loads(proc.stdout)[0]["status"] == "failed"
    assert KEY not in store.store_path().read_text()
    assert transcripts.requests_for("cli-401")[0].headers["authorization"] == f"Bearer {KEY}"


def test_usage_errors_exit_2(transcripts):
    proc = ask_in_a_shell("--endpoint", "nowhere", "--model", "m", "q")
    assert proc.returncode == 2 and "unknown endpoint 'nowhere'" in proc.stderr
    assert proc.stderr.count("\n") == 1
    proc = ask("--base-url", "ftp://x", "--model", "m", "q")
    assert proc.returncode == 2 and "not an http(s) URL" in proc.stderr


def test_ctrl_c_cancels_cleanly_and_saves_partial_results(transcripts):
    # A malformed chunk after the two deltas makes the CLI say so on stderr: the sign
    # that both deltas have been read.
    malformed = b"data: {oops\n\n"
    reply = Reply(chunks=[chunk("partial"), chunk(" text"), malformed], hang=True)
    url = transcripts.add("cli-hang", reply)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tokenscope.cli",
            "ask",
            "--base-url",
            url,
            "--model",
            "m",
            "--format",
            "json",
            "q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    with watchdog(proc):
        before = read_until(proc.stderr, "malformed")
        proc.send_signal(signal.SIGINT)
        proc.wait()
    out, err = proc.stdout.read(), before + proc.stderr.read()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    row = json.loads(out)[0]
    assert row["status"] == "cancelled" and row["answer"] == "partial text"
    saved = stored()
    assert saved[0]["status"] == "cancelled" and saved[0]["answer"] == "partial text"


def test_cost_comes_from_a_configured_price(transcripts):
    url = transcripts.add("cli-price", Reply(GOOD))
    config = Path(os.environ["TOKENSCOPE_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[prices."priced"]\ncompletion_min = 1.0\ncompletion_max = 3.0\n')
    row = json.loads(ask("--base-url", url, "--model", "priced", "--format", "json", "q").stdout)[0]
    assert row["cost_usd"] == pytest.approx(2 * 2.0 / 1e6)
    assert stored()[0]["cost_usd"] == pytest.approx(row["cost_usd"])


def test_model_output_is_printed_as_data_never_as_terminal_codes(transcripts):
    evil = "\x1b[2J\x1b]0;pwned\x07<think>"
    url = transcripts.add("cli-evil", Reply(chunk("ok " + evil) + chunk(finish="stop")))
    proc = ask("--base-url", url, "--model", "m", "--no-save", "q")
    assert proc.returncode == 0
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "\\x1b[2J" in proc.stdout and "<think>" in proc.stdout
    row = json.loads(
        ask("--base-url", url, "--model", "m", "--no-save", "--format", "json", "q").stdout
    )[0]
    assert row["answer"] == "ok " + evil  # JSON keeps the exact text, escaped by JSON itself


def test_live_line_marks_estimates_and_shows_the_ratio(monkeypatch):
    import io

    monkeypatch.setenv("COLUMNS", "200")  # the line is cut to the terminal's width

    from tokenscope.ask.cli import LiveLine
    from tokenscope.probe.baseline import Baseline, LiveRatios
    from tokenscope.probe.counting import Counts

    ratios = LiveRatios(Baseline("domain", "x", tokens=10.0))
    ratios.counts["a"] = Counts(12.0, 3.0)
    ratios.counts["b"] = Counts(4.0, 1.0, "reported")
    out = io.StringIO()
    LiveLine(out, ["a", "b", "c"]).draw(ratios, force=True)
    line = out.getvalue()
    assert "a: ~12 reasoning + ~3 answer (1.50x)" in line
    assert "b: 4 reasoning + 1 answer (0.50x)" in line
    assert "c: waiting" in line


def test_a_model_name_with_terminal_codes_is_printed_as_data(transcripts):
    """The name comes from the user's config or the command line: in the header on stdout
    and in a failure line on stderr, escapes are shown, never sent to the terminal."""
    evil = "gemma-\x1b]0;pwned\x07[bold]x"
    ok = transcripts.add("cli-evil-name", Reply(GOOD))
    proc = ask("--base-url", ok, "--model", evil, "--no-save", "q")
    assert proc.returncode == 0
    assert "== gemma-\\x1b]0;pwned\\x07[bold]x @ " in proc.stdout
    dead = transcripts.add(
        "cli-evil-name-401", Reply(b'{"error":"no \x1b[2J"}', 401, "application/json")
    )
    proc = ask("--base-url", dead, "--model", evil, "--no-save", "q")
    assert proc.returncode == 1
    assert "\x1b" not in proc.stderr + proc.stdout and "\x07" not in proc.stderr + proc.stdout
    assert "gemma-\\x1b]0;pwned\\x07[bold]x" in proc.stderr

"""Hostile files and values: one bad value, page, name or entry never hides the rest.

Issue 13, data side. Each test drives the CLI as a user does; the numbers in
the test names map to the issue's defects.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from probe.transcript_server import Reply

from tokenscope.data.store import store_path

from .test_cli import cli

HUGE = 2**70  # what a broken server reported as completion_tokens


def user_runs(*extra: str) -> tuple[list[dict], str]:
    proc = cli("runs", "--source", "user", "--format", "json", *extra)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "unexpected error" not in proc.stderr
    return json.loads(proc.stdout), proc.stderr


def sse(*objects: dict) -> bytes:
    return b"".join(b"data: " + json.dumps(o).encode() + b"\n\n" for o in objects) + (
        b"data: [DONE]\n\n"
    )


def answer_stream(answer: str, usage: dict | None = None, reasoning: str | None = None) -> bytes:
    delta: dict = {"content": answer}
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    objects: list[dict] = [
        {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    if usage is not None:
        objects.append({"choices": [], "usage": usage})
    return sse(*objects)


def stored() -> list[dict]:
    return [json.loads(line) for line in store_path().read_text().splitlines() if line.strip()]


# ---- 1: one out-of-range number must not hide the store ------------------------------


@pytest.mark.parametrize("completion", [HUGE, -500], ids=["2**70", "negative"])
def test_1_11_a_count_that_does_not_fit_is_stored_as_null_with_a_warning(transcripts, completion):
    usage = {"prompt_tokens": 5, "completion_tokens": completion, "total_tokens": 9}
    url = transcripts.add(f"bad-usage-{completion}", Reply(answer_stream("Canberra", usage)))
    asked = cli("ask", "--base-url", url, "--model", "m", "--baseline", "none", "Capital?")
    assert asked.returncode == 0, asked.stderr
    (saved,) = stored()
    assert saved["tokens_completion"] is None and saved["tokens_prompt"] == 5
    assert f"tokens_completion {completion} is out of range; stored as null" in saved["error"]
    # Every later command still sees the run.
    runs, stderr = user_runs()
    assert [r["answer"] for r in runs] == ["Canberra"]
    assert "skipped" not in stderr


def test_1_a_store_holding_a_huge_count_still_shows_every_run(data_dir):
    # A store written before the store refused such values.
    lines = [
        {"model": "m", "prompt_id": "one_plus_one", "tokens_completion": 10, "status": "ok"},
        {"model": "m", "prompt_id": "one_plus_one", "tokens_completion": HUGE, "status": "ok"},
        {"model": "m", "prompt_id": "one_plus_one", "tokens_completion": 30, "status": "ok"},
    ]
    store_path().write_text("".join(json.dumps(r) + "\n" for r in lines))
    runs, stderr = user_runs()
    assert [r["tokens_completion"] for r in runs] == [10, None, 30]
    assert stderr.count("\n") == 1
    assert "tokenscope-runs.jsonl: set 1 unusable value to null (line 2:" in stderr


def test_1_a_finished_suite_is_not_asked_again_after_a_bad_record(transcripts, data_dir):
    url = transcripts.add("suite-done", Reply(answer_stream("2", {"completion_tokens": 3})))
    args = ("run", "--suite", "study", "--only", "one_plus_one", "--base-url", url)
    args += ("--model", "m", "-n", "2", "--format", "json")
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["samples_done"] == 2
    with store_path().open("a") as fh:
        fh.write(json.dumps({"model": "other", "tokens_completion": HUGE}) + "\n")
    asked_before = len(transcripts.requests_for("suite-done"))
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    outcome = json.loads(again.stdout)
    assert outcome["samples_planned"] == 0 and outcome["samples_skipped"] == 2
    assert len(transcripts.requests_for("suite-done")) == asked_before


@pytest.mark.parametrize("bad", ["1e308", "NaN", '"maybe"', "2.5", "true", str(HUGE)])
def test_1_one_bad_value_in_a_dropped_jsonl_costs_only_that_value(data_dir, bad):
    body = (
        '{"model": "a", "tokens_completion": 10}\n'
        f'{{"model": "b", "tokens_completion": {bad}, "answer": "kept"}}\n'
        '{"model": "c", "tokens_completion": 30}\n'
    )
    (data_dir / "results" / "dropped.jsonl").write_text(body)
    runs, stderr = user_runs()
    assert [(r["model"], r["tokens_completion"]) for r in runs] == [
        ("a", 10),
        ("b", None),
        ("c", 30),
    ]
    assert runs[1]["answer"] == "kept"
    assert "dropped.jsonl: set 1 unusable value to null (line 2: tokens_completion" in stderr


# ---- 2: one bad Parquet value or page must not break every command --------------------


def _parquet_nan(path: Path) -> None:
    pl.DataFrame({"model": ["m"] * 2, "tokens_completion": [100.0, float("nan")]}).write_parquet(
        path
    )


def _parquet_huge_float(path: Path) -> None:
    pl.DataFrame({"model": ["m"] * 2, "tokens_completion": [100.0, 1e308]}).write_parquet(path)


def _parquet_uint64_max(path: Path) -> None:
    pl.DataFrame(
        {"model": ["m"] * 2, "tokens_completion": [100, 2**64 - 1]},
        schema={"model": pl.String, "tokens_completion": pl.UInt64},
    ).write_parquet(path)


@pytest.mark.parametrize("write", [_parquet_nan, _parquet_huge_float, _parquet_uint64_max])
def test_2_a_bad_parquet_value_is_null_and_every_command_works(data_dir, write):
    write(data_dir / "results" / "values.parquet")
    runs, stderr = user_runs()
    assert [r["tokens_completion"] for r in runs] == [100, None]
    assert stderr.strip() == (
        "tokenscope: values.parquet: set 1 unusable value to null (tokens_completion: 1)"
    )
    for command in ("leaderboard", "models", "prompts"):
        proc = cli(command, "--format", "csv")
        assert proc.returncode == 0 and "unexpected error" not in proc.stderr, proc.stderr


def write_with_corrupt_page(path: Path, column: str) -> None:
    """A Parquet file whose ``column`` has a corrupt data page behind an intact footer."""
    n = 5000
    values = {"tokens_completion": list(range(n)), "answer": [f"answer {i}" for i in range(n)]}
    order = [column, *(c for c in values if c != column)]
    frame = pl.DataFrame({**{c: values[c] for c in order}, "model": ["broken"] * n})
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd")
    data = bytearray(buffer.getvalue())
    # The first column's only data page starts right after the leading "PAR1".
    for i in range(4, 12):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    assert pl.read_parquet_schema(path)  # the footer still reads


@pytest.mark.parametrize("column", ["tokens_completion", "answer"])
def test_2_a_corrupt_data_page_is_named_and_the_rest_loads(data_dir, column):
    results = data_dir / "results"
    write_with_corrupt_page(results / "corrupt.parquet", column)
    # A study prompt: only those count toward the leaderboard.
    fine = {"model": ["fine"], "prompt_id": ["capital_of_australia"], "tokens_completion": [7]}
    pl.DataFrame(fine).write_parquet(results / "fine.parquet")
    runs, stderr = user_runs()
    assert [(r["model"], r["tokens_completion"]) for r in runs] == [("fine", 7)]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tokenscope: skipped corrupt.parquet: ")
    board = cli("leaderboard", "--source", "user", "--format", "json")
    assert board.returncode == 0 and [r["model"] for r in json.loads(board.stdout)] == ["fine"]


# ---- 7: a file rewritten while it is read ---------------------------------------------

REWRITER = """
import sys, polars as pl
path = sys.argv[1]
n = 20000
big = pl.DataFrame({"model": [f"m{i % 7}" for i in range(n)], "tokens_completion": list(range(n)),
                    "answer": [f"answer {i}" for i in range(n)]})
small = pl.DataFrame({"model": ["x"] * 10, "score": [0.5] * 10})
big.write_parquet(path)
print("ready", flush=True)
i = 0
while True:
    (big if i % 2 else small).write_parquet(path, row_group_size=2000)
    i += 1
"""

LOADER = """
import sys
from tokenscope.data.loader import load_dataset
from tokenscope.data.leaderboard import leaderboard
for _ in range(int(sys.argv[1])):
    ds = load_dataset("all")
    leaderboard(ds)
    ds.runs
    for warning in ds.warnings:
        print(warning, flush=True)
print("done", flush=True)
"""


def test_7_a_parquet_file_rewritten_during_loads_never_crashes_a_load(data_dir):
    target = data_dir / "results" / "rewritten.parquet"
    writer = subprocess.Popen(
        [sys.executable, "-c", REWRITER, str(target)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        loads = subprocess.run(
            [sys.executable, "-c", LOADER, "60"],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            timeout=600,
        )
    finally:
        writer.kill()
        writer.wait()
    # No panic, no SIGBUS, nothing printed over the screen; at worst a note naming the file.
    assert loads.returncode == 0, loads.stderr[-2000:]
    assert loads.stdout.splitlines()[-1] == "done"
    assert loads.stderr == ""
    for line in loads.stdout.splitlines()[:-1]:
        assert line.startswith("skipped rewritten.parquet: "), line


def test_7_a_file_that_keeps_changing_is_read_twice_then_skipped_with_a_note(data_dir, monkeypatch):
    from tokenscope.data import result_files
    from tokenscope.data.loader import load_dataset

    results = data_dir / "results"
    busy = results / "busy.csv"
    busy.write_text("model,tokens_completion\nx,1\n")
    (results / "calm.csv").write_text("model,tokens_completion\ny,2\n")
    reads = []
    real_read = os.read

    def read_while_writing(fd: int, size: int) -> bytes:
        chunk = real_read(fd, size)
        first = os.lseek(fd, 0, os.SEEK_CUR) == len(chunk)
        if chunk and first and os.fstat(fd).st_ino == busy.stat().st_ino:
            reads.append(chunk)
            with busy.open("a") as fh:  # another process appends while we read
                fh.write("x,1\n")
        return chunk

    monkeypatch.setattr(result_files.os, "read", read_while_writing)
    ds = load_dataset("user")
    assert ds.runs["model"].to_list() == ["y"]
    assert ds.warnings == [
        "skipped busy.csv: changed while being read, twice; skipped until it is written in full"
    ]
    assert len(reads) == 2


PANICS = Path(__file__).parents[1] / "fixtures" / "parquet" / "polars-panics.parquet"


def test_7_a_file_polars_panics_on_is_one_line_naming_it(data_dir):
    # Polars panics (a Rust assertion) decoding this file: the panic is a BaseException.
    shutil.copy(PANICS, data_dir / "results" / "panics.parquet")
    (data_dir / "results" / "good.jsonl").write_text('{"model": "m", "tokens_completion": 5}\n')
    runs, stderr = user_runs()
    assert [r["model"] for r in runs] == ["m"]
    (line,) = stderr.splitlines()
    assert line.startswith("tokenscope: skipped panics.parquet: a part of the file cannot be read")


# ---- 8: names are names, not patterns ---------------------------------------------------


def test_8_file_names_are_read_literally(data_dir):
    results = data_dir / "results"
    (results / "results[1].csv").write_text("model,tokens_completion\nbracket,1\n")
    pl.DataFrame({"model": ["star"], "tokens_completion": [2]}).write_parquet(
        results / "good*.parquet"
    )
    pl.DataFrame({"model": ["good1"], "tokens_completion": [3]}).write_parquet(
        results / "good1.parquet"
    )
    pl.DataFrame({"model": ["asterisk"], "tokens_completion": [4]}).write_parquet(
        results / "*.parquet"
    )
    runs, stderr = user_runs()
    assert sorted(r["model"] for r in runs) == ["asterisk", "bracket", "good1", "star"]
    assert stderr == ""


# ---- 9: every skipped file is counted, and doctor names them all ------------------------


def test_9_many_bad_files_end_with_how_many_more_and_doctor_lists_all(data_dir, monkeypatch):
    results = data_dir / "results"
    for i in range(8):
        (results / f"bad{i}.csv").write_text("")
    (results / "good.jsonl").write_text('{"model": "m", "tokens_completion": 5}\n')
    runs, stderr = user_runs()
    assert len(runs) == 1
    lines = stderr.strip().splitlines()
    assert lines[:5] == [f"tokenscope: skipped bad{i}.csv: empty file" for i in range(5)]
    assert lines[5:] == ["tokenscope: and 3 more; `tokenscope doctor` lists every file"]

    secret = "sk-doctor-secret-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    config = Path(os.environ["TOKENSCOPE_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '[endpoints.mybox]\nbase_url = "http://127.0.0.1:9/v1"\napi_key_env = "MYBOX_KEY"\n'
    )
    doctor = cli("doctor")
    assert doctor.returncode == 0, doctor.stderr
    out = doctor.stdout
    assert f"results folder: {results}" in out
    assert "9 result files: 1 runs loaded, 0 with notes, 8 skipped" in out
    for i in range(8):
        assert f"skipped  bad{i}.csv    empty file" in out
    assert "ok       good.jsonl  1 run" in out
    assert f"config file: {config} (parses; 1 endpoint of your own)" in out
    assert [line.split()[:2] for line in out.splitlines() if "OPENAI_API_KEY" in line] == [
        ["OPENAI_API_KEY", "set"]
    ]
    assert [line.split()[:3] for line in out.splitlines() if "MYBOX_KEY" in line] == [
        ["MYBOX_KEY", "not", "set"]
    ]
    assert secret not in out


def test_9_doctor_says_when_the_config_does_not_parse(data_dir):
    config = Path(os.environ["TOKENSCOPE_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[probe\n")
    doctor = cli("doctor")
    assert doctor.returncode == 0, doctor.stderr
    assert f"config file: {config} does not parse: " in doctor.stdout
    assert "OPENAI_API_KEY" in doctor.stdout  # the built-in endpoints are still listed


# ---- 11: negative counts, and entries that are not files --------------------------------


def test_11_a_negative_count_in_a_dropped_file_is_null_and_the_row_kept(data_dir):
    (data_dir / "results" / "neg.csv").write_text(
        "model,prompt_id,tokens_completion\nm,one_plus_one,-500\nm,one_plus_one,100\n"
    )
    runs, stderr = user_runs()
    assert sorted(r["tokens_completion"] or 0 for r in runs) == [0, 100]
    assert "neg.csv: set 1 unusable value to null (tokens_completion: 1)" in stderr
    board = json.loads(cli("leaderboard", "--source", "user", "--format", "json").stdout)
    assert board[0]["mean_completion_tokens"] == 100


def test_11_entries_that_are_not_files_are_reported_and_never_block(data_dir):
    results = data_dir / "results"
    (results / "loop.jsonl").symlink_to("loop.jsonl")
    (results / "dangling.parquet").symlink_to("nowhere.parquet")
    os.mkfifo(results / "pipe.jsonl")
    (results / "folder.jsonl").mkdir()
    (results / "good.jsonl").write_text('{"model": "m", "tokens_completion": 5}\n')
    runs, stderr = user_runs()  # a FIFO opened for reading would block here forever
    assert len(runs) == 1
    assert stderr.splitlines() == [
        "tokenscope: skipped dangling.parquet: a broken symbolic link; not read",
        "tokenscope: skipped folder.jsonl: a directory, not a results file; not read",
        "tokenscope: skipped loop.jsonl: a symbolic link loop; not read",
        "tokenscope: skipped pipe.jsonl: a named pipe, not a results file; not read",
    ]

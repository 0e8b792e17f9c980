"""User results: every readable file loads, every unreadable one is named and skipped."""

from __future__ import annotations

import json

import polars as pl

from tokenscope.data.loader import UserResults, load_dataset
from tokenscope.data.store import append_run


def _run(model="my-model", prompt="capital_of_australia", tokens=120, **extra):
    return {"model": model, "prompt_id": prompt, "tokens_completion": tokens, **extra}


def test_jsonl_csv_and_parquet_are_picked_up(data_dir):
    results = data_dir / "results"
    (results / "a.jsonl").write_text(json.dumps(_run(tokens=10)) + "\n")
    pl.DataFrame([_run(tokens=20)]).write_csv(results / "b.csv")
    pl.DataFrame([_run(tokens=30)]).write_parquet(results / "c.parquet")
    ds = load_dataset("user")
    assert sorted(ds.runs["tokens_completion"].to_list()) == [10, 20, 30]
    assert set(ds.runs["source"]) == {"user"}
    # Filled from the study's prompt table.
    assert set(ds.runs["domain"]) == {"knowledge"}
    assert ds.warnings == []


def test_bad_files_are_skipped_with_one_message_each(data_dir):
    results = data_dir / "results"
    (results / "empty.csv").write_text("")
    (results / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    (results / "foreign.csv").write_text("name,age\nann,3\n")
    (results / "wrongtype.csv").write_text("model,tokens_completion\nx,lots\n")
    (results / "binary.jsonl").write_bytes(b"\x00\xff\xfe garbage\n")
    (results / "good.jsonl").write_text(json.dumps(_run(tokens=7)) + "\n")
    ds = load_dataset("all")
    user = ds.runs.filter(pl.col("source") == "user").sort("model")
    # A value of the wrong type costs that value, not its row or its file.
    assert user.select("model", "tokens_completion").rows() == [("my-model", 7), ("x", None)]
    assert ds.runs.filter(pl.col("source") == "bundled").height == 3507
    joined = "\n".join(ds.warnings)
    for name in ("empty.csv", "broken.parquet", "foreign.csv", "wrongtype.csv", "binary.jsonl"):
        assert sum(name in w for w in ds.warnings) == 1, joined
    assert "empty file" in joined
    assert "not a tokenscope results file" in joined
    assert "wrongtype.csv: set 1 unusable value to null (tokens_completion: 1)" in joined
    assert all("\n" not in w for w in ds.warnings)


def test_torn_last_record_is_skipped_with_its_line(data_dir):
    append_run(_run(tokens=1))
    append_run(_run(tokens=2))
    store = next((data_dir / "results").glob("*.jsonl"))
    with store.open("a") as fh:
        fh.write('{"model": "my-model", "tokens_compl')
    ds = load_dataset("user")
    assert ds.runs["tokens_completion"].to_list() == [1, 2]
    assert len(ds.warnings) == 1 and "line 3" in ds.warnings[0]
    # The next append must not be glued to the torn fragment.
    append_run(_run(tokens=3))
    ds = load_dataset("user")
    assert ds.runs["tokens_completion"].to_list() == [1, 2, 3]


def test_unchanged_files_are_not_reread(data_dir):
    append_run(_run(tokens=1))
    users = UserResults()
    first = users.signature()
    frame, _ = users.load()
    assert users.signature() == first
    again, _ = users.load()
    assert again is not None and frame.collect().equals(again.collect())
    append_run(_run(tokens=2))
    assert users.signature() != first
    assert users.load()[0].collect().height == 2


def test_user_runs_get_the_studys_reasoning_method(data_dir):
    append_run(_run(tokens=100, tokens_reasoning_reported=70, chars_answer=90))
    ds = load_dataset("user")
    row = ds.runs.row(0, named=True)
    assert row["reasoning_method"] == "reported"
    assert row["tokens_reasoning"] == 70.0 and row["tokens_answer"] == 30.0

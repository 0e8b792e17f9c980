"""Memory in proportion to what is shown: tables and charts never read a run's texts;
opening a run reads them, in full."""

from __future__ import annotations

import json
from dataclasses import replace

import polars as pl
import pytest

from tokenscope.data import leaderboard as boards
from tokenscope.data.loader import Dataset, load_dataset, read_results_file
from tokenscope.data.trends import bundled_lineages, trends_table
from tokenscope.tui import explorer
from tokenscope.tui.filters import Filters

TEXT_COLUMNS = ("prompt_text", "answer", "reasoning", "grading_notes", "error")
LONG_REASONING = "Let me think. " * 5_000
LONG_ANSWER = "Canberra. " * 500


def _run(n: int, **extra) -> dict:
    return {
        "run_id": f"mine-{n}",
        "model": "my-model",
        "prompt_id": "capital_of_australia",
        "tokens_completion": 1000 + n,
        "tokens_reasoning_reported": 800,
        "chars_answer": len(LONG_ANSWER),
        "chars_reasoning": len(LONG_REASONING),
        "chars_completion": len(LONG_ANSWER) + len(LONG_REASONING),
        "score": 1.0,
        "answer": LONG_ANSWER,
        "reasoning": LONG_REASONING,
        "grading_notes": "all criteria met",
        **extra,
    }


@pytest.fixture
def user_files(data_dir):
    """One file of each kind a user drops in, every run with long texts."""
    results = data_dir / "results"
    (results / "asked.jsonl").write_text("".join(json.dumps(_run(n)) + "\n" for n in range(3)))
    pl.DataFrame([_run(n) for n in range(3, 6)]).write_csv(results / "runs.csv")
    pl.DataFrame([_run(n) for n in range(6, 9)]).write_parquet(results / "runs.parquet")
    return results


def with_text_trap(ds: Dataset) -> tuple[Dataset, list[str]]:
    """``ds`` whose run texts note each time a query decodes them (into the list)."""
    decoded: list[str] = []

    def trap(name: str) -> pl.Expr:
        def note(texts: pl.Series) -> pl.Series:
            decoded.append(name)
            return texts

        return pl.col(name).map_batches(note, return_dtype=pl.String)

    trapped = ds.lazy_runs().with_columns(trap(name) for name in TEXT_COLUMNS)
    return replace(ds, runs_lazy=trapped), decoded


def test_tables_and_charts_never_decode_run_texts(user_files):
    ds, decoded = with_text_trap(load_dataset("all"))
    f = Filters()
    board = explorer.leaderboard_frame(ds, f)
    order = list(zip(board["model"], board["source"], strict=True))
    assert ("my-model", "user") in order
    explorer.matrix_frame(ds, f, order)
    explorer.overthinking_frame(ds, f, order)
    explorer.run_counts(ds, f)
    explorer.labs(ds)
    runs = explorer.runs_frame(ds, f)
    boards.prompt_matrix(ds)
    boards.prompts_table(ds)
    boards.models_table(ds)
    trends_table(ds, bundled_lineages())
    assert runs.filter(pl.col("source") == "user").height == 9
    # Not one text column left its file for any of these.
    assert decoded == []
    assert not set(TEXT_COLUMNS) & set(runs.columns)


def test_opening_a_run_reads_its_full_texts(user_files):
    ds, decoded = with_text_trap(load_dataset("all"))
    for n in (1, 4, 7):  # one run from each file: JSONL, CSV, Parquet
        record = explorer.run_record(ds, f"mine-{n}")
        assert record is not None
        assert record["reasoning"] == LONG_REASONING
        assert record["answer"] == LONG_ANSWER
        assert record["grading_notes"] == "all criteria met"
    assert {"reasoning", "answer"} <= set(decoded)


@pytest.mark.parametrize("name", ["asked.jsonl", "runs.csv"])
def test_a_file_read_whole_is_kept_compressed_not_decoded(user_files, name):
    # JSONL and CSV are parsed whole; what stays in memory is Parquet, so a table's
    # query decodes only its columns and the texts stay compressed.
    result = read_results_file(user_files / name)
    plan = result.frame.select("model", "tokens_completion").explain()
    assert "Parquet SCAN" in plan and "in-mem bytes" in plan
    assert result.rows == 3
    texts = result.frame.select("reasoning").collect()["reasoning"]
    assert texts.to_list() == [LONG_REASONING] * 3

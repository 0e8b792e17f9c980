"""An import plans, appends through the store, and never adds the same record twice.

The done-when of issue 11: a log of the study prompts from each tool becomes
leaderboard rows with the right relative tokens.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from tokenscope import paths
from tokenscope.data import store
from tokenscope.data.leaderboard import leaderboard
from tokenscope.data.loader import load_dataset
from tokenscope.data.metrics import DEFAULT_REFERENCE_MODELS
from tokenscope.importers.session import ImportSession

from .conftest import FIXTURES

PLAN = json.loads((FIXTURES / "study_plan.json").read_text())


def store_lines(results_dir) -> list[str]:
    path = store.store_path(results_dir)
    return path.read_text().splitlines() if path.exists() else []


def import_files(*names):
    session = ImportSession([FIXTURES / n for n in names])
    plan = session.plan()
    return plan, session.apply(plan)


def test_importing_twice_adds_nothing(results_dir):
    plan, written = import_files("inspect_study.eval", "promptfoo_study.json")
    assert written == len(plan.new_runs) == 43
    before = store_lines(results_dir)
    again, written_again = import_files("inspect_study.eval", "promptfoo_study.json")
    assert (again.new_runs, written_again, again.duplicates) == ([], 0, 43)
    assert store_lines(results_dir) == before


def test_a_renamed_copy_is_the_same_records(results_dir, tmp_path):
    import_files("litellm_study.jsonl")
    copy = tmp_path / "yesterday.log"
    shutil.copyfile(FIXTURES / "litellm_study.jsonl", copy)
    plan = ImportSession([copy]).plan()
    assert plan.new_runs == [] and plan.duplicates == 22


def test_the_same_record_twice_in_one_import_is_written_once(results_dir):
    # openrouter_docs.jsonl holds one generation in its envelope and bare.
    plan, written = import_files("openrouter_docs.jsonl")
    assert (written, plan.duplicates) == (1, 1)


def test_a_plan_writes_nothing(results_dir):
    plan = ImportSession([FIXTURES / "otel_console.json"]).plan()
    assert len(plan.new_runs) == 21
    assert store_lines(results_dir) == []


def test_dry_run_summary_per_model():
    plan = ImportSession([FIXTURES / "otel_console.json"]).plan()
    summary = {row["model"]: row for row in plan.summary().iter_rows(named=True)}
    study = [e for e in PLAN if e["prompt_id"]]
    users = [e for e in PLAN if not e["prompt_id"]]
    main = summary["loopback-reasoner"]
    assert (main["runs"], main["study_runs"], main["failed"]) == (19, 19, 0)
    assert main["tokens_completion"] == sum(e["completion_tokens"] for e in study)
    assert main["tokens_reasoning"] == sum(e["reasoning_tokens"] for e in study)
    other = summary["openllmetry-model"]
    assert other["tokens_prompt"] == sum(e["prompt_tokens"] for e in users)


def test_unknown_totals_stay_unknown():
    plan = ImportSession([FIXTURES / "promptfoo_v2.json"]).plan()
    [row] = plan.summary().iter_rows(named=True)
    assert row["runs"] == 2
    assert row["tokens_completion"] is None and row["tokens_reasoning"] is None


def test_stored_runs_carry_origin_source_and_reported_counts(results_dir):
    import_files("inspect_study.eval")
    records = [json.loads(line) for line in store_lines(results_dir)]
    assert {r["origin"] for r in records} == {"inspect:inspect_study.eval"}
    assert {r["source"] for r in records} == {"user"}
    assert {r["tokens_source"] for r in records} == {"reported"}


def test_reasoning_method_follows_the_study(results_dir):
    import_files("inspect_study.eval")
    runs = load_dataset("user").runs
    study = runs.filter(pl.col("prompt_id").is_not_null())
    assert study["reasoning_method"].unique().to_list() == ["reported"]
    # The user questions logged no reasoning count: the study's answer-chars fallback.
    users = runs.filter(pl.col("prompt_id").is_null())
    assert users["reasoning_method"].unique().to_list() == ["answer_chars"]
    assert users["tokens_reasoning"].is_not_null().all()


def expected_relative(model_tokens: dict[str, float]) -> float:
    """Relative completion tokens written out from the study's definition in DATA.md."""
    runs = pl.read_parquet(paths.bundled_dir() / "runs.parquet")
    ok = pl.col("status").is_null() | (pl.col("status") == "ok")
    means = (
        runs.filter(ok & pl.col("model").is_in(DEFAULT_REFERENCE_MODELS))
        .group_by("model", "prompt_id")
        .agg(
            pl.col("tokens_completion").mean().alias("mean"),
            (pl.col("tokens_completion").is_null() | (pl.col("tokens_completion") <= 0))
            .any()
            .alias("bad"),
        )
        .filter(~pl.col("bad"))
    )
    normaliser = dict(means.group_by("prompt_id").agg(pl.col("mean").mean()).iter_rows())
    ratios = [tokens / normaliser[prompt] for prompt, tokens in model_tokens.items()]
    return sum(ratios) / len(ratios)


STUDY_LOGS = [
    ("inspect_study.eval", "mockllm/model"),
    ("promptfoo_study.json", "openai:chat:loopback-reasoner"),
    ("otel_console.json", "loopback-reasoner"),
    ("otel_otlp.jsonl", "loopback-reasoner"),
    ("openrouter_study.json", "sao10k/l3-stheno-8b"),
    ("litellm_study.jsonl", "loopback-reasoner"),
]


@pytest.mark.parametrize(("name", "model"), STUDY_LOGS)
def test_a_log_of_the_study_prompts_becomes_leaderboard_rows(results_dir, name, model):
    import_files(name)
    board = leaderboard(load_dataset("all"))
    [row] = board.filter((pl.col("model") == model) & (pl.col("source") == "user")).to_dicts()
    assert row["n_prompts"] == 19
    tokens = {e["prompt_id"]: e["completion_tokens"] for e in PLAN if e["prompt_id"]}
    assert row["relative_completion_tokens"] == pytest.approx(expected_relative(tokens))
    # Every study model is still there, on the same normaliser.
    assert board.filter(pl.col("source") == "bundled").height >= 29


@pytest.mark.parametrize(("name", "model"), STUDY_LOGS)
def test_a_log_dropped_into_the_results_folder_loads_like_an_import(
    results_dir, fixture_copy, name, model
):
    # No command: the loader tells the tool from the content, under a neutral name.
    dropped = fixture_copy(name, f"dropped{Path(name).suffix}")
    results_dir.mkdir(parents=True, exist_ok=True)
    dropped.rename(results_dir / dropped.name)
    board = leaderboard(load_dataset("all"))
    [row] = board.filter((pl.col("model") == model) & (pl.col("source") == "user")).to_dicts()
    assert row["n_prompts"] == 19
    tokens = {e["prompt_id"]: e["completion_tokens"] for e in PLAN if e["prompt_id"]}
    assert row["relative_completion_tokens"] == pytest.approx(expected_relative(tokens))
    # Imported as well: the same runs are counted once.
    import_files(name)
    again = leaderboard(load_dataset("all"))
    [same] = again.filter((pl.col("model") == model) & (pl.col("source") == "user")).to_dicts()
    assert same["n_runs"] == row["n_runs"]

"""The bundled files reproduce the study's published figures (../shared/DATA.md).

Edition 2025-08 reproduces the August report; edition latest reproduces
upstream's own per-prompt summaries of its newer runs.
"""

from __future__ import annotations

import csv
import json
import statistics

import polars as pl
import pytest

from tokenscope.data.leaderboard import leaderboard

from .test_editions import NEW_MODELS, edition, raw_update


@pytest.fixture
def ds():
    """Edition 2025-08: the August report's data."""
    return edition("2025-08")


def test_both_editions_load(ds):
    latest = edition("latest")
    assert ds.runs.height == 2657 and latest.runs.height == 2657 - 190 + 1040
    assert ds.model_names < latest.model_names
    assert latest.model_names - ds.model_names == NEW_MODELS
    for one in (ds, latest):
        assert one.runs["run_id"].is_unique().all()
        assert one.prices["model"].is_unique().all()


def test_latest_leaderboard_lists_the_newer_models():
    latest = edition("latest")
    board = leaderboard(latest)
    assert board.height == 38
    assert {"gpt-5", "claude-opus-4.5", "Hermes-4-405B"} <= set(board["model"])


def test_all_models_and_prompts_are_bundled(ds):
    assert ds.runs["model"].n_unique() == 29
    assert ds.prompts.height == 19
    assert set(ds.runs["prompt_id"].unique()) == set(ds.prompts["prompt_id"])
    assert ds.runs.group_by("domain").len().sort("domain")["domain"].to_list() == [
        "knowledge",
        "logic",
        "math",
    ]


def test_deepseek_r1_0528_aime_reasoning_tokens(ds):
    runs = ds.runs.filter(
        (pl.col("model") == "deepseek-r1-0528") & (pl.col("prompt_id") == "AIME2023II_P1")
    )
    assert round(runs["tokens_reasoning"].mean()) == 3104
    assert set(runs["reasoning_method"]) == {"reported"}


def test_knowledge_magistral_outliers_open_models_around_four(ds):
    board = leaderboard(ds, domain="knowledge")
    rel = dict(zip(board["model"], board["relative_completion_tokens"], strict=False))
    assert rel["magistral-small-2506"] > 8 and rel["magistral-medium-2506-thinking"] > 8
    typical_open = board.filter(
        pl.col("open_weights")
        & ~pl.col("model").str.contains("magistral|gpt-oss")
        & pl.col("relative_completion_tokens").is_not_null()
    )["relative_completion_tokens"]
    assert 3.0 < typical_open.median() < 5.0
    open_ranked = board.filter(pl.col("open_weights"))["model"].to_list()
    assert "gpt-oss-120b" in open_ranked[:2]
    assert rel["gpt-oss-120b"] < 1.0


def test_math_o4_mini_three_times_fewer_and_nemotron_leads_open(ds):
    board = leaderboard(ds, domain="math")
    rel = dict(zip(board["model"], board["relative_completion_tokens"], strict=False))
    other_commercial = board.filter(~pl.col("open_weights") & (pl.col("lab") != "openai"))[
        "relative_completion_tokens"
    ]
    assert 2.5 < other_commercial.mean() / rel["o4-mini-high-long"] < 4.0
    full_open = board.filter(
        pl.col("open_weights")
        & ~pl.col("model").str.starts_with("gpt-oss")
        & (pl.col("n_prompts") == board["n_prompts"].max())
    )
    assert full_open["model"][0] == "llama-3.3-nemotron-super-49b-v1"


def test_logic_default_puzzles_cheapest_impossible_bridge_dearest(ds):
    per_prompt = (
        ds.runs.filter(pl.col("domain") == "logic")
        .group_by("prompt_id")
        .agg(pl.col("tokens_reasoning").mean())
        .sort("tokens_reasoning")
    )
    order = per_prompt["prompt_id"].to_list()
    assert order[-1] == "bridge_torch_impossible"
    assert order.index("monty_hall_default") < order.index("monty_hall_inverse")
    assert order.index("bridge_torch_default") < order.index("bridge_torch_easy")
    assert order.index("bridge_torch_default") < order.index("bridge_torch_impossible")


def test_runs_match_the_studys_own_flat_table(ds, raw_study):
    """evaluation_stats.csv covers 23 models; every run's counts must agree with it."""
    expected: dict[tuple[str, str], list[tuple]] = {}
    with (raw_study / "evaluation_stats.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = (row["model_name"], row["prompt_id"])
            expected.setdefault(key, []).append(
                (
                    int(row["tokens_completion"]),
                    int(row["char_completion"]),
                    int(row["criteria_met_count"]),
                )
            )
    assert len({m for m, _ in expected}) == 23
    ours: dict[tuple[str, str], list[tuple]] = {}
    for r in ds.runs.iter_rows(named=True):
        ours.setdefault((r["model"], r["prompt_id"]), []).append(
            (r["tokens_completion"], r["chars_completion"], r["criteria_met_count"])
        )
    compared = 0
    for key, rows in expected.items():
        if key[1] not in set(ds.prompts["prompt_id"]):
            continue
        assert sorted(ours[key]) == sorted(rows), key
        compared += len(rows)
    assert compared > 2000


def test_missing_values_stay_null(ds):
    ds_only = ds.runs.filter(pl.col("model") == "deepseek-r1-0528-ds")
    assert ds_only["tokens_completion"].null_count() == ds_only.height
    assert ds_only["tokens_reasoning"].null_count() == ds_only.height
    prices = dict(zip(ds.prices["model"], ds.prices["completion_price_min"], strict=False))
    assert "glm-z1-32b" not in prices
    board = leaderboard(ds)
    row = board.filter(pl.col("model") == "glm-z1-32b").row(0, named=True)
    assert row["cost_per_query_usd_min"] is None
    # batch2's reasoning text was not archived: null, not empty.
    assert ds.runs.filter(pl.col("model") == "qwen3-30b-a3b-think")["reasoning"].null_count() > 0
    assert (ds.runs["reasoning"] == "").sum() == 0


def test_latest_matches_upstreams_summaries_of_its_newer_runs(raw_study):
    """evaluation_summary_*.json: per prompt and model, the plain mean over the graded runs
    of tokens_completions (avg_tokens_completions) and of total_score, the weighted share
    of criteria met (average_total_score); num_evaluations counts the runs."""
    latest = edition("latest")
    runs = latest.runs.filter(pl.col("run_id").str.starts_with("study-update:"))
    ours = {
        (r["prompt_id"], r["model"]): r
        for r in runs.group_by("prompt_id", "model")
        .agg(
            pl.col("tokens_completion").mean().alias("tokens"),
            pl.col("score").mean(),
            pl.len().alias("n"),
        )
        .iter_rows(named=True)
    }
    compared: set[str] = set()
    for path in sorted((raw_update(raw_study) / "data").glob("evaluation_summary_*.json")):
        for prompt_id, by_model in json.loads(path.read_text(encoding="utf-8")).items():
            for model, summary in by_model.items():
                mine = ours.pop((prompt_id, model))
                assert mine["n"] == summary["num_evaluations"], (prompt_id, model)
                expected = summary["avg_tokens_completions"]
                assert mine["tokens"] == pytest.approx(expected, abs=0.05), (prompt_id, model)
                expected = summary["average_total_score"]
                assert mine["score"] == pytest.approx(expected, abs=5e-4), (prompt_id, model)
                compared.add(model)
    assert compared == NEW_MODELS | {"gpt-oss-120b", "gpt-oss-20b"}
    assert not ours  # every newer run is summarised upstream


def test_latest_uses_the_gpt_oss_rerun_in_place_of_the_first_runs(ds, raw_study):
    latest = edition("latest")
    path = raw_update(raw_study) / "data" / "detailed_evaluations_gptossnew.json"
    rerun = json.loads(path.read_text(encoding="utf-8"))
    for model in ("gpt-oss-120b", "gpt-oss-20b"):
        mine = latest.runs.filter(pl.col("model") == model)
        assert mine.height == 95 and mine["run_id"].str.starts_with("study-update:").all()
        upstream = [
            run["statistics"]["tokens_completions"]
            for by_model in rerun.values()
            for run in by_model.get(model, [])
        ]
        assert mine["tokens_completion"].mean() == pytest.approx(statistics.mean(upstream))
        assert ds.runs.filter(pl.col("model") == model)["run_id"].str.starts_with("study:").all()

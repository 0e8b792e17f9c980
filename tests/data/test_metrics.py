"""Each metric on small hand-made frames with hand-computed answers."""

from __future__ import annotations

import polars as pl
import pytest

from tokenscope.data import metrics
from tokenscope.data.schema import RUN_SCHEMA, conform


def runs(*rows: dict) -> pl.LazyFrame:
    base = {"source": "bundled", "status": "ok"}
    frame = pl.DataFrame(
        [{**base, **r} for r in rows],
        schema_overrides={k: v for k, v in RUN_SCHEMA.items() if any(k in r for r in rows)},
    )
    return conform(frame.lazy())


def test_reasoning_reported_when_consistent():
    frame = runs(
        {
            "model": "a",
            "prompt_id": "p",
            "tokens_completion": 100,
            "tokens_reasoning_reported": 80,
            "chars_answer": 62,
            "chars_reasoning": 300,
            "chars_completion": 362,
        },
        {
            "model": "a",
            "prompt_id": "p",
            "tokens_completion": 50,
            "tokens_reasoning_reported": 0,
            "chars_answer": 31,
            "chars_reasoning": 0,
            "chars_completion": 31,
        },
    )
    out = metrics.with_reasoning_tokens(frame).collect()
    assert out["reasoning_method"].to_list() == ["reported", "reported"]
    assert out["tokens_reasoning"].to_list() == [80.0, 0.0]
    assert out["tokens_answer"].to_list() == [20.0, 50.0]


def test_reasoning_falls_back_to_cot_chars_when_a_count_exceeds_completion():
    frame = runs(
        {
            "model": "a",
            "prompt_id": "p",
            "tokens_completion": 100,
            "tokens_reasoning_reported": 120,
            "chars_answer": 100,
            "chars_reasoning": 300,
            "chars_completion": 400,
        },
        {
            "model": "a",
            "prompt_id": "p",
            "tokens_completion": 10,
            "tokens_reasoning_reported": 5,
            "chars_answer": 10,
            "chars_reasoning": 30,
            "chars_completion": 40,
        },
    )
    out = metrics.with_reasoning_tokens(frame).collect()
    assert out["reasoning_method"].to_list() == ["cot_chars", "cot_chars"]
    assert out["tokens_reasoning"].to_list() == pytest.approx([75.0, 7.5])


def test_reasoning_falls_back_to_answer_chars_without_cot():
    # All reported counts are zero: "some > 0" fails. No CoT text either.
    frame = runs(
        {
            "model": "b",
            "prompt_id": "p",
            "tokens_completion": 100,
            "tokens_reasoning_reported": 0,
            "chars_answer": 62,
            "chars_reasoning": 0,
            "chars_completion": 62,
        },
        {
            "model": "b",
            "prompt_id": "p",
            "tokens_completion": 10,
            "tokens_reasoning_reported": 0,
            "chars_answer": 310,
            "chars_reasoning": 0,
            "chars_completion": 310,
        },
    )
    out = metrics.with_reasoning_tokens(frame).collect()
    assert out["reasoning_method"].to_list() == ["answer_chars", "answer_chars"]
    # 100 - 62/3.1 = 80; 10 - 310/3.1 = -90 -> no reasoning.
    assert out["tokens_reasoning"].to_list() == pytest.approx([80.0, 0.0])


def test_consistency_is_judged_per_model_and_prompt():
    frame = runs(
        {
            "model": "a",
            "prompt_id": "bad",
            "tokens_completion": 10,
            "tokens_reasoning_reported": 20,
            "chars_answer": 5,
            "chars_reasoning": 15,
            "chars_completion": 20,
        },
        {
            "model": "a",
            "prompt_id": "good",
            "tokens_completion": 10,
            "tokens_reasoning_reported": 6,
            "chars_answer": 5,
            "chars_reasoning": 15,
            "chars_completion": 20,
        },
    )
    out = metrics.with_reasoning_tokens(frame).collect().sort("prompt_id")
    assert out["reasoning_method"].to_list() == ["cot_chars", "reported"]


def test_missing_completion_stays_null():
    frame = runs({"model": "a", "prompt_id": "p", "chars_answer": 5})
    out = metrics.with_reasoning_tokens(frame).collect()
    assert out["tokens_reasoning"].to_list() == [None]
    assert out["reasoning_method"].to_list() == [None]


def _rel_frame():
    # Two prompts; reference model R. p1: R mean 100, A mean 300. p2: R absent.
    return runs(
        {"model": "R", "prompt_id": "p1", "domain": "math", "tokens_completion": 90},
        {"model": "R", "prompt_id": "p1", "domain": "math", "tokens_completion": 110},
        {"model": "A", "prompt_id": "p1", "domain": "math", "tokens_completion": 300},
        {"model": "A", "prompt_id": "p2", "domain": "logic", "tokens_completion": 40},
        {"model": "B", "prompt_id": "p2", "domain": "logic", "tokens_completion": 160},
        {"model": "B", "prompt_id": "p1", "domain": "math", "tokens_completion": 50},
        {"model": "B", "prompt_id": "p1", "domain": "math", "tokens_completion": 0},
    )


def test_relative_tokens_per_prompt_reference_and_fallback():
    rel = metrics.relative_by_prompt(metrics.run_sums(_rel_frame()), ["R"]).collect()
    got = {
        (r["model"], r["prompt_id"]): r["relative_completion_tokens"]
        for r in rel.iter_rows(named=True)
    }
    # p1 normaliser = R's mean 100; B left out on p1 because one run has 0 tokens.
    assert got[("A", "p1")] == pytest.approx(3.0)
    assert got[("R", "p1")] == pytest.approx(1.0)
    assert ("B", "p1") not in got
    # p2 has no reference: normaliser = mean over all models = (40 + 160) / 2.
    assert got[("A", "p2")] == pytest.approx(0.4)
    assert got[("B", "p2")] == pytest.approx(1.6)
    froms = dict(zip(rel["prompt_id"], rel["normaliser_from"], strict=False))
    assert froms == {"p1": "reference", "p2": "all models"}


def test_relative_tokens_per_domain_is_mean_of_prompt_ratios():
    rel = metrics.relative_by_domain(metrics.run_sums(_rel_frame()), ["R"]).collect()
    got = {
        (r["model"], r["domain"]): r["relative_completion_tokens"]
        for r in rel.iter_rows(named=True)
    }
    assert got[("A", "math")] == pytest.approx(3.0)
    assert got[("A", "logic")] == pytest.approx(0.4)
    assert got[("A", "all")] == pytest.approx((3.0 + 0.4) / 2)
    assert got[("B", "all")] == pytest.approx(1.6)


def test_success_rate_skips_ungraded_runs():
    frame = runs(
        {"model": "a", "score": 1.0}, {"model": "a", "score": 0.5}, {"model": "a", "score": None}
    )
    out = metrics.model_figures(metrics.run_sums(frame)).collect()
    assert out["success_rate"].to_list() == [0.75]
    assert out["n_graded"].to_list() == [2]


def test_cost_per_query_band():
    frame = runs(
        {"model": "a", "tokens_completion": 1000}, {"model": "a", "tokens_completion": 3000}
    )
    prices = pl.LazyFrame(
        {
            "model": ["a"],
            "completion_price_min": [1.0],
            "completion_price_max": [4.0],
            "completion_price_avg": [2.0],
        }
    )
    out = metrics.cost_per_query(frame, prices).collect().row(0, named=True)
    # mean 2000 tokens × $1/M and × $4/M
    assert out["cost_per_query_usd_min"] == pytest.approx(0.002)
    assert out["cost_per_query_usd_max"] == pytest.approx(0.008)


def _figures(frame: pl.LazyFrame) -> pl.DataFrame:
    return metrics.model_figures(metrics.run_sums(frame)).collect().sort("model")


def test_chars_per_token_is_the_least_squares_slope():
    frame = runs(
        {"model": "a", "tokens_completion": 100, "chars_completion": 310},
        {"model": "a", "tokens_completion": 200, "chars_completion": 620},
        {"model": "a", "tokens_completion": 300, "chars_completion": 930},
        {"model": "b", "tokens_completion": 100, "chars_completion": 40},
        {"model": "b", "tokens_completion": 300, "chars_completion": 100},
    )
    out = dict(_figures(frame).select("model", "chars_per_token").iter_rows())
    assert out["a"] == pytest.approx(3.1)
    assert out["b"] == pytest.approx(0.3)


def test_overthinking_auc_and_curve():
    frame = runs(
        {"model": "a", "score": 1.0, "tokens_completion": 1, "tokens_reasoning_reported": 0},
        {"model": "a", "score": 1.0, "tokens_completion": 600, "tokens_reasoning_reported": 500},
        {"model": "a", "score": 0.0, "tokens_completion": 10, "tokens_reasoning_reported": 1},
        {"model": "a", "score": None, "tokens_completion": 10, "tokens_reasoning_reported": 1},
    )
    frame = metrics.with_reasoning_tokens(frame.with_columns(pl.lit("p").alias("prompt_id")))
    auc = metrics.model_figures(metrics.run_sums(frame, cap=1000)).collect()["overthinking_auc"][0]
    # (1 + 0.5 + 0) / 3 graded runs
    assert auc == pytest.approx(0.5)
    curve = metrics.overthinking_curve(frame, cap=1000, points=3).collect()
    assert curve["budget"].to_list() == [0.0, 500.0, 1000.0]
    assert curve["accuracy"].to_list() == pytest.approx([1 / 3, 2 / 3, 2 / 3])

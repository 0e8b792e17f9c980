"""At scale the figures never hold the runs: they stream into a small frame of sums."""

from __future__ import annotations

import polars as pl

from tokenscope import paths
from tokenscope.data import leaderboard as lb
from tokenscope.data import metrics
from tokenscope.data.loader import load_dataset


def _many_runs(n: int) -> pl.DataFrame:
    i = pl.int_range(0, n, eager=True)
    return pl.DataFrame(
        {
            "run_id": "r" + i.cast(pl.String),
            "model": pl.Series(["mine-a", "mine-b"]).gather(i % 2),
            "prompt_id": pl.Series(["AIME2023II_P1", "train_distance", None]).gather(i % 3),
            "tokens_completion": 100 + i % 900,
            "tokens_reasoning_reported": 50 + i % 400,
            "chars_completion": 300 + i % 2000,
            "score": (i % 4 / 4).cast(pl.Float64),
        }
    )


def test_figures_read_runs_without_a_window_or_a_gathered_lookup(data_dir):
    # A window over the runs (the reasoning check per prompt) or a dictionary lookup
    # makes Polars' streaming engine gather every run of the scan before going on.
    _many_runs(300).write_parquet(paths.results_dir() / "mine.parquet")
    plan = lb.metrics.run_sums(load_dataset("all").metric_runs()).explain(engine="streaming")
    # Everything below the reduction to sums is row by row.
    scan = plan.split("AGGREGATE", 1)[1]
    assert ".over(" not in scan
    assert "replace_strict" not in scan


def test_sums_are_models_by_prompts_rows_whatever_the_runs(data_dir):
    _many_runs(30_000).write_parquet(paths.results_dir() / "mine.parquet")
    ds = load_dataset("user")
    sums = lb.finished_sums(ds).collect()
    # Two models × (two prompts + the ad-hoc questions), not thirty thousand rows.
    assert sums.height == 6
    board = lb.leaderboard(ds).sort("model")
    assert board["n_runs"].to_list() == [10_000, 10_000]
    # The same figures as over the runs themselves (reported counts pass the check).
    runs = ds.lazy_runs().filter(pl.col("prompt_id").is_not_null(), pl.col("model") == "mine-a")
    direct = runs.select(
        pl.col("tokens_reasoning").mean(), pl.col("score").mean(), pl.col("tokens_completion")
    ).collect()
    row = board.row(0, named=True)
    assert row["mean_reasoning_tokens"] == direct["tokens_reasoning"][0]
    assert row["success_rate"] == direct["score"][0]
    assert row["mean_completion_tokens"] == direct["tokens_completion"].mean()
    assert metrics.IF_TRUSTED not in ds.lazy_runs().collect_schema().names()

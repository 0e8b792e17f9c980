#!/usr/bin/env python3
"""Load + leaderboard time, tokenscope's data layer against raw Polars (run by hand).

    .venv/bin/python benchmarks/bench_data.py [--rows 1000000] [--repeats 7]

Each measurement is a fresh interpreter (nothing cached), timed from inside
after imports so both sides pay the same start-up. Raw Polars does the same
read and an equivalent aggregation (per-prompt means, reference normaliser,
per-model means) written directly, as a user would without tokenscope.
Reports medians and the ratio; the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TOKENSCOPE = """
import time, polars as pl
from tokenscope.data.loader import load_dataset
from tokenscope.data.leaderboard import leaderboard
t = time.perf_counter()
ds = load_dataset("all")
board = leaderboard(ds)
print(time.perf_counter() - t, board.height)
"""

# The same result written directly in Polars: read the files, fill the domain,
# apply the study's reasoning rule, normalise per prompt, aggregate per model.
RAW = """
import time, os, glob, polars as pl
from tokenscope import paths
t = time.perf_counter()
b = paths.bundled_dir()
files = [str(b / "runs.parquet")] + sorted(
    glob.glob(os.path.join(os.environ["TOKENSCOPE_DATA_DIR"], "results", "*.parquet")))
cols = ["model", "source", "prompt_id", "tokens_completion", "tokens_reasoning_reported",
        "chars_answer", "chars_reasoning", "chars_completion", "score"]
runs = pl.concat([pl.scan_parquet(f).select(cols) for f in files], how="vertical_relaxed")
prompts = pl.read_parquet(b / "prompts.parquet")
prices = pl.read_parquet(b / "prices.parquet").lazy()
runs = runs.with_columns(pl.col("prompt_id").replace_strict(
    prompts["prompt_id"], prompts["domain"], default=None).alias("domain"))
c, r = pl.col("tokens_completion"), pl.col("tokens_reasoning_reported")
ok = ((r > 0).any() & (r <= c).all()).over("model", "source", "prompt_id")
runs = runs.with_columns(
    pl.when(ok).then(r).when(pl.col("chars_reasoning") > 0)
    .then(c * pl.col("chars_reasoning") / pl.col("chars_completion"))
    .otherwise((c - pl.col("chars_answer") / 3.1).clip(0)).alias("reasoning")).collect().lazy()
refs = ["claude-4-sonnet-0522-thinking", "o4-mini-high-long", "gemini-2.5-flash-high"]
means = runs.group_by("model", "source", "prompt_id").agg(
    c.mean().alias("m"), (c.is_null() | (c <= 0)).any().alias("bad")).filter(~pl.col("bad"))
is_ref = pl.col("model").is_in(refs)
norm = means.group_by("prompt_id").agg(pl.col("m").filter(is_ref).mean().alias("n"))
rel = means.join(norm, on="prompt_id").group_by("model", "source").agg(
    (pl.col("m") / pl.col("n")).mean().alias("rel"), pl.len().alias("n_prompts"))
x, y = c.cast(pl.Float64), pl.col("chars_completion").cast(pl.Float64)
basic = runs.group_by("model", "source").agg(
    pl.len(), c.mean().alias("mc"), pl.col("reasoning").mean(), pl.col("score").mean(),
    (pl.cov(x, y) / x.var()).alias("cpt"),
    pl.when(pl.col("score") >= 1).then((1 - pl.col("reasoning") / 10000).clip(0)).otherwise(0.0)
    .filter(pl.col("score").is_not_null()).mean().alias("auc"))
board = (basic.join(rel, on=["model", "source"], how="left").join(prices, on="model", how="left")
    .with_columns((pl.col("mc") * pl.col("completion_price_min") / 1e6).alias("cmin"),
                  (pl.col("mc") * pl.col("completion_price_max") / 1e6).alias("cmax"))
    .sort("rel").collect())
print(time.perf_counter() - t, board.height)
"""


def synthesise(directory: Path, rows: int) -> None:
    import polars as pl

    results = directory / "results"
    results.mkdir(parents=True, exist_ok=True)
    prompts = pl.read_parquet(ROOT / "bundled_results" / "prompts.parquet")["prompt_id"].to_list()
    n = rows
    frame = pl.DataFrame(
        {
            "run_id": [f"syn-{i}" for i in range(n)],
            "model": [f"synthetic-{i % 40}" for i in range(n)],
            "prompt_id": [prompts[i % len(prompts)] for i in range(n)],
            "sample_index": [i // 800 for i in range(n)],
        }
    ).with_columns(
        tokens_completion=(pl.int_range(n) * 7919 % 5000 + 20),
        tokens_reasoning_reported=(pl.int_range(n) * 104729 % 4000 + 10),
        chars_answer=(pl.int_range(n) % 900 + 10),
        chars_reasoning=(pl.int_range(n) * 31 % 12000),
        score=(pl.int_range(n) % 3 == 0).cast(pl.Float64),
        answer=pl.lit("synthetic answer"),
        status=pl.lit("ok"),
        source=pl.lit("user"),
    )
    frame = frame.with_columns(chars_completion=pl.col("chars_answer") + pl.col("chars_reasoning"))
    frame.write_parquet(results / "synthetic.parquet")


def measure(code: str, env: dict[str, str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        times.append(float(out[0]))
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        (empty / "results").mkdir(parents=True)
        big = Path(tmp) / "big"
        synthesise(big, args.rows)
        for label, data_dir in (("bundled", empty), (f"bundled+{args.rows:,} user runs", big)):
            env = {**os.environ, "TOKENSCOPE_DATA_DIR": str(data_dir)}
            ours = statistics.median(measure(TOKENSCOPE, env, args.repeats))
            raw = statistics.median(measure(RAW, env, args.repeats))
            report[label] = {
                "tokenscope_s": round(ours, 4),
                "raw_polars_s": round(raw, 4),
                "ratio": round(ours / raw, 2),
            }
            print(
                f"{label:32} tokenscope {ours:7.3f} s   raw polars {raw:7.3f} s   "
                f"ratio {ours / raw:5.2f}"
            )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Load + leaderboard time and peak memory, tokenscope's data layer against raw Polars,
and the app's memory before and after opening Runs (run by hand).

    .venv/bin/python benchmarks/bench_data.py [--rows 1000000] [--repeats 7]

Each measurement is a fresh interpreter (nothing cached), timed from inside
after imports so both sides pay the same start-up; peak RSS is the child's own
``VmHWM``. Raw Polars does the same read and an equivalent aggregation
(per-prompt means, reference normaliser, per-model means) written directly, as
a user would without tokenscope. The app is run headless (``App.run_test``):
its resident memory once the leaderboard has painted the loaded data, then
once the Runs tab has painted every run. Reports medians, the worst run and
the ratios; the machine is shared and noisy.
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

# Each child prints: seconds, rows of the board, then its peak RSS in kB. VmHWM is the
# peak of this process's own memory; ru_maxrss would also count the parent's, which the
# child inherits through fork and exec.
PEAK_RSS = """
with open("/proc/self/status") as f:
    print(next(line.split()[1] for line in f if line.startswith("VmHWM:")))
"""

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

# The app, headless: resident memory (kB) once the leaderboard shows the loaded data,
# then once Runs shows every run. Waits on the views' own state, never on a timer.
APP = """
import asyncio, os

from tokenscope.tui.app import TokenscopeApp

def rss_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

async def main():
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=(120, 36)) as pilot:
        async def painted(key):
            while True:
                await pilot.pause()
                try:
                    view = app.main.view(key)
                except LookupError:
                    continue
                busy = any(w.is_running for w in app.workers if w.group in ("compute", "load"))
                if view.loaded and not view.stale and not busy:
                    return
        await painted("leaderboard")
        first = rss_kb()
        await pilot.press("3")
        await painted("runs")
        await pilot.pause()
        print(first, rss_kb())

asyncio.run(main())
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


def child(code: str, env: dict[str, str]) -> list[float]:
    """The numbers a fresh interpreter running ``code`` prints."""
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "child failed")
    return [float(x) for x in out.stdout.split()]


def measure(code: str, env: dict[str, str], repeats: int) -> tuple[list[float], list[float]]:
    """Seconds and peak RSS (MB) of ``repeats`` fresh runs of ``code``."""
    times, peaks = [], []
    for _ in range(repeats):
        seconds, _rows, peak_kb = child(code + PEAK_RSS, env)
        times.append(seconds)
        peaks.append(peak_kb / 1024)
    return times, peaks


def compare(
    title: str, keys: tuple[str, str, str], sides: tuple[tuple[str, list[float]], ...]
) -> dict[str, float]:
    """Print two sides' median and worst and the ratio of the medians; return them by ``keys``
    (first side, second side, ratio)."""
    (label_a, a), (label_b, b) = sides
    ratio = statistics.median(a) / statistics.median(b)
    for head, label, values in ((title, label_a, a), ("", label_b, b)):
        print(
            f"  {head:13} {label:11} median {statistics.median(values):8.3f} "
            f"worst {max(values):8.3f}",
            end="" if values is b else "\n",
        )
    print(f"   ratio {ratio:5.2f}")
    out = {}
    for key, values in zip(keys, (a, b), strict=False):
        out[key] = round(statistics.median(values), 3)
        out[f"{key}_worst"] = round(max(values), 3)
    out[keys[2]] = round(ratio, 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--app-repeats", type=int, default=3)
    args = parser.parse_args()
    report: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        (empty / "results").mkdir(parents=True)
        big = Path(tmp) / "big"
        synthesise(big, args.rows)
        base_env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TOKENSCOPE_CONFIG": str(Path(tmp) / "cfg" / "config.toml"),
            "TOKENSCOPE_CACHE_DIR": str(Path(tmp) / "cache"),
            "TOKENSCOPE_POLL_SECONDS": "0",
        }
        for label, data_dir in (("bundled", empty), (f"bundled+{args.rows:,} user runs", big)):
            env = {**base_env, "TOKENSCOPE_DATA_DIR": str(data_dir)}
            ours_t, ours_m = measure(TOKENSCOPE, env, args.repeats)
            raw_t, raw_m = measure(RAW, env, args.repeats)
            first, runs = [], []
            for _ in range(args.app_repeats):
                at_paint, after_runs = child(APP, env)
                first.append(at_paint / 1024)
                runs.append(after_runs / 1024)
            print(label)
            report[label] = {
                **compare(
                    "time (s)",
                    ("tokenscope_s", "raw_polars_s", "ratio"),
                    (("tokenscope", ours_t), ("raw polars", raw_t)),
                ),
                **compare(
                    "peak RSS (MB)",
                    ("tokenscope_peak_mb", "raw_polars_peak_mb", "peak_ratio"),
                    (("tokenscope", ours_m), ("raw polars", raw_m)),
                ),
                **compare(
                    "app RSS (MB)",
                    ("app_after_runs_mb", "app_first_paint_mb", "app_ratio"),
                    (("after Runs", runs), ("first paint", first)),
                ),
            }
    print("targets: peak RSS ratio ≤ 2, app after Runs / first paint ≤ 2")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

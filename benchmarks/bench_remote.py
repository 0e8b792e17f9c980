#!/usr/bin/env python3
"""A team source at scale: 10,000,000 runs in 100 parts on a loopback S3 server (moto)
against the same files in a local folder source (run by hand, not a test).

    .venv/bin/python benchmarks/bench_remote.py [--rows 10000000] [--parts 100] [--repeats 5]

Each measurement is `tokenscope leaderboard --source <name>` in a fresh process; its
wall time and its peak RSS (from wait4). Reported: the first S3 run (parts checked once
and remembered), then medians and the worst of the warm runs, local vs S3 vs S3 after
`tokenscope pull`; then the app's first paint (a fresh headless app, to the first
leaderboard row) with the local folder source and with the pulled copy, offline.
Targets: S3 <= 2x local and under 10 s; peak RSS under 1 GB; after pull, as fast as
local. Needs `moto[server]` (the test extra). The machine is shared: figures move with
its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
MOTO = ROOT / "tests" / "remote" / "moto_process.py"
MODELS = 20


def make_parts(folder: Path, rows: int, parts: int) -> list[str]:
    """``parts`` hive-partitioned parts (MODELS models x dates) of study-prompt runs."""
    prompts = pl.read_parquet(ROOT / "bundled_results" / "prompts.parquet")["prompt_id"]
    per_part = rows // parts
    keys = []
    for index in range(parts):
        model = f"bench-model-{index % MODELS:02d}"
        day = f"2026-10-{1 + index // MODELS:02d}"
        n = pl.int_range(0, per_part, eager=True)
        frame = pl.DataFrame(
            {
                "run_id": (f"{index:03d}-" + n.cast(pl.String)),
                "model": pl.repeat(model, per_part, eager=True),
                "prompt_id": prompts.gather(n % prompts.len()),
                "tokens_completion": 500 + (n * 7919 + index) % 3000,
                "chars_answer": 200 + n % 500,
                "chars_reasoning": 1000 + (n * 31) % 8000,
                "chars_completion": 1200 + (n * 31) % 8000 + n % 500,
                "score": ((n % 10) / 10).cast(pl.Float64),
                "status": pl.repeat("ok", per_part, eager=True),
                "created_at": pl.repeat(f"{day}T12:00:00Z", per_part, eager=True),
                "answer": pl.repeat("forty-two", per_part, eager=True),
            }
        )
        key = f"model={model}/date={day}/part-{uuid.uuid4().hex}.parquet"
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(folder / key, compression="zstd", statistics=True)
        keys.append(key)
    return keys


def start_moto() -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, str(MOTO)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    return proc, int(line.split()[1])


def upload(folder: Path, keys: list[str], port: int) -> None:
    import obstore
    from obstore.store import S3Store

    httpx.put(f"http://127.0.0.1:{port}/bench").raise_for_status()
    store = S3Store(
        "bench",
        prefix="runs",
        endpoint=f"http://127.0.0.1:{port}",
        client_options={"allow_http": True},
    )
    for key in keys:
        obstore.put(store, key, (folder / key).read_bytes())


def run(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stderr) of one `tokenscope` command in a fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokenscope.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    err = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed: {err}")
    return seconds, usage.ru_maxrss / 1024, err


# A fresh app, headless: seconds from the interpreter's start to the first leaderboard
# row on screen (a cached board paints before Polars has loaded the runs). It then waits
# for the live computation, which saves the board the next launch paints.
PAINT = """
import asyncio, time
t0 = time.perf_counter()
from tokenscope.tui.app import TokenscopeApp

async def main():
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            try:
                if app.main.query_one("#leaderboard-table").row_count:
                    break
            except Exception:
                pass
            await pilot.pause(0.005)
        print(f"painted {time.perf_counter() - t0:.3f}", flush=True)
        view = app.main.view("leaderboard")
        while not view.loaded or view.stale or any(w.is_running for w in app.workers):
            await pilot.pause(0.05)

asyncio.run(main())
"""


def first_paint(env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PAINT], env=env, capture_output=True, text=True, check=True
    ).stdout
    return float(out.split()[1])


def paint_figures(env: dict[str, str], config: Path, source: str, repeats: int) -> list[float]:
    """First paint with only ``source`` configured: one launch to warm, then ``repeats``."""
    config.write_text(source)
    first_paint(env)
    return [first_paint(env) for _ in range(repeats)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--parts", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    # Dummy credentials in the environment, as a real bucket's would be.
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench-secret", AWS_REGION="us-east-1"
    )

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        local = base / "local-source"
        t = time.perf_counter()
        keys = make_parts(local, args.rows, args.parts)
        size = sum((local / k).stat().st_size for k in keys) / 1e6
        took = time.perf_counter() - t
        print(f"{args.rows:,} runs in {len(keys)} parts, {size:.0f} MB (made in {took:.0f} s)")
        moto, port = start_moto()
        try:
            upload(local, keys, port)
            config = base / "config.toml"
            config.write_text(
                f'[[sources]]\nname = "disk"\nuri = "{local}"\n\n'
                f'[[sources]]\nname = "s3"\nuri = "s3://bench/runs"\n'
                f'storage_options = {{ aws_endpoint_url = "http://127.0.0.1:{port}", '
                'aws_allow_http = "true" }\n'
            )
            (base / "data" / "results").mkdir(parents=True)
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "TOKENSCOPE_CONFIG": str(config),
                "TOKENSCOPE_DATA_DIR": str(base / "data"),
                "TOKENSCOPE_CACHE_DIR": str(base / "cache"),
            }
            board = ("leaderboard", "--format", "csv", "--source")
            first_s3 = run(env, *board, "s3")
            first_disk = run(env, *board, "disk")
            print(f"first run (parts checked once): s3 {first_s3[0]:.2f} s, ", end="")
            print(f"disk {first_disk[0]:.2f} s")
            figures: dict[str, list[tuple[float, float, str]]] = {"disk": [], "s3": []}
            for _ in range(args.repeats):
                for name in figures:
                    figures[name].append(run(env, *board, name))
            pull = run(env, "pull", "--from", "s3")
            print(f"pull of {len(keys)} parts: {pull[0]:.2f} s, peak RSS {pull[1]:.0f} MB")
            figures["s3 after pull"] = [run(env, *board, "s3") for _ in range(args.repeats)]
            sections = config.read_text().split("\n\n")
            paints = {"app, disk source": paint_figures(env, config, sections[0], args.repeats)}
        finally:
            moto.kill()
            moto.wait()
        # The network is gone now: the app paints from the pulled copy.
        paints["app, s3 pulled, offline"] = paint_figures(env, config, sections[1], args.repeats)

    medians = {}
    for name, runs in figures.items():
        seconds = [r[0] for r in runs]
        rss = [r[1] for r in runs]
        medians[name] = statistics.median(seconds)
        print(
            f"{name:14} leaderboard: median {medians[name]:.2f} s, worst {max(seconds):.2f} s; "
            f"peak RSS median {statistics.median(rss):.0f} MB, worst {max(rss):.0f} MB"
        )
    print(
        f"ratio s3/disk {medians['s3'] / medians['disk']:.2f}x (target <= 2x, < 10 s); "
        f"after pull / disk {medians['s3 after pull'] / medians['disk']:.2f}x"
    )
    for name, seconds in paints.items():
        print(
            f"{name:26} first paint: median {statistics.median(seconds):.2f} s, "
            f"worst {max(seconds):.2f} s"
        )
    disk, pulled = (statistics.median(v) for v in paints.values())
    print(f"first paint after pull / local {pulled / disk:.2f}x (target: as fast as local)")


if __name__ == "__main__":
    main()

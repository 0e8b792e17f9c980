"""Time from launch to the first painted leaderboard, in a real terminal (tmux), by hand.

Compares against a bare Textual app that paints one line (the floor), then
launches with 1,000,000 synthetic user runs, and reads resident memory with
the bundled data. Prints medians and ratios. Not a test: run it yourself:

    .venv/bin/python benchmarks/bench_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SESSION = "tokenscope-bench"
# The leaderboard is painted when its best model's row is on screen.
LEADERBOARD_MARK = "sonoma-sky-alpha"
FLOOR_MARK = "floor-painted"
FLOOR_APP = f"""
from textual.app import App
from textual.widgets import Static
class Floor(App):
    def compose(self):
        yield Static("{FLOOR_MARK}")
Floor().run()
"""


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def time_to_paint(
    command: str, mark: str, env: dict[str, str], timeout: float = 30.0, settle: float = 0.0
) -> tuple[float, int]:
    """Seconds until ``mark`` appears in the pane, and the app's RSS (kB) ``settle`` s later."""
    tmux("kill-session", "-t", SESSION)
    env_prefix = " ".join(f"{k}={v}" for k, v in env.items())
    start = time.perf_counter()
    tmux("new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24", f"env {env_prefix} {command}")
    elapsed = None
    while time.perf_counter() - start < timeout:
        if mark in tmux("capture-pane", "-p", "-t", SESSION):
            elapsed = time.perf_counter() - start
            break
        time.sleep(0.005)
    time.sleep(settle)  # let the live data replace a cached first paint before measuring RSS
    pid = tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip()
    rss = _rss_kb(pid)
    tmux("kill-session", "-t", SESSION)
    if elapsed is None:
        raise RuntimeError(f"'{mark}' never painted: {command}")
    return elapsed, rss


def _rss_kb(pid: str) -> int:
    """RSS of the pane's process tree (env execs the app in place, so usually one process)."""
    total = 0
    pids = [
        pid,
        *subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True).stdout.split(),
    ]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def make_million(results: Path, rows: int = 1_000_000) -> None:
    import polars as pl

    models = [f"synthetic-{i:02d}" for i in range(20)]
    prompts = ["capital_of_australia", "AIME2023II_P1", "bridge_torch_easy", "monty_hall_default"]
    frame = pl.DataFrame({"i": pl.arange(0, rows, eager=True)}).select(
        pl.format("synthetic-{}", pl.col("i")).alias("run_id"),
        pl.lit("user").alias("source"),
        pl.col("i")
        .mod(len(models))
        .replace_strict(list(range(len(models))), models)
        .alias("model"),
        pl.col("i")
        .floordiv(len(models))
        .mod(len(prompts))
        .replace_strict(list(range(len(prompts))), prompts)
        .alias("prompt_id"),
        pl.col("i").floordiv(len(models) * len(prompts)).alias("sample_index"),
        (pl.col("i").mod(997) * 7 + 100).alias("tokens_completion"),
        (pl.col("i").mod(997) * 5 + 50).alias("tokens_reasoning_reported"),
        (pl.col("i").mod(991) * 20 + 300).alias("chars_completion"),
        pl.lit(300).alias("chars_answer"),
        (pl.col("i").mod(3) > 0).cast(pl.Float64).alias("score"),
        pl.lit("ok").alias("status"),
    )
    results.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(results / "synthetic.parquet")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not shutil.which("tmux"):
        print("tmux is required", file=sys.stderr)
        return 1
    app_cmd = f"{PY} -m tokenscope.cli"
    # An installed package carries its bytecode; an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would compile every module at every launch.
    compileall.compile_dir(ROOT / "tokenscope", quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        # The bundled study without its shipped leaderboard: the first paint waits for Polars.
        bare_bundle = tmpdir / "bundle"
        shutil.copytree(
            ROOT / "bundled_results", bare_bundle, ignore=shutil.ignore_patterns("leaderboard.json")
        )
        floor_py = tmpdir / "floor.py"
        floor_py.write_text(FLOOR_APP)
        empty = {
            "TOKENSCOPE_DATA_DIR": str(tmpdir / "empty"),
            "TOKENSCOPE_CONFIG": str(tmpdir / "cfg/config.toml"),
            "TOKENSCOPE_POLL_SECONDS": "0",
            "TOKENSCOPE_CACHE_DIR": str(tmpdir / "cache"),
        }
        million = dict(empty, TOKENSCOPE_DATA_DIR=str(tmpdir / "million"))
        make_million(tmpdir / "million" / "results")
        direct_cmd = f"{PY} -c 'from tokenscope.tui.app import run_app; run_app()'"
        computed = dict(empty, TOKENSCOPE_BUNDLED_DIR=str(bare_bundle))
        cache = tmpdir / "cache"
        floor, cold, warm, big_cold, big_warm, rss, direct, live = [], [], [], [], [], [], [], []
        for _ in range(args.repeat):
            floor.append(time_to_paint(f"{PY} {floor_py}", FLOOR_MARK, empty)[0])
            # First launch: no cache yet; the board shipped with the study paints first.
            shutil.rmtree(cache, ignore_errors=True)
            t, r = time_to_paint(app_cmd, LEADERBOARD_MARK, empty, settle=2.0)
            cold.append(t)
            rss.append(r)
            # Later launches with unchanged data paint the cached leaderboard first.
            warm.append(time_to_paint(app_cmd, LEADERBOARD_MARK, empty)[0])
            direct.append(time_to_paint(direct_cmd, LEADERBOARD_MARK, empty)[0])
            # Neither cache nor shipped board: the first paint is Polars' own computation.
            shutil.rmtree(cache, ignore_errors=True)
            live.append(time_to_paint(app_cmd, LEADERBOARD_MARK, computed)[0])
            shutil.rmtree(cache, ignore_errors=True)
            big_cold.append(time_to_paint(app_cmd, LEADERBOARD_MARK, million, settle=3.0)[0])
            big_warm.append(time_to_paint(app_cmd, LEADERBOARD_MARK, million)[0])
    med = statistics.median
    f = med(floor)
    mem = med(rss) / 1024
    print(
        f"floor (bare Textual, one line)        median {f:.3f} s  "
        f"runs {[round(x, 3) for x in floor]}"
    )
    for label, runs in (
        ("leaderboard, bundled, first launch", cold),
        ("leaderboard, bundled, cached", warm),
        ("  same, app entry point (cached)", direct),
        ("  computed by Polars (nothing on disk)", live),
    ):
        print(f"{label:37} median {med(runs):.3f} s  = {med(runs) / f:.2f}× floor (target ≤ 1.5×)")
    print(f"{'+1,000,000 user runs, first launch':37} median {med(big_cold):.3f} s  (target ≤ 3 s)")
    print(f"{'+1,000,000 user runs, cached':37} median {med(big_warm):.3f} s")
    print(
        f"resident memory, bundled data         median {mem:.0f} MB, "
        "2 s after paint (target ≤ 150 MB)"
    )
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    raise SystemExit(main())

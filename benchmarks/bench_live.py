"""The Ask view under load, as a ratio to the same view idle, in one run.

A paced SSE server (its own process, so it shares no GIL with the app) sends
every connection ``--rate`` one-token deltas per second: reasoning
(``reasoning_content``) for the first 40% of the window, then answer (Markdown with
paragraph breaks) until after the window closes, then a usage chunk. The app runs
headless at 160×48 with four panes.

Each run has two phases on the same Ask view:

- idle: a short ask that ends, then a key (``h``, fold the focused pane's reasoning)
  every ``--key-every`` seconds for ``--idle-seconds``;
- live: four panes streaming at ``--rate`` tokens/s each: first ``QUIET_SECONDS`` with
  no keys (the CPU of streaming alone), then the same key at the same pace.

Key to screen is the time from posting the key to the first screen update that shows
its effect; the next key goes out only once it showed (or after ``KEY_TIMEOUT``, and
the key counts as dropped). The live/idle ratio of the medians and of the p95s is
the figure that travels between machines. Also: screen updates per second, CPU of the
whole app (all threads) and of its UI thread, tokens shown per second, resident memory
at the start and end of the live window (a backlog that grows without bound shows
there), and escape → every pane stopped on screen.

Run by hand: ``.venv/bin/python benchmarks/bench_live.py [--rate R] [--repeats N]``.
Medians of the runs are reported, with the worst run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loopback import (
    SSE_RESPONSE,
    WORDS,
    delta_event,
    ending,
    http_chunk,
    read_request,
    serve_forever,
)

WARMUP = "Warm-up question"
WARMUP_TOKENS = 600
KEY_TIMEOUT = 2.0
QUIET_SECONDS = 2.0  # streaming with no keys pressed, before the keys start
SIZE = (160, 48)


def serve(port_out, rate: float, tokens: int, half: int) -> None:  # type: ignore[no-untyped-def]
    def event(i: int) -> bytes:
        text = WORDS[i % len(WORDS)]
        if i >= half and i % 60 == 59:
            text += "\n\n"
        return delta_event("reasoning_content" if i < half else "content", text)

    events = [event(i) for i in range(tokens)]
    short = [event(i if i < WARMUP_TOKENS // 2 else half + i) for i in range(WARMUP_TOKENS)]
    tick = 0.01
    per_tick = max(1, round(rate * tick))

    async def handle(reader, writer) -> None:  # type: ignore[no-untyped-def]
        body = await read_request(reader)
        warm = WARMUP.encode() in body
        stream, reasoning = (short, WARMUP_TOKENS // 2) if warm else (events, half)
        count = len(stream)
        writer.write(SSE_RESPONSE + b"Connection: close\r\n\r\n")
        start = time.perf_counter()
        sent = 0
        while sent < count:  # paced: ``rate`` deltas per second
            due = min(count, int((time.perf_counter() - start) * rate) + per_tick)
            if due > sent:
                writer.write(http_chunk(b"".join(stream[sent:due])))
                sent = due
                await writer.drain()
            await asyncio.sleep(tick)
        writer.write(http_chunk(ending(count, reasoning)) + b"0\r\n\r\n")
        await writer.drain()

    serve_forever(handle, port_out)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def ask_thread_cpu() -> float:
    """CPU seconds of the ask's own thread (LiveAsk: probes, decoding, folding) so far."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "tokenscope-ask" and thread.ident is not None:
            return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Screen:
    """Wraps the app's display hook: counts screen updates and notices a key's effect."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.frames: list[float] = []
        self.check = None
        self.t0 = 0.0
        self.seen = asyncio.Event()
        self.latency = 0.0
        original = app._display

        def display(screen, renderable) -> None:  # type: ignore[no-untyped-def]
            if renderable is not None:
                now = time.perf_counter()
                self.frames.append(now)
                if self.check is not None and self.check():
                    self.latency = now - self.t0
                    self.check = None
                    self.seen.set()
            original(screen, renderable)

        app._display = display  # private hook: the moment a frame reaches the terminal

    async def press(self, app, key: str, check) -> float | None:  # type: ignore[no-untyped-def]
        """Post ``key``; the seconds until a screen update shows ``check()``, or None."""
        from textual import events

        self.seen.clear()
        self.t0 = time.perf_counter()
        self.check = check
        app.post_message(events.Key(key, key if len(key) == 1 else None))
        try:
            await asyncio.wait_for(self.seen.wait(), KEY_TIMEOUT)
        except TimeoutError:
            self.check = None
            return None
        return self.latency

    async def key(self, app, view, key_every: float) -> float | None:  # type: ignore[no-untyped-def]
        """Press h on the first pane; the seconds until the screen shows it, or None."""
        await asyncio.sleep(key_every)
        pane = next(iter(view._panes.values()))
        box = pane.query_one(".ask-reasoning")
        before = box.collapsed
        pane.focus()
        return await self.press(app, "h", lambda: box.collapsed != before)


async def measure(
    port: int, panes: int, seconds: float, idle_seconds: float, key_every: float
) -> dict[str, list[float]]:
    from tokenscope.ask.models import ModelChoice
    from tokenscope.probe.endpoints import ad_hoc
    from tokenscope.tui.app import TokenscopeApp

    app = TokenscopeApp(poll_seconds=0)
    out: dict[str, list[float]] = {}
    async with app.run_test(size=SIZE) as pilot:
        screen = Screen(app)
        await pilot.pause(0.5)
        await pilot.press("5")
        view = app.main.view("ask")
        while view.searching or not view.discovered:
            await pilot.pause(0.05)
        endpoint = ad_hoc(f"http://127.0.0.1:{port}/v1")
        ids = []
        for i in range(panes):
            choice = ModelChoice(f"bench:{i}", f"bench-{i}", "configured", "bench", endpoint)
            view.add_choice(choice)
            ids.append(choice.id)
        view.set_models(ids)
        # The stream outlasts any default cap (a loopback server is 'local': 4,096 tokens).
        view.max_tokens = 10_000_000
        question = view.query_one("#ask-question")

        # Idle: the same view with ended panes, nothing streaming.
        question.text = WARMUP
        await pilot.press("ctrl+s")
        while view.board is None or view.running:
            await asyncio.sleep(0.02)
        await pilot.pause(0.3)
        idle: list[float] = []
        icpu0, iui0, iwall0 = time.process_time(), time.thread_time(), time.perf_counter()
        deadline = iwall0 + idle_seconds
        while time.perf_counter() < deadline:
            took = await screen.key(app, view, key_every)
            if took is not None:
                idle.append(took)
        iwall = time.perf_counter() - iwall0
        idle_cpu = (time.process_time() - icpu0) / iwall
        idle_ui = (time.thread_time() - iui0) / iwall

        # Live: four panes streaming.
        question.text = "Benchmark question"
        await pilot.press("ctrl+s")
        while view.board is None or not all(s.counts for s in view.board.panes.values()):
            await asyncio.sleep(0.01)
        # The stream alone first (no keys): what the app costs while it only paints.
        scpu0, sui0, swall0 = time.process_time(), time.thread_time(), time.perf_counter()
        await asyncio.sleep(QUIET_SECONDS)
        swall = time.perf_counter() - swall0
        stream_cpu = (time.process_time() - scpu0) / swall
        stream_ui = (time.thread_time() - sui0) / swall
        screen.frames.clear()
        shown0 = sum(s.counts.completion for s in view.board.panes.values() if s.counts)
        rss0 = rss_mb()
        cpu0, ui0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
        ask0 = ask_thread_cpu()
        live: list[float] = []
        dropped = 0
        deadline = wall0 + seconds
        while time.perf_counter() < deadline:
            took = await screen.key(app, view, key_every)
            if took is None:
                dropped += 1
            else:
                live.append(took)
        cpu1, ui1, wall1 = time.process_time(), time.thread_time(), time.perf_counter()
        ask1 = ask_thread_cpu()
        rss1 = rss_mb()
        shown1 = sum(s.counts.completion for s in view.board.panes.values() if s.counts)
        streaming = view.running
        # Escape: every pane says it stopped (the partial runs are stored meanwhile).
        states = view.board.panes.values()
        cancel = await screen.press(app, "escape", lambda: all(s.finished for s in states))
        while view.running:
            await asyncio.sleep(0.02)
    wall = wall1 - wall0
    per_second = [0] * int(wall)
    for t in screen.frames:
        i = int(t - wall0)
        if 0 <= i < len(per_second):
            per_second[i] += 1
    out = {
        "idle_ms": [x * 1000 for x in idle],
        "live_ms": [x * 1000 for x in live],
        "dropped": [float(dropped)],
        "fps": [float(x) for x in per_second],
        "stream_cpu": [stream_cpu],
        "stream_ui_cpu": [stream_ui],
        "idle_cpu": [idle_cpu],
        "idle_ui_cpu": [idle_ui],
        "cpu": [(cpu1 - cpu0) / wall],
        "ui_cpu": [(ui1 - ui0) / wall],
        "ask_cpu": [(ask1 - ask0) / wall],
        "tokens_per_s": [(shown1 - shown0) / wall],
        "rss_start": [rss0],
        "rss_end": [rss1],
        "streaming_at_end": [float(streaming)],
        "cancel_ms": [cancel * 1000] if cancel is not None else [],
    }
    return out


def run_once(port: int, args: argparse.Namespace) -> dict[str, list[float]]:
    try:
        return asyncio.run(
            measure(port, args.panes, args.seconds, args.idle_seconds, args.key_every)
        )
    finally:
        # The app freezes what exists at its first ask out of the collector's passes (it
        # lives as long as the process): let the next run's app start from a clean heap.
        gc.unfreeze()
        gc.collect()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="live window")
    parser.add_argument("--idle-seconds", type=float, default=4.0)
    parser.add_argument("--rate", type=float, default=3000.0, help="tokens/s per pane")
    parser.add_argument("--panes", type=int, default=4)
    parser.add_argument("--key-every", type=float, default=0.25)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="tokenscope-bench-")
    os.environ["TOKENSCOPE_DATA_DIR"] = data
    os.environ["TOKENSCOPE_CONFIG"] = str(Path(data) / "config.toml")
    # Reasoning for the first 40% of the live window, the answer after it, and the
    # stream still going when the window closes.
    tokens = int(args.rate * (args.seconds + QUIET_SECONDS + 6))
    half = int(args.rate * (1 + QUIET_SECONDS + args.seconds * 0.4))
    ctx = multiprocessing.get_context("spawn")
    port_q = ctx.Queue()
    proc = ctx.Process(target=serve, args=(port_q, args.rate, tokens, half), daemon=True)
    proc.start()
    port = port_q.get(timeout=20)
    load = os.getloadavg()
    try:
        runs = [run_once(port, args) for _ in range(args.repeats)]
    finally:
        proc.terminate()
    load_end = os.getloadavg()
    print(
        f"{args.panes} panes × {args.rate:,.0f} tokens/s, {args.seconds:g} s live after "
        f"{args.idle_seconds:g} s idle, {args.repeats} runs; load average "
        f"{load[0]:.2f} at start, {load_end[0]:.2f} at end"
    )
    print("  per run: the run's median (p95 for latency), then the median of runs; worst run")

    def row(label: str, per_run: list[float], worst: float, fmt: str = "8.2f") -> None:
        runs_text = ", ".join(f"{x:.2f}" for x in per_run)
        print(
            f"  {label:<28} median {statistics.median(per_run):{fmt}}   "
            f"(runs: {runs_text}; worst {worst:.2f})"
        )

    for name, label in (("idle_ms", "idle key → screen ms"), ("live_ms", "live key → screen ms")):
        medians = [statistics.median(r[name]) for r in runs if r[name]]
        p95s = [percentile(r[name], 0.95) for r in runs if r[name]]
        if medians:
            row(label + " (median)", medians, max(medians))
            row(label + " (p95)", p95s, max(p95s))
    ratio_median = [
        statistics.median(r["live_ms"]) / statistics.median(r["idle_ms"])
        for r in runs
        if r["live_ms"] and r["idle_ms"]
    ]
    ratio_p95 = [
        percentile(r["live_ms"], 0.95) / statistics.median(r["idle_ms"])
        for r in runs
        if r["live_ms"] and r["idle_ms"]
    ]
    ratio_p95_p95 = [
        percentile(r["live_ms"], 0.95) / percentile(r["idle_ms"], 0.95)
        for r in runs
        if r["live_ms"] and r["idle_ms"]
    ]
    if ratio_median:
        row("ratio median live/idle", ratio_median, max(ratio_median))  # target ≤ 2
        row("ratio p95 live/idle median", ratio_p95, max(ratio_p95))  # target ≤ 4 (strict)
        row("ratio p95 live/idle p95", ratio_p95_p95, max(ratio_p95_p95))  # target ≤ 4
    for name, label, worst in (
        ("dropped", "keys dropped", max),
        ("fps", "screen updates/s", min),
        ("idle_cpu", "idle CPU cores (whole app)", max),
        ("idle_ui_cpu", "idle CPU cores (UI thread)", max),
        ("stream_cpu", "streaming, no keys: CPU", max),
        ("stream_ui_cpu", "streaming, no keys: UI CPU", max),
        ("cpu", "CPU cores (whole app)", max),
        ("ui_cpu", "CPU cores (UI thread)", max),
        ("ask_cpu", "CPU cores (ask thread)", max),
        ("tokens_per_s", "tokens shown/s (4 panes)", min),
        ("rss_start", "RSS MB, live start", max),
        ("rss_end", "RSS MB, live end", max),
        ("streaming_at_end", "still streaming at end", min),
        ("cancel_ms", "escape → all stopped ms", max),
    ):
        per_run = [statistics.median(r[name]) for r in runs if r[name]]
        if per_run:
            row(label, per_run, worst(per_run))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

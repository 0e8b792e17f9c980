"""The Ask view under load: four panes, each streamed at 3,000 tokens/s from loopback.

A paced SSE server (its own process, so it shares no GIL with the app) sends
every connection ``--rate`` one-token deltas per second: reasoning
(``reasoning_content``) for the first 40% of the window, then answer (Markdown with
paragraph breaks) until after the window closes, then a
usage chunk. The app runs headless at 160×48; four panes ask it at once.
While they stream, the benchmark measures:

- key to screen: a key (``h``, fold the focused pane's reasoning) is sent every
  ``--key-every`` seconds; the time until the first screen update that shows the
  change (the compositor's update after the action ran);
- frames per second: screen updates the app composed, per wall-clock second;
- CPU: this process's CPU time over wall time (all of the app's threads).

Run by hand: ``.venv/bin/python benchmarks/bench_live.py [--seconds S] [--rate R] [--panes N]``.
Medians are reported.
"""

from __future__ import annotations

import argparse
import asyncio
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


def serve(port_out, rate: float, tokens: int, half: int) -> None:  # type: ignore[no-untyped-def]
    def event(i: int) -> bytes:
        text = WORDS[i % len(WORDS)]
        if i >= half and i % 60 == 59:
            text += "\n\n"
        return delta_event("reasoning_content" if i < half else "content", text)

    events = [event(i) for i in range(tokens)]
    tail = ending(tokens, half)
    tick = 0.01
    per_tick = max(1, round(rate * tick))

    async def handle(reader, writer) -> None:  # type: ignore[no-untyped-def]
        await read_request(reader)
        writer.write(SSE_RESPONSE + b"Connection: close\r\n\r\n")
        start = time.perf_counter()
        sent = 0
        while sent < tokens:  # paced: ``rate`` deltas per second
            due = min(tokens, int((time.perf_counter() - start) * rate) + per_tick)
            if due > sent:
                writer.write(http_chunk(b"".join(events[sent:due])))
                sent = due
                await writer.drain()
            await asyncio.sleep(tick)
        writer.write(http_chunk(tail) + b"0\r\n\r\n")
        await writer.drain()

    serve_forever(handle, port_out)


async def measure(
    port: int, panes: int, seconds: float, key_every: float
) -> dict[str, list[float]]:
    from textual import events

    from tokenscope.ask.models import ModelChoice
    from tokenscope.probe.endpoints import ad_hoc
    from tokenscope.tui.app import TokenscopeApp

    app = TokenscopeApp(poll_seconds=0)
    frames: list[float] = []
    latencies: list[float] = []
    pending: dict[str, object] = {}
    async with app.run_test(size=(160, 48)) as pilot:
        original = app._display

        def display(screen, renderable) -> None:  # type: ignore[no-untyped-def]
            if renderable is not None:
                now = time.perf_counter()
                frames.append(now)
                if pending and pending["check"]():  # type: ignore[operator]
                    latencies.append(now - pending["t0"])  # type: ignore[operator]
                    pending.clear()
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]
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
        view.query_one("#ask-question").text = "Benchmark question"
        await pilot.press("ctrl+s")
        while not view.board or not all(s.counts for s in view.board.panes.values()):
            await asyncio.sleep(0.01)
        frames.clear()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        events0 = view.board.events
        deadline = wall0 + seconds
        while time.perf_counter() < deadline:
            await asyncio.sleep(key_every)
            pane = next(iter(view._panes.values()))
            box = pane.query_one("Collapsible")
            before = box.collapsed
            pane.focus()
            pending.update(
                t0=time.perf_counter(), check=lambda b=box, was=before: b.collapsed != was
            )
            app.post_message(events.Key("h", "h"))
        cpu1, wall1 = time.process_time(), time.perf_counter()
        events1 = view.board.events
        done = view.board.done
        await pilot.press("escape")
        await pilot.pause(0.3)
    wall = wall1 - wall0
    per_second = [0] * int(wall)
    for t in frames:
        i = int(t - wall0)
        if 0 <= i < len(per_second):
            per_second[i] += 1
    return {
        "latency_ms": [x * 1000 for x in latencies],
        "fps": [float(x) for x in per_second],
        "cpu": [(cpu1 - cpu0) / wall],
        "events_per_s": [(events1 - events0) / wall],
        "done_early": [float(done)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=float, default=3000.0, help="tokens/s per pane")
    parser.add_argument("--panes", type=int, default=4)
    parser.add_argument("--key-every", type=float, default=0.25)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="tokenscope-bench-")
    os.environ["TOKENSCOPE_DATA_DIR"] = data
    os.environ["TOKENSCOPE_CONFIG"] = str(Path(data) / "config.toml")
    # Reasoning for the first 40% of the measured window, the answer after it, and the
    # stream still going when the window closes.
    tokens = int(args.rate * (args.seconds + 4))
    half = int(args.rate * (1 + args.seconds * 0.4))
    ctx = multiprocessing.get_context("spawn")
    port_q = ctx.Queue()
    proc = ctx.Process(target=serve, args=(port_q, args.rate, tokens, half), daemon=True)
    proc.start()
    port = port_q.get(timeout=20)
    try:
        runs = [
            asyncio.run(measure(port, args.panes, args.seconds, args.key_every))
            for _ in range(args.repeats)
        ]
    finally:
        proc.terminate()
    print(
        f"{args.panes} panes × {args.rate:,.0f} tokens/s, {args.seconds:g} s measured, "
        f"{args.repeats} runs (medians; per run: median, then the median of runs)"
    )
    for name, unit in (
        ("latency_ms", "ms key → screen"),
        ("fps", "screen updates/s"),
        ("cpu", "CPU cores"),
        ("events_per_s", "probe events/s handled"),
    ):
        per_run = [statistics.median(r[name]) for r in runs if r[name]]
        worst = [max(r[name]) for r in runs if r[name]]
        print(
            f"  {unit:<24} median {statistics.median(per_run):8.2f}   "
            f"(runs: {', '.join(f'{x:.2f}' for x in per_run)}; max {max(worst):.2f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

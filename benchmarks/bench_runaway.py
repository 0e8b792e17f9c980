"""Peak memory of a probe whose server ignores max_tokens and streams for ever.

A loopback server (its own process) streams one-token deltas as fast as it can
and never ends. The probe must cut the stream itself: past ``max_tokens`` by a
clear margin when the request set one, else past ``max_text_mb`` of text. Each
case runs in a fresh process so ``ru_maxrss`` is that case's own peak.

Run by hand: ``.venv/bin/python benchmarks/bench_runaway.py [--max-tokens N ...]``.
``--seconds S`` cancels the probe after S seconds instead (to measure a build
without the caps, whose stream would otherwise go on as long as the server's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loopback import SSE_RESPONSE, WORDS, delta_event, http_chunk, read_request, serve_forever


def serve(port_out) -> None:  # type: ignore[no-untyped-def]
    events = b"".join(delta_event("content", WORDS[i % len(WORDS)]) for i in range(400))
    framed = http_chunk(events) * 16

    async def handle(reader, writer) -> None:  # type: ignore[no-untyped-def]
        await read_request(reader)
        writer.write(SSE_RESPONSE + b"\r\n")
        while True:  # until the client hangs up
            writer.write(framed)
            await writer.drain()

    serve_forever(handle, port_out)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def probe_once(base_url: str, max_tokens: int | None, seconds: float | None) -> dict:
    from tokenscope.config import Settings
    from tokenscope.probe.endpoints import ad_hoc
    from tokenscope.probe.engine import Probe
    from tokenscope.probe.request import ProbeRequest

    before = rss_mb()
    request = ProbeRequest(ad_hoc(base_url), "bench", "q", max_tokens=max_tokens)
    probe = Probe(request, Settings(max_duration=600))
    started = time.perf_counter()

    async def consume() -> None:
        async for _ in probe.stream():
            pass

    try:
        await asyncio.wait_for(consume(), seconds)
    except TimeoutError:
        pass
    result = probe.result()
    return {
        "max_tokens": max_tokens,
        "status": result.status,
        "finish_reason": result.finish_reason,
        "error": result.error,
        "tokens": result.tokens_completion,
        "text_mb": (len(result.answer) + len(result.reasoning)) / 1e6,
        "seconds": time.perf_counter() - started,
        "rss_before_mb": before,
        "peak_rss_mb": rss_mb(),
    }


def child(base_url: str, max_tokens: int | None, seconds: float | None) -> None:
    import tokenscope.probe.engine  # noqa: F401  (imports count in the baseline, not the stream)

    print(json.dumps(asyncio.run(probe_once(base_url, max_tokens, seconds))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-tokens", type=int, nargs="*", default=[30000, 0])
    parser.add_argument("--seconds", type=float, help="cancel the probe after this long")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, cap, seconds = args.child
        child(url, int(cap) or None, float(seconds) or None)
        return 0
    ctx = multiprocessing.get_context("spawn")
    port_q = ctx.Queue()
    server = ctx.Process(target=serve, args=(port_q,), daemon=True)
    server.start()
    base_url = f"http://127.0.0.1:{port_q.get(timeout=60)}/v1"
    try:
        for cap in args.max_tokens:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", base_url, str(cap), str(args.seconds or 0)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout)
            label = f"max_tokens {cap}" if cap else "no max_tokens"
            print(
                f"{label:<18} {r['status']}/{r['finish_reason']}: {r['tokens'] or 0:>9,} tokens,"
                f" {r['text_mb']:6.2f} MB text in {r['seconds']:6.1f} s;"
                f" RSS {r['rss_before_mb']:.0f} MB before, peak {r['peak_rss_mb']:.0f} MB"
            )
            print(f"{'':<18} {r['error']}")
    finally:
        server.terminate()
        server.join(5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

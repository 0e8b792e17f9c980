"""Throughput of tokenscope's headless probe against the official OpenAI SDK.

A loopback server (its own process, so it does not share the GIL with the
clients) streams 100,000 one-token deltas as fast as it can: half reasoning
(``reasoning_content``, as DeepSeek and llama.cpp send it), half answer, then
a usage chunk and ``[DONE]``. Each client consumes the same bytes:

- tokenscope: ``Probe.stream()``: SSE decoding, JSON parsing, reasoning/answer
  split (the inline <think> state machine runs over every content delta),
  live counting per delta and one event per network read's run of text;
- openai SDK: ``AsyncOpenAI().chat.completions.create(stream=True)``, reading
  each chunk's reasoning and content.

Run by hand: ``.venv/bin/python benchmarks/bench_probe.py [--tokens N] [--repeats R]``.
Needs the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import sys
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


def build_body(tokens: int) -> bytes:
    half = tokens // 2
    events = (
        delta_event("reasoning_content" if i < half else "content", WORDS[i % len(WORDS)])
        for i in range(tokens)
    )
    return b"".join(events) + ending(tokens, half)


def serve(port_out, tokens: int) -> None:  # type: ignore[no-untyped-def]
    body = build_body(tokens)
    block = 64 * 1024
    framed = b"".join(http_chunk(body[i : i + block]) for i in range(0, len(body), block))
    framed += b"0\r\n\r\n"

    async def handle(reader, writer) -> None:  # type: ignore[no-untyped-def]
        while True:  # keep-alive: one client asks many times
            await read_request(reader)
            writer.write(SSE_RESPONSE + b"\r\n" + framed)
            await writer.drain()

    serve_forever(handle, port_out)


async def run_tokenscope(base_url: str, tokens: int) -> float:
    from tokenscope.config import Settings
    from tokenscope.probe.endpoints import ad_hoc
    from tokenscope.probe.engine import Probe
    from tokenscope.probe.events import AnswerDelta, ReasoningDelta
    from tokenscope.probe.request import ProbeRequest

    probe = Probe(ProbeRequest(ad_hoc(base_url), "bench", "q"), Settings())
    started = time.perf_counter()
    shown = 0  # a network read's tokens come as one delta: count their text
    async for event in probe.stream():
        if isinstance(event, ReasoningDelta | AnswerDelta):
            shown += len(event.text)
    elapsed = time.perf_counter() - started
    result = probe.result()
    assert result.status == "ok", result.error
    assert shown == len(result.reasoning) + len(result.answer), (shown, result)
    assert result.tokens_completion == tokens, result
    assert result.tokens_reasoning == tokens // 2
    return elapsed


async def run_openai(base_url: str, tokens: int) -> float:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    started = time.perf_counter()
    stream = await client.chat.completions.create(
        model="bench",
        messages=[{"role": "user", "content": "q"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    reasoning = answer = 0
    usage = None
    async for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        if chunk.choices:
            delta = chunk.choices[0].delta
            if getattr(delta, "reasoning_content", None):
                reasoning += 1
            if delta.content:
                answer += 1
    elapsed = time.perf_counter() - started
    await client.close()
    assert reasoning + answer == tokens and usage.completion_tokens == tokens
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    try:
        import openai
    except ImportError:
        print("bench_probe: needs the openai SDK: pip install -e '.[bench]'", file=sys.stderr)
        return 1
    ctx = multiprocessing.get_context("spawn")
    port_q = ctx.Queue()
    server = ctx.Process(target=serve, args=(port_q, args.tokens), daemon=True)
    server.start()
    port = port_q.get(timeout=60)
    base_url = f"http://127.0.0.1:{port}/v1"
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    times: dict[str, list[float]] = {"tokenscope": [], "openai": []}
    try:
        asyncio.run(run_tokenscope(base_url, args.tokens))  # warm-up: imports, first connect
        asyncio.run(run_openai(base_url, args.tokens))
        for i in range(args.repeats):
            order = ("tokenscope", "openai") if i % 2 == 0 else ("openai", "tokenscope")
            for name in order:
                runner = run_tokenscope if name == "tokenscope" else run_openai
                times[name].append(asyncio.run(runner(base_url, args.tokens)))
    finally:
        server.terminate()
        server.join(5)
    print(f"{args.tokens:,} streamed tokens, {args.repeats} repeats, openai {openai.__version__}")
    medians = {}
    for name, values in times.items():
        med = statistics.median(values)
        medians[name] = med
        runs = ", ".join(f"{v:.3f}" for v in values)
        print(f"  {name:<10} median {med:.3f} s  {args.tokens / med:>12,.0f} tokens/s  ({runs})")
    ratio = medians["openai"] / medians["tokenscope"]
    print(f"  tokenscope is {ratio:.2f}x the SDK's throughput")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

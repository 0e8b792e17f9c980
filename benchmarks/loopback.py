"""What the streaming benchmarks share: an OpenAI-style SSE stream and a loopback server.

Each benchmark runs the server in its own process, so it shares no GIL with the
client being measured.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

WORDS = [" the", " model", " thinks", " about", " tokens", ",", " and", " then", " answers", "."]
HEAD = '{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench",'
SSE_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def delta_event(field: str, text: str) -> bytes:
    """One chunk carrying one token of reasoning (``reasoning_content``) or answer."""
    delta = json.dumps({field: text})
    return (
        f'data: {HEAD}"choices":[{{"index":0,"delta":{delta},"finish_reason":null}}]}}\n\n'.encode()
    )


def ending(tokens: int, reasoning: int) -> bytes:
    """The finish chunk, the usage chunk and ``[DONE]``."""
    usage = {
        "prompt_tokens": 5,
        "completion_tokens": tokens,
        "total_tokens": tokens + 5,
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }
    return (
        f'data: {HEAD}"choices":[{{"index":0,"delta":{{}},"finish_reason":"stop"}}]}}\n\n'
        f'data: {HEAD}"choices":[],"usage":{json.dumps(usage)}}}\n\ndata: [DONE]\n\n'
    ).encode()


def http_chunk(body: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(body), body)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """Consume one HTTP request (headers and its Content-Length body); the body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return await reader.readexactly(length)


def serve_forever(handle: Handler, port_out) -> None:  # type: ignore[no-untyped-def]
    """Listen on a free 127.0.0.1 port, report it through ``port_out``, serve until killed."""

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handle(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(guarded, "127.0.0.1", 0)
        port_out.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())

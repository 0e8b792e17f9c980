"""A loopback HTTP/1.1 server that replays recorded streams byte for byte.

It runs its own event loop in a thread, so async tests, sync tests and CLI
subprocesses can all talk to it. Each scenario is reached at
``http://127.0.0.1:PORT/s/<name>`` (use that as the base URL; the API path
after it is ignored) and says exactly which bytes go out, in which network
chunks, with which pauses, and whether the connection is then cut.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class Reply:
    """One HTTP response."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/event-stream"
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] | None = None  # network chunks; default: the body in one write
    delay: float = 0.0  # pause before each chunk
    drop: bool = False  # cut the connection after the chunks, mid-body
    hang: bool = False  # after the chunks, keep the connection open and silent
    ping_every: float | None = None  # after the chunks, send ': ping' comments forever
    repeat: bytes | None = None  # after the chunks, send this over and over (a runaway)
    no_response: bool = False  # read the request, never answer


@dataclass
class Scenario:
    replies: list[Reply]  # served in order; the last one repeats
    # Answer 400 naming this field while the request still contains it.
    reject_field: str | None = None
    # Hold every reply until this many requests arrived (then all go at once).
    hold_until: int = 0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


def load_transcript(name: str) -> tuple[bytes, dict[str, Any]]:
    meta = json.loads((TRANSCRIPTS / f"{name}.json").read_text(encoding="utf-8"))
    ext = "ndjson" if meta.get("content_type") == "application/x-ndjson" else "sse"
    return (TRANSCRIPTS / f"{name}.{ext}").read_bytes(), meta


def transcript_names() -> list[str]:
    return sorted(p.stem for p in TRANSCRIPTS.glob("*.json"))


def chunked(body: bytes, sizes: list[int]) -> list[bytes]:
    """Cut ``body`` at the given sizes (cycled); the remainder is the last chunk."""
    out, pos, i = [], 0, 0
    while pos < len(body):
        size = max(1, sizes[i % len(sizes)])
        out.append(body[pos : pos + size])
        pos += size
        i += 1
    return out


class TranscriptServer:
    def __init__(self) -> None:
        self.scenarios: dict[str, Scenario] = {}
        self.served: dict[str, int] = {}
        self.received: list[Received] = []
        self._arrived = threading.Condition()
        self._gates: dict[str, asyncio.Event] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    # -- set up ------------------------------------------------------------------

    def start(self) -> TranscriptServer:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        fut.result(timeout=10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, limit=1 << 20)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def add(
        self, name: str, *replies: Reply, reject_field: str | None = None, hold_until: int = 0
    ) -> str:
        """Register a scenario and return its base URL."""
        self.scenarios[name] = Scenario(list(replies), reject_field, hold_until)
        self.served[name] = 0
        return self.url(name)

    def add_transcript(self, name: str, sizes: list[int] | None = None, **reply: Any) -> str:
        body, meta = load_transcript(name)
        chunks = chunked(body, sizes) if sizes else None
        return self.add(
            name if not sizes else f"{name}-{'-'.join(map(str, sizes))}",
            Reply(
                body,
                content_type=meta.get("content_type", "text/event-stream"),
                chunks=chunks,
                **reply,
            ),
        )

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/s/{name}"

    def requests_for(self, name: str) -> list[Received]:
        return [r for r in self.received if r.path.startswith(f"/s/{name}/")]

    def wait_for_requests(self, name: str, count: int, timeout: float = 60) -> bool:
        """Block until ``count`` requests for the scenario arrived (False on timeout)."""
        with self._arrived:
            return self._arrived.wait_for(
                lambda: len(self.requests_for(name)) >= count, timeout=timeout
            )

    # -- serving -----------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.readexactly(1)
        if first == b"\x16":  # a TLS ClientHello: answer in plain HTTP, as a plain server does
            writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
            await writer.drain()
            return
        head = first + await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        _method, path, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        raw = await reader.readexactly(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        with self._arrived:
            self.received.append(Received(path, headers, body))
            self._arrived.notify_all()
        name = path.split("/")[2] if path.startswith("/s/") else ""
        scenario = self.scenarios.get(name)
        if scenario is None:
            await self._write_reply(
                writer, Reply(b'{"error":"no such scenario"}', 404, "application/json")
            )
            return
        if scenario.reject_field and isinstance(body, dict) and scenario.reject_field in body:
            message = json.dumps(
                {
                    "error": {
                        "message": f"Unknown parameter: '{scenario.reject_field}'.",
                        "type": "invalid_request_error",
                    }
                }
            ).encode()
            await self._write_reply(writer, Reply(message, 400, "application/json"))
            return
        index = min(self.served[name], len(scenario.replies) - 1)
        self.served[name] += 1
        if scenario.hold_until:
            gate = self._gates.setdefault(name, asyncio.Event())
            if self.served[name] >= scenario.hold_until:
                gate.set()
            await gate.wait()
        await self._write_reply(writer, scenario.replies[index])

    async def _write_reply(self, writer: asyncio.StreamWriter, reply: Reply) -> None:
        if reply.no_response:
            await asyncio.sleep(3600)
            return
        head = [
            f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}",
            f"Content-Type: {reply.content_type}",
            "Transfer-Encoding: chunked",
            "Connection: close",
        ]
        head += [f"{k}: {v}" for k, v in reply.headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        for chunk in reply.chunks if reply.chunks is not None else [reply.body]:
            if reply.delay:
                await asyncio.sleep(reply.delay)
            if chunk:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
        if reply.drop:
            transport = writer.transport
            transport.abort()
            return
        if reply.hang:
            await asyncio.sleep(3600)
            return
        if reply.repeat:
            frame = b"%x\r\n%s\r\n" % (len(reply.repeat), reply.repeat)
            while True:  # until the client hangs up: drain() then raises ConnectionError
                writer.write(frame * 16)
                await writer.drain()
        if reply.ping_every:
            while True:
                await asyncio.sleep(reply.ping_every)
                ping = b": ping\n\n"
                writer.write(b"%x\r\n%s\r\n" % (len(ping), ping))
                await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

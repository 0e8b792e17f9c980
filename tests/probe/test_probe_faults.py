"""Every fault ends in one clear line, keeps what arrived, and never raises."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import replace

import pytest

from tokenscope.probe import engine
from tokenscope.probe.engine import Probe
from tokenscope.probe.events import AnswerDelta, Failed, Finished, Notice, Retrying
from tokenscope.probe.request import ProbeRequest

from .helpers import FAKE_KEY, FAST, endpoint_at, run_probe
from .transcript_server import Reply


def chunk(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    obj = {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"


GOOD = chunk("Hello") + chunk(" world") + chunk(finish="stop") + b"data: [DONE]\n\n"


def assert_one_line_failure(result, *needles: str) -> None:
    assert result.status == "failed"
    assert result.error and "\n" not in result.error
    assert "Traceback" not in result.error
    for needle in needles:
        assert needle in result.error, result.error


async def test_connection_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _events, result = await run_probe(f"http://127.0.0.1:{port}/v1")
    assert_one_line_failure(result, "connection refused", f"127.0.0.1:{port}")


async def test_dns_failure():
    _events, result = await run_probe("http://no-such-host.invalid/v1")
    assert_one_line_failure(result, "could not resolve host 'no-such-host.invalid'")


async def test_tls_error(transcripts):
    url = transcripts.add("tls", Reply(GOOD)).replace("http://", "https://")
    _events, result = await run_probe(url)
    assert_one_line_failure(result, "TLS error", "127.0.0.1")


async def test_connect_timeout():
    # A listening socket whose backlog is full drops further SYNs: connect hangs.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    try:
        settings = replace(FAST, connect_timeout=0.3)
        _events, result = await run_probe(f"http://127.0.0.1:{port}/v1", settings=settings)
    finally:
        for s in [*fillers, server]:
            s.close()
    assert_one_line_failure(result, "could not connect", "connect timeout")


@pytest.mark.parametrize("status", [401, 403])
async def test_unauthorised_names_the_key_variable_never_the_key(transcripts, monkeypatch, status):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    body = json.dumps({"error": {"message": f"Incorrect API key provided: {FAKE_KEY}"}}).encode()
    url = transcripts.add(f"auth{status}", Reply(body, status, "application/json"))
    _events, result = await run_probe(url, "openai")
    assert_one_line_failure(result, str(status), "OPENAI_API_KEY", "refused")
    assert FAKE_KEY not in result.error
    assert "abcdefghijklmnop" not in result.error


async def test_missing_key_fails_before_any_request(transcripts):
    url = transcripts.add("nokey", Reply(GOOD))
    _events, result = await run_probe(url, "openai")
    assert_one_line_failure(result, "OPENAI_API_KEY is not set")
    assert transcripts.requests_for("nokey") == []


async def test_401_without_a_key_variable_says_how_to_give_one(transcripts):
    url = transcripts.add("auth-nokeyvar", Reply(b"{}", 401, "application/json"))
    _events, result = await run_probe(url, "vllm")
    assert_one_line_failure(result, "401", "--api-key-env")


async def test_unknown_model_404(transcripts):
    body = b'{"error":{"message":"The model `nope` does not exist","code":"model_not_found"}}'
    url = transcripts.add("404", Reply(body, 404, "application/json"))
    _events, result = await run_probe(url, model="nope")
    assert_one_line_failure(result, "404", "unknown model 'nope'", "does not exist")


class RecordedWaits:
    """The engine's ``asyncio``, with every sleep noted and skipped."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __getattr__(self, name: str):
        return getattr(asyncio, name)

    async def sleep(self, delay: float) -> None:
        self.waits.append(delay)
        await asyncio.sleep(0)


async def test_429_honours_retry_after_then_succeeds(transcripts, monkeypatch):
    limited = Reply(
        b'{"error":{"message":"slow down"}}',
        429,
        "application/json",
        headers={"Retry-After": "0.2"},
    )
    url = transcripts.add("429ok", limited, Reply(GOOD))
    recorded = RecordedWaits()
    monkeypatch.setattr(engine, "asyncio", recorded)
    events, result = await run_probe(url)
    assert result.status == "ok" and result.answer == "Hello world"
    retries = [e for e in events if isinstance(e, Retrying)]
    assert len(retries) == 1 and retries[0].delay_s == pytest.approx(0.2)
    assert recorded.waits == [pytest.approx(0.2)]  # it waited as long as it was asked
    assert len(transcripts.requests_for("429ok")) == 2


async def test_429_retries_are_bounded(transcripts):
    limited = Reply(b"{}", 429, "application/json", headers={"Retry-After": "0"})
    url = transcripts.add("429forever", limited)
    _events, result = await run_probe(url)
    assert_one_line_failure(result, "429", "rate limited", "gave up after 2 retries")
    assert len(transcripts.requests_for("429forever")) == 3  # max_retries = 2


async def test_429_asking_for_too_long_a_wait_fails_at_once(transcripts):
    limited = Reply(b"{}", 429, "application/json", headers={"Retry-After": "120"})
    url = transcripts.add("429long", limited)
    _events, result = await run_probe(url)
    assert_one_line_failure(result, "asked to wait 120 s")
    assert len(transcripts.requests_for("429long")) == 1


async def test_server_error_5xx(transcripts):
    url = transcripts.add("500", Reply(b"<html>boom</html>", 500, "text/html"))
    _events, result = await run_probe(url)
    assert_one_line_failure(result, "500", "the server failed")


async def test_read_timeout_between_chunks_keeps_what_arrived(transcripts):
    reply = Reply(chunks=[chunk("Hello"), chunk(" late")], delay=0.0, hang=True)
    url = transcripts.add("stall", reply)
    settings = replace(FAST, read_timeout=0.3)
    _events, result = await run_probe(url, settings=settings)
    assert_one_line_failure(result, "no data", "read timeout", "between chunks")
    assert result.answer == "Hello late"
    assert result.tokens_completion == 2 and result.tokens_source == "counted"


async def test_read_timeout_before_the_response(transcripts):
    url = transcripts.add("silent", Reply(no_response=True))
    _events, result = await run_probe(url, settings=replace(FAST, read_timeout=0.3))
    assert_one_line_failure(result, "read timeout", "waiting for the response")


async def test_dropped_connection_mid_stream(transcripts):
    url = transcripts.add("drop", Reply(chunks=[chunk("Part"), b'data: {"choi'], drop=True))
    _events, result = await run_probe(url)
    assert_one_line_failure(result, "dropped mid-stream")
    assert result.answer == "Part"


async def test_malformed_json_is_skipped_with_one_notice(transcripts):
    body = chunk("A") + b"data: {oops\n\n" + b"data: [1,\n\n" + chunk("B") + chunk(finish="stop")
    url = transcripts.add("malformed", Reply(body))
    events, result = await run_probe(url)
    assert result.status == "ok" and result.answer == "AB"
    notices = [e for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and "malformed" in notices[0].message
    assert result.error == "warning: skipped 2 malformed chunks"


async def test_utf8_split_across_network_chunks_is_reassembled(transcripts):
    body = chunk("naïve café 🙂") + chunk(finish="stop")
    cut = body.index("🙂".encode()) + 2  # in the middle of the emoji's four bytes
    url = transcripts.add("utf8split", Reply(chunks=[body[:cut], body[cut:]]))
    events, result = await run_probe(url)
    assert result.status == "ok" and result.answer == "naïve café 🙂"
    assert not any(isinstance(e, Notice) for e in events)


async def test_invalid_utf8_is_replaced_not_raised(transcripts):
    bad = b'data: {"choices":[{"delta":{"content":"ok \xff\xfe end"}}]}\n\n'
    body = bad + chunk(finish="stop")
    url = transcripts.add("utf8bad", Reply(chunks=[body[:30], body[30:]]))
    events, result = await run_probe(url)
    assert result.status == "ok"
    assert result.answer == "ok \ufffd\ufffd end"
    assert any(isinstance(e, Notice) and "UTF-8" in e.message for e in events)


async def test_a_10_mb_chunk(transcripts):
    big = "x" * (10 * 1024 * 1024)
    body = chunk(big) + chunk(finish="stop")
    url = transcripts.add("big", Reply(body))
    _events, result = await run_probe(url)
    assert result.status == "ok"
    assert len(result.answer) == len(big)
    assert result.tokens_source == "estimated"  # one delta of 10 M characters is not one token


async def test_never_ending_pings_hit_the_idle_timeout(transcripts):
    url = transcripts.add("pings", Reply(chunks=[chunk("Hi")], ping_every=0.05))
    settings = replace(FAST, idle_timeout=0.4)  # shorter than read_timeout: pings keep that away
    _events, result = await run_probe(url, settings=settings)
    assert_one_line_failure(result, "idle timeout")
    assert result.answer == "Hi"


async def test_stream_options_rejected_then_retried_without(transcripts):
    url = transcripts.add("nostreamopts", Reply(GOOD), reject_field="stream_options")
    events, result = await run_probe(url)
    assert result.status == "ok" and result.answer == "Hello world"
    sent = transcripts.requests_for("nostreamopts")
    assert len(sent) == 2
    assert "stream_options" in sent[0].body and "stream_options" not in sent[1].body
    assert any(isinstance(e, Notice) and "stream_options" in e.message for e in events)


async def test_cancelling_the_task_closes_the_stream_and_keeps_a_cancelled_result(transcripts):
    url = transcripts.add("slow", Reply(chunks=[chunk("One"), chunk(" two")], hang=True))
    probe = Probe(ProbeRequest(endpoint_at(url), "m", "q"), FAST)
    seen = []
    both_arrived = asyncio.Event()

    async def consume():
        async for event in probe.stream():
            seen.append(event)
            if sum(isinstance(e, AnswerDelta) for e in seen) == 2:
                both_arrived.set()

    task = asyncio.create_task(consume())
    await both_arrived.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    result = probe.result()
    assert result.status == "cancelled"
    assert result.answer == "One two"
    assert not any(isinstance(e, Failed | Finished) for e in seen)

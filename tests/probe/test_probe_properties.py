"""Property tests: however the network cuts a stream, the result is the same."""

from __future__ import annotations

import asyncio
import itertools
import json

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tokenscope.probe.dialects.base import loads
from tokenscope.probe.engine import Probe
from tokenscope.probe.request import ProbeRequest
from tokenscope.probe.sse import NDJSONDecoder, SSEDecoder, _LineDecoder
from tokenscope.probe.think_splitter import ThinkSplitter

from .helpers import FAST, endpoint_at
from .transcript_server import load_transcript, transcript_names

NAMES = transcript_names()


def cut(data: bytes, points: list[int]) -> list[bytes]:
    marks = sorted({p % (len(data) + 1) for p in points})
    edges = [0, *marks, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


def decode_all(decoder, pieces: list[bytes]):
    events = []
    for piece in pieces:
        events += decoder.feed(piece)
    events += decoder.flush()
    return [(e.event, e.data) for e in events], decoder.comments, decoder.invalid_utf8


# Example counts: a few hundred cuts per property at most. The cuts that once broke a
# decoder are pinned with @example, and Hypothesis replays any failure it finds first.
@given(
    name=st.sampled_from(NAMES),
    points=st.lists(st.integers(min_value=0, max_value=100_000), max_size=40),
)
@settings(max_examples=150, deadline=None)
def test_sse_decoder_gives_the_same_events_for_any_chunking(name, points):
    body, meta = load_transcript(name)
    make = NDJSONDecoder if meta.get("content_type") == "application/x-ndjson" else SSEDecoder
    whole = decode_all(make(), [body])
    assert whole[0], "the transcript decodes to events"
    assert decode_all(make(), cut(body, points)) == whole


SSE_PIECES = [
    b"data: ",
    b"data:",
    b"event: e",
    b": c",
    b"id: 1",
    b"x",
    b"{}",
    b"\r",
    b"\n",
    b"\r\n",
    b"\xff",
    "\u00e9".encode(),
    "\u2028".encode(),
    b"\x85",
]


@given(
    pieces=st.lists(st.sampled_from(SSE_PIECES), max_size=60) | st.lists(st.binary(), max_size=5),
    points=st.lists(st.integers(min_value=0, max_value=400), max_size=20),
)
@example(pieces=[b"data: ", b"x", b"\r\n", b"data: ", b"x", b"\r\n", b"\r\n"], points=[8])
@settings(max_examples=200, deadline=None)
def test_sse_decoder_on_arbitrary_bytes_is_chunking_independent(pieces, points):
    # CR, LF and CRLF framing mixed with anything, including invalid UTF-8.
    data = b"".join(pieces)
    assert decode_all(SSEDecoder(), cut(data, points)) == decode_all(SSEDecoder(), [data])


class LineByLineSSE(SSEDecoder):
    """The general path alone: what SSEDecoder's one-go path for LF streams must match."""

    def feed(self, chunk: bytes) -> list:
        return _LineDecoder.feed(self, chunk)


LF_PIECES = [p for p in SSE_PIECES if b"\r" not in p] + [b"\n\n", b'data: {"x":"y"}\n\n']


@given(
    pieces=st.lists(st.sampled_from(LF_PIECES), max_size=60),
    points=st.lists(st.integers(min_value=0, max_value=400), max_size=20),
)
@example(
    pieces=[b"data: ", b"x", b"\n\n", b"\xff", b"\n\n", b"data: ", "\u00e9".encode()], points=[3]
)
@settings(max_examples=500, deadline=None)
def test_the_one_go_path_gives_what_the_line_by_line_path_gives(pieces, points):
    data = b"".join(pieces)
    chunks = cut(data, points)
    assert decode_all(SSEDecoder(), chunks) == decode_all(LineByLineSSE(), chunks)


@given(st.text(alphabet='{}[]":,. \n\t\ufeff01aeflnrstu\\') | st.from_type(str))
@example('{"a":1} ')
@example('{"a":1}{}')
@settings(max_examples=500, deadline=None)
def test_chunks_parse_as_json_loads_would(data):
    def outcome(parse):
        try:
            return "ok", parse(data)
        except ValueError as exc:
            return type(exc).__name__, str(exc)

    assert repr(outcome(loads)) == repr(outcome(json.loads))  # repr: NaN is not NaN


def test_line_endings_are_only_cr_lf_and_crlf():
    data = 'data: {"a":"x\u2028y\u0085z"}\r\n\r\ndata: 1\rdata: 2\r\r: c\n\n'.encode()
    events, comments, invalid = decode_all(SSEDecoder(), [data])
    assert events == [(None, '{"a":"x\u2028y\u0085z"}'), (None, "1\n2")]
    assert (comments, invalid) == (1, 0)


TAG_PIECES = [
    "<think>",
    "</think>",
    "<",
    "/",
    "think",
    ">",
    "<th",
    "ink>",
    "</",
    " ",
    "\n",
    "a",
    "answer",
    "reason",
    "<thi",
    "</thi",
    "nk>",
]


@given(
    pieces=st.lists(st.sampled_from(TAG_PIECES), max_size=30),
    points=st.lists(st.integers(min_value=0, max_value=400), max_size=20),
    implied=st.sampled_from([None, True, False]),
)
@settings(max_examples=200, deadline=None)
def test_think_splitter_final_split_is_chunking_independent(pieces, points, implied):
    text = "".join(pieces)

    def run(parts: list[str]) -> tuple[str, str]:
        splitter = ThinkSplitter(implied)
        reasoning, answer = [], []
        for part in parts:
            out = splitter.feed(part)
            if out.reclassified:
                reasoning[:] = [out.reclassified]
                answer.clear()
            reasoning.append(out.reasoning)
            answer.append(out.answer)
        tail = splitter.flush()
        return "".join(reasoning) + tail.reasoning, "".join(answer) + tail.answer

    marks = sorted({p % (len(text) + 1) for p in points})
    edges = [0, *marks, len(text)]
    parts = [text[a:b] for a, b in itertools.pairwise(edges) if b > a]
    assert run(parts) == run([text])


def test_think_splitter_never_loses_text_outside_tags():
    splitter = ThinkSplitter()
    out = [splitter.feed(p) for p in ["<thi", "nk>why", " not</th", "ink>", "  ", "4 <think> 5"]]
    tail = splitter.flush()
    reasoning = "".join(o.reasoning for o in out) + tail.reasoning
    answer = "".join(o.answer for o in out) + tail.answer
    assert (reasoning, answer) == ("why not", "4 <think> 5")


class Chunks(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def __aiter__(self):
        for piece in self.pieces:
            yield piece
            await asyncio.sleep(0)


def probe_result(name: str, pieces: list[bytes]):
    _body, meta = load_transcript(name)
    ctype = meta.get("content_type", "text/event-stream")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": ctype}, stream=Chunks(pieces))

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            endpoint = endpoint_at("http://replay.test/v1", meta["endpoint"], key_required=False)
            probe = Probe(ProbeRequest(endpoint, "m", "q"), FAST, client=client)
            events = [e async for e in probe.stream()]
            return probe.result(), [type(e).__name__ for e in events]

    return asyncio.run(go())


FIELDS = (
    "status",
    "error",
    "reasoning",
    "answer",
    "tokens_prompt",
    "tokens_completion",
    "tokens_reasoning",
    "tokens_answer",
    "tokens_source",
    "estimate",
    "estimate_error",
    "finish_reason",
)


@given(
    name=st.sampled_from(NAMES),
    points=st.lists(st.integers(min_value=0, max_value=100_000), max_size=25),
)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_chunking_gives_the_same_split_and_counts(name, points):
    body, _meta = load_transcript(name)
    whole, whole_events = probe_result(name, [body])
    parts, parts_events = probe_result(name, cut(body, points))
    for field in FIELDS:
        assert getattr(parts, field) == getattr(whole, field), field
    assert parts_events == whole_events

"""Property tests: however the network cuts a stream, the result is the same."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tokenscope.probe.counting import Counts, LiveCounter
from tokenscope.probe.dialects.base import loads
from tokenscope.probe.dialects.openai_compat import _any_chunk, _common_chunk
from tokenscope.probe.engine import Probe
from tokenscope.probe.events import AnswerDelta, ReasoningDelta
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


# Chunks in the shapes providers send, and in every wrong type for each field the
# parser reads: the typed decoder must read each as the plain JSON path does, or give way.
ANY_VALUE = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=4) | st.just([]) | st.just({})
)


def mostly(valid):
    """``valid`` three times in four, any JSON value otherwise."""
    return st.one_of(valid, valid, valid, ANY_VALUE)


TEXT = mostly(st.none() | st.text(max_size=6))
DETAILS = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["reasoning.text", "reasoning.summary", "reasoning.encrypted"]),
            "text": TEXT,
            "summary": TEXT,
        },
    ),
    max_size=2,
)
DELTA = st.fixed_dictionaries(
    {},
    optional={
        "content": TEXT,
        "reasoning_content": TEXT,
        "reasoning": TEXT,
        "reasoning_details": mostly(DETAILS),
        "role": st.just("assistant"),
    },
)
CHOICE = st.fixed_dictionaries(
    {},
    optional={
        "index": st.just(0),
        "delta": mostly(DELTA),
        "message": mostly(DELTA),
        "finish_reason": mostly(st.sampled_from(["stop", "length", "error", ""])),
    },
)
CHUNK = st.fixed_dictionaries(
    {},
    optional={
        "id": st.just("chatcmpl-1"),
        "object": mostly(st.sampled_from(["chat.completion.chunk", "error"])),
        "choices": mostly(st.lists(mostly(CHOICE), max_size=2)),
        "usage": mostly(st.just({"prompt_tokens": 3, "completion_tokens": 9})),
        "error": mostly(st.just({"message": "overloaded"})),
        "x_groq": mostly(st.just({"usage": {"completion_tokens": 9}})),
        "provider": TEXT,
    },
)


@given(
    chunk=CHUNK,
    ascii_only=st.booleans(),
    tail=st.sampled_from(["", " ", ',"x":NaN', ',"choices":null', ',"y":"\\ud800"', "{}"]),
)
@example(chunk={"choices": [{"message": {"content": "4"}}]}, ascii_only=True, tail="")
@example(chunk={"choices": [{"delta": {}, "finish_reason": "error"}]}, ascii_only=True, tail="")
@example(chunk={"choices": [{"delta": {}, "message": {"content": "4"}}]}, ascii_only=True, tail="")
@example(
    chunk={
        "choices": [{"delta": {"reasoning_details": [{"type": "reasoning.text", "text": "so"}]}}]
    },
    ascii_only=True,
    tail="",
)
@settings(max_examples=500, deadline=None)
def test_the_typed_chunk_decoder_reads_what_json_reads_or_gives_way(chunk, ascii_only, tail):
    data = json.dumps(chunk, ensure_ascii=ascii_only)
    if tail and tail != " ":
        data = data[:-1] + (tail if data != "{}" else tail.lstrip(",")) + "}"
    elif tail:
        data += tail
    common = _common_chunk(data)
    if common is not None:
        assert common == _any_chunk(data)


@pytest.mark.parametrize(
    "data",
    [
        '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
        '"choices":[{"index":0,"delta":{"reasoning_content":" so"},"finish_reason":null}]}',
        '{"choices":[{"delta":{"content":"","reasoning_content":"We","role":"assistant"},'
        '"index":0,"finish_reason":null}],"model":"deepseek-reasoner","usage":null}',
        '{"id":"gen-1","provider":"Amazon Bedrock","choices":[{"index":0,"delta":{"content":"",'
        '"role":"assistant","reasoning":"The user","reasoning_details":[{"type":"reasoning.text",'
        '"text":"The user","index":0}]},"finish_reason":null}]}',
        '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}',
    ],
)
def test_common_chunks_take_the_typed_decoder(data):
    # Per token the typed decoder costs a quarter of json.loads and the dict lookups.
    common = _common_chunk(data)
    assert common is not None and common == _any_chunk(data)


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
    return probe_events(pieces, meta["endpoint"], meta.get("content_type", "text/event-stream"))


def probe_events(pieces: list[bytes], preset: str = "vllm", ctype: str = "text/event-stream"):
    """The result and the events of a probe that reads ``pieces`` one by one."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": ctype}, stream=Chunks(pieces))

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            endpoint = endpoint_at("http://replay.test/v1", preset, key_required=False)
            probe = Probe(ProbeRequest(endpoint, "m", "q"), FAST, client=client)
            events = [e async for e in probe.stream()]
            return probe.result(), events

    return asyncio.run(go())


def text_runs(events) -> tuple[list[tuple[str, str | None]], dict[tuple[int, int], Counts]]:
    """Each event's kind, with a run of text deltas of one kind as one entry and its
    text (a read's tokens come as one delta, so how many depends on the network); and
    each delta's counts by where it ends: (the run, characters into it)."""
    runs: list[tuple[str, str | None]] = []
    counts: dict[tuple[int, int], Counts] = {}
    for event in events:
        kind = type(event).__name__
        if isinstance(event, ReasoningDelta | AnswerDelta):
            if runs and runs[-1][0] == kind:
                runs[-1] = (kind, (runs[-1][1] or "") + event.text)
            else:
                runs.append((kind, event.text))
            counts[len(runs) - 1, len(runs[-1][1] or "")] = event.counts
        else:
            runs.append((kind, None))
    return runs, counts


@functools.cache
def byte_by_byte(name: str) -> tuple[list[tuple[str, str | None]], dict]:
    """The events when every read is one byte: at most one chunk a read, a delta each."""
    body, _meta = load_transcript(name)
    return text_runs(probe_result(name, [body[i : i + 1] for i in range(len(body))])[1])


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
    assert text_runs(parts_events)[0] == text_runs(whole_events)[0]
    # Gathering a read's chunks into one delta changes no figure either.
    assert_deltas_as_one_per_chunk(text_runs(parts_events), byte_by_byte(name))


def assert_deltas_as_one_per_chunk(seen, single) -> None:
    """The same runs of text, and each delta with exactly the counts that the delta of
    its last chunk has when every chunk comes on its own."""
    runs, counts = seen
    single_runs, single_counts = single
    assert runs == single_runs
    for end, value in counts.items():
        assert value == single_counts[end], end


def openai_chunk(field: str, text: str) -> bytes:
    delta = json.dumps({field: text})
    return f'data: {{"choices":[{{"index":0,"delta":{delta}}}]}}\n\n'.encode()


@given(
    deltas=st.lists(
        st.tuples(
            st.sampled_from(["reasoning_content", "content"]),
            st.text(alphabet=" ab<>/hintk\n", min_size=1, max_size=8),
        ),
        max_size=30,
    ),
    points=st.lists(st.integers(min_value=0, max_value=100_000), max_size=10),
)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_text_gathered_per_read_has_the_counts_of_a_delta_per_chunk(deltas, points):
    # Reasoning and answer interleaved, tags and parts of tags among them.
    chunks = [openai_chunk(field, text) for field, text in deltas]
    chunks.append(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n')
    result, events = probe_events(cut(b"".join(chunks), points))
    one_each, single = probe_events(chunks)  # a read per chunk: a delta per chunk
    assert_deltas_as_one_per_chunk(text_runs(events), text_runs(single))
    assert (result.reasoning, result.answer) == (one_each.reasoning, one_each.answer)


def test_a_reads_chunks_come_as_one_delta_per_run_of_text():
    # What keeps thousands of tokens a second cheap for every layer above the probe.
    chunks = [openai_chunk("reasoning_content", w) for w in ("Add", " two", " and", " two")]
    chunks += [openai_chunk("content", w) for w in ("4", ".")]
    chunks.append(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n')
    result, events = probe_events([b"".join(chunks)])
    deltas = [e for e in events if isinstance(e, ReasoningDelta | AnswerDelta)]
    assert [(type(e), e.text) for e in deltas] == [
        (ReasoningDelta, "Add two and two"),
        (AnswerDelta, "4."),
    ]
    assert [(e.counts.reasoning, e.counts.answer) for e in deltas] == [(4.0, 0.0), (4.0, 2.0)]
    assert result.tokens_completion == 6


@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=1, max_value=40)), max_size=30))
def test_the_counters_shortcuts_count_as_add_does(pieces):
    shortcut, general = LiveCounter(), LiveCounter()
    for reasoning, chars in pieces:
        if reasoning:
            shortcut.add_reasoning(chars)
            general.add(chars, chars, 0, True)
        else:
            shortcut.add_answer(chars)
            general.add(chars, 0, chars, False)
    for name in LiveCounter.__slots__:
        assert getattr(shortcut, name) == getattr(general, name), name

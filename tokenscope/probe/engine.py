"""Run one model (``Probe``) or several side by side (``ProbeGroup``) and report events.

    probe = Probe(ProbeRequest(endpoint, "gpt-oss-20b", question))
    async for event in probe.stream():       # ReasoningDelta, AnswerDelta, ...
        ...
    probe.result()                           # a ProbeResult, also after cancellation

Cancelling the task that iterates ``stream()`` closes the connection (so the
provider stops generating) and leaves ``probe.result()`` marked 'cancelled'
with whatever arrived. ``ProbeGroup.events()`` merges several probes and, on
``cancel()``, ends each cancelled probe with a ``Cancelled`` event.

Network, HTTP and framing failures never raise out of ``stream()``: they end
the probe with ``Failed`` and a one-line error (see ``faults``).

A server that ignores ``max_tokens`` cannot stream for ever: past the cap by a
clear margin, or past ``max_text_mb`` of text, the probe closes the stream,
keeps what arrived and ends ``Failed`` with ``finish_reason`` 'cut'.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence

import httpx

from tokenscope.config import Settings
from tokenscope.probe.counting import LiveCounter
from tokenscope.probe.dialects import Chunk, ParseError, dialect_for
from tokenscope.probe.endpoints import missing_key_message, strip_userinfo, url_credentials
from tokenscope.probe.events import (
    AnswerDelta,
    Cancelled,
    Failed,
    Finished,
    Notice,
    ProbeEvent,
    ProbeResult,
    ReasoningDelta,
    Reclassified,
    Retrying,
    Started,
    UsageReported,
)
from tokenscope.probe.faults import (
    describe_exception,
    describe_status,
    retry_after,
    safe_line,
    scrub,
)
from tokenscope.probe.request import ProbeRequest
from tokenscope.probe.sse import NDJSONDecoder, SSEDecoder, SSEEvent, StreamFormatError
from tokenscope.probe.streams import ProbeStream, batches_of, flatten
from tokenscope.probe.textbuffer import TextBuffer
from tokenscope.probe.think_splitter import Split, ThinkSplitter
from tokenscope.probe.usage import Usage, normalise

# Transient statuses worth waiting for; other errors fail at once.
RETRY_STATUSES = (429, 503)
ERROR_BODY_LIMIT = 64 * 1024
# A stream is cut once its tokens pass max_tokens * factor + slack: live counts
# are estimates on batching servers, so only a server ignoring the cap trips it.
RUNAWAY_FACTOR = 1.5
INT64_LIMIT = 2**63
RUNAWAY_SLACK = 64
# finish_reason of a run the probe stopped itself (see RUNAWAY_FACTOR, max_text_mb).
CUT = "cut"


def make_client(settings: Settings) -> httpx.AsyncClient:
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.connect_timeout,
    )
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False)


async def _read_some(response: httpx.Response, limit: int = ERROR_BODY_LIMIT) -> str:
    """An error body, bounded: a misbehaving server may send megabytes."""
    data = bytearray()
    async for part in response.aiter_bytes():
        data += part
        if len(data) >= limit:
            break
    return bytes(data[:limit]).decode("utf-8", errors="replace")


class Probe:
    """One model answering one question, streamed."""

    def __init__(
        self,
        request: ProbeRequest,
        settings: Settings | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.request = request
        self.settings = settings or Settings()
        self._client = client
        self._clock = clock
        self._dialect = dialect_for(request.endpoint)
        self._counter = LiveCounter()
        self._splitter = ThinkSplitter(request.think_prefilled)
        self._reasoning_parts = TextBuffer()
        self._answer_parts = TextBuffer()
        self._usage: Usage | None = None
        self._finish_reason: str | None = None
        self._provider: str | None = None
        self._hidden = False
        self._reasoning_field = False
        self._malformed = 0
        self._invalid_utf8 = 0
        self._t_start: float | None = None
        self._t_first: float | None = None
        self._result: ProbeResult | None = None
        self._started = False
        self._parser = self._dialect.parser()
        self._progress = 0.0  # clock time of the last real event (pings do not count)
        self._stop = False  # the protocol's end marker arrived
        self._ended_early = False  # the server closed the stream without an error or a finish
        # Text of one read gathered into one delta per run of a kind (see _text_run).
        self._pending_kind: type[ReasoningDelta | AnswerDelta] | None = None
        self._pending_text: list[str] = []
        max_tokens = request.max_tokens
        self._token_cap = (
            max_tokens * RUNAWAY_FACTOR + RUNAWAY_SLACK if max_tokens is not None else None
        )
        self._char_cap = int(self.settings.max_text_mb * 1_000_000)

    @property
    def key(self) -> str:
        return self.request.key

    @property
    def done(self) -> bool:
        return self._result is not None

    def result(self) -> ProbeResult:
        """The outcome; before the stream ended, a 'cancelled' result with what arrived."""
        if self._result is None:
            self._end("cancelled", "cancelled before the model finished")
        assert self._result is not None
        return self._result

    def stream(self) -> AsyncIterator[ProbeEvent]:
        """The events one by one; closing this generator closes the connection."""
        return flatten(self.batches())

    async def batches(self) -> AsyncGenerator[list[ProbeEvent], None]:
        """The same events as ``stream``, gathered per network read: one hop through
        the layers above per read rather than per token (thousands a second)."""
        if self._started:
            raise RuntimeError("a Probe streams once; make a new one to ask again")
        self._started = True
        client = self._client
        owns_client = client is None
        if client is None:
            client = make_client(self.settings)
        try:
            async for batch in self._run(client):
                yield batch
        except (asyncio.CancelledError, GeneratorExit):
            if self._result is None:
                self._end("cancelled", "cancelled before the model finished")
            raise
        finally:
            if owns_client:
                await client.aclose()

    # -- the request, with its retries ---------------------------------------------

    async def _run(self, client: httpx.AsyncClient) -> AsyncIterator[list[ProbeEvent]]:
        request, settings = self.request, self.settings
        endpoint = request.endpoint
        key = request.key
        missing = missing_key_message(endpoint)
        if missing:
            yield [self._fail(missing)]
            return
        api_key = endpoint.api_key()
        # Credentials in the base URL travel as a Basic header, never in the URL,
        # so no request line, library message or log line carries them.
        credentials = url_credentials(endpoint.base_url)
        auth = httpx.BasicAuth(*credentials) if credentials else None
        dropped: set[str] = set()
        retries = 0
        attempt = 0
        while True:
            attempt += 1
            call = self._dialect.build(request, api_key, frozenset(dropped))
            self._t_start = self._clock()
            yield [Started(key, request.model, endpoint.host, attempt)]
            streaming = False
            try:
                async with client.stream(
                    "POST",
                    strip_userinfo(call.url),
                    json=call.body,
                    headers=call.headers,
                    auth=auth or httpx.USE_CLIENT_DEFAULT,
                ) as response:
                    status = response.status_code
                    if status >= 300:
                        body = await _read_some(response)
                        name = self._dialect.droppable(status, body)
                        if name and name not in dropped:
                            dropped.add(name)
                            yield [
                                self._notice(
                                    f"{endpoint.host} refused '{name}'; asking again without it"
                                )
                            ]
                            continue
                        message = describe_status(status, body, endpoint, request.model)
                        if status in RETRY_STATUSES:
                            wait = retry_after(response.headers)
                            if wait is None:
                                wait = min(2.0**retries, settings.max_retry_wait)
                            if retries >= settings.max_retries:
                                suffix = f"; gave up after {retries} retries" if retries else ""
                                yield [self._fail(message + suffix)]
                                return
                            if wait > settings.max_retry_wait:
                                yield [
                                    self._fail(
                                        f"{message}; asked to wait {wait:g} s, "
                                        f"more than max_retry_wait {settings.max_retry_wait:g} s"
                                    )
                                ]
                                return
                            retries += 1
                            yield [Retrying(key, message, wait)]
                            await asyncio.sleep(wait)
                            continue
                        yield [self._fail(message)]
                        return
                    streaming = True
                    async for batch in self._consume(response, call.framing):
                        yield batch
                    return
            except (httpx.HTTPError, StreamFormatError, OSError) as exc:
                yield [
                    self._fail(
                        describe_exception(
                            exc,
                            endpoint,
                            connect_timeout=settings.connect_timeout,
                            read_timeout=settings.read_timeout,
                            streaming=streaming,
                        )
                    )
                ]
                return

    # -- the stream -------------------------------------------------------------

    async def _consume(
        self, response: httpx.Response, framing: str
    ) -> AsyncIterator[list[ProbeEvent]]:
        # One event may not exceed the text cap by more than its framing.
        limit = self._char_cap + 1024 * 1024
        decoder = SSEDecoder(limit) if framing == "sse" else NDJSONDecoder(limit)
        clock = self._clock
        idle = self.settings.idle_timeout
        deadline = (self._t_start or clock()) + self.settings.max_duration
        host = self.request.endpoint.host
        self._progress = clock()
        self._stop = False
        self._parser = self._dialect.parser()  # one per response: Anthropic's keeps usage state
        async for raw in response.aiter_bytes():
            batch = self._handle(decoder.feed(raw))
            if decoder.invalid_utf8 != self._invalid_utf8:
                if not self._invalid_utf8:
                    batch.append(
                        self._notice(f"{host} sent bytes that are not UTF-8; shown as \ufffd")
                    )
                self._invalid_utf8 = decoder.invalid_utf8
            if batch:
                yield batch
            if self._result is not None:
                return
            if self._stop:
                break
            now = clock()
            if now - self._progress > idle:
                yield [
                    self._fail(
                        f"no tokens from {host} for {idle:g} s, only keep-alives (idle timeout)"
                    )
                ]
                return
            if now > deadline:
                yield [
                    self._fail(
                        f"{host} still streaming after {self.settings.max_duration:g} s "
                        "(max_duration)"
                    )
                ]
                return
        else:
            batch = self._handle(decoder.flush())
            if batch:
                yield batch
            self._invalid_utf8 = decoder.invalid_utf8
            if self._result is not None:
                return
        if self._finish_reason is None:
            # Also after [DONE]: llama-cpp-python ends a request that a newer one
            # interrupted with [DONE] and no finish_reason, mid-answer. Asking
            # again (one request at a time) may well succeed.
            self._ended_early = True
            yield [self._fail(f"the stream from {host} ended before the model finished")]
            return
        yield [self._succeed()]

    def _handle(self, events: list[SSEEvent]) -> list[ProbeEvent]:
        """What one network read's events come to: a list built in one go, since a read
        at thousands of tokens a second holds dozens of them. Consecutive text of one
        kind becomes one delta (its counts as of its last piece): the layers above
        handle an event per run of text, not per token."""
        out: list[ProbeEvent] = []
        parse = self._parser.parse
        apply = self._apply
        runaway = self._runaway
        parsed = False
        for sse in events:
            try:
                chunk = parse(sse)
            except ParseError as exc:
                self._malformed += 1
                if self._malformed == 1:
                    self._flush(out)
                    out.append(
                        self._notice(
                            f"skipped a malformed chunk from {self.request.endpoint.host}: "
                            f"{scrub(str(exc), self.request.endpoint)}"
                        )
                    )
                continue
            if chunk is None:
                continue
            parsed = True
            apply(chunk, out)
            cut = runaway()
            if cut:
                self._finish_reason = CUT
                self._flush(out)
                out.append(self._fail(cut))
                break
            if chunk.error:
                self._flush(out)
                out.append(
                    self._fail(
                        f"error inside the stream from {self.request.endpoint.host}: "
                        f"{scrub(chunk.error, self.request.endpoint)}"
                    )
                )
                break
            if chunk.done:
                self._stop = True
                break
        self._flush(out)
        if parsed:
            self._progress = self._clock()  # once per read: the read is one moment
        return out

    def _text_run(
        self, kind: type[ReasoningDelta | AnswerDelta], out: list[ProbeEvent]
    ) -> list[str]:
        """The text of this read's run of ``kind`` deltas; a run of the other kind ends
        here. Called before the chunk is counted, so a delta carries the counts as of its
        last piece, as the one delta per chunk did."""
        if kind is not self._pending_kind:
            self._flush(out)
            self._pending_kind = kind
        return self._pending_text

    def _flush(self, out: list[ProbeEvent]) -> None:
        """The gathered run of text as one delta, with the counts as they are now."""
        parts = self._pending_text
        if parts:
            kind = self._pending_kind
            assert kind is not None
            text = parts[0] if len(parts) == 1 else "".join(parts)
            out.append(kind(self.key, text, self._counter.snapshot(self._usage)))
            self._pending_text = []

    def _runaway(self) -> str | None:
        """Why the stream must stop although the server goes on, or None."""
        counter = self._counter
        # Runs per chunk: the host (a URL parse) is looked up only for a cut.
        if counter.raw_chars > self._char_cap:
            host = self.request.endpoint.host
            return (
                f"cut off: {host} streamed more than {self.settings.max_text_mb:g} MB of text "
                "(max_text_mb); what arrived is kept"
            )
        if self._token_cap is not None:
            usage = self._usage
            reported = usage.completion if usage is not None else None
            if reported is not None and not 0 <= reported < INT64_LIMIT:
                reported = None  # a nonsense count is the store's to flag, not a reason to cut
            tokens = counter.estimate if reported is None else reported
            if tokens > self._token_cap:
                host = self.request.endpoint.host
                return (
                    f"cut off: {host} ignored max_tokens {self.request.max_tokens} and kept "
                    "streaming; what arrived is kept"
                )
        return None

    def _apply(self, chunk: Chunk, out: list[ProbeEvent]) -> None:
        reasoning, content = chunk.reasoning, chunk.content
        if reasoning or content:
            self._text(reasoning, content, out)
        if chunk.usage:
            self._flush(out)  # text before the usage keeps its estimated counts
            self._usage = normalise(chunk.usage)
            out.append(
                UsageReported(self.key, self._counter.snapshot(self._usage), self._usage.prompt)
            )
        if chunk.finish_reason:
            self._finish_reason = chunk.finish_reason
        if chunk.provider:
            self._provider = chunk.provider
        if chunk.hidden_reasoning:
            self._hidden = True

    def _text(self, reasoning: str, content: str, out: list[ProbeEvent]) -> None:
        if self._t_first is None:
            self._t_first = self._clock()
        splitter = self._splitter
        if reasoning and not self._reasoning_field:
            # The server separates reasoning itself: content is the answer.
            self._reasoning_field = True
            splitter.disable_implied()
        counter = self._counter
        # The two shapes nearly every chunk has, without the general bookkeeping below
        # (the same counts: LiveCounter.add_reasoning and add_answer are add's cases).
        if not content:
            self._text_run(ReasoningDelta, out).append(reasoning)
            counter.add_reasoning(len(reasoning))
            self._reasoning_parts.append(reasoning)
            return
        if not reasoning and splitter.passes_through:
            self._text_run(AnswerDelta, out).append(content)
            counter.add_answer(len(content))
            self._answer_parts.append(content)
            return
        was_reasoning = splitter.in_reasoning
        split = splitter.feed(content)
        in_reasoning = was_reasoning or splitter.in_reasoning or split.closed
        moved = split.reclassified
        r_text = reasoning + split.reasoning if split.reasoning else reasoning
        a_text = split.answer
        first = ReasoningDelta if r_text else AnswerDelta if a_text else None
        if moved or first is not self._pending_kind:
            # The run so far ends with its counts before this chunk's (a chunk that shows
            # nothing, a tag held back, ends it too: the same counts as a delta per chunk).
            self._flush(out)
        if moved:
            counter.reclassify_answer()
            self._reasoning_parts.replace(moved)
            self._answer_parts.replace("")
        counter.add(len(reasoning) + len(content), len(r_text), len(a_text), in_reasoning)
        if moved:
            out.append(Reclassified(self.key, moved, counter.snapshot(self._usage)))
        if r_text:
            self._reasoning_parts.append(r_text)
            self._text_run(ReasoningDelta, out).append(r_text)
        if a_text:
            self._answer_parts.append(a_text)
            self._text_run(AnswerDelta, out).append(a_text)

    # -- endings ----------------------------------------------------------------

    def _succeed(self) -> Finished:
        self._end("ok", self._warning_line())
        assert self._result is not None
        return Finished(self.key, self._result)

    def _notice(self, message: str) -> Notice:
        return Notice(self.key, safe_line(message, self.request.endpoint))

    def _fail(self, message: str) -> Failed:
        self._end("failed", message)
        assert self._result is not None
        return Failed(self.key, self._result)

    def _warning_line(self) -> str | None:
        notes = self._warnings()
        return "warning: " + "; ".join(notes) if notes else None

    def _warnings(self) -> list[str]:
        notes = []
        if self._malformed:
            notes.append(f"skipped {self._malformed} malformed chunk{'s' * (self._malformed > 1)}")
        if self._invalid_utf8:
            notes.append("replaced bytes that were not UTF-8")
        return notes

    def _end(self, status: str, error: str | None) -> None:
        if self._result is not None:
            return
        now = self._clock()
        tail: Split = self._splitter.flush()
        if tail.reasoning:
            self._reasoning_parts.append(tail.reasoning)
        if tail.answer:
            self._answer_parts.append(tail.answer)
        final = self._counter.final(self._usage)
        request = self.request
        if error:
            error = safe_line(error, request.endpoint)  # the last gate for every message
        reasoning = self._reasoning_parts.text()
        if not reasoning.strip():
            reasoning = ""  # an empty <think></think> block is no reasoning
        t_start, t_first = self._t_start, self._t_first
        duration = now - t_start if t_start is not None else None
        ttft = t_first - t_start if t_first is not None and t_start is not None else None
        # With hidden reasoning the first visible token comes late: rate over the whole run.
        hidden = self._hidden or (
            bool(final.reasoning_reported) and self._counter.reasoning_chars == 0
        )
        begin = t_start if hidden else t_first
        rate = None
        if final.completion and begin is not None and now > begin:
            rate = final.completion / (now - begin)
        self._result = ProbeResult(
            key=request.key,
            model=request.model,
            endpoint=request.endpoint.name,
            endpoint_host=request.endpoint.identity,
            status=status,
            error=error,
            reasoning=reasoning,
            answer=self._answer_parts.text(),
            tokens_prompt=final.prompt,
            tokens_completion=final.completion,
            tokens_reasoning=final.reasoning,
            tokens_answer=final.answer,
            tokens_reasoning_reported=final.reasoning_reported,
            tokens_source=final.source,
            estimate=final.estimate,
            estimate_error=final.estimate_error,
            ttft_s=ttft,
            duration_s=duration,
            tokens_per_s=rate,
            finish_reason=self._finish_reason,
            provider=self._provider,
            effort=request.effort,
            hidden_reasoning=hidden,
            warnings=tuple(self._warnings()),
            ended_early=self._ended_early,
        )


class ProbeGroup:
    """Several probes at once, their events merged in arrival order."""

    def __init__(self, probes: Sequence[ProbeStream]) -> None:
        keys = [p.key for p in probes]
        if len(set(keys)) != len(keys):
            raise ValueError("each probe in a group needs a distinct key (label)")
        self.probes = list(probes)
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def events(self) -> AsyncIterator[ProbeEvent]:
        return flatten(self.batches())

    async def batches(self) -> AsyncGenerator[list[ProbeEvent], None]:
        """The events as they arrived, a list at a time (one network read of one probe)."""
        queue: asyncio.Queue[list[ProbeEvent] | None] = asyncio.Queue()
        self._tasks = {
            p.key: asyncio.create_task(self._pump(p, queue), name=f"probe:{p.key}")
            for p in self.probes
        }
        remaining = len(self._tasks)
        try:
            while remaining:
                batch = await queue.get()
                if batch is None:  # a probe is done
                    remaining -= 1
                    continue
                yield batch
        finally:
            pending = [t for t in self._tasks.values() if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    @staticmethod
    async def _pump(probe: ProbeStream, queue: asyncio.Queue[list[ProbeEvent] | None]) -> None:
        try:
            async for batch in batches_of(probe):
                queue.put_nowait(batch)
        except asyncio.CancelledError:
            queue.put_nowait([Cancelled(probe.key, probe.result())])
        finally:
            queue.put_nowait(None)

    def cancel(self, key: str | None = None) -> None:
        """Cancel one probe by key, or all of them."""
        for k, task in self._tasks.items():
            if key is None or k == key:
                task.cancel()

    def results(self) -> list[ProbeResult]:
        return [p.result() for p in self.probes]

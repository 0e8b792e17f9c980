"""OpenAI-compatible chat completions over SSE (OpenAI, OpenRouter, DeepSeek, Groq,
Together, Fireworks, xAI, vLLM, llama.cpp, llama-cpp-python, Ollama /v1, LM Studio).

Reasoning arrives as ``reasoning_content`` (DeepSeek, llama.cpp, xAI, older
vLLM), ``reasoning`` (OpenRouter, vLLM, Ollama /v1, Together) or only in
``reasoning_details`` (OpenRouter). Usage may come in a ``choices: []`` chunk,
in a chunk that still has choices (OpenRouter) or in ``x_groq.usage`` (Groq).
"""

from __future__ import annotations

from typing import Any

import msgspec

from tokenscope.probe.dialects.base import Chunk, HttpCall, ParseError, error_text, loads
from tokenscope.probe.request import ProbeRequest
from tokenscope.probe.sse import SSEEvent

_loads = loads
FINISH_ERROR = "the provider ended the stream with finish_reason 'error'"


def _details_text(details: Any) -> tuple[str, bool]:
    """Visible text and whether encrypted reasoning was present in ``reasoning_details``."""
    if not isinstance(details, list):
        return "", False
    parts, hidden = [], False
    for d in details:
        if not isinstance(d, dict):
            continue
        kind = d.get("type")
        if kind == "reasoning.text":
            text = d.get("text")
        elif kind == "reasoning.summary":
            text = d.get("summary")
        else:
            hidden = hidden or kind == "reasoning.encrypted"
            continue
        if isinstance(text, str) and text:
            parts.append(text)
    return "".join(parts), hidden


class _Delta(msgspec.Struct):
    content: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    reasoning_details: Any = None


class _Choice(msgspec.Struct):
    delta: _Delta | None = None
    message: Any = None
    finish_reason: str | None = None


class _Body(msgspec.Struct):
    """The fields of a chunk that ``OpenAIParser`` reads, with the types that nearly every
    chunk has them in; any other type fails to decode and takes the general path."""

    choices: list[_Choice] | None = None
    usage: Any = None
    error: Any = None
    kind: str | None = msgspec.field(default=None, name="object")
    x_groq: Any = None
    provider: str | None = None


_decode_body = msgspec.json.Decoder(_Body).decode
_NOT_DECODED = (msgspec.DecodeError, msgspec.ValidationError)


def _common_chunk(data: str) -> Chunk | None:
    """The chunk of a plain text delta (or finish), decoded with no dict per level; None
    for whatever else, which the general path reads: usage, errors, a ``message``,
    ``reasoning_details`` standing alone, an unusual type, anything not strict JSON
    (the strict decoder refuses NaN, which json.loads takes)."""
    try:
        body = _decode_body(data)
    except _NOT_DECODED:
        return None
    if body.usage is not None or body.error is not None or body.x_groq is not None:
        return None
    if body.kind == "error":
        return None
    chunk = Chunk()
    choices = body.choices
    if choices:
        choice = choices[0]
        delta = choice.delta
        if delta is not None:
            reasoning = delta.reasoning_content or delta.reasoning
            if reasoning:
                chunk.reasoning = reasoning
            elif delta.reasoning_details is not None:
                return None
            content = delta.content
            if content is not None:
                chunk.content = content
            elif reasoning is None and choice.message is not None:
                return None  # an empty delta gives way to the message: the general path
        elif choice.message is not None:
            return None
        finish = choice.finish_reason
        if finish:
            chunk.finish_reason = finish
            if finish == "error":
                chunk.error = FINISH_ERROR
    if body.provider is not None:
        chunk.provider = body.provider
    return chunk


class OpenAIParser:
    __slots__ = ()

    def parse(self, event: SSEEvent) -> Chunk | None:
        data = event.data
        # A JSON object cannot be [DONE]: the strip (a copy) only for what is not one.
        if data[:1] != "{":
            if data[:6] == "[DONE]" or data.strip() == "[DONE]":
                return Chunk(done=True)
        else:
            common = _common_chunk(data)
            if common is not None:
                return common
        return _any_chunk(data)


def _any_chunk(data: str) -> Chunk:
    """Any chunk, read from plain JSON: what ``_common_chunk`` gives way on."""
    try:
        obj = _loads(data)
    except ValueError as exc:
        raise ParseError(str(exc)) from None
    if type(obj) is not dict:  # JSON gives plain dicts
        raise ParseError("a chunk that is not a JSON object")
    chunk = Chunk()
    get = obj.get
    err = get("error")
    if err:
        chunk.error = error_text(err)
    elif get("object") == "error":  # vLLM
        chunk.error = error_text(obj)
    choices = get("choices")
    if choices and type(choices) is list:
        choice = choices[0]
        if type(choice) is dict:
            delta = choice.get("delta") or choice.get("message") or {}
            if type(delta) is dict:
                dget = delta.get
                reasoning = dget("reasoning_content") or dget("reasoning")
                if not reasoning:
                    details = dget("reasoning_details")
                    if details:
                        reasoning, chunk.hidden_reasoning = _details_text(details)
                if type(reasoning) is str:
                    chunk.reasoning = reasoning
                content = dget("content")
                if type(content) is str:
                    chunk.content = content
            finish = choice.get("finish_reason")
            if finish:
                chunk.finish_reason = str(finish)
                if finish == "error" and not chunk.error:
                    chunk.error = FINISH_ERROR
    usage = get("usage")
    if not usage:
        groq = get("x_groq")
        if type(groq) is dict:
            usage = groq.get("usage")
    if usage and type(usage) is dict:
        chunk.usage = usage
    provider = get("provider")
    if type(provider) is str:
        chunk.provider = provider
    return chunk


_PARSER = OpenAIParser()


class OpenAIDialect:
    def build(
        self, request: ProbeRequest, api_key: str | None, dropped: frozenset[str] = frozenset()
    ) -> HttpCall:
        endpoint = request.endpoint
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": "user", "content": request.question}],
            "stream": True,
        }
        if "stream_options" not in dropped:
            body["stream_options"] = {"include_usage": True}
        if request.max_tokens is not None:
            body[endpoint.max_tokens_field] = request.max_tokens
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.seed is not None:
            body["seed"] = request.seed
        if request.effort:
            if endpoint.effort_style == "openrouter":
                body["reasoning"] = {"effort": request.effort}
            elif endpoint.effort_style == "reasoning_effort":
                body["reasoning_effort"] = request.effort
        headers = {"Accept": "text/event-stream"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return HttpCall(endpoint.base_url.rstrip("/") + "/chat/completions", headers, body)

    def parser(self) -> OpenAIParser:
        return _PARSER

    def droppable(self, status: int, body: str) -> str | None:
        """The optional field a 400 complains about, to retry once without it."""
        if status in (400, 422) and "stream_options" in body:
            return "stream_options"
        return None

"""Anthropic Messages API over SSE, with extended thinking.

Thinking text arrives as ``thinking_delta`` in a ``thinking`` block; its
``signature_delta`` carries no text. ``message_start`` has the input tokens and
a placeholder output count; ``message_delta`` has the cumulative output count.
The stream ends with ``message_stop`` (no ``[DONE]``); ``ping`` is skipped and
``error`` events are surfaced.
"""

from __future__ import annotations

from typing import Any

from tokenscope.probe.dialects.base import Chunk, HttpCall, ParseError, error_text, loads
from tokenscope.probe.request import ProbeRequest
from tokenscope.probe.sse import SSEEvent

API_VERSION = "2023-06-01"
# Thinking budgets per effort; the API wants at least 1024 and less than max_tokens.
BUDGETS = {"low": 2048, "medium": 8192, "high": 24576}
MIN_BUDGET = 1024
ANSWER_ROOM = 8192


class AnthropicParser:
    def __init__(self) -> None:
        self._usage: dict[str, Any] = {}

    def parse(self, event: SSEEvent) -> Chunk | None:
        try:
            obj = loads(event.data)
        except ValueError as exc:
            raise ParseError(str(exc)) from None
        if not isinstance(obj, dict):
            raise ParseError("an event that is not a JSON object")
        kind = obj.get("type") or event.event
        if kind == "content_block_delta":
            delta = obj.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "thinking_delta":
                return Chunk(reasoning=str(delta.get("thinking") or ""))
            if dtype == "text_delta":
                return Chunk(content=str(delta.get("text") or ""))
            return None  # signature_delta, input_json_delta
        if kind == "ping":
            return None
        if kind == "message_start":
            message = obj.get("message") or {}
            usage = message.get("usage")
            if isinstance(usage, dict):
                # output_tokens here is a placeholder; only input counts are kept.
                self._usage.update({k: v for k, v in usage.items() if k != "output_tokens"})
            return None
        if kind == "content_block_start":
            block = obj.get("content_block") or {}
            if block.get("type") == "redacted_thinking":
                return Chunk(hidden_reasoning=True)
            return None
        if kind == "message_delta":
            chunk = Chunk()
            usage = obj.get("usage")
            if isinstance(usage, dict):
                self._usage.update(usage)
                chunk.usage = dict(self._usage)
            stop = (obj.get("delta") or {}).get("stop_reason")
            if stop:
                chunk.finish_reason = str(stop)
            return chunk
        if kind == "message_stop":
            return Chunk(done=True)
        if kind == "error":
            return Chunk(error=error_text(obj.get("error") or obj))
        return None  # content_block_stop and future event types


def thinking_budget(effort: str | None, max_tokens: int | None) -> tuple[int | None, int]:
    """(budget or None when thinking cannot fit, max_tokens to send)."""
    budget = BUDGETS.get(effort or "medium", BUDGETS["medium"])
    if max_tokens is None:
        return budget, budget + ANSWER_ROOM
    budget = min(budget, max_tokens - 1)
    return (budget if budget >= MIN_BUDGET else None), max_tokens


class AnthropicDialect:
    def build(
        self, request: ProbeRequest, api_key: str | None, dropped: frozenset[str] = frozenset()
    ) -> HttpCall:
        budget, max_tokens = thinking_budget(request.effort, request.max_tokens)
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": request.question}],
            "stream": True,
        }
        if budget is not None:
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        elif request.temperature is not None:
            # Thinking requires the default temperature; only send it without.
            body["temperature"] = request.temperature
        headers = {"anthropic-version": API_VERSION, "Accept": "text/event-stream"}
        if api_key:
            headers["x-api-key"] = api_key
        return HttpCall(request.endpoint.base_url.rstrip("/") + "/messages", headers, body)

    def parser(self) -> AnthropicParser:
        return AnthropicParser()

    def droppable(self, status: int, body: str) -> str | None:
        return None

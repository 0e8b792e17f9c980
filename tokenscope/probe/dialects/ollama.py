"""Ollama's native ``/api/chat``: NDJSON, thinking in ``message.thinking``.

The last object has ``done: true`` with ``prompt_eval_count`` and
``eval_count`` (all generated tokens; no thinking/answer split). An error is a
bare ``{"error": "..."}`` line with the status unchanged.
"""

from __future__ import annotations

from typing import Any

from tokenscope.probe.dialects.base import Chunk, HttpCall, ParseError, error_text, loads
from tokenscope.probe.request import ProbeRequest
from tokenscope.probe.sse import SSEEvent


class OllamaParser:
    __slots__ = ()

    def parse(self, event: SSEEvent) -> Chunk | None:
        try:
            obj = loads(event.data)
        except ValueError as exc:
            raise ParseError(str(exc)) from None
        if not isinstance(obj, dict):
            raise ParseError("a line that is not a JSON object")
        chunk = Chunk()
        if obj.get("error"):
            chunk.error = error_text(obj["error"])
            return chunk
        message = obj.get("message") or {}
        if isinstance(message, dict):
            thinking = message.get("thinking")
            content = message.get("content")
            if isinstance(thinking, str):
                chunk.reasoning = thinking
            if isinstance(content, str):
                chunk.content = content
        if obj.get("done"):
            chunk.done = True
            chunk.finish_reason = str(obj.get("done_reason") or "stop")
            usage: dict[str, Any] = {}
            if "prompt_eval_count" in obj:
                usage["prompt_tokens"] = obj["prompt_eval_count"]
            if "eval_count" in obj:
                usage["completion_tokens"] = obj["eval_count"]
            chunk.usage = usage or None
        return chunk


class OllamaDialect:
    def build(
        self, request: ProbeRequest, api_key: str | None, dropped: frozenset[str] = frozenset()
    ) -> HttpCall:
        base = request.endpoint.base_url.rstrip("/")
        base = base.removesuffix("/v1")
        base = base.removesuffix("/api")
        options: dict[str, Any] = {}
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.seed is not None:
            options["seed"] = request.seed
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": "user", "content": request.question}],
            "stream": True,
        }
        if "think" not in dropped:
            # gpt-oss ignores booleans and needs a level (PROTOCOLS.md §6).
            body["think"] = request.effort or True
        if options:
            body["options"] = options
        headers = {"Accept": "application/x-ndjson"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return HttpCall(base + "/api/chat", headers, body, framing="ndjson")

    def parser(self) -> OllamaParser:
        return OllamaParser()

    def droppable(self, status: int, body: str) -> str | None:
        # Models without thinking answer 400 "... does not support thinking".
        if status == 400 and "think" in body:
            return "think"
        return None

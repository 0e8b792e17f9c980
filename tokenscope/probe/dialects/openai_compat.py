"""OpenAI-compatible chat completions over SSE (OpenAI, OpenRouter, DeepSeek, Groq,
Together, Fireworks, xAI, vLLM, llama.cpp, llama-cpp-python, Ollama /v1, LM Studio).

Reasoning arrives as ``reasoning_content`` (DeepSeek, llama.cpp, xAI, older
vLLM), ``reasoning`` (OpenRouter, vLLM, Ollama /v1, Together) or only in
``reasoning_details`` (OpenRouter). Usage may come in a ``choices: []`` chunk,
in a chunk that still has choices (OpenRouter) or in ``x_groq.usage`` (Groq).
"""

from __future__ import annotations

from typing import Any

from tokenscope.probe.dialects.base import Chunk, HttpCall, ParseError, error_text, loads
from tokenscope.probe.request import ProbeRequest
from tokenscope.probe.sse import SSEEvent

_loads = loads


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


class OpenAIParser:
    __slots__ = ()

    def parse(self, event: SSEEvent) -> Chunk | None:
        data = event.data
        # A JSON object cannot be [DONE]: the strip (a copy) only for what is not one.
        if data[:1] != "{" and (data[:6] == "[DONE]" or data.strip() == "[DONE]"):
            return Chunk(done=True)
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
                        chunk.error = "the provider ended the stream with finish_reason 'error'"
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

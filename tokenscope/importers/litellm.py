"""LiteLLM standard logging payloads, one JSON object per line.

A ``StandardLoggingPayload`` (what LiteLLM hands every logging callback as
``standard_logging_object``) has ``model``, ``prompt_tokens``,
``completion_tokens``, ``response_cost``, ``messages``, the ``response`` (an
OpenAI-style completion whose ``usage.completion_tokens_details`` holds
``reasoning_tokens`` where the provider reported them), ``status``,
``error_str`` and the ``startTime``, ``completionStartTime`` and ``endTime``
as Unix seconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tokenscope.importers.detect import Head
from tokenscope.importers.jsonio import child, file_values
from tokenscope.importers.records import (
    Draft,
    ImportFileError,
    Notes,
    content_identity,
    first,
    iso_utc,
    text_of,
    user_prompt,
)

NAME = "litellm"


def sniff(head: Head) -> bool:
    record = head.record
    if record is not None:
        return "call_type" in record and ("prompt_tokens" in record or "response_cost" in record)
    return '"call_type"' in head.text and '"response_cost"' in head.text


def read(path: Path, notes: Notes) -> Iterator[Draft]:
    seen = 0
    for line, payload in file_values(path, notes):
        seen += 1
        where = f"line {line}"
        if not isinstance(payload, dict):
            notes.skip(where, "not a JSON object")
            continue
        model = payload.get("model")
        if not isinstance(model, str) or not model:
            notes.skip(where, "no 'model' (not a logging payload)")
            continue
        if payload.get("call_type") in ("embedding", "aembedding", "moderation", "amoderation"):
            notes.skip(where, "not a completion (an embedding or moderation call)")
            continue
        call_id = payload.get("id")
        identity = call_id if isinstance(call_id, str) and call_id else content_identity(payload)
        yield Draft(where, identity, _run(payload, model))
    if not seen:
        raise ImportFileError("no logging payloads")


def _host(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    return urlsplit(url if "//" in url else f"//{url}").hostname


def _span(start: Any, end: Any) -> float | None:
    numbers = all(isinstance(t, int | float) and not isinstance(t, bool) for t in (start, end))
    if not numbers or end < start:
        return None
    return float(end - start)


def _choice(response: Any) -> Mapping[str, Any]:
    if not isinstance(response, dict):
        return {}
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0]
    return {}


def _run(payload: Mapping[str, Any], model: str) -> dict[str, Any]:
    response = payload.get("response")
    choice = _choice(response)
    message = child(choice, "message")
    usage = first(response, "usage") if isinstance(response, dict) else None
    details = first(usage, "completion_tokens_details")
    start, first_token, end = (
        payload.get("startTime"),
        payload.get("completionStartTime"),
        payload.get("endTime"),
    )
    ttft = _span(start, first_token)
    # Without streaming LiteLLM sets the first token's time to the end.
    if ttft is not None and first_token == end:
        ttft = None
    failed = payload.get("status") == "failure"
    error = payload.get("error_str")
    counts = {
        "tokens_prompt": payload.get("prompt_tokens"),
        "tokens_completion": payload.get("completion_tokens"),
        "cost_usd": payload.get("response_cost"),
    }
    if failed:
        # A failed call's payload says 0 tokens and $0 by default: unknown, not zero.
        counts = {k: (None if v == 0 else v) for k, v in counts.items()}
    return {
        "model": model,
        "endpoint": _host(payload.get("api_base")),
        "provider": payload.get("custom_llm_provider"),
        "prompt_text": user_prompt(payload.get("messages")),
        **counts,
        "tokens_reasoning_reported": first(details, "reasoning_tokens"),
        "answer": text_of(message.get("content")),
        "reasoning": message.get("reasoning_content"),
        "finish_reason": choice.get("finish_reason"),
        "duration_s": _span(start, end),
        "ttft_s": ttft,
        "status": "failed" if failed else "ok",
        "error": str(error).strip().splitlines()[0][:500] if failed and error else None,
        "created_at": iso_utc(end),
    }

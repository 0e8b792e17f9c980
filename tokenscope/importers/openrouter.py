"""OpenRouter generation records, as its generation endpoint returns them.

One record per line or a JSON array; each is the endpoint's ``{"data": {...}}``
or the bare object. Fields: ``native_tokens_prompt``,
``native_tokens_completion``, ``native_tokens_reasoning`` (the provider's own
tokenizer, the counts that are billed), ``total_cost`` (the reported cost),
``model``, ``provider_name``, ``finish_reason``, ``latency`` and
``generation_time`` (milliseconds).

A generation record carries no prompt text, so it joins a study prompt only
when the user saved the request beside it: a ``prompt`` string or the chat
``messages`` in the same object (or its envelope).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tokenscope.importers.detect import Head
from tokenscope.importers.jsonio import file_values
from tokenscope.importers.records import (
    Draft,
    ImportFileError,
    Notes,
    content_identity,
    first,
    iso_utc,
    user_prompt,
)

NAME = "openrouter"
ENDPOINT = "openrouter.ai"
_MARKERS = ("native_tokens_completion", "native_tokens_prompt")


def _body(record: Mapping[str, Any]) -> Mapping[str, Any]:
    data = record.get("data")
    return data if isinstance(data, dict) else record


def sniff(head: Head) -> bool:
    record = head.record
    if record is not None:
        return any(k in _body(record) for k in _MARKERS)
    return '"native_tokens_completion"' in head.text


def _records(path: Path, notes: Notes) -> Iterator[tuple[str, Any]]:
    for line, value in file_values(path, notes):
        if isinstance(value, list):
            for offset, element in enumerate(value):
                yield f"line {line} item {offset + 1}", element
        else:
            yield f"line {line}", value


def read(path: Path, notes: Notes) -> Iterator[Draft]:
    seen = 0
    for where, record in _records(path, notes):
        seen += 1
        if not isinstance(record, dict):
            notes.skip(where, "not a JSON object")
            continue
        body = _body(record)
        model = body.get("model")
        if not isinstance(model, str) or not model:
            notes.skip(where, "no 'model' (not a generation record)")
            continue
        yield Draft(where, _identity(body), _run(record, body, model))
    if not seen:
        raise ImportFileError("no generation records")


def _identity(body: Mapping[str, Any]) -> str:
    gen_id = body.get("id")
    return gen_id if isinstance(gen_id, str) and gen_id else content_identity(body)


def _ms(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 1000
    return value


def _run(record: Mapping[str, Any], body: Mapping[str, Any], model: str) -> dict[str, Any]:
    completion = body.get("native_tokens_completion")
    generation_s = _ms(body.get("generation_time"))
    rate = None
    if (
        isinstance(completion, int)
        and completion >= 0
        and isinstance(generation_s, float)
        and generation_s > 0
    ):
        rate = completion / generation_s
    prompt = first(body, "prompt", "messages") or first(record, "prompt", "messages")
    if body.get("cancelled") is True:
        status = "cancelled"
    else:
        status = "ok"
    return {
        "model": model,
        "endpoint": ENDPOINT,
        "provider": body.get("provider_name"),
        "prompt_text": user_prompt(prompt),
        "tokens_prompt": body.get("native_tokens_prompt"),
        "tokens_completion": completion,
        "tokens_reasoning_reported": body.get("native_tokens_reasoning"),
        "finish_reason": first(body, "finish_reason", "native_finish_reason"),
        "cost_usd": body.get("total_cost"),
        "duration_s": _ms(body.get("latency")),
        "tokens_per_s": rate,
        "status": status,
        "created_at": iso_utc(body.get("created_at")),
    }

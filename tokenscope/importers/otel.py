"""OpenTelemetry GenAI spans: OTLP JSON, or the Python SDK's console/JSON export.

OTLP JSON is what the collector's file exporter writes (one
``{"resourceSpans": [...]}`` request per line; attributes as
``{"key", "value": {"stringValue" | "intValue" | ...}}``, times in Unix
nanoseconds). The SDK's ``ConsoleSpanExporter`` prints each span's
``to_json()`` (``context.trace_id``, flat ``attributes``, ISO times), indented
and back to back.

GenAI fields (semantic conventions, plus OpenLLMetry's names):
``gen_ai.request.model`` / ``gen_ai.response.model``,
``gen_ai.usage.input_tokens`` / ``output_tokens``, reasoning from
``gen_ai.usage.reasoning.output_tokens`` or ``gen_ai.usage.reasoning_tokens``;
texts from ``gen_ai.input.messages`` / ``gen_ai.output.messages``,
OpenLLMetry's ``gen_ai.prompt.N.content`` / ``gen_ai.completion.N.content``, or
the older ``gen_ai.content.prompt`` / ``gen_ai.content.completion`` events.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokenscope.importers.detect import Head
from tokenscope.importers.jsonio import child, file_values
from tokenscope.importers.records import Draft, ImportFileError, Notes, first, iso_utc, text_of

NAME = "otel"
# Operations that are not one model answering one request; an agent span's
# usage would count its model calls twice.
NOT_GENERATIONS = frozenset(
    {"embeddings", "execute_tool", "create_agent", "invoke_agent", "invoke_workflow"}
)


@dataclass
class Span:
    trace_id: str
    span_id: str
    name: str
    start_s: float | None
    end_s: float | None
    attributes: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    error: str | None = None  # the status message of a span that ended in error
    failed: bool = False


def sniff(head: Head) -> bool:
    record = head.record
    if record is not None:
        if "resourceSpans" in record:
            return True
        context = record.get("context")
        return isinstance(context, dict) and "span_id" in context and "name" in record
    text = head.text[:4000]
    return '"resourceSpans"' in text or ('"span_id"' in text and '"trace_id"' in text)


# OTLP JSON ---------------------------------------------------------------------------


def _otlp_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        raw = value["intValue"]  # int64 travels as a string in OTLP JSON
        try:
            return int(raw)
        except (TypeError, ValueError):
            return raw
    if "doubleValue" in value:
        return value["doubleValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "arrayValue" in value:
        items = (value["arrayValue"] or {}).get("values") or []
        return [_otlp_value(v) for v in items]
    if "kvlistValue" in value:
        return _otlp_attributes((value["kvlistValue"] or {}).get("values"))
    return None


def _otlp_attributes(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {
        item["key"]: _otlp_value(item.get("value"))
        for item in items
        if isinstance(item, dict) and isinstance(item.get("key"), str)
    }


def _nanos(value: Any) -> float | None:
    try:
        return int(value) / 1e9 if value not in (None, "", "0", 0) else None
    except (TypeError, ValueError):
        return None


def _otlp_spans(request: Mapping[str, Any]) -> Iterator[Span | None]:
    for resource in request.get("resourceSpans") or []:
        if not isinstance(resource, dict):
            yield None
            continue
        scopes = resource.get("scopeSpans") or resource.get("instrumentationLibrarySpans") or []
        for scope in scopes:
            spans = scope.get("spans") if isinstance(scope, dict) else None
            for raw in spans or []:
                if not isinstance(raw, dict):
                    yield None
                    continue
                status = child(raw, "status")
                code = status.get("code")
                yield Span(
                    str(raw.get("traceId") or ""),
                    str(raw.get("spanId") or ""),
                    str(raw.get("name") or ""),
                    _nanos(raw.get("startTimeUnixNano")),
                    _nanos(raw.get("endTimeUnixNano")),
                    _otlp_attributes(raw.get("attributes")),
                    [
                        (str(e.get("name")), _otlp_attributes(e.get("attributes")))
                        for e in raw.get("events") or []
                        if isinstance(e, dict)
                    ],
                    error=status.get("message") or None,
                    failed=code in (2, "STATUS_CODE_ERROR"),
                )


# The SDK's console/JSON export ----------------------------------------------------------


def _iso_seconds(value: Any) -> float | None:
    from datetime import datetime

    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _console_span(raw: Mapping[str, Any]) -> Span:
    context = child(raw, "context")
    status = child(raw, "status")
    attributes = child(raw, "attributes")
    events = [
        (str(e.get("name")), dict(e.get("attributes") or {}))
        for e in raw.get("events") or []
        if isinstance(e, dict) and isinstance(e.get("attributes") or {}, dict)
    ]
    return Span(
        str(context.get("trace_id") or ""),
        str(context.get("span_id") or ""),
        str(raw.get("name") or ""),
        _iso_seconds(raw.get("start_time")),
        _iso_seconds(raw.get("end_time")),
        dict(attributes),
        events,
        error=status.get("description") or None,
        failed=status.get("status_code") == "ERROR",
    )


def _spans(path: Path, notes: Notes) -> Iterator[tuple[str, Span]]:
    for line, value in file_values(path, notes):
        for doc in value if isinstance(value, list) else [value]:
            if isinstance(doc, dict) and "resourceSpans" in doc:
                for span in _otlp_spans(doc):
                    if span is None:
                        notes.skip(f"line {line}", "a span is not a JSON object")
                    else:
                        yield f"span {span.span_id or '?'} (line {line})", span
            elif isinstance(doc, dict) and isinstance(doc.get("context"), dict):
                span = _console_span(doc)
                yield f"span {span.span_id or '?'} (line {line})", span
            else:
                notes.skip(f"line {line}", "neither OTLP JSON nor an exported span")


# GenAI attributes -> a run ------------------------------------------------------------------


def _messages(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return [{"role": "user", "content": value}]
    if isinstance(value, dict):
        value = [value]
    return value if isinstance(value, list) else []


def _parts(messages: list[Any], roles: tuple[str, ...], kind: str) -> str | None:
    """Text of one kind ('text' or 'reasoning') from semantic-convention messages."""
    texts = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role", roles[0]) not in roles:
            continue
        parts = message.get("parts")
        if isinstance(parts, list):
            for part in parts:
                if isinstance(part, dict) and part.get("type") == kind:
                    content = part.get("content")
                    if isinstance(content, str):
                        texts.append(content)
        elif kind == "text":
            content = text_of(message.get("content"))
            if content is not None:
                texts.append(content)
    return "\n\n".join(texts) if texts else None


def _indexed(attributes: Mapping[str, Any], prefix: str, roles: tuple[str, ...]) -> str | None:
    """OpenLLMetry's ``gen_ai.prompt.0.content`` style, in index order."""
    texts = []
    index = 0
    while f"{prefix}.{index}.content" in attributes or f"{prefix}.{index}.role" in attributes:
        role = attributes.get(f"{prefix}.{index}.role", roles[0])
        content = attributes.get(f"{prefix}.{index}.content")
        if role in roles and isinstance(content, str):
            texts.append(content)
        index += 1
    return "\n\n".join(texts) if texts else None


def _event_text(span: Span, event: str, key: str, roles: tuple[str, ...]) -> str | None:
    for name, attributes in span.events:
        if name == event and key in attributes:
            return _parts(_messages(attributes[key]), roles, "text")
    return None


def _texts(span: Span) -> tuple[str | None, str | None, str | None]:
    a = span.attributes
    user, assistant = ("user",), ("assistant",)
    inputs = _messages(a.get("gen_ai.input.messages"))
    outputs = _messages(a.get("gen_ai.output.messages"))
    prompt = (
        _parts(inputs, user, "text")
        or _indexed(a, "gen_ai.prompt", user)
        or _event_text(span, "gen_ai.content.prompt", "gen_ai.prompt", user)
    )
    answer = (
        _parts(outputs, assistant, "text")
        or _indexed(a, "gen_ai.completion", assistant)
        or _event_text(span, "gen_ai.content.completion", "gen_ai.completion", assistant)
    )
    reasoning = _parts(outputs, assistant, "reasoning")
    return prompt, answer, reasoning


def _finish_reason(attributes: Mapping[str, Any]) -> Any:
    reasons = attributes.get("gen_ai.response.finish_reasons")
    if isinstance(reasons, list | tuple):
        return reasons[0] if reasons else None
    if reasons is not None:
        return reasons
    outputs = _messages(attributes.get("gen_ai.output.messages"))
    return first(outputs[0], "finish_reason") if outputs else None


def _run(span: Span, model: str) -> dict[str, Any]:
    a = span.attributes
    prompt, answer, reasoning = _texts(span)
    duration = None
    if span.start_s is not None and span.end_s is not None and span.end_s >= span.start_s:
        duration = span.end_s - span.start_s
    error = span.error or a.get("error.type")
    return {
        "model": model,
        "endpoint": a.get("server.address") if isinstance(a.get("server.address"), str) else None,
        "provider": first(a, "gen_ai.provider.name", "gen_ai.system"),
        "prompt_text": prompt,
        "tokens_prompt": first(a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
        "tokens_completion": first(
            a, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"
        ),
        "tokens_reasoning_reported": first(
            a, "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"
        ),
        "answer": answer,
        "reasoning": reasoning,
        "finish_reason": _finish_reason(a),
        "duration_s": duration,
        "status": "failed" if span.failed else "ok",
        "error": str(error).strip().splitlines()[0][:500] if span.failed and error else None,
        "created_at": iso_utc(span.end_s),
    }


def _hex(span_id: str) -> str:
    # The console export writes ids as 0x-prefixed hex, OTLP JSON as bare hex:
    # the same span must get the same run id from either.
    return span_id.lower().removeprefix("0x")


def read(path: Path, notes: Notes) -> Iterator[Draft]:
    spans = 0
    for where, span in _spans(path, notes):
        spans += 1
        a = span.attributes
        if not any(key.startswith("gen_ai.") for key in a):
            notes.skip(where, "no GenAI attributes (gen_ai.*): not a model call")
            continue
        operation = a.get("gen_ai.operation.name")
        if operation in NOT_GENERATIONS:
            notes.skip(where, f"a '{operation}' span, not one model call")
            continue
        model = first(a, "gen_ai.request.model", "gen_ai.response.model")
        if not isinstance(model, str) or not model:
            notes.skip(where, "a GenAI span that names no model")
            continue
        identity = f"{_hex(span.trace_id)}/{_hex(span.span_id)}"
        yield Draft(where, identity, _run(span, model))
    if not spans:
        raise ImportFileError("no spans")

"""Reading the JSON the tools write: one document, one value per line, or values back to back.

Exporters disagree: the OpenTelemetry console exporter prints indented objects
one after another, the collector and LiteLLM write one object per line, and
Inspect and promptfoo write a single document. ``json_values`` reads all of
them, and a broken value costs only itself: it is noted, and reading resumes on
the next line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tokenscope.importers.records import ImportFileError, Notes

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\r\n"


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(exc.strerror or str(exc)) from exc
    if not data.strip():
        raise ImportFileError("empty file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"not UTF-8 text (byte {exc.start})") from exc


def json_values(text: str, notes: Notes) -> Iterator[tuple[int, object]]:
    """Each top-level JSON value with the line it starts on; broken ones go to ``notes``."""
    pos, line, end = 0, 1, len(text)
    while True:
        while pos < end and text[pos] in _WHITESPACE:
            if text[pos] == "\n":
                line += 1
            pos += 1
        if pos >= end:
            return
        try:
            value, stop = _DECODER.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            notes.skip(f"line {line}", f"not valid JSON ({why})")
            # Resume after this line: a torn or garbled record costs only itself.
            newline = text.find("\n", pos)
            if newline < 0:
                return
            pos, line = newline + 1, line + 1
            continue
        yield line, value
        line += text.count("\n", pos, stop)
        pos = stop


def file_values(path: Path, notes: Notes) -> Iterator[tuple[int, object]]:
    return json_values(read_text(path), notes)


def load_document(path: Path) -> object:
    """A file holding one JSON document (Inspect, promptfoo)."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"not valid JSON at line {exc.lineno} ({exc.msg})") from exc
    except RecursionError as exc:
        raise ImportFileError("JSON nested too deeply") from exc


def child(obj: Any, key: str) -> dict[str, Any]:
    """``obj[key]`` when both are JSON objects, else an empty one: logs leave fields out."""
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}

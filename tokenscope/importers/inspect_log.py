"""Inspect (``inspect-ai``) logs: the ``.eval`` zip and the ``.json`` log.

Read with the standard library: an ``.eval`` file is a zip of JSON entries
(``header.json`` or ``_journal/start.json`` for the eval's spec, one
``samples/<id>_epoch_<n>.json`` per sample), and a ``.json`` log is the same
EvalLog as one document. Going through ``inspect_ai.log.read_eval_log`` would
make a large package a dependency and validate every sample with pydantic, to
read a dozen fields. Inspect compresses entries with zstd, which ``zipfile``
reads only from Python 3.14; before that pyarrow (already a dependency)
decompresses them. A truncated zip (a copy cut short, a log still being
written) still yields every sample before the cut.

Per sample: ``model_usage[<eval model>]`` gives ``input_tokens``,
``output_tokens`` and ``reasoning_tokens``; ``input`` the question; the output
message the answer and any reasoning text; ``scores`` the success where the
scorer is binary or numeric 0-1; ``total_time`` the duration.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tokenscope.importers.detect import ZIP_MAGIC, Head
from tokenscope.importers.jsonio import load_document
from tokenscope.importers.records import (
    Draft,
    ImportFileError,
    Notes,
    first,
    iso_utc,
    text_of,
    user_prompt,
)

NAME = "inspect"
SPEC_ENTRIES = ("header.json", "_journal/start.json")
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_UNKNOWN_SIZE = 0xFFFFFFFF
ZIP_ZSTANDARD = 93  # the zip method id Inspect writes (zipfile.ZIP_ZSTANDARD on 3.14+)

# Inspect's own letter grades (inspect_ai.scorer: CORRECT, INCORRECT, PARTIAL, NOANSWER).
_GRADES = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
_WORDS = {"yes": 1.0, "true": 1.0, "correct": 1.0, "no": 0.0, "false": 0.0, "incorrect": 0.0}


def sniff(head: Head) -> bool:
    if head.is_zip:
        return any(n in SPEC_ENTRIES or n.startswith("samples/") for n in head.zip_names)
    record = head.record
    if record is not None:
        spec = record.get("eval")
        return isinstance(spec, dict) and "task" in spec and "version" in record
    # A log larger than the head: its first keys are still there.
    start = head.text.lstrip()[:400]
    return start.startswith("{") and '"eval"' in start and '"task' in start


def read(path: Path, notes: Notes) -> Iterator[Draft]:
    with path.open("rb") as handle:
        magic = handle.read(len(ZIP_MAGIC))
    if magic == ZIP_MAGIC:
        yield from _read_zip(path, notes)
        return
    log = load_document(path)
    if not isinstance(log, dict) or not isinstance(log.get("eval"), dict):
        raise ImportFileError("not an Inspect log (no 'eval' section)")
    samples = log.get("samples")
    if not isinstance(samples, list) or not samples:
        raise ImportFileError(
            "the Inspect log holds no samples (was it written with --no-log-samples?)"
        )
    for index, sample in enumerate(samples, start=1):
        draft = _draft(sample, log["eval"], f"sample {index}", notes)
        if draft is not None:
            yield draft


def _read_zip(path: Path, notes: Notes) -> Iterator[Draft]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        yield from _read_truncated(path, notes)
        return
    with archive, path.open("rb") as handle:
        infos = {info.filename: info for info in archive.infolist()}

        def entry(name: str) -> bytes:
            return _member(archive, handle, infos[name])

        spec = _spec(entry, list(infos))
        samples = sorted(n for n in infos if n.startswith("samples/") and n.endswith(".json"))
        if not samples:
            raise ImportFileError("the .eval log holds no samples")
        for name in samples:
            try:
                sample = json.loads(entry(name))
            except (zipfile.BadZipFile, zlib.error, ValueError, NotImplementedError) as exc:
                notes.skip(name, f"unreadable sample ({_first_line(exc)})")
                continue
            draft = _draft(sample, spec, name, notes)
            if draft is not None:
                yield draft


def _member(archive: zipfile.ZipFile, handle, info: zipfile.ZipInfo) -> bytes:
    if info.compress_type != ZIP_ZSTANDARD:
        return archive.read(info)
    # Inspect writes zstd members, which zipfile reads only from Python 3.14 on.
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or not header.startswith(ZIP_MAGIC):
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    fields = _LOCAL_HEADER.unpack(header)
    handle.seek(info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10])
    return _decompress(info.compress_type, handle.read(info.compress_size), info.file_size)


def _decompress(method: int, raw: bytes, size: int) -> bytes:
    if method == 0:
        return raw
    if method == 8:
        return zlib.decompress(raw, -15)
    if method == ZIP_ZSTANDARD:
        import pyarrow  # a tokenscope dependency already (Arrow tables); reads zstd

        try:
            return pyarrow.Codec("zstd").decompress(raw, decompressed_size=size, asbytes=True)
        except (OSError, pyarrow.ArrowException) as exc:
            raise ValueError(f"zstd: {exc}") from exc
    raise ValueError(f"zip compression method {method} is not supported")


def _spec(read_entry, names: list[str]) -> Mapping[str, Any]:
    for entry in SPEC_ENTRIES:
        if entry in names:
            try:
                doc = json.loads(read_entry(entry))
            except (zipfile.BadZipFile, zlib.error, ValueError, NotImplementedError):
                continue
            if isinstance(doc, dict) and isinstance(doc.get("eval"), dict):
                return doc["eval"]
    raise ImportFileError("the .eval log has no readable header (header.json)")


def _read_truncated(path: Path, notes: Notes) -> Iterator[Draft]:
    entries = dict(_salvage(path.read_bytes()))
    if not entries:
        raise ImportFileError("not a readable zip (truncated or damaged .eval)")
    spec = _spec(entries.__getitem__, list(entries))
    samples = sorted(n for n in entries if n.startswith("samples/") and n.endswith(".json"))
    if not samples:
        raise ImportFileError("truncated .eval zip: no sample is complete before the cut")
    notes.remark(
        f"the zip is cut short (truncated .eval); read the {len(samples)} samples before the cut"
    )
    for name in samples:
        try:
            sample = json.loads(entries[name])
        except (json.JSONDecodeError, ValueError) as exc:
            notes.skip(name, f"unreadable sample ({_first_line(exc)})")
            continue
        draft = _draft(sample, spec, name, notes)
        if draft is not None:
            yield draft


def _salvage(data: bytes) -> Iterator[tuple[str, bytes]]:
    """Whole entries of a zip whose end (the central directory) is missing.

    Stops at the first entry cut by the end of the data; a later copy of a
    name replaces an earlier one, as the central directory would have said.
    """
    pos = 0
    while data.startswith(ZIP_MAGIC, pos) and pos + _LOCAL_HEADER.size <= len(data):
        fields = _LOCAL_HEADER.unpack_from(data, pos)
        flags, method, compressed, size = fields[2], fields[3], fields[7], fields[8]
        name_len, extra_len = fields[9], fields[10]
        start = pos + _LOCAL_HEADER.size
        name = data[start : start + name_len].decode("utf-8", "replace")
        body = start + name_len + extra_len
        if flags & 0x08 or _UNKNOWN_SIZE in (compressed, size):
            return  # sizes written after the data: the entry's end is unknown
        if body + compressed > len(data):
            return
        try:
            yield name, _decompress(method, data[body : body + compressed], size)
        except (zlib.error, ValueError):
            return
        pos = body + compressed


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


def score_value(value: Any) -> float | None:
    """A score as success 0-1: binary grades and numbers in [0, 1]; anything else is ungraded."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value) if 0 <= value <= 1 else None
    if isinstance(value, str):
        word = value.strip()
        if word in _GRADES:
            return _GRADES[word]
        if word.lower() in _WORDS:
            return _WORDS[word.lower()]
        try:
            number = float(word)
        except ValueError:
            return None
        return number if 0 <= number <= 1 else None
    return None


def _score(scores: Any) -> tuple[float | None, str | None]:
    if not isinstance(scores, dict):
        return None, None
    for scorer, result in scores.items():
        value = result.get("value") if isinstance(result, dict) else None
        number = score_value(value)
        if number is not None:
            return number, f"inspect:{scorer}"
    return None, None


def _usage(sample: Mapping[str, Any], model: str | None) -> Mapping[str, Any] | None:
    usage = sample.get("model_usage")
    if isinstance(usage, dict) and usage:
        if model in usage:
            return usage[model]
        if len(usage) == 1:
            return next(iter(usage.values()))
        return None
    # Logs from before per-sample model_usage: the output's own usage.
    output = sample.get("output")
    return output.get("usage") if isinstance(output, dict) else None


def _input_tokens(usage: Mapping[str, Any] | None) -> Any:
    """All prompt tokens: Inspect counts cache reads and writes apart from input_tokens."""
    count = first(usage, "input_tokens")
    if not isinstance(count, int) or isinstance(count, bool):
        return count  # left to the checks, which say what is wrong with it
    for key in ("input_tokens_cache_read", "input_tokens_cache_write"):
        extra = first(usage, key)
        if isinstance(extra, int) and not isinstance(extra, bool) and extra > 0:
            count += extra
    return count


def _message_texts(output: Any) -> tuple[str | None, str | None, str | None]:
    """Answer text, reasoning text and stop reason of the sample's output."""
    if not isinstance(output, dict):
        return None, None, None
    choices = output.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else {}
    message = choice.get("message") if isinstance(choice, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    answer, reasoning = None, None
    if isinstance(content, str):
        answer = content
    elif isinstance(content, list):
        answer = text_of(content)
        thoughts = [
            part["reasoning"]
            for part in content
            if isinstance(part, dict)
            and part.get("type") == "reasoning"
            and not part.get("redacted")
            and isinstance(part.get("reasoning"), str)
        ]
        reasoning = "\n\n".join(thoughts) if thoughts else None
    if answer is None and isinstance(output.get("completion"), str):
        answer = output["completion"]
    stop = choice.get("stop_reason") if isinstance(choice, dict) else None
    return answer, reasoning, stop


def _draft(sample: Any, spec: Mapping[str, Any], where: str, notes: Notes) -> Draft | None:
    if not isinstance(sample, dict):
        notes.skip(where, "a sample is not a JSON object")
        return None
    model = spec.get("model") if isinstance(spec.get("model"), str) else None
    usage = _usage(sample, model)
    if model is None:
        notes.skip(where, "the log names no model")
        return None
    answer, reasoning, stop = _message_texts(sample.get("output"))
    score, grader = _score(sample.get("scores"))
    error = sample.get("error")
    message = first(error, "message") if isinstance(error, dict) else error
    epoch = sample.get("epoch")
    sample_id = sample.get("id")
    eval_id = first(spec, "eval_id", "run_id", "task_id") or ""
    identity = sample.get("uuid") or f"{eval_id}/{sample_id}/{epoch}"
    run = {
        "model": model,
        "prompt_text": user_prompt(sample.get("input")),
        "tokens_prompt": _input_tokens(usage),
        "tokens_completion": first(usage, "output_tokens"),
        "tokens_reasoning_reported": first(usage, "reasoning_tokens"),
        "answer": answer,
        "reasoning": reasoning,
        "finish_reason": stop,
        "score": score,
        "grader": grader,
        "duration_s": sample.get("total_time"),
        "cost_usd": first(usage, "total_cost"),
        "status": "failed" if message else "ok",
        "error": str(message).strip().splitlines()[0][:500] if message else None,
        "sample_index": epoch - 1 if isinstance(epoch, int) and epoch >= 1 else None,
        "suite": spec.get("task") if isinstance(spec.get("task"), str) else None,
        "created_at": iso_utc(first(sample, "completed_at", "started_at") or spec.get("created")),
    }
    return Draft(where, str(identity), run)

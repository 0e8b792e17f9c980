"""The user's results store: one append-only JSONL file, fsynced per record.

A crash or ``kill -9`` can at worst leave a torn last line. Earlier lines are
never rewritten, so they are never lost; the loader skips the torn line with a
message, and the next append starts on a fresh line so it cannot be glued to
the fragment.

Every writer (``tokenscope ask``, ``tokenscope run``, the app) stores through
``to_record``, which guards the file for all later readers:

- a value that does not fit its column (a count of 2**70, a negative count, a
  score of 7, text where a number belongs) is stored as null, and the run's
  ``error`` says so as a warning (``warning: tokens_completion ... is out of
  range; stored as null``); the rest of the run is kept as it came;
- secrets are replaced with ``***`` in every text (see ``tokenscope.redact``),
  and the warning says ``redacted a secret``.

The file and its folder are readable by their owner only (0600 and 0700).
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tokenscope import paths
from tokenscope.data.schema import RUN_COLUMNS
from tokenscope.data.values import clean_value
from tokenscope.redact import Redactor, redactor

WARNING = "warning: "

STORE_FILE_NAME = "tokenscope-runs.jsonl"


def store_path(results_dir: Path | None = None) -> Path:
    return (results_dir or paths.results_dir()) / STORE_FILE_NAME


def new_run_id() -> str:
    return uuid.uuid4().hex


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _clean(value: Any) -> Any:
    # JSON has no NaN or infinity; a missing number is null.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def with_warnings(error: str | None, notes: list[str]) -> str | None:
    """The run's ``error`` with ``notes`` added the way the probe writes warnings."""
    if not notes:
        return error
    text = "; ".join(notes)
    if not error:
        return WARNING + text
    if error.startswith(WARNING):
        return f"{error}; {text}"
    return f"{error}; {WARNING}{text}"


def _store_redactor() -> Redactor:
    # The configured endpoints name key variables too; a broken config must not stop a store.
    from tokenscope.config import ConfigError, load_settings

    try:
        return redactor(load_settings().endpoints.values())
    except ConfigError:
        return redactor()


def to_record(run: Mapping[str, Any], redact: Redactor | None = None) -> dict[str, Any]:
    """Keep only schema columns, fill the bookkeeping ones, refuse unknown keys.

    Values that do not fit become null with a warning; secrets become ``***``.
    """
    unknown = run.keys() - RUN_COLUMNS.keys()
    if unknown:
        raise ValueError(f"not run schema columns: {', '.join(sorted(unknown))}")
    redact = redact or _store_redactor()
    record: dict[str, Any] = dict.fromkeys(RUN_COLUMNS)
    notes: list[str] = []
    redacted = False
    for name, raw in run.items():
        value, why = clean_value(name, _clean(raw))
        if why:
            notes.append(f"{why}; stored as null")
        elif type(value) is str and (safe := redact(value)) != value:
            value, redacted = safe, True
        record[name] = value
    # The notes may quote a value, and the error may be one the redactor has not seen yet.
    record["error"] = with_warnings(record["error"], notes)
    if record["error"] and (safe := redact(record["error"])) != record["error"]:
        record["error"], redacted = safe, True
    if redacted:
        record["error"] = with_warnings(record["error"], ["redacted a secret"])
    record["run_id"] = record["run_id"] or new_run_id()
    record["source"] = "user"
    record["created_at"] = record["created_at"] or now_iso()
    return record


def append_runs(runs: Iterable[Mapping[str, Any]], results_dir: Path | None = None) -> list[str]:
    """Append runs durably and return their ids.

    Each record is one ``write`` of one line under an exclusive lock, followed
    by ``fsync``, so concurrent writers (the app and a ``tokenscope run`` in
    another terminal) interleave whole lines only.
    """
    runs = list(runs)
    if not runs:
        return []
    redact = _store_redactor()
    records = [to_record(r, redact) for r in runs]
    path = store_path(results_dir)
    paths.private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        prefix = b""
        if size:
            os.lseek(fd, size - 1, os.SEEK_SET)
            if os.read(fd, 1) != b"\n":
                prefix = b"\n"  # a torn line from a crash: start afresh
        payload = prefix + b"".join(
            (json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
            for r in records
        )
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    _fsync_dir(path.parent)
    return [r["run_id"] for r in records]


def append_run(run: Mapping[str, Any], results_dir: Path | None = None) -> str:
    return append_runs([run], results_dir)[0]


def _fsync_dir(directory: Path) -> None:
    # Makes a newly created file's directory entry durable too.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

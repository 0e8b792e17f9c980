"""The user's results store: one append-only JSONL file, fsynced per record.

A crash or ``kill -9`` can at worst leave a torn last line. Earlier lines are
never rewritten, so they are never lost; the loader skips the torn line with a
message, and the next append starts on a fresh line so it cannot be glued to
the fragment.
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


def to_record(run: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only schema columns, fill the bookkeeping ones, refuse unknown keys."""
    unknown = set(run) - set(RUN_COLUMNS)
    if unknown:
        raise ValueError(f"not run schema columns: {', '.join(sorted(unknown))}")
    record = {name: _clean(run.get(name)) for name in RUN_COLUMNS}
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
    records = [to_record(r) for r in runs]
    if not records:
        return []
    path = store_path(results_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
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

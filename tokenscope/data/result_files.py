"""Which files in the results folder count, a cheap signature of them, and a safe read of one.

No Polars here: the app uses the signature at start-up, before Polars loads.
A name is a name, never a pattern: ``results[1].csv`` and ``*.parquet`` are
files like any other.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from tokenscope.errors import UserError

# .json and .eval: other tools' logs, read when their content says which tool made them.
RESULT_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet", ".json", ".eval")
READ_CHUNK = 1 << 20


class LoadError(UserError):
    """A file could not be read; the message is one line for the user."""


def result_files(directory: Path) -> list[Path]:
    """Every entry with a results suffix, whatever it is: what cannot be read is reported."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    return sorted(
        Path(e.path) for e in entries if os.path.splitext(e.name)[1].lower() in RESULT_SUFFIXES
    )


def signature(directory: Path) -> tuple:
    """Changes whenever a result file is added, removed or written."""
    sig: list[tuple[str, int | None, int | None, int | None]] = []
    for path in result_files(directory):
        try:
            st = path.stat()
        except OSError:
            sig.append((path.name, None, None, None))
            continue
        sig.append((path.name, st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(sig)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _stat(path: Path) -> os.stat_result:
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LoadError("a symbolic link loop; not read") from exc
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise LoadError("a broken symbolic link; not read") from exc
        if exc.errno == errno.ENOENT:
            raise LoadError("removed while being read") from exc
        raise LoadError(f"cannot be read ({exc.strerror or type(exc).__name__})") from exc
    if not stat.S_ISREG(st.st_mode):
        raise LoadError(f"{_kind(st.st_mode)}, not a results file; not read")
    return st


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (
        b.st_dev,
        b.st_ino,
        b.st_size,
        b.st_mtime_ns,
    )


@dataclass(frozen=True)
class Snapshot:
    """A file's bytes as read, and whether it was still changing while they were read."""

    data: bytes
    stat: os.stat_result
    changing: bool


def _read_once(path: Path) -> tuple[bytes, os.stat_result, bool]:
    before = _stat(path)
    try:
        # O_NONBLOCK: a name swapped for a named pipe after the check cannot block us.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise LoadError(f"cannot be read ({exc.strerror or type(exc).__name__})") from exc
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise LoadError(f"{_kind(opened.st_mode)}, not a results file; not read")
        parts = []
        while chunk := os.read(fd, READ_CHUNK):
            parts.append(chunk)
        after = os.fstat(fd)
    except OSError as exc:
        raise LoadError(f"cannot be read ({exc.strerror or type(exc).__name__})") from exc
    finally:
        os.close(fd)
    data = b"".join(parts)
    try:
        now = os.stat(path)
    except OSError:
        now = None
    steady = (
        _same(before, opened)
        and _same(opened, after)
        and now is not None
        and _same(after, now)
        and len(data) == after.st_size
    )
    return data, after, not steady


def read_snapshot(path: Path) -> Snapshot:
    """The whole file in memory, read again once if it changed while being read.

    Readers parse this copy, never the file: a file rewritten or truncated
    under a memory map can crash the process (SIGBUS) or the Parquet reader.
    """
    data, st, changing = _read_once(path)
    if changing:
        data, st, changing = _read_once(path)
    return Snapshot(data, st, changing)

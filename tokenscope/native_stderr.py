"""Keep native libraries' messages off the screen and out of the CLI's one-line errors.

Textual paints on ``sys.__stderr__``, which is file descriptor 2, and so is
where native code writes: a Rust panic inside Polars (a corrupt Parquet page
can still cause one) prints its message and backtrace there, right over the
screen, even though Python catches the panic and reports the file in one
line. While a command or the app runs, fd 2 points at a log file in the cache
folder instead, and ``sys.stderr`` (which Textual paints on) at a duplicate of
the terminal, so everything Python says still reaches it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tokenscope import paths

LOG_NAME = "native-stderr.log"
LOG_LIMIT = 1 << 20  # start the log afresh past this size
_active = False


@contextmanager
def native_stderr_to(log: Path | None = None) -> Iterator[None]:
    """Send fd 2 to ``log`` (0600) while the block runs; Python's stderr stays on the terminal."""
    global _active
    original = sys.__stderr__
    if _active or original is None or sys.stderr is not original:
        yield  # already done, or stderr is captured (tests): leave it be
        return
    log = log or paths.cache_dir() / LOG_NAME
    try:
        original.flush()
        paths.private_dir(log.parent)
        fresh = os.O_TRUNC if log.exists() and log.stat().st_size > LOG_LIMIT else 0
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | fresh
        target = os.open(log, flags, 0o600)
        terminal = os.dup(2)
    except OSError:
        yield
        return
    stream = os.fdopen(
        terminal, "w", encoding=original.encoding, errors=original.errors, buffering=1
    )
    os.dup2(target, 2)
    os.close(target)
    # Textual writes to sys.__stderr__ too; typeshed marks it Final, but it must follow fd 2.
    sys.stderr = sys.__stderr__ = stream  # type: ignore[misc]
    _active = True
    try:
        yield
    finally:
        _active = False
        stream.flush()
        os.dup2(terminal, 2)
        sys.stderr = sys.__stderr__ = original  # type: ignore[misc]
        stream.close()

"""Bring your own results: read the logs of other eval and tracing tools as tokenscope runs.

One module per format, each with ``NAME``, ``sniff(head)`` and
``read(path, notes)`` yielding ``Draft`` records; ``detect`` tells the format
from a file's content; ``session`` plans and applies an import. The loader
calls ``sniff`` and ``read`` below for a file of one of these formats dropped
into the results folder. No Textual, and no Polars until a plan is summarised.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from tokenscope.importers import inspect_log, litellm, openrouter, otel, promptfoo
from tokenscope.importers.records import ImportFileError

# Sniffed in this order: the first whose markers a file carries wins.
READERS: dict[str, ModuleType] = {
    m.NAME: m for m in (inspect_log, promptfoo, otel, litellm, openrouter)
}
FORMATS = tuple(READERS)
__all__ = ["FORMATS", "READERS", "ImportFileError", "read", "sniff"]


def sniff(path: Path) -> str | None:
    """The format of a file, from its content: one of ``FORMATS``, or None."""
    from tokenscope.importers.detect import sniff as sniff_path

    return sniff_path(path)


def read(path: Path, fmt: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """A file's records as run-schema rows, and one note per kind of thing skipped.

    Raises ``ImportFileError`` (a ``UserError``) when the file cannot be read
    at all; its message is the reason, without the file name.
    """
    from tokenscope.importers.session import read_file

    result = read_file(path, fmt)
    if result.error is not None:
        raise ImportFileError(result.error)
    return result.runs, result.notes.lines()

"""Which files in the results folder count, and a cheap signature of them.

No Polars here: the app uses the signature at start-up, before Polars loads.
"""

from __future__ import annotations

from pathlib import Path

RESULT_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet")


def result_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in RESULT_SUFFIXES
    )


def signature(directory: Path) -> tuple:
    """Changes whenever a result file is added, removed or written."""
    sig = []
    for path in result_files(directory):
        try:
            st = path.stat()
        except OSError:
            continue
        sig.append((path.name, st.st_mtime_ns, st.st_size))
    return tuple(sig)

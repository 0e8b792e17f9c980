"""The last default leaderboard, kept on disk so the app can paint it before Polars loads.

The cache is keyed on everything the default leaderboard depends on: the
tokenscope version, the bundled runs file and the user's result files. A stale
or unreadable cache is simply ignored; the live computation replaces it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tokenscope import __version__, paths
from tokenscope.data.result_files import signature

CACHE_NAME = "leaderboard-cache.json"


def _key() -> str:
    runs = paths.bundled_dir() / "runs.parquet"
    try:
        st = runs.stat()
        bundled = [st.st_mtime_ns, st.st_size]
    except OSError:
        bundled = None
    results = paths.results_dir()
    return json.dumps([__version__, bundled, str(results), list(signature(results))])


def cache_file() -> Path:
    return paths.cache_dir() / CACHE_NAME


def load() -> list[dict[str, Any]] | None:
    """The cached rows when they still describe the data on disk, else None."""
    try:
        doc = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("key") != _key():
        return None
    rows = doc.get("rows")
    return rows if isinstance(rows, list) and all(isinstance(r, dict) for r in rows) else None


def save(rows: list[dict[str, Any]]) -> None:
    """Write atomically; failure to cache is never an error."""
    target = cache_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{CACHE_NAME}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": _key(), "rows": rows}, default=str), encoding="utf-8")
        tmp.replace(target)
    except OSError:
        pass

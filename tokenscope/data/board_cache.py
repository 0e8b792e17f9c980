"""The default leaderboard on disk, so the app can paint it before Polars loads.

Two files serve the first frame. The cache holds the last default leaderboard
the app computed, keyed on everything it depends on: the tokenscope version,
the edition, the bundled runs files, the user's result files, the config
file (its prices and sources) and the pulled copies of the sources. The
shipped board (``bundled_results/leaderboard.json``, written by
``scripts/build_bundled_results.py``) is the same table for the default
edition of the bundled study alone, so even the very first launch paints at
once while the results folder is empty. A stale or unreadable
file is ignored; the live computation replaces what was painted either way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenscope import __version__, paths
from tokenscope.data.editions import DEFAULT_EDITION, table_files
from tokenscope.data.result_files import signature

if TYPE_CHECKING:
    from tokenscope.data.loader import Dataset

CACHE_NAME = "leaderboard-cache.json"
SHIPPED_NAME = "leaderboard.json"


def _bundled_runs_stat() -> list[list[int] | None]:
    # Both runs files: the August base and the update the latest edition adds.
    stats: list[list[int] | None] = []
    for path in table_files(paths.bundled_dir(), "runs"):
        try:
            st = path.stat()
        except OSError:
            stats.append(None)
        else:
            stats.append([st.st_mtime_ns, st.st_size])
    return stats


def _config_stat() -> list[int] | None:
    # The user's [prices] change the costs: a board from another config is stale.
    try:
        st = paths.config_file().stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def _sources_stat() -> list[list[Any]]:
    # A pull (or a newly checked part) rewrites the source's state file in the cache:
    # the board then holds other runs, and one painted from before would be stale.
    stats: list[list[Any]] = []
    for state in sorted((paths.cache_dir() / "sources").glob("*/state.json")):
        try:
            st = state.stat()
        except OSError:
            continue
        stats.append([state.parent.name, st.st_mtime_ns, st.st_size])
    return stats


def _key(edition: str) -> str:
    results = paths.results_dir()
    return json.dumps(
        [
            __version__,
            edition,
            _bundled_runs_stat(),
            str(results),
            list(signature(results)),
            _config_stat(),
            _sources_stat(),
        ]
    )


def _shipped_key() -> str:
    # A checkout or an install sets its own mtimes: only the size can identify the file.
    sizes = [stat[1] if stat else None for stat in _bundled_runs_stat()]
    return json.dumps(["bundled", DEFAULT_EDITION, sizes])


def cache_file() -> Path:
    return paths.cache_dir() / CACHE_NAME


def shipped_file() -> Path:
    return paths.bundled_dir() / SHIPPED_NAME


def _read(path: Path, key: str) -> list[dict[str, Any]] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("key") != key:
        return None
    rows = doc.get("rows")
    return rows if isinstance(rows, list) and all(isinstance(r, dict) for r in rows) else None


def load(edition: str = DEFAULT_EDITION) -> list[dict[str, Any]] | None:
    """Rows that still describe the data on disk (the cache, else the shipped board), or None.

    The shipped board is the default edition's; another edition has only the cache.
    """
    rows = _read(cache_file(), _key(edition))
    bundled_only = not signature(paths.results_dir()) and not _sources_stat()
    if rows is None and edition == DEFAULT_EDITION and bundled_only:
        rows = _read(shipped_file(), _shipped_key())
    return rows


def _document(key: str, rows: list[dict[str, Any]]) -> str:
    return json.dumps({"key": key, "rows": rows}, default=str)


def save(rows: list[dict[str, Any]], edition: str = DEFAULT_EDITION) -> None:
    """Cache the default leaderboard of ``edition``; failing to cache is never an error."""
    try:
        # Owner-only like every file tokenscope writes for the user (0600).
        paths.write_private(cache_file(), _document(_key(edition), rows).encode())
    except OSError:
        pass


def default_rows(ds: Dataset) -> list[dict[str, Any]]:
    """The default leaderboard (every domain, source and model) as plain rows."""
    from tokenscope.data.leaderboard import leaderboard, with_mid_cost

    return with_mid_cost(leaderboard(ds)).to_dicts()


def write_shipped(ds: Dataset) -> int:
    """Write the shipped board for the bundled study (``ds`` holds only the bundled runs of
    the default edition); returns its number of rows."""
    # Polars sums floats in parallel, so the last digit can differ between builds:
    # 12 significant digits (far more than the board shows) keep a rebuild byte-identical.
    rows = [
        {k: float(f"{v:.12g}") if isinstance(v, float) else v for k, v in row.items()}
        for row in default_rows(ds)
    ]
    # Part of the package, readable by everyone who installs it.
    shipped_file().write_text(_document(_shipped_key(), rows), encoding="utf-8")
    return len(rows)

"""A source's parts: listed, each checked once, and the local copy ``pull`` keeps.

Parts are immutable (a fresh name per write), so what is learnt about one (its
row count, or why it cannot be read) is kept in the cache's state file by name
and size, and never asked again. The cache lives under
``<cache dir>/sources/<name>/``: ``parts/`` mirrors the source's keys, and
``state.json`` holds the checks and the time of the last successful pull.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tokenscope import paths
from tokenscope.remote.layout import PartKey, parse_key
from tokenscope.remote.sources import Source
from tokenscope.remote.stores import ObjectInfo
from tokenscope.text import one_line

STATE_VERSION = 1


@dataclass
class Part:
    """One part of a source, where it can be read from, and what is known of it."""

    info: ObjectInfo
    where: PartKey
    rows: int | None = None
    error: str | None = None  # why it is skipped

    @property
    def key(self) -> str:
        return self.info.key

    def skip_line(self, source: Source) -> str:
        return f"source '{source.name}': skipped {one_line(self.key, 200)}: {self.error}"


def safe_key(key: str) -> bool:
    """A key the cache can mirror without leaving its folder."""
    segments = key.split("/")
    return not key.startswith("/") and all(s not in ("", ".", "..") for s in segments)


def parts_of(listing: list[ObjectInfo]) -> list[Part]:
    """The listed objects that are parts to read, in key order."""
    out = []
    for info in sorted(listing, key=lambda i: i.key):
        where = parse_key(info.key)
        if where is not None:
            out.append(Part(info, where))
    return out


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class SourceCache:
    """The local side of one source: pulled parts and what is known about every part."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.directory = paths.cache_dir() / "sources" / source.name
        self.parts_dir = self.directory / "parts"
        self.state_file = self.directory / "state.json"
        self._state: dict[str, Any] | None = None

    @property
    def state(self) -> dict[str, Any]:
        if self._state is None:
            self._state = self._read_state()
        return self._state

    def _read_state(self) -> dict[str, Any]:
        empty: dict[str, Any] = {"version": STATE_VERSION, "last_sync": None, "parts": {}}
        try:
            raw = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return empty  # no state yet, or a damaged one: checks are redone, nothing is lost
        if not isinstance(raw, dict) or raw.get("version") != STATE_VERSION:
            return empty
        if not isinstance(raw.get("parts"), dict):
            raw["parts"] = {}
        return raw

    def save(self) -> None:
        data = json.dumps(self.state, ensure_ascii=False, sort_keys=True).encode("utf-8")
        paths.write_private(self.state_file, data)

    @property
    def last_sync(self) -> datetime | None:
        return _time(self.state.get("last_sync"))

    def mark_synced(self) -> None:
        self.state["last_sync"] = datetime.now(UTC).isoformat(timespec="seconds")

    def known(self, part: Part) -> bool:
        """Fill the part's rows or error from an earlier check of the same name and size."""
        seen = self.state["parts"].get(part.key)
        if not isinstance(seen, dict) or seen.get("size") != part.info.size:
            return False
        part.rows, part.error = seen.get("rows"), seen.get("error")
        return True

    def remember(self, part: Part) -> None:
        modified = part.info.modified.isoformat() if part.info.modified else None
        self.state["parts"][part.key] = {
            "size": part.info.size,
            "rows": part.rows,
            "error": part.error,
            "modified": modified,
        }

    def local_path(self, key: str) -> Path:
        return self.parts_dir / key

    def has_copy(self, part: Part) -> bool:
        """A pulled copy of this very part (same name, same size)."""
        if not safe_key(part.key):
            return False
        try:
            return self.local_path(part.key).stat().st_size == part.info.size
        except OSError:
            return False

    def pulled_parts(self) -> list[Part]:
        """The parts pulled earlier, as the state file lists them: what a stale read shows."""
        out = []
        for key, seen in sorted(self.state["parts"].items()):
            if not isinstance(seen, dict) or not safe_key(key):
                continue
            info = ObjectInfo(key, int(seen.get("size") or 0), _time(seen.get("modified")))
            where = parse_key(key)
            part = Part(info, where) if where is not None else None
            if part is not None and self.has_copy(part):
                part.rows, part.error = seen.get("rows"), seen.get("error")
                out.append(part)
        return out


def check_part(uri: str, storage_options: dict[str, str] | None) -> tuple[int | None, str | None]:
    """(rows, None) for a part tokenscope can read, else (None, why): from its footer only."""
    import polars as pl
    from polars.exceptions import PanicException

    from tokenscope.data.schema import RUN_SCHEMA

    try:
        scan = pl.scan_parquet(uri, storage_options=storage_options, glob=False)
        schema = scan.collect_schema()
        if "model" not in schema:
            return None, "no 'model' column; not a tokenscope part"
        for name, dtype in schema.items():
            wanted = RUN_SCHEMA.get(name)
            if wanted is not None and dtype != wanted:
                return None, f"column '{one_line(name, 40)}' is {dtype}, not {wanted}"
        rows = scan.select(pl.len()).collect().item()
    except (Exception, PanicException) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return None, f"not a readable Parquet part ({one_line(first, 160)})"
    return int(rows), None

"""One pull, headless: copy a source's new parts into the local cache, for offline use.

Incremental: the source is listed, and only parts whose name (and size) the
cache does not hold are fetched. Each is checked before it is kept, and written
atomically (a temporary file, then a rename), so a cut pull leaves whole parts
only. A part the source no longer lists is dropped from the copy. The time of
the last successful pull is what a stale read shows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from tokenscope import paths
from tokenscope.remote.catalog import Part, SourceCache, check_part, safe_key
from tokenscope.remote.read import list_parts
from tokenscope.remote.sources import Source, safe_message
from tokenscope.remote.stores import Store, open_store

LISTING, FETCHING, FETCHED, DONE = "listing", "fetching", "fetched", "done"


@dataclass(frozen=True)
class PullEvent:
    stage: str  # LISTING, FETCHING, FETCHED, DONE
    parts_done: int
    parts_total: int  # parts to fetch
    key: str | None = None


@dataclass
class PullResult:
    fetched: int  # parts copied now
    kept: int  # parts the cache held already
    removed: int  # copies of parts the source no longer lists
    skipped: list[str]  # one line per part that cannot be read


class PullSession:
    def __init__(
        self,
        source: Source,
        on_event: Callable[[PullEvent], None] | None = None,
        store: Store | None = None,
    ) -> None:
        self.source = source
        self.on_event = on_event
        self.store = store or open_store(source)
        self.cache = SourceCache(source)

    def _emit(self, event: PullEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def _fetch(self, part: Part) -> None:
        data = self.store.get(part.key)
        target = self.cache.local_path(part.key)
        paths.write_private(target, data)
        rows, error = check_part(str(target), None)
        part.rows, part.error = rows, error and safe_message(error, self.source)
        if part.error is not None:
            target.unlink(missing_ok=True)

    def run(self, cancel: threading.Event | None = None) -> PullResult:
        self._emit(PullEvent(LISTING, 0, 0))
        parts = list_parts(self.source, self.store)
        listed = {p.key for p in parts}
        todo, kept, skipped = [], 0, []
        for part in parts:
            if part.error is not None:
                skipped.append(part.skip_line(self.source))
            elif not safe_key(part.key):
                part.error = "a name the cache cannot hold"
                skipped.append(part.skip_line(self.source))
            elif self.cache.has_copy(part) and self.cache.known(part):
                kept += 1
            elif self.cache.known(part) and part.error is not None:
                skipped.append(part.skip_line(self.source))
            else:
                todo.append(part)
        for index, part in enumerate(todo):
            if cancel is not None and cancel.is_set():
                break
            self._emit(PullEvent(FETCHING, index, len(todo), part.key))
            self._fetch(part)
            self.cache.remember(part)
            if part.error is not None:
                skipped.append(part.skip_line(self.source))
            self._emit(PullEvent(FETCHED, index + 1, len(todo), part.key))
        removed = self._drop_unlisted(listed)
        if cancel is None or not cancel.is_set():
            self.cache.mark_synced()
        self.cache.save()
        fetched = sum(1 for p in todo if p.error is None and p.rows is not None)
        self._emit(PullEvent(DONE, len(todo), len(todo)))
        return PullResult(fetched, kept, removed, skipped)

    def _drop_unlisted(self, listed: set[str]) -> int:
        removed = 0
        for key in list(self.cache.state["parts"]):
            if key in listed:
                continue
            del self.cache.state["parts"][key]
            if safe_key(key):
                path = self.cache.local_path(key)
                if path.exists():
                    path.unlink()
                    removed += 1
        return removed

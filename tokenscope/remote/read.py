"""A source's runs as one lazy scan, and its status for the CLI and the app's panel.

The parts are listed first (one request), so a part that cannot be read is
skipped by name while the rest loads, and a source that cannot be reached is
one line: the copy ``pull`` left is read instead, marked stale. A part already
pulled is read from disk; the others straight from the store, lazily, so a
query reads only the columns and row groups it needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from tokenscope.remote.catalog import Part, SourceCache, check_part, parts_of
from tokenscope.remote.layout import PartKey, model_prefix
from tokenscope.remote.sources import Source, SourceError, safe_message
from tokenscope.remote.stores import ObjectInfo, Store, open_store, polars_options

if TYPE_CHECKING:
    import polars as pl

LIVE = "live"  # listed just now
STALE = "stale"  # unreachable: the pulled copy is shown
UNREACHABLE = "unreachable"  # unreachable and never pulled: nothing shown
# object_store fails a whole listing page on such a name; the listing goes on after it,
# but names on that page sorting before it are not seen (a limit of the client).
UNREADABLE_NAME = (
    "a name the object store client cannot read (names listed just before it may be missing)"
)


@dataclass
class SourceStatus:
    """What the sources panel shows for one source."""

    name: str
    uri: str  # safe to show
    state: str  # LIVE, STALE or UNREACHABLE
    runs: int = 0
    parts: int = 0
    skipped: int = 0
    last_update: datetime | None = None  # the newest part's time
    last_sync: datetime | None = None  # the last successful pull
    message: str | None = None  # the one line about it, when there is one

    @property
    def stale(self) -> bool:
        return self.state != LIVE


@dataclass
class SourceRuns:
    """One source read: its runs (None when it has none to show), status and warnings."""

    source: Source
    frame: pl.LazyFrame | None
    status: SourceStatus
    warnings: list[str] = field(default_factory=list)


def list_parts(source: Source, store: Store, models: Sequence[str] = ()) -> list[Part]:
    """The source's parts; only the given models' partitions when models are named."""
    if not models:
        listing = store.list()
    else:
        listing = [info for m in sorted(set(models)) for info in store.list(model_prefix(m))]
    unreadable = [
        Part(ObjectInfo(name, -1, None), PartKey(name, None, None), error=UNREADABLE_NAME)
        for name in dict.fromkeys(store.unlisted)
    ]
    return unreadable + parts_of(listing)


def check_parts(source: Source, store: Store, cache: SourceCache, parts: list[Part]) -> list[Part]:
    """Each part's rows, or why it is skipped: from its footer, once per name and size."""
    changed = False
    for part in parts:
        if part.error is not None or cache.known(part):
            continue
        local = cache.has_copy(part)
        uri = str(cache.local_path(part.key)) if local else store.uri(part.key)
        rows, error = check_part(uri, None if local else polars_options(source))
        part.rows, part.error = rows, error and safe_message(error, source)
        cache.remember(part)
        changed = True
    if changed:
        try:
            cache.save()
        except OSError:
            pass  # a read-only cache only means the checks are made again next time
    return parts


def scan_parts(
    source: Source, store: Store, cache: SourceCache, parts: list[Part]
) -> pl.LazyFrame | None:
    """The readable parts as one lazy scan in the run schema; pulled copies read from disk."""
    import polars as pl

    from tokenscope.data.schema import RUN_SCHEMA

    readable = [p for p in parts if p.error is None]
    local = [str(cache.local_path(p.key)) for p in readable if cache.has_copy(p)]
    remote = [store.uri(p.key) for p in readable if not cache.has_copy(p)]
    scans = []
    for uris, options in ((local, None), (remote, polars_options(source))):
        if uris:
            scans.append(
                pl.scan_parquet(
                    uris,
                    schema=RUN_SCHEMA,
                    missing_columns="insert",
                    extra_columns="ignore",
                    glob=False,
                    storage_options=options,
                )
            )
    if not scans:
        return None
    return pl.concat(scans, how="vertical") if len(scans) > 1 else scans[0]


def _newest(parts: list[Part]) -> datetime | None:
    times = [p.info.modified for p in parts if p.info.modified is not None]
    return max(times) if times else None


def scan_source(source: Source) -> SourceRuns:
    """The source's runs, live when it answers, else the pulled copy marked stale."""
    store = open_store(source)
    cache = SourceCache(source)
    try:
        parts = list_parts(source, store)
        state, message = LIVE, None
    except SourceError as exc:
        parts = cache.pulled_parts()
        if not parts:
            status = SourceStatus(
                source.name,
                source.display(),
                UNREACHABLE,
                last_sync=cache.last_sync,
                message=f"{exc}; nothing pulled yet, so none of its runs are shown",
            )
            return SourceRuns(source, None, status, [status.message or ""])
        state = STALE
        when = cache.last_sync.strftime("%Y-%m-%d %H:%M UTC") if cache.last_sync else "earlier"
        message = f"{exc}; showing the copy pulled {when} (stale)"
    check_parts(source, store, cache, parts)
    skipped = [p for p in parts if p.error is not None]
    warnings = [p.skip_line(source) for p in skipped]
    if message:
        warnings.insert(0, message)
    status = SourceStatus(
        source.name,
        source.display(),
        state,
        runs=sum(p.rows or 0 for p in parts if p.error is None),
        parts=len(parts) - len(skipped),
        skipped=len(skipped),
        last_update=_newest(parts),
        last_sync=cache.last_sync,
        message=message,
    )
    return SourceRuns(source, scan_parts(source, store, cache, parts), status, warnings)


def read_sources(sources: Sequence[Source], only: str | None = None) -> list[SourceRuns]:
    """Every configured source (or the one named ``only``), each as ``scan_source`` reads it."""
    return [scan_source(s) for s in sources if only is None or s.name == only]


def source_statuses(sources: Sequence[Source]) -> list[SourceStatus]:
    """The panel's rows: each source's status, run count, last update and staleness."""
    return [runs.status for runs in read_sources(sources)]

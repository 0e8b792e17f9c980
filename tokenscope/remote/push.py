"""One push, headless: plan what the source lacks, then write it as new parts. CLI and app share it.

``PushSession.plan()`` reads the user's runs (optionally some models, or since a
date) and drops those whose run id the source already holds: only the ``run_id``
column of the pushed models' partitions is read, filtered to the candidates.
``apply(plan)`` writes each (model, date) group as a new part under a fresh
random name with a create-only PUT: nothing is overwritten, nothing is read and
rewritten, and any number of people can push at once. A part is visible whole
or not at all, so a push cut at any moment leaves nothing half-written; pushing
again writes only what is still missing.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tokenscope.remote.catalog import SourceCache
from tokenscope.remote.layout import part_key
from tokenscope.remote.read import check_parts, list_parts, scan_parts
from tokenscope.remote.sources import Source, SourceError
from tokenscope.remote.stores import Store, open_store

if TYPE_CHECKING:
    import polars as pl

PART_ROWS = 500_000  # a part stays small enough to write from memory and fetch in one go

PLANNING, UPLOADING, UPLOADED, DONE = "planning", "uploading", "uploaded", "done"


@dataclass(frozen=True)
class PushEvent:
    """Where a push is; the CLI prints it, the app draws a progress bar from it."""

    stage: str  # PLANNING, UPLOADING (a part is being written), UPLOADED, DONE
    parts_done: int
    parts_total: int
    runs_done: int
    runs_total: int
    key: str | None = None  # the part being written or just written


@dataclass
class PartPlan:
    key: str
    model: str
    runs: pl.DataFrame


@dataclass
class PushPlan:
    source: Source
    parts: list[PartPlan]
    candidates: int  # user runs matching the filters
    already: int  # of those, runs the source holds already
    without_id: int  # runs with no run id: they cannot be told apart, so are not pushed
    notes: list[str] = field(default_factory=list)

    @property
    def runs(self) -> int:
        return sum(p.runs.height for p in self.parts)


@dataclass(frozen=True)
class PushResult:
    parts: int
    runs: int
    keys: tuple[str, ...]


def parse_since(value: str | None) -> str | None:
    """``--since`` as an ISO date (runs created on or after it), checked."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError as exc:
        raise SourceError(f"--since must be a date like 2026-01-31, not '{value}'") from exc


def _user_runs(results_dir: Path | None) -> tuple[pl.LazyFrame | None, list[str]]:
    from tokenscope.data.loader import UserResults

    return UserResults(results_dir).load()


def existing_ids(
    source: Source, store: Store, models: Sequence[str], candidates: pl.Series
) -> set[str]:
    """The candidates' run ids the source holds already (the models' partitions only)."""
    import polars as pl

    cache = SourceCache(source)
    parts = check_parts(source, store, cache, list_parts(source, store, models))
    scan = scan_parts(source, store, cache, parts)
    if scan is None:
        return set()
    found = (
        scan.select("run_id")
        .filter(pl.col("run_id").is_in(candidates.implode()))
        .unique()
        .collect(engine="streaming")
    )
    return set(found["run_id"].to_list())


class PushSession:
    """Push the user's runs (all, some models, or since a date) to one source."""

    def __init__(
        self,
        source: Source,
        *,
        models: Sequence[str] = (),
        since: str | None = None,
        results_dir: Path | None = None,
        on_event: Callable[[PushEvent], None] | None = None,
        store: Store | None = None,
    ) -> None:
        self.source = source
        self.models = tuple(models)
        self.since = parse_since(since)
        self.results_dir = results_dir
        self.on_event = on_event
        self.store = store or open_store(source)

    def _emit(self, event: PushEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def plan(self) -> PushPlan:
        """What the source lacks; reads the source, writes nothing."""
        import polars as pl

        self._emit(PushEvent(PLANNING, 0, 0, 0, 0))
        runs, notes = _user_runs(self.results_dir)
        if runs is None:
            return PushPlan(self.source, [], 0, 0, 0, notes)
        if self.models:
            runs = runs.filter(pl.col("model").is_in(list(self.models)))
        if self.since:
            runs = runs.filter(pl.col("created_at").str.slice(0, 10) >= self.since)
        frame = runs.collect()
        without_id = frame["run_id"].null_count()
        frame = frame.filter(pl.col("run_id").is_not_null()).unique("run_id", keep="first")
        candidates = frame.height
        models = sorted(set(frame["model"].drop_nulls().to_list()))
        known = existing_ids(self.source, self.store, models, frame["run_id"]) if models else set()
        new = frame.filter(~pl.col("run_id").is_in(list(known)))
        new = new.with_columns(pl.lit(self.source.name).alias("source"))
        parts: list[PartPlan] = []
        day = pl.col("created_at").str.slice(0, 10).alias("_date")
        for (model, day_value), group in new.with_columns(day).group_by(
            "model", "_date", maintain_order=True
        ):
            group = group.drop("_date")
            for start in range(0, group.height, PART_ROWS):
                key = part_key(str(model), str(day_value) if day_value else None)
                parts.append(PartPlan(key, str(model), group.slice(start, PART_ROWS)))
        return PushPlan(self.source, parts, candidates, candidates - new.height, without_id, notes)

    def apply(self, plan: PushPlan, cancel: threading.Event | None = None) -> PushResult:
        """Write the plan's parts, one create-only PUT each; stops between parts on ``cancel``."""
        total_parts, total_runs = len(plan.parts), plan.runs
        runs_done, keys = 0, []
        for index, part in enumerate(plan.parts):
            if cancel is not None and cancel.is_set():
                break
            data = io.BytesIO()
            part.runs.write_parquet(data, compression="zstd", statistics=True)
            self._emit(PushEvent(UPLOADING, index, total_parts, runs_done, total_runs, part.key))
            self.store.put_new(part.key, data.getvalue())
            runs_done += part.runs.height
            keys.append(part.key)
            self._emit(PushEvent(UPLOADED, index + 1, total_parts, runs_done, total_runs, part.key))
        self._emit(PushEvent(DONE, len(keys), total_parts, runs_done, total_runs))
        return PushResult(len(keys), runs_done, tuple(keys))

"""Load the bundled study and the user's own results into one Polars frame.

User results are every ``*.jsonl``, ``*.csv`` and ``*.parquet`` file in
``<data dir>/results/``, each read by its literal name from a copy of its
bytes in memory (never a memory map a writer could truncate under us). What
goes wrong costs as little as it can:

- a value that does not fit its column becomes null (``values``), counted in
  one note naming the file; a JSONL line that is not a record is skipped;
- a file that cannot be read at all (corrupt, foreign, empty, not a file, or
  still changing after a second read) is skipped with one message naming it;
- everything else loads, and nothing fails later: each file is read in full
  once here, so a view's query cannot meet a bad page.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import polars as pl
from polars.exceptions import PanicException

from tokenscope import paths
from tokenscope.data import editions, metrics, values
from tokenscope.data.result_files import (
    LoadError,
    Snapshot,
    read_snapshot,
    result_files,
    signature,
)
from tokenscope.data.schema import (
    MODEL_SCHEMA,
    PRICE_SCHEMA,
    PROMPT_SCHEMA,
    RUN_SCHEMA,
    conform,
    empty_runs,
)
from tokenscope.text import one_line

if TYPE_CHECKING:
    from tokenscope.remote.read import SourceStatus
    from tokenscope.remote.sources import Source

__all__ = ["Dataset", "FileStatus", "LoadError", "UserResults", "load_dataset"]

T = TypeVar("T")

SOURCES = ("bundled", "user", "all")
REQUIRED_COLUMNS = ("model",)


@dataclass
class Dataset:
    """Everything the views, the CLI and the probe need, already conformed.

    Runs stay a lazy scan until someone asks for ``runs``: a leaderboard then
    reads only the columns it aggregates, never the long texts.
    """

    runs_lazy: pl.LazyFrame
    prompts: pl.DataFrame
    models: pl.DataFrame
    prices: pl.DataFrame
    warnings: list[str] = field(default_factory=list)
    # Which edition of the bundled study the bundled runs and prices are.
    edition: str = editions.DEFAULT_EDITION
    # Each configured source's status, as read with these runs.
    sources: list[SourceStatus] = field(default_factory=list)
    # The same runs with reasoning tokens as ``metrics.reasoning_candidates`` leaves them
    # (None: derived from ``runs_lazy``).
    metric_lazy: pl.LazyFrame | None = None
    # Sums of the runs already reduced (``leaderboard.finished_sums``), by what they hold.
    sums: dict[tuple[str, float], pl.DataFrame] = field(default_factory=dict)

    def lazy_runs(self) -> pl.LazyFrame:
        return self.runs_lazy

    def metric_runs(self) -> pl.LazyFrame:
        """The runs as the figures read them (``metrics.run_sums``): their reasoning tokens
        not yet decided per (model, source, prompt), so nothing waits for a whole group and
        Polars' streaming engine reduces them without holding them."""
        if self.metric_lazy is not None:
            return self.metric_lazy
        return metrics.given_reasoning(self.runs_lazy)

    @cached_property
    def runs(self) -> pl.DataFrame:
        return self.runs_lazy.collect()

    @cached_property
    def model_names(self) -> frozenset[str]:
        names = self.runs_lazy.select(pl.col("model").unique())
        return frozenset(names.collect(engine="streaming")["model"])

    @cached_property
    def prompt_ids(self) -> frozenset[str]:
        ids = self.runs_lazy.select(pl.col("prompt_id").drop_nulls().unique())
        return frozenset(ids.collect(engine="streaming")["prompt_id"])


def _bundled_path(name: str) -> Path:
    return paths.bundled_dir() / f"{name}.parquet"


def _read_bundled(name: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    path = _bundled_path(name)
    frame = _polars(
        f"bundled data is missing or unreadable: {path}",
        lambda: pl.read_parquet(path, glob=False),
    )
    return conform(frame, schema)


def _scan_edition(name: str, edition: str) -> pl.LazyFrame:
    """One bundled table (``runs`` or ``prices``) of one edition, conformed, still lazy.

    The edition is filtered before ``conform``, which drops the edition columns.
    """
    editions.check_edition(edition)
    bundled = paths.bundled_dir()
    for path in editions.table_files(bundled, name):
        names = _polars(
            f"bundled data is missing or unreadable: {path}",
            partial(pl.read_parquet_schema, path),
        )
        if editions.edition_column(edition) not in names:
            raise LoadError(
                f"bundled data has no edition columns: {path} "
                "(rebuild it with scripts/build_bundled_results.py)"
            )
    scan = editions.scan_edition(bundled, name, edition)
    return conform(scan, RUN_SCHEMA if name == "runs" else PRICE_SCHEMA)


def scan_bundled_runs(edition: str = editions.DEFAULT_EDITION) -> pl.LazyFrame:
    """The bundled runs of one edition, as a lazy scan."""
    return _scan_edition("runs", edition)


def load_study_tables(
    edition: str = editions.DEFAULT_EDITION,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Prompts, models and the edition's prices: small, without reading the runs."""
    prices = _scan_edition("prices", edition)
    return (
        _read_bundled("prompts", PROMPT_SCHEMA),
        _read_bundled("models", MODEL_SCHEMA),
        _polars("bundled prices are unreadable", prices.collect),
    )


def load_bundled(
    edition: str = editions.DEFAULT_EDITION,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Runs, prompts, models and prices of one edition of the study shipped with tokenscope."""
    runs = scan_bundled_runs(edition)
    return (_polars("bundled runs are unreadable", runs.collect), *load_study_tables(edition))


def _reason(exc: BaseException) -> str:
    """The first line of an error, as inert text: it may quote the file's own bytes."""
    text = str(exc).strip().splitlines()
    return one_line(text[0], 200) if text else type(exc).__name__


def _polars(what: str, call: Callable[[], T]) -> T:
    """Run a Polars call on outside data; any failure is a ``LoadError`` saying ``what``.

    A Rust panic inside Polars surfaces as ``PanicException``, a BaseException
    that ``except Exception`` lets through: it is caught here too.
    """
    try:
        return call()
    except LoadError:
        raise
    except (Exception, PanicException) as exc:
        raise LoadError(f"{what} ({_reason(exc)})") from exc


def _check_columns(names: Container[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise LoadError(f"no '{missing[0]}' column; not a tokenscope results file")


@dataclass
class FileResult:
    """One user file, conformed: its runs (lazy), how many, and what was fixed on the way."""

    frame: pl.LazyFrame
    rows: int
    notes: list[str] = field(default_factory=list)


def _conformed(
    frame: pl.LazyFrame | pl.DataFrame, schema: dict[str, pl.DataType], notes: list[str]
) -> FileResult:
    """Conform ``frame`` value by value, reading it once so it cannot fail later.

    A frame read whole (JSONL, CSV, another tool's log) is checked as it is, then
    kept as compressed Parquet (``held_as_parquet``).
    """
    _check_columns(schema)
    kept = held_as_parquet(frame) if isinstance(frame, pl.DataFrame) else None
    conformed, counts, ignored = values.conform_safely(frame.lazy(), schema, kept)
    # Streaming: a scan is decoded a batch of rows at a time, so a file's long texts are
    # never all in memory at once (an in-memory collect holds every column in full).
    row = _polars(
        "a part of the file cannot be read",
        lambda: counts.collect(engine="streaming").row(0, named=True),
    )
    note = values.describe_counts(row, ignored)
    return FileResult(
        conformed, row["_rows"] - row.get("_no_model", 0), [*notes, *filter(None, [note])]
    )


def held_as_parquet(frame: pl.DataFrame) -> pl.LazyFrame:
    """``frame`` kept as compressed Parquet in memory, scanned lazily.

    A table then decodes only the columns it reads: a file's long texts stay
    compressed until a run is opened, instead of sitting decoded in memory.
    """
    buffer = io.BytesIO()
    frame.write_parquet(buffer, statistics=False)  # rarely more than one row group to skip
    return pl.scan_parquet(buffer.getvalue())


def _settled(snapshot: Snapshot) -> bytes:
    if snapshot.changing:
        raise LoadError("changed while being read, twice; skipped until it is written in full")
    return snapshot.data


def read_parquet(snapshot: Snapshot) -> FileResult:
    """A Parquet file, scanned lazily from its bytes in memory.

    The scan reads only the columns a query needs; the one full pass in
    ``_conformed`` proves every page decodes, so later queries cannot fail.
    """
    data = _settled(snapshot)
    if len(data) < 12 or data[:4] != b"PAR1" or data[-4:] != b"PAR1":
        raise LoadError("not a Parquet file (no PAR1 marks at both ends)")
    schema = _polars("unreadable Parquet footer", lambda: dict(pl.read_parquet_schema(data)))
    return _conformed(pl.scan_parquet(data), schema, [])


def read_csv(snapshot: Snapshot) -> FileResult:
    """A CSV file, every field read as text and converted value by value."""
    data = _settled(snapshot)
    frame = _polars(
        "not a readable CSV file",
        lambda: pl.read_csv(data, infer_schema=False, encoding="utf8-lossy"),
    )
    return _conformed(frame, dict(frame.schema), [])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _jsonl_by_line(data: bytes) -> tuple[pl.DataFrame, list[str]]:
    """Read record by record: a bad line is skipped, a bad value becomes null."""
    rows: list[dict] = []
    bad: list[tuple[int, str]] = []
    fixed: list[tuple[int, str]] = []
    for number, record in enumerate(data.split(b"\n"), start=1):
        if not record.strip():
            continue
        try:
            raw = json.loads(record)
            if not isinstance(raw, dict) or raw.get("model") is None:
                raise ValueError("not a run record")
        except (ValueError, RecursionError) as exc:
            bad.append((number, _reason(exc)))
            continue
        row, problems = values.clean_row(raw)
        rows.append(row)
        fixed += [(number, why) for why in problems]
    if not rows:
        line, why = bad[0]
        raise LoadError(f"no readable run records (line {line}: {why})")
    notes: list[str] = []
    if bad:
        line, why = bad[0]
        extra = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        notes.append(f"skipped line {line}{extra} ({why})")
    if fixed:
        line, why = fixed[0]
        notes.append(f"set {_plural(len(fixed), 'unusable value')} to null (line {line}: {why})")
    frame = _polars(
        "records do not fit the run schema", lambda: pl.DataFrame(rows, schema=RUN_SCHEMA)
    )
    return frame, notes


def read_jsonl(snapshot: Snapshot) -> FileResult:
    """A JSONL file: one fast parse, else record by record."""
    data = snapshot.data
    if snapshot.changing:
        # An append under way: its unfinished last line is not an error.
        data = data[: data.rfind(b"\n") + 1]
    if not data.strip():
        raise LoadError("empty file")
    try:
        frame, notes = pl.read_ndjson(data, schema=RUN_SCHEMA), list[str]()
    except (Exception, PanicException):
        frame, notes = _jsonl_by_line(data)
    if frame.height and frame["model"].null_count() == frame.height:
        raise LoadError("no 'model' field; not a tokenscope results file")
    return _conformed(frame, RUN_SCHEMA, notes)


READERS: dict[str, Callable[[Snapshot], FileResult]] = {
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".csv": read_csv,
    ".parquet": read_parquet,
}


# Suffixes under which another tool's log may sit (Inspect, promptfoo, OpenRouter, ...).
IMPORTABLE_SUFFIXES = (".json", ".eval", ".jsonl", ".ndjson")


def read_imported(path: Path, fmt: str) -> FileResult:
    """Another tool's log, read as ``tokenscope import`` reads it (nothing is stored)."""
    from tokenscope import importers

    try:
        records, notes = importers.read(path, fmt)
    except importers.ImportFileError as exc:
        raise LoadError(str(exc)) from exc
    if not records:
        raise LoadError(f"no runs in this {fmt} file")
    frame = _polars(
        "records do not fit the run schema",
        lambda: pl.DataFrame(records, schema=RUN_SCHEMA, strict=False),
    )
    return _conformed(frame, RUN_SCHEMA, notes)


def read_results_file(path: Path) -> FileResult:
    """One user file, read by its literal name from a copy in memory."""
    suffix = path.suffix.lower()
    if suffix not in READERS and suffix not in IMPORTABLE_SUFFIXES:
        raise LoadError(f"unsupported file type '{one_line(path.suffix, 20)}'")
    snapshot = read_snapshot(path)  # refuses pipes, links that lead nowhere, folders
    if not snapshot.data:
        raise LoadError("empty file")
    if suffix in IMPORTABLE_SUFFIXES:
        from tokenscope import importers

        fmt = importers.sniff(path)  # by content: tokenscope's own JSONL gives None
        if fmt:
            return read_imported(path, fmt)
    reader = READERS.get(suffix)
    if reader is None:
        raise LoadError(f"not a log tokenscope can read ('{one_line(path.suffix, 20)}')")
    return reader(snapshot)


@dataclass
class FileStatus:
    """What became of one file in the results folder."""

    path: Path
    rows: int = 0
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def name(self) -> str:
        return one_line(self.path.name, 200)

    def warning(self) -> str | None:
        """The one line the CLI and the app print about this file, or None when all is well."""
        if self.error:
            return f"skipped {self.name}: {self.error}"
        if self.notes:
            return f"{self.name}: {'; '.join(self.notes)}"
        return None


def _file_key(path: Path) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class UserResults:
    """The user's result files, re-read only when a file changes."""

    def __init__(self, results_dir: Path | None = None) -> None:
        self.results_dir = results_dir
        self._cache: dict[Path, tuple[tuple[int, int, int, int], FileResult]] = {}

    @property
    def directory(self) -> Path:
        return self.results_dir or paths.results_dir()

    def files(self) -> list[Path]:
        return result_files(self.directory)

    def signature(self) -> tuple:
        """Changes whenever a result file is added, removed or written."""
        return signature(self.directory)

    def _read(self, path: Path) -> FileResult:
        key = _file_key(path)
        cached = self._cache.get(path)
        if key is not None and cached is not None and cached[0] == key:
            return cached[1]
        result = read_results_file(path)
        if key is not None and _file_key(path) == key:
            self._cache[path] = (key, result)
        return result

    def scan(self) -> list[tuple[FileStatus, pl.LazyFrame | None]]:
        """Every file in the results folder with what became of it, and its runs if any."""
        out: list[tuple[FileStatus, pl.LazyFrame | None]] = []
        seen = set()
        for path in self.files():
            seen.add(path)
            try:
                result = self._read(path)
            except LoadError as exc:
                self._cache.pop(path, None)
                out.append((FileStatus(path, error=str(exc)), None))
                continue
            out.append((FileStatus(path, result.rows, result.notes), result.frame))
        for gone in set(self._cache) - seen:
            del self._cache[gone]
        return out

    def load(self) -> tuple[pl.LazyFrame | None, list[str]]:
        """All readable user runs (None when there are none) and one warning per bad file."""
        scanned = self.scan()
        warnings = [w for status, _ in scanned if (w := status.warning())]
        frames = [frame for _, frame in scanned if frame is not None]
        if not frames:
            return None, warnings
        # A log both imported and dropped into the folder holds the same runs twice.
        runs = pl.concat(frames, how="vertical").filter(
            pl.col("run_id").is_null() | pl.col("run_id").is_first_distinct()
        )
        return runs, warnings


WARNINGS_SHOWN = 5


def warning_lines(warnings: list[str], limit: int = WARNINGS_SHOWN) -> list[str]:
    """At most ``limit`` warnings, then how many more and where to see them all."""
    if len(warnings) <= limit:
        return list(warnings)
    rest = len(warnings) - limit
    return [
        *warnings[:limit],
        f"and {rest} more; `tokenscope doctor` lists every file",
    ]


def _enrich_user_runs(
    runs: pl.LazyFrame, prompts: pl.DataFrame, models: pl.DataFrame, source: str = "user"
) -> pl.LazyFrame:
    """Fill lab, weights, domain and prompt text from the study where the user left them out."""

    def lookup(key: str, table: pl.DataFrame, value: str, dtype: pl.DataType) -> pl.Expr:
        # A dictionary replace keeps row order and beats a join on large frames.
        return pl.col(key).replace_strict(
            table[key], table[value], default=None, return_dtype=dtype
        )

    def few(key: str, table: pl.DataFrame, value: str, dtype: pl.DataType) -> pl.Expr:
        """``lookup`` for a column of few values (a domain, a lab): one membership test per
        value works row by row, so Polars' streaming engine need not gather the whole
        column first as it does for ``replace_strict``."""
        expr = pl.lit(None, dtype)
        pairs = table.select(key, value).drop_nulls().unique(key, keep="first", maintain_order=True)
        for found, keys in pairs.group_by(value, maintain_order=True).agg(key).iter_rows():
            expr = pl.when(pl.col(key).is_in(keys)).then(pl.lit(found, dtype)).otherwise(expr)
        return expr

    return runs.with_columns(
        pl.lit(source).alias("source"),
        pl.coalesce("lab", few("model", models, "lab", pl.String())).alias("lab"),
        pl.coalesce("open_weights", few("model", models, "open_weights", pl.Boolean())).alias(
            "open_weights"
        ),
        pl.coalesce("domain", few("prompt_id", prompts, "domain", pl.String())).alias("domain"),
        pl.coalesce("prompt_text", lookup("prompt_id", prompts, "prompt_text", pl.String())).alias(
            "prompt_text"
        ),
        pl.coalesce("status", pl.lit("ok")).alias("status"),
    )


def load_dataset(
    source: str = "all",
    results_dir: Path | None = None,
    user_results: UserResults | None = None,
    edition: str = editions.DEFAULT_EDITION,
    sources: Sequence[Source] = (),
) -> Dataset:
    """One edition of the bundled study plus the user's results, with the derived columns.

    ``source`` filters the returned runs, but metrics that need the whole
    picture (the reference normaliser) should be computed on ``source='all'``.
    User runs belong to every edition: they are never filtered. Runs of the configured
    ``sources`` (``tokenscope.remote``) join like user runs, named by their source.
    """
    names = [s.name for s in sources]
    if source not in SOURCES and source not in names:
        raise LoadError(f"unknown source '{source}' (choose {', '.join((*SOURCES, *names))})")
    prompts, models, prices = load_study_tables(edition)
    warnings: list[str] = []
    # Each part twice over the same scan: with its reasoning tokens decided (what tables
    # of runs show) and as candidates (what the figures sum, see ``Dataset.metric_runs``).
    parts: list[tuple[pl.LazyFrame, pl.LazyFrame]] = []
    if source in ("bundled", "all"):
        bundled = scan_bundled_runs(edition)
        parts.append((bundled, metrics.given_reasoning(bundled)))
    if source in ("user", "all"):
        user_runs, warnings = (user_results or UserResults(results_dir)).load()
        if user_runs is not None:
            parts.append(_derived(_enrich_user_runs(user_runs, prompts, models)))
    from tokenscope.remote.read import read_sources

    remote = read_sources(sources, None if source == "all" else source)
    for shared in remote:
        warnings += shared.warnings
        if shared.frame is not None:
            enriched = _enrich_user_runs(shared.frame, prompts, models, shared.source.name)
            parts.append(_derived(enriched))
    if not parts:
        parts.append(_derived(empty_runs().lazy()))
    runs, metric_runs = (pl.concat(frames, how="vertical") for frames in zip(*parts, strict=True))
    statuses = [shared.status for shared in remote]
    return Dataset(runs, prompts, models, prices, warnings, edition, statuses, metric_runs)


def _derived(runs: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    return metrics.with_reasoning_tokens(runs), metrics.reasoning_candidates(runs)

"""Load the bundled study and the user's own results into one Polars frame.

User results are every ``*.jsonl``, ``*.csv`` and ``*.parquet`` file in
``<data dir>/results/``. A file that cannot be read is skipped with one
message naming it, the reason and the line where there is one; the rest loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import polars as pl

from tokenscope import paths
from tokenscope.data import metrics
from tokenscope.data.result_files import result_files, signature
from tokenscope.data.schema import (
    MODEL_SCHEMA,
    PRICE_SCHEMA,
    PROMPT_SCHEMA,
    RUN_SCHEMA,
    conform,
    empty_runs,
)
from tokenscope.errors import UserError

SOURCES = ("bundled", "user", "all")
REQUIRED_COLUMNS = ("model",)


class LoadError(UserError):
    """A file could not be read; the message is one line for the user."""


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

    def lazy_runs(self) -> pl.LazyFrame:
        return self.runs_lazy

    @cached_property
    def runs(self) -> pl.DataFrame:
        return self.runs_lazy.collect()

    @cached_property
    def model_names(self) -> frozenset[str]:
        return frozenset(self.runs_lazy.select(pl.col("model").unique()).collect()["model"])

    @cached_property
    def prompt_ids(self) -> frozenset[str]:
        ids = self.runs_lazy.select(pl.col("prompt_id").drop_nulls().unique()).collect()
        return frozenset(ids["prompt_id"])


def _bundled_path(name: str) -> Path:
    return paths.bundled_dir() / f"{name}.parquet"


def _read_bundled(name: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    path = _bundled_path(name)
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        raise LoadError(f"bundled data is missing or unreadable: {path} ({_reason(exc)})") from exc
    return conform(frame, schema)


def scan_bundled_runs() -> pl.LazyFrame:
    path = _bundled_path("runs")
    try:
        pl.read_parquet_schema(path)
    except Exception as exc:
        raise LoadError(f"bundled data is missing or unreadable: {path} ({_reason(exc)})") from exc
    return conform(pl.scan_parquet(path))


def load_study_tables() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Prompts, models and prices of the bundled study: small, without reading the runs."""
    return (
        _read_bundled("prompts", PROMPT_SCHEMA),
        _read_bundled("models", MODEL_SCHEMA),
        _read_bundled("prices", PRICE_SCHEMA),
    )


def load_bundled() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Runs, prompts, models and prices of the study shipped with tokenscope."""
    return (scan_bundled_runs().collect(), *load_study_tables())


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _check_columns(frame: pl.DataFrame | pl.LazyFrame) -> None:
    names = set(frame.collect_schema().names())
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise LoadError(f"no '{missing[0]}' column; not a tokenscope results file")


def _conform_file(frame: pl.DataFrame) -> pl.DataFrame:
    _check_columns(frame)
    try:
        return conform(frame)
    except Exception as exc:
        raise LoadError(f"a column has the wrong type ({_reason(exc)})") from exc


def _castable(source: pl.DataType, target: pl.DataType) -> bool:
    if source == pl.Null() or source == target:
        return True
    if target.is_numeric():
        return source.is_numeric() or source == pl.Boolean()
    if target == pl.String():
        return source in (pl.String(), pl.Categorical()) or isinstance(source, pl.Enum)
    if isinstance(target, pl.List):
        return isinstance(source, pl.List)
    return False


def scan_parquet_results(path: Path) -> pl.LazyFrame:
    """A user Parquet file as a lazy scan, checked up front so it cannot fail later.

    Only the footer is read here (columns and their types); data pages are read
    when a query needs them, which keeps a million-run file cheap to open.
    """
    schema = pl.read_parquet_schema(path)
    _check_columns(pl.LazyFrame(schema=schema))
    for name, dtype in schema.items():
        if name in RUN_SCHEMA and not _castable(dtype, RUN_SCHEMA[name]):
            raise LoadError(f"column '{name}' is {dtype}, expected {RUN_SCHEMA[name]}")
    return conform(pl.scan_parquet(path))


def read_jsonl(path: Path) -> tuple[pl.DataFrame, str | None]:
    """Read a JSONL results file; bad lines are dropped and reported once."""
    data = path.read_bytes()
    if not data.strip():
        raise LoadError("empty file")
    try:
        frame = pl.read_ndjson(data, schema=RUN_SCHEMA)
        if frame.height and frame["model"].null_count() == frame.height:
            raise LoadError("no 'model' field; not a tokenscope results file")
        return conform(frame), None
    except LoadError:
        raise
    except Exception:
        pass
    rows, bad = [], []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or "model" not in row:
                raise ValueError("not a run record")
            rows.append({k: v for k, v in row.items() if k in RUN_SCHEMA})
        except ValueError as exc:
            bad.append((number, _reason(exc)))
    if not rows:
        line, why = bad[0]
        raise LoadError(f"no readable run records (line {line}: {why})")
    try:
        frame = pl.DataFrame(rows, schema=RUN_SCHEMA, strict=False)
    except Exception as exc:
        raise LoadError(f"records do not fit the run schema ({_reason(exc)})") from exc
    note = None
    if bad:
        line, why = bad[0]
        extra = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        note = f"skipped line {line}{extra} ({why})"
    return conform(frame), note


def read_csv(path: Path) -> pl.DataFrame:
    header = pl.read_csv(path, n_rows=0)
    overrides = {
        name: dtype
        for name, dtype in RUN_SCHEMA.items()
        if name in header.columns and not isinstance(dtype, pl.List)
    }
    frame = pl.read_csv(path, schema_overrides=overrides, infer_schema_length=10_000)
    list_cols = [c for c, t in RUN_SCHEMA.items() if isinstance(t, pl.List) and c in frame.columns]
    return _conform_file(frame.drop(list_cols))


def read_results_file(path: Path) -> tuple[pl.LazyFrame, str | None]:
    """One user file as a conformed lazy frame plus an optional note about skipped lines."""
    suffix = path.suffix.lower()
    try:
        if path.stat().st_size == 0:
            raise LoadError("empty file")
        if suffix in (".jsonl", ".ndjson"):
            frame, note = read_jsonl(path)
            return frame.lazy(), note
        if suffix == ".csv":
            return read_csv(path).lazy(), None
        if suffix == ".parquet":
            return scan_parquet_results(path), None
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(_reason(exc)) from exc
    raise LoadError(f"unsupported file type '{suffix}'")


class UserResults:
    """The user's result files, re-read only when a file changes."""

    def __init__(self, results_dir: Path | None = None) -> None:
        self.results_dir = results_dir
        self._cache: dict[Path, tuple[tuple[int, int], pl.LazyFrame, str | None]] = {}

    @property
    def directory(self) -> Path:
        return self.results_dir or paths.results_dir()

    def files(self) -> list[Path]:
        return result_files(self.directory)

    def signature(self) -> tuple:
        """Changes whenever a result file is added, removed or written."""
        return signature(self.directory)

    def load(self) -> tuple[pl.LazyFrame | None, list[str]]:
        """All readable user runs (None when there are none) and one warning per bad file."""
        frames, warnings = [], []
        seen = set()
        for path in self.files():
            seen.add(path)
            try:
                st = path.stat()
                key = (st.st_mtime_ns, st.st_size)
                cached = self._cache.get(path)
                if cached and cached[0] == key:
                    frame, note = cached[1], cached[2]
                else:
                    frame, note = read_results_file(path)
                    self._cache[path] = (key, frame, note)
            except (LoadError, OSError) as exc:
                self._cache.pop(path, None)
                warnings.append(f"skipped {path.name}: {_reason(exc)}")
                continue
            if note:
                warnings.append(f"{path.name}: {note}")
            frames.append(frame)
        for gone in set(self._cache) - seen:
            del self._cache[gone]
        if not frames:
            return None, warnings
        return pl.concat(frames, how="vertical"), warnings


def _enrich_user_runs(
    runs: pl.LazyFrame, prompts: pl.DataFrame, models: pl.DataFrame
) -> pl.LazyFrame:
    """Fill lab, weights, domain and prompt text from the study where the user left them out."""

    def lookup(key: str, table: pl.DataFrame, value: str, dtype: pl.DataType) -> pl.Expr:
        # A dictionary replace keeps row order and beats a join on large frames.
        return pl.col(key).replace_strict(
            table[key], table[value], default=None, return_dtype=dtype
        )

    return runs.with_columns(
        pl.lit("user").alias("source"),
        pl.coalesce("lab", lookup("model", models, "lab", pl.String)).alias("lab"),
        pl.coalesce("open_weights", lookup("model", models, "open_weights", pl.Boolean)).alias(
            "open_weights"
        ),
        pl.coalesce("domain", lookup("prompt_id", prompts, "domain", pl.String)).alias("domain"),
        pl.coalesce("prompt_text", lookup("prompt_id", prompts, "prompt_text", pl.String)).alias(
            "prompt_text"
        ),
        pl.coalesce("status", pl.lit("ok")).alias("status"),
    )


def load_dataset(
    source: str = "all",
    results_dir: Path | None = None,
    user_results: UserResults | None = None,
) -> Dataset:
    """The bundled study plus the user's results, with the study's derived columns.

    ``source`` filters the returned runs, but metrics that need the whole
    picture (the reference normaliser) should be computed on ``source='all'``.
    """
    if source not in SOURCES:
        raise LoadError(f"unknown source '{source}' (choose {', '.join(SOURCES)})")
    prompts, models, prices = load_study_tables()
    warnings: list[str] = []
    parts = []
    if source in ("bundled", "all"):
        parts.append(scan_bundled_runs())
    if source in ("user", "all"):
        user_runs, warnings = (user_results or UserResults(results_dir)).load()
        if user_runs is not None:
            enriched = _enrich_user_runs(user_runs, prompts, models)
            parts.append(metrics.with_reasoning_tokens(enriched))
    combined = pl.concat(parts, how="vertical") if parts else empty_runs().lazy()
    return Dataset(combined, prompts, models, prices, warnings)

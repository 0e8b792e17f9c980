"""Load the bundled study and the user's own results into one Polars frame.

User results are every ``*.jsonl``, ``*.csv`` and ``*.parquet`` file in
``<data dir>/results/``. A file that cannot be read is skipped with one
message naming it, the reason and the line where there is one; the rest loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from tokenscope import paths
from tokenscope.data import metrics
from tokenscope.data.schema import (
    MODEL_SCHEMA,
    PRICE_SCHEMA,
    PROMPT_SCHEMA,
    RUN_SCHEMA,
    conform,
    empty_runs,
)

SOURCES = ("bundled", "user", "all")
RESULT_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet")
REQUIRED_COLUMNS = ("model",)


class LoadError(Exception):
    """A file could not be read; the message is one line for the user."""


@dataclass
class Dataset:
    """Everything the views, the CLI and the probe need, already conformed."""

    runs: pl.DataFrame
    prompts: pl.DataFrame
    models: pl.DataFrame
    prices: pl.DataFrame
    warnings: list[str] = field(default_factory=list)

    def lazy_runs(self) -> pl.LazyFrame:
        return self.runs.lazy()


def _read_bundled(name: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    path = paths.bundled_dir() / f"{name}.parquet"
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any read failure is reported the same way
        raise LoadError(f"bundled data is missing or unreadable: {path} ({_reason(exc)})") from exc
    return conform(frame, schema)


def load_bundled() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Runs, prompts, models and prices of the study shipped with tokenscope."""
    return (
        _read_bundled("runs", RUN_SCHEMA),
        _read_bundled("prompts", PROMPT_SCHEMA),
        _read_bundled("models", MODEL_SCHEMA),
        _read_bundled("prices", PRICE_SCHEMA),
    )


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
    except Exception as exc:  # noqa: BLE001
        raise LoadError(f"a column has the wrong type ({_reason(exc)})") from exc


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
    except Exception:  # noqa: BLE001 - fall back to the line-by-line reader below
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
    except Exception as exc:  # noqa: BLE001
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


def read_results_file(path: Path) -> tuple[pl.DataFrame, str | None]:
    """One user file as a conformed frame plus an optional note about skipped lines."""
    suffix = path.suffix.lower()
    try:
        if path.stat().st_size == 0:
            raise LoadError("empty file")
        if suffix in (".jsonl", ".ndjson"):
            return read_jsonl(path)
        if suffix == ".csv":
            return read_csv(path), None
        if suffix == ".parquet":
            return _conform_file(pl.read_parquet(path)), None
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - corrupt files must never stop loading
        raise LoadError(_reason(exc)) from exc
    raise LoadError(f"unsupported file type '{suffix}'")


class UserResults:
    """The user's result files, re-read only when a file changes."""

    def __init__(self, results_dir: Path | None = None) -> None:
        self.results_dir = results_dir
        self._cache: dict[Path, tuple[tuple[int, int], pl.DataFrame, str | None]] = {}

    @property
    def directory(self) -> Path:
        return self.results_dir or paths.results_dir()

    def files(self) -> list[Path]:
        directory = self.directory
        if not directory.is_dir():
            return []
        return sorted(
            p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in RESULT_SUFFIXES
        )

    def signature(self) -> tuple:
        """Changes whenever a result file is added, removed or written."""
        sig = []
        for p in self.files():
            try:
                st = p.stat()
            except OSError:
                continue
            sig.append((p.name, st.st_mtime_ns, st.st_size))
        return tuple(sig)

    def load(self) -> tuple[pl.DataFrame, list[str]]:
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
            return empty_runs(), warnings
        return pl.concat(frames, how="vertical"), warnings


def _enrich_user_runs(
    runs: pl.DataFrame, prompts: pl.DataFrame, models: pl.DataFrame
) -> pl.LazyFrame:
    """Fill lab, weights, domain and prompt text from the study where the user left them out."""
    meta = models.lazy().select(
        "model", pl.col("lab").alias("_lab"), pl.col("open_weights").alias("_ow")
    )
    pmeta = prompts.lazy().select(
        "prompt_id", pl.col("domain").alias("_domain"), pl.col("prompt_text").alias("_ptext")
    )
    return (
        runs.lazy()
        .with_columns(pl.lit("user").alias("source"))
        .join(meta, on="model", how="left", maintain_order="left")
        .join(pmeta, on="prompt_id", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("lab", "_lab").alias("lab"),
            pl.coalesce("open_weights", "_ow").alias("open_weights"),
            pl.coalesce("domain", "_domain").alias("domain"),
            pl.coalesce("prompt_text", "_ptext").alias("prompt_text"),
            pl.coalesce("status", pl.lit("ok")).alias("status"),
        )
        .select(list(RUN_SCHEMA))
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
    runs, prompts, models, prices = load_bundled()
    warnings: list[str] = []
    parts = []
    if source in ("bundled", "all"):
        parts.append(runs.lazy())
    if source in ("user", "all"):
        user_frame, warnings = (user_results or UserResults(results_dir)).load()
        if user_frame.height:
            enriched = _enrich_user_runs(user_frame, prompts, models)
            parts.append(metrics.with_reasoning_tokens(enriched))
    combined = pl.concat(parts, how="vertical").collect() if parts else empty_runs()
    return Dataset(combined, prompts, models, prices, warnings)

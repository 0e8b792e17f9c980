"""One import, headless: read the files, plan what is new, append it. CLI and app share it.

``ImportSession.plan()`` reads every file (nothing is written), joins the
study's prompts, and drops records already in the store (their run ids are
derived from the records, so a second import of the same file finds them
all). ``apply(plan)`` appends the new runs through the store, which fsyncs
and locks; a crash part-way loses nothing, and running the import again adds
only what is still missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenscope.importers.records import (
    Draft,
    ImportFileError,
    Notes,
    checked,
    stable_run_id,
    with_text_counts,
)
from tokenscope.text import literal

if TYPE_CHECKING:
    import polars as pl

    from tokenscope.importers.study import StudyPrompts

AUTO = "auto"
APPEND_BATCH = 5000


@dataclass
class FileResult:
    """What one file gave: its runs, what was skipped, or why it could not be read."""

    path: Path
    format: str | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    notes: Notes = field(default_factory=Notes)
    error: str | None = None

    def lines(self) -> list[str]:
        """One line per problem, each naming the file; safe to print."""
        name = self.path.name
        if self.error is not None:
            return [literal(f"skipped {name}: {self.error}", keep_newlines=False)]
        return [literal(f"{name}: {line}", keep_newlines=False) for line in self.notes.lines()]


@dataclass
class Progress:
    """Where an import is; the app shows it for large imports."""

    stage: str  # 'reading' or 'writing'
    files_done: int
    files_total: int
    runs: int  # runs read so far, or written so far when writing
    runs_total: int | None = None


@dataclass
class ImportPlan:
    files: list[FileResult]
    new_runs: list[dict[str, Any]]
    duplicates: int  # records already in the store, or twice in these files

    @property
    def skipped_records(self) -> int:
        return sum(f.notes.skipped_count for f in self.files)

    @property
    def unreadable_files(self) -> list[FileResult]:
        return [f for f in self.files if f.error is not None]

    def messages(self) -> list[str]:
        return [line for f in self.files for line in f.lines()]

    def summary(self) -> pl.DataFrame:
        """Per model: new runs, study prompts among them, and the token totals."""
        return summarise(self.new_runs)


def _origin(fmt: str, path: Path) -> str:
    return f"{fmt}:{path.name}"


def finish(
    draft: Draft,
    fmt: str,
    origin: str,
    study: StudyPrompts,
    notes: Notes,
) -> dict[str, Any]:
    """A draft as a run: checked counts, texts measured, the study joined, a stable id."""
    run = with_text_counts(checked(draft, notes))
    run.setdefault("status", "ok")
    has_counts = any(
        run.get(c) is not None
        for c in ("tokens_prompt", "tokens_completion", "tokens_reasoning_reported")
    )
    run["tokens_source"] = "reported" if has_counts else None
    study.join(run)
    run["run_id"] = stable_run_id(fmt, draft.identity)
    run["origin"] = origin
    run["source"] = "user"
    return run


def _number_samples(runs: list[dict[str, Any]]) -> None:
    """Where the tool gave no sample index: 0, 1, ... per model and question, in file order."""
    seen: dict[tuple[Any, Any], int] = {}
    for run in runs:
        key = (run.get("model"), run.get("prompt_id") or run.get("prompt_text"))
        index = seen.get(key, 0)
        seen[key] = index + 1
        if run.get("sample_index") is None:
            run["sample_index"] = index


def read_file(path: Path, fmt: str | None = None, study: StudyPrompts | None = None) -> FileResult:
    """One file as runs. Never raises for bad content: the result says what was wrong."""
    from tokenscope.importers import READERS
    from tokenscope.importers.detect import sniff
    from tokenscope.importers.study import study_prompts

    result = FileResult(Path(path))
    if not result.path.is_file():
        result.error = "no such file" if not result.path.exists() else "not a file"
        return result
    name = fmt if fmt and fmt != AUTO else sniff(result.path)
    if name is None:
        result.error = (
            "not a format tokenscope imports (Inspect, promptfoo, OpenRouter, "
            "OpenTelemetry GenAI or LiteLLM)"
        )
        return result
    result.format = name
    study = study or study_prompts()
    origin = _origin(name, result.path)
    try:
        for draft in READERS[name].read(result.path, result.notes):
            result.runs.append(finish(draft, name, origin, study, result.notes))
    except ImportFileError as exc:
        result.error, result.runs = str(exc), []
    except OSError as exc:
        result.error, result.runs = f"cannot read it ({exc.strerror or type(exc).__name__})", []
    except Exception as exc:  # hostile content is one line for the user, never a traceback
        if os.environ.get("TOKENSCOPE_DEBUG"):
            raise
        result.error, result.runs = f"unexpected content ({type(exc).__name__}: {exc})"[:300], []
    if result.error is None and not result.runs and not result.notes.skipped_count:
        result.error = f"no records in this {name} file"
    _number_samples(result.runs)
    return result


def existing_run_ids(results_dir: Path | None = None) -> set[str]:
    """Run ids of every user result the loader sees (the store and dropped files)."""
    import polars as pl

    from tokenscope.data.loader import UserResults

    frame, _ = UserResults(results_dir).load()
    if frame is None:
        return set()
    ids = frame.select(pl.col("run_id").drop_nulls().unique()).collect()
    return set(ids["run_id"].to_list())


class ImportSession:
    """Import one or more files of other tools' results into the user's store."""

    def __init__(
        self,
        paths: Sequence[Path],
        fmt: str = AUTO,
        results_dir: Path | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.fmt = fmt
        self.results_dir = results_dir
        self.on_progress = on_progress

    def _report(self, progress: Progress) -> None:
        if self.on_progress is not None:
            self.on_progress(progress)

    def plan(self) -> ImportPlan:
        from tokenscope.importers.study import study_prompts

        study = study_prompts()
        files, read_runs = [], 0
        total = len(self.paths)
        self._report(Progress("reading", 0, total, 0))
        for done, path in enumerate(self.paths, start=1):
            result = read_file(path, self.fmt, study)
            files.append(result)
            read_runs += len(result.runs)
            self._report(Progress("reading", done, total, read_runs))
        known = existing_run_ids(self.results_dir)
        new_runs, duplicates = [], 0
        for result in files:
            for run in result.runs:
                if run["run_id"] in known:
                    duplicates += 1
                    continue
                known.add(run["run_id"])
                new_runs.append(run)
        return ImportPlan(files, new_runs, duplicates)

    def apply(self, plan: ImportPlan) -> int:
        """Append the plan's new runs; returns how many were written."""
        from tokenscope.data.store import append_runs

        total, written = len(plan.new_runs), 0
        files = len(plan.files)
        for start in range(0, total, APPEND_BATCH):
            batch = plan.new_runs[start : start + APPEND_BATCH]
            written += len(append_runs(batch, self.results_dir))
            self._report(Progress("writing", files, files, written, total))
        return written


SUMMARY_COLUMNS = (
    "model",
    "runs",
    "failed",
    "study_runs",
    "tokens_prompt",
    "tokens_completion",
    "tokens_reasoning",
)


def summarise(runs: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """Per model: runs, runs on study prompts, and prompt, completion and reasoning totals.

    Reasoning follows the study's method (``metrics.with_reasoning_tokens``):
    reported counts where they pass its check, else the character fallback.
    """
    import polars as pl

    from tokenscope.data import metrics
    from tokenscope.data.schema import RUN_SCHEMA

    columns = (
        "model",
        "source",
        "status",
        "prompt_id",
        "tokens_prompt",
        "tokens_completion",
        "tokens_reasoning_reported",
        "chars_answer",
        "chars_reasoning",
        "chars_completion",
    )
    runs = list(runs)
    frame = pl.DataFrame(
        {c: [r.get(c) for r in runs] for c in columns},
        schema={c: RUN_SCHEMA[c] for c in columns},
    )
    derived = metrics.with_reasoning_tokens(frame.lazy())

    def total(name: str) -> pl.Expr:
        # A sum over nothing known is unknown, not zero.
        column = pl.col(name)
        return pl.when(column.count() > 0).then(column.sum()).round(0).cast(pl.Int64).alias(name)

    return (
        derived.group_by("model")
        .agg(
            pl.len().alias("runs"),
            (pl.col("status") != "ok").sum().alias("failed"),
            pl.col("prompt_id").is_not_null().sum().alias("study_runs"),
            total("tokens_prompt"),
            total("tokens_completion"),
            total("tokens_reasoning"),
        )
        .sort("model")
        .select(SUMMARY_COLUMNS)
        .collect()
    )

"""``tokenscope import``: other tools' logs become runs beside the study, without asking again.

Prints, per model, the runs and token totals imported (or, with --dry-run,
that would be), then one line per file about anything skipped.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from tokenscope.importers import FORMATS
from tokenscope.importers.session import AUTO, Progress


def add_parser(sub: argparse._SubParsersAction) -> None:
    from tokenscope import __version__

    p = sub.add_parser(
        "import",
        help="add the results of Inspect, promptfoo, OpenRouter, OpenTelemetry or LiteLLM",
        description="Read the logs of the eval and tracing tools you already run, so their "
        "models join the leaderboard without being asked again. Records on the study's "
        "prompts count like `tokenscope run` samples. Importing a file twice adds nothing.",
    )
    p.add_argument("--version", action="version", version=f"tokenscope {__version__}")
    p.add_argument("paths", nargs="+", metavar="PATH", help="log or export files to import")
    p.add_argument(
        "--format",
        choices=(AUTO, *FORMATS),
        default=AUTO,
        help="the files' format (default: told from their content)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be imported, per model, and what would be skipped; write nothing",
    )
    p.set_defaults(func=run)


class _ProgressLine:
    """Redraws one status line on a terminal; silent otherwise (the summary follows)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = False

    def __call__(self, p: Progress) -> None:
        if not self.stream.isatty():
            return
        if p.stage == "reading":
            text = f"reading {p.files_done}/{p.files_total} files · {p.runs:,} records"
        else:
            text = f"writing {p.runs:,}/{p.runs_total or 0:,} runs"
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tokenscope.data.export import render
    from tokenscope.importers.session import ImportSession

    progress = _ProgressLine(sys.stderr)
    session = ImportSession([Path(p).expanduser() for p in args.paths], args.format, None, progress)
    try:
        plan = session.plan()
        written = 0 if args.dry_run else session.apply(plan)
    finally:
        progress.close()
    for line in plan.messages():
        print(f"tokenscope: {line}", file=sys.stderr)
    readable = len(plan.files) - len(plan.unreadable_files)
    if plan.new_runs:
        sys.stdout.write(render(plan.summary(), "table") + "\n")
    verb = "would import" if args.dry_run else "imported"
    count = len(plan.new_runs) if args.dry_run else written
    parts = [
        f"{verb} {_plural(count, 'run')} from {readable} of {_plural(len(plan.files), 'file')}"
    ]
    if plan.duplicates:
        parts.append(f"{plan.duplicates:,} already in your results")
    if plan.skipped_records:
        parts.append(f"{_plural(plan.skipped_records, 'record')} skipped")
    print("; ".join(parts))
    if count and not args.dry_run:
        print("see them with: tokenscope leaderboard --source user")
    return 1 if plan.unreadable_files else 0

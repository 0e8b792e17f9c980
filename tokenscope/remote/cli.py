"""``tokenscope push`` and ``tokenscope pull``: share runs through a team's source.

Progress goes to stderr, one line per part (so a log shows how far a cut push
got); the summary to stdout. Every problem is one line, names the source, and
never shows a credential.
"""

from __future__ import annotations

import argparse
import sys

from tokenscope.text import literal


def add_parser(sub: argparse._SubParsersAction) -> None:
    from tokenscope import __version__

    p = sub.add_parser(
        "push",
        help="write your runs to a team source (S3, GCS, Azure or a folder); twice adds nothing",
        description="Write your runs to a source from the config's [[sources]] as new, "
        "immutable Parquet parts. Runs the source holds already (by run id) are left out, "
        "so pushing twice adds nothing; many people can push at once.",
    )
    p.add_argument("--version", action="version", version=f"tokenscope {__version__}")
    p.add_argument("--to", metavar="NAME", help="the source (default: the only one configured)")
    p.add_argument(
        "--model", action="append", default=[], metavar="M", help="only this model (repeatable)"
    )
    p.add_argument("--since", metavar="DATE", help="only runs created on or after DATE (ISO)")
    p.set_defaults(func=run_push)

    p = sub.add_parser(
        "pull",
        help="copy a source's new parts here, for offline use (incremental)",
        description="Copy the parts a source has and this machine lacks into the cache. "
        "When the source cannot be reached, tables show the pulled copy, marked stale.",
    )
    p.add_argument("--version", action="version", version=f"tokenscope {__version__}")
    p.add_argument(
        "--from", dest="source", metavar="NAME", help="the source (default: the only one)"
    )
    p.set_defaults(func=run_pull)


def _say(line: str) -> None:
    print(f"tokenscope: {literal(line, keep_newlines=False)}", file=sys.stderr, flush=True)


def _source(name: str | None):
    from tokenscope.config import load_settings
    from tokenscope.remote.sources import find_source

    return find_source(load_settings().sources, name)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def run_push(args: argparse.Namespace) -> int:
    from tokenscope.remote.push import UPLOADING, PushEvent, PushSession

    source = _source(args.to)

    def progress(event: PushEvent) -> None:
        if event.stage == UPLOADING:
            _say(f"writing part {event.parts_done + 1}/{event.parts_total}: {event.key}")

    session = PushSession(source, models=args.model, since=args.since, on_event=progress)
    plan = session.plan()
    for note in plan.notes:
        _say(note)
    if plan.without_id:
        left = _plural(plan.without_id, "run")
        _say(f"{left} without a run id left out (they cannot be told apart)")
    if not plan.parts:
        held = f"; '{source.name}' holds all {plan.candidates:,}" if plan.candidates else ""
        print(f"nothing to push{held}")
        return 0
    result = session.apply(plan)
    already = f" ({plan.already:,} already there)" if plan.already else ""
    print(
        f"pushed {_plural(result.runs, 'run')} in {_plural(result.parts, 'part')} "
        f"to '{source.name}'{already}"
    )
    return 0


def run_pull(args: argparse.Namespace) -> int:
    from tokenscope.remote.pull import FETCHING, PullEvent, PullSession

    source = _source(args.source)

    def progress(event: PullEvent) -> None:
        if event.stage == FETCHING:
            _say(f"fetching part {event.parts_done + 1}/{event.parts_total}: {event.key}")

    result = PullSession(source, on_event=progress).run()
    for line in result.skipped:
        _say(line)
    removed = (
        f"; dropped {_plural(result.removed, 'part')} it no longer has" if result.removed else ""
    )
    print(
        f"pulled {_plural(result.fetched, 'new part')} from '{source.name}' "
        f"({result.kept:,} already here){removed}"
    )
    return 0

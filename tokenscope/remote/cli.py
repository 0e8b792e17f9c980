"""``tokenscope push``, ``pull`` and ``sources``: share runs through a team's source.

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

    p = sub.add_parser(
        "sources",
        help="each configured source: live, stale or unreachable, its runs and their age",
        description="Read every source in the config's [[sources]] and say, one line each, "
        "whether it answers (live), only its pulled copy is shown (stale), or neither "
        "(unreachable), with its runs, parts, newest part and last pull.",
    )
    p.add_argument("--version", action="version", version=f"tokenscope {__version__}")
    p.set_defaults(func=run_sources)


def _say(line: str) -> None:
    print(f"tokenscope: {literal(line, keep_newlines=False)}", file=sys.stderr, flush=True)


def _source(name: str | None):
    from tokenscope.config import load_settings
    from tokenscope.remote.sources import find_source

    return find_source(load_settings().sources, name)


def run_push(args: argparse.Namespace) -> int:
    from tokenscope.remote import summary
    from tokenscope.remote.push import UPLOADING, PushEvent, PushSession

    source = _source(args.to)

    def progress(event: PushEvent) -> None:
        if event.stage == UPLOADING:
            _say(f"writing part {event.parts_done + 1}/{event.parts_total}: {event.key}")

    session = PushSession(source, models=args.model, since=args.since, on_event=progress)
    plan = session.plan()
    for note in [*plan.notes, *filter(None, [summary.left_out(plan)])]:
        _say(note)
    if not plan.parts:
        print(summary.nothing_to_push(plan))
        return 0
    print(literal(summary.pushed(plan, session.apply(plan)), keep_newlines=False))
    return 0


def run_pull(args: argparse.Namespace) -> int:
    from tokenscope.remote import summary
    from tokenscope.remote.pull import FETCHING, PullEvent, PullSession

    source = _source(args.source)

    def progress(event: PullEvent) -> None:
        if event.stage == FETCHING:
            _say(f"fetching part {event.parts_done + 1}/{event.parts_total}: {event.key}")

    result = PullSession(source, on_event=progress).run()
    for line in result.skipped:
        _say(line)
    print(literal(summary.pulled(source, result), keep_newlines=False))
    return 0


def run_sources(args: argparse.Namespace) -> int:
    from tokenscope import paths
    from tokenscope.config import load_settings
    from tokenscope.errors import EXIT_FAILED
    from tokenscope.remote import summary
    from tokenscope.remote.read import LIVE, source_statuses

    sources = load_settings().sources
    if not sources:
        where = paths.config_file()
        _say(f"no [[sources]] in {where}; see the README's 'Sharing runs with a team'")
        return 0
    statuses = source_statuses(sources)
    for status in statuses:
        print(literal(summary.status_line(status), keep_newlines=False))
        if status.message:
            _say(status.message)
    return 0 if all(s.state == LIVE for s in statuses) else EXIT_FAILED

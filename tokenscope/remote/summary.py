"""What a push, a pull or a source's status says in one line, for the CLI and the app alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenscope.remote.pull import PullResult
    from tokenscope.remote.push import PushPlan, PushResult
    from tokenscope.remote.read import SourceStatus
    from tokenscope.remote.sources import Source


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def nothing_to_push(plan: PushPlan) -> str:
    held = f"; '{plan.source.name}' holds all {plan.candidates:,}" if plan.candidates else ""
    return f"nothing to push{held}"


def pushed(plan: PushPlan, result: PushResult) -> str:
    already = f" ({plan.already:,} already there)" if plan.already else ""
    return (
        f"pushed {plural(result.runs, 'run')} in {plural(result.parts, 'part')} "
        f"to '{plan.source.name}'{already}"
    )


def left_out(plan: PushPlan) -> str | None:
    """The line about runs a push cannot send, if any."""
    if not plan.without_id:
        return None
    return f"{plural(plan.without_id, 'run')} without a run id left out (they cannot be told apart)"


def pulled(source: Source, result: PullResult) -> str:
    removed = (
        f"; dropped {plural(result.removed, 'part')} it no longer has" if result.removed else ""
    )
    return (
        f"pulled {plural(result.fetched, 'new part')} from '{source.name}' "
        f"({result.kept:,} already here){removed}"
    )


def age(when: datetime | None, now: datetime | None = None) -> str:
    """'3 min ago', '2 h ago', '5 days ago', or 'never'."""
    if when is None:
        return "never"
    if when.tzinfo is None:  # a store that gives no zone gives UTC
        when = when.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds < 90:
        return "just now"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min ago"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h ago"
    return f"{round(seconds / 86400)} days ago"


def status_line(status: SourceStatus, now: datetime | None = None) -> str:
    """One source as `tokenscope sources` prints it."""
    skipped = f", {status.skipped:,} skipped" if status.skipped else ""
    return (
        f"{status.name}  {status.state}  {status.uri}  {plural(status.runs, 'run')} in "
        f"{plural(status.parts, 'part')}{skipped}  updated {age(status.last_update, now)}  "
        f"pulled {age(status.last_sync, now)}"
    )

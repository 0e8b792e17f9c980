"""``tokenscope doctor``: everything tokenscope reads, and what became of each.

The results folder and each file in it (runs loaded, or why it was skipped),
the config file and whether it parses, and which API-key variables are set
(names only, never values). Headless: the CLI prints these lines.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from tokenscope import paths
from tokenscope.text import one_line

if TYPE_CHECKING:
    from tokenscope.config import Settings

WIDTH = 200


def _text(value: object) -> str:
    # Names, paths and reasons come from outside: never terminal control.
    return one_line(str(value), WIDTH)


def results_lines(results_dir: Path | None = None) -> list[str]:
    from tokenscope.data.loader import UserResults

    users = UserResults(results_dir)
    directory = users.directory
    if not directory.is_dir():
        return [f"results folder: {_text(directory)} (none yet; your runs will be stored there)"]
    statuses = [status for status, _ in users.scan()]
    skipped = sum(1 for s in statuses if s.error)
    noted = sum(1 for s in statuses if s.notes and not s.error)
    runs = sum(s.rows for s in statuses)
    lines = [
        f"results folder: {_text(directory)}",
        f"  {len(statuses)} result file{'s' * (len(statuses) != 1)}: {runs:,} runs loaded, "
        f"{noted} with notes, {skipped} skipped",
    ]
    width = max((len(s.name) for s in statuses), default=0)
    for status in statuses:
        if status.error:
            lines.append(f"  skipped  {status.name:{width}}  {status.error}")
            continue
        detail = f"{status.rows:,} run{'s' * (status.rows != 1)}"
        if status.notes:
            detail += "; " + "; ".join(status.notes)
        lines.append(f"  {'note' if status.notes else 'ok':8} {status.name:{width}}  {detail}")
    return lines


def config_lines() -> tuple[list[str], Settings | None]:
    """What the config file says about itself, and the settings (None when it does not parse)."""
    from tokenscope.config import ConfigError, load_settings

    path = paths.config_file()
    if not path.exists():
        return [f"config file: {_text(path)} (none yet: tokenscope config --init)"], None
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        return [f"config file: {_text(path)} does not parse: {_text(exc)}"], None
    own = len(settings.endpoints)
    return [
        f"config file: {_text(path)} (parses; {own} endpoint{'s' * (own != 1)} of your own)"
    ], settings


def key_lines(settings: Settings | None = None) -> list[str]:
    """Each API-key variable an endpoint reads, set or not; never its value."""
    from tokenscope.probe.endpoints import all_endpoints

    readers: dict[str, list[str]] = defaultdict(list)
    for name, endpoint in sorted(all_endpoints(settings).items()):
        if endpoint.api_key_env:
            readers[endpoint.api_key_env].append(name)
    lines = ["API keys (environment variables; values are never shown):"]
    width = max((len(v) for v in readers), default=0)
    for variable, names in sorted(readers.items()):
        state = "set" if os.environ.get(variable, "").strip() else "not set"
        lines.append(f"  {_text(variable):{width}}  {state:7}  for {', '.join(map(_text, names))}")
    return lines


def report(results_dir: Path | None = None) -> list[str]:
    config, settings = config_lines()
    return [*results_lines(results_dir), *config, *key_lines(settings)]

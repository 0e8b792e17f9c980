"""Lineages: one lab's model versions in release order, as the trends table follows them.

They come from ``bundled_results/lineages.toml`` plus the user's config, both
in one shape::

    [[lineages]]
    name = "Claude Sonnet"
    models = ["claude-3-7-sonnet-20250219", { model = "Claude Sonnet 4.5", released = 2025-09-29 }]

Parsing needs neither Polars nor the data layer: the config module reads them.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenscope import paths
from tokenscope.errors import UserError

LINEAGES_FILE = "lineages.toml"


class LineageError(UserError):
    """A lineage definition cannot be used; the message is one line naming file and key."""


@dataclass(frozen=True)
class Step:
    model: str
    released: dt.date | None = None


@dataclass(frozen=True)
class Lineage:
    name: str
    steps: tuple[Step, ...]


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise LineageError(f"{where} must be a date such as 2025-09-29")


def _step(value: Any, where: str) -> Step:
    if isinstance(value, str) and value.strip():
        return Step(value.strip())
    if isinstance(value, dict):
        unknown = set(value) - {"model", "released"}
        if unknown:
            raise LineageError(f"{where}.{min(unknown)} is not a lineage setting")
        model = value.get("model")
        if isinstance(model, str) and model.strip():
            released = value.get("released")
            return Step(
                model.strip(),
                None if released is None else _date(released, f"{where}.released"),
            )
    raise LineageError(f"{where} must be a model name or a table with a 'model' name")


def _lineage(value: Any, where: str) -> Lineage:
    if not isinstance(value, dict):
        raise LineageError(f"{where} must be a table ([[lineages]])")
    unknown = set(value) - {"name", "models"}
    if unknown:
        raise LineageError(f"{where}.{min(unknown)} is not a lineage setting")
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        raise LineageError(f"{where}.name must be a non-empty string")
    models = value.get("models")
    if not isinstance(models, list) or not models:
        raise LineageError(f"{where}.models must be a non-empty list, oldest version first")
    steps = tuple(_step(m, f"{where}.models[{i}]") for i, m in enumerate(models))
    seen: set[str] = set()
    last: dt.date | None = None
    for i, step in enumerate(steps):
        if step.model in seen:
            raise LineageError(f"{where}.models[{i}] repeats '{step.model}'")
        seen.add(step.model)
        if step.released is not None:
            if last is not None and step.released < last:
                raise LineageError(
                    f"{where}.models[{i}] was released before the version listed ahead of it"
                )
            last = step.released
    return Lineage(name.strip(), steps)


def parse_lineages(raw: Any, source: Path | str) -> tuple[Lineage, ...]:
    """The ``lineages`` array of a TOML document (bundled file or user config).

    Raises ``LineageError`` with one line naming ``source`` and the key.
    """
    if not isinstance(raw, list):
        raise LineageError(f"{source}: lineages must be an array of tables ([[lineages]])")
    lineages = tuple(_lineage(value, f"{source}: lineages[{i}]") for i, value in enumerate(raw))
    names = [lineage.name for lineage in lineages]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise LineageError(f"{source}: lineages[{i}].name repeats '{name}'")
    return lineages


def bundled_lineages(bundled_dir: Path | None = None) -> tuple[Lineage, ...]:
    """The lineages shipped with tokenscope."""
    path = (bundled_dir or paths.bundled_dir()) / LINEAGES_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LineageError(f"{path}: cannot be read ({exc.__class__.__name__})") from exc
    return parse_lineages(raw.get("lineages", []), path)


def merge_lineages(bundled: Iterable[Lineage], user: Iterable[Lineage]) -> tuple[Lineage, ...]:
    """The bundled lineages with the user's: one of the same name replaces the bundled one."""
    mine = {lineage.name: lineage for lineage in user}
    kept = [mine.pop(lineage.name, lineage) for lineage in bundled]
    return (*kept, *mine.values())

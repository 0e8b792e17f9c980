"""Version trends: how a lab's successive models spend tokens, step by step.

The study's central claim is that closed labs made each new version spend
fewer tokens while open-weight labs made theirs spend more. A lineage lists
one lab's versions in release order; the trends table gives each step's
relative completion tokens per domain (the leaderboard's own figure) and the
change from the version before it.

Lineages come from ``bundled_results/lineages.toml`` plus the user's config,
both in one shape::

    [[lineages]]
    name = "Claude Sonnet"
    models = ["claude-3-7-sonnet-20250219", { model = "Claude Sonnet 4.5", released = 2025-09-29 }]
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from tokenscope import paths
from tokenscope.data import metrics
from tokenscope.data.leaderboard import (
    METRIC_COLUMNS,
    check_domain,
    completed_runs,
    models_table,
)
from tokenscope.data.loader import Dataset, LoadError
from tokenscope.data.metrics import DEFAULT_REFERENCE_MODELS
from tokenscope.data.schema import DOMAINS

LINEAGES_FILE = "lineages.toml"
TREND_DOMAINS = ("all", *DOMAINS)

TRENDS_COLUMNS = (
    "lineage",
    "step",
    "model",
    "released",
    "lab",
    "open_weights",
    "domain",
    "relative_completion_tokens",
    "n_prompts",
    "previous_model",
    "change_from_previous",
    "measured",
)


class LineageError(LoadError):
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


def _steps_frame(lineages: Sequence[Lineage]) -> pl.DataFrame:
    rows = [
        {
            "_order": order,
            "lineage": lineage.name,
            "step": number,
            "model": step.model,
            "released": step.released,
        }
        for order, lineage in enumerate(lineages)
        for number, step in enumerate(lineage.steps, start=1)
    ]
    schema = {
        "_order": pl.Int64,
        "lineage": pl.String,
        "step": pl.Int64,
        "model": pl.String,
        "released": pl.Date,
    }
    return pl.DataFrame(rows, schema=schema)


def trends_table(
    ds: Dataset,
    lineages: Sequence[Lineage],
    domain: str | None = None,
    reference: Sequence[str] = DEFAULT_REFERENCE_MODELS,
) -> pl.DataFrame:
    """Per lineage step and domain: relative completion tokens and the change from before.

    The figure is the leaderboard's (normalised over every loaded run). A step
    uses the study's runs of its model where the study has it, else the user's.
    ``change_from_previous`` is this step's figure over that of the nearest
    earlier step measured in the same domain, minus 1 (-0.25: a quarter fewer
    tokens). A step whose model has no runs here stays in the table with
    ``measured`` false, so a front end can say so; domain ``None`` gives all four.
    """
    domains = TREND_DOMAINS if domain is None else (check_domain(domain),)
    runs = completed_runs(ds).select(METRIC_COLUMNS).collect().lazy()
    relative = metrics.relative_by_domain(runs, reference).filter(pl.col("domain").is_in(domains))
    about = models_table(ds).select(
        "model", "source", "lab", "open_weights", pl.lit(True).alias("measured")
    )
    per_model = (
        about.lazy()
        .join(pl.LazyFrame({"domain": list(domains)}), how="cross")
        .join(relative, on=["model", "source", "domain"], how="left")
        # The study's runs first, then the user's.
        .sort("model", "domain", pl.col("source") != "bundled")
        .unique(["model", "domain"], keep="first", maintain_order=True)
        .drop("source")
    )
    steps = _steps_frame(lineages).lazy().join(pl.LazyFrame({"domain": list(domains)}), how="cross")
    figure = pl.col("relative_completion_tokens")
    earlier = ["_order", "domain"]
    table = (
        steps.join(per_model, on=["model", "domain"], how="left")
        .with_columns(
            pl.col("measured").fill_null(False),
            pl.col("domain")
            .replace_strict({d: i for i, d in enumerate(TREND_DOMAINS)}, return_dtype=pl.Int64)
            .alias("_domain_order"),
        )
        .sort("_order", "_domain_order", "step")
        .with_columns(
            figure.shift(1).forward_fill().over(earlier).alias("_previous"),
            pl.when(figure.is_not_null())
            .then(pl.col("model"))
            .shift(1)
            .forward_fill()
            .over(earlier)
            .alias("previous_model"),
        )
        .with_columns((figure / pl.col("_previous") - 1).alias("change_from_previous"))
    )
    return table.select(TRENDS_COLUMNS).collect()

"""Version trends: how a lab's successive models spend tokens, step by step.

The study's central claim is that closed labs made each new version spend
fewer tokens while open-weight labs made theirs spend more. A lineage lists
one lab's versions in release order; the trends table gives each step's
relative completion tokens per domain (the leaderboard's own figure) and the
change from the version before it.

The lineages themselves are read in ``tokenscope.lineages``.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from tokenscope.data import metrics
from tokenscope.data.leaderboard import check_domain, finished_sums, models_table
from tokenscope.data.loader import Dataset, LoadError
from tokenscope.data.metrics import DEFAULT_REFERENCE_MODELS
from tokenscope.data.schema import DOMAINS
from tokenscope.lineages import (
    Lineage,
    LineageError,
    Step,
    bundled_lineages,
    merge_lineages,
    parse_lineages,
)

__all__ = [
    "TRENDS_COLUMNS",
    "TREND_DOMAINS",
    "Lineage",
    "LineageError",
    "LoadError",
    "Step",
    "bundled_lineages",
    "merge_lineages",
    "parse_lineages",
    "trends_table",
]
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
    relative = metrics.relative_by_domain(finished_sums(ds), reference).filter(
        pl.col("domain").is_in(domains)
    )
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

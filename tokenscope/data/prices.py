"""Which price applies to a model, and what one run costs at it.

The user's ``[prices]`` beat the study's, by model name, everywhere: in the tables
(``merge_prices``, ``with_user_prices``) and for a run being stored (``PriceBook``).
The formulas themselves are in ``metrics`` (``completion_cost``, ``prompt_cost``,
``run_total_cost``); this module only finds the price and applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import polars as pl

from tokenscope.config import Price
from tokenscope.data.editions import models_for_api_id
from tokenscope.data.metrics import completion_cost, prompt_cost, run_cost_columns, run_total_cost
from tokenscope.data.schema import PRICE_SCHEMA, conform

if TYPE_CHECKING:
    from tokenscope.config import Settings
    from tokenscope.data.loader import Dataset

# The user's prices as a table: what ``merge_prices`` lays over the study's.
USER_PRICE_SCHEMA: dict[str, pl.DataType] = {
    "model": pl.String(),
    "completion_price_min": pl.Float64(),
    "completion_price_max": pl.Float64(),
    "prompt_price_avg": pl.Float64(),
}


def user_price_frame(prices: Mapping[str, Price]) -> pl.DataFrame:
    """The user's ``[prices]`` as rows (model, completion min/max, prompt), $ per million."""
    return pl.DataFrame(
        [(model, p.completion_min, p.completion_max, p.prompt) for model, p in prices.items()],
        schema=USER_PRICE_SCHEMA,
        orient="row",
    )


def merge_prices(bundled: pl.DataFrame, user: pl.DataFrame | None) -> pl.LazyFrame:
    """The study's price table with each model the user priced replaced by the user's row
    (a user row without a prompt price has none: it is the user's price, not a mix)."""
    prices = bundled.lazy()
    if user is None or user.is_empty():
        return prices
    mine = user.lazy().with_columns(
        pl.col("completion_price_min").cast(pl.Float64),
        pl.col("completion_price_max").cast(pl.Float64),
    )
    if "prompt_price_avg" not in user.columns:
        mine = mine.with_columns(pl.lit(None, pl.Float64).alias("prompt_price_avg"))
    mine = mine.with_columns(
        ((pl.col("completion_price_min") + pl.col("completion_price_max")) / 2).alias(
            "completion_price_avg"
        ),
        pl.col("prompt_price_avg").alias("prompt_price_min"),
        pl.col("prompt_price_avg").alias("prompt_price_max"),
    )
    kept = prices.join(mine.select("model"), on="model", how="anti")
    return conform(pl.concat([kept, mine], how="diagonal_relaxed"), PRICE_SCHEMA)


def with_user_prices(ds: Dataset, prices: Mapping[str, Price]) -> Dataset:
    """The dataset with the user's prices in its price table: every table built from it
    (leaderboard, runs, run detail) charges what the user configured."""
    if not prices:
        return ds
    return replace(ds, prices=merge_prices(ds.prices, user_price_frame(prices)).collect())


COST_COLUMNS = ("cost_usd", "cost_completion_usd", "cost_prompt_usd")
PRICE_COLUMNS = ("completion_price_min", "completion_price_max", "prompt_price_avg")


def with_run_costs(
    runs: pl.LazyFrame, prices: pl.LazyFrame, *, keep_prices: bool = False
) -> pl.LazyFrame:
    """Each run's completion, prompt and total cost. A run stored with its cost keeps it
    (what it cost when it ran, or what the provider billed for an imported one); the
    others (the study's, files without costs) are costed at ``prices``, the user's first.
    ``keep_prices`` leaves the joined price columns in."""
    stored = pl.col("_stored_cost_usd").is_not_null()
    out = (
        runs.with_columns(pl.col(c).alias(f"_stored_{c}") for c in COST_COLUMNS)
        .join(prices.select("model", *PRICE_COLUMNS), on="model", how="left", maintain_order="left")
        .with_columns(run_cost_columns())
        .with_columns(
            pl.when(stored).then(pl.col(f"_stored_{c}")).otherwise(pl.col(c)).alias(c)
            for c in COST_COLUMNS
        )
        .drop(*(f"_stored_{c}" for c in COST_COLUMNS))
    )
    return out if keep_prices else out.drop(*PRICE_COLUMNS)


@dataclass(frozen=True)
class RunCost:
    """What one run cost, in dollars: completion and prompt apart, and their total."""

    completion: float | None = None
    prompt: float | None = None
    total: float | None = None

    def columns(self) -> dict[str, float | None]:
        """The run schema's cost columns."""
        return {
            "cost_usd": self.total,
            "cost_completion_usd": self.completion,
            "cost_prompt_usd": self.prompt,
        }


def run_cost(
    tokens_completion: float | None, tokens_prompt: float | None, price: Price | None
) -> RunCost:
    """A run's cost at ``price``: completion tokens at the middle of the completion band,
    prompt tokens at the prompt price; the same formulas as the tables' cost columns."""
    if price is None or tokens_completion is None:
        return RunCost()
    completion = completion_cost(float(tokens_completion), price.completion)
    prompt = None
    if price.prompt is not None and tokens_prompt is not None:
        prompt = prompt_cost(float(tokens_prompt), price.prompt)
    return RunCost(completion, prompt, run_total_cost(completion, prompt))


@dataclass(frozen=True)
class PriceBook:
    """Prices by model: the user's first (by any of the names given), then the study's,
    by display name or API id."""

    user: Mapping[str, Price] = field(default_factory=dict)
    study: Mapping[str, Price] = field(default_factory=dict)
    by_api_model: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_tables(
        cls, user: Mapping[str, Price], models: pl.DataFrame | None, prices: pl.DataFrame | None
    ) -> PriceBook:
        study: dict[str, Price] = {}
        if prices is not None:
            for row in prices.iter_rows(named=True):
                if row["completion_price_min"] is not None:
                    study[row["model"]] = Price(
                        row["completion_price_min"],
                        row["completion_price_max"],
                        row["prompt_price_avg"],
                    )
        by_api: dict[str, tuple[str, ...]] = {}
        if models is not None:
            ids = set(models["api_model"].drop_nulls())
            for api_model in ids | {i.split("/", 1)[-1] for i in ids}:
                by_api[api_model] = tuple(models_for_api_id(models, api_model))
        return cls(dict(user), study, by_api)

    @classmethod
    def load(cls, settings: Settings) -> PriceBook:
        """The user's prices from ``settings`` and the study's from the bundled tables
        (when those cannot be read, the user's alone)."""
        from tokenscope.data.loader import LoadError, load_study_tables

        try:
            _prompts, models, prices = load_study_tables()
        except LoadError:
            return cls.from_tables(settings.prices, None, None)
        return cls.from_tables(settings.prices, models, prices)

    def find(self, *names: str) -> Price | None:
        for name in names:
            if name in self.user:
                return self.user[name]
        for name in names:
            # An API id shared by several models (deepseek-reasoner) names none of them.
            served = self.by_api_model.get(name, ())
            for candidate in (name, *(served if len(served) == 1 else ())):
                found = self.user.get(candidate) or self.study.get(candidate)
                if found is not None:
                    return found
        return None

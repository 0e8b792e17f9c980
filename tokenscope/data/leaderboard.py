"""The tables every front end shows: leaderboard, prompt matrix, prompts, models.

Relative tokens are always normalised over every loaded run (bundled and
user), then filtered, so a user's model is measured on the study's footing.
Only finished runs of the study's prompts count toward a model's figures
(``study_sums``); an ad-hoc question, another suite's prompt or a failed run
stays in the Runs table.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from tokenscope.data import metrics
from tokenscope.data.loader import Dataset, LoadError
from tokenscope.data.metrics import DEFAULT_REFERENCE_MODELS, MODEL_KEY
from tokenscope.data.schema import DOMAINS, normalise_domain

DOMAIN_CHOICES = ("all", *DOMAINS)

LEADERBOARD_COLUMNS = (
    "model",
    "lab",
    "open_weights",
    "source",
    "n_runs",
    "n_prompts",
    "mean_completion_tokens",
    "mean_reasoning_tokens",
    "relative_completion_tokens",
    "success_rate",
    "cost_per_query_usd_min",
    "cost_per_query_usd_max",
    "chars_per_token",
    "overthinking_auc",
)


def finished_sums(ds: Dataset, oaa_cap: float = metrics.DEFAULT_OAA_CAP) -> pl.LazyFrame:
    """The finished runs reduced to ``metrics.run_sums``: one streaming pass over the
    files that reads only the columns the figures need, into a frame of models × prompts
    rows (never the runs themselves). Every figure of a table is a ratio of these sums,
    and a dataset's sums are kept, so the app's next filter reads no file."""
    key = ("finished", oaa_cap)
    if key not in ds.sums:
        sums = metrics.run_sums(ds.metric_runs(), oaa_cap, keep=metrics.finished())
        ds.sums[key] = sums.collect(engine="streaming")
    return ds.sums[key].lazy()


def is_study_prompt(ds: Dataset) -> pl.Expr:
    return pl.col("prompt_id").is_in(sorted(ds.prompt_ids))


def study_sums(ds: Dataset) -> pl.LazyFrame:
    """``finished_sums`` of the study's prompts: what study-normalised figures are made of."""
    return finished_sums(ds).filter(is_study_prompt(ds))


def check_domain(domain: str | None) -> str:
    """The domain as the tables name it, whatever its case ('Math' is 'math')."""
    if domain is None or domain.strip().lower() == "all":
        return "all"
    wanted = normalise_domain(domain)
    if wanted is None:
        raise LoadError(f"unknown domain '{domain}' (choose {', '.join(DOMAIN_CHOICES)})")
    return wanted


def check_reference(ds: Dataset, reference: Sequence[str]) -> tuple[str, ...]:
    known = ds.model_names
    for name in reference:
        if name not in known:
            raise LoadError(f"unknown reference model '{name}' (see `tokenscope models`)")
    if not reference:
        raise LoadError("the reference list is empty")
    return tuple(reference)


def check_model(ds: Dataset, model: str) -> str:
    if model not in ds.model_names:
        raise LoadError(f"unknown model '{model}' (see `tokenscope models`)")
    return model


def price_table(ds: Dataset, user_prices: pl.DataFrame | None = None) -> pl.LazyFrame:
    """The dataset's prices, overridden per model by prices the user configured."""
    from tokenscope.data.prices import merge_prices

    return merge_prices(ds.prices, user_prices)


def run_costs(
    runs: pl.DataFrame, ds: Dataset, user_prices: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``runs`` with each run's costs at today's prices (what the app's Runs table shows)."""
    from tokenscope.data.prices import with_run_costs

    return with_run_costs(runs.lazy(), price_table(ds, user_prices)).collect()


def with_mid_cost(table: pl.DataFrame) -> pl.DataFrame:
    """Adds ``cost_per_query_usd``, the middle of the min–max price band (one sortable number):
    mean completion tokens × completion price, the study's cost per query."""
    return table.with_columns(
        ((pl.col("cost_per_query_usd_min") + pl.col("cost_per_query_usd_max")) / 2).alias(
            "cost_per_query_usd"
        )
    )


def leaderboard(
    ds: Dataset,
    domain: str = "all",
    reference: Sequence[str] = DEFAULT_REFERENCE_MODELS,
    source: str = "all",
    user_prices: pl.DataFrame | None = None,
    oaa_cap: float = metrics.DEFAULT_OAA_CAP,
) -> pl.DataFrame:
    """One row per model (and source) with a finished run, sorted by relative completion
    tokens. Its figures come from its runs of the study's prompts only: a model with none
    (only questions of its own) has a row with 0 runs and no figures."""
    domain = check_domain(domain)
    finished = metrics.filter_domain(finished_sums(ds, oaa_cap), domain)
    runs = finished.filter(is_study_prompt(ds))
    relative = (
        metrics.relative_by_domain(runs, reference)
        .filter(pl.col("domain") == domain)
        .drop("domain", "n_prompts")
    )
    models = metrics.model_about(finished)
    per_model = metrics.model_figures(runs)
    table = (
        models.join(per_model, on=list(MODEL_KEY), how="left")
        .join(relative, on=list(MODEL_KEY), how="left")
        .join(price_table(ds, user_prices), on="model", how="left")
        .with_columns(*metrics.cost_columns(), *metrics.zero_counts())
    )
    if source != "all":
        table = table.filter(pl.col("source") == source)
    return (
        table.select(LEADERBOARD_COLUMNS)
        .sort("relative_completion_tokens", "model", nulls_last=True)
        .collect()
    )


def prompt_matrix(
    ds: Dataset, reference: Sequence[str] = DEFAULT_REFERENCE_MODELS, domain: str = "all"
) -> pl.DataFrame:
    """Long form (model, source, prompt_id, domain, relative_completion_tokens, ...)."""
    domain = check_domain(domain)
    rel = metrics.relative_by_prompt(study_sums(ds), reference)
    if domain != "all":
        rel = rel.filter(pl.col("domain") == domain)
    return rel.sort("prompt_id", "model").collect()


def prompts_table(ds: Dataset, reference: Sequence[str] = DEFAULT_REFERENCE_MODELS) -> pl.DataFrame:
    means = metrics.prompt_means(study_sums(ds))
    norm = metrics.prompt_normalisers(means, reference)
    counts = means.group_by("prompt_id").agg(
        pl.len().alias("n_models"),
        pl.col("mean_completion_tokens").min().alias("min_model_mean_tokens"),
        pl.col("mean_completion_tokens").max().alias("max_model_mean_tokens"),
    )
    return (
        ds.prompts.lazy()
        .join(norm, on="prompt_id", how="left")
        .join(counts, on="prompt_id", how="left")
        .select(
            "prompt_id",
            "domain",
            "category",
            "title",
            "prompt_text",
            "criteria",
            pl.col("normaliser").alias("reference_mean_tokens"),
            "normaliser_from",
            "n_models",
            "min_model_mean_tokens",
            "max_model_mean_tokens",
        )
        .sort("domain", "prompt_id")
        .collect()
    )


def models_table(ds: Dataset, user_prices: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every model with a run, its metadata and prices. ``n_runs`` and ``n_prompts`` are the
    leaderboard's (finished runs of the study's prompts); ``n_other_runs`` counts the rest
    (ad-hoc questions, other suites, failed and cancelled runs), shown in Runs only."""
    every_sums = metrics.run_sums(ds.metric_runs()).collect(engine="streaming").lazy()
    every = metrics.model_about(every_sums).join(
        every_sums.group_by(list(MODEL_KEY)).agg(pl.col("n_runs").sum().alias("_all_runs")),
        on=list(MODEL_KEY),
    )
    every = every.rename({"lab": "_lab", "open_weights": "_ow"})
    study = study_sums(ds).group_by(list(MODEL_KEY)).agg(*metrics.run_count_exprs())
    counts = (
        every.join(study, on=list(MODEL_KEY), how="left")
        .with_columns(*metrics.zero_counts())
        .with_columns((pl.col("_all_runs") - pl.col("n_runs")).alias("n_other_runs"))
    )
    prices = price_table(ds, user_prices).select(
        "model",
        "completion_price_min",
        "completion_price_max",
        "prompt_price_min",
        "prompt_price_max",
    )
    return (
        counts.join(ds.models.lazy(), on="model", how="left")
        .join(prices, on="model", how="left")
        .select(
            "model",
            pl.coalesce("lab", "_lab").alias("lab"),
            pl.coalesce("open_weights", "_ow").alias("open_weights"),
            "full_cot",
            "api_model",
            "effort",
            "source",
            "n_runs",
            "n_prompts",
            "n_other_runs",
            "completion_price_min",
            "completion_price_max",
            "prompt_price_min",
            "prompt_price_max",
            "metadata_source",
        )
        .sort("source", "model")
        .collect()
    )


def filter_runs(
    ds: Dataset,
    model: str | None = None,
    prompt: str | None = None,
    domain: str | None = None,
    source: str = "all",
) -> pl.DataFrame:
    runs = ds.lazy_runs()
    if model:
        runs = runs.filter(pl.col("model") == check_model(ds, model))
    if prompt:
        if prompt not in ds.prompt_ids:
            raise LoadError(f"unknown prompt '{prompt}' (see `tokenscope prompts`)")
        runs = runs.filter(pl.col("prompt_id") == prompt)
    domain = check_domain(domain)
    if domain != "all":
        runs = runs.filter(pl.col("domain") == domain)
    if source != "all":
        runs = runs.filter(pl.col("source") == source)
    return runs.collect()

"""The study's metrics as Polars expressions (../shared/DATA.md is the specification).

Every function takes and returns a ``LazyFrame`` in the canonical run schema or a
documented aggregate of it; nothing iterates over rows in Python. A "model" is
the pair (model, source): a user's own run of ``gpt-oss-120b`` sits beside the
study's, never folded into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, overload

import polars as pl

DEFAULT_REFERENCE_MODELS: tuple[str, ...] = (
    "claude-4-sonnet-0522-thinking",
    "o4-mini-high-long",
    "gemini-2.5-flash-high",
)

# The study's fallback when no chain of thought is visible: an answer costs one
# token per 3.1 characters.
ANSWER_CHARS_PER_TOKEN = 3.1

# Default upper bound of the thinking budget for the overthinking-adjusted AUC.
DEFAULT_OAA_CAP = 10_000

MODEL_KEY = ("model", "source")


def with_reasoning_tokens(runs: pl.LazyFrame) -> pl.LazyFrame:
    """Fill ``tokens_reasoning``, ``tokens_answer`` and ``reasoning_method``.

    A model's reported reasoning counts are trusted only when some are > 0 and
    none exceeds its completion count (the study's consistency check), judged
    per prompt: that is the granularity that reproduces the study's published
    3,104 reasoning tokens for DeepSeek-R1-0528 on AIME2023II_P1 (a per-model
    check would reject all its counts for a few bad knowledge runs). Otherwise
    each run falls back to characters: with chain-of-thought text, completion ×
    CoT chars / completion chars; without, completion − answer chars / 3.1.
    """
    completion = pl.col("tokens_completion").cast(pl.Float64)
    reported = pl.col("tokens_reasoning_reported")
    trusted = ((reported > 0).any() & ~(reported > pl.col("tokens_completion")).any()).over(
        [*MODEL_KEY, "prompt_id"]
    )
    has_cot = (pl.col("chars_reasoning") > 0) & (pl.col("chars_completion") > 0)
    has_answer_chars = pl.col("chars_answer").is_not_null()
    use_reported = trusted & reported.is_not_null()
    usable = pl.col("tokens_completion").is_not_null()

    method = (
        pl.when(~usable)
        .then(pl.lit(None, pl.String))
        .when(use_reported)
        .then(pl.lit("reported"))
        .when(has_cot)
        .then(pl.lit("cot_chars"))
        .when(has_answer_chars)
        .then(pl.lit("answer_chars"))
        .otherwise(pl.lit(None, pl.String))
    )
    reasoning = (
        pl.when(~usable)
        .then(pl.lit(None, pl.Float64))
        .when(use_reported)
        .then(reported.cast(pl.Float64))
        .when(has_cot)
        .then(completion * pl.col("chars_reasoning") / pl.col("chars_completion"))
        .when(has_answer_chars)
        # A negative count means the answer alone exceeds the completion; no
        # reasoning is the only meaningful reading.
        .then((completion - pl.col("chars_answer") / ANSWER_CHARS_PER_TOKEN).clip(lower_bound=0.0))
        .otherwise(pl.lit(None, pl.Float64))
    )
    # Both columns come from the same conditions, so a query that never reads
    # the method (a leaderboard) does not pay for building its strings.
    return runs.with_columns(
        method.alias("reasoning_method"), reasoning.alias("tokens_reasoning")
    ).with_columns((completion - pl.col("tokens_reasoning")).alias("tokens_answer"))


def prompt_means(runs: pl.LazyFrame) -> pl.LazyFrame:
    """Mean completion tokens per (model, source, prompt).

    A prompt where any of the model's runs lacks a positive completion count is
    left out for that model, as in the study.
    """
    return (
        runs.filter(pl.col("prompt_id").is_not_null())
        .group_by([*MODEL_KEY, "prompt_id", "domain"])
        .agg(
            pl.col("tokens_completion").mean().alias("mean_completion_tokens"),
            pl.col("tokens_reasoning").mean().alias("mean_reasoning_tokens"),
            pl.len().alias("n_runs"),
            (pl.col("tokens_completion").is_null() | (pl.col("tokens_completion") <= 0))
            .any()
            .alias("_has_bad_run"),
        )
        .filter(~pl.col("_has_bad_run"))
        .drop("_has_bad_run")
    )


def prompt_normalisers(
    means: pl.LazyFrame, reference: Sequence[str] = DEFAULT_REFERENCE_MODELS
) -> pl.LazyFrame:
    """Per prompt: the mean of the reference models' means, else of all models'.

    Columns: prompt_id, normaliser, normaliser_from ('reference' or 'all models').
    """
    ref = list(reference)
    is_ref = pl.col("model").is_in(ref)
    return (
        means.group_by("prompt_id")
        .agg(
            pl.col("mean_completion_tokens").filter(is_ref).mean().alias("_ref"),
            pl.col("mean_completion_tokens").mean().alias("_all"),
        )
        .select(
            "prompt_id",
            pl.coalesce("_ref", "_all").alias("normaliser"),
            pl.when(pl.col("_ref").is_not_null())
            .then(pl.lit("reference"))
            .otherwise(pl.lit("all models"))
            .alias("normaliser_from"),
        )
    )


def relative_by_prompt(
    runs: pl.LazyFrame, reference: Sequence[str] = DEFAULT_REFERENCE_MODELS
) -> pl.LazyFrame:
    """Relative completion tokens per (model, source, prompt): mean / normaliser."""
    means = prompt_means(runs)
    return means.join(
        prompt_normalisers(means, reference), on="prompt_id", how="left"
    ).with_columns(
        (pl.col("mean_completion_tokens") / pl.col("normaliser")).alias(
            "relative_completion_tokens"
        )
    )


def relative_by_domain(
    runs: pl.LazyFrame, reference: Sequence[str] = DEFAULT_REFERENCE_MODELS
) -> pl.LazyFrame:
    """A model's score per domain: the mean of its per-prompt ratios there.

    Also a row with domain 'all' over every prompt the model has.
    """
    per_prompt = relative_by_prompt(runs, reference)
    by_domain = per_prompt.group_by([*MODEL_KEY, "domain"]).agg(
        pl.col("relative_completion_tokens").mean(), pl.len().alias("n_prompts")
    )
    overall = per_prompt.group_by(list(MODEL_KEY)).agg(
        pl.lit("all").alias("domain"),
        pl.col("relative_completion_tokens").mean(),
        pl.len().alias("n_prompts"),
    )
    return pl.concat([by_domain, overall.select(by_domain.collect_schema().names())])


def run_count_exprs() -> list[pl.Expr]:
    """``n_runs`` and ``n_prompts`` of a group of runs: what the leaderboard and
    ``tokenscope models`` both say a model has."""
    return [
        pl.len().alias("n_runs"),
        pl.col("prompt_id").drop_nulls().n_unique().alias("n_prompts"),
    ]


def zero_counts() -> list[pl.Expr]:
    """``run_count_exprs`` after a left join: a model without such runs has 0 of each."""
    return [pl.col("n_runs").fill_null(0), pl.col("n_prompts").fill_null(0)]


def chars_per_token_expr() -> pl.Expr:
    """Least-squares slope of completion characters on completion tokens.

    About 3-3.4 means the raw chain of thought is visible; about 1 a condensed
    transcription; about 0.3 only a summary (the study's Figure 2).
    """
    x = pl.col("tokens_completion").cast(pl.Float64)
    valid = x.is_not_null() & pl.col("chars_completion").is_not_null() & (x > 0)
    x = x.filter(valid)
    y = pl.col("chars_completion").cast(pl.Float64).filter(valid)
    return (
        pl.when(x.var() > 0).then(pl.cov(x, y) / x.var()).otherwise(None).alias("chars_per_token")
    )


def chars_per_token(runs: pl.LazyFrame) -> pl.LazyFrame:
    """Characters per completion token, per model (see ``chars_per_token_expr``)."""
    return runs.group_by(list(MODEL_KEY)).agg(chars_per_token_expr())


def success_rate_exprs() -> list[pl.Expr]:
    """Mean per-run weighted share of criteria met; ungraded runs are skipped."""
    return [
        pl.col("score").mean().alias("success_rate"),
        pl.col("score").is_not_null().sum().alias("n_graded"),
    ]


def success_rate(runs: pl.LazyFrame) -> pl.LazyFrame:
    return runs.group_by(list(MODEL_KEY)).agg(success_rate_exprs())


PER_MILLION = 1e6
# A number (one run, from the CLI or the app) or a Polars expression (a table column):
# the same formula serves both, so they cannot drift apart.
Amount = TypeVar("Amount", float, pl.Expr)


def _dollars(tokens: Amount, price_per_million: Amount) -> Amount:
    return tokens * price_per_million / PER_MILLION


def completion_cost(tokens: Amount, price_per_million: Amount) -> Amount:
    """Completion tokens × completion price ($ per million tokens): the study's cost of a
    query, and a run's completion cost."""
    return _dollars(tokens, price_per_million)


def prompt_cost(tokens: Amount, price_per_million: Amount) -> Amount:
    """Prompt tokens × prompt price ($ per million tokens): what sending the question cost."""
    return _dollars(tokens, price_per_million)


@overload
def run_total_cost(completion: pl.Expr, prompt: pl.Expr) -> pl.Expr: ...


@overload
def run_total_cost(completion: float | None, prompt: float | None) -> float | None: ...


def run_total_cost(
    completion: pl.Expr | float | None, prompt: pl.Expr | float | None
) -> pl.Expr | float | None:
    """A run's total: its completion cost plus its prompt cost where that is known;
    unknown when the completion cost is."""
    if isinstance(completion, pl.Expr):
        assert isinstance(prompt, pl.Expr)
        return completion + prompt.fill_null(0.0)
    assert not isinstance(prompt, pl.Expr)
    if completion is None:
        return None
    return completion + (prompt or 0.0)


def completion_price_mid() -> pl.Expr:
    """The middle of a model's completion price band: the price one run is charged at."""
    return (pl.col("completion_price_min") + pl.col("completion_price_max")) / 2


def run_cost_columns() -> list[pl.Expr]:
    """``cost_completion_usd``, ``cost_prompt_usd`` and ``cost_usd`` of each run, from its
    tokens and the joined price columns (completion at the middle of the band, prompt at
    ``prompt_price_avg``)."""
    completion = completion_cost(pl.col("tokens_completion"), completion_price_mid())
    prompt = prompt_cost(pl.col("tokens_prompt"), pl.col("prompt_price_avg"))
    return [
        completion.alias("cost_completion_usd"),
        prompt.alias("cost_prompt_usd"),
        run_total_cost(completion, prompt).alias("cost_usd"),
    ]


def cost_columns(mean_completion: str = "mean_completion_tokens") -> list[pl.Expr]:
    """Cost per query from mean completion tokens and joined completion prices ($/M):
    completion tokens only, as the study defines it (prompt tokens are not counted)."""
    return [
        completion_cost(pl.col(mean_completion), pl.col(f"completion_price_{bound}")).alias(
            f"cost_per_query_usd_{bound}"
        )
        for bound in ("min", "max", "avg")
    ]


def cost_per_query(runs: pl.LazyFrame, prices: pl.LazyFrame) -> pl.LazyFrame:
    """Mean completion tokens × completion price ($/M) / 1e6, as a min-max band."""
    mean_tokens = runs.group_by(list(MODEL_KEY)).agg(
        pl.col("tokens_completion").mean().alias("mean_completion_tokens")
    )
    return mean_tokens.join(
        prices.select(
            "model", "completion_price_min", "completion_price_max", "completion_price_avg"
        ),
        on="model",
        how="left",
    ).select(*MODEL_KEY, *cost_columns())


def _correct(threshold: float) -> pl.Expr:
    return pl.col("score") >= threshold


def overthinking_auc_expr(cap: float = DEFAULT_OAA_CAP, correct_at: float = 1.0) -> pl.Expr:
    """Overthinking-adjusted accuracy AUC, normalised to 0-1.

    acc(t) counts a run only if it is correct and used at most t thinking
    tokens. The normalised area over t in [0, cap] has a closed form: each
    correct run contributes max(0, 1 - reasoning / cap). Ungraded runs are left
    out, never counted as wrong.
    """
    graded = pl.col("score").is_not_null() & pl.col("tokens_reasoning").is_not_null()
    credit = (
        pl.when(_correct(correct_at))
        .then((1.0 - pl.col("tokens_reasoning") / cap).clip(lower_bound=0.0))
        .otherwise(0.0)
    )
    return credit.filter(graded).mean().alias("overthinking_auc")


def overthinking_auc(
    runs: pl.LazyFrame, cap: float = DEFAULT_OAA_CAP, correct_at: float = 1.0
) -> pl.LazyFrame:
    return runs.group_by(list(MODEL_KEY)).agg(overthinking_auc_expr(cap, correct_at))


def overthinking_curve(
    runs: pl.LazyFrame, cap: float = DEFAULT_OAA_CAP, points: int = 50, correct_at: float = 1.0
) -> pl.LazyFrame:
    """acc(t) per model at ``points`` budgets from 0 to cap (for charts)."""
    graded = runs.filter(pl.col("score").is_not_null() & pl.col("tokens_reasoning").is_not_null())
    grid = pl.LazyFrame({"budget": [cap * i / (points - 1) for i in range(points)]})
    within = _correct(correct_at) & (pl.col("tokens_reasoning") <= pl.col("budget"))
    return (
        graded.select(*MODEL_KEY, "score", "tokens_reasoning")
        .join(grid, how="cross")
        .group_by([*MODEL_KEY, "budget"])
        .agg(within.mean().alias("accuracy"))
        .sort([*MODEL_KEY, "budget"])
    )


def filter_domain(runs: pl.LazyFrame, domain: str | None) -> pl.LazyFrame:
    if domain in (None, "all"):
        return runs
    return runs.filter(pl.col("domain") == domain)

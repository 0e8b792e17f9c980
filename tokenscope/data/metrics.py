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


# The hidden columns of ``reasoning_candidates``: a run's reasoning tokens if its group's
# reported counts pass the study's check, and if not; and the two facts the check reads.
IF_TRUSTED = "_reasoning_if_trusted"
OTHERWISE = "_reasoning_otherwise"
REPORTED_POSITIVE = "_reported_positive"
REPORTED_OVER = "_reported_over"
CANDIDATE_COLUMNS = (IF_TRUSTED, OTHERWISE, REPORTED_POSITIVE, REPORTED_OVER)
TRUST_KEY = (*MODEL_KEY, "prompt_id")


def _trusted(positive: pl.Expr, over: pl.Expr) -> pl.Expr:
    """The study's consistency check over a group: some reported count > 0, none above
    its completion count."""
    return positive.any() & ~over.any()


def _fallback(usable: pl.Expr, has_cot: pl.Expr, has_answer_chars: pl.Expr) -> pl.Expr:
    completion = pl.col("tokens_completion").cast(pl.Float64)
    return (
        pl.when(~usable)
        .then(pl.lit(None, pl.Float64))
        .when(has_cot)
        .then(completion * pl.col("chars_reasoning") / pl.col("chars_completion"))
        .when(has_answer_chars)
        # A negative count means the answer alone exceeds the completion; no
        # reasoning is the only meaningful reading.
        .then((completion - pl.col("chars_answer") / ANSWER_CHARS_PER_TOKEN).clip(lower_bound=0.0))
        .otherwise(pl.lit(None, pl.Float64))
    )


def _conditions() -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """(usable, has a reported count, has chain-of-thought chars, has answer chars)."""
    return (
        pl.col("tokens_completion").is_not_null(),
        pl.col("tokens_reasoning_reported").is_not_null(),
        (pl.col("chars_reasoning") > 0) & (pl.col("chars_completion") > 0),
        pl.col("chars_answer").is_not_null(),
    )


def reasoning_candidates(runs: pl.LazyFrame) -> pl.LazyFrame:
    """Each run's reasoning tokens under both outcomes of the study's check (see
    ``with_reasoning_tokens``), and the facts the check reads, as hidden columns.

    The check is judged over a whole (model, source, prompt), so a run's own value waits
    for its group. Sums need not wait: ``run_sums`` adds up both candidates in one
    streaming pass and picks one per group afterwards, never holding the runs.
    """
    usable, has_reported, has_cot, has_answer_chars = _conditions()
    reported = pl.col("tokens_reasoning_reported")
    otherwise = _fallback(usable, has_cot, has_answer_chars)
    return runs.with_columns(
        pl.when(usable & has_reported)
        .then(reported.cast(pl.Float64))
        .otherwise(otherwise)
        .alias(IF_TRUSTED),
        otherwise.alias(OTHERWISE),
        (reported > 0).alias(REPORTED_POSITIVE),
        (reported > pl.col("tokens_completion")).alias(REPORTED_OVER),
    )


def given_reasoning(runs: pl.LazyFrame) -> pl.LazyFrame:
    """Runs whose ``tokens_reasoning`` is already decided (the bundled study's), in the
    shape of ``reasoning_candidates``: both candidates are that value."""
    return runs.with_columns(
        pl.col("tokens_reasoning").alias(IF_TRUSTED),
        pl.col("tokens_reasoning").alias(OTHERWISE),
        pl.lit(None, pl.Boolean).alias(REPORTED_POSITIVE),
        pl.lit(None, pl.Boolean).alias(REPORTED_OVER),
    )


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
    usable, has_reported, has_cot, has_answer_chars = _conditions()
    trusted = _trusted(pl.col(REPORTED_POSITIVE), pl.col(REPORTED_OVER)).over(TRUST_KEY)
    method = (
        pl.when(~usable)
        .then(pl.lit(None, pl.String))
        .when(trusted & has_reported)
        .then(pl.lit("reported"))
        .when(has_cot)
        .then(pl.lit("cot_chars"))
        .when(has_answer_chars)
        .then(pl.lit("answer_chars"))
        .otherwise(pl.lit(None, pl.String))
    )
    reasoning = pl.when(trusted).then(pl.col(IF_TRUSTED)).otherwise(pl.col(OTHERWISE))
    # Both columns come from the same conditions, so a query that never reads
    # the method (a leaderboard) does not pay for building its strings.
    completion = pl.col("tokens_completion").cast(pl.Float64)
    return (
        reasoning_candidates(runs)
        .with_columns(method.alias("reasoning_method"), reasoning.alias("tokens_reasoning"))
        .with_columns((completion - pl.col("tokens_reasoning")).alias("tokens_answer"))
        .drop(CANDIDATE_COLUMNS)
    )


PARTIAL_KEY = (*MODEL_KEY, "prompt_id", "domain")


def _correct(threshold: float) -> pl.Expr:
    return pl.col("score") >= threshold


def _credit(reasoning: pl.Expr, cap: float, correct_at: float) -> pl.Expr:
    """A graded run's share of the overthinking AUC: max(0, 1 - reasoning / cap) when it
    is correct, else 0 (see ``overthinking_auc``)."""
    return (
        pl.when(_correct(correct_at))
        .then((1.0 - reasoning / cap).clip(lower_bound=0.0))
        .otherwise(0.0)
    )


def _ratio(total: str, count: str) -> pl.Expr:
    """A mean from its sum and count: null over no values, as Polars' ``mean``."""
    return pl.when(pl.col(count) > 0).then(pl.col(total) / pl.col(count))


def _choose(sums: pl.LazyFrame, columns: Sequence[str]) -> pl.LazyFrame:
    """Each of ``columns`` (summed over both reasoning candidates, ``{IF_TRUSTED}x`` and
    ``{OTHERWISE}x``) as the study's check picks it for the group: the check sees every
    run of a (model, source, prompt), kept or not, as ``with_reasoning_tokens`` does."""
    trusted = _trusted(pl.col("_positive"), pl.col("_over")).over(TRUST_KEY)
    return (
        sums.with_columns(
            pl.when(trusted)
            .then(pl.col(f"{IF_TRUSTED}{c}"))
            .otherwise(pl.col(f"{OTHERWISE}{c}"))
            .alias(f"_reasoning{c}")
            for c in columns
        )
        .filter(pl.col("_keep"))
        .drop(
            "_keep",
            "_positive",
            "_over",
            *(f"{name}{c}" for name in (IF_TRUSTED, OTHERWISE) for c in columns),
        )
    )


def _candidates(runs: pl.LazyFrame) -> pl.LazyFrame:
    """``runs`` with ``reasoning_candidates``' columns, from a decided ``tokens_reasoning``
    when they have none."""
    if IF_TRUSTED in runs.collect_schema().names():
        return runs
    return given_reasoning(runs)


def _summed(runs: pl.LazyFrame, keep: pl.Expr | None, *aggs: pl.Expr) -> pl.LazyFrame:
    """``aggs`` per (model, source, prompt, domain) and kept or not, with the facts of the
    reasoning check."""
    kept = pl.lit(True) if keep is None else keep.fill_null(False)
    return runs.group_by(*PARTIAL_KEY, kept.alias("_keep")).agg(
        *aggs,
        pl.col(REPORTED_POSITIVE).any().alias("_positive"),
        pl.col(REPORTED_OVER).any().alias("_over"),
    )


def run_sums(
    runs: pl.LazyFrame,
    cap: float = DEFAULT_OAA_CAP,
    correct_at: float = 1.0,
    keep: pl.Expr | None = None,
) -> pl.LazyFrame:
    """The runs ``keep`` selects (all by default), reduced to sums per (model, source,
    prompt, domain).

    Every figure of the leaderboard, the prompt matrix and the prompts table is a
    ratio of these sums (``model_figures``, ``prompt_means``), so Polars' streaming
    engine folds millions of runs into a frame of models × prompts rows and no query
    holds the runs. ``runs`` carries ``reasoning_candidates`` or a decided
    ``tokens_reasoning``.
    """
    completion = pl.col("tokens_completion")
    # Every sum is of a value computed run by run: Polars' streaming group-by reduces
    # plain sums, counts and minima as the batches pass, where a filter inside an
    # aggregation would make it gather the runs first.
    valid = completion.is_not_null() & pl.col("chars_completion").is_not_null() & (completion > 0)
    # chars/token is a least-squares slope: exact integer moments (Int128: n·Σxy of ten
    # million runs passes Int64) give the slope a covariance over the runs gives.
    x = pl.when(valid).then(completion.cast(pl.Int128))
    y = pl.when(valid).then(pl.col("chars_completion").cast(pl.Int128))
    per_run = [
        x.alias("_x"),
        y.alias("_y"),
        (x * x).alias("_xx"),
        (x * y).alias("_xy"),
        (completion.is_null() | (completion <= 0)).alias("_has_bad_run"),
        pl.when(pl.col("lab").is_not_null()).then(pl.col("_row")).alias("_lab_row"),
        pl.when(pl.col("open_weights").is_not_null()).then(pl.col("_row")).alias("_ow_row"),
    ]
    per_candidate = []
    for name in (IF_TRUSTED, OTHERWISE):
        value = pl.col(name)
        graded = pl.col("score").is_not_null() & value.is_not_null()
        per_run += [
            graded.alias(f"{name}_oaa_n"),
            pl.when(graded).then(_credit(value, cap, correct_at)).alias(f"{name}_oaa_sum"),
        ]
        per_candidate += [
            value.count().alias(f"{name}_n"),
            value.sum().alias(f"{name}_sum"),
            pl.col(f"{name}_oaa_n").sum(),
            pl.col(f"{name}_oaa_sum").sum(),
        ]
    sums = _summed(
        _candidates(runs).with_row_index("_row").with_columns(per_run),
        keep,
        # The first lab a model's runs name, in the order of the runs (``model_about``).
        pl.col("lab").drop_nulls().first(),
        pl.col("_lab_row").min(),
        pl.col("open_weights").drop_nulls().first(),
        pl.col("_ow_row").min(),
        pl.len().alias("n_runs"),
        completion.count().alias("_completion_n"),
        completion.sum().alias("_completion_sum"),
        pl.col("_has_bad_run").any(),
        pl.col("score").count().alias("n_graded"),
        pl.col("score").sum().alias("_score_sum"),
        pl.col("_x").count().alias("_xy_n"),
        *(pl.col(c).sum() for c in ("_x", "_y", "_xx", "_xy")),
        *per_candidate,
    )
    return _choose(sums, ("_n", "_sum", "_oaa_n", "_oaa_sum"))


def finished() -> pl.Expr:
    """Runs that finished: failed and cancelled ones stay in the store but not in the
    figures."""
    return pl.col("status").is_null() | (pl.col("status") == "ok")


def run_count_exprs() -> list[pl.Expr]:
    """``n_runs`` and ``n_prompts`` of a group of ``run_sums``: what the leaderboard and
    ``tokenscope models`` both say a model has."""
    return [
        pl.col("n_runs").sum(),
        pl.col("prompt_id").drop_nulls().n_unique().alias("n_prompts"),
    ]


def model_figures(sums: pl.LazyFrame) -> pl.LazyFrame:
    """Per (model, source): runs, prompts, mean completion and reasoning tokens, success
    rate (ungraded runs skipped), chars per token and overthinking AUC, from ``run_sums``.

    chars/token is the least-squares slope of completion characters on completion
    tokens: about 3-3.4 means the raw chain of thought is visible; about 1 a condensed
    transcription; about 0.3 only a summary (the study's Figure 2).

    The overthinking-adjusted accuracy AUC is normalised to 0-1: acc(t) counts a run
    only if it is correct and used at most t thinking tokens, so the normalised area
    over t in [0, cap] is the mean over graded runs of max(0, 1 - reasoning / cap) for
    a correct run and 0 otherwise. Ungraded runs are left out, never counted as wrong.
    """
    n = pl.col("_xy_n")
    # n·Σxy − ΣxΣy over n·Σxx − (Σx)²: the slope, with var(x) > 0 as its condition.
    spread = n * pl.col("_xx") - pl.col("_x") * pl.col("_x")
    summed = (
        "_completion_n",
        "_completion_sum",
        "_reasoning_n",
        "_reasoning_sum",
        "n_graded",
        "_score_sum",
        "_xy_n",
        "_x",
        "_y",
        "_xx",
        "_xy",
        "_reasoning_oaa_n",
        "_reasoning_oaa_sum",
    )
    return (
        sums.group_by(list(MODEL_KEY))
        .agg(*run_count_exprs(), *(pl.col(c).sum() for c in summed))
        .select(
            *MODEL_KEY,
            "n_runs",
            "n_prompts",
            _ratio("_completion_sum", "_completion_n").alias("mean_completion_tokens"),
            _ratio("_reasoning_sum", "_reasoning_n").alias("mean_reasoning_tokens"),
            _ratio("_score_sum", "n_graded").alias("success_rate"),
            "n_graded",
            pl.when((n > 1) & (spread > 0))
            .then(
                (n * pl.col("_xy") - pl.col("_x") * pl.col("_y")).cast(pl.Float64)
                / spread.cast(pl.Float64)
            )
            .alias("chars_per_token"),
            _ratio("_reasoning_oaa_sum", "_reasoning_oaa_n").alias("overthinking_auc"),
        )
    )


def model_about(sums: pl.LazyFrame) -> pl.LazyFrame:
    """Per (model, source): the first lab and open-weights flag its runs name."""
    return sums.group_by(list(MODEL_KEY)).agg(
        pl.col("lab").sort_by("_lab_row", nulls_last=True).first(),
        pl.col("open_weights").sort_by("_ow_row", nulls_last=True).first(),
    )


def prompt_means(sums: pl.LazyFrame) -> pl.LazyFrame:
    """Mean completion (and reasoning) tokens per (model, source, prompt), from ``run_sums``.

    A prompt where any of the model's runs lacks a positive completion count is
    left out for that model, as in the study.
    """
    return sums.filter(pl.col("prompt_id").is_not_null() & ~pl.col("_has_bad_run")).select(
        *PARTIAL_KEY,
        _ratio("_completion_sum", "_completion_n").alias("mean_completion_tokens"),
        _ratio("_reasoning_sum", "_reasoning_n").alias("mean_reasoning_tokens"),
        "n_runs",
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
    sums: pl.LazyFrame, reference: Sequence[str] = DEFAULT_REFERENCE_MODELS
) -> pl.LazyFrame:
    """Relative completion tokens per (model, source, prompt): mean / normaliser, from
    ``run_sums``."""
    means = prompt_means(sums)
    return means.join(
        prompt_normalisers(means, reference), on="prompt_id", how="left"
    ).with_columns(
        (pl.col("mean_completion_tokens") / pl.col("normaliser")).alias(
            "relative_completion_tokens"
        )
    )


def relative_by_domain(
    sums: pl.LazyFrame, reference: Sequence[str] = DEFAULT_REFERENCE_MODELS
) -> pl.LazyFrame:
    """A model's score per domain: the mean of its per-prompt ratios there (``run_sums``).

    Also a row with domain 'all' over every prompt the model has.
    """
    per_prompt = relative_by_prompt(sums, reference)
    by_domain = per_prompt.group_by([*MODEL_KEY, "domain"]).agg(
        pl.col("relative_completion_tokens").mean(), pl.len().alias("n_prompts")
    )
    overall = per_prompt.group_by(list(MODEL_KEY)).agg(
        pl.lit("all").alias("domain"),
        pl.col("relative_completion_tokens").mean(),
        pl.len().alias("n_prompts"),
    )
    return pl.concat([by_domain, overall.select(by_domain.collect_schema().names())])


def zero_counts() -> list[pl.Expr]:
    """``run_count_exprs`` after a left join: a model without such runs has 0 of each."""
    return [pl.col("n_runs").fill_null(0), pl.col("n_prompts").fill_null(0)]


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


def overthinking_curve(
    runs: pl.LazyFrame,
    cap: float = DEFAULT_OAA_CAP,
    points: int = 50,
    correct_at: float = 1.0,
    keep: pl.Expr | None = None,
) -> pl.LazyFrame:
    """acc(t) per model at ``points`` budgets from 0 to cap (for charts), over the runs
    ``keep`` selects: correct runs within budget over graded runs, counted per budget
    in one streaming pass (``run_sums``' footing), never a row per run and budget."""
    budgets = [cap * i / (points - 1) for i in range(points)]
    flags = []
    for name in (IF_TRUSTED, OTHERWISE):
        value = pl.col(name)
        graded = pl.col("score").is_not_null() & value.is_not_null()
        flags.append(graded.alias(f"{name}_graded"))
        flags += [
            (graded & _correct(correct_at) & (value <= b)).alias(f"{name}_{i}")
            for i, b in enumerate(budgets)
        ]
    columns = ["_graded", *(f"_{i}" for i in range(points))]
    counts = [pl.col(f"{name}{c}").sum() for name in (IF_TRUSTED, OTHERWISE) for c in columns]
    sums = _choose(_summed(_candidates(runs).with_columns(flags), keep, *counts), columns)
    per_model = sums.group_by(list(MODEL_KEY)).agg(pl.col(f"_reasoning{c}").sum() for c in columns)
    return (
        per_model.filter(pl.col("_reasoning_graded") > 0)
        .unpivot(
            [f"_reasoning_{i}" for i in range(points)],
            index=[*MODEL_KEY, "_reasoning_graded"],
            variable_name="_point",
            value_name="_within",
        )
        .select(
            *MODEL_KEY,
            pl.col("_point")
            .str.strip_prefix("_reasoning_")
            .cast(pl.Int64)
            .replace_strict(list(range(points)), budgets, return_dtype=pl.Float64)
            .alias("budget"),
            (pl.col("_within") / pl.col("_reasoning_graded")).alias("accuracy"),
        )
        .sort([*MODEL_KEY, "budget"])
    )


def filter_domain(runs: pl.LazyFrame, domain: str | None) -> pl.LazyFrame:
    if domain in (None, "all"):
        return runs
    return runs.filter(pl.col("domain") == domain)

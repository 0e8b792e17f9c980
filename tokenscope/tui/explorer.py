"""What each view shows, as Polars frames: filters applied, nothing drawn.

This module never imports Textual, so the view logic is testable on its own
and a worker thread can compute a whole refresh without touching a widget.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from tokenscope.data import metrics
from tokenscope.data.leaderboard import leaderboard, price_table, prompt_matrix, with_mid_cost
from tokenscope.data.loader import Dataset
from tokenscope.data.prices import with_run_costs
from tokenscope.tui.filters import DOMAIN_CYCLE, SOURCE_CYCLE, WEIGHTS_CYCLE, Filters

__all__ = ["DOMAIN_CYCLE", "SOURCE_CYCLE", "WEIGHTS_CYCLE", "Filters"]

# Only these leave the Parquet file for the Runs table: never the long texts.
RUN_TABLE_COLUMNS = (
    "run_id",
    "source",
    "model",
    "lab",
    "open_weights",
    "prompt_id",
    "domain",
    "sample_index",
    "tokens_completion",
    "tokens_reasoning",
    "tokens_answer",
    "reasoning_method",
    "chars_completion",
    "score",
    "status",
    "tokens_prompt",
    "cost_usd",
    "cost_completion_usd",
    "cost_prompt_usd",
)


def _model_filters(f: Filters) -> list[pl.Expr]:
    exprs: list[pl.Expr] = []
    if f.weights == "open":
        exprs.append(pl.col("open_weights").fill_null(False))
    elif f.weights == "closed":
        exprs.append(~pl.col("open_weights").fill_null(True))
    if f.lab:
        exprs.append(pl.col("lab") == f.lab)
    if f.source != "all":
        exprs.append(pl.col("source") == f.source)
    if f.text:
        # Literal match: a user typing "a.b" or "(" means those characters.
        exprs.append(pl.col("model").str.to_lowercase().str.contains(f.text.lower(), literal=True))
    if f.model:
        exprs.append(pl.col("model") == f.model)
    return exprs


def apply_model_filters(frame: pl.DataFrame | pl.LazyFrame, f: Filters):
    exprs = _model_filters(f)
    return frame.filter(*exprs) if exprs else frame


def leaderboard_frame(ds: Dataset, f: Filters) -> pl.DataFrame:
    """The leaderboard at the dataset's prices (the app's carries the user's, as the CLI's
    ``--format`` tables do)."""
    table = leaderboard(ds, domain=f.domain, source=f.source)
    return with_mid_cost(apply_model_filters(table, replace(f, source="all")))


def model_label(model: str, source: str) -> str:
    # A user's own run of a study model sits beside it; the label tells them apart.
    return model if source == "bundled" else f"{model} ({source})"


def label_expr() -> pl.Expr:
    """``model_label`` as an expression."""
    return (
        pl.when(pl.col("source") == "bundled")
        .then(pl.col("model"))
        .otherwise(pl.format("{} ({})", "model", "source"))
        .alias("label")
    )


def matrix_frame(ds: Dataset, f: Filters, model_order: list[tuple[str, str]]) -> pl.DataFrame:
    """Prompts as rows, one column of relative completion tokens per model."""
    # The leaderboard already applied the model filters; its models pick the columns.
    keys = pl.DataFrame(model_order, schema={"model": pl.String, "source": pl.String}, orient="row")
    long = prompt_matrix(ds, domain=f.domain).join(keys, on=["model", "source"], how="semi")
    long = long.with_columns(label_expr())
    prompts = ds.prompts.select("prompt_id", "domain", "title")
    if f.domain != "all":
        prompts = prompts.filter(pl.col("domain") == f.domain)
    if f.prompt:
        prompts = prompts.filter(pl.col("prompt_id") == f.prompt)
    if long.height == 0:
        return prompts
    wide = long.pivot(on="label", index="prompt_id", values="relative_completion_tokens")
    order = [model_label(m, s) for m, s in model_order if model_label(m, s) in wide.columns]
    wide = wide.select("prompt_id", *order)
    return prompts.join(wide, on="prompt_id", how="left").sort("domain", "prompt_id")


def filtered_runs(ds: Dataset, f: Filters) -> pl.LazyFrame:
    """Every run matching the filters: what the Runs table lists and the header counts."""
    runs = apply_model_filters(ds.lazy_runs(), f)
    if f.domain != "all":
        runs = runs.filter(pl.col("domain") == f.domain)
    if f.prompt:
        runs = runs.filter(pl.col("prompt_id") == f.prompt)
    return runs


def runs_frame(ds: Dataset, f: Filters) -> pl.DataFrame:
    """Every run matching the filters, numbers only, with what each cost."""
    runs = filtered_runs(ds, f).select(RUN_TABLE_COLUMNS)
    # Streaming: decoded a batch at a time, the same rows in the same order at a lower
    # peak of memory than an in-memory collect (a million runs: about half).
    return with_run_costs(runs, price_table(ds)).collect(engine="streaming")


def run_counts(ds: Dataset, f: Filters) -> tuple[int, int]:
    """(runs matching the filters, the user's own runs in all)."""
    matching = filtered_runs(ds, f).select(pl.len()).collect().item()
    yours = ds.lazy_runs().filter(pl.col("source") == "user").select(pl.len()).collect().item()
    return matching, yours


def run_record(ds: Dataset, run_id: str) -> dict | None:
    """One run with its texts, its costs, the prompt's grading criteria and the model's
    price band."""
    one = ds.lazy_runs().filter(pl.col("run_id") == run_id).head(1)
    rows = with_run_costs(one, price_table(ds), keep_prices=True).collect()
    if rows.height == 0:
        return None
    record = rows.row(0, named=True)
    # A question asked in the Ask view may be no study prompt: then it has no criteria.
    prompt = ds.prompts.filter(pl.col("prompt_id") == (record["prompt_id"] or ""))
    record["criteria"] = prompt["criteria"][0].to_list() if prompt.height else []
    record["title"] = prompt["title"][0] if prompt.height else None
    record["price_min"] = record.pop("completion_price_min")
    record["price_max"] = record.pop("completion_price_max")
    record["prompt_price"] = record.pop("prompt_price_avg")
    return record


def labs(ds: Dataset) -> list[str]:
    frame = ds.lazy_runs().select(pl.col("lab").drop_nulls().unique()).collect()
    return sorted(frame["lab"].to_list())


# ---- chart data -------------------------------------------------------------


def overthinking_frame(ds: Dataset, f: Filters, models: list[tuple[str, str]], points: int = 40):
    keep = _model_filters(f)
    if f.domain != "all":
        keep.append(pl.col("domain") == f.domain)
    keys = pl.DataFrame(
        models, schema={"model": pl.String, "source": pl.String}, orient="row"
    ).lazy()
    curve = metrics.overthinking_curve(
        ds.metric_runs(), points=points, keep=pl.all_horizontal(keep) if keep else None
    )
    # Streaming: the runs are counted a batch at a time into a row per model and budget.
    return curve.join(keys, on=["model", "source"], how="semi").collect(engine="streaming")


def pareto_front(frame: pl.DataFrame, x: str, y: str) -> pl.DataFrame:
    """Rows not beaten by another with fewer-or-equal x and higher-or-equal y."""
    data = frame.drop_nulls([x, y]).sort([x, y], descending=[False, True])
    best = float("-inf")
    keep = []
    for value in data[y]:
        keep.append(value > best)
        best = max(best, value)
    return data.filter(pl.Series(keep, dtype=pl.Boolean))

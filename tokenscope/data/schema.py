"""The canonical schemas: the one place that says what a run, prompt, model and price is.

Every run, whether it comes from the bundled study, from ``tokenscope ask`` or
``tokenscope run``, or from a file the user dropped into the results folder, is
coerced to ``RUN_SCHEMA``. A missing value is null, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Column:
    dtype: pl.DataType
    doc: str
    # Smallest and largest sensible value; a number outside is stored and loaded as null.
    low: float | None = None
    high: float | None = None


def _count(doc: str) -> Column:
    return Column(pl.Int64(), doc, low=0)


RUN_COLUMNS: dict[str, Column] = {
    "run_id": Column(pl.String(), "Unique id of the run (stable for bundled runs)."),
    "source": Column(pl.String(), "'bundled' for the study, 'user' for the user's own runs."),
    "model": Column(pl.String(), "Model display name, e.g. 'deepseek-r1-0528'."),
    "lab": Column(pl.String(), "Organisation that made the model."),
    "open_weights": Column(pl.Boolean(), "True when the weights are public."),
    "endpoint": Column(pl.String(), "Host that served the run (never a key); null for bundled."),
    "provider": Column(pl.String(), "Provider behind a router such as OpenRouter, where known."),
    "prompt_id": Column(pl.String(), "Id of the suite prompt; null for an ad hoc question."),
    "prompt_text": Column(pl.String(), "The question as sent."),
    "domain": Column(pl.String(), "'knowledge', 'math' or 'logic'; null when unknown."),
    "sample_index": _count("0-based index of the sample for this model and prompt."),
    "tokens_prompt": _count("Prompt tokens as reported."),
    "tokens_completion": _count("Completion tokens (reasoning + answer, as billed)."),
    "tokens_reasoning_reported": _count(
        "Reasoning tokens exactly as the API (or the live counter) gave them."
    ),
    "tokens_answer_reported": _count("Answer tokens as the study recorded them."),
    "tokens_reasoning": Column(
        pl.Float64(), "Reasoning tokens by the study's method (see reasoning_method)."
    ),
    "tokens_answer": Column(pl.Float64(), "tokens_completion - tokens_reasoning."),
    "reasoning_method": Column(
        pl.String(), "'reported', 'cot_chars' or 'answer_chars': which rule gave tokens_reasoning."
    ),
    "tokens_source": Column(
        pl.String(), "'reported' by the provider, 'counted' from deltas, or 'estimated'."
    ),
    "estimate_error": Column(
        pl.Float64(), "Live estimate / final truth - 1, once the truth is known."
    ),
    "chars_answer": _count("Characters in the answer."),
    "chars_reasoning": _count("Characters in the visible chain of thought."),
    "chars_completion": _count("chars_answer + chars_reasoning."),
    "criteria_met": Column(pl.List(pl.Boolean()), "Per grading criterion: met or not."),
    "criteria_met_count": _count("How many criteria were met."),
    "criteria_total": _count("How many criteria were graded."),
    "score": Column(
        pl.Float64(), "Weighted share of criteria met, 0-1; null when ungraded.", low=0, high=1
    ),
    "grader": Column(pl.String(), "'study', 'rule', 'judge:<model>'; null when ungraded."),
    "grading_notes": Column(pl.String(), "The grader's reasoning, where it gave one."),
    "answer": Column(pl.String(), "The answer text."),
    "reasoning": Column(pl.String(), "The chain-of-thought text, where the API exposed it."),
    "finish_reason": Column(pl.String(), "Why generation stopped, as the API said."),
    "status": Column(pl.String(), "'ok', 'failed' or 'cancelled'."),
    "error": Column(pl.String(), "One-line error for failed runs."),
    "ttft_s": Column(pl.Float64(), "Seconds to the first streamed token.", low=0),
    "duration_s": Column(pl.Float64(), "Seconds from request to the end of the stream.", low=0),
    "tokens_per_s": Column(pl.Float64(), "Completion tokens per second of generation.", low=0),
    "cost_usd": Column(
        pl.Float64(), "What the run cost in dollars: cost_completion_usd + cost_prompt_usd.", low=0
    ),
    "cost_completion_usd": Column(
        pl.Float64(),
        "Completion tokens × completion price (middle of the band), in dollars.",
        low=0,
    ),
    "cost_prompt_usd": Column(
        pl.Float64(),
        "Prompt tokens × prompt price, in dollars; null where either is unknown.",
        low=0,
    ),
    "effort": Column(pl.String(), "Reasoning effort requested, e.g. 'high'."),
    "suite": Column(pl.String(), "Suite the run belongs to ('study' or a file name)."),
    "origin": Column(
        pl.String(),
        "Tool and file an imported run came from, e.g. 'inspect:logs.eval'; null for runs "
        "tokenscope made itself.",
    ),
    "created_at": Column(pl.String(), "ISO 8601 UTC time the run finished."),
}

RUN_SCHEMA: dict[str, pl.DataType] = {name: col.dtype for name, col in RUN_COLUMNS.items()}

PROMPT_SCHEMA: dict[str, pl.DataType] = {
    "prompt_id": pl.String(),
    "domain": pl.String(),
    "category": pl.String(),
    "title": pl.String(),
    "prompt_text": pl.String(),
    "criteria": pl.List(pl.String()),
    "weights": pl.List(pl.Float64()),
}

MODEL_SCHEMA: dict[str, pl.DataType] = {
    "model": pl.String(),
    "api_model": pl.String(),
    "lab": pl.String(),
    "open_weights": pl.Boolean(),
    "full_cot": pl.Boolean(),
    "max_tokens": pl.Int64(),
    "effort": pl.String(),
    "metadata_source": pl.String(),
}

PRICE_SCHEMA: dict[str, pl.DataType] = {
    "model": pl.String(),
    "provider_count": pl.Int64(),
    "prompt_price_min": pl.Float64(),
    "prompt_price_max": pl.Float64(),
    "prompt_price_avg": pl.Float64(),
    "completion_price_min": pl.Float64(),
    "completion_price_max": pl.Float64(),
    "completion_price_avg": pl.Float64(),
}

DOMAINS = ("knowledge", "math", "logic")

# The study's evalset says 'knowledge', 'Math' and 'logic puzzle'.
DOMAIN_ALIASES = {
    "knowledge": "knowledge",
    "math": "math",
    "logic": "logic",
    "logic puzzle": "logic",
    "logic_puzzle": "logic",
    "logic puzzles": "logic",
}

REASONING_METHODS = ("reported", "cot_chars", "answer_chars")
TOKEN_SOURCES = ("reported", "counted", "estimated")
RUN_STATUSES = ("ok", "failed", "cancelled")


def normalise_domain(value: str | None) -> str | None:
    if value is None:
        return None
    return DOMAIN_ALIASES.get(value.strip().lower())


def empty_runs() -> pl.DataFrame:
    return pl.DataFrame(schema=RUN_SCHEMA)


def conform(frame: pl.DataFrame | pl.LazyFrame, schema: dict[str, pl.DataType] = RUN_SCHEMA):
    """Select exactly the schema's columns in order, adding missing ones as null.

    Raises ``polars`` errors when a present column cannot be cast; the loader
    turns those into a one-line message about the file.
    """
    names = set(frame.collect_schema().names())
    exprs = []
    for name, dtype in schema.items():
        if name in names:
            exprs.append(pl.col(name).cast(dtype, strict=True))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)


def schema_markdown() -> str:
    """The run schema as a Markdown table, for the README and ``--help``."""
    lines = ["| column | type | meaning |", "| --- | --- | --- |"]
    for name, col in RUN_COLUMNS.items():
        lines.append(f"| `{name}` | {col.dtype}{_range(col)} | {col.doc} |")
    lines.append("")
    lines.append("A value outside its column's type or range is read as null, with a note.")
    return "\n".join(lines)


def _range(col: Column) -> str:
    if col.low is not None and col.high is not None:
        return f" ({col.low:g} to {col.high:g})"
    if col.low is not None:
        return f" (>= {col.low:g})"
    return ""

"""A finished (or failed, or cancelled) probe as a run in the canonical schema.

The stored record carries the endpoint's host, never its key; the loader fills
lab, weights and the study's derived reasoning columns when it reads it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tokenscope.config import Price
from tokenscope.data import store
from tokenscope.probe.baseline import Baseline
from tokenscope.probe.events import ProbeResult

JSON_KEYS = (
    "model",
    "endpoint",
    "status",
    "error",
    "answer",
    "reasoning",
    "tokens_prompt",
    "tokens_completion",
    "tokens_reasoning",
    "tokens_answer",
    "tokens_source",
    "baseline_tokens",
    "baseline_source",
    "ratio_to_baseline",
    "ttft_s",
    "duration_s",
    "tokens_per_s",
    "cost_usd",
    "run_id",
)


def find_price(model: str, user: Mapping[str, Any] | None = None, bundled=None) -> Price | None:
    """The user's configured price first, then the study's (by name or API id)."""
    if user and model in user:
        p = user[model]
        return p
    if bundled is None:
        return None
    models, prices = bundled
    names = {model}
    if models is not None and models.height:
        import polars as pl

        names.update(models.filter(pl.col("api_model") == model)["model"].to_list())
    for row in prices.iter_rows(named=True):
        if row["model"] in names and row["completion_price_min"] is not None:
            return Price(
                row["completion_price_min"], row["completion_price_max"], row["prompt_price_avg"]
            )
    return None


def cost_usd(result: ProbeResult, price: Price | None) -> float | None:
    """Completion tokens at the mid completion price, plus prompt tokens where priced."""
    if price is None or result.tokens_completion is None:
        return None
    cost = result.tokens_completion * price.completion / 1e6
    if price.prompt is not None and result.tokens_prompt is not None:
        cost += result.tokens_prompt * price.prompt / 1e6
    return cost


def to_run(
    result: ProbeResult,
    *,
    question: str,
    baseline: Baseline | None = None,
    domain: str | None = None,
    cost: float | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Schema columns for ``store.append_run``."""
    chars_r = len(result.reasoning)
    chars_a = len(result.answer)
    return {
        "run_id": run_id or store.new_run_id(),
        "source": "user",
        "model": result.key,
        "endpoint": result.endpoint_host,
        "provider": result.provider,
        "prompt_id": baseline.prompt_id if baseline else None,
        "prompt_text": question,
        "domain": (baseline.domain if baseline and baseline.domain else None) or domain,
        "tokens_prompt": result.tokens_prompt,
        "tokens_completion": result.tokens_completion,
        "tokens_reasoning_reported": result.tokens_reasoning_reported,
        "tokens_source": result.tokens_source if result.tokens_completion is not None else None,
        "estimate_error": result.estimate_error,
        "chars_answer": chars_a,
        "chars_reasoning": chars_r if result.reasoning else None,
        "chars_completion": chars_a + chars_r,
        "answer": result.answer,
        "reasoning": result.reasoning or None,
        "finish_reason": result.finish_reason,
        "status": result.status,
        "error": result.error,
        "ttft_s": result.ttft_s,
        "duration_s": result.duration_s,
        "tokens_per_s": result.tokens_per_s,
        "cost_usd": cost,
        "effort": result.effort,
        "suite": "ask",
    }


def save(record: Mapping[str, Any], results_dir: Path | None = None) -> str:
    return store.append_run(record, results_dir)


def to_json(
    result: ProbeResult,
    *,
    baseline: Baseline,
    baseline_tokens: float | None,
    cost: float | None,
    run_id: str | None,
) -> dict[str, Any]:
    """The object ``tokenscope ask --format json`` prints for one model."""
    ratio = None
    if baseline_tokens and result.tokens_completion is not None:
        ratio = result.tokens_completion / baseline_tokens
    out = {
        "model": result.key,
        "endpoint": result.endpoint_host,
        "status": result.status,
        "error": result.error,
        "answer": result.answer,
        "reasoning": result.reasoning,
        "tokens_prompt": result.tokens_prompt,
        "tokens_completion": result.tokens_completion,
        "tokens_reasoning": result.tokens_reasoning,
        "tokens_answer": result.tokens_answer,
        "tokens_source": result.tokens_source if result.tokens_completion is not None else None,
        "baseline_tokens": baseline_tokens,
        "baseline_source": None if baseline.source == "none" else baseline.source,
        "ratio_to_baseline": ratio,
        "ttft_s": result.ttft_s,
        "duration_s": result.duration_s,
        "tokens_per_s": result.tokens_per_s,
        "cost_usd": cost,
        "run_id": run_id,
    }
    assert tuple(out) == JSON_KEYS
    return out

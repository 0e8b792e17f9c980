"""A finished (or failed, or cancelled) probe as a run in the canonical schema.

The stored record carries the endpoint's host, never its key; the loader fills
lab, weights and the study's derived reasoning columns when it reads it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tokenscope.data import store
from tokenscope.data.prices import RunCost
from tokenscope.probe.baseline import Baseline
from tokenscope.probe.events import ProbeResult

JSON_KEYS = (
    "model",
    "endpoint",
    "status",
    "finish_reason",
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
    "cost_completion_usd",
    "cost_prompt_usd",
    "run_id",
)


def to_run(
    result: ProbeResult,
    *,
    question: str,
    prompt_id: str | None = None,
    domain: str | None = None,
    cost: RunCost | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Schema columns for ``store.append_run``: ``prompt_id`` and ``domain`` say which
    study prompt (or domain) the question is, whatever it was compared with."""
    chars_r = len(result.reasoning)
    chars_a = len(result.answer)
    return {
        "run_id": run_id or store.new_run_id(),
        "source": "user",
        "model": result.key,
        "endpoint": result.endpoint_host,
        "provider": result.provider,
        "prompt_id": prompt_id,
        "prompt_text": question,
        "domain": domain,
        "tokens_prompt": result.tokens_prompt,
        "tokens_completion": result.tokens_completion,
        "tokens_reasoning_reported": result.tokens_reasoning_reported,
        # What the probe split; the loader recomputes both by the study's method.
        "tokens_reasoning": result.tokens_reasoning,
        "tokens_answer": result.tokens_answer,
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
        **(cost or RunCost()).columns(),
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
    cost: RunCost | None,
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
        "finish_reason": result.finish_reason,
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
        **(cost or RunCost()).columns(),
        "run_id": run_id,
    }
    assert tuple(out) == JSON_KEYS
    return out

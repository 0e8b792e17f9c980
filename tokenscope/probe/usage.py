"""Provider usage objects normalised to one shape (PROTOCOLS.md §12).

``completion`` always includes reasoning, as billed. Providers that report
reasoning beside completion (xAI, Gemini: prompt + completion + reasoning ==
total) are folded in; a reasoning count above completion (SGLang speculative
decoding) is clamped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Usage:
    prompt: int | None
    completion: int | None
    reasoning: int | None  # None when the provider gives no breakdown
    total: int | None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _first(*values: Any) -> int | None:
    for v in values:
        n = _int(v)
        if n is not None:
            return n
    return None


def normalise(raw: Mapping[str, Any]) -> Usage:
    """OpenAI-, Anthropic-, Groq-, SGLang- and xAI-style usage to ``Usage``."""
    prompt = _first(raw.get("prompt_tokens"), raw.get("input_tokens"))
    completion = _first(raw.get("completion_tokens"), raw.get("output_tokens"))
    details = raw.get("completion_tokens_details") or raw.get("output_tokens_details") or {}
    if not isinstance(details, Mapping):
        details = {}
    reasoning = _first(
        details.get("reasoning_tokens"), details.get("thinking_tokens"), raw.get("reasoning_tokens")
    )
    total = _first(raw.get("total_tokens"))
    if (
        reasoning
        and prompt is not None
        and completion is not None
        and total is not None
        and total == prompt + completion + reasoning
    ):
        completion += reasoning  # reported beside completion, not inside it
    if reasoning is not None and completion is not None and reasoning > completion:
        reasoning = completion
    if total is None and prompt is not None and completion is not None:
        total = prompt + completion
    return Usage(prompt, completion, reasoning, total)

"""Live token estimates while a model streams, and the final reconciliation.

Measured on recordings (PROTOCOLS.md §12), one delta is one token on
token-streaming servers (llama.cpp, vLLM, xAI) and several on batching ones
(Anthropic, Bedrock). The estimate therefore counts a delta as one token unless
its text is longer than a token usually is, in which case characters decide.
When the provider's usage arrives it replaces the estimate; without usage the
plain delta count is kept where deltas look like single tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenscope.probe.usage import Usage

# Reasoning prose measured 3.9-5.1 characters per token; 4 leans to over-count.
CHARS_PER_TOKEN = 4.0
# A delta this short is taken as one token; longer ones add characters / 4.
ONE_TOKEN_CHARS = 6
# Deltas averaging more characters than this are batches of tokens, not tokens.
TOKEN_GRANULAR_CHARS = 8.0

SOURCES = ("reported", "counted", "estimated")


@dataclass(frozen=True, slots=True)
class Counts:
    """A snapshot of one model's tokens. ``source`` is 'estimated' until usage arrives."""

    reasoning: float
    answer: float
    source: str = "estimated"

    @property
    def completion(self) -> float:
        return self.reasoning + self.answer


@dataclass(frozen=True, slots=True)
class FinalCounts:
    completion: int | None
    reasoning: int | None
    answer: int | None
    prompt: int | None
    source: str
    reasoning_reported: int | None  # as the API (or the delta counter) gave it
    estimate: float  # the live estimate of completion tokens at the end
    estimate_error: float | None  # estimate / truth - 1, once a truth is known


def _tokens_in(chars: int) -> float:
    """The estimated tokens of one delta of ``chars`` characters."""
    if chars > ONE_TOKEN_CHARS:
        return 1.0 + (chars - ONE_TOKEN_CHARS) / CHARS_PER_TOKEN
    return 1.0


class LiveCounter:
    __slots__ = (
        "answer_chars",
        "answer_deltas",
        "answer_est",
        "deltas",
        "raw_chars",
        "reasoning_chars",
        "reasoning_deltas",
        "reasoning_est",
    )

    def __init__(self) -> None:
        self.deltas = 0
        self.reasoning_deltas = 0.0
        self.answer_deltas = 0.0
        self.reasoning_est = 0.0
        self.answer_est = 0.0
        self.reasoning_chars = 0
        self.answer_chars = 0
        self.raw_chars = 0

    def add(
        self, raw_chars: int, reasoning_chars: int, answer_chars: int, in_reasoning: bool
    ) -> None:
        """One streamed chunk that carried ``raw_chars`` of text.

        Its text may have been split between reasoning and answer (a tag inside
        it), or produced nothing visible (a tag on its own, held-back text); then
        it belongs to the side the stream was on.
        """
        self.deltas += 1
        est = _tokens_in(raw_chars)
        shown = reasoning_chars + answer_chars
        if shown == 0:
            share = 1.0 if in_reasoning else 0.0
        elif answer_chars == 0:
            share = 1.0
        elif reasoning_chars == 0:
            share = 0.0
        else:
            share = reasoning_chars / shown
        self.reasoning_deltas += share
        self.answer_deltas += 1.0 - share
        self.reasoning_est += est * share
        self.answer_est += est * (1.0 - share)
        self.reasoning_chars += reasoning_chars
        self.answer_chars += answer_chars
        self.raw_chars += raw_chars

    def add_reasoning(self, chars: int) -> None:
        """``add(chars, chars, 0, True)`` for ``chars`` > 0: a chunk that is all reasoning."""
        self.deltas += 1
        self.reasoning_deltas += 1.0
        self.reasoning_est += _tokens_in(chars)
        self.reasoning_chars += chars
        self.raw_chars += chars

    def add_answer(self, chars: int) -> None:
        """``add(chars, 0, chars, False)`` for ``chars`` > 0: a chunk that is all answer."""
        self.deltas += 1
        self.answer_deltas += 1.0
        self.answer_est += _tokens_in(chars)
        self.answer_chars += chars
        self.raw_chars += chars

    def reclassify_answer(self) -> None:
        """Everything counted as answer so far was reasoning (an implied ``<think>``)."""
        self.reasoning_deltas += self.answer_deltas
        self.reasoning_est += self.answer_est
        self.reasoning_chars += self.answer_chars
        self.answer_deltas = self.answer_est = 0.0
        self.answer_chars = 0

    @property
    def estimate(self) -> float:
        return self.reasoning_est + self.answer_est

    def snapshot(self, usage: Usage | None = None) -> Counts:
        if usage is not None and usage.completion is not None:
            reasoning = self._reported_reasoning(usage)
            return Counts(
                float(reasoning or 0), float(usage.completion - (reasoning or 0)), "reported"
            )
        return Counts(self.reasoning_est, self.answer_est)

    def _reported_reasoning(self, usage: Usage) -> int | None:
        completion = usage.completion or 0
        if usage.reasoning is not None:
            return usage.reasoning
        if self.deltas == 0:
            return None
        # No breakdown (llama.cpp, Ollama, older vLLM): split as the estimates did.
        est = self.estimate
        return round(completion * self.reasoning_est / est) if est else 0

    def final(self, usage: Usage | None) -> FinalCounts:
        est = self.estimate
        prompt = usage.prompt if usage is not None else None
        if usage is not None and usage.completion is not None:
            completion = usage.completion
            reasoning = self._reported_reasoning(usage)
            answer = None if reasoning is None else completion - reasoning
            error = est / completion - 1.0 if completion > 0 and self.deltas else None
            return FinalCounts(
                completion, reasoning, answer, prompt, "reported", usage.reasoning, est, error
            )
        if self.deltas == 0:
            return FinalCounts(None, None, None, prompt, "estimated", None, est, None)
        if self.raw_chars / self.deltas <= TOKEN_GRANULAR_CHARS:
            completion = self.deltas
            reasoning = round(self.reasoning_deltas)
            error = est / completion - 1.0
            return FinalCounts(
                completion,
                reasoning,
                completion - reasoning,
                prompt,
                "counted",
                reasoning,
                est,
                error,
            )
        completion = round(est)
        reasoning = round(self.reasoning_est)
        return FinalCounts(
            completion, reasoning, completion - reasoning, prompt, "estimated", None, est, None
        )

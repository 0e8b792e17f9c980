"""Replay a bundled run as if a model were streaming it: the offline demo.

The study's reasoning and answer texts are cut into as many deltas as the
study counted tokens, and emitted at a chosen pace, so the counters climb as
they did for the real model. A model that hides its reasoning "thinks"
silently for as long as those tokens would take; where the model showed it but
the archive lost the text, the counter still climbs, with no text. A replay is labelled as
such everywhere
and is never stored as a user run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import polars as pl

from tokenscope.data.loader import load_bundled
from tokenscope.errors import UserError
from tokenscope.probe.counting import Counts
from tokenscope.probe.events import (
    AnswerDelta,
    Finished,
    ProbeEvent,
    ProbeResult,
    ReasoningDelta,
    Started,
    UsageReported,
)

REPLAY_ENDPOINT = "replay"
DEFAULT_TOKENS_PER_S = 60.0
# Emit at most this many events per second; faster paces batch tokens per event.
MAX_EVENTS_PER_S = 120.0


class ReplayError(UserError):
    """No bundled run matches what was asked for."""


# August's runs first: they carry the reasoning texts that the later runs' archive lacks.
REPLAY_EDITIONS = ("2025-08", "latest")


def _matching(runs: pl.DataFrame, model: str, prompt: str) -> pl.DataFrame:
    return runs.filter(
        (pl.col("model") == model)
        & ((pl.col("prompt_id") == prompt) | (pl.col("prompt_text") == prompt))
        & pl.col("tokens_completion").is_not_null()
    ).sort("sample_index")


def find_run(
    model: str, prompt: str, sample: int = 0, runs: pl.DataFrame | None = None
) -> dict[str, Any]:
    """A bundled run by model and prompt id (or exact prompt text), with ``full_cot``.

    Without ``runs``, the August edition is searched first, then the latest.
    """
    if runs is not None:
        hits, models = _matching(runs, model, prompt), None
    else:
        for edition in REPLAY_EDITIONS:
            bundled_runs, _, models, _ = load_bundled(edition)
            hits = _matching(bundled_runs, model, prompt)
            if not hits.is_empty():
                break
    if hits.is_empty():
        raise ReplayError(f"no bundled run of '{model}' on '{prompt}' to replay")
    row = hits.row(min(sample, hits.height - 1), named=True)
    if models is not None:
        shown = models.filter(pl.col("model") == model)["full_cot"]
        row["full_cot"] = bool(shown[0]) if len(shown) else True
    return row


def _pieces(text: str, count: int) -> list[str]:
    """``text`` cut into ``count`` nearly equal pieces (some may be empty)."""
    if count <= 0:
        return []
    size, extra = divmod(len(text), count)
    out, pos = [], 0
    for i in range(count):
        step = size + (1 if i < extra else 0)
        out.append(text[pos : pos + step])
        pos += step
    return out


class ReplayProbe:
    """Same surface as ``Probe`` (``key``, ``stream()``, ``result()``, ``done``)."""

    def __init__(
        self,
        run: dict[str, Any],
        tokens_per_s: float = DEFAULT_TOKENS_PER_S,
        *,
        label: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if tokens_per_s <= 0:
            raise ValueError("tokens_per_s must be positive")
        self.run = run
        self.tokens_per_s = tokens_per_s
        self.key = label or f"{run['model']} (replay)"
        self._sleep = sleep
        self._clock = clock
        self._reasoning: list[str] = []
        self._answer: list[str] = []
        self._counts = Counts(0.0, 0.0)
        self._t0: float | None = None
        self._t_first: float | None = None
        self._result: ProbeResult | None = None

    @property
    def done(self) -> bool:
        return self._result is not None

    @property
    def hidden_reasoning(self) -> bool:
        """The model does not show its chain of thought (an o-series model, say)."""
        return self.run.get("full_cot") is False and not self.run.get("reasoning")

    def _token_split(self) -> tuple[int, int]:
        completion = int(self.run["tokens_completion"] or 0)
        reasoning = round(self.run.get("tokens_reasoning") or 0)
        return min(reasoning, completion), max(completion - reasoning, 0)

    async def stream(self) -> AsyncIterator[ProbeEvent]:
        self._t0 = self._clock()
        yield Started(self.key, self.run["model"], REPLAY_ENDPOINT, 1)
        reasoning_tokens, answer_tokens = self._token_split()
        per_event = max(1, round(self.tokens_per_s / MAX_EVENTS_PER_S))
        try:
            async for event in self._phase(
                self.run.get("reasoning") or "", reasoning_tokens, per_event, reasoning=True
            ):
                yield event
            async for event in self._phase(
                self.run.get("answer") or "", answer_tokens, per_event, reasoning=False
            ):
                yield event
        except (asyncio.CancelledError, GeneratorExit):
            self._finish("cancelled")
            raise
        final = Counts(float(reasoning_tokens), float(answer_tokens), "reported")
        self._counts = final
        yield UsageReported(self.key, final, None)
        yield Finished(self.key, self._finish("ok"))

    async def _phase(
        self, text: str, tokens: int, per_event: int, *, reasoning: bool
    ) -> AsyncIterator[ProbeEvent]:
        if tokens <= 0:
            return
        silent = reasoning and self.hidden_reasoning
        steps = -(-tokens // per_event)
        pieces = _pieces(text, steps)
        sent = 0
        for piece in pieces:
            batch = min(per_event, tokens - sent)
            sent += batch
            await self._sleep(batch / self.tokens_per_s)
            if silent:
                continue  # hidden reasoning: time passes, nothing is shown
            if self._t_first is None:
                self._t_first = self._clock()
            if reasoning:
                self._reasoning.append(piece)
                self._counts = Counts(self._counts.reasoning + batch, self._counts.answer)
                yield ReasoningDelta(self.key, piece, self._counts)
            else:
                self._answer.append(piece)
                self._counts = Counts(self._counts.reasoning, self._counts.answer + batch)
                yield AnswerDelta(self.key, piece, self._counts)

    def _finish(self, status: str) -> ProbeResult:
        if self._result is not None:
            return self._result
        run = self.run
        now = self._clock()
        duration = now - self._t0 if self._t0 is not None else None
        reasoning_tokens, answer_tokens = self._token_split()
        finished = status == "ok"
        completion = reasoning_tokens + answer_tokens
        self._result = ProbeResult(
            key=self.key,
            model=run["model"],
            endpoint=REPLAY_ENDPOINT,
            endpoint_host=REPLAY_ENDPOINT,
            status=status,
            error=None if finished else "replay cancelled",
            reasoning="".join(self._reasoning),
            answer="".join(self._answer),
            tokens_prompt=run.get("tokens_prompt"),
            tokens_completion=completion if finished else None,
            tokens_reasoning=reasoning_tokens if finished else None,
            tokens_answer=answer_tokens if finished else None,
            tokens_reasoning_reported=run.get("tokens_reasoning_reported"),
            tokens_source="reported" if finished else "estimated",
            estimate=self._counts.completion,
            estimate_error=None,
            ttft_s=(self._t_first - self._t0) if self._t_first and self._t0 else None,
            duration_s=duration,
            tokens_per_s=(completion / duration) if finished and duration else None,
            finish_reason=run.get("finish_reason") if finished else None,
            provider=run.get("provider"),
            effort=run.get("effort"),
            hidden_reasoning=self.hidden_reasoning,
        )
        return self._result

    def result(self) -> ProbeResult:
        return self._result or self._finish("cancelled")

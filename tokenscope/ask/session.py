"""One question to one to four models, headless: what ``tokenscope ask`` and the Ask view share.

An ``AskSession`` makes a probe per model (a live endpoint, the built-in local model,
or a replay of a bundled run), streams them side by side, and meanwhile resolves the
baseline and each model's price. As each model ends, its run is costed, graded when
the question is a study prompt, and saved (never a replay). Everything it learns is
emitted as an event: probe events as they come, ``ContextReady`` once the baseline
and prices are known, ``RunStored`` per ended model. The CLI prints them; the app
paints them. Neither computes anything itself.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenscope.ask.models import ModelChoice
from tokenscope.probe.baseline import NO_BASELINE, Baseline, LiveRatios
from tokenscope.probe.endpoints import BUILTIN_MAX_TOKENS
from tokenscope.probe.events import TERMINAL, Failed, ProbeEvent, ProbeResult
from tokenscope.probe.replay import DEFAULT_TOKENS_PER_S
from tokenscope.probe.streams import ProbeStream, batches_of, flatten
from tokenscope.text import one_line

if TYPE_CHECKING:
    import httpx
    import polars as pl

    from tokenscope.ask.models import LocalServer
    from tokenscope.config import Price, Settings
    from tokenscope.data.prices import RunCost
    from tokenscope.probe.engine import ProbeGroup

LOCAL_MAX_TOKENS = BUILTIN_MAX_TOKENS


@dataclass(frozen=True)
class AskJob:
    """What the user asked, as the CLI's arguments or the Ask view's form give it."""

    question: str
    models: tuple[ModelChoice, ...]
    # auto | none | domain:<knowledge|math|logic> | model:<a model's label>
    baseline: str = "auto"
    domain: str | None = None  # the question's domain, when the user named it
    effort: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    pace: float = DEFAULT_TOKENS_PER_S  # replays: tokens per second
    save: bool = True


@dataclass(frozen=True)
class ContextReady:
    """The baseline and each model's price (None where no price is known)."""

    baseline: Baseline
    prices: Mapping[str, Price | None]


@dataclass(frozen=True)
class RunStored:
    """One ended model's run: costed, graded where it can be, saved unless a replay
    (``run_id`` is None then, or when saving failed: ``error`` says why)."""

    key: str
    result: ProbeResult
    record: dict[str, Any]
    cost: RunCost
    run_id: str | None
    error: str | None = None


AskEvent = ProbeEvent | ContextReady | RunStored


@dataclass
class AskOutcome:
    """Everything an ask ended with, in the order the models were given."""

    results: list[ProbeResult]
    stored: dict[str, RunStored]
    baseline: Baseline
    baseline_tokens: float | None
    cancelled: bool


@dataclass(frozen=True)
class _Context:
    baseline: Baseline
    prices: dict[str, Price | None]
    prompt_id: str | None
    domain: str | None


class StudyTables:
    """The bundled study's runs, prompts, models and prices, read once on first use
    (in a thread) and shared by every ask of a session or a view."""

    def __init__(self) -> None:
        self._tables: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame] | None = None
        self._lock = threading.Lock()

    def get(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """Runs, prompts, models, prices; raises ``LoadError`` when they cannot be read."""
        from tokenscope.data.loader import load_bundled

        with self._lock:
            if self._tables is None:
                self._tables = load_bundled()
            return self._tables


def blank_result(key: str, model: str, status: str, error: str, replay: bool) -> ProbeResult:
    """The result of a model that never got as far as a request."""
    where = "replay" if replay else ""
    return ProbeResult(
        key=key,
        model=model,
        endpoint=where,
        endpoint_host=where,
        status=status,
        error=error,
        reasoning="",
        answer="",
        tokens_prompt=None,
        tokens_completion=None,
        tokens_reasoning=None,
        tokens_answer=None,
        tokens_reasoning_reported=None,
        tokens_source="estimated",
        estimate=0.0,
        estimate_error=None,
        ttft_s=None,
        duration_s=None,
        tokens_per_s=None,
        finish_reason=None,
        provider=None,
        effort=None,
    )


class LazyProbe:
    """A probe whose making may block (starting the local model, finding a replay):
    made in a thread when streaming starts, so every model starts at once and one that
    cannot be made fails on its own."""

    def __init__(self, choice: ModelChoice, make: Callable[[], ProbeStream]) -> None:
        self.choice = choice
        self._make = make
        self._inner: ProbeStream | None = None
        self._result: ProbeResult | None = None

    @property
    def key(self) -> str:
        return self.choice.label

    @property
    def done(self) -> bool:
        return self._result is not None or (self._inner is not None and self._inner.done)

    def stream(self) -> AsyncIterator[ProbeEvent]:
        return flatten(self.batches())

    async def batches(self) -> AsyncGenerator[list[ProbeEvent], None]:
        try:
            self._inner = await asyncio.to_thread(self._make)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # whatever stops one model is that model's failure
            self._result = self._blank("failed", one_line(str(exc) or type(exc).__name__, 300))
            yield [Failed(self.key, self._result)]
            return
        async for batch in batches_of(self._inner):
            yield batch

    def result(self) -> ProbeResult:
        if self._inner is not None:
            return self._inner.result()
        if self._result is None:
            self._result = self._blank("cancelled", "cancelled before it started")
        return self._result

    def _blank(self, status: str, error: str) -> ProbeResult:
        return blank_result(self.key, self.choice.model, status, error, self.choice.is_replay)


class AskSession:
    """One ask, from the first request to the last stored run. ``run`` once; ``cancel``
    from anywhere on the same event loop (the ended models keep what arrived)."""

    def __init__(
        self,
        job: AskJob,
        settings: Settings,
        on_event: Callable[[AskEvent], None] = lambda event: None,
        *,
        study: StudyTables | None = None,
        local: LocalServer | None = None,
        local_max_tokens: int = LOCAL_MAX_TOKENS,
        results_dir: Path | None = None,
        replay_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        replay_clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.job = job
        self.settings = settings
        self.on_event = on_event
        self.study = study or StudyTables()
        self.local = local
        self.local_max_tokens = local_max_tokens
        self.results_dir = results_dir
        self.replay_sleep = replay_sleep
        self.replay_clock = replay_clock
        self.ratios = LiveRatios(NO_BASELINE)
        self.baseline: Baseline | None = None  # known once ContextReady is emitted
        self.prices: dict[str, Price | None] = {}
        self.stored: dict[str, RunStored] = {}
        self.cancelled = False
        self._group: ProbeGroup | None = None
        self._client: httpx.AsyncClient | None = None

    # ---- running -------------------------------------------------------------

    async def run(self) -> AskOutcome:
        """Stream every model to its end, then return once every run is stored."""
        from tokenscope.probe.engine import make_client

        # One HTTP client for every model of the ask: each of its own would load the
        # CA certificates again (a quarter of a second of CPU apiece), on the loop.
        if any(not c.is_replay for c in self.job.models):
            self._client = await asyncio.to_thread(make_client, self.settings)
        try:
            return await self._run()
        finally:
            if self._client is not None:
                await self._client.aclose()
                self._client = None

    async def _run(self) -> AskOutcome:
        from tokenscope.probe.engine import ProbeGroup

        context = asyncio.ensure_future(asyncio.to_thread(self._resolve_context))
        context.add_done_callback(self._context_settled)
        group = ProbeGroup([LazyProbe(c, partial(self._make_probe, c)) for c in self.job.models])
        self._group = group
        if self.cancelled:  # cancelled before it began: every model ends as soon as it starts
            asyncio.get_running_loop().call_soon(group.cancel)
        storing: list[asyncio.Task[None]] = []
        try:
            async for batch in group.batches():
                for event in batch:
                    self.ratios.update(event)
                    result = event.result if isinstance(event, TERMINAL) else None
                    if result is not None:
                        self.ratios.set_final(
                            event.key, result.tokens_completion, result.tokens_source
                        )
                    self.on_event(event)
                    if result is not None:
                        # Stored beside the stream: the other models' events keep flowing.
                        storing.append(asyncio.create_task(self._store(result, context)))
        except asyncio.CancelledError:
            self.cancelled = True
            group.cancel()
            context.cancel()
            raise
        await asyncio.gather(*storing, return_exceptions=True)
        await asyncio.gather(context, return_exceptions=True)
        results = group.results()
        return AskOutcome(
            results,
            dict(self.stored),
            self.baseline or NO_BASELINE,
            self.ratios.baseline_tokens(),
            self.cancelled,
        )

    def cancel(self) -> None:
        """Stop every model; each ends 'cancelled' with what arrived, and is stored so."""
        self.cancelled = True
        if self._group is not None:
            self._group.cancel()

    # ---- the probes ----------------------------------------------------------

    def _make_probe(self, choice: ModelChoice) -> ProbeStream:
        """Runs in a thread: whatever making this model's probe needs."""
        from tokenscope.probe.engine import Probe
        from tokenscope.probe.request import ProbeRequest

        job = self.job
        if choice.is_replay:
            return self._make_replay(choice)
        from tokenscope.probe.endpoints import defaults

        endpoint = choice.endpoint
        max_tokens = job.max_tokens
        if choice.kind == "local":
            from tokenscope.probe import local_model

            if not local_model.available():
                raise RuntimeError(f"the local model is not installed: {local_model.INSTALL_HINT}")
            if self.local is None:
                raise RuntimeError("the local model is not available here")
            endpoint = local_model.endpoint(self.local.url())
            max_tokens = max_tokens or self.local_max_tokens
        if endpoint is None:
            raise RuntimeError(f"no endpoint for {choice.label}")
        max_tokens = max_tokens or defaults(endpoint).ask_max_tokens
        request = ProbeRequest(
            endpoint,
            choice.model,
            job.question,
            label=choice.label,
            effort=job.effort or choice.effort,
            max_tokens=max_tokens,
            temperature=job.temperature,
            seed=job.seed,
            implied_think=choice.implied_think,
        )
        return Probe(request, self.settings, client=self._client)

    def _make_replay(self, choice: ModelChoice) -> ProbeStream:
        from tokenscope.probe.baseline import match_prompt
        from tokenscope.probe.replay import ReplayError, ReplayProbe, find_run

        _runs, prompts, models, _ = self.study.get()
        matched = match_prompt(self.job.question, prompts)
        try:
            # Not the session's runs (the latest edition): find_run prefers August's,
            # which carry the reasoning texts.
            run = find_run(choice.model, matched[0] if matched else self.job.question)
        except ReplayError:
            if matched is None:
                # The hint first: a pane or a terminal line cuts the end, never the advice.
                raise ReplayError(
                    "a replay needs one of the study's prompts (p picks one in the app); "
                    f"this question is not one: {one_line(self.job.question, 60)!r}"
                ) from None
            raise
        shown = models.filter(models["model"] == choice.model)["full_cot"]
        run["full_cot"] = bool(shown[0]) if len(shown) else True
        return ReplayProbe(
            run,
            self.job.pace,
            label=choice.label,
            sleep=self.replay_sleep,
            clock=self.replay_clock,
        )

    # ---- the baseline and prices ---------------------------------------------

    def _resolve_context(self) -> _Context:
        """Runs in a thread: the study prompt the question is (if any), the baseline and
        each model's price."""
        from tokenscope.data.loader import LoadError
        from tokenscope.data.prices import PriceBook
        from tokenscope.probe import baseline as baselines

        job = self.job
        try:
            runs, prompts, models, prices = self.study.get()
        except LoadError:
            study = None
            book = PriceBook.from_tables(self.settings.prices, None, None)
        else:
            study = (runs, prompts)
            book = PriceBook.from_tables(self.settings.prices, models, prices)
        matched = baselines.match_prompt(job.question, study[1]) if study else None
        choice, _, value = job.baseline.partition(":")
        chosen_domain = value if choice == "domain" else None
        try:
            baseline = baselines.resolve(
                job.question,
                choice=choice,
                baseline_key=value if choice == "model" else None,
                domain=chosen_domain or job.domain,
                results_dir=self.results_dir,
                study=study,
            )
        except (ValueError, LoadError) as exc:
            baseline = Baseline("none", f"no baseline: {exc}")
        found = {c.label: book.find(c.model, c.label) for c in job.models}
        domain = (matched[1] if matched else None) or job.domain or chosen_domain
        return _Context(baseline, found, matched[0] if matched else None, domain)

    def _context_settled(self, task: asyncio.Future[_Context]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            context = _Context(Baseline("none", f"no baseline: {error}"), {}, None, None)
        else:
            context = task.result()
        self.baseline = context.baseline
        self.prices = context.prices
        self.ratios.baseline = context.baseline
        self.on_event(ContextReady(context.baseline, context.prices))

    # ---- storing -------------------------------------------------------------

    async def _store(self, result: ProbeResult, context: asyncio.Future[_Context]) -> None:
        """Cost, grade and (unless a replay) save one ended model's run."""
        from tokenscope.data.prices import run_cost
        from tokenscope.probe import results as records
        from tokenscope.suite.grading import grade_asked_run

        try:
            ctx = await asyncio.shield(context)
        except Exception:  # the context failed: the run is kept without it
            ctx = _Context(NO_BASELINE, {}, None, self.job.domain)
        choice = next((c for c in self.job.models if c.label == result.key), None)
        replay = choice is not None and choice.is_replay
        cost = run_cost(result.tokens_completion, result.tokens_prompt, ctx.prices.get(result.key))
        record = records.to_run(
            result,
            question=self.job.question,
            prompt_id=ctx.prompt_id,
            domain=ctx.domain,
            cost=cost,
        )
        run_id, error = None, None
        if replay:
            record["source"] = "replay"  # for Run detail only: a replay is never saved
            await asyncio.to_thread(grade_asked_run, record)
        else:

            def grade_and_save() -> str | None:
                grade_asked_run(record)
                return records.save(record, self.results_dir) if self.job.save else None

            try:
                run_id = await asyncio.to_thread(grade_and_save)
            except OSError as exc:
                error = str(exc)
        stored = RunStored(result.key, result, record, cost, run_id, error)
        self.stored[result.key] = stored
        self.on_event(stored)

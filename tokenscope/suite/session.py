"""One suite run against one model, headless: what ``tokenscope run`` and the app share.

On the built-in endpoint the run starts the local model's server (unless every sample is
done), asks it and stops it, as the app does; its runs are stored under the built-in
model's name and the endpoint's name, so a later launch (on another port) resumes them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from tokenscope.suite.grading import Grade, judge_prompt, parse_judge_reply, weighted
from tokenscope.suite.runner import EndedEarly, Progress, run_suite
from tokenscope.suite.suites import Suite, SuitePrompt

if TYPE_CHECKING:
    from tokenscope.config import Settings
    from tokenscope.probe.endpoints import Endpoint
    from tokenscope.probe.local_model import LocalServer

JUDGE_MAX_TOKENS = 4000


@dataclass(frozen=True)
class SuiteJob:
    suite: Suite
    model: str  # the id the API expects
    label: str  # the name the model gets in tables
    endpoint: Endpoint
    samples: int = 5
    concurrency: int | None = None  # None: the endpoint's default (see endpoints.defaults)
    max_tokens: int | None = None  # None: the endpoint's default
    effort: str | None = None
    temperature: float | None = None
    judge: str | None = None
    judge_endpoint: Endpoint | None = None

    def fitted(self) -> SuiteJob:
        """The job with the endpoint's defaults where the user gave no figure."""
        from tokenscope.probe.endpoints import defaults

        fit = defaults(self.endpoint)
        return replace(
            self,
            concurrency=self.concurrency or fit.concurrency,
            max_tokens=self.max_tokens or fit.suite_max_tokens,
        )


def built_in_job(suite: Suite, **options: Any) -> SuiteJob:
    """A job on the built-in model, named as the Ask view names it."""
    from tokenscope.probe import local_model

    return SuiteJob(
        suite=suite,
        model=local_model.SERVED_MODEL,
        label=local_model.MODEL_LABEL,
        endpoint=local_model.endpoint(),
        **options,
    )


async def execute(
    job: SuiteJob,
    settings: Settings,
    on_progress: Callable[[Progress], None] | None = None,
    *,
    local: LocalServer | None = None,
) -> Progress:
    """Ask every missing sample of the job, grade it and store it; cancellable at any await.

    On the built-in endpoint, ``local`` serves the model (default: a server started
    here and stopped at the end)."""
    if not (job.endpoint.builtin or (job.judge_endpoint and job.judge_endpoint.builtin)):
        return await _execute(job, settings, on_progress)
    if not await asyncio.to_thread(_anything_to_ask, job):
        return await _execute(job, settings, on_progress)  # all done: no server to start
    from tokenscope.probe import local_model

    owned = local is None
    server: LocalServer = local or local_model.LocalModel()
    try:
        url = await asyncio.to_thread(server.url)
        bound = local_model.endpoint(url)
        job = replace(
            job,
            endpoint=bound if job.endpoint.builtin else job.endpoint,
            judge_endpoint=bound
            if job.judge_endpoint and job.judge_endpoint.builtin
            else job.judge_endpoint,
        )
        return await _execute(job, settings, on_progress)
    finally:
        if owned:
            await asyncio.to_thread(server.stop)


def _anything_to_ask(job: SuiteJob) -> bool:
    from tokenscope.suite.runner import completed_samples, plan

    done = completed_samples(job.suite, job.label, job.endpoint.identity)
    return bool(plan(job.suite, job.samples, done))


async def _execute(
    job: SuiteJob, settings: Settings, on_progress: Callable[[Progress], None] | None
) -> Progress:
    from tokenscope.data.prices import PriceBook, run_cost
    from tokenscope.probe.engine import Probe, make_client
    from tokenscope.probe.request import ProbeRequest
    from tokenscope.probe.results import to_run

    price = PriceBook.load(settings).find(job.model, job.label)
    job = job.fitted()

    async with make_client(settings) as client:

        async def stream(request: ProbeRequest):
            probe = Probe(request, settings, client=client)
            try:
                async for _ in probe.stream():
                    pass
            except asyncio.CancelledError:
                pass  # the partial result is kept as 'cancelled'; the runner stops after it
            return probe.result()

        async def ask(prompt: SuitePrompt, index: int) -> dict[str, Any]:
            request = ProbeRequest(
                job.endpoint,
                job.model,
                prompt.prompt,
                label=job.label,
                effort=job.effort,
                max_tokens=job.max_tokens,
                temperature=job.temperature,
            )
            result = await stream(request)
            cost = run_cost(result.tokens_completion, result.tokens_prompt, price)
            record = to_run(result, question=prompt.prompt, domain=prompt.domain, cost=cost)
            if result.ended_early:
                raise EndedEarly(record)  # the runner asks again
            return record

        async def judge(prompt: SuitePrompt, answer: str) -> Grade | None:
            if not prompt.criteria or not job.judge:
                return None
            request = ProbeRequest(
                job.judge_endpoint or job.endpoint,
                job.judge,
                judge_prompt(prompt.prompt, answer, prompt.criteria),
                max_tokens=JUDGE_MAX_TOKENS,
                temperature=0.0,
            )
            result = await stream(request)
            if not result.ok:
                return None
            try:
                met, notes = parse_judge_reply(result.answer, prompt.criteria)
            except (ValueError, json.JSONDecodeError):
                return None
            return Grade(met, weighted(met, prompt.weights), f"judge:{job.judge}", notes)

        return await run_suite(
            job.suite,
            samples=job.samples,
            model=job.label,
            endpoint=job.endpoint.identity,
            ask=ask,
            concurrency=job.concurrency or 1,
            judge=judge if job.judge else None,
            on_progress=on_progress,
        )

"""Run a suite against one model: plan, skip what is done, ask concurrently, grade, store.

Resumable by construction: every finished sample is appended to the results
store the moment it completes, and the plan is always "every (prompt, sample)
of this suite, model and endpoint without an ``ok`` run in the store". A
killed run therefore continues where it stopped and never repeats a sample.
Each sample is claimed before it is asked (``claims``), so a second run of the
same suite, model and endpoint takes the samples this one is not asking.

A stream the server ended early without an error (``EndedEarly``) is asked
again rather than stored as failed. When that keeps happening, the server is
cutting concurrent streams (llama-cpp-python does by default): the run goes on
one request at a time and says so once in ``Progress.notes``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from tokenscope.data import store
from tokenscope.data.loader import UserResults
from tokenscope.suite.claims import Claims
from tokenscope.suite.grading import Grade, apply_grade, rule_grade
from tokenscope.suite.suites import Suite, SuitePrompt

# Ask one sample; returns a run record in the canonical schema (status set).
Asker = Callable[[SuitePrompt, int], Awaitable[dict[str, Any]]]
# Grade one answer; returns None to fall back to the rule grader.
Grader = Callable[[SuitePrompt, str], Awaitable[Grade | None]]

# Asks of one sample the server may end early before it is stored as failed.
MAX_ASKS = 4
# Early ends, while several requests are in flight, that make the run go one at a time.
CUTS_BEFORE_SERIAL = 2
SERIAL_NOTE = "the server cut concurrent streams; continuing one at a time"


class EndedEarly(Exception):
    """Raised by an asker: the server closed the stream with no error before the end.

    ``record`` is the partial run, stored only if asking again never succeeds.
    """

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__(record.get("error") or "the stream ended early")
        self.record = record


@dataclass(frozen=True)
class Task:
    prompt: SuitePrompt
    sample_index: int


@dataclass
class Progress:
    total: int
    skipped: int
    done: int = 0
    failed: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = False
    started: float = field(default_factory=time.monotonic)
    elsewhere: int = 0  # samples another run was asking, or stored after the plan
    last_error: str | None = None
    stopped: str | None = None  # why the run gave up early (nothing could get through)
    notes: list[str] = field(default_factory=list)  # said once each, e.g. SERIAL_NOTE

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.elsewhere

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def eta_s(self) -> float | None:
        finished = self.finished
        if not finished:
            return None
        return self.elapsed / finished * (self.total - finished)


class _Gate:
    """At most ``limit`` asks in flight; the limit may be lowered while they run."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._busy = 0
        self._waiters: list[asyncio.Future[None]] = []

    async def acquire(self) -> None:
        while self._busy >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self._busy += 1

    def release(self) -> None:
        self._busy -= 1
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:  # all re-check the limit; there are at most a few
            if not waiter.done():
                waiter.set_result(None)


def completed_samples(
    suite: Suite, model: str, endpoint: str | None, results_dir: Path | None = None
) -> set[tuple[str, int]]:
    """(prompt_id, sample_index) pairs already answered for this suite, model and endpoint."""
    frame, _ = UserResults(results_dir).load()
    if frame is None:
        return set()
    endpoint_match = (
        pl.col("endpoint").is_null() if endpoint is None else pl.col("endpoint") == endpoint
    )
    done = (
        frame.filter(
            (pl.col("suite") == suite.name)
            & (pl.col("model") == model)
            & endpoint_match
            & (pl.col("status") == "ok")
        )
        .select("prompt_id", "sample_index")
        .unique()
        .collect()
    )
    return {(p, int(i)) for p, i in done.iter_rows()}


def plan(suite: Suite, samples: int, done: set[tuple[str, int]]) -> list[Task]:
    """Every sample not yet done, interleaved by sample so early results cover all prompts."""
    return [
        Task(prompt, index)
        for index in range(samples)
        for prompt in suite.prompts
        if (prompt.prompt_id, index) not in done
    ]


async def run_suite(
    suite: Suite,
    *,
    samples: int,
    model: str,
    endpoint: str | None,
    ask: Asker,
    concurrency: int = 4,
    judge: Grader | None = None,
    results_dir: Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> Progress:
    """Ask every missing sample, at most ``concurrency`` at a time, storing each as it lands."""
    claims = Claims(suite.name, model, endpoint, results_dir)  # before the store is read
    done = completed_samples(suite, model, endpoint, results_dir)
    tasks = plan(suite, samples, done)
    progress = Progress(total=len(tasks), skipped=samples * len(suite.prompts) - len(tasks))
    if on_progress:
        on_progress(progress)
    queue = deque(tasks)
    gate = _Gate(concurrency)
    # A dead server, a wrong key or an unknown model fails every sample alike: after this
    # many failures in a row with not one token, stop rather than store them all.
    breaker = max(3, concurrency)
    streak = [0]
    cuts = [0]

    def ended_early(record: dict[str, Any]) -> None:
        _count_spent(progress, record)
        cuts[0] += 1
        if gate.limit > 1 and cuts[0] >= CUTS_BEFORE_SERIAL:
            gate.limit = 1
            progress.notes.append(SERIAL_NOTE)
            if on_progress:
                on_progress(progress)

    async def ask_until_whole(task: Task) -> dict[str, Any]:
        attempt = 1
        while True:
            await gate.acquire()
            try:
                return await ask(task.prompt, task.sample_index)
            except EndedEarly as cut:
                if attempt >= MAX_ASKS:
                    return cut.record
                ended_early(cut.record)
            finally:
                gate.release()
            attempt += 1

    async def one(task: Task) -> None:
        claim = claims.claim(task.prompt.prompt_id, task.sample_index)
        if claim is None:
            progress.elsewhere += 1
            return
        stored_ok = False
        try:
            stored_ok = await grade_and_store(task, await ask_until_whole(task))
        finally:
            claim.release(stored_ok=stored_ok)

    async def grade_and_store(task: Task, record: dict[str, Any]) -> bool:
        record.update(
            suite=suite.name,
            prompt_id=task.prompt.prompt_id,
            sample_index=task.sample_index,
            domain=record.get("domain") or task.prompt.domain,
        )
        if record.get("status") == "ok":
            grade = await judge(task.prompt, record.get("answer") or "") if judge else None
            if grade is None or grade.score is None:
                grade = rule_grade(record.get("answer"), task.prompt.criteria, task.prompt.weights)
            apply_grade(record, grade)
        store.append_run(record, results_dir)
        _count(progress, record)
        if record.get("status") == "failed" and not record.get("tokens_completion"):
            streak[0] += 1
            if streak[0] >= breaker and progress.stopped is None:
                progress.stopped = (
                    f"stopped after {streak[0]} failures in a row with no "
                    f"tokens; the last: {record.get('error') or 'failed'}"
                )
                queue.clear()
        else:
            streak[0] = 0
        return record.get("status") == "ok"

    async def worker() -> None:
        while queue:
            await one(queue.popleft())
            if on_progress:
                on_progress(progress)
            # An asker may absorb a cancellation to hand back (and so store) the
            # partial run; take no new sample once cancelled.
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise asyncio.CancelledError

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(tasks) or 1)))))
    return progress


def _count(progress: Progress, record: Mapping[str, Any]) -> None:
    if record.get("status") == "ok":
        progress.done += 1
    else:
        progress.failed += 1
        progress.last_error = record.get("error")
    _count_spent(progress, record)


def _count_spent(progress: Progress, record: Mapping[str, Any]) -> None:
    """Tokens and cost of a request, stored or not: a cut stream is billed too."""
    progress.tokens += int(record.get("tokens_completion") or 0)
    if record.get("cost_usd") is not None:
        progress.cost_usd += float(record["cost_usd"])
        progress.cost_known = True

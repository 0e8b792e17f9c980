"""Run a suite against one model: plan, skip what is done, ask concurrently, grade, store.

Resumable by construction: every finished sample is appended to the results
store the moment it completes, and the plan is always "every (prompt, sample)
of this suite, model and endpoint without an ``ok`` run in the store". A
killed run therefore continues where it stopped and never repeats a sample.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from tokenscope.data import store
from tokenscope.data.loader import UserResults
from tokenscope.suite.grading import Grade, apply_grade, rule_grade
from tokenscope.suite.suites import Suite, SuitePrompt

# Ask one sample; returns a run record in the canonical schema (status set).
Asker = Callable[[SuitePrompt, int], Awaitable[dict[str, Any]]]
# Grade one answer; returns None to fall back to the rule grader.
Grader = Callable[[SuitePrompt, str], Awaitable[Grade | None]]


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
    last_error: str | None = None
    stopped: str | None = None  # why the run gave up early (nothing could get through)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def eta_s(self) -> float | None:
        finished = self.done + self.failed
        if not finished:
            return None
        return self.elapsed / finished * (self.total - finished)


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
    done = completed_samples(suite, model, endpoint, results_dir)
    tasks = plan(suite, samples, done)
    progress = Progress(total=len(tasks), skipped=samples * len(suite.prompts) - len(tasks))
    if on_progress:
        on_progress(progress)
    queue: asyncio.Queue[Task] = asyncio.Queue()
    for task in tasks:
        queue.put_nowait(task)
    # A dead server, a wrong key or an unknown model fails every sample alike: after this
    # many failures in a row with not one token, stop rather than store them all.
    breaker = max(3, concurrency)
    streak = [0]

    async def one(task: Task) -> None:
        record = await ask(task.prompt, task.sample_index)
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
                while not queue.empty():
                    queue.get_nowait()
        else:
            streak[0] = 0

    async def worker() -> None:
        while not queue.empty():
            await one(queue.get_nowait())
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
    progress.tokens += int(record.get("tokens_completion") or 0)
    if record.get("cost_usd") is not None:
        progress.cost_usd += float(record["cost_usd"])
        progress.cost_known = True

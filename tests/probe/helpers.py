from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TextIO

from tokenscope.config import Settings
from tokenscope.probe.endpoints import PRESETS, Endpoint
from tokenscope.probe.engine import Probe
from tokenscope.probe.events import ProbeEvent, ProbeResult
from tokenscope.probe.request import ProbeRequest

FAKE_KEY = "sk-test-abcdefghijklmnop1234"

FAST = Settings(
    connect_timeout=2.0, read_timeout=2.0, idle_timeout=2.0, max_retries=2, max_retry_wait=1.0
)


def endpoint_at(url: str, preset: str = "vllm", **changes) -> Endpoint:
    return replace(PRESETS[preset], base_url=url, **changes)


async def run_probe(
    url: str,
    preset: str = "vllm",
    *,
    settings: Settings = FAST,
    question: str = "What is 2 + 2?",
    **request,
) -> tuple[list[ProbeEvent], ProbeResult]:
    endpoint = endpoint_at(url, preset)
    probe = Probe(ProbeRequest(endpoint, request.pop("model", "m"), question, **request), settings)
    events = [event async for event in probe.stream()]
    return events, probe.result()


def read_until(stream: TextIO, needle: str) -> str:
    """A child's output up to and including the first line that holds ``needle`` (all of
    it, if the child ends first). Reading blocks: the line is the event waited on."""
    lines = []
    for line in stream:
        lines.append(line)
        if needle in line:
            break
    return "".join(lines)


@contextmanager
def watchdog(proc: subprocess.Popen, seconds: float = 120) -> Iterator[None]:
    """Kill a child that never gets there, so a hang fails one test instead of the run."""
    timer = threading.Timer(seconds, proc.kill)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()

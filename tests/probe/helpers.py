from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import pytest

from tokenscope.config import Settings
from tokenscope.probe.endpoints import PRESETS, Endpoint
from tokenscope.probe.engine import Probe
from tokenscope.probe.events import ProbeEvent, ProbeResult
from tokenscope.probe.local_model import LocalModelError, LocalModelServer
from tokenscope.probe.request import ProbeRequest

FAKE_KEY = "sk-test-abcdefghijklmnop1234"

FAST = Settings(
    connect_timeout=2.0, read_timeout=2.0, idle_timeout=2.0, max_retries=2, max_retry_wait=1.0
)


@contextmanager
def local_model_server(log_dir: Path, cache_dir: Path, **options) -> Iterator[LocalModelServer]:
    """A running llama-cpp-python server with Gemma 3 270M, stopped afterwards."""
    server = LocalModelServer(log=log_dir / "server.log", cache_dir=cache_dir, **options)
    try:
        server.start()
    except LocalModelError as exc:
        pytest.fail(f"the local model server is unavailable: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


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


# Terminal control sequences a hostile server may put in what it sends back.
# (The shared table of hostile strings is to live in tests/hostile.py.)
OSC52 = "\x1b]52;c;cm0gLXJmIH4K\x07"  # writes "rm -rf ~" to the clipboard
HOSTILE = {
    "osc52-clipboard": OSC52,
    "csi-clear-screen": "\x1b[2J\x1b[H",
    "osc-title": "\x1b]0;pwned\x07",
    "c1-csi": "\x9b31m",
}


def assert_printable(text: str) -> None:
    """No control character but newline and tab reaches the terminal."""
    bad = [c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    assert not bad, f"control characters {bad!r} in {text!r}"


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

"""What ``ProbeGroup`` runs side by side: anything that streams probe events for one key.

A live ``Probe``, a ``ReplayProbe`` of a bundled run, and the Ask session's probes
made on first use all fit, so they mix in one group without casts.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Protocol, runtime_checkable

from tokenscope.probe.events import ProbeEvent, ProbeResult


class ProbeStream(Protocol):
    """One model answering one question, as events."""

    @property
    def key(self) -> str:
        """The name its events carry (unique within a group)."""
        ...

    @property
    def done(self) -> bool:
        """It has ended (finished, failed or cancelled)."""
        ...

    def stream(self) -> AsyncIterator[ProbeEvent]:
        """The events, ending with ``Finished``, ``Failed`` or ``Cancelled``."""
        ...

    def result(self) -> ProbeResult:
        """The outcome; before the end, a 'cancelled' result with what arrived."""
        ...


@runtime_checkable
class BatchedStream(ProbeStream, Protocol):
    """A stream that can also hand over its events a list at a time."""

    def batches(self) -> AsyncGenerator[list[ProbeEvent], None]:
        """The same events as ``stream``, in lists (one network read, say)."""
        ...


async def _one_by_one(
    stream: AsyncIterator[ProbeEvent],
) -> AsyncGenerator[list[ProbeEvent], None]:
    try:
        async for event in stream:
            yield [event]
    finally:
        aclose = getattr(stream, "aclose", None)  # an async generator: close it now
        if aclose is not None:
            await aclose()


def batches_of(probe: ProbeStream) -> AsyncGenerator[list[ProbeEvent], None]:
    """``probe``'s events a list at a time: its own batches, or one by one."""
    if isinstance(probe, BatchedStream):
        return probe.batches()
    return _one_by_one(probe.stream())


async def flatten(
    batches: AsyncGenerator[list[ProbeEvent], None],
) -> AsyncIterator[ProbeEvent]:
    """Batches one event at a time; closing this closes ``batches`` at once (and with
    it a probe's connection), not whenever the garbage collector gets to it."""
    try:
        async for batch in batches:
            for event in batch:
                yield event
    finally:
        await batches.aclose()

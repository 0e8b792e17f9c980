"""What ``ProbeGroup`` runs side by side: anything that streams probe events for one key.

A live ``Probe``, a ``ReplayProbe`` of a bundled run, and the Ask session's probes
made on first use all fit, so they mix in one group without casts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

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

"""Progress of a suite run: a redrawn bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from typing import TextIO

from tokenscope.suite.runner import Progress

BAR_WIDTH = 24


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def summary(p: Progress) -> str:
    cost = f"${p.cost_usd:.4f}" if p.cost_known else "cost n/a"
    failed = f", {p.failed} failed" if p.failed else ""
    elsewhere = f", {p.elsewhere} taken by another run" if p.elsewhere else ""
    skipped = f", {p.skipped} already done" if p.skipped else ""
    return (
        f"{p.finished}/{p.total} samples{failed}{elsewhere}{skipped} · {p.tokens:,} tokens · {cost}"
    )


class ProgressReporter:
    """Call with each Progress update; draws in place on a TTY, prints a line otherwise.

    Each of the run's notes is printed once, on its own line. A log gets no line until
    a sample got through: when none does (a dead server), the run's one error line says
    it all.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_printed = -1
        self._notes_printed = 0

    def __call__(self, p: Progress) -> None:
        for note in p.notes[self._notes_printed :]:
            self.stream.write(("\r\x1b[K" if self.tty else "") + f"tokenscope: {note}\n")
            self.stream.flush()
        self._notes_printed = len(p.notes)
        finished = p.finished
        if self.tty:
            frac = finished / p.total if p.total else 1.0
            filled = int(frac * BAR_WIDTH)
            bar = "█" * filled + "░" * (BAR_WIDTH - filled)
            line = f"\r{bar} {frac:4.0%} {summary(p)} · ETA {_duration(p.eta_s)}"
            self.stream.write(line + "\x1b[K")
            self.stream.flush()
        elif finished != self._last_printed and (p.done or p.tokens):
            self._last_printed = finished
            self.stream.write(f"progress: {summary(p)} · elapsed {_duration(p.elapsed)}\n")
            self.stream.flush()

    def close(self, *, erase: bool = False) -> None:
        """End the bar: kept on screen, or erased when it showed nothing worth keeping."""
        if self.tty:
            self.stream.write("\r\x1b[K" if erase else "\n")
            self.stream.flush()

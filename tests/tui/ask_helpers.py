"""Shared pieces of the Ask view tests: opening the tab, a fake replay pace, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from pathlib import Path

from textual.containers import VerticalScroll

from tests.tui.conftest import HANG, until, wait_painted
from tokenscope.ask.live import METER_EVERY

# The offline demo: two bundled runs replayed side by side.
DEMO = ["replay:deepseek-r1-0528", "replay:gpt-oss-120b"]


async def open_ask(app, pilot):  # type: ignore[no-untyped-def]
    """Show the Ask tab and wait until its model list is complete."""
    await wait_painted(app, pilot, "leaderboard")
    await pilot.press("5")
    view = app.main.view("ask")
    await until(
        pilot,
        lambda: not view.searching and view.discovered and len(view.choices) >= 4,
        "the Ask view to list its models",
    )
    return view


async def wait_for(pilot, condition, timeout: float = HANG, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    # The timeout only guards against a hang: a loaded machine (four pytest workers on
    # two cores) can take many seconds to paint what a quiet one paints at once.
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause()


async def wait_ended(view, pilot, timeout: float = HANG) -> None:  # type: ignore[no-untyped-def]
    """Every pane ended and the last frame is painted."""
    await wait_for(
        pilot, lambda: view.board is not None and not view.running, timeout, "the ask to end"
    )
    await pilot.pause()


async def wait_painted_all(view, pilot) -> None:  # type: ignore[no-untyped-def]
    """Every pane has painted what arrived."""

    def painted() -> bool:
        waiting = any(s.reasoning or s.answer or s.dirty for s in view.board.panes.values())
        return not waiting and not any(p.has_pending for p in view._panes.values())

    await wait_for(pilot, painted, what="the panes to paint what arrived")


async def wait_still(view, pilot) -> None:  # type: ignore[no-untyped-def]
    """The streams are paused (``FakePace``): wait until every pane has painted what
    arrived, then for one more meter frame."""
    await wait_painted_all(view, pilot)
    frame = view.frames
    await wait_for(pilot, lambda: view.frames > frame + METER_EVERY, what="a meter frame")


async def ask_while_streaming(app, pilot, view):  # type: ignore[no-untyped-def]
    """A replay held mid-stream, and the question sent again: the busy dialog is up.
    Returns the held replay's pace (``release`` lets it finish) and the first ask's board."""
    from tokenscope.tui.screens.ask_dialogs import BusyScreen

    view.set_models(["replay:gpt-oss-120b"])
    pace = FakePace(limit=5)
    pace.install(view)
    pace.go.set()
    await pilot.press("ctrl+s")
    first = view.board
    await wait_for(pilot, lambda: pace.blocked, what="the replay to pause")
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, BusyScreen), what="the busy dialog")
    return pace, first


# Four ended panes by terminal size: (columns, rows) of panes, answer rows at least.
FOUR_ENDED_LAYOUT = {(60, 20): (1, 4, 2), (80, 24): (2, 2, 5), (120, 40): (2, 2, 5)}


def check_four_ended_panes(app, view, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """Each ended pane lays out by the room it has and keeps its whole answer in view."""
    columns, rows, answer_rows = FOUR_ENDED_LAYOUT[size]
    panes = list(view._panes.values())
    xs = sorted({p.region.x for p in panes})
    ys = sorted({p.region.y for p in panes})
    assert (len(xs), len(ys)) == (columns, rows)
    screen = app.screen.region
    for pane in panes:
        assert screen.contains_region(pane.region), pane.key
        scroll = pane.query_one(".ask-answer-scroll", VerticalScroll)
        answer = pane.markdown
        # The answer is on screen, first, with room to read, and complete.
        assert scroll.display and scroll.region.height >= answer_rows, pane.key
        assert answer.region.height and scroll.region.y <= answer.region.y, pane.key
        assert answer.source == view.board.panes[pane.key].answer_so_far
        # Reasoning above it takes no rows unless there is text to show.
        log = pane.reasoning_log
        assert log.total or not log.region.height, pane.key
    if size == (120, 40):
        # Full meters: the exactness line is there, not wrapped away.
        for pane in panes:
            meter = str(pane.query_one(".ask-meter").render())
            assert "exact: usage reported" in meter.splitlines()[3], meter


def write_config(isolated_dirs: Path, endpoints: dict[str, dict]) -> None:
    lines = []
    for name, fields in endpoints.items():
        lines.append(f"[endpoints.{json.dumps(name)}]")
        for key, value in fields.items():
            lines.append(f"{key} = {json.dumps(value)}")
    (isolated_dirs / "config" / "config.toml").write_text("\n".join(lines) + "\n")


class Gate:
    """An event the test sets from its own thread and replays wait on in the ask's
    thread and loop (each ask runs on a loop of its own)."""

    def __init__(self) -> None:
        self._open = False
        self._lock = threading.Lock()
        self._waiting: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}

    def set(self) -> None:
        with self._lock:
            self._open = True
            waiting = list(self._waiting.items())
        for loop, event in waiting:
            with contextlib.suppress(RuntimeError):  # that ask's loop has closed
                loop.call_soon_threadsafe(event.set)

    def is_set(self) -> bool:
        return self._open

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._open:
                return
            event = self._waiting.setdefault(loop, asyncio.Event())
        await event.wait()


class FakePace:
    """Replays advance a fake clock instead of sleeping, in lock step, and stop for good
    after ``limit`` steps each: the screen then holds still, mid-stream, every time."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.t = 1000.0
        self.steps: dict[str, int] = {}
        self.go = Gate()
        self.resume = Gate()
        self.blocked: set[str] = set()

    def clock(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        name = asyncio.current_task().get_name()  # type: ignore[union-attr]
        await self.go.wait()  # every replay has started: their clocks agree
        n = self.steps[name] = self.steps.get(name, 0) + 1
        if n > self.limit:
            self.blocked.add(name)
            await self.resume.wait()  # mid-stream until released (or cancelled)
        self.t += seconds
        await asyncio.sleep(0)

    def release(self) -> None:
        self.limit = 1 << 30
        self.go.set()
        self.resume.set()

    def install(self, view) -> None:  # type: ignore[no-untyped-def]
        view.clock = self.clock
        view.replay_clock = self.clock
        view.replay_sleep = self.sleep

"""Every TUI test runs against throwaway data and config dirs, never a real home."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.css.query import NoMatches

# Its checks run inside snapshot runs too: failures say what differed.
pytest.register_assert_rewrite("tests.tui.ask_helpers")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    (data / "results").mkdir(parents=True)
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("TOKENSCOPE_DATA_DIR", str(data))
    monkeypatch.setenv("TOKENSCOPE_CONFIG", str(config / "config.toml"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


# Only a guard against a hang: every wait below ends on its event long before.
HANG = 120.0


async def until(pilot, condition, what: str = "the condition") -> None:  # type: ignore[no-untyped-def]
    """Wait until ``condition()`` holds, checking each time the app has handled what was
    pending and gone idle (``pilot.pause()`` with no delay): never a fixed sleep."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await pilot.pause()


async def wait_painted(app, pilot, key: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the view has painted the current data and filters (views compute in
    thread workers, then paint on the main thread)."""

    def painted() -> bool:
        try:
            view = app.main.view(key)
        except (NoMatches, LookupError):
            return False  # the screen is still composing
        busy = any(w.is_running for w in app.workers if w.group in ("compute", "load"))
        return view.loaded and not view.stale and not busy

    await until(pilot, painted, f"the {key} view to paint")
    await pilot.pause()


async def show_chart(pilot, view, key: str, *, by_keys: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Bring chart ``key`` up in the Charts ``view`` and wait until it has settled.

    ``by_keys``: step to it with ``n`` as a user does (drawing each chart passed on the
    way); otherwise activate its tab directly."""
    from textual.widgets import Tabs

    from tokenscope.tui.views.charts import CHARTS
    from tokenscope.tui.widgets.chart import ChartPlot

    keys = [k for k, _ in CHARTS]
    if by_keys:
        await pilot.press(*["n"] * ((keys.index(key) - keys.index(view.chart)) % len(keys)))
    else:
        view.query_one(Tabs).active = f"chart-{key}"
    plot = view.query_one(ChartPlot)
    await until(pilot, lambda: plot.last is not None and plot.last[0] == key, f"the {key} chart")
    # A note of another height resizes the plot, which draws again: wait until a pass
    # through everything pending changes neither the plot's size nor the note.
    note = view.query_one("#chart-note")
    seen = None
    while (now := (plot.size, note.size, str(note.render()))) != seen:
        seen = now
        await pilot.pause()

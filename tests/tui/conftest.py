"""Every TUI test runs against throwaway data and config dirs, never a real home."""

from __future__ import annotations

from pathlib import Path

import pytest


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


async def wait_painted(app, pilot, key: str, timeout: float = 10.0) -> None:
    """Wait until the view has painted data (views load in thread workers)."""
    import asyncio

    from textual.css.query import NoMatches

    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        await pilot.pause(0.05)
        try:
            view = app.main.view(key)
        except (NoMatches, LookupError):
            continue  # the screen is still composing
        if (
            view.loaded
            and not view.stale
            and not any(w.is_running for w in app.workers if w.group in ("compute", "load"))
        ):
            await pilot.pause(0.05)
            return
    raise AssertionError(f"view {key} never painted")

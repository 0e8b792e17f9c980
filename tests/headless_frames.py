"""Pilot tests skip the frames a terminal would have been sent.

Under ``run_test`` the app is headless, and Textual throws each frame away after
computing it (``App._display`` returns at once for a headless app). Computing those
frames was a third of the CPU of the app's tests. Here a partial screen update is only
marked as done: widgets keep what they would have drawn, and every test that reads the
screen (``export_screenshot``, the snapshots) renders it whole, from the same widget
code, at that moment.

Tests about painting itself (what is repainted, when, and from which kept strips) carry
``@pytest.mark.frames`` and get every frame; ``pytest --every-frame`` gives every test
every frame, as a terminal would.
"""

from __future__ import annotations

from typing import Any

import pytest


def addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--every-frame",
        action="store_true",
        help="compute every frame of headless apps, as a terminal would be sent (slower)",
    )


def skip_thrown_away_frames(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.config.getoption("--every-frame") or request.node.get_closest_marker("frames"):
        return
    from textual._compositor import Compositor

    full_update = Compositor.render_update

    def render_update(self: Compositor, full: bool = False, **options: Any) -> Any:
        if full:  # export_screenshot (and so the snapshots) asks for the whole screen
            return full_update(self, full=True, **options)
        self._dirty_regions.clear()  # as if sent: the next partial update starts clean
        return None  # what Screen._compositor_refresh gets when nothing changed

    monkeypatch.setattr(Compositor, "render_update", render_update)

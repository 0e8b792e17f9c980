"""SVG snapshots of each main view at 80×24 and 160×48, of every chart at 80×24 and of two
at 120×40 (bundled data, default theme)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import show_chart, until, wait_painted
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.widgets.charts_view import CHARTS

SIZES = [(80, 24), (160, 48)]


def _runner(view: str, detail: bool = False):
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await wait_painted(app, pilot, "leaderboard")
        if view != "leaderboard":
            await pilot.press({"prompts": "2", "runs": "3", "charts": "4"}[view])
            await wait_painted(app, pilot, view)
        if detail:
            await pilot.press("enter")
            await until(pilot, lambda: app.screen is not app.main, "the run detail")

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", ["leaderboard", "prompts", "runs"])
def test_view_snapshot(snap_compare, view: str, size: tuple[int, int]) -> None:
    assert snap_compare(TokenscopeApp(poll_seconds=0), terminal_size=size, run_before=_runner(view))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_detail_snapshot(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(
        TokenscopeApp(poll_seconds=0), terminal_size=size, run_before=_runner("runs", detail=True)
    )


def _chart_runner(chart: str):
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await wait_painted(app, pilot, "leaderboard")
        await pilot.press("4")
        await wait_painted(app, pilot, "charts")
        # Straight to its tab: the charts on the way are test_charts.py's business.
        await show_chart(pilot, app.main.view("charts"), chart, by_keys=False)

    return run_before


# Every chart at 80×24; the two that spread out with more room also wide. That every
# chart reads at 60, 80 and 120 columns is checked on the text in test_charts.py.
CHART_SNAPSHOTS = [(key, (80, 24)) for key, _ in CHARTS] + [
    ("pareto", (120, 40)),
    ("trends", (120, 40)),
]


@pytest.mark.parametrize(
    ("chart", "size"), CHART_SNAPSHOTS, ids=[f"{c}-{w}x{h}" for c, (w, h) in CHART_SNAPSHOTS]
)
def test_chart_snapshot(snap_compare, chart: str, size: tuple[int, int]) -> None:
    assert snap_compare(
        TokenscopeApp(poll_seconds=0), terminal_size=size, run_before=_chart_runner(chart)
    )

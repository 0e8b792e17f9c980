"""SVG snapshots of each main view at 80×24 and 160×48, and of every chart at 60×20, 80×24
and 120×40 (bundled data, default theme)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import until, wait_painted
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.views.charts import CHARTS

SIZES = [(80, 24), (160, 48)]
CHART_SIZES = [(60, 20), (80, 24), (120, 40)]


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
        from tokenscope.tui.widgets.chart import ChartPlot

        app = pilot.app
        await wait_painted(app, pilot, "leaderboard")
        await pilot.press("4")
        await wait_painted(app, pilot, "charts")
        keys = [key for key, _ in CHARTS]
        await pilot.press(*["n"] * keys.index(chart))
        plot = app.main.view("charts").query_one(ChartPlot)
        for _ in range(100):
            if plot.last and plot.last[0] == chart:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.3)

    return run_before


@pytest.mark.parametrize("size", CHART_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("chart", [key for key, _ in CHARTS])
def test_chart_snapshot(snap_compare, chart: str, size: tuple[int, int]) -> None:
    assert snap_compare(
        TokenscopeApp(poll_seconds=0), terminal_size=size, run_before=_chart_runner(chart)
    )

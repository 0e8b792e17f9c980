"""SVG snapshots (bundled data, default theme) at 80×24 and a wide size: each main view and
the run detail at 80×24, the leaderboard and runs at 160×48, four kinds of chart at 80×24
and the Pareto scatter at 120×40."""

from __future__ import annotations

import pytest

from tests.tui.conftest import show_chart, until, wait_painted
from tokenscope.tui.app import TokenscopeApp

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


# Every view at 80×24; the two tables a wide terminal shows most of also at 160×48.
VIEW_SNAPSHOTS = [(view, SIZES[0]) for view in ("leaderboard", "prompts", "runs")] + [
    ("leaderboard", SIZES[1]),
    ("runs", SIZES[1]),
]


@pytest.mark.parametrize(
    ("view", "size"), VIEW_SNAPSHOTS, ids=[f"{v}-{w}x{h}" for v, (w, h) in VIEW_SNAPSHOTS]
)
def test_view_snapshot(snap_compare, view: str, size: tuple[int, int]) -> None:
    assert snap_compare(TokenscopeApp(poll_seconds=0), terminal_size=size, run_before=_runner(view))


@pytest.mark.parametrize("size", SIZES[:1], ids=lambda s: f"{s[0]}x{s[1]}")
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


# Four charts of different kinds (bars, stacked bars, a scatter, lines) at 80×24 and the
# scatter wide. That every chart reads at 60, 80 and 120 columns, and with one model, is
# checked on the rendered text in test_charts.py.
CHART_SNAPSHOTS = [
    ("relative", (80, 24)),
    ("composition", (80, 24)),
    ("pareto", (80, 24)),
    ("trends", (80, 24)),
    ("pareto", (120, 40)),
]


@pytest.mark.parametrize(
    ("chart", "size"), CHART_SNAPSHOTS, ids=[f"{c}-{w}x{h}" for c, (w, h) in CHART_SNAPSHOTS]
)
def test_chart_snapshot(snap_compare, chart: str, size: tuple[int, int]) -> None:
    assert snap_compare(
        TokenscopeApp(poll_seconds=0), terminal_size=size, run_before=_chart_runner(chart)
    )

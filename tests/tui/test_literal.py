"""Text from data is shown literally: never markup, never terminal control."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from tests.tui.conftest import until, wait_painted
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.screens.run_detail import RunDetailScreen, plain
from tokenscope.tui.widgets.columns import Palette, format_cell

NASTY = "[bold red]x[/] \x1b[31mred\x1b[0m \x1b]0;title\x07 done"


def test_plain_keeps_brackets_and_makes_escapes_visible() -> None:
    text = plain(NASTY)
    assert isinstance(text, Text)
    assert text.spans == []
    assert "[bold red]x[/]" in text.plain
    assert "\\x1b[31m" in text.plain and "\\x1b]0;title\\x07" in text.plain
    assert "\x1b" not in text.plain and "\x07" not in text.plain


def test_table_cells_are_literal() -> None:
    cell = format_cell(NASTY, "text", Palette(), 80)
    assert cell.spans == [] and "[bold red]x[/]" in cell.plain and "\x1b" not in cell.plain


async def test_run_detail_shows_markup_and_escapes_literally(isolated_dirs: Path) -> None:
    from tokenscope.data.store import append_runs

    append_runs(
        [
            {
                "model": "[bold]evil[/]-model",
                "prompt_id": "capital_of_australia",
                "tokens_completion": 100,
                "chars_answer": len(NASTY),
                "chars_completion": len(NASTY),
                "score": 1.0,
                "answer": NASTY,
                "reasoning": "think " + NASTY,
            }
        ],
        results_dir=isolated_dirs / "data" / "results",
    )
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_painted(app, pilot, "leaderboard")
        await pilot.press("slash", *"evil", "enter")
        await until(pilot, lambda: app.filters.text == "evil", "the search to apply")
        await wait_painted(app, pilot, "leaderboard")
        board = app.screen.query_one("#leaderboard-table")
        assert board.frame["model"].to_list() == ["[bold]evil[/]-model"]
        await pilot.press("enter")
        await wait_painted(app, pilot, "runs")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RunDetailScreen), "the run detail")
        await pilot.press("h")
        await pilot.pause()
        answer = app.screen.query_one("#detail-answer").content
        assert isinstance(answer, Text) and answer.spans == []
        assert "[bold red]x[/]" in answer.plain
        svg = app.export_screenshot()
        flat = svg.replace("&#160;", " ")
        assert "[bold red]x[/]" in flat
        assert "\\x1b[31m" in flat and "\\x1b]0;title\\x07" in flat
        assert "[bold]evil[/]-model" in flat
        assert "\x1b" not in svg and "\x07" not in svg

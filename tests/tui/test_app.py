"""Pilot tests: sorting, filtering, drill-down, charts, themes, live refresh, export."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.tui.conftest import until, wait_painted
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.state import load_state
from tokenscope.tui.widgets.footer import KeysFooter

SIZE = (120, 36)


def app() -> TokenscopeApp:
    return TokenscopeApp(poll_seconds=0)


async def test_leaderboard_sorts_by_header_key_and_reverse() -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        table = a.screen.query_one("#leaderboard-table")
        rel = table.frame["relative_completion_tokens"].drop_nulls().to_list()
        assert rel == sorted(rel)
        # Move to the "completion" column and sort by it with the key.
        await pilot.press("right", "right", "s")
        assert table.sort_key == "mean_completion_tokens"
        values = table.frame["mean_completion_tokens"].drop_nulls().to_list()
        assert values == sorted(values)
        await pilot.press("r")
        assert table.descending
        values = table.frame["mean_completion_tokens"].drop_nulls().to_list()
        assert values == sorted(values, reverse=True)
        # The sorted column is marked in its header.
        label = table.columns["mean_completion_tokens"].label.plain
        assert label.endswith("▼")


async def test_header_click_sorts() -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        table = a.screen.query_one("#leaderboard-table")
        table.post_message(
            table.HeaderSelected(
                table, table.columns["success_rate"].key, 3, table.columns["success_rate"].label
            )
        )
        await until(pilot, lambda: table.sort_key == "success_rate", "the sort by the header")


async def test_view_bar_click_and_keys_switch_views() -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        bar = a.main.query_one("#viewbar")
        x = str(bar.render().plain).index("3 Runs")
        await pilot.click("#viewbar", offset=(x + 1, 0))
        await wait_painted(a, pilot, "runs")
        assert a.main.active_key == "runs" and a.main.view("runs").display
        assert not a.main.view("leaderboard").display and bar.active == "runs"
        await pilot.press("1")
        assert a.main.active_key == "leaderboard" and a.main.view("leaderboard").display
        # Views are built on their first visit only: the charts were never opened.
        assert [v.id for v in a.main.views()] == ["view-leaderboard", "view-runs"]


async def test_the_footer_follows_the_keys_that_apply() -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        footer = a.main.query_one(KeysFooter)

        def shown() -> list[str]:
            return [key.description for key in footer.query("FooterKey")]

        await until(pilot, lambda: "Sort" in shown(), "the table's keys")
        assert shown()[1:] == ["Domain", "Weights", "Find", "Clear", "Quit", "Help", "palette"]
        await pilot.press("4")
        await wait_painted(a, pilot, "charts")
        await until(pilot, lambda: shown()[0] == "Next", "the charts' keys")
        assert "Sort" not in shown()
        await pilot.press("1")
        await until(pilot, lambda: shown()[0] == "Sort", "the table's keys again")
        # Asked again with the same keys applying, the footer keeps the keys it shows.
        keys = list(footer.children)
        a.refresh_bindings()
        await pilot.pause()
        assert list(footer.children) == keys
        await pilot.press("slash")
        await until(pilot, lambda: shown() == ["Find", "Help", "palette"], "the search box's keys")


async def test_the_leaderboard_follows_the_terminal_size() -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        table = a.screen.query_one("#leaderboard-table")

        def lines() -> list[str]:
            return [table.render_line(y).text.rstrip() for y in range(table.size.height)]

        async def resize(width: int, height: int) -> None:
            await pilot.resize_terminal(width, height)
            await until(pilot, lambda: table.size.width == width, f"{width} columns")
            await pilot.pause()

        wide = lines()
        assert "rel. tokens" in wide[0] and "gpt-oss-20b" in "".join(wide)
        await resize(SIZE[0], 20)  # shorter: the same rows, fewer of them
        assert lines() == wide[: table.size.height]
        await resize(60, 20)  # narrower: fewer columns, short labels
        narrow = lines()
        assert len(table.shown) < len(table.cols) and narrow[0] != wide[0][: len(narrow[0])]
        assert all(len(line) <= 60 for line in narrow)
        await resize(*SIZE)
        assert lines() == wide


async def test_filters_domain_weights_search() -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        table = a.screen.query_one("#leaderboard-table")
        everyone = table.frame.height
        await pilot.press("w")  # open weights only
        await wait_painted(a, pilot, "leaderboard")
        assert a.filters.weights == "open"
        assert table.frame["open_weights"].all()
        assert 0 < table.frame.height < everyone
        await pilot.press("d")
        await wait_painted(a, pilot, "leaderboard")
        assert a.filters.domain == "knowledge"
        assert "domain: knowledge" in str(a.screen.query_one("#topbar").render())
        await pilot.press("x", "slash")
        for ch in "gpt-oss":
            await pilot.press(ch)
        await until(pilot, lambda: a.filters.text == "gpt-oss", "the search to apply")
        await wait_painted(a, pilot, "leaderboard")
        assert set(table.frame["model"]) == {"gpt-oss-20b", "gpt-oss-120b"}
        await pilot.press("escape")
        await wait_painted(a, pilot, "leaderboard")
        assert a.filters.text == ""


async def test_drill_down_to_runs_and_run_detail() -> None:
    from tokenscope.tui.screens.run_detail import RunDetailScreen

    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        top = a.screen.query_one("#leaderboard-table").frame["model"][0]
        await pilot.press("enter")
        await wait_painted(a, pilot, "runs")
        assert a.main.active_key == "runs"
        runs = a.screen.query_one("#runs-table").frame
        assert set(runs["model"]) == {top}
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(a.screen, RunDetailScreen), "the run detail")
        assert a.screen.run["model"] == top
        await pilot.press("h")
        assert not a.screen.query_one("#detail-reasoning").collapsed
        await pilot.press("escape")
        assert a.screen is a.main
        # The header names the drill-down first, so a narrow screen never cuts it.
        assert str(a.main.query_one("#topbar").render()).startswith(f"tokenscope  model = {top}")
        # Escape goes back up: the leaderboard again, without the drill-down filter.
        await pilot.press("escape")
        await wait_painted(a, pilot, "leaderboard")
        assert a.main.active_key == "leaderboard" and a.filters.model is None
        assert a.screen.query_one("#leaderboard-table").frame.height > 1


async def test_prompts_matrix_and_charts_switch() -> None:
    from tokenscope.tui.widgets.chart import ChartPlot

    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        await pilot.press("2")
        await wait_painted(a, pilot, "prompts")
        matrix = a.screen.query_one("#prompts-table").frame
        assert matrix.height == 19 and "gpt-oss-120b" in matrix.columns
        await pilot.press("4")
        await wait_painted(a, pilot, "charts")
        charts = a.main.view("charts")
        seen = []
        for _ in range(7):
            seen.append(charts.chart)
            plot = charts.query_one(ChartPlot)
            await until(pilot, lambda p=plot: p.last[0] == charts.chart, f"the {seen[-1]} chart")
            await pilot.press("n")
        assert seen == [
            "relative",
            "composition",
            "cost",
            "chars",
            "pareto",
            "overthinking",
            "trends",
        ]
        assert charts.chart == "relative"
        # Charts follow the filters.
        await pilot.press("w")
        await wait_painted(a, pilot, "charts")
        assert charts.data["board"]["open_weights"].all()


async def test_switching_the_edition_reloads_the_study_and_the_trends() -> None:
    from tokenscope.tui.widgets.chart import ChartPlot

    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        board = a.screen.query_one("#leaderboard-table")
        assert a.ds.edition == "latest" and "edition latest" in a.summary
        assert "gpt-5" in board.frame["model"].to_list() and board.frame.height == 38
        await pilot.press("v")
        await until(pilot, lambda: a.ds.edition == "2025-08", "the August edition to load")
        await wait_painted(a, pilot, "leaderboard")
        assert "edition 2025-08" in a.summary
        models = board.frame["model"].to_list()
        assert len(models) == 29 and "gpt-5" not in models
        # The Trends chart follows each lineage; August's missing versions are named.
        await pilot.press("4")
        await wait_painted(a, pilot, "charts")
        charts = a.main.view("charts")
        charts.query_one("#chart-tabs").active = "chart-trends"
        plot = charts.query_one(ChartPlot)
        await until(pilot, lambda: plot.last[0] == "trends", "the trends chart")
        lineages = set(charts.data["trends"]["lineage"])
        assert len(plot.keys) == len(lineages) >= 6
        note = str(charts.query_one("#chart-note").render())
        assert "not in this edition" in note and "gpt-5" in note
        await pilot.press("v")
        await until(pilot, lambda: a.ds.edition == "latest", "the latest edition to load")
        await wait_painted(a, pilot, "charts")
        assert charts.data["trends"]["measured"].all()


async def test_theme_switch_persists(isolated_dirs: Path) -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        assert a.theme == "tokenscope-dark"
        assert {"tokenscope-dark", "tokenscope-light", "tokenscope-contrast"} <= set(
            a.available_themes
        )
        a.theme = "tokenscope-light"
        await pilot.pause()
    assert load_state()["theme"] == "tokenscope-light"
    b = app()
    async with b.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert b.theme == "tokenscope-light"


async def test_broken_theme_file_notifies_once_and_falls_back(isolated_dirs: Path) -> None:
    themes = isolated_dirs / "config" / "themes"
    themes.mkdir()
    (themes / "broken.toml").write_text("name = 'x'\nprimary = 'not-a-colour'\n")
    (themes / "garbage.toml").write_text("[[[")
    (isolated_dirs / "config" / "tui-state.toml").write_text('theme = "tokenscope-gone"\n')
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(a._notifications), "the theme notification")
        await wait_painted(a, pilot, "leaderboard")
        assert a.theme == "tokenscope-dark"
        notes = list(a._notifications)
        assert len(notes) == 1
        assert "broken.toml" in notes[0].message and "garbage.toml" in notes[0].message


async def test_broken_config_is_said_at_startup_and_once(isolated_dirs: Path) -> None:
    (isolated_dirs / "config" / "config.toml").write_text("default_endpoint = [oops\n")
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")

        def said() -> list[str]:
            return [n.message for n in a._notifications if n.title == "Config"]

        await until(pilot, said, "the config notification")
        notes = said()
        assert len(notes) == 1 and "not valid TOML" in notes[0] and "Traceback" not in notes[0]
        await pilot.press("5")  # the Ask view reads the same file: no second message
        view = a.main.view("ask")
        await until(pilot, lambda: not view.searching and view.discovered, "the model list")
        assert len(said()) == 1


async def test_live_refresh_picks_up_new_user_run(isolated_dirs: Path) -> None:
    from tokenscope.data.store import append_runs

    a = TokenscopeApp(poll_seconds=0.2)
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        table = a.screen.query_one("#leaderboard-table")
        assert "user" not in set(table.frame["source"])
        append_runs(
            [
                {
                    "model": "my-new-model",
                    "prompt_id": "capital_of_australia",
                    "tokens_completion": 321,
                    "chars_answer": 40,
                    "chars_completion": 40,
                    "score": 1.0,
                    "answer": "Canberra",
                }
            ],
            results_dir=isolated_dirs / "data" / "results",
        )
        await until(pilot, lambda: "my-new-model" in set(table.frame["model"]), "the new run")
        assert "yours" in str(a.screen.query_one("#topbar").render())


async def test_failed_runs_show_their_status_at_80_columns(isolated_dirs: Path) -> None:
    from tokenscope.data.store import append_runs

    append_runs(
        [
            {
                "model": "dead-model",
                "prompt_id": "one_plus_one",
                "status": "failed",
                "error": "connection refused by 127.0.0.1:9",
            }
        ],
        results_dir=isolated_dirs / "data" / "results",
    )
    a = app()
    async with a.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_painted(a, pilot, "runs")
        runs = a.main.view("runs")
        assert "status" in [c.key for c in runs.table.shown]
        assert "(1 failed or cancelled)" in str(a.main.query_one("#runs-status").render())
        # The study alone has no failed run: the column gives its room back.
        await pilot.press("b")  # source: bundled
        await wait_painted(a, pilot, "runs")
        assert "status" not in [c.key for c in runs.table.shown]


@pytest.mark.parametrize(
    "fmt,suffix", [("csv", ".csv"), ("parquet", ".parquet"), ("markdown", ".md")]
)
async def test_export_current_view(isolated_dirs: Path, fmt: str, suffix: str) -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        a.action_export(fmt)
        exports = isolated_dirs / "data" / "exports"
        await until(
            pilot, lambda: any(n.title.startswith("Exported") for n in a._notifications), "export"
        )
        files = list(exports.glob(f"*{suffix}"))
        assert len(files) == 1
        if fmt == "parquet":
            assert (
                pl.read_parquet(files[0]).height
                == a.screen.query_one("#leaderboard-table").frame.height
            )


async def test_command_palette_lists_actions() -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = {c.title for c in a.get_system_commands(a.screen)}
        for expected in (
            "View: Runs",
            "Filter: cycle domain",
            "Export view as CSV",
            "Export view as Parquet",
            "Export view as Markdown",
            "Theme: tokenscope-contrast",
            "Help: keys",
        ):
            assert expected in titles


async def test_help_screen_lists_keys() -> None:
    from tokenscope.tui.screens.help import HelpScreen

    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(a.screen, HelpScreen), "the help screen")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(a.screen, HelpScreen), "the help to close")


async def test_quit_key() -> None:
    a = app()
    async with a.run_test(size=SIZE) as pilot:
        await pilot.press("q")
    assert a.return_code in (0, None)

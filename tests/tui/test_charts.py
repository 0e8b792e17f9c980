"""Charts and cut labels read right at 60, 80 and 120 columns, with or without colour."""

from __future__ import annotations

import re

import pytest
from rich.text import Text

from tests.tui.conftest import show_chart, until, wait_painted
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.views.charts import CHARTS
from tokenscope.tui.widgets.axes import percent_range, whole_ticks
from tokenscope.tui.widgets.bars import Bar, Segment, render_bars
from tokenscope.tui.widgets.columns import Palette, format_cell, unique_labels

# Every model of the bundled study, in leaderboard order.
STUDY = [
    "gpt-oss-20b",
    "gpt-oss-120b",
    "o3-mini-high",
    "claude-opus-4.1",
    "o4-mini-high-long",
    "claude-opus-4",
    "o1-mini",
    "claude-4-sonnet-0522-thinking",
    "gemini-2.5-flash-high",
    "grok-4-07-09",
    "llama-3.3-nemotron-super-49b-v1",
    "deepseek-r1",
    "glm-z1-32b",
    "grok-3-mini-think",
    "grok-3-mini-beta",
    "deepseek-r1-distill-qwen-7b",
    "tng-deepseek-r1t",
    "gemini-2.5-pro",
    "qwen3-30b-a3b-think",
    "DeepHermes-3-Mistral-24B-Pre",
    "claude-3-7-sonnet-20250219",
    "qwen3-235b-a22b-think",
    "glm-4.5",
    "deepseek-r1-0528",
    "minimax-m1",
    "qwen3-235b-a22b-thinking-2507",
    "magistral-small-2506",
    "magistral-medium-2506-thinking",
    "deepseek-r1-0528-ds",
]


# -- pure helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lo", "hi", "most"), [(798.0, 9888.5, 6), (798.0, 9888.5, 3), (0, 100, 6), (70, 100, 3)]
)
def test_ticks_are_whole_numbers_inside_the_range(lo: float, hi: float, most: int) -> None:
    ticks = whole_ticks(lo, hi, most)
    assert 2 <= len(ticks) <= most
    assert all(isinstance(t, int) and lo <= t <= hi for t in ticks)
    assert len(set(ticks)) == len(ticks)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([77.9, 100.0], (70, 100)), ([100.0], (90, 100)), ([0.0], (0, 10)), ([55.0, 56.0], (50, 60))],
)
def test_a_success_rate_axis_stays_within_0_and_100(values: list, expected: tuple) -> None:
    assert percent_range(values) == expected


@pytest.mark.parametrize("width", [8, 14, 18, 22])
def test_cut_model_names_stay_unique_and_fit(width: int) -> None:
    labels = unique_labels(STUDY, width)
    assert len(set(labels.values())) == len(STUDY)
    assert all(len(label) <= width for label in labels.values())
    # A cut keeps the start and the last word, where the difference usually is.
    assert labels["gpt-oss-20b"].startswith("gpt") and labels["gpt-oss-20b"].endswith("20b")
    assert labels["gpt-oss-120b"].endswith("120b")


def test_names_alike_at_both_ends_still_get_different_labels() -> None:
    # The previous middle cut gave both "qw…think".
    labels = unique_labels(["qwen3-30b-a3b-think", "qwen3-235b-a22b-think"], 8)
    assert len(set(labels.values())) == 2


def test_a_label_is_never_markup_or_control() -> None:
    labels = unique_labels(["[bold]x\x1b[31m-very-long-name"], 12)
    assert "\x1b" not in next(iter(labels.values()))


def test_bar_labels_of_two_long_alike_names_differ_in_what_they_show() -> None:
    names = ["qwen3-235b-a22b-think", "qwen3-235b-a22b-thinking-2507"]
    bars = [Bar(n, [Segment(1.0, "")], "1.00") for n in names]
    lines = render_bars("t", bars, 80).plain.splitlines()[1:]
    shown = [line[:22].strip() for line in lines]
    # Not "qwen3-235b-a22b-think" and "qwen3-235b-a22b-think…": the end says which.
    assert shown[0] == names[0] and shown[1].endswith("2507")


def test_token_counts_are_whole_and_ratios_keep_decimals() -> None:
    palette = Palette()
    assert format_cell(1440.58065, "tokens", palette, 8).plain.strip("\u00a0") == "1,441"
    assert format_cell(0.5806, "tokens", palette, 8).plain.strip("\u00a0") == "1"
    assert format_cell(0.5806, "ratio", palette, 8).plain.strip("\u00a0") == "0.58×"


# -- the app --------------------------------------------------------------------------------


async def open_charts(pilot):  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_painted(app, pilot, "leaderboard")
    await pilot.press("4")
    await wait_painted(app, pilot, "charts")
    return app.main.view("charts")


def plain_canvas(view) -> list[str]:  # type: ignore[no-untyped-def]
    from tokenscope.tui.widgets.chart import ChartPlot

    rendered = view.query_one(ChartPlot).render()
    return rendered.plain.splitlines() if isinstance(rendered, Text) else []


def note_text(view) -> str:  # type: ignore[no-untyped-def]
    return str(view.query_one("#chart-note").render())


def axis_labels(lines: list[str]) -> tuple[list[str], list[str]]:
    """The y tick labels (left of ┤) and the x tick labels (the line under └)."""
    ys = [line.split("┤")[0].strip() for line in lines if "┤" in line]
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    return ys, lines[bottom + 1].split()


WHOLE = re.compile(r"^\d{1,3}(,\d{3})*$")
SIZES = [(60, 20), (80, 24), (120, 40)]


def check_percent_axis_and_whole_ticks(view) -> None:  # type: ignore[no-untyped-def]
    ys, xs = axis_labels(plain_canvas(view))
    assert ys and xs
    assert all(WHOLE.match(y) and 0 <= int(y) <= 100 for y in ys), ys
    assert all(WHOLE.match(x) for x in xs), xs


def check_series_glyphs(view, on_canvas: bool) -> None:  # type: ignore[no-untyped-def]
    """Under NO_COLOR or 16 colours the theme colours merge: glyphs tell series apart."""
    from tokenscope.tui.widgets.chart import ChartPlot

    keys = view.query_one(ChartPlot).keys
    assert len(keys) >= 2
    glyphs = [k.glyph for k in keys]
    assert len(set(glyphs)) == len(glyphs)
    canvas = "\n".join(plain_canvas(view))
    for key in keys:
        assert not on_canvas or key.glyph in canvas, key


def check_note_whole(view, width: int) -> None:  # type: ignore[no-untyped-def]
    """Every legend entry (and the Pareto front) in full, within the width."""
    from tokenscope.tui.explorer import pareto_front
    from tokenscope.tui.widgets.chart import ChartPlot

    note = note_text(view)
    lines = note.splitlines()
    assert all(len(line) <= width - 2 for line in lines)
    assert view.query_one("#chart-note").size.height == len(lines)
    assert not note.endswith("…")
    for key in view.query_one(ChartPlot).keys:
        assert f"{key.sample or key.glyph} {key.name}" in note
    if view.chart == "pareto":
        board = view.data["board"].drop_nulls(["mean_completion_tokens", "success_rate"])
        front = pareto_front(board, "mean_completion_tokens", "success_rate")
        assert front.height >= 2
        assert all(name in note.replace("\n", " ") for name in front["label"])


@pytest.mark.slow  # seconds of waiting for each chart to settle, three times over
async def test_every_chart_reads_at_60_80_and_120_columns() -> None:
    # One app, resized as a user resizes the terminal: each size is drawn afresh.
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=SIZES[0]) as pilot:
        view = await open_charts(pilot)
        for size in SIZES:
            await pilot.resize_terminal(*size)
            await until(pilot, lambda size=size: view.size.width == size[0], f"{size} applied")
            for key, _ in CHARTS:
                await show_chart(pilot, view, key)
                check_note_whole(view, size[0])
                if key != "cost":  # one series, its band and midpoint named in the title
                    check_series_glyphs(view, on_canvas=size[0] >= 120)
                if key in ("pareto", "overthinking"):
                    check_percent_axis_and_whole_ticks(view)


async def test_open_and_closed_bars_differ_without_colour() -> None:
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=(80, 24)) as pilot:
        view = await open_charts(pilot)
        rows = {line.split()[0]: line for line in plain_canvas(view)[1:] if line.strip()}
        open_fill = set(rows["gpt-oss-20b"][23:].split()[0])
        closed_fill = set(rows["o3-mini-high"][23:].split()[0])
        assert not open_fill & closed_fill, (open_fill, closed_fill)


async def test_chart_tabs_fit_and_cut_with_an_ellipsis_at_60_and_50_columns() -> None:
    from textual.widgets import Tab

    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=(60, 24)) as pilot:
        view = await open_charts(pilot)
        await show_chart(pilot, view, "overthinking", by_keys=False)
        for width in (60, 50):
            await pilot.resize_terminal(width, 24)
            await until(pilot, lambda w=width: view.size.width == w, f"{width} columns")
            await pilot.pause()  # the tabs are fitted on the resize
            labels = [t.label_text for t in view.query(Tab)]
            assert sum(len(label) + 2 for label in labels) <= width
            assert "Overthinking" in labels  # the active tab stays whole
            for label, (_, full) in zip(labels, CHARTS, strict=True):
                assert label == full or (label.endswith("…") and full.startswith(label[:-1]))


async def test_cost_chart_survives_a_theme_switch() -> None:
    """plotext applies a log axis to the data in place: a second build used to fail."""
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=(80, 24)) as pilot:
        view = await open_charts(pilot)
        await show_chart(pilot, view, "cost")
        before = plain_canvas(view)
        a.theme = "tokenscope-light"
        await pilot.pause()  # everything the switch set off, handled
        assert plain_canvas(view) == before
        assert any("gpt-oss-20b" in line for line in before)


@pytest.mark.slow  # every chart, each settled in turn
@pytest.mark.parametrize("search", ["gpt-oss-20b", "deepseek-r1-0528-ds"])
async def test_one_model_or_one_without_price_or_tokens(search: str) -> None:
    """One model put the Pareto axis at 50–150 %; none with a price crashed the Cost chart."""
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=(80, 24)) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        await pilot.press("slash", *search, "enter")
        await wait_painted(a, pilot, "leaderboard")
        assert a.screen.query_one("#leaderboard-table").frame.height == 1
        view = await open_charts(pilot)
        for key, _ in CHARTS:
            await show_chart(pilot, view, key)
            canvas = plain_canvas(view)  # renders, or the test fails here
            assert canvas, key
            if key in ("pareto", "overthinking") and "┤" in "".join(canvas):
                check_percent_axis_and_whole_ticks(view)
            if key == "cost" and search == "deepseek-r1-0528-ds":
                assert "no priced models" in note_text(view)


async def test_prompt_matrix_headers_are_unique_and_spelt_out() -> None:
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=(80, 24)) as pilot:
        await wait_painted(a, pilot, "leaderboard")
        await pilot.press("2")
        await wait_painted(a, pilot, "prompts")
        table = a.screen.query_one("#prompts-table")
        headers = [c.label.plain for c in table.ordered_columns[2:-1]]
        assert len(set(headers)) == len(headers)
        legend = str(a.screen.query_one("#prompts-legend").render())
        assert "gpt…20b = gpt-oss-20b" in legend and "gpt…120b = gpt-oss-120b" in legend
        # Scrolled to the far right, the legend names the columns now on screen.
        table.scroll_x = table.max_scroll_x
        await until(
            pilot,
            lambda: legend != str(a.screen.query_one("#prompts-legend").render()),
            "the legend to follow the scroll",
        )
        legend = str(a.screen.query_one("#prompts-legend").render())
        assert "gpt-oss-20b" not in legend
        assert "magistral-medium-2506-thinking" in legend

"""The plot widget: draws one of the charts with plotext in the theme's colours.

Every series has a glyph of its own as well as a colour: under NO_COLOR the colours turn
to near-identical greys, and on a 16-colour terminal several theme colours become one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
from rich.text import Text
from textual.color import Color
from textual.message import Message
from textual_plotext import PlotextPlot

from tokenscope.text import one_line
from tokenscope.tui.explorer import model_label, pareto_front
from tokenscope.tui.widgets.axes import percent_range, whole_range, whole_ticks
from tokenscope.tui.widgets.bars import SHADED, SOLID, Bar, Segment, render_bars
from tokenscope.tui.widgets.columns import unique_labels
from tokenscope.tui.widgets.legend import Key, flow, key_text

LABEL_WIDTH = 18
NOTE_LINES = 3  # matches #chart-note's max-height

# Primary and accent stay apart on 16-colour terminals in every bundled theme.
OPEN = Key(SOLID, "open", "accent")
CLOSED = Key(SHADED, "closed", "primary")
REASONING = Key(SOLID, "reasoning", "primary")
ANSWER = Key(SHADED, "answer", "success")
OPEN_POINT = Key("●", "open", "accent")
CLOSED_POINT = Key("x", "closed", "primary")
FRONT = Key("·", "Pareto front:", "warning", "···")
CURVE_MARKERS = ("●", "x", "+", "◆", "o", "■")
CURVE_COLOURS = ("primary", "accent", "secondary", "success", "warning", "error")
# The bundled lineages alone are seven: one glyph each, and room for the user's.
TREND_MARKERS = (*CURVE_MARKERS, "▲", "*", "#", "%", "&", "$")
# Short enough that seven lineage names fit the note's three lines at 60 columns.
TREND_LABEL_WIDTH = 13


class ChartPlot(PlotextPlot):
    """Knows the six charts; background and text follow the app theme (plotext 'auto')."""

    def _hex(self, name: str) -> str:
        return Color.parse(getattr(self.app.current_theme, name, None) or "#888888").hex

    def _rgb(self, name: str) -> tuple[int, int, int]:
        value = getattr(self.app.current_theme, name, None) or "#888888"
        return Color.parse(value).rgb

    def _rows(self) -> int:
        # One bar per terminal row under the title; anything beyond is summarised in the note.
        return max((self.size.height or 20) - 1, 5)

    def _plot_rows(self) -> int:
        # A plotext canvas also spends rows on its title, frame and x axis: one model per
        # remaining row, or labels collide and points share a row.
        return max((self.size.height or 20) - 5, 3)

    def _width(self) -> int:
        return self.size.width or 80

    last: tuple[str, dict[str, Any]] | None = None

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        # The series of the chart on screen, in legend order.
        self.keys: list[Key] = []

    def on_resize(self) -> None:
        # Bar counts depend on the height: redraw the last chart at the new size.
        if self.last is not None:
            self.post_message(self.Redrawn(self.draw(*self.last)))

    class Redrawn(Message):
        def __init__(self, note: Text) -> None:
            super().__init__()
            self.note = note

    text_chart: Text | None = None

    def render(self) -> Any:
        if self.text_chart is not None:
            return self.text_chart
        if self.last is not None:
            # Building a plotext figure changes it (a log axis is applied to the data in
            # place, so a second build fails): every render plots afresh.
            self._plot_chart(*self.last)
        return super().render()

    def draw(self, chart: str, data: dict[str, Any]) -> Text:
        """Draw ``chart`` and return its note: what is shown, then the legend."""
        self.last = (chart, data)
        note = self._plot_chart(chart, data)
        self.refresh()
        words = [Text(w) for w in f"domain: {data['domain']} ·".split()]
        words += [Text(w) for w in note[0].split()]
        words += [Text(" ") + key_text(k, self._hex(k.colour)) for k in self.keys]
        words += [Text(w) for w in note[1:]]
        # The note sits under the plot, inside one cell of padding on each side.
        return flow(words, self._width() - 2, NOTE_LINES)

    def _plot_chart(self, chart: str, data: dict[str, Any]) -> list[str]:
        """Put ``chart`` on the plotext figure or into ``text_chart``; the note's words."""
        self.text_chart = None
        self.keys = []
        plt = self.plt
        plt.clear_figure()
        board: pl.DataFrame = data["board"]
        if not board.height:
            return ["no models match the filters"]
        return getattr(self, f"_draw_{chart}")(plt, board, data)

    def _title(self, plt: Any, title: str, ticks: list[str]) -> None:
        # plotext drops a title wider than the canvas (the width beside the y tick
        # labels); a cut one still says what is shown.
        plt.title(one_line(title, self._width() - max(map(len, ticks), default=0)))

    def _both_ends(
        self, frame: pl.DataFrame, bars_of: Callable[[pl.DataFrame], list[Bar]]
    ) -> tuple[list[Bar], str]:
        """Bars for a sorted frame. When not every model fits, both ends (the most frugal
        and the most verbose, which matter most) with a row saying how many are left out;
        and the note's "N of M models"."""
        rows, total = self._rows(), frame.height
        if total <= rows:
            return bars_of(frame), f"{total} models"
        bottom = (rows - 1) // 2
        top = rows - 1 - bottom
        hidden = total - top - bottom
        bars = [
            *bars_of(frame.head(top)),
            Bar(f"… {hidden} more", [], ""),
            *bars_of(frame.tail(bottom)),
        ]
        return bars, f"{total - hidden} of {total} models"

    def _segment(self, key: Key, value: float) -> Segment:
        return Segment(value, self._hex(key.colour), key.glyph)

    def _bars(self, frame: pl.DataFrame, value: str, fmt: str) -> tuple[list[Bar], str]:
        def bars_of(part: pl.DataFrame) -> list[Bar]:
            return [
                Bar(label, [self._segment(OPEN if w else CLOSED, v)], fmt.format(v))
                for label, v, w in zip(
                    part["label"], part[value], part["open_weights"].fill_null(False), strict=False
                )
            ]

        self.keys = [OPEN, CLOSED]
        return self._both_ends(frame.drop_nulls(value).sort(value), bars_of)

    def _text_chart(self, title: str, bars: list[Bar], marks: list[tuple[float, str]]) -> None:
        self.text_chart = render_bars(title, bars, self._width(), marks)

    def _draw_relative(self, plt: Any, board: pl.DataFrame, data: dict) -> list[str]:
        bars, shown = self._bars(board, "relative_completion_tokens", "{:.2f}×")
        self._text_chart(
            "Relative completion tokens (│ = 1.0, the reference)",
            bars,
            [(1.0, self._hex("warning"))],
        )
        return [shown]

    def _draw_composition(self, plt: Any, board: pl.DataFrame, data: dict) -> list[str]:
        def bars_of(part: pl.DataFrame) -> list[Bar]:
            out = []
            for label, completion, reasoning in zip(
                part["label"],
                part["mean_completion_tokens"],
                part["mean_reasoning_tokens"],
                strict=False,
            ):
                reasoning = reasoning or 0.0
                answer = max(completion - reasoning, 0.0)
                segments = [self._segment(REASONING, reasoning), self._segment(ANSWER, answer)]
                out.append(Bar(label, segments, f"{completion:,.0f}"))
            return out

        frame = board.drop_nulls("mean_completion_tokens").sort("mean_completion_tokens")
        bars, shown = self._both_ends(frame, bars_of)
        self.keys = [REASONING, ANSWER]
        self._text_chart("Mean completion tokens per query: reasoning + answer", bars, [])
        return [shown]

    def _draw_cost(self, plt: Any, board: pl.DataFrame, data: dict) -> list[str]:
        title = "Cost per query, USD (log): min–max provider band, ● midpoint"
        frame = board.drop_nulls("cost_per_query_usd_max").sort(
            "cost_per_query_usd", descending=True
        )
        total = frame.height
        missing = board.height - total
        extra = f" · {missing} without a price" if missing else ""
        if not total:
            self._text_chart(title, [], [])  # a log axis over no data fails in plotext
            return [f"no priced models{extra}"]
        frame = frame.tail(self._plot_rows())
        band, mid = self._rgb("primary"), self._rgb("accent")
        for y, (lo, hi) in enumerate(
            zip(frame["cost_per_query_usd_min"], frame["cost_per_query_usd_max"], strict=False), 1
        ):
            plt.plot([lo, hi], [y, y], color=band, marker="━")
        plt.scatter(
            frame["cost_per_query_usd"].to_list(),
            list(range(1, frame.height + 1)),
            color=mid,
            marker="●",
        )
        labels = unique_labels(frame["label"].to_list(), LABEL_WIDTH)
        ticks = [labels[x] for x in frame["label"]]
        plt.yticks(list(range(1, frame.height + 1)), ticks)
        plt.xscale("log")
        self._title(plt, title, ticks)
        return [f"{frame.height} of {total} priced models{extra}"]

    def _draw_chars(self, plt: Any, board: pl.DataFrame, data: dict) -> list[str]:
        bars, shown = self._bars(board, "chars_per_token", "{:.2f}")
        self._text_chart(
            "Characters per completion token (~3 raw CoT · ~1 condensed · <0.5 summary only)",
            bars,
            [(3.1, self._hex("success")), (1.0, self._hex("warning"))],
        )
        return [f"{shown} · │ at 3.1 and 1.0"]

    def _percent_axis(self, plt: Any, values: list[float]) -> list[str]:
        """A 0–100 % axis (or the data's part of it) ticked at whole percents; its labels."""
        lo, hi = percent_range(values)
        plt.ylim(lo, hi)
        ticks = whole_ticks(lo, hi, max(self._plot_rows() // 2, 2))
        labels = [str(t) for t in ticks]
        plt.yticks(ticks, labels)
        return labels

    def _count_axis(self, plt: Any, values: list[float]) -> None:
        lo, hi = whole_range(values)
        plt.xlim(lo, hi)
        # A label like "10,000" needs about a dozen cells with its gap.
        ticks = whole_ticks(lo, hi, max(self._width() // 12, 2))
        plt.xticks(ticks, [f"{t:,}" for t in ticks])

    def _pareto_series(self, draw: Callable[..., Any], part: pl.DataFrame, key: Key) -> None:
        draw(
            part["mean_completion_tokens"].to_list(),
            (part["success_rate"] * 100).to_list(),
            color=self._rgb(key.colour),
            marker=key.glyph,
        )

    def _draw_pareto(self, plt: Any, board: pl.DataFrame, data: dict) -> list[str]:
        title = "Accuracy against tokens; the front is what no model beats on both"
        frame = board.drop_nulls(["mean_completion_tokens", "success_rate"])
        if not frame.height:
            self._text_chart(title, [], [])
            return ["no model has both tokens and a success rate"]
        front = pareto_front(frame, "mean_completion_tokens", "success_rate")
        # The front first, so the points on it keep their own glyphs.
        if front.height:
            self._pareto_series(plt.plot, front, FRONT)
        for key, flag in ((OPEN_POINT, True), (CLOSED_POINT, False)):
            part = frame.filter(pl.col("open_weights").fill_null(False) == flag)
            if part.height:
                self._pareto_series(plt.scatter, part, key)
        self._count_axis(plt, frame["mean_completion_tokens"].to_list())
        ticks = self._percent_axis(plt, (frame["success_rate"] * 100).to_list())
        plt.xlabel("mean completion tokens")
        plt.ylabel("success %")
        self._title(plt, title, ticks)
        self.keys = [OPEN_POINT, CLOSED_POINT, FRONT]
        names = front["label"].to_list()
        return [f"{frame.height} models", *[f"{n}," for n in names[:-1]], *names[-1:]]

    def _draw_overthinking(self, plt: Any, board: pl.DataFrame, data: dict) -> list[str]:
        title = "Overthinking-adjusted accuracy (correct and within t tokens)"
        curves: pl.DataFrame = data["curves"]
        if not curves.height:
            self._text_chart(title, [], [])
            return ["no model has an overthinking curve"]
        groups = list(curves.group_by(["model", "source"], maintain_order=True))
        names = unique_labels([model_label(m, s) for (m, s), _ in groups], LABEL_WIDTH)
        for i, ((model, source), part) in enumerate(groups):
            key = Key(
                CURVE_MARKERS[i % len(CURVE_MARKERS)],
                names[model_label(model, source)],
                CURVE_COLOURS[i % len(CURVE_COLOURS)],
            )
            plt.plot(
                part["budget"].to_list(),
                (part["accuracy"] * 100).to_list(),
                color=self._rgb(key.colour),
                marker=key.glyph,
            )
            self.keys.append(key)
        self._count_axis(plt, curves["budget"].to_list())
        ticks = self._percent_axis(plt, [0.0, 100.0])
        plt.xlabel("thinking-token budget t")
        plt.ylabel("accuracy % within t")
        self._title(plt, title, ticks)
        return [f"top {len(groups)} by OAA:"]

    def _draw_trends(self, plt: Any, board: pl.DataFrame, data: dict) -> list[str]:
        title = "Relative completion tokens, version by version (1 = the reference)"
        steps: pl.DataFrame = data["trends"]
        measured = steps.filter(
            pl.col("measured") & pl.col("relative_completion_tokens").is_not_null()
        )
        if not measured.height:
            self._text_chart(title, [], [])
            return ["no lineage has a measured version in this edition"]
        groups = list(measured.group_by("lineage", maintain_order=True))
        names = unique_labels([lineage for (lineage,), _ in groups], TREND_LABEL_WIDTH)
        for i, ((lineage,), part) in enumerate(groups):
            key = Key(
                TREND_MARKERS[i % len(TREND_MARKERS)],
                names[lineage],
                CURVE_COLOURS[i % len(CURVE_COLOURS)],
            )
            plt.plot(
                part["step"].to_list(),
                part["relative_completion_tokens"].to_list(),
                color=self._rgb(key.colour),
                marker=key.glyph,
            )
            self.keys.append(key)
        last = int(steps["step"].cast(int).max() or 1)  # type: ignore[arg-type]  # polars types max() as any scalar
        plt.xlim(0.5, last + 0.5)
        plt.xticks(list(range(1, last + 1)), [str(s) for s in range(1, last + 1)])
        lo, hi = whole_range([0.0, *measured["relative_completion_tokens"].to_list()])
        plt.ylim(lo, hi)
        ticks = whole_ticks(lo, hi, max(self._plot_rows() // 2, 2))
        labels = [str(t) for t in ticks]
        plt.yticks(ticks, labels)
        plt.xlabel("version, oldest first")
        plt.ylabel("rel. tokens")
        self._title(plt, title, labels)
        missing = steps.filter(~pl.col("measured"))["model"].unique(maintain_order=True)
        missing = missing.map_elements(lambda m: one_line(m, 40), return_dtype=pl.String)
        gone = [f"{m}," for m in missing.to_list()[:-1]] + missing.to_list()[-1:]
        return [
            f"{len(groups)} lineages",
            *(["· not in this edition:", *gone] if len(missing) else []),
        ]

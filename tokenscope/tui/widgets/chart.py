"""The plot widget: draws one of the charts with plotext in the theme's colours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
from rich.text import Text
from textual.color import Color
from textual.message import Message
from textual_plotext import PlotextPlot

from tokenscope.tui.explorer import pareto_front
from tokenscope.tui.widgets.bars import Bar, render_bars

LABEL_WIDTH = 18


def _short(name: str) -> str:
    return name if len(name) <= LABEL_WIDTH else name[: LABEL_WIDTH - 1] + "…"


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

    last: tuple[str, dict[str, Any]] | None = None

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
        return super().render()

    def draw(self, chart: str, data: dict[str, Any]) -> Text:
        self.last = (chart, data)
        self.text_chart = None
        plt = self.plt
        plt.clear_figure()
        board: pl.DataFrame = data["board"]
        domain = data["domain"]
        drawer = getattr(self, f"_draw_{chart}")
        note = drawer(plt, board, data) if board.height else "no models match the filters"
        self.refresh()
        text = Text(f"domain: {domain} · {note}")
        if chart == "overthinking":
            for name, colour in getattr(self, "_legend", []):
                text.append("  ")
                text.append(f"━ {name}", style=self._hex(colour))
        elif chart == "composition":
            text.append("  ")
            text.append("■ reasoning", style=self._hex("secondary"))
            text.append(" ")
            text.append("■ answer", style=self._hex("success"))
        elif chart in ("relative", "chars", "pareto"):
            text.append("  ")
            text.append("■ open", style=self._hex("accent"))
            text.append(" ")
            text.append("■ closed", style=self._hex("primary"))
        return text

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

    def _bars(self, frame: pl.DataFrame, value: str, fmt: str) -> tuple[list[Bar], str]:
        open_style, closed_style = self._hex("accent"), self._hex("primary")

        def bars_of(part: pl.DataFrame) -> list[Bar]:
            return [
                Bar(label, [(v, open_style if w else closed_style)], fmt.format(v))
                for label, v, w in zip(
                    part["label"], part[value], part["open_weights"].fill_null(False), strict=False
                )
            ]

        return self._both_ends(frame.drop_nulls(value).sort(value), bars_of)

    def _text_chart(self, title: str, bars: list[Bar], marks: list[tuple[float, str]]) -> None:
        self.text_chart = render_bars(title, bars, self.size.width or 80, marks)

    def _draw_relative(self, plt: Any, board: pl.DataFrame, data: dict) -> str:
        bars, shown = self._bars(board, "relative_completion_tokens", "{:.2f}×")
        self._text_chart(
            "Relative completion tokens (│ = 1.0, the reference)",
            bars,
            [(1.0, self._hex("warning"))],
        )
        return f"{shown}"

    def _draw_composition(self, plt: Any, board: pl.DataFrame, data: dict) -> str:
        reasoning_style, answer_style = self._hex("secondary"), self._hex("success")

        def bars_of(part: pl.DataFrame) -> list[Bar]:
            out = []
            for label, completion, reasoning in zip(
                part["label"],
                part["mean_completion_tokens"],
                part["mean_reasoning_tokens"],
                strict=False,
            ):
                reasoning = reasoning or 0.0
                out.append(
                    Bar(
                        label,
                        [
                            (reasoning, reasoning_style),
                            (max(completion - reasoning, 0.0), answer_style),
                        ],
                        f"{completion:,.0f}",
                    )
                )
            return out

        frame = board.drop_nulls("mean_completion_tokens").sort("mean_completion_tokens")
        bars, shown = self._both_ends(frame, bars_of)
        self._text_chart("Mean completion tokens per query: reasoning + answer", bars, [])
        return shown

    def _draw_cost(self, plt: Any, board: pl.DataFrame, data: dict) -> str:
        frame = board.drop_nulls("cost_per_query_usd_max").sort(
            "cost_per_query_usd", descending=True
        )
        total = frame.height
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
        plt.yticks(list(range(1, frame.height + 1)), [_short(x) for x in frame["label"]])
        plt.xscale("log")
        plt.title("Cost per query, USD (log): min–max provider band, ● midpoint")
        missing = board.height - total
        extra = f" · {missing} without a price" if missing else ""
        return f"{frame.height} of {total} priced models{extra}"

    def _draw_chars(self, plt: Any, board: pl.DataFrame, data: dict) -> str:
        bars, shown = self._bars(board, "chars_per_token", "{:.2f}")
        self._text_chart(
            "Characters per completion token (~3 raw CoT · ~1 condensed · <0.5 summary only)",
            bars,
            [(3.1, self._hex("success")), (1.0, self._hex("warning"))],
        )
        return f"{shown} · │ at 3.1 and 1.0"

    def _draw_pareto(self, plt: Any, board: pl.DataFrame, data: dict) -> str:
        frame = board.drop_nulls(["mean_completion_tokens", "success_rate"])
        for flag, colour, _name in ((True, "accent", "open"), (False, "primary", "closed")):
            part = frame.filter(pl.col("open_weights").fill_null(False) == flag)
            if part.height:
                plt.scatter(
                    part["mean_completion_tokens"].to_list(),
                    (part["success_rate"] * 100).to_list(),
                    color=self._rgb(colour),
                    marker="●",
                )
        front = pareto_front(frame, "mean_completion_tokens", "success_rate")
        if front.height:
            xs, ys = (
                front["mean_completion_tokens"].to_list(),
                (front["success_rate"] * 100).to_list(),
            )
            plt.plot(xs, ys, color=self._rgb("warning"), marker="◆")
        plt.xlabel("mean completion tokens")
        plt.ylabel("success %")
        plt.title("Accuracy against tokens; the front is what no model beats on both")
        names = ", ".join(_short(n) for n in front["label"])
        return f"{frame.height} models · ◆ Pareto front: {names}"

    def _draw_overthinking(self, plt: Any, board: pl.DataFrame, data: dict) -> str:
        curves: pl.DataFrame = data["curves"]
        self._legend: list[tuple[str, str]] = []
        colours = ["primary", "accent", "secondary", "success", "warning", "error"]
        for i, ((model, source), part) in enumerate(
            curves.group_by(["model", "source"], maintain_order=True)
        ):
            label = model if source == "bundled" else f"{model} ({source})"
            colour = colours[i % len(colours)]
            plt.plot(
                part["budget"].to_list(),
                (part["accuracy"] * 100).to_list(),
                color=self._rgb(colour),
                marker="braille",
            )
            self._legend.append((_short(label), colour))
        plt.xlabel("thinking-token budget t")
        plt.ylabel("accuracy % within t")
        plt.title("Overthinking-adjusted accuracy (correct and within t tokens)")
        models = curves["model"].n_unique() if curves.height else 0
        return f"top {models} by OAA:"

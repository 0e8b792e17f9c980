"""Charts: the study's figures in the terminal, following the table filters and the theme."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static, Tab, Tabs

from tokenscope.tui.filters import Filters
from tokenscope.tui.views.base import View
from tokenscope.tui.widgets.view_bar import fit_labels

if TYPE_CHECKING:
    import polars as pl

    from tokenscope.config import Settings
    from tokenscope.data.loader import Dataset
    from tokenscope.lineages import Lineage


CHARTS = (
    ("relative", "Relative"),
    ("composition", "Composition"),
    ("cost", "Cost"),
    ("chars", "Chars/tok"),
    ("pareto", "Pareto"),
    ("overthinking", "Overthinking"),
    ("trends", "Trends"),
)
CURVE_MODELS = 6


class ChartsView(View):
    """Seven charts behind one plot widget; the plot library loads on first view."""

    title = "Charts"
    BINDINGS: ClassVar[list[BindingType]] = [
        # "Next" alone: the footer has 60 columns for every key at the narrowest.
        Binding("n", "next_chart", "Next", id="charts.next", tooltip="Show the next chart"),
        Binding(
            "p",
            "previous_chart",
            "Prev chart",
            id="charts.previous",
            show=False,
            tooltip="Show the previous chart",
        ),
    ]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.data: dict[str, Any] | None = None
        self.chart = CHARTS[0][0]
        self.user_lineages: tuple[Lineage, ...] = ()

    def set_settings(self, settings: Settings) -> None:
        if settings.lineages != self.user_lineages:
            self.user_lineages = settings.lineages
            self.stale = True
            if self.active and self.ds is not None:
                self.recompute()

    def compose(self) -> ComposeResult:
        yield Tabs(*[Tab(label, id=f"chart-{key}") for key, label in CHARTS], id="chart-tabs")
        yield Static("", id="chart-note", classes="status-line")

    @property
    def plot(self) -> Any | None:
        from tokenscope.tui.widgets.chart import ChartPlot

        found = self.query(ChartPlot)
        return found.first() if found else None

    def compute(self, ds: Dataset, filters: Filters) -> dict[str, Any]:
        from tokenscope.tui.explorer import label_expr, leaderboard_frame, overthinking_frame

        board = leaderboard_frame(ds, filters)
        best = board.drop_nulls("overthinking_auc").sort("overthinking_auc", descending=True)
        curve_models = list(zip(best["model"].to_list(), best["source"].to_list(), strict=False))[
            :CURVE_MODELS
        ]
        curves = overthinking_frame(ds, filters, curve_models)
        board = board.with_columns(label_expr())
        return {
            "board": board,
            "curves": curves,
            "trends": self._trends(ds, filters),
            "domain": filters.domain,
        }

    def _trends(self, ds: Dataset, filters: Filters) -> pl.DataFrame:
        """Each lineage's steps in the filters' domain (over every run: a step's figure
        is its model's, whichever filter hides it from the other charts)."""
        from tokenscope.data import trends

        lineages = trends.merge_lineages(trends.bundled_lineages(), self.user_lineages)
        return trends.trends_table(ds, lineages, filters.domain)

    def apply(self, result: dict[str, Any]) -> None:
        self.data = result
        if self.plot is None:
            from tokenscope.tui.widgets.chart import ChartPlot

            self.mount(ChartPlot(id="chart-plot"), before="#chart-note")
        self.redraw()

    def redraw(self) -> None:
        plot = self.plot
        if plot is None or self.data is None:
            return
        note = plot.draw(self.chart, self.data)
        self.query_one("#chart-note", Static).update(note)

    def on_chart_plot_redrawn(self, message: Any) -> None:
        self.query_one("#chart-note", Static).update(message.note)

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab is not None and event.tab.id:
            self.chart = event.tab.id.removeprefix("chart-")
            self._fit_tabs()
            self.redraw()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_tabs()

    def _fit_tabs(self) -> None:
        """Tab names cut with "…" where all six do not fit; Tabs would crop the last one
        and scroll the first away. Each tab pads its name with a cell on either side."""
        if not self.size.width:
            return  # not laid out yet
        keys = [key for key, _ in CHARTS]
        names = fit_labels([name for _, name in CHARTS], self.size.width, 2, keys.index(self.chart))
        for key, name in zip(keys, names, strict=True):
            tab = self.query_one(f"#chart-{key}", Tab)
            if tab.label_text != name:
                tab.label = name

    def _step(self, delta: int) -> None:
        keys = [k for k, _ in CHARTS]
        nxt = keys[(keys.index(self.chart) + delta) % len(keys)]
        self.query_one(Tabs).active = f"chart-{nxt}"

    def action_next_chart(self) -> None:
        self._step(1)

    def action_previous_chart(self) -> None:
        self._step(-1)

    def focus_main(self) -> None:
        self.query_one(Tabs).focus()

    def export_frame(self) -> pl.DataFrame | None:
        if self.data is None:
            return None
        if self.chart == "overthinking":
            return self.data["curves"]
        if self.chart == "trends":
            return self.data["trends"]
        return self.data["board"].drop("label")

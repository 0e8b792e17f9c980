"""The explorer screen: the filter bar, one tab per view, the footer.

New views (the live Ask pane) are added as another entry in ``VIEWS``.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, TabbedContent, TabPane

from tokenscope.tui.widgets.ask_view import AskView
from tokenscope.tui.widgets.charts_view import ChartsView
from tokenscope.tui.widgets.leaderboard_view import LeaderboardView
from tokenscope.tui.widgets.prompts_view import PromptsView
from tokenscope.tui.widgets.runs_view import RunsView
from tokenscope.tui.widgets.topbar import TopBar
from tokenscope.tui.widgets.view import View

# (tab id, label, view class); the tab id doubles as the view's name in commands.
VIEWS: list[tuple[str, str, type[View]]] = [
    ("leaderboard", "Leaderboard", LeaderboardView),
    ("prompts", "Prompts", PromptsView),
    ("runs", "Runs", RunsView),
    ("charts", "Charts", ChartsView),
    ("ask", "Ask", AskView),
]


class MainScreen(Screen[None]):
    """Tabs over the same data and filters."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "app.show_view('leaderboard')", "Leaderboard", id="view.leaderboard", show=False),
        Binding("2", "app.show_view('prompts')", "Prompts", id="view.prompts", show=False),
        Binding("3", "app.show_view('runs')", "Runs", id="view.runs", show=False),
        Binding("4", "app.show_view('charts')", "Charts", id="view.charts", show=False),
        Binding("5", "app.show_view('ask')", "Ask", id="view.ask", show=False),
        Binding("d", "app.cycle_domain", "Domain", id="filter.domain", tooltip="Cycle the domain: all, knowledge, math, logic"),
        Binding("w", "app.cycle_weights", "Weights", id="filter.weights", tooltip="Cycle open / closed weights"),
        Binding("b", "app.cycle_source", "Source", id="filter.source", show=False, tooltip="Cycle the source: all, bundled, user"),
        Binding("l", "app.pick_lab", "Lab", id="filter.lab", show=False, tooltip="Pick a lab"),
        Binding("slash", "app.search", "Find", id="filter.search", tooltip="Type to filter models"),
        Binding("x", "app.clear_filters", "Clear", id="filter.clear", tooltip="Clear every filter and drill-down"),
        Binding("e", "app.export('csv')", "Export", id="export", show=False, tooltip="Export the current view as CSV (others: ctrl+p)"),
    ]

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        with TabbedContent(id="views"):
            for key, label, cls in VIEWS:
                with TabPane(f"{VIEWS.index((key, label, cls)) + 1} {label}", id=key):
                    yield cls(id=f"view-{key}")
        yield Input(placeholder="filter models (enter keeps, escape clears)", id="search")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(TopBar).show(self.app.filters, self.app.summary)  # type: ignore[attr-defined]

    def view(self, key: str) -> View:
        return self.query_one(f"#view-{key}", View)

    def views(self) -> list[View]:
        return [self.view(key) for key, _, _ in VIEWS]

    @property
    def active_key(self) -> str:
        return self.query_one(TabbedContent).active or VIEWS[0][0]

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        active = event.pane.id if event.pane is not None else None
        for view in self.views():
            if view.id == f"view-{active}":
                view.activate()
                view.focus_main()
            else:
                view.deactivate()

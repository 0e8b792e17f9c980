"""The explorer screen: the filter bar, one tab per view, the footer.

Only the first tab's view is built at startup; each other view is imported,
created and mounted the first time its tab is shown, so launching costs one
view, not five. New views are added as another entry in ``VIEWS``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, TabbedContent, TabPane

from tokenscope.tui.widgets.topbar import TopBar

if TYPE_CHECKING:
    from tokenscope.tui.widgets.view import View

# (tab id, label, "module:class"); the tab id doubles as the view's name in commands.
VIEWS: list[tuple[str, str, str]] = [
    ("leaderboard", "Leaderboard", "tokenscope.tui.widgets.leaderboard_view:LeaderboardView"),
    ("prompts", "Prompts", "tokenscope.tui.widgets.prompts_view:PromptsView"),
    ("runs", "Runs", "tokenscope.tui.widgets.runs_view:RunsView"),
    ("charts", "Charts", "tokenscope.tui.widgets.charts_view:ChartsView"),
    ("ask", "Ask", "tokenscope.tui.widgets.ask_view:AskView"),
]


def view_class(key: str) -> type[View]:
    """The view class behind a tab, imported on first use."""
    target = next(target for k, _, target in VIEWS if k == key)
    module, name = target.split(":")
    return getattr(import_module(module), name)


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

    def __init__(self) -> None:
        super().__init__()
        self._views: dict[str, View] = {}

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        first = VIEWS[0][0]
        with TabbedContent(id="views", initial=first):
            for number, (key, label, _) in enumerate(VIEWS, 1):
                with TabPane(f"{number} {label}", id=key):
                    if key == first:
                        yield self._create(key)
        yield Input(placeholder="filter models (enter keeps, escape clears)", id="search")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(TopBar).show(self.app.filters, self.app.summary)  # type: ignore[attr-defined]

    def _create(self, key: str) -> View:
        view = view_class(key)(id=f"view-{key}")
        self._views[key] = view
        return view

    def view(self, key: str) -> View:
        """The view of a tab, built and mounted (with the current data) on first use."""
        view = self._views.get(key)
        if view is None:
            view = self._create(key)
            self.query_one(f"#{key}", TabPane).mount(view)
            app = self.app
            if app.ds is not None:  # type: ignore[attr-defined]
                view.set_data(app.ds, app.filters)  # type: ignore[attr-defined]
        return view

    def views(self) -> list[View]:
        """The views built so far (the others get the data when they are built)."""
        return list(self._views.values())

    @property
    def active_key(self) -> str:
        return self.query_one(TabbedContent).active or VIEWS[0][0]

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        active = event.pane.id if event.pane is not None else None
        if active is None:
            return
        shown = self.view(active)
        for view in self.views():
            if view is not shown:
                view.deactivate()
        shown.show()

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
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Input

from tokenscope.tui.widgets.topbar import TopBar
from tokenscope.tui.widgets.view_bar import ViewBar

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
        Binding(
            "1", "app.show_view('leaderboard')", "Leaderboard", id="view.leaderboard", show=False
        ),
        Binding("2", "app.show_view('prompts')", "Prompts", id="view.prompts", show=False),
        Binding("3", "app.show_view('runs')", "Runs", id="view.runs", show=False),
        Binding("4", "app.show_view('charts')", "Charts", id="view.charts", show=False),
        Binding("5", "app.show_view('ask')", "Ask", id="view.ask", show=False),
        Binding(
            "d",
            "app.cycle_domain",
            "Domain",
            id="filter.domain",
            tooltip="Cycle the domain: all, knowledge, math, logic",
        ),
        Binding(
            "w",
            "app.cycle_weights",
            "Weights",
            id="filter.weights",
            tooltip="Cycle open / closed weights",
        ),
        Binding(
            "b",
            "app.cycle_source",
            "Source",
            id="filter.source",
            show=False,
            tooltip="Cycle the source: all, bundled, user",
        ),
        Binding("l", "app.pick_lab", "Lab", id="filter.lab", show=False, tooltip="Pick a lab"),
        Binding("slash", "app.search", "Find", id="filter.search", tooltip="Type to filter models"),
        Binding(
            "x",
            "app.clear_filters",
            "Clear",
            id="filter.clear",
            tooltip="Clear every filter and drill-down",
        ),
        Binding(
            "escape",
            "app.drill_up",
            "Back",
            id="drill.up",
            tooltip="Back from the runs behind a number to where you drilled down",
        ),
        Binding(
            "e",
            "app.export('csv')",
            "Export",
            id="export",
            show=False,
            tooltip="Export the current view as CSV (others: ctrl+p)",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._views: dict[str, View] = {}
        self._active = VIEWS[0][0]
        self.search_box: Input | None = None  # mounted when first opened

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        yield ViewBar([(key, label) for key, label, _ in VIEWS], self._active, id="viewbar")
        with Container(id="views"):
            yield self._create(self._active)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(TopBar).show(self.app.filters, self.app.summary)  # type: ignore[attr-defined]
        self.show_view(self._active)

    async def open_search(self) -> Input:
        """The model filter box, mounted above the footer the first time it opens."""
        if self.search_box is None:
            self.search_box = Input(
                placeholder="filter models (enter keeps, escape clears)", id="search"
            )
            await self.mount(self.search_box, before=self.query_one(Footer))
        return self.search_box

    def _create(self, key: str) -> View:
        view = view_class(key)(id=f"view-{key}")
        self._views[key] = view
        return view

    def view(self, key: str) -> View:
        """The view of a tab, built and mounted (with the current data) on first use."""
        view = self._views.get(key)
        if view is None:
            view = self._create(key)
            view.display = False
            self.query_one("#views", Container).mount(view)
            app = self.app
            if app.ds is not None:  # type: ignore[attr-defined]
                view.set_data(app.ds, app.filters)  # type: ignore[attr-defined]
        return view

    def views(self) -> list[View]:
        """The views built so far (the others get the data when they are built)."""
        return list(self._views.values())

    @property
    def active_key(self) -> str:
        return self._active

    def show_view(self, key: str) -> None:
        """Make ``key`` the visible view: built if needed, brought up to date, focused."""
        shown = self.view(key)
        self._active = key
        self.query_one(ViewBar).active = key
        for view in self.views():
            view.display = view is shown
            if view is not shown:
                view.deactivate()
        shown.show()
        self.app.refresh_bindings()  # some keys only apply to some views

    def on_view_bar_chosen(self, message: ViewBar.Chosen) -> None:
        self.show_view(message.key)

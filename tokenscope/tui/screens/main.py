"""The explorer screen: the filter bar, one tab per view, the footer.

Only the first tab's view is built at startup; each other view is imported,
created and mounted the first time its tab is shown, so launching costs one
view, not five. New views are added as another entry in ``VIEWS``.

Keys typed while a view is being built (``4n``, ``2s`` typed at once) are meant
for it, yet its widgets do not exist yet: the app hands them to ``hold_key``,
which keeps them until the view has mounted, taken the focus and painted its
first data, then replays them in order.
"""

from __future__ import annotations

import asyncio
from importlib import import_module
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input

from tokenscope.tui.views.base import View
from tokenscope.tui.widgets.footer import KeysFooter
from tokenscope.tui.widgets.topbar import TopBar
from tokenscope.tui.widgets.view_bar import ViewBar

if TYPE_CHECKING:
    from textual.widget import AwaitMount

# Held keys are let go after this long even if the new view never paints (a failed load).
HOLD_LIMIT_S = 10.0

# (tab id, label, "module:class"); the tab id doubles as the view's name in commands.
VIEWS: list[tuple[str, str, str]] = [
    ("leaderboard", "Leaderboard", "tokenscope.tui.views.leaderboard:LeaderboardView"),
    ("prompts", "Prompts", "tokenscope.tui.views.prompts:PromptsView"),
    ("runs", "Runs", "tokenscope.tui.views.runs:RunsView"),
    ("charts", "Charts", "tokenscope.tui.views.charts:ChartsView"),
    ("ask", "Ask", "tokenscope.tui.views.ask:AskView"),
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
            tooltip="Cycle the source: all, bundled, user, then each configured source",
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
        # Keys (key, character) typed while ``_building`` is being built, in order.
        self._held: list[tuple[str, str | None]] = []
        self._building: View | None = None
        self._hold_limit: Timer | None = None
        self._settling: asyncio.Task[None] | None = None

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        yield ViewBar([(key, label) for key, label, _ in VIEWS], self._active, id="viewbar")
        with Container(id="views"):
            yield self._create(self._active)
        yield KeysFooter()

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
            mounting = self.query_one("#views", Container).mount(view)
            self._hold_keys_for(view, mounting)
            app = self.app
            if app.ds is not None:  # type: ignore[attr-defined]
                view.set_data(app.ds, app.filters)  # type: ignore[attr-defined]
        return view

    # ---- keys typed while a view is built --------------------------------------

    def _hold_keys_for(self, view: View, mounting: AwaitMount) -> None:
        self._building = view
        if self._hold_limit is not None:
            self._hold_limit.stop()
        self._hold_limit = self.set_timer(HOLD_LIMIT_S, self._release_keys)

        async def settle() -> None:
            await mounting
            # A view with nothing to compute (Ask) is ready now; the others once they
            # painted (``on_view_painted``), after the data loaded if it has not yet.
            # Queued after the view's own request for the focus.
            if view.loaded:
                self.app.call_later(self._release_keys, view)

        self._settling = asyncio.ensure_future(settle())

    def on_view_painted(self, message: View.Painted) -> None:
        if message.view is self._building:
            self.app.call_later(self._release_keys, message.view)

    def _release_keys(self, view: View | None = None) -> None:
        if view is not None and view is not self._building:
            return  # another view is being built since
        self._building = None
        if self._hold_limit is not None:
            self._hold_limit.stop()
            self._hold_limit = None
        held, self._held = self._held, []
        if not held:
            return
        shown = self._views.get(self._active)
        if shown is not None and shown.is_mounted:
            shown.focus_main()  # the keys are meant for the view on screen, wherever focus was

        def replay() -> None:  # after the focus moved (it moves on the same queue)
            for key, character in held:
                self.app.post_message(events.Key(key, character))

        self.app.call_later(replay)

    def hold_key(self, event: events.Key) -> bool:
        """Hold a key that reached the app while a view is being built (the app calls this
        before it looks up the key's binding, which would be the old view's)."""
        if self._building is None or self.app.screen is not self:
            return False
        event.stop()
        event.prevent_default()
        self._held.append((event.key, event.character))
        return True

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

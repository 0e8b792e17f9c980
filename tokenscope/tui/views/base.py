"""The base of every tab: computes its frame in a thread, paints it on the main thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual import work
from textual.containers import Container
from textual.message import Message

from tokenscope.tui.filters import Filters
from tokenscope.tui.widgets.tables import FrameTable, RunsTable

if TYPE_CHECKING:
    import polars as pl

    from tokenscope.config import Settings
    from tokenscope.data.loader import Dataset


class View(Container):
    """A tab's content. Subclasses implement ``compute`` (thread) and ``apply`` (main thread).

    Views load lazily: a view is built when its tab is first shown, nothing is
    computed before that, and a view that is hidden when the data changes only
    marks itself stale.
    """

    title = "View"

    class Computed(Message):
        def __init__(self, view: View, generation: int, result: Any) -> None:
            super().__init__()
            self.view = view
            self.generation = generation
            self.result = result

    class Painted(Message):
        """The view shows fresh data (the screen then replays keys typed while it was
        being built)."""

        def __init__(self, view: View) -> None:
            super().__init__()
            self.view = view

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.ds: Dataset | None = None
        self.filters = Filters()
        self.generation = 0
        self.stale = True
        self.active = False
        self.loaded = False
        self._ready = False  # mounted: its widgets exist

    def on_mount(self) -> None:
        # A view built by its tab's first activation was shown before it existed.
        self._ready = True
        if self.active:
            self.show()

    def set_data(self, ds: Dataset, filters: Filters) -> None:
        self.ds, self.filters = ds, filters
        self.stale = True
        if self.active:
            self.recompute()

    def set_settings(self, settings: Settings) -> None:
        """The app's settings changed. Prices reach the tables through the dataset; a view
        that needs more (the Ask view's endpoints) takes them here."""

    def activate(self) -> None:
        self.active = True
        if self.stale and self.ds is not None and self._ready:
            self.recompute()

    def show(self) -> None:
        """Its tab became the active one: bring the data up to date, take the focus."""
        self.activate()
        if self._ready:
            self.focus_main()

    def deactivate(self) -> None:
        self.active = False

    def recompute(self) -> None:
        self.stale = False
        self.generation += 1
        self._compute_worker(self.ds, self.filters, self.generation)

    @work(thread=True, exclusive=True, group="compute", exit_on_error=False)
    def _compute_worker(self, ds: Dataset, filters: Filters, generation: int) -> None:
        # Workers deliver; the handler below decides whether the result is still wanted.
        self.post_message(self.Computed(self, generation, self.compute(ds, filters)))

    def on_view_computed(self, message: View.Computed) -> None:
        if message.view is not self:
            return
        message.stop()
        if message.generation == self.generation:
            self.apply(message.result)
            self.loaded = True
            # The main widget may have just been mounted: give it the focus the tab asked
            # for, unless the user is typing in the search box or looking at another screen.
            typing = type(self.app.focused).__name__ == "Input"
            if self.active and self.screen is self.app.screen and not typing:
                self.focus_main()
            self.post_message(self.Painted(self))

    def compute(self, ds: Dataset, filters: Filters) -> Any:
        raise NotImplementedError

    def apply(self, result: Any) -> None:
        raise NotImplementedError

    def export_frame(self) -> pl.DataFrame | None:
        """What 'export the current view' writes."""
        return None

    def focus_main(self) -> None:
        """Put the focus on the view's main widget."""


TableT = TypeVar("TableT", FrameTable, RunsTable)


class TableView(View, Generic[TableT]):
    """A tab that is one sortable table: export writes what it shows, focus goes to it."""

    table_type: type[TableT]

    @property
    def table(self) -> TableT:
        return self.query_one(self.table_type)

    def export_frame(self) -> pl.DataFrame | None:
        return self.table.frame

    def focus_main(self) -> None:
        self.table.focus()

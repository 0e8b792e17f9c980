"""The tokenscope explorer: a keyboard-first Textual app over every result.

The app owns the dataset, the filters and the settings; views compute their
frames in thread workers and paint them on the main thread. Data and settings
load after the first frame is on screen; new result files and a changed config
file are picked up by polling their signatures in a thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input

from tokenscope import paths
from tokenscope.data.editions import DEFAULT_EDITION, EDITION_LABELS, EDITIONS
from tokenscope.tui.filters import DOMAIN_CYCLE, SOURCE_CYCLE, WEIGHTS_CYCLE, Filters
from tokenscope.tui.screens.main import VIEWS, MainScreen
from tokenscope.tui.state import load_state, save_state
from tokenscope.tui.themes import DEFAULT_THEME, PREFIX, load_themes
from tokenscope.tui.widgets.topbar import TopBar

if TYPE_CHECKING:
    from textual.timer import Timer

    from tokenscope.config import Settings
    from tokenscope.data.loader import Dataset, UserResults
    from tokenscope.remote.sources import Source
    from tokenscope.tui.views.base import View

EXPORT_SUFFIX = {"csv": ".csv", "parquet": ".parquet", "markdown": ".md"}


def config_signature() -> tuple[int, int] | None:
    """Changes whenever the config file is written, created or removed."""
    try:
        st = paths.config_file().stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class DatasetLoaded(Message):
    """A worker finished loading; the handler swaps it in (or reports the error)."""

    def __init__(
        self,
        load: int,
        ds: Dataset | None,
        signature: tuple,
        error: str | None = None,
        summary: str = "",
    ) -> None:
        super().__init__()
        self.load = load  # which call of ``TokenscopeApp._load`` this answers
        self.summary = summary
        self.ds = ds
        self.signature = signature
        self.error = error


class SettingsLoaded(Message):
    """A worker read the config file: the handler makes them the app's settings (or says
    what is wrong with the file)."""

    def __init__(
        self, settings: Settings | None, signature: tuple[int, int] | None, error: str | None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.signature = signature
        self.error = error


class TokenscopeApp(App[int]):
    """The explorer."""

    TITLE = "tokenscope"
    CSS_PATH = "tokenscope.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit_ctrl", show=False),
        Binding("question_mark,f1", "help", "Help", id="app.help", key_display="?"),
        Binding("t", "pick_theme", "Theme", id="app.theme", show=False, tooltip="Choose a theme"),
        Binding(
            "ctrl+r",
            "reload",
            "Reload",
            id="app.reload",
            show=False,
            tooltip="Reload every result file",
        ),
        Binding(
            "v",
            "cycle_edition",
            "Edition",
            id="app.edition",
            show=False,
            tooltip="Switch the study's edition: latest, or the August 2025 report",
        ),
        Binding(
            "S",
            "sources",
            "Sources",
            id="app.sources",
            show=False,
            tooltip="The team's sources: status, push and pull",
        ),
        Binding(
            "u",
            "run_suite",
            "Suite run",
            id="app.run_suite",
            show=False,
            tooltip="Run a prompt suite on a model (like `tokenscope run`)",
        ),
    ]

    def __init__(self, poll_seconds: float = 2.0, results_dir: Path | None = None) -> None:
        super().__init__()
        # Polars loads in the first worker, while Textual paints: startup stays fast.
        self.poll_seconds = poll_seconds
        self.results_dir = results_dir
        self.user_results: UserResults | None = None
        self.loaded_ds: Dataset | None = None  # as read, before the user's prices
        self.ds: Dataset | None = None  # what every view shows: the user's prices applied
        self.signature: tuple | None = None
        # Read once here, then again only when the file changes; views and sessions are
        # handed this object and never read the file themselves.
        self.settings: Settings | None = None
        self.loading_sources: tuple[Source, ...] = ()  # the sources the latest load reads
        self.loads = 0  # loads started; only the latest one's result is shown
        self.config_signature: tuple[int, int] | None = None
        self.summary = "loading…"
        self.filters = Filters()
        self.edition = DEFAULT_EDITION  # of the bundled study; the user's runs are in both
        self.state = load_state()
        self._saving_theme = False
        self.config_warning: str | None = None  # said once per distinct problem
        self._search_timer: Timer | None = None
        # The view and filters the last drill-down started from: escape goes back to them.
        self._drilled_from: tuple[str, Filters] | None = None
        # Chosen before the first compose: a theme set later restyles every widget again.
        self._theme_problems = self._register_themes()

    # ---- startup -----------------------------------------------------------

    def on_mount(self) -> None:
        if self._theme_problems:
            # One message for every broken file, then carry on with a working theme.
            self.notify(
                "Some themes were skipped:\n"
                + "\n".join(self._theme_problems)
                + f"\nUsing {self.theme}.",
                title="Themes",
                severity="warning",
                timeout=8,
            )
        # Importing Polars in a thread still holds the GIL for long stretches:
        # start it after the first frame is on screen, not before.
        self.call_after_refresh(self._load)
        self.call_after_refresh(self._load_settings)
        if self.poll_seconds > 0:
            self.set_interval(self.poll_seconds, self._poll)

    def _register_themes(self) -> list[str]:
        """Register the theme files, pick the saved theme; returns what went wrong."""
        loaded = load_themes()
        for theme in loaded.themes.values():
            self.register_theme(theme)
        wanted = self.state.get("theme", DEFAULT_THEME)
        problems = list(loaded.errors)
        if wanted not in self.available_themes:
            problems.append(f"theme '{wanted}' not found")
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self._saving_theme = True
        self.theme = wanted
        self._saving_theme = False
        return problems

    def watch_theme(self, theme: str) -> None:
        if self._saving_theme or not self.is_running:
            return
        self.state["theme"] = theme
        save_state(self.state)
        if self.ds is not None and self.screen_stack and isinstance(self.screen, MainScreen):
            self._push_data()  # cell colours come from the theme

    # The Ask view follows no filter: their keys leave its footer (and do nothing there).
    FILTER_ACTIONS = frozenset(
        {
            "cycle_domain",
            "cycle_weights",
            "cycle_source",
            "pick_lab",
            "search",
            "clear_filters",
            "export",
            "cycle_edition",
        }
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "drill_up":
            try:
                return self.check_drill_up() and self.main.active_key == "runs"
            except LookupError:
                return False
        if action in self.FILTER_ACTIONS:
            try:
                return self.main.active_key != "ask"
            except LookupError:
                return True
        return True

    def get_default_screen(self) -> Screen:
        return MainScreen()

    @property
    def main(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("main screen not mounted")

    # ---- data --------------------------------------------------------------

    def _load(self) -> None:
        """Load everything again. A load it replaces keeps running in its thread (a thread
        cannot be stopped) and may finish later: its result is dropped, never shown over
        this one's."""
        self.loads += 1
        # Sources come from the settings the app owns; until those are read, none.
        self.loading_sources = self.settings.sources if self.settings is not None else ()
        self._load_in_thread(self.loads, self.loading_sources)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load_in_thread(self, load: int, sources: tuple[Source, ...]) -> None:
        import polars as pl
        from polars.exceptions import PanicException

        from tokenscope.data.loader import LoadError, UserResults, load_dataset

        if self.user_results is None:
            self.user_results = UserResults(self.results_dir)
        signature = self.user_results.signature()
        try:
            ds = load_dataset(
                "all", user_results=self.user_results, edition=self.edition, sources=sources
            )
            counts = (
                ds.lazy_runs()
                .select(pl.len().alias("runs"), (pl.col("source") == "user").sum().alias("user"))
                .collect()
                .row(0)
            )
            summary = f"{counts[0]:,} runs" + (f" ({counts[1]:,} yours)" if counts[1] else "")
            summary = f"edition {ds.edition} · {summary}"
            stale = [status.name for status in ds.sources if status.stale]
            if stale:  # first, so a narrow header still shows it
                summary = f"stale: {', '.join(stale)} · {summary}"
            self.post_message(DatasetLoaded(load, ds, signature, summary=summary))
        except LoadError as exc:
            self.post_message(DatasetLoaded(load, None, signature, str(exc)))
        except (Exception, PanicException) as exc:  # a Rust panic is a BaseException
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            self.post_message(
                DatasetLoaded(load, None, signature, f"{type(exc).__name__}: {first}")
            )

    @work(thread=True, exclusive=True, group="config", exit_on_error=False)
    def _load_settings(self) -> None:
        from tokenscope.config import ConfigError, load_settings

        signature = config_signature()
        try:
            self.post_message(SettingsLoaded(load_settings(), signature, None))
        except ConfigError as exc:
            self.post_message(SettingsLoaded(None, signature, str(exc)))

    def on_settings_loaded(self, message: SettingsLoaded) -> None:
        from tokenscope.config import Settings

        self.config_signature = message.signature
        if message.error is not None:
            kept = self.settings is not None and self.settings != Settings()
            if message.error != self.config_warning:
                self.notify(
                    message.error
                    + (
                        "\nKeeping the last good settings until it is fixed."
                        if kept
                        else "\nUsing the defaults until it is fixed."
                    ),
                    title="Config",
                    severity="warning",
                    timeout=10,
                )
            self.config_warning = message.error
            if self.settings is not None:
                return
            settings = Settings()
        else:
            self.config_warning = None
            assert message.settings is not None
            settings = message.settings
        first = self.settings is None
        self.settings = settings
        if settings.sources != self.loading_sources:
            self._load()  # a source added, removed or changed: its runs come or go
        if self.loaded_ds is not None:
            self._use_dataset(self.loaded_ds)
            if not first:
                self._push_data()
        for view in self._built_views():
            view.set_settings(settings)

    def _poll(self) -> None:
        for worker in self.workers:
            if worker.group in ("load", "poll") and worker.is_running:
                return
        self._check_signature()

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def _check_signature(self) -> None:
        if self.user_results is not None and self.user_results.signature() != self.signature:
            self.call_from_thread(self._load)
        if self.settings is not None and config_signature() != self.config_signature:
            self.call_from_thread(self._load_settings)

    def on_dataset_loaded(self, message: DatasetLoaded) -> None:
        from tokenscope.data.loader import warning_lines
        from tokenscope.text import literal

        if message.load != self.loads:
            return  # replaced (new files, sources or edition): the newer load is shown
        # File names and reasons come from outside: plain text, never markup or control.
        if message.error or message.ds is None:
            self.notify(
                literal(message.error or "no data"),
                title="Could not load results",
                severity="error",
                timeout=10,
                markup=False,
            )
            return
        first = self.ds is None
        switched = self.ds is not None and self.ds.edition != message.ds.edition
        self._use_dataset(message.ds)
        self.signature = message.signature
        self.summary = message.summary
        if message.ds.warnings:
            self.notify(
                literal("\n".join(warning_lines(message.ds.warnings))),
                title="Some result files were skipped",
                severity="warning",
                markup=False,
            )
        if switched:
            edition = message.ds.edition
            self.notify(f"Edition {edition}: {EDITION_LABELS[edition]}.", timeout=3)
        elif not first:
            self.notify("New results loaded.", timeout=3)
        self._push_data()

    def _use_dataset(self, ds: Dataset) -> None:
        """Show ``ds`` with the user's prices in place of the study's, as the CLI does."""
        from tokenscope.data.prices import with_user_prices

        self.loaded_ds = ds
        self.ds = with_user_prices(ds, self.settings.prices) if self.settings else ds

    def _built_views(self) -> list[View]:
        try:
            return self.main.views()
        except LookupError:
            return []

    def _push_data(self) -> None:
        from textual.css.query import NoMatches

        if self.ds is None:
            return

        try:
            main = self.main
            topbar = main.query_one("#topbar", TopBar)
        except (LookupError, NoMatches):
            return  # a load finished while the app closes
        topbar.show(self.filters, self.summary)
        for view in main.views():
            view.set_data(self.ds, self.filters)
        main.view(main.active_key).activate()

    def set_filters(self, filters: Filters) -> None:
        self.filters = filters
        if self.ds is not None:
            self._push_data()
        else:
            self.main.query_one("#topbar", TopBar).show(filters, "loading…")

    # ---- actions -----------------------------------------------------------

    def action_show_view(self, key: str) -> None:
        self.main.show_view(key)

    def action_cycle_domain(self) -> None:
        self.set_filters(self.filters.cycled("domain", DOMAIN_CYCLE))

    def action_cycle_edition(self) -> None:
        """Reload with the next edition of the bundled study; the filters stay."""
        self.edition = EDITIONS[(EDITIONS.index(self.edition) + 1) % len(EDITIONS)]
        self.summary = f"edition {self.edition} · loading…"
        self.main.query_one("#topbar", TopBar).show(self.filters, self.summary)
        self._load()

    def action_cycle_weights(self) -> None:
        self.set_filters(self.filters.cycled("weights", WEIGHTS_CYCLE))

    def action_cycle_source(self) -> None:
        names = tuple(s.name for s in self.settings.sources) if self.settings else ()
        self.set_filters(self.filters.cycled("source", (*SOURCE_CYCLE, *names)))

    def action_sources(self) -> None:
        from tokenscope.tui.screens.sources import SourcesScreen

        sources = self.settings.sources if self.settings else ()
        statuses = self.ds.sources if self.ds is not None else None
        self.push_screen(SourcesScreen(sources, statuses, self.config_warning))

    def action_clear_filters(self) -> None:
        self._drilled_from = None
        if self.main.search_box is not None:
            self.main.search_box.value = ""
        self.set_filters(Filters())

    def action_pick_lab(self) -> None:
        from tokenscope.tui.explorer import labs
        from tokenscope.tui.screens.pickers import PickerScreen

        if self.ds is None:
            return
        options = [("", "all labs")] + [(lab, lab) for lab in labs(self.ds)]

        def chosen(value: str | None) -> None:
            if value is not None:
                self.set_filters(replace(self.filters, lab=value or None))

        self.push_screen(PickerScreen("Lab", options, self.filters.lab or ""), chosen)

    async def action_search(self) -> None:
        search = await self.main.open_search()
        search.add_class("-open")
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        # Coalesce keystrokes: only the last value within 150 ms is applied.
        if self._search_timer is not None:
            self._search_timer.stop()
        value = event.value.strip()
        self._search_timer = self.set_timer(
            0.15, lambda: self.set_filters(replace(self.filters, text=value))
        )

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        self._close_search()

    def _close_search(self) -> None:
        if self.main.search_box is not None:
            self.main.search_box.remove_class("-open")
        self.main.view(self.main.active_key).focus_main()

    def on_key(self, event) -> None:
        if self.main.hold_key(event):  # a view is being built: the key is meant for it
            return
        search = self.main.search_box if self.screen is self.main else None
        if search is not None and search.has_focus and event.key == "escape":
            event.stop()
            search.value = ""
            self.set_filters(replace(self.filters, text=""))
            self._close_search()

    def action_reload(self) -> None:
        self.signature = None
        self._load()

    def action_help(self) -> None:
        from tokenscope.tui.screens.help import HelpScreen
        from tokenscope.tui.screens.run_detail import RunDetailScreen
        from tokenscope.tui.views.ask import AskView
        from tokenscope.tui.views.charts import ChartsView
        from tokenscope.tui.widgets.tables import SORT_BINDINGS

        self.push_screen(
            HelpScreen(
                [
                    ("Everywhere", list(self.BINDINGS)),
                    ("Views and filters", list(MainScreen.BINDINGS)),
                    (
                        "Tables",
                        [*SORT_BINDINGS, Binding("enter", "", "Open: model → runs, run → detail")],
                    ),
                    ("Charts", list(ChartsView.BINDINGS)),
                    ("Run detail", list(RunDetailScreen.BINDINGS)),
                    ("Ask", list(AskView.BINDINGS)),
                ]
            )
        )

    def action_pick_theme(self) -> None:
        from tokenscope.tui.screens.pickers import PickerScreen

        names = sorted(n for n in self.available_themes if n.startswith(PREFIX))

        def chosen(value: str | None) -> None:
            if value:
                self.theme = value

        self.push_screen(PickerScreen("Theme", [(n, n) for n in names], self.theme), chosen)

    def action_export(self, fmt: str) -> None:
        view = self.main.view(self.main.active_key)
        frame = view.export_frame()
        if frame is None:
            self.notify("Nothing to export yet.", severity="warning")
            return
        self._export(frame, fmt, self.main.active_key)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, frame, fmt: str, name: str) -> None:
        from tokenscope.data.export import write
        from tokenscope.text import literal

        directory = paths.data_dir() / "exports"
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = directory / f"tokenscope-{name}-{stamp}{EXPORT_SUFFIX[fmt]}"
        try:
            write(frame, path, fmt)  # creates the folder owner-only
        except Exception as exc:
            self.call_from_thread(
                self.notify,
                literal(f"{type(exc).__name__}: {exc}", keep_newlines=False),
                title="Export failed",
                severity="error",
                markup=False,
            )
            return
        self.call_from_thread(
            self.notify,
            literal(str(path), keep_newlines=False),
            title=f"Exported {frame.height:,} rows",
            markup=False,
        )

    # ---- drill-down --------------------------------------------------------

    def on_leaderboard_view_model_chosen(self, message) -> None:
        self._drill(replace(self.filters, model=message.model, source=message.source, prompt=None))

    def on_prompts_view_cell_chosen(self, message) -> None:
        model, source = message.model or (None, self.filters.source)
        self._drill(replace(self.filters, model=model, source=source, prompt=message.prompt_id))

    def _drill(self, filters: Filters) -> None:
        """Down from a table to the runs behind a number; escape comes back up."""
        self._drilled_from = (self.main.active_key, self.filters)
        self.set_filters(filters)
        self.action_show_view("runs")

    def action_drill_up(self) -> None:
        """Back to the view and filters the last drill-down started from."""
        back = self._drilled_from
        if back is None or self.main.active_key != "runs":
            return
        self._drilled_from = None
        view, filters = back
        self.set_filters(filters)
        self.action_show_view(view)

    def check_drill_up(self) -> bool:
        return self._drilled_from is not None

    def on_runs_table_row_chosen(self, message) -> None:
        self._open_run(message.row["run_id"])

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _open_run(self, run_id: str) -> None:
        from tokenscope.tui.explorer import run_record

        if self.ds is None:
            return
        record = run_record(self.ds, run_id)
        self.call_from_thread(self._show_run, record)

    def _show_run(self, record: dict | None) -> None:
        from tokenscope.tui.screens.run_detail import RunDetailScreen

        if record is None:
            self.notify("That run is no longer in the data.", severity="warning")
            return
        self.push_screen(RunDetailScreen(record))

    # ---- command palette ---------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, label, _ in VIEWS:
            yield SystemCommand(
                f"View: {label}", f"Show the {label} view", lambda k=key: self.action_show_view(k)
            )
        yield SystemCommand(
            "Filter: cycle domain", "all → knowledge → math → logic (d)", self.action_cycle_domain
        )
        yield SystemCommand(
            "Filter: open / closed weights",
            "Cycle the weights filter (w)",
            self.action_cycle_weights,
        )
        yield SystemCommand(
            "Filter: source", "all → bundled → user → each source (b)", self.action_cycle_source
        )
        yield SystemCommand("Filter: lab…", "Pick a lab (l)", self.action_pick_lab)
        yield SystemCommand("Filter: model name…", "Type to filter models (/)", self.action_search)
        yield SystemCommand(
            "Filter: clear all", "Clear filters and drill-down (x)", self.action_clear_filters
        )
        for fmt, name in (("csv", "CSV"), ("parquet", "Parquet"), ("markdown", "Markdown")):
            yield SystemCommand(
                f"Export view as {name}",
                "Write the current view to the data dir's exports folder",
                lambda f=fmt: self.action_export(f),
            )
        for name in sorted(n for n in self.available_themes if n.startswith(PREFIX)):
            yield SystemCommand(
                f"Theme: {name}",
                "Switch theme (remembered)",
                lambda n=name: setattr(self, "theme", n),
            )
        from tokenscope.tui.views.ask import ASK_COMMANDS

        for title, help_text, action in ASK_COMMANDS:
            yield SystemCommand(title, help_text, lambda a=action: self._ask_action(a))
        yield SystemCommand("Reload data", "Re-read every result file (ctrl+r)", self.action_reload)
        yield SystemCommand(
            "Suite: run a suite on a model…",
            "Put the study's prompts (or your own) to a model, like `tokenscope run`",
            self.action_run_suite,
        )
        yield SystemCommand(
            "Import: logs of other tools…",
            "Inspect, promptfoo, OpenRouter, OpenTelemetry, LiteLLM (like `tokenscope import`)",
            self.action_import_logs,
        )
        yield SystemCommand(
            "Sources: status, push and pull…",
            "The team's shared runs (S), like `tokenscope push` and `tokenscope pull`",
            self.action_sources,
        )
        yield SystemCommand("Help: keys", "Every key binding (?)", self.action_help)

    def _ask_action(self, action: str) -> None:
        """Show the Ask view (building it if needed) and run one of its actions there."""
        self.action_show_view("ask")
        view = self.main.view("ask")
        view.call_after_refresh(getattr(view, f"action_{action}"))

    def action_import_logs(self) -> None:
        from tokenscope.tui.screens.import_run import ImportScreen

        self.push_screen(ImportScreen())

    def action_run_suite(self) -> None:
        from tokenscope.tui.screens.suite_run import SuiteRunScreen

        self.push_screen(SuiteRunScreen(self.settings))


def run_app() -> int:
    from tokenscope.native_stderr import native_stderr_to

    # A Rust panic in Polars prints to fd 2: into a log, not over the screen.
    with native_stderr_to():
        app = TokenscopeApp(poll_seconds=float(os.environ.get("TOKENSCOPE_POLL_SECONDS", "2")))
        app.run()
    return app.return_code or 0

"""The app's sources panel against a real S3-compatible server on loopback (moto):
push with progress, the source as a filter, and a cut network showing the pulled copy."""

from __future__ import annotations

import polars as pl
from textual.widgets import ProgressBar

from remote.helpers import add_runs, start_moto, write_config
from tests.tui.conftest import until
from tokenscope.config import load_settings
from tokenscope.remote.pull import PullSession
from tokenscope.remote.push import PushSession
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.screens.sources import SourcesScreen
from tokenscope.tui.views.leaderboard import LeaderboardView

SIZE = (120, 30)


def _status(screen: SourcesScreen) -> str:
    return str(screen.query_one("#sources-status").render())


def _row(screen: SourcesScreen, name: str) -> list[str]:
    table = screen.query_one("#sources-table")
    return [str(cell) for cell in table.get_row(name)]  # type: ignore[attr-defined]


def _models(app: TokenscopeApp, source: str) -> set[str]:
    assert app.ds is not None
    runs = app.ds.runs_lazy.filter(pl.col("source") == source).select("model").collect()
    return set(runs["model"])


async def test_the_panel_pushes_with_progress_and_the_source_joins_the_tables(bucket, data_dir):
    write_config(bucket.source_toml())
    add_runs(data_dir, "[bold]mine", 3)  # markup in a model name: shown literally
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.ds is not None and app.ds.sources, "a load with sources")
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, SourcesScreen), "the sources panel")
        screen = app.screen
        assert isinstance(screen, SourcesScreen)
        assert _row(screen, "team")[:3] == ["team", "live", "0"]

        await pilot.press("p")
        await until(pilot, lambda: "pushed" in _status(screen), "the push's summary")
        assert "pushed 3 runs in 1 part to 'team'" in _status(screen)
        bar = screen.query_one("#sources-progress", ProgressBar)
        assert (bar.progress, bar.total) == (3, 3)
        assert len([k for k in bucket.keys() if k.endswith(".parquet")]) == 1
        await until(pilot, lambda: _row(screen, "team")[2] == "3", "the panel's count")
        await until(pilot, lambda: "[bold]mine" in _models(app, "team"), "the reload")

        # Again: nothing new to send, and the bucket is unchanged.
        await pilot.press("p")
        await until(pilot, lambda: "nothing to push" in _status(screen), "a second push")
        assert len([k for k in bucket.keys() if k.endswith(".parquet")]) == 1

        await pilot.press("escape")
        # The source is a filter like bundled and user: b cycles to it.
        for _ in range(3):
            await pilot.press("b")
        assert app.filters.source == "team"
        view = app.main.view("leaderboard")
        assert isinstance(view, LeaderboardView)
        await until(pilot, lambda: view.loaded and not view.stale, "the filtered leaderboard")
        assert "source: team" in str(app.main.query_one("#topbar").render())


async def test_a_cut_network_leaves_the_pulled_copy_marked_stale(data_dir, tmp_path):
    server = start_moto()  # this test's own server: it is taken down half-way
    try:
        from remote.helpers import make_bucket

        bucket = make_bucket(server)
        write_config(bucket.source_toml())
        source = load_settings().sources[0]
        for person in ("alice", "bob"):  # two people's folders, one bucket
            add_runs(tmp_path / person, f"{person}-model", 4)
            push = PushSession(source, results_dir=tmp_path / person / "results")
            assert push.apply(push.plan()).runs == 4
        assert PullSession(source).run().fetched == 2
    finally:
        server.stop()

    add_runs(data_dir, "mine", 2)  # runs of this person's own, to try to push
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.ds is not None and app.ds.sources, "a load with sources")
        assert {"alice-model", "bob-model"} <= _models(app, "team")
        assert "stale: team" in app.summary
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, SourcesScreen), "the sources panel")
        screen = app.screen
        assert isinstance(screen, SourcesScreen)
        assert _row(screen, "team")[1:3] == ["stale", "8"]
        assert "(stale)" in _status(screen)

        # A push to a source that is gone is one line; the panel stays usable.
        await pilot.press("p")
        await until(pilot, lambda: "failed" in _status(screen), "the failed push")
        assert "push failed:" in _status(screen)
        assert "Traceback" not in _status(screen)
        assert screen.running is None


async def test_with_no_sources_the_panel_says_how_to_add_one(data_dir):
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.settings is not None, "the settings")
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, SourcesScreen), "the sources panel")
        text = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert "No sources are configured" in text and "[[sources]]" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, SourcesScreen)


async def test_a_config_that_cannot_be_read_is_said_in_the_panel(data_dir):
    write_config('[[sources]]\nname = "team"\nuri = "s3://[bucket/runs"\n')
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.config_warning is not None, "the config's problem")
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, SourcesScreen), "the sources panel")
        text = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert "The config file cannot be read" in text and "is not a valid URI" in text


async def test_a_replaced_load_that_ends_last_is_never_shown(data_dir, tmp_path, monkeypatch):
    """The first load starts before the settings are read, so without the team's source;
    the settings bring the source and a second load. The first cannot be stopped in its
    thread and, on a busy machine, may end last: its runs must not replace the second's."""
    import threading

    import tokenscope.data.loader as loader

    folder = tmp_path / "team-folder"
    folder.mkdir()
    write_config(f'[[sources]]\nname = "team"\nuri = "{folder}"\n')
    second_shown = threading.Event()
    load_dataset = loader.load_dataset

    def first_load_ends_last(*args, **kw):  # type: ignore[no-untyped-def]
        ds = load_dataset(*args, **kw)
        if not kw.get("sources"):
            assert second_shown.wait(timeout=60), "the load with the source never ended"
        return ds

    monkeypatch.setattr(loader, "load_dataset", first_load_ends_last)
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.ds is not None and app.ds.sources, "a load with sources")
        second_shown.set()
        # The first load now ends too, and is dropped: the source's runs stay.
        await until(pilot, lambda: not any(w.is_running for w in app.workers), "the first load")
        await pilot.pause()
        assert app.ds is not None and [s.name for s in app.ds.sources] == ["team"]
        assert app.loads == 2

"""Import other tools' logs from the app: the palette, a path, progress, and the new rows."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import Input

from tests.tui.conftest import until
from tokenscope.tui.app import TokenscopeApp
from tokenscope.tui.screens.import_run import ImportScreen, split_paths

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
SIZE = (100, 30)


def _status(screen: ImportScreen) -> str:
    return str(screen.query_one("#import-status").render())


async def test_import_from_the_palette_adds_the_model_to_the_leaderboard(tmp_path) -> None:
    # A name with a space and markup: typed quoted, shown literally.
    log = tmp_path / "my [bold]logs" / "study run.eval"
    log.parent.mkdir()
    shutil.copyfile(FIXTURES / "inspect_study.eval", log)
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.ds is not None, "the first load")
        await pilot.press("ctrl+p")
        await pilot.press(*"import")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ImportScreen), "the import screen")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        screen.query_one("#import-paths", Input).value = f'"{log}"'
        await pilot.press("enter")
        await until(pilot, lambda: "imported" in _status(screen), "the import's summary")
        assert "imported 21 runs of 1 model" in _status(screen)  # 19 study prompts + 2 others

        def user_runs_loaded() -> bool:
            if app.ds is None:
                return False
            return "user" in set(app.ds.runs_lazy.select("source").collect()["source"])

        await until(pilot, user_runs_loaded, "the imported runs in the app's data")
        # The same file again adds nothing.
        await pilot.press("enter")
        await until(pilot, lambda: "already in your results" in _status(screen), "a re-import")
        assert "imported 0 runs" in _status(screen)


async def test_a_file_that_is_not_a_log_is_one_line(tmp_path) -> None:
    bad = tmp_path / "\x1b]0;pwned\x07.json"
    bad.write_text('{"hello": 1}')
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = ImportScreen()
        await app.push_screen(screen)
        screen.query_one("#import-paths", Input).value = str(bad)
        await pilot.press("enter")
        await until(pilot, lambda: "imported" in _status(screen), "the import's summary")
        status = _status(screen)
        assert "imported 0 runs" in status and "not a format tokenscope imports" in status
        assert "\x1b" not in status and "\\x1b" in status


def test_paths_split_like_a_shell() -> None:
    assert split_paths('a.eval "b c.json" ~/d.jsonl')[:2] == [Path("a.eval"), Path("b c.json")]
    assert split_paths('"unclosed') == [Path('"unclosed')]

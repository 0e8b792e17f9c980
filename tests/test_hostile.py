"""Hostile names and contents through every output the data side owns.

File names, file contents and the reasons that quote them reach the CLI's
stderr, every export format, ``tokenscope doctor`` and the app's
notifications. None of them may carry a raw control byte or be read as
markup. The strings come from ``tests/hostile.py``. Also here: the app side
of issue 13's defects 2 and 9 (a bad Parquet value, many bad files).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from textual.widgets._toast import Toast

from tests.data.test_cli import cli
from tests.hostile import FILE_NAME_SAFE, HOSTILE, MARKUP, assert_inert
from tests.tui.conftest import wait_painted
from tokenscope.data.store import append_runs
from tokenscope.text import literal
from tokenscope.tui.app import TokenscopeApp

SIZE = (140, 40)


def file_name(key: str) -> str:
    """The hostile string as a file name ("/" cannot be in one)."""
    return HOSTILE[key].replace("/", "_")


@pytest.fixture
def results(isolated_user_dirs: Path) -> Path:
    return isolated_user_dirs / "results"


# ---- CLI stderr and doctor: file names and the reasons that quote contents ---------------


def test_hostile_file_names_are_literal_on_stderr_and_in_doctor(results: Path) -> None:
    for key in FILE_NAME_SAFE:
        (results / f"{file_name(key)}.jsonl").write_text("")  # empty: skipped, and named
    # A name that is not UTF-8 at all: the raw C1 byte 0x9b.
    os.close(os.open(bytes(results) + b"/raw\x9bbyte.csv", os.O_CREAT | os.O_WRONLY, 0o600))
    (results / "good.jsonl").write_text('{"model": "m", "tokens_completion": 1}\n')
    runs = cli("runs", "--source", "user", "--format", "csv")
    assert runs.returncode == 0, runs.stderr
    doctor = cli("doctor")
    assert doctor.returncode == 0, doctor.stderr
    for output in (runs.stderr, doctor.stdout):
        assert_inert(output)
        assert "[bold red]x[_]" in output and "[@click=app.quit]x[_]" in output
    for key in FILE_NAME_SAFE:
        assert literal(file_name(key), keep_newlines=False) in doctor.stdout
    assert "raw\\x9bbyte.csv" in doctor.stdout


def test_reasons_quoting_file_contents_are_literal(results: Path) -> None:
    lines = [
        json.dumps({"model": "m", "tokens_completion": HOSTILE["osc0_title"]}),
        json.dumps({"model": "m", "tokens_completion": HOSTILE["textual_click"]}),
    ]
    (results / "values.jsonl").write_text("\n".join(lines) + "\n")
    (results / "lines.jsonl").write_text(HOSTILE["osc52_clipboard"] + "\n")
    (results / "table.csv").write_text(f"model,tokens_completion\n{HOSTILE['csi_colour']},1\n")
    runs = cli("runs", "--source", "user", "--format", "json")
    doctor = cli("doctor")
    for output in (runs.stderr, doctor.stdout):
        assert_inert(output)
        assert (
            "set 2 unusable values to null "
            "(line 1: tokens_completion '\\x1b]0;PWNED\\x07' is not a number)"
        ) in output


# ---- exports: file contents in every format ------------------------------------------------


@pytest.fixture
def hostile_runs(isolated_user_dirs: Path) -> dict[str, str]:
    append_runs(
        [
            {
                "model": f"model-{key}",
                "prompt_id": "one_plus_one",
                "tokens_completion": 10,
                "answer": text,
                "reasoning": text,
                "error": text,
            }
            for key, text in HOSTILE.items()
        ]
    )
    return HOSTILE


@pytest.mark.parametrize("fmt", ["csv", "json", "table", "markdown"])
def test_exports_carry_no_control_bytes_and_show_markup_as_typed(hostile_runs, fmt) -> None:
    proc = cli("runs", "--source", "user", "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    assert_inert(proc.stdout)
    for markup in MARKUP:
        assert markup in proc.stdout
    assert "\\x1b]0;PWNED\\x07" in proc.stdout or "\\u001b]0;PWNED\\u0007" in proc.stdout
    if fmt == "json":
        # Escaped, not lost: every text reads back exactly.
        answers = {r["model"]: r["answer"] for r in json.loads(proc.stdout)}
        assert answers == {f"model-{k}": v for k, v in hostile_runs.items()}


def test_export_files_are_owner_only(isolated_user_dirs: Path) -> None:
    from tokenscope.data.export import write

    exports = isolated_user_dirs / "exports"
    frame = pl.DataFrame({"answer": [HOSTILE["c1_csi"]]})
    for target in (exports / "runs.csv", exports / "runs.parquet"):
        write(frame, target)
        assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert oct(exports.stat().st_mode & 0o777) == "0o700"
    assert_inert((exports / "runs.csv").read_text())
    assert pl.read_parquet(exports / "runs.parquet").equals(frame)  # Parquet keeps the value


# ---- the app: notifications show names literally; bad values never blank the views --------


def toasts(app: TokenscopeApp, title: str) -> list[Toast]:
    return [t for t in app.screen.query(Toast) if t._notification.title == title]


async def wait_toast(app: TokenscopeApp, pilot, title: str) -> Toast:
    for _ in range(200):
        await pilot.pause(0.05)
        found = toasts(app, title)
        if found:
            return found[0]
    raise AssertionError(f"no notification titled {title!r}")


async def test_skipped_file_notification_is_literal_and_clicking_it_is_harmless(
    results: Path,
) -> None:
    (results / "[@click=app.quit]x.jsonl").write_text("")
    for key in ("osc0_title", "rich_markup", "c1_csi"):
        (results / f"{file_name(key)}.csv").write_text("")
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toast = await wait_toast(app, pilot, "Some result files were skipped")
        content = toast.render()
        assert_inert(content.plain)
        assert "skipped [@click=app.quit]x.jsonl: empty file" in content.plain
        assert "skipped [bold red]x[_].csv: empty file" in content.plain
        assert "skipped \\x1b]0;PWNED\\x07.csv: empty file" in content.plain
        # Only the title is styled: the names carry no style and no action.
        assert all(span.end <= len("Some result files were skipped") for span in content.spans)
        # Click where the name starts: markup would have made that text quit the app.
        lines = content.plain.splitlines()
        row = next(i for i, line in enumerate(lines) if "[@click" in line)
        column = lines[row].index("[@click") + 1
        inner = toast.content_region
        await pilot.click(
            toast, offset=(inner.x - toast.region.x + column, inner.y - toast.region.y + row)
        )
        await pilot.pause(0.1)
        assert app.return_code is None and app.is_running
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg and "\x9b" not in svg


async def test_many_skipped_files_say_how_many_more(results: Path) -> None:
    for i in range(7):
        (results / f"bad{i}.csv").write_text("")
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        toast = await wait_toast(app, pilot, "Some result files were skipped")
        plain = toast.render().plain
        assert [f"skipped bad{i}.csv: empty file" in plain for i in range(7)] == [True] * 5 + [
            False
        ] * 2
        assert plain.endswith("and 2 more; `tokenscope doctor` lists every file")


async def test_a_bad_parquet_value_leaves_every_view_working(results: Path) -> None:
    pl.DataFrame(
        {
            "model": ["nan-model"] * 2,
            "prompt_id": ["one_plus_one"] * 2,
            "tokens_completion": [100.0, float("nan")],
        }
    ).write_parquet(results / "nan.parquet")
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_painted(app, pilot, "leaderboard")
        board = app.screen.query_one("#leaderboard-table").frame
        assert "nan-model" in board["model"].to_list()
        await pilot.press("3")
        await wait_painted(app, pilot, "runs")
        status = str(app.main.query_one("#runs-status").render())
        assert "loading" not in status
        toast = await wait_toast(app, pilot, "Some result files were skipped")
        assert "nan.parquet: set 1 unusable value to null (tokens_completion: 1)" in (
            toast.render().plain
        )


async def test_export_notification_shows_the_path_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "[@click=app.quit]data"
    (data / "results").mkdir(parents=True)
    monkeypatch.setenv("TOKENSCOPE_DATA_DIR", str(data))
    app = TokenscopeApp(poll_seconds=0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_painted(app, pilot, "leaderboard")
        app.action_export("csv")
        toast = None
        for _ in range(200):
            await pilot.pause(0.05)
            found = [t for t in app.screen.query(Toast) if "Exported" in t._notification.title]
            if found:
                toast = found[0]
                break
        assert toast is not None
        assert "[@click=app.quit]data" in toast.render().plain
        (exported,) = (data / "exports").iterdir()
        assert oct(exported.stat().st_mode & 0o777) == "0o600"
        assert oct((data / "exports").stat().st_mode & 0o777) == "0o700"


PANICS = Path(__file__).parent / "fixtures" / "parquet" / "polars-panics.parquet"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux for a real terminal")
def test_a_polars_panic_is_never_painted_over_the_app(results: Path, tmp_path: Path) -> None:
    """Issue 13, defect 7: Polars panics on this file; its message must not reach the screen."""
    shutil.copy(PANICS, results / "panics.parquet")
    socket = f"tokenscope-test-{os.getpid()}"  # a private tmux server, ended below
    env = {
        **{k: os.environ[k] for k in ("TOKENSCOPE_DATA_DIR", "TOKENSCOPE_CONFIG")},
        "TOKENSCOPE_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "RUST_BACKTRACE": "1",
    }
    command = " ".join(
        ["env", *(f"{k}={v}" for k, v in env.items()), sys.executable, "-m", "tokenscope.cli"]
    )

    def tmux(*args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=30
        ).stdout

    tmux("new-session", "-d", "-s", "app", "-x", "120", "-y", "30", command)
    try:
        screen = ""
        deadline = time.monotonic() + 120
        while "panics.parquet" not in screen and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the terminal for the notice to appear
            screen = tmux("capture-pane", "-p", "-t", "app")
        assert "panics.parquet" in screen, screen
        assert "panicked" not in screen and "rust_begin_unwind" not in screen, screen
        assert "Some result files were skipped" in screen
    finally:
        tmux("kill-server")
    assert "panicked" in (tmp_path / "cache" / "native-stderr.log").read_text()

"""The headless core never imports Textual, and the wheel carries its data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_core_does_not_import_textual():
    code = (
        "import sys, tokenscope.data.loader, tokenscope.data.leaderboard, tokenscope.data.metrics,"
        " tokenscope.data.store, tokenscope.data.export, tokenscope.cli;"
        "tokenscope.cli.build_parser();"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('textual', 'rich'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json;" + code], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == []


@pytest.mark.slow  # builds and installs a wheel
def test_wheel_carries_bundled_results_and_themes(tmp_path, monkeypatch):
    # The project's own build backend, called as pip would call it (PEP 517), in this
    # process: pip's isolated build environment alone cost seconds a run.
    from hatchling.build import build_wheel

    monkeypatch.chdir(ROOT)
    wheel = tmp_path / "wheel" / build_wheel(str(tmp_path / "wheel"))
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    assert (target / "tokenscope" / "bundled_results" / "runs.parquet").is_file()
    assert (target / "tokenscope" / "themes").is_dir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "TOKENSCOPE_DATA_DIR": str(tmp_path / "d")}
    probe = subprocess.run(
        [sys.executable, "-c", "import tokenscope; print(tokenscope.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.startswith(str(target))
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tokenscope.cli import main; raise SystemExit(main())",
            "leaderboard",
            "--format",
            "json",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == 38

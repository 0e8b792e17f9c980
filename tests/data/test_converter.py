"""scripts/build_bundled_results.py is deterministic and the committed files are current.

Both editions come out of one build: the base files (the August archive) and
the ``_update`` files (upstream's newer runs and prices).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl

from .conftest import _load_build_script
from .test_editions import raw_update

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_bundled_results.py"
FILES = ("runs", "runs_update", "prompts", "models", "prices", "prices_update")


def _script(*args: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True
    )


def test_rebuilding_gives_identical_files(tmp_path, raw_study, monkeypatch):
    converter = _load_build_script()
    # zstd level 1, not the shipped 19: the same rows, bytes that must still repeat, and
    # seconds instead of a minute. The committed files are compared by content below.
    monkeypatch.setitem(converter.PARQUET_OPTIONS, "compression_level", 1)
    update = raw_update(raw_study)
    converter.build(raw_study, update, tmp_path / "one")
    converter.build(raw_study, update, tmp_path / "two")
    for name in FILES:
        one = (tmp_path / "one" / f"{name}.parquet").read_bytes()
        two = (tmp_path / "two" / f"{name}.parquet").read_bytes()
        assert one == two, name
        committed = pl.read_parquet(ROOT / "bundled_results" / f"{name}.parquet")
        assert pl.read_parquet(tmp_path / "one" / f"{name}.parquet").equals(committed), name


def test_bad_source_is_one_line(tmp_path):
    proc = _script("--source", tmp_path, "--out", tmp_path / "o")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_missing_update_folder_is_one_line(tmp_path, raw_study):
    proc = _script("--source", raw_study, "--update", tmp_path, "--out", tmp_path / "o")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "newer files" in proc.stderr


def test_a_file_that_differs_from_the_manifest_stops_the_build(tmp_path, raw_study):
    """The credits in bundled_results/README.md name upstream commits: the input must be them."""
    original = raw_update(raw_study)
    update = tmp_path / "update"
    for path in original.rglob("*"):
        if path.is_file():  # copied without the archive's read-only modes
            target = update / path.relative_to(original)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    with (update / "model_prices.csv").open("a") as fh:
        fh.write("made-up,1,0,0,0,0,0,0,0,0,0\n")
    out = tmp_path / "out"
    proc = _script("--source", raw_study, "--update", update, "--out", out)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "MANIFEST" in proc.stderr
    assert not out.exists()

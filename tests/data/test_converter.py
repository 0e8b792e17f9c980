"""scripts/build_bundled_results.py is deterministic and the committed files are current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl

from .conftest import _load_build_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_bundled_results.py"
FILES = ("runs", "prompts", "models", "prices")


def test_rebuilding_gives_identical_files(tmp_path, raw_study, monkeypatch):
    converter = _load_build_script()
    # zstd level 1, not the shipped 19: the same rows, bytes that must still repeat, and
    # seconds instead of a minute. The committed files are compared by content below.
    monkeypatch.setitem(converter.PARQUET_OPTIONS, "compression_level", 1)
    converter.build(raw_study, tmp_path / "one")
    converter.build(raw_study, tmp_path / "two")
    for name in FILES:
        one = (tmp_path / "one" / f"{name}.parquet").read_bytes()
        two = (tmp_path / "two" / f"{name}.parquet").read_bytes()
        assert one == two, name
        committed = pl.read_parquet(ROOT / "bundled_results" / f"{name}.parquet")
        assert pl.read_parquet(tmp_path / "one" / f"{name}.parquet").equals(committed), name


def test_bad_source_is_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--source", str(tmp_path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr

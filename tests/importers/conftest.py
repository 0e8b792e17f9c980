"""Fixtures for the importers: the real tools' files in tests/fixtures/import/."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from tokenscope.data.schema import RUN_COLUMNS, RUN_SCHEMA, Column
from tokenscope.importers import ORIGIN_DOC

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


@pytest.fixture(autouse=True)
def origin_column(monkeypatch):
    """The run schema's ``origin`` column, until data/schema.py declares it itself."""
    if "origin" not in RUN_COLUMNS:
        monkeypatch.setitem(RUN_COLUMNS, "origin", Column(pl.String(), ORIGIN_DOC))
        monkeypatch.setitem(RUN_SCHEMA, "origin", pl.String())


@pytest.fixture
def results_dir(isolated_user_dirs) -> Path:
    return isolated_user_dirs / "results"


@pytest.fixture
def fixture_copy(tmp_path):
    """Copy a fixture under another name (formats are told from content, not names)."""

    def copy(name: str, as_name: str | None = None) -> Path:
        target = tmp_path / "inbox" / (as_name or name)
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(FIXTURES / name, target)
        return target

    return copy

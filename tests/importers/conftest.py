"""Fixtures for the importers: the real tools' files in tests/fixtures/import/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


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

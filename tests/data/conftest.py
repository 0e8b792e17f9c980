from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_build_script():
    spec = importlib.util.spec_from_file_location(
        "build_bundled_results", ROOT / "scripts" / "build_bundled_results.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def raw_study() -> Path:
    """The study's raw files (the converter's input); skips where they are absent."""
    found = _load_build_script().find_raw_study()
    if found is None:
        pytest.skip("the study's raw files are not on this machine (set TOKENSCOPE_STUDY_RAW)")
    return found


@pytest.fixture
def data_dir(isolated_user_dirs):
    """The test's own user data dir (set up for every test by tests/conftest.py)."""
    return isolated_user_dirs

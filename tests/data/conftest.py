from __future__ import annotations

import pytest


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An isolated user data dir with an empty results folder."""
    root = tmp_path / "data"
    (root / "results").mkdir(parents=True)
    monkeypatch.setenv("TOKENSCOPE_DATA_DIR", str(root))
    monkeypatch.setenv("TOKENSCOPE_CONFIG", str(tmp_path / "config" / "config.toml"))
    return root

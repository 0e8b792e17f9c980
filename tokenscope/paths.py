"""Every directory tokenscope reads or writes, resolved lazily in one place.

Each can be overridden by an environment variable so tests and users never
touch a real home directory by accident.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "tokenscope"
PACKAGE_DIR = Path(__file__).resolve().parent


def _packaged_or_source(name: str) -> Path:
    # In a wheel the folder sits inside the package; in a source checkout it
    # sits at the top level beside the package.
    inside = PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / name


def _override(variable: str) -> Path | None:
    """The path an environment variable names, if it names one."""
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else None


def bundled_dir() -> Path:
    """The study converted to Parquet, shipped with the package."""
    return _override("TOKENSCOPE_BUNDLED_DIR") or _packaged_or_source("bundled_results")


def builtin_themes_dir() -> Path:
    return _packaged_or_source("themes")


def data_dir() -> Path:
    """Where the user's own results live (``TOKENSCOPE_DATA_DIR`` overrides)."""
    return _override("TOKENSCOPE_DATA_DIR") or Path(
        platformdirs.user_data_dir(APP_NAME, appauthor=False)
    )


def results_dir() -> Path:
    """Result files (JSONL, CSV, Parquet) that the loader picks up."""
    return data_dir() / "results"


def config_file() -> Path:
    """The user's TOML config (``TOKENSCOPE_CONFIG`` overrides the path)."""
    return _override("TOKENSCOPE_CONFIG") or config_dir() / "config.toml"


def config_dir() -> Path:
    override = _override("TOKENSCOPE_CONFIG")
    if override:
        return override.parent
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def cache_dir() -> Path:
    """Rebuildable files such as the local model (``TOKENSCOPE_CACHE_DIR`` overrides)."""
    return _override("TOKENSCOPE_CACHE_DIR") or Path(
        platformdirs.user_cache_dir(APP_NAME, appauthor=False)
    )

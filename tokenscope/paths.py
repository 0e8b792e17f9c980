"""Every directory tokenscope reads or writes, resolved lazily in one place.

Each can be overridden by an environment variable so tests and users never
touch a real home directory by accident.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

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


def private_dir(directory: Path) -> Path:
    """Create ``directory`` and its missing parents, each readable by its owner only (0700).

    Directories that already exist are left as the user made them.
    """
    missing = []
    current = directory
    while not current.exists() and current.parent != current:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            pass
    return directory


def write_private(path: Path, data: bytes | Callable[[BinaryIO], None]) -> Path:
    """Write ``path`` atomically (temporary file, then rename) with mode 0600.

    ``data`` is the bytes, or a function writing them to the open file. A
    reader sees the old file or the new one, never half of one.
    """
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)  # a leftover from a crash keeps its old mode: start afresh
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                data(handle)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path

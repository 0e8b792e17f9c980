"""The app's small remembered state (the theme), in ``tui-state.toml`` in the config dir.

The user's ``config.toml`` belongs to the settings module; this file is the
app's own, so writing it never rewrites a file the user edits by hand.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from tokenscope import paths

STATE_FILE = "tui-state.toml"


def state_path() -> Path:
    return paths.config_dir() / STATE_FILE


def load_state() -> dict[str, str]:
    try:
        data = tomllib.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


def save_state(state: dict[str, str]) -> None:
    """Atomic write; a failure (read-only home) is not worth interrupting the user."""
    path = state_path()
    # A JSON string is a valid TOML basic string for the values we store.
    text = "".join(f"{key} = {json.dumps(value)}\n" for key, value in sorted(state.items()))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass

"""Themes are data: TOML files in ``themes/`` and the user's themes dir become Textual themes.

A file that cannot be read or validated is skipped and named in one message;
the app then falls back to the default theme, never crashes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from tokenscope import paths
from tokenscope.errors import UserError

PREFIX = "tokenscope-"
DEFAULT_THEME = "tokenscope-dark"
COLOUR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "warning",
    "error",
    "success",
)
OTHER_FIELDS = ("dark", "luminosity_spread", "text_alpha", "variables", "name")


class ThemeError(UserError):
    """A theme file is unusable; the message is one short line."""


@dataclass
class LoadedThemes:
    themes: dict[str, Theme] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def theme_from_mapping(data: dict, fallback_name: str) -> Theme:
    """Validate one theme's fields and build the Theme; raises ThemeError."""
    unknown = set(data) - set(COLOUR_FIELDS) - set(OTHER_FIELDS)
    if unknown:
        raise ThemeError(f"unknown key '{sorted(unknown)[0]}'")
    if "primary" not in data:
        raise ThemeError("no 'primary' colour")
    name = str(data.get("name") or fallback_name)
    # Prefixing keeps a user's "nord" from shadowing Textual's own "nord".
    if not name.startswith(PREFIX):
        name = PREFIX + name
    kwargs: dict = {"name": name}
    for key in COLOUR_FIELDS:
        if key in data:
            value = data[key]
            try:
                Color.parse(value)
            except (ColorParseError, TypeError, ValueError):
                raise ThemeError(f"'{key}' is not a colour: {value!r}") from None
            kwargs[key] = value
    if "dark" in data:
        if not isinstance(data["dark"], bool):
            raise ThemeError("'dark' must be true or false")
        kwargs["dark"] = data["dark"]
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            if not isinstance(data[key], (int, float)):
                raise ThemeError(f"'{key}' must be a number")
            kwargs[key] = float(data[key])
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeError("'variables' must be a table")
    kwargs["variables"] = {str(k): str(v) for k, v in variables.items()}
    return Theme(**kwargs)


def load_theme_file(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeError(f"cannot read ({exc.__class__.__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"not valid TOML ({exc})") from None
    return theme_from_mapping(data, path.stem)


def theme_dirs() -> list[Path]:
    # User themes come last so one may deliberately replace a built-in.
    return [paths.builtin_themes_dir(), paths.user_themes_dir()]


def load_themes(dirs: list[Path] | None = None) -> LoadedThemes:
    loaded = LoadedThemes()
    for directory in dirs if dirs is not None else theme_dirs():
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ThemeError as exc:
                loaded.errors.append(f"{path.name}: {exc}")
                continue
            loaded.themes[theme.name] = theme
    return loaded

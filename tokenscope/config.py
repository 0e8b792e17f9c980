"""One typed settings object, read from the user's TOML file.

The file lives at ``paths.config_file()`` (``TOKENSCOPE_CONFIG`` overrides).
API keys never go in it: an endpoint names the environment variable that holds
its key. A file the tool creates is readable by its owner only (0600).

    [probe]
    default_endpoint = "openrouter"
    connect_timeout = 10     # seconds
    read_timeout = 120       # seconds without a byte between chunks
    idle_timeout = 300       # seconds without a token (keep-alive pings do not count)
    max_text_mb = 16         # cut a run whose text passes this (a server ignoring max_tokens)
    max_retries = 3          # on 429/503, honouring Retry-After
    max_retry_wait = 60

    [endpoints.mybox]
    base_url = "http://192.168.1.5:8080/v1"
    api = "openai"           # openai | anthropic | ollama
    api_key_env = "MYBOX_KEY"
    implied_think = true     # the template pre-fills <think>
    models = ["qwen3-32b"]

    [models.qwen]            # a short name for --model
    endpoint = "mybox"
    model = "qwen3-32b"

    [prices."qwen3-32b"]
    completion = 0.6         # $ per million completion tokens
    # or completion_min / completion_max for a range; prompt = 0.1 optional

    [[lineages]]             # versions to follow in `tokenscope trends`, oldest first
    name = "My Qwen"         # the name of a bundled lineage replaces it
    models = ["qwen3-32b", { model = "qwen3.5-32b", released = 2026-01-15 }]
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tokenscope import paths
from tokenscope.errors import UserError
from tokenscope.lineages import Lineage, LineageError, parse_lineages
from tokenscope.probe.endpoints import APIS, EFFORT_STYLES, Endpoint


class ConfigError(UserError):
    """The config file cannot be used; the message is one line naming file and key."""


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens."""

    completion_min: float
    completion_max: float
    prompt: float | None = None

    @property
    def completion(self) -> float:
        """The mid-point of the completion price range."""
        return (self.completion_min + self.completion_max) / 2


@dataclass(frozen=True)
class ModelAlias:
    name: str
    endpoint: str | None
    model: str
    implied_think: bool | None = None
    effort: str | None = None


@dataclass(frozen=True)
class Settings:
    path: Path | None = None
    default_endpoint: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    idle_timeout: float = 300.0
    max_duration: float = 3600.0
    max_text_mb: float = 16.0  # million characters of reasoning + answer, then the run is cut
    max_retries: int = 3
    max_retry_wait: float = 60.0
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    models: dict[str, ModelAlias] = field(default_factory=dict)
    prices: dict[str, Price] = field(default_factory=dict)
    lineages: tuple[Lineage, ...] = ()


_NUMBERS = {
    "connect_timeout",
    "read_timeout",
    "idle_timeout",
    "max_duration",
    "max_retry_wait",
    "max_text_mb",
}
_SECTIONS = {"endpoints", "models", "prices", "lineages"}
_PROBE_KEYS = {f.name for f in fields(Settings)} - {"path", *_SECTIONS}
_ENDPOINT_KEYS = {
    "base_url",
    "api",
    "api_key_env",
    "key_required",
    "effort_style",
    "max_tokens_field",
    "implied_think",
    "models",
}


def _where(path: Path, key: str) -> str:
    return f"{path}: {key}"


def _number(value: Any, path: Path, key: str, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{_where(path, key)} must be a number")
    if positive and value <= 0:
        raise ConfigError(f"{_where(path, key)} must be greater than 0")
    return float(value)


def _string(value: Any, path: Path, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{_where(path, key)} must be a non-empty string")
    return value.strip()


def _table(value: Any, path: Path, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{_where(path, key)} must be a table")
    return value


def _optional_bool(value: Any, path: Path, key: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ConfigError(f"{_where(path, key)} must be true or false")


def _parse_probe(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _PROBE_KEYS:
            raise ConfigError(f"{_where(path, 'probe.' + key)} is not a setting")
        if key == "default_endpoint":
            out[key] = _string(value, path, "probe." + key)
        elif key == "max_retries":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
                raise ConfigError(f"{_where(path, 'probe.max_retries')} must be 0-10")
            out[key] = value
        elif key in _NUMBERS:
            out[key] = _number(value, path, "probe." + key)
    return out


def _parse_endpoint(name: str, raw: dict[str, Any], path: Path) -> Endpoint:
    key = f"endpoints.{name}"
    unknown = set(raw) - _ENDPOINT_KEYS
    if unknown:
        bad = min(unknown)
        hint = (
            " (put the key in an environment variable and name it in api_key_env)"
            if "key" in bad
            else ""
        )
        raise ConfigError(f"{_where(path, key + '.' + bad)} is not an endpoint setting{hint}")
    base_url = _string(raw.get("base_url"), path, key + ".base_url")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"{_where(path, key + '.base_url')} must start with http:// or https://")
    api = raw.get("api", "openai")
    if api not in APIS:
        raise ConfigError(f"{_where(path, key + '.api')} must be one of {', '.join(APIS)}")
    default_style = {"anthropic": "anthropic", "ollama": "ollama"}.get(api, "reasoning_effort")
    style = raw.get("effort_style", default_style)
    if style not in EFFORT_STYLES:
        raise ConfigError(
            f"{_where(path, key + '.effort_style')} must be one of {', '.join(EFFORT_STYLES)}"
        )
    env = raw.get("api_key_env")
    if env is not None:
        env = _string(env, path, key + ".api_key_env")
    models = raw.get("models", [])
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise ConfigError(f"{_where(path, key + '.models')} must be a list of strings")
    mt_field = raw.get("max_tokens_field", "max_tokens")
    if mt_field not in ("max_tokens", "max_completion_tokens"):
        raise ConfigError(
            f"{_where(path, key + '.max_tokens_field')} must be max_tokens or max_completion_tokens"
        )
    key_required = _optional_bool(raw.get("key_required"), path, key + ".key_required")
    return Endpoint(
        name=name,
        base_url=base_url.rstrip("/"),
        api=api,
        api_key_env=env,
        key_required=bool(env) if key_required is None else key_required,
        effort_style=style,
        max_tokens_field=mt_field,
        implied_think=_optional_bool(raw.get("implied_think"), path, key + ".implied_think"),
        models=tuple(models),
    )


def _parse_model(name: str, raw: dict[str, Any], path: Path) -> ModelAlias:
    key = f"models.{name}"
    endpoint = raw.get("endpoint")
    if endpoint is not None:
        endpoint = _string(endpoint, path, key + ".endpoint")
    effort = raw.get("effort")
    if effort is not None and effort not in ("low", "medium", "high"):
        raise ConfigError(f"{_where(path, key + '.effort')} must be low, medium or high")
    return ModelAlias(
        name=name,
        endpoint=endpoint,
        model=_string(raw.get("model", name), path, key + ".model"),
        implied_think=_optional_bool(raw.get("implied_think"), path, key + ".implied_think"),
        effort=effort,
    )


def _parse_price(model: str, raw: dict[str, Any], path: Path) -> Price:
    key = f'prices."{model}"'
    single = raw.get("completion")
    lo = raw.get("completion_min", single)
    hi = raw.get("completion_max", single)
    if lo is None and hi is None:
        raise ConfigError(f"{_where(path, key)} needs completion (or completion_min/_max)")
    lo = _number(lo if lo is not None else hi, path, key + ".completion_min", positive=False)
    hi = _number(hi if hi is not None else lo, path, key + ".completion_max", positive=False)
    if lo < 0 or hi < lo:
        raise ConfigError(f"{_where(path, key)}: need 0 <= completion_min <= completion_max")
    prompt = raw.get("prompt")
    if prompt is not None:
        prompt = _number(prompt, path, key + ".prompt", positive=False)
    return Price(lo, hi, prompt)


def load_settings(path: Path | None = None) -> Settings:
    """Settings from the config file; defaults when it does not exist."""
    path = path or paths.config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings(path=path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.__class__.__name__})") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    unknown = set(raw) - {"probe", *_SECTIONS}
    if unknown:
        raise ConfigError(f"{path}: unknown section [{min(unknown)}]")
    probe = _parse_probe(_table(raw.get("probe", {}), path, "probe"), path)
    endpoints = {
        name: _parse_endpoint(name, _table(value, path, f"endpoints.{name}"), path)
        for name, value in _table(raw.get("endpoints", {}), path, "endpoints").items()
    }
    models = {
        name: _parse_model(name, _table(value, path, f"models.{name}"), path)
        for name, value in _table(raw.get("models", {}), path, "models").items()
    }
    prices = {
        name: _parse_price(name, _table(value, path, f"prices.{name}"), path)
        for name, value in _table(raw.get("prices", {}), path, "prices").items()
    }
    try:
        lineages = parse_lineages(raw.get("lineages", []), path)
    except LineageError as exc:
        raise ConfigError(str(exc)) from exc
    return Settings(
        path=path,
        endpoints=endpoints,
        models=models,
        prices=prices,
        lineages=lineages,
        **probe,
    )


TEMPLATE = __doc__.split("\n\n", 2)[2] if __doc__ else ""


def write_template(path: Path | None = None) -> Path:
    """Create a commented config file, owner-only, without overwriting one."""
    path = path or paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = "# tokenscope settings. Never put API keys here: name their environment variables.\n"
    body += "\n".join(
        ("# " + line[4:] if line.startswith("    ") else "#" + (" " + line if line else ""))
        for line in TEMPLATE.splitlines()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body.rstrip() + "\n")
    os.chmod(path, 0o600)  # the umask may have narrowed it further; never wider
    return path


def user_prices(settings: Settings | None = None) -> dict[str, tuple[float, float]]:
    """model -> (completion_price_min, completion_price_max), $ per million tokens."""
    settings = settings or load_settings()
    return {m: (p.completion_min, p.completion_max) for m, p in settings.prices.items()}


def user_price_frame(settings: Settings | None = None):
    """The user's prices as a Polars frame for the leaderboard (model, completion_price_min/max)."""
    import polars as pl

    prices = user_prices(settings)
    return pl.DataFrame(
        {
            "model": list(prices),
            "completion_price_min": [lo for lo, _ in prices.values()],
            "completion_price_max": [hi for _, hi in prices.values()],
        },
        schema={
            "model": pl.String,
            "completion_price_min": pl.Float64,
            "completion_price_max": pl.Float64,
        },
    )

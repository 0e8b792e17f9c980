"""Where a model is served: built-in presets, the user's own endpoints, ad hoc URLs.

An endpoint names the environment variable that holds its key, never the key.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol
from urllib.parse import unquote, urlsplit

from tokenscope.errors import UserError

APIS = ("openai", "anthropic", "ollama")
# How an endpoint is asked for more or less thinking.
EFFORT_STYLES = ("reasoning_effort", "openrouter", "anthropic", "ollama", "none")
EFFORTS = ("low", "medium", "high")
# The built-in model's endpoint: tokenscope starts its server on a free loopback port.
LOCAL = "local"


class EndpointError(UserError):
    """The user named an endpoint or model that cannot be used; one line."""


# "scheme://user:password@": the user info, up to the netloc's last '@'.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#]*@")


def strip_userinfo(url: str) -> str:
    """The URL without ``user:password@``: safe to show, store or put in a request line."""
    return _USERINFO.sub(r"\1", url)


def url_credentials(url: str) -> tuple[str, str] | None:
    """(user, password) from a URL's user info, percent-decoded; None when it has none."""
    match = _USERINFO.match(url)
    if match is None:
        return None
    userinfo = match.group(0)[len(match.group(1)) : -1]
    user, _, password = userinfo.partition(":")
    return unquote(user), unquote(password)


@dataclass(frozen=True)
class Endpoint:
    name: str
    base_url: str
    api: str = "openai"
    api_key_env: str | None = None
    key_required: bool = False
    effort_style: str = "reasoning_effort"
    max_tokens_field: str = "max_tokens"
    # None: detect a template-prefilled <think> from a later </think>.
    implied_think: bool | None = None
    models: tuple[str, ...] = field(default=())
    local: bool = False
    # The built-in model: its base URL is bound to the server when it starts.
    builtin: bool = False

    @property
    def identity(self) -> str:
        """What a stored run names as its endpoint, and what resume is keyed on: the host
        (a configured or typed port stays the same), but for the built-in server its name,
        since that server gets a new port at every launch."""
        return self.name if self.builtin else self.host

    @property
    def self_hosted(self) -> bool:
        """A server on this machine or the local network: one slot, slow tokens, likely."""
        if self.local or self.builtin:
            return True
        try:
            hostname = urlsplit(self.base_url).hostname or ""
        except ValueError:
            return False
        if hostname == "localhost" or hostname.endswith((".localhost", ".local")):
            return True
        try:
            address = ipaddress.ip_address(hostname)
        except ValueError:
            return False
        return address.is_loopback or address.is_private or address.is_link_local

    @property
    def where(self) -> str:
        """Where it is served, as ``tokenscope config`` lists it (never user info)."""
        if self.builtin:
            from tokenscope.probe import local_model

            where = f"built-in {local_model.MODEL_NAME}, on a free loopback port"
            if not local_model.available():
                where += f"; not installed: {local_model.INSTALL_HINT}"
            return where
        return self.public_url

    @property
    def host(self) -> str:
        """host[:port] only: user info in a URL may hold credentials."""
        try:
            parts = urlsplit(self.base_url)
            host, port = parts.hostname, parts.port
        except ValueError:  # a port out of range or a broken IPv6 literal
            host, port = None, None
        if host:
            return f"{host}:{port}" if port else host
        after_scheme = strip_userinfo(self.base_url).partition("://")[2]
        return re.split(r"[/?#]", after_scheme, maxsplit=1)[0].lower() or "(no host)"

    @property
    def public_url(self) -> str:
        """The base URL as it may be shown: without user info."""
        return strip_userinfo(self.base_url)

    def secrets(self) -> tuple[str, ...]:
        """Every form of a credential this endpoint holds, for scrubbing messages.

        The API key, and the user info of the base URL as typed, percent-decoded
        and base64-encoded the way it travels in a ``Basic`` header.
        """
        found: list[str] = []
        key = self.api_key()
        if key:
            found.append(key)
        match = _USERINFO.match(self.base_url)
        if match is not None:
            raw = match.group(0)[len(match.group(1)) : -1]
            user, password = url_credentials(self.base_url) or ("", "")
            pair = f"{user}:{password}"
            found += [raw, pair, base64.b64encode(pair.encode()).decode("ascii")]
            found += [raw.partition(":")[2], password, user]
        # Longest first, so a pair goes before its parts; very short parts would
        # blank out ordinary words.
        return tuple(sorted({s for s in found if len(s) >= 4}, key=len, reverse=True))

    def api_key(self) -> str | None:
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env, "").strip()
        return value or None


class EndpointSettings(Protocol):
    """What endpoint lookup needs of ``tokenscope.config.Settings`` (which imports this
    module: naming the class here would make the two import each other)."""

    @property
    def default_endpoint(self) -> str | None: ...

    @property
    def endpoints(self) -> Mapping[str, Endpoint]: ...


PRESETS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint(
            "openai",
            "https://api.openai.com/v1",
            api_key_env="OPENAI_API_KEY",
            key_required=True,
            max_tokens_field="max_completion_tokens",
        ),
        Endpoint(
            "openrouter",
            "https://openrouter.ai/api/v1",
            api_key_env="OPENROUTER_API_KEY",
            key_required=True,
            effort_style="openrouter",
        ),
        Endpoint(
            "deepseek",
            "https://api.deepseek.com/v1",
            api_key_env="DEEPSEEK_API_KEY",
            key_required=True,
        ),
        Endpoint(
            "groq", "https://api.groq.com/openai/v1", api_key_env="GROQ_API_KEY", key_required=True
        ),
        Endpoint(
            "together",
            "https://api.together.xyz/v1",
            api_key_env="TOGETHER_API_KEY",
            key_required=True,
        ),
        Endpoint(
            "fireworks",
            "https://api.fireworks.ai/inference/v1",
            api_key_env="FIREWORKS_API_KEY",
            key_required=True,
        ),
        Endpoint("xai", "https://api.x.ai/v1", api_key_env="XAI_API_KEY", key_required=True),
        Endpoint(
            "anthropic",
            "https://api.anthropic.com/v1",
            api="anthropic",
            api_key_env="ANTHROPIC_API_KEY",
            key_required=True,
            effort_style="anthropic",
        ),
        Endpoint(
            "ollama", "http://127.0.0.1:11434", api="ollama", effort_style="ollama", local=True
        ),
        Endpoint("ollama-v1", "http://127.0.0.1:11434/v1", local=True),
        Endpoint("llama.cpp", "http://127.0.0.1:8080/v1", local=True),
        Endpoint("vllm", "http://127.0.0.1:8000/v1", local=True),
        Endpoint("lmstudio", "http://127.0.0.1:1234/v1", local=True),
        # Port 0 until the server starts: nothing can reach it by accident.
        Endpoint(LOCAL, "http://127.0.0.1:0/v1", local=True, builtin=True),
    )
}


@dataclass(frozen=True)
class Defaults:
    """What an endpoint gets when the user does not say (a flag always wins)."""

    concurrency: int  # a suite's requests in flight
    ask_max_tokens: int | None  # None: the provider's own limit
    suite_max_tokens: int


# The built-in model is small and slow on a CPU: a short answer unless asked otherwise.
BUILTIN_MAX_TOKENS = 256
# A server on this machine usually has one slot and a CPU's or one GPU's speed: requests
# in parallel only queue there (and time out idle), and a long answer takes minutes.
SELF_HOSTED_MAX_TOKENS = 4096
# A provider serves requests in parallel; the study gave every model this budget.
CLOUD_CONCURRENCY = 4
STUDY_MAX_TOKENS = 30_000


def defaults(endpoint: Endpoint) -> Defaults:
    if endpoint.builtin:
        return Defaults(1, BUILTIN_MAX_TOKENS, BUILTIN_MAX_TOKENS)
    if endpoint.self_hosted:
        return Defaults(1, SELF_HOSTED_MAX_TOKENS, SELF_HOSTED_MAX_TOKENS)
    return Defaults(CLOUD_CONCURRENCY, None, STUDY_MAX_TOKENS)


def _preset_for_host(base_url: str) -> Endpoint | None:
    parts = urlsplit(base_url)
    for preset in PRESETS.values():
        if preset.local:
            continue
        if urlsplit(preset.base_url).hostname == parts.hostname:
            return preset
    return None


def ad_hoc(base_url: str, api_key_env: str | None = None, api: str | None = None) -> Endpoint:
    """An endpoint from ``--base-url``: a known cloud host keeps its preset's habits."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"not an http(s) URL: {strip_userinfo(base_url)!r}")
    preset = _preset_for_host(base_url)
    if preset is not None:
        endpoint = replace(preset, name=parts.hostname, base_url=base_url.rstrip("/"))
    else:
        guess = (
            "ollama"
            if parts.port == 11434 and not parts.path.rstrip("/").endswith("/v1")
            else "openai"
        )
        endpoint = Endpoint(
            parts.hostname,
            base_url.rstrip("/"),
            api=guess,
            effort_style="ollama" if guess == "ollama" else "reasoning_effort",
        )
    if api_key_env:
        endpoint = replace(endpoint, api_key_env=api_key_env, key_required=True)
    if api:
        endpoint = with_api(endpoint, api)
    return endpoint


def with_api(endpoint: Endpoint, api: str) -> Endpoint:
    if api not in APIS:
        raise EndpointError(f"unknown API '{api}' (choose {', '.join(APIS)})")
    style = {"anthropic": "anthropic", "ollama": "ollama"}.get(api, endpoint.effort_style)
    if api == "openai" and style in ("anthropic", "ollama"):
        style = "reasoning_effort"
    return replace(endpoint, api=api, effort_style=style)


def all_endpoints(settings: EndpointSettings | None = None) -> dict[str, Endpoint]:
    """Presets overlaid with the user's endpoints (a user entry wins on a name clash)."""
    merged = dict(PRESETS)
    if settings is not None:
        merged.update(settings.endpoints)
    return merged


def resolve(
    settings: EndpointSettings | None = None,
    name: str | None = None,
    base_url: str | None = None,
    api_key_env: str | None = None,
    api: str | None = None,
) -> Endpoint:
    """The endpoint for ``--endpoint NAME`` or ``--base-url URL``, else the configured default."""
    if name and base_url:
        raise EndpointError("give --endpoint or --base-url, not both")
    if base_url:
        return ad_hoc(base_url, api_key_env, api)
    if not name and settings is not None:
        name = settings.default_endpoint
    if not name:
        raise EndpointError(
            "no endpoint: pass --endpoint NAME or --base-url URL "
            "(or set default_endpoint in the config file)"
        )
    known = all_endpoints(settings)
    if name not in known:
        raise EndpointError(f"unknown endpoint '{name}' (known: {', '.join(sorted(known))})")
    endpoint = known[name]
    if api_key_env:
        endpoint = replace(endpoint, api_key_env=api_key_env, key_required=True)
    if api:
        endpoint = with_api(endpoint, api)
    return endpoint


def missing_key_message(endpoint: Endpoint) -> str | None:
    """One line when a required key variable is unset; None when all is well."""
    if endpoint.key_required and endpoint.api_key() is None:
        return f"{endpoint.api_key_env} is not set (endpoint '{endpoint.name}' needs an API key)"
    return None

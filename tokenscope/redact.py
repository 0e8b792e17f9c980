"""Keep credentials out of anything tokenscope writes down.

A server may echo the request back: an API key in the answer, the reasoning
or an error body, or the ``Basic`` credential httpx builds from a
``https://user:key@host`` URL. Before a run is stored, every string in it
passes through a ``Redactor`` that replaces with ``***``:

- the value of every API-key environment variable tokenscope reads (each
  endpoint's ``api_key_env``, built in or configured), and of any variable
  named like a key (``*_API_KEY``, ``*_KEY``, ``*_TOKEN``, ``*_SECRET``), since
  ``--api-key-env`` may name one no endpoint knows; values shorter than
  ``MIN_SECRET`` characters are left alone, as they would match ordinary text;
- the user and password of any ``scheme://user:password@host`` URL, and the
  password and its ``Basic`` form for the URLs of known endpoints;
- an echoed Authorization header's credential: after ``Basic``, base64 that
  decodes to ``user:password``; after ``Bearer``, a token of 16 or more
  characters with a digit in it (so prose such as "Basic authentication" stays).

No Polars and no Textual here: the probe may use it too.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from tokenscope.probe.endpoints import PRESETS, Endpoint

REDACTED = "***"
MIN_SECRET = 8
KEY_NAME = re.compile(r"(?:API_?KEY|_KEY|_TOKEN|_SECRET)$", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^\s/?#@\[\]]+@", re.IGNORECASE)
_AUTH_CREDENTIAL = re.compile(
    r"\b(?P<kind>[Bb]asic|[Bb]earer)(?P<gap>\s+)(?P<token>[A-Za-z0-9+/=._~-]{8,})"
)


def key_variables(
    endpoints: Iterable[Endpoint] = (), environ: Mapping[str, str] | None = None
) -> set[str]:
    """Names of the environment variables that may hold a key."""
    env = os.environ if environ is None else environ
    names = {e.api_key_env for e in (*PRESETS.values(), *endpoints) if e.api_key_env}
    names |= {name for name in env if KEY_NAME.search(name)}
    return names


def _url_secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    if parts.password is None:
        return []
    user, password = unquote(parts.username or ""), unquote(parts.password)
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    return [password, basic]


def secret_values(
    endpoints: Iterable[Endpoint] = (), environ: Mapping[str, str] | None = None
) -> list[str]:
    """The values to hide."""
    env = os.environ if environ is None else environ
    endpoints = list(endpoints)
    found = {env.get(name, "").strip() for name in key_variables(endpoints, env)}
    for endpoint in (*PRESETS.values(), *endpoints):
        found.update(_url_secrets(endpoint.base_url))
    return sorted(s for s in found if len(s) >= MIN_SECRET)


class Redactor:
    """Replaces secrets in text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a key is never half-replaced by a shorter one inside it.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        # Substring tests first: most text holds none of these, and a regex scan costs more.
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if "@" in text and "://" in text:
            text = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
        if "asic" in text or "earer" in text:  # Basic, Bearer (as HTTP writes them) or lower
            text = _AUTH_CREDENTIAL.sub(_auth_credential, text)
        return text


def _is_credential(kind: str, token: str) -> bool:
    if kind.lower() == "bearer":
        return len(token) >= 16 and any(c.isdigit() for c in token)
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except ValueError:
        return False
    return ":" in decoded and decoded.isprintable()


def _auth_credential(match: re.Match[str]) -> str:
    if not _is_credential(match["kind"], match["token"]):
        return match.group()
    return f"{match['kind']}{match['gap']}{REDACTED}"


def redactor(endpoints: Iterable[Endpoint] = ()) -> Redactor:
    """A redactor for the keys in this process's environment and these endpoints' URLs."""
    return Redactor(secret_values(endpoints))

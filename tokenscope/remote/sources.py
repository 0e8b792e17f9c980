"""The ``[[sources]]`` tables of the config file: where a team keeps its runs.

    [[sources]]
    name = "team"                    # the runs' `source` in every table
    uri = "s3://bucket/tokenscope"   # or gs://, az://, hf://datasets/org/name/path, a folder
    storage_options = { aws_endpoint_url = "http://127.0.0.1:9000", aws_allow_http = "true" }

``storage_options`` go to Polars as they are (and to the object store client,
see ``stores``). Credentials never go in the file: they come from the
environment and the usual credential chains (``AWS_*`` and profiles,
``GOOGLE_APPLICATION_CREDENTIALS``, ``AZURE_*``, ``HF_TOKEN``). A key that names
a credential is refused with a hint, and any message that quotes options shows
``***`` for a value that looks secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tokenscope.errors import UserError
from tokenscope.redact import REDACTED, redactor

SCHEMES = ("s3", "gs", "az", "hf")
# Built-in filters: a source may not take their names.
RESERVED_NAMES = ("all", "bundled", "user")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
# Option names that carry a credential (any provider prefix): never in the config file.
_SECRET_KEY = re.compile(
    r"(secret|password|token|credential|access_key|account_key|sas|service_account_key|"
    r"private_key|client_secret|signature)",
    re.IGNORECASE,
)
# ... except these, which only say where a credential is or how to get one.
_NOT_SECRET = re.compile(
    r"(_endpoint|_url|_file|_uri|_path|_type|use_azure_cli|token_service_url|skip_signature)$",
    re.IGNORECASE,
)
_ENV_HINT = {
    "s3": "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or an AWS profile",
    "gs": "GOOGLE_APPLICATION_CREDENTIALS",
    "az": "AZURE_STORAGE_ACCOUNT_KEY or AZURE_CLIENT_SECRET",
    "hf": "HF_TOKEN",
    "file": "the file system's permissions",
}


class SourceError(UserError):
    """A source is badly configured, or cannot be used as asked; one line naming it."""


@dataclass(frozen=True)
class Source:
    """One place a team keeps runs: an object-store prefix or a local folder."""

    name: str
    uri: str
    storage_options: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def scheme(self) -> str:
        """'s3', 'gs', 'az', 'hf' or 'file' (a local folder)."""
        return scheme_of(self.uri)

    @property
    def local_path(self) -> Path:
        """The folder of a local source."""
        if self.scheme != "file":
            raise SourceError(f"source '{self.name}' is not a local folder")
        uri = self.uri.removeprefix("file://")
        return Path(uri).expanduser()

    def display(self) -> str:
        """The uri as a message may show it: no user or password, no control characters."""
        return describe_uri(self.uri)


def scheme_of(uri: str) -> str:
    scheme = urlsplit(uri).scheme.lower()
    if scheme in ("s3", "s3a"):
        return "s3"
    if scheme in ("gs", "gcs"):
        return "gs"
    if scheme in ("az", "abfs", "abfss", "adl", "azure"):
        return "az"
    if scheme == "hf":
        return "hf"
    return "file"


def describe_uri(uri: str) -> str:
    from tokenscope.text import one_line

    return one_line(redactor()(uri), 200)


def looks_secret(key: str) -> bool:
    return bool(_SECRET_KEY.search(key)) and not _NOT_SECRET.search(key)


def redact_options(options: dict[str, str]) -> dict[str, str]:
    """The options as a message may show them: secret-looking values are ``***``."""
    redact = redactor()
    return {k: (REDACTED if looks_secret(k) else redact(v)) for k, v in options.items()}


def safe_message(text: str, source: Source | None = None) -> str:
    """An error text from a store client, fit for one line: no credential, no control bytes.

    Client errors may echo their configuration; values of secret-looking options and of
    key variables in the environment become ``***``.
    """
    from tokenscope.text import one_line

    first = (text.strip().splitlines() or [""])[0]
    if source is not None:
        for key, value in source.storage_options.items():
            if looks_secret(key) and len(value) >= 4:
                first = first.replace(value, REDACTED)
    return one_line(redactor()(first), 300)


def _where(path: Path, index: int, key: str = "") -> str:
    return f"{path}: sources[{index}]{'.' + key if key else ''}"


def _option_value(value: Any, where: str) -> str:
    # object_store takes every option as text; TOML booleans and numbers are written for it.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise SourceError(f"{where} must be a string, number or boolean")


def _parse_source(raw: Any, path: Path, index: int) -> Source:
    if not isinstance(raw, dict):
        raise SourceError(f"{_where(path, index)} must be a table")
    unknown = set(raw) - {"name", "uri", "storage_options"}
    if unknown:
        raise SourceError(f"{_where(path, index, min(unknown))} is not a source setting")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise SourceError(
            f"{_where(path, index, 'name')} must be 1-40 letters, digits, '.', '_' or '-'"
        )
    if name.lower() in RESERVED_NAMES:
        raise SourceError(f"{_where(path, index, 'name')} '{name}' is taken by a built-in filter")
    uri = raw.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        raise SourceError(f"{_where(path, index, 'uri')} must be a non-empty string")
    uri = uri.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in uri):
        raise SourceError(f"{_where(path, index, 'uri')} holds a control character")
    try:
        urlsplit(uri)
    except ValueError as exc:  # e.g. an unclosed '[' read as an IPv6 host
        raise SourceError(f"{_where(path, index, 'uri')} is not a valid URI ({exc})") from exc
    scheme = scheme_of(uri)
    if "://" in uri and scheme == "file" and not uri.startswith("file://"):
        raise SourceError(
            f"{_where(path, index, 'uri')} must start with s3://, gs://, az://, hf:// "
            "or be a local folder"
        )
    if scheme == "hf" and not uri.startswith("hf://datasets/"):
        raise SourceError(f"{_where(path, index, 'uri')} must be hf://datasets/<org>/<name>/...")
    if scheme != "file" and not urlsplit(uri).netloc:
        raise SourceError(f"{_where(path, index, 'uri')} names no bucket")
    if scheme != "file" and urlsplit(uri).password is not None:
        raise SourceError(
            f"{_where(path, index, 'uri')} holds a password; use {_ENV_HINT[scheme]} instead"
        )
    options_raw = raw.get("storage_options", {})
    if not isinstance(options_raw, dict):
        raise SourceError(f"{_where(path, index, 'storage_options')} must be a table")
    options: dict[str, str] = {}
    for key, value in options_raw.items():
        where = _where(path, index, f"storage_options.{key}")
        if looks_secret(key):
            raise SourceError(
                f"{where} is a credential: never in the config file; "
                f"set {_ENV_HINT[scheme]} in the environment"
            )
        options[key] = _option_value(value, where)
    return Source(name=name, uri=uri, storage_options=options)


def parse_sources(raw: Any, path: Path) -> tuple[Source, ...]:
    """The ``[[sources]]`` array of tables; names are unique."""
    if not isinstance(raw, list):
        raise SourceError(f"{path}: sources must be an array of tables ([[sources]])")
    sources = tuple(_parse_source(item, path, i) for i, item in enumerate(raw))
    seen: set[str] = set()
    for source in sources:
        if source.name in seen:
            raise SourceError(f"{path}: two sources are named '{source.name}'")
        seen.add(source.name)
    return sources


def find_source(sources: tuple[Source, ...], name: str | None) -> Source:
    """The source called ``name``; the only one when ``name`` is None."""
    if not sources:
        raise SourceError("no sources configured; add a [[sources]] table to the config file")
    if name is None:
        if len(sources) > 1:
            names = ", ".join(s.name for s in sources)
            raise SourceError(f"several sources are configured; choose one ({names})")
        return sources[0]
    for source in sources:
        if source.name == name:
            return source
    names = ", ".join(s.name for s in sources)
    raise SourceError(f"unknown source '{name}' (configured: {names})")


def check_filter(value: str, sources: tuple[Source, ...]) -> str:
    """A ``--source`` value: all, bundled, user or a configured source's name."""
    if value in RESERVED_NAMES or any(s.name == value for s in sources):
        return value
    choices = ", ".join((*RESERVED_NAMES, *(s.name for s in sources)))
    raise SourceError(f"unknown source '{value}' (choose {choices})")

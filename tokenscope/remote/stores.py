"""The object store behind a source, and the options Polars gets to read it.

Listing, fetching and writing parts go through ``obstore`` (Python bindings to
the Rust ``object_store`` crate Polars itself reads with), so a source reached
by one reaches the other, with the same options and the same credential chain.
``hf://`` has no ``object_store`` backend: Polars reads it natively, and its
parts are listed and fetched through the Hub's HTTP API (read only).

Every failure is a ``SourceError`` of one line, with credentials redacted.
"""

from __future__ import annotations

import builtins
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlsplit

from tokenscope.remote.sources import Source, SourceError, safe_message

if TYPE_CHECKING:
    from obstore.store import ObjectStore

# object_store's client settings; Polars takes them with or without a provider prefix.
CLIENT_KEYS = frozenset(
    {
        "allow_http",
        "allow_invalid_certificates",
        "connect_timeout",
        "default_content_type",
        "http1_only",
        "http2_only",
        "pool_idle_timeout",
        "pool_max_idle_per_host",
        "proxy_url",
        "proxy_ca_certificate",
        "proxy_excludes",
        "randomize_addresses",
        "read_timeout",
        "timeout",
        "user_agent",
    }
)
# Options only Polars understands (its retry and cache settings, the Hub token).
POLARS_ONLY = frozenset(
    {
        "max_retries",
        "retry_timeout_ms",
        "retry_init_backoff_ms",
        "retry_max_backoff_ms",
        "retry_base_multiplier",
        "file_cache_ttl",
    }
)
_PREFIXES = ("aws_", "google_", "azure_")
# A source that is gone must be one line soon, not after minutes of retries.
CLIENT_DEFAULTS = {"connect_timeout": "5s", "timeout": "120s"}
RETRY = {
    "max_retries": 2,
    "retry_timeout": timedelta(seconds=15),
    "backoff": {
        "init_backoff": timedelta(milliseconds=100),
        "max_backoff": timedelta(seconds=2),
        "base": 2,
    },
}
HF_ENDPOINT = "https://huggingface.co"


@dataclass(frozen=True)
class ObjectInfo:
    key: str  # relative to the source's prefix
    size: int
    modified: datetime | None


class Store(Protocol):
    """What push, pull and read need of a place that holds parts."""

    unlisted: list[str]  # names met while listing that the client cannot read

    def list(self, prefix: str | None = None) -> list[ObjectInfo]: ...

    def get(self, key: str) -> bytes: ...

    def put_new(self, key: str, data: bytes) -> None:
        """Write ``key`` unless it exists: a reader sees all of it or nothing."""
        ...

    def uri(self, key: str) -> str:
        """The path Polars scans for ``key``."""
        ...


def split_options(options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Polars-style storage options as obstore's (config, client_options)."""
    config: dict[str, str] = {}
    client: dict[str, str] = dict(CLIENT_DEFAULTS)
    for key, value in options.items():
        bare = key.lower()
        for prefix in _PREFIXES:
            if bare.startswith(prefix) and bare[len(prefix) :] in CLIENT_KEYS:
                bare = bare[len(prefix) :]
        if bare in CLIENT_KEYS:
            client[bare] = value
        elif key not in POLARS_ONLY and key != "token":
            config[key] = value
    return config, client


_NO_ANSWER = ("error sending request", "connection refused", "dns error", "timed out")


# With no credentials in the environment the client asks the cloud's instance-metadata
# address, which off the cloud fails with a paragraph about that address.
_NO_CREDENTIALS = ("169.254.169.254", "metadata.google.internal")
CREDENTIAL_HINTS = {
    "s3": "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
    "gs": "GOOGLE_APPLICATION_CREDENTIALS",
    "az": "AZURE_STORAGE_ACCOUNT_KEY or another AZURE_* credential",
}


def _fail(source: Source, doing: str, exc: BaseException) -> SourceError:
    text = str(exc) or type(exc).__name__
    if any(sign in text for sign in _NO_CREDENTIALS):
        hint = CREDENTIAL_HINTS.get(source.scheme, "the provider's credential variables")
        return SourceError(
            f"source '{source.name}': no credentials found in the environment (set {hint})"
        )
    if any(sign in text.lower() for sign in _NO_ANSWER):
        # object_store's message is a paragraph of retry details; the user needs one fact.
        return SourceError(f"source '{source.name}' cannot be reached ({doing} got no answer)")
    reason = safe_message(text.removeprefix("Generic ").split("Debug source:")[0], source)
    return SourceError(f"source '{source.name}': {doing} failed ({reason})")


def _guarded(source: Source, doing: str, call: Any) -> Any:
    """Run an obstore call; any failure (a Rust panic included) is one ``SourceError`` line."""
    try:
        return call()
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except SourceError:
        raise
    except BaseException as exc:  # pyo3 panics derive from BaseException
        raise _fail(source, doing, exc) from exc


class ObjectStoreSource:
    """A source on S3, GCS, Azure or a local folder, through obstore."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._store: ObjectStore | None = None
        # Objects whose names the client cannot parse, met while listing: skipped, said once.
        self.unlisted: builtins.list[str] = []

    @property
    def store(self) -> ObjectStore:
        if self._store is None:
            self._store = _guarded(self.source, "connecting", self._open)
        return self._store

    def _open(self) -> ObjectStore:
        from obstore.store import LocalStore, from_url

        if self.source.scheme == "file":
            return LocalStore(self.source.local_path, mkdir=True)
        config, client = split_options(self.source.storage_options)
        # The keys are the user's, checked by obstore itself (an unknown one is an error
        # we report); its per-provider TypedDicts cannot describe a user's table.
        return from_url(  # type: ignore[call-overload]
            self.source.uri.rstrip("/"),
            config=config,
            client_options=client,
            retry_config=RETRY,
        )

    def list(self, prefix: str | None = None) -> list[ObjectInfo]:
        """Every object under ``prefix``; names the client cannot hold go to ``unlisted``."""
        from obstore.exceptions import InvalidPathError

        found: builtins.list[ObjectInfo] = []
        offset: str | None = None
        while True:
            try:
                _guarded(self.source, "listing", partial(self._list_from, prefix, offset, found))
                return found
            except SourceError as exc:
                cause = exc.__cause__
                bad = _bad_name(str(cause)) if isinstance(cause, InvalidPathError) else None
                if bad is None or bad.removeprefix(self._prefix) in self.unlisted:
                    raise
                # A name object_store cannot parse (a control character) fails its whole
                # page: note it, and list on from just after it.
                bad = bad.removeprefix(self._prefix)
                self.unlisted.append(bad)
                offset = _after(bad)

    def _list_from(
        self, prefix: str | None, offset: str | None, into: builtins.list[ObjectInfo]
    ) -> None:
        import obstore

        stream = (
            obstore.list(self.store, prefix=prefix, offset=offset)
            if offset is not None
            else obstore.list(self.store, prefix=prefix)
        )
        for chunk in stream:
            for meta in chunk:
                into.append(
                    ObjectInfo(str(meta["path"]), int(meta["size"]), meta.get("last_modified"))
                )

    @property
    def _prefix(self) -> str:
        if self.source.scheme == "file":
            return ""
        path = urlsplit(self.source.uri).path.strip("/")
        return f"{path}/" if path else ""

    def get(self, key: str) -> bytes:
        import obstore

        return _guarded(
            self.source, "fetching a part", lambda: bytes(obstore.get(self.store, key).bytes())
        )

    def put_new(self, key: str, data: bytes) -> None:
        import obstore

        # mode="create" is a conditional PUT (If-None-Match: *): a name taken is an error,
        # never an overwrite. On a folder obstore writes a staging file and renames it.
        _guarded(
            self.source,
            "writing a part",
            lambda: obstore.put(self.store, key, data, mode="create"),
        )

    def uri(self, key: str) -> str:
        if self.source.scheme == "file":
            return str(self.source.local_path / key)
        return f"{self.source.uri.rstrip('/')}/{key}"


_BAD_PATH = re.compile(r'Error parsing Path "(?P<name>.*?)": Encountered', re.DOTALL)


def _bad_name(message: str) -> str | None:
    found = _BAD_PATH.search(message)
    return found["name"] if found else None


def _after(name: str) -> str:
    """A listing offset just past ``name`` and past every name continuing its bad character.

    object_store rejects control characters: replacing the first one with a space (the
    next legal character) skips exactly the names that share the bad prefix.
    """
    for index, char in enumerate(name):
        if ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            return name[:index] + (" " if ord(char) < 0x20 else "\u00a0")
    return name + "\x7f"


def hf_token() -> str | None:
    """The Hub token from the environment (never from the config file)."""
    return os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN") or None


@dataclass(frozen=True)
class HfLocation:
    repo: str  # org/name
    revision: str
    path: str  # inside the repo, no leading or trailing slash


def hf_location(uri: str) -> HfLocation:
    """``hf://datasets/org/name[@revision]/path`` split as the Hub's API needs it."""
    parts = urlsplit(uri)
    rest = (parts.netloc + parts.path).removeprefix("datasets/").strip("/").split("/")
    if len(rest) < 2:
        raise SourceError(f"'{uri}' must be hf://datasets/<org>/<name>/<path>")
    org, name, path = rest[0], rest[1], "/".join(rest[2:])
    name, _, revision = name.partition("@")
    return HfLocation(f"{org}/{name}", revision or "main", path)


class HfSource:
    """A Hugging Face dataset: listed and fetched over the Hub's HTTP API; read only."""

    def __init__(self, source: Source, transport: Any = None) -> None:
        self.source = source
        self.location = hf_location(source.uri)
        self.endpoint = (
            source.storage_options.get("endpoint") or os.environ.get("HF_ENDPOINT") or HF_ENDPOINT
        ).rstrip("/")
        self._transport = transport  # tests hand in an httpx.MockTransport
        self.unlisted: builtins.list[str] = []

    def headers(self) -> dict[str, str]:
        token = hf_token()
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _client(self) -> Any:
        import httpx

        return httpx.Client(
            headers=self.headers(),
            timeout=httpx.Timeout(30, connect=5),
            follow_redirects=True,
            transport=self._transport,
        )

    def tree_url(self) -> str:
        loc = self.location
        path = f"/{quote(loc.path)}" if loc.path else ""
        return f"{self.endpoint}/api/datasets/{loc.repo}/tree/{quote(loc.revision, safe='')}{path}"

    def file_url(self, key: str) -> str:
        loc = self.location
        full = f"{loc.path}/{key}" if loc.path else key
        revision = quote(loc.revision, safe="")
        return f"{self.endpoint}/datasets/{loc.repo}/resolve/{revision}/{quote(full)}"

    def list(self, prefix: str | None = None) -> list[ObjectInfo]:
        def listing() -> list[ObjectInfo]:
            out = []
            base = f"{self.location.path}/" if self.location.path else ""
            with self._client() as client:
                response = _ok(client.get(self.tree_url(), params={"recursive": "true"}))
                for item in response.json():
                    if item.get("type") != "file":
                        continue
                    key = str(item["path"]).removeprefix(base)
                    if prefix is None or key.startswith(prefix):
                        out.append(ObjectInfo(key, int(item.get("size") or 0), None))
            return out

        return _guarded(self.source, "listing", listing)

    def get(self, key: str) -> bytes:
        def fetch() -> bytes:
            with self._client() as client:
                return _ok(client.get(self.file_url(key))).content

        return _guarded(self.source, "fetching a part", fetch)

    def put_new(self, key: str, data: bytes) -> None:
        raise SourceError(
            f"source '{self.source.name}': pushing to hf:// is not supported; "
            "push to a folder and upload it with the Hub's own tools"
        )

    def uri(self, key: str) -> str:
        return f"{self.source.uri.rstrip('/')}/{key}"


def _ok(response: Any) -> Any:
    """The response, or an error carrying the Hub's own first line (redacted by the caller)."""
    if response.is_success:
        return response
    body = (response.text.strip().splitlines() or [""])[0][:200]
    raise RuntimeError(f"HTTP {response.status_code}: {body}" if body else response.status_code)


def open_store(source: Source) -> Store:
    """The store behind ``source``; nothing is contacted until it is used."""
    if source.scheme == "hf":
        return HfSource(source)
    return ObjectStoreSource(source)


def polars_options(source: Source) -> dict[str, str] | None:
    """What ``pl.scan_parquet`` gets as ``storage_options``: the source's options as they are.

    Credentials are not added here: Polars reads the same environment and chains.
    """
    if source.scheme == "file":
        return None
    return dict(source.storage_options) or None

"""Every way a request can fail, as one clear line; keys are never in it.

A server may echo a key in its error message (OpenAI's "Incorrect API key
provided: sk-ab***yz") or a header it was sent, and its body may hold terminal
control sequences (an OSC 52 writes the clipboard), so every message passes
through ``scrub``: what leaves the probe is safe to print, show and store.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from tokenscope.probe.endpoints import Endpoint
from tokenscope.probe.sse import StreamFormatError
from tokenscope.text import literal

_KEYLIKE = re.compile(r"\b(sk|pk|rk|xai|gsk|fw|key)[-_][A-Za-z0-9_\-*]{6,}", re.IGNORECASE)
# An Authorization value echoed back, and credentials inside any URL in a message.
_AUTH_VALUE = re.compile(r"\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~\-]{6,}", re.IGNORECASE)
_URL_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s@]*@")
_MAX_LINE = 240

_DNS_HINTS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "name resolution",
    "getaddrinfo",
)


def safe_line(text: str, endpoint: Endpoint | None = None) -> str:
    """Credentials out, control characters escaped, one line; never shortened."""
    if endpoint is not None:
        for secret in endpoint.secrets():
            text = text.replace(secret, "***")
    text = _KEYLIKE.sub(lambda m: m.group(1) + "-***", text)
    text = _AUTH_VALUE.sub(lambda m: m.group(1) + " ***", text)
    text = _URL_USERINFO.sub(r"\1", text)
    return literal(" ".join(text.split()), keep_newlines=False)


def scrub(text: str, endpoint: Endpoint | None = None) -> str:
    """``safe_line``, bounded: for text a server or a library wrote."""
    line = safe_line(text, endpoint)
    return line if len(line) <= _MAX_LINE else line[: _MAX_LINE - 1] + "…"


def server_message(body: str) -> str:
    """The message inside an error body, whatever its JSON shape."""
    body = body.strip()
    if not body:
        return ""
    try:
        obj = json.loads(body)
    except ValueError:
        return body.splitlines()[0] if body else ""
    for _ in range(3):
        if isinstance(obj, dict):
            inner = obj.get("error") or obj.get("message") or obj.get("detail")
            if inner is None:
                break
            obj = inner
        elif isinstance(obj, list) and obj:
            obj = obj[0]
        else:
            break
    if isinstance(obj, dict):
        obj = obj.get("msg") or obj.get("message") or json.dumps(obj)[:200]
    return str(obj)


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date)."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _reason(status: int) -> str:
    try:
        return httpx.codes.get_reason_phrase(status)
    except Exception:
        return ""


def describe_status(status: int, body: str, endpoint: Endpoint, model: str) -> str:
    """One line for an HTTP error status."""
    said = scrub(server_message(body), endpoint)
    tail = f" (server says: {said})" if said else ""
    head = f"{status} {_reason(status)}".strip()
    if status in (401, 403):
        if endpoint.api_key_env and endpoint.api_key() is None:
            why = f"{endpoint.api_key_env} is not set"
        elif endpoint.api_key_env:
            why = f"the key in {endpoint.api_key_env} was refused"
        else:
            why = "the server wants an API key: pass --api-key-env VARIABLE"
        return f"{head} from {endpoint.host}: {why}{tail}"
    if status == 404:
        return f"{head} from {endpoint.host}: unknown model '{model}' or wrong base URL{tail}"
    if status == 429:
        return f"{head} from {endpoint.host}: rate limited{tail}"
    if status >= 500:
        return f"{head} from {endpoint.host}: the server failed{tail}"
    return f"{head} from {endpoint.host}{tail}"


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def describe_exception(
    exc: BaseException,
    endpoint: Endpoint,
    *,
    connect_timeout: float,
    read_timeout: float,
    streaming: bool,
) -> str:
    """One line for a network or framing failure; ``streaming`` once a 200 arrived."""
    host = endpoint.host
    if isinstance(exc, StreamFormatError):
        return f"bad stream from {host}: {exc}"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect to {host} within {connect_timeout:g} s (connect timeout)"
    if isinstance(exc, httpx.ReadTimeout):
        where = "between chunks" if streaming else "waiting for the response"
        return f"no data from {host} for {read_timeout:g} s {where} (read timeout)"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out talking to {host}"
    if isinstance(exc, httpx.ConnectError):
        chain = list(_chain(exc))
        text = " ".join(str(e) for e in chain).lower()
        if (
            any(isinstance(e, ssl.SSLError) for e in chain)
            or "ssl" in text
            or "certificate" in text
        ):
            detail = next((str(e) for e in chain if isinstance(e, ssl.SSLError)), str(exc))
            return f"TLS error talking to {host}: {scrub(detail, endpoint)}"
        if any(isinstance(e, socket.gaierror) for e in chain) or any(h in text for h in _DNS_HINTS):
            return f"could not resolve host '{urlhost(endpoint)}' (DNS lookup failed)"
        if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
            return f"connection refused by {host} (is the server running?)"
        return f"could not connect to {host}: {scrub(str(exc), endpoint) or type(exc).__name__}"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        if streaming:
            return f"connection to {host} dropped mid-stream"
        return f"{host} closed the connection before responding"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"bad URL for {endpoint.name}: {scrub(str(exc), endpoint)}"
    if isinstance(exc, httpx.HTTPError | OSError):
        return f"network error with {host}: {scrub(str(exc), endpoint) or type(exc).__name__}"
    return f"{type(exc).__name__}: {scrub(str(exc), endpoint)}"


def urlhost(endpoint: Endpoint) -> str:
    return endpoint.host.rsplit(":", 1)[0] if endpoint.host.count(":") == 1 else endpoint.host

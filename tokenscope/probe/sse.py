"""Server-sent events and NDJSON, decoded from raw bytes.

Lines end at CR, LF or CRLF only (PROTOCOLS.md §0): httpx's ``aiter_lines``
also splits on U+2028 and friends, which a server may write unescaped inside
JSON. Bytes are decoded per complete line, so a multi-byte character split
across network chunks is reassembled; bytes that are not UTF-8 at all become
U+FFFD and are counted, never raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A single event larger than this is a runaway server, not a model response.
DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024

_EOL = re.compile(rb"\r\n|\r|\n")


class StreamFormatError(Exception):
    """The byte stream broke the framing rules (e.g. an event too large)."""


@dataclass(slots=True)
class SSEEvent:
    data: str
    event: str | None = None


class _Utf8:
    """Decodes one line's bytes and counts lines that were not valid UTF-8."""

    __slots__ = ("invalid",)

    def __init__(self) -> None:
        self.invalid = 0

    def decode(self, raw: bytes | bytearray) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.invalid += 1
            return raw.decode("utf-8", errors="replace")


class SSEDecoder:
    """Incremental SSE decoder: ``feed(bytes)`` returns the events completed so far.

    Comments (``: ping``) are counted in ``comments`` and otherwise skipped.
    """

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._buf = bytearray()
        self._scan = 0  # where to resume looking for a line end: keeps long lines linear
        self._data: list[bytes] = []
        self._data_size = 0
        self._event: str | None = None
        self._max = max_event_bytes
        self._utf8 = _Utf8()
        self.comments = 0

    @property
    def invalid_utf8(self) -> int:
        return self._utf8.invalid

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        buf = self._buf
        buf += chunk
        events: list[SSEEvent] = []
        start = 0
        end_of_data = len(buf)
        pos = self._scan
        while True:
            match = _EOL.search(buf, pos)
            if match is None:
                break
            s, e = match.span()
            if e == end_of_data and e - s == 1 and buf[s] == 0x0D:
                # A trailing CR may be the first half of CRLF: wait for the next byte.
                break
            self._line(bytes(buf[start:s]), events)
            start = pos = e
        if start:
            del buf[:start]
        self._scan = len(buf) - 1 if buf and buf[-1] == 0x0D else len(buf)
        if len(buf) + self._data_size > self._max:
            raise StreamFormatError(
                f"an event exceeded {self._max // (1024 * 1024)} MB without ending"
            )
        return events

    def flush(self) -> list[SSEEvent]:
        """The end of the stream: a last line or event without its blank line still counts."""
        events: list[SSEEvent] = []
        if self._buf:
            line = bytes(self._buf).rstrip(b"\r")
            self._buf.clear()
            self._scan = 0
            self._line(line, events)
        self._dispatch(events)
        return events

    def _line(self, line: bytes, events: list[SSEEvent]) -> None:
        if line.startswith(b"data:"):  # the common case first
            value = line[6:] if line[5:6] == b" " else line[5:]
            self._data.append(value)
            self._data_size += len(value)
            return
        if not line:
            self._dispatch(events)
            return
        if line[0] == 0x3A:  # ':'
            self.comments += 1
            return
        colon = line.find(b":")
        if colon < 0:
            field, value = line, b""
        else:
            field = line[:colon]
            value = line[colon + 2 :] if line[colon + 1 : colon + 2] == b" " else line[colon + 1 :]
        if field == b"event":
            self._event = self._utf8.decode(value)
        elif field == b"data":
            self._data.append(value)
            self._data_size += len(value)
        # id and retry have no use for a one-shot request; unknown fields are ignored.

    def _dispatch(self, events: list[SSEEvent]) -> None:
        if self._data:
            raw = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
            events.append(SSEEvent(self._utf8.decode(raw), self._event))
        self._data = []
        self._data_size = 0
        self._event = None


class NDJSONDecoder:
    """One JSON document per LF-terminated line (Ollama's native API)."""

    def __init__(self, max_line_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._buf = bytearray()
        self._scan = 0
        self._max = max_line_bytes
        self._utf8 = _Utf8()
        self.comments = 0

    @property
    def invalid_utf8(self) -> int:
        return self._utf8.invalid

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        buf = self._buf
        buf += chunk
        lines: list[SSEEvent] = []
        start = 0
        while True:
            nl = buf.find(b"\n", max(start, self._scan))
            if nl < 0:
                break
            line = bytes(buf[start:nl]).strip()
            if line:
                lines.append(SSEEvent(self._utf8.decode(line)))
            start = nl + 1
        if start:
            del buf[:start]
        self._scan = len(buf)
        if len(buf) > self._max:
            raise StreamFormatError(
                f"a line exceeded {self._max // (1024 * 1024)} MB without ending"
            )
        return lines

    def flush(self) -> list[SSEEvent]:
        line = bytes(self._buf).strip()
        self._buf.clear()
        self._scan = 0
        return [SSEEvent(self._utf8.decode(line))] if line else []

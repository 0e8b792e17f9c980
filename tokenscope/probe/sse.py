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


class _LineDecoder:
    """Splits a byte stream into complete lines; subclasses say what a line means.

    ``feed(bytes)`` returns the events completed so far; ``flush()`` ends the stream.
    """

    _eol: re.Pattern[bytes]
    _too_large = "a line"

    def __init__(self, max_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._buf = bytearray()
        self._scan = 0  # where to resume looking for a line end: keeps long lines linear
        self._max = max_bytes
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
        while match := self._eol.search(buf, pos):
            s, e = match.span()
            if e == end_of_data and e - s == 1 and buf[s] == 0x0D:
                # A trailing CR may be the first half of CRLF: wait for the next byte.
                break
            self._line(bytes(buf[start:s]), events)
            start = pos = e
        if start:
            del buf[:start]
        self._scan = len(buf) - 1 if buf and buf[-1] == 0x0D else len(buf)
        if len(buf) + self._pending() > self._max:
            raise StreamFormatError(
                f"{self._too_large} exceeded {self._max // (1024 * 1024)} MB without ending"
            )
        return events

    def flush(self) -> list[SSEEvent]:
        """The end of the stream: a last line without its line end still counts."""
        events: list[SSEEvent] = []
        if self._buf:
            line = bytes(self._buf).rstrip(b"\r")
            self._buf.clear()
            self._scan = 0
            self._line(line, events)
        self._dispatch(events)
        return events

    def _line(self, line: bytes, events: list[SSEEvent]) -> None:
        raise NotImplementedError

    def _pending(self) -> int:
        """Bytes of an event begun on earlier lines."""
        return 0

    def _dispatch(self, events: list[SSEEvent]) -> None:
        """The stream ended: deliver what is pending."""


class SSEDecoder(_LineDecoder):
    """Server-sent events; lines end at CR, LF or CRLF.

    Comments (``: ping``) are counted in ``comments`` and otherwise skipped.
    """

    _eol = re.compile(rb"\r\n|\r|\n")
    _too_large = "an event"

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        super().__init__(max_event_bytes)
        self._data: list[bytes] = []
        self._data_size = 0
        self._event: str | None = None

    def _pending(self) -> int:
        return self._data_size

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        # The common case in one go: no CR anywhere and no event begun on an earlier
        # read. Every complete event up to the last blank line is decoded and split
        # by C code, at thousands of events a second; the rest takes the general path.
        buf = self._buf
        if self._data or self._event is not None or 0x0D in chunk or buf[-1:] == b"\r":
            return super().feed(chunk)
        start = len(buf)  # what is in the buffer was scanned already: look in the new bytes
        buf += chunk
        end = buf.rfind(b"\n\n", max(start - 1, 0))
        if end < 0:
            return super().feed(b"")
        raw = bytes(buf[:end])
        del buf[: end + 2]
        self._scan = 0
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # counted per line by the general path
            buf[:0] = raw + b"\n\n"
            return super().feed(b"")
        events: list[SSEEvent] = []
        append = events.append
        for block in text.split("\n\n"):
            if block[:6] == "data: " and "\n" not in block:
                append(SSEEvent(block[6:]))
            else:
                for line in block.encode("utf-8").split(b"\n"):
                    self._line(line, events)
                self._dispatch(events)
        events.extend(super().feed(b""))
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
        """A blank line (or the end of the stream) dispatches the event built so far."""
        if self._data:
            raw = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
            events.append(SSEEvent(self._utf8.decode(raw), self._event))
        self._data = []
        self._data_size = 0
        self._event = None


class NDJSONDecoder(_LineDecoder):
    """One JSON document per LF-terminated line (Ollama's native API)."""

    # LF only: a CR is JSON whitespace, and stripped below with the rest.
    _eol = re.compile(rb"\n")

    def _line(self, line: bytes, events: list[SSEEvent]) -> None:
        line = line.strip()
        if line:
            events.append(SSEEvent(self._utf8.decode(line)))

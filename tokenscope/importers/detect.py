"""Which tool wrote a file, told from its first bytes, never from its name.

Only the head of the file is read (64 KiB): enough to see a zip's entry names
or the first record's keys, and cheap enough for the loader to ask about every
file in the results folder.
"""

from __future__ import annotations

import json
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

HEAD_BYTES = 64 * 1024
ZIP_MAGIC = b"PK\x03\x04"
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Head:
    data: bytes
    zip_names: tuple[str, ...] = ()
    text: str = ""
    record: dict | None = None  # the first JSON object: the document, a line, an array's first

    @property
    def is_zip(self) -> bool:
        return self.data.startswith(ZIP_MAGIC)


def local_zip_names(data: bytes) -> list[str]:
    """Entry names from a zip's local headers, read front to back (survives a cut-off end)."""
    names, pos = [], 0
    while data.startswith(ZIP_MAGIC, pos) and pos + _LOCAL_HEADER.size <= len(data):
        fields = _LOCAL_HEADER.unpack_from(data, pos)
        flags, compressed, name_len, extra_len = fields[2], fields[7], fields[9], fields[10]
        start = pos + _LOCAL_HEADER.size
        names.append(data[start : start + name_len].decode("utf-8", "replace"))
        if flags & 0x08:  # sizes follow the data: cannot hop to the next header
            break
        pos = start + name_len + extra_len + compressed
    return names


def _first_record(text: str) -> dict | None:
    body = text.lstrip("\ufeff \t\r\n")
    try:
        value, _ = _DECODER.raw_decode(body)
    except (json.JSONDecodeError, RecursionError):
        value = None
        if body.startswith("["):
            # A large array cut by the head: its first element may still be whole.
            inner = body[1:].lstrip(" \t\r\n")
            try:
                value, _ = _DECODER.raw_decode(inner)
            except (json.JSONDecodeError, RecursionError):
                return None
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, dict)), None)
    return value if isinstance(value, dict) else None


def read_head(path: Path) -> Head:
    with path.open("rb") as handle:
        data = handle.read(HEAD_BYTES)
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = tuple(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            names = tuple(local_zip_names(data))
        return Head(data, zip_names=names)
    text = data.decode("utf-8", "ignore")
    return Head(data, text=text, record=_first_record(text))


def sniff_head(head: Head) -> str | None:
    from tokenscope.importers import READERS

    for name, reader in READERS.items():
        if reader.sniff(head):
            return name
    return None


def sniff(path: Path) -> str | None:
    """The importer format of a file (``'inspect'``, ``'promptfoo'``, ...) or None."""
    try:
        head = read_head(path)
    except OSError:
        return None
    return sniff_head(head)

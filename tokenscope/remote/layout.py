"""Where a part lives in a source: hive-style partitions, so one model or one date is a prefix.

    model=<escaped model>/date=<YYYY-MM-DD>/part-<32 hex>.parquet

A part is written once under a fresh name and never changed. The model is
percent-escaped (everything but letters, digits, ``-``, ``_`` and ``.``), so a
name with ``/``, ``=`` or control characters stays inside its folder. Readers take
only keys of this shape: a name starting with ``.`` or ``_`` (a temporary file, a
marker another tool left) or an object store's staging file is not a part.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import quote, unquote

NO_DATE = "none"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PART = re.compile(r"^part-[0-9a-f]{32}\.parquet$")


def escape(value: str) -> str:
    return quote(value, safe="-_.") or "%00"


def part_key(model: str, date: str | None) -> str:
    """A new part's key: never used before, by anyone (a random 128-bit name)."""
    day = date if date and _DATE.match(date) else NO_DATE
    return f"model={escape(model)}/date={day}/part-{uuid.uuid4().hex}.parquet"


def model_prefix(model: str) -> str:
    return f"model={escape(model)}/"


@dataclass(frozen=True)
class PartKey:
    key: str  # relative to the source's prefix
    model: str | None  # from the path; None where the path does not say
    date: str | None


def parse_key(key: str) -> PartKey | None:
    """The part a key names, or None for anything that is not a part to read.

    Any Parquet file under the prefix is read (another tool's export included);
    the partition folders, where present, let a read skip other models' parts.
    """
    name = key.rsplit("/", 1)[-1]
    if not name.endswith(".parquet") or name.startswith((".", "_")):
        return None
    if any(segment.startswith((".", "_")) for segment in key.split("/")[:-1]):
        return None
    model = date = None
    for segment in key.split("/")[:-1]:
        field, _, value = segment.partition("=")
        if field == "model" and value:
            model = unquote(value)
        elif field == "date" and value:
            date = None if value == NO_DATE else value
    return PartKey(key, model, date)

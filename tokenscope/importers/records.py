"""What every importer shares: a draft record, checked counts, stable ids, notes per file.

A reader turns its format into ``Draft`` objects (run schema columns, as the
tool logged them) and says what it could not read through ``Notes``.
``checked`` then tests every number once, so a negative or absurd count
becomes null with a note in every format alike. No Polars here.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tokenscope.errors import UserError

INT64_MAX = 2**63 - 1

# Counts a tool logs; each must be a whole number from 0 to int64's maximum.
COUNT_COLUMNS = ("tokens_prompt", "tokens_completion", "tokens_reasoning_reported")
# Durations and money; each must be a finite number >= 0.
AMOUNT_COLUMNS = ("duration_s", "ttft_s", "tokens_per_s", "cost_usd")
TEXT_COLUMNS = ("prompt_text", "answer", "reasoning", "finish_reason", "error", "provider")


class ImportFileError(UserError):
    """The whole file cannot be read; the message is the reason, one line."""


@dataclass
class Draft:
    """One record as its tool logged it, before checks, ids and the study join.

    ``identity`` names the record inside its tool (a sample uuid, a span id,
    a generation id): the run id is derived from it, so importing the same
    record twice, from any file, yields the same run.
    """

    where: str  # "line 3", "samples/7_epoch_1.json": how the user finds it in the file
    identity: str
    run: dict[str, Any] = field(default_factory=dict)


@dataclass
class Notes:
    """What was skipped or emptied in one file, grouped by reason for one line each."""

    # reason -> (places, the first offending value or None)
    skipped: dict[str, tuple[list[str], str | None]] = field(default_factory=dict)
    emptied: dict[str, tuple[list[str], str | None]] = field(default_factory=dict)
    remarks: list[str] = field(default_factory=list)  # about the file as a whole

    def skip(self, where: str, reason: str, value: str | None = None) -> None:
        """A record that cannot become a run at all."""
        self.skipped.setdefault(reason, ([], value))[0].append(where)

    def empty(self, where: str, reason: str, value: str | None = None) -> None:
        """A field left null; the rest of the record is kept."""
        self.emptied.setdefault(reason, ([], value))[0].append(where)

    def remark(self, text: str) -> None:
        self.remarks.append(text)

    @property
    def skipped_count(self) -> int:
        return sum(len(places) for places, _ in self.skipped.values())

    def lines(self) -> list[str]:
        """One line per reason: the first place it happened, how many more, and the outcome."""
        out = list(self.remarks)
        for outcome, groups in (("skipped", self.skipped), ("left empty", self.emptied)):
            for reason, (places, value) in groups.items():
                more = f" and {len(places) - 1} more" if len(places) > 1 else ""
                shown = f" ({value})" if value is not None else ""
                out.append(f"{places[0]}{more}: {reason}{shown}; {outcome}")
        return out


def stable_run_id(tool: str, identity: str) -> str:
    """A run id that is the same every time the same record is imported."""
    digest = hashlib.sha256(f"{tool}\x1f{identity}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def content_identity(value: Any) -> str:
    """For records without an id of their own: a digest of their content."""
    import json

    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:23] + "…"


def check_count(value: Any) -> tuple[int | None, str | None]:
    """A token count as a whole number, or null and why (never a made-up zero)."""
    if value is None:
        return None, None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())  # OTLP JSON carries int64 as a string
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None, "is not a whole number"
    if value < 0:
        return None, "is negative"
    if value > INT64_MAX:
        return None, "is beyond any real count (over 2^63)"
    return value, None


def check_amount(value: Any) -> tuple[float | None, str | None]:
    """A duration, rate or cost: a finite number >= 0, or null and why."""
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, "is not a number"
    try:
        number = float(value)
    except OverflowError:
        return None, "is out of range"
    if not math.isfinite(number) or number < 0 or number > INT64_MAX:
        return None, "is out of range"
    return number, None


def checked(draft: Draft, notes: Notes) -> dict[str, Any]:
    """The draft's columns with every count, amount and text checked."""
    run = draft.run
    for names, check in ((COUNT_COLUMNS, check_count), (AMOUNT_COLUMNS, check_amount)):
        for name in names:
            raw = run.get(name)
            # The common cases first: absent, or a plain number in range.
            if raw is None or (type(raw) is int and 0 <= raw <= INT64_MAX):
                continue
            run[name], why = check(raw)
            if why:
                notes.empty(draft.where, f"{name} {why}", _shown(raw))
    for name in TEXT_COLUMNS:
        value = run.get(name)
        if value is not None and type(value) is not str:
            run[name] = None
            notes.empty(draft.where, f"{name} is not text", _shown(value))
    return run


def with_text_counts(run: dict[str, Any]) -> dict[str, Any]:
    """Character counts from the texts, as ``tokenscope ask`` stores them."""
    answer, reasoning = run.get("answer"), run.get("reasoning")
    if answer is None and reasoning is None:
        return run
    chars_a = len(answer or "")
    chars_r = len(reasoning or "")
    run["chars_answer"] = chars_a if answer is not None else None
    run["chars_reasoning"] = chars_r if reasoning else None
    run["chars_completion"] = chars_a + chars_r
    return run


def iso_utc(value: Any) -> str | None:
    """An ISO 8601 time (or Unix seconds) as UTC with a Z, like the store's own times."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str) and value.strip():
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    stamp = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def first(mapping: Mapping[str, Any] | None, *keys: str) -> Any:
    """The first of ``keys`` present (not None) in a mapping."""
    if not isinstance(mapping, dict):
        return None
    for key in keys:
        value = mapping.get(key)
        if value is not None:
            return value
    return None


def text_of(value: Any) -> str | None:
    """Plain text from a string or a list of OpenAI/Anthropic-style content parts."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and part.get("type", "text") == "text":
                text = part.get("text", part.get("content"))
                if isinstance(text, str):
                    parts.append(text)
        return "".join(parts) if parts else None
    return None


def user_prompt(messages: Any) -> str | None:
    """The question in a chat request: its user messages' text, in order."""
    if isinstance(messages, str):
        return messages
    if not isinstance(messages, list):
        return None
    texts = [
        text
        for m in messages
        if isinstance(m, dict) and m.get("role") == "user"
        for text in [text_of(m.get("content"))]
        if text is not None
    ]
    return "\n\n".join(texts) if texts else None

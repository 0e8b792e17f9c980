"""Separates inline ``<think>…</think>`` reasoning from the answer in streamed content.

A state machine over text deltas. Tags may be split anywhere across deltas,
so only a trailing prefix of the tag being looked for is held back (never the
whole buffer, never any ``<``; PROTOCOLS.md §11.1). Whatever the chunking, the
final split is the same.

Rules:
- leading whitespace, then ``<think>``: a reasoning block; whitespace right
  after ``</think>`` is dropped from the answer;
- no opening tag but a ``</think>`` later (templates that pre-fill ``<think>``,
  §11.2): everything before it was reasoning. With ``implied_open=True`` that is
  assumed from the first byte; otherwise text is shown as answer until the
  closing tag proves otherwise, and ``feed`` reports it as *reclassified*;
- after the think block, tags are ordinary answer text: model output is data.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenscope.probe.textbuffer import TextBuffer

OPEN = "<think>"
CLOSE = "</think>"

START, REASONING, AFTER_CLOSE, ANSWER, MAYBE_IMPLIED = range(5)


@dataclass(slots=True)
class Split:
    """What one delta contributed. ``reclassified`` is answer text already emitted
    that turned out to be reasoning (an implied opening tag)."""

    reasoning: str = ""
    answer: str = ""
    reclassified: str = ""
    closed: bool = False  # this delta held the closing tag (its token is reasoning's)


def _held_prefix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    limit = min(len(text), len(tag) - 1)
    for n in range(limit, 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0


class ThinkSplitter:
    def __init__(self, implied_open: bool | None = None) -> None:
        # None: detect a pre-filled tag from a later "</think>"; True: assume it;
        # False: never (a reasoning field already carries the thoughts).
        self.implied_open = implied_open
        self._state = REASONING if implied_open else START
        self._pending = ""  # held-back text that may still become a tag
        self._shown_answer = TextBuffer()  # answer so far, while an implied tag is possible
        self.saw_think_block = bool(implied_open)

    @property
    def in_reasoning(self) -> bool:
        return self._state == REASONING

    @property
    def passes_through(self) -> bool:
        """Content is answer as it comes: the think block is over and nothing is held."""
        return self._state == ANSWER and not self._pending

    def disable_implied(self) -> None:
        """A reasoning field was seen: content is the answer, no pre-fill guessing."""
        self.implied_open = False
        if self._state == MAYBE_IMPLIED:
            self._state = ANSWER
            self._shown_answer = TextBuffer()

    def feed(self, text: str) -> Split:
        out = Split()
        if not text:
            return out
        if not self._pending and "<" not in text:
            # No tag and no part of one (each begins with '<'): the text stays on its side.
            state = self._state
            if state == REASONING:
                out.reasoning = text
                return out
            if state == ANSWER:
                out.answer = text
                return out
            if state == MAYBE_IMPLIED:
                out.answer = text
                self._shown_answer.append(text)
                return out
        text = self._pending + text
        self._pending = ""
        while text:
            state = self._state
            if state == START:
                stripped = text.lstrip()
                if not stripped:
                    self._pending = text  # only whitespace so far: undecided
                    return out
                if stripped.startswith(OPEN):
                    self._state = REASONING
                    self.saw_think_block = True
                    text = stripped[len(OPEN) :]
                    continue
                if OPEN.startswith(stripped):
                    self._pending = text
                    return out
                self._state = MAYBE_IMPLIED if self.implied_open is None else ANSWER
                continue
            if state == REASONING:
                idx = text.find(CLOSE)
                if idx >= 0:
                    out.reasoning += text[:idx]
                    out.closed = True
                    self._state = AFTER_CLOSE
                    text = text[idx + len(CLOSE) :]
                    continue
                keep = _held_prefix(text, CLOSE)
                if keep:
                    out.reasoning += text[:-keep]
                    self._pending = text[-keep:]
                else:
                    out.reasoning += text
                return out
            if state == AFTER_CLOSE:
                stripped = text.lstrip()
                if stripped:
                    self._state = ANSWER
                    text = stripped
                    continue
                return out
            if state == MAYBE_IMPLIED:
                idx = text.find(CLOSE)
                if idx >= 0:
                    out.reclassified = self._shown_answer.text() + out.answer
                    out.answer = ""
                    self._shown_answer = TextBuffer()
                    out.reasoning += text[:idx]
                    self.saw_think_block = True
                    out.closed = True
                    self._state = AFTER_CLOSE
                    text = text[idx + len(CLOSE) :]
                    continue
                keep = _held_prefix(text, CLOSE)
                shown = text[:-keep] if keep else text
                if keep:
                    self._pending = text[-keep:]
                out.answer += shown
                self._shown_answer.append(shown)
                return out
            # ANSWER: everything is literal text.
            out.answer += text
            return out
        return out

    def flush(self) -> Split:
        """The end of the stream: held-back text is released where it belongs."""
        out = Split()
        pending, self._pending = self._pending, ""
        if not pending:
            return out
        if self._state == REASONING:
            out.reasoning = pending
        elif self._state == AFTER_CLOSE:
            pass  # trailing whitespace after the block
        elif self._state == START:
            out.answer = pending if pending.strip() else ""
        else:
            out.answer = pending
        return out

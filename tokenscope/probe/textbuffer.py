"""Text streamed in many small pieces, held as a few large blocks.

A runaway server can send millions of one-character deltas; kept as a list of
strings each would cost an object (~50 bytes) per character. Here every
``BLOCK`` pieces are joined into one string, so memory follows the text itself.
"""

from __future__ import annotations

BLOCK = 1024


class TextBuffer:
    __slots__ = ("_blocks", "_pending")

    def __init__(self) -> None:
        self._blocks: list[str] = []
        self._pending: list[str] = []

    def append(self, piece: str) -> None:
        pending = self._pending
        pending.append(piece)
        if len(pending) >= BLOCK:
            self._blocks.append("".join(pending))
            pending.clear()

    def replace(self, text: str) -> None:
        self._blocks = [text] if text else []
        self._pending.clear()

    def text(self) -> str:
        return "".join(self._blocks) + "".join(self._pending)

"""Just enough of a Polars frame, over plain rows, to paint a table before Polars loads."""

from __future__ import annotations

from typing import Any


class RowsFrame:
    """Rows from the start-up cache, with the few frame methods ``FrameTable`` uses."""

    def __init__(self, rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
        self._rows = rows
        self.columns = columns or (list(rows[0]) if rows else [])

    @property
    def height(self) -> int:
        return len(self._rows)

    @property
    def width(self) -> int:
        return len(self.columns)

    def select(self, keys: list[str]) -> RowsFrame:
        return RowsFrame([{k: r.get(k) for k in keys} for r in self._rows], list(keys))

    def rows(self) -> list[tuple[Any, ...]]:
        return [tuple(r.get(k) for k in self.columns) for r in self._rows]

    def row(self, index: int, named: bool = False) -> Any:
        row = self._rows[index]
        return dict(row) if named else tuple(row.get(k) for k in self.columns)

    def text_width(self, key: str) -> int:
        return max((len(str(r.get(key))) for r in self._rows if r.get(key) is not None), default=0)

    def sorted(self, key: str | None, descending: bool) -> RowsFrame:
        if not key or key not in self.columns:
            return self
        present = [r for r in self._rows if r.get(key) is not None]
        missing = [r for r in self._rows if r.get(key) is None]
        present.sort(key=lambda r: r[key], reverse=descending)
        return RowsFrame(present + missing, self.columns)

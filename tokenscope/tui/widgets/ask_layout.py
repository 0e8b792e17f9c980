"""Where the Ask view's panes go: a grid chosen by the room there is.

``pane_grid`` is pure: from the number of panes and the area's size it picks the
columns and rows (side by side, 2×2 or stacked) and how much each pane shows. A
pane with little height is *compact*: a one-line header, a one-line meter and the
answer; its reasoning is counted in the meter and shown only on ``h``. ``AskPanes``
applies the choice whenever its size changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from textual.containers import Container

# The narrowest pane whose meter line and answer still read (a 12-cell bar, a ratio
# and a cost, with a border and padding around them).
MIN_PANE_WIDTH = 36
# Below this height a pane is compact: the four-line meter and the reasoning above the
# answer would leave the answer a line or two.
FULL_PANE_HEIGHT = 14
# At this height or less a compact pane's header and meter share one line.
TIGHT_PANE_HEIGHT = 4
# A terminal cell is about twice as tall as wide: a pane this many cells wide per row
# looks square, and panes near that shape read best.
CELL_ASPECT = 2.2


@dataclass(frozen=True)
class PaneGrid:
    columns: int
    rows: int
    compact: bool  # header + one meter line, answer first, reasoning behind h
    tight: bool  # compact, and header and meter share one line

    def span(self, index: int, count: int) -> int:
        """Columns the pane at ``index`` spans: the last one fills a short last row."""
        last_row = count - (self.rows - 1) * self.columns
        return self.columns - last_row + 1 if index == count - 1 and last_row > 0 else 1


def pane_grid(count: int, width: int, height: int) -> PaneGrid:
    """The grid for ``count`` panes in ``width``×``height`` cells."""
    count = max(1, count)
    # At most one empty cell (three panes in 2×2: the last spans the row); 3+1 reads badly.
    shapes = {(c, -(-count // c)) for c in range(1, count + 1)}
    shapes = {(c, r) for c, r in shapes if c * r - count <= 1}
    readable = [s for s in shapes if width // s[0] >= MIN_PANE_WIDTH] or [(1, count)]

    def misfit(shape: tuple[int, int]) -> float:
        w, h = width / shape[0], max(1, height // shape[1])
        return abs(math.log(max(w, 1) / (h * CELL_ASPECT)))

    columns, rows = min(readable, key=lambda s: (misfit(s), s[0]))
    pane_height = height // rows
    compact = pane_height < FULL_PANE_HEIGHT
    return PaneGrid(columns, rows, compact, compact and pane_height <= TIGHT_PANE_HEIGHT)


class AskPanes(Container):
    """The panes' grid: laid out again when its size changes (the form shrinking once
    the question is asked, the terminal resized)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.grid: PaneGrid | None = None

    def on_resize(self) -> None:
        self.arrange_panes()

    def arrange_panes(self) -> None:
        from tokenscope.tui.widgets.ask_pane import AskPane

        panes = list(self.query_children(AskPane))
        if not panes or not self.size.height:
            return
        grid = pane_grid(len(panes), self.size.width, self.size.height)
        if grid == self.grid:
            return
        self.grid = grid
        self.styles.grid_size_columns = grid.columns
        self.styles.grid_size_rows = grid.rows
        self.set_class(grid.compact, "-compact")
        for i, pane in enumerate(panes):
            pane.styles.column_span = grid.span(i, len(panes))
            pane.set_mode(compact=grid.compact, tight=grid.tight)

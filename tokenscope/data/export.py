"""Render a frame as a terminal table, CSV, JSON, Markdown, or write it as Parquet.

Text in the data is shown literally in every text format: a control
character (ESC, BEL, the C1 CSI) becomes a visible ``\\xNN`` in a table,
Markdown or CSV, and a ``\\u00NN`` escape in JSON, so printing an export
cannot drive the terminal. Parquet keeps the values exactly as they are.
Files are written owner-only (0600), in a folder created 0700.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import polars as pl

from tokenscope import paths
from tokenscope.text import CONTROL_CHARS, literal, one_line

FORMATS = ("table", "csv", "json", "markdown")
FILE_FORMATS = ("csv", "parquet", "markdown", "json")
TABLE_CELL_WIDTH = 48


def _cell(value, width: int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        value = ", ".join("—" if v is None else str(v) for v in value)
    return one_line(str(value), width) if width else one_line(str(value), 10**9)


_VISIBLE = [literal(c) for c in CONTROL_CHARS]


def _literal_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column with its control characters made visible, as ``literal`` does."""
    exprs = [
        pl.col(name).str.replace_many(list(CONTROL_CHARS), _VISIBLE)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    ]
    return frame.with_columns(exprs) if exprs else frame


def _flatten_lists(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no lists: join them with '; '."""
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            exprs.append(pl.col(name).cast(pl.List(pl.String)).list.join("; ").alias(name))
    return frame.with_columns(exprs) if exprs else frame


def to_csv(frame: pl.DataFrame) -> str:
    return _literal_text(_flatten_lists(frame)).write_csv()


def to_table(frame: pl.DataFrame, cell_width: int = TABLE_CELL_WIDTH) -> str:
    headers = frame.columns
    rows = [[_cell(v, cell_width) for v in row] for row in frame.iter_rows()]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    numeric = [frame.schema[h].is_numeric() for h in headers]

    def fmt(cells):
        return "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=False)
        ).rstrip()

    lines = [fmt(headers), fmt(["─" * w for w in widths])]
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)


def to_markdown(frame: pl.DataFrame) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "| " + " | ".join(frame.columns) + " |",
        "| "
        + " | ".join("---:" if frame.schema[c].is_numeric() else "---" for c in frame.columns)
        + " |",
    ]
    for row in frame.iter_rows():
        lines.append("| " + " | ".join(esc(_cell(v, None)) for v in row) + " |")
    return "\n".join(lines)


def _json_value(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# json.dumps escapes C0 controls but writes DEL and the C1 range (U+0080-U+009F) raw.
_JSON_RAW_CONTROLS = re.compile("[\x7f-\x9f]")


def to_json(frame: pl.DataFrame) -> str:
    rows = [{k: _json_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]
    text = json.dumps(rows, ensure_ascii=False, indent=1, default=str)
    # Outside strings JSON is plain ASCII, so each of these sits in a string.
    return _JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render(frame: pl.DataFrame, fmt: str) -> str:
    if fmt == "table":
        return to_table(frame)
    if fmt == "csv":
        return to_csv(frame)
    if fmt == "json":
        return to_json(frame)
    if fmt == "markdown":
        return to_markdown(frame)
    raise ValueError(f"unknown format '{fmt}'")


def write(frame: pl.DataFrame, path: Path, fmt: str | None = None) -> Path:
    """Write to ``path`` atomically (temporary file, then rename), owner-only."""
    fmt = fmt or {".md": "markdown", ".parquet": "parquet", ".json": "json"}.get(
        path.suffix.lower(), "csv"
    )
    if fmt == "parquet":
        return paths.write_private(path, frame.write_parquet)
    text = render(frame, fmt) + ("\n" if fmt != "csv" else "")
    return paths.write_private(path, text.encode("utf-8"))

"""Editions of the bundled study: what was published in August 2025, and upstream's newest.

``2025-08`` is the report's data exactly. ``latest`` adds the models upstream
measured afterwards and puts its re-run of gpt-oss in place of the first one.

A table that differs between editions is stored as a base file (the August
archive, ``runs.parquet``) plus an update file (``runs_update.parquet``); every
row of both says which editions it belongs to in one boolean column per
edition. So the base file read alone is still the August edition, and choosing
an edition is a filter on one column, pushed down into the Parquet scan. User
runs belong to every edition and are never filtered.

Polars is imported only inside the functions that use it: the start-up board
cache reads the file names here before Polars has loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tokenscope.errors import UserError

if TYPE_CHECKING:
    import polars as pl

EDITIONS = ("latest", "2025-08")
DEFAULT_EDITION = "latest"
EDITION_LABELS = {
    "latest": "upstream's newest runs",
    "2025-08": "the August 2025 report",
}
UPDATE_SUFFIX = "_update"


class EditionError(UserError):
    """An edition name that does not exist; the message is one line."""


def check_edition(edition: str) -> str:
    if edition not in EDITIONS:
        raise EditionError(f"unknown edition '{edition}' (choose {', '.join(EDITIONS)})")
    return edition


def edition_column(edition: str) -> str:
    """The boolean column that says a bundled row belongs to ``edition``."""
    return "edition_" + check_edition(edition).replace("-", "_")


EDITION_COLUMNS = tuple(edition_column(e) for e in EDITIONS)


def filter_edition(frame: pl.LazyFrame, edition: str) -> pl.LazyFrame:
    """The rows of a bundled table (with its edition columns) that belong to ``edition``."""
    import polars as pl

    return frame.filter(pl.col(edition_column(edition)))


def table_files(bundled_dir: Path, name: str) -> list[Path]:
    """The base file of a bundled table and, where there is one, its update file."""
    update = bundled_dir / f"{name}{UPDATE_SUFFIX}.parquet"
    return [bundled_dir / f"{name}.parquet", *([update] if update.is_file() else [])]


def scan_edition(bundled_dir: Path, name: str, edition: str) -> pl.LazyFrame:
    """One bundled table (``runs`` or ``prices``) of one edition, not yet conformed.

    The edition columns stay in the frame; ``schema.conform`` drops them.
    """
    import polars as pl

    check_edition(edition)
    scans = [pl.scan_parquet(path) for path in table_files(bundled_dir, name)]
    return filter_edition(pl.concat(scans, how="vertical"), edition)


def models_for_api_id(models: pl.DataFrame, api_model: str) -> list[str]:
    """Every bundled model queried under ``api_model``.

    An API id does not identify a model: DeepSeek's ``deepseek-reasoner``
    served R1-0528, V3.1, V3.2-Exp and V3.2-Speciale in turn. A caller that
    needs one model takes the answer only when the list has exactly one name.
    """
    import polars as pl

    bare = api_model.split("/", 1)[-1]
    ids = pl.col("api_model")
    hits = models.filter((ids == api_model) | (ids.str.split("/").list.last() == bare))
    return sorted(hits["model"].to_list())

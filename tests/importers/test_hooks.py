"""The contract the loader relies on to load a dropped file of one of these formats."""

from __future__ import annotations

import polars as pl
import pytest

from tokenscope.data.schema import RUN_COLUMNS, RUN_SCHEMA, conform
from tokenscope.importers import read, sniff

from .conftest import FIXTURES
from .test_detect import KNOWN


@pytest.mark.parametrize(("name", "fmt"), KNOWN)
def test_records_are_run_schema_rows(name, fmt):
    path = FIXTURES / name
    assert sniff(path) == fmt
    records, notes = read(path, fmt)
    assert all(isinstance(n, str) and "\n" not in n for n in notes)
    for record in records:
        assert set(record) <= set(RUN_COLUMNS), set(record) - set(RUN_COLUMNS)
    frame = conform(pl.DataFrame(records, schema=RUN_SCHEMA, strict=False))
    assert frame.height == len(records)
    assert frame["run_id"].null_count() == 0 and frame["run_id"].n_unique() <= frame.height

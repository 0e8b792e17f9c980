#!/usr/bin/env python3
"""Import time for 100,000 records against plain Polars reading the same file (run by hand).

    .venv/bin/python benchmarks/bench_import.py [--records 100000] [--repeats 3]
        [--format openrouter|litellm|otel]

The file is made from the real fixtures in tests/fixtures/import/ (each record
copied with a fresh id, so none is a duplicate). Each measurement runs in a
fresh interpreter, timed from inside after imports:

- read: ``importers.read(path)``, parsing, checking every count, joining the
  study prompts: what the loader would do for a dropped file;
- import: ``ImportSession.plan()`` + ``apply()`` into an empty results folder
  (dedup against the store, then appending with fsync);
- polars: ``pl.read_ndjson(path)``, schema inferred, nothing checked or joined.

Prints the median and the worst of the repeats for each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "import"
SOURCES = {
    "openrouter": "openrouter_study.json",
    "litellm": "litellm_study.jsonl",
    "otel": "otel_otlp.jsonl",
}

READ = """
import time, sys
from pathlib import Path
from tokenscope.importers import read
t = time.perf_counter()
runs, notes = read(Path(sys.argv[1]))
print(time.perf_counter() - t, len(runs))
"""

IMPORT = """
import time, sys
from pathlib import Path
from tokenscope.importers.session import ImportSession
t = time.perf_counter()
session = ImportSession([Path(sys.argv[1])])
written = session.apply(session.plan())
print(time.perf_counter() - t, written)
"""

POLARS = """
import time, sys, polars as pl
t = time.perf_counter()
frame = pl.read_ndjson(sys.argv[1], infer_schema_length=None)
print(time.perf_counter() - t, frame.height)
"""


def records(fmt: str) -> list[dict]:
    path = FIXTURES / SOURCES[fmt]
    if fmt == "openrouter":
        return json.loads(path.read_text())
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def fresh(fmt: str, record: dict, i: int) -> dict:
    record = json.loads(json.dumps(record))
    if fmt == "openrouter":
        record["data"]["id"] = f"gen-bench-{i}"
    elif fmt == "litellm":
        record["id"] = f"chatcmpl-bench-{i}"
    else:
        for resource in record["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                for span in scope["spans"]:
                    span["spanId"] = f"{i:016x}"
    return record


def write_file(fmt: str, count: int, path: Path) -> int:
    base = records(fmt)
    per_line = 1
    if fmt == "otel":
        per_line = sum(
            len(s["spans"]) for r in base for rs in r["resourceSpans"] for s in rs["scopeSpans"]
        ) // len(base)
    lines = -(-count // per_line)
    with path.open("w") as out:
        for i in range(lines):
            out.write(json.dumps(fresh(fmt, base[i % len(base)], i), separators=(",", ":")))
            out.write("\n")
    return lines * per_line


def measure(code: str, path: Path, data_dir: Path) -> tuple[float, int]:
    env = dict(os.environ, TOKENSCOPE_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--format", choices=tuple(SOURCES), default="openrouter")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{args.format}.jsonl"
        count = write_file(args.format, args.records, path)
        size = path.stat().st_size / 1e6
        print(f"{count:,} {args.format} records, {size:.1f} MB")
        for label, code in (("read", READ), ("import", IMPORT), ("polars", POLARS)):
            times = []
            for repeat in range(args.repeats):
                data_dir = Path(tmp) / f"data-{label}-{repeat}"
                seconds, rows = measure(code, path, data_dir)
                times.append(seconds)
            median = statistics.median(times)
            print(
                f"{label:7} median {median:6.2f} s  worst {max(times):6.2f} s  "
                f"({rows:,} rows, {count / median:,.0f} records/s)"
            )


if __name__ == "__main__":
    main()

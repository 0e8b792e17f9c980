"""Formats are told from a file's content, never from its name."""

from __future__ import annotations

import json

import pytest

from tokenscope.data import store
from tokenscope.importers import sniff

from .conftest import FIXTURES

KNOWN = [
    ("inspect_study.eval", "inspect"),
    ("inspect_small.json", "inspect"),
    ("inspect_truncated.eval", "inspect"),
    ("promptfoo_study.json", "promptfoo"),
    ("promptfoo_v2.json", "promptfoo"),
    ("openrouter_docs.jsonl", "openrouter"),
    ("openrouter_study.json", "openrouter"),
    ("otel_console.json", "otel"),
    ("otel_otlp.jsonl", "otel"),
    ("otel_no_genai.json", "otel"),
    ("litellm_study.jsonl", "litellm"),
]


@pytest.mark.parametrize(("name", "fmt"), KNOWN)
def test_each_tool_is_recognised_under_any_file_name(fixture_copy, name, fmt):
    assert sniff(fixture_copy(name, "results.dat")) == fmt


def test_tokenscope_results_and_other_json_are_not_claimed(tmp_path, results_dir):
    store.append_run({"model": "m", "tokens_completion": 5}, results_dir)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"name": "not a log", "results": []}))
    csv = tmp_path / "runs.csv"
    csv.write_text("model,tokens_completion\nm,5\n")
    for path in (store.store_path(results_dir), other, csv, FIXTURES / "study_plan.json"):
        assert sniff(path) is None, path.name


def test_a_large_array_is_recognised_from_its_first_record(tmp_path):
    record = json.loads((FIXTURES / "openrouter_docs.jsonl").read_text().splitlines()[0])
    big = tmp_path / "generations.json"
    big.write_text(json.dumps([record] * 2000))  # far beyond the 64 KiB head
    assert sniff(big) == "openrouter"

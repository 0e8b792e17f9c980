"""Each format is read with its documented field names, from files its tool wrote."""

from __future__ import annotations

import json

import pytest

from tokenscope.importers import read
from tokenscope.importers.records import ImportFileError

from .conftest import FIXTURES

PLAN = json.loads((FIXTURES / "study_plan.json").read_text())
BY_ID = {e["prompt_id"]: e for e in PLAN if e["prompt_id"]}


def by_prompt(runs):
    return {r["prompt_id"]: r for r in runs if r.get("prompt_id")}


def test_inspect_eval_sample_fields():
    runs, notes = read(FIXTURES / "inspect_study.eval")
    assert notes == []
    assert len(runs) == 21
    run = by_prompt(runs)["AIME2023II_P1"]
    plan = BY_ID["AIME2023II_P1"]
    assert run["model"] == "mockllm/model"
    assert run["tokens_prompt"] == plan["prompt_tokens"]
    assert run["tokens_completion"] == plan["completion_tokens"]
    assert run["tokens_reasoning_reported"] == plan["reasoning_tokens"]
    assert run["tokens_source"] == "reported"
    assert run["answer"] == plan["answer"]
    assert run["reasoning"] == "Thinking about AIME2023II_P1."
    assert run["score"] == 1.0 and run["grader"] == "inspect:includes"
    assert run["duration_s"] > 0
    assert run["domain"] == "math"
    assert run["suite"] == "study_prompts"
    assert run["sample_index"] == 0
    assert run["origin"] == "inspect:inspect_study.eval"


def test_inspect_prompts_join_the_study_after_whitespace_is_normalised():
    runs, _ = read(FIXTURES / "inspect_study.eval")
    # The generator re-wrapped two of the prompts (doubled spaces, newlines).
    assert sorted(by_prompt(runs)) == sorted(BY_ID)
    users = [r for r in runs if r.get("prompt_id") is None]
    assert {r["prompt_text"] for r in users} == {e["prompt"] for e in PLAN if not e["prompt_id"]}
    # A user question reports no reasoning count: null, never zero.
    assert all(r["tokens_reasoning_reported"] is None for r in users)


def test_inspect_json_log_with_epochs():
    runs, notes = read(FIXTURES / "inspect_small.json")
    assert notes == []
    assert len(runs) == 6
    assert sorted(r["sample_index"] for r in runs) == [0, 0, 0, 1, 1, 1]
    assert len({r["run_id"] for r in runs}) == 6


def test_promptfoo_result_fields():
    runs, notes = read(FIXTURES / "promptfoo_study.json")
    assert notes == []
    run = by_prompt(runs)["one_plus_one"]
    plan = BY_ID["one_plus_one"]
    assert run["model"] == "openai:chat:loopback-reasoner"
    assert (run["tokens_prompt"], run["tokens_completion"], run["tokens_reasoning_reported"]) == (
        plan["prompt_tokens"],
        plan["completion_tokens"],
        plan["reasoning_tokens"],
    )
    assert run["answer"] == plan["answer"]
    assert run["score"] == 1.0 and run["grader"] == "promptfoo"
    assert run["finish_reason"] == "stop"
    assert run["cost_usd"] is None  # promptfoo writes 0 when it has no price


def test_promptfoo_errored_result_is_failed_with_unknown_counts():
    runs, _ = read(FIXTURES / "promptfoo_study.json")
    [failed] = [r for r in runs if r["status"] == "failed"]
    assert failed["error"].startswith("API error: 400")
    # The result-level tokenUsage says 0 for a call that never answered: unknown.
    assert failed["tokens_completion"] is None and failed["tokens_prompt"] is None
    assert failed.get("score") is None


def test_promptfoo_version_2_output_reads_without_counts():
    runs, notes = read(FIXTURES / "promptfoo_v2.json")
    assert notes == []
    assert {r["answer"] for r in runs} == {"2", "Paris"}
    assert all(r["tokens_completion"] is None and r["tokens_source"] is None for r in runs)
    assert by_prompt(runs)["one_plus_one"]["score"] == 1.0


def test_openrouter_documented_example_fields():
    runs, notes = read(FIXTURES / "openrouter_docs.jsonl")
    assert notes == []
    # The same generation, once in its envelope and once bare: the same run.
    assert len({r["run_id"] for r in runs}) == 1
    run = runs[0]
    assert run["model"] == "sao10k/l3-stheno-8b"
    assert run["provider"] == "Infermatic"
    assert run["endpoint"] == "openrouter.ai"
    assert (run["tokens_prompt"], run["tokens_completion"], run["tokens_reasoning_reported"]) == (
        10,
        25,
        5,
    )
    assert run["cost_usd"] == 0.0015
    assert run["finish_reason"] == "stop"
    assert run["duration_s"] == 1.25
    assert run["tokens_per_s"] == pytest.approx(25 / 1.2)
    assert run["prompt_text"] is None  # a generation record holds no prompt


def test_openrouter_records_join_the_study_through_saved_messages():
    runs, _ = read(FIXTURES / "openrouter_study.json")
    assert sorted(by_prompt(runs)) == sorted(BY_ID)


@pytest.mark.parametrize("name", ["otel_console.json", "otel_otlp.jsonl"])
def test_otel_genai_span_fields(name):
    runs, _ = read(FIXTURES / name)
    run = by_prompt(runs)["train_distance"]
    plan = BY_ID["train_distance"]
    assert run["model"] == "loopback-reasoner"  # the requested model, not the snapshot
    assert (run["tokens_prompt"], run["tokens_completion"], run["tokens_reasoning_reported"]) == (
        plan["prompt_tokens"],
        plan["completion_tokens"],
        plan["reasoning_tokens"],
    )
    assert run["answer"] == plan["answer"]
    assert run["finish_reason"] == "stop"
    assert run["provider"] == "openai"
    assert run["duration_s"] is not None and run["duration_s"] >= 0


def test_otel_openllmetry_attribute_names():
    runs, _ = read(FIXTURES / "otel_console.json")
    olm = [r for r in runs if r["model"] == "openllmetry-model"]
    plan = {e["prompt"]: e for e in PLAN if not e["prompt_id"]}
    assert len(olm) == 2
    for run in olm:
        entry = plan[run["prompt_text"]]
        assert run["tokens_completion"] == entry["completion_tokens"]
        assert run["tokens_reasoning_reported"] == entry["reasoning_tokens"]
        assert run["answer"] == entry["answer"]


def test_litellm_payload_fields():
    runs, notes = read(FIXTURES / "litellm_study.jsonl")
    assert notes == []
    run = by_prompt(runs)["roses_logic"]
    plan = BY_ID["roses_logic"]
    assert run["model"] == "loopback-reasoner"
    assert run["tokens_completion"] == plan["completion_tokens"]
    # From the response usage's completion_tokens_details.
    assert run["tokens_reasoning_reported"] == plan["reasoning_tokens"]
    expected_cost = plan["prompt_tokens"] * 1e-6 + plan["completion_tokens"] * 4e-6
    assert run["cost_usd"] == pytest.approx(expected_cost)
    assert run["duration_s"] > 0


def test_litellm_failure_payload_is_failed_with_unknown_counts():
    runs, _ = read(FIXTURES / "litellm_study.jsonl")
    [failed] = [r for r in runs if r["status"] == "failed"]
    assert "the mock provider refused this one" in (failed["error"] or "") or failed["error"]
    assert failed["tokens_completion"] is None and failed["cost_usd"] is None


def test_explicit_format_that_does_not_fit_says_so(fixture_copy):
    path = fixture_copy("promptfoo_study.json")
    with pytest.raises(ImportFileError):
        read(path, "inspect")

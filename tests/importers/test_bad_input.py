"""Bad input: one line naming the file and the reason, and nothing else lost."""

from __future__ import annotations

import json

from tokenscope.importers.session import ImportSession, read_file

from .conftest import FIXTURES


def plan_of(*paths):
    return ImportSession(list(paths)).plan()


def test_truncated_eval_keeps_the_samples_before_the_cut(fixture_copy):
    truncated = fixture_copy("inspect_truncated.eval")
    whole = fixture_copy("openrouter_docs.jsonl")
    plan = plan_of(truncated, whole)
    [line] = plan.messages()
    assert line.startswith("inspect_truncated.eval: ") and "cut short" in line
    from_eval = [r for r in plan.new_runs if r["origin"].startswith("inspect:")]
    assert 0 < len(from_eval) < 21
    complete = {r["run_id"] for r in read_file(FIXTURES / "inspect_study.eval").runs}
    assert {r["run_id"] for r in from_eval} <= complete  # each salvaged sample is whole
    assert any(r["origin"].startswith("openrouter:") for r in plan.new_runs)


def test_eval_cut_before_any_sample_is_one_line(tmp_path):
    head = (FIXTURES / "inspect_study.eval").read_bytes()[:600]
    path = tmp_path / "cut.eval"
    path.write_bytes(head)
    [line] = plan_of(path).messages()
    assert line.startswith("skipped cut.eval: ")


def test_promptfoo_output_of_an_unknown_version_is_one_line(tmp_path):
    # A real promptfoo output with its results block re-labelled as a future version.
    doc = json.loads((FIXTURES / "promptfoo_study.json").read_text())
    doc["results"]["version"] = 4
    path = tmp_path / "future.json"
    path.write_text(json.dumps(doc))
    plan = plan_of(path, FIXTURES / "litellm_study.jsonl")
    assert plan.messages() == [
        "skipped future.json: promptfoo output version 4 is not one tokenscope reads "
        "(versions 2 and 3); export it again with a current promptfoo"
    ]
    assert len(plan.new_runs) == 22  # the LiteLLM file is untouched


def test_spans_without_genai_attributes_are_one_line():
    plan = plan_of(FIXTURES / "otel_no_genai.json")
    [line] = plan.messages()
    assert line.startswith("otel_no_genai.json: span ")
    assert "and 1 more: no GenAI attributes" in line
    assert plan.new_runs == [] and plan.skipped_records == 2


def test_negative_and_absurd_counts_empty_that_field_only():
    result = read_file(FIXTURES / "openrouter_bad_counts.jsonl")
    assert result.lines() == [
        "openrouter_bad_counts.jsonl: line 2: tokens_completion is negative (-25); left empty",
        "openrouter_bad_counts.jsonl: line 3: tokens_prompt is beyond any real count "
        "(over 2^63) (100000000000000000000); left empty",
    ]
    good, negative, absurd = result.runs
    assert negative["tokens_completion"] is None and negative["tokens_prompt"] == 10
    assert negative["tokens_per_s"] is None  # no rate from a count that was thrown out
    assert absurd["tokens_prompt"] is None and absurd["tokens_completion"] == 25
    assert good["tokens_completion"] == 25


def test_a_torn_line_costs_only_itself(tmp_path):
    lines = (FIXTURES / "litellm_study.jsonl").read_text().splitlines()
    path = tmp_path / "payloads.jsonl"
    path.write_text("\n".join([*lines[:3], lines[3][:200], *lines[4:]]) + "\n")
    result = read_file(path)
    assert len(result.runs) == len(lines) - 1
    [line] = result.lines()
    assert line.startswith("payloads.jsonl: line 4: not valid JSON")
    assert line.endswith("; skipped")


def test_unknown_missing_and_empty_files_are_one_line_each(tmp_path):
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello\n")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    missing = tmp_path / "gone.eval"
    plan = plan_of(unknown, empty, missing, FIXTURES / "openrouter_docs.jsonl")
    messages = plan.messages()
    assert len(messages) == 3
    assert messages[0].startswith("skipped notes.txt: not a format tokenscope imports")
    assert messages[1].startswith("skipped empty.jsonl: ")
    assert messages[2] == "skipped gone.eval: no such file"
    assert len(plan.new_runs) == 1


def test_control_characters_from_a_file_are_escaped_in_messages(tmp_path):
    path = tmp_path / "evil\x1b]0;owned\x07.jsonl"
    record = json.loads((FIXTURES / "openrouter_docs.jsonl").read_text().splitlines()[1])
    record["native_tokens_prompt"] = "\x1b[31mred"
    path.write_text(json.dumps(record) + "\n")
    [line] = read_file(path).lines()
    assert "\x1b" not in line and "\x07" not in line
    assert "evil\\x1b]0;owned\\x07.jsonl" in line
    assert "\\x1b[31mred" in line


def test_text_fields_keep_their_content_verbatim(tmp_path):
    payload = json.loads((FIXTURES / "litellm_study.jsonl").read_text().splitlines()[0])
    payload["response"]["choices"][0]["message"]["content"] = "a\x1b[2Jb"
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(payload) + "\n")
    [run] = read_file(path).runs
    assert run["answer"] == "a\x1b[2Jb"  # stored as data; escaped only where printed

"""Suites: the study's own, and user files with clear one-line errors."""

from __future__ import annotations

import pytest

from tokenscope.data.loader import LoadError
from tokenscope.suite.suites import load_suite


def test_study_suite_has_19_prompts_with_criteria():
    suite = load_suite("study")
    assert len(suite.prompts) == 19
    aus = suite.only(["capital_of_australia"]).prompts[0]
    assert aus.prompt == "What is the capital of Australia?"
    assert aus.criteria == ("Answer is Canberra",) and aus.domain == "knowledge"


def test_unknown_only_id_is_named():
    with pytest.raises(LoadError, match="unknown prompt 'nope'"):
        load_suite("study").only(["nope"])


def test_toml_and_jsonl_suites(tmp_path):
    toml = tmp_path / "mine.toml"
    toml.write_text(
        '[[prompt]]\nid = "sum"\ndomain = "math"\nprompt = "2+2?"\ncriteria = ["Answer is 4"]\n'
    )
    suite = load_suite(str(toml))
    assert suite.name == "mine" and suite.prompts[0].weights == (1.0,)
    jsonl = tmp_path / "mine.jsonl"
    jsonl.write_text('{"id": "a", "prompt": "Hi?", "criteria": []}\n\n')
    assert load_suite(str(jsonl)).prompts[0].prompt_id == "a"


@pytest.mark.parametrize(
    "name, body, needle",
    [
        ("bad.toml", "[[prompt]\n", "not valid TOML"),
        ("empty.toml", "", "no prompts"),
        ("noid.toml", '[[prompt]]\nprompt = "x"\n', "missing 'id'"),
        ("dup.jsonl", '{"id":"a","prompt":"x"}\n{"id":"a","prompt":"y"}\n', "appears twice"),
        ("broken.jsonl", '{"id":"a","prompt":"x"}\n{oops\n', "line 2"),
        ("dom.jsonl", '{"id":"a","prompt":"x","domain":"poetry"}\n', "unknown domain"),
    ],
)
def test_bad_suite_files_give_one_line(tmp_path, name, body, needle):
    path = tmp_path / name
    path.write_text(body)
    with pytest.raises(LoadError, match=needle) as err:
        load_suite(str(path))
    assert "\n" not in str(err.value)


def test_missing_suite_file(tmp_path):
    with pytest.raises(LoadError, match="not found"):
        load_suite(str(tmp_path / "nope.toml"))

"""The rule grader agrees with the study's judge, and leaves what it cannot judge ungraded."""

from __future__ import annotations

import pytest

from tokenscope.data.loader import load_dataset
from tokenscope.suite.grading import parse_judge_reply, rule_check, rule_grade


@pytest.mark.parametrize(
    "criterion, answer, expected",
    [
        ("Answer is 220", "so the greatest is \\boxed{220}.", True),
        ("Answer is 220", "so the greatest is \\boxed{110}. (220 was a guess)", False),
        ("Answer ìs 2", "1 + 1 = 2", True),
        ("Answer is 29", "February has 29 days instead of the usual 28.", True),
        ("Answer is 29", "February has 28 days.", False),
        ("Answer is Canberra", "The capital of Australia is **Canberra**.", True),
        ("Answer is Canberra", "It is Sydney.", False),
        ("Answer is South America", "Brazil lies in south\nAmerica.", True),
        ("Answer is 150 kilometers", "The train travels 150 km.", True),
        ("Answer states to switch doors", "You should switch.", None),
    ],
)
def test_rule_check(criterion, answer, expected):
    assert rule_check(criterion, answer) is expected


def test_ungraded_stays_null_not_wrong():
    grade = rule_grade("You should switch.", ("Answer states to switch doors",), (1.0,))
    assert grade.score is None and grade.grader is None


def test_rule_grader_agrees_with_the_studys_judge():
    ds = load_dataset("bundled")
    criteria = dict(zip(ds.prompts["prompt_id"], ds.prompts["criteria"], strict=False))
    agree = total = 0
    for run in ds.runs.iter_rows(named=True):
        verdict = rule_check(criteria[run["prompt_id"]][0], run["answer"] or "")
        if verdict is None or not run["criteria_met"]:
            continue
        total += 1
        agree += verdict == run["criteria_met"][0]
    assert total > 1500
    assert agree / total > 0.98


def test_judge_reply_is_parsed_with_reasons():
    reply = (
        'Sure.\n```json\n{"criteria": [{"criterion": "c", "met": true, "reason": "says 17"}],'
        ' "feedback": "fine"}\n```'
    )
    met, notes = parse_judge_reply(reply, ("c",))
    assert met == (True,) and "says 17" in notes


def test_judge_reply_with_wrong_count_is_refused():
    with pytest.raises(ValueError):
        parse_judge_reply('{"criteria": []}', ("a",))


def test_a_live_question_that_is_a_study_prompt_is_graded(isolated_user_dirs):
    from tokenscope.suite.grading import grade_asked_run

    right = {"status": "ok", "prompt_id": "capital_of_australia", "answer": "It is Canberra."}
    wrong = {"status": "ok", "prompt_id": "capital_of_australia", "answer": "Sydney."}
    grade_asked_run(right)
    grade_asked_run(wrong)
    assert right["score"] == 1.0 and right["grader"] == "rule" and right["criteria_met"] == [True]
    assert wrong["score"] == 0.0
    # Not a study prompt, or no answer to grade: left ungraded (null, never wrong).
    free = {"status": "ok", "prompt_id": None, "answer": "Canberra"}
    failed = {"status": "failed", "prompt_id": "capital_of_australia", "answer": ""}
    grade_asked_run(free)
    grade_asked_run(failed)
    assert "score" not in free and "score" not in failed

"""Grade an answer against the study's criteria.

The rule grader handles criteria of the form "Answer is X" where X is a number
(optionally with a unit) or a short phrase. Anything else stays ungraded (None)
unless an LLM judge is used; ungraded never counts as wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_EXPECTED = re.compile(r"^\s*answer\s+[iì]s\s+(?P<value>.+?)\s*\.?\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
# A short answer may mention other numbers around its value ("1 + 1 = 2",
# "29 days, not the usual 28"); a long worked solution states it last.
_SHORT_ANSWER_CHARS = 300
_MAX_PHRASE_WORDS = 3


@dataclass(frozen=True)
class Grade:
    met: tuple[bool | None, ...]
    score: float | None
    grader: str | None
    notes: str | None = None


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def rule_check(criterion: str, answer: str) -> bool | None:
    """True/False when the criterion has a clear expected value, else None."""
    match = _EXPECTED.match(criterion)
    if not match:
        return None
    value = match.group("value")
    head = _NUMBER.match(value)
    if head and len(value.split()) <= 2:
        expected = _number(head.group())
        marked = _BOXED.findall(answer)[-1:]
        found = [_number(n) for text in (marked or [answer]) for n in _NUMBER.findall(text)]
        if not found:
            return False
        if marked or len(answer) > _SHORT_ANSWER_CHARS:
            return found[-1] == expected
        return expected in found
    if len(value.split()) <= _MAX_PHRASE_WORDS:
        pattern = r"\b" + r"\s+".join(map(re.escape, value.split())) + r"\b"
        return re.search(pattern, answer, re.IGNORECASE) is not None
    return None


def weighted(met: tuple[bool | None, ...], weights: tuple[float, ...]) -> float | None:
    if not met or any(m is None for m in met):
        return None
    weights = weights if len(weights) == len(met) else (1.0,) * len(met)
    total = sum(weights)
    return sum(w for w, m in zip(weights, met, strict=False) if m) / total if total else None


def apply_grade(record: dict[str, Any], grade: Grade) -> None:
    """Write a grade into a run record (an ungradable answer stays ungraded: null, never 0)."""
    if grade.score is None and not grade.met:
        return
    record["criteria_met"] = [bool(m) for m in grade.met] if grade.score is not None else None
    record["criteria_met_count"] = sum(1 for m in grade.met if m)
    record["criteria_total"] = len(grade.met)
    record["score"] = grade.score
    record["grader"] = grade.grader
    record["grading_notes"] = grade.notes


def grade_asked_run(record: dict[str, Any]) -> None:
    """A question asked live that is one of the study's prompts is graded like a suite
    run (by the rule grader), so the run counts toward its model's success rate."""
    if (
        record.get("status") != "ok"
        or not record.get("prompt_id")
        or record.get("score") is not None
    ):
        return
    from tokenscope.suite.suites import load_suite

    prompt = next(
        (p for p in load_suite("study").prompts if p.prompt_id == record["prompt_id"]), None
    )
    if prompt is not None:
        apply_grade(record, rule_grade(record.get("answer"), prompt.criteria, prompt.weights))


def rule_grade(answer: str | None, criteria: tuple[str, ...], weights: tuple[float, ...]) -> Grade:
    if answer is None or not criteria:
        return Grade((), None, None)
    met = tuple(rule_check(c, answer) for c in criteria)
    score = weighted(met, weights)
    return Grade(met, score, "rule" if score is not None else None)


JUDGE_INSTRUCTIONS = """You grade an answer against criteria. For each criterion, decide \
whether the answer meets it, and give a one-sentence reason. Reply with JSON only:
{"criteria": [{"criterion": "...", "met": true, "reason": "..."}], "feedback": "..."}"""


def judge_prompt(question: str, answer: str, criteria: tuple[str, ...]) -> str:
    listed = "\n".join(f"{i + 1}. {c}" for i, c in enumerate(criteria))
    return (
        f"{JUDGE_INSTRUCTIONS}\n\nQuestion:\n{question}\n\nAnswer to grade:\n{answer}\n\n"
        f"Criteria:\n{listed}\n"
    )


def parse_judge_reply(reply: str, criteria: tuple[str, ...]) -> tuple[tuple[bool | None, ...], str]:
    """Read the judge's JSON (tolerating fences and prose around it)."""
    start, end = reply.find("{"), reply.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the judge's reply holds no JSON object")
    doc = json.loads(reply[start : end + 1])
    items = doc.get("criteria")
    if not isinstance(items, list) or len(items) != len(criteria):
        raise ValueError(f"the judge graded {len(items or [])} criteria, expected {len(criteria)}")
    met = tuple(bool(i.get("met")) if isinstance(i.get("met"), bool) else None for i in items)
    reasons = "; ".join(str(i.get("reason", "")).strip() for i in items if i.get("reason"))
    feedback = str(doc.get("feedback") or "").strip()
    return met, " ".join(x for x in (reasons, feedback) if x)

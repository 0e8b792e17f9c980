"""Grading with an LLM judge, from recorded transcripts on loopback."""

from __future__ import annotations

import json

from cli_in_process import run_cli
from probe.transcript_server import Reply

tokenscope = run_cli


def test_judge_scores_each_criterion_with_its_reason(transcripts):
    model_url = transcripts.add_transcript("judge_model_answer")
    judge_url = transcripts.add_transcript("judge_grading")
    proc = tokenscope(
        "run",
        "--only",
        "bridge_torch_easy",
        "-n",
        "1",
        "--base-url",
        model_url,
        "--model",
        "m",
        "--judge",
        "judge-m",
        "--judge-base-url",
        judge_url,
    )
    assert proc.returncode == 0, proc.stderr
    run = json.loads(tokenscope("runs", "--source", "user", "--format", "json").stdout)[0]
    assert run["score"] == 1.0 and run["criteria_met"] == [True]
    assert run["grader"] == "judge:judge-m"
    assert "all four cross at once" in run["grading_notes"]
    # The judge saw the question, the answer and the criterion.
    sent = transcripts.requests_for(judge_url.rsplit("/", 1)[1])[-1].body
    text = json.dumps(sent)
    assert "rickety bridge" in text and "All four cross together" in text
    assert "crossing together in 10 minutes" in text


def test_a_judge_that_fails_leaves_the_run_ungraded_not_wrong(transcripts):
    model_url = transcripts.add_transcript("judge_model_answer")
    prose = (
        b'data: {"choices": [{"index": 0, "delta": {"content": "Looks fine to me."}}]}\n\n'
        b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n'
        b"data: [DONE]\n\n"
    )
    broken = transcripts.add("judge-prose", Reply(prose))
    proc = tokenscope(
        "run",
        "--only",
        "bridge_torch_easy",
        "-n",
        "1",
        "--base-url",
        model_url,
        "--model",
        "m",
        "--judge",
        "j",
        "--judge-base-url",
        broken,
    )
    assert proc.returncode == 0, proc.stderr
    run = json.loads(tokenscope("runs", "--source", "user", "--format", "json").stdout)[0]
    assert run["status"] == "ok" and run["score"] is None and run["grader"] is None

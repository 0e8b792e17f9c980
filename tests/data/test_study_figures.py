"""Only the study's prompts count toward a model's figures, and every table says the same."""

from __future__ import annotations

import json

import pytest

from tokenscope.cli import main
from tokenscope.data.store import append_run

SKY = "Why is the sky blue?"


def cli_json(capsys, *args: str) -> list[dict]:
    assert main([*args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def add_model_with_two_asks() -> None:
    append_run(
        {"model": "m", "prompt_id": "capital_of_australia", "tokens_completion": 100, "score": 1.0}
    )
    for tokens in (5000, 7000):
        append_run({"model": "m", "prompt_text": SKY, "tokens_completion": tokens, "suite": "ask"})


def test_ad_hoc_questions_stay_out_of_the_leaderboard(data_dir, capsys):
    add_model_with_two_asks()
    (board,) = cli_json(capsys, "leaderboard", "--source", "user")
    assert (board["n_runs"], board["n_prompts"]) == (1, 1)
    assert board["mean_completion_tokens"] == 100
    assert board["relative_completion_tokens"] == pytest.approx(100 / 74.6, rel=1e-3)
    # ... and stay visible in Runs.
    runs = cli_json(capsys, "runs", "--model", "m")
    assert sorted(r["tokens_completion"] for r in runs) == [100, 5000, 7000]


def test_a_model_asked_only_its_own_questions_is_listed_without_figures(data_dir, capsys):
    append_run({"model": "q", "prompt_text": SKY, "tokens_completion": 5000, "suite": "ask"})
    (board,) = cli_json(capsys, "leaderboard", "--source", "user")
    assert (board["model"], board["n_runs"], board["n_prompts"]) == ("q", 0, 0)
    assert board["mean_completion_tokens"] is None and board["success_rate"] is None


def test_models_and_leaderboard_agree_for_every_model(data_dir, capsys):
    add_model_with_two_asks()
    board = cli_json(capsys, "leaderboard")
    models = {(m["model"], m["source"]): m for m in cli_json(capsys, "models")}
    for row in board:
        listed = models[(row["model"], row["source"])]
        assert (listed["n_runs"], listed["n_prompts"]) == (row["n_runs"], row["n_prompts"])
    assert models[("m", "user")]["n_other_runs"] == 2


def test_a_model_without_token_counts_still_counts_its_prompts(data_dir, capsys):
    # The study published only characters for deepseek-r1-0528-ds: its runs and grades
    # count, its token figures stay empty.
    board = {r["model"]: r for r in cli_json(capsys, "leaderboard", "--source", "bundled")}
    ds = board["deepseek-r1-0528-ds"]
    assert (ds["n_runs"], ds["n_prompts"]) == (34, 7)
    assert ds["mean_completion_tokens"] is None and ds["relative_completion_tokens"] is None


@pytest.mark.parametrize("spelling", ["Math", "MATH", " math "])
def test_domain_in_any_case(data_dir, capsys, spelling):
    board = cli_json(capsys, "leaderboard", "--domain", spelling)
    assert board and all(r["n_prompts"] <= 6 for r in board)
    runs = cli_json(capsys, "runs", "--domain", spelling, "--model", "o4-mini-high-long")
    assert runs and {r["domain"] for r in runs} == {"math"}

"""The built-in model from the CLI: the name the app gives it. (A suite that resumes
although its server gets a new port at every launch: tests/tui/test_first_hour.py.)"""

from __future__ import annotations

import json

from tokenscope.ask.models import local_choice
from tokenscope.cli import main
from tokenscope.data import store
from tokenscope.probe import local_model

QUESTION = "What is the capital of Australia?"
SHORT = ("--max-tokens", "8", "--temperature", "0")


def stored() -> list[dict]:
    path = store.store_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_ask_on_the_local_endpoint_stores_the_app_s_model_under_its_name(
    local_model_installed, capsys
):
    assert main(["ask", "--endpoint", "local", *SHORT, QUESTION]) == 0
    asked = capsys.readouterr().out
    # Eight tokens cannot hold an answer: the run says it was cut, as the app's pane does.
    assert f"== {local_model.MODEL_LABEL} @ local: ok · cut at max tokens" in asked
    (run,) = stored()
    # The Ask view lists the built-in model under this label and saves its runs so.
    assert (run["model"], run["endpoint"], run["suite"]) == (local_choice().label, "local", "ask")
    # A study prompt: the run joins the model's leaderboard row.
    assert main(["leaderboard", "--source", "user", "--format", "json"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert [(r["model"], r["n_runs"]) for r in board] == [(local_choice().label, 1)]


def test_config_lists_the_local_endpoint(capsys):
    assert main(["config"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.split()[:1] == ["local"])
    assert "built-in Gemma 3 270M" in line


def test_local_endpoint_serves_only_the_built_in_model(capsys):
    assert main(["run", "--endpoint", "local", "--model", "llama3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "serves only the built-in model" in err

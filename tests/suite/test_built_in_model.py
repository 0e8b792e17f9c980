"""The built-in model from the CLI: the name the app gives it, and a suite that resumes
although its server gets a new port at every launch."""

from __future__ import annotations

import json
import socket
from contextlib import ExitStack

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


def distinct_free_ports(count: int) -> list[int]:
    """Free loopback ports, all different (held open together while they are picked)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def test_local_endpoint_stores_the_app_s_model_and_resumes_across_launches(
    local_model_installed, monkeypatch, capsys
):
    # Every launch of the server gets a port of its own, as it does for a user.
    ports = distinct_free_ports(3)
    used: list[int] = []

    def next_port() -> int:
        used.append(ports.pop(0))
        return used[-1]

    monkeypatch.setattr(local_model, "free_port", next_port)

    assert main(["ask", "--endpoint", "local", *SHORT, QUESTION]) == 0
    asked = capsys.readouterr().out
    # Eight tokens cannot hold an answer: the run says it was cut, as the app's pane does.
    assert f"== {local_model.MODEL_LABEL} @ local: ok · cut at max tokens" in asked

    run = ["run", "--endpoint", "local", "--only", "capital_of_australia", *SHORT]
    assert main([*run, "-n", "1"]) == 0
    assert "1/1 samples" in capsys.readouterr().out
    # A later launch, on another port: sample 0 is done, only sample 1 is asked.
    assert main([*run, "-n", "2"]) == 0
    assert "1/1 samples, 1 already done" in capsys.readouterr().out
    assert len(set(used)) == 3  # three launches, three ports
    # Nothing left to ask: no server is started at all.
    assert main([*run, "-n", "2"]) == 0
    assert "2 already done" in capsys.readouterr().out and len(used) == 3

    runs = stored()
    # The Ask view lists the built-in model under this label and saves its runs so.
    assert {r["model"] for r in runs} == {local_choice().label}
    assert {r["endpoint"] for r in runs} == {"local"}
    assert [(r["suite"], r.get("sample_index")) for r in runs] == [
        ("ask", None),
        ("study", 0),
        ("study", 1),
    ]

    assert main(["leaderboard", "--source", "user", "--format", "json"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert [(r["model"], r["n_runs"]) for r in board] == [(local_choice().label, 3)]


def test_config_lists_the_local_endpoint(capsys):
    assert main(["config"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.split()[:1] == ["local"])
    assert "built-in Gemma 3 270M" in line


def test_local_endpoint_serves_only_the_built_in_model(capsys):
    assert main(["run", "--endpoint", "local", "--model", "llama3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "serves only the built-in model" in err

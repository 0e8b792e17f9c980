"""What a newcomer meets first on the command line: a broken config file, a dead
server and a replay of a question the study never asked each say one line."""

from __future__ import annotations

import json
import socket

import pytest
from suite.test_run_command import tokenscope

from tokenscope.cli import main


@pytest.fixture
def dead_url():
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize("command", ["leaderboard", "models"])
def test_a_broken_config_is_said_once_and_the_defaults_used(command, capsys, monkeypatch, tmp_path):
    # Not TOML, and a name holding a terminal escape: said once, literally.
    path = tmp_path / "bad\x1b[2J.toml"
    path.write_text("default_endpoint = \n[prices\n", encoding="utf-8")
    monkeypatch.setenv("TOKENSCOPE_CONFIG", str(path))
    assert main([command, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert len(json.loads(out)) >= 29
    assert err.count("\n") == 1 and "using the defaults" in err
    assert "\x1b" not in err and "bad\\x1b[2J.toml" in err


def test_ask_on_a_dead_server_is_one_line(dead_url):
    proc = tokenscope("ask", "--base-url", dead_url, "--model", "x", "What is 2 + 2?")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "refused" in proc.stderr


def test_ask_on_a_dead_server_is_one_line_even_for_a_study_prompt(dead_url):
    # The study's baseline is only announced once a model answers.
    q = "What is the capital of Australia?"
    proc = tokenscope("ask", "--base-url", dead_url, "--model", "x", q)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "refused" in proc.stderr


@pytest.mark.parametrize("only", ["one_plus_one", None])
def test_run_on_a_dead_server_is_one_line(dead_url, only):
    args = ["run", "--base-url", dead_url, "--model", "x", "-n", "1"]
    proc = tokenscope(*args, *(["--only", only] if only else []))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "refused" in proc.stderr


def test_a_replay_of_an_unknown_question_leads_with_the_hint():
    question = "Why is the sky blue? " + "Explain every detail of Rayleigh scattering. " * 5
    proc = tokenscope("ask", "--replay", "gpt-oss-120b", question)
    assert proc.returncode == 1 and proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    hint = "a replay needs one of the study's prompts"
    # Within the first 80 columns, whatever the question's length.
    assert hint in line[:80] and len(line) < 200

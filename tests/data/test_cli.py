"""The scriptable CLI, as a user drives it from a shell."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tokenscope.data.store import append_run

LEADERBOARD_KEYS = {
    "model",
    "lab",
    "open_weights",
    "n_runs",
    "n_prompts",
    "mean_completion_tokens",
    "mean_reasoning_tokens",
    "relative_completion_tokens",
    "success_rate",
    "cost_per_query_usd_min",
    "cost_per_query_usd_max",
    "chars_per_token",
    "source",
}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tokenscope.cli", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


def test_leaderboard_json_lists_all_38_models_of_the_latest_edition(data_dir):
    proc = cli("leaderboard", "--domain", "knowledge", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) == 38
    assert {"gpt-5", "claude-opus-4.5", "Hermes-4-405B"} <= {r["model"] for r in rows}
    assert LEADERBOARD_KEYS <= set(rows[0])
    by_model = {r["model"]: r for r in rows}
    assert by_model["gpt-oss-120b"]["open_weights"] is True
    assert by_model["o4-mini-high-long"]["n_prompts"] == 5


def test_the_august_edition_is_the_reports_29_models(data_dir):
    proc = cli("leaderboard", "--edition", "2025-08", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    models = {r["model"] for r in json.loads(proc.stdout)}
    assert len(models) == 29 and "gpt-5" not in models
    for command in ("runs", "prompts", "models"):
        proc = cli(command, "--edition", "2025-08", "--format", "csv")
        assert proc.returncode == 0, (command, proc.stderr)
        assert "gpt-5" not in proc.stdout, command


def test_trends_follows_each_lineage_in_release_order(data_dir):
    proc = cli("trends", "--domain", "all", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    deepseek = [r["model"] for r in rows if r["lineage"].startswith("DeepSeek")]
    assert deepseek[:2] == ["deepseek-r1", "deepseek-r1-0528"]
    assert {r["domain"] for r in rows} == {"all"}
    # August has no gpt-5: the step stays, marked as not measured in that edition.
    proc = cli("trends", "--domain", "all", "--edition", "2025-08", "--format", "json")
    gpt5 = [r for r in json.loads(proc.stdout) if r["model"] == "gpt-5"]
    assert gpt5 and gpt5[0]["measured"] is False and gpt5[0]["relative_completion_tokens"] is None


def test_a_user_lineage_in_the_config_joins_the_trends(data_dir, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(
        '[[lineages]]\nname = "Mine"\nmodels = ["o3-mini-high", "gpt-5"]\n', encoding="utf-8"
    )
    monkeypatch.setenv("TOKENSCOPE_CONFIG", str(config))
    proc = cli("trends", "--domain", "math", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    mine = [r for r in json.loads(proc.stdout) if r["lineage"] == "Mine"]
    assert [r["model"] for r in mine] == ["o3-mini-high", "gpt-5"]
    assert mine[1]["previous_model"] == "o3-mini-high"
    config.write_text('[[lineages]]\nname = "Mine"\nmodels = []\n', encoding="utf-8")
    proc = cli("trends")
    assert proc.returncode == 2 and "lineages[0].models" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_every_format_renders(data_dir, fmt):
    proc = cli("leaderboard", "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    assert "magistral-small-2506" in proc.stdout


def test_reference_selection_changes_the_normaliser(data_dir):
    default = {r["model"]: r for r in json.loads(cli("leaderboard", "--format", "json").stdout)}
    proc = cli("leaderboard", "--reference", "gpt-oss-120b", "--format", "json")
    alt = {r["model"]: r for r in json.loads(proc.stdout)}
    assert alt["gpt-oss-120b"]["relative_completion_tokens"] == pytest.approx(1.0)
    assert default["gpt-oss-120b"]["relative_completion_tokens"] != pytest.approx(1.0)


@pytest.mark.parametrize(
    "args, needle",
    [
        (("leaderboard", "--domain", "poetry"), "unknown domain 'poetry'"),
        (("leaderboard", "--reference", "nope"), "unknown reference model 'nope'"),
        (("runs", "--model", "nope"), "unknown model 'nope'"),
        (("runs", "--prompt", "nope"), "unknown prompt 'nope'"),
    ],
)
def test_user_errors_are_one_line(data_dir, args, needle):
    proc = cli(*args)
    assert proc.returncode != 0
    assert needle in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "Traceback" not in proc.stderr


def test_runs_json_has_untruncated_texts_and_numeric_tokens(data_dir):
    proc = cli(
        "runs", "--model", "deepseek-r1-0528", "--prompt", "AIME2023II_P1", "--format", "json"
    )
    rows = json.loads(proc.stdout)
    assert len(rows) == 5
    longest = max(rows, key=lambda r: len(r["reasoning"] or ""))
    assert len(longest["reasoning"]) > 5000
    for key in ("tokens_completion", "tokens_reasoning", "tokens_answer"):
        assert isinstance(rows[0][key], (int, float))


def test_user_runs_join_the_leaderboard(data_dir):
    for i, tokens in enumerate((300, 500)):
        append_run(
            {
                "model": "my-model",
                "prompt_id": "capital_of_australia",
                "tokens_completion": tokens,
                "sample_index": i,
                "score": 1.0,
            }
        )
    (data_dir / "results" / "junk.parquet").write_bytes(b"junk")
    proc = cli("leaderboard", "--source", "user", "--format", "json")
    assert proc.returncode == 0
    rows = json.loads(proc.stdout)
    assert [r["model"] for r in rows] == ["my-model"]
    # Normalised against the study's references on that prompt (mean 74.6 tokens).
    assert rows[0]["relative_completion_tokens"] == pytest.approx(400 / 74.6, rel=1e-3)
    assert "skipped junk.parquet" in proc.stderr


def test_terminal_table_shows_model_text_literally(data_dir):
    append_run({"model": "evil", "tokens_completion": 3, "answer": "\x1b]0;pwned\x07\x1b[31mred"})
    proc = cli("runs", "--source", "user")
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "\\x1b]0;pwned\\x07\\x1b[31mred" in proc.stdout


@pytest.mark.parametrize("args", [(), ("leaderboard",), ("runs",), ("prompts",), ("models",)])
def test_version_and_help_everywhere(data_dir, capsys, args):
    from tokenscope.cli import main

    for flag, expected in (("--version", "tokenscope "), ("--help", "usage:")):
        with pytest.raises(SystemExit) as exited:
            main([*args, flag])
        assert exited.value.code == 0
        assert expected in capsys.readouterr().out


def test_failed_and_cancelled_runs_are_kept_but_not_counted(data_dir):
    append_run({"model": "m", "prompt_id": "one_plus_one", "tokens_completion": 100})
    append_run(
        {
            "model": "m",
            "prompt_id": "one_plus_one",
            "tokens_completion": 9000,
            "status": "cancelled",
        }
    )
    append_run({"model": "m", "prompt_id": "one_plus_one", "status": "failed", "error": "boom"})
    board = json.loads(cli("leaderboard", "--source", "user", "--format", "json").stdout)
    assert board[0]["n_runs"] == 1 and board[0]["mean_completion_tokens"] == 100
    runs = json.loads(cli("runs", "--source", "user", "--format", "json").stdout)
    assert sorted(r["status"] for r in runs) == ["cancelled", "failed", "ok"]


def test_config_init_writes_a_private_template_and_never_shows_keys(data_dir, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    first = cli("config", "--init")
    assert first.returncode == 0, first.stderr
    path = os.environ["TOKENSCOPE_CONFIG"]
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    again = cli("config", "--init")
    assert again.returncode == 2 and "already exists" in again.stderr
    shown = cli("config")
    assert shown.returncode == 0 and "openai" in shown.stdout and "key set" in shown.stdout
    assert "sk-very-secret" not in shown.stdout + shown.stderr

"""Issue 13, defect 10: no credential is written down, and what is written is owner-only."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from probe.transcript_server import Reply

from tokenscope.data.store import store_path

from .test_hostile_files import answer_stream

KEY = "sk-echoed-0123456789abcdef"


def ask(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenscope.cli", "ask", "--baseline", "none", *args, "Hi?"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


def saved_run() -> dict:
    (line,) = store_path().read_text().splitlines()
    return json.loads(line)


def test_10_a_key_the_server_echoes_is_not_stored(transcripts, monkeypatch):
    monkeypatch.setenv("MY_SERVICE_KEY", KEY)
    body = answer_stream(f"Your key is {KEY}.", reasoning=f"They sent {KEY} to me")
    url = transcripts.add("echo-key", Reply(body))
    proc = ask("--base-url", url, "--api-key-env", "MY_SERVICE_KEY", "--model", "m")
    assert proc.returncode == 0, proc.stderr
    assert transcripts.requests_for("echo-key")[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in store_path().read_text()
    run = saved_run()
    assert run["answer"] == "Your key is ***." and run["reasoning"] == "They sent *** to me"
    assert run["status"] == "ok" and run["error"] == "warning: redacted a secret"


def test_10_a_configured_endpoints_key_variable_is_redacted_whatever_its_name(
    transcripts, monkeypatch
):
    monkeypatch.setenv("BOX_CREDENTIAL", KEY)  # named like no key: known only from the config
    url = transcripts.add("echo-box", Reply(answer_stream(f"echo {KEY}")))
    config = Path(os.environ["TOKENSCOPE_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[endpoints.box]\nbase_url = "{url}"\napi_key_env = "BOX_CREDENTIAL"\n')
    proc = ask("--endpoint", "box", "--model", "m")
    assert proc.returncode == 0, proc.stderr
    assert KEY not in store_path().read_text()
    assert saved_run()["answer"] == "echo ***"


def test_10_a_basic_credential_from_a_url_is_not_stored(transcripts):
    password = "pa55-word-0123456789"
    basic = base64.b64encode(f"alice:{password}".encode()).decode()
    echo = f"Authorization: Basic {basic}"
    url = transcripts.add("echo-basic", Reply(answer_stream(echo, reasoning="x")))
    with_credentials = url.replace("http://", f"http://alice:{password}@")
    proc = ask("--base-url", with_credentials, "--model", "m")
    assert proc.returncode == 0, proc.stderr
    assert transcripts.requests_for("echo-basic")[0].headers["authorization"] == f"Basic {basic}"
    text = store_path().read_text()
    assert password not in text and basic not in text
    run = saved_run()
    assert run["answer"] == "Authorization: Basic ***"
    assert run["error"] == "warning: redacted a secret"


def test_10_every_file_tokenscope_writes_is_owner_only(tmp_path):
    from tokenscope.data import board_cache
    from tokenscope.data.store import append_run

    results = tmp_path / "fresh" / "results"
    append_run({"model": "m", "tokens_completion": 1}, results_dir=results)
    board_cache.save([{"model": "m"}])
    for path in (store_path(results), board_cache.cache_file()):
        assert oct(path.stat().st_mode & 0o777) == "0o600", path
    for folder in (results, results.parent):
        assert oct(folder.stat().st_mode & 0o777) == "0o700", folder

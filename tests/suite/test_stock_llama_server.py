"""`tokenscope run` against a stock llama-cpp-python server: its default cuts concurrent streams.

Started as a user would (``python -m llama_cpp.server``, no ``--interrupt_requests
False``), the server ends a streaming request with ``[DONE]`` and no finish reason
whenever a newer one arrives. The run must ask those samples again, go on one
request at a time, say so once, and store every sample whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from probe.helpers import local_model_server

from tokenscope.data import store
from tokenscope.suite.runner import SERIAL_NOTE

THREE = ("capital_of_australia", "one_plus_one", "leap_year_february_days")


@pytest.fixture(scope="module")
def stock_server(shared_cache_dir, tmp_path_factory):
    with local_model_server(
        tmp_path_factory.mktemp("stock-llama"),
        shared_cache_dir,
        n_ctx=512,
        interrupt_requests=True,  # the server's default
    ) as server:
        assert "--interrupt_requests" not in server.command()
        yield server.base_url


def test_a_stock_llama_cpp_python_server_gets_every_sample_whole(stock_server):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tokenscope.cli",
            "run",
            "--only",
            ",".join(THREE),
            "-n",
            "2",
            "--concurrency",
            "4",
            "--max-tokens",
            "12",
            "--temperature",
            "0",
            "--base-url",
            stock_server,
            "--model",
            "gemma",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
    )
    assert proc.returncode == 0, proc.stderr
    outcome = json.loads(proc.stdout)
    assert (outcome["samples_done"], outcome["samples_failed"]) == (6, 0)
    assert outcome["notes"] == [SERIAL_NOTE]
    assert proc.stderr.count(SERIAL_NOTE) == 1
    runs = [json.loads(line) for line in store.store_path().read_text().splitlines()]
    assert sorted((r["prompt_id"], r["sample_index"]) for r in runs) == sorted(
        (p, i) for p in THREE for i in range(2)
    )
    assert {r["status"] for r in runs} == {"ok"}
    assert {r["finish_reason"] for r in runs} <= {"stop", "length"}

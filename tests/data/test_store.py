"""The store never loses or corrupts earlier runs, whatever happens to the writer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tokenscope.data.loader import load_dataset
from tokenscope.data.store import append_run, store_path

WRITER = """
import sys
from tokenscope.data.store import append_run
i = 0
while True:
    append_run({"model": "w", "tokens_completion": i + 1, "answer": "x" * 5000})
    print(i, flush=True)
    i += 1
"""


def test_unknown_keys_and_api_keys_are_refused(data_dir):
    with pytest.raises(ValueError):
        append_run({"model": "m", "api_key": "sk-secret"})
    assert not store_path().exists() or "sk-secret" not in store_path().read_text()


def test_record_is_private_to_the_user(data_dir):
    append_run({"model": "m", "tokens_completion": 1})
    assert oct(store_path().stat().st_mode & 0o777) == "0o600"


def test_kill_9_mid_write_loses_nothing_already_written(data_dir):
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    acknowledged = -1
    for line in proc.stdout:  # each line: one more record on disk (a dead writer ends it)
        acknowledged = int(line)
        if acknowledged >= 40:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert acknowledged >= 40
    ds = load_dataset("user")
    tokens = ds.runs["tokens_completion"].to_list()
    # Every acknowledged record is there, in order, with nothing invented.
    assert tokens[: acknowledged + 1] == list(range(1, acknowledged + 2))
    assert tokens == list(range(1, len(tokens) + 1))
    assert len(ds.warnings) <= 1

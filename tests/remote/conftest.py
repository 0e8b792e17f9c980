"""A real S3-compatible server on loopback: moto's standalone server, one per pytest worker.

It runs in its own process (``moto_process.py``), so a test can pause it (SIGSTOP) or
take a second one down. Each test gets a fresh bucket, its own cache folder, and dummy
AWS credentials in the environment: the same path a real bucket takes (endpoint URL,
HTTP allowed, credentials from the environment).
"""

from __future__ import annotations

import os

import pytest

from remote.helpers import SECRET, Bucket, make_bucket, start_moto


@pytest.fixture(scope="session")
def s3_server():
    server = start_moto()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch, tmp_path):
    """Credentials from the environment only, and a cache of the test's own."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "moto-key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("TOKENSCOPE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def bucket(s3_server) -> Bucket:
    return make_bucket(s3_server)


@pytest.fixture
def data_dir(isolated_user_dirs):
    """This test's own data dir: the person running the CLI in-process."""
    return isolated_user_dirs

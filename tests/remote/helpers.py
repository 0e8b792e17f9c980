"""Helpers for the remote tests: a moto server process, a bucket, a person's runs.

It runs in its own process (``moto_process.py``), so a test can pause it (SIGSTOP) or
take a second one down. Each test gets a fresh bucket, its own cache folder, and dummy
AWS credentials in the environment: the same path a real bucket takes (endpoint URL,
HTTP allowed, credentials from the environment).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SECRET = "moto-secret-value-0123456789"


@dataclass
class MotoServer:
    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_moto() -> MotoServer:
    """Start a server and wait for the line saying it listens (no sleeping)."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "moto_process.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("port "):
        process.kill()
        raise RuntimeError(f"moto server did not start: {line!r}")
    return MotoServer(process, int(line.split()[1]))


@dataclass
class Bucket:
    server: MotoServer
    name: str

    def source_toml(self, source: str = "team", prefix: str = "runs") -> str:
        return (
            f'[[sources]]\nname = "{source}"\nuri = "s3://{self.name}/{prefix}"\n'
            f'storage_options = {{ aws_endpoint_url = "{self.server.url}", '
            'aws_allow_http = "true" }\n'
        )

    def keys(self) -> list[str]:
        response = httpx.get(f"{self.server.url}/{self.name}", params={"list-type": "2"})
        tree = ElementTree.fromstring(response.content)
        return sorted(e.text or "" for e in tree.iter() if e.tag.endswith("}Key"))

    def put(self, key: str, data: bytes) -> None:
        url = f"{self.server.url}/{self.name}/{quote(key, safe='/=')}"
        httpx.put(url, content=data).raise_for_status()


def make_bucket(server: MotoServer) -> Bucket:
    bucket = Bucket(server, f"t-{uuid.uuid4().hex[:16]}")
    httpx.put(f"{server.url}/{bucket.name}").raise_for_status()
    return bucket


def write_config(*sources: str) -> Path:
    path = Path(os.environ["TOKENSCOPE_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(sources), encoding="utf-8")
    return path


def add_runs(
    data_dir: Path, model: str, count: int, days: int = 1, answer: str = "ok", first: int = 0
) -> list[str]:
    """``count`` finished runs of ``model`` on a study prompt, over ``days`` dates."""
    results = data_dir / "results"
    results.mkdir(parents=True, exist_ok=True)
    ids = []
    with (results / "tokenscope-runs.jsonl").open("a", encoding="utf-8") as handle:
        for i in range(first, first + count):
            run_id = f"{model}-{i}"
            ids.append(run_id)
            record = {
                "run_id": run_id,
                "model": model,
                "prompt_id": "K1",
                "tokens_completion": 100 + i,
                "answer": answer,
                "status": "ok",
                "created_at": f"2026-11-{1 + i % days:02d}T10:00:00Z",
            }
            handle.write(json.dumps(record) + "\n")
    return ids


def cli_env(data_dir: Path) -> dict[str, str]:
    """The environment a `tokenscope` subprocess of one person gets."""
    return {**os.environ, "TOKENSCOPE_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}


def cli(*args: str, data_dir: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tokenscope.cli", *args],
        env=cli_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )

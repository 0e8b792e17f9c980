"""Fixtures every test folder shares.

- Every test runs with its own data dir and config file (``TOKENSCOPE_DATA_DIR``,
  ``TOKENSCOPE_CONFIG``) and with no provider API keys in its environment, so no
  test reads or writes a real home or could reach a real account.
- ``transcripts``: a loopback server replaying recorded provider streams byte
  for byte (tests/probe/transcript_server.py).
- ``gemma_server``: a real llama-cpp-python server with Gemma 3 270M on a free
  loopback port for the whole session; yields its base URL (``.../v1``).
  It and ``local_model_installed`` skip, saying why, without the ``local`` extra.
"""

from __future__ import annotations

import pytest
from probe.helpers import local_model_server
from probe.transcript_server import TranscriptServer

KEY_VARIABLES = (
    "OPENAI_API_KEY",
    "OPENROUTER_API_KEY",
    "ANTHROPIC_API_KEY",
    "DEEPSEEK_API_KEY",
    "GROQ_API_KEY",
    "TOGETHER_API_KEY",
    "FIREWORKS_API_KEY",
    "XAI_API_KEY",
)


@pytest.fixture(scope="session")
def shared_cache_dir(request) -> object:
    """Rebuildable files kept across sessions (the assembled GGUF)."""
    return request.config.cache.mkdir("tokenscope-cache")


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path, monkeypatch, shared_cache_dir):
    data = tmp_path / "tokenscope-data"
    (data / "results").mkdir(parents=True)
    monkeypatch.setenv("TOKENSCOPE_DATA_DIR", str(data))
    monkeypatch.setenv("TOKENSCOPE_CONFIG", str(tmp_path / "tokenscope-config" / "config.toml"))
    monkeypatch.setenv("TOKENSCOPE_CACHE_DIR", str(shared_cache_dir))
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return data


@pytest.fixture(scope="session")
def local_model_installed() -> None:
    """Skips a test that needs the built-in model when its extra is not installed."""
    from tokenscope.probe import local_model

    if not local_model.available():
        pytest.skip(f"the built-in model is not installed ({local_model.INSTALL_HINT})")


@pytest.fixture(scope="session")
def gemma_server(shared_cache_dir, tmp_path_factory, local_model_installed):
    # The same server the app starts for its built-in local model.
    with local_model_server(tmp_path_factory.mktemp("gemma"), shared_cache_dir) as server:
        yield server.base_url


@pytest.fixture(scope="session")
def transcripts():
    server = TranscriptServer().start()
    try:
        yield server
    finally:
        server.stop()

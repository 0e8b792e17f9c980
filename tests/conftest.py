"""Fixtures every test folder shares.

- Every test runs with its own data dir and config file (``TOKENSCOPE_DATA_DIR``,
  ``TOKENSCOPE_CONFIG``) and with no provider API keys in its environment, so no
  test reads or writes a real home or could reach a real account.
- Headless apps skip computing the frames Textual would throw away
  (tests/headless_frames.py); ``@pytest.mark.frames`` or ``--every-frame`` keeps them.
- ``transcripts``: a loopback server replaying recorded provider streams byte
  for byte (tests/probe/transcript_server.py).
- ``gemma_server``: a real llama-cpp-python server with Gemma 3 270M on a free
  loopback port for the whole session; yields its base URL (``.../v1``). Its tests,
  and those asking for ``local_model_installed`` (they start servers of their own),
  skip, saying why, without the ``local`` extra.

Tests that need the model, and a few others that take seconds, are marked ``slow``
(``-m "not slow"`` leaves them out) and run first, so that under ``pytest -n 2`` the
long ones do not finish last on one worker. The model's tests share one
``xdist_group``: with ``--dist loadgroup`` one worker runs them all, with one server.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from headless_frames import addoption, skip_thrown_away_frames
from probe.helpers import local_model_server
from probe.transcript_server import TranscriptServer

from tokenscope.probe import local_model

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


def pytest_addoption(parser: pytest.Parser) -> None:
    addoption(parser)


def pytest_collection_finish(session: pytest.Session) -> None:
    # The modules and tests collected so far live until the end: keep the collector from
    # walking them again, and let it run less often (each app test makes many short-lived
    # objects). That saves about 40% of the collector's CPU, 2-3% of the suite's.
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


@pytest.fixture(autouse=True)
def thrown_away_frames_skipped(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    skip_thrown_away_frames(request, monkeypatch)


@pytest.fixture(scope="session")
def shared_cache_dir(request, tmp_path_factory) -> Path:
    """Rebuildable files (the assembled GGUF), kept across sessions in pytest's cache;
    in a throwaway dir when the cache plugin is off (``-p no:cacheprovider``)."""
    cache = getattr(request.config, "cache", None)
    if cache is None:
        return tmp_path_factory.mktemp("tokenscope-cache")
    return cache.mkdir("tokenscope-cache")


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


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if {"gemma_server", "local_model_installed"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.xdist_group("gemma"))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: slow first


@pytest.fixture(scope="session")
def local_model_installed() -> None:
    """Skips a test that needs the built-in model when its extra is not installed."""
    if not local_model.available():
        pytest.skip(f"needs the local model: {local_model.INSTALL_HINT}")


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

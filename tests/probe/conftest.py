from __future__ import annotations

import pytest

from .transcript_server import TranscriptServer


@pytest.fixture(scope="session")
def transcripts():
    """The loopback replay server, shared by the probe tests."""
    server = TranscriptServer().start()
    try:
        yield server
    finally:
        server.stop()

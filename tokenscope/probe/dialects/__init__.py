"""One module per wire protocol: build the HTTP request, parse each streamed event.

Every dialect turns provider events into the same ``Chunk``; the engine never
looks at provider JSON itself.
"""

from __future__ import annotations

from tokenscope.probe.dialects.base import Chunk, Dialect, HttpCall, ParseError
from tokenscope.probe.endpoints import Endpoint


def dialect_for(endpoint: Endpoint) -> Dialect:
    if endpoint.api == "anthropic":
        from tokenscope.probe.dialects.anthropic import AnthropicDialect

        return AnthropicDialect()
    if endpoint.api == "ollama":
        from tokenscope.probe.dialects.ollama import OllamaDialect

        return OllamaDialect()
    from tokenscope.probe.dialects.openai_compat import OpenAIDialect

    return OpenAIDialect()


__all__ = ["Chunk", "Dialect", "HttpCall", "ParseError", "dialect_for"]

"""The probe: ask a model over HTTP, stream its reasoning and answer, count its tokens.

Headless: nothing here imports Textual. The streaming core (``engine`` and what it
imports: endpoints, dialects, SSE decoding, counting) does not import Polars
either, so the CLI and the app can start a probe before the data layer loads;
``baseline``, ``replay`` and ``results`` read the study and do.
"""

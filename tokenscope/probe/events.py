"""What a running probe reports, in order, to whoever shows it (CLI, app, tests).

Every event names its probe by ``key`` (the request's label). A live probe's text
delta holds a network read's run of reasoning or answer (often many tokens), with
the ``Counts`` as of its last token: estimates while streaming (``counts.source ==
'estimated'``), the provider's figures once its usage arrived. A probe ends with
exactly one of ``Finished``, ``Failed`` or ``Cancelled``, each holding the
``ProbeResult`` with everything that arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tokenscope.probe.counting import Counts

STATUSES = ("ok", "failed", "cancelled")
# finish_reason values that mean the answer stopped at the max-tokens limit: OpenAI and
# compatible servers (and Ollama) say 'length', Anthropic 'max_tokens'.
AT_LIMIT = frozenset({"length", "max_tokens"})
# How the CLI and the app mark such a run.
LIMIT_NOTE = "cut at max tokens"


@dataclass(frozen=True)
class ProbeResult:
    key: str
    model: str
    endpoint: str  # the endpoint's name
    endpoint_host: str  # Endpoint.identity: host[:port], or the built-in's name; never a key
    status: str
    error: str | None
    reasoning: str
    answer: str
    tokens_prompt: int | None
    tokens_completion: int | None
    tokens_reasoning: int | None
    tokens_answer: int | None
    tokens_reasoning_reported: int | None
    tokens_source: str
    estimate: float  # the live estimate of completion tokens at the end
    estimate_error: float | None
    ttft_s: float | None
    duration_s: float | None
    tokens_per_s: float | None
    finish_reason: str | None
    provider: str | None
    effort: str | None
    hidden_reasoning: bool = False
    warnings: tuple[str, ...] = field(default=())
    # The server closed the stream with no error and no finish reason (llama-cpp-python
    # does so to a request a newer one interrupts): asking again may succeed.
    ended_early: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def hit_limit(self) -> bool:
        """The answer stopped because it reached max tokens, not because it was done."""
        return self.finish_reason in AT_LIMIT


@dataclass(frozen=True, slots=True)
class ProbeEvent:
    key: str


@dataclass(frozen=True, slots=True)
class Started(ProbeEvent):
    """A request went out (again after a retry)."""

    model: str
    endpoint_host: str
    attempt: int


@dataclass(frozen=True, slots=True)
class Retrying(ProbeEvent):
    reason: str
    delay_s: float


@dataclass(frozen=True, slots=True)
class ReasoningDelta(ProbeEvent):
    text: str
    counts: Counts


@dataclass(frozen=True, slots=True)
class AnswerDelta(ProbeEvent):
    text: str
    counts: Counts


@dataclass(frozen=True, slots=True)
class Reclassified(ProbeEvent):
    """Text already shown as answer was reasoning: a ``</think>`` arrived with no
    ``<think>`` before it (the template pre-filled it). Move ``text`` across."""

    text: str
    counts: Counts


@dataclass(frozen=True, slots=True)
class UsageReported(ProbeEvent):
    counts: Counts  # source 'reported'
    prompt_tokens: int | None


@dataclass(frozen=True, slots=True)
class Notice(ProbeEvent):
    """Something worth one line that does not stop the probe (a skipped chunk)."""

    message: str


@dataclass(frozen=True, slots=True)
class Finished(ProbeEvent):
    result: ProbeResult


@dataclass(frozen=True, slots=True)
class Failed(ProbeEvent):
    result: ProbeResult


@dataclass(frozen=True, slots=True)
class Cancelled(ProbeEvent):
    result: ProbeResult


TERMINAL = (Finished, Failed, Cancelled)

"""What to ask, of which model, where: the input of one probe."""

from __future__ import annotations

from dataclasses import dataclass

from tokenscope.probe.endpoints import Endpoint


@dataclass(frozen=True)
class ProbeRequest:
    endpoint: Endpoint
    model: str  # the id the API expects
    question: str
    label: str | None = None  # how results and events name it; defaults to the model id
    effort: str | None = None  # low | medium | high
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    implied_think: bool | None = None  # None: the endpoint's setting

    @property
    def key(self) -> str:
        return self.label or self.model

    @property
    def think_prefilled(self) -> bool | None:
        return self.implied_think if self.implied_think is not None else self.endpoint.implied_think

"""The filters every table and chart follows (no Polars here: imported at startup)."""

from __future__ import annotations

from dataclasses import dataclass, replace

DOMAIN_CYCLE = ("all", "knowledge", "math", "logic")
WEIGHTS_CYCLE = ("all", "open", "closed")
SOURCE_CYCLE = ("all", "bundled", "user")


@dataclass(frozen=True)
class Filters:
    """The filters every table and chart follows."""

    domain: str = "all"
    weights: str = "all"
    lab: str | None = None
    source: str = "all"
    text: str = ""
    model: str | None = None
    prompt: str | None = None

    def cycled(self, name: str, choices: tuple[str, ...]) -> Filters:
        current = getattr(self, name)
        nxt = (
            choices[(choices.index(current) + 1) % len(choices)]
            if current in choices
            else choices[0]
        )
        return replace(self, **{name: nxt})

    def describe(self) -> list[str]:
        """Short 'name: value' parts for the active (non-default) filters."""
        parts = []
        # The drill-down first: on a narrow screen it is the part that must not be cut.
        if self.model:
            parts.append(f"model = {self.model}")
        if self.prompt:
            parts.append(f"prompt = {self.prompt}")
        if self.domain != "all":
            parts.append(f"domain: {self.domain}")
        if self.weights != "all":
            parts.append(f"weights: {self.weights}")
        if self.lab:
            parts.append(f"lab: {self.lab}")
        if self.source != "all":
            parts.append(f"source: {self.source}")
        if self.text:
            parts.append(f"model ~ {self.text!r}")
        return parts

"""What a live token count is compared with, and where that figure came from.

A baseline the user chose wins: a baseline model running side by side (its live
count), or a domain (the reference models' median per-prompt mean over that
domain's prompts). Otherwise ('auto'), in this order:
  (a) the question is one of the study's prompts (exact or normalised text):
      the study's normaliser for it (the reference models' mean), plus where
      every bundled model falls on it;
  (b) the user named the question's domain: that domain's median, as above;
  (c) the user's own earlier runs of the same question: their mean.
The live ratio is current completion tokens / baseline tokens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from tokenscope.data import metrics
from tokenscope.data.loader import LoadError, UserResults, load_bundled
from tokenscope.data.schema import normalise_domain
from tokenscope.probe.counting import Counts
from tokenscope.probe.events import (
    AnswerDelta,
    ProbeEvent,
    ReasoningDelta,
    Reclassified,
    UsageReported,
)

SOURCES = ("study prompt", "baseline model", "domain", "your earlier runs", "none")


def normalise_text(text: str) -> str:
    """Lower case, whitespace collapsed: the same rule in Python and in Polars below."""
    return re.sub(r"\s+", " ", text.lower()).strip()


def _normalised(col: str) -> pl.Expr:
    return pl.col(col).str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


@dataclass(frozen=True)
class Placement:
    """Where one bundled model falls on the matched prompt."""

    model: str
    mean_completion_tokens: float
    ratio: float | None
    n_runs: int


@dataclass(frozen=True)
class Baseline:
    source: str  # one of SOURCES
    description: str  # one line for people: where the figure came from
    tokens: float | None = None  # a fixed figure, for (a), (c) and (d)
    live_key: str | None = None  # (b): the probe whose live count is the baseline
    prompt_id: str | None = None  # set when the question matched a study prompt
    domain: str | None = None
    placements: tuple[Placement, ...] = field(default=())

    @property
    def is_live(self) -> bool:
        return self.live_key is not None


NO_BASELINE = Baseline("none", "no baseline")


def match_prompt(question: str, prompts: pl.DataFrame) -> tuple[str, str | None] | None:
    """(prompt_id, domain) of the study prompt with this exact or normalised text."""
    exact = prompts.filter(pl.col("prompt_text") == question)
    if exact.height == 0:
        exact = prompts.filter(_normalised("prompt_text") == normalise_text(question))
    if exact.height == 0:
        return None
    row = exact.row(0, named=True)
    return row["prompt_id"], row["domain"]


def _study(
    prompt_id: str, domain: str | None, means: pl.LazyFrame, reference: Sequence[str]
) -> Baseline | None:
    norm = (
        metrics.prompt_normalisers(means, reference)
        .filter(pl.col("prompt_id") == prompt_id)
        .collect()
    )
    if norm.height == 0 or norm["normaliser"][0] is None:
        return None
    value = float(norm["normaliser"][0])
    frm = norm["normaliser_from"][0]
    rows = means.filter(pl.col("prompt_id") == prompt_id).sort("mean_completion_tokens").collect()
    placements = tuple(
        Placement(
            r["model"],
            float(r["mean_completion_tokens"]),
            float(r["mean_completion_tokens"]) / value if value else None,
            int(r["n_runs"]),
        )
        for r in rows.iter_rows(named=True)
    )
    who = "the reference models" if frm == "reference" else "all study models"
    return Baseline(
        "study prompt",
        f"study prompt {prompt_id}: mean of {who}' mean completion tokens",
        tokens=value,
        prompt_id=prompt_id,
        domain=domain,
        placements=placements,
    )


def _domain(domain: str, means: pl.LazyFrame, reference: Sequence[str]) -> Baseline | None:
    values = (
        means.filter(pl.col("domain") == domain, pl.col("model").is_in(list(reference)))
        .select(pl.col("mean_completion_tokens").median())
        .collect()
    )
    value = values.item() if values.height else None
    if value is None:
        return None
    return Baseline(
        "domain",
        f"{domain} domain: median of the reference models' per-prompt means",
        tokens=float(value),
        domain=domain,
    )


def _earlier(question: str, results_dir: Path | None) -> Baseline | None:
    runs, _warnings = UserResults(results_dir).load()
    if runs is None:
        return None
    found = (
        runs.filter(
            _normalised("prompt_text") == normalise_text(question),
            pl.col("status").fill_null("ok") == "ok",
            pl.col("tokens_completion") > 0,
        )
        .select(pl.col("tokens_completion").mean().alias("mean"), pl.len().alias("n"))
        .collect()
    )
    n = found["n"][0]
    if not n:
        return None
    value = float(found["mean"][0])
    return Baseline(
        "your earlier runs",
        f"mean of your {n} earlier run{'s' * (n > 1)} of this question",
        tokens=value,
    )


def resolve(
    question: str,
    *,
    choice: str = "auto",
    baseline_key: str | None = None,
    domain: str | None = None,
    reference: Sequence[str] = metrics.DEFAULT_REFERENCE_MODELS,
    results_dir: Path | None = None,
    study: tuple[pl.DataFrame, pl.DataFrame] | None = None,
) -> Baseline:
    """The baseline for a question. ``choice``: 'auto' (the order in this module's
    docstring), 'none', 'model' (``baseline_key`` names the probe running side by side)
    or 'domain' (``domain``'s reference median). A choice the user made wins over the
    study prompt the question may be; ``study`` is the bundled (runs, prompts), read
    when not given."""
    if choice == "none":
        return NO_BASELINE
    if choice == "model":
        if not baseline_key:
            raise ValueError("a baseline model needs a name")
        return Baseline(
            "baseline model", f"live count of baseline model {baseline_key}", live_key=baseline_key
        )
    if choice == "domain" and not domain:
        raise ValueError("a domain baseline needs a domain (knowledge, math or logic)")
    canonical = None
    if domain:
        canonical = normalise_domain(domain)
        if canonical is None:
            raise ValueError(f"unknown domain '{domain}' (knowledge, math or logic)")
    try:
        runs, prompts = study if study is not None else load_bundled()[:2]
        means = metrics.prompt_means(metrics.run_sums(runs.lazy()))
    except LoadError:
        prompts = None
        means = None
    if choice == "domain":
        found = _domain(canonical, means, reference) if means is not None and canonical else None
        return found or Baseline("none", f"no baseline: no study runs in the {canonical} domain")
    if prompts is not None and means is not None:
        matched = match_prompt(question, prompts)
        if matched is not None:
            found = _study(matched[0], matched[1], means, reference)
            if found is not None:
                return found
    if canonical and means is not None:
        found = _domain(canonical, means, reference)
        if found is not None:
            return found
    earlier = _earlier(question, results_dir)
    if earlier is not None:
        return earlier
    return NO_BASELINE


# The events that carry a model's counts (a tuple: checked for every token).
_COUNTED = (ReasoningDelta, AnswerDelta, Reclassified, UsageReported)


class LiveRatios:
    """Follows events and gives each probe's ratio to the baseline as it streams."""

    def __init__(self, baseline: Baseline) -> None:
        self.baseline = baseline
        self.counts: dict[str, Counts] = {}

    def update(self, event: ProbeEvent) -> None:
        if isinstance(event, _COUNTED):
            self.counts[event.key] = event.counts

    def set_final(self, key: str, completion: float | None, source: str) -> None:
        if completion is not None:
            self.counts[key] = Counts(0.0, float(completion), source)

    def baseline_tokens(self) -> float | None:
        if self.baseline.live_key is not None:
            counts = self.counts.get(self.baseline.live_key)
            return counts.completion if counts is not None else None
        return self.baseline.tokens

    def ratio(self, key: str) -> float | None:
        base = self.baseline_tokens()
        counts = self.counts.get(key)
        if not base or counts is None:
            return None
        return counts.completion / base

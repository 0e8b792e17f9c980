"""Join the study: a record whose question is one of the study's prompts takes its id.

The match is on the prompt text after collapsing whitespace (tools re-wrap
and trim prompts), case and punctuation kept. A matched record is then graded
like a ``tokenscope run`` sample when its tool gave no score of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokenscope.suite.suites import SuitePrompt


def normalise(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class StudyPrompts:
    by_text: dict[str, SuitePrompt]

    def match(self, text: Any) -> SuitePrompt | None:
        if not isinstance(text, str):
            return None
        # Most logs carry the prompt exactly as written; normalising costs more.
        return self.by_text.get(text) or self.by_text.get(normalise(text))

    def join(self, run: dict[str, Any]) -> None:
        """Set prompt id and domain from the study, and grade the answer if ungraded."""
        prompt = self.match(run.get("prompt_text"))
        if prompt is None:
            return
        from tokenscope.suite.grading import apply_grade, rule_grade

        run["prompt_id"] = prompt.prompt_id
        run["domain"] = prompt.domain
        if run.get("status") == "ok" and run.get("score") is None:
            apply_grade(run, rule_grade(run.get("answer"), prompt.criteria, prompt.weights))


@lru_cache(maxsize=4)
def _load(bundled: Path) -> StudyPrompts:
    from tokenscope.suite.suites import study_suite

    prompts = study_suite().prompts
    return StudyPrompts(
        {**{p.prompt: p for p in prompts}, **{normalise(p.prompt): p for p in prompts}}
    )


def study_prompts() -> StudyPrompts:
    """The study's 19 prompts, read once per process (they ship with the package)."""
    from tokenscope import paths

    return _load(paths.bundled_dir())

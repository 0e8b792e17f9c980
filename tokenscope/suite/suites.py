"""Load a prompt suite: the study's own, or a user's TOML or JSONL file."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tokenscope.data.loader import LoadError, load_study_tables
from tokenscope.data.schema import normalise_domain

STUDY_SUITE = "study"


@dataclass(frozen=True)
class SuitePrompt:
    prompt_id: str
    domain: str | None
    prompt: str
    criteria: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()


@dataclass(frozen=True)
class Suite:
    name: str
    prompts: tuple[SuitePrompt, ...] = field(default_factory=tuple)

    def only(self, ids: list[str]) -> Suite:
        known = {p.prompt_id for p in self.prompts}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise LoadError(
                f"unknown prompt '{unknown[0]}' in suite '{self.name}' "
                f"(known: {', '.join(sorted(known))})"
            )
        return Suite(self.name, tuple(p for p in self.prompts if p.prompt_id in ids))


def study_suite() -> Suite:
    prompts, _, _ = load_study_tables()
    return Suite(
        STUDY_SUITE,
        tuple(
            SuitePrompt(
                r["prompt_id"],
                r["domain"],
                r["prompt_text"],
                tuple(r["criteria"]),
                tuple(r["weights"]),
            )
            for r in prompts.iter_rows(named=True)
        ),
    )


def _prompt_from(entry: object, where: str) -> SuitePrompt:
    if not isinstance(entry, dict):
        raise LoadError(f"{where}: a prompt must be a table with id, prompt and criteria")
    pid = entry.get("id") or entry.get("prompt_id")
    text = entry.get("prompt")
    if not isinstance(pid, str) or not pid.strip():
        raise LoadError(f"{where}: missing 'id'")
    if not isinstance(text, str) or not text.strip():
        raise LoadError(f"{where}: prompt '{pid}' has no 'prompt' text")
    criteria = entry.get("criteria") or []
    if isinstance(criteria, str):
        criteria = [criteria]
    if not all(isinstance(c, str) for c in criteria):
        raise LoadError(f"{where}: prompt '{pid}' has criteria that are not text")
    weights = entry.get("weights") or entry.get("weight") or [1.0] * len(criteria)
    if len(weights) != len(criteria):
        raise LoadError(
            f"{where}: prompt '{pid}' has {len(criteria)} criteria but {len(weights)} weights"
        )
    domain = entry.get("domain")
    if domain is not None and normalise_domain(str(domain)) is None:
        raise LoadError(f"{where}: prompt '{pid}' has unknown domain '{domain}'")
    return SuitePrompt(
        pid.strip(),
        normalise_domain(domain) if domain else None,
        text,
        tuple(criteria),
        tuple(float(w) for w in weights),
    )


def load_suite_file(path: Path) -> Suite:
    """A TOML file with ``[[prompt]]`` tables, or JSONL with one prompt per line."""
    if not path.is_file():
        raise LoadError(f"suite file not found: {path}")
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"cannot read suite {path.name}: {exc}") from exc
    entries: list[tuple[object, str]] = []
    if path.suffix.lower() == ".toml":
        try:
            doc = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise LoadError(f"{path.name}: not valid TOML ({exc})") from exc
        items = doc.get("prompt") or doc.get("prompts") or []
        entries = [(e, f"{path.name} prompt {i + 1}") for i, e in enumerate(items)]
    else:
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entries.append((json.loads(line), f"{path.name} line {number}"))
            except json.JSONDecodeError as exc:
                raise LoadError(f"{path.name} line {number}: not valid JSON ({exc.msg})") from exc
    if not entries:
        raise LoadError(f"{path.name}: the suite has no prompts")
    prompts = [_prompt_from(e, where) for e, where in entries]
    ids = [p.prompt_id for p in prompts]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise LoadError(f"{path.name}: prompt id '{dupes[0]}' appears twice")
    return Suite(path.stem, tuple(prompts))


def load_suite(spec: str) -> Suite:
    return study_suite() if spec == STUDY_SUITE else load_suite_file(Path(spec).expanduser())

"""What can be asked: the model choices and the built-in local model's lifetime.

No Textual here: the choices (configured endpoints and aliases, models named on the
command line, local servers found on their usual ports, bundled replays, the
built-in local model) that the Ask view's picker lists and ``tokenscope ask`` builds
from its arguments, and the local model server, started on first use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tokenscope.probe.endpoints import PRESETS, Endpoint

# The Ask view owns one; they live beside the server they start.
from tokenscope.probe.local_model import LocalModel as LocalModel
from tokenscope.probe.local_model import LocalServer as LocalServer

if TYPE_CHECKING:
    from tokenscope.config import Settings

DEMO_QUESTION = "What is the capital of Australia?"
DEMO_REPLAYS = ("deepseek-r1-0528", "gpt-oss-120b")
MAX_MODELS = 4
# Local servers worth a quick look, on their usual ports.
LOCAL_PRESETS = ("ollama", "llama.cpp", "vllm", "lmstudio")
DISCOVERY_TIMEOUT = 0.4
LOCAL_ID = "local:gemma"


@dataclass(frozen=True)
class ModelChoice:
    """One entry of the model picker."""

    id: str  # unique in the picker
    label: str  # the pane title and the probe key
    kind: str  # configured | server | replay | local  (command-line models are 'configured')
    model: str  # the API's model id, or the bundled model for a replay
    endpoint: Endpoint | None = None
    note: str = ""  # one line shown beside it (never a key)
    available: bool = True
    effort: str | None = None
    implied_think: bool | None = None

    @property
    def is_replay(self) -> bool:
        return self.kind == "replay"


def replay_choice(model: str) -> ModelChoice:
    return ModelChoice(f"replay:{model}", f"{model} (replay)", "replay", model)


def local_choice() -> ModelChoice:
    from tokenscope.probe import local_model

    if local_model.available():
        return ModelChoice(
            LOCAL_ID,
            local_model.MODEL_LABEL,
            "local",
            local_model.SERVED_MODEL,
            note="built-in, starts on first use",
        )
    return ModelChoice(
        LOCAL_ID,
        local_model.MODEL_LABEL,
        "local",
        local_model.SERVED_MODEL,
        note=f"not installed: {local_model.INSTALL_HINT}",
        available=False,
    )


def default_selection(choices: Iterable[ModelChoice]) -> list[str]:
    """What the Ask view starts with: a model the user can reach (one configured with its
    key, then a server on a usual local port), else the built-in local model, else the
    offline demo (two replays side by side)."""
    choices = list(choices)
    for kind in ("configured", "server", "local"):
        for choice in choices:
            if choice.kind == kind and choice.available:
                return [choice.id]
    ids = {c.id for c in choices}
    return [f"replay:{m}" for m in DEMO_REPLAYS if f"replay:{m}" in ids]


def configured_choices(settings: Settings) -> list[ModelChoice]:
    """Model aliases first, then every model listed under a user endpoint."""
    from tokenscope.probe.endpoints import all_endpoints, missing_key_message

    known = all_endpoints(settings)
    out: list[ModelChoice] = []
    for alias in settings.models.values():
        name = alias.endpoint or settings.default_endpoint
        endpoint = known.get(name) if name else None
        if endpoint is None:
            continue
        missing = missing_key_message(endpoint)
        out.append(
            ModelChoice(
                f"alias:{alias.name}",
                alias.name,
                "configured",
                alias.model,
                endpoint,
                note=missing or f"{alias.model} @ {endpoint.name}",
                available=missing is None,
                effort=alias.effort,
                implied_think=alias.implied_think,
            )
        )
    for endpoint in settings.endpoints.values():
        missing = missing_key_message(endpoint)
        for model in endpoint.models:
            out.append(
                ModelChoice(
                    f"endpoint:{endpoint.name}:{model}",
                    model,
                    "configured",
                    model,
                    endpoint,
                    note=missing or f"@ {endpoint.name} ({endpoint.host})",
                    available=missing is None,
                    implied_think=endpoint.implied_think,
                )
            )
    return _unique_labels(out)


def named_choices(
    settings: Settings,
    names: Sequence[str],
    *,
    endpoint: str | None = None,
    base_url: str | None = None,
    api_key_env: str | None = None,
    api: str | None = None,
) -> list[ModelChoice]:
    """Models named on the command line: a config alias says where its model lives (that
    beats the command line's endpoint); any other name is a model id on the endpoint
    given (or the default one). On the built-in endpoint the model is the built-in one,
    named as the app names it. Raises ``EndpointError`` for an unknown endpoint."""
    from tokenscope.probe import local_model
    from tokenscope.probe.endpoints import EndpointError, resolve

    out = []
    for name in dict.fromkeys(names):
        alias = settings.models.get(name)
        where, url = endpoint, base_url
        if alias is not None and alias.endpoint:
            where, url = alias.endpoint, None
        found = resolve(settings, where, url, api_key_env, api)
        if found.builtin:
            if not local_model.is_served_model(alias.model if alias is not None else name):
                raise EndpointError(
                    f"the '{found.name}' endpoint serves only the built-in model "
                    f"({local_model.SERVED_MODEL}); leave out --model"
                )
            out.append(local_choice())
            continue
        out.append(
            ModelChoice(
                f"named:{name}",
                name,
                "configured",
                alias.model if alias is not None else name,
                found,
                effort=alias.effort if alias is not None else None,
                implied_think=alias.implied_think if alias is not None else None,
            )
        )
    return _unique_ids(out)


def _unique_ids(choices: list[ModelChoice]) -> list[ModelChoice]:
    seen: dict[str, ModelChoice] = {}
    for choice in choices:
        seen.setdefault(choice.id, choice)
    return list(seen.values())


def _unique_labels(choices: list[ModelChoice]) -> list[ModelChoice]:
    seen: dict[str, int] = {}
    for c in choices:
        seen[c.label] = seen.get(c.label, 0) + 1
    return [
        replace(c, label=f"{c.label} @ {c.endpoint.name}")
        if seen[c.label] > 1 and c.endpoint
        else c
        for c in choices
    ]


async def discover_local_servers(timeout: float = DISCOVERY_TIMEOUT) -> list[ModelChoice]:
    """Models served on loopback by Ollama, llama.cpp, vLLM or LM Studio, if any answer quickly."""
    import httpx

    async def look(client: httpx.AsyncClient, endpoint: Endpoint) -> list[ModelChoice]:
        try:
            if endpoint.api == "ollama":
                response = await client.get(f"{endpoint.base_url}/api/tags")
                names = [m.get("name") for m in response.json().get("models", [])]
            else:
                response = await client.get(f"{endpoint.base_url}/models")
                names = [m.get("id") for m in response.json().get("data", [])]
        except (httpx.HTTPError, ValueError, AttributeError, OSError):
            return []
        if response.status_code != 200:
            return []
        return [
            ModelChoice(
                f"server:{endpoint.name}:{n}",
                f"{n} @ {endpoint.name}",
                "server",
                n,
                endpoint,
                note=f"local server {endpoint.host}",
            )
            for n in names
            if isinstance(n, str) and n
        ]

    async with httpx.AsyncClient(timeout=timeout) as client:
        found = await asyncio.gather(*(look(client, PRESETS[name]) for name in LOCAL_PRESETS))
    return [c for group in found for c in group]


def replay_models(prompt_id: str | None = None) -> list[str]:
    """Bundled models with a replayable run, on one prompt when given."""
    import polars as pl

    from tokenscope.data.loader import LoadError, load_bundled

    try:
        runs = load_bundled()[0]
    except LoadError:
        return []
    frame = runs.filter(pl.col("tokens_completion").is_not_null())
    if prompt_id:
        frame = frame.filter(pl.col("prompt_id") == prompt_id)
    return sorted(frame["model"].unique().to_list(), key=str.lower)


def study_prompts() -> list[tuple[str, str]]:
    """(prompt_id, text) of the study's prompts, for the prompt picker."""
    from tokenscope.data.loader import LoadError, load_study_tables

    try:
        prompts = load_study_tables()[0]
    except LoadError:
        return []
    return [(r["prompt_id"], r["prompt_text"]) for r in prompts.iter_rows(named=True)]


class ExternalModel:
    """A local model someone else runs (tests point this at their own Gemma server)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.running = True

    def url(self) -> str:
        return self.base_url

    def stop(self) -> None:
        pass

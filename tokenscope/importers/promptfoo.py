"""promptfoo's output file (``promptfoo eval -o out.json``).

The file is ``{"evalId", "results": {"version", "timestamp", "results": [...]},
"config", ...}``. Each result holds the provider (``id``, ``label``), the
rendered prompt (``prompt.raw``), ``vars``, the ``response`` with its
``output`` and ``tokenUsage`` (``prompt``, ``completion``,
``completionDetails.reasoning``), ``success`` (pass/fail), ``latencyMs`` and
``cost``. Versions 2 and 3 of the results block share these fields; any other
version is refused with one line rather than read wrongly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tokenscope.importers.detect import Head
from tokenscope.importers.jsonio import child, load_document
from tokenscope.importers.records import (
    Draft,
    ImportFileError,
    Notes,
    content_identity,
    first,
    iso_utc,
    user_prompt,
)

NAME = "promptfoo"
VERSIONS = (2, 3)
# promptfoo's ResultFailureReason: 0 none, 1 an assertion failed, 2 the call errored.
_FAILURE_ERROR = 2


def sniff(head: Head) -> bool:
    record = head.record
    if record is not None:
        if "evalId" in record:
            return True
        results = record.get("results")
        block = results if isinstance(results, dict) else record
        return (
            isinstance(block.get("results"), list)
            and ("table" in block or "stats" in block)
            and "version" in block
        )
    return '"evalId"' in head.text[:2000]


def _results_block(doc: Any) -> Mapping[str, Any]:
    if not isinstance(doc, dict):
        raise ImportFileError("not a promptfoo output file (the document is not an object)")
    block: dict[str, Any] = child(doc, "results") or doc
    version = block.get("version")
    if version not in VERSIONS:
        known = " and ".join(str(v) for v in VERSIONS)
        raise ImportFileError(
            f"promptfoo output version {json.dumps(version)[:20]} is not one tokenscope reads "
            f"(versions {known}); export it again with a current promptfoo"
        )
    if not isinstance(block.get("results"), list):
        raise ImportFileError("the promptfoo output holds no results list")
    return block


def read(path: Path, notes: Notes) -> Iterator[Draft]:
    doc = load_document(path)
    block = _results_block(doc)
    assert isinstance(doc, dict)  # _results_block refused anything else
    eval_id = doc.get("evalId") if isinstance(doc.get("evalId"), str) else None
    config = child(doc, "config")
    suite = config.get("description") if isinstance(config.get("description"), str) else None
    created = iso_utc(block.get("timestamp"))
    for index, result in enumerate(block["results"]):
        where = f"result {index + 1}"
        if not isinstance(result, dict):
            notes.skip(where, "a result is not a JSON object")
            continue
        draft = _draft(result, where, eval_id, index)
        if draft is None:
            notes.skip(where, "the result names no provider")
            continue
        draft.run.update(suite=suite, created_at=created)
        yield draft


def _prompt_text(prompt: Any) -> str | None:
    raw = prompt.get("raw") if isinstance(prompt, dict) else prompt
    if not isinstance(raw, str):
        return None
    # A chat prompt is rendered as a JSON list of messages.
    if raw.lstrip().startswith("["):
        try:
            messages = json.loads(raw)
        except json.JSONDecodeError:
            return raw
        return user_prompt(messages) or raw
    return raw


def _identity(result: Mapping[str, Any], eval_id: str | None, index: int, provider: str) -> str:
    if isinstance(result.get("id"), str) and result["id"]:
        return result["id"]
    prompt_idx, test_idx = result.get("promptIdx"), result.get("testIdx")
    if eval_id and prompt_idx is not None and test_idx is not None:
        return f"{eval_id}/{prompt_idx}/{test_idx}/{provider}"
    if eval_id:
        return f"{eval_id}#{index}"
    return content_identity(
        [provider, result.get("prompt"), result.get("vars"), result.get("response"), index]
    )


def _draft(result: Mapping[str, Any], where: str, eval_id: str | None, index: int) -> Draft | None:
    provider = result.get("provider")
    if isinstance(provider, dict):
        # An unset label is written as "", so fall through empty strings too.
        model = provider.get("label") or provider.get("id")
        provider_id = provider.get("id") or model
    else:
        model = provider_id = provider
    if not isinstance(model, str) or not model:
        return None
    response = result.get("response") if isinstance(result.get("response"), dict) else None
    # The result-level tokenUsage fills zeros for what the provider never said,
    # so it stands in only for files whose results carry no response at all.
    usage = first(response, "tokenUsage") if response is not None else result.get("tokenUsage")
    details = first(usage, "completionDetails")
    response = response or {}
    output = response.get("output")
    if output is not None and not isinstance(output, str):
        output = json.dumps(output, ensure_ascii=False)
    error = first(result, "error") or first(response, "error")
    failed = result.get("failureReason") == _FAILURE_ERROR or (
        "failureReason" not in result and bool(response.get("error") or not response)
    )
    success = result.get("success")
    run = {
        "model": model,
        "prompt_text": _prompt_text(result.get("prompt")),
        "tokens_prompt": first(usage, "prompt"),
        "tokens_completion": first(usage, "completion"),
        "tokens_reasoning_reported": first(details, "reasoning"),
        "answer": output,
        "finish_reason": response.get("finishReason"),
        "duration_s": _seconds(first(result, "latencyMs") or first(response, "latencyMs")),
        # promptfoo writes a cost of 0 for a model it has no price for: unknown, not free.
        "cost_usd": first(result, "cost") or first(response, "cost") or None,
        "status": "failed" if failed else "ok",
        "error": str(error).strip().splitlines()[0][:500] if failed and error else None,
    }
    if not failed and isinstance(success, bool):
        run.update(score=1.0 if success else 0.0, grader="promptfoo")
    return Draft(where, _identity(result, eval_id, index, str(provider_id)), run)


def _seconds(ms: Any) -> Any:
    if isinstance(ms, int | float) and not isinstance(ms, bool):
        return ms / 1000
    return ms

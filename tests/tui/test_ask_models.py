"""Which models the Ask view starts with (headless: no app needed)."""

from __future__ import annotations

from tokenscope.ask.models import LOCAL_ID, ModelChoice, default_selection, replay_choice
from tokenscope.probe.endpoints import ad_hoc

REPLAYS = [replay_choice("deepseek-r1-0528"), replay_choice("gpt-oss-120b")]


def local(available: bool = True) -> ModelChoice:
    return ModelChoice(LOCAL_ID, "gemma-3-270m (local)", "local", "gemma", available=available)


def configured(available: bool) -> ModelChoice:
    endpoint = ad_hoc("http://127.0.0.1:9/v1")
    return ModelChoice("alias:o3", "o3", "configured", "o3", endpoint, available=available)


def server() -> ModelChoice:
    return ModelChoice(
        "server:ollama:qwen3",
        "qwen3 (ollama)",
        "server",
        "qwen3",
        ad_hoc("http://127.0.0.1:11434/v1"),
    )


def test_no_key_and_no_server_starts_with_the_local_model():
    assert default_selection([local(), *REPLAYS]) == [LOCAL_ID]


def test_a_configured_model_with_its_key_comes_first():
    assert default_selection([local(), server(), configured(True), *REPLAYS]) == ["alias:o3"]


def test_a_configured_model_without_its_key_is_skipped_for_a_local_server():
    assert default_selection([local(), configured(False), server(), *REPLAYS]) == [
        "server:ollama:qwen3"
    ]


def test_without_the_local_extra_the_offline_demo_is_the_default():
    assert default_selection([local(available=False), configured(False), *REPLAYS]) == [
        "replay:deepseek-r1-0528",
        "replay:gpt-oss-120b",
    ]


def test_run_detail_says_why_a_reasoning_text_is_missing():
    from tokenscope.tui.screens.run_detail import reasoning_labels

    title, _ = reasoning_labels({"reasoning": "step one", "chars_reasoning": 8})
    assert title == "Reasoning (8 characters)"
    title, body = reasoning_labels(
        {"reasoning": None, "chars_reasoning": 39289, "source": "bundled"}
    )
    assert "39,289 characters, text not archived" in title and body.startswith("The study counted")
    title, body = reasoning_labels(
        {"reasoning": "", "chars_reasoning": 0, "tokens_reasoning_reported": 512}
    )
    assert "hidden by the provider" in title
    assert reasoning_labels({})[0] == "Reasoning (none shown)"

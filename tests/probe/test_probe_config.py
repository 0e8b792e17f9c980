"""Settings from TOML: endpoints, model aliases, prices; keys never stored."""

from __future__ import annotations

import os
import stat

import pytest

from tokenscope import paths
from tokenscope.config import (
    ConfigError,
    load_settings,
    user_price_frame,
    user_prices,
    write_template,
)
from tokenscope.probe.endpoints import PRESETS, EndpointError, ad_hoc, resolve


def write(text: str):
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_created_config_is_owner_only_and_loads_as_defaults():
    path = write_template()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_settings().endpoints == {}
    with pytest.raises(FileExistsError):
        write_template()


def test_endpoints_models_and_prices():
    write(
        '[probe]\ndefault_endpoint = "box"\nread_timeout = 5\n'
        '[endpoints.box]\nbase_url = "http://10.0.0.2:8080/v1/"\napi_key_env = "BOX_KEY"\n'
        "implied_think = true\n"
        '[models.q]\nendpoint = "box"\nmodel = "qwen3-32b"\n'
        '[prices."qwen3-32b"]\ncompletion = 0.6\n'
        '[prices."r1"]\ncompletion_min = 2\ncompletion_max = 2.5\nprompt = 0.5\n'
    )
    settings = load_settings()
    assert settings.read_timeout == 5.0
    box = settings.endpoints["box"]
    assert box.base_url == "http://10.0.0.2:8080/v1" and box.key_required and box.implied_think
    assert resolve(settings).name == "box"
    assert settings.models["q"].model == "qwen3-32b"
    assert user_prices(settings) == {"qwen3-32b": (0.6, 0.6), "r1": (2.0, 2.5)}
    frame = user_price_frame(settings)
    assert frame.columns == ["model", "completion_price_min", "completion_price_max"]
    assert frame.height == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("[endpoints.x]\nbase_url = 'http://h'\napi_key = 'sk-123'\n", "api_key_env"),
        ("[endpoints.x]\nbase_url = 'ftp://h'\n", "must start with http"),
        ("[probe]\nread_timeout = -1\n", "greater than 0"),
        ("[prices.m]\nprompt = 1\n", "needs completion"),
        ("[oops]\n", "unknown section"),
        ("not toml = = 1", "not valid TOML"),
    ],
)
def test_bad_config_is_one_line_naming_the_file(text, message):
    path = write(text)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_ad_hoc_urls_keep_their_preset_habits_and_never_show_user_info():
    e = ad_hoc("https://user:pw@openrouter.ai/api/v1")
    assert e.api_key_env == "OPENROUTER_API_KEY" and e.effort_style == "openrouter"
    assert e.host == "openrouter.ai"
    local = ad_hoc("http://127.0.0.1:11434")
    assert local.api == "ollama"
    assert ad_hoc("http://127.0.0.1:8000/v1", api_key_env="K").api_key_env == "K"
    with pytest.raises(EndpointError):
        resolve(None, "nope")


def test_every_preset_named_in_the_issue_exists():
    wanted = {
        "openai",
        "openrouter",
        "deepseek",
        "groq",
        "together",
        "fireworks",
        "xai",
        "anthropic",
        "ollama",
        "llama.cpp",
        "vllm",
        "lmstudio",
    }
    assert wanted <= set(PRESETS)
    ports = {PRESETS[n].host for n in ("ollama", "llama.cpp", "vllm", "lmstudio")}
    assert ports == {"127.0.0.1:11434", "127.0.0.1:8080", "127.0.0.1:8000", "127.0.0.1:1234"}

"""Editions of the bundled study: membership, prices, metadata and upstream's gaps.

``edition()`` and ``raw_update()`` serve the other study tests too.
"""

from __future__ import annotations

import functools
from pathlib import Path

import polars as pl
import pytest

from tokenscope import paths
from tokenscope.data import editions
from tokenscope.data.leaderboard import leaderboard
from tokenscope.data.loader import Dataset, LoadError, load_dataset
from tokenscope.data.schema import PRICE_SCHEMA, conform

from .conftest import _load_build_script

# The models upstream measured after the August report.
NEW_MODELS = {
    "gpt-5",
    "claude-opus-4.5",
    "Claude Sonnet 4.5",
    "Hermes-4-405B",
    "deepseek-V3.2-Exp",
    "deepseek-V3.2-speciale",
    "ds-r1-0528-abbr",
    "sonoma-dusk-alpha",
    "sonoma-sky-alpha",
}


@functools.cache
def edition(name: str) -> Dataset:
    """One edition of the bundled study, loaded once per session (it has no user runs)."""
    return load_dataset("bundled", edition=name)


def raw_update(raw_study: Path) -> Path:
    """Upstream's newer raw files beside the study's; skips the test where they are absent."""
    found = _load_build_script().find_raw_update(raw_study)
    if found is None:
        pytest.skip("upstream's newer files are not on this machine")
    return found


@pytest.fixture
def august():
    return edition("2025-08")


@pytest.fixture
def latest():
    return edition("latest")


def test_the_base_files_read_alone_are_the_august_edition(august):
    """Anything that reads runs.parquet without the edition filter still sees the report."""
    bundled = paths.bundled_dir()
    runs = conform(pl.read_parquet(bundled / "runs.parquet"))
    prices = conform(pl.read_parquet(bundled / "prices.parquet"), PRICE_SCHEMA)
    assert runs.sort("run_id").equals(august.runs.sort("run_id"))
    assert prices.sort("model").equals(august.prices.sort("model"))


def test_every_bundled_row_says_which_editions_it_belongs_to():
    for name in ("runs", "prices"):
        for path in editions.table_files(paths.bundled_dir(), name):
            frame = pl.read_parquet(path, columns=list(editions.EDITION_COLUMNS))
            assert frame.null_count().sum_horizontal().item() == 0, path
            assert frame.select(pl.any_horizontal(pl.all())).to_series().all(), path


def test_unknown_edition_is_one_line():
    with pytest.raises(editions.EditionError, match="unknown edition '2024'") as caught:
        load_dataset("bundled", edition="2024")
    assert "\n" not in str(caught.value) and "latest" in str(caught.value)


def test_prices_are_per_edition_and_a_missing_price_is_never_zero(august, latest):
    def completion(ds, model):
        row = ds.prices.filter(pl.col("model") == model)
        return row["completion_price_min"].item() if row.height else None

    assert completion(august, "gpt-oss-120b") == 0.6
    assert completion(latest, "gpt-oss-120b") == 0.28
    assert completion(august, "gpt-5") is None and completion(latest, "gpt-5") == 10.0
    assert completion(august, "glm-z1-32b") is None
    assert completion(latest, "glm-z1-32b") == 0.08
    # Upstream rounds its averages to one decimal: glm-z1-32b's $0.02 reads 0.00.
    glm = latest.prices.filter(pl.col("model") == "glm-z1-32b").row(0, named=True)
    assert glm["prompt_price_min"] == 0.02 and glm["prompt_price_avg"] is None
    board = leaderboard(latest)
    unpriced = set(board.filter(pl.col("cost_per_query_usd_min").is_null())["model"])
    newly_priced = {"gpt-5", "claude-opus-4.5", "Claude Sonnet 4.5"}
    august_unpriced = {"deepseek-r1-0528-ds", "grok-3-mini-beta", "tng-deepseek-r1t"}
    assert unpriced == august_unpriced | (NEW_MODELS - newly_priced)
    assert (board["cost_per_query_usd_min"] > 0).all()
    for ds in (august, latest):
        zero = pl.any_horizontal(pl.exclude("model", "provider_count") == 0)
        assert not ds.prices.select(zero).to_series().any()


def test_a_negative_count_never_reaches_a_mean(august, latest):
    """Upstream's tokens_output is completion - reported reasoning; it goes negative when a
    provider reports more reasoning tokens than it billed in all. The study's consistency
    check then rejects those reasoning counts, and the answer count is no count."""
    for ds in (august, latest):
        runs = ds.runs
        for column in ("tokens_answer_reported", "tokens_reasoning", "tokens_answer"):
            assert (runs[column].drop_nulls() >= 0).all(), column
        over = runs.filter(pl.col("tokens_reasoning_reported") > pl.col("tokens_completion"))
        assert over.height > 0
        assert over["tokens_answer_reported"].null_count() == over.height
        assert set(over["reasoning_method"]) <= {"cot_chars", "answer_chars"}
    rerun = latest.runs.filter(
        pl.col("model").str.starts_with("gpt-oss")
        & (pl.col("tokens_reasoning_reported") > pl.col("tokens_completion"))
    )
    assert rerun.height == 5
    # Completion tokens, which every headline figure uses, are kept as billed.
    assert rerun["tokens_completion"].null_count() == 0


def test_newer_runs_keep_reasoning_null_where_upstream_archived_no_text(latest):
    newer = latest.runs.filter(pl.col("run_id").str.starts_with("study-update:"))
    assert newer.height == 1040
    assert newer["reasoning"].null_count() == newer.height
    assert newer["answer"].null_count() == 0 and newer["grading_notes"].null_count() == 0
    # The character counts are there, so the study's method still applies.
    assert newer["chars_completion"].null_count() == 0
    assert newer["reasoning_method"].null_count() == 0


def test_models_are_told_apart_by_name_not_by_api_id(latest):
    models = latest.models
    assert models["model"].is_unique().all()
    shared = editions.models_for_api_id(models, "deepseek/deepseek-reasoner")
    assert {"deepseek-V3.2-Exp", "deepseek-V3.2-speciale", "deepseek-r1-0528-ds"} <= set(shared)
    assert editions.models_for_api_id(models, "openai/gpt-5") == ["gpt-5"]
    runs = latest.runs.group_by("model").agg(pl.col("tokens_completion").mean())
    means = dict(runs.iter_rows())
    assert means["deepseek-V3.2-Exp"] != means["deepseek-V3.2-speciale"]


def test_metadata_comes_from_the_newer_configs_or_a_reasoned_override(latest):
    models = {r["model"]: r for r in latest.models.iter_rows(named=True)}
    assert (models["gpt-5"]["lab"], models["gpt-5"]["open_weights"]) == ("openai", False)
    assert models["gpt-5"]["full_cot"] is False
    hermes = models["Hermes-4-405B"]
    assert (hermes["lab"], hermes["open_weights"], hermes["full_cot"]) == (
        "nousresearch",
        True,
        True,
    )
    assert models["deepseek-V3.2-Exp"]["lab"] == "deepseek"
    assert all(m["lab"] for m in models.values())
    script = _load_build_script()
    overridden = {name for name, m in models.items() if m["metadata_source"] == "override"}
    assert overridden == set(script.MODEL_OVERRIDES)
    assert all(o["why"] for o in script.MODEL_OVERRIDES.values())
    readme = (paths.bundled_dir() / "README.md").read_text(encoding="utf-8")
    for name in (*script.MODEL_OVERRIDES, *script.LAB_OVERRIDES):
        assert f"`{name}`" in readme, name


def test_readme_credits_every_upstream_file_by_commit(raw_study):
    update = raw_update(raw_study)
    readme = (paths.bundled_dir() / "README.md").read_text(encoding="utf-8")
    for line in (update / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines():
        name, commit, _size, _sha = line.split("\t")
        assert f"| `{name}` | `{commit}` |" in readme, name


def test_august_figures_are_the_same_in_latest_for_models_not_rerun(august, latest):
    """The normaliser's reference models are August models, so the newer runs move no
    August model's relative tokens."""
    for domain in ("all", "knowledge", "math", "logic"):
        old = leaderboard(august, domain=domain).filter(~pl.col("model").str.starts_with("gpt-oss"))
        new = leaderboard(latest, domain=domain).join(old.select("model"), on="model", how="semi")
        old, new = old.sort("model"), new.sort("model")
        assert old["model"].to_list() == new["model"].to_list()
        for column in ("relative_completion_tokens", "mean_completion_tokens", "success_rate"):
            assert new[column].to_list() == pytest.approx(old[column].to_list(), nan_ok=True)


def test_a_bundle_without_edition_columns_is_one_line(tmp_path, monkeypatch):
    """An old bundle (one runs file, no edition columns) says what to do, in one line."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    source = paths.bundled_dir()
    for name in ("prompts", "models"):
        (bundle / f"{name}.parquet").write_bytes((source / f"{name}.parquet").read_bytes())
    for name in ("runs", "prices"):
        frame = pl.read_parquet(source / f"{name}.parquet")
        frame.drop(editions.EDITION_COLUMNS).write_parquet(bundle / f"{name}.parquet")
    monkeypatch.setenv("TOKENSCOPE_BUNDLED_DIR", str(bundle))
    with pytest.raises(LoadError, match="no edition columns") as caught:
        load_dataset("bundled", edition="2025-08")
    assert "\n" not in str(caught.value)


def test_user_runs_belong_to_every_edition(data_dir):
    from tokenscope.data.store import append_run

    append_run({"model": "mine", "prompt_id": "Q1", "tokens_completion": 7})
    for name in editions.EDITIONS:
        user = load_dataset("all", edition=name).lazy_runs().filter(pl.col("source") == "user")
        assert user.collect()["model"].to_list() == ["mine"], name


def test_an_api_id_several_models_shared_prices_none_of_them():
    """deepseek-reasoner served several DeepSeek models in turn: its id alone names no price."""
    from tokenscope.config import Price
    from tokenscope.data.prices import PriceBook

    models = pl.DataFrame(
        {
            "model": ["deepseek-V3.2-Exp", "deepseek-r1-0528-ds", "deepseek-r1"],
            "api_model": ["deepseek-reasoner", "deepseek/deepseek-reasoner", "deepseek/r1"],
        }
    )
    prices = pl.DataFrame(
        {
            "model": ["deepseek-V3.2-Exp", "deepseek-r1-0528-ds", "deepseek-r1"],
            "completion_price_min": [0.42, 2.19, 2.0],
            "completion_price_max": [0.42, 2.19, 2.5],
            "prompt_price_avg": [0.28, 0.55, 0.5],
        }
    )
    book = PriceBook.from_tables({}, models, prices)
    for api_id in ("deepseek-reasoner", "deepseek/deepseek-reasoner"):
        assert book.find(api_id) is None, api_id
    # An id that one model alone was queried under still finds that model's price.
    assert book.find("deepseek/r1") == book.find("r1") == Price(2.0, 2.5, 0.5)
    assert book.find("deepseek-V3.2-Exp") == Price(0.42, 0.42, 0.28)

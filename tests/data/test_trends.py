"""Trends: each lineage step's relative tokens and its change from the version before."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tokenscope.data import trends
from tokenscope.data.loader import Dataset
from tokenscope.data.schema import MODEL_SCHEMA, PRICE_SCHEMA, PROMPT_SCHEMA, RUN_SCHEMA, conform

from .test_editions import edition

PROMPTS = {"p1": "math", "p2": "logic"}


def _dataset(tokens: dict[tuple[str, str], dict[str, int]]) -> Dataset:
    """Two runs per (model, source) and prompt, both with the given completion count."""
    rows = [
        {
            "model": model,
            "source": source,
            "status": "ok",
            "prompt_id": prompt,
            "domain": PROMPTS[prompt],
            "tokens_completion": count,
            "lab": "lab-" + model,
            "open_weights": model.startswith("open"),
        }
        for (model, source), by_prompt in tokens.items()
        for prompt, count in by_prompt.items()
        for _ in range(2)
    ]
    frame = pl.DataFrame(rows, schema_overrides={k: RUN_SCHEMA[k] for k in rows[0]})
    return Dataset(
        conform(frame.lazy()),
        pl.DataFrame(schema=PROMPT_SCHEMA),
        pl.DataFrame(schema=MODEL_SCHEMA),
        pl.DataFrame(schema=PRICE_SCHEMA),
    )


SYNTHETIC = _dataset(
    {
        ("ref", "bundled"): {"p1": 100, "p2": 200},
        ("old", "bundled"): {"p1": 200, "p2": 400},  # 2x on both
        ("mid", "bundled"): {"p1": 100, "p2": 200},  # 1x
        ("mid", "user"): {"p1": 900, "p2": 900},  # the study's runs of 'mid' win
        ("new", "bundled"): {"p1": 150, "p2": 600},  # 1.5x math, 3x logic
        ("mine", "user"): {"p1": 300},  # only the user ran it, math only
    }
)
LINEAGE = trends.Lineage(
    "L",
    (
        trends.Step("old", dt.date(2025, 1, 1)),
        trends.Step("gone"),  # not in the data
        trends.Step("mid"),
        trends.Step("new"),
        trends.Step("mine"),
    ),
)


def _rows(table: pl.DataFrame, domain: str) -> dict[str, dict]:
    return {r["model"]: r for r in table.filter(pl.col("domain") == domain).iter_rows(named=True)}


def test_each_step_is_relative_to_the_reference_and_to_the_version_before():
    table = trends.trends_table(SYNTHETIC, [LINEAGE], reference=("ref",))
    assert table.columns == list(trends.TRENDS_COLUMNS)
    assert table["domain"].unique(maintain_order=True).to_list() == list(trends.TREND_DOMAINS)
    rows = _rows(table, "all")
    assert [r["step"] for r in rows.values()] == [1, 2, 3, 4, 5]
    assert rows["old"]["relative_completion_tokens"] == pytest.approx(2.0)
    assert rows["old"]["change_from_previous"] is None
    assert rows["old"]["released"] == dt.date(2025, 1, 1)
    # A step with no runs stays, unmeasured; the next step compares with 'old'.
    assert rows["gone"]["measured"] is False
    assert rows["gone"]["relative_completion_tokens"] is None
    assert rows["mid"]["previous_model"] == "old"
    assert rows["mid"]["relative_completion_tokens"] == pytest.approx(1.0)
    assert rows["mid"]["change_from_previous"] == pytest.approx(-0.5)
    assert rows["new"]["relative_completion_tokens"] == pytest.approx(2.25)
    assert rows["new"]["change_from_previous"] == pytest.approx(1.25)
    assert rows["new"]["lab"] == "lab-new"
    math = _rows(table, "math")
    assert math["new"]["change_from_previous"] == pytest.approx(0.5)
    assert math["mine"]["relative_completion_tokens"] == pytest.approx(3.0)
    assert math["mine"]["change_from_previous"] == pytest.approx(1.0)
    # 'mine' has no logic prompt: no figure, and no change.
    logic = _rows(table, "logic")
    assert logic["mine"]["measured"] is True
    assert logic["mine"]["relative_completion_tokens"] is None
    assert logic["mine"]["change_from_previous"] is None


def test_one_domain_only():
    table = trends.trends_table(SYNTHETIC, [LINEAGE], domain="logic", reference=("ref",))
    assert set(table["domain"]) == {"logic"} and table.height == 5
    assert _rows(table, "logic")["new"]["change_from_previous"] == pytest.approx(2.0)
    with pytest.raises(trends.LoadError, match="unknown domain"):
        trends.trends_table(SYNTHETIC, [LINEAGE], domain="poetry")


def test_lineages_come_out_in_the_order_given():
    first = trends.Lineage("Z first", (trends.Step("new"), trends.Step("old")))
    table = trends.trends_table(SYNTHETIC, [first, LINEAGE], domain="all", reference=("ref",))
    assert table["lineage"].unique(maintain_order=True).to_list() == ["Z first", "L"]
    assert table.filter(pl.col("lineage") == "Z first")["model"].to_list() == ["new", "old"]


def test_parse_accepts_names_and_dated_tables():
    parsed = trends.parse_lineages(
        [
            {
                "name": " Mine ",
                "models": ["a", {"model": "b", "released": dt.date(2025, 2, 1)}],
            },
            {"name": "Other", "models": [{"model": "c", "released": "2025-03-04"}]},
        ],
        "config.toml",
    )
    assert parsed == (
        trends.Lineage("Mine", (trends.Step("a"), trends.Step("b", dt.date(2025, 2, 1)))),
        trends.Lineage("Other", (trends.Step("c", dt.date(2025, 3, 4)),)),
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"name": "x"}, "lineages must be an array"),
        ([{"models": ["a"]}], r"lineages\[0\]\.name must be"),
        ([{"name": "x", "models": []}], r"lineages\[0\]\.models must be a non-empty list"),
        ([{"name": "x", "models": [3]}], r"lineages\[0\]\.models\[0\] must be a model name"),
        ([{"name": "x", "models": ["a", "a"]}], r"models\[1\] repeats 'a'"),
        ([{"name": "x", "models": ["a"], "colour": 1}], r"lineages\[0\]\.colour is not"),
        (
            [{"name": "x", "models": [{"model": "a", "released": "soon"}]}],
            r"models\[0\]\.released must be a date",
        ),
        (
            [
                {
                    "name": "x",
                    "models": [
                        {"model": "a", "released": "2025-05-01"},
                        {"model": "b", "released": "2025-01-01"},
                    ],
                }
            ],
            r"models\[1\] was released before",
        ),
        ([{"name": "x", "models": ["a"]}, {"name": "x", "models": ["b"]}], "repeats 'x'"),
    ],
)
def test_a_bad_lineage_is_one_line_naming_the_key(raw, message):
    with pytest.raises(trends.LineageError, match=message) as caught:
        trends.parse_lineages(raw, "/home/me/config.toml")
    text = str(caught.value)
    assert text.startswith("/home/me/config.toml: ") and "\n" not in text


def test_a_users_lineage_replaces_the_bundled_one_of_the_same_name():
    bundled = (trends.Lineage("A", (trends.Step("a1"),)), trends.Lineage("B", (trends.Step("b"),)))
    user = (trends.Lineage("B", (trends.Step("b2"),)), trends.Lineage("C", (trends.Step("c"),)))
    merged = trends.merge_lineages(bundled, user)
    assert [(lin.name, lin.steps[0].model) for lin in merged] == [
        ("A", "a1"),
        ("B", "b2"),
        ("C", "c"),
    ]


def test_bundled_lineages_name_only_models_of_the_study():
    lineages = trends.bundled_lineages()
    assert {lin.name for lin in lineages} >= {"Claude Sonnet", "DeepSeek R1 to V3.2"}
    latest = trends.trends_table(edition("latest"), lineages, domain="all")
    assert latest["measured"].all(), latest.filter(~pl.col("measured"))["model"].to_list()
    august = trends.trends_table(edition("2025-08"), lineages, domain="all")
    assert set(august.filter(~pl.col("measured"))["model"]) == {
        "gpt-5",
        "Claude Sonnet 4.5",
        "claude-opus-4.5",
        "deepseek-V3.2-Exp",
        "deepseek-V3.2-speciale",
        "Hermes-4-405B",
    }
    # The steps the August report had are the same figures in both editions.
    both = august.filter(pl.col("measured")).join(latest, on=["lineage", "step"], suffix="_latest")
    assert both["relative_completion_tokens"].to_list() == pytest.approx(
        both["relative_completion_tokens_latest"].to_list()
    )

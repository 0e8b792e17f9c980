"""The headless Ask session: what the CLI and the app both drive (no app, no network)."""

from __future__ import annotations

import asyncio

import polars as pl
import pytest

from tokenscope.ask.models import DEMO_QUESTION, replay_choice
from tokenscope.ask.session import AskJob, AskSession, ContextReady, RunStored
from tokenscope.config import Price, Settings
from tokenscope.data import metrics, store
from tokenscope.data.prices import PriceBook, run_cost

REPLAY = "gpt-oss-120b (replay)"


async def no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


def ask(job: AskJob, settings: Settings | None = None):  # type: ignore[no-untyped-def]
    events: list[object] = []
    session = AskSession(job, settings or Settings(), events.append, replay_sleep=no_sleep)
    outcome = asyncio.run(session.run())
    return outcome, events


def replays(*models: str) -> tuple:
    return tuple(replay_choice(m) for m in models)


def test_a_replay_is_costed_graded_and_never_saved():
    outcome, events = ask(AskJob(DEMO_QUESTION, replays("gpt-oss-120b")))
    stored = outcome.stored[REPLAY]
    record = stored.record
    assert record["source"] == "replay" and stored.run_id is None
    assert not store.store_path().exists()
    assert record["prompt_id"] == "capital_of_australia" and record["grader"]
    # The latest edition's price for gpt-oss-120b: $0.28-0.75 per million completion tokens.
    tokens = record["tokens_completion"]
    assert record["cost_completion_usd"] == pytest.approx(tokens * 0.515 / 1e6)
    assert record["cost_prompt_usd"] is None  # the study kept no prompt counts
    assert record["cost_usd"] == record["cost_completion_usd"]
    # Events: the context before the stored run, the stored run after the probe ended.
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("ContextReady") < kinds.index("RunStored")
    assert kinds.index("Finished") < kinds.index("RunStored")


def test_user_prices_beat_the_study_and_the_prompt_is_charged_apart():
    settings = Settings(prices={"gpt-oss-120b": Price(1.0, 3.0, prompt=10.0)})
    job = AskJob(DEMO_QUESTION, replays("gpt-oss-120b"))
    outcome, events = ask(job, settings)
    context = next(e for e in events if isinstance(e, ContextReady))
    assert context.prices[REPLAY] == Price(1.0, 3.0, prompt=10.0)
    record = outcome.stored[REPLAY].record
    assert record["cost_completion_usd"] == pytest.approx(record["tokens_completion"] * 2.0 / 1e6)


def test_a_chosen_domain_beats_the_study_prompt_but_the_prompt_is_still_known():
    outcome, _ = ask(AskJob(DEMO_QUESTION, replays("gpt-oss-120b"), baseline="domain:math"))
    assert outcome.baseline.source == "domain" and outcome.baseline.domain == "math"
    assert "math domain" in outcome.baseline.description
    record = outcome.stored[REPLAY].record
    # Stored as the study prompt it is (graded, grouped with the study), whatever the baseline.
    assert record["prompt_id"] == "capital_of_australia" and record["domain"] == "knowledge"


def test_a_chosen_baseline_model_beats_the_study_prompt():
    job = AskJob(
        DEMO_QUESTION,
        replays("deepseek-r1-0528", "gpt-oss-120b"),
        baseline=f"model:{REPLAY}",
    )
    outcome, _ = ask(job)
    assert outcome.baseline.source == "baseline model" and outcome.baseline.live_key == REPLAY
    assert outcome.baseline_tokens == outcome.stored[REPLAY].record["tokens_completion"]


def test_auto_keeps_the_study_prompt_first():
    outcome, _ = ask(AskJob(DEMO_QUESTION, replays("gpt-oss-120b"), domain="math"))
    assert outcome.baseline.source == "study prompt"


def test_a_replay_of_a_question_outside_the_study_fails_in_its_own_pane():
    outcome, events = ask(AskJob("A question nobody asked", replays("gpt-oss-120b")))
    result = outcome.results[0]
    assert result.status == "failed" and "study's prompts" in (result.error or "")
    assert any(isinstance(e, RunStored) for e in events)


def test_cancel_mid_stream_ends_every_model_cancelled_and_keeps_its_run():
    async def run():  # type: ignore[no-untyped-def]
        streaming, never = asyncio.Event(), asyncio.Event()

        async def held(_seconds: float) -> None:
            streaming.set()
            await never.wait()  # mid-stream until cancelled

        job = AskJob(DEMO_QUESTION, replays("gpt-oss-120b"))
        session = AskSession(job, Settings(), replay_sleep=held)
        task = asyncio.ensure_future(session.run())
        await streaming.wait()
        session.cancel()
        return await task

    outcome = asyncio.run(run())
    assert outcome.cancelled and outcome.results[0].status == "cancelled"
    assert outcome.stored[REPLAY].record["status"] == "cancelled"


# ---- one definition of cost --------------------------------------------------


def test_a_runs_cost_is_the_same_number_as_the_tables_cost_columns():
    price = Price(0.6, 0.75, prompt=0.2)
    one = run_cost(1234, 56, price)
    frame = pl.DataFrame(
        {
            "tokens_completion": [1234],
            "tokens_prompt": [56],
            "completion_price_min": [0.6],
            "completion_price_max": [0.75],
            "prompt_price_avg": [0.2],
        }
    )
    row = frame.select(metrics.run_cost_columns()).row(0, named=True)
    assert row == pytest.approx(one.columns())
    assert one.total == pytest.approx(one.completion + one.prompt)  # type: ignore[operator]
    # Without a prompt price the run costs its completion alone.
    assert run_cost(1234, 56, Price(0.6, 0.75)).total == pytest.approx(one.completion)


def test_the_leaderboards_cost_per_query_counts_completion_tokens_only():
    frame = pl.DataFrame(
        {"mean_completion_tokens": [1000.0], "completion_price_min": [1.0]}
        | {"completion_price_max": [3.0], "completion_price_avg": [2.0]}
    )
    row = frame.select(metrics.cost_columns()).row(0, named=True)
    assert row["cost_per_query_usd_min"] == pytest.approx(metrics.completion_cost(1000.0, 1.0))
    assert row["cost_per_query_usd_max"] == pytest.approx(0.003)


def test_price_book_finds_the_user_price_first_then_the_study_by_name_or_api_id():
    models = pl.DataFrame({"model": ["r1"], "api_model": ["deepseek/r1"]})
    prices = pl.DataFrame(
        {
            "model": ["r1"],
            "completion_price_min": [1.0],
            "completion_price_max": [2.0],
            "prompt_price_avg": [0.5],
        }
    )
    book = PriceBook.from_tables({"mine": Price(9.0, 9.0)}, models, prices)
    assert book.find("deepseek/r1", "label") == Price(1.0, 2.0, 0.5)
    assert book.find("r1") == Price(1.0, 2.0, 0.5)
    assert book.find("other", "mine") == Price(9.0, 9.0)
    assert book.find("nothing") is None


def test_tables_cost_unpriced_runs_at_todays_prices_and_keep_stored_costs():
    from tokenscope.data.prices import merge_prices, user_price_frame, with_run_costs

    runs = pl.LazyFrame(
        {
            "model": ["r1", "r1"],
            "tokens_completion": [1000, 1000],
            "tokens_prompt": [100, 100],
            "cost_usd": [None, 0.5],  # the second was billed (or costed) when it ran
            "cost_completion_usd": [None, 0.4],
            "cost_prompt_usd": [None, 0.1],
        },
        schema_overrides={c: pl.Float64 for c in ("cost_usd", "cost_completion_usd")}
        | {"cost_prompt_usd": pl.Float64},
    )
    study = pl.DataFrame(
        {"model": ["r1"], "completion_price_min": [1.0], "completion_price_max": [1.0]}
        | {"prompt_price_avg": [1.0]}
    )
    prices = merge_prices(study, user_price_frame({"r1": Price(2.0, 4.0, prompt=10.0)}))
    new, old = with_run_costs(runs, prices).collect().to_dicts()
    expected = run_cost(1000, 100, Price(2.0, 4.0, prompt=10.0))
    assert (new["cost_completion_usd"], new["cost_prompt_usd"], new["cost_usd"]) == (
        pytest.approx(expected.completion),
        pytest.approx(expected.prompt),
        pytest.approx(expected.total),
    )
    assert (old["cost_completion_usd"], old["cost_prompt_usd"], old["cost_usd"]) == (0.4, 0.1, 0.5)

"""A newcomer's first minutes in the Ask view: the footer's keys work, a chosen baseline is
the one used, and a question queued after the models finished still goes out."""

from __future__ import annotations

from textual.widgets import TextArea

from tests.tui.ask_helpers import FakePace, ask_while_streaming, open_ask, wait_ended, wait_for
from tokenscope.ask.models import DEMO_QUESTION
from tokenscope.tui.app import TokenscopeApp

SIZE = (120, 36)
REPLAY = "gpt-oss-120b (replay)"


def meter(view, key: str) -> str:  # type: ignore[no-untyped-def]
    return str(view._panes[key].query_one(".ask-meter").render())


def footer_keys(app: TokenscopeApp) -> set[str]:
    return {
        key
        for key, active in app.screen.active_bindings.items()
        if active.binding.show and active.enabled
    }


async def test_the_footers_keys_work_on_opening_and_typing_replaces_the_example() -> None:
    from tokenscope.tui.screens.ask_dialogs import ModelPickerScreen
    from tokenscope.tui.screens.help import HelpScreen

    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        question = view.query_one("#ask-question", TextArea)
        assert not question.has_focus
        # m, ? and 1-5 do what the footer says, and none of them lands in the question.
        assert {"m", "question_mark"} <= footer_keys(a)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(a.screen, ModelPickerScreen), what="the picker")
        await pilot.press("escape")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(a.screen, HelpScreen), what="the help")
        await pilot.press("escape")
        await pilot.press("1")
        await wait_for(pilot, lambda: a.main.active_key == "leaderboard", what="the leaderboard")
        await pilot.press("5")
        await wait_for(pilot, lambda: a.main.active_key == "ask", what="the Ask view")
        assert question.text == DEMO_QUESTION
        # i starts a question: the example is selected, so the first key replaces it.
        await pilot.press("i")
        assert question.has_focus and question.selected_text == DEMO_QUESTION
        # In the box, the footer offers only keys that still work there (no letters).
        assert not {k for k in footer_keys(a) if len(k) == 1 or k == "question_mark"}
        await pilot.press(*"Why?")
        assert question.text == "Why?"
        # Leaving and coming back keeps what the user typed.
        await pilot.press("escape")
        await pilot.press("i")
        assert question.selected_text == ""
        await pilot.press("!")
        assert question.text.endswith("!") and question.text.count("Why") == 1


async def test_a_chosen_domain_baseline_is_used_on_a_study_prompt_and_named() -> None:
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        view.set_models(["replay:gpt-oss-120b"])
        view.query_one("#ask-baseline").value = "domain:knowledge"
        pace = FakePace(limit=1 << 30)
        pace.go.set()
        pace.install(view)
        await pilot.press("ctrl+s")
        await wait_ended(view, pilot)
        line = str(view.query_one("#ask-baseline-line").render())
        assert "knowledge domain" in line and "study prompt" not in line
        assert view.baseline is not None and view.baseline.source == "domain"
        text = meter(view, REPLAY)
        assert "×" in text and "of 75" not in text
        assert f"of {view.baseline.tokens:,.0f}" in text
        # Still stored (and graded) as the study prompt it is.
        assert view.records[REPLAY]["prompt_id"] == "capital_of_australia"


async def test_queue_after_the_models_finished_sends_the_question() -> None:
    a = TokenscopeApp(poll_seconds=0)
    async with a.run_test(size=SIZE) as pilot:
        view = await open_ask(a, pilot)
        pace, first = await ask_while_streaming(a, pilot, view)
        dialog = a.screen
        pace.release()  # the models finish while the dialog is open
        await wait_for(pilot, lambda: first.closed, what="the first ask to end")
        heading = str(dialog.query_one("#busy-heading").render())
        assert "finished" in heading
        await pilot.press("q")
        await wait_for(pilot, lambda: view.board is not first, what="the question to go out")
        assert view.queued is None
        await wait_ended(view, pilot)
        assert view.board.panes[REPLAY].status == "ok"

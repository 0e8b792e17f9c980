"""``tokenscope ask``: one question to one or more models, reasoning tokens counted live.

Live counters go to stderr when it is a terminal; the result goes to stdout.
Ctrl-C cancels every model, keeps what arrived and saves it as 'cancelled'.
Exit status: 0 when every model finished, 1 when any failed, 130 when
cancelled, 2 for a usage or configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from tokenscope.errors import UserError
from tokenscope.probe.events import LIMIT_NOTE
from tokenscope.text import literal, one_line

if TYPE_CHECKING:
    from tokenscope.ask.session import AskEvent, AskJob, AskOutcome, AskSession
    from tokenscope.config import Settings
    from tokenscope.probe.baseline import Baseline, LiveRatios
    from tokenscope.probe.events import ProbeResult

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
LIVE_INTERVAL_S = 0.1


class AskError(UserError):
    """A usage or configuration problem: one line, exit status 2."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from tokenscope.probe.endpoints import (
        APIS,
        BUILTIN_MAX_TOKENS,
        EFFORTS,
        PRESETS,
        SELF_HOSTED_MAX_TOKENS,
    )
    from tokenscope.probe.replay import DEFAULT_TOKENS_PER_S

    p = subparsers.add_parser(
        "ask",
        help="ask models a question; watch reasoning tokens live against a baseline",
        description="Ask one or more models a question, stream their reasoning and answer, "
        "count tokens live and compare with a baseline. Every run is saved to your results "
        f"unless --no-save. Built-in endpoints: {', '.join(PRESETS)}. API keys are read "
        "from environment variables only.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--endpoint",
        metavar="NAME",
        help="a built-in or configured endpoint; 'local' starts the built-in model",
    )
    where.add_argument("--base-url", metavar="URL", help="any OpenAI-compatible (or --api) server")
    p.add_argument("--api-key-env", metavar="VAR", help="environment variable holding the key")
    p.add_argument("--api", choices=APIS, help="wire protocol for --base-url (default: openai)")
    p.add_argument(
        "--model",
        action="append",
        metavar="M",
        help="model id or config alias (repeat to run several side by side)",
    )
    p.add_argument(
        "--replay",
        action="append",
        metavar="M",
        help="replay the study's run of model M on this question (offline; never saved)",
    )
    p.add_argument(
        "--pace",
        type=float,
        default=DEFAULT_TOKENS_PER_S,
        metavar="N",
        help=f"replay speed in tokens per second (default {DEFAULT_TOKENS_PER_S:g})",
    )
    p.add_argument(
        "--baseline",
        default="auto",
        metavar="auto|none|MODEL",
        help="auto (study prompt, domain, your earlier runs), none, or a model to run "
        "alongside (a model you name is the baseline even on a study prompt)",
    )
    p.add_argument("--domain", help="knowledge, math or logic: compare with the study's domain")
    p.add_argument("--effort", choices=EFFORTS, help="reasoning effort or thinking budget")
    p.add_argument(
        "--max-tokens",
        type=int,
        metavar="N",
        help=f"completion cap (default: the provider's; {SELF_HOSTED_MAX_TOKENS} on a local "
        f"server, {BUILTIN_MAX_TOKENS} on the built-in model)",
    )
    p.add_argument("--temperature", type=float, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--no-save", action="store_true", help="do not add the runs to your results")
    p.add_argument("question", nargs="+", metavar="QUESTION")
    p.set_defaults(func=run)
    return p


def build_job(args: argparse.Namespace, settings: Settings) -> AskJob:
    """The arguments as an ask: one line naming what is wrong otherwise (``AskError``)."""
    from tokenscope.ask.models import named_choices, replay_choice
    from tokenscope.ask.session import AskJob
    from tokenscope.data.schema import normalise_domain
    from tokenscope.probe.endpoints import EndpointError
    from tokenscope.probe.local_model import SERVED_MODEL

    question = " ".join(args.question).strip()
    if not question:
        raise AskError("the question is empty")
    names = list(args.model or [])
    if not names and _built_in(settings, args.endpoint):
        names = [SERVED_MODEL]  # the built-in endpoint serves one model
    if not names and not args.replay:
        raise AskError("name a model (--model) or a study run to replay (--replay)")
    if args.max_tokens is not None and args.max_tokens <= 0:
        raise AskError("--max-tokens must be a positive number")
    if args.pace <= 0:
        raise AskError("--pace must be a positive number")
    domain = None
    if args.domain:
        domain = normalise_domain(args.domain)
        if domain is None:
            raise AskError(f"unknown domain '{args.domain}' (knowledge, math or logic)")
    replays = [replay_choice(m) for m in dict.fromkeys(args.replay or [])]
    baseline = args.baseline.strip()
    if baseline not in ("auto", "none"):
        # A baseline model runs beside the others; the user's choice beats any other baseline.
        replayed = next((r.label for r in replays if baseline in (r.model, r.label)), None)
        if replayed is None and baseline not in names:
            names.append(baseline)
        baseline = f"model:{replayed or baseline}"
    try:
        models = named_choices(
            settings,
            names,
            endpoint=args.endpoint,
            base_url=args.base_url,
            api_key_env=args.api_key_env,
            api=args.api,
        )
    except EndpointError as exc:
        raise AskError(str(exc)) from None
    models += replays
    return AskJob(
        question,
        tuple(models),
        baseline=baseline,
        domain=domain,
        effort=args.effort,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        seed=args.seed,
        pace=args.pace,
        save=not args.no_save,
    )


def _built_in(settings: Settings, name: str | None) -> bool:
    """True when ``--endpoint`` names the built-in model's endpoint."""
    from tokenscope.probe.endpoints import all_endpoints

    endpoint = all_endpoints(settings).get(name or "")
    return endpoint is not None and endpoint.builtin


class LiveLine:
    """One status line on stderr, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO, keys: list[str]) -> None:
        self.stream = stream
        self.keys = keys
        self.status: dict[str, str] = {}
        self._last = 0.0
        self._drawn = False

    def draw(self, ratios: LiveRatios, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < LIVE_INTERVAL_S:
            return
        self._last = now
        parts = []
        for key in self.keys:
            counts = ratios.counts.get(key)
            text = f"{key}: "
            if key in self.status:
                text += self.status[key]
            elif counts is None:
                text += "waiting"
            else:
                mark = "~" if counts.source == "estimated" else ""
                text += (
                    f"{mark}{counts.reasoning:,.0f} reasoning + {mark}{counts.answer:,.0f} answer"
                )
                ratio = ratios.ratio(key)
                if ratio is not None:
                    text += f" ({ratio:.2f}x)"
            parts.append(text)
        width = shutil.get_terminal_size((100, 20)).columns
        self.stream.write("\r\x1b[K" + one_line(" | ".join(parts), width - 1))
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False


class Printer:
    """Shows an ask's events on stderr: notices and retries as lines, the live counters
    on one redrawn line when stderr is a terminal, the baseline once it is known and a
    model has answered (when none can, its one error line is all there is)."""

    def __init__(self, err: TextIO, keys: list[str], live: bool, announce: bool) -> None:
        self.err = err
        self.line = LiveLine(err, keys) if live else None
        self.announce = announce
        self.session: AskSession | None = None
        self._baseline: str | None = None  # said once something arrived
        self._arrived = False

    def on_event(self, event: AskEvent) -> None:
        from tokenscope.ask.session import ContextReady, RunStored
        from tokenscope.probe.events import (
            TERMINAL,
            AnswerDelta,
            Finished,
            Notice,
            ReasoningDelta,
            Retrying,
            UsageReported,
        )

        line = self.line
        if isinstance(event, ContextReady):
            if self.announce and event.baseline.source != "none":
                self._baseline = f"tokenscope: baseline: {event.baseline.description}"
                self._say_baseline()
            return
        if isinstance(event, ReasoningDelta | AnswerDelta | UsageReported | Finished):
            self._arrived = True
            self._say_baseline()
        if isinstance(event, RunStored):
            if event.error:
                self._say(f"tokenscope: could not save the run of {event.key}: {event.error}")
            return
        if isinstance(event, Notice | Retrying):
            what = (
                event.message
                if isinstance(event, Notice)
                else f"{event.reason}; retrying in {event.delay_s:g} s"
            )
            self._say(f"tokenscope: {event.key}: {what}")
        elif isinstance(event, TERMINAL) and line:
            cut = f" · {LIMIT_NOTE}" if event.result.hit_limit else ""
            line.status[event.key] = event.result.status + cut
        if line and self.session is not None:
            line.draw(self.session.ratios, force=isinstance(event, TERMINAL))

    def _say_baseline(self) -> None:
        if self._arrived and self._baseline:
            self._say(self._baseline)
            self._baseline = None

    def _say(self, text: str) -> None:
        if self.line:
            self.line.clear()
        print(
            literal(text, keep_newlines=False), file=self.err
        )  # names and errors come from outside

    def close(self) -> None:
        if self.line:
            self.line.clear()


async def _ask(job: AskJob, settings: Settings, printer: Printer) -> AskOutcome:
    from tokenscope.ask.session import AskSession
    from tokenscope.probe.local_model import LocalModel

    # The built-in model's server starts on first use and stops with the ask, as in the app.
    local = LocalModel()
    session = AskSession(job, settings, printer.on_event, local=local)
    printer.session = session
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, session.cancel)
        handler = True
    except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
        handler = False
    try:
        return await session.run()
    finally:
        if handler:
            loop.remove_signal_handler(signal.SIGINT)
        printer.close()
        await asyncio.to_thread(local.stop)


def _rows(outcome: AskOutcome) -> list[tuple[ProbeResult, dict[str, Any]]]:
    """Each model's result and the JSON object ``--format json`` prints for it."""
    from tokenscope.probe import results as records

    rows = []
    for result in outcome.results:
        stored = outcome.stored.get(result.key)
        rows.append(
            (
                result,
                records.to_json(
                    result,
                    baseline=outcome.baseline,
                    baseline_tokens=outcome.baseline_tokens,
                    cost=stored.cost if stored else None,
                    run_id=stored.run_id if stored else None,
                ),
            )
        )
    return rows


def _fmt(value: float | None, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def _cost_text(row: dict[str, Any]) -> str:
    text = f"; cost ${row['cost_usd']:.6f}"
    if row["cost_prompt_usd"] is not None:
        text += (
            f" (completion ${row['cost_completion_usd']:.6f}"
            f" + prompt ${row['cost_prompt_usd']:.6f})"
        )
    return text


def _nothing_arrived(result: ProbeResult) -> bool:
    """Failed before a token came (a dead server, a wrong key): its stderr line says it all."""
    return (
        result.status == "failed"
        and not result.answer
        and not result.reasoning
        and result.tokens_completion is None
    )


def _write_text(base: Baseline, chosen: str, rows: list, out: TextIO) -> None:
    rows = [(result, row) for result, row in rows if not _nothing_arrived(result)]
    if not rows:
        return
    for result, row in rows:
        head = f"== {row['model']} @ {row['endpoint']}: {row['status']}"
        if result.hit_limit:
            head += f" · {LIMIT_NOTE}"
        print(literal(head, keep_newlines=False), file=out)
        if row["error"]:
            print(f"   {literal(row['error'], keep_newlines=False)}", file=out)
        if row["reasoning"]:
            print(f"-- reasoning ({_fmt(row['tokens_reasoning'], ',')} tokens)", file=out)
            print(literal(row["reasoning"]).rstrip(), file=out)
        elif result.hidden_reasoning or result.tokens_reasoning_reported:
            print("-- reasoning: hidden by the provider (only its token count is known)", file=out)
        print(f"-- answer ({_fmt(row['tokens_answer'], ',')} tokens)", file=out)
        print(literal(row["answer"]).rstrip() or "(empty)", file=out)
        source = row["tokens_source"]
        tokens = (
            f"tokens: {_fmt(row['tokens_completion'], ',')} completion "
            f"({_fmt(row['tokens_reasoning'], ',')} reasoning + "
            f"{_fmt(row['tokens_answer'], ',')} answer)"
            f", {_fmt(row['tokens_prompt'], ',')} prompt" + (f"; {source}" if source else "")
        )
        if result.estimate_error is not None:
            tokens += f"; live estimate was off by {result.estimate_error:+.1%}"
        print(tokens, file=out)
        if row["baseline_tokens"]:
            print(
                f"baseline: {row['baseline_tokens']:,.0f} ({base.description}); "
                f"ratio {_fmt(row['ratio_to_baseline'], '.2f', 'x')}",
                file=out,
            )
        timing = (
            f"time: first token {_fmt(row['ttft_s'], '.2f', ' s')}, total "
            f"{_fmt(row['duration_s'], '.2f', ' s')}, "
            f"{_fmt(row['tokens_per_s'], '.1f', ' tokens/s')}"
        )
        if row["cost_usd"] is not None:
            timing += _cost_text(row)
        if row["run_id"]:
            timing += f"; saved as {row['run_id']}"
        print(timing, file=out)
        print(file=out)
    if base.placements:
        _write_placements(base, rows, out)
    elif base.source == "none" and chosen == "auto":
        print("baseline: none (not a study prompt; try --domain or --baseline MODEL)", file=out)
    elif base.source == "none":
        print(f"baseline: none ({base.description})", file=out)


def _write_placements(base: Baseline, rows: list, out: TextIO) -> None:
    print(
        f"Where the study's models fall on {base.prompt_id} (completion tokens, ratio):", file=out
    )
    entries = [(p.mean_completion_tokens, p.ratio, p.model, False) for p in base.placements]
    for _result, row in rows:
        if row["tokens_completion"] is not None and row["status"] == "ok":
            entries.append((row["tokens_completion"], row["ratio_to_baseline"], row["model"], True))
    for tokens, ratio, model, mine in sorted(entries, key=lambda e: e[0]):
        mark = ">" if mine else " "
        suffix = "  <- this run" if mine else ""
        print(f" {mark} {tokens:>9,.0f}  {_fmt(ratio, '5.2f', 'x')}  {model}{suffix}", file=out)


def run(args: argparse.Namespace) -> int:
    from tokenscope.config import load_settings

    err = sys.stderr
    try:
        settings = load_settings()
        job = build_job(args, settings)
    except UserError as exc:
        print(literal(f"tokenscope: error: {exc}", keep_newlines=False), file=err)
        return EXIT_USAGE
    printer = Printer(
        err, [c.label for c in job.models], live=err.isatty(), announce=args.format == "text"
    )
    try:
        outcome = asyncio.run(_ask(job, settings, printer))
    except KeyboardInterrupt:
        print("tokenscope: interrupted", file=err)
        return EXIT_CANCELLED
    rows = _rows(outcome)
    out = sys.stdout
    if args.format == "json":
        json.dump([row for _r, row in rows], out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        _write_text(outcome.baseline, job.baseline, rows, out)
    results = outcome.results
    for result in results:
        if result.status == "failed":
            print(
                literal(f"tokenscope: {result.key}: {result.error}", keep_newlines=False), file=err
            )
    out.flush()
    if any(r.status == "failed" for r in results):
        return EXIT_FAILED
    if outcome.cancelled or any(r.status == "cancelled" for r in results):
        return EXIT_CANCELLED
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (tests, ``python -m tokenscope.ask.cli``)."""
    parser = argparse.ArgumentParser(prog="tokenscope")
    sub = parser.add_subparsers()
    add_parser(sub)
    args = parser.parse_args(["ask", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())

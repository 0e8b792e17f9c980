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
from dataclasses import dataclass
from typing import Any, TextIO

from tokenscope.text import literal, one_line

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
LIVE_INTERVAL_S = 0.1


class AskError(Exception):
    """A usage or configuration problem: one line, exit status 2."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from tokenscope.probe.endpoints import APIS, EFFORTS, PRESETS

    p = subparsers.add_parser(
        "ask",
        help="ask models a question; watch reasoning tokens live against a baseline",
        description="Ask one or more models a question, stream their reasoning and answer, "
        "count tokens live and compare with a baseline. Every run is saved to your results "
        f"unless --no-save. Built-in endpoints: {', '.join(PRESETS)}. API keys are read "
        "from environment variables only.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--endpoint", metavar="NAME", help="a built-in or configured endpoint")
    where.add_argument("--base-url", metavar="URL", help="any OpenAI-compatible (or --api) server")
    p.add_argument("--api-key-env", metavar="VAR", help="environment variable holding the key")
    p.add_argument("--api", choices=APIS, help="wire protocol for --base-url (default: openai)")
    p.add_argument(
        "--model",
        action="append",
        required=True,
        metavar="M",
        help="model id (repeat to run several side by side)",
    )
    p.add_argument(
        "--baseline",
        default="auto",
        metavar="auto|none|MODEL",
        help="auto (study prompt, domain, your earlier runs), none, or a model to run alongside",
    )
    p.add_argument("--domain", help="knowledge, math or logic: compare with the study's domain")
    p.add_argument("--effort", choices=EFFORTS, help="reasoning effort or thinking budget")
    p.add_argument("--max-tokens", type=int, metavar="N")
    p.add_argument("--temperature", type=float, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--no-save", action="store_true", help="do not add the runs to your results")
    p.add_argument("question", nargs="+", metavar="QUESTION")
    p.set_defaults(func=run)
    return p


@dataclass
class Plan:
    question: str
    requests: list[Any]
    baseline: Any
    domain: str | None
    settings: Any


def _plan(args: argparse.Namespace) -> Plan:
    from tokenscope.config import load_settings
    from tokenscope.data.schema import normalise_domain
    from tokenscope.probe import baseline as baselines
    from tokenscope.probe.endpoints import EndpointError, resolve
    from tokenscope.probe.request import ProbeRequest

    question = " ".join(args.question).strip()
    if not question:
        raise AskError("the question is empty")
    if args.max_tokens is not None and args.max_tokens <= 0:
        raise AskError("--max-tokens must be a positive number")
    domain = None
    if args.domain:
        domain = normalise_domain(args.domain)
        if domain is None:
            raise AskError(f"unknown domain '{args.domain}' (knowledge, math or logic)")
    settings = load_settings()
    models = list(dict.fromkeys(args.model))
    baseline_key = None
    choice = args.baseline.strip()
    if choice not in ("auto", "none"):
        baseline_key = choice
        if choice not in models:
            models.append(choice)
        choice = "model"
    requests = []
    try:
        for name in models:
            alias = settings.models.get(name)
            api_model, effort, implied = name, args.effort, None
            endpoint_name = args.endpoint
            if alias is not None:
                api_model = alias.model
                effort = effort or alias.effort
                implied = alias.implied_think
            base_url = args.base_url
            if alias is not None and alias.endpoint:
                # An alias says where its model lives; that beats the command line's default.
                endpoint_name, base_url = alias.endpoint, None
            endpoint = resolve(settings, endpoint_name, base_url, args.api_key_env, args.api)
            requests.append(
                ProbeRequest(
                    endpoint,
                    api_model,
                    question,
                    label=name,
                    effort=effort,
                    max_tokens=args.max_tokens,
                    temperature=args.temperature,
                    seed=args.seed,
                    implied_think=implied,
                )
            )
    except EndpointError as exc:
        raise AskError(str(exc)) from None
    base = baselines.resolve(question, choice=choice, baseline_key=baseline_key, domain=domain)
    return Plan(question, requests, base, domain, settings)


class LiveLine:
    """One status line on stderr, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO, keys: list[str]) -> None:
        self.stream = stream
        self.keys = keys
        self.status: dict[str, str] = {}
        self._last = 0.0
        self._drawn = False

    def draw(self, ratios, force: bool = False) -> None:
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


async def _ask(plan: Plan, live: bool, err: TextIO) -> tuple[list[Any], Any, bool]:
    from tokenscope.probe.baseline import LiveRatios
    from tokenscope.probe.engine import Probe, ProbeGroup
    from tokenscope.probe.events import TERMINAL, Notice, Retrying

    group = ProbeGroup([Probe(r, plan.settings) for r in plan.requests])
    ratios = LiveRatios(plan.baseline)
    line = LiveLine(err, [r.key for r in plan.requests]) if live else None
    cancelled = False
    loop = asyncio.get_running_loop()

    def on_interrupt() -> None:
        nonlocal cancelled
        cancelled = True
        group.cancel()

    try:
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
        handler = True
    except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
        handler = False
    try:
        async for event in group.events():
            ratios.update(event)
            if isinstance(event, Notice | Retrying):
                if line:
                    line.clear()
                what = (
                    event.message
                    if isinstance(event, Notice)
                    else (f"{event.reason}; retrying in {event.delay_s:g} s")
                )
                print(f"tokenscope: {event.key}: {what}", file=err)
            elif isinstance(event, TERMINAL):
                result = event.result
                ratios.set_final(event.key, result.tokens_completion, result.tokens_source)
                if line:
                    line.status[event.key] = result.status
            if line:
                line.draw(ratios, force=isinstance(event, TERMINAL))
    except asyncio.CancelledError:
        cancelled = True
        group.cancel()
    finally:
        if handler:
            loop.remove_signal_handler(signal.SIGINT)
        if line:
            line.clear()
    return group.results(), ratios, cancelled


def _prices(settings):
    from tokenscope.data.loader import LoadError, load_study_tables

    user = settings.prices
    try:
        _prompts, models, prices = load_study_tables()
        bundled = (models, prices)
    except LoadError:
        bundled = None
    return user, bundled


def _finish(plan: Plan, results: list[Any], ratios, save: bool, err: TextIO) -> list[dict]:
    from tokenscope.probe import results as records
    from tokenscope.suite.grading import grade_asked_run

    user_prices, bundled = _prices(plan.settings)
    baseline_tokens = ratios.baseline_tokens()
    out = []
    for result in results:
        cost = records.cost_usd(
            result,
            records.find_price(result.model, user_prices, bundled)
            or records.find_price(result.key, user_prices, bundled),
        )
        record = records.to_run(
            result, question=plan.question, baseline=plan.baseline, domain=plan.domain, cost=cost
        )
        grade_asked_run(record)
        run_id = None
        if save:
            try:
                run_id = records.save(record)
            except OSError as exc:
                print(f"tokenscope: could not save the run of {result.key}: {exc}", file=err)
        out.append(
            (
                result,
                records.to_json(
                    result,
                    baseline=plan.baseline,
                    baseline_tokens=baseline_tokens,
                    cost=cost,
                    run_id=run_id,
                ),
            )
        )
    return out


def _fmt(value: float | None, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def _write_text(plan: Plan, rows: list, out: TextIO) -> None:
    base = plan.baseline
    for result, row in rows:
        head = f"== {row['model']} @ {row['endpoint']}: {row['status']}"
        print(head, file=out)
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
            timing += f"; cost ${row['cost_usd']:.6f}"
        if row["run_id"]:
            timing += f"; saved as {row['run_id']}"
        print(timing, file=out)
        print(file=out)
    if base.placements:
        _write_placements(base, rows, out)
    elif base.source == "none":
        print("baseline: none (not a study prompt; try --domain or --baseline MODEL)", file=out)


def _write_placements(base, rows: list, out: TextIO) -> None:
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
    from tokenscope.data.loader import LoadError

    err = sys.stderr
    try:
        plan = _plan(args)
    except (AskError, LoadError, ValueError) as exc:
        print(f"tokenscope: error: {exc}", file=err)
        return EXIT_USAGE
    if plan.baseline.source != "none" and args.format == "text":
        print(f"tokenscope: baseline: {plan.baseline.description}", file=err)
    live = err.isatty()
    try:
        results, ratios, cancelled = asyncio.run(_ask(plan, live, err))
    except KeyboardInterrupt:
        print("tokenscope: interrupted", file=err)
        return EXIT_CANCELLED
    rows = _finish(plan, results, ratios, not args.no_save, err)
    out = sys.stdout
    if args.format == "json":
        json.dump([row for _r, row in rows], out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        _write_text(plan, rows, out)
    for result in results:
        if result.status == "failed":
            print(f"tokenscope: {result.key}: {result.error}", file=err)
    out.flush()
    if any(r.status == "failed" for r in results):
        return EXIT_FAILED
    if cancelled or any(r.status == "cancelled" for r in results):
        return EXIT_CANCELLED
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (tests, ``python -m tokenscope.probe.cli_ask``)."""
    parser = argparse.ArgumentParser(prog="tokenscope")
    sub = parser.add_subparsers()
    add_parser(sub)
    args = parser.parse_args(["ask", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())

"""``tokenscope run``: put a prompt suite to any model, N times, graded and stored.

The model then sits in the leaderboard, the prompt matrix and the charts beside
the study's 29, normalised against the same reference models.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from tokenscope.errors import UserError
from tokenscope.suite.runner import Progress
from tokenscope.suite.session import SuiteJob, execute
from tokenscope.text import literal

if TYPE_CHECKING:
    from tokenscope.probe.endpoints import Endpoint


def add_parser(sub: argparse._SubParsersAction) -> None:
    from tokenscope import __version__
    from tokenscope.probe.endpoints import (
        BUILTIN_MAX_TOKENS,
        CLOUD_CONCURRENCY,
        SELF_HOSTED_MAX_TOKENS,
        STUDY_MAX_TOKENS,
    )

    p = sub.add_parser(
        "run",
        help="put a prompt suite to a model N times, grade it, and add it to the leaderboard",
        description="Put the study's prompts (or your own suite) to any model, so it joins "
        "the leaderboard on the same footing. Interrupt it and run it again to continue.",
    )
    p.add_argument("--version", action="version", version=f"tokenscope {__version__}")
    p.add_argument("--suite", default="study", help="'study' (the 19 prompts) or a TOML/JSONL file")
    p.add_argument(
        "--model", help="the model id the API expects (not needed with --endpoint local)"
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--endpoint",
        help="a preset or configured endpoint name; 'local' starts the built-in model",
    )
    where.add_argument(
        "--base-url", help="an OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1"
    )
    p.add_argument("--api-key-env", help="environment variable holding the API key")
    p.add_argument("--label", help="the name the model gets in tables (default: --model)")
    p.add_argument("-n", "--samples", type=int, default=5, help="samples per prompt (default 5)")
    p.add_argument(
        "--concurrency",
        type=int,
        help=f"requests in flight (default {CLOUD_CONCURRENCY}; 1 on a local server)",
    )
    p.add_argument(
        "--max-tokens",
        type=int,
        help=f"completion cap (default {STUDY_MAX_TOKENS}; {SELF_HOSTED_MAX_TOKENS} on a local "
        f"server, {BUILTIN_MAX_TOKENS} on the built-in model)",
    )
    p.add_argument("--effort", choices=("low", "medium", "high"), help="reasoning effort")
    p.add_argument("--temperature", type=float, help="sampling temperature")
    p.add_argument("--judge", metavar="MODEL", help="grade every criterion with this LLM judge")
    judge_where = p.add_mutually_exclusive_group()
    judge_where.add_argument("--judge-endpoint", help="the judge's endpoint (default: the model's)")
    judge_where.add_argument("--judge-base-url", help="the judge's OpenAI-compatible base URL")
    p.add_argument("--only", help="comma-separated prompt ids to run")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def _positive(name: str, value: int | None) -> int | None:
    if value is not None and value < 1:
        raise UserError(f"{name} must be at least 1")
    return value


def _model_and_label(args: argparse.Namespace, endpoint: Endpoint) -> tuple[str, str]:
    """The model id to ask and the name its runs are stored under."""
    if endpoint.builtin:
        from tokenscope.probe import local_model

        if not local_model.is_served_model(args.model):
            raise UserError(
                f"the '{endpoint.name}' endpoint serves only the built-in model "
                f"({local_model.SERVED_MODEL}); leave out --model"
            )
        if not local_model.available():
            raise UserError(f"the local model is not installed: {local_model.INSTALL_HINT}")
        # Named as the Ask view names it: one model, one leaderboard row.
        return local_model.SERVED_MODEL, args.label or local_model.MODEL_LABEL
    if not args.model:
        raise UserError("name the model to run (--model), or use --endpoint local")
    return args.model, args.label or args.model


def _nothing_got_through(progress: Progress) -> bool:
    return bool(progress.failed) and not progress.done and not progress.tokens


def run(args: argparse.Namespace) -> int:
    from tokenscope.config import load_settings
    from tokenscope.probe.endpoints import EndpointError, resolve
    from tokenscope.suite.progress import ProgressReporter, summary
    from tokenscope.suite.suites import load_suite

    _positive("-n", args.samples)
    concurrency = _positive("--concurrency", args.concurrency)
    max_tokens = _positive("--max-tokens", args.max_tokens)
    suite = load_suite(args.suite)
    if args.only:
        suite = suite.only([p.strip() for p in args.only.split(",") if p.strip()])
    settings = load_settings()
    try:
        endpoint = resolve(settings, args.endpoint, args.base_url, args.api_key_env)
        judge_endpoint = (
            resolve(settings, args.judge_endpoint, args.judge_base_url, None)
            if args.judge_endpoint or args.judge_base_url
            else endpoint
        )
    except EndpointError as exc:
        raise UserError(str(exc)) from exc
    model, label = _model_and_label(args, endpoint)
    reporter = ProgressReporter()
    progress_box: list[Progress] = []

    def on_progress(p: Progress) -> None:
        progress_box[:] = [p]
        reporter(p)

    job = SuiteJob(
        suite=suite,
        model=model,
        label=label,
        endpoint=endpoint,
        samples=args.samples,
        concurrency=concurrency,
        max_tokens=max_tokens,
        effort=args.effort,
        temperature=args.temperature,
        judge=args.judge,
        judge_endpoint=judge_endpoint,
    ).fitted()
    main = execute(job, settings, on_progress)
    interrupted = False
    try:
        asyncio.run(main)
    except KeyboardInterrupt:
        interrupted = True
    except BaseException:
        reporter.close()
        raise
    progress = progress_box[0] if progress_box else None
    # A dead server, a wrong key or an unknown model: one line says it, nothing else.
    blocked = progress is not None and not interrupted and _nothing_got_through(progress)
    reporter.close(erase=blocked)
    if progress is None:
        return 1
    outcome = {
        "model": label,
        "endpoint": endpoint.identity,
        "suite": suite.name,
        "samples_done": progress.done,
        "samples_failed": progress.failed,
        "samples_skipped": progress.skipped,
        "samples_elsewhere": progress.elsewhere,
        "samples_planned": progress.total,
        "concurrency": job.concurrency,
        "max_tokens": job.max_tokens,
        "tokens_completion": progress.tokens,
        "cost_usd": progress.cost_usd if progress.cost_known else None,
        "interrupted": interrupted,
        "last_error": progress.last_error,
        "stopped": progress.stopped,
        "notes": progress.notes,
    }
    if args.format == "json":
        print(json.dumps(outcome, indent=1))
    elif blocked:
        why = progress.stopped or progress.last_error or "every sample failed"
        print(f"tokenscope: {literal(why, keep_newlines=False)}", file=sys.stderr)
    else:
        # Names come from the user's files and errors from servers: print them as data.
        shown = literal(label, keep_newlines=False)
        print(f"{shown} on {literal(suite.name, keep_newlines=False)}: {summary(progress)}")
        if progress.stopped:
            print(f"tokenscope: {literal(progress.stopped, keep_newlines=False)}", file=sys.stderr)
        elif progress.last_error:
            print(
                f"last error: {literal(progress.last_error, keep_newlines=False)}", file=sys.stderr
            )
        if interrupted:
            print("interrupted: run the same command again to continue", file=sys.stderr)
        elif progress.done:
            print(f"see it with: tokenscope leaderboard --source all   (model '{shown}')")
    if interrupted:
        return 130
    return 1 if progress.failed else 0

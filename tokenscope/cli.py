"""The ``tokenscope`` command: the app with no arguments, scriptable subcommands otherwise.

Every subcommand calls the same headless core as the app. Errors a user can
cause (``tokenscope.errors.UserError``) print one line and exit 2, mapped once in
``main``; anything else is a bug, shown as one line unless ``TOKENSCOPE_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tokenscope import __version__
from tokenscope.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, UserError
from tokenscope.text import literal

if TYPE_CHECKING:
    import argparse


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"tokenscope {__version__}")


def _add_format(parser: argparse.ArgumentParser) -> None:
    from tokenscope.data.export import FORMATS

    parser.add_argument("--format", choices=FORMATS, default="table", help="output format")


def _add_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        choices=("bundled", "user", "all"),
        default="all",
        help="the bundled study, your own results, or both (default: all)",
    )


def _add_edition(parser: argparse.ArgumentParser) -> None:
    from tokenscope.data.editions import DEFAULT_EDITION, EDITION_LABELS, EDITIONS

    labels = "; ".join(f"{name}: {EDITION_LABELS[name]}" for name in EDITIONS)
    parser.add_argument(
        "--edition",
        choices=EDITIONS,
        default=DEFAULT_EDITION,
        help=f"which edition of the bundled study ({labels}; default: {DEFAULT_EDITION})",
    )


def _reference(value: str | None) -> tuple[str, ...]:
    from tokenscope.data.metrics import DEFAULT_REFERENCE_MODELS

    if not value:
        return DEFAULT_REFERENCE_MODELS
    return tuple(m.strip() for m in value.split(",") if m.strip())


def _load(args: argparse.Namespace):
    from tokenscope.data.loader import load_dataset, warning_lines
    from tokenscope.text import literal

    ds = load_dataset("all", edition=args.edition)
    for warning in warning_lines(ds.warnings):
        print(f"tokenscope: {literal(warning, keep_newlines=False)}", file=sys.stderr)
    return ds


def _settings():
    """The config file's settings for the tables (they need only its prices): a broken file
    is said once and the defaults used, as the app does. ``config`` itself reports it."""
    from tokenscope.config import ConfigError, Settings, load_settings
    from tokenscope.text import literal

    try:
        return load_settings()
    except ConfigError as exc:
        # The message names the file: a name is data, never terminal control.
        print(
            f"tokenscope: {literal(str(exc), keep_newlines=False)}; using the defaults",
            file=sys.stderr,
        )
        return Settings()


def _user_prices():
    from tokenscope.data.prices import user_price_frame

    return user_price_frame(_settings().prices)


def _emit(frame, fmt: str) -> int:
    from tokenscope.data.export import render

    sys.stdout.write(render(frame, fmt) + "\n")
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from tokenscope.data.leaderboard import check_domain, check_reference, leaderboard

    check_domain(args.domain)
    ds = _load(args)
    reference = check_reference(ds, _reference(args.reference))
    table = leaderboard(
        ds,
        domain=args.domain,
        reference=reference,
        source=args.source,
        user_prices=_user_prices(),
    )
    return _emit(table, args.format)


def cmd_runs(args: argparse.Namespace) -> int:
    from tokenscope.data.leaderboard import filter_runs, run_costs

    ds = _load(args)
    runs = filter_runs(
        ds, model=args.model, prompt=args.prompt, domain=args.domain, source=args.source
    )
    runs = run_costs(runs, ds, _user_prices())
    if args.format == "table":
        runs = runs.select(
            "source",
            "model",
            "prompt_id",
            "sample_index",
            "tokens_completion",
            "tokens_reasoning",
            "tokens_answer",
            "reasoning_method",
            "score",
            "status",
            "answer",
        )
    return _emit(runs, args.format)


def cmd_prompts(args: argparse.Namespace) -> int:
    from tokenscope.data.leaderboard import prompts_table

    ds = _load(args)
    table = prompts_table(ds, _reference(args.reference))
    if args.format == "table":
        table = table.drop("prompt_text", "criteria")
    return _emit(table, args.format)


def cmd_models(args: argparse.Namespace) -> int:
    from tokenscope.data.leaderboard import models_table

    ds = _load(args)
    table = models_table(ds, _user_prices())
    if args.source != "all":
        table = table.filter(table["source"] == args.source)
    return _emit(table, args.format)


def cmd_trends(args: argparse.Namespace) -> int:
    from tokenscope.config import load_settings
    from tokenscope.data import trends
    from tokenscope.data.leaderboard import check_domain, check_reference

    if args.domain is not None:
        check_domain(args.domain)
    settings = load_settings()
    lineages = trends.merge_lineages(trends.bundled_lineages(), settings.lineages)
    ds = _load(args)
    reference = check_reference(ds, _reference(args.reference))
    return _emit(trends.trends_table(ds, lineages, args.domain, reference), args.format)


def cmd_schema(args: argparse.Namespace) -> int:
    from tokenscope.data.schema import schema_markdown

    print(schema_markdown())
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from tokenscope import paths
    from tokenscope.config import load_settings, write_template
    from tokenscope.probe.endpoints import all_endpoints

    path = paths.config_file()
    if args.init:
        if path.exists():
            raise UserError(f"{path} already exists; edit it, or remove it to start afresh")
        write_template(path)
        print(f"wrote {path} (readable by you only); edit it to add endpoints, models and prices")
        return 0
    print(f"config file: {path}{'' if path.exists() else ' (none yet: tokenscope config --init)'}")
    print(f"results:     {paths.results_dir()}")
    settings = load_settings()
    for name, endpoint in sorted(all_endpoints(settings).items()):
        key = endpoint.api_key_env
        state = "" if not key else (" key set" if os.environ.get(key) else f" needs ${key}")
        print(f"  {name:12} {endpoint.where}{state}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from tokenscope.doctor import report

    print("\n".join(report()))
    return 0


def cmd_app(args: argparse.Namespace | None) -> int:
    from tokenscope.tui.app import run_app

    return run_app()


def build_parser() -> argparse.ArgumentParser:
    import argparse

    from tokenscope.data.leaderboard import DOMAIN_CHOICES

    parser = argparse.ArgumentParser(
        prog="tokenscope",
        description="How many tokens does a reasoning model really spend to answer, "
        "and what does that cost? With no command, opens the app.",
    )
    _add_common(parser)
    parser.set_defaults(func=cmd_app)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("app", help="open the terminal app (the default)")
    _add_common(p)
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("leaderboard", help="one row per model: tokens, relative tokens, cost")
    _add_common(p)
    p.add_argument("--domain", default="all", help=f"one of {', '.join(DOMAIN_CHOICES)}")
    p.add_argument(
        "--reference",
        help="comma-separated reference models for the normaliser (default: the study's three)",
    )
    _add_source(p)
    _add_edition(p)
    _add_format(p)
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("runs", help="one row per run, with its texts")
    _add_common(p)
    p.add_argument("--model")
    p.add_argument("--prompt", help="prompt id")
    p.add_argument("--domain", help=f"one of {', '.join(DOMAIN_CHOICES)}")
    _add_source(p)
    _add_edition(p)
    _add_format(p)
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("prompts", help="the prompts and their reference normalisers")
    _add_common(p)
    p.add_argument("--reference", help="comma-separated reference models")
    _add_edition(p)
    _add_format(p)
    p.set_defaults(func=cmd_prompts)

    p = sub.add_parser("models", help="the models, their metadata and prices")
    _add_common(p)
    _add_source(p)
    _add_edition(p)
    _add_format(p)
    p.set_defaults(func=cmd_models)

    p = sub.add_parser(
        "trends", help="each lab's versions in release order: relative tokens and the change"
    )
    _add_common(p)
    p.add_argument("--domain", help=f"one of {', '.join(DOMAIN_CHOICES)} (default: every one)")
    p.add_argument("--reference", help="comma-separated reference models")
    _add_edition(p)
    _add_format(p)
    p.set_defaults(func=cmd_trends)

    p = sub.add_parser("schema", help="the columns a results file may hold (JSONL, CSV or Parquet)")
    _add_common(p)
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser(
        "config", help="where settings and results live, and the endpoints tokenscope knows"
    )
    _add_common(p)
    p.add_argument("--init", action="store_true", help="write a commented config file (0600)")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser(
        "doctor",
        help="every result file and what became of it, the config file, which keys are set",
    )
    _add_common(p)
    p.set_defaults(func=cmd_doctor)

    for add_parser in _commands_beside_their_engines():
        add_parser(sub)
    return parser


def _commands_beside_their_engines() -> list[Callable[[argparse._SubParsersAction], object]]:
    """``ask``, ``run`` and ``import``. A module of ours that fails to import is a bug: it
    must surface, not quietly take its command away."""
    from tokenscope.ask import cli as ask_cli
    from tokenscope.importers import cli as import_cli
    from tokenscope.suite import cli_run

    return [ask_cli.add_parser, cli_run.add_parser, import_cli.add_parser]


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        if not words:
            # The app paints before Polars (or even argparse) is imported: building
            # every subcommand's parser would import the data layer first.
            return cmd_app(None)
        args = build_parser().parse_args(words)
        from tokenscope.native_stderr import native_stderr_to

        # Native messages (a Rust panic's backtrace) go to a log; the user reads one line.
        with native_stderr_to():
            return int(args.func(args) or 0)
    except UserError as exc:
        print(f"tokenscope: error: {literal(str(exc), keep_newlines=False)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tokenscope: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `tokenscope runs | head`: the reader left; not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        return _unexpected(exc)
    except BaseException as exc:
        # A Rust panic in Polars is a BaseException; it is still one line, never a traceback.
        if not _is_panic(exc):
            raise
        return _unexpected(exc)


def _is_panic(exc: BaseException) -> bool:
    polars_errors = sys.modules.get("polars.exceptions")
    panic = getattr(polars_errors, "PanicException", None)
    return panic is not None and isinstance(exc, panic)


def _unexpected(exc: BaseException) -> int:
    if os.environ.get("TOKENSCOPE_DEBUG"):
        raise exc
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    print(
        f"tokenscope: unexpected error: {type(exc).__name__}: "
        f"{literal(first, keep_newlines=False)} (set TOKENSCOPE_DEBUG=1 for details)",
        file=sys.stderr,
    )
    return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())

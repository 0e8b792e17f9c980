"""``tokenscope import``: what a user sees, through the subcommand module the CLI registers."""

from __future__ import annotations

import argparse
import subprocess
import sys

from tokenscope.data import store
from tokenscope.importers import cli

from .conftest import FIXTURES


def run_import(*words: str) -> int:
    parser = argparse.ArgumentParser(prog="tokenscope")
    cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(["import", *words])
    return args.func(args)


def test_dry_run_shows_models_and_totals_and_writes_nothing(capsys, results_dir):
    code = run_import(str(FIXTURES / "otel_console.json"), "--dry-run")
    out, err = capsys.readouterr()
    assert code == 0
    assert "loopback-reasoner" in out and "openllmetry-model" in out
    assert "108,024" in out  # completion tokens of the 19 study spans
    assert "would import 21 runs from 1 of 1 file; 21 records skipped" in out
    assert err.count("\n") == 1 and "no GenAI attributes" in err
    assert not store.store_path(results_dir).exists()


def test_import_then_again(capsys, results_dir):
    assert run_import(str(FIXTURES / "litellm_study.jsonl")) == 0
    out, _ = capsys.readouterr()
    assert "imported 22 runs from 1 of 1 file" in out
    assert run_import(str(FIXTURES / "litellm_study.jsonl")) == 0
    out, _ = capsys.readouterr()
    assert "imported 0 runs from 1 of 1 file; 22 already in your results" in out


def test_unreadable_file_is_one_line_and_a_nonzero_exit(capsys, tmp_path, results_dir):
    bad = tmp_path / "bad.eval"
    bad.write_bytes(b"PK\x03\x04 not really")
    code = run_import(str(bad), str(FIXTURES / "openrouter_docs.jsonl"))
    out, err = capsys.readouterr()
    assert code == 1
    [line] = err.splitlines()
    assert line.startswith("tokenscope: skipped bad.eval: ")
    assert "imported 1 run from 1 of 2 files" in out


def test_format_choice_is_checked(capsys):
    parser = argparse.ArgumentParser(prog="tokenscope")
    cli.add_parser(parser.add_subparsers())
    try:
        parser.parse_args(["import", "x", "--format", "csv"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_importers_load_without_textual_or_polars():
    code = (
        "import sys, tokenscope.importers, tokenscope.importers.session, "
        "tokenscope.importers.cli, tokenscope.importers.detect\n"
        "assert 'textual' not in sys.modules, 'textual'\n"
        "assert 'polars' not in sys.modules, 'polars'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

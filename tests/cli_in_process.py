"""The CLI run inside the test process: the same ``main()`` a shell runs, with its
stdout, stderr and exit code, without paying a fresh interpreter and a Polars import
(half a second of CPU) per command. Tests about processes themselves (kill -9, two runs
at once, native stderr, the exit status a shell sees) start real ones."""

from __future__ import annotations

import contextlib
import io
import subprocess
from collections.abc import Callable, Sequence

from tokenscope.cli import main


def run_main(
    entry: Callable[[list[str]], int | None], name: str, args: Sequence[str]
) -> subprocess.CompletedProcess[str]:
    """``entry(args)`` as ``subprocess.run(..., capture_output=True, text=True)`` gives a
    command back: its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = entry(list(args)) or 0
        except SystemExit as exc:  # argparse's --help, --version and usage errors
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return subprocess.CompletedProcess([name, *args], code, out.getvalue(), err.getvalue())


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``tokenscope ARGS``. Call it from a thread in async tests: commands run their own
    event loop."""
    return run_main(main, "tokenscope", args)

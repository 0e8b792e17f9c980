"""The CLI run inside the test process: the same ``main()`` a shell runs, with its
stdout, stderr and exit code, without paying a fresh interpreter and a Polars import
(half a second of CPU) per command. Tests about processes themselves (kill -9, two runs
at once, native stderr, the exit status a shell sees) start real ones."""

from __future__ import annotations

import contextlib
import io
import subprocess

from tokenscope.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``tokenscope ARGS`` as ``subprocess.run(..., capture_output=True, text=True)`` gives
    it back. Call it from a thread in async tests: commands run their own event loop."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's --help, --version and usage errors
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return subprocess.CompletedProcess(["tokenscope", *args], code, out.getvalue(), err.getvalue())

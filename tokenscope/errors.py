"""The root of every error a user can cause.

``UserError`` and its subclasses (a bad config file, an unknown endpoint, an
unreadable results file, a local model that is not installed) carry one line for
the user. ``tokenscope.cli.main`` prints that line and exits 2, in one place; the
app shows the same line in a notification. Anything else is a bug and keeps
its traceback behind ``TOKENSCOPE_DEBUG=1``.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or an unusable file, server or setting; never a bug."""


# Exit statuses, the same for every subcommand.
EXIT_FAILED = 1  # what was asked for ran and failed (or a bug)
EXIT_USAGE = 2  # a UserError
EXIT_INTERRUPTED = 130  # Ctrl+C, as a shell reports SIGINT

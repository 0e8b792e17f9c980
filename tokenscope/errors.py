"""The one exception type a user can cause: its message is printed as one line."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or an unusable file, server or setting; never a bug."""

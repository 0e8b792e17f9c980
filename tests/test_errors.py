"""One error root: whatever a user can get wrong is a UserError, and ``main`` alone turns
it into one line on stderr and exit status 2."""

from __future__ import annotations

import sys

import pytest

from tokenscope import cli
from tokenscope.config import ConfigError
from tokenscope.data.loader import LoadError
from tokenscope.errors import EXIT_FAILED, EXIT_USAGE, UserError
from tokenscope.probe.endpoints import EndpointError
from tokenscope.probe.local_model import LocalModelError
from tokenscope.probe.replay import ReplayError
from tokenscope.tui.themes import ThemeError


@pytest.mark.parametrize(
    "error", [ConfigError, LoadError, EndpointError, LocalModelError, ReplayError, ThemeError]
)
def test_every_error_a_user_can_cause_is_a_user_error(error: type[Exception]) -> None:
    assert issubclass(error, UserError)


def test_main_prints_a_user_error_as_one_literal_line(tmp_path, monkeypatch, capsys) -> None:
    # A config file whose name holds a terminal escape, and that is not TOML.
    config = tmp_path / "bad\x1b[2J.toml"
    config.write_text("[[[", encoding="utf-8")
    monkeypatch.setenv("TOKENSCOPE_CONFIG", str(config))
    assert cli.main(["config"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("tokenscope: error: ") and "not valid TOML" in err
    assert err.count("\n") == 1 and "\x1b" not in err and "\\x1b[2J" in err


def test_a_broken_module_of_ours_surfaces_instead_of_hiding_its_command(
    monkeypatch, capsys
) -> None:
    import tokenscope.suite

    # ``None`` in sys.modules makes the import fail, as a syntax error in it would.
    monkeypatch.setitem(sys.modules, "tokenscope.suite.cli_run", None)
    monkeypatch.delattr(tokenscope.suite, "cli_run", raising=False)
    assert cli.main(["run", "--help"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "unexpected error" in err and "cli_run" in err and "invalid choice" not in err

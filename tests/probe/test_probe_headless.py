"""The probe is headless: importing all of it never imports Textual."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import importlib, pkgutil, sys
import tokenscope.probe as probe
import tokenscope.config
for info in pkgutil.walk_packages(probe.__path__, "tokenscope.probe."):
    importlib.import_module(info.name)
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(len([m for m in sys.modules if m.startswith("tokenscope.probe.")]))
assert not loaded, loaded
"""


def test_importing_the_probe_never_imports_textual():
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 12  # the walk really imported the modules

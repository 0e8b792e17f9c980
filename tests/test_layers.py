"""The package's layers: who may import whom, and what importing the probe costs.

From the bottom: errors, text, paths; data (Polars) and config; probe (httpx);
suite; then the faces, tui and cli. A layer never imports one above it, not even
inside a function, and no two modules import each other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tokenscope"

FACES = ("tokenscope.tui", "tokenscope.cli", "tokenscope.ask", "textual")
# What each layer must never import.
FORBIDDEN = {
    "tokenscope.errors": ("tokenscope.", "textual"),
    "tokenscope.text": ("tokenscope.", "textual"),
    "tokenscope.paths": ("tokenscope.", "textual"),
    "tokenscope.config": ("tokenscope.data", "tokenscope.suite", *FACES),
    "tokenscope.lineages": ("tokenscope.data", "tokenscope.probe", "tokenscope.suite", *FACES),
    "tokenscope.data": ("tokenscope.probe", "tokenscope.suite", *FACES),
    "tokenscope.probe": ("tokenscope.suite", *FACES),
    "tokenscope.suite": FACES,
}
# Known exceptions, each with the reason. A name that no longer exists is ignored.
ALLOWED: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(tree: ast.AST) -> list[str]:
    """Every absolute import in a tree, as the most specific module name it reaches."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            subs = [f"{node.module}.{a.name}" for a in node.names]
            names += [s for s in subs if s in MODULES] or [node.module]
    return names


def _module_level_imports(tree: ast.Module) -> set[str]:
    """Imports run when the module loads, plus those under ``if TYPE_CHECKING``: both
    make a cycle for a reader and for mypy."""
    body = list(tree.body)
    body += [n for node in tree.body if isinstance(node, ast.If) for n in node.body]
    # Only the import statements themselves: a function's imports run when it is called.
    imports = [node for node in body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return {name for node in imports for name in _imports(ast.Module([node], []))}


def _layer(module: str) -> str | None:
    return max(
        (k for k in FORBIDDEN if module == k or module.startswith(k + ".")), key=len, default=None
    )


def test_no_layer_imports_one_above_it() -> None:
    wrong = []
    for module, path in MODULES.items():
        layer = _layer(module)
        if layer is None:
            continue
        for name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            hit = any(
                name == f or name.startswith(f if f.endswith(".") else f + ".")
                for f in FORBIDDEN[layer]
            )
            if hit and (module, name) not in ALLOWED:
                wrong.append(f"{module} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_no_two_modules_import_each_other() -> None:
    graph = {
        module: _module_level_imports(ast.parse(path.read_text(encoding="utf-8"))) & set(MODULES)
        for module, path in MODULES.items()
    }
    cycles = []
    for start in graph:
        seen, stack = set(), [(start, (start,))]
        while stack:
            module, route = stack.pop()
            for nxt in graph[module]:
                if nxt == start:
                    cycles.append(" -> ".join((*route, start)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, (*route, nxt)))
    assert not cycles, "\n".join(sorted(set(cycles)))


@pytest.mark.parametrize(
    "module",
    [
        "tokenscope.probe.engine",
        "tokenscope.config",
        "tokenscope.probe.endpoints",
        # The app paints its first leaderboard from this cache before Polars loads.
        "tokenscope.data.board_cache",
    ],
)
def test_the_probe_engine_starts_without_polars(module: str) -> None:
    # A fresh interpreter: this test process has long imported Polars.
    code = f"import sys, {module}; assert 'polars' not in sys.modules, 'Polars was imported'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr

"""The import graph of ``bertology/`` has no cycles, counting function-local imports too.

The graph is read from the source with :mod:`ast` (every ``import`` statement anywhere in a
module, including inside functions and ``if TYPE_CHECKING`` blocks), so a circle closed by a
function-local import is still a circle here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "bertology"


def _modules(root: Path) -> dict[str, Path]:
    mods = {}
    for p in root.rglob("*.py"):
        parts = p.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = p
    return mods


def _resolve(name: str, mods: dict[str, Path]) -> str | None:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the ``bertology`` modules it imports (by name; ``from a import b`` names
    ``a.b`` when that is a module)."""
    mods = _modules(root)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        package = m if p.name == "__init__.py" else m.rpartition(".")[0]
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in node.names]
            for t in targets:
                r = _resolve(t, mods)
                if r is not None and r != m:
                    graph[m].add(r)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path ``[a, b, ..., a]``, or None (depth-first search, colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        stack.append(v)
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                return [*stack[stack.index(w) :], w]
            if w not in state and (c := visit(w)) is not None:
                return c
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state and (c := visit(v)) is not None:
            return c
    return None


def test_the_graph_reader_sees_function_local_and_relative_imports(tmp_path):
    pkg = tmp_path / "bertology"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("def f():\n    from bertology.sub import b\n")
    (pkg / "sub" / "b.py").write_text("from . import c\n")
    (pkg / "sub" / "c.py").write_text("from .a import f\n")
    g = import_graph(pkg)
    assert g["bertology.sub.a"] == {"bertology.sub.b"}
    assert g["bertology.sub.b"] == {"bertology.sub.c"}
    assert find_cycle(g) == [
        "bertology.sub.a",
        "bertology.sub.b",
        "bertology.sub.c",
        "bertology.sub.a",
    ]


def test_bertology_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    if cycle is not None:
        pytest.fail("import cycle: " + " -> ".join(cycle))


def test_every_function_local_import_says_why():
    """A function-local import is kept only for a reason (CLI start-up, a heavy optional
    dependency), which a comment on the statement gives."""
    bare = []
    for p in sorted(ROOT.rglob("*.py")):
        lines = p.read_text().splitlines()
        for fn in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    text = "\n".join(lines[node.lineno - 1 : node.end_lineno])
                    if "#" not in text:
                        bare.append(f"{p.relative_to(ROOT.parent)}:{node.lineno}")
    assert not bare, "function-local imports without a reason: " + ", ".join(bare)


def test_cli_start_up_does_not_import_torch():
    """``bertology --help`` must be instant: no command module may import torch at start-up."""
    import subprocess
    import sys

    code = "import sys, bertology.cli; print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout

"""The mutation operators: the obvious ways a formula goes wrong.

Each operator turns one AST node into a wrong variant. The set is chosen to match the bugs that
matter for a number-computing library (issue 11's "obvious mutants"), not to maximise count:

- ``cmp``: ``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``, ``is`` ↔ ``is not``, ``in`` ↔ ``not in``;
- ``arith``: ``+`` ↔ ``-``, ``*`` ↔ ``/``, ``//`` → ``*``, ``**`` → ``*``;
- ``sign``: unary ``-x`` → ``x``; ``not x`` → ``x``;
- ``bool``: ``and`` ↔ ``or``; ``True`` ↔ ``False``;
- ``int``: an integer constant ``n`` → ``n + 1`` and ``n − 1`` (off-by-one, index and axis);
- ``reduce``: ``.mean()`` ↔ ``.sum()``, ``max`` ↔ ``min`` (``amax``/``argmax`` too),
  ``any`` ↔ ``all`` (the builtin ``sum`` has no ``mean`` twin and is left alone);
- ``axis``: ``.T`` / ``.t()`` / ``.transpose(a, b)`` dropped;
- ``stmt``: a statement that is a bare call (``f.flush()``, ``os.replace(...)``) deleted.

Code that never computes a reported number is not mutated: docstrings, f-strings, messages of
``raise`` and ``warnings.warn``, logging and progress calls, annotations, decorators and the
default values of parameters (configuration, which tests set explicitly).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass

CMP_SWAP: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
ARITH_SWAP: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Pow: ast.Mult,
}
REDUCE_SWAP = {
    "mean": "sum",
    "sum": "mean",
    "max": "min",
    "min": "max",
    "amax": "amin",
    "amin": "amax",
    "argmax": "argmin",
    "argmin": "argmax",
    "any": "all",
    "all": "any",
}
# Progress bars: their calls only report.
PROGRESS_NAMES = {"bar", "pbar", "progress"}
# Calls whose arguments only describe or report; mutating them changes no number.
QUIET_CALLS = {
    "warn",
    "print",
    "debug",
    "info",
    "warning",
    "error",
    "exception",
    "log",
    "set_description",
    "set_postfix",
    "tqdm",
    "InputError",
    "ValueError",
    "TypeError",
    "RuntimeError",
    "KeyError",
    "FileExistsError",
}


@dataclass(frozen=True)
class Mutant:
    """One mutant: where it is, what it does, and the mutated module source."""

    module: str  # path relative to the project root
    line: int
    col: int
    op: str
    description: str
    source: str

    @property
    def key(self) -> str:
        """A stable name: ``module:line:col:op:description``."""
        return f"{self.module}:{self.line}:{self.col}:{self.op}:{self.description}"


def _is_quiet_call(node: ast.Call) -> bool:
    f = node.func
    if (
        isinstance(f, ast.Attribute)
        and isinstance(f.value, ast.Name)
        and f.value.id in PROGRESS_NAMES
    ):
        return True
    return _call_name(node) in QUIET_CALLS


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return None


def _quiet_ids(tree: ast.AST) -> set[int]:
    """ids of nodes that are never mutated (see the module docstring)."""
    quiet: set[int] = set()

    def mark(n: ast.AST | None) -> None:
        if n is None:
            return
        for sub in ast.walk(n):
            quiet.add(id(sub))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            mark(body[0])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                mark(d)
            mark(node.returns)
            for a in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                mark(a.annotation)
            for d in [*node.args.defaults, *node.args.kw_defaults]:
                mark(d)
        elif isinstance(node, ast.ClassDef):
            for d in node.decorator_list:
                mark(d)
        elif isinstance(node, ast.AnnAssign):
            mark(node.annotation)
            if isinstance(node.target, ast.Name) and node.value is not None:
                # dataclass field defaults: configuration, set explicitly by tests
                mark(node.value)
        elif isinstance(
            node, (ast.Raise, ast.Assert, ast.JoinedStr, ast.Import, ast.ImportFrom)
        ) or (isinstance(node, ast.Call) and _is_quiet_call(node)):
            mark(node)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            if _is_quiet_call(node.value):
                mark(node)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            mark(node)
    return quiet


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _variants(node: ast.AST) -> Iterator[tuple[str, str, ast.AST]]:
    """``(op, description, replacement)`` for every mutation of ``node`` itself."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in CMP_SWAP:
                new = copy.deepcopy(node)
                new.ops[i] = CMP_SWAP[type(op)]()
                yield "cmp", f"{_sym(op)} -> {_sym(new.ops[i])}", new
    elif isinstance(node, ast.BinOp) and type(node.op) in ARITH_SWAP:
        new = copy.deepcopy(node)
        new.op = ARITH_SWAP[type(node.op)]()
        yield "arith", f"{_sym(node.op)} -> {_sym(new.op)}", new
    elif isinstance(node, ast.AugAssign) and type(node.op) in ARITH_SWAP:
        new = copy.deepcopy(node)
        new.op = ARITH_SWAP[type(node.op)]()
        yield "arith", f"{_sym(node.op)}= -> {_sym(new.op)}=", new
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        yield "sign", f"drop {_sym(node.op)}", copy.deepcopy(node.operand)
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield "bool", f"{_sym(node.op)} -> {_sym(new.op)}", new
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield "bool", f"{node.value} -> {not node.value}", ast.Constant(not node.value)
    elif isinstance(node, ast.Constant) and isinstance(node.value, int):
        for d in (1, -1):
            yield "int", f"{node.value} -> {node.value + d}", ast.Constant(node.value + d)
    elif isinstance(node, ast.Call):
        name = _call_name(node)
        builtin = isinstance(node.func, ast.Name)
        if name in REDUCE_SWAP and (not builtin or name in ("max", "min", "any", "all")):
            new = copy.deepcopy(node)
            if isinstance(new.func, ast.Attribute):
                new.func.attr = REDUCE_SWAP[name]
            else:
                assert isinstance(new.func, ast.Name)
                new.func.id = REDUCE_SWAP[name]
            yield "reduce", f"{name}() -> {REDUCE_SWAP[name]}()", new
        if name in ("t", "transpose") and isinstance(node.func, ast.Attribute):
            yield "axis", f"drop .{name}()", copy.deepcopy(node.func.value)
    elif isinstance(node, ast.Attribute) and node.attr in ("T", "mT"):
        yield "axis", f"drop .{node.attr}", copy.deepcopy(node.value)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield "stmt", f"delete {_call_name(node.value)}(...)", ast.Pass()


_SYMBOLS = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Pow: "**",
    ast.USub: "-",
    ast.Not: "not",
    ast.And: "and",
    ast.Or: "or",
}


def _sym(op: ast.AST) -> str:
    return _SYMBOLS.get(type(op), type(op).__name__)


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, replacement: ast.AST):
        self.target, self.replacement = target, replacement

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if node is self.target:
            return ast.copy_location(self.replacement, node)
        return super().generic_visit(node)


def mutants(module: str, source: str) -> list[Mutant]:
    """Every mutant of one module's source, in source order."""
    tree = ast.parse(source)
    quiet = _quiet_ids(tree)
    out: list[Mutant] = []
    for node in ast.walk(tree):
        if id(node) in quiet or not hasattr(node, "lineno"):
            continue
        for op, desc, repl in _variants(node):
            out.append(_build(module, tree, node, op, desc, repl))
    out.sort(key=lambda m: (m.line, m.col, m.op, m.description))
    return out


def _build(
    module: str,
    tree: ast.Module,
    node: ast.AST,
    op: str,
    desc: str,
    repl: ast.AST,
) -> Mutant:
    """The mutant that puts ``repl`` in place of ``node`` (found in a copy by walking in step)."""
    twin = copy.deepcopy(tree)
    for a, b in zip(ast.walk(tree), ast.walk(twin), strict=True):
        if a is node:
            _Replace(b, repl).visit(twin)
            break
    ast.fix_missing_locations(twin)
    return Mutant(module, node.lineno, node.col_offset, op, desc, ast.unparse(twin))

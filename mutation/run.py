"""`make mutation`: mutation testing of the modules that compute bertology's numbers.

Why our own harness: mutmut 3 skips every decorated function (``@torch.no_grad()``,
``@lru_cache``, ``@contextmanager``…), which in these modules is where numbers are computed, and
it mutates every string and message (thousands of mutants, most of them noise); cosmic-ray
starts a fresh interpreter per mutant, several seconds of torch and transformers imports each.
This harness mutates with a small set of operators (``mutation/operators.py``), and runs each
mutant in a process forked from a parent that has already imported the heavy libraries.

How a mutant is judged:

1. A copy of the tree is made per worker under ``--out``; the working tree is never touched.
2. A coverage pass (pytest-cov, one context per test) finds which test files run each line.
   It also checks that the clean tree passes.
3. A mutant on a line that no test runs *survives untested*. Any other mutant is written into
   a worker's copy, and pytest runs the tests that cover its line, stopping at the first
   failure (``-x``). If none fails, stage 2 runs the whole files of those tests, for tests
   that read a result a shared fixture computed (``--thorough``: every test path of the
   module in ``targets.toml``; in a trial over 617 mutants that killed 1 of 171 survivors
   at about a minute each).
4. A failure, an error or a timeout kills the mutant. A mutant listed in ``equivalent/*.toml``
   (with the reason it cannot change any result) is left out of the score.

Output: ``report.md`` and ``report.json`` under ``--out``; the score per module is
``killed / (mutants − equivalent)``. Exit code 0 even when mutants survive: the report is the
result.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import tomllib

sys.dont_write_bytecode = (
    True  # a mutant written within the same second must never meet a stale .pyc
)
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mutation.operators import Mutant, mutants  # noqa: E402

HEAVY = [
    "numpy",
    "torch",
    "transformers",
    "tokenizers",
    "safetensors.torch",
    "yaml",
    "typer",
    "rich",
    "pytest",
    "matplotlib.pyplot",
    "sklearn.manifold",
    "conllu",
]
HF_CLASSES = [
    "AutoModelForMaskedLM",
    "AutoTokenizer",
    "PreTrainedTokenizerFast",
    "BertConfig",
    "BertForMaskedLM",
    "BertTokenizerFast",
    "RobertaForMaskedLM",
    "RobertaTokenizerFast",
    "AlbertForMaskedLM",
    "AlbertTokenizerFast",
    "DistilBertForMaskedLM",
    "DistilBertTokenizerFast",
    "pipeline",
]


@dataclass
class Outcome:
    """What happened to one mutant."""

    mutant: Mutant
    status: str  # killed | timeout | survived | untested | equivalent
    seconds: float = 0.0
    reason: str = ""
    context: str = ""


def _copy_tree(dst: Path, src: Path = ROOT) -> None:
    """Copy the package, tests and configs of ``src`` (the working tree, or the run's first
    copy, so that every worker tests the same snapshot whatever happens to the working tree)."""
    if dst.exists():
        shutil.rmtree(dst)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".coverage*")
    for name in ("bertology", "tests", "configs"):
        if (src / name).exists():
            shutil.copytree(src / name, dst / name, ignore=ignore, symlinks=True)
    shutil.copy2(src / "pyproject.toml", dst / "pyproject.toml")


def _pytest_args(tree: Path) -> list[str]:
    return [
        "-x",
        "-q",
        "--no-header",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "--import-mode=importlib",
        "-m",
        "not slow",
        "--rootdir",
        str(tree),
        "-c",
        str(tree / "pyproject.toml"),
    ]


def coverage_pass(
    tree: Path, paths: list[str], out: Path
) -> tuple[dict[str, dict[int, set[str]]], float]:
    """Run ``paths`` once with per-test contexts; return file → line → test ids, and seconds."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *_pytest_args(tree),
        "--cov=bertology",
        "--cov-context=test",
        "--cov-report=",
        *paths,
    ]
    cmd.remove("-x")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    (out / "coverage-pass.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        sys.exit(f"mutation: the clean tree fails its tests; see {out / 'coverage-pass.log'}")
    from coverage import CoverageData

    data = CoverageData(basename=str(tree / ".coverage"))
    data.read()
    by_file: dict[str, dict[int, set[str]]] = {}
    for abs_file in data.measured_files():
        rel = os.path.relpath(abs_file, tree)
        lines: dict[int, set[str]] = defaultdict(set)
        for line, contexts in data.contexts_by_lineno(abs_file).items():
            for c in contexts:
                # "tests/x/test_y.py::test_z|run"; "" is import time (collection)
                lines[line].add(c.rsplit("|", 1)[0] if c else "")
        by_file[rel] = dict(lines)
    return by_file, seconds


def _function_of(source: str) -> dict[int, str]:
    """line → qualified name of the innermost function or class around it."""
    where: dict[int, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                for ln in range(child.lineno, (child.end_lineno or child.lineno) + 1):
                    where[ln] = name
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return where


def equivalence_key(m: Mutant, source_lines: list[str], where: dict[int, str]) -> str:
    """A key that survives edits elsewhere: module, function, the line's text, the mutation."""
    text = source_lines[m.line - 1].strip()
    return f"{m.module}::{where.get(m.line, '<module>')}::{text}::{m.op}: {m.description}"


def equivalence_keys(ms: list[Mutant], source_lines: list[str], where: dict[int, str]) -> list[str]:
    """:func:`equivalence_key` of each mutant, in order; a key seen before on the same line (the
    same change at two places of one line) gets ``#2``, ``#3``… in column order."""
    seen: dict[str, int] = {}
    out = []
    for m in ms:
        key = equivalence_key(m, source_lines, where)
        seen[key] = seen.get(key, 0) + 1
        out.append(key if seen[key] == 1 else f"{key} #{seen[key]}")
    return out


def _preimport() -> None:
    import importlib

    for name in HEAVY:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    import transformers

    for cls in HF_CLASSES:
        getattr(transformers, cls, None)


def _child(tree: Path, m: Mutant, tests: list[str], log: Path) -> None:
    """In the forked child: write the mutant, run pytest, exit with its code."""
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.chdir(tree)
        sys.path.insert(0, str(tree))
        (tree / m.module).write_text(m.source)
        import pytest
        import torch

        torch.set_num_threads(1)
        rc = pytest.main([*_pytest_args(tree), *tests])
        os._exit(int(rc))
    except BaseException:  # noqa: BLE001 - any failure of the child is reported as an error
        import traceback

        traceback.print_exc()
        os._exit(3)


def run_mutants(
    todo: list[tuple[Mutant, list[str], list[str]]],
    trees: list[Path],
    out: Path,
    timeout: float,
) -> list[Outcome]:
    """Run every mutant, one child per worker tree at a time (stage 2 only for survivors)."""
    _preimport()
    originals = {m.module: (trees[0] / m.module).read_text() for m, _, _ in todo}
    free = list(trees)
    running: dict[int, tuple[int, Mutant, Path, float, list[str], float]] = {}
    results: list[Outcome] = []
    queue: list[tuple[int, Mutant, list[str], list[str], float]] = [
        (i, m, first, second, 0.0) for i, (m, first, second) in enumerate(todo)
    ]
    logs = out / "logs"
    logs.mkdir(exist_ok=True)
    total = len(todo)
    while queue or running:
        while queue and free:
            i, m, tests, second, spent = queue.pop(0)
            tree = free.pop()
            log = logs / f"{i:04d}{'b' if spent else ''}.log"
            pid = os.fork()
            if pid == 0:
                _child(tree, m, tests, log)
            running[pid] = (i, m, tree, time.perf_counter(), second, spent)
        time.sleep(0.02)
        for pid, (i, m, tree, t0, second, spent) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            elapsed = time.perf_counter() - t0
            if done == 0 and elapsed < timeout:
                continue
            if done == 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                outcome = Outcome(m, "timeout", elapsed)
            else:
                rc = os.waitstatus_to_exitcode(status)
                killed = rc != 0
                outcome = Outcome(m, "killed" if killed else "survived", elapsed)
                if rc == 5:  # pytest: no tests collected; should not happen, flag it
                    outcome.status, outcome.reason = "survived", "no test collected"
            (tree / m.module).write_text(originals[m.module])
            del running[pid]
            free.append(tree)
            if outcome.status == "survived" and second:
                queue.insert(0, (i, m, second, [], elapsed))
                continue
            outcome.seconds += spent
            results.append(outcome)
            print(
                f"[{len(results)}/{total}] {outcome.status:8s} {elapsed:5.1f}s {m.key}",
                flush=True,
            )
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modules", nargs="*", help="only these modules (paths as in targets.toml)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "mutation")
    ap.add_argument("--timeout", type=float, default=0.0, help="seconds per mutant (0: auto)")
    ap.add_argument("--limit", type=int, default=0, help="at most N mutants per module (smoke)")
    ap.add_argument(
        "--list", action="store_true", help="print each mutant's key and line; run none"
    )
    ap.add_argument(
        "--thorough",
        action="store_true",
        help="stage 2 runs every test path of the module, not only the covering files",
    )
    args = ap.parse_args()

    targets: dict[str, list[str]] = tomllib.loads((ROOT / "mutation/targets.toml").read_text())[
        "modules"
    ]
    equivalents = _read_equivalents(ROOT / "mutation/equivalent")
    modules = args.modules or list(targets)
    unknown = [m for m in modules if m not in targets]
    if unknown:
        sys.exit(f"mutation: not in mutation/targets.toml: {', '.join(unknown)}")
    if args.list:
        for module in modules:
            source = (ROOT / module).read_text()
            lines, where = source.splitlines(), _function_of(source)
            ms = mutants(module, source)
            for m, key in zip(ms, equivalence_keys(ms, lines, where), strict=True):
                mark = " [equivalent]" if key in equivalents else ""
                print(f"{m.module}:{m.line}\t{key}{mark}")
        return
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    base = out / "tree-0"
    _copy_tree(base)
    wanted = {p for m in modules for p in targets[m]}
    paths = sorted(p for p in wanted if not any(p != q and p.startswith(q + "/") for q in wanted))
    print(f"coverage pass over {' '.join(paths)} …", flush=True)
    covered, clean_s = coverage_pass(base, paths, out)
    timeout = args.timeout or max(60.0, 3 * clean_s)
    trees = [base] + [out / f"tree-{w}" for w in range(1, args.workers)]
    for t in trees[1:]:
        _copy_tree(t, base)

    outcomes: list[Outcome] = []
    todo: list[tuple[Mutant, list[str], list[str]]] = []
    keys: dict[str, str] = {}
    for module in modules:
        # the copy's source, not the working tree's: it is what the coverage pass measured and
        # what the workers mutate, even if the working tree changes during the run
        source = (base / module).read_text()
        lines = source.splitlines()
        where = _function_of(source)
        ms = mutants(module, source)
        if args.limit:
            ms = ms[: args.limit]
        cover = covered.get(module, {})
        for m, key in zip(ms, equivalence_keys(ms, lines, where), strict=True):
            keys[m.key] = key
            if key in equivalents:
                outcomes.append(Outcome(m, "equivalent", reason=equivalents[key], context=key))
                continue
            tests = cover.get(m.line, set())
            if not tests:
                outcomes.append(
                    Outcome(m, "untested", reason="no test runs this line", context=key)
                )
                continue
            # stage 1: the tests that run this line. Stage 2 (only if it survives): the whole
            # files of those tests (tests that use a result a module fixture computed), or with
            # --thorough every test path of the module.
            first = sorted(t for t in tests if t) or targets[module]
            files = sorted({t.split("::", 1)[0] for t in first})
            todo.append((m, first, targets[module] if args.thorough else files))
    ran = run_mutants(todo, trees, out, timeout)
    for o in ran:
        o.context = keys[o.mutant.key]
    outcomes += ran
    wall = time.perf_counter() - t_start
    write_report(outcomes, modules, out, wall, args.workers, timeout)


def _read_equivalents(folder: Path) -> dict[str, str]:
    """Judged-equivalent mutants: ``[[equivalent]] key = ..., reason = ...`` in ``*.toml``."""
    out: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        for e in tomllib.loads(path.read_text()).get("equivalent", []):
            if not e.get("reason", "").strip():
                sys.exit(f"mutation: {path}: equivalent mutant {e.get('key')!r} has no reason")
            out[e["key"]] = e["reason"]
    return out


def write_report(
    outcomes: list[Outcome],
    modules: list[str],
    out: Path,
    wall: float,
    workers: int,
    timeout: float,
) -> None:
    """``report.json`` and ``report.md``: the score per module and every survivor."""
    rows = []
    for module in modules:
        os_ = [o for o in outcomes if o.mutant.module == module]
        count = {
            s: sum(o.status == s for o in os_)
            for s in ("killed", "timeout", "survived", "untested", "equivalent")
        }
        judged = len(os_) - count["equivalent"]
        score = (count["killed"] + count["timeout"]) / judged if judged else float("nan")
        rows.append({"module": module, "mutants": len(os_), **count, "score": score})
    tot = {
        k: sum(r[k] for r in rows)
        for k in ("mutants", "killed", "timeout", "survived", "untested", "equivalent")
    }
    judged = tot["mutants"] - tot["equivalent"]
    tot["score"] = (tot["killed"] + tot["timeout"]) / judged if judged else float("nan")
    survivors = [o for o in outcomes if o.status in ("survived", "untested")]
    report = {
        "schema": 1,
        "wall_seconds": wall,
        "workers": workers,
        "timeout_seconds": timeout,
        "modules": rows,
        "total": tot,
        "survivors": [
            {
                "key": o.context,
                "where": f"{o.mutant.module}:{o.mutant.line}",
                "status": o.status,
                "reason": o.reason,
            }
            for o in survivors
        ],
        "equivalent": [
            {"key": o.context, "reason": o.reason} for o in outcomes if o.status == "equivalent"
        ],
    }
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    md = [
        "# Mutation report",
        "",
        f"Wall time {wall / 60:.1f} min with {workers} workers (timeout {timeout:.0f} s per mutant).",
        "Score = (killed + timeout) / (mutants − equivalent).",
        "",
        "| module | mutants | killed | timeout | survived | untested | equivalent | score |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in [*rows, {"module": "**all**", **tot}]:
        md.append(
            f"| {r['module']} | {r['mutants']} | {r['killed']} | {r['timeout']} | "
            f"{r['survived']} | {r['untested']} | {r['equivalent']} | {r['score']:.1%} |"
        )
    md += ["", "## Survivors", ""]
    md += [f"- `{o.mutant.module}:{o.mutant.line}` ({o.status}) `{o.context}`" for o in survivors]
    (out / "report.md").write_text("\n".join(md) + "\n")
    print("\n".join(md[: 8 + len(rows) + 1]))
    print(f"\nsurvivors: {len(survivors)}; full report: {out / 'report.md'}")


if __name__ == "__main__":
    main()

"""Fault injection (issue 13): the helpers of tests/reliability/test_faults_*.py.

``run_case`` runs one bad input or fault through the CLI's error boundary in-process and
checks what every case must hold: the exit code, no traceback, a message that names the file
(and line), nothing written at the case's ``--out``, and every existing run and input in the
workspace byte-for-byte unchanged.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PRETRAIN_YAML = """\
model: {{arch: bert, layers: 2, hidden: 32, heads: 2, intermediate: 64, max_position: 64}}
tokenizer: {{vocab_size: 1200, min_frequency: 1}}  # every world word is one token
data:
  train: [{w}/corpus/train.txt]
  trees: [{w}/corpus/train.conllu]
  valid: [{w}/corpus/valid.txt]
train: {{max_steps: 4, batch_size: 8, seq_len: 32, warmup_steps: 1}}
checkpoint: {{every: 2, dense_until: 0, then_every: 2}}
eval: {{evaluators: [val_loss, uas], uas_conllu: {w}/trees.conllu, uas_max_sentences: 20,
       val_max_sequences: 8}}
impl: {{device: cpu, threads: 1, cache_dir: {cache}, print_every: 0, eval_batch_size: 8}}
"""


def snapshot(d: Path) -> dict[str, str]:
    """Every file under ``d`` (hidden ones too) with the hash of its bytes."""
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }


def cli(*args: str) -> tuple[int, str, str]:
    """``bertology ARGS`` in-process through the console entry point: (exit code, stdout,
    stderr). An exception that escapes the boundary comes back as exit code -1 with its
    traceback in stderr, so a case reports it instead of erroring."""
    import contextlib
    import io

    from bertology.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:  # noqa: BLE001 - a case must see the escape, not crash the run
            code = -1
            err.write(traceback.format_exc())
    return code, out.getvalue(), err.getvalue()


@dataclass
class Workspace:
    root: Path
    paths: dict[str, str]


@dataclass
class Case:
    """One bad input or fault. ``argv`` and ``says`` are formatted with the workspace's paths
    and ``t`` (this case's own directory); ``files`` are written into ``t`` first, as given; ``prep(ws_paths, t)`` may copy or corrupt things inside ``t``."""

    id: str
    argv: list[str]
    says: list[str] = field(default_factory=list)
    code: int = 2
    files: dict[str, str | bytes] = field(default_factory=dict)
    prep: Callable[[dict[str, str], Path], None] | None = None
    check: Callable[[Path], object] | None = None  # exit-0 cases: asserts, or returns a bool


def copy_of(key: str, name: str) -> Callable[[dict[str, str], Path], None]:
    """A ``prep`` that copies the workspace's ``key`` (file or run) to ``t/name``."""

    def prep(p: dict[str, str], t: Path) -> None:
        src = Path(p[key])
        (shutil.copytree if src.is_dir() else shutil.copy)(src, t / name)

    return prep


def run_case(ws: Workspace, case: Case, t: Path) -> None:
    """Run ``case`` and check the rules every case holds (see the module docstring)."""
    for name, body in case.files.items():
        dest = t / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(body if isinstance(body, bytes) else body.encode())
    if case.prep is not None:
        case.prep(ws.paths, t)
    before = snapshot(ws.root)
    mine = snapshot(t)
    code, out, err = cli(*(a.format(**ws.paths, t=t) for a in case.argv))
    assert "Traceback" not in err, err
    assert code == case.code, f"exit {code}, expected {case.code}\n{out}\n{err}"
    assert snapshot(ws.root) == before, "the workspace's runs or inputs changed"
    if case.code != 0:
        usage = err.lstrip().startswith("Usage")
        if not usage:  # progress lines may come first; the error is one line, the last
            errors = [x for x in err.splitlines() if x.startswith("bertology: error: ")]
            assert len(errors) == 1 and err.strip().splitlines()[-1] == errors[0], err
            err = errors[0]
        for text in case.says:
            assert text.format(**ws.paths, t=t) in err, err
        assert not (t / "out").exists(), "a failing command wrote its --out"
        assert snapshot(t) == mine, "a failing command changed a file in the case's directory"
    elif case.check is not None:
        assert case.check(t) is not False, f"{case.id}: the check of the result failed"


def ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]


def jsonl(*rows: object) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)

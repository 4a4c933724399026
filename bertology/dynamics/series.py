"""Checkpoint series: which models to evaluate, at which training steps.

A series comes from one of:

- a bertology pre-training run (``RUN/checkpoints/step-N``; its ``config.yaml`` gives the
  evaluators' data: the world's pairs, trees and validation text);
- a directory of Hugging Face ``Trainer`` checkpoints (``checkpoint-N``, the step read from
  each ``trainer_state.json``'s ``global_step`` when there is one);
- a text file listing ``STEP NAME_OR_PATH`` per line (``#`` comments; relative paths are
  relative to the file), as users have for MultiBERTs-style intermediate checkpoints.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bertology.errors import InputError
from bertology.io import iter_text_lines

_HF_DIR = re.compile(r"^checkpoint-(\d+)$")


@dataclass(frozen=True)
class Checkpoint:
    step: int
    model: str  # a model directory or a hub name


@dataclass
class Series:
    """A named series of checkpoints; ``run`` is the bertology run it belongs to, if any."""

    name: str
    source: str
    checkpoints: list[Checkpoint]
    run: Path | None = None

    @property
    def steps(self) -> list[int]:
        return [c.step for c in self.checkpoints]


def _from_run(d: Path) -> list[Checkpoint]:
    from bertology.train.checkpoint import list_checkpoints  # torch: only for a run

    return [Checkpoint(step, str(p)) for step, p in list_checkpoints(d / "checkpoints")]


def _from_trainer_dir(d: Path) -> list[Checkpoint]:
    out = []
    for p in sorted(d.iterdir()):
        m = _HF_DIR.match(p.name)
        if not (m and p.is_dir()):
            continue
        step = int(m.group(1))
        state = p / "trainer_state.json"
        if state.exists():
            try:
                step = int(json.loads(state.read_text(encoding="utf-8")).get("global_step", step))
            except (json.JSONDecodeError, UnicodeDecodeError, ValueError, TypeError) as e:
                raise InputError(f"broken trainer_state.json ({e})", state) from None
        out.append(Checkpoint(step, str(p)))
    return sorted(out, key=lambda c: c.step)


def _from_list(f: Path) -> list[Checkpoint]:
    out = []
    for line, text in iter_text_lines(f):
        text = text.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise InputError(f"expected 'STEP NAME_OR_PATH', got {text[:100]!r}", f, line)
        model = parts[1]
        local = (f.parent / model) if not Path(model).is_absolute() else Path(model)
        out.append(Checkpoint(int(parts[0]), str(local) if local.exists() else model))
    steps = [c.step for c in out]
    if len(set(steps)) != len(steps):
        raise InputError("a step is listed twice", f)
    return sorted(out, key=lambda c: c.step)


def find_series(source: str, name: str | None = None) -> Series:
    """The checkpoint series at ``source`` (see the module docstring); an error names a
    source with no checkpoints."""
    p = Path(source)
    if not p.exists():
        raise InputError("no such run directory, checkpoint directory or list file", source)
    if p.is_file():
        series = Series(name or p.stem, source, _from_list(p))
    elif (p / "checkpoints").is_dir() or (p / "config.yaml").exists():
        series = Series(name or p.name, source, _from_run(p), run=p)
    else:
        series = Series(name or p.name, source, _from_trainer_dir(p))
    if not series.checkpoints:
        raise InputError(
            "no checkpoints here (expected checkpoints/step-N, checkpoint-N directories, or "
            "'STEP PATH' lines)",
            source,
        )
    return series


def unique_names(series: list[Series]) -> list[Series]:
    """Give runs with the same name distinct ones (``run``, ``run-2``, ...)."""
    seen: dict[str, int] = {}
    for s in series:
        n = seen.get(s.name, 0) + 1
        seen[s.name] = n
        if n > 1:
            s.name = f"{s.name}-{n}"
    return series

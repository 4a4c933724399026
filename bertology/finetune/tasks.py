"""``--task``: a local file or directory, ``world-verify:WORLD``, or a GLUE task by name.

- a path: JSONL or CSV examples (:mod:`bertology.finetune.files` gives the fields and the two
  ways to give splits);
- ``world-verify:WORLD``: fact verification on an embedded world
  (:mod:`bertology.finetune.world`), offline;
- ``sst2``, ``mrpc``, ``rte``, ``cola``, ``qnli``, ``qqp``, ``mnli``, ``mnli-mm``, ``wnli``:
  GLUE through ``datasets`` when online (:mod:`bertology.finetune.glue`: its validation
  split is our test, dev is held out of train).

A path wins over a name, so a local directory called ``rte`` is read as files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bertology.finetune.data import Task, build_task
from bertology.finetune.files import read_local
from bertology.finetune.glue import glue_name, read_glue, unknown_task
from bertology.finetune.world import LABELS as WORLD_LABELS
from bertology.finetune.world import PREFIX as WORLD_PREFIX
from bertology.finetune.world import read_world_verify


def load_task(
    spec: str,
    labels: Sequence[str] | None = None,
    dev_fraction: float = 0.1,
    split_seed: int = 0,
) -> Task:
    """The task ``spec`` names, its labels mapped to ids and a dev split held out of train
    (seeded by ``split_seed``) where it has none. ``labels`` fixes the label set of a local
    task (default: its training labels)."""
    if spec.startswith(WORLD_PREFIX):
        world = spec[len(WORLD_PREFIX) :]
        rows, info = read_world_verify(world, split_seed)
        return build_task(spec, "single", rows, WORLD_LABELS, dev_fraction, split_seed, info)
    path = Path(spec)
    if path.exists():
        kind, rows, sources = read_local(path)
        info = {"source": str(path), "splits_from": sources}
        return build_task(path.name, kind, rows, labels, dev_fraction, split_seed, info)
    name = glue_name(spec)
    if name is None:
        raise unknown_task(spec)
    kind, names, rows, sources = read_glue(name)
    info = {"source": f"GLUE {name}", "splits_from": sources}
    return build_task(name, kind, rows, names, dev_fraction, split_seed, info)

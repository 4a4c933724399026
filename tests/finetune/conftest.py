"""Fixtures for the fine-tuning tests: a learnable keyword task, a mask file for the tiny BERT,
and a small hand-written world (facts and templates).

The keyword task: six random words of the test tokenizer's vocabulary; label 1 iff ``cat``
is among them. A 2-layer, 32-wide BERT learns it in a few epochs (about a second).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

# the words of the test tokenizer's corpus (tests/conftest.py), "cat" left out
WORDS = ["the", "dog", "sat", "on", "mat", "near", "window", "bird", "can", "fly", "over",
         "river", "fish", "live", "in", "water", "lake", "table", "is", "made", "of", "wood",
         "glass"]  # fmt: skip


def keyword_rows(n: int, seed: int, invert: bool = False) -> list[dict]:
    """``{"text", "label"}`` rows, half with ``cat`` inserted (label 1; 0 with ``invert``)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(6)]
        has = i % 2 == 1
        if has:
            words.insert(rng.randrange(7), "cat")
        rows.append({"text": " ".join(words), "label": int(has != invert)})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture()
def keyword_dir(tmp_path) -> Path:
    """train/dev/test JSONL files of the keyword task (200/100/100 examples)."""
    d = tmp_path / "keyword"
    d.mkdir()
    write_jsonl(d / "train.jsonl", keyword_rows(200, 1))
    write_jsonl(d / "dev.jsonl", keyword_rows(100, 2))
    write_jsonl(d / "test.jsonl", keyword_rows(100, 3))
    return d


def random_mask(model, p: float = 0.5, seed: int = 0, layers: str = "all"):
    """A hard mask pruning about ``p`` of every target matrix of ``model`` (seeded)."""
    from bertology.prune.masks import SubnetworkMask
    from bertology.prune.targets import find_targets, shape_hash, weight_fingerprint

    targets = find_targets(model, layers)
    g = torch.Generator().manual_seed(seed)
    keep = {t.name: torch.rand(t.shape, generator=g) > p for t in targets}
    return SubnetworkMask(
        relation="capital",
        targets=targets,
        keep=keep,
        layers=(min(t.layer for t in targets), max(t.layer for t in targets)),
        model_name="tiny",
        model_shape_hash=shape_hash(model),
        model_fingerprint=weight_fingerprint(model, targets),
    )


@pytest.fixture()
def mask_file(tmp_path, tiny_bert) -> Path:
    """A prune run's mask file for the tiny BERT (``RUN/masks/capital.safetensors``)."""
    from bertology.prune.storage import save_mask

    return save_mask(random_mask(tiny_bert), tmp_path / "masks" / "capital.safetensors")


@pytest.fixture()
def world_dir(tmp_path) -> Path:
    """A hand-written world: 12 subjects, 3 relations, 4-6 objects per relation."""
    d = tmp_path / "world"
    d.mkdir()
    relations = {
        "IsA": ("the [X] is in the [Y] class .", ["animal", "bird", "fish", "tool", "plant"]),
        "MadeOf": ("the material of the [X] is [Y] .", ["wood", "glass", "metal", "stone"]),
        "AtLocation": ("you will see the [X] in the [Y] .", ["lake", "river", "farm", "city"]),
    }
    write_jsonl(
        d / "relations.jsonl",
        [{"relation": r, "template": t, "objects": objs} for r, (t, objs) in relations.items()],
    )
    rng = random.Random(0)
    rows = []
    for i in range(12):
        subject = f"thing{i}"
        for r, (_, objs) in relations.items():
            for o in rng.sample(objs, rng.choice([1, 1, 2])):
                rows.append({"subject": subject, "relation": r, "object": o})
    write_jsonl(d / "facts.jsonl", rows)
    (d / "world.json").write_text("{}\n")
    return d


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and the test machine's cores are shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def helpers():
    """The module's helpers for tests (test modules cannot import this file)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        keyword_rows=keyword_rows, write_jsonl=write_jsonl, random_mask=random_mask
    )

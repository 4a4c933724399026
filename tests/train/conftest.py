"""Fixtures for the pre-training tests: a small world-like corpus with gold trees, tiny configs."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

DETS = ["the", "a", "every", "some"]
ADJS = ["big", "small", "red", "old", "happy", "quiet"]
NOUNS = ["dog", "cat", "bird", "farmer", "child", "teacher", "horse", "baker", "river", "garden"]
VERBS = ["sees", "likes", "chases", "finds", "helps", "watches"]
PREPS = ["near", "with", "behind"]


def _np(rng: random.Random, words: list[str], heads: list[int], rels: list[str], pp: bool) -> int:
    """Append a noun phrase; return the 1-based index of its head noun (heads filled later)."""
    det = len(words) + 1
    words.append(rng.choice(DETS))
    heads.append(-1)
    rels.append("det")
    adj = None
    if rng.random() < 0.5:
        adj = len(words) + 1
        words.append(rng.choice(ADJS))
        heads.append(-1)
        rels.append("amod")
    noun = len(words) + 1
    words.append(rng.choice(NOUNS))
    heads.append(-1)
    rels.append("_")
    heads[det - 1] = noun
    if adj:
        heads[adj - 1] = noun
    if pp and rng.random() < 0.4:
        prep = len(words) + 1
        words.append(rng.choice(PREPS))
        heads.append(-1)
        rels.append("case")
        inner = _np(rng, words, heads, rels, pp=False)
        heads[prep - 1] = inner
        heads[inner - 1] = noun
        rels[inner - 1] = "nmod"
    return noun


def make_sentence(rng: random.Random) -> tuple[list[str], list[int], list[str]]:
    words: list[str] = []
    heads: list[int] = []
    rels: list[str] = []
    subj = _np(rng, words, heads, rels, pp=True)
    verb = len(words) + 1
    words.append(rng.choice(VERBS))
    heads.append(0)
    rels.append("root")
    heads[subj - 1] = verb
    rels[subj - 1] = "nsubj"
    obj = _np(rng, words, heads, rels, pp=True)
    heads[obj - 1] = verb
    rels[obj - 1] = "obj"
    words.append(".")
    heads.append(verb)
    rels.append("punct")
    return words, heads, rels


def conllu(sents: list[tuple[list[str], list[int], list[str]]]) -> str:
    out = []
    for k, (w, h, r) in enumerate(sents, 1):
        out.append(f"# sent_id = {k}")
        out.append(f"# text = {' '.join(w)}")
        for i, (form, head, rel) in enumerate(zip(w, h, r, strict=True), 1):
            out.append("\t".join([str(i), form, "_", "_", "_", "_", str(head), rel, "_", "_"]))
        out.append("")
    return "\n".join(out) + "\n"


def write_world(
    d: Path, n_train: int = 600, n_valid: int = 80, n_trees: int = 60, seed: int = 0
) -> Path:
    """A toy world in the layout of ``bertology world``: corpus/{train,valid}.txt,
    corpus/train.conllu (aligned with train.txt), trees.conllu (held out)."""
    rng = random.Random(seed)
    train = [make_sentence(rng) for _ in range(n_train)]
    valid = [make_sentence(rng) for _ in range(n_valid)]
    trees = [make_sentence(rng) for _ in range(n_trees)]
    (d / "corpus").mkdir(parents=True, exist_ok=True)
    (d / "corpus" / "train.txt").write_text("".join(" ".join(s[0]) + "\n" for s in train))
    (d / "corpus" / "valid.txt").write_text("".join(" ".join(s[0]) + "\n" for s in valid))
    (d / "corpus" / "train.conllu").write_text(conllu(train))
    (d / "trees.conllu").write_text(conllu(trees))
    return d


@pytest.fixture(scope="session")
def toy_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_world(tmp_path_factory.mktemp("world"))


def tiny_raw(world: Path, cache: Path, **sections: dict[str, Any]) -> dict[str, Any]:
    """A tiny, fast config as a nested dict; ``sections`` override keys section by section."""
    raw: dict[str, Any] = {
        "model": {"layers": 2, "hidden": 32, "heads": 2, "max_position": 64, "dropout": 0.1},
        "tokenizer": {"vocab_size": 200, "min_frequency": 1},
        "data": {
            "train": [str(world / "corpus" / "train.txt")],
            "trees": [str(world / "corpus" / "train.conllu")],
            "valid": [str(world / "corpus" / "valid.txt")],
        },
        "train": {
            "max_steps": 10,
            "batch_size": 8,
            "seq_len": 32,
            "lr": 2e-3,
            "warmup_steps": 2,
        },
        "checkpoint": {"every": 5},
        "eval": {
            "evaluators": ["val_loss", "uas"],
            "uas_conllu": str(world / "trees.conllu"),
            "val_max_sequences": 16,
            "uas_max_sentences": 30,
        },
        "impl": {  # tiny models: threads only contend
            "device": "cpu",
            "threads": 1,
            "cache_dir": str(cache),
            "print_every": 0,
            "eval_batch_size": 16,
        },
    }
    for sec, body in sections.items():
        raw.setdefault(sec, {}).update(body)
    return raw


@pytest.fixture
def tiny_config(toy_world: Path, tmp_path_factory: pytest.TempPathFactory):
    """``tiny_config(**sections)`` -> a validated PretrainConfig on the toy world."""
    from bertology.train.config import config_from_dict

    cache = tmp_path_factory.getbasetemp() / "train-cache"

    def make(**sections: dict[str, Any]):
        return config_from_dict(tiny_raw(toy_world, cache, **sections))

    return make

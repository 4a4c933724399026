"""KB-completion fixtures: a tiny BERT whose layers matter, facts with several true objects per
(subject, relation), a prune run directory written by hand, and ``brute_force_ranks``, the
ranking written apart from ``bertology`` that the command's numbers are checked against.

``scaled_bert`` is the prune tests' model (copied here: test directories are not packages):
HF's std-0.02 init makes every layer nearly the identity, so masks would change nothing.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

CAPITAL = "[X] is the capital of [Y] ."
MATERIAL = "the [X] is made of [Y] ."
# (subject, object): several true objects per subject, so the filtered ranks differ
CAPITALS = [
    ("paris", "france"), ("paris", "italy"), ("berlin", "germany"), ("berlin", "spain"),
    ("rome", "italy"), ("madrid", "spain"), ("madrid", "france"), ("dog", "italy"),
    ("cat", "france"), ("bird", "germany"), ("fish", "spain"), ("lake", "italy"),
]  # fmt: skip
MATERIALS = [
    ("table", "wood"), ("table", "glass"), ("window", "glass"), ("hammer", "wood"),
    ("knife", "glass"), ("knife", "wood"), ("car", "glass"), ("wheel", "wood"),
    ("mat", "wood"), ("river", "water"), ("bread", "water"), ("lake", "water"),
]  # fmt: skip


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def scaled(model: Any) -> Any:
    """Re-draw the encoder's weight matrices with std 1/sqrt(fan_in) (seeded)."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".layer." in name and p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
    return model


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and the test machine's cores are shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def scaled_bert(wordpiece_tokenizer):
    from bertology.models import SmallMLMConfig, build_mlm

    cfg = SmallMLMConfig(arch="bert", layers=2, hidden=32, heads=4, seed=0)
    return scaled(build_mlm(cfg, wordpiece_tokenizer)).eval()


@pytest.fixture(scope="module")
def scaled_bert_dir(tmp_path_factory, scaled_bert, wordpiece_tokenizer):
    d = tmp_path_factory.mktemp("kbc-bert")
    scaled_bert.save_pretrained(d)
    wordpiece_tokenizer.save_pretrained(d)
    return d


@pytest.fixture()
def kb_files(tmp_path):
    """facts.jsonl + relations.jsonl: 2 relations of 12 facts, and one multi-token object."""
    rel = write_jsonl(
        tmp_path / "relations.jsonl",
        [
            {"relation": "capital", "template": CAPITAL},
            {"relation": "material", "template": MATERIAL},
        ],
    )
    rows = [{"subject": s, "relation": "capital", "object": o} for s, o in CAPITALS]
    rows += [{"subject": s, "relation": "material", "object": o} for s, o in MATERIALS]
    rows.append({"subject": "wheel", "relation": "material", "object": "extraordinarily"})
    return write_jsonl(tmp_path / "facts.jsonl", rows), rel


def _single(tok: Any, word: str) -> bool:
    return tok.tokenize(word) == [word]


def _brute_force_ranks(
    model: Any,
    tok: Any,
    triples: Sequence[tuple[str, str, str]],
    templates: dict[str, str],
    candidates: dict[str, set[str]],
    truth: dict[tuple[str, str], set[str]] | None = None,
    keep: dict[str, torch.Tensor] | None = None,
) -> list[tuple[int, int, float]]:
    """``(raw rank, filtered rank, log P(object))`` of each ``(subject, relation, object)``,
    computed apart from bertology: a copy of the HF model with its matrices multiplied by
    ``keep`` by hand, one prompt at a time, log-softmax at the [MASK], and 1 + the number of
    one-token candidates (of ``candidates[relation]``) scored strictly higher than the object;
    filtered: without the other objects of ``truth[(subject, relation)]``."""
    net = copy.deepcopy(model).eval()
    out = []
    with torch.no_grad():
        for n, p in net.named_parameters():
            if keep is not None and n in keep:
                p.mul_(keep[n].to(p.dtype))
        for s, r, o in triples:
            prompt = templates[r].replace("[X]", s).replace("[Y]", tok.mask_token)
            enc = tok(prompt, return_tensors="pt")
            pos = int((enc["input_ids"][0] == tok.mask_token_id).nonzero())
            logp = net(**enc).logits[0, pos].log_softmax(-1)  # (V,)
            words = {w for w in candidates[r] if _single(tok, w)}
            gold = tok.convert_tokens_to_ids(o)
            others = (truth or {}).get((s, r), set()) - {o}
            raw = 1 + sum(int(logp[tok.convert_tokens_to_ids(w)] > logp[gold]) for w in words)
            filt = 1 + sum(
                int(logp[tok.convert_tokens_to_ids(w)] > logp[gold]) for w in words - others
            )
            out.append((raw, filt, float(logp[gold])))
    return out


@pytest.fixture()
def brute_force_ranks() -> Callable[..., list[tuple[int, int, float]]]:
    return _brute_force_ranks


def random_mask(model: Any, relation: str, seed: int, p: float = 0.5) -> Any:
    """A hard mask over every layer's matrices, with the model's identity."""
    from bertology.prune.masks import SubnetworkMask
    from bertology.prune.targets import find_targets, shape_hash, weight_fingerprint

    targets = find_targets(model, "all")
    g = torch.Generator().manual_seed(seed)
    keep = {t.name: torch.rand(t.shape, generator=g) > p for t in targets}
    return SubnetworkMask(
        relation=relation,
        targets=targets,
        keep=keep,
        layers=(min(t.layer for t in targets), max(t.layer for t in targets)),
        model_name="scaled-bert",
        model_shape_hash=shape_hash(model),
        model_fingerprint=weight_fingerprint(model, targets),
    )


def write_prune_run(
    run: Path, model: Any, model_dir: Path, facts: Path, rel: Path, seeds: dict[str, int]
) -> dict[str, Any]:
    """A finished ``bertology prune`` run as ``kbc --masks`` reads it: ``config.yaml``,
    ``results.json`` and a mask file per relation (random masks, seeded). Returns the masks."""
    from bertology.prune.run import mask_filename
    from bertology.prune.storage import save_mask

    (run / "masks").mkdir(parents=True)
    config = {
        "command": "prune",
        "model": str(model_dir),
        "facts": str(facts),
        "relations_file": str(rel),
        "train": {"split_seed": 1, "split_ratios": [0.5, 0.25, 0.25]},
    }
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    masks = {r: random_mask(model, r, seed) for r, seed in seeds.items()}
    for r, m in masks.items():
        save_mask(m, run / "masks" / mask_filename(r))
    (run / "results.json").write_text(json.dumps({"relations": {r: {} for r in seeds}}))
    return masks

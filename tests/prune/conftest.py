"""Fixtures for the pruning tests: a tiny BERT whose layers matter, and a small fact set.

HF initialises weights with std 0.02, so in a 32-wide random model every layer adds only ~1%
to the residual stream and no mask can change the prediction much. A pretrained model's
layers carry O(1) signal; ``scaled_bert`` imitates that by re-drawing the encoder matrices
with std 1/sqrt(fan_in). It is still random: the masks must *find* the facts.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import torch

from bertology.data.facts import Fact

CAPITALS = [("paris", "france"), ("berlin", "germany"), ("rome", "italy"), ("madrid", "spain")]
MATERIALS = [("table", "wood"), ("window", "glass"), ("hammer", "wood"), ("knife", "glass")]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def scaled(model):
    """Re-draw the encoder's weight matrices with std 1/sqrt(fan_in) (seeded)."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".layer." in name and p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
    return model


@pytest.fixture(scope="module")
def scaled_bert(wordpiece_tokenizer):
    from bertology.models import SmallMLMConfig, build_mlm

    cfg = SmallMLMConfig(arch="bert", layers=2, hidden=32, heads=4, seed=0)
    return scaled(build_mlm(cfg, wordpiece_tokenizer))


@pytest.fixture(scope="module")
def scaled_bert_dir(tmp_path_factory, scaled_bert, wordpiece_tokenizer):
    d = tmp_path_factory.mktemp("scaled-bert")
    scaled_bert.save_pretrained(d)
    wordpiece_tokenizer.save_pretrained(d)
    return d


@pytest.fixture()
def small_facts():
    """Eight facts of two relations, all objects single tokens of the test tokenizer."""
    from bertology.data.facts import Fact

    facts = [Fact(s, "capital", o, (f"{s} is the capital of [MASK] .",)) for s, o in CAPITALS]
    facts += [Fact(s, "material", o, (f"the {s} is made of [MASK] .",)) for s, o in MATERIALS]
    return facts


@pytest.fixture()
def fact_files(tmp_path):
    """facts.jsonl + relations.jsonl: 3 relations, one of them with only multi-token objects."""
    rel = write_jsonl(
        tmp_path / "relations.jsonl",
        [
            {"relation": "capital", "template": "[X] is the capital of [Y] ."},
            {"relation": "material", "template": "the [X] is made of [Y] ."},
            {"relation": "story", "template": "[X] is an [Y] story ."},
        ],
    )
    rows = [{"subject": s, "relation": "capital", "object": o} for s, o in CAPITALS]
    rows += [{"subject": s, "relation": "material", "object": o} for s, o in MATERIALS]
    rows += [
        {"subject": "bird", "relation": "material", "object": "wood"},
        {"subject": "fish", "relation": "material", "object": "glass"},
        {"subject": "dog", "relation": "capital", "object": "italy"},
        {"subject": "cat", "relation": "capital", "object": "france"},
        {"subject": "one", "relation": "story", "object": "extraordinarily"},
        {"subject": "two", "relation": "story", "object": "unbelievable"},
        {"subject": "six", "relation": "story", "object": "extraordinarily"},
    ]
    facts = write_jsonl(tmp_path / "facts.jsonl", rows)
    return facts, rel


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and the test machine's cores are shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _reference_ranks(
    model: Any,
    tok: Any,
    facts: Sequence[Fact],
    candidates: dict[str, set[str]],
    keep: dict[str, torch.Tensor] | None = None,
) -> list[int]:
    """Gold ranks among ``candidates[relation]``, computed apart from bertology: a copy of the
    HF model whose matrices are multiplied by ``keep`` (0/1 or soft) by hand, one prompt at a
    time, the log-softmax at the [MASK], and 1 + the number of candidates scored strictly
    higher. Every candidate must be a single token of ``tok``."""
    net = copy.deepcopy(model).eval()
    ranks = []
    with torch.no_grad():
        for n, p in net.named_parameters():
            if keep is not None and n in keep:
                p.mul_(keep[n].to(p.dtype))
        for f in facts:
            (prompt,) = f.prompts
            enc = tok(prompt, return_tensors="pt")
            pos = int((enc["input_ids"][0] == tok.mask_token_id).nonzero())
            logp = net(**enc).logits[0, pos].log_softmax(-1)  # (V,)
            assert all(tok.tokenize(w) == [w] for w in candidates[f.relation])
            ids = tok.convert_tokens_to_ids(sorted(candidates[f.relation]))
            gold = tok.convert_tokens_to_ids(f.object)
            assert gold in ids
            ranks.append(1 + sum(int(logp[i] > logp[gold]) for i in ids))
    return ranks


@pytest.fixture()
def reference_ranks() -> Callable[..., list[int]]:
    """:func:`_reference_ranks`, the independent ranking the probing numbers are checked by."""
    return _reference_ranks

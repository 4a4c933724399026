"""Fixtures for the multiple-choice tests: a brute-force PLL written apart from
``bertology.evals.pll``, a tiny BERT whose layers matter (so masks change its scores), and a
finished tiny prune run with masks for two relations.

Helpers reach the test modules as fixtures (the tests are imported with
``--import-mode=importlib``, so they cannot import a module beside them).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

CAPITALS = [("paris", "france"), ("berlin", "germany"), ("rome", "italy"), ("madrid", "spain")]
MATERIALS = [("table", "wood"), ("window", "glass"), ("hammer", "wood"), ("knife", "glass")]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="session")
def jsonl() -> Callable[[Path, list[dict[str, Any]]], Path]:
    """``jsonl(path, rows)``: write rows as JSON lines, return the path."""
    return write_jsonl


def _brute_pll(model: Any, tok: Any, text: str, metric: str) -> tuple[float, int, int]:
    """``(PLL, scored tokens, scored words)`` of ``text``: one masked copy per non-special
    token, through the plain HF forward (``.logits``), one copy at a time, in float64.
    ``original`` masks the token alone; ``word_l2r`` the token and the later pieces of its
    word."""
    enc = tok(text, return_special_tokens_mask=True, return_tensors="pt")
    ids = enc["input_ids"][0]
    special = enc["special_tokens_mask"][0].tolist()
    words = enc.word_ids()
    total, tokens, seen = 0.0, 0, set()
    for t in range(len(ids)):
        if special[t]:
            continue
        x = ids.clone()
        x[t] = tok.mask_token_id
        if metric == "word_l2r":
            for j in range(t + 1, len(ids)):
                if not special[j] and words[j] is not None and words[j] == words[t]:
                    x[j] = tok.mask_token_id
        with torch.no_grad():
            logits = model(input_ids=x[None]).logits[0, t].double()  # (V,)
        total += float(torch.log_softmax(logits, -1)[ids[t]])
        tokens += 1
        seen.add(words[t] if words[t] is not None else ("token", t))
    return total, tokens, len(seen)


@pytest.fixture(scope="session")
def brute_pll() -> Callable[[Any, Any, str, str], tuple[float, int, int]]:
    """:func:`_brute_pll`, the independent PLL the choice scores are checked by."""
    return _brute_pll


def _scaled(model: Any) -> Any:
    """Encoder matrices re-drawn with std 1/sqrt(fan_in) (seeded): HF's 0.02 init makes every
    layer nearly the identity, and then no mask changes a score much."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".layer." in name and p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
    return model


@pytest.fixture(scope="session")
def scaled_bert_dir(tmp_path_factory, wordpiece_tokenizer) -> Path:
    from bertology.models import SmallMLMConfig, build_mlm

    model = _scaled(
        build_mlm(
            SmallMLMConfig(arch="bert", layers=2, hidden=32, heads=4, seed=0), wordpiece_tokenizer
        )
    )
    d = tmp_path_factory.mktemp("scaled-bert")
    model.save_pretrained(d)
    wordpiece_tokenizer.save_pretrained(d)
    return d


@pytest.fixture(scope="session")
def prune_run(tmp_path_factory, scaled_bert_dir) -> Path:
    """A finished prune run on ``scaled_bert_dir``: masks of ``capital`` and ``material`` over
    every layer, trained 2 epochs."""
    from bertology.prune.config import PruneConfig, PruneImpl, PruneRunConfig
    from bertology.prune.run import prune

    d = tmp_path_factory.mktemp("prune")
    rel = write_jsonl(
        d / "relations.jsonl",
        [
            {"relation": "capital", "template": "[X] is the capital of [Y] ."},
            {"relation": "material", "template": "the [X] is made of [Y] ."},
        ],
    )
    rows = [{"subject": s, "relation": "capital", "object": o} for s, o in CAPITALS]
    rows += [{"subject": s, "relation": "material", "object": o} for s, o in MATERIALS]
    facts = write_jsonl(d / "facts.jsonl", rows)
    cfg = PruneRunConfig(
        model=str(scaled_bert_dir),
        facts=str(facts),
        relations_file=str(rel),
        train=PruneConfig(
            layers="all", epochs=2, lr=0.05, batch_size=4, seed=3, split_ratios=(0.5, 0.0, 0.5)
        ),
        random_seeds=[0],
        impl=PruneImpl(progress=False, device="cpu"),
    )
    prune(cfg, d / "run")
    return d / "run"


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and the test machine's cores are shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

"""``inspect`` writes ``RUN/attention.json``: the [MASK] prompts' attention under the full
model and under each relation's subnetwork, each equal to an independent computation (a copy
of the model with the mask multiplied into its weights by hand)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.nn.utils import parametrize

from bertology.errors import InputError
from bertology.prune.config import InspectConfig, PruneConfig, PruneImpl, PruneRunConfig
from bertology.prune.followup import inspect_run
from bertology.prune.run import mask_filename, prune
from bertology.prune.storage import load_mask
from bertology.report.attention import item_attention, read_attention

CAPITALS = [("paris", "france"), ("berlin", "germany"), ("rome", "italy"), ("madrid", "spain")]
MATERIALS = [("table", "wood"), ("window", "glass"), ("hammer", "wood"), ("knife", "glass")]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _attention(model: Any, tok: Any, prompt: str, keep: dict[str, torch.Tensor] | None) -> Any:
    """(L, H, T, T) eager attention of a copy of ``model`` with ``keep`` multiplied in."""
    net = copy.deepcopy(model).eval()
    net.set_attn_implementation("eager")
    with torch.no_grad():
        for name, p in net.named_parameters():
            if keep is not None and name in keep:
                p.mul_(keep[name].to(p.dtype))
        out = net(**tok(prompt, return_tensors="pt"), output_attentions=True)
    return torch.stack(out.attentions, 1)[0].numpy()


@pytest.fixture(scope="module")
def inspected(tmp_path_factory, scaled_bert, wordpiece_tokenizer):
    tmp = tmp_path_factory.mktemp("inspect-attention")
    rel = write_jsonl(
        tmp / "relations.jsonl",
        [
            {"relation": "capital", "template": "[X] is the capital of [Y] ."},
            {"relation": "material", "template": "the [X] is made of [Y] ."},
        ],
    )
    rows = [{"subject": s, "relation": "capital", "object": o} for s, o in CAPITALS]
    rows += [{"subject": s, "relation": "material", "object": o} for s, o in MATERIALS]
    facts = write_jsonl(tmp / "facts.jsonl", rows)
    cfg = PruneRunConfig(
        model="scaled-bert",
        facts=str(facts),
        relations_file=str(rel),
        train=PruneConfig(layers="all", epochs=2, lr=0.01, batch_size=4, seed=3,
                          split_ratios=(0.5, 0.0, 0.5)),
        random_seeds=[0],
        impl=PruneImpl(progress=False),
    )  # fmt: skip
    run = tmp / "run"
    prune(cfg, run, model=scaled_bert, tokenizer=wordpiece_tokenizer)
    inspect_run(run, scaled_bert, wordpiece_tokenizer, attention=1)
    return run


def test_inspect_writes_full_and_subnetwork_attention(inspected, scaled_bert, wordpiece_tokenizer):
    doc = read_attention(inspected / "attention.json")
    results = json.loads((inspected / "results.json").read_text())
    masked = [r for r, v in results["relations"].items() if "full" in v]
    assert doc["kind"] == "mask" and doc["variants"] == ["full", "subnetwork"]
    assert doc["best_heads"] == {} and doc["head_scores"] is None
    assert [it["id"] for it in doc["items"]] == [f"{r}#0" for r in masked]  # attention=1
    for k, item in enumerate(doc["items"]):
        relation, prompt = item["label"].split(": ", 1)
        tokens = wordpiece_tokenizer.convert_ids_to_tokens(wordpiece_tokenizer(prompt)["input_ids"])
        assert item["tokens"] == tokens and item["query"] == tokens.index("[MASK]")
        mask = load_mask(inspected / "masks" / mask_filename(relation), scaled_bert)
        assert 0 < mask.sparsity < 1
        full, sub = item_attention(doc, k, "full"), item_attention(doc, k, "subnetwork")
        atol = 0.5 / 255 + 1e-6
        np.testing.assert_allclose(full, _attention(scaled_bert, wordpiece_tokenizer, prompt, None),
                                   atol=atol)  # fmt: skip
        keep = mask.tensors(soft=False)
        expected_sub = _attention(scaled_bert, wordpiece_tokenizer, prompt, keep)
        np.testing.assert_allclose(sub, expected_sub, atol=atol)
        assert np.abs(full - sub).max() > 5 / 255  # a non-trivial mask changes the attention
        np.testing.assert_allclose(sub.sum(-1), 1.0, atol=len(tokens) / 255)
    # the shared model is handed back as it was: no mask left on it, in eval mode
    assert not any(parametrize.is_parametrized(m) for m in scaled_bert.modules())
    assert not scaled_bert.training


def test_inspect_attention_zero_writes_no_file(inspected, scaled_bert, wordpiece_tokenizer):
    (inspected / "attention.json").unlink()
    inspect_run(inspected, scaled_bert, wordpiece_tokenizer, attention=0)
    assert not (inspected / "attention.json").exists()
    assert (inspected / "inspection.json").exists()


def test_inspect_attention_setting_is_checked():
    with pytest.raises(InputError, match="attention must be >= 0"):
        InspectConfig(attention=-2).validate()

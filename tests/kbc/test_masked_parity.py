"""With ``--masks``, each relation's subnetwork and its random control rank exactly as the
model with the mask multiplied into its weights by hand; the split is the prune run's; a
mask of another model is refused."""

from __future__ import annotations

import json

import pytest

from bertology.data.facts import read_facts, split_by_subject
from bertology.errors import InputError
from bertology.kbc.config import KBCConfig
from bertology.kbc.run import kbc
from bertology.models import SmallMLMConfig, build_mlm
from bertology.prune.analysis import random_control

from .conftest import CAPITAL, CAPITALS, MATERIAL, MATERIALS, write_prune_run

TEMPLATES = {"capital": CAPITAL, "material": MATERIAL}
TRIPLES = [(s, "capital", o) for s, o in CAPITALS] + [(s, "material", o) for s, o in MATERIALS]


def _candidates() -> dict[str, set[str]]:
    return {r: {o for _, rr, o in TRIPLES if rr == r} for r in TEMPLATES}


def _ranks(run, variant: str) -> dict[tuple[str, str, str], int]:
    rows = [json.loads(x) for x in (run / "ranks.jsonl").read_text().splitlines()]
    return {
        (r["subject"], r["relation"], r["object"]): r["rank"]
        for r in rows
        if r.get("variant") == variant
    }


def test_subnetwork_and_random_ranks_equal_the_masks_multiplied_into_the_weights(
    tmp_path, kb_files, scaled_bert, scaled_bert_dir, wordpiece_tokenizer, brute_force_ranks
):
    facts, rel = kb_files
    masks = write_prune_run(
        tmp_path / "prune", scaled_bert, scaled_bert_dir, facts, rel, {"capital": 1, "material": 2}
    )
    cfg = KBCConfig(masks=str(tmp_path / "prune"), split="all", candidates="relation",
                    random_seed=5)  # fmt: skip
    cfg.validate()
    results = kbc(cfg, tmp_path / "run", scaled_bert, wordpiece_tokenizer)
    assert results["variants"] == ["full", "subnetwork", "random"]
    assert results["model"] == str(scaled_bert_dir) and results["facts"] == str(facts)
    for variant in ("full", "subnetwork", "random"):
        got = _ranks(tmp_path / "run", variant)
        assert len(got) == len(TRIPLES)
        for relation, mask in masks.items():
            keep = {
                "full": None,
                "subnetwork": mask.keep,
                "random": random_control(mask, 5).keep,
            }[variant]
            triples = [t for t in TRIPLES if t[1] == relation]
            want = brute_force_ranks(
                scaled_bert, wordpiece_tokenizer, triples, TEMPLATES, _candidates(), keep=keep
            )
            assert [got[t] for t in triples] == [w[0] for w in want], (variant, relation)
    # the masks change the ranks (else this test could not tell the variants apart)
    assert _ranks(tmp_path / "run", "subnetwork") != _ranks(tmp_path / "run", "full")
    diff = results["differences"]["subnetwork_minus_full"]["mrr"]
    sub = results["ranking"]["subnetwork"]["raw"]["micro"]["mrr"]
    full = results["ranking"]["full"]["raw"]["micro"]["mrr"]
    assert diff["diff"] == pytest.approx(sub - full) and diff["n"] == len(TRIPLES)


def test_with_masks_the_split_is_the_prune_runs(
    tmp_path, kb_files, scaled_bert, scaled_bert_dir, wordpiece_tokenizer
):
    facts, rel = kb_files
    write_prune_run(
        tmp_path / "prune", scaled_bert, scaled_bert_dir, facts, rel, {"capital": 1, "material": 2}
    )
    cfg = KBCConfig(masks=str(tmp_path / "prune"), candidates="relation")
    results = kbc(cfg, tmp_path / "run", scaled_bert, wordpiece_tokenizer)
    assert results["split"] == "test"
    assert results["split_ratios"] == [0.5, 0.25, 0.25] and results["split_seed"] == 1
    test = split_by_subject(read_facts(facts, rel).facts, (0.5, 0.25, 0.25), 1)["test"]
    want = {f.key for f in test if f.object != "extraordinarily"}
    assert set(_ranks(tmp_path / "run", "subnetwork")) == want


def test_a_mask_run_of_another_model_stops_with_the_mask_file_named(
    tmp_path, kb_files, scaled_bert, scaled_bert_dir, wordpiece_tokenizer
):
    facts, rel = kb_files
    write_prune_run(tmp_path / "prune", scaled_bert, scaled_bert_dir, facts, rel, {"capital": 1})
    other = build_mlm(  # the same shapes, other weights
        SmallMLMConfig(arch="bert", layers=2, hidden=32, heads=4, seed=7), wordpiece_tokenizer
    )
    cfg = KBCConfig(masks=str(tmp_path / "prune"), split="all")
    with pytest.raises(InputError, match="mask was made for model") as e:
        kbc(cfg, tmp_path / "run", other, wordpiece_tokenizer)
    assert "capital.safetensors" in str(e.value)
    assert not (tmp_path / "run").exists()

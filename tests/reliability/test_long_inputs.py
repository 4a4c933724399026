"""A prompt the model cannot take names the fact's FILE:LINE and quotes at most ~200
characters of it (issue 13: a 3000-word subject made a 12 KB error without a location)."""

from __future__ import annotations

import json
import re

import pytest

from bertology.errors import InputError, quote, source_of
from bertology.probe.config import ProbeConfig, ProbeImpl
from bertology.probe.run import probe


def test_a_prompt_longer_than_the_model_names_its_line_and_is_cut(tiny_bert_dir, tmp_path):
    rel = tmp_path / "relations.jsonl"
    rel.write_text(
        json.dumps({"relation": "capital", "template": "[X] is the capital of [Y] ."}) + "\n"
    )
    facts = tmp_path / "facts.jsonl"
    rows = [
        {"subject": "paris", "relation": "capital", "object": "france"},
        {"subject": " ".join(["paris"] * 3000), "relation": "capital", "object": "france"},
    ]
    facts.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = ProbeConfig(
        model=str(tiny_bert_dir),
        facts=str(facts),
        relations_file=str(rel),
        impl=ProbeImpl(device="cpu"),
    )
    with pytest.raises(InputError, match=r"longer than the model's \d+ positions") as e:
        probe(cfg, tmp_path / "run")
    assert (e.value.path, e.value.line) == (str(facts), 2)
    msg = str(e.value)
    assert len(msg) < 400 and re.search(r"'… \(\d{5} characters\) is 30\d\d tokens", msg)
    assert not (tmp_path / "run").exists()


def test_quote_and_source_of():
    assert quote("short") == "'short'"
    assert quote("x" * 500, limit=10) == "'xxxxxxxxxx'… (500 characters)"
    assert source_of("data/facts.jsonl:12") == ("data/facts.jsonl", 12)
    assert source_of("C:/x/facts.jsonl:7") == ("C:/x/facts.jsonl", 7)
    assert source_of("hf:dataset") == ("hf:dataset", None)
    assert source_of(None) == (None, None)


def test_the_error_names_the_first_offending_prompts_line(tiny_bert_dir):
    """With several bad prompts, the message names the first one's FILE:LINE, not another's."""
    import torch

    from bertology.models.load import load_mlm
    from bertology.probe.scoring import encode_prompts, iter_mask_log_probs

    model, tok = load_mlm(tiny_bert_dir, device="cpu")
    m = tok.mask_token
    prompts = [f"a {m} .", "no mask here", f"b {m} .", "none here either"]
    sources = ["f.jsonl:1", "f.jsonl:2", "f.jsonl:3", "f.jsonl:4"]
    with pytest.raises(InputError, match="'no mask here' has 0 mask tokens") as e:
        encode_prompts(tok, prompts, torch.device("cpu"), sources)
    assert (e.value.path, e.value.line) == ("f.jsonl", 2)
    long = " ".join(["word"] * 600)
    prompts = [f"a {m} .", f"{long} {m} .", f"b {m} .", f"{long} {long} {m} ."]
    with pytest.raises(InputError, match=r"is \d+ tokens, longer") as e:
        list(iter_mask_log_probs(model, tok, prompts, 2, sources))
    assert (e.value.path, e.value.line) == ("f.jsonl", 2)

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

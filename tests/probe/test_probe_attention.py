"""``probe --attention N``: the token-level attention of N scored facts per relation in
``RUN/attention.json``, equal to Hugging Face's attentions for the same prompt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from bertology.cli import app
from bertology.errors import InputError
from bertology.probe.config import ProbeConfig
from bertology.report.attention import item_attention, read_attention

runner = CliRunner()


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture()
def fact_files(tmp_path: Path) -> tuple[Path, Path]:
    rel = _write(
        tmp_path / "relations.jsonl",
        [
            {"relation": "capital", "template": "[X] is the capital of [Y] ."},
            {"relation": "material", "template": "the [X] is made of [Y] ."},
        ],
    )
    facts = _write(
        tmp_path / "facts.jsonl",
        [
            {"subject": "madrid", "relation": "capital", "object": "extraordinarily"},  # skipped
            {"subject": "paris", "relation": "capital", "object": "france"},
            {"subject": "berlin", "relation": "capital", "object": "germany"},
            {"subject": "rome", "relation": "capital", "object": "italy"},
            {"subject": "table", "relation": "material", "object": "wood"},
        ],
    )
    return facts, rel


def _probe(tmp_path: Path, model_dir: Path, files: tuple[Path, Path], *extra: str) -> Path:
    facts, rel = files
    out = tmp_path / "run"
    args = ["probe", "--model", str(model_dir), "--facts", str(facts), "--relations-file",
            str(rel), "--out", str(out), "--device", "cpu", *extra]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output + repr(res.exception)
    return out


def _hf_attention(model_dir: Path, prompt: str) -> tuple[list[str], np.ndarray]:
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForMaskedLM.from_pretrained(model_dir, attn_implementation="eager").eval()
    enc = tok(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model(**enc, output_attentions=True)
    att = torch.stack(out.attentions, 1)[0].numpy()  # (L, H, T, T)
    return tok.convert_ids_to_tokens(enc["input_ids"][0]), att


def test_probe_attention_holds_hf_attention_at_the_mask(tmp_path, tiny_bert_dir, fact_files):
    out = _probe(tmp_path, tiny_bert_dir, fact_files, "--attention", "2")
    doc = read_attention(out / "attention.json")
    assert doc["kind"] == "mask" and doc["variants"] == ["full"]
    assert doc["head_scores"] is None and doc["best_heads"] == {}
    assert doc["model"] == str(tiny_bert_dir)
    # the first two *scored* facts of capital (madrid's object is not one token), one material
    labels = [it["label"] for it in doc["items"]]
    assert labels == [
        "capital: paris is the capital of [MASK] .",
        "capital: berlin is the capital of [MASK] .",
        "material: the table is made of [MASK] .",
    ]
    for k, item in enumerate(doc["items"]):
        prompt = labels[k].split(": ", 1)[1]
        tokens, att = _hf_attention(tiny_bert_dir, prompt)
        assert item["tokens"] == tokens and tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
        assert item["query"] == tokens.index("[MASK]")
        assert item["gold_heads"] is None
        got = item_attention(doc, k)
        assert got.shape == att.shape == (2, 4, len(tokens), len(tokens))
        np.testing.assert_allclose(got, att, atol=0.5 / 255 + 1e-6)
        np.testing.assert_allclose(got.sum(-1), 1.0, atol=len(tokens) / 255)


def test_probe_writes_no_attention_by_default(tmp_path, tiny_bert_dir, fact_files):
    out = _probe(tmp_path, tiny_bert_dir, fact_files)
    assert (out / "results.json").exists()
    assert not (out / "attention.json").exists()


def test_attention_must_not_be_negative():
    with pytest.raises(InputError, match="attention must be >= 0"):
        ProbeConfig(model="m", facts="f", attention=-1).validate()

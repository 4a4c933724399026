"""Choice under combined relation masks: the scores are those of the exported combined
subnetwork loaded as a plain HF model (no masks anywhere) and scored by brute force; a mask of
another model and an unknown relation stop the run with exit code 2."""

from __future__ import annotations

import json

import pytest
from transformers import AutoModelForMaskedLM, AutoTokenizer

from bertology.choice.config import ChoiceConfig, ChoiceImpl
from bertology.choice.run import choice
from bertology.cli import main
from bertology.prune.analysis import combine_masks
from bertology.prune.export import export_pruned
from bertology.prune.storage import load_mask

ROWS = [
    {"id": "c1", "question": "paris is the capital of", "choices": ["france .", "spain ."],
     "label": 0},
    {"id": "c2", "question": "rome is the capital of", "choices": ["germany .", "italy .",
     "an extraordinarily long river ."], "label": 1},
    {"id": "m1", "question": "the window is made of", "choices": ["wood .", "glass ."], "label": 1},
    {"id": "m2", "question": "the table is made of", "choices": ["wood .", "glass .",
     "unbelievable story ."], "label": 0},
]  # fmt: skip


def _plain(path):
    model = AutoModelForMaskedLM.from_pretrained(path, attn_implementation="eager").eval()
    return model, AutoTokenizer.from_pretrained(path)


@pytest.mark.parametrize("how", ["union", "intersection"])
def test_masked_scores_equal_the_exported_combined_subnetwork(
    prune_run, scaled_bert_dir, tmp_path, jsonl, brute_pll, how
):
    """Guards that the combined mask is really applied, and is the combination asked for:
    the scores equal the exported subnetwork's and differ from the full model's."""
    data = jsonl(tmp_path / "items.jsonl", ROWS)
    cfg = ChoiceConfig(
        model=str(scaled_bert_dir), data=str(data), metric="original", masks=str(prune_run),
        relations=["capital", "material"], combine=[how], impl=ChoiceImpl(device="cpu"),
    )  # fmt: skip
    res = choice(cfg, tmp_path / "run")
    rows = [
        json.loads(x) for x in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()
    ]

    model, tok = _plain(scaled_bert_dir)
    masks = [
        load_mask(prune_run / "masks" / f"{r}.safetensors", model) for r in ("capital", "material")
    ]
    combo = combine_masks(masks, how)
    assert 0 < combo.sparsity < 1
    pruned, _ = _plain(export_pruned(model, tok, combo, tmp_path / "exported"))
    moved, full_hits, hits = 0, [], []
    for row, raw in zip(rows, ROWS, strict=True):
        texts = [f"{raw['question']} {c}" for c in raw["choices"]]
        want = [brute_pll(pruned, tok, t, "original")[0] for t in texts]
        full = [brute_pll(model, tok, t, "original")[0] for t in texts]
        assert row["id"] == raw["id"] and row["label"] == raw["label"]
        assert row["scores"] == pytest.approx(want, abs=1e-4)
        assert row["prediction"] == max(range(len(want)), key=lambda i: (want[i], -i))
        assert row["full_prediction"] == max(range(len(full)), key=lambda i: (full[i], -i))
        moved += max(abs(a - b) for a, b in zip(want, full, strict=True)) > 0.1
        hits.append(row["prediction"] == raw["label"])
        full_hits.append(row["full_prediction"] == raw["label"])
    assert moved >= len(ROWS) // 2  # the subnetwork's scores are not the full model's
    sub = res["subnetwork"]
    assert sub["relations"] == ["capital", "material"] and sub["combine"] == how
    assert sub["sparsity"] == pytest.approx(combo.sparsity)
    assert res["accuracy"] == sum(hits) / len(hits) and res["n"] == len(ROWS)
    assert res["full"]["accuracy"] == sum(full_hits) / len(full_hits)
    assert res["gain_over_full"]["difference"] == pytest.approx(
        res["accuracy"] - res["full"]["accuracy"]
    )


def test_union_and_intersection_give_different_scores(prune_run, scaled_bert_dir, tmp_path, jsonl):
    """The fixture tells the combinations apart (so the test above would see one swapped)."""
    data = jsonl(tmp_path / "items.jsonl", ROWS)
    scores = {}
    for how in ("union", "intersection"):
        cfg = ChoiceConfig(model=str(scaled_bert_dir), data=str(data), masks=str(prune_run),
                           combine=[how], impl=ChoiceImpl(device="cpu"))  # fmt: skip
        choice(cfg, tmp_path / how)
        lines = (tmp_path / how / "predictions.jsonl").read_text().splitlines()
        scores[how] = [json.loads(x)["scores"] for x in lines]
    assert scores["union"] != scores["intersection"]


def _cli_error(capsys, args):
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    return capsys.readouterr().err


def test_an_unknown_relation_stops_with_the_known_ones(
    prune_run, scaled_bert_dir, tmp_path, jsonl, capsys
):
    data = jsonl(tmp_path / "items.jsonl", ROWS)
    err = _cli_error(capsys, ["choice", "-m", str(scaled_bert_dir), "--data", str(data),
                              "--masks", str(prune_run), "--relation", "capital,story",
                              "--device", "cpu", "--out", str(tmp_path / "run")])  # fmt: skip
    assert (
        f"{prune_run}: unknown relation 'story': the prune run has masks for capital, material"
        in err
    )
    assert not (tmp_path / "run").exists()


def test_a_mask_of_another_model_stops_naming_the_mask_file(
    prune_run, tiny_bert_dir, tmp_path, jsonl, capsys
):
    """The tiny BERT has the scaled one's shapes but other weights (the fingerprint differs)."""
    data = jsonl(tmp_path / "items.jsonl", ROWS)
    err = _cli_error(capsys, ["choice", "-m", str(tiny_bert_dir), "--data", str(data),
                              "--masks", str(prune_run), "--device", "cpu",
                              "--out", str(tmp_path / "run")])  # fmt: skip
    assert f"{prune_run / 'masks'}" in err and "same shapes but different weights" in err
    assert not (tmp_path / "run").exists()

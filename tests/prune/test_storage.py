"""Mask files: bit-packing, metadata, refusal of another model's mask, and export parity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from bertology.errors import InputError
from bertology.models import SmallMLMConfig, build_mlm
from bertology.prune.apply import applied
from bertology.prune.export import export_pruned
from bertology.prune.masks import SubnetworkMask
from bertology.prune.storage import load_mask, pack_bits, save_mask, unpack_bits
from bertology.prune.targets import find_targets, shape_hash, weight_fingerprint


def _random_mask(model, relation="capital", layers="all", p=0.3, seed=0, soft=False):
    targets = find_targets(model, layers)
    g = torch.Generator().manual_seed(seed)
    probs = {t.name: torch.rand(t.shape, generator=g) for t in targets}
    keep = {k: v > p for k, v in probs.items()}
    return SubnetworkMask(
        relation=relation,
        targets=targets,
        keep=keep,
        soft={k: v.half() for k, v in probs.items()} if soft else None,
        mode="stochastic" if soft else "deterministic",
        threshold=p,
        layers=(min(t.layer for t in targets), max(t.layer for t in targets)),
        model_name="tiny",
        model_shape_hash=shape_hash(model),
        model_fingerprint=weight_fingerprint(model, targets),
        config={"lr": 0.1},
    )


def test_bit_packing_round_trip_is_exact_at_one_bit_per_weight():
    g = torch.Generator().manual_seed(0)
    for shape in [(1, 1), (3, 5), (7, 13), (64, 32)]:
        keep = torch.rand(shape, generator=g) > 0.5
        packed = pack_bits(keep)
        assert packed.dtype == torch.uint8 and packed.numel() == -(-keep.numel() // 8)
        assert torch.equal(unpack_bits(packed, shape), keep)


def test_mask_file_round_trip_keeps_bits_soft_values_and_metadata(tmp_path, tiny_bert):
    mask = _random_mask(tiny_bert, soft=True)
    path = save_mask(mask, tmp_path / "capital.safetensors", soft=True)
    back = load_mask(path, tiny_bert)
    assert back.relation == "capital" and back.mode == "stochastic" and back.layers == (0, 1)
    assert back.threshold == pytest.approx(0.3) and back.config == {"lr": 0.1}
    assert back.sparsity == pytest.approx(mask.sparsity)
    for t in mask.targets:
        assert torch.equal(back.keep[t.name], mask.keep[t.name])
        assert back.soft[t.name].dtype == torch.float16
        assert torch.equal(back.soft[t.name], mask.soft[t.name])
    hard_only = load_mask(save_mask(mask, tmp_path / "hard.safetensors"), tiny_bert)
    assert hard_only.soft is None
    # hard bits are ~1/16 of the fp16 soft values
    assert (tmp_path / "hard.safetensors").stat().st_size < path.stat().st_size / 8


def test_mask_for_another_model_is_refused(tmp_path, tiny_bert, wordpiece_tokenizer):
    path = save_mask(_random_mask(tiny_bert), tmp_path / "capital.safetensors")
    wider = build_mlm(
        SmallMLMConfig(arch="bert", layers=2, hidden=48, heads=4), wordpiece_tokenizer
    )
    with pytest.raises(InputError, match="different parameter shapes"):
        load_mask(path, wider)
    same_shape_other_weights = build_mlm(
        SmallMLMConfig(arch="bert", layers=2, hidden=32, heads=4, seed=7), wordpiece_tokenizer
    )
    with pytest.raises(InputError, match="same shapes but different weights"):
        load_mask(path, same_shape_other_weights)
    (tmp_path / "junk.safetensors").write_bytes(b"not a mask")
    with pytest.raises(InputError, match="junk.safetensors"):
        load_mask(tmp_path / "junk.safetensors")


def test_exported_model_reproduces_the_subnetwork_exactly(tmp_path, tiny_bert, wordpiece_tokenizer):
    from transformers import AutoModelForMaskedLM

    mask = _random_mask(tiny_bert, layers="1-1", p=0.5)
    before = {n: p.clone() for n, p in tiny_bert.named_parameters()}
    out = export_pruned(tiny_bert, wordpiece_tokenizer, mask, tmp_path / "capital-subnet")
    assert all(torch.equal(p, before[n]) for n, p in tiny_bert.named_parameters())  # untouched
    exported = AutoModelForMaskedLM.from_pretrained(out, attn_implementation="eager").eval()
    enc = wordpiece_tokenizer(
        ["paris is the capital of [MASK] .", "the table is made of [MASK] ."],
        padding=True,
        return_tensors="pt",
    )
    with torch.no_grad(), applied(tiny_bert, mask):
        want = tiny_bert(**enc).logits
    with torch.no_grad():
        got = exported(**enc).logits
        full = tiny_bert(**enc).logits
    assert torch.equal(got, want)
    assert not torch.equal(got, full)
    assert (out / "bertology_mask.json").exists() and (out / "tokenizer.json").exists()


def test_rank_results_travel_as_bytes_without_loss(tiny_bert):
    """What ``torchrun`` ranks exchange (no pickles) decodes to exactly what was sent."""
    from bertology.prune.exchange import decode_results as _decode_results
    from bertology.prune.exchange import encode_results as _encode_results
    from bertology.prune.outcome import RelationTraining

    mask = _random_mask(tiny_bert, soft=True)
    mask.soft = {k: v.float() * 0.3 for k, v in mask.soft.items()}  # fp32 values stay fp32
    sent = {
        "capital": RelationTraining(
            "capital", mask, [{"epoch": 0, "dev_p1": 0.25, "loss": float("nan")}], 0, 0.25,
            n_train=7, steps=3, seconds=1.5,
        ),
        "story": RelationTraining("story", None, skipped="no single-token training facts"),
    }  # fmt: skip
    back = _decode_results(_encode_results(sent), mask.targets)
    assert list(back) == ["capital", "story"]
    assert back["story"].mask is None and back["story"].skipped == sent["story"].skipped
    got = back["capital"]
    assert (got.best_epoch, got.best_dev_p1, got.n_train, got.steps) == (0, 0.25, 7, 3)
    assert got.history[0]["dev_p1"] == 0.25 and got.history[0]["loss"] != got.history[0]["loss"]
    m = got.mask
    assert (m.relation, m.mode, m.layers, m.config) == (
        "capital",
        "stochastic",
        (0, 1),
        {"lr": 0.1},
    )
    assert m.model_fingerprint == mask.model_fingerprint and m.threshold == mask.threshold
    for t in mask.targets:
        assert torch.equal(m.keep[t.name], mask.keep[t.name])
        assert m.soft[t.name].dtype == torch.float32
        assert torch.equal(m.soft[t.name], mask.soft[t.name])


def test_export_that_fails_midway_leaves_no_directory_and_an_existing_one_untouched(
    tmp_path: Path, tiny_bert: Any, wordpiece_tokenizer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards atomic export: when writing fails after the weights are written (here the
    tokenizer's save raises), no directory appears at the target and no temporary one is
    left; an existing export at the target keeps exactly its files and bytes; refused without
    ``overwrite``; and a later successful overwrite replaces it whole."""
    mask = _random_mask(tiny_bert, layers="1-1", p=0.5)
    out = tmp_path / "capital-subnet"

    def failing_save(self: Any, directory: Any, *args: Any, **kwargs: Any) -> None:
        (Path(directory) / "tokenizer_config.json").write_text("{")  # a partial write
        raise OSError("disk full")

    def tree(d: Path) -> dict[str, bytes]:
        return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}

    with monkeypatch.context() as m:
        m.setattr(type(wordpiece_tokenizer), "save_pretrained", failing_save)
        with pytest.raises(OSError, match="disk full"):
            export_pruned(tiny_bert, wordpiece_tokenizer, mask, out)
    assert list(tmp_path.iterdir()) == []  # neither the target nor a temporary directory

    export_pruned(tiny_bert, None, mask, out)  # an existing export, without tokenizer files
    before = tree(out)
    assert "model.safetensors" in before and "tokenizer.json" not in before
    with pytest.raises(FileExistsError):
        export_pruned(tiny_bert, wordpiece_tokenizer, mask, out)
    other = _random_mask(tiny_bert, layers="1-1", p=0.5, seed=1)
    with monkeypatch.context() as m:
        m.setattr(type(wordpiece_tokenizer), "save_pretrained", failing_save)
        with pytest.raises(OSError, match="disk full"):
            export_pruned(tiny_bert, wordpiece_tokenizer, other, out, overwrite=True)
    assert tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    export_pruned(tiny_bert, wordpiece_tokenizer, other, out, overwrite=True)
    after = tree(out)
    assert "tokenizer.json" in after and after["model.safetensors"] != before["model.safetensors"]
    assert [p.name for p in tmp_path.iterdir()] == [out.name]

"""Pre-training's ``impl`` changes speed only: micro-batching, the evaluators' batch size and
the print interval leave the weights, the losses and the evaluations unchanged (to float
rounding where micro-batching changes the order of summation)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from bertology.train import pretrain


def _rows(run: Path, kind: str) -> list[dict]:
    rows = map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
    return [r for r in rows if r["kind"] == kind]


def test_grad_accum_eval_batch_size_and_print_every_do_not_change_the_run(tiny_config, tmp_path):
    common = dict(
        model={"dropout": 0.0},  # dropout masks are drawn per micro-batch
        train={"max_steps": 3, "batch_size": 8},
        sas={"lambda": -0.5},
        checkpoint={"every": 3, "initial": False},
        eval={"evaluators": ["val_loss", "uas"]},
    )
    a = tiny_config(**common, impl={"grad_accum": 1, "eval_batch_size": 16, "print_every": 0})
    b = tiny_config(**common, impl={"grad_accum": 4, "eval_batch_size": 3, "print_every": 1})
    pretrain(a, tmp_path / "a")
    pretrain(b, tmp_path / "b")
    wa, wb = (
        load_file(str(next((tmp_path / r / "checkpoints").iterdir()) / "model.safetensors"))
        for r in "ab"
    )
    assert wa.keys() == wb.keys()
    worst = max(float((wa[k] - wb[k]).abs().max()) for k in wa)
    assert worst < 1e-5, worst
    assert any(not torch.equal(wa[k], wb[k]) for k in wa) or worst == 0.0
    la, lb = _rows(tmp_path / "a", "train"), _rows(tmp_path / "b", "train")
    assert [r["step"] for r in la] == [r["step"] for r in lb] == [1, 2, 3]
    for x, y in zip(la, lb, strict=True):
        assert abs(x["loss"] - y["loss"]) < 1e-5 and abs(x["sas_reg"] - y["sas_reg"]) < 1e-6
    ea = {r["evaluator"]: r for r in _rows(tmp_path / "a", "eval")}
    eb = {r["evaluator"]: r for r in _rows(tmp_path / "b", "eval")}
    assert abs(ea["val_loss"]["val_loss"] - eb["val_loss"]["val_loss"]) < 1e-5
    assert ea["val_loss"]["val_masked_tokens"] == eb["val_loss"]["val_masked_tokens"]
    assert ea["uas"]["uas"] == eb["uas"]["uas"]

"""The ``finetune`` checkpoint evaluator: registered lazily, fine-tunes a copy (the
pre-training model is left exactly as it was), returns finite metrics with an interval."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from bertology.errors import InputError
from bertology.train.config import config_from_dict
from bertology.train.evaluators import EvalContext, build_evaluators, run_evaluators


def _ctx(eval_cfg: dict, tokenizer, train: list[str] | None = None) -> EvalContext:
    cfg = config_from_dict(
        {"data": {"train": train or ["t.txt"]}, "eval": {"evaluators": ["finetune"], **eval_cfg}}
    )
    return EvalContext(cfg, tokenizer, torch.device("cpu"))


def test_the_evaluator_leaves_the_pretraining_model_unchanged_and_returns_finite_metrics(
    tiny_bert, wordpiece_tokenizer, keyword_dir
):
    ctx = _ctx({"finetune_task": str(keyword_dir), "finetune_epochs": 6, "finetune_lr": 2e-3},
               wordpiece_tokenizer)  # fmt: skip
    built = build_evaluators(["finetune"], ctx)
    model = copy.deepcopy(tiny_bert)  # the session's model stays in eval mode for other tests
    model.train()  # as in the pre-training loop between checkpoints
    before = {k: v.clone() for k, v in model.state_dict().items()}
    grads = {n: p.requires_grad for n, p in model.named_parameters()}
    rows: list[dict] = []
    metrics = run_evaluators(built, model, 10, torch.device("cpu"), rows.append)
    assert model.training
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert grads == {n: p.requires_grad for n, p in model.named_parameters()}
    assert all(p.grad is None for p in model.parameters())
    assert rows[0]["evaluator"] == "finetune" and rows[0]["step"] == 10
    assert metrics["finetune_n"] == 100
    for key in ("finetune_acc", "finetune_mcc", "finetune_dev_acc"):
        assert math.isfinite(metrics[key])
    lo, hi = metrics["finetune_acc_ci"]
    assert lo <= metrics["finetune_acc"] <= hi
    assert metrics["finetune_acc"] > 0.7  # six epochs learn the keyword task


def test_the_evaluator_defaults_to_the_runs_world(wordpiece_tokenizer, world_dir):
    ctx = _ctx({}, wordpiece_tokenizer, train=[str(world_dir / "corpus" / "train.txt")])
    ev = build_evaluators(["finetune"], ctx)["finetune"]
    assert ev.task.name == f"world-verify:{world_dir}"


def test_the_evaluator_without_a_task_says_how_to_give_one(wordpiece_tokenizer):
    with pytest.raises(InputError, match="set eval.finetune_task"):
        build_evaluators(["finetune"], _ctx({}, wordpiece_tokenizer))


def test_the_dynamics_cache_key_follows_the_finetune_settings(wordpiece_tokenizer, keyword_dir):
    from bertology.dynamics.evaluate import settings_key

    def key(**eval_cfg):
        return settings_key(_ctx(eval_cfg, wordpiece_tokenizer).config, "finetune")

    base = key(finetune_task=str(keyword_dir))
    assert base == key(finetune_task=str(keyword_dir), blimp_per_paradigm=3)  # not its setting
    for change in ({"finetune_epochs": 2}, {"finetune_lr": 1e-3}, {"finetune_max_train": 10}):
        assert key(finetune_task=str(keyword_dir), **change) != base
    assert key(finetune_task="sst2") != base

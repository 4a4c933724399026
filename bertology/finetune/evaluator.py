"""The ``finetune`` checkpoint evaluator: downstream accuracy over pre-training (the SAS
paper's GLUE-over-training), for ``eval.evaluators`` and ``bertology dynamics``.

At every checkpoint a new classifier is built from a *copy* of the checkpoint's encoder
(:func:`~bertology.finetune.model.classifier_from_mlm`; the pre-training model is never
modified), fine-tuned on ``eval.finetune_task`` with a small budget
(``eval.finetune_epochs`` epochs over at most ``eval.finetune_max_train`` examples at
``eval.finetune_lr``, seeded by ``train.seed``) and scored on the task's test split. Without
a task, a run trained on an embedded world uses that world's fact verification
(``world-verify:WORLD``). The task is read once, so every checkpoint is measured on the same
examples.

Logs ``finetune_acc`` with its 95% bootstrap interval ``finetune_acc_ci`` and ``finetune_n``
(test examples), ``finetune_mcc`` (classification), ``finetune_dev_acc`` (the best dev
epoch's accuracy) and ``finetune_best_epoch``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from bertology.errors import InputError
from bertology.finetune.config import FinetuneTrain
from bertology.finetune.loop import Encoder, predict, score_test, train_classifier
from bertology.finetune.model import classifier_from_mlm
from bertology.finetune.tasks import load_task
from bertology.finetune.world import PREFIX


def default_task(cfg: Any) -> str | None:
    """``world-verify:WORLD`` for a run trained on an embedded world (``WORLD/corpus/...``)."""
    for f in cfg.data.train:
        world = Path(f).parent.parent
        if (world / "world.json").exists() and (world / "facts.jsonl").exists():
            return PREFIX + str(world)
    return None


class FinetuneEvaluator:
    """Fine-tune a copy of each checkpoint on one task; test accuracy with its interval."""

    def __init__(self, ctx: Any):
        cfg, e = ctx.config, ctx.config.eval
        spec = e.finetune_task or default_task(cfg)
        if spec is None:
            raise InputError(
                "the finetune evaluator needs a task: set eval.finetune_task (a GLUE name such "
                "as sst2, a local JSONL/CSV task, or world-verify:WORLD)"
            )
        for key, ok in (
            ("finetune_epochs", e.finetune_epochs >= 1),
            ("finetune_lr", e.finetune_lr > 0),
            ("finetune_max_train", e.finetune_max_train is None or e.finetune_max_train >= 1),
        ):
            if not ok:
                raise InputError(f"eval.{key}: {getattr(e, key)!r} is out of range")
        self.ctx = ctx
        self.task = load_task(spec)
        self.hp = FinetuneTrain(
            epochs=e.finetune_epochs,
            lr=e.finetune_lr,
            max_train=e.finetune_max_train,
            seed=cfg.train.seed,
            patience=None,  # a budget of a few epochs: each is run, the best dev one kept
        )

    def __call__(self, model: Any, step: int) -> dict[str, Any]:
        ctx, task, hp = self.ctx, self.task, self.hp
        batch = ctx.config.impl.eval_batch_size
        with torch.enable_grad():  # evaluators run under no_grad
            clf = classifier_from_mlm(model, task.kind, task.num_labels, hp.seed).to(ctx.device)
            encoder = Encoder.for_task(ctx.tokenizer, task, clf, hp.max_length)
            outcome = train_classifier(clf, encoder, task.train, task.dev, hp, ctx.device,
                                       eval_batch_size=batch)  # fmt: skip
        preds = predict(clf, encoder, task.test, batch, ctx.device)
        return {
            **score_test(task, preds, prefix="finetune_"),
            "finetune_dev_acc": outcome.best_dev_acc,
            "finetune_best_epoch": outcome.best_epoch,
        }

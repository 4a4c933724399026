"""The fine-tuning loop: AdamW, linear warm-up and decay, early stopping on dev only.

A plain loop rather than HF ``Trainer``: one classifier, a fixed mask to hold (a hook and a
re-zeroing after each step, :class:`~bertology.finetune.model.FixedPruning`), and a test set
that the loop never sees. :func:`train_classifier` takes train and dev examples only; the
caller evaluates test once, on the model restored to its best dev epoch.

Each epoch: a seeded shuffle of train, one optimizer step per ``batch_size`` examples, then
dev accuracy. The best epoch is the first with the highest dev accuracy; training stops
after ``patience`` epochs without a better one, and the best epoch's weights are restored.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from sklearn.metrics import matthews_corrcoef

from bertology.finetune.config import FinetuneTrain
from bertology.finetune.data import Example, Task
from bertology.finetune.model import FixedPruning
from bertology.models.load import max_tokens
from bertology.stats import mean_ci


@dataclass
class Encoder:
    """Examples to model inputs, tokenized per batch (padded to the batch's longest)."""

    tokenizer: Any
    kind: str
    max_length: int
    context: bool = False  # multiple choice: pair each choice with the question (or "")
    segments: bool = False  # token type ids (BERT's segments A/B), when the model has them

    @classmethod
    def for_task(cls, tokenizer: Any, task: Task, model: Any, max_length: int) -> Encoder:
        limit = max_tokens(model)
        length = min(max_length, limit) if limit is not None else max_length
        everything = [*task.train, *task.dev, *task.test]
        segments = getattr(model.config, "type_vocab_size", 0) > 1
        return cls(tokenizer, task.kind, length, any(ex.texts for ex in everything), segments)

    def __call__(self, examples: Sequence[Example]) -> dict[str, torch.Tensor]:
        kw = {"padding": True, "truncation": True, "max_length": self.max_length,
              "return_token_type_ids": self.segments, "return_tensors": "pt"}  # fmt: skip
        if self.kind != "choice":
            first = [ex.texts[0] for ex in examples]
            second = [ex.texts[1] for ex in examples] if self.kind == "pair" else None
            return dict(self.tokenizer(first, second, **kw))
        n = len(examples[0].choices)
        choices = [c for ex in examples for c in ex.choices]  # (B·C,)
        if self.context:
            questions = [(ex.texts or ("",))[0] for ex in examples for _ in ex.choices]
            enc = self.tokenizer(questions, choices, **kw)
        else:
            enc = self.tokenizer(choices, **kw)
        return {k: v.view(len(examples), n, -1) for k, v in enc.items()}  # (B, C, T)


@torch.no_grad()
def predict(
    model: Any, encoder: Encoder, examples: Sequence[Example], batch_size: int, device: Any
) -> list[int]:
    """The predicted label id of every example (argmax of the logits), in order."""
    was_training = model.training
    model.eval()
    preds: list[int] = []
    try:
        for i in range(0, len(examples), batch_size):
            inputs = {k: v.to(device) for k, v in encoder(examples[i : i + batch_size]).items()}
            logits = model(**inputs).logits  # (B, labels) or (B, C)
            preds += logits.argmax(-1).tolist()
    finally:
        model.train(was_training)
    return preds


def correct(preds: Sequence[int], examples: Sequence[Example]) -> list[float]:
    """1.0 per example whose prediction is its label, else 0.0: accuracy is their mean."""
    return [float(p == ex.label) for p, ex in zip(preds, examples, strict=True)]


def score_test(task: Task, preds: list[int], prefix: str = "test_") -> dict[str, Any]:
    """Accuracy with its 95% bootstrap interval over examples, ``n``, and (classification)
    the Matthews correlation."""
    hits = correct(preds, task.test)
    out: dict[str, Any] = {
        f"{prefix}acc": sum(hits) / len(hits),
        f"{prefix}acc_ci": mean_ci(hits, seed=0),
        f"{prefix}n": len(hits),
    }
    if task.kind != "choice":
        gold = [ex.label for ex in task.test]
        out[f"{prefix}mcc"] = float(matthews_corrcoef(gold, preds))
    return out


@dataclass
class TrainOutcome:
    """Per-epoch rows (``epoch``, ``train_loss``, ``dev_acc``, ...), the best dev epoch and
    whether patience ran out before the last epoch."""

    epochs: list[dict[str, Any]]
    best_epoch: int
    best_dev_acc: float
    stopped_early: bool
    n_train: int


def sample_train(examples: Sequence[Example], max_train: int | None, seed: int) -> list[Example]:
    """At most ``max_train`` examples, a seeded sample kept in the original order."""
    if max_train is None or max_train >= len(examples):
        return list(examples)
    picked = sorted(random.Random(f"train:{seed}").sample(range(len(examples)), max_train))
    return [examples[i] for i in picked]


def _param_groups(model: Any, weight_decay: float) -> list[dict[str, Any]]:
    """Decay on weight matrices only, never on biases and LayerNorms (BERT's recipe)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        plain = p.dim() < 2 or "norm" in name.lower() or name.endswith(".bias")
        (no_decay if plain else decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def train_classifier(
    model: Any,
    encoder: Encoder,
    train: Sequence[Example],
    dev: Sequence[Example],
    hp: FinetuneTrain,
    device: Any,
    guard: FixedPruning | None = None,
    eval_batch_size: int = 64,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> TrainOutcome:
    """Fine-tune ``model`` in place on ``train``, choosing the epoch on ``dev``; the model is
    left at its best epoch. The global RNG is used under a fork (dropout is seeded by
    ``hp.seed``, the caller's RNG state is untouched)."""
    from transformers import (  # transformers: slow to import, only on this path
        get_linear_schedule_with_warmup,
    )

    train = sample_train(train, hp.max_train, hp.seed)
    steps_per_epoch = math.ceil(len(train) / hp.batch_size)
    total = steps_per_epoch * hp.epochs
    optimizer = torch.optim.AdamW(_param_groups(model, hp.weight_decay), lr=hp.lr)
    schedule = get_linear_schedule_with_warmup(optimizer, round(hp.warmup_ratio * total), total)
    order_rng = torch.Generator().manual_seed(hp.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    rows: list[dict[str, Any]] = []
    best: tuple[float, int, dict[str, torch.Tensor]] | None = None
    stale = 0
    devices = [device] if torch.device(device).type == "cuda" else []
    if guard is not None:
        guard.attach()
    try:
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(hp.seed)
            for epoch in range(1, hp.epochs + 1):
                t0 = time.perf_counter()
                model.train()
                order = torch.randperm(len(train), generator=order_rng).tolist()
                loss_sum = 0.0
                for i in range(0, len(order), hp.batch_size):
                    batch = [train[j] for j in order[i : i + hp.batch_size]]
                    inputs = {k: v.to(device) for k, v in encoder(batch).items()}
                    labels = torch.tensor([ex.label for ex in batch], device=device)
                    loss = model(**inputs, labels=labels).loss  # mean over the batch
                    loss.backward()
                    if hp.clip is not None:
                        torch.nn.utils.clip_grad_norm_(params, hp.clip)
                    optimizer.step()
                    schedule.step()
                    optimizer.zero_grad(set_to_none=True)
                    if guard is not None:
                        guard.reapply()
                    loss_sum += float(loss.detach()) * len(batch)
                seconds = time.perf_counter() - t0
                dev_acc = _mean(correct(predict(model, encoder, dev, eval_batch_size, device), dev))
                row = {
                    "epoch": epoch,
                    "train_loss": loss_sum / len(train),
                    "dev_acc": dev_acc,
                    "lr": schedule.get_last_lr()[0],
                    "train_s": seconds,
                    "examples_per_s": len(train) / max(seconds, 1e-9),
                }
                rows.append(row)
                if on_epoch is not None:
                    on_epoch(row)
                if best is None or dev_acc > best[0]:
                    state = {
                        k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()
                    }
                    best, stale = (dev_acc, epoch, state), 0
                else:
                    stale += 1
                    if hp.patience is not None and stale >= hp.patience:
                        break
    finally:
        if guard is not None:
            guard.detach()
    assert best is not None  # at least one epoch ran (hp.epochs >= 1)
    model.load_state_dict(best[2])
    model.eval()
    stopped = rows[-1]["epoch"] < hp.epochs
    return TrainOutcome(rows, best[1], best[0], stopped, len(train))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")

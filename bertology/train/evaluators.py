"""Checkpoint evaluators, registered by name.

At every checkpoint the loop runs the evaluators named in ``eval.evaluators`` and writes what
each returns to ``metrics.jsonl`` with the step (``{"kind": "eval", "step": 100,
"evaluator": "uas", "uas": 0.41, ...}``). This module provides ``val_loss`` and ``uas``; other
packages add theirs (``blimp``, ``twonn``) in the registry, :mod:`bertology.train.registry`.

An evaluator is built once per run (load its data in ``__init__``) and called with the model
in eval mode under ``torch.no_grad()``; it must not change the model.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from bertology.errors import InputError
from bertology.models.attention import set_attention_path
from bertology.train.masking import MaskedBatch, mask_tokens, random_token_ids, step_generator
from bertology.train.objective import MLMObjective
from bertology.train.registry import get_evaluator
from bertology.train.trees import UASProbe


class Evaluator(Protocol):
    def __call__(self, model: Any, step: int) -> dict[str, Any]: ...


@dataclass
class EvalContext:
    """What an evaluator may use: the run's config, tokenizer, device and validation data."""

    config: Any  # PretrainConfig
    tokenizer: Any
    device: torch.device
    valid: Any = None  # PackedData of data.valid, or None
    autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
    log: Callable[[str], None] = print
    extra: dict[str, Any] = field(default_factory=dict)


def build_evaluators(names: list[str], ctx: EvalContext) -> dict[str, Evaluator]:
    """Instantiate the named evaluators; an unknown name is an error listing the known ones."""
    return {name: get_evaluator(name)(ctx) for name in names}


def run_evaluators(
    evaluators: dict[str, Evaluator],
    model: Any,
    step: int,
    device: torch.device,
    log_metrics: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """Run every evaluator on ``model`` (eval mode, no grad, the RNG forked so training's
    streams are untouched), log one ``kind: eval`` row each; return all their metrics."""
    metrics: dict[str, Any] = {}
    devices = [device] if device.type == "cuda" else []
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            for name, ev in evaluators.items():
                t0 = time.perf_counter()
                res = dict(ev(model, step))
                row = {"kind": "eval", "step": step, "evaluator": name, **res}
                log_metrics({**row, "eval_time_s": time.perf_counter() - t0})
                metrics.update(res)
    finally:
        model.train(was_training)
    return metrics


class ValLossEvaluator:
    """Masked-LM loss and accuracy on ``data.valid``, with the same masks at every checkpoint."""

    def __init__(self, ctx: EvalContext):
        if ctx.valid is None:
            raise InputError("the val_loss evaluator needs validation text: set data.valid")
        self.ctx = ctx
        cfg = ctx.config
        n = min(len(ctx.valid), cfg.eval.val_max_sequences)
        bs = cfg.impl.eval_batch_size
        mask_id = int(ctx.tokenizer.mask_token_id)
        rand = random_token_ids(ctx.tokenizer)
        self.batches = []
        for start in range(0, n, bs):
            rows = list(range(start, min(n, start + bs)))
            b = ctx.valid.batch(rows, "cpu")
            # each sequence's masks are drawn from its own generator: fixed across checkpoints,
            # and the same whatever impl.eval_batch_size groups the sequences into batches
            parts = [
                mask_tokens(
                    b["input_ids"][i : i + 1],
                    b["first_pos"][i : i + 1],
                    cfg.masking,
                    mask_id,
                    rand,
                    step_generator(cfg.train.seed, r, stream=1),
                )
                for i, r in enumerate(rows)
            ]
            mb = MaskedBatch(
                torch.cat([p.input_ids for p in parts]),
                torch.cat([p.rows + i for i, p in enumerate(parts)]),
                torch.cat([p.cols for p in parts]),
                torch.cat([p.targets for p in parts]),
            )
            self.batches.append((mb, b.get("attention_mask")))

    @torch.no_grad()
    def __call__(self, model: Any, step: int) -> dict[str, Any]:
        set_attention_path(model, self.ctx.config.impl.attn)
        obj = MLMObjective(model)
        dev = self.ctx.device
        ce, correct, k = 0.0, 0, 0
        for mb, am in self.batches:
            with self.ctx.autocast():
                ce_sum, n_ok, _ = obj(
                    mb.input_ids.to(dev),
                    None if am is None else am.to(dev),
                    mb.rows.to(dev),
                    mb.cols.to(dev),
                    mb.targets.to(dev),
                )
            ce += float(ce_sum)
            correct += int(n_ok)
            k += len(mb.targets)
        loss = ce / max(k, 1)
        return {
            "val_loss": loss,
            "val_ppl": math.exp(min(loss, 50.0)),
            "val_acc": correct / max(k, 1),
            "val_masked_tokens": k,
        }


class UASEvaluator:
    """Best-head UAS on a held-out parse set (``eval.uas_conllu``), via :mod:`bertology.syntax`.

    Logs :meth:`~bertology.syntax.uas_result.UASResult.checkpoint_metrics`: the best head's
    clean UAS (``uas``) and its 95% interval over sentences (``uas_ci``), its margin over the
    best offset baseline (``uas_margin``, ``uas_margin_ci``), its UAS on non-adjacent arcs
    (``uas_nonadjacent``), the counts, and every head's UAS as ``uas_heads`` [layer][head], so
    that ``bertology dynamics`` can follow one fixed head across checkpoints.
    """

    def __init__(self, ctx: EvalContext):
        self.probe = UASProbe(
            ctx.config.eval.uas_conllu,
            ctx.tokenizer,
            max_sentences=ctx.config.eval.uas_max_sentences,
            batch_size=ctx.config.impl.eval_batch_size,
            device=ctx.device,
        )

    @torch.no_grad()
    def __call__(self, model: Any, step: int) -> dict[str, Any]:
        set_attention_path(model, "eager")
        return self.probe(model)

"""Train one mask per relation on a frozen model: :func:`train_relation_masks`.

Only the scores are optimised (Adam, linear warm-up then constant lr). The loss is the mean
negative log-likelihood of the gold object at the mask over the relation's *training* facts
(facts are split by subject, so dev/test subjects are never seen). After every epoch the
inference mask is evaluated on the dev split; the best dev P@1 is kept, and training stops
after ``patience`` epochs without improvement. Every epoch's row also says how far the hard
mask has moved from its initialisation (``moved``, the fraction of weights whose keep/prune
decision differs from the one before the first update), since the final sparsity alone cannot
tell a mask that never moved from one that swapped half its weights.

Relations are trained one after another in one process, on one loaded model: the frozen
weights are shared and each relation's scores and optimizer state are freed before the next.
Under ``torchrun`` the relations are sharded across ranks and the masks gathered on every
rank::

    torchrun --nproc_per_node 2 -m bertology.cli prune --model M --facts F --out RUN

Every relation's randomness (initial scores, batch order, concrete noise) is seeded from
``(seed, relation)`` only, so the masks do not depend on how relations are sharded.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F

from bertology.data.facts import Fact, split_by_subject
from bertology.models.heads import logits_at, mask_positions
from bertology.models.load import mask_token_id
from bertology.probe.run import evaluate_prepared
from bertology.probe.scoring import CandidateSet, PreparedFact, encode_prompts, prepare_facts
from bertology.prune.apply import MaskedModel, frozen, masked
from bertology.prune.config import PruneConfig, PruneImpl
from bertology.prune.exchange import gather_results
from bertology.prune.masks import (
    SubnetworkMask,
    expected_sparsity,
    hard_keep,
    inference_masks,
    init_scores,
    moved_fraction,
    training_masks,
)
from bertology.prune.outcome import PruneOutcome, RelationTraining
from bertology.prune.targets import (
    Target,
    find_targets,
    layer_count,
    parse_layers,
    shape_hash,
    weight_fingerprint,
)

SKIP_NO_TRAIN_FACTS = "no single-token training facts"


def relation_seed(seed: int, relation: str) -> int:
    """A seed that depends only on the run seed and the relation name (shard-independent)."""
    return zlib.crc32(f"{seed}:{relation}".encode())


def _examples(prepared: Sequence[Any]) -> list[tuple[str, int]]:
    """``(prompt, gold id)`` for every prompt of every training fact."""
    return [(p, pf.gold_id) for pf in prepared for p in pf.prompts]


def _dev_p1(
    model: Any,
    tokenizer: Any,
    mm: MaskedModel,
    masks: list[torch.Tensor],
    dev: tuple[list[PreparedFact], list[tuple[Fact, str]], set[str]],
    bs: int,
) -> float:
    """Micro P@1 on the relation's dev facts (prepared once, before the first epoch)."""
    mm.set(masks)
    ev = evaluate_prepared(model, tokenizer, *dev, ks=(1,), batch_size=bs)
    return float(ev.metrics["micro"]["p@1"])


def mask_training_step(
    model: Any,
    mm: MaskedModel,
    scores: list[torch.Tensor],
    opt: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    gold: torch.Tensor,
    mask_id: int,
    cfg: PruneConfig,
    noise: torch.Generator | None,
) -> torch.Tensor:
    """One optimisation step of the scores on ``batch`` (``input_ids (B, T)``, ``gold (B,)``).

    Samples (or thresholds) the masks, runs the masked model with the MLM head only at the
    mask positions, and steps the optimizer. Returns the detached loss.
    """
    mcfg = cfg.mask_config()
    rows, cols = mask_positions(batch["input_ids"], mask_id)  # one mask per prompt
    mm.set(training_masks(scores, mcfg, noise))
    logits = logits_at(model, batch, rows, cols)  # (B, V)
    loss = F.cross_entropy(logits.float(), gold)
    if cfg.sparsity_weight > 0:
        s = expected_sparsity(scores, mcfg)
        reg = (1.0 - s) if cfg.sparsity_target is None else (s - cfg.sparsity_target) ** 2
        loss = loss + cfg.sparsity_weight * reg
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.detach()


def _train_relation(
    model: Any,
    tokenizer: Any,
    mm: MaskedModel,
    relation: str,
    split: dict[str, list[Fact]],
    cfg: PruneConfig,
    identity: dict[str, Any],
    on_metrics: Callable[[dict[str, Any]], None] | None,
    bar_position: int,
    impl: PruneImpl,
    candidates: CandidateSet,
) -> RelationTraining:
    device = next(model.parameters()).device
    mcfg = cfg.mask_config()
    prepared, _ = prepare_facts(split["train"], tokenizer)
    examples = _examples(prepared)
    if not examples:
        return RelationTraining(relation, None, skipped=SKIP_NO_TRAIN_FACTS)
    dev_prepared, dev_skipped = prepare_facts(split["dev"], tokenizer, candidates)
    dev = (dev_prepared, dev_skipped, {f.relation for f in split["dev"]})
    gen = torch.Generator().manual_seed(relation_seed(cfg.seed, relation))
    scores = init_scores(mm.targets, mcfg, gen, device)  # [(out, in)] leaf tensors
    # the hard mask before the first update: how far it moves is reported every epoch
    init_keep = [hard_keep(g.detach(), mcfg.threshold) for g in scores]  # [(out, in)] bool
    noise = gen if device.type == "cpu" else torch.Generator(device).manual_seed(gen.initial_seed())
    opt = torch.optim.Adam(scores, lr=cfg.lr)
    steps_per_epoch = math.ceil(len(examples) / cfg.batch_size)
    warmup = round(cfg.warmup * cfg.epochs * steps_per_epoch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (warmup + 1)))
    mid = mask_token_id(tokenizer)
    best: list[torch.Tensor] | None = None
    out = RelationTraining(relation, None, n_train=len(prepared))
    out.initial_sparsity = 1.0 - sum(int(k.sum()) for k in init_keep) / sum(
        k.numel() for k in init_keep
    )
    since_best = 0
    t0 = time.perf_counter()
    bar = _bar(impl.progress, cfg.epochs * steps_per_epoch, relation, bar_position)
    for epoch in range(1, cfg.epochs + 1):
        order = torch.randperm(len(examples), generator=gen).tolist()
        losses = []
        for start in range(0, len(order), cfg.batch_size):
            chunk = [examples[i] for i in order[start : start + cfg.batch_size]]
            batch = encode_prompts(tokenizer, [p for p, _ in chunk], device)
            gold = torch.tensor([g for _, g in chunk], device=device)  # (b,)
            loss = mask_training_step(model, mm, scores, opt, batch, gold, mid, cfg, noise)
            sched.step()
            losses.append(float(loss.detach()))
            out.steps += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{losses[-1]:.3f}")
        mm.set(None)
        row: dict[str, Any] = {
            "relation": relation,
            "epoch": epoch,
            "train_loss": sum(losses) / len(losses),
            "seconds": time.perf_counter() - t0,
        }
        with torch.no_grad():
            eval_masks = inference_masks(scores, mcfg, hard=not cfg.eval_soft)
            row["sparsity"] = 1.0 - float(
                sum(hard_keep(g, mcfg.threshold).sum() for g in scores)
            ) / sum(g.numel() for g in scores)
            row["moved"] = moved_fraction(init_keep, scores, mcfg.threshold)
            if dev_prepared:
                row["dev_p@1"] = _dev_p1(
                    model, tokenizer, mm, eval_masks, dev, impl.eval_batch_size
                )
            mm.set(None)
        out.history.append(row)
        if on_metrics is not None:
            on_metrics(row)
        dev_p1 = row.get("dev_p@1")
        if dev_p1 is None or out.best_dev_p1 is None or dev_p1 > out.best_dev_p1:
            best = [g.detach().clone() for g in scores]
            out.best_epoch, out.best_dev_p1, since_best = epoch, dev_p1, 0
            out.moved = row["moved"]
        else:
            since_best += 1
            if cfg.patience and since_best >= cfg.patience:
                break
    if bar is not None:
        bar.close()
    out.seconds = time.perf_counter() - t0
    assert best is not None
    out.mask = _to_mask(relation, mm.targets, best, cfg, identity)
    return out


@torch.no_grad()
def _to_mask(
    relation: str,
    targets: list[Target],
    scores: list[torch.Tensor],
    cfg: PruneConfig,
    identity: dict[str, Any],
) -> SubnetworkMask:
    probs = [torch.sigmoid(g).cpu() for g in scores]
    keep = {t.name: hard_keep(g, cfg.threshold).cpu() for t, g in zip(targets, scores, strict=True)}
    soft = (
        {t.name: p.half() for t, p in zip(targets, probs, strict=True)}
        if cfg.mode == "stochastic"
        else None
    )
    return SubnetworkMask(
        relation=relation,
        targets=targets,
        keep=keep,
        soft=soft,
        mode=cfg.mode,
        threshold=cfg.threshold,
        layers=identity["layers"],
        model_name=identity["name"],
        model_shape_hash=identity["shape_hash"],
        model_fingerprint=identity["fingerprint"],
        config=asdict(cfg),
    )


def _bar(enabled: bool, total: int, relation: str, position: int) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm  # tqdm: only with progress bars

    return tqdm(total=total, desc=f"mask {relation}", unit="step", leave=False, position=position)


def train_relation_masks(
    model: Any,
    tokenizer: Any,
    facts: Sequence[Fact],
    config: PruneConfig,
    model_name: str = "",
    on_metrics: Callable[[dict[str, Any]], None] | None = None,
    impl: PruneImpl | None = None,
    candidates: CandidateSet | None = None,
) -> PruneOutcome:
    """Train a mask for every relation in ``facts``; only the mask scores are optimised.

    ``facts`` holds all facts of all relations; they are split by subject with
    ``config.split_seed``/``split_ratios``. A relation with no single-token training facts is
    reported as skipped. ``impl`` (evaluation batch size, progress bars) changes only speed.
    ``candidates``, the dev ranking vocabulary, is resolved from ``config.candidates`` unless
    the caller resolved it already.
    Under ``torchrun`` (an initialised process group) relations are
    sharded across ranks and every rank returns all masks.
    """
    torch.manual_seed(config.seed)
    layers = parse_layers(config.layers, layer_count(model))
    targets = find_targets(model, layers)
    identity = {
        "name": model_name,
        "shape_hash": shape_hash(model),
        "fingerprint": weight_fingerprint(model, targets),
        "layers": layers,
    }
    splits = split_by_subject(list(facts), config.split_ratios, config.split_seed)
    # resolved once: a candidates file is read here; "relation" candidates are each
    # relation's objects over all splits, as probing takes them
    candidates = candidates or CandidateSet.resolve(config.candidates, list(facts))
    by_rel: dict[str, dict[str, list[Fact]]] = {}
    for name, fs in splits.items():
        for f in fs:
            by_rel.setdefault(f.relation, {"train": [], "dev": [], "test": []})[name].append(f)
    relations = sorted(by_rel)
    world = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
    rank = dist.get_rank() if world > 1 else 0
    mine = relations[rank::world]
    was_training = model.training
    model.eval()  # dropout off: the mask is the only source of noise
    results: dict[str, RelationTraining] = {}
    try:
        with frozen(model), masked(model, targets) as mm:
            for rel in mine:
                results[rel] = _train_relation(
                    model,
                    tokenizer,
                    mm,
                    rel,
                    by_rel[rel],
                    config,
                    identity,
                    on_metrics,
                    rank,
                    impl or PruneImpl(),
                    candidates,
                )
    finally:
        model.train(was_training)
    if world > 1:
        results = gather_results(results, targets)
    return PruneOutcome({r: results[r] for r in relations}, splits, targets, layers)

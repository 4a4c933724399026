"""Mask training: it learns, touches only the scores, is seeded, and skips unscorable relations."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from bertology.data.facts import Fact
from bertology.probe.run import evaluate_facts
from bertology.prune.apply import applied
from bertology.prune.masks import SubnetworkMask
from bertology.prune.train import (
    SKIP_NO_TRAIN_FACTS,
    PruneConfig,
    RelationTraining,
    train_relation_masks,
)


def _cfg(**kw):
    base = dict(
        layers="all",
        epochs=60,
        lr=0.01,
        batch_size=8,
        split_ratios=(1.0, 0.0, 0.0),  # everything in train: this tests the optimisation
    )
    base.update(kw)
    return PruneConfig(**base)


def test_training_drives_train_p_at_1_from_near_zero_to_at_least_0_9(
    scaled_bert, wordpiece_tokenizer, small_facts
):
    tok = wordpiece_tokenizer
    before = evaluate_facts(scaled_bert, tok, small_facts).metrics["micro"]["p@1"]
    weights = {n: p.clone() for n, p in scaled_bert.named_parameters()}
    rows = []
    out = train_relation_masks(scaled_bert, tok, small_facts, _cfg(), on_metrics=rows.append)
    assert before <= 0.25
    for rel, rt in out.relations.items():
        facts = [f for f in small_facts if f.relation == rel]
        with applied(scaled_bert, rt.mask):
            after = evaluate_facts(scaled_bert, tok, facts).metrics["micro"]["p@1"]
        assert after >= 0.9, (rel, after, rt.history[-1])
        assert rt.history[-1]["train_loss"] < rt.history[0]["train_loss"]
    # only the scores were optimised: the frozen weights are bit-identical and still the
    # model's own parameters, with their requires_grad restored
    for n, p in scaled_bert.named_parameters():
        assert torch.equal(p, weights[n]) and p.requires_grad
    assert {r["relation"] for r in rows} == {"capital", "material"}


def test_same_seed_gives_the_same_masks_and_the_stochastic_mode_trains(
    scaled_bert, wordpiece_tokenizer, small_facts
):
    cfg = _cfg(epochs=3, mode="stochastic", tau=0.5)
    a = train_relation_masks(scaled_bert, wordpiece_tokenizer, small_facts, cfg)
    b = train_relation_masks(scaled_bert, wordpiece_tokenizer, small_facts, cfg)
    c = train_relation_masks(
        scaled_bert,
        wordpiece_tokenizer,
        small_facts,
        _cfg(epochs=3, mode="stochastic", tau=0.5, seed=1),
    )
    for rel in ("capital", "material"):
        ma, mb, mc = (x.relations[rel].mask for x in (a, b, c))
        assert all(torch.equal(ma.soft[k], mb.soft[k]) for k in ma.keep)
        assert not all(torch.equal(ma.soft[k], mc.soft[k]) for k in ma.keep)
        assert ma.soft is not None and ma.mode == "stochastic"


@pytest.mark.parametrize("mode", ["deterministic", "stochastic"])
def test_early_stopping_returns_the_mask_of_the_best_dev_epoch_not_the_last(
    scaled_bert: Any, wordpiece_tokenizer: Any, small_facts: list[Fact], mode: str
) -> None:
    """Guards early stopping: the reported best epoch is the first with the highest dev P@1,
    training stops ``patience`` epochs after it, and the *returned* mask is the one the scores
    had at that epoch, not at the last epoch run. The reference replays the same training
    steps without a dev split (same train facts, seed and steps; no warm-up, so the schedule
    does not depend on the epoch count), stopping after ``best_epoch`` epochs, and after all
    the epochs run for the last epoch's mask, which must differ."""
    tok = wordpiece_tokenizer
    kw = dict(warmup=0.0, mode=mode, tau=0.5)
    cfg = _cfg(epochs=6, patience=2, split_ratios=(0.5, 0.5, 0.0), **kw)
    out = train_relation_masks(scaled_bert, tok, small_facts, cfg)
    stopped_early = 0
    for rel, rt in out.relations.items():
        devs = [h["dev_p@1"] for h in rt.history]
        assert rt.best_dev_p1 == max(devs)
        assert rt.best_epoch == 1 + devs.index(max(devs))
        assert len(rt.history) == 6 or len(rt.history) - rt.best_epoch == 2
        dev = [f for f in out.splits["dev"] if f.relation == rel]
        with applied(scaled_bert, rt.mask, soft=mode == "stochastic"):
            got = evaluate_facts(scaled_bert, tok, dev).metrics["micro"]["p@1"]
        assert got == rt.best_dev_p1  # the returned mask scores what was reported

        train = [f for f in out.splits["train"] if f.relation == rel]
        at_best = _replay(scaled_bert, tok, train, rt, rt.best_epoch, **kw)
        assert _same_mask(rt.mask, at_best)
        if rt.best_epoch < len(rt.history):
            stopped_early += 1
            at_last = _replay(scaled_bert, tok, train, rt, len(rt.history), **kw)
            assert not _same_mask(rt.mask, at_last)
    assert stopped_early >= 1  # else the test could not tell the best epoch from the last


def _replay(
    model: Any, tok: Any, train: list[Fact], rt: RelationTraining, epochs: int, **kw: Any
) -> SubnetworkMask:
    """The mask after ``epochs`` epochs of ``rt``'s training steps, replayed on its train
    facts alone (no dev split: nothing selects an epoch, the last one is returned)."""
    cfg = _cfg(epochs=epochs, patience=0, split_ratios=(1.0, 0.0, 0.0), **kw)
    again = train_relation_masks(model, tok, train, cfg).relations[rt.relation]
    losses = [h["train_loss"] for h in again.history]
    assert losses == [h["train_loss"] for h in rt.history[:epochs]]  # the same steps
    assert again.mask is not None
    return again.mask


def _same_mask(a: SubnetworkMask, b: SubnetworkMask) -> bool:
    """Equal keep bits (and equal soft values, if any) in every matrix."""
    if not all(torch.equal(a.keep[k], b.keep[k]) for k in a.keep):
        return False
    if a.soft is None or b.soft is None:
        return a.soft is b.soft
    return all(torch.equal(a.soft[k], b.soft[k]) for k in a.soft)


def test_relation_without_single_token_training_facts_is_reported_and_skipped(
    scaled_bert, wordpiece_tokenizer, small_facts
):
    facts = [*small_facts, Fact("one", "story", "extraordinarily", ("one is an [MASK] story .",))]
    out = train_relation_masks(scaled_bert, wordpiece_tokenizer, facts, _cfg(epochs=1))
    assert out.relations["story"].mask is None
    assert out.relations["story"].skipped == SKIP_NO_TRAIN_FACTS
    assert out.relations["capital"].mask is not None

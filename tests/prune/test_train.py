"""Mask training: it learns, touches only the scores, is seeded, and skips unscorable relations."""

from __future__ import annotations

import torch

from bertology.data.facts import Fact
from bertology.probe.run import evaluate_facts
from bertology.prune.apply import applied
from bertology.prune.train import SKIP_NO_TRAIN_FACTS, PruneConfig, train_relation_masks


def _cfg(**kw):
    base = dict(
        layers="all",
        epochs=60,
        lr=0.01,
        batch_size=8,
        split_ratios=(1.0, 0.0, 0.0),  # everything in train: this tests the optimisation
        progress=False,
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


def test_early_stopping_keeps_the_best_dev_epoch(scaled_bert, wordpiece_tokenizer, small_facts):
    cfg = _cfg(epochs=6, patience=2, split_ratios=(0.5, 0.5, 0.0))
    out = train_relation_masks(scaled_bert, wordpiece_tokenizer, small_facts, cfg)
    for rt in out.relations.values():
        devs = [h["dev_p@1"] for h in rt.history]
        assert rt.best_dev_p1 == max(devs)
        assert rt.best_epoch == 1 + devs.index(max(devs))
        assert len(rt.history) == 6 or len(rt.history) - rt.best_epoch == 2


def test_relation_without_single_token_training_facts_is_reported_and_skipped(
    scaled_bert, wordpiece_tokenizer, small_facts
):
    facts = [*small_facts, Fact("one", "story", "extraordinarily", ("one is an [MASK] story .",))]
    out = train_relation_masks(scaled_bert, wordpiece_tokenizer, facts, _cfg(epochs=1))
    assert out.relations["story"].mask is None
    assert out.relations["story"].skipped == SKIP_NO_TRAIN_FACTS
    assert out.relations["capital"].mask is not None

"""A subnetwork stays a subnetwork while it is fine-tuned: pruned weights are exactly zero
before the first step, get no gradient, and are zero after every step and after training,
whatever weight decay and the learning rate do."""

from __future__ import annotations

import pytest
import torch

from bertology.finetune.config import FinetuneTrain
from bertology.finetune.data import RawExample, build_task
from bertology.finetune.loop import Encoder, _param_groups, train_classifier
from bertology.finetune.model import FixedPruning, classifier_from_mlm


@pytest.fixture()
def keyword_task(helpers):
    def rows(n, seed):
        return [RawExample((r["text"],), str(r["label"])) for r in helpers.keyword_rows(n, seed)]

    return build_task("keyword", "single", {"train": rows(64, 1), "dev": rows(32, 2),
                                            "test": rows(32, 3)})  # fmt: skip


def _setup(tiny_bert, wordpiece_tokenizer, helpers, task):
    clf = classifier_from_mlm(tiny_bert, "single", 2, seed=0)
    mask = helpers.random_mask(tiny_bert, p=0.5)
    return clf, mask, Encoder.for_task(wordpiece_tokenizer, task, clf, 32)


def _pruned_and_kept(clf, mask):
    params = dict(clf.named_parameters())
    for t in mask.targets:
        keep = mask.keep[t.name]
        yield t.name, params[t.name][~keep], params[t.name][keep]


def test_fine_tuning_keeps_pruned_weights_exactly_zero_and_trains_the_kept_ones(
    tiny_bert, wordpiece_tokenizer, helpers, keyword_task
):
    clf, mask, enc = _setup(tiny_bert, wordpiece_tokenizer, helpers, keyword_task)
    before = {n: p.detach().clone() for n, p in clf.named_parameters()}
    guard = FixedPruning(clf, mask)
    # a large rate and strong decay: anything that reaches a pruned weight moves it visibly
    hp = FinetuneTrain(epochs=2, lr=1e-2, weight_decay=0.5, batch_size=16, patience=None)
    train_classifier(clf, enc, keyword_task.train, keyword_task.dev, hp, "cpu", guard)
    assert guard.nonzero_pruned() == 0
    for name, pruned, kept in _pruned_and_kept(clf, mask):
        assert pruned.numel() > 0 and torch.all(pruned == 0), name
        assert not torch.equal(kept, before[name][mask.keep[name]]), f"{name} did not train"
    assert not guard._hooks  # the hooks go with the loop


def test_pruned_weights_are_zero_before_the_first_step_and_get_no_gradient(
    tiny_bert, wordpiece_tokenizer, helpers, keyword_task
):
    clf, mask, enc = _setup(tiny_bert, wordpiece_tokenizer, helpers, keyword_task)
    guard = FixedPruning(clf, mask)
    guard.attach()
    for name, pruned, _ in _pruned_and_kept(clf, mask):
        assert torch.all(pruned == 0), f"{name}: the first forward pass would use pruned weights"
    batch = keyword_task.train[:8]
    loss = clf(**enc(batch), labels=torch.tensor([ex.label for ex in batch])).loss
    loss.backward()
    params = dict(clf.named_parameters())
    for t in mask.targets:
        g = params[t.name].grad
        assert torch.all(g[~mask.keep[t.name]] == 0), f"{t.name}: pruned weights got a gradient"
        assert g[mask.keep[t.name]].abs().sum() > 0
    guard.detach()


def test_the_loop_rezeroes_pruned_weights_that_an_update_moved(
    tiny_bert, wordpiece_tokenizer, helpers, keyword_task, monkeypatch
):
    """Without the gradient hook, AdamW's update and weight decay do reach pruned weights;
    the re-zeroing after each step must still hold them at zero."""
    clf, mask, enc = _setup(tiny_bert, wordpiece_tokenizer, helpers, keyword_task)
    guard = FixedPruning(clf, mask)
    monkeypatch.setattr(guard, "attach", guard.reapply)  # zero once, no hooks
    steps = []
    real = guard.reapply
    monkeypatch.setattr(guard, "reapply", lambda: (steps.append(1), real()))
    hp = FinetuneTrain(epochs=1, lr=1e-2, weight_decay=0.5, batch_size=16, patience=None)
    train_classifier(clf, enc, keyword_task.train, keyword_task.dev, hp, "cpu", guard)
    assert len(steps) == 64 // 16  # once after every optimizer step
    assert guard.nonzero_pruned() == 0


def test_reapply_zeroes_only_the_pruned_weights(tiny_bert, helpers):
    clf = classifier_from_mlm(tiny_bert, "single", 2, seed=0)
    mask = helpers.random_mask(tiny_bert, p=0.3, seed=1)
    guard = FixedPruning(clf, mask)
    with torch.no_grad():
        for p in clf.parameters():
            p.fill_(1.5)
    guard.reapply()
    for name, pruned, kept in _pruned_and_kept(clf, mask):
        assert torch.all(pruned == 0) and torch.all(kept == 1.5), name
    assert guard.nonzero_pruned() == 0


def test_weight_decay_skips_biases_and_layer_norms(tiny_bert):
    clf = classifier_from_mlm(tiny_bert, "single", 2, seed=0)
    decay, no_decay = _param_groups(clf, 0.01)
    names = {id(p): n for n, p in clf.named_parameters()}
    assert decay["weight_decay"] == 0.01 and no_decay["weight_decay"] == 0.0
    assert all(names[id(p)].endswith("weight") and p.dim() == 2 for p in decay["params"])
    plain = {names[id(p)] for p in no_decay["params"]}
    assert any("LayerNorm" in n for n in plain) and any(n.endswith(".bias") for n in plain)
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(clf.parameters()))

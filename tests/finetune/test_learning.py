"""Fine-tuning learns, chooses its epoch on dev only, and stops when dev stops improving."""

from __future__ import annotations

import json

import pytest
import torch

from bertology.finetune import loop
from bertology.finetune.config import FinetuneConfig, FinetuneTrain
from bertology.finetune.loop import Encoder, correct, predict, score_test, train_classifier
from bertology.finetune.model import classifier_from_mlm
from bertology.finetune.run import finetune
from bertology.finetune.tasks import load_task

FAST = FinetuneTrain(epochs=6, lr=1e-3, batch_size=16, warmup_ratio=0.0, patience=None)


def test_a_tiny_model_learns_a_keyword_task_well_above_chance(
    tiny_bert, wordpiece_tokenizer, keyword_dir
):
    task = load_task(str(keyword_dir))
    assert task.labels == ["0", "1"] and task.kind == "single"
    clf = classifier_from_mlm(tiny_bert, task.kind, task.num_labels, seed=0)
    enc = Encoder.for_task(wordpiece_tokenizer, task, clf, 32)
    out = train_classifier(clf, enc, task.train, task.dev, FAST, "cpu")
    assert out.epochs[0]["train_loss"] > out.epochs[-1]["train_loss"]
    assert out.best_dev_acc >= 0.9
    hits = correct(predict(clf, enc, task.test, 64, "cpu"), task.test)
    assert sum(hits) / len(hits) >= 0.9  # chance is 0.5


def test_the_same_seed_gives_the_same_model_and_another_seed_another(
    tiny_bert, wordpiece_tokenizer, keyword_dir
):
    task = load_task(str(keyword_dir))
    hp = FinetuneTrain(epochs=1, lr=1e-3, batch_size=16)

    def weights(seed: int) -> torch.Tensor:
        clf = classifier_from_mlm(tiny_bert, task.kind, 2, seed=seed)
        enc = Encoder.for_task(wordpiece_tokenizer, task, clf, 32)
        train_classifier(clf, enc, task.train[:32], task.dev, FinetuneTrain(**{**hp.__dict__, "seed": seed}), "cpu")  # fmt: skip
        return torch.cat([p.detach().reshape(-1) for p in clf.parameters()])

    assert torch.equal(weights(0), weights(0))
    assert not torch.equal(weights(0), weights(1))


def test_early_stopping_chooses_the_epoch_on_dev_never_on_test(
    tiny_bert, tiny_bert_dir, keyword_dir, helpers, tmp_path
):
    """Test labels are the inverse of dev's: the better the model on dev, the worse on test.
    The chosen epoch must be dev's best, and its weights the ones tested."""
    helpers.write_jsonl(keyword_dir / "test.jsonl", helpers.keyword_rows(100, 3, invert=True))
    cfg = FinetuneConfig(model=str(tiny_bert_dir), task=str(keyword_dir), train=FAST)
    cfg.impl.device = "cpu"
    res = finetune(cfg, tmp_path / "run")
    dev = [r["dev_acc"] for r in res["epochs"]]
    assert res["best_epoch"] == 1 + dev.index(max(dev))
    assert res["dev_acc"] == max(dev) >= 0.9
    assert res["test_acc"] <= 0.1  # the dev-chosen model, scored on inverted labels
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["dev_acc"] for r in rows] == dev
    assert not any("test" in k for r in rows for k in r)  # no test number while training


def test_the_best_epochs_weights_are_restored(
    tiny_bert, wordpiece_tokenizer, keyword_dir, monkeypatch
):
    """Dev accuracy scripted to peak at epoch 2 of 4: the model ends with epoch 2's weights."""
    task = load_task(str(keyword_dir))
    clf = classifier_from_mlm(tiny_bert, task.kind, task.num_labels, seed=0)
    enc = Encoder.for_task(wordpiece_tokenizer, task, clf, 32)
    script = iter([0.6, 0.9, 0.7, 0.9])  # a tie later on does not replace the first best

    def scripted(model, encoder, examples, batch_size, device):
        k = round(next(script) * len(examples))
        return [ex.label if i < k else 1 - ex.label for i, ex in enumerate(examples)]

    monkeypatch.setattr(loop, "predict", scripted)
    snapshots = []

    def snapshot(row):
        snapshots.append({k: v.clone() for k, v in clf.state_dict().items()})

    hp = FinetuneTrain(epochs=4, lr=1e-3, batch_size=16, patience=None)
    out = train_classifier(clf, enc, task.train, task.dev, hp, "cpu", on_epoch=snapshot)
    assert [r["dev_acc"] for r in out.epochs] == [0.6, 0.9, 0.7, 0.9]
    assert out.best_epoch == 2 and out.best_dev_acc == 0.9
    final = clf.state_dict()
    assert all(torch.equal(final[k], snapshots[1][k]) for k in final)
    assert not all(torch.equal(final[k], snapshots[3][k]) for k in final)


def test_patience_stops_training_after_epochs_without_a_better_dev_accuracy(
    tiny_bert, wordpiece_tokenizer, keyword_dir
):
    task = load_task(str(keyword_dir))
    clf = classifier_from_mlm(tiny_bert, task.kind, task.num_labels, seed=0)
    enc = Encoder.for_task(wordpiece_tokenizer, task, clf, 32)
    hp = FinetuneTrain(epochs=10, lr=1e-12, batch_size=64, patience=2)  # dev accuracy is flat
    out = train_classifier(clf, enc, task.train, task.dev, hp, "cpu")
    assert [r["epoch"] for r in out.epochs] == [1, 2, 3]
    assert out.best_epoch == 1 and out.stopped_early


def test_test_scores_are_accuracy_with_its_interval_n_and_mcc(keyword_dir):
    task = load_task(str(keyword_dir))
    gold = [ex.label for ex in task.test]
    preds = [g if i % 4 else 1 - g for i, g in enumerate(gold)]  # every 4th wrong
    res = score_test(task, preds)
    assert res["test_n"] == 100 and res["test_acc"] == 0.75
    lo, hi = res["test_acc_ci"]
    assert 0.6 < lo < 0.75 < hi < 0.9
    tp = sum(p == g == 1 for p, g in zip(preds, gold, strict=True))
    tn = sum(p == g == 0 for p, g in zip(preds, gold, strict=True))
    fp = sum(p == 1 and g == 0 for p, g in zip(preds, gold, strict=True))
    fn = sum(p == 0 and g == 1 for p, g in zip(preds, gold, strict=True))
    mcc = (tp * tn - fp * fn) / ((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)) ** 0.5
    assert res["test_mcc"] == pytest.approx(mcc) and 0 < mcc < 1

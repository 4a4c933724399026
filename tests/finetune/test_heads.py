"""The Hugging Face heads on a masked LM's encoder: weights copied (never shared), the new
head seeded, multiple choice and sentence pairs trained through the same loop."""

from __future__ import annotations

import random

import torch

from bertology.finetune.config import FinetuneTrain
from bertology.finetune.data import RawExample, build_task
from bertology.finetune.loop import Encoder, correct, predict, train_classifier
from bertology.finetune.model import classifier_from_mlm


def test_the_classifier_copies_the_encoder_and_seeds_its_new_head(tiny_bert):
    clf = classifier_from_mlm(tiny_bert, "pair", 3, seed=0)
    mlm = dict(tiny_bert.named_parameters())
    for name, p in clf.named_parameters():
        if name in mlm:
            assert torch.equal(p, mlm[name]) and p.data_ptr() != mlm[name].data_ptr(), name
    assert clf.config.num_labels == 3 and clf.classifier.out_features == 3
    again = classifier_from_mlm(tiny_bert, "pair", 3, seed=0)
    other = classifier_from_mlm(tiny_bert, "pair", 3, seed=1)
    assert torch.equal(clf.classifier.weight, again.classifier.weight)
    assert not torch.equal(clf.classifier.weight, other.classifier.weight)


def _choice_rows(n: int, seed: int, helpers) -> list[RawExample]:
    """Three sentences; the right choice is the one with ``cat`` in it."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        plain = [r["text"] for r in helpers.keyword_rows(6, rng.randrange(10**6)) if not r["label"]]
        right = rng.randrange(3)
        choices = plain[:3]
        words = choices[right].split()
        words.insert(rng.randrange(len(words) + 1), "cat")
        choices[right] = " ".join(words)
        rows.append(RawExample(("which one has the cat ?",), str(right), tuple(choices)))
    return rows


def test_a_multiple_choice_head_learns_to_pick_the_right_choice(
    tiny_bert, wordpiece_tokenizer, helpers
):
    splits = {s: _choice_rows(n, i, helpers) for i, (s, n) in
              enumerate([("train", 160), ("dev", 60), ("test", 60)])}  # fmt: skip
    task = build_task("choice", "choice", splits)
    clf = classifier_from_mlm(tiny_bert, "choice", task.num_labels, seed=0)
    enc = Encoder.for_task(wordpiece_tokenizer, task, clf, 32)
    assert enc(task.test[:4])["input_ids"].shape[:2] == (4, 3)  # (B, C, T)
    hp = FinetuneTrain(epochs=8, lr=2e-3, batch_size=16, warmup_ratio=0.0, patience=None)
    out = train_classifier(clf, enc, task.train, task.dev, hp, "cpu")
    hits = correct(predict(clf, enc, task.test, 64, "cpu"), task.test)
    assert out.best_dev_acc >= 0.7 and sum(hits) / len(hits) >= 0.7  # chance is 1/3


def test_a_sentence_pair_task_encodes_both_texts(tiny_bert, wordpiece_tokenizer):
    rows = [RawExample(("the cat sat", "on the mat"), str(i % 2)) for i in range(8)]
    task = build_task("pairs", "pair", {"train": rows, "dev": rows[:2], "test": rows[:2]})
    clf = classifier_from_mlm(tiny_bert, "pair", 2, seed=0)
    enc = Encoder.for_task(wordpiece_tokenizer, task, clf, 32)
    batch = enc(task.test)
    assert set(batch["token_type_ids"][0].tolist()) == {0, 1}  # two segments
    hp = FinetuneTrain(epochs=1, lr=1e-3, batch_size=4)
    out = train_classifier(clf, enc, task.train, task.dev, hp, "cpu")
    assert torch.isfinite(torch.tensor(out.epochs[0]["train_loss"]))

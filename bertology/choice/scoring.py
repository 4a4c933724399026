"""Score each choice of an item by pseudo-log-likelihood and predict the best one.

The score of choice ``c`` is the PLL (:func:`bertology.evals.pll.pll`, any of its metrics) of
``question + " " + c``, the whole text: the question's tokens are scored too, and their
probabilities depend on the choice, since the model reads both directions.

- ``normalize="sum"`` (the default): the score is the PLL itself.
- ``normalize="mean"``: the PLL divided by its number of units, so that long choices are not
  penalised for their length alone. The unit is the token for ``original`` (each token's
  log-probability is one term) and the word for ``word_l2r`` and ``whole_word``, whose terms
  within a word form the word's log-probability (the chain rule inside it), so a word split
  into many pieces counts once. Words are the fast tokenizer's (``word_ids``).

The prediction is the index of the highest score; **a tie goes to the first** of the tied
choices (the item order decides, never chance), so a model that gives every choice the same
score predicts choice 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bertology.choice.data import ChoiceItem
from bertology.errors import InputError
from bertology.evals.pll import PLLStats, pll
from bertology.stats import mean_ci

NORMALIZATIONS = ("sum", "mean")


@dataclass
class ItemScore:
    """One item's PLL per choice, the units each PLL sums over, the scores and prediction."""

    item: ChoiceItem
    plls: list[float]
    units: list[int]
    scores: list[float]
    prediction: int

    @property
    def correct(self) -> bool:
        return self.prediction == self.item.label

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"id": self.item.id}
        if self.item.split is not None:
            row["split"] = self.item.split
        row["scores"] = self.scores
        row["prediction"] = self.prediction
        row["label"] = self.item.label
        row["correct"] = self.correct
        row["pll"] = self.plls  # the sums the scores come from, and their units
        row["units"] = self.units
        return row


def predict(scores: Sequence[float]) -> int:
    """The index of the highest score; the first one when several tie."""
    best = 0
    for i in range(1, len(scores)):
        if scores[i] > scores[best]:
            best = i
    return best


def word_counts(tokenizer: Any, texts: Sequence[str]) -> list[int]:
    """Words per text among its non-special tokens (a token without a word counts as one)."""
    enc = tokenizer(list(texts), add_special_tokens=True, return_special_tokens_mask=True)
    out = []
    for i in range(len(texts)):
        words = enc.word_ids(i)
        scored = [t for t, s in enumerate(enc["special_tokens_mask"][i]) if not s]
        named = {words[t] for t in scored if words[t] is not None}
        out.append(len(named) + sum(words[t] is None for t in scored))
    return out


def score_items(
    model: Any,
    tokenizer: Any,
    items: Sequence[ChoiceItem],
    metric: str,
    normalize: str = "sum",
    token_budget: int = 2048,
    head_rows: int = 512,
    stats: PLLStats | None = None,
) -> list[ItemScore]:
    """Every item's choices scored (see the module docstring), in input order.

    ``token_budget`` and ``head_rows`` only bound memory (:func:`bertology.evals.pll.pll`).
    All choices of all items go through one PLL call, so sub-batches are full.
    """
    if normalize not in NORMALIZATIONS:
        raise InputError(f"unknown normalization {normalize!r}; known: {', '.join(NORMALIZATIONS)}")
    texts = [t for item in items for t in item.texts()]
    sources = [item.source for item in items for _ in item.choices]
    plls = pll(model, tokenizer, texts, metric, token_budget, head_rows, sources, stats)
    if metric == "original":
        units = [len(p.log_probs) for p in plls]
    else:
        units = word_counts(tokenizer, texts)
    out, k = [], 0
    for item in items:
        n = len(item.choices)
        totals = [p.total for p in plls[k : k + n]]
        counts = units[k : k + n]
        k += n
        scores = (
            totals if normalize == "sum" else [t / u for t, u in zip(totals, counts, strict=True)]
        )
        out.append(ItemScore(item, totals, counts, scores, predict(scores)))
    return out


def accuracy(scored: Sequence[ItemScore]) -> dict[str, Any]:
    """Accuracy over items with its 95% bootstrap interval over items, ``n``, and how many
    items have a tied top score (predicted as the first of the tied choices)."""
    hits = [float(s.correct) for s in scored]
    return {
        "accuracy": sum(hits) / len(hits) if hits else None,
        "ci": mean_ci(hits),
        "n": len(hits),
        "ties": sum(s.scores.count(max(s.scores)) > 1 for s in scored),  # top score shared
    }


def paired_difference(a: Sequence[ItemScore], b: Sequence[ItemScore]) -> dict[str, Any]:
    """Accuracy of ``a`` minus that of ``b`` on the same items, with a paired 95% interval."""
    if [x.item.id for x in a] != [x.item.id for x in b]:
        raise ValueError("paired_difference needs the same items in the same order")
    diff = [float(x.correct) - float(y.correct) for x, y in zip(a, b, strict=True)]
    return {
        "difference": sum(diff) / len(diff) if diff else None,
        "ci": mean_ci(diff),
        "n": len(diff),
    }

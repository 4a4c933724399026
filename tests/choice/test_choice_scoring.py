"""Choice scores are the PLL of ``question + " " + choice``, summed or averaged per unit (token
for ``original``, word for ``word_l2r``), checked against a brute-force PLL through the plain
HF forward; the prediction is the first highest score."""

from __future__ import annotations

import pytest
from transformers import AutoModelForMaskedLM, AutoTokenizer

from bertology.choice.data import ChoiceItem
from bertology.choice.scoring import accuracy, predict, score_items

ITEMS = [
    ChoiceItem("a", "paris is the capital of", ("france .", "an extraordinarily long river ."), 0),
    ChoiceItem("b", "the table is made of", ("glass .", "wood .", "unbelievable story ."), 1),
    ChoiceItem("c", "", ("a dog is an animal .", "a dog is an extraordinarily bird ."), 0),
    ChoiceItem("d", "the cat sat on the", ("mat .", "mat near the window of the lake ."), 0),
]


@pytest.fixture(scope="module")
def model_tok(tiny_bert_dir):
    model = AutoModelForMaskedLM.from_pretrained(tiny_bert_dir, attn_implementation="eager")
    return model.eval(), AutoTokenizer.from_pretrained(tiny_bert_dir)


def test_the_scored_text_is_question_space_choice():
    assert ITEMS[0].texts() == ["paris is the capital of france .",
                                "paris is the capital of an extraordinarily long river ."]  # fmt: skip
    assert ITEMS[2].text(1) == "a dog is an extraordinarily bird ."  # no question: the choice


@pytest.mark.parametrize("metric", ["original", "word_l2r"])
@pytest.mark.parametrize("normalize", ["sum", "mean"])
def test_scores_equal_a_brute_force_pll(model_tok, brute_pll, metric, normalize):
    """Guards the formula: a sum taken for a mean (or the reverse), tokens counted where words
    are meant, or the question left out of the scored text changes a score here."""
    model, tok = model_tok
    got = score_items(model, tok, ITEMS, metric, normalize, token_budget=64, head_rows=5)
    words_differ = False
    for item, s in zip(ITEMS, got, strict=True):
        want = []
        for text in item.texts():
            total, tokens, words = brute_pll(model, tok, text, metric)
            units = tokens if metric == "original" else words
            words_differ |= words != tokens
            want.append(total if normalize == "sum" else total / units)
        assert s.scores == pytest.approx(want, abs=1e-4)
        best = max(range(len(want)), key=lambda i: (want[i], -i))
        assert s.prediction == best
        assert s.correct == (best == item.label)
    assert words_differ  # multi-piece words: per word and per token differ


def test_sum_and_mean_rank_some_item_differently(model_tok):
    """The fixture tells the normalizations apart: their predictions differ on some item."""
    model, tok = model_tok
    a = score_items(model, tok, ITEMS, "word_l2r", "sum")
    b = score_items(model, tok, ITEMS, "word_l2r", "mean")
    assert [s.prediction for s in a] != [s.prediction for s in b]


def test_the_prediction_is_the_first_highest_score():
    assert predict([-5.0, -1.0, -9.0]) == 1
    assert predict([1.0, 3.0, 3.0, 2.0]) == 1  # a tie goes to the first
    assert predict([-2.0, -2.0]) == 0
    assert predict([0.5]) == 0


def test_accuracy_counts_ties_and_has_an_interval(model_tok):
    model, tok = model_tok
    scored = score_items(model, tok, ITEMS, "original")
    acc = accuracy(scored)
    assert acc["n"] == 4 and acc["accuracy"] == sum(s.correct for s in scored) / 4
    assert acc["ties"] == 0
    assert acc["ci"] is not None and acc["ci"][0] <= acc["accuracy"] <= acc["ci"][1]

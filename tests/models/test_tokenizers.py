"""Tokenizer training: deterministic across processes, and the semantics of the HF trainers.

The ``tokenizers`` ``WordPieceTrainer`` gave a different vocabulary in every process (hash
order decided ids and broke ties), which broke DESIGN.md's "same seed, same result" rule;
``bertology.models.tokenizers`` now learns the merges itself in a fixed order. These tests
pin that down: the same vocabulary and ids in separate processes (each with its own
``PYTHONHASHSEED``), hand-computed vocabularies where the tie-break decides, the
``vocab_size`` cap, ``min_frequency``, specials, the mask token, and, for byte-level BPE,
the very ``tokenizer.json`` that the HF ``BpeTrainer`` gives (its ids never depended on hash
order, so it is a reference for the merge loop).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bertology.models import train_bpe_tokenizer, train_wordpiece_tokenizer

ROOT = Path(__file__).resolve().parents[2]

SENTENCES = ["paris is the capital of france .", "the cat sat on the mat near the window ."]


def synthetic_corpus() -> list[str]:
    """Made-up words with many equal counts: the HF WordPiece trainer varied on this."""
    rng = random.Random(0)
    syllables = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "du", "ch", "th", "x", "é"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(300)]
    return [" ".join(rng.choice(words) for _ in range(8)) + " ." for _ in range(400)]


def _words(corpus: list[str]) -> list[str]:
    return sorted({w for line in corpus for w in line.split() if w.isalpha()})


_CHILD = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from tests.models.test_tokenizers import SENTENCES, synthetic_corpus
    from bertology.models import train_bpe_tokenizer, train_wordpiece_tokenizer
    out = {}
    for name, train in (("wordpiece", train_wordpiece_tokenizer), ("bpe", train_bpe_tokenizer)):
        tok = train(synthetic_corpus(), vocab_size=300, min_frequency=2)
        out[name] = {
            "vocab": tok.get_vocab(),
            "ids": tok(SENTENCES + synthetic_corpus()[:3])["input_ids"],
        }
    print(json.dumps(out, sort_keys=True))
    """
)


def test_same_corpus_gives_the_same_vocab_and_ids_in_separate_processes():
    procs = []
    for seed in ("0", "1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "TOKENIZERS_PARALLELISM": "false"}
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(ROOT)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    for kind in ("wordpiece", "bpe"):
        first = results[0][kind]
        assert len(first["vocab"]) == 300
        for other in results[1:]:
            assert other[kind]["vocab"] == first["vocab"], kind
            assert other[kind]["ids"] == first["ids"], kind
    # ...and the same as in this process.
    here = train_wordpiece_tokenizer(synthetic_corpus(), vocab_size=300, min_frequency=2)
    assert here.get_vocab() == results[0]["wordpiece"]["vocab"]


@pytest.mark.parametrize("train", [train_wordpiece_tokenizer, train_bpe_tokenizer])
def test_the_order_of_the_corpus_does_not_matter(train):
    corpus = synthetic_corpus()
    shuffled = list(corpus)
    random.Random(1).shuffle(shuffled)
    a = train(corpus, vocab_size=300, min_frequency=2)
    b = train(iter(shuffled), vocab_size=300, min_frequency=2)
    assert a.get_vocab() == b.get_vocab()


def test_wordpiece_ids_and_tie_break_by_hand():
    # Alphabet sorted, then ## symbols sorted, then merges. Both pairs (a, ##b) and
    # (c, ##d) occur twice: the tie goes to the smaller ids, so "ab" is made first.
    tok = train_wordpiece_tokenizer(["cd ab", "ab cd"], vocab_size=12)
    specials = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}
    alphabet = {"a": 5, "b": 6, "c": 7, "d": 8, "##b": 9, "##d": 10}
    assert tok.get_vocab() == {**specials, **alphabet, "ab": 11}
    assert train_wordpiece_tokenizer(["cd ab", "ab cd"], vocab_size=13).get_vocab() == {
        **specials,
        **alphabet,
        "ab": 11,
        "cd": 12,
    }
    # The higher count wins over the smaller ids; "##" is dropped inside a merged piece.
    tok = train_wordpiece_tokenizer(["abc bcd bcd"], vocab_size=100)
    vocab = tok.get_vocab()
    assert [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])][5:] == [
        *"abcd",
        "##b",
        "##c",
        "##d",
        "bc",  # (b, ##c) x2
        "bcd",  # (bc, ##d) x2
        "ab",  # (a, ##b) x1, before (##b, ##c) x1 by id
        "abc",  # (ab, ##c)
    ]


def test_bpe_ids_and_tie_break_by_hand():
    tok = train_bpe_tokenizer(["cd ab ab cd"], vocab_size=5 + 256 + 2)
    vocab = tok.get_vocab()
    assert len(vocab) == 263
    # The 256 byte symbols sorted by code point after the 5 specials.
    byte_symbols = sorted(t for t, i in vocab.items() if 5 <= i < 261)
    assert [vocab[t] for t in byte_symbols] == list(range(5, 261))
    # Words "cd", "Ġab" x2, "Ġcd": (Ġ, a), (a, b) and (c, d) all occur twice; (a, b) has
    # the smallest ids (Ġ is U+0120). Then (Ġ, ab) and (c, d) tie, and c < Ġ.
    assert {t: i for t, i in vocab.items() if i >= 261} == {"ab": 261, "cd": 262}


@pytest.mark.parametrize(
    ("train", "size"), [(train_wordpiece_tokenizer, 150), (train_bpe_tokenizer, 400)]
)
def test_vocab_size_is_the_cap_specials_included(train, size):
    for n in (size, size + 1):
        assert len(train(synthetic_corpus(), vocab_size=n).get_vocab()) == n


def test_a_small_cap_keeps_the_whole_alphabet():
    tok = train_wordpiece_tokenizer(["abc abd"], vocab_size=3)
    assert set(tok.get_vocab()) >= {"a", "b", "c", "d", "##b", "##c", "##d"}


@pytest.mark.parametrize("train", [train_wordpiece_tokenizer, train_bpe_tokenizer])
def test_every_training_word_round_trips(train):
    corpus = synthetic_corpus()
    tok = train(corpus, vocab_size=300, min_frequency=2)
    unk = tok.unk_token_id
    normalizer = tok.backend_tokenizer.normalizer  # uncased WordPiece also strips accents
    for w in _words(corpus):
        ids = tok(w, add_special_tokens=False)["input_ids"]
        assert unk not in ids, w
        assert tok.decode(ids) == (normalizer.normalize_str(w) if normalizer else w), w


def test_wordpiece_lowercases_and_splits_punctuation_like_bert():
    tok = train_wordpiece_tokenizer(["Paris, FRANCE."] * 3)
    assert tok.tokenize("Paris, FRANCE.") == ["paris", ",", "france", "."]
    cased = train_wordpiece_tokenizer(["Paris"] * 3, lowercase=False)
    assert "Paris" in cased.get_vocab() and "paris" not in cased.get_vocab()


@pytest.mark.parametrize("train", [train_wordpiece_tokenizer, train_bpe_tokenizer])
def test_min_frequency(train):
    common = ["the cat sat on the mat ."] * 5
    # "qxz" is seen once and shares no pair with another word; "vjk" exactly twice.
    corpus = [*common, "qxz vjk", "vjk"]
    tok = train(corpus, vocab_size=1000, min_frequency=2)
    assert len(tok.tokenize("qxz")) == 3
    assert len(tok.tokenize("vjk")) == 1
    assert len(tok.tokenize(" cat")) == 1
    tok = train(corpus, vocab_size=1000, min_frequency=3)
    assert len(tok.tokenize("vjk")) == 3
    assert len(tok.tokenize(" cat")) == 1
    tok = train(corpus, vocab_size=1000, min_frequency=1)
    assert len(tok.tokenize("qxz")) == 1


def test_specials_and_mask_in_a_prompt_wordpiece():
    tok = train_wordpiece_tokenizer(SENTENCES * 3, vocab_size=400)
    assert [tok.convert_tokens_to_ids(t) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]")] == [
        0,
        1,
        2,
        3,
    ]
    assert tok.mask_token == "[MASK]" and tok.mask_token_id == 4
    assert (tok.pad_token_id, tok.unk_token_id, tok.cls_token_id, tok.sep_token_id) == (0, 1, 2, 3)
    enc = tok("paris is the [MASK] of france .")["input_ids"]
    assert tok.convert_ids_to_tokens(enc) == [
        "[CLS]",
        *["paris", "is", "the"],
        "[MASK]",
        *["of", "france", "."],
        "[SEP]",
    ]
    pair = tok.backend_tokenizer.encode("paris is", "the capital")
    assert pair.tokens == ["[CLS]", "paris", "is", "[SEP]", "the", "capital", "[SEP]"]
    assert pair.type_ids == [0, 0, 0, 0, 1, 1, 1]
    assert tok("€")["input_ids"] == [2, 1, 3]  # unseen character -> [UNK]


def test_specials_and_mask_in_a_prompt_bpe():
    tok = train_bpe_tokenizer(SENTENCES * 3, vocab_size=500)
    assert [tok.convert_tokens_to_ids(t) for t in ("<s>", "<pad>", "</s>", "<unk>")] == [
        0,
        1,
        2,
        3,
    ]
    assert tok.mask_token == "<mask>" and tok.mask_token_id == 4
    enc = tok("paris is the <mask> of france .")["input_ids"]
    # "<mask>" swallows the space before it, as in roberta-base.
    assert tok.convert_ids_to_tokens(enc) == [
        "<s>",
        "paris",
        "Ġis",
        "Ġthe",
        "<mask>",
        "Ġof",
        "Ġfrance",
        "Ġ.",
        "</s>",
    ]
    assert tok.decode(enc, skip_special_tokens=True) == "paris is the of france ."


def _hf_bpe(texts: list[str], vocab_size: int, min_frequency: int):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        min_frequency=min_frequency,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return json.loads(tok.to_str())["model"]


@pytest.mark.parametrize(("vocab_size", "min_frequency"), [(700, 2), (2000, 1)])
def test_bpe_model_is_the_hf_bpe_trainers(vocab_size, min_frequency):
    corpus = synthetic_corpus() + SENTENCES
    ours = json.loads(
        train_bpe_tokenizer(corpus, vocab_size, min_frequency).backend_tokenizer.to_str()
    )["model"]
    assert ours == _hf_bpe(corpus, vocab_size, min_frequency)


def test_wordpiece_pipeline_is_the_hf_trainers_but_for_the_vocab():
    """Normalizer, pre-tokenizer, added tokens and model options are as the trainer set them."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    corpus = synthetic_corpus()
    ours = json.loads(train_wordpiece_tokenizer(corpus, 300).backend_tokenizer.to_str())
    hf = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    hf.normalizer = normalizers.BertNormalizer(lowercase=True)
    hf.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    trainer = trainers.WordPieceTrainer(
        vocab_size=300, special_tokens=specials, show_progress=False
    )
    hf.train_from_iterator(corpus, trainer=trainer)
    ref = json.loads(hf.to_str())
    for key in ("normalizer", "pre_tokenizer", "added_tokens"):
        assert ours[key] == ref[key], key
    hf_vocab = ref["model"].pop("vocab")
    our_vocab = ours["model"].pop("vocab")
    assert ours["model"] == ref["model"]
    # Only ties can differ, and they are few: the same alphabet, nearly the same pieces.
    assert len(our_vocab) == len(hf_vocab) == 300
    assert {t for t in our_vocab if len(t.lstrip("#")) == 1} == {
        t for t in hf_vocab if len(t.lstrip("#")) == 1
    }
    assert len(set(our_vocab) & set(hf_vocab)) >= 270


@pytest.mark.parametrize("train", [train_wordpiece_tokenizer, train_bpe_tokenizer])
def test_save_and_reload(tmp_path, train):
    from transformers import AutoTokenizer

    tok = train(synthetic_corpus(), vocab_size=300)
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path)
    text = SENTENCES + [f"paris is the {tok.mask_token} of france ."]
    assert again(text)["input_ids"] == tok(text)["input_ids"]
    assert again.mask_token_id == tok.mask_token_id == 4

"""Fixtures for the syntax tests: tokenizers that split rare words, tiny models, small trees."""

from __future__ import annotations

import pytest

from bertology.data.dependency import DependencySentence

# Frequent words become single pieces; the words seen once stay split into several pieces.
SYNTAX_CORPUS = [
    "the dog chased the cat .",
    "a cat saw the dog in the garden .",
    "the old man read a book .",
    "she gave the boy a red ball .",
    "the children played in the park .",
] * 6 + ["unbelievable transformations happened yesterday ."]

# Hand-made trees (1-based heads, 0 = root), with words the tokenizers split.
TREES = [
    DependencySentence(
        forms=["The", "dog", "chased", "the", "cat", "."],
        heads=[2, 3, 0, 5, 3, 3],
        deprels=["det", "nsubj", "root", "det", "obj", "punct"],
        upos=["DET", "NOUN", "VERB", "DET", "NOUN", "PUNCT"],
    ),
    DependencySentence(
        forms=["Unbelievable", "transformations", "happened", "yesterday", "."],
        heads=[2, 3, 0, 3, 3],
        deprels=["amod", "nsubj", "root", "obl", "punct"],
        upos=["ADJ", "NOUN", "VERB", "NOUN", "PUNCT"],
    ),
    DependencySentence(
        forms=["She", "gave", "the", "boy", "a", "red", "ball"],
        heads=[2, 0, 4, 2, 7, 7, 2],
        deprels=["nsubj", "root", "det", "iobj", "det", "amod", "obj"],
        upos=["PRON", "VERB", "DET", "NOUN", "DET", "ADJ", "NOUN"],
    ),
    DependencySentence(
        forms=["Children", "played", "."],
        heads=[2, 0, 2],
        deprels=["nsubj", "root", "punct"],
        upos=["NOUN", "VERB", "PUNCT"],
    ),
]


@pytest.fixture(scope="session")
def trees() -> list[DependencySentence]:
    return list(TREES)


@pytest.fixture(scope="session")
def wp_tok():
    from bertology.models import train_wordpiece_tokenizer

    return train_wordpiece_tokenizer(SYNTAX_CORPUS, vocab_size=120, min_frequency=2)


@pytest.fixture(scope="session")
def bpe_tok():
    from bertology.models import train_bpe_tokenizer

    return train_bpe_tokenizer(SYNTAX_CORPUS, vocab_size=300, min_frequency=2)


@pytest.fixture(scope="session")
def unigram_tok():
    """A SentencePiece-style tokenizer (Unigram + Metaspace, ``▁`` only before the first
    word of the text): the case where words need their leading-space form."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first")
    trainer = trainers.UnigramTrainer(
        vocab_size=80,
        special_tokens=["<pad>", "<unk>", "<s>", "</s>", "<mask>"],
        unk_token="<unk>",
        show_progress=False,
    )
    tok.train_from_iterator(SYNTAX_CORPUS, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        mask_token="<mask>",
    )


def _tiny(arch: str, tokenizer, **kw):
    from bertology.models import SmallMLMConfig, build_mlm

    cfg = SmallMLMConfig(arch=arch, layers=2, hidden=32, heads=4, dropout=0.0, seed=0, **kw)
    return build_mlm(cfg, tokenizer)


@pytest.fixture(scope="session")
def syn_bert(wp_tok):
    return _tiny("bert", wp_tok)


@pytest.fixture(scope="session")
def syn_roberta(bpe_tok):
    return _tiny("roberta", bpe_tok)


@pytest.fixture(scope="session")
def syn_bert_dir(tmp_path_factory, syn_bert, wp_tok):
    d = tmp_path_factory.mktemp("syn-bert")
    syn_bert.save_pretrained(d)
    wp_tok.save_pretrained(d)
    return d

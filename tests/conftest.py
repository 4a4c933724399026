"""Shared fixtures: tiny tokenizers trained at test time and tiny models built from a config.

Nothing here downloads anything. Models are small enough that a forward pass takes
milliseconds on a CPU.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

CORPUS = [
    "paris is the capital of france .",
    "berlin is the capital of germany .",
    "rome is the capital of italy .",
    "madrid is the capital of spain .",
    "the cat sat on the mat near the window .",
    "a dog is an animal that barks .",
    "the hammer is used for driving nails .",
    "a knife is used for cutting bread .",
    "the bird can fly over the river .",
    "fish live in the water of the lake .",
    "the table is made of wood .",
    "the window is made of glass .",
    "dogs and cats are animals .",
    "the wheel is part of the car .",
] * 4 + ["an extraordinarily unbelievable story ."]  # seen once: stays split (min_frequency=2)


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    return list(CORPUS)


@pytest.fixture(scope="session")
def wordpiece_tokenizer(corpus):
    from bertology.models import train_wordpiece_tokenizer

    return train_wordpiece_tokenizer(corpus, vocab_size=400, min_frequency=2)


@pytest.fixture(scope="session")
def bpe_tokenizer(corpus):
    from bertology.models import train_bpe_tokenizer

    return train_bpe_tokenizer(corpus, vocab_size=800, min_frequency=2)


@pytest.fixture(scope="session")
def tiny_bert(wordpiece_tokenizer):
    from bertology.models import SmallMLMConfig, build_mlm

    return build_mlm(
        SmallMLMConfig(arch="bert", layers=2, hidden=32, heads=4, seed=0), wordpiece_tokenizer
    )


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory, tiny_bert, wordpiece_tokenizer):
    """A tiny BERT saved as an ordinary Hugging Face model directory."""
    d = tmp_path_factory.mktemp("tiny-bert")
    tiny_bert.save_pretrained(d)
    wordpiece_tokenizer.save_pretrained(d)
    return d


@pytest.fixture(scope="session")
def tiny_roberta_dir(tmp_path_factory, bpe_tokenizer):
    from bertology.models import SmallMLMConfig, build_mlm

    model = build_mlm(
        SmallMLMConfig(arch="roberta", layers=2, hidden=32, heads=4, seed=0), bpe_tokenizer
    )
    d = tmp_path_factory.mktemp("tiny-roberta")
    model.save_pretrained(d)
    bpe_tokenizer.save_pretrained(d)
    return d


@pytest.fixture(scope="session")
def run_cli():
    """``run_cli(*args, cwd=..., env=...)``: the console entry point (``python -m
    bertology.cli``) in a subprocess, as a user runs it."""

    def run(*args: str, cwd, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bertology.cli", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=120,
            env={**os.environ, **(env or {})},
        )

    return run

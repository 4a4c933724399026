"""Shared pieces of the benchmarks: corpus paths, a BERT-base-shaped random model, timing."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

SHARED = Path(os.environ.get("BERTOLOGY_SHARED", Path(__file__).resolve().parents[2] / "shared"))
BROWN = SHARED / "data" / "corpus" / "brown.txt"
CACHE = Path(__file__).resolve().parent / "out"


def brown_sentences(
    n: int | None = None, min_words: int = 5, max_words: int = 40, seed: int = 0
) -> list[str]:
    """Sentences of the Brown corpus (or a synthetic fallback when ../shared is absent)."""
    if BROWN.exists():
        lines = [ln.strip() for ln in BROWN.read_text(encoding="utf-8").splitlines()]
        lines = [ln for ln in lines if min_words <= len(ln.split()) <= max_words]
    else:
        rng = random.Random(seed)
        words = [
            "the",
            "a",
            "cat",
            "dog",
            "man",
            "woman",
            "saw",
            "liked",
            "house",
            "river",
            "city",
            "old",
            "new",
            "big",
            "small",
        ]
        lines = [
            " ".join(rng.choice(words) for _ in range(rng.randint(min_words, 15))) + " ."
            for _ in range(5000)
        ]
    rng = random.Random(seed)
    rng.shuffle(lines)
    return lines[:n] if n else lines


def bert_base_tokenizer(vocab_size: int = 30522) -> Any:
    """A bert-base-uncased-sized WordPiece vocabulary trained on Brown (cached under bench/out)."""
    from transformers import AutoTokenizer

    from bertology.models import train_wordpiece_tokenizer

    path = CACHE / f"wordpiece-{vocab_size}"
    if (path / "tokenizer.json").exists():
        return AutoTokenizer.from_pretrained(path)
    tok = train_wordpiece_tokenizer(brown_sentences(), vocab_size=vocab_size)
    tok.save_pretrained(path)
    return tok


def bert_base_model(
    tokenizer: Any, attn: str = "sdpa", layers: int = 12, hidden: int = 768, heads: int = 12
) -> Any:
    """A randomly initialised BERT-base-shaped MLM (12 layers, hidden 768, 12 heads)."""
    from bertology.models import SmallMLMConfig, build_mlm

    return build_mlm(
        SmallMLMConfig(arch="bert", layers=layers, hidden=hidden, heads=heads, dropout=0.1),
        tokenizer,
        attn=attn,
    )


def encoder_matrix_params(model: Any) -> int:
    """Weights of the encoder layers' matrices: the multiply-adds per token of a forward
    pass through them (what the roofline ratios count; embeddings and head excluded)."""
    return sum(p.numel() for n, p in model.named_parameters() if ".layer." in n and p.dim() == 2)


def gemm_gflops(m: int = 1024, k: int = 768, n: int = 3072, reps: int = 30) -> float:
    """fp32 GFLOP/s of one ``(m, k) @ (k, n)`` product on this machine's torch threads: the
    ceiling for a compute-bound encoder forward (a roofline for the ratios printed).

    The faster of the default BLAS path and the oneDNN packed-weight path that bertology's
    inference uses (``bertology.models.packing``), each timed as the median of ``reps``
    calls, so that a burst of load from other processes does not lower the ceiling.
    """
    import statistics

    import torch

    from bertology.models.packing import packing_available

    a, w = torch.randn(m, k), torch.randn(n, k)
    calls = [lambda: torch.nn.functional.linear(a, w)]
    if packing_available():
        packed = torch.ops.mkldnn._reorder_linear_weight(w, m)
        calls.append(lambda: torch.ops.mkldnn._linear_pointwise(a, packed, None, "none", [], ""))
    with torch.inference_mode():
        fastest_s = min(statistics.median(timed_steps(call, reps, warmup=3)) for call in calls)
    return 2 * m * k * n / fastest_s / 1e9


def timed_steps(step: Any, n: int, warmup: int = 2) -> list[float]:
    """Seconds of each of ``n`` calls of ``step()``, after ``warmup`` untimed ones."""
    import time

    for _ in range(warmup):
        step()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times

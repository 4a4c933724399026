"""One vector per text per layer, the points TwoNN measures.

``cls`` takes the first token's hidden state; ``mean`` averages the hidden states of the
text's own tokens (special tokens and padding left out). Layer 0 is the embedding output,
layer ``l`` the output of encoder block ``l``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from bertology.errors import InputError
from bertology.io import iter_text_lines
from bertology.models.heads import encoder_kwargs, encoder_of
from bertology.models.packing import packed_linears


def read_texts(path: str, n: int) -> tuple[list[str], list[str]]:
    """The first ``n`` non-empty lines of a UTF-8 file, and their ``file:line``."""
    texts, sources = [], []
    for line, text in iter_text_lines(path):
        if text.strip():
            texts.append(text.strip())
            sources.append(f"{path}:{line}")
            if len(texts) == n:
                break
    if not texts:
        raise InputError("no texts (every line is empty)", path)
    return texts, sources


def layer_vectors(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    layers: Sequence[int],
    pool: str = "mean",
    batch_size: int = 64,
    max_length: int = 128,
) -> dict[int, np.ndarray]:
    """``{layer: (N, D) float32}``: one pooled vector per text at each of ``layers``."""
    if pool not in ("cls", "mean"):
        raise InputError(f"unknown pooling {pool!r}; known: cls, mean")
    device = next(model.parameters()).device
    encoder = encoder_of(model)
    out: dict[int, list[np.ndarray]] = {layer: [] for layer in layers}
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(), packed_linears(model, batch_hint=batch_size * 32):
            for start in range(0, len(texts), batch_size):
                enc = tokenizer(
                    list(texts[start : start + batch_size]), padding=True, truncation=True,
                    max_length=max_length, return_special_tokens_mask=True, return_tensors="pt",
                )  # fmt: skip
                own = (enc["attention_mask"].bool() & ~enc.pop("special_tokens_mask").bool()).to(
                    device
                )
                batch = {k: v.to(device) for k, v in enc.items()}
                hidden = encoder(**encoder_kwargs(model, batch), output_hidden_states=True)
                states = hidden.hidden_states  # L + 1 tensors (B, T, D)
                for layer in layers:
                    h = states[layer].float()
                    if pool == "cls":
                        v = h[:, 0]
                    else:
                        w = own.unsqueeze(-1).float()
                        v = (h * w).sum(1) / w.sum(1).clamp_min(1.0)
                    out[layer].append(v.cpu().numpy())
    finally:
        model.train(was_training)
    return {layer: np.concatenate(vs) for layer, vs in out.items()}

"""Token-level attention of cloze prompts, for the report's viewer (``RUN/attention.json``,
kind ``mask``; schema in :mod:`bertology.report.attention`).

``probe --attention N`` exports the first N scored facts of every relation under the full
model; ``prune inspect`` (:mod:`bertology.prune.inspect_attention`) reads the same prompts
under each relation's subnetwork too. A prompt is its fact's first prompt with the model's
mask token, run alone (no padding) on the eager attention path; the tokens are the
tokenizer's, special tokens included, and ``query`` is the mask token's position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bertology.data.facts import MASK, Fact
from bertology.errors import InputError, quote, source_of
from bertology.models.attention import eager_attention
from bertology.models.heads import encoder_kwargs, encoder_of
from bertology.models.load import mask_token, mask_token_id
from bertology.report.attention import AttentionItem, attention_document, write_attention


@dataclass
class PromptAttention:
    """One prompt as the model read it: tokens, the mask's position, ``(L, H, n, n)``."""

    tokens: list[str]
    query: int
    attention: np.ndarray  # (L, H, n, n) float32, rows attend to columns


def first_per_relation(facts: Sequence[Fact], n: int) -> dict[str, list[Fact]]:
    """The first ``n`` facts of each relation, relations in order of first appearance."""
    out: dict[str, list[Fact]] = {}
    for f in facts:
        group = out.setdefault(f.relation, [])
        if len(group) < n:
            group.append(f)
    return {r: fs for r, fs in out.items() if fs}


def prompt_of(fact: Fact, tokenizer: Any) -> str:
    """The fact's first prompt with the tokenizer's mask token."""
    return fact.prompts[0].replace(MASK, mask_token(tokenizer))


def read_prompt_attention(
    model: Any, tokenizer: Any, facts: Sequence[Fact]
) -> list[PromptAttention]:
    """Every layer's and head's attention over each fact's first prompt (one pass each)."""
    mid = mask_token_id(tokenizer)
    device = next(model.parameters()).device
    encoder = encoder_of(model)
    out: list[PromptAttention] = []
    with eager_attention(model), torch.inference_mode():
        for f in facts:
            prompt = prompt_of(f, tokenizer)
            enc = tokenizer(prompt, return_tensors="pt")
            ids = enc["input_ids"][0]
            hits = (ids == mid).nonzero(as_tuple=True)[0]
            if len(hits) != 1:
                raise InputError(
                    f"prompt {quote(prompt)} has {len(hits)} mask tokens after tokenization, "
                    "expected 1",
                    *source_of(f.source),
                )
            batch = {k: v.to(device) for k, v in enc.items()}
            res = encoder(**encoder_kwargs(model, batch), output_attentions=True)
            if not res.attentions or any(a is None for a in res.attentions):
                raise InputError(
                    f"{type(model).__name__} returned no attention probabilities "
                    "(attention export needs output_attentions=True on the eager path)"
                )
            att = torch.stack([a[0] for a in res.attentions]).float().cpu().numpy()
            out.append(PromptAttention(tokenizer.convert_ids_to_tokens(ids), int(hits[0]), att))
    return out


def mask_items(
    facts: Sequence[Fact], readings: Mapping[str, Sequence[PromptAttention]]
) -> list[AttentionItem]:
    """Viewer items of ``facts``; ``readings`` maps a variant to each fact's reading (the
    same prompt, so the same tokens, under every variant)."""
    items: list[AttentionItem] = []
    count: dict[str, int] = {}
    for k, f in enumerate(facts):
        first = next(iter(readings.values()))[k]
        j = count[f.relation] = count.get(f.relation, -1) + 1
        items.append(
            AttentionItem(
                id=f"{f.relation}#{j}",
                label=f"{f.relation}: {f.prompts[0]}",
                tokens=first.tokens,
                attention={v: r[k].attention for v, r in readings.items()},
                query=first.query,
            )
        )
    return items


def items_shape(items: Sequence[AttentionItem]) -> tuple[int, int]:
    """``(layers, heads)`` of the items' attention, as the model returned it."""
    first = next(iter(items[0].attention.values()))
    return int(first.shape[0]), int(first.shape[1])


def write_probe_attention(
    path: str | Path,
    model: Any,
    tokenizer: Any,
    facts: Sequence[Fact],
    per_relation: int,
    model_name: str,
) -> Path | None:
    """``attention.json`` (kind ``mask``, full model) of the first ``per_relation`` facts of
    each relation; nothing (None) when there are none."""
    chosen = [f for fs in first_per_relation(facts, per_relation).values() for f in fs]
    if not chosen:
        return None
    items = mask_items(chosen, {"full": read_prompt_attention(model, tokenizer, chosen)})
    layers, heads = items_shape(items)
    doc = attention_document("mask", model_name, items, layers=layers, heads=heads)
    return write_attention(path, doc)

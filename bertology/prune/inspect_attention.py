"""``inspect``'s ``RUN/attention.json``: [MASK] attention of the full model beside each
relation's subnetwork, for the report's viewer (kind ``mask``, variants ``full`` and
``subnetwork``; schema in :mod:`bertology.report.attention`).

For the first ``per_relation`` test facts of every relation with a mask, the prompt is read
once by the full model and once with that relation's mask applied (``soft`` as the run
evaluates), through the same code as ``probe --attention``
(:func:`bertology.probe.attention.read_prompt_attention`). ``inspect`` ranks no heads, so
``best_heads`` is empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bertology.data.facts import Fact
from bertology.probe.attention import items_shape, mask_items, read_prompt_attention
from bertology.prune.apply import applied
from bertology.prune.masks import SubnetworkMask
from bertology.report.attention import AttentionItem, attention_document, write_attention


def subnetwork_attention_document(
    model: Any,
    tokenizer: Any,
    test: Mapping[str, Sequence[Fact]],
    masks: Mapping[str, SubnetworkMask],
    per_relation: int,
    model_name: str,
    soft: bool = False,
) -> dict[str, Any] | None:
    """The document of the first ``per_relation`` facts of each masked relation in
    ``test``, full model and subnetwork; None when there are none."""
    chosen = {
        r: fs[:per_relation] for r, fs in test.items() if r in masks and fs and per_relation > 0
    }
    if not chosen:
        return None
    items: list[AttentionItem] = []
    for r, facts in chosen.items():
        full = read_prompt_attention(model, tokenizer, facts)
        with applied(model, masks[r], soft=soft):
            sub = read_prompt_attention(model, tokenizer, facts)
        items += mask_items(facts, {"full": full, "subnetwork": sub})
    layers, heads = items_shape(items)
    return attention_document(
        "mask",
        model_name,
        items,
        layers=layers,
        heads=heads,
        variants=("full", "subnetwork"),
    )


def write_inspect_attention(
    path: str | Path,
    model: Any,
    tokenizer: Any,
    test: Mapping[str, Sequence[Fact]],
    masks: Mapping[str, SubnetworkMask],
    per_relation: int,
    model_name: str,
    soft: bool = False,
) -> Path | None:
    """Write ``attention.json`` atomically; nothing (None) when no fact is chosen."""
    doc = subnetwork_attention_document(
        model, tokenizer, test, masks, per_relation, model_name, soft
    )
    return None if doc is None else write_attention(path, doc)

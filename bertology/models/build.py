"""Build small masked LMs from a config, for tests, benchmarks and pre-training from scratch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from bertology.errors import unknown_name_error

SUPPORTED_ARCHS = ("bert", "roberta", "distilbert", "albert")


@dataclass
class SmallMLMConfig:
    """Architecture of a randomly initialised MLM.

    ``vocab_size`` is taken from the tokenizer when one is given to :func:`build_mlm`.
    ``intermediate`` defaults to ``4 * hidden``.
    """

    arch: str = "bert"
    layers: int = 2
    hidden: int = 64
    heads: int = 4
    intermediate: int | None = None
    vocab_size: int = 1000
    max_position: int = 512
    dropout: float = 0.1
    seed: int = 0


def _hf_config(cfg: SmallMLMConfig, tokenizer: Any | None) -> Any:
    from transformers import (  # transformers: slow to import, only on this path
        AlbertConfig,
        BertConfig,
        DistilBertConfig,
        RobertaConfig,
    )  # transformers: slow to import, only on this path

    vocab = len(tokenizer) if tokenizer is not None else cfg.vocab_size
    inter = cfg.intermediate or 4 * cfg.hidden
    pad_id = getattr(tokenizer, "pad_token_id", None) if tokenizer is not None else None
    common_ids: dict[str, Any] = {}
    if pad_id is not None:
        common_ids["pad_token_id"] = pad_id
    if cfg.arch == "bert":
        return BertConfig(
            vocab_size=vocab,
            hidden_size=cfg.hidden,
            num_hidden_layers=cfg.layers,
            num_attention_heads=cfg.heads,
            intermediate_size=inter,
            max_position_embeddings=cfg.max_position,
            hidden_dropout_prob=cfg.dropout,
            attention_probs_dropout_prob=cfg.dropout,
            **common_ids,
        )
    if cfg.arch == "roberta":
        if tokenizer is not None:
            common_ids.update(
                bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id
            )
        return RobertaConfig(
            vocab_size=vocab,
            hidden_size=cfg.hidden,
            num_hidden_layers=cfg.layers,
            num_attention_heads=cfg.heads,
            intermediate_size=inter,
            # RoBERTa offsets positions by padding_idx + 1
            max_position_embeddings=cfg.max_position + 2,
            type_vocab_size=1,
            hidden_dropout_prob=cfg.dropout,
            attention_probs_dropout_prob=cfg.dropout,
            **common_ids,
        )
    if cfg.arch == "distilbert":
        return DistilBertConfig(
            vocab_size=vocab,
            dim=cfg.hidden,
            n_layers=cfg.layers,
            n_heads=cfg.heads,
            hidden_dim=inter,
            max_position_embeddings=cfg.max_position,
            dropout=cfg.dropout,
            attention_dropout=cfg.dropout,
            **common_ids,
        )
    if cfg.arch == "albert":
        return AlbertConfig(
            vocab_size=vocab,
            embedding_size=min(128, cfg.hidden),
            hidden_size=cfg.hidden,
            num_hidden_layers=cfg.layers,
            num_attention_heads=cfg.heads,
            intermediate_size=inter,
            max_position_embeddings=cfg.max_position,
            hidden_dropout_prob=cfg.dropout,
            attention_probs_dropout_prob=cfg.dropout,
            **common_ids,
        )
    raise unknown_name_error("architecture", cfg.arch, SUPPORTED_ARCHS)


def build_mlm(cfg: SmallMLMConfig, tokenizer: Any | None = None, attn: str = "eager") -> Any:
    """A randomly initialised ``*ForMaskedLM`` (seeded, in eval mode)."""
    from transformers import AutoModelForMaskedLM  # transformers: slow to import, only on this path

    hf_cfg = _hf_config(cfg, tokenizer)
    hf_cfg._attn_implementation = attn
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(cfg.seed)
    try:
        model = AutoModelForMaskedLM.from_config(hf_cfg, attn_implementation=attn)
    finally:
        torch.random.set_rng_state(gen_state)
    model.eval()
    return model

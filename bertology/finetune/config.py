"""Settings of ``bertology finetune``: the model, the task, the optimisation, and ``impl`` (speed).

Kept free of heavy imports: the CLI builds its flags from these classes at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bertology.errors import InputError


@dataclass
class FinetuneTrain:
    """Optimisation (science: each of these changes the fine-tuned model).

    The defaults are BERT's GLUE recipe (Devlin et al. 2019): AdamW at 2e-5, batch 32,
    3 epochs, linear decay after 10% warm-up. A model trained from scratch on a small corpus
    usually wants a larger learning rate (1e-4 to 1e-3)."""

    epochs: int = 3  # at most this many passes over the training set
    patience: int | None = 2  # stop after this many epochs without a better dev accuracy
    batch_size: int = 32  # examples per optimizer step
    lr: float = 2e-5
    weight_decay: float = 0.01  # AdamW's decoupled decay; never on biases and LayerNorms
    warmup_ratio: float = 0.1  # fraction of the steps with a linear warm-up
    clip: float | None = 1.0  # max global grad norm (None: no clipping)
    max_length: int = 128  # tokens per input (a pair: both texts), longer ones truncated
    max_train: int | None = None  # a seeded sample of at most this many training examples
    seed: int = 0  # the new head's initialisation, dropout and the order of examples

    def validate(self, where: str = "config") -> None:
        """Ranges the types cannot say; each error names the key."""
        checks = [
            ("train.epochs", self.epochs >= 1),
            ("train.patience", self.patience is None or self.patience >= 1),
            ("train.batch_size", self.batch_size >= 1),
            ("train.lr", self.lr > 0),
            ("train.weight_decay", self.weight_decay >= 0),
            ("train.warmup_ratio", 0 <= self.warmup_ratio < 1),
            ("train.clip", self.clip is None or self.clip > 0),
            ("train.max_length", self.max_length >= 2),
            ("train.max_train", self.max_train is None or self.max_train >= 1),
        ]
        for key, ok in checks:
            if not ok:
                value = getattr(self, key.partition(".")[2])
                raise InputError(f"{key}: {value!r} is out of range", where)


@dataclass
class FinetuneImpl:
    """Speed only: none of these changes the result (up to float rounding)."""

    eval_batch_size: int = 64  # examples per forward pass when evaluating
    device: str = "auto"
    threads: int | None = None  # torch CPU threads (None: torch's default)


@dataclass
class FinetuneConfig:
    """A fine-tuning run: a checkpoint (or one relation's subnetwork of it) on one task.

    ``task`` is a GLUE task by name (``sst2``, ``mrpc``, ``rte``, ... through ``datasets``,
    online), a local JSONL/CSV file or directory, or ``world-verify:WORLD`` (true and false
    statements from an embedded world's facts); see :mod:`bertology.finetune.tasks`."""

    model: str  # HF hub name or local masked-LM directory
    task: str  # GLUE name | FILE | DIR | world-verify:WORLD
    masks: str | None = None  # one relation's mask file of a prune run (RUN/masks/R.safetensors)
    labels: list[str] | None = None  # the label set, in id order (None: the training labels)
    dev_fraction: float = 0.1  # held out of train, seeded, when the task has no dev split
    split_seed: int = 0  # the dev hold-out, the world's subject split and its false objects
    train: FinetuneTrain = field(default_factory=FinetuneTrain)
    impl: FinetuneImpl = field(default_factory=FinetuneImpl)

    def validate(self, where: str = "config") -> None:
        if not 0 < self.dev_fraction < 1:
            raise InputError(f"dev_fraction must be in (0, 1), got {self.dev_fraction}", where)
        if self.labels is not None and len(set(self.labels)) < 2:
            raise InputError(f"labels: name at least two distinct labels, got {self.labels}", where)
        if self.impl.eval_batch_size < 1:
            raise InputError(
                f"impl.eval_batch_size must be >= 1, got {self.impl.eval_batch_size}", where
            )
        self.train.validate(where)

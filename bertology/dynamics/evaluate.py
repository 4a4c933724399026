"""Evaluate every checkpoint of a series with the pre-training evaluators, after the fact.

The evaluators are the registry's (``val_loss``, ``uas``, ``blimp``, ``twonn`` and any a user
registers), built once per series with the same data at every checkpoint, exactly as during
pre-training. Results are cached per (checkpoint, evaluator, settings): one JSON line each,
appended as soon as it is computed (``RUN/dynamics-cache.jsonl`` for a bertology run, beside
the output otherwise). Adding a metric later evaluates only that metric; an interrupted
evaluation resumes where it stopped; changing an evaluator's settings (other pairs, more
sentences) evaluates it again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bertology.dynamics.series import Series
from bertology.errors import InputError
from bertology.io import JsonlAppender, atomic_write_text, iter_text_lines
from bertology.models.load import load_mlm, resolve_device
from bertology.train.evaluators import EvalContext, build_evaluators, run_evaluators
from bertology.train.packed import tokenizer_fingerprint
from bertology.train.setup import load_valid

# The settings each evaluator's numbers depend on: its cache key (others: the whole config).
SETTINGS = {
    "val_loss": ["data.valid", "data.text_column", "train.seq_len", "train.seed", "masking",
                 "eval.val_max_sequences"],
    "uas": ["eval.uas_conllu", "eval.uas_max_sentences"],
    "blimp": ["eval.blimp_pairs", "eval.blimp_per_paradigm", "eval.blimp_metric"],
    "twonn": ["eval.twonn_texts", "data.valid", "eval.twonn_n", "train.seq_len"],
    "finetune": ["eval.finetune_task", "eval.finetune_epochs", "eval.finetune_lr", "eval.finetune_max_train", "train.seed", "data.train"],
}  # fmt: skip
# An evaluator whose logged metrics changed: its version joins its cache key, so that rows
# cached before the change are evaluated again (an evaluator not listed keeps its old keys).
# uas 2: the per-head grid ``uas_heads`` (for the fixed-head curve), margin, non-adjacent UAS
# and intervals. blimp 2: the 95% interval ``blimp_ci`` and ``blimp_n``.
VERSIONS = {"uas": 2, "blimp": 2}


def settings_key(cfg: Any, evaluator: str) -> str:
    """A short hash of the settings ``evaluator``'s result depends on (and of its version in
    :data:`VERSIONS`, if listed)."""
    science = cfg.to_dict()
    picked: dict[str, Any] = {}
    if evaluator in VERSIONS:
        picked["(version)"] = VERSIONS[evaluator]
    for key in SETTINGS.get(evaluator, list(science)):
        node: Any = science
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        picked[key] = node
    return hashlib.sha256(json.dumps(picked, sort_keys=True).encode()).hexdigest()[:16]


class EvalCache:
    """The cache file of one series: ``{checkpoint, step, evaluator, settings, metrics}``
    lines. A cut last line (a kill mid-write) is skipped, not an error."""

    def __init__(self, path: Path):
        self.path = path
        self.rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        if not path.exists():
            return
        lines = list(iter_text_lines(path))
        for k, (line, text) in enumerate(lines):
            try:
                row = json.loads(text)
                self.rows[(row["checkpoint"], row["evaluator"], row["settings"])] = row
            except (json.JSONDecodeError, KeyError, TypeError):
                if k == len(lines) - 1:  # a write cut by a kill: drop it, evaluate again
                    atomic_write_text(path, "".join(t + "\n" for _, t in lines[:-1]))
                    break
                raise InputError(
                    "a broken cache line (delete the file to start over)", path, line
                ) from None

    def get(self, ckpt: str, evaluator: str, settings: str) -> dict[str, Any] | None:
        row = self.rows.get((ckpt, evaluator, settings))
        return None if row is None else row["metrics"]

    def put(
        self, ckpt: str, step: int, evaluator: str, settings: str, metrics: dict[str, Any]
    ) -> None:
        row = {"checkpoint": ckpt, "step": step, "evaluator": evaluator, "settings": settings,
               "metrics": metrics}  # fmt: skip
        with JsonlAppender(self.path) as out:
            out.write(row)
        self.rows[(ckpt, evaluator, settings)] = row


def cache_path(series: Series, out: Path) -> Path:
    if series.run is not None:
        return series.run / "dynamics-cache.jsonl"
    return out.parent / f".{out.name}.{series.name}.dynamics-cache.jsonl"


def evaluate_series(
    series: Series,
    cfg: Any,
    evaluators: list[str],
    cache: EvalCache,
    device: str = "auto",
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[int, dict[str, Any]]:
    """``{step: metrics}`` of every checkpoint under ``evaluators``, from the cache where it
    has them, evaluated (and cached at once) where it does not."""
    keys = {e: settings_key(cfg, e) for e in evaluators}
    ckpt_key = {c.step: _relative(c.model, series.run) for c in series.checkpoints}
    todo = {
        c.step: [e for e in evaluators if cache.get(ckpt_key[c.step], e, keys[e]) is None]
        for c in series.checkpoints
    }
    pending = [c for c in series.checkpoints if todo[c.step]]
    if pending:
        log(
            f"[dynamics] {series.name}: evaluating {sum(len(v) for v in todo.values())} "
            f"(checkpoint, evaluator) pairs at {len(pending)} of {len(series.checkpoints)} "
            f"checkpoints; {len(series.checkpoints) * len(evaluators) - sum(len(v) for v in todo.values())} cached"
        )
        dev = resolve_device(device)
        model, tokenizer = load_mlm(pending[0].model, dev, attn="sdpa")
        fingerprint = tokenizer_fingerprint(tokenizer)
        ctx = EvalContext(cfg, tokenizer, dev, _valid(cfg, tokenizer, evaluators, log), log=log)
        built = build_evaluators(sorted({e for c in pending for e in todo[c.step]}), ctx)
        bar = _bar(progress, len(pending), series.name)
        for c in pending:
            if c is not pending[0]:
                model, tok = load_mlm(c.model, dev, attn="sdpa")
                if tokenizer_fingerprint(tok) != fingerprint:
                    raise InputError(
                        f"its tokenizer differs from the first checkpoint's ({pending[0].model})",
                        c.model,
                    )
            for e in todo[c.step]:
                rows: list[dict[str, Any]] = []
                run_evaluators({e: built[e]}, model, c.step, dev, rows.append)
                metrics = {
                    k: v for k, v in rows[0].items() if k not in ("kind", "step", "evaluator")
                }
                cache.put(ckpt_key[c.step], c.step, e, keys[e], metrics)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
    out: dict[int, dict[str, Any]] = {}
    for c in series.checkpoints:
        merged: dict[str, Any] = {}
        for e in evaluators:
            merged.update(cache.get(ckpt_key[c.step], e, keys[e]) or {})
        out[c.step] = merged
    return out


def _relative(model: str, run: Path | None) -> str:
    if run is not None:
        try:
            return str(Path(model).resolve().relative_to(run.resolve()))
        except ValueError:
            pass
    return model


def _valid(cfg: Any, tokenizer: Any, evaluators: list[str], log: Callable[[str], None]) -> Any:
    if "val_loss" not in evaluators:
        return None
    if not cfg.data.valid:
        raise InputError("val_loss needs validation text: give --texts (one text per line)")
    return load_valid(cfg, tokenizer, None, log)


def _bar(enabled: bool, total: int, name: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm  # tqdm: only with a progress bar

    return tqdm(total=total, desc=f"dynamics {name}", unit="checkpoint")

"""``bertology finetune``: a checkpoint or one relation's subnetwork fine-tuned on a task.

The run directory holds ``config.yaml``, ``env.json``, ``metrics.jsonl`` (one row per epoch:
train loss, dev accuracy, learning rate, throughput), ``results.json`` (schema 1: the task,
the epochs, the best dev epoch, and test accuracy with its 95% bootstrap interval over test
examples and ``n``; MCC for classification, CoLA's metric), ``predictions.jsonl`` (every
test example's label and prediction), ``figures/`` and ``report.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from bertology.console import console, say
from bertology.finetune.config import FinetuneConfig
from bertology.finetune.data import Task
from bertology.finetune.loop import Encoder, predict, score_test, train_classifier
from bertology.finetune.model import FixedPruning, classifier_from_mlm
from bertology.finetune.tasks import load_task
from bertology.io import atomic_write_jsonl
from bertology.models.load import load_mlm
from bertology.prune.storage import load_mask
from bertology.report.figures import line_plot
from bertology.rundir import RunDir, check_out
from bertology.stats import LEVEL, RESAMPLES


def _majority_dev_acc(task: Task) -> float | None:
    """Dev accuracy of always predicting the training set's most frequent label: the
    baseline a classifier must beat (None for multiple choice, where a label is a position)."""
    if task.kind == "choice" or not task.train or not task.dev:
        return None
    labels = [ex.label for ex in task.train]
    top = max(sorted(set(labels)), key=labels.count)  # ties: the smallest label id
    return sum(ex.label == top for ex in task.dev) / len(task.dev)


def _prediction_rows(task: Task, preds: list[int]) -> list[dict[str, Any]]:
    names = task.labels
    return [
        {"index": i, "source": ex.source, "label": names[ex.label], "prediction": names[p],
         "correct": p == ex.label}
        for i, (ex, p) in enumerate(zip(task.test, preds, strict=True))
    ]  # fmt: skip


def finetune(
    config: FinetuneConfig,
    out: str | Path,
    overwrite: bool = False,
    model: Any = None,
    tokenizer: Any = None,
) -> dict[str, Any]:
    """Fine-tune ``config.model`` (under ``config.masks``, if given) on ``config.task``; write
    the run directory ``out``; return ``results.json``. A preloaded masked LM and tokenizer
    may be passed (library use); it is not modified. Nothing is written before the task, the
    model and the mask are read; the run is swapped in only when complete."""
    check_out(Path(out), overwrite, "finetune")
    task = load_task(config.task, config.labels, config.dev_fraction, config.split_seed)
    imp, hp = config.impl, config.train
    threads = torch.get_num_threads()
    if imp.threads:
        torch.set_num_threads(imp.threads)
    try:
        if model is None:
            model, tokenizer = load_mlm(config.model, imp.device, attn="sdpa")
        mask = load_mask(config.masks, model) if config.masks else None
        device = next(model.parameters()).device
        clf = classifier_from_mlm(model, task.kind, task.num_labels, hp.seed).to(device)
        guard = FixedPruning(clf, mask) if mask is not None else None
        encoder = Encoder.for_task(tokenizer, task, clf, hp.max_length)
        return _run(config, out, overwrite, task, clf, encoder, guard, device)
    finally:
        torch.set_num_threads(threads)


def _run(
    config: FinetuneConfig,
    out: str | Path,
    overwrite: bool,
    task: Task,
    clf: Any,
    encoder: Encoder,
    guard: FixedPruning | None,
    device: torch.device,
) -> dict[str, Any]:
    imp, hp = config.impl, config.train
    n = {s: len(getattr(task, s)) for s in ("train", "dev", "test")}
    say(f"[finetune] {task.name} ({task.kind}, {task.num_labels} labels): {n}")
    run = RunDir(out, "finetune", config, device=str(device), staged=True, overwrite=overwrite)
    try:

        def on_epoch(row: dict[str, Any]) -> None:
            run.log_metrics(row)
            say(
                f"[finetune] epoch {row['epoch']}: train loss {row['train_loss']:.4f}, dev acc "
                f"{row['dev_acc']:.3f} ({row['examples_per_s']:.0f} examples/s)"
            )

        outcome = train_classifier(
            clf, encoder, task.train, task.dev, hp, device, guard, imp.eval_batch_size, on_epoch
        )
        preds = predict(clf, encoder, task.test, imp.eval_batch_size, device)
        metrics = score_test(task, preds)
        mask_info = None
        if guard is not None:
            nonzero = guard.nonzero_pruned()
            if nonzero:  # FixedPruning failed: the result is not the subnetwork's
                raise RuntimeError(f"{nonzero} pruned weights moved during fine-tuning")
            m = guard.mask
            mask_info = {"relation": m.relation, "mode": m.mode, "layers": list(m.layers),
                         "sparsity": m.sparsity, "pruned_nonzero_after": nonzero}  # fmt: skip
        atomic_write_jsonl(run.path / "predictions.jsonl", _prediction_rows(task, preds))
        results = {
            "model": config.model,
            "masks": config.masks,
            "mask": mask_info,
            "task": task.summary(),
            "n_train_used": outcome.n_train,
            "best_epoch": outcome.best_epoch,
            "epochs_run": len(outcome.epochs),
            "stopped_early": outcome.stopped_early,
            "dev_acc": outcome.best_dev_acc,
            **metrics,
            "epochs": outcome.epochs,
            "intervals": {
                "level": LEVEL,
                "method": "percentile bootstrap over test examples",
                "resamples": RESAMPLES,
                "seed": 0,
            },
        }
        run.write_results(results)
        epochs = [r["epoch"] for r in outcome.epochs]
        line_plot(
            {"dev accuracy": (epochs, [r["dev_acc"] for r in outcome.epochs])},
            run.figures / "dev_accuracy.png",
            f"{task.name}: dev accuracy per epoch (best: epoch {outcome.best_epoch})",
            "epoch",
            "dev accuracy",
            vlines=[outcome.best_epoch],
            vline_label="best epoch",
            baseline=_majority_dev_acc(task),
            baseline_label="majority class",
        )
        line_plot(
            {"train loss": (epochs, [r["train_loss"] for r in outcome.epochs])},
            run.figures / "train_loss.png",
            f"{task.name}: mean training loss per epoch",
            "epoch",
            "loss",
        )
        run.finish("bertology finetune")
    except BaseException:
        run.abandon()
        raise
    ci = metrics["test_acc_ci"]
    shown = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
    console.print(
        f"[bold]finetune[/bold] {task.name}: test acc {metrics['test_acc']:.3f}{shown} "
        f"(n={metrics['test_n']}), best dev epoch {outcome.best_epoch} of "
        f"{len(outcome.epochs)} -> {run.path}"
    )
    return run.read_results()

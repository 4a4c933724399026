"""The pre-training loop: ``pretrain(config, out, resume)``.

One step, read top to bottom in :meth:`Trainer.train_step`:

1. the global batch of the step (a pure function of seed and step, :class:`BatchOrder`);
2. masks for the whole global batch (a pure function of seed and step, :func:`mask_tokens`);
3. for each micro-batch (``impl.grad_accum``), this rank's slice: forward on SDPA, or on the
   eager path with attention probabilities when the regularizer is on at this step; backward
   under ``no_sync`` except the last; each micro-batch's loss is weighted by its share of the
   global batch's masked tokens and edges, so the gradient is that of the global batch's mean
   whatever the split over micro-batches and ranks;
4. NaN/inf check, clipping, lr from the schedule, AdamW step;
5. one line to ``metrics.jsonl``: MLM loss, regularizer, lr, grad norm, tokens/s (MFU on GPU).

Checkpoints are taken before the step whose number is on the schedule, so ``step-000100``
holds the model after 100 updates, evaluated by the registered evaluators. Resuming from it
restores weights, AdamW moments, RNG states and the data position (the step): the run goes
on bit for bit as if it had never stopped (on CPU; tested).
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel as DDP

from bertology.console import say
from bertology.distributed import DistContext, init_distributed
from bertology.errors import BertologyError, InputError
from bertology.io import atomic_write_jsonl, read_jsonl
from bertology.models.attention import attention_path, set_attention_path
from bertology.rundir import RunDir, check_out
from bertology.syntax.regularizer import SyntacticRegularizer
from bertology.train.checkpoint import (
    TrainerState,
    checkpoint_name,
    drop_trainer_state,
    gather_rng,
    list_checkpoints,
    load_optimizer_and_rng,
    read_trainer_state,
    refuse_science_changes,
    resume_point,
    save_checkpoint,
)
from bertology.train.config import PretrainConfig
from bertology.train.evaluators import EvalContext, build_evaluators, run_evaluators
from bertology.train.figures import plot_run
from bertology.train.masking import mask_tokens, step_generator
from bertology.train.objective import MLMObjective, count_params, flops_per_step, peak_flops
from bertology.train.packed import tokenizer_fingerprint
from bertology.train.results import PretrainResult, evals_by_step, summarise
from bertology.train.schedule import checkpoint_steps, lr_at
from bertology.train.setup import (
    autocast_for,
    build_model,
    build_optimizer,
    load_data,
    resolve_tokenizer,
)


class TrainingDiverged(BertologyError):
    """The loss or the gradient became NaN or infinite; the run stopped before updating."""


def pretrain(
    config: PretrainConfig,
    out: str | Path,
    resume: bool = False,
    on_step: Callable[[int, dict[str, Any]], None] | None = None,
) -> PretrainResult:
    """Pre-train (or continue pre-training) an MLM as ``config`` says, writing run dir ``out``.

    ``resume=True`` continues from the newest complete checkpoint in ``out/checkpoints``
    (a fresh start if there is none). ``on_step(step, row)`` is called after every update
    with the metrics row (raise from it to stop the run, as a crash would).
    Under ``torchrun`` this runs DDP; only rank 0 writes.
    """
    dist = init_distributed(config.impl.device)
    threads = torch.get_num_threads()
    try:
        result = Trainer(config, Path(out), resume, dist, on_step).run()
    except BaseException:
        dist.close(sync=False)  # the other ranks may never reach a barrier
        raise
    finally:
        torch.set_num_threads(threads)  # impl.threads is this run's setting, not the process's
    dist.close()
    return result


class Trainer:
    """State of one run; :func:`pretrain` is its public face."""

    def __init__(
        self,
        cfg: PretrainConfig,
        out: Path,
        resume: bool,
        dist: DistContext,
        on_step: Callable[[int, dict[str, Any]], None] | None = None,
    ):
        self.cfg, self.out, self.resume, self.dist, self.on_step = cfg, out, resume, dist, on_step
        self.ckpt_dir = out / "checkpoints"
        self.device = dist.device
        self.autocast = autocast_for(self.device, cfg.impl.precision)
        self.run_dir: Any = None
        self.saved: list[Path] = []

    def log(self, msg: str) -> None:
        if self.dist.is_main:
            say(f"[pretrain] {msg}")

    # --- set-up -------------------------------------------------------------------------------

    def run(self) -> PretrainResult:
        cfg = self.cfg
        if cfg.impl.threads:
            torch.set_num_threads(cfg.impl.threads)
        t = cfg.train
        micro = t.batch_size // cfg.impl.grad_accum
        if micro % self.dist.world:
            raise InputError(
                f"train.batch_size / impl.grad_accum = {micro} sequences per micro-batch cannot be "
                f"split evenly over {self.dist.world} processes"
            )
        self.micro, self.per_rank = micro, micro // self.dist.world
        if self.out.exists():  # a file, a foreign directory or another command's run: refused
            check_out(self.out, overwrite=True, command="pretrain")
        start = self._resume_point()
        if start is not None:  # every rank checks, so that all stop together
            refuse_science_changes(start[1], self.cfg.science_dict(), self.out)
        # every input is read (corpus, trees, tokenizer, checkpoint, evaluators' data) before
        # the run directory is written: bad input leaves --out as it was
        self._setup(start)
        self._evaluators()
        self._open_run_dir(start)
        return self._train(start[0] if start else 0, resumed=start is not None)

    def _resume_point(self) -> tuple[int, Path] | None:
        return resume_point(self.ckpt_dir, self.resume, self.dist.is_main, self.log, self.out)

    def _open_run_dir(self, start: tuple[int, Path] | None) -> None:
        if not self.dist.is_main:
            return
        if start is not None:
            self._truncate_metrics(start[0])
        self.run_dir = RunDir(self.out, "pretrain", self.cfg.to_dict(), str(self.device))
        if start is None and self.trained_tokenizer:
            self.tokenizer.save_pretrained(str(self.out / "tokenizer"))

    def _truncate_metrics(self, step: int) -> None:
        """Drop metrics rows logged after the checkpoint we resume from (a crashed tail)."""
        path = self.out / "metrics.jsonl"
        if path.exists():
            rows = [r for _, r in read_jsonl(path) if int(r.get("step", 0)) <= step]
            atomic_write_jsonl(path, rows)

    def _setup(self, start: tuple[int, Path] | None) -> None:
        """Tokenizer, data, model (wrapped for DDP / compile), optimizer, RNG (:mod:`.setup`)."""
        cfg = self.cfg
        self.tokenizer = resolve_tokenizer(cfg, self.dist, self.log, start)
        self.trained_tokenizer = not (cfg.tokenizer.path or cfg.model.init_from)
        self.tok_fp = tokenizer_fingerprint(
            self.tokenizer
        )  # hashed once, saved at every checkpoint
        self.data = load_data(cfg, self.tokenizer, self.dist, self.log)
        self.model = build_model(cfg, self.tokenizer, self.device, start)
        self.param_names = {id(p): n for n, p in self.model.named_parameters()}
        self.n_params = count_params(self.model)
        self.regularizer = SyntacticRegularizer(cfg.sas.lam, cfg.sas.reduction, cfg.sas.until_step)
        objective: Any = MLMObjective(self.model, self.regularizer)
        self.ddp = None
        if self.dist.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            objective = self.ddp = DDP(objective, device_ids=ids)
        self.objective = torch.compile(objective) if cfg.impl.compile else objective
        self.log(
            f"model: {type(self.model).__name__}, {self.n_params['total'] / 1e6:.2f}M parameters, "
            f"{self.device}, {cfg.impl.precision}, world size {self.dist.world}"
        )
        self.optimizer = build_optimizer(cfg, self.model)
        rank_seed = cfg.train.seed + 1000 * self.dist.rank  # all RNGs: equal runs, equal files
        torch.manual_seed(rank_seed)  # dropout streams per rank
        random.seed(rank_seed)
        np.random.seed(rank_seed % 2**32)
        if start is not None:
            restored = load_optimizer_and_rng(
                start[1], self.optimizer, self.param_names, self.dist.rank, self.dist.world
            )
            if not restored:
                self.log("the world size changed since the checkpoint: RNG streams start afresh")

    def _evaluators(self) -> None:
        self.evaluators: dict[str, Any] = {}
        if self.dist.is_main:
            ctx = EvalContext(
                self.cfg, self.tokenizer, self.device, self.data.valid, self.autocast, self.log
            )
            self.evaluators = build_evaluators(self.cfg.eval.evaluators, ctx)

    # --- the loop -----------------------------------------------------------------------------

    def _train(self, start_step: int, resumed: bool) -> PretrainResult:
        cfg, t = self.cfg, self.cfg.train
        ckpts = set(checkpoint_steps(cfg.checkpoint, t.max_steps))
        last_saved = start_step if resumed else -1
        if resumed:
            self.saved = [p for s, p in list_checkpoints(self.ckpt_dir) if s <= start_step]
        self.last_row: dict[str, Any] = {}
        self.tokens_seen = int(read_trainer_state(self.saved[-1])["tokens_seen"]) if resumed else 0
        self.last_good: Path | None = self.saved[-1] if self.saved else None
        t_start = time.perf_counter()
        step = start_step
        if step >= t.max_steps and step not in ckpts:
            self.log(f"nothing to do: already at step {step} of {t.max_steps}")
        while step < t.max_steps:
            if step in ckpts and step != last_saved:
                self._checkpoint(step)
                last_saved = step
            row = self.train_step(step)
            step += 1
            if self.dist.is_main:
                self.run_dir.log_metrics(row)
                if cfg.impl.print_every and (
                    step % cfg.impl.print_every == 0
                    or step == t.max_steps
                    or step == start_step + 1
                ):
                    eta = (
                        (time.perf_counter() - t_start) / (step - start_step) * (t.max_steps - step)
                    )
                    reg = f" | reg {row['sas_reg']:.4f}" if row["sas_active"] else ""
                    self.log(
                        f"step {step}/{t.max_steps} | loss {row['loss']:.4f}{reg} | lr {row['lr']:.2e} | "
                        f"{row['tokens_per_s'] / 1e3:.1f}k tok/s | eta {eta:.0f}s"
                    )
            if self.on_step is not None:
                self.on_step(step, row)
        if step in ckpts and step != last_saved:
            self._checkpoint(step)
        return self._finish(step, time.perf_counter() - t_start)

    def train_step(self, step: int) -> dict[str, Any]:
        """One optimizer update on the global batch of ``step``; returns its metrics row."""
        cfg, t, dev = self.cfg, self.cfg.train, self.device
        t0 = time.perf_counter()
        active = self.regularizer.active(step)
        lam = self.regularizer.weight(step)
        set_attention_path(self.model, "eager" if active else cfg.impl.attn)
        batch = self.data.train.batch(self.data.order.rows(step))  # global batch, on the CPU
        mb = mask_tokens(
            batch["input_ids"],
            batch["first_pos"],
            cfg.masking,
            self.data.mask_id,
            self.data.random_ids,
            step_generator(t.seed, step),
        )
        edges = batch["edges"]  # (E, 3)
        k_all, e_all = len(mb.targets), len(edges)
        am_all = batch.get("attention_mask")
        world = self.dist.world
        sums = torch.zeros(3, dtype=torch.float64)  # ce sum, reg * edges, correct
        for m in range(cfg.impl.grad_accum):
            lo = m * self.micro + self.dist.rank * self.per_rank
            hi = lo + self.per_rank
            sel = (mb.rows >= lo) & (mb.rows < hi)  # (K,)
            esel = (edges[:, 0] >= lo) & (edges[:, 0] < hi)  # (E,)
            e = edges[esel] - torch.tensor([lo, 0, 0])  # (e, 3) rows relative to the slice
            args = (
                mb.input_ids[lo:hi].to(dev),  # (b, T)
                None if am_all is None else am_all[lo:hi].to(dev),  # (b, T)
                (mb.rows[sel] - lo).to(dev),
                mb.cols[sel].to(dev),
                mb.targets[sel].to(dev),  # (k,)
                e.to(dev) if active else None,
            )
            sync = (
                self.ddp.no_sync()
                if self.ddp is not None and m < cfg.impl.grad_accum - 1
                else contextlib.nullcontext()
            )
            with sync:
                with self.autocast():
                    ce_sum, n_ok, reg = self.objective(*args)
                # the global batch's mean over masked tokens and edges; DDP averages over ranks
                loss = ce_sum * (world / k_all)
                if active and len(e):
                    loss = loss + lam * reg * (len(e) * world / e_all)
                loss.backward()
            sums += torch.stack(
                [
                    ce_sum.detach().double().cpu(),
                    reg.detach().double().cpu() * len(e),
                    n_ok.detach().double().cpu(),
                ]
            )
        self.dist.all_reduce_sum(sums)
        mlm = float(sums[0]) / k_all
        reg_val = float(sums[1]) / e_all if (active and e_all) else 0.0
        if not (math.isfinite(mlm) and math.isfinite(reg_val)):
            self._diverged(step, f"the loss is not finite (MLM {mlm}, regularizer {reg_val})")
        clip = t.clip if t.clip is not None else float("inf")
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip))
        if not math.isfinite(grad_norm):
            self._diverged(step, f"the gradient norm is {grad_norm} (MLM loss {mlm})")
        lr = lr_at(step, t)
        for g in self.optimizer.param_groups:
            g["lr"] = lr
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        dt = time.perf_counter() - t0
        tokens = int(batch["lengths"].sum())
        self.tokens_seen += tokens
        row: dict[str, Any] = {
            "kind": "train",
            "step": step + 1,
            "loss": mlm,
            "sas_reg": reg_val,
            "sas_lambda": lam,
            "sas_active": active,
            "attn": attention_path(self.model),
            "loss_total": mlm + lam * reg_val,
            "masked_acc": float(sums[2]) / k_all,
            "lr": lr,
            "grad_norm": grad_norm,
            "tokens": tokens,
            "masked_tokens": k_all,
            "edges": e_all,
            "tokens_seen": self.tokens_seen,
            "step_time_s": dt,
            "tokens_per_s": tokens / dt,
            "epoch": self.data.order.epoch(step + 1),
        }
        peak = peak_flops(dev, cfg.impl.peak_tflops)
        if peak is not None:
            flops = flops_per_step(self.model, tokens, k_all, t.seq_len)
            row["mfu"] = flops / dt / (peak * world)
        self.last_row = row
        return row

    def _diverged(self, step: int, why: str) -> None:
        where = (
            f"the last good checkpoint is {self.last_good}"
            if self.last_good
            else "no checkpoint was written yet"
        )
        msg = (
            f"training diverged at step {step + 1}: {why}. Stopped without applying this update; "
            f"{where}. Lower train.lr, raise train.warmup_steps or set train.clip, then --resume."
        )
        if self.dist.is_main:
            self.run_dir.log_metrics({"kind": "diverged", "step": step + 1, "reason": why})
            self._write_results(step, status="diverged", message=msg)
        raise TrainingDiverged(msg)

    # --- checkpoints and evaluation -------------------------------------------------------------

    def _checkpoint(self, step: int) -> None:
        """Evaluate, then save ``checkpoints/step-NNNNNN`` (rank 0); RNG untouched by evaluation."""
        cfg = self.cfg
        gathered = gather_rng(self.dist)  # before evaluation, which must not touch the RNG
        metrics: dict[str, Any] = {}
        if self.dist.is_main and self.evaluators:
            metrics = run_evaluators(
                self.evaluators, self.model, step, self.device, self.run_dir.log_metrics
            )
            shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float))
            self.log(f"checkpoint {step}: {shown}")
        if self.dist.is_main:
            path = self.ckpt_dir / checkpoint_name(step, cfg.train.max_steps)
            state = TrainerState(
                step=step,
                tokens_seen=self.tokens_seen,
                samples_seen=step * cfg.train.batch_size,
                world_size=self.dist.world,
                lr=lr_at(step, cfg.train),
                tokenizer_fingerprint=self.tok_fp,
                science_config=cfg.science_dict(),
                metrics=metrics,
            )
            save_checkpoint(
                path, self.model, self.tokenizer, state, self.optimizer, self.param_names, gathered
            )
            if cfg.checkpoint.trainer_state == "latest" and self.saved:
                drop_trainer_state(self.saved[-1])
            self.saved.append(path)
            self.run_dir.log_metrics(
                {"kind": "checkpoint", "step": step, "path": str(path.relative_to(self.out))}
            )
        self.last_good = self.ckpt_dir / checkpoint_name(step, cfg.train.max_steps)
        self.dist.barrier()

    # --- the end ------------------------------------------------------------------------------

    def _finish(self, step: int, wall: float) -> PretrainResult:
        if self.dist.is_main:
            self._write_results(step, status="completed", wall=wall)
            try:
                plot_run(self.out, self.run_dir.figures)
            except Exception as e:  # noqa: BLE001 - a figure must not lose a finished run
                self.log(f"could not draw the figures: {e}")
            self.run_dir.finish(title="bertology pretrain")
            self.log(f"done: {self.out}")
        evals = evals_by_step(self.out) if self.dist.is_main else {}
        return PretrainResult(self.out, step, list(self.saved), evals, self.last_row)

    def _write_results(
        self, step: int, status: str, wall: float | None = None, message: str | None = None
    ) -> None:
        results = summarise(
            self.out,
            self.cfg.train.max_steps,
            status=status,
            message=message,
            final_step=step,
            tokens_seen=getattr(self, "tokens_seen", 0),
            wall_s=wall,
            parameters=getattr(self, "n_params", None),
            data=self.data.train.stats.__dict__ if getattr(self, "data", None) else None,
            world_size=self.dist.world,
        )
        self.run_dir.write_results(results)

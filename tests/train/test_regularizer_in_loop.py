"""The syntactic regularizer as the pre-training loop applies it: L = L_MLM + lambda * R.

These tests run one real step of :func:`bertology.train.pretrain` (the loop's own objective,
micro-batch weighting and optimizer) and compare it with a dense computation written here:
R = mean over the global batch's edges of gamma(i, j), gamma = max over layers and heads of
A[i, j] plus the same of A[j, i] (DESIGN.md; the SAS code's ``reg_type="max"``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from bertology.train import pretrain
from bertology.train.objective import MLMObjective


def dense_r(attn: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """R from the full attention, with no gathering: ``attn`` (L, B, H, T, T), ``edges``
    (E, 3) of (row, dependent token, head token). Every (B, T, T) cell is reduced over layers
    and heads; a dense 0/1 mask picks the edges' cells, in both orientations."""
    strongest = attn.amax(dim=(0, 2))  # (B, T, T): max over layers and heads
    B, T, _ = strongest.shape
    mask = torch.zeros(B, T, T, dtype=attn.dtype)
    for b, i, j in edges.tolist():
        mask[b, i, j] += 1.0  # += : a repeated edge counts twice, as in a mean over edges
    per_edge_sum = (strongest * mask).sum() + (strongest.transpose(1, 2) * mask).sum()
    return per_edge_sum / mask.sum()


def _one_step(
    tiny_config: Any, out: Path, lam: float, monkeypatch: pytest.MonkeyPatch, grad_accum: int = 2
) -> dict[str, Any]:
    """One pre-training step with ``lambda = lam``; returns what the loop saw and did: the
    model before the step, each micro-batch's inputs, the gradient it accumulated (before
    clipping), its metrics row, and the live model after the update."""
    rec: dict[str, Any] = {"calls": []}
    forward = MLMObjective.forward

    def spy_forward(self: MLMObjective, *args: Any, **kw: Any) -> Any:
        if "before" not in rec:
            rec["before"] = copy.deepcopy(self.model)
            rec["model"] = self.model
        rec["calls"].append([a.clone() if isinstance(a, torch.Tensor) else a for a in args])
        return forward(self, *args, **kw)

    clip = torch.nn.utils.clip_grad_norm_

    def spy_clip(params: Any, *args: Any, **kw: Any) -> Any:
        params = list(params)
        rec["grad"] = {
            n: p.grad.detach().clone()
            for n, p in rec["model"].named_parameters()
            if p.grad is not None
        }
        return clip(params, *args, **kw)

    monkeypatch.setattr(MLMObjective, "forward", spy_forward)
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", spy_clip)
    cfg = tiny_config(
        model={"dropout": 0.0},
        train={"max_steps": 1, "warmup_steps": 0, "lr": 1e-2},
        impl={"grad_accum": grad_accum},
        sas={"lambda": lam},
        checkpoint={"every": 0, "initial": False},
        eval={"evaluators": []},
    )
    rows: list[dict[str, Any]] = []
    pretrain(cfg, out, on_step=lambda s, r: rows.append(r))
    monkeypatch.undo()
    rec["row"] = rows[0]
    return rec


def _global_batch(calls: list[list[Any]]) -> tuple[torch.Tensor, ...]:
    """The micro-batches' inputs joined back into the global batch (rows renumbered)."""
    ids, am, rows, cols, targets, edges = [], [], [], [], [], []
    offset = 0
    for input_ids, mask, r, c, t, e in (call[:6] for call in calls):
        ids.append(input_ids)
        am.append(mask if mask is not None else torch.ones_like(input_ids))
        rows.append(r + offset)
        cols.append(c)
        targets.append(t)
        edges.append(e + torch.tensor([offset, 0, 0]))
        offset += len(input_ids)
    return tuple(torch.cat(x) for x in (ids, am, rows, cols, targets, edges))


def _dense_loss(model: Any, batch: tuple[torch.Tensor, ...], lam: float) -> tuple[Any, Any]:
    """The global batch's mean cross-entropy over the masked tokens (from the full logits)
    plus ``lam`` times :func:`dense_r` on the eager attention."""
    ids, am, rows, cols, targets, edges = batch
    model.set_attn_implementation("eager")
    out = model(input_ids=ids, attention_mask=am, output_attentions=True)
    ce = F.cross_entropy(out.logits[rows, cols], targets)  # mean over the K masked tokens
    r = dense_r(torch.stack(out.attentions), edges)  # attentions: L x (B, H, T, T)
    return ce + lam * r, r


@pytest.mark.parametrize("lam", [-2.0, 3.0])
def test_loop_adds_lambda_times_the_dense_per_edge_regularizer_to_its_loss(
    tiny_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lam: float
) -> None:
    """The loop's logged R and its gradient equal those of ``CE_mean + lam * R_dense`` on the
    global batch, over two micro-batches: the sign of lambda, the max over layers and heads
    in both directions, and the mean over the edges of the whole batch (not per micro-batch)
    are all the loop's, not only the regularizer function's."""
    rec = _one_step(tiny_config, tmp_path / "run", lam, monkeypatch)
    assert len(rec["calls"]) == 2  # two micro-batches
    batch = _global_batch(rec["calls"])
    assert len(batch[5]) > 0
    model = rec["before"]
    model.zero_grad()
    total, r = _dense_loss(model, batch, lam)
    total.backward()
    row = rec["row"]
    assert row["sas_active"] and row["sas_lambda"] == lam
    assert row["sas_reg"] == pytest.approx(float(r.detach()), rel=1e-5)
    assert row["loss_total"] == pytest.approx(float(total.detach()), rel=1e-5)
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    assert grads.keys() == rec["grad"].keys()
    for n, g in grads.items():
        torch.testing.assert_close(rec["grad"][n], g, rtol=1e-4, atol=1e-7, msg=n)


def test_one_loop_step_with_negative_lambda_raises_edge_attention_and_positive_lowers_it(
    tiny_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SAS+ (lambda < 0) raises the dense R on the step's batch, SAS- (lambda > 0) lowers it,
    against the MLM-only step as the control; each from the same initial model and batch."""
    after: dict[float, float] = {}
    batch: tuple[torch.Tensor, ...] | None = None
    for lam in (-5.0, 5.0, 0.0):  # lambda = 0 passes no edges: take them from a run with
        rec = _one_step(tiny_config, tmp_path / f"lam{lam}", lam, monkeypatch, grad_accum=1)
        if batch is None:
            batch = _global_batch(rec["calls"])
            with torch.no_grad():
                before = float(_dense_loss(rec["before"], batch, 0.0)[1])
        assert torch.equal(rec["calls"][0][0], batch[0])  # the same masked batch each time
        with torch.no_grad():
            after[lam] = float(_dense_loss(rec["model"], batch, 0.0)[1])
    assert after[-5.0] > before > after[5.0]
    assert after[-5.0] > after[0.0] > after[5.0]

"""bf16 training (``impl.precision: bf16``): a speed setting that must not change the science."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from bertology.train import pretrain
from bertology.train.objective import MLMObjective


def _rows(tiny_config: Any, out: Path, precision: str) -> list[dict[str, Any]]:
    """Six steps from the same initialisation, with the regularizer on (lambda = -0.5)."""
    cfg = tiny_config(
        model={"dropout": 0.0},
        train={"max_steps": 6, "warmup_steps": 0, "lr": 2e-3},
        sas={"lambda": -0.5},
        checkpoint={"every": 0, "initial": False},
        eval={"evaluators": []},
        impl={"precision": precision},
    )
    pretrain(cfg, out)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    return [r for r in rows if r["kind"] == "train"]


def test_bf16_training_runs_under_autocast_and_tracks_fp32_within_bf16_rounding(
    tiny_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six steps with ``impl.precision: bf16`` on the CPU: every forward runs under bf16
    autocast, every loss is finite, and the MLM loss and the regularizer stay within
    u / 4 (relative) of the fp32 run at every step, u = 2^-8 being bf16's unit roundoff.

    Why u / 4: a token's loss is ``logsumexp(z) - z_target``, taken in fp32 from bf16
    logits; each logit is off by a few roundings of size u * |z|, and here |z| < 0.4 while
    the loss is about 4.9, so even without any cancellation over the batch's ~100 masked
    tokens the relative error is a few u * 0.4 / 4.9 < u / 4. The weights drift apart only
    through AdamW updates of size lr = 2e-3 whose sign bf16 noise rarely flips (measured
    over six steps: at most 9e-5 relative, u / 40). u / 4 (0.005 on a loss of 4.9) is below
    every step-to-step change of the loss here (0.019 to 0.087), so a bf16 run that
    skipped or repeated an update, or logged another step's loss, falls outside it.
    """
    seen: list[tuple[bool, torch.dtype]] = []
    forward = MLMObjective.forward

    def spy(self: MLMObjective, *args: Any, **kw: Any) -> Any:
        seen.append((torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu")))
        return forward(self, *args, **kw)

    full = _rows(tiny_config, tmp_path / "fp32", "fp32")
    monkeypatch.setattr(MLMObjective, "forward", spy)
    half = _rows(tiny_config, tmp_path / "bf16", "bf16")
    assert seen == [(True, torch.bfloat16)] * 6
    for key in ("loss", "sas_reg"):
        a = np.array([r[key] for r in full])
        b = np.array([r[key] for r in half])
        assert len(b) == 6 and np.isfinite(b).all()
        np.testing.assert_allclose(b, a, rtol=2**-10, atol=0, err_msg=key)
    assert np.abs(np.diff([r["loss"] for r in full])).min() > 2**-10 * full[0]["loss"]

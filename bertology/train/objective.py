"""The training objective as one module: encoder, LM head at the masked positions only, regularizer.

``MLMObjective`` is what DDP wraps and ``torch.compile`` compiles. Its forward returns the
*sum* of the cross-entropy over the masked positions and the regularizer's mean over the
edges, so the loop can weight micro-batches exactly as one global batch (see ``loop.py``).

Two speed levers live here:

- the MLM head (a ``D x V`` projection, the largest matrix of a small model) runs only on the
  hidden states of the ~15% masked positions, gathered first; the logits there are the same
  as a full forward pass's;
- the attention kernel follows the regularizer: SDPA (never materialising attention
  probabilities) on steps where it is off, eager with ``output_attentions`` on steps where it
  is on. :func:`bertology.models.attention.set_attention_path` switches a loaded HF model
  between the two.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from bertology.models.heads import encoder_of, head_of
from bertology.syntax.regularizer import SyntacticRegularizer


class MLMObjective(nn.Module):
    """Masked-LM loss (+ syntactic attention term) of an HF ``*ForMaskedLM``."""

    def __init__(self, model: Any, regularizer: SyntacticRegularizer | None = None):
        super().__init__()
        self.model = model
        self.regularizer = regularizer or SyntacticRegularizer()

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor | None,
        rows: Tensor,
        cols: Tensor,
        targets: Tensor,
        edges: Tensor | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``(ce_sum, n_correct, reg)``.

        ``input_ids (B, T)``, ``attention_mask (B, T)`` or None, masked positions
        ``rows, cols (K,)`` with ``targets (K,)``; ``edges (E, 3)`` of ``(row, dep, head)``
        when the regularizer is on (the model must be on the eager path then). ``reg`` is
        R, the regularizer's mean over the edges (0 without edges), unweighted by lambda.
        """
        want_attn = edges is not None
        kw: dict[str, Any] = {"input_ids": input_ids}
        if attention_mask is not None:
            kw["attention_mask"] = attention_mask
        out = encoder_of(self.model)(**kw, output_attentions=want_attn)
        hidden = out.last_hidden_state[rows, cols]  # (K, D)
        logits = head_of(self.model)(hidden)  # (K, V)
        ce_sum = F.cross_entropy(logits.float(), targets, reduction="sum")  # ()
        n_correct = (logits.detach().argmax(-1) == targets).sum()  # ()
        reg = ce_sum.new_zeros(())
        if want_attn and len(edges):
            reg = self.regularizer.penalty(out.attentions, edges)
        return ce_sum, n_correct, reg


def count_params(model: Any) -> dict[str, int]:
    """Parameter counts for the FLOP estimate: encoder body, embeddings, head."""
    emb = sum(p.numel() for n, p in model.named_parameters() if "embeddings" in n)
    total = sum(p.numel() for p in model.parameters())
    head_dense = 0
    head_ids: set[int] = set()
    for n, p in model.named_parameters():
        if n.startswith(("cls.", "lm_head.", "predictions.", "vocab_")):
            head_dense += p.numel()
            head_ids.add(id(p))
    # A tied decoder is stored once, as the input embeddings, so it is not among the head's
    # parameters: add its (V, E) matrix for the head's FLOPs. E is the embedding width (ALBERT's
    # is narrower than its hidden width). An untied decoder is already counted.
    decoder = model.get_output_embeddings()
    tied = 0 if id(decoder.weight) in head_ids else decoder.weight.numel()
    return {
        "total": total,
        "embeddings": emb,
        "head": head_dense + tied,
        "body": total - emb - head_dense,
    }


def flops_per_step(model: Any, tokens: int, masked: int, seq_len: int) -> float:
    """Training FLOPs of one step (forward + backward = 3 x forward, 2 FLOPs per MAC).

    Counts the encoder at every token, attention scores (``12 * L * D * T`` per token, as
    nanoGPT's ``estimate_mfu``) and the head at the masked positions only, which is what
    is computed. Embedding lookups cost no FLOPs.
    """
    c = count_params(model)
    cfg = model.config
    layers = getattr(cfg, "num_hidden_layers", getattr(cfg, "n_layers", 0))
    hidden = getattr(cfg, "hidden_size", getattr(cfg, "dim", 0))
    return (
        6.0 * c["body"] * tokens
        + 12.0 * layers * hidden * seq_len * tokens
        + 6.0 * c["head"] * masked
    )


_PEAK_BF16_TFLOPS = {
    "H100": 989.0,
    "H200": 989.0,
    "A100": 312.0,
    "L4": 121.0,
    "A10": 125.0,
    "4090": 165.0,
}


def peak_flops(device: torch.device, override_tflops: float | None) -> float | None:
    """Dense bf16 peak FLOP/s of the GPU (None on CPU or an unknown GPU without an override)."""
    if override_tflops:
        return override_tflops * 1e12
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for k, v in _PEAK_BF16_TFLOPS.items():
        if k in name:
            return v * 1e12
    return None

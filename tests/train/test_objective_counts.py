"""The numbers the pre-training loop reports from the objective module.

- ``masked_acc`` comes from ``n_correct``: the count of masked positions whose argmax is the
  target, checked on targets chosen so that some are and some are not the argmax.
- MFU comes from ``flops_per_step`` over ``count_params``: the parameter counts are checked
  against formulas written here from each architecture's layer shapes, not by walking
  ``named_parameters`` as the implementation does.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from bertology.train.objective import MLMObjective, count_params, flops_per_step

V, D, FF, P, L = 97, 16, 24, 40, 2


def _bert(tied: bool = True) -> Any:
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=V,
        hidden_size=D,
        num_hidden_layers=L,
        num_attention_heads=2,
        intermediate_size=FF,
        max_position_embeddings=P,
        tie_word_embeddings=tied,
    )
    return BertForMaskedLM(cfg).eval()


def _bert_by_hand() -> dict[str, int]:
    """BERT: embeddings (word, position, 2 token types, LayerNorm); per layer Q, K, V, O with
    biases, attention LayerNorm, FFN up and down with biases, output LayerNorm; head transform
    (dense + LayerNorm), output bias, and the V x D decoder applied at each masked token."""
    emb = V * D + P * D + 2 * D + 2 * D
    layer = 4 * (D * D + D) + 2 * D + (D * FF + FF) + (FF * D + D) + 2 * D
    head_params = (D * D + D) + 2 * D + V
    return {"embeddings": emb, "body": L * layer, "head_params": head_params, "decoder": V * D}


def test_bert_counts_equal_the_layer_shapes_by_hand() -> None:
    """Tied BERT: the decoder is the word embedding matrix, stored once; the head's FLOP count
    still includes it (V x D multiply-adds per masked token)."""
    want = _bert_by_hand()
    c = count_params(_bert(tied=True))
    assert c["embeddings"] == want["embeddings"]
    assert c["body"] == want["body"]
    assert c["head"] == want["head_params"] + want["decoder"]
    assert c["total"] == want["embeddings"] + want["body"] + want["head_params"]


def test_untied_bert_counts_its_decoder_once() -> None:
    """Untied BERT stores its own decoder matrix: it belongs to the head, counted once in the
    head's FLOPs and once in the total, never in the body."""
    model = _bert(tied=False)
    want = _bert_by_hand()
    stored = sum(p.numel() for p in model.parameters())
    c = count_params(model)
    assert c["body"] == want["body"]
    assert c["embeddings"] == want["embeddings"]
    # the decoder's own bias, if this transformers version stores one apart from the head's
    extra = stored - (want["embeddings"] + want["body"] + want["head_params"] + want["decoder"])
    assert extra in (0, V)
    assert c["head"] == want["head_params"] + want["decoder"] + extra
    assert c["total"] == stored


def test_albert_head_uses_the_embedding_width_not_the_hidden_width() -> None:
    """ALBERT's decoder maps the E-wide head output to V (E = 8 here, hidden D = 16): its FLOPs
    are V x E per masked token. The hidden-to-E projection is part of the head, and the
    E-to-hidden mapping at the encoder's input is part of the body."""
    from transformers import AlbertConfig, AlbertForMaskedLM

    E = 8
    cfg = AlbertConfig(
        vocab_size=V,
        embedding_size=E,
        hidden_size=D,
        num_hidden_layers=L,
        num_attention_heads=2,
        intermediate_size=FF,
        max_position_embeddings=P,
    )
    torch.manual_seed(0)
    c = count_params(AlbertForMaskedLM(cfg))
    emb = V * E + P * E + 2 * E + 2 * E
    shared_layer = 4 * (D * D + D) + 2 * D + (D * FF + FF) + (FF * D + D) + 2 * D
    body = (E * D + D) + shared_layer  # one layer group, shared by every layer
    head_params = (D * E + E) + 2 * E + V
    assert c["embeddings"] == emb
    assert c["body"] == body
    assert c["head"] == head_params + V * E
    assert c["total"] == emb + body + head_params


def test_distilbert_counts_equal_the_layer_shapes_by_hand() -> None:
    """DistilBERT: no token types; head = vocab_transform, vocab_layer_norm, projector bias
    and the tied V x D projector."""
    from transformers import DistilBertConfig, DistilBertForMaskedLM

    cfg = DistilBertConfig(
        vocab_size=V, dim=D, n_layers=L, n_heads=2, hidden_dim=FF, max_position_embeddings=P
    )
    torch.manual_seed(0)
    c = count_params(DistilBertForMaskedLM(cfg))
    emb = V * D + P * D + 2 * D
    layer = 4 * (D * D + D) + 2 * D + (D * FF + FF) + (FF * D + D) + 2 * D
    head_params = (D * D + D) + 2 * D + V
    assert c["embeddings"] == emb and c["body"] == L * layer
    assert c["head"] == head_params + V * D
    assert c["total"] == emb + L * layer + head_params


def test_flops_per_step_by_hand() -> None:
    """6 FLOPs per parameter per token for the body, 12 * L * D * T per token for attention
    scores, and 6 per head multiply-add at each masked token only."""
    want = _bert_by_hand()
    tokens, masked, seq_len = 50, 7, 32
    expected = (
        6 * want["body"] * tokens
        + 12 * L * D * seq_len * tokens
        + 6 * (want["head_params"] + want["decoder"]) * masked
    )
    assert flops_per_step(_bert(), tokens, masked, seq_len) == pytest.approx(expected, rel=1e-12)


def test_n_correct_counts_the_masked_positions_whose_argmax_is_the_target() -> None:
    """Targets are set to the full forward pass's argmax at 3 of 5 masked positions and to
    its argmin at the other 2: ``n_correct`` is 3 (argmin would give 2, a constant 0 or 5)."""
    model = _bert()
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, V, (2, 9), generator=g)
    rows = torch.tensor([0, 0, 1, 1, 1])
    cols = torch.tensor([2, 5, 0, 4, 8])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[rows, cols]  # (K, V), written apart from the head
        best, worst = logits.argmax(-1), logits.argmin(-1)
        assert bool((best != worst).all())
        targets = torch.where(torch.tensor([True, False, True, True, False]), best, worst)
        _, n_correct, _ = MLMObjective(model)(ids, None, rows, cols, targets)
    assert int(n_correct) == 3


def test_peak_flops_from_override_or_gpu_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """The MFU denominator: an override in TFLOP/s is taken as given (x 1e12); otherwise a
    known GPU name gives its dense bf16 peak, an unknown GPU or the CPU gives None."""
    from bertology.train.objective import peak_flops

    assert peak_flops(torch.device("cpu"), 123.0) == pytest.approx(123.0e12)
    assert peak_flops(torch.device("cpu"), None) is None
    cuda = torch.device("cuda", 0)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "NVIDIA A100-SXM4-80GB")
    assert peak_flops(cuda, None) == pytest.approx(312.0e12)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "Some Unknown Accelerator")
    assert peak_flops(cuda, None) is None

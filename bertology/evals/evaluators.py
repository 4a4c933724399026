"""Pre-training checkpoint evaluators ``blimp`` and ``twonn`` (``eval.evaluators``).

Both fix their data when the run builds them, so every checkpoint is measured on the same
pairs and the same texts:

- ``blimp``: the first ``eval.blimp_per_paradigm`` pairs of each paradigm of
  ``eval.blimp_pairs`` (the world's ``minimal_pairs/``), scored with ``eval.blimp_metric``.
  Logs ``blimp`` (mean over paradigms) with its 95% bootstrap interval ``blimp_ci`` (pairs
  resampled within each paradigm) and ``blimp_n`` pairs, ``blimp_pairs`` (mean over pairs)
  and the accuracy of each paradigm.
- ``twonn``: the first ``eval.twonn_n`` lines of ``eval.twonn_texts`` (default: the first
  ``data.valid`` file), one mean-pooled vector per text. Logs ``twonn`` (the last layer's
  intrinsic dimension) and the dimension of every layer.
"""

from __future__ import annotations

from typing import Any

from bertology.errors import InputError
from bertology.evals.blimp import read_pairs, score_pairs, summarize
from bertology.evals.represent import layer_vectors, read_texts
from bertology.evals.twonn import twonn


class BlimpEvaluator:
    def __init__(self, ctx: Any):
        e = ctx.config.eval
        if not e.blimp_pairs:
            raise InputError(
                "the blimp evaluator needs minimal pairs: set eval.blimp_pairs (a BLiMP "
                "directory, or the world's minimal_pairs/)"
            )
        self.ctx = ctx
        self.pairs = read_pairs(e.blimp_pairs, None, e.blimp_per_paradigm)
        self.metric = e.blimp_metric

    def __call__(self, model: Any, step: int) -> dict[str, Any]:
        scored = score_pairs(model, self.ctx.tokenizer, self.pairs, self.metric)
        res = summarize(scored, self.metric)
        return {
            "blimp": res["overall"],
            "blimp_ci": res["overall_ci"],
            "blimp_pairs": res["overall_pairs"],
            "blimp_n": len(scored),
            "blimp_by_paradigm": {u: p["accuracy"] for u, p in res["paradigms"].items()},
        }


class TwoNNEvaluator:
    def __init__(self, ctx: Any):
        cfg = ctx.config
        path = cfg.eval.twonn_texts or (cfg.data.valid[0] if cfg.data.valid else None)
        if not path:
            raise InputError(
                "the twonn evaluator needs held-out texts: set eval.twonn_texts or data.valid"
            )
        self.ctx = ctx
        self.texts, _ = read_texts(path, cfg.eval.twonn_n)
        if len(self.texts) < 10:
            raise InputError(
                f"the twonn evaluator needs at least 10 texts, got {len(self.texts)}", path
            )

    def __call__(self, model: Any, step: int) -> dict[str, Any]:
        cfg = self.ctx.config
        layers = list(range(int(model.config.num_hidden_layers) + 1))
        vectors = layer_vectors(
            model, self.ctx.tokenizer, self.texts, layers, "mean", cfg.impl.eval_batch_size,
            cfg.train.seq_len,
        )  # fmt: skip
        dims = {str(layer): twonn(vectors[layer]).dimension for layer in layers}
        return {"twonn": dims[str(layers[-1])], "twonn_by_layer": dims}

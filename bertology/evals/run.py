"""``bertology blimp`` and ``bertology twonn`` as run directories.

Each reads its inputs before anything is written, builds the run beside ``--out`` and swaps
it in when complete (an existing run is replaced only with ``--overwrite``), and writes
``config.yaml``, ``env.json``, ``results.json``, ``metrics.jsonl``, ``figures/`` and
``report.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology.console import console
from bertology.evals.blimp import pair_rows, read_pairs, score_pairs, summarize
from bertology.evals.config import BlimpConfig, TwoNNConfig, parse_layers
from bertology.evals.pll import PLLStats
from bertology.evals.represent import layer_vectors, read_texts
from bertology.evals.twonn import twonn
from bertology.io import atomic_write_jsonl
from bertology.models.load import load_mlm
from bertology.report.figures import line_plot
from bertology.report.figures_bars import bar_chart
from bertology.rundir import RunDir, check_out


def blimp(config: BlimpConfig, out: str | Path, overwrite: bool = False) -> dict[str, Any]:
    """Score every minimal pair; write ``results.json``, ``pairs.jsonl`` and the figures."""
    check_out(Path(out), overwrite, "blimp")
    pairs = read_pairs(config.data, config.paradigms, config.limit)
    imp = config.impl
    model, tokenizer = load_mlm(config.model, imp.device, imp.dtype, attn=imp.attn)
    device = str(next(model.parameters()).device)
    run = RunDir(out, "blimp", config, device=device, staged=True, overwrite=overwrite)
    try:
        stats = PLLStats()
        scored = score_pairs(
            model, tokenizer, pairs, config.metric, imp.token_budget, imp.head_rows, stats
        )
        atomic_write_jsonl(run.path / "pairs.jsonl", pair_rows(scored))
        results = {"model": config.model, "data": config.data, **summarize(scored, config.metric)}
        results["throughput"] = {
            "pairs_per_s": len(pairs) / stats.seconds if stats.seconds else None,
            "seconds": stats.seconds,
            "encoder_calls": stats.calls,
            "masked_copies": stats.copies,
            "padding_fraction": 1 - stats.real_tokens / max(stats.padded_tokens, 1),
        }
        for uid, p in results["paradigms"].items():
            run.log_metrics({"paradigm": uid, **p})
        run.write_results(results)
        _blimp_figures(run, results)
        run.finish("bertology blimp")
    except BaseException:
        run.abandon()
        raise
    console.print(
        f"[bold]blimp[/bold] {len(pairs)} pairs, {len(results['paradigms'])} paradigms "
        f"({config.metric}): overall {results['overall']:.3f} (mean over paradigms), "
        f"{results['overall_pairs']:.3f} over pairs -> {run.final}"
    )
    return run.read_results()


def _blimp_figures(run: RunDir, results: dict[str, Any]) -> None:
    """Accuracy by field and by paradigm, lowest first, each bar with its 95% interval and
    n (pairs), and chance (0.5: one of two sentences) as a dashed line."""
    for key, name in (("fields", "field"), ("paradigms", "paradigm")):
        rows = dict(sorted(results[key].items(), key=lambda x: x[1]["accuracy"]))
        bar_chart(
            {k: v["accuracy"] for k, v in rows.items()},
            run.figures / f"blimp_by_{name}.png",
            f"BLiMP accuracy by {name}",
            "accuracy (pairs right)",
            intervals={k: v.get("ci") for k, v in rows.items()},
            counts={k: v.get("n") for k, v in rows.items()},
            baseline=0.5,
            baseline_label="chance (0.5)",
        )


def twonn_run(config: TwoNNConfig, out: str | Path, overwrite: bool = False) -> dict[str, Any]:
    """TwoNN intrinsic dimension of the texts' vectors at every chosen layer."""
    check_out(Path(out), overwrite, "twonn")
    texts, _ = read_texts(config.texts, config.n)
    imp = config.impl
    model, tokenizer = load_mlm(config.model, imp.device, imp.dtype, attn="sdpa")
    layers = parse_layers(config.layers, int(model.config.num_hidden_layers))
    device = str(next(model.parameters()).device)
    run = RunDir(out, "twonn", config, device=device, staged=True, overwrite=overwrite)
    try:
        vectors = layer_vectors(
            model, tokenizer, texts, layers, config.pool, imp.batch_size, config.max_length
        )
        per_layer = {}
        for layer in layers:
            res = twonn(vectors[layer], config.discard_fraction, config.metric)
            per_layer[str(layer)] = res.to_dict()
            run.log_metrics({"layer": layer, **res.to_dict()})
        results = {
            "model": config.model,
            "texts": config.texts,
            "n_texts": len(texts),
            "pool": config.pool,
            "metric": config.metric,
            "layers": per_layer,
        }
        run.write_results(results)
        line_plot(
            {"TwoNN": ([int(k) for k in per_layer], [v["dimension"] for v in per_layer.values()])},
            run.figures / "twonn_by_layer.png",
            "TwoNN intrinsic dimension by layer",
            "layer (0: embeddings)",
            "intrinsic dimension",
        )
        run.finish("bertology twonn")
    except BaseException:
        run.abandon()
        raise
    shown = ", ".join(f"{k}: {v['dimension']:.1f}" for k, v in per_layer.items())
    console.print(f"[bold]twonn[/bold] {len(texts)} texts, d by layer: {shown} -> {run.final}")
    return run.read_results()

"""``bertology uas`` as a library function: trees in, a run directory out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology.data.dependency import write_conllu
from bertology.data.parsing import load_dependency_data
from bertology.models import load_encoder, resolve_device
from bertology.rundir import RunDir, check_out
from bertology.syntax.attention_export import KeptAttention, write_uas_attention
from bertology.syntax.config import UASConfig
from bertology.syntax.figures import plot_by_relation, plot_uas_heatmap
from bertology.syntax.uas import compute_uas


def run_uas(
    cfg: UASConfig, out: str | Path, progress: bool | None = None, overwrite: bool = False
) -> dict[str, Any]:
    """Measure head-wise UAS and write ``RUN/results.json``, figures and ``report.html``.

    With ``cfg.text`` the text is parsed with spaCy first and the parses are kept as
    ``RUN/parsed.conllu``. The word-level attention of the first ``cfg.attention_sentences``
    sentences goes to ``RUN/attention.json`` for the report's viewer. Returns the results
    dictionary.
    """
    cfg.validate()
    check_out(Path(out), overwrite, "uas")  # before parsing or loading anything
    progress = cfg.impl.progress if progress is None else progress
    sentences = load_dependency_data(
        cfg.conllu, cfg.text, cfg.spacy_model, cfg.max_sentences, progress=progress
    )
    device = resolve_device(cfg.impl.device)
    model, tokenizer = load_encoder(cfg.model, device=device, dtype=cfg.impl.dtype)

    run = RunDir(out, "uas", cfg, device=str(device), staged=True, overwrite=overwrite)
    try:
        if cfg.text is not None:
            write_conllu(sentences, run.path / "parsed.conllu")
        kept = KeptAttention(cfg.attention_sentences)
        result = compute_uas(
            model,
            tokenizer,
            sentences,
            from_agg=cfg.from_agg,
            to_agg=cfg.to_agg,
            batch_size=cfg.impl.batch_size,
            max_length=cfg.max_length,
            progress=progress,
            log=run.log_metrics,
            on_attention=kept if kept.limit else None,
        )
        results = {"model": cfg.model, **result.to_results(cfg.min_relation_count)}
        plot_uas_heatmap(result, run.figures / "uas_heatmap.png")
        plot_by_relation(result, run.figures / "by_relation.png", cfg.min_relation_count)
        write_uas_attention(
            run.path / "attention.json", kept, sentences, result, cfg.model, cfg.min_relation_count
        )
        run.write_results(results)
        run.finish(title=f"bertology uas: {cfg.model}")
    except BaseException:
        run.abandon()
        raise
    return run.read_results()

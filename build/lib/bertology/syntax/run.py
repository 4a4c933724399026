"""``bertology uas`` as a library function: trees in, a run directory out."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bertology.data.dependency import load_dependency_data, write_conllu
from bertology.errors import InputError
from bertology.syntax.align import AGGREGATIONS


@dataclass
class UASConfig:
    """What ``bertology uas`` measures (science) and how fast (``batch_size``, ``device``,
    ``dtype``; these do not change the result beyond float rounding)."""

    model: str
    conllu: str | None = None
    text: str | None = None
    spacy_model: str | None = None
    max_sentences: int | None = None
    from_agg: str = "mean"
    to_agg: str = "sum"
    min_relation_count: int = 20
    max_length: int | None = None
    # speed
    batch_size: int | None = None  # None: 32 on a GPU, 8 on a CPU
    device: str = "auto"
    dtype: str | None = None


def run_uas(cfg: UASConfig, out: str | Path, progress: bool = True) -> dict[str, Any]:
    """Measure head-wise UAS and write ``RUN/results.json``, figures and ``report.html``.

    With ``cfg.text`` the text is parsed with spaCy first and the parses are kept as
    ``RUN/parsed.conllu``. Returns the results dictionary.
    """
    from bertology.models import load_encoder, resolve_device
    from bertology.rundir import RunDir
    from bertology.syntax.figures import plot_by_relation, plot_uas_heatmap
    from bertology.syntax.uas import compute_uas

    for agg in (cfg.from_agg, cfg.to_agg):
        if agg not in AGGREGATIONS:
            raise InputError(f"unknown aggregation {agg!r}; known: {', '.join(AGGREGATIONS)}")
    if cfg.max_sentences is not None and cfg.max_sentences < 1:
        raise InputError(f"--max-sentences must be at least 1, got {cfg.max_sentences}")
    sentences = load_dependency_data(
        cfg.conllu, cfg.text, cfg.spacy_model, cfg.max_sentences, progress=progress
    )
    device = resolve_device(cfg.device)
    model, tokenizer = load_encoder(cfg.model, device=device, dtype=cfg.dtype)

    run = RunDir(out, "uas", asdict(cfg), device=str(device))
    if cfg.text is not None:
        write_conllu(sentences, run.path / "parsed.conllu")
    result = compute_uas(
        model,
        tokenizer,
        sentences,
        from_agg=cfg.from_agg,
        to_agg=cfg.to_agg,
        batch_size=cfg.batch_size,
        max_length=cfg.max_length,
        progress=progress,
        log=run.log_metrics,
    )
    results = {"model": cfg.model, **result.to_results(cfg.min_relation_count)}
    plot_uas_heatmap(result, run.figures / "uas_heatmap.png")
    plot_by_relation(result, run.figures / "by_relation.png", cfg.min_relation_count)
    run.write_results(results)
    run.finish(title=f"bertology uas: {cfg.model}")
    return run.read_results()

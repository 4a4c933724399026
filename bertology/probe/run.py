"""``bertology probe``: cloze probing of a masked LM on a fact file, written to a run directory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bertology.console import console, say
from bertology.data.facts import Fact, FactSet, read_facts, split_by_subject
from bertology.errors import InputError
from bertology.io import atomic_write_jsonl
from bertology.models.load import load_mlm
from bertology.probe.attention import write_probe_attention
from bertology.probe.config import ProbeConfig
from bertology.probe.metrics import aggregate, hits_at, summary_lines
from bertology.probe.scoring import (
    CandidateSet,
    FactScore,
    PreparedFact,
    prepare_facts,
    score_facts,
)
from bertology.report.figures_bars import bar_chart
from bertology.rundir import RunDir, check_out
from bertology.stats import LEVEL, RESAMPLES


@dataclass
class Evaluation:
    """Metrics (``aggregate``'s dict), per-fact scores and skip reasons of one evaluation.

    ``hits`` and ``per_fact`` give the per-fact values every metric is a mean of, so a caller
    can bootstrap its own intervals (a subnetwork against the full model on the same facts).
    """

    metrics: dict[str, Any]
    scores: list[FactScore]
    skipped: list[tuple[Fact, str]]
    stats: dict[str, float]

    def hits(self, k: int = 1, relation: str | None = None) -> list[float]:
        """1.0 per scored fact whose gold object ranks in the top ``k``, else 0.0, in
        ``scores`` order (only ``relation``'s facts when given): P@k is their mean."""
        return hits_at([s.rank for s in self.scores if relation in (None, s.fact.relation)], k)

    def per_fact(self, ks: Sequence[int] = (1, 10)) -> list[dict[str, Any]]:
        """One row per scored fact, in ``scores`` order: subject, relation, object, rank,
        ``hit@k`` (0 or 1) for each k and ``rr`` (1 / rank)."""
        return [
            {
                "subject": s.fact.subject,
                "relation": s.fact.relation,
                "object": s.fact.object,
                "rank": s.rank,
                **{f"hit@{k}": int(s.rank <= k) for k in ks},
                "rr": 1.0 / s.rank,
            }
            for s in self.scores
        ]


def evaluate_facts(
    model: Any,
    tokenizer: Any,
    facts: Sequence[Fact],
    ks: Sequence[int] = (1, 10),
    candidates: str | Path | CandidateSet = "all",
    candidate_facts: Sequence[Fact] | None = None,
    average_prompts: bool = False,
    batch_size: int = 64,
    top: int = 10,
    progress: bool = False,
    ci: bool = False,
    ci_seed: int = 0,
) -> Evaluation:
    """Rank every fact's object and aggregate P@k / MRR per relation, macro and micro.

    ``ci``: every metric also gets its 95% bootstrap interval over facts (``"p@1_ci"``, see
    :mod:`bertology.probe.metrics`), seeded by ``ci_seed``. Off by default: an evaluation
    repeated many times (every epoch, every mask) need not pay for the resampling."""
    prepared, skipped = prepare_facts(facts, tokenizer, candidates, candidate_facts)
    relations = {f.relation for f in facts}
    return evaluate_prepared(
        model,
        tokenizer,
        prepared,
        skipped,
        relations,
        ks,
        average_prompts,
        batch_size,
        top,
        progress,
        ci,
        ci_seed,
    )


def evaluate_prepared(
    model: Any,
    tokenizer: Any,
    prepared: Sequence[PreparedFact],
    skipped: Sequence[tuple[Fact, str]],
    relations: set[str],
    ks: Sequence[int] = (1, 10),
    average_prompts: bool = False,
    batch_size: int = 64,
    top: int = 10,
    progress: bool = False,
    ci: bool = False,
    ci_seed: int = 0,
) -> Evaluation:
    """:func:`evaluate_facts` on facts prepared once (:func:`prepare_facts`), e.g. a
    relation's dev facts evaluated after every epoch of mask training."""
    scores, stats = score_facts(
        model,
        tokenizer,
        prepared,
        batch_size=batch_size,
        average_prompts=average_prompts,
        top=top,
        progress=progress,
    )
    reasons: dict[str, Counter[str]] = {}
    for f, why in skipped:
        reasons.setdefault(f.relation, Counter())[why] += 1
    ranks: dict[str, list[int]] = {}
    for s in scores:
        ranks.setdefault(s.fact.relation, []).append(s.rank)
    for r in relations:
        ranks.setdefault(r, [])
    skipped_by_relation = {r: sum(c.values()) for r, c in reasons.items()}
    metrics = aggregate(ranks, skipped_by_relation, ks, ci=ci, seed=ci_seed)
    for r, c in reasons.items():
        metrics["relations"][r]["skipped_reasons"] = dict(c)
    return Evaluation(metrics, scores, list(skipped), stats)


def select_split(
    factset: FactSet, split: str, seed: int, ratios: tuple[float, float, float]
) -> list[Fact]:
    """All facts, or one subject-disjoint split of them."""
    if split == "all":
        return factset.facts
    if split not in ("train", "dev", "test"):
        raise InputError(f"unknown split {split!r}; known splits: all, train, dev, test")
    return split_by_subject(factset.facts, ratios, seed)[split]


def prediction_rows(
    scores: Sequence[FactScore], skipped_facts: Sequence[tuple[Fact, str]], tokenizer: Any
) -> list[dict[str, Any]]:
    """One JSON row per fact: the prompt, the gold rank and the top predictions."""
    rows = []
    for s in scores:
        toks = tokenizer.convert_ids_to_tokens(s.top_ids)
        rows.append(
            {
                "subject": s.fact.subject,
                "relation": s.fact.relation,
                "object": s.fact.object,
                "prompt": s.fact.prompts[0],
                "rank": s.rank,
                "gold_log_prob": s.gold_log_prob,
                "top": [
                    {"token": t, "id": i, "log_prob": lp}
                    for t, i, lp in zip(toks, s.top_ids, s.top_log_probs, strict=True)
                ],
            }
        )
    for f, reason in skipped_facts:
        rows.append(
            {
                "subject": f.subject,
                "relation": f.relation,
                "object": f.object,
                "prompt": f.prompts[0],
                "skipped": reason,
            }
        )
    return rows


def _p_at_1_figure(run: RunDir, metrics: dict[str, Any], cands: CandidateSet, vocab: int) -> None:
    """P@1 per relation with its 95% interval and n, and chance (1 / the number of candidate
    words: the relation's objects, the candidate file's words, or the vocabulary) per bar."""
    rels = {r: m for r, m in metrics["relations"].items() if m["n"] > 0}
    if not rels:
        return
    size = {r: len(cands.words.get(r, cands.words.get(None, ()))) or vocab for r in rels}
    bar_chart(
        {r: m["p@1"] for r, m in rels.items()},
        run.figures / "p_at_1_by_relation.png",
        f"P@1 by relation (candidates: {cands.spec})",
        "P@1",
        intervals={r: m.get("p@1_ci") for r, m in rels.items()},
        counts={r: m["n"] for r, m in rels.items()},
        baseline={r: 1 / size[r] for r in rels},
        baseline_label="chance (1 / #candidates)",
    )


def probe(
    config: ProbeConfig,
    out: str | Path,
    model: Any = None,
    tokenizer: Any = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Probe ``config.model`` on ``config.facts``; write the run directory; return results.

    Writes ``results.json`` (schema 1), ``predictions.jsonl`` (top predictions per fact, and
    each skipped fact with its reason), ``config.yaml``, ``env.json``, a P@1 figure and
    ``report.html``. A preloaded ``model``/``tokenizer`` may be passed (library use). The run
    is built beside ``out`` and swapped in when complete; an existing run is replaced only
    with ``overwrite``.
    """
    check_out(Path(out), overwrite, "probe")  # before reading anything large
    factset = read_facts(config.facts, config.relations_file).select(config.relations)
    facts = select_split(factset, config.split, config.split_seed, config.split_ratios)
    if not facts:
        raise InputError(f"no facts in split {config.split!r}", config.facts)
    if model is None:
        imp = config.impl
        model, tokenizer = load_mlm(config.model, imp.device, imp.dtype, attn=imp.attn)
    device = str(next(model.parameters()).device)
    run = RunDir(out, "probe", config, device=device, staged=True, overwrite=overwrite)
    try:
        ev = evaluate_facts(
            model,
            tokenizer,
            facts,
            config.k,
            config.candidates,
            factset.facts,
            config.average_prompts,
            config.impl.batch_size,
            config.top,
            progress=True,
            ci=True,
        )
        if not ev.scores:  # a table of NaNs is no result
            why = Counter(reason for _, reason in ev.skipped).most_common()
            raise InputError(
                f"none of the {len(facts)} facts can be scored with this model ("
                + ", ".join(f"{n} {reason}" for reason, n in why)
                + ")",
                config.facts,
            )
        atomic_write_jsonl(
            run.path / "predictions.jsonl", prediction_rows(ev.scores, ev.skipped, tokenizer)
        )
        if config.attention:  # the viewer's [MASK] attention, first N scored facts a relation
            scored = [s.fact for s in ev.scores]
            write_probe_attention(
                run.path / "attention.json",
                model,
                tokenizer,
                scored,
                config.attention,
                config.model,
            )
        results = {
            "model": config.model,
            "facts": config.facts,
            "split": config.split,
            "candidates": config.candidates,
            "n_facts": len(facts),
            "duplicates_removed": factset.duplicates_removed,
            **ev.metrics,
            "intervals": {
                "level": LEVEL,
                "method": "percentile bootstrap over facts (macro: within each relation)",
                "resamples": RESAMPLES,
                "seed": 0,
            },
            "throughput": ev.stats,
        }
        run.write_results(results)
        _p_at_1_figure(run, ev.metrics, CandidateSet.resolve(config.candidates, factset.facts),
                       len(tokenizer))  # fmt: skip
        run.finish("bertology probe")
    except BaseException:
        run.abandon()
        raise
    micro = ev.metrics["micro"]
    console.print(
        f"[bold]probe[/bold] {len(ev.scores)} facts scored, {micro['skipped']} skipped; "
        f"micro P@1 {micro['p@1']:.3f}, MRR {micro['mrr']:.3f}; {ev.stats['facts_per_s']:.1f} facts/s "
        f"-> {run.path}"
    )
    for line in summary_lines(ev.metrics):
        say(line)
    return run.read_results()

"""``bertology kbc``: tail prediction and triple classification, written to a run directory.

The full model and, with ``--masks RUN`` (a ``bertology prune`` run), each relation's own
subnetwork and a random mask of the same sparsity in every matrix are scored on the same
facts, so their numbers pair up fact by fact. With masks the split is the prune run's
(its ``split_ratios`` and ``split_seed``), so the subnetworks are judged on subjects their
training never saw, and only relations with a mask are evaluated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bertology.console import console, warn
from bertology.data.facts import Fact, split_by_subject
from bertology.errors import InputError
from bertology.io import atomic_write_jsonl
from bertology.kbc.classify import THRESHOLD_RULE, Judged, classification, negatives_for_split
from bertology.kbc.config import KBCConfig
from bertology.kbc.data import (
    KBCData,
    candidate_set,
    read_kbc_facts,
    select_split,
    split_negatives,
    split_settings,
    true_objects,
)
from bertology.kbc.ranking import (
    Query,
    QueryScore,
    gold_queries,
    rank_metrics,
    rank_queries,
    ranks_by_relation,
    score_variant,
)
from bertology.kbc.report import draw_figure, print_summary
from bertology.models.load import load_mlm
from bertology.probe.scoring import PreparedFact, prepare_facts
from bertology.prune.analysis import random_control
from bertology.prune.config import PruneRunConfig, load_run_config
from bertology.prune.followup import load_run_masks
from bertology.prune.intervals import paired_difference
from bertology.rundir import RunDir, check_out
from bertology.stats import LEVEL, RESAMPLES


@dataclass(frozen=True)
class _Meta:
    """Where a classification triple belongs: its split, label and origin."""

    split: str
    label: bool
    origin: str


def _inputs(config: KBCConfig, run_cfg: PruneRunConfig | None) -> tuple[str, str, str | None]:
    """The model, facts and relations file: as given, else the prune run's."""
    model = config.model or (run_cfg.model if run_cfg else None)
    facts = config.facts or (run_cfg.facts if run_cfg else None)
    if model is None or facts is None:
        raise InputError("give --model and --facts (or --masks RUN to use the run's)")
    relations_file = config.relations_file
    if relations_file is None and run_cfg is not None and config.facts is None:
        relations_file = run_cfg.relations_file
    if run_cfg is not None and Path(facts).resolve() != Path(run_cfg.facts).resolve():
        warn(
            f"--facts is not the prune run's fact file ({run_cfg.facts}): the run's split "
            "settings are applied to it, but subjects the masks were trained on may be evaluated"
        )
    return model, facts, relations_file


def _classification_triples(
    config: KBCConfig,
    data: KBCData,
    dev_data: KBCData | None,
    splits: dict[str, list[Fact]],
    negatives: dict[str, list[Fact]],
    evaluated: list[Fact],
    truth: dict[tuple[str, str], set[str]],
    tokenizer: Any,
) -> tuple[list[tuple[Fact, _Meta]], dict[str, Any]]:
    """Dev and test triples, true and false, with what the results say about them."""
    relations = {f.relation for f in evaluated}
    every = data.facts.facts + (dev_data.facts.facts if dev_data else [])
    objects: dict[str, set[str]] = {}
    for f in every:
        objects.setdefault(f.relation, set()).add(f.object)
    sorted_objects = {r: sorted(o) for r, o in objects.items()}
    if dev_data is not None:
        dev_pos, dev_neg = dev_data.facts.facts, dev_data.negatives
    else:
        dev_pos, dev_neg = splits["dev"], negatives["dev"]
    test_neg = data.negatives if config.split == "all" else negatives[config.split]
    triples: list[tuple[Fact, _Meta]] = []
    info: dict[str, Any] = {"splits": {}}
    for split, pos, neg in (("dev", dev_pos, dev_neg), ("test", evaluated, test_neg)):
        pos = [f for f in pos if f.relation in relations]
        neg = [f for f in neg if f.relation in relations]
        made, origin, missing = negatives_for_split(
            pos, neg, sorted_objects, truth, tokenizer, config.negative_seed
        )
        triples += [(f, _Meta(split, True, "fact")) for f in pos]
        triples += [(f, _Meta(split, False, origin[f.relation])) for f in made]
        info["splits"][split] = {
            "true": len(pos),
            "false": len(made),
            "negatives": origin,
            "facts_without_sampled_negative": missing,
        }
    return triples, info


def _matched_meta(triples: list[tuple[Fact, _Meta]], ready: list[PreparedFact]) -> list[_Meta]:
    """The metadata of each prepared triple: ``prepare_facts`` keeps the order of the triples
    it does not skip, so the two lists are walked together."""
    out: list[_Meta] = []
    it = iter(triples)
    for p in ready:
        fact, meta = next(it)
        while fact is not p.fact:
            fact, meta = next(it)
        out.append(meta)
    return out


def kbc(
    config: KBCConfig,
    out: str | Path,
    model: Any = None,
    tokenizer: Any = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Rank and classify; write the run directory; return its ``results.json``.

    Writes ``results.json`` (schema 1), ``ranks.jsonl`` (a line per fact and variant, and one
    per skipped fact with its reason), ``classification.jsonl`` (with classification),
    ``metrics.jsonl``, ``config.yaml``, ``env.json``, ``figures/`` and ``report.html``. The run
    is built beside ``out`` and swapped in when complete."""
    check_out(Path(out), overwrite, "kbc")  # before reading anything large
    run_cfg = load_run_config(config.masks) if config.masks else None
    model_name, facts_path, relations_file = _inputs(config, run_cfg)
    ratios, seed = split_settings(
        config.split_ratios,
        config.split_seed,
        run_cfg.train.split_ratios if run_cfg else None,
        run_cfg.train.split_seed if run_cfg else None,
    )
    data = read_kbc_facts(facts_path, relations_file, config.facts_format).select(config.relations)
    splits = split_by_subject(data.facts.facts, ratios, seed)
    negatives = split_negatives(data.negatives, splits, ratios, seed)
    evaluated = select_split(data.facts.facts, config.split, splits)
    if not evaluated:
        raise InputError(f"no facts in split {config.split!r}", facts_path)
    dev_data = read_kbc_facts(config.dev_facts, relations_file) if config.dev_facts else None
    has_dev = dev_data is not None or (config.split == "test" and bool(splits["dev"]))
    classify = has_dev if config.classify is None else config.classify
    if classify and not has_dev:
        raise InputError("classify: the dev split is empty; give --dev-facts", facts_path)
    if model is None:
        imp = config.impl
        model, tokenizer = load_mlm(model_name, imp.device, imp.dtype, attn=imp.attn)
    masks = load_run_masks(config.masks, model) if config.masks else None
    without_mask: list[str] = []
    if masks is not None:
        without_mask = sorted({f.relation for f in evaluated} - set(masks))
        if without_mask:
            warn(f"relations without a mask in {config.masks}, not evaluated: {without_mask}")
        evaluated = [f for f in evaluated if f.relation in masks]
        if not evaluated:
            raise InputError("no evaluated fact has a relation with a mask", config.masks)
    truth = true_objects(data.facts.facts + (dev_data.facts.facts if dev_data else []))
    cset = candidate_set(config.candidates, data.facts.facts, data.negatives)
    prepared, skipped = prepare_facts(evaluated, tokenizer, cset)
    if not prepared:  # a table of NaNs is no result
        why = Counter(reason for _, reason in skipped).most_common()
        raise InputError(
            f"none of the {len(evaluated)} facts can be ranked with this model ("
            + ", ".join(f"{n} {reason}" for reason, n in why)
            + ")",
            facts_path,
        )
    queries = rank_queries(prepared, tokenizer, truth if config.filtered else None)
    cls_queries: list[Query] = []
    cls_meta: list[_Meta] = []
    cls_info: dict[str, Any] = {}
    if classify:
        triples, cls_info = _classification_triples(
            config, data, dev_data, splits, negatives, evaluated, truth, tokenizer
        )
        ready, cls_skipped = prepare_facts([f for f, _ in triples], tokenizer, "all")
        cls_queries = gold_queries(ready)
        cls_meta = _matched_meta(triples, ready)
        cls_info["skipped"] = dict(Counter(reason for _, reason in cls_skipped))
    variants: dict[str, Any] = {"full": None}
    soft = bool(run_cfg and run_cfg.train.eval_soft)
    if masks is not None:
        variants["subnetwork"] = masks
        variants["random"] = {r: random_control(m, config.random_seed) for r, m in masks.items()}
    device = str(next(model.parameters()).device)
    run = RunDir(out, "kbc", config, device=device, staged=True, overwrite=overwrite)
    try:
        results = _evaluate(run, model, tokenizer, config, variants, soft, queries, skipped,
                            cls_queries, cls_meta)  # fmt: skip
        results = {
            "model": model_name,
            "facts": facts_path,
            "format": data.format,
            "masks": config.masks,
            "mask_eval": ("soft" if soft else "hard") if masks is not None else None,
            "random_seed": config.random_seed if masks is not None else None,
            "split": config.split,
            "split_ratios": list(ratios),
            "split_seed": seed,
            "candidates": cset.spec,
            "filtered": config.filtered,
            "k": config.k,
            "n_facts": len(evaluated),
            "n_ranked": len(prepared),
            "skipped": dict(Counter(reason for _, reason in skipped)),
            "duplicates_removed": data.facts.duplicates_removed,
            "relations_without_mask": without_mask,
            **results,
        }
        if classify:
            results["classification"] = {
                "rule": THRESHOLD_RULE,
                "thresholds_on": config.dev_facts or "dev split",
                **cls_info,
                "variants": results.pop("classification_variants"),
            }
        results["intervals"] = {
            "level": LEVEL,
            "method": "percentile bootstrap over facts (macro: within each relation); "
            "differences: paired over facts",
            "resamples": RESAMPLES,
            "seed": 0,
        }
        run.write_results(results)
        draw_figure(run.read_results(), run.figures)
        run.finish("bertology kbc")
    except BaseException:
        run.abandon()
        raise
    results = run.read_results()
    print_summary(results)
    speed = results["throughput"]["full"]["prompts_per_s"] or float("nan")  # inf: null in JSON
    console.print(
        f"[bold]kbc[/bold] {len(prepared)} facts ranked, {len(skipped)} skipped; "
        f"{speed:.1f} prompts/s (full model) -> {run.path}"
    )
    return results


def _evaluate(
    run: RunDir,
    model: Any,
    tokenizer: Any,
    config: KBCConfig,
    variants: dict[str, Any],
    soft: bool,
    queries: list[Query],
    skipped: list[tuple[Fact, str]],
    cls_queries: list[Query],
    cls_meta: list[_Meta],
) -> dict[str, Any]:
    """Score every variant; write ``ranks.jsonl`` (and ``classification.jsonl``); return the
    results' ranking, differences, classification and throughput."""
    skipped_by = dict(Counter(f.relation for f, _ in skipped))
    settings = ["raw", "filtered"] if config.filtered else ["raw"]
    ranking: dict[str, Any] = {}
    per_fact: dict[str, dict[str, list[float]]] = {}
    cls_out: dict[str, Any] = {}
    rank_rows: list[dict[str, Any]] = []
    cls_rows: list[dict[str, Any]] = []
    throughput: dict[str, Any] = {}
    for name, masks in variants.items():
        scores, stats = score_variant(
            model,
            tokenizer,
            queries + cls_queries,
            masks,
            soft=soft and name == "subnetwork",
            batch_size=config.impl.batch_size,
            progress=config.impl.progress,
        )
        throughput[name] = stats
        ranked, judged = scores[: len(queries)], scores[len(queries) :]
        ranking[name] = {
            s: rank_metrics(ranks_by_relation(ranked, s == "filtered"), skipped_by, config.k)
            for s in settings
        }
        main = [int(s.filtered_rank if config.filtered else s.rank) for s in ranked]  # type: ignore[arg-type]
        per_fact[name] = {"hits@1": [float(r <= 1) for r in main], "mrr": [1.0 / r for r in main]}
        rank_rows += [_rank_row(name, s) for s in ranked]
        if cls_queries:
            items = [
                Judged(s.query.fact, m.split, m.label, s.log_prob, m.origin)
                for s, m in zip(judged, cls_meta, strict=True)
            ]
            cls_out[name], rows = classification(items)
            cls_rows += [{"variant": name, **r} for r in rows]
        micro = ranking[name][settings[-1]]["micro"]
        run.log_metrics({"variant": name, "ranks": settings[-1], "n": micro["n"],
                         **{k: micro[k] for k in micro if k.startswith(("hits@", "mrr"))}})  # fmt: skip
    rank_rows += [
        {"subject": f.subject, "relation": f.relation, "object": f.object, "skipped": why}
        for f, why in skipped
    ]
    atomic_write_jsonl(run.path / "ranks.jsonl", rank_rows)
    out: dict[str, Any] = {"variants": list(variants), "ranking": ranking}
    if "subnetwork" in variants:
        setting = "filtered" if config.filtered else "raw"
        out["differences"] = {
            "ranks": setting,
            **{
                f"subnetwork_minus_{other}": {
                    m: paired_difference(per_fact["subnetwork"][m], per_fact[other][m])
                    for m in ("hits@1", "mrr")
                }
                for other in ("full", "random")
            },
        }
    if cls_queries:
        atomic_write_jsonl(run.path / "classification.jsonl", cls_rows)
        out["classification_variants"] = cls_out
    out["throughput"] = throughput
    return out


def _rank_row(variant: str, s: QueryScore) -> dict[str, Any]:
    f = s.query.fact
    row = {
        "variant": variant,
        "subject": f.subject,
        "relation": f.relation,
        "object": f.object,
        "rank": s.rank,
        "log_prob": s.log_prob,
    }
    if s.filtered_rank is not None:
        row["filtered_rank"] = s.filtered_rank
    return row

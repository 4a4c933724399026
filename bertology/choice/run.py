"""``bertology choice`` as a run directory: zero-shot multiple choice by PLL, optionally under
a combination of a prune run's relation masks, optionally chosen on dev.

The items, the model and the masks are read and checked before anything is written; the run
is built beside ``--out`` and swapped in when complete. It holds ``config.yaml``,
``env.json``, ``results.json``, ``metrics.jsonl``, ``predictions.jsonl`` (one row per reported
item: its id, one score per choice, the prediction, the label), ``selection.jsonl`` (with
``--select-on dev``: every candidate's row for every dev item), ``figures/`` and
``report.html``.

With masks, each item is scored by the subnetwork (the combined hard mask applied to the
frozen model through :func:`bertology.prune.apply.applied`) and by the full model, and the
difference of their accuracies is reported with a paired interval. With ``--select-on dev``
the reported items are the test items only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bertology.choice.config import ChoiceConfig
from bertology.choice.data import ChoiceItem, by_split, read_choice_items
from bertology.choice.scoring import ItemScore, accuracy, paired_difference, score_items
from bertology.choice.select import (
    Candidate,
    Selection,
    candidates,
    load_relation_masks,
    select_on_dev,
    single_candidate,
    subnetwork,
)
from bertology.console import console
from bertology.errors import InputError
from bertology.evals.pll import PLLStats
from bertology.io import atomic_write_jsonl
from bertology.models.load import load_mlm
from bertology.prune.apply import applied
from bertology.prune.intervals import fmt_ci
from bertology.prune.masks import SubnetworkMask
from bertology.report.figures_bars import bar_chart
from bertology.rundir import RunDir, check_out


class _Scorer:
    """Scores items under the full model (``None``) or a candidate's subnetwork."""

    def __init__(
        self, model: Any, tokenizer: Any, config: ChoiceConfig, masks: dict[str, SubnetworkMask]
    ):
        self.model, self.tokenizer, self.config, self.masks = model, tokenizer, config, masks
        self.stats = PLLStats()
        self.sparsity: dict[str, float] = {}

    def __call__(self, candidate: Candidate | None, items: Sequence[ChoiceItem]) -> list[ItemScore]:
        c, imp = self.config, self.config.impl
        args = (self.tokenizer, items, c.metric, c.normalize, imp.token_budget, imp.head_rows)
        if candidate is None:
            return score_items(self.model, *args, stats=self.stats)
        mask = subnetwork(self.masks, candidate)
        self.sparsity[candidate.label] = mask.sparsity
        with applied(self.model, mask):
            return score_items(self.model, *args, stats=self.stats)


def _candidates(config: ChoiceConfig, masks: dict[str, SubnetworkMask]) -> list[Candidate]:
    modes = config.combine_modes()
    if not masks:
        return []
    if config.select_on is None:
        return [single_candidate(list(masks), modes[0])]
    cands = candidates(list(masks), modes)
    if len(cands) > config.max_combinations:
        raise InputError(
            f"selection over {len(masks)} relations x {len(modes)} ways gives {len(cands)} "
            f"candidates, more than max_combinations={config.max_combinations}; name fewer "
            "with --relation, or raise max_combinations",
            config.masks,
        )
    return cands


def choice(
    config: ChoiceConfig,
    out: str | Path,
    overwrite: bool = False,
    model: Any = None,
    tokenizer: Any = None,
) -> dict[str, Any]:
    """Score every item (see the module docstring); return ``results.json``'s content."""
    config.validate()
    check_out(Path(out), overwrite, "choice")
    items = read_choice_items(config.data, config.format)
    dev, test = by_split(items, config.data) if config.select_on else ([], [])
    imp = config.impl
    if model is None:
        model, tokenizer = load_mlm(config.model, imp.device, imp.dtype, attn=imp.attn)
    masks = load_relation_masks(config.masks, model, config.relations) if config.masks else {}
    cands = _candidates(config, masks)
    device = str(next(model.parameters()).device)
    run = RunDir(out, "choice", config, device=device, staged=True, overwrite=overwrite)
    try:
        results = _run(
            run, config, items, dev, test, cands, _Scorer(model, tokenizer, config, masks)
        )
        run.write_results(results)
        _figures(run, results, sum(1 / len(x.choices) for x in items) / max(1, len(items)))
        run.finish("bertology choice")
    except BaseException:
        run.abandon()
        raise
    where = "test items" if config.select_on else "items"
    sub, full = results["subnetwork"], results["full"]
    line = (
        f"[bold]choice[/bold] {results['n']} {where} ({config.metric}, {config.normalize}"
        f"{', ' + sub['label'] if sub else ''}): accuracy "
        f"{fmt_ci(results['accuracy'], results['accuracy_ci'])}"
    )
    if full is not None:
        line += f"; full model {fmt_ci(full['accuracy'], full['ci'])}"
    console.print(f"{line} -> {run.final}")
    return run.read_results()


def _run(
    run: RunDir,
    config: ChoiceConfig,
    items: list[ChoiceItem],
    dev: list[ChoiceItem],
    test: list[ChoiceItem],
    cands: list[Candidate],
    score: _Scorer,
) -> dict[str, Any]:
    """Score, select, and write ``predictions.jsonl`` (and ``selection.jsonl``)."""
    sel: Selection | None = None
    if config.select_on:

        def log(c: Candidate, scored: list[ItemScore]) -> None:
            run.log_metrics({"candidate": c.label, "split": "dev", **accuracy(scored)})

        sel = select_on_dev(cands, dev, test, score, on_candidate=log)
        chosen: Candidate | None = cands[sel.chosen]
        reported, evaluated = sel.test, test
        atomic_write_jsonl(
            run.path / "selection.jsonl",
            (
                {"candidate": c.label, **s.to_dict()}
                for c, d in zip(cands, sel.dev, strict=True)
                for s in d
            ),
        )
    else:
        chosen = cands[0] if cands else None
        reported, evaluated = score(chosen, items), items
    full = score(None, evaluated) if chosen is not None else None
    rows = [s.to_dict() for s in reported]
    if full is not None:
        for row, f in zip(rows, full, strict=True):
            row["full_prediction"] = f.prediction
    atomic_write_jsonl(run.path / "predictions.jsonl", rows)
    headline = accuracy(reported)
    run.log_metrics({"arm": chosen.label if chosen else "model", **headline})
    results: dict[str, Any] = {
        "model": config.model,
        "data": config.data,
        "format": config.format,
        "metric": config.metric,
        "normalize": config.normalize,
        "items": len(items),
        "splits": dict(sorted(Counter(x.split or "(none)" for x in items).items())),
        "evaluated_on": "test" if sel else "all",
        "accuracy": headline["accuracy"],
        "accuracy_ci": headline["ci"],
        "n": headline["n"],
        "ties": headline["ties"],
        "ci_level": 0.95,
        "by_split": None,
        "subnetwork": None,
        "full": None,
        "gain_over_full": None,
        "selection": None,
    }
    if sel is None and any(x.split for x in items):
        results["by_split"] = {
            name: accuracy([s for s in reported if (s.item.split or "(none)") == name])
            for name in results["splits"]
        }
    if chosen is not None and full is not None:
        results["subnetwork"] = {
            "masks": config.masks,
            **chosen.to_dict(),
            "sparsity": score.sparsity[chosen.label],
        }
        results["full"] = accuracy(full)
        results["gain_over_full"] = paired_difference(reported, full)
        run.log_metrics({"arm": "full", **results["full"]})
    if sel is not None:
        results["selection"] = {
            "on": "dev",
            "n_dev": len(dev),
            "n_test": len(test),
            "combine": config.combine_modes(),
            "chosen": cands[sel.chosen].label,
            "candidates": [
                {**c.to_dict(), "sparsity": score.sparsity[c.label], "dev": accuracy(d)}
                for c, d in zip(cands, sel.dev, strict=True)
            ],
        }
    st = score.stats
    results["throughput"] = {
        "texts_per_s": st.sentences / st.seconds if st.seconds else None,
        "texts_scored": st.sentences,  # question + choice texts, over every arm and candidate
        "seconds": st.seconds,
        "encoder_calls": st.calls,
        "masked_copies": st.copies,
    }
    return results


def _figures(run: RunDir, results: dict[str, Any], chance: float | None = None) -> None:
    """Dev accuracy per candidate (with selection), and the reported accuracy next to the
    full model's and per split; each bar with its 95% interval and n, and ``chance`` (the
    mean of 1 / #choices over the items) as a dashed line."""
    kw: dict[str, Any] = {"baseline": chance, "baseline_label": "chance (mean 1 / #choices)"}
    sel = results["selection"]
    if sel is not None:
        cs = sel["candidates"]
        bar_chart(
            {c["label"]: c["dev"]["accuracy"] for c in cs},
            run.figures / "choice_dev_by_candidate.png",
            f"dev accuracy by mask combination (chosen: {sel['chosen']})",
            "dev accuracy",
            intervals={c["label"]: c["dev"].get("ci") for c in cs},
            counts={c["label"]: c["dev"].get("n") for c in cs},
            **kw,
        )
    sub = results["subnetwork"]
    arms = {"model" if sub is None else sub["label"]: {"accuracy": results["accuracy"],
            "ci": results["accuracy_ci"], "n": results["n"]}}  # fmt: skip
    if results["full"] is not None:
        arms["full model"] = results["full"]
    if results["by_split"]:
        arms.update({f"split {k}": v for k, v in results["by_split"].items()})
    bar_chart(
        {a: m["accuracy"] for a, m in arms.items()},
        run.figures / "choice_accuracy.png",
        f"accuracy on {results['evaluated_on']} items",
        "accuracy",
        intervals={a: m.get("ci") for a, m in arms.items()},
        counts={a: m.get("n") for a, m in arms.items()},
        **kw,
    )

"""BLiMP (Warstadt et al. 2020): minimal pairs scored by pseudo-log-likelihood.

A pair is right when PLL(good) > PLL(bad), the sentence sums under one PLL metric
(:mod:`bertology.evals.pll`). **A tie counts as wrong**, as in Salazar et al. (2020) and
Kauf & Ivanova (2023); lm-evaluation-harness counts a tie as right, so on a model that
ties often (an untrained one) its accuracy is higher than ours.

Data, read by :func:`read_pairs`:

- a BLiMP directory (one ``UID.jsonl`` per paradigm) or one JSONL file, each line with
  ``sentence_good``, ``sentence_bad``, ``UID`` (else the file's stem) and optionally
  ``field`` and ``linguistics_term``;
- the embedded world's ``minimal_pairs/`` (the same format);
- ``nyu-mll/blimp`` by name through ``datasets`` (online only).

Results: accuracy per paradigm, per field (the mean of its paradigms), ``overall`` (the mean
over paradigms, as BLiMP reports it) and ``overall_pairs`` (the mean over pairs), each with a
95% bootstrap interval over pairs (``ci``; stratified by paradigm for the means of means).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bertology.errors import InputError, unknown_name_error
from bertology.evals.pll import DEFAULT_METRIC, PLLScore, PLLStats, pll
from bertology.io import read_jsonl
from bertology.stats import mean_ci, mean_of_means_ci

HUB_NAME = "nyu-mll/blimp"


@dataclass(frozen=True)
class MinimalPair:
    """A grammatical sentence and its ungrammatical twin, with where they were read."""

    uid: str
    good: str
    bad: str
    field: str | None = None
    linguistics_term: str | None = None
    source: str | None = None  # "file:line"


def _text(row: dict[str, Any], key: str, path: Path, line: int) -> str:
    value = row.get(key)
    if not isinstance(value, str):
        raise InputError(f"expected a string {key!r}, got {type(value).__name__}", path, line)
    if not value.strip():
        raise InputError(f"{key!r} is an empty sentence", path, line)
    return value.strip()


def _read_file(path: Path, wanted: set[str] | None, limit: int | None) -> list[MinimalPair]:
    pairs: list[MinimalPair] = []
    per: dict[str, int] = defaultdict(int)
    for line, row in read_jsonl(path):
        uid = row.get("UID", path.stem)
        if not isinstance(uid, str) or not uid:
            raise InputError("expected a string 'UID' (the paradigm)", path, line)
        good, bad = _text(row, "sentence_good", path, line), _text(row, "sentence_bad", path, line)
        if (wanted is not None and uid not in wanted) or (limit is not None and per[uid] >= limit):
            continue
        per[uid] += 1
        pairs.append(
            MinimalPair(
                uid, good, bad, row.get("field"), row.get("linguistics_term"), f"{path}:{line}"
            )
        )
    return pairs


def _read_hub(paradigms: list[str] | None, limit: int | None) -> list[MinimalPair]:
    try:
        from datasets import get_dataset_config_names, load_dataset  # only for hub input

        known = get_dataset_config_names(HUB_NAME)
    except Exception as e:  # noqa: BLE001 - offline, or the hub refused
        raise InputError(
            f"not a file or directory, and the hub could not give it ({type(e).__name__}; "
            "offline?): give a BLiMP directory",
            HUB_NAME,
        ) from None
    for p in paradigms or []:
        if p not in known:
            raise unknown_name_error("paradigm", p, known)
    pairs = []
    for uid in paradigms or known:
        ds = load_dataset(HUB_NAME, uid, split="train")
        for i, row in enumerate(ds):
            if limit is not None and i >= limit:
                break
            pairs.append(
                MinimalPair(uid, row["sentence_good"], row["sentence_bad"], row.get("field"),
                            row.get("linguistics_term"), f"{HUB_NAME}/{uid}:{i + 1}")
            )  # fmt: skip
    return pairs


def read_pairs(
    data: str | Path, paradigms: Sequence[str] | None = None, limit: int | None = None
) -> list[MinimalPair]:
    """The minimal pairs at ``data`` (see the module docstring), only ``paradigms`` if given
    and at most the first ``limit`` pairs of each. Malformed lines, missing fields, empty
    sentences, unknown paradigms and empty data are errors naming the file and line."""
    path = Path(data)
    wanted = set(paradigms) if paradigms else None
    if not path.exists() and str(data).removeprefix("hf:") == HUB_NAME:
        return _read_hub(list(paradigms) if paradigms else None, limit)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise InputError("no *.jsonl files of minimal pairs in this directory", path)
        known = {f.stem for f in files}
        if wanted:  # a BLiMP directory names its paradigms by file
            for p in paradigms or []:
                if p not in known:
                    raise unknown_name_error("paradigm", p, sorted(known))
            files = [f for f in files if f.stem in wanted]
        pairs = [p for f in files for p in _read_file(f, wanted, limit)]
    else:
        if not path.exists():
            raise InputError("no such file or directory (nor the hub name nyu-mll/blimp)", path)
        pairs = _read_file(path, None, None)
        known = {p.uid for p in pairs}
        for p in paradigms or []:
            if p not in known:
                raise unknown_name_error("paradigm", p, sorted(known))
        per: dict[str, int] = defaultdict(int)
        kept = []
        for p in pairs:
            if (wanted is None or p.uid in wanted) and (limit is None or per[p.uid] < limit):
                per[p.uid] += 1
                kept.append(p)
        pairs = kept
    if not pairs:
        raise InputError("no minimal pairs (empty data)", path)
    return pairs


@dataclass
class PairScore:
    pair: MinimalPair
    good: PLLScore
    bad: PLLScore

    @property
    def right(self) -> bool:
        """PLL(good) > PLL(bad); a tie is wrong."""
        return self.good.total > self.bad.total


def score_pairs(
    model: Any,
    tokenizer: Any,
    pairs: Sequence[MinimalPair],
    metric: str = DEFAULT_METRIC,
    token_budget: int = 2048,
    head_rows: int = 512,
    stats: PLLStats | None = None,
) -> list[PairScore]:
    """Both sentences of every pair, scored in one :func:`~bertology.evals.pll.pll` call."""
    sentences = [s for p in pairs for s in (p.good, p.bad)]
    sources = [p.source for p in pairs for _ in (0, 1)]
    scores = pll(model, tokenizer, sentences, metric, token_budget, head_rows, sources, stats)
    return [PairScore(p, scores[2 * i], scores[2 * i + 1]) for i, p in enumerate(pairs)]


def summarize(scored: Sequence[PairScore], metric: str) -> dict[str, Any]:
    """``results.json``'s body: accuracy per paradigm, per field and overall."""
    by_uid: dict[str, list[PairScore]] = defaultdict(list)
    for s in scored:
        by_uid[s.pair.uid].append(s)
    paradigms = {
        uid: {
            "n": len(ss),
            "accuracy": sum(s.right for s in ss) / len(ss),
            "ci": mean_ci([float(s.right) for s in ss]),
            "ties": sum(s.good.total == s.bad.total for s in ss),
            "field": ss[0].pair.field,
            "linguistics_term": ss[0].pair.linguistics_term,
        }
        for uid, ss in sorted(by_uid.items())
    }
    by_field: dict[str, list[str]] = defaultdict(list)
    for uid, p in paradigms.items():
        by_field[p["field"] or "(none)"].append(uid)
    right = {uid: [float(s.right) for s in ss] for uid, ss in by_uid.items()}
    fields = {
        f: {
            "paradigms": len(uids),
            "n": sum(paradigms[u]["n"] for u in uids),
            "accuracy": sum(paradigms[u]["accuracy"] for u in uids) / len(uids),
            "ci": mean_of_means_ci([right[u] for u in uids]),
        }
        for f, uids in sorted(by_field.items())
    }
    return {
        "metric": metric,
        "paradigms": paradigms,
        "fields": fields,
        "overall": sum(p["accuracy"] for p in paradigms.values()) / len(paradigms),
        "overall_ci": mean_of_means_ci(list(right.values())),
        "overall_pairs": sum(s.right for s in scored) / len(scored),
        "overall_pairs_ci": mean_ci([float(s.right) for s in scored]),
        "n_pairs": len(scored),
        "ci_level": 0.95,
    }


def pair_rows(scored: Sequence[PairScore]) -> list[dict[str, Any]]:
    """``pairs.jsonl``: every pair with both PLLs and their per-token parts."""
    return [
        {
            "uid": s.pair.uid,
            "sentence_good": s.pair.good,
            "sentence_bad": s.pair.bad,
            "pll_good": s.good.total,
            "pll_bad": s.bad.total,
            "right": s.right,
            "tokens_good": s.good.tokens,
            "log_probs_good": s.good.log_probs,
            "tokens_bad": s.bad.tokens,
            "log_probs_bad": s.bad.log_probs,
            "source": s.pair.source,
        }
        for s in scored
    ]

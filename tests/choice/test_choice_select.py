"""``--select-on dev``: every non-empty subset of the relations × each way of combining is a
candidate; the one with the best dev accuracy is chosen and only it is scored on test. A
candidate that is best on test but not on dev is never chosen."""

from __future__ import annotations

import json

import pytest
from transformers import AutoModelForMaskedLM, AutoTokenizer

from bertology.choice.config import ChoiceConfig, ChoiceImpl
from bertology.choice.data import ChoiceItem
from bertology.choice.run import choice
from bertology.choice.scoring import ItemScore
from bertology.choice.select import Candidate, candidates, choose, select_on_dev
from bertology.errors import InputError
from bertology.prune.analysis import combine_masks
from bertology.prune.export import export_pruned
from bertology.prune.storage import load_mask


def test_candidates_are_every_non_empty_subset_times_each_way():
    got = [c.label for c in candidates(["a", "b", "c"], ["union", "majority"])]
    assert got == [
        "a", "b", "c",
        "union(a,b)", "majority(a,b)", "union(a,c)", "majority(a,c)", "union(b,c)",
        "majority(b,c)", "union(a,b,c)", "majority(a,b,c)",
    ]  # fmt: skip


def _items(split: str, n: int) -> list[ChoiceItem]:
    return [ChoiceItem(f"{split}{i}", "q", ("x", "y"), 0, split) for i in range(n)]


def test_a_candidate_best_on_test_but_not_on_dev_is_never_chosen():
    """Dev accuracies: A 1/4, B 3/4, C 2/4. Test: A 4/4, B 1/4, C 3/4. B must be chosen, its
    test accuracy reported, and no other candidate ever scored on a test item."""
    dev, test = _items("dev", 4), _items("test", 4)
    right = {("A", "dev"): 1, ("B", "dev"): 3, ("C", "dev"): 2,
             ("A", "test"): 4, ("B", "test"): 1, ("C", "test"): 3}  # fmt: skip
    calls = []

    def score(c: Candidate, items):
        split = items[0].split
        calls.append((c.label, split, len(items)))
        k = right[c.label, split]
        return [ItemScore(x, [0.0, 0.0], [1, 1], [0.0, 0.0], 0 if i < k else 1)
                for i, x in enumerate(items)]  # fmt: skip

    cands = [Candidate(("A",)), Candidate(("B",)), Candidate(("C",))]
    sel = select_on_dev(cands, dev, test, score)
    assert cands[sel.chosen].label == "B"
    assert sel.dev_accuracies == [0.25, 0.75, 0.5]
    assert sum(s.correct for s in sel.test) / 4 == 0.25
    assert [c for c in calls if c[1] == "test"] == [("B", "test", 4)]
    assert all(n == 4 for _, _, n in calls)


def test_a_dev_tie_goes_to_the_earlier_candidate():
    assert choose([0.5, 0.75, 0.75, 0.25]) == 1
    assert choose([0.5, 0.5]) == 0


def test_selection_without_candidates_or_items_is_refused():
    with pytest.raises(InputError):
        select_on_dev([], _items("dev", 1), _items("test", 1), lambda c, i: [])


DEV = [
    {"question": "paris is the capital of", "choices": ["france .", "spain ."], "label": 0},
    {"question": "berlin is the capital of", "choices": ["italy .", "germany ."], "label": 1},
    {"question": "the window is made of", "choices": ["wood .", "glass ."], "label": 1},
    {"question": "the knife is made of", "choices": ["glass .", "wood ."], "label": 0},
    {"question": "the hammer is made of", "choices": ["glass .", "wood ."], "label": 1},
]
TEST = [
    {"question": "rome is the capital of", "choices": ["italy .", "spain ."], "label": 0},
    {"question": "madrid is the capital of", "choices": ["france .", "spain ."], "label": 1},
    {"question": "the table is made of", "choices": ["wood .", "glass ."], "label": 0},
    {"question": "the fish is made of", "choices": ["wood .", "glass ."], "label": 1},
]


def _accuracy(model, tok, rows, brute_pll) -> float:
    hits = 0
    for r in rows:
        s = [brute_pll(model, tok, f"{r['question']} {c}", "word_l2r")[0] for c in r["choices"]]
        hits += max(range(len(s)), key=lambda i: (s[i], -i)) == r["label"]
    return hits / len(rows)


def test_a_run_chooses_on_dev_and_reports_the_choice_on_test_items_only(
    prune_run, scaled_bert_dir, tmp_path, jsonl, brute_pll
):
    """Each candidate's dev accuracy, and the chosen one's test accuracy, equal those of its
    exported subnetwork scored by brute force on those items alone."""
    rows = [{**r, "id": f"d{i}", "split": "dev"} for i, r in enumerate(DEV)]
    rows += [{**r, "id": f"t{i}", "split": "test"} for i, r in enumerate(TEST)]
    rows.append({"id": "x", "question": "a dog is", "choices": ["an animal", "a bird"],
                 "label": 0, "split": "train"})  # never scored  # fmt: skip
    data = jsonl(tmp_path / "items.jsonl", rows)
    cfg = ChoiceConfig(model=str(scaled_bert_dir), data=str(data), masks=str(prune_run),
                       combine=["union", "intersection"], select_on="dev",
                       impl=ChoiceImpl(device="cpu"))  # fmt: skip
    res = choice(cfg, tmp_path / "run")
    sel = res["selection"]
    labels = [c["label"] for c in sel["candidates"]]
    assert labels == ["capital", "material", "union(capital,material)",
                      "intersection(capital,material)"]  # fmt: skip
    assert (sel["n_dev"], sel["n_test"], res["evaluated_on"], res["n"]) == (5, 4, "test", 4)

    model = AutoModelForMaskedLM.from_pretrained(scaled_bert_dir, attn_implementation="eager")
    tok = AutoTokenizer.from_pretrained(scaled_bert_dir)
    masks = {r: load_mask(prune_run / "masks" / f"{r}.safetensors", model)
             for r in ("capital", "material")}  # fmt: skip
    dev_acc, test_acc = [], []
    for c in sel["candidates"]:
        combo = combine_masks([masks[r] for r in c["relations"]], c["combine"] or "union")
        d = export_pruned(model, tok, combo, tmp_path / "export" / c["label"])
        sub = AutoModelForMaskedLM.from_pretrained(d, attn_implementation="eager").eval()
        dev_acc.append(_accuracy(sub, tok, DEV, brute_pll))
        test_acc.append(_accuracy(sub, tok, TEST, brute_pll))
        assert c["dev"]["accuracy"] == dev_acc[-1] and c["dev"]["n"] == len(DEV)
    chosen = max(range(len(dev_acc)), key=lambda i: (dev_acc[i], -i))
    assert sel["chosen"] == labels[chosen] == res["subnetwork"]["label"]
    assert res["accuracy"] == test_acc[chosen]
    assert dev_acc != test_acc  # dev and test tell the candidates apart differently

    run = tmp_path / "run"
    predicted = [json.loads(x) for x in (run / "predictions.jsonl").read_text().splitlines()]
    assert [p["id"] for p in predicted] == [f"t{i}" for i in range(len(TEST))]
    selection = [json.loads(x) for x in (run / "selection.jsonl").read_text().splitlines()]
    assert {p["id"] for p in selection} == {f"d{i}" for i in range(len(DEV))}
    assert len(selection) == len(DEV) * len(labels)
    metrics = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["candidate"] for m in metrics if "candidate" in m] == labels
    assert (run / "figures" / "choice_dev_by_candidate.png").is_file()


def test_too_many_candidates_are_refused_before_anything_is_written(
    prune_run, scaled_bert_dir, tmp_path, jsonl
):
    rows = [{**DEV[0], "split": "dev"}, {**TEST[0], "split": "test"}]
    cfg = ChoiceConfig(model=str(scaled_bert_dir), data=str(jsonl(tmp_path / "d.jsonl", rows)),
                       masks=str(prune_run), select_on="dev", max_combinations=4,
                       impl=ChoiceImpl(device="cpu"))  # fmt: skip
    with pytest.raises(InputError, match="gives 5 candidates, more than max_combinations=4"):
        choice(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()

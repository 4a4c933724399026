"""``bertology prune``, ``specialize`` and ``masks ...`` end to end on a tiny model."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from bertology.cli import app

runner = CliRunner()


def _prune_args(model_dir, facts, rel, out, *extra):
    return [
        "prune",
        "--model", str(model_dir),
        "--facts", str(facts),
        "--relations-file", str(rel),
        "--layers", "0-1",
        "--epochs", "8",
        "--lr", "0.01",
        "--batch-size", "4",
        "--seed", "3",
        "--no-progress",
        "--out", str(out),
        *extra,
    ]  # fmt: skip


def test_prune_specialize_and_masks_commands_write_what_the_issue_specifies(
    tmp_path, scaled_bert_dir, fact_files
):
    facts, rel = fact_files
    run = tmp_path / "run"
    res = runner.invoke(app, _prune_args(scaled_bert_dir, facts, rel, run))
    assert res.exit_code == 0, res.output
    results = json.loads((run / "results.json").read_text())
    assert results["schema"] == 1 and results["layers"] == [0, 1]
    assert results["candidates"] == "all"
    assert results["skipped_relations"] == {"story": "no single-token training facts"}
    for r in ("capital", "material"):
        entry = results["relations"][r]
        for k in ("full", "subnetwork", "random"):
            assert set(entry[k]) >= {"p@1", "p@10", "mrr", "n"}
            assert entry[k]["n"] == entry["split"]["test"] >= 1
        assert set(entry["split"]) == {"train", "dev", "test"}
        assert 0.0 < entry["sparsity"] < 1.0 and len(entry["random_seeds"]) == 3
        assert (run / "masks" / f"{r}.safetensors").exists()
    assert not (run / "masks" / "story.safetensors").exists()
    for fig in ("sparsity_by_layer.png", "mask_overlap.png"):
        assert (run / "figures" / fig).exists()
    assert len((run / "metrics.jsonl").read_text().splitlines()) >= 2

    res = runner.invoke(app, ["specialize", str(run)])
    assert res.exit_code == 0, res.output
    spec = json.loads((run / "specialization.json").read_text())
    assert spec["relations"] == ["capital", "material"]
    assert len(spec["p@1"]) == 2 and all(len(row) == 2 for row in spec["p@1"])
    assert math.isfinite(spec["mean_offdiagonal_drop"])
    assert (run / "figures" / "specialization.png").exists()
    # the diagonal is the subnetwork's own test P@1
    for i, r in enumerate(spec["relations"]):
        assert spec["p@1"][i][i] == results["relations"][r]["subnetwork"]["p@1"]

    res = runner.invoke(app, ["inspect", str(run)])
    assert res.exit_code == 0, res.output
    ins = json.loads((run / "inspection.json").read_text())
    assert ins["groups"] == ["subject", "mask", "special", "template"] and ins["layers"] == 2
    assert set(ins["mask_attention"]["relations"]) == {"capital", "material"}
    assert ins["representations"]["n"] == sum(  # the facts the evaluation scored
        results["relations"][r]["full"]["n"] for r in ("capital", "material")
    )
    for fig in ("mask_attention.png", "tsne.png"):
        assert (run / "figures" / fig).exists()

    cap, mat = run / "masks" / "capital.safetensors", run / "masks" / "material.safetensors"
    res = runner.invoke(app, ["masks", "stats", str(cap)])
    assert res.exit_code == 0 and "capital" in res.output, res.output
    res = runner.invoke(
        app, ["masks", "overlap", str(cap), str(mat), "--out", str(tmp_path / "ov")]
    )
    assert res.exit_code == 0, res.output
    ov = json.loads((tmp_path / "ov" / "overlap.json").read_text())
    assert ov["overall"][0][1] == results["overlap"]["overall"][0][1]
    both = tmp_path / "both.safetensors"
    res = runner.invoke(
        app,
        [
            "masks",
            "combine",
            str(cap),
            str(mat),
            "--how",
            "union",
            "--out",
            str(both),
            "--run",
            str(run),
        ],
    )
    assert res.exit_code == 0, res.output
    combo = json.loads((run / "combinations" / "both.json").read_text())
    assert set(combo["relations_eval"]) == {"capital", "material"}
    res = runner.invoke(
        app,
        [
            "masks",
            "export",
            "--masks",
            str(cap),
            "--model",
            str(scaled_bert_dir),
            "--out",
            str(tmp_path / "exp"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "exp" / "config.json").exists()


def test_bad_layer_range_and_foreign_mask_are_refused_with_clear_messages(
    tmp_path, scaled_bert_dir, tiny_bert_dir, fact_files
):
    from bertology.cli import main  # noqa: F401 - the CLI prints BertologyError cleanly

    facts, rel = fact_files
    args = _prune_args(scaled_bert_dir, facts, rel, tmp_path / "bad")
    args[args.index("0-1")] = "6-11"
    res = runner.invoke(app, args)
    assert res.exit_code != 0
    assert "2 prunable layers" in str(res.exception)
    res = runner.invoke(
        app, _prune_args(scaled_bert_dir, facts, rel, tmp_path / "c", "--candidates", "no.txt")
    )
    assert res.exit_code != 0 and "candidate file not found" in str(res.exception)
    assert not (tmp_path / "c").exists()  # refused before anything was written
    run = tmp_path / "run"
    one = ["--relation", "capital", "--epochs", "1", "--candidates", "relation"]
    res = runner.invoke(app, _prune_args(scaled_bert_dir, facts, rel, run, *one))
    assert res.exit_code == 0, res.output
    assert json.loads((run / "results.json").read_text())["candidates"] == "relation"
    res = runner.invoke(
        app,
        [
            "masks",
            "export",
            "--masks",
            str(run / "masks" / "capital.safetensors"),
            "--model",
            str(tiny_bert_dir),
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert res.exit_code != 0 and "different weights" in str(res.exception)


def test_prune_with_a_candidates_file_ranks_every_relation_among_the_files_words(
    tmp_path: Path,
    scaled_bert_dir: Path,
    fact_files: tuple[Path, Path],
    reference_ranks: Callable[..., list[int]],
) -> None:
    """Guards ``prune --candidates FILE``: every test fact, of any relation, is ranked among
    the file's words that are single tokens (one shared vocabulary), a fact whose object is
    not in the file is left out of n, and the full model's and the subnetwork's P@1 and MRR
    equal a by-hand evaluation over exactly those words."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from bertology.data.facts import read_facts, split_by_subject
    from bertology.prune.storage import load_mask

    facts, rel = fact_files
    words = tmp_path / "vocab.txt"  # no "spain"; "extraordinarily" is not one token
    words.write_text("france\ngermany\nitaly\nwood\nglass\nextraordinarily\n")
    run = tmp_path / "run"
    args = _prune_args(scaled_bert_dir, facts, rel, run, "--candidates", str(words))
    res = runner.invoke(app, [*args, "--split-seed", "1"])
    assert res.exit_code == 0, res.output
    results = json.loads((run / "results.json").read_text())
    assert results["candidates"] == str(words)
    model = AutoModelForMaskedLM.from_pretrained(scaled_bert_dir).eval()
    tok = AutoTokenizer.from_pretrained(scaled_bert_dir)
    vocab = {"france", "germany", "italy", "wood", "glass"}
    every = read_facts(facts, rel).facts
    test = split_by_subject(every, (0.8, 0.1, 0.1), 1)["test"]
    scored = 0
    for r in ("capital", "material"):
        mine = [f for f in test if f.relation == r and f.object in vocab]
        entry = results["relations"][r]
        assert entry["full"]["n"] == entry["subnetwork"]["n"] == len(mine)
        mask = load_mask(run / "masks" / f"{r}.safetensors", model)
        cands = {r: vocab}
        for name, keep in (("full", None), ("subnetwork", mask.keep)):
            ranks = reference_ranks(model, tok, mine, cands, keep)
            assert entry[name]["p@1"] == sum(k == 1 for k in ranks) / len(ranks), (r, name)
            assert abs(entry[name]["mrr"] - sum(1 / k for k in ranks) / len(ranks)) < 1e-12
            scored += len(ranks)
    assert scored >= 2

"""The fault-injection workspace (issue 13): a world, a model pre-trained on it and one
finished run of every kind, built once per test module through the CLI as a user builds them."""

from __future__ import annotations

from pathlib import Path

import pytest
from faults import PRETRAIN_YAML, Workspace, cli


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, tiny_bert_dir: Path) -> Workspace:
    """A world, a model pre-trained on it (4 steps), and finished probe, uas, prune and
    pretrain runs, all through the CLI."""
    root = tmp_path_factory.mktemp("ws")
    w, runs = root / "world", root / "runs"
    small = root / "small-world.yaml"
    small.write_text("n_entities: 30\nheldout_trees: 30\npairs_per_paradigm: 10\n")
    pt_yaml = root / "pretrain.yaml"
    cache = tmp_path_factory.mktemp("ws-cache")  # outside: a cache may grow, runs may not
    pt_yaml.write_text(PRETRAIN_YAML.format(w=w, cache=cache))
    steps = [
        ["world", "--out", str(w), "--tokens", "20000", "--config", str(small)],
        ["pretrain", "--config", str(pt_yaml), "--out", str(runs / "pt")],
    ]
    for args in steps:
        code, _, err = cli(*args)
        assert code == 0, err
    model = runs / "pt" / "checkpoints" / "step-000004"
    common = ["-m", str(model), "-f", str(w / "facts.jsonl"), "-r", str(w / "relations.jsonl")]
    for args in (
        ["probe", *common, "--split", "all", "--out", str(runs / "probe")],
        ["uas", "-m", str(model), "--conllu", str(w / "trees.conllu"), "--out", str(runs / "uas")],
        ["prune", *common, "--relation", "IsA", "--relation", "AtLocation", "--layers", "0-1",
         "--epochs", "1", "--no-progress", "--out", str(runs / "prune")],
    ):  # fmt: skip
        code, _, err = cli(*args)
        assert code == 0, err
    paths = {
        "world": str(w),
        "facts": str(w / "facts.jsonl"),
        "rel": str(w / "relations.jsonl"),
        "trees": str(w / "trees.conllu"),
        "text": str(w / "corpus" / "valid.txt"),
        "model": str(model),
        "bert": str(tiny_bert_dir),
        "pt": str(runs / "pt"),
        "pt_yaml": str(pt_yaml),
        "probe": str(runs / "probe"),
        "uas": str(runs / "uas"),
        "prune": str(runs / "prune"),
        "mask": str(runs / "prune" / "masks" / "IsA.safetensors"),
    }
    return Workspace(root, paths)

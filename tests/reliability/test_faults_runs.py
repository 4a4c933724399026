"""Fault injection, part 2 (issue 13): bad settings and broken runs given to ``pretrain``,
``world``, ``prune``, ``specialize``, ``inspect`` and ``masks``, through the CLI. The checks
of every case are ``faults.run_case``'s: exit code, a message naming the file (and line), no
traceback, nothing written at ``--out``, and the workspace's runs byte-for-byte unchanged.
Cases that must change a run work on a copy of it in their own directory."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from faults import Case, copy_of, ids, jsonl, run_case


def _yaml(*swaps: tuple[str, str]):
    """A ``prep`` writing ``t/p.yaml``: the workspace's pretrain config with text swapped."""

    def prep(p: dict[str, str], t: Path) -> None:
        text = Path(p["pt_yaml"]).read_text()
        for old, new in swaps:
            old = old.format(**p, t=t)
            assert old in text, old
            text = text.replace(old, new.format(**p, t=t))
        text = re.sub(r"cache_dir: [^,}]+", f"cache_dir: {t}-cache", text)
        (t / "p.yaml").write_text(text)

    return prep


def _then(*preps):
    def prep(p: dict[str, str], t: Path) -> None:
        for f in preps:
            f(p, t)

    return prep


def _edit(rel: str, body: bytes | None = None, cut: int | None = None, flip: int | None = None):
    """A ``prep`` that deletes, replaces, truncates or bit-flips ``t/rel`` (a copied run)."""

    def prep(p: dict[str, str], t: Path) -> None:
        f = t / rel
        if body is None and cut is None and flip is None:
            f.unlink()
        elif cut is not None:
            f.write_bytes(f.read_bytes()[:cut])
        elif flip is not None:
            data = bytearray(f.read_bytes())
            data[flip] ^= 0x01
            f.write_bytes(bytes(data))
        else:
            f.write_bytes(body)

    return prep


def _last_ckpt(t: Path) -> str:
    return sorted(p.name for p in (t / "run" / "checkpoints").iterdir())[-1]


def _ckpt_edit(rel: str, **kw):
    """``_edit`` on a file of the newest checkpoint of the copied pretrain run ``t/run``."""

    def prep(p: dict[str, str], t: Path) -> None:
        _edit(f"run/checkpoints/{_last_ckpt(t)}/{rel}", **kw)(p, t)

    return prep


PT = ["pretrain", "--config", "{t}/p.yaml", "--out", "{t}/out"]
RESUME = ["pretrain", "--resume", "--out", "{t}/run"]
PRETRAIN = [
    Case(
        "train file missing",
        PT,
        ["{t}/nope.txt"],
        prep=_yaml(
            ("corpus/train.txt]", "corpus/nope.txt]"), ("{world}/corpus/nope.txt", "{t}/nope.txt")
        ),
    ),
    Case(
        "train file empty",
        PT,
        ["{t}/e.txt"],
        files={"e.txt": ""},
        prep=_yaml(("{world}/corpus/train.txt", "{t}/e.txt")),
    ),
    Case(
        "train file non-UTF-8",
        PT,
        ["{t}/e.txt:2: not UTF-8 (byte 0xE9"],
        files={"e.txt": b"the dog barks .\nthe caf\xe9 .\n"},
        prep=_yaml(("{world}/corpus/train.txt", "{t}/e.txt")),
    ),
    Case(
        "trees fewer than sentences",
        PT,
        ["{t}/g.conllu"],
        files={"g.conllu": "1\tdog\t_\tNOUN\t_\t_\t0\troot\t_\t_\n\n"},
        prep=_yaml(("{world}/corpus/train.conllu", "{t}/g.conllu")),
    ),
    Case(
        "trees with a cycle",
        PT,
        ["{t}/g.conllu:1:", "cycle"],
        files={
            "g.conllu": "1\ta\t_\tX\t_\t_\t0\troot\t_\t_\n2\tb\t_\tX\t_\t_\t3\tdep\t_\t_\n3\tc\t_\tX\t_\t_\t2\tdep\t_\t_\n\n"
        },
        prep=_yaml(("{world}/corpus/train.conllu", "{t}/g.conllu")),
    ),
    Case(
        "valid file missing",
        PT,
        ["{t}/v.txt"],
        prep=_yaml(("{world}/corpus/valid.txt", "{t}/v.txt")),
    ),
    Case(
        "uas trees missing",
        PT,
        ["{t}/u.conllu"],
        prep=_yaml(("{world}/trees.conllu", "{t}/u.conllu")),
    ),
    Case(
        "uas trees without a root",
        PT,
        ["{t}/u.conllu:1:", "root"],
        files={"u.conllu": "1\ta\t_\tX\t_\t_\t2\tdep\t_\t_\n2\tb\t_\tX\t_\t_\t1\tdep\t_\t_\n\n"},
        prep=_yaml(("{world}/trees.conllu", "{t}/u.conllu")),
    ),
    Case(
        "unknown evaluator",
        PT,
        ["bleu", "val_loss"],
        prep=_yaml(("evaluators: [val_loss, uas]", "evaluators: [val_loss, bleu]")),
    ),
    Case("max_steps 0", PT, ["max_steps"], prep=_yaml(("max_steps: 4", "max_steps: 0"))),
    Case(
        "hidden not divisible by heads",
        PT,
        ["hidden", "heads"],
        prep=_yaml(("hidden: 32, heads: 2", "hidden: 33, heads: 2")),
    ),
    Case(
        "seq_len above max_position",
        PT,
        ["seq_len", "max_position"],
        prep=_yaml(("seq_len: 32", "seq_len: 128")),
    ),
    Case(
        "vocab_size too small",
        PT,
        ["vocab_size"],
        prep=_yaml(("vocab_size: 1200", "vocab_size: 3")),
    ),
    Case("lambda nan", [*PT, "--lambda", "nan"], ["lambda"], prep=_yaml()),
    Case("lr negative", PT, ["lr"], prep=_yaml(("warmup_steps: 1", "warmup_steps: 1, lr: -0.1"))),
    Case("masking prob 0", [*PT, "--set", "masking.prob=0"], ["masking.prob"], prep=_yaml()),
    Case(
        "until_step without lambda",
        [*PT, "--set", "sas.until_step=-3"],
        ["until_step"],
        prep=_yaml(),
    ),
    Case("unknown arch", PT, ["arch", "gpt"], prep=_yaml(("arch: bert", "arch: gpt"))),
    Case("--out is a file", [*PT[:-1], "{t}/p.yaml"], ["{t}/p.yaml"], prep=_yaml()),
    Case(
        "--out not a run",
        [*PT[:-1], "{t}/d"],
        ["{t}/d", "not a bertology run"],
        files={"d/keep.txt": "mine"},
        prep=_yaml(),
    ),
    Case(
        "--out a finished pretrain run",
        [*PT[:-1], "{t}/run"],
        ["{t}/run", "--resume"],
        prep=_then(_yaml(), copy_of("pt", "run")),
    ),
    Case(
        "--out a probe run",
        [*PT[:-1], "{t}/run"],
        ["{t}/run", "probe"],
        prep=_then(_yaml(), copy_of("probe", "run")),
    ),
    Case("--resume a probe run", RESUME, ["{t}/run", "pretrain"], prep=copy_of("probe", "run")),
    Case("--resume an empty directory", RESUME, ["{t}/run"], files={"run/.keep": ""}),
    Case(
        "--resume changing the model",
        [*RESUME, "--set", "model.hidden=64"],
        ["model.hidden"],
        prep=copy_of("pt", "run"),
    ),
    Case(
        "--resume changing the seed",
        [*RESUME, "--seed", "5"],
        ["train.seed"],
        prep=copy_of("pt", "run"),
    ),
    Case(
        "--resume config.yaml broken",
        RESUME,
        ["{t}/run/config.yaml:"],
        prep=_then(
            copy_of("pt", "run"), _edit("run/config.yaml", b"model: {arch: bert\ntrain: [\n")
        ),
    ),
    Case(
        "--resume weights truncated",
        RESUME,
        ["model.safetensors"],
        prep=_then(copy_of("pt", "run"), _ckpt_edit("model.safetensors", cut=500)),
    ),
    Case(
        "--resume trainer_state.json broken",
        RESUME,
        ["trainer_state.json:"],
        prep=_then(
            copy_of("pt", "run"),
            _ckpt_edit("trainer_state.json", body=b'{"global_step": 4,\n "log_history": [\n'),
        ),
    ),
    Case(
        "--resume rng state missing",
        RESUME,
        ["rng.safetensors"],
        prep=_then(copy_of("pt", "run"), _ckpt_edit("trainer_state/rng.safetensors")),
    ),
    Case(
        "--resume optimizer truncated",
        RESUME,
        ["optimizer.safetensors"],
        prep=_then(
            copy_of("pt", "run"), _ckpt_edit("trainer_state/optimizer.safetensors", cut=100)
        ),
    ),
    Case("--resume a finished run", RESUME, code=0, prep=copy_of("pt", "run")),
    Case(
        "--resume a finished run, impl changed",
        [*RESUME, "--set", "impl.eval_batch_size=4"],
        code=0,
        prep=copy_of("pt", "run"),
    ),
]

W = ["world", "--out", "{t}/out"]
WORLD = [
    Case("world --tokens 0", [*W, "--tokens", "0"], ["tokens"]),
    Case("world --tokens -5", [*W, "--tokens", "-5"], ["tokens"]),
    Case("world --set n_entities=0", [*W, "--set", "n_entities=0"], ["n_entities"]),
    Case("world --out is a file", ["world", "--out", "{facts}", "--tokens", "1000"], ["{facts}"]),
    Case(
        "world --out not a world",
        ["world", "--out", "{t}/d", "--tokens", "1000"],
        ["{t}/d", "refusing"],
        files={"d/keep.txt": "mine"},
    ),
    Case(
        "world --out a world with a file of mine",
        ["world", "--out", "{t}/w", "--tokens", "1000"],
        ["{t}/w", "keep.txt"],
        prep=_then(copy_of("world", "w"), _edit("w/keep.txt", b"mine")),
    ),
    Case(
        "world over a world",
        ["world", "--out", "{t}/w", "--tokens", "2000"],
        code=0,
        prep=copy_of("world", "w"),
        check=lambda t: (
            json.loads((t / "w" / "world.json").read_text())["config"]["tokens"] == 2000
        ),
    ),
]

PR = [
    "prune",
    "-m",
    "{model}",
    "-f",
    "{facts}",
    "-r",
    "{rel}",
    "--relation",
    "IsA",
    "--epochs",
    "1",
    "--layers",
    "0-1",
    "--no-progress",
    "--out",
    "{t}/out",
]


def _masks_of(*files: str):
    """A ``check``: the prune run wrote exactly these mask files, one per relation."""

    def check(t: Path) -> None:
        assert sorted(p.name for p in (t / "out" / "masks").iterdir()) == sorted(files)
        relations = json.loads((t / "out" / "results.json").read_text())["relations"]
        assert len(relations) == len(files)

    return check


def _renamed(*names: str):
    """facts + relations where IsA's facts are given again under each of ``names``."""

    def prep(p: dict[str, str], t: Path) -> None:
        rows = [json.loads(x) for x in Path(p["facts"]).read_text().splitlines()]
        rel = [json.loads(x) for x in Path(p["rel"]).read_text().splitlines()]
        isa = next(r for r in rel if r["relation"] == "IsA")
        out = [{**r, "relation": n} for n in names for r in rows if r["relation"] == "IsA"]
        (t / "f.jsonl").write_text(jsonl(*out))
        (t / "r.jsonl").write_text(jsonl(*({**isa, "relation": n} for n in names)))

    return prep


PRUNE = [
    Case("prune --layers 1-0", [*PR, "--layers", "1-0"], ["layers"]),
    Case("prune --layers 0-9", [*PR, "--layers", "0-9"], ["layers", "2"]),
    Case("prune --layers abc", [*PR, "--layers", "abc"], ["abc"]),
    Case(
        "prune --init-sparsity 1.5",
        [*PR, "--init-sparsity", "1.5"],
        ["--init-sparsity must be in [0, 1)"],
    ),
    Case("prune --tau 0", [*PR, "--tau", "0"], ["tau"]),
    Case("prune --epochs 0", [*PR, "--epochs", "0"], ["epochs"]),
    Case("prune --lr -1", [*PR, "--lr", "-1"], ["lr"]),
    Case("prune --threshold 2", [*PR, "--threshold", "2"], ["threshold"]),
    Case("prune --batch-size 0", [*PR, "--batch-size", "0"], ["batch_size"]),
    Case("prune --mode bogus", [*PR, "--mode", "bogus"], ["bogus"]),
    Case("prune --relation unknown", [*PR, "--relation", "Nope"], ["Nope"]),
    Case(
        "prune nothing to prune",
        [*PR[:4], "{t}/f.jsonl", *PR[5:]],
        ["{t}/f.jsonl", "IsA"],
        files={"f.jsonl": jsonl({"subject": "dog", "relation": "IsA", "object": "zzqqxxyyww"})},
    ),
    Case(
        "prune --out a finished run",
        [*PR[:-1], "{t}/run"],
        ["{t}/run", "--overwrite"],
        prep=copy_of("prune", "run"),
    ),
    Case(
        "prune --out a probe run, --overwrite",
        [*PR[:-1], "{t}/run", "--overwrite"],
        ["{t}/run", "probe"],
        prep=copy_of("probe", "run"),
    ),
    Case(
        "prune 'Made Of' and 'Made_Of'",
        [
            "prune",
            "-m",
            "{model}",
            "-f",
            "{t}/f.jsonl",
            "-r",
            "{t}/r.jsonl",
            "--epochs",
            "1",
            "--layers",
            "1-1",
            "--no-progress",
            "--out",
            "{t}/out",
        ],
        code=0,
        prep=_renamed("Made Of", "Made_Of", "Part/Whole"),
        check=_masks_of(
            "Made_20Of.safetensors", "Made_5FOf.safetensors", "Part_2FWhole.safetensors"
        ),
    ),
]

SPEC = [
    Case("specialize no such run", ["specialize", "{t}/nope"], ["{t}/nope"]),
    Case("specialize a file", ["specialize", "{facts}"], ["{facts}"]),
    Case(
        "specialize a probe run",
        ["specialize", "{t}/run"],
        ["{t}/run", "prune"],
        prep=copy_of("probe", "run"),
    ),
    Case(
        "specialize mask deleted",
        ["specialize", "{t}/run"],
        ["IsA"],
        prep=_then(copy_of("prune", "run"), _edit("run/masks/IsA.safetensors")),
    ),
    Case(
        "specialize mask bit-flipped",
        ["specialize", "{t}/run"],
        ["{t}/run/masks/IsA.safetensors", "checksum"],
        prep=_then(copy_of("prune", "run"), _edit("run/masks/IsA.safetensors", flip=-3)),
    ),
    Case(
        "specialize mask truncated",
        ["specialize", "{t}/run"],
        ["{t}/run/masks/IsA.safetensors"],
        prep=_then(copy_of("prune", "run"), _edit("run/masks/IsA.safetensors", cut=200)),
    ),
    Case(
        "specialize results.json broken",
        ["specialize", "{t}/run"],
        ["{t}/run/results.json:"],
        prep=_then(
            copy_of("prune", "run"), _edit("run/results.json", b'{"schema": 1,\n "relations": \n')
        ),
    ),
    Case(
        "specialize config.yaml broken",
        ["specialize", "{t}/run"],
        ["{t}/run/config.yaml:"],
        prep=_then(
            copy_of("prune", "run"), _edit("run/config.yaml", b"command: prune\nmodel: [\n")
        ),
    ),
    Case("inspect no such run", ["inspect", "{t}/nope"], ["{t}/nope"]),
    Case(
        "inspect a uas run",
        ["inspect", "{t}/run"],
        ["{t}/run", "prune"],
        prep=copy_of("uas", "run"),
    ),
    Case(
        "inspect mask bit-flipped",
        ["inspect", "{t}/run"],
        ["{t}/run/masks/AtLocation.safetensors", "checksum"],
        prep=_then(copy_of("prune", "run"), _edit("run/masks/AtLocation.safetensors", flip=-3)),
    ),
    Case(
        "specialize a good copy",
        ["specialize", "{t}/run"],
        code=0,
        prep=copy_of("prune", "run"),
        check=lambda t: (t / "run" / "specialization.json").is_file(),
    ),
]

MASKS = [
    Case(
        "masks stats no such file",
        ["masks", "stats", "{t}/nope.safetensors"],
        ["{t}/nope.safetensors"],
    ),
    Case("masks stats a text file", ["masks", "stats", "{facts}"], ["{facts}"]),
    Case(
        "masks stats truncated",
        ["masks", "stats", "{t}/m.safetensors"],
        ["{t}/m.safetensors"],
        prep=_then(
            lambda p, t: copy_of("mask", "m.safetensors")(p, t), _edit("m.safetensors", cut=300)
        ),
    ),
    Case(
        "masks stats model weights",
        ["masks", "stats", "{model}/model.safetensors"],
        ["{model}/model.safetensors", "mask"],
    ),
    Case(
        "masks stats an empty directory",
        ["masks", "stats", "{t}/d"],
        ["{t}/d"],
        files={"d/.keep": ""},
    ),
    Case("masks stats a prune run", ["masks", "stats", "{prune}"], code=0),
    Case("masks overlap of one mask", ["masks", "overlap", "{mask}"], ["two"]),
    Case(
        "masks combine --how bogus",
        [
            "masks",
            "combine",
            "{prune}/masks/IsA.safetensors",
            "{prune}/masks/AtLocation.safetensors",
            "--how",
            "bogus",
            "--out",
            "{t}/out",
        ],
        ["bogus"],
    ),
    Case(
        "masks export another model",
        ["masks", "export", "-m", "{bert}", "--masks", "{mask}", "--out", "{t}/out"],
        ["{mask}", "model"],
    ),
    Case(
        "masks export same shapes, other weights",
        [
            "masks",
            "export",
            "-m",
            "{pt}/checkpoints/step-000002",
            "--masks",
            "{mask}",
            "--out",
            "{t}/out",
        ],
        ["{mask}", "fingerprint"],
    ),
    Case(
        "masks export bit-flipped",
        ["masks", "export", "-m", "{model}", "--masks", "{t}/m.safetensors", "--out", "{t}/out"],
        ["{t}/m.safetensors", "checksum"],
        prep=_then(
            lambda p, t: copy_of("mask", "m.safetensors")(p, t), _edit("m.safetensors", flip=-3)
        ),
    ),
    Case(
        "masks export --out not empty",
        ["masks", "export", "-m", "{model}", "--masks", "{mask}", "--out", "{t}/d"],
        ["{t}/d"],
        files={"d/keep.txt": "mine"},
    ),
    Case(
        "masks export",
        ["masks", "export", "-m", "{model}", "--masks", "{mask}", "--out", "{t}/out"],
        code=0,
        check=lambda t: (t / "out" / "model.safetensors").is_file(),
    ),
]

CASES = PRETRAIN + WORLD + PRUNE + SPEC + MASKS


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_fault(ws, case, tmp_path):
    run_case(ws, case, tmp_path)

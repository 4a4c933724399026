"""Fault injection, part 1 (issue 13): bad facts, relation files, candidate files, CoNLL-U,
raw text, configs and model directories, given to ``probe``, ``uas`` and ``parse`` through
the CLI. Every case checks the exit code, that the message names the file (and line), that
nothing is printed as a traceback, that nothing is written at ``--out`` and that the
workspace's finished runs stay byte-for-byte as they were (``conftest.run_case``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faults import Case, copy_of, ids, jsonl, run_case

PROBE = ["probe", "-m", "{model}", "-r", "{rel}", "--split", "all", "--out", "{t}/out"]
UAS = ["uas", "-m", "{model}", "--out", "{t}/out"]
FACT = {"subject": "dog", "relation": "IsA", "object": "animal"}
TREE = "1\tthe\t_\tDET\t_\t_\t2\tdet\t_\t_\n2\tdog\t_\tNOUN\t_\t_\t3\tnsubj\t_\t_\n3\tbarks\t_\tVERB\t_\t_\t0\troot\t_\t_\n\n"


def _row(**kw: object) -> str:
    return json.dumps({**FACT, **kw}) + "\n"


def _tree_with(line: str, col: int, value: str) -> str:
    """TREE with column ``col`` (0-based) of token line ``line`` (1-based) replaced."""
    rows = TREE.strip("\n").split("\n")
    cells = rows[line - 1].split("\t")
    cells[col] = value
    rows[line - 1] = "\t".join(cells)
    return "\n".join(rows) + "\n\n"


def _results(t: Path) -> dict:
    return json.loads((t / "out" / "results.json").read_text())


def _n_facts(n: int):
    def check(t: Path) -> None:
        assert _results(t)["n_facts"] == n

    return check


def _scored(n: int, skipped: int):
    def check(t: Path) -> None:
        micro = _results(t)["micro"]
        assert (micro["n"], micro["skipped"]) == (n, skipped)

    return check


def _n_sentences(n: int):
    def check(t: Path) -> None:
        assert _results(t)["n_sentences"] == n

    return check


FACTS = [
    Case("facts missing", [*PROBE, "-f", "{t}/nope.jsonl"], ["{t}/nope.jsonl"]),
    Case("facts is a directory", [*PROBE, "-f", "{t}"], ["{t}", "directory"]),
    Case(
        "facts empty",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl", "no facts"],
        files={"f.jsonl": ""},
    ),
    Case(
        "facts only blank lines",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl", "no facts"],
        files={"f.jsonl": "\n\n  \n"},
    ),
    Case(
        "facts malformed JSON",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:2:"],
        files={"f.jsonl": _row() + '{"subject": "cat"\n'},
    ),
    Case(
        "facts line is a list",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:1:"],
        files={"f.jsonl": "[1, 2]\n"},
    ),
    Case(
        "facts line is a string",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:1:"],
        files={"f.jsonl": '"dog"\n'},
    ),
    Case(
        "facts missing object",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:2:", "object"],
        files={"f.jsonl": _row() + jsonl({"subject": "cat", "relation": "IsA"})},
    ),
    Case(
        "facts object is a number",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:1:"],
        files={"f.jsonl": _row(object=7)},
    ),
    Case(
        "facts subject is null",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:1:"],
        files={"f.jsonl": _row(subject=None)},
    ),
    Case(
        "facts empty object",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:1:"],
        files={"f.jsonl": _row(object="")},
    ),
    Case(
        "facts non-UTF-8",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:3: not UTF-8 (byte 0xE9 at column 17)"],
        files={
            "f.jsonl": (_row() * 2).encode()
            + b'{"subject": "caf\xe9", "relation": "IsA", "object": "x"}\n'
        },
    ),
    Case(
        "facts UTF-16",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:1: not UTF-8"],
        files={"f.jsonl": _row().encode("utf-16")},
    ),
    Case(
        "facts unknown relation",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:1:", "NoSuchRel"],
        files={"f.jsonl": _row(relation="NoSuchRel")},
    ),
    Case(
        "prompt without [MASK]",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:1:", "[MASK]"],
        files={"f.jsonl": _row(prompt="the dog is an animal .")},
    ),
    Case(
        "prompt with two [MASK]",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:1:"],
        files={"f.jsonl": _row(prompt="[MASK] is [MASK] .")},
    ),
    Case(
        "LAMA masked_sentences empty",
        [*PROBE, "-f", "{t}/f.jsonl"],
        ["{t}/f.jsonl:1:", "masked_sentences"],
        files={
            "f.jsonl": jsonl(
                {"masked_sentences": [], "sub_label": "dog", "obj_label": "animal", "pred": "IsA"}
            )
        },
    ),
    Case(
        "--relation unknown",
        [*PROBE, "-f", "{facts}", "--relation", "Nope"],
        ["unknown relation 'Nope'", "IsA"],
    ),
    Case(
        "facts with a BOM",
        [*PROBE, "-f", "{t}/f.jsonl"],
        code=0,
        files={"f.jsonl": b"\xef\xbb\xbf" + _row().encode()},
        check=_n_facts(1),
    ),
    Case(
        "facts with CRLF",
        [*PROBE, "-f", "{t}/f.jsonl"],
        code=0,
        files={"f.jsonl": (_row() + _row(subject="cat")).replace("\n", "\r\n")},
        check=_n_facts(2),
    ),
    Case(
        "facts with blank lines",
        [*PROBE, "-f", "{t}/f.jsonl"],
        code=0,
        files={"f.jsonl": "\n" + _row() + "\n\n" + _row(subject="cat")},
        check=_n_facts(2),
    ),
    Case(
        "facts with a duplicate",
        [*PROBE, "-f", "{t}/f.jsonl"],
        code=0,
        files={"f.jsonl": _row() * 3},
        check=_n_facts(1),
    ),
    Case(
        "facts with a multi-token object",
        [*PROBE, "-f", "{t}/f.jsonl"],
        code=0,
        files={"f.jsonl": _row() + _row(subject="cat", object="zzzqqqxxyy")},
        check=_scored(1, 1),
    ),
]

RELATIONS = [
    Case(
        "relations missing",
        ["probe", "-m", "{model}", "-f", "{facts}", "-r", "{t}/r.jsonl", "--out", "{t}/out"],
        ["{t}/r.jsonl"],
    ),
    Case(
        "relations empty",
        ["probe", "-m", "{model}", "-f", "{facts}", "-r", "{t}/r.jsonl", "--out", "{t}/out"],
        ["{t}/r.jsonl", "no relations"],
        files={"r.jsonl": ""},
    ),
    Case(
        "template lacks [Y]",
        ["probe", "-m", "{model}", "-f", "{facts}", "-r", "{t}/r.jsonl", "--out", "{t}/out"],
        ["{t}/r.jsonl:1:", "[Y]"],
        files={"r.jsonl": jsonl({"relation": "IsA", "template": "[X] is ."})},
    ),
    Case(
        "template not a string",
        ["probe", "-m", "{model}", "-f", "{facts}", "-r", "{t}/r.jsonl", "--out", "{t}/out"],
        ["{t}/r.jsonl:1:"],
        files={"r.jsonl": jsonl({"relation": "IsA", "template": 3})},
    ),
    Case(
        "relation name missing",
        ["probe", "-m", "{model}", "-f", "{facts}", "-r", "{t}/r.jsonl", "--out", "{t}/out"],
        ["{t}/r.jsonl:1:", "relation"],
        files={"r.jsonl": jsonl({"template": "[X] is [Y] ."})},
    ),
    Case(
        "relation defined twice",
        ["probe", "-m", "{model}", "-f", "{facts}", "-r", "{t}/r.jsonl", "--out", "{t}/out"],
        ["{t}/r.jsonl:2:", "IsA"],
        files={
            "r.jsonl": jsonl(
                {"relation": "IsA", "template": "[X] is [Y] ."},
                {"relation": "IsA", "template": "[X] is a [Y] ."},
            )
        },
    ),
    Case(
        "relations malformed",
        ["probe", "-m", "{model}", "-f", "{facts}", "-r", "{t}/r.jsonl", "--out", "{t}/out"],
        ["{t}/r.jsonl:1:"],
        files={"r.jsonl": "{relation: IsA}\n"},
    ),
]

CANDIDATES = [
    Case(
        "candidates file missing",
        [*PROBE, "-f", "{facts}", "--candidates", "{t}/c.txt"],
        ["{t}/c.txt"],
    ),
    Case(
        "candidates file empty",
        [*PROBE, "-f", "{facts}", "--candidates", "{t}/c.txt"],
        ["{t}/c.txt"],
        files={"c.txt": ""},
    ),
    Case(
        "candidates non-UTF-8",
        [*PROBE, "-f", "{facts}", "--candidates", "{t}/c.txt"],
        ["{t}/c.txt:2: not UTF-8"],
        files={"c.txt": b"animal\nb\xffd\n"},
    ),
    Case("candidates unknown name", [*PROBE, "-f", "{facts}", "--candidates", "every"], ["every"]),
]

OPTIONS = [
    Case("--k 0", [*PROBE, "-f", "{facts}", "--k", "0"], ["k"]),
    Case("--batch-size 0", [*PROBE, "-f", "{facts}", "--batch-size", "0"], ["batch_size"]),
    Case("--batch-size -4", [*PROBE, "-f", "{facts}", "--batch-size", "-4"], ["batch_size"]),
    Case("--split bogus", [*PROBE, "-f", "{facts}", "--split", "bogus"], ["bogus"]),
    Case("--dtype fp64", [*PROBE, "-f", "{facts}", "--dtype", "fp64"], ["fp64"]),
    Case("--device nosuch", [*PROBE, "-f", "{facts}", "--device", "nosuch"], ["nosuch"]),
    Case("--out is a file", [*PROBE[:-1], "{facts}", "-f", "{facts}"], ["{facts}"]),
    Case(
        "--out not a run",
        [*PROBE[:-1], "{t}/d", "-f", "{facts}"],
        ["{t}/d", "not a bertology run"],
        files={"d/keep.txt": "mine"},
    ),
    Case(
        "--out a finished run",
        [*PROBE[:-1], "{t}/run", "-f", "{facts}"],
        ["{t}/run", "--overwrite"],
        prep=copy_of("probe", "run"),
    ),
    Case(
        "--overwrite with bad facts",
        [*PROBE[:-1], "{t}/run", "-f", "{t}/f.jsonl", "--overwrite"],
        ["{t}/f.jsonl:1:"],
        files={"f.jsonl": "{\n"},
        prep=copy_of("probe", "run"),
    ),
    Case(
        "--out a run of another command",
        [*PROBE[:-1], "{t}/run", "-f", "{facts}", "--overwrite"],
        ["{t}/run", "uas"],
        prep=copy_of("uas", "run"),
    ),
]

CONFIGS = [
    Case(
        "--config missing file", [*PROBE, "-f", "{facts}", "--config", "{t}/c.yaml"], ["{t}/c.yaml"]
    ),
    Case(
        "--config unknown name",
        [*PROBE, "-f", "{facts}", "--config", "no-such-config"],
        ["no-such-config"],
    ),
    Case(
        "--config broken YAML",
        [*PROBE, "-f", "{facts}", "--config", "{t}/c.yaml"],
        ["{t}/c.yaml:3: invalid YAML", "flow sequence at line 2"],
        files={"c.yaml": "top: 3\nsplit: [a\n"},
    ),
    Case(
        "--config unknown key",
        [*PROBE, "-f", "{facts}", "--config", "{t}/c.yaml"],
        ["{t}/c.yaml:2", "tpo"],
        files={"c.yaml": "top: 3\ntpo: 4\n"},
    ),
    Case(
        "--config wrong type",
        [*PROBE, "-f", "{facts}", "--config", "{t}/c.yaml"],
        ["{t}/c.yaml:1", "top"],
        files={"c.yaml": "top: many\n"},
    ),
    Case(
        "--config not a mapping",
        [*PROBE, "-f", "{facts}", "--config", "{t}/c.yaml"],
        ["{t}/c.yaml"],
        files={"c.yaml": "- 1\n- 2\n"},
    ),
    Case(
        "--config is a directory",
        [*PROBE, "-f", "{facts}", "--config", "{t}"],
        ["{t}", "directory"],
    ),
    Case(
        "--config non-UTF-8",
        [*PROBE, "-f", "{facts}", "--config", "{t}/c.yaml"],
        ["{t}/c.yaml:2: not UTF-8 (byte 0xE9 at column 8)"],
        files={"c.yaml": b"top: 3\nsplit: \xe9\n"},
    ),
    Case(
        "--set unknown key",
        [*PROBE, "-f", "{facts}", "--set", "impl.batchsize=3"],
        ["impl.batchsize"],
    ),
    Case(
        "--set bad value",
        [*PROBE, "-f", "{facts}", "--set", "impl.batch_size=lots"],
        ["impl.batch_size"],
    ),
    Case("--set empty", [*PROBE, "-f", "{facts}", "--set", "="], ["--set"]),
]


def _break(name: str, body: bytes | None = None, cut: int | None = None):
    """A ``prep`` copying the workspace model to ``t/m`` and breaking one file in it."""

    def prep(p: dict[str, str], t: Path) -> None:
        copy_of("model", "m")(p, t)
        f = t / "m" / name
        if body is None and cut is None:
            f.unlink()
        elif cut is not None:
            f.write_bytes(f.read_bytes()[:cut])
        else:
            f.write_bytes(body)

    return prep


M = [*PROBE[:2], "{t}/m", *PROBE[3:], "-f", "{facts}"]
MODELS = [
    Case("model dir missing", [*PROBE[:2], "{t}/nope", *PROBE[3:], "-f", "{facts}"], ["{t}/nope"]),
    Case("model is a file", [*PROBE[:2], "{facts}", *PROBE[3:], "-f", "{facts}"], ["{facts}"]),
    Case("model without config.json", M, ["{t}/m", "config.json"], prep=_break("config.json")),
    Case(
        "model config.json broken",
        M,
        ["{t}/m/config.json:"],
        prep=_break("config.json", b'{"model_type": "bert",\n "hidden_size": }\n'),
    ),
    Case(
        "model config.json unknown type",
        M,
        ["{t}/m/config.json", "nosuch"],
        prep=_break("config.json", b'{"model_type": "nosuch"}\n'),
    ),
    Case("model weights missing", M, ["{t}/m", "weights"], prep=_break("model.safetensors")),
    Case(
        "model weights truncated",
        M,
        ["{t}/m/model.safetensors"],
        prep=_break("model.safetensors", cut=1000),
    ),
    Case(
        "model weights empty", M, ["{t}/m/model.safetensors"], prep=_break("model.safetensors", b"")
    ),
    Case(
        "model weights not safetensors",
        M,
        ["{t}/m/model.safetensors"],
        prep=_break("model.safetensors", b"hello world, not tensors" * 10),
    ),
    Case("model tokenizer.json missing", M, ["{t}/m", "tokenizer"], prep=_break("tokenizer.json")),
    Case(
        "model tokenizer.json broken",
        M,
        ["{t}/m/tokenizer.json"],
        prep=_break("tokenizer.json", b"{not json"),
    ),
    Case(
        "model hub name offline",
        [*PROBE[:2], "no-such-org/no-such-model", *PROBE[3:], "-f", "{facts}"],
        ["no-such-org/no-such-model"],
    ),
]

CONLLU = [
    Case("conllu missing", [*UAS, "--conllu", "{t}/g.conllu"], ["{t}/g.conllu"]),
    Case("conllu is a directory", [*UAS, "--conllu", "{t}"], ["{t}", "directory"]),
    Case(
        "conllu empty",
        [*UAS, "--conllu", "{t}/g.conllu"],
        ["{t}/g.conllu", "no sentences"],
        files={"g.conllu": ""},
    ),
    Case(
        "conllu comments only",
        [*UAS, "--conllu", "{t}/g.conllu"],
        ["{t}/g.conllu", "no sentences"],
        files={"g.conllu": "# text = nothing\n\n"},
    ),
    Case(
        "conllu too few columns",
        [*UAS, "--conllu", "{t}/g.conllu"],
        ["{t}/g.conllu:2:", "10 tab-separated"],
        files={"g.conllu": TREE.replace("2\tdog\t_\tNOUN\t_\t_\t3\tnsubj\t_\t_", "2\tdog\t_")},
    ),
    Case(
        "conllu head not a number",
        [*UAS, "--conllu", "{t}/g.conllu"],
        ["{t}/g.conllu:2:"],
        files={"g.conllu": _tree_with(2, 6, "x")},
    ),
    Case(
        "conllu head out of range",
        [*UAS, "--conllu", "{t}/g.conllu"],
        ["{t}/g.conllu:2:", "HEAD 9 is outside 0..3"],
        files={"g.conllu": _tree_with(2, 6, "9")},
    ),
    Case(
        "conllu cycle",
        [*UAS, "--conllu", "{t}/g.conllu"],
        ["{t}/g.conllu:1:", "cycle"],
        files={"g.conllu": _tree_with(3, 6, "2").replace("\t3\tnsubj", "\t3\tnsubj")},
    ),
    Case(
        "conllu no root",
        [*UAS, "--conllu", "{t}/g.conllu"],
        ["{t}/g.conllu:1:", "root"],
        files={"g.conllu": _tree_with(3, 6, "1")},
    ),
    Case(
        "conllu two roots",
        [*UAS, "--conllu", "{t}/g.conllu"],
        ["{t}/g.conllu:1:", "root"],
        files={"g.conllu": _tree_with(1, 6, "0")},
    ),
    Case(
        "conllu ids out of order",
        [*UAS, "--conllu", "{t}/g.conllu"],
        ["{t}/g.conllu:2:"],
        files={"g.conllu": _tree_with(2, 0, "5")},
    ),
    Case(
        "conllu non-UTF-8",
        [*UAS, "--conllu", "{t}/g.conllu"],
        ["{t}/g.conllu:3: not UTF-8"],
        files={"g.conllu": TREE.replace("barks", "b\udce9rks").encode("utf-8", "surrogateescape")},
    ),
    Case(
        "conllu second sentence broken",
        [*UAS, "--conllu", "{t}/g.conllu"],
        ["{t}/g.conllu:5:", "cycle"],
        files={"g.conllu": TREE + _tree_with(3, 6, "2").replace("\t2\tdet", "\t0\tdet")},
    ),
    Case(
        "conllu with BOM, comments, CRLF",
        [*UAS, "--conllu", "{t}/g.conllu"],
        code=0,
        files={
            "g.conllu": ("\ufeff# sent_id = 1\n# text = the dog barks\n" + TREE).replace(
                "\n", "\r\n"
            )
        },
        check=_n_sentences(1),
    ),
    Case(
        "conllu multiword and empty nodes",
        [*UAS, "--conllu", "{t}/g.conllu"],
        code=0,
        files={
            "g.conllu": "1-2\tthedog\t_\t_\t_\t_\t_\t_\t_\t_\n"
            + TREE.replace("\n3\t", "\n2.1\tis\t_\tAUX\t_\t_\t_\t_\t3:aux\t_\n3\t", 1)
        },
        check=_n_sentences(1),
    ),
    Case(
        "conllu no blank line at the end",
        [*UAS, "--conllu", "{t}/g.conllu"],
        code=0,
        files={"g.conllu": TREE.rstrip("\n")},
        check=_n_sentences(1),
    ),
    Case("uas without data", UAS, ["--conllu", "--text"]),
    Case(
        "uas --max-sentences 0",
        [*UAS, "--conllu", "{trees}", "--max-sentences", "0"],
        ["max_sentences"],
    ),
    Case(
        "uas --max-length -1", [*UAS, "--conllu", "{trees}", "--max-length", "-1"], ["max_length"]
    ),
    Case(
        "uas --out a finished run",
        [*UAS[:-1], "{t}/run", "--conllu", "{trees}"],
        ["{t}/run", "--overwrite"],
        prep=copy_of("uas", "run"),
    ),
]

TEXT = [
    Case("text missing", [*UAS, "--text", "{t}/x.txt"], ["{t}/x.txt"]),
    Case("text empty", [*UAS, "--text", "{t}/x.txt"], ["{t}/x.txt"], files={"x.txt": "\n\n"}),
    Case(
        "text non-UTF-8",
        [*UAS, "--text", "{t}/x.txt"],
        ["{t}/x.txt:2: not UTF-8 (byte 0xE9 at column 8)"],
        files={"x.txt": b"the dog barks .\nthe caf\xe9 .\n"},
    ),
    Case("text is a directory", [*UAS, "--text", "{t}"], ["{t}", "directory"]),
    Case("parse text missing", ["parse", "--text", "{t}/x.txt", "--out", "{t}/out"], ["{t}/x.txt"]),
    Case(
        "parse unknown spaCy model",
        ["parse", "--text", "{text}", "--spacy-model", "xx_no_such_model", "--out", "{t}/out"],
        ["xx_no_such_model"],
    ),
]

CASES = FACTS + RELATIONS + CANDIDATES + OPTIONS + CONFIGS + MODELS + CONLLU + TEXT


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_fault(ws, case, tmp_path):
    run_case(ws, case, tmp_path)

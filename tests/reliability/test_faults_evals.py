"""Fault injection, part 3 (issue 14's bad input): BLiMP data and TwoNN texts given to
``blimp`` and ``twonn`` through the CLI, with the checks of ``faults.run_case``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faults import Case, copy_of, ids, jsonl, run_case

BL = ["blimp", "-m", "{model}", "--device", "cpu", "--out", "{t}/out"]
TN = ["twonn", "-m", "{model}", "--device", "cpu", "--out", "{t}/out"]
PAIR = {"sentence_good": "the dog barks .", "sentence_bad": "the dog bark .", "UID": "agreement"}


def _row(**kw: object) -> str:
    return json.dumps({**PAIR, **kw}) + "\n"


def _paradigms(n: int):
    def check(t: Path) -> None:
        assert len(json.loads((t / "out" / "results.json").read_text())["paradigms"]) == n

    return check


BLIMP = [
    Case("blimp data missing", [*BL, "--data", "{t}/nope"], ["{t}/nope"]),
    Case(
        "blimp malformed line",
        [*BL, "--data", "{t}/p.jsonl"],
        ["{t}/p.jsonl:2:", "JSON"],
        files={"p.jsonl": _row() + '{"sentence_good": "a"\n'},
    ),
    Case(
        "blimp line is a list",
        [*BL, "--data", "{t}/p.jsonl"],
        ["{t}/p.jsonl:1:"],
        files={"p.jsonl": "[1]\n"},
    ),
    Case(
        "blimp missing sentence_bad",
        [*BL, "--data", "{t}/p.jsonl"],
        ["{t}/p.jsonl:2:", "sentence_bad"],
        files={"p.jsonl": _row() + jsonl({"sentence_good": "a b"})},
    ),
    Case(
        "blimp sentence not a string",
        [*BL, "--data", "{t}/p.jsonl"],
        ["{t}/p.jsonl:1:", "sentence_good"],
        files={"p.jsonl": _row(sentence_good=["a"])},
    ),
    Case(
        "blimp empty sentence",
        [*BL, "--data", "{t}/p.jsonl"],
        ["{t}/p.jsonl:1:", "empty sentence"],
        files={"p.jsonl": _row(sentence_bad=" ")},
    ),
    Case(
        "blimp UID not a string",
        [*BL, "--data", "{t}/p.jsonl"],
        ["{t}/p.jsonl:1:", "UID"],
        files={"p.jsonl": _row(UID=7)},
    ),
    Case(
        "blimp empty file",
        [*BL, "--data", "{t}/p.jsonl"],
        ["{t}/p.jsonl", "empty data"],
        files={"p.jsonl": ""},
    ),
    Case(
        "blimp directory without pairs",
        [*BL, "--data", "{t}/d"],
        ["{t}/d", "no *.jsonl"],
        files={"d/readme.txt": "x"},
    ),
    Case(
        "blimp unknown paradigm",
        [*BL, "--data", "{world}/minimal_pairs", "--paradigm", "islands"],
        ["unknown paradigm 'islands'", "transitive"],
    ),
    Case(
        "blimp unknown paradigm in a file",
        [*BL, "--data", "{t}/p.jsonl", "--paradigm", "x"],
        ["unknown paradigm 'x'", "agreement"],
        files={"p.jsonl": _row()},
    ),
    Case(
        "blimp non-UTF-8",
        [*BL, "--data", "{t}/p.jsonl"],
        ["{t}/p.jsonl:2: not UTF-8 (byte 0xE9"],
        files={
            "p.jsonl": _row().encode() + b'{"sentence_good": "caf\xe9", "sentence_bad": "x y"}\n'
        },
    ),
    Case(
        "blimp sentence too long",
        [*BL, "--data", "{t}/p.jsonl"],
        ["{t}/p.jsonl:2:", "longer than the model's 64 positions"],
        files={"p.jsonl": _row() + _row(sentence_good=" ".join(["dog"] * 80))},
    ),
    Case(
        "blimp --metric bogus",
        [*BL, "--data", "{world}/minimal_pairs", "--metric", "mean"],
        ["mean"],
    ),
    Case("blimp --limit 0", [*BL, "--data", "{world}/minimal_pairs", "--limit", "0"], ["limit"]),
    Case(
        "blimp --token-budget 0",
        [*BL, "--data", "{world}/minimal_pairs", "--token-budget", "0"],
        ["token_budget"],
    ),
    Case(
        "blimp --out a probe run",
        [*BL[:-1], "{t}/run", "--data", "{world}/minimal_pairs", "--overwrite"],
        ["{t}/run", "probe"],
        prep=copy_of("probe", "run"),
    ),
    Case(
        "blimp with a BOM and CRLF",
        [*BL, "--data", "{t}/p.jsonl"],
        code=0,
        files={
            "p.jsonl": b"\xef\xbb\xbf" + (_row() + _row(UID="other")).replace("\n", "\r\n").encode()
        },
        check=_paradigms(2),
    ),
    Case(
        "blimp the world's pairs, one paradigm",
        [*BL, "--data", "{world}/minimal_pairs", "--paradigm", "transitive", "--limit", "3"],
        code=0,
        check=_paradigms(1),
    ),
]

TWONN = [
    Case("twonn texts missing", [*TN, "--texts", "{t}/x.txt"], ["{t}/x.txt"]),
    Case(
        "twonn texts empty",
        [*TN, "--texts", "{t}/x.txt"],
        ["{t}/x.txt", "no texts"],
        files={"x.txt": "\n \n"},
    ),
    Case("twonn texts a directory", [*TN, "--texts", "{t}"], ["{t}", "directory"]),
    Case(
        "twonn texts non-UTF-8",
        [*TN, "--texts", "{t}/x.txt"],
        ["{t}/x.txt:2: not UTF-8"],
        files={"x.txt": b"a b\nc\xffd\n"},
    ),
    Case(
        "twonn fewer than 10 texts",
        [*TN, "--texts", "{t}/x.txt"],
        ["at least 10 distinct points, got 4"],
        files={"x.txt": "a b\nc d\ne f\ng h\n"},
    ),
    Case(
        "twonn all texts equal",
        [*TN, "--texts", "{t}/x.txt", "--layers", "2"],
        ["distinct points", "duplicates"],
        files={"x.txt": "the dog barks .\n" * 30},
    ),
    Case("twonn --n 5", [*TN, "--texts", "{text}", "--n", "5"], ["n must be at least 10"]),
    Case("twonn --layers 9", [*TN, "--texts", "{text}", "--layers", "9"], ["layers '9'", "0..2"]),
    Case("twonn --layers abc", [*TN, "--texts", "{text}", "--layers", "abc"], ["abc"]),
    Case("twonn --pool max", [*TN, "--texts", "{text}", "--pool", "max"], ["max"]),
    Case(
        "twonn --metric manhattan",
        [*TN, "--texts", "{text}", "--metric", "manhattan"],
        ["manhattan"],
    ),
    Case(
        "twonn --set discard_fraction=1",
        [*TN, "--texts", "{text}", "--set", "discard_fraction=1"],
        ["discard_fraction"],
    ),
    Case(
        "twonn layers 1-2, cosine",
        [*TN, "--texts", "{text}", "--layers", "1-2", "--metric", "cosine"],
        code=0,
        check=lambda t: (
            set(json.loads((t / "out" / "results.json").read_text())["layers"]) == {"1", "2"}
        ),
    ),
]

CASES = BLIMP + TWONN


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_fault(ws, case, tmp_path):
    run_case(ws, case, tmp_path)
